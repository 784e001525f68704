/// The outcome of comparing both sides' results for one exchange.
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
    case match
    case mismatch
    case legacyError = "legacy_error"
    case newError = "new_error"
    case notCompared = "not_compared"
}

/// One differing canonical field.
public struct FieldDiff: Sendable, Hashable, Codable {
    public var path: String
    public var legacy: String?
    public var new: String?
    /// The rule that was applied when comparing (e.g. `decimal tolerance 0.01`).
    public var rule: String

    public init(path: String, legacy: String?, new: String?, rule: String) {
        self.path = path
        self.legacy = legacy
        self.new = new
        self.rule = rule
    }
}
