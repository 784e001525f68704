import CLibXML2
import CutoverCore

extension XMLDocument {
    /// A new document holding only its root element. Text and attribute values given to the building methods are
    /// stored as plain text: serialising escapes them, and characters XML cannot carry become U+FFFD.
    public static func create(root name: String, namespaceURI: String? = nil, prefix: String? = nil) -> XMLDocument {
        XMLLibrary.initialise()
        let pointer = xmlNewDoc("1.0")!
        let document = XMLDocument(pointer: pointer)
        let root = xmlNewDocNode(pointer, nil, name, nil)!
        xmlDocSetRootElement(pointer, root)
        if let namespaceURI { xmlSetNs(root, xmlNewNs(root, namespaceURI, prefix)) }
        return document
    }
}

extension XMLNode {
    /// Appends a child element in `namespaceURI` (declared here with `prefix` unless already in scope) with
    /// optional text, and returns it.
    @discardableResult
    public func addElement(_ name: String, namespaceURI: String? = nil, prefix: String? = nil, text: String? = nil)
        -> XMLNode
    {
        let child = xmlNewDocNode(pointer.pointee.doc, nil, name, nil)!
        xmlAddChild(pointer, child)
        if let namespaceURI {
            let namespace =
                xmlSearchNsByHref(pointer.pointee.doc, pointer, namespaceURI) ?? xmlNewNs(child, namespaceURI, prefix)
            xmlSetNs(child, namespace)
        }
        let node = XMLNode(pointer: child, document: document)
        if let text { node.setText(text) }
        return node
    }

    /// Replaces the node's children with `text`.
    public func setText(_ text: String) {
        xmlNodeSetContent(pointer, nil)
        let clean = XMLText.sanitized(text)
        xmlNodeAddContentLen(pointer, clean, Int32(clean.utf8.count))
    }

    /// Sets (or adds) an attribute without a namespace.
    public func setAttribute(_ name: String, _ value: String) {
        xmlSetProp(pointer, name, XMLText.sanitized(value))
    }

    /// An attribute's value, without a namespace.
    public func attribute(_ name: String) -> String? {
        guard let value = xmlGetProp(pointer, name) else { return nil }
        defer { cutover_xml_free(value) }
        return String(cString: value)
    }

    /// Declares `prefix` for `uri` on this element, so children added later share one declaration.
    public func declareNamespace(prefix: String, uri: String) {
        _ = xmlNewNs(pointer, uri, prefix)
    }
}
