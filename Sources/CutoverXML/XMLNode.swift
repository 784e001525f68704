import CLibXML2

/// An element or other node of a parsed document; keeps its document alive.
public struct XMLNode {
    let pointer: xmlNodePtr
    let document: XMLDocument

    /// Local name.
    public var name: String { String(cString: pointer.pointee.name) }

    /// Namespace URI, if any.
    public var namespaceURI: String? { pointer.pointee.ns.flatMap { $0.pointee.href }.map { String(cString: $0) } }

    /// Text content of the node and its descendants.
    public var text: String {
        guard let content = xmlNodeGetContent(pointer) else { return "" }
        defer { cutover_xml_free(content) }
        return String(cString: content)
    }

    /// Child elements.
    public var children: [XMLNode] {
        var result: [XMLNode] = []
        var child = pointer.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(XMLNode(pointer: current, document: document)) }
            child = current.pointee.next
        }
        return result
    }
}
