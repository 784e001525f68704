import CutoverCore

/// A state-level parallel run: legacy rows vs ERP records, compared by key (DESIGN.md's `reconcile`).
public struct ReconcileDefinition: Sendable, Hashable {
    public var key: String
    /// Query on the legacy database; may use `$since`.
    public var legacySQL: String
    /// Database to run it on; defaults to the flow's `legacy.database_url`.
    public var legacyDatabaseURL: String?
    public var newURL: String
    /// JSON pointer to the array of records in each page.
    public var newItems: String
    /// JSON pointer to the next page's URL.
    public var newNext: String?
    /// Canonical field → JSON pointer in each ERP record.
    public var newFields: [String: String]
    /// Per-field comparison rules.
    public var fields: [String: FieldRule]

    public struct FieldRule: Sendable, Hashable {
        public var type: ValueType
        public var tolerance: Double?
        public init(type: ValueType, tolerance: Double?) {
            self.type = type
            self.tolerance = tolerance
        }
    }

    public init(
        key: String, legacySQL: String, legacyDatabaseURL: String?, newURL: String, newItems: String, newNext: String?,
        newFields: [String: String], fields: [String: FieldRule]
    ) {
        self.key = key
        self.legacySQL = legacySQL
        self.legacyDatabaseURL = legacyDatabaseURL
        self.newURL = newURL
        self.newItems = newItems
        self.newNext = newNext
        self.newFields = newFields
        self.fields = fields
    }
}
