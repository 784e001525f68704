import CutoverCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Writes one batch of audit records as one statement: each table's rows as a JSON array, inserted with
/// `json_populate_recordset … ON CONFLICT DO NOTHING` (a record sent twice is stored once).
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

    private func insertOnce(_ records: [AuditRecord]) async throws {
        try await ensurePartitions(for: records)
        let rows = AuditRowsJSON(records)
        guard !rows.isEmpty else { return }
        var binds = PostgresBindings(capacity: 3)
        binds.append(rows.exchanges)
        binds.append(rows.sideCalls)
        binds.append(rows.comparisons)
        // One statement, so one round trip and one implicit transaction: all of the batch or none of it.
        try await client.query(PostgresQuery(unsafeSQL: Self.insertStatement, binds: binds), logger: logger)
    }

    /// `WITH e AS (INSERT … SELECT … FROM json_populate_recordset(NULL::table, $n) ON CONFLICT DO NOTHING), …`.
    /// Identifiers are the constants below, never input.
    static let insertStatement: String = {
        let parts = tables.enumerated().map { index, table in
            let columns = table.columns.joined(separator: ", ")
            return "i\(index) AS (INSERT INTO \(table.target) (\(columns)) SELECT \(columns) "
                + "FROM json_populate_recordset(NULL::\(table.target), $\(index + 1)::json) ON CONFLICT DO NOTHING)"
        }
        return "WITH " + parts.joined(separator: ", ") + " SELECT 1"
    }()

    /// An audit table and the columns Cutover writes (the rest have defaults).
    struct Table: Sendable {
        var target: String
        var columns: [String]
    }

    static let tables = [
        Table(target: "cutover.exchanges", columns: CopyTextEncoder.exchangeColumns),
        Table(target: "cutover.side_calls", columns: CopyTextEncoder.sideCallColumns),
        Table(target: "cutover.comparisons", columns: CopyTextEncoder.comparisonColumns),
    ]

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
            try await client.query("SELECT cutover.ensure_audit_partitions(\(date), 1)", logger: logger)
            knownMonths.withLock { _ = $0.insert(key) }
        }
    }

    static func monthKey(_ date: Date) -> Int64 {
        let days = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let (year, month, _) = CivilCalendar.date(fromDays: days)
        return year * 100 + month
    }

    /// Whether PostgreSQL answered with an error (the data was refused), as opposed to being unreachable.
    static func isServerError(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .server
    }
}
