extension KeySpec {
    /// The key for one exchange: a path's first value, or a template whose `{name}` placeholders are filled from
    /// `builtins` (e.g. `file_sha256`, `record_number`) or else from `source` (a column, XPath or JSON pointer).
    /// Nil when a path or placeholder selects nothing: an exchange never goes out with half a key.
    public func render(from source: any MappingSource, builtins: [String: String] = [:]) -> String? {
        switch self {
        case .path(let path):
            guard let value = (try? source.values(at: path))?.first?.trimmingWhitespace(), !value.isEmpty else {
                return nil
            }
            return value
        case .template(let template):
            var result = ""
            var rest = Substring(template)
            while let open = rest.firstIndex(of: "{") {
                result += rest[..<open]
                guard let close = rest[open...].firstIndex(of: "}") else { return nil }
                let name = String(rest[rest.index(after: open)..<close])
                guard let value = builtins[name] ?? (try? source.values(at: name))?.first, !value.isEmpty else {
                    return nil
                }
                result += value
                rest = rest[rest.index(after: close)...]
            }
            return result + rest
        }
    }
}
