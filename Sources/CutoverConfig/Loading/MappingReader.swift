import Yams

/// Reads one YAML mapping strictly: every key must be one of `allowed`, values are type-checked, strings
/// are environment-expanded, and each problem is reported at its own line.
final class MappingReader {
    let context: String
    let mark: Mark?
    let sink: DiagnosticSink
    let expander: EnvironmentExpander
    private var entries: [String: (keyMark: Mark?, value: Node)] = [:]
    /// Keys in the order written.
    private(set) var keys: [String] = []

    /// Returns nil (after reporting) when `node` is not a mapping.
    init?(_ node: Node, context: String, allowed: [String]?, sink: DiagnosticSink, expander: EnvironmentExpander) {
        self.context = context
        self.mark = node.mark
        self.sink = sink
        self.expander = expander
        if let allowed { ConfigKeyRecorder.record(context: context, allowed: allowed) }
        guard case .mapping(let mapping) = node else {
            sink.error("\(context) must be a mapping", at: node.mark)
            return nil
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                sink.error("keys in \(context) must be strings", at: keyNode.mark)
                continue
            }
            if let allowed, !allowed.contains(key) {
                let hint =
                    KeySuggestion.nearest(to: key, among: allowed).map { "did you mean '\($0)'?" }
                    ?? "valid keys: \(allowed.joined(separator: ", "))"
                sink.error("unknown key '\(key)' in \(context)", at: keyNode.mark, hint: hint)
                continue
            }
            entries[key] = (keyNode.mark, value)
            keys.append(key)
        }
    }

    func has(_ key: String) -> Bool { entries[key] != nil }

    func node(_ key: String) -> Node? { entries[key]?.value }

    func keyMark(_ key: String) -> Mark? { entries[key]?.keyMark }

    func path(_ key: String) -> String { context == "top level" ? key : "\(context).\(key)" }

    func missing(_ key: String) {
        sink.error("missing required key '\(key)' in \(context)", at: mark)
    }

    /// A scalar as an environment-expanded string.
    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = node(key) else {
            if required { missing(key) }
            return nil
        }
        return scalar(node, context: path(key))
    }

    func scalar(_ node: Node, context: String) -> String? {
        Self.scalar(node, context: context, sink: sink, expander: expander)
    }

    /// A scalar node's environment-expanded text; anything else is reported as an error.
    static func scalar(_ node: Node, context: String, sink: DiagnosticSink, expander: EnvironmentExpander) -> String? {
        guard case .scalar(let scalar) = node else {
            sink.error("\(context) must be a single value", at: node.mark)
            return nil
        }
        switch expander.expand(scalar.string) {
        case .success(let value):
            return value
        case .failure(let failure):
            sink.error("\(context): \(failure.message)", at: node.mark, hint: failure.hint)
            return nil
        }
    }

    func int(_ key: String, range: ClosedRange<Int> = 0...Int.max) -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            sink.error(
                "\(path(key)) must be a whole number in \(range.lowerBound)...\(range.upperBound)", at: node(key)?.mark)
            return nil
        }
        return value
    }

    func double(
        _ key: String, range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
    )
        -> Double?
    {
        guard let text = string(key) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            sink.error(
                "\(path(key)) must be a number in \(range.lowerBound)...\(range.upperBound)", at: node(key)?.mark)
            return nil
        }
        return value
    }

    func bool(_ key: String) -> Bool? {
        guard let text = string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            sink.error("\(path(key)) must be true or false", at: node(key)?.mark)
            return nil
        }
    }

    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type, required: Bool = false) -> T?
    where T.RawValue == String, T: CaseIterable {
        guard let text = string(key, required: required) else { return nil }
        guard let value = T(rawValue: text) else {
            let valid = T.allCases.map(\.rawValue)
            let hint =
                KeySuggestion.nearest(to: text, among: valid).map { "did you mean '\($0)'?" }
                ?? "one of: \(valid.joined(separator: ", "))"
            sink.error("\(path(key)): '\(text)' is not valid", at: node(key)?.mark, hint: hint)
            return nil
        }
        return value
    }

    func mapping(_ key: String, allowed: [String]?, required: Bool = false) -> MappingReader? {
        guard let node = node(key) else {
            if let allowed { ConfigKeyRecorder.record(context: path(key), allowed: allowed) }
            if required { missing(key) }
            return nil
        }
        return MappingReader(node, context: path(key), allowed: allowed, sink: sink, expander: expander)
    }

    /// A mapping of string to string, such as `namespaces` or a value `map`.
    func stringMap(_ key: String) -> [String: String] {
        guard let reader = mapping(key, allowed: nil) else { return [:] }
        var result: [String: String] = [:]
        for name in reader.keys {
            if let value = reader.string(name) { result[name] = value }
        }
        return result
    }

    func stringList(_ key: String) -> [String] {
        guard let node = node(key) else { return [] }
        guard case .sequence(let sequence) = node else {
            sink.error("\(path(key)) must be a list", at: node.mark)
            return []
        }
        return sequence.compactMap { scalar($0, context: path(key)) }
    }
}
