import CutoverCore
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@Suite("Append-only audit tables", .timeLimit(.minutes(3)))
struct AppendOnlyTests {
    let logger = TestPostgres.logger

    /// The SQLSTATE of a statement that must fail.
    func sqlState(of sql: String, on client: PostgresClient) async -> String? {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState]
        } catch {
            return "unexpected"
        }
    }

    func seedAuditRows(_ client: PostgresClient) async throws -> String {
        let started = Date()
        let id = UUID()
        let inserts: [PostgresQuery] = [
            """
            INSERT INTO cutover.exchanges (id, flow, kind, correlation_id, mode, started_at)
            VALUES (\(id), 'po', 'call', 'c1', 'legacy', \(started))
            """,
            """
            INSERT INTO cutover.side_calls (exchange_id, exchange_started_at, side, attempt, started_at)
            VALUES (\(id), \(started), 'legacy', 1, \(started))
            """,
            """
            INSERT INTO cutover.comparisons (id, exchange_id, exchange_started_at, flow, verdict, compared_at)
            VALUES (\(UUID()), \(id), \(started), 'po', 'match', \(started))
            """,
            "INSERT INTO cutover.flow_changes (flow, to_mode, to_percent, version, actor, reason) VALUES ('po', 'legacy', 0, 1, 't', 'r')",
        ]
        for insert in inserts { try await client.query(insert, logger: logger) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMM"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: started)
    }

    @Test("UPDATE, DELETE and TRUNCATE fail on every audit table and partition, even for a superuser")
    func superuserRefused() async throws {
        try await TestPostgres.withMigratedDatabase("appendonly") { client, _ in
            let month = try await seedAuditRows(client)
            let tables = [
                "cutover.exchanges", "cutover.side_calls", "cutover.comparisons", "cutover.flow_changes",
                "cutover.exchanges_\(month)", "cutover.side_calls_\(month)", "cutover.comparisons_\(month)",
            ]
            for table in tables {
                let column = table.contains("flow_changes") ? "reason" : table.contains("side_calls") ? "error" : "flow"
                #expect(
                    await sqlState(of: "UPDATE \(table) SET \(column) = 'x'", on: client) == "42501", "UPDATE \(table)")
                #expect(await sqlState(of: "DELETE FROM \(table)", on: client) == "42501", "DELETE \(table)")
                #expect(await sqlState(of: "TRUNCATE \(table)", on: client) == "42501", "TRUNCATE \(table)")
            }
            let rows = try await client.query("SELECT count(*)::int FROM cutover.exchanges", logger: logger).decode(
                Int.self
            )
            .reduce(0) { $0 + $1 }
            #expect(rows == 1)
        }
    }

    @Test("the service role may insert and read audit rows, never change them")
    func serviceRole() async throws {
        try await TestPostgres.withMigratedDatabase("appendonly") { client, _ in
            try await client.withConnection { connection in
                try await connection.query("SET ROLE cutover_service", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO cutover.exchanges (id, flow, kind, correlation_id, mode, started_at)
                    VALUES (\(UUID()), 'po', 'call', 'c2', 'legacy', now())
                    """, logger: logger)
                let count = try await connection.query("SELECT count(*)::int FROM cutover.exchanges", logger: logger)
                    .decode(Int.self).reduce(0) { $0 + $1 }
                #expect(count == 1)
                for statement in [
                    "UPDATE cutover.exchanges SET flow = 'x'", "DELETE FROM cutover.side_calls",
                    "TRUNCATE cutover.comparisons",
                ] {
                    await #expect(throws: PSQLError.self, "\(statement)") {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
                try await connection.query("RESET ROLE", logger: logger)
            }
        }
    }

    @Test("every side_calls partition, existing or made later, compresses payloads with lz4")
    func partitionCompression() async throws {
        try await TestPostgres.withMigratedDatabase("lz4") { client, _ in
            try await client.run(
                "SELECT cutover.ensure_audit_partitions(now() + interval '13 months', 1)", logger: TestPostgres.logger)
            var methods: [String: Int] = [:]
            for try await (method, count) in try await client.query(
                """
                SELECT coalesce(nullif(a.attcompression, ''), 'default'), count(*)::int
                FROM pg_inherits i JOIN pg_attribute a ON a.attrelid = i.inhrelid
                WHERE i.inhparent = 'cutover.side_calls'::regclass AND a.attname IN ('request', 'response', 'error')
                GROUP BY 1
                """, logger: TestPostgres.logger
            ).decode((String, Int).self) {
                methods[method] = count
            }
            #expect(methods.keys.sorted() == ["l"], "\(methods)")
            #expect((methods["l"] ?? 0) >= 6)
        }
    }

    @Test("retention drops whole partitions older than the cutoff and keeps the rest")
    func prune() async throws {
        try await TestPostgres.withMigratedDatabase("prune") { client, _ in
            let maintenance = AuditMaintenance(client: client, logger: logger)
            let old = Date().addingTimeInterval(-600 * 86_400)
            #expect(try await maintenance.ensurePartitionsAhead(months: 2, from: old) == 6)
            let dropped = try await maintenance.prune(endingBefore: Date().addingTimeInterval(-400 * 86_400))
            #expect(dropped.count == 6)
            #expect(
                dropped.allSatisfy {
                    $0.hasPrefix("exchanges_") || $0.hasPrefix("side_calls_") || $0.hasPrefix("comparisons_")
                })
            let remaining = try await client.query(
                "SELECT count(*)::int FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'exchanges'",
                logger: logger
            ).decode(Int.self).reduce(0) { $0 + $1 }
            #expect(remaining >= 4, "the months around now stay")
        }
    }
}
