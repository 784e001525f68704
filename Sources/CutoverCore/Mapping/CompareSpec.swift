/// How one canonical field is obtained from each side and compared.
public struct CompareField: Sendable, Hashable, Codable {
    public var name: String
    /// Source on the legacy side (XPath, column or JSON pointer).
    public var legacy: String
    /// Source on the new side (usually a JSON pointer).
    public var new: String
    public var type: ValueType
    /// Absolute tolerance for decimals.
    public var tolerance: Double?
    /// Legacy value → canonical value, applied before comparing.
    public var map: [String: String]

    public init(
        name: String, legacy: String, new: String, type: ValueType = .string, tolerance: Double? = nil,
        map: [String: String] = [:]
    ) {
        self.name = name
        self.legacy = legacy
        self.new = new
        self.type = type
        self.tolerance = tolerance
        self.map = map
    }
}

/// A flow's comparison rules (DESIGN.md's `compare`).
public struct CompareSpec: Sendable, Hashable, Codable {
    /// In canary (for new-served exchanges) and new mode, also call legacy off the caller's path.
    public var reverseShadow: Bool
    public var fields: [CompareField]
    /// Paths never compared.
    public var ignore: [String]

    public init(reverseShadow: Bool = false, fields: [CompareField] = [], ignore: [String] = []) {
        self.reverseShadow = reverseShadow
        self.fields = fields
        self.ignore = ignore
    }
}
