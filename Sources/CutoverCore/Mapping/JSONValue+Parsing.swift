import Foundation

extension JSONValue {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String { "not valid JSON" }
    }

    /// Parses JSON text strictly (RFC 8259): member order and each number's text are kept as written.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// The value at an RFC 6901 JSON pointer (`""` is the whole document, `/a/0/b`, `~1` for `/`, `~0` for `~`).
    public func value(at pointer: String) -> JSONValue? {
        guard !pointer.isEmpty else { return self }
        guard pointer.hasPrefix("/") else { return nil }
        var current = self
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let members):
                guard let next = members.first(where: { $0.0 == key })?.1 else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The value as comparison and templates see it: strings as-is, numbers as their text, null as nil.
    public var scalarText: String? {
        switch self {
        case .null: nil
        case .bool(let value): value ? "true" : "false"
        case .number(let text), .string(let text): text
        case .array, .object: text
        }
    }
}

/// JSON input for the mapping engine: paths are JSON pointers.
public struct JSONMappingSource: MappingSource {
    public var value: JSONValue

    public init(_ value: JSONValue) {
        self.value = value
    }

    public func values(at path: String) throws -> [String] {
        value.value(at: path)?.scalarText.map { [$0] } ?? []
    }

    public func scopes(at path: String) throws -> [any MappingSource] {
        guard case .array(let items)? = value.value(at: path) else { return [] }
        return items.map(JSONMappingSource.init)
    }
}
