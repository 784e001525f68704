import CLibXML2

/// The result of an XPath 1.0 expression.
public enum XPathValue {
    case nodes([XMLNode])
    case string(String)
    case number(Double)
    case boolean(Bool)

    /// XPath's string-value: the first node's text for a node-set.
    public var string: String? {
        switch self {
        case .nodes(let nodes): nodes.first?.text
        case .string(let value): value
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .boolean(let value): String(value)
        }
    }
}

extension XMLDocument {
    /// Evaluates `expression` with `namespaces` (prefix → URI), relative to `node` (the root by default).
    public func evaluate(_ expression: String, namespaces: [String: String] = [:], relativeTo node: XMLNode? = nil)
        throws(XMLError) -> XPathValue
    {
        guard let context = xmlXPathNewContext(pointer) else { throw XMLError(code: .invalidXPath) }
        defer { xmlXPathFreeContext(context) }
        // Errors surface as XMLError; libxml2 must not print them to stderr.
        context.pointee.error = cutover_xml_silent_errors
        for (prefix, uri) in namespaces {
            _ = xmlXPathRegisterNs(context, prefix, uri)
        }
        if let node { context.pointee.node = node.pointer }
        guard let result = xmlXPathEvalExpression(expression, context) else {
            throw XMLError(code: .invalidXPath, detail: expression)
        }
        defer { xmlXPathFreeObject(result) }
        switch result.pointee.type {
        case XPATH_NODESET:
            var nodes: [XMLNode] = []
            if let set = result.pointee.nodesetval, set.pointee.nodeNr > 0 {
                for index in 0..<Int(set.pointee.nodeNr) {
                    if let node = set.pointee.nodeTab[index] { nodes.append(XMLNode(pointer: node, document: self)) }
                }
            }
            return .nodes(nodes)
        case XPATH_STRING:
            return .string(result.pointee.stringval.map { String(cString: $0) } ?? "")
        case XPATH_NUMBER:
            return .number(result.pointee.floatval)
        case XPATH_BOOLEAN:
            return .boolean(result.pointee.boolval != 0)
        default:
            throw XMLError(code: .invalidXPath, detail: expression)
        }
    }

    /// The string-value of `expression`, or nil when it selects nothing.
    public func string(_ expression: String, namespaces: [String: String] = [:], relativeTo node: XMLNode? = nil)
        throws(XMLError) -> String?
    {
        try evaluate(expression, namespaces: namespaces, relativeTo: node).string
    }
}
