/// Where one value comes from: an XPath (XML input), a column (CSV, fixed-width, SQL rows), a JSON pointer
/// (JSON input), or a constant.
public enum ValueSource: Sendable, Hashable, Codable {
    case path(String)
    case constant(String)
}

/// How one output value is produced: its source, its type, and an optional value map.
public struct FieldSpec: Sendable, Hashable, Codable {
    public var source: ValueSource
    public var type: ValueType
    /// Legacy value → new value (e.g. `BX` → `BOX`); values not in the map pass through.
    public var map: [String: String]

    public init(source: ValueSource, type: ValueType = .string, map: [String: String] = [:]) {
        self.source = source
        self.type = type
        self.map = map
    }
}
