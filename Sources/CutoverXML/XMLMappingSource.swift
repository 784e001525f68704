import CutoverCore

/// XML input for the mapping engine: paths are XPath 1.0 with the flow's namespace prefixes, relative to `node`.
public struct XMLMappingSource: MappingSource {
    public let document: XMLDocument
    public let node: XMLNode?
    public let namespaces: [String: String]

    public init(document: XMLDocument, node: XMLNode? = nil, namespaces: [String: String]) {
        self.document = document
        self.node = node
        self.namespaces = namespaces
    }

    public func values(at path: String) throws -> [String] {
        switch try document.evaluate(path, namespaces: namespaces, relativeTo: node) {
        case .nodes(let nodes): nodes.map(\.text)
        case let other: other.string.map { [$0] } ?? []
        }
    }

    public func scopes(at path: String) throws -> [any MappingSource] {
        guard case .nodes(let nodes) = try document.evaluate(path, namespaces: namespaces, relativeTo: node) else {
            return []
        }
        return nodes.map { XMLMappingSource(document: document, node: $0, namespaces: namespaces) }
    }
}
