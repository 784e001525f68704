/// How the audit writer batches, bounds memory and falls back to its spool.
public struct AuditWriterConfiguration: Sendable {
    /// Where batches go while PostgreSQL is unreachable. One directory per instance is simplest; segments of
    /// another live process are never touched.
    public var spoolDirectory: String
    /// Largest batch written with one statement.
    public var maxBatchRecords: Int = 2_000
    /// How long a partial batch waits for more records. Zero (the default): a free flusher takes whatever is
    /// pending at once; batches still grow under load, because records gather while every flusher is busy.
    public var maxBatchDelay: Duration = .zero
    /// Pending records are split among free flushers, but no batch is made smaller than this.
    public var minimumSplitRecords: Int = 64
    /// Batches written to PostgreSQL at once.
    public var concurrentBatches: Int = 3
    /// Records accepted but not yet durable; writers wait beyond this, so memory stays bounded under any load.
    public var maxPendingRecords: Int = 20_000
    /// A batch not committed within this time goes to the spool instead.
    public var databaseTimeout: Duration = .seconds(3)
    /// How often the drainer checks whether PostgreSQL is back while the spool holds batches.
    public var drainInterval: Duration = .seconds(1)
    /// Records per statement when the drainer sends spooled batches on after an outage: smaller than live batches,
    /// so that each commits well within `drainTimeout` while live traffic shares the server.
    public var drainBatchRecords: Int = 500
    /// How long one drained chunk may take. No caller waits on the drainer, so it is longer than `databaseTimeout`:
    /// a server busy catching up must not be taken for a server that is down (which would spool live traffic again
    /// and start the catch-up over).
    public var drainTimeout: Duration = .seconds(30)
    /// A spool segment is sealed once it reaches this size.
    public var maxSegmentBytes: Int = 16 << 20

    public init(spoolDirectory: String) {
        self.spoolDirectory = spoolDirectory
    }
}
