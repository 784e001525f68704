import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Read-only questions to the audit store. An exchange's verdict is its latest comparison's, else the verdict
/// recorded on the exchange itself; an exchange whose other side is still being called has none yet.
public struct AuditQueries: Sendable {
    public struct Tally: Sendable, Hashable {
        public var mode: String
        public var servedBy: String?
        public var verdict: String?
        public var count: Int
    }

    public struct Mismatch: Sendable, Hashable {
        public var correlationID: String
        public var routingKey: String?
        public var diff: [FieldDiff]
    }

    let client: PostgresClient
    let logger: Logger

    /// Joins each exchange `e` to its verdict `c.verdict`: its latest comparison's (use `coalesce(c.verdict,
    /// e.verdict)` for the exchange's own when it has none). A constant, never input.
    public static let verdictJoin = """
        LEFT JOIN LATERAL (
            SELECT verdict FROM cutover.comparisons c
            WHERE c.exchange_id = e.id AND c.exchange_started_at = e.started_at
            ORDER BY c.compared_at DESC LIMIT 1) c ON true
        """

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Exchanges of `flow` since `since`, counted by mode, serving side and verdict.
    public func tally(flow: String, since: Date) async throws -> [Tally] {
        let rows = try await client.query(
            """
            SELECT e.mode, e.served_by, coalesce(c.verdict, e.verdict), count(*)::int
            FROM cutover.exchanges e
            \(unescaped: Self.verdictJoin)
            WHERE e.flow = \(flow) AND e.started_at >= \(since)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, logger: logger)
        var tallies: [Tally] = []
        for try await (mode, servedBy, verdict, count) in rows.decode((String, String?, String?, Int).self) {
            tallies.append(Tally(mode: mode, servedBy: servedBy, verdict: verdict, count: count))
        }
        return tallies
    }

    /// Exchanges of `flow` since `since` by verdict (exchanges still waiting for their comparison are left out).
    public func verdictCounts(flow: String, since: Date) async throws -> [Verdict: Int] {
        let rows = try await client.query(
            """
            SELECT coalesce(c.verdict, e.verdict), count(*)::int
            FROM cutover.exchanges e
            \(unescaped: Self.verdictJoin)
            WHERE e.flow = \(flow) AND e.started_at >= \(since) AND coalesce(c.verdict, e.verdict) IS NOT NULL
            GROUP BY 1
            """, logger: logger)
        var counts: [Verdict: Int] = [:]
        for try await (verdict, count) in rows.decode((String, Int).self) {
            if let verdict = Verdict(rawValue: verdict) { counts[verdict] = count }
        }
        return counts
    }

    /// The latest mismatches of `flow` since `since`, newest first.
    public func mismatches(flow: String, since: Date, limit: Int = 10) async throws -> [Mismatch] {
        let rows = try await client.query(
            """
            SELECT e.correlation_id, e.routing_key, c.diff::text
            FROM cutover.comparisons c
            JOIN cutover.exchanges e ON e.id = c.exchange_id AND e.started_at = c.exchange_started_at
            WHERE c.flow = \(flow) AND c.exchange_started_at >= \(since) AND c.verdict = 'mismatch'
            ORDER BY c.compared_at DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Mismatch] = []
        for try await (correlationID, key, diff) in rows.decode((String, String?, String).self) {
            let decoded = (try? JSONDecoder().decode([FieldDiff].self, from: Data(diff.utf8))) ?? []
            found.append(Mismatch(correlationID: correlationID, routingKey: key, diff: decoded))
        }
        return found
    }
}
