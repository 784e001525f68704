import CutoverCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Writes one batch of audit records atomically, a record sent twice stored once (`ON CONFLICT DO NOTHING`).
///
/// Small batches, the usual case when each caller waits for its record, go as one statement (each table's rows as
/// a JSON array through `json_populate_recordset`) between BEGIN and COMMIT. Large
/// batches, the case under saturation, go through COPY into staging tables, which carries thousands of rows per
/// transaction more cheaply.
final class AuditBatchInserter: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Months (UTC, `year * 100 + month`) whose partitions are known to exist.
    private let knownMonths = Mutex<Set<Int64>>([])

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    func insert(_ records: [AuditRecord]) async throws {
        do {
            try await insertOnce(records)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" {
            // "no partition of relation found for row": a partition was pruned or never made; make it and retry.
            knownMonths.withLock { $0.removeAll() }
            try await insertOnce(records)
        }
    }

    /// Batches up to this size go as one statement; larger ones through COPY.
    static let statementBatchLimit = 256

    private func insertOnce(_ records: [AuditRecord]) async throws {
        try await ensurePartitions(for: records)
        if records.count > Self.statementBatchLimit {
            try await insertStaged(records)
        } else {
            try await insertStatement(records)
        }
    }

    /// Small batches (the usual case for a facade waiting on each record): one statement, in a transaction.
    private func insertStatement(_ records: [AuditRecord]) async throws {
        let rows = AuditRowsJSON(records)
        guard !rows.isEmpty else { return }
        var binds = PostgresBindings(capacity: 4)
        binds.append(rows.exchanges)
        binds.append(rows.sideCalls)
        binds.append(rows.comparisons)
        binds.append(rows.deadLetters)
        // One statement in an explicit transaction: COMMIT's answer is the proof of durability (an implicit
        // transaction commits only at the protocol's Sync, after the statement has already answered).
        try await client.transaction(logger: logger) { connection in
            try await connection.run(PostgresQuery(unsafeSQL: Self.statementSQL, binds: binds), logger: logger)
        }
    }

    /// Large batches: COPY into per-connection staging tables, then one `INSERT … SELECT … ON CONFLICT DO NOTHING`
    /// into the audit tables, in one transaction. More round trips, but COPY carries thousands of rows cheaply.
    private func insertStaged(_ records: [AuditRecord]) async throws {
        var exchanges = ByteBuffer()
        var sideCalls = ByteBuffer()
        var comparisons = ByteBuffer()
        var deadLetters = ByteBuffer()
        for record in records {
            switch record {
            case .exchange(let row): CopyTextEncoder.append(row, to: &exchanges)
            case .sideCall(let row): CopyTextEncoder.append(row, to: &sideCalls)
            case .comparison(let row): CopyTextEncoder.append(row, to: &comparisons)
            case .deadLetter(let row): CopyTextEncoder.append(row, to: &deadLetters)
            }
        }
        let tables = zip(Self.tables, [exchanges, sideCalls, comparisons, deadLetters]).filter {
            $0.1.readableBytes > 0
        }
        try await client.withConnection { connection in
            try await prepareStaging(on: connection)
            try await connection.query("BEGIN", logger: logger)
            do {
                for (table, rows) in tables {
                    try await connection.copyFrom(table: table.stage, columns: table.columns, logger: logger) {
                        writer in
                        try await writer.write(rows)
                    }
                }
                // One statement inserts every staged row into the audit tables; the staging tables empty at commit.
                try await connection.run(Self.moveStatement(tables.map(\.0)), logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The staged rows into the audit tables, one statement.
    static func moveStatement(_ tables: [Table]) -> PostgresQuery {
        PostgresQuery(unsafeSQL: insertAll(tables) { _, table in table.stage })
    }

    /// `WITH i0 AS (INSERT INTO target (cols) SELECT cols FROM source ON CONFLICT DO NOTHING), … SELECT 1`.
    /// Identifiers are the constants below, never input.
    static func insertAll(_ tables: [Table], from source: (Int, Table) -> String) -> String {
        let parts = tables.enumerated().map { index, table in
            let columns = table.columns.joined(separator: ", ")
            return "i\(index) AS (INSERT INTO \(table.target) (\(columns)) SELECT \(columns) FROM "
                + "\(source(index, table)) ON CONFLICT DO NOTHING)"
        }
        return "WITH " + parts.joined(separator: ", ") + " SELECT 1"
    }

    /// Creates the staging tables once per connection. `ON COMMIT DELETE ROWS` empties them at each commit with a
    /// file truncation: no dead tuples (temp tables are never vacuumed) and no TRUNCATE command per batch.
    private func prepareStaging(on connection: PostgresConnection) async throws {
        guard !preparedConnections.withLock({ $0.contains(connection.id) }) else { return }
        for table in Self.tables {
            try await connection.query(
                "CREATE TEMP TABLE IF NOT EXISTS \(unescaped: table.stage) (LIKE \(unescaped: table.target) INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                logger: logger
            )
        }
        preparedConnections.withLock { _ = $0.insert(connection.id) }
    }

    /// Every table's rows from its JSON array parameter (`$1` exchanges, `$2` side calls, `$3` comparisons, `$4` dead
    /// letters).
    static let statementSQL = insertAll(tables) { index, table in
        "json_populate_recordset(NULL::\(table.target), $\(index + 1)::json)"
    }

    /// An audit table, its staging table (COPY path) and the columns Cutover writes (the rest have defaults).
    struct Table: Sendable {
        var stage: String
        var target: String
        var columns: [String]
    }

    static let tables = [
        Table(stage: "cutover_stage_exchanges", target: "cutover.exchanges", columns: CopyTextEncoder.exchangeColumns),
        Table(
            stage: "cutover_stage_side_calls", target: "cutover.side_calls", columns: CopyTextEncoder.sideCallColumns),
        Table(
            stage: "cutover_stage_comparisons", target: "cutover.comparisons",
            columns: CopyTextEncoder.comparisonColumns),
        Table(
            stage: "cutover_stage_dead_letters", target: "cutover.dead_letters",
            columns: CopyTextEncoder.deadLetterColumns),
    ]

    /// Pool connections (by id) that already have their staging tables.
    private let preparedConnections = Mutex<Set<Int>>([])

    private func ensurePartitions(for records: [AuditRecord]) async throws {
        var missing: [Int64: Date] = [:]
        knownMonths.withLock { known in
            for record in records {
                let date = record.partitionTime
                let key = Self.monthKey(date)
                if !known.contains(key), missing[key] == nil { missing[key] = date }
            }
        }
        for (key, date) in missing {
            try await client.run("SELECT cutover.ensure_audit_partitions(\(date), 1)", logger: logger)
            knownMonths.withLock { _ = $0.insert(key) }
        }
    }

    static func monthKey(_ date: Date) -> Int64 {
        let days = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let (year, month, _) = CivilCalendar.date(fromDays: days)
        return year * 100 + month
    }

    /// Whether PostgreSQL refused the data itself (a constraint, a type, a permission), as opposed to being
    /// unreachable or unable to work right now. Errors about the server's state — connection exceptions (08),
    /// insufficient resources (53), operator intervention such as a shutdown (57), system errors (58), transaction
    /// rollbacks such as deadlocks (40), lock waits (55) and internal errors (XX) — are outages: the batch is
    /// retried, never set aside.
    static func isServerError(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return isRefusal(sqlState: error.serverInfo?[.sqlState])
    }

    static let transientClasses: Set<String> = ["08", "40", "53", "55", "57", "58", "XX"]

    static func isRefusal(sqlState: String?) -> Bool {
        guard let sqlState else { return true }
        return !transientClasses.contains(String(sqlState.prefix(2)))
    }
}
