import CutoverCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Writes one batch of audit records in one transaction: COPY into per-connection staging tables, then
/// `INSERT … SELECT … ON CONFLICT DO NOTHING` into the partitioned audit tables.
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
        var exchanges = ByteBuffer()
        var sideCalls = ByteBuffer()
        var comparisons = ByteBuffer()
        for record in records {
            switch record {
            case .exchange(let row): CopyTextEncoder.append(row, to: &exchanges)
            case .sideCall(let row): CopyTextEncoder.append(row, to: &sideCalls)
            case .comparison(let row): CopyTextEncoder.append(row, to: &comparisons)
            }
        }
        let tables: [(stage: String, target: String, columns: [String], rows: ByteBuffer)] = [
            ("cutover_stage_exchanges", "cutover.exchanges", CopyTextEncoder.exchangeColumns, exchanges),
            ("cutover_stage_side_calls", "cutover.side_calls", CopyTextEncoder.sideCallColumns, sideCalls),
            ("cutover_stage_comparisons", "cutover.comparisons", CopyTextEncoder.comparisonColumns, comparisons),
        ].filter { $0.rows.readableBytes > 0 }

        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                for table in tables {
                    // Identifiers below are constants of this file, never input.
                    try await connection.query(
                        "CREATE TEMP TABLE IF NOT EXISTS \(unescaped: table.stage) (LIKE \(unescaped: table.target) INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                        logger: logger
                    )
                    try await connection.copyFrom(table: table.stage, columns: table.columns, logger: logger) { writer in
                        try await writer.write(table.rows)
                    }
                    let columns = table.columns.joined(separator: ", ")
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: table.target) (\(unescaped: columns))
                        SELECT \(unescaped: columns) FROM \(unescaped: table.stage) ON CONFLICT DO NOTHING
                        """,
                        logger: logger
                    )
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

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
        let (year, month, _) = CopyTextEncoder.civil(fromDays: days)
        return year * 100 + month
    }

    /// Whether PostgreSQL answered with an error (the data was refused), as opposed to being unreachable.
    static func isServerError(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .server
    }
}
