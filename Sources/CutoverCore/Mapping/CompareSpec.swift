/// How one canonical field is obtained from each side and compared.
public struct CompareField: Sendable, Hashable, Codable {
    public var name: String
    /// Source on the legacy side (XPath, column or JSON pointer).
    public var legacy: String
    /// Source on the new side (usually a JSON pointer).
    public var new: String
    public var type: ValueType
    /// Absolute tolerance for numbers.
    public var tolerance: Double?
    /// Relative tolerance for numbers: |a − b| ≤ r × max(|a|, |b|).
    public var relativeTolerance: Double?
    /// Legacy value → canonical value, applied before comparing.
    public var map: [String: String]
    /// Strings: ignore leading and trailing whitespace (default on).
    public var trim: Bool
    /// Strings: compare without regard to case.
    public var ignoreCase: Bool
    /// Quantities: where each side states the unit of measure; both are converted through the spec's `units`.
    public var unit: UnitSources?

    public init(
        name: String, legacy: String, new: String, type: ValueType = .string, tolerance: Double? = nil,
        relativeTolerance: Double? = nil, map: [String: String] = [:], trim: Bool = true, ignoreCase: Bool = false,
        unit: UnitSources? = nil
    ) {
        self.name = name
        self.legacy = legacy
        self.new = new
        self.type = type
        self.tolerance = tolerance
        self.relativeTolerance = relativeTolerance
        self.map = map
        self.trim = trim
        self.ignoreCase = ignoreCase
        self.unit = unit
    }
}

/// Where each side states a quantity's unit of measure.
public struct UnitSources: Sendable, Hashable, Codable {
    public var legacy: String
    public var new: String

    public init(legacy: String, new: String) {
        self.legacy = legacy
        self.new = new
    }
}

/// A repeating group (order lines, file records): elements matched by a key, or as a multiset — never by position.
public struct CompareGroup: Sendable, Hashable, Codable {
    public var name: String
    /// The elements on each side (XPath node-set, JSON pointer to an array).
    public var legacy: String
    public var new: String
    /// The key that pairs elements, relative to an element; nil matches elements as a multiset of their fields.
    public var key: UnitSources?
    /// Fields compared inside each pair, relative to the element.
    public var fields: [CompareField]

    public init(name: String, legacy: String, new: String, key: UnitSources? = nil, fields: [CompareField]) {
        self.name = name
        self.legacy = legacy
        self.new = new
        self.key = key
        self.fields = fields
    }
}

/// A flow's comparison rules (DESIGN.md's `compare`).
public struct CompareSpec: Sendable, Hashable, Codable {
    /// In canary (for new-served exchanges) and new mode, also call legacy off the caller's path.
    public var reverseShadow: Bool
    public var fields: [CompareField]
    public var groups: [CompareGroup]
    /// Paths or field names never compared.
    public var ignore: [String]
    /// Unit conversions: unit → (base unit, how many base units one unit holds), e.g. `BX → (EA, 10)`.
    public var units: [String: UnitConversion]
    /// Noise calibration: which read-only operations may be sent to legacy a second time, and how often.
    public var calibrate: CalibrationSpec?
    /// The share of shadow exchanges whose new side is called (0 … 1); the rest are `not_compared`.
    public var shadowSample: Double = 1

    public init(
        reverseShadow: Bool = false, fields: [CompareField] = [], groups: [CompareGroup] = [], ignore: [String] = [],
        units: [String: UnitConversion] = [:], calibrate: CalibrationSpec? = nil
    ) {
        self.reverseShadow = reverseShadow
        self.fields = fields
        self.groups = groups
        self.ignore = ignore
        self.units = units
        self.calibrate = calibrate
    }

    /// The same rules with legacy on both sides, for comparing two legacy answers to one request: every field and
    /// group reads its legacy path twice, value maps are dropped (they translate legacy into the new side's
    /// vocabulary), and nothing is ignored — finding what `ignore` should hold is the point.
    public var legacyMirror: CompareSpec {
        func mirror(_ field: CompareField) -> CompareField {
            var field = field
            field.new = field.legacy
            field.map = [:]
            field.unit = field.unit.map { UnitSources(legacy: $0.legacy, new: $0.legacy) }
            return field
        }
        return CompareSpec(
            fields: fields.map(mirror),
            groups: groups.map { group in
                CompareGroup(
                    name: group.name, legacy: group.legacy, new: group.legacy,
                    key: group.key.map { UnitSources(legacy: $0.legacy, new: $0.legacy) },
                    fields: group.fields.map(mirror))
            }, units: units)
    }

    /// The `ignore` entry that silences a difference found at `path`: a field's name, `group.field` for a field
    /// inside a repeating group, the group's name when elements themselves differ.
    public static func ignoreEntry(forDiffPath path: String) -> String {
        guard let open = path.firstIndex(of: "["), let close = path.lastIndex(of: "]") else { return path }
        let group = String(path[..<open])
        let rest = path[path.index(after: close)...]
        return rest.hasPrefix(".") ? group + rest : group
    }
}

/// `compare.calibrate`: sampled exchanges of read-only operations are sent to legacy twice; fields that differ
/// between two legacy answers are noise.
public struct CalibrationSpec: Sendable, Hashable, Codable {
    /// SOAP operations that change nothing, so asking twice is safe (a create is never sent twice).
    public var operations: [String]
    /// The share of those exchanges calibrated, 0 … 1.
    public var sample: Double

    public init(operations: [String], sample: Double = 0.1) {
        self.operations = operations
        self.sample = sample
    }
}

/// One unit expressed in a base unit: one `BX` holds `factor` (10) of `base` (`EA`).
public struct UnitConversion: Sendable, Hashable, Codable {
    public var base: String
    public var factor: String

    public init(base: String, factor: String) {
        self.base = base
        self.factor = factor
    }
}
