import Foundation
import Mustache

/// Renders the SOAP answer a caller gets in `new` mode from the ERP's JSON reply (DESIGN.md's `response_template`),
/// so it is shaped like the legacy one. Mustache: `{{number}}`, `{{#purchaseOrderLines}}…{{/purchaseOrderLines}}`;
/// every `{{value}}` is escaped (`& < > " '`), and characters XML cannot carry become U+FFFD.
public struct ResponseTemplate: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    let template: MustacheTemplate

    public init(text: String) throws(Failure) {
        do {
            template = try MustacheTemplate(string: text)
        } catch {
            throw Failure(description: "response template does not compile: \(error)")
        }
    }

    /// The template rendered with `reply` after `responseMap` (JSON pointer → ERP value → legacy value).
    public func render(reply: JSONValue, responseMap: [String: [String: String]] = [:]) -> String {
        var context = reply
        for (pointer, map) in responseMap {
            context = context.mapping(at: pointer, with: map)
        }
        return template.render(Self.mustacheContext(context))
    }

    /// JSON as Mustache sees it: objects as dictionaries (null members left out, so sections skip them), arrays as
    /// lists, numbers as their exact text, booleans as booleans.
    static func mustacheContext(_ value: JSONValue) -> Any {
        switch value {
        case .null: return ""
        case .bool(let flag): return flag
        case .number(let text): return text
        case .string(let text): return XMLText.sanitized(text)
        case .array(let items): return items.map(mustacheContext)
        case .object(let members):
            var dictionary: [String: Any] = [:]
            for (name, member) in members where member != .null { dictionary[name] = mustacheContext(member) }
            return dictionary
        }
    }

}

extension JSONValue {
    /// The document with the scalar at `pointer` rewritten through `map` (values not in the map are kept).
    public func mapping(at pointer: String, with map: [String: String]) -> JSONValue {
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        return rewriting(Array(tokens)[...], map)
    }

    private func rewriting(_ tokens: ArraySlice<String>, _ map: [String: String]) -> JSONValue {
        guard let token = tokens.first else {
            switch self {
            case .string(let text): return map[text].map(JSONValue.string) ?? self
            case .number(let text): return map[text].map(JSONValue.string) ?? self
            default: return self
            }
        }
        switch self {
        case .object(let members):
            return .object(members.map { $0.0 == token ? ($0.0, $0.1.rewriting(tokens.dropFirst(), map)) : $0 })
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { return self }
            items[index] = items[index].rewriting(tokens.dropFirst(), map)
            return .array(items)
        default:
            return self
        }
    }
}
