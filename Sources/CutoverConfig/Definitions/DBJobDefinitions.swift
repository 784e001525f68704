/// When a database job runs.
public enum Schedule: Sendable, Hashable {
    /// A fixed interval, in seconds.
    case every(seconds: Int)
    /// A standard five-field cron expression.
    case cron(String)
}

/// What the new side must receive from a database job, and how a row is marked sent.
public struct SourceDefinition: Sendable, Hashable {
    public var sql: String
    /// Run once per row after the ERP acknowledged it, with the row's key as `$1`.
    public var ackSQL: String?
    /// The column that identifies a row.
    public var key: String

    public init(sql: String, ackSQL: String?, key: String) {
        self.sql = sql
        self.ackSQL = ackSQL
        self.key = key
    }
}
