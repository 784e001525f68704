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

    /// One exchange as `cutover audit search` and `GET /admin/audit` list it.
    public struct ExchangeSummary: Sendable, Hashable, Codable {
        public var id: UUID
        public var flow: String
        public var kind: String
        public var correlationID: String
        public var traceID: String?
        public var routingKey: String?
        public var mode: String
        public var percent: Double
        public var servedBy: String?
        public var startedAt: Date
        public var finishedAt: Date?
        public var verdict: String?
        /// The latest comparison's field differences (JSON array), when it has any.
        public var diff: String?
    }

    /// What to search for; every criterion given must hold.
    public struct SearchCriteria: Sendable, Hashable {
        public var flow: String?
        public var correlationID: String?
        public var verdict: Verdict?
        public var since: Date
        public var limit: Int

        public init(flow: String? = nil, correlationID: String? = nil, verdict: Verdict? = nil, since: Date, limit: Int)
        {
            self.flow = flow
            self.correlationID = correlationID
            self.verdict = verdict
            self.since = since
            self.limit = min(max(limit, 1), 1000)
        }
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

    /// The exchange kinds that are traffic: files and job runs contain records and rows, and replays re-send
    /// recorded work, so none of those three is counted as traffic or evidence. A constant, never input.
    public static let trafficKinds = "('call', 'record', 'row')"

    /// Exchanges of `flow` since `since`, counted by mode, serving side and verdict.
    public func tally(flow: String, since: Date) async throws -> [Tally] {
        let rows = try await client.query(
            """
            SELECT e.mode, e.served_by, coalesce(c.verdict, e.verdict), count(*)::int
            FROM cutover.exchanges e
            \(unescaped: Self.verdictJoin)
            WHERE e.flow = \(flow) AND e.started_at >= \(since) AND e.kind IN \(unescaped: Self.trafficKinds)
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
              AND e.kind IN \(unescaped: Self.trafficKinds)
            GROUP BY 1
            """, logger: logger)
        var counts: [Verdict: Int] = [:]
        for try await (verdict, count) in rows.decode((String, Int).self) {
            if let verdict = Verdict(rawValue: verdict) { counts[verdict] = count }
        }
        return counts
    }

    /// Exchanges matching `criteria`, newest first, at most `criteria.limit` (1 to 1,000).
    public func search(_ criteria: SearchCriteria) async throws -> [ExchangeSummary] {
        let rows = try await client.query(
            """
            SELECT e.id, e.flow, e.kind, e.correlation_id, e.trace_id, e.routing_key, e.mode, e.percent::float8,
                   e.served_by, e.started_at, e.finished_at, coalesce(c.verdict, e.verdict),
                   CASE WHEN c.diff IS NULL OR c.diff = '[]'::jsonb THEN NULL ELSE c.diff::text END
            FROM cutover.exchanges e
            LEFT JOIN LATERAL (
                SELECT verdict, diff FROM cutover.comparisons c
                WHERE c.exchange_id = e.id AND c.exchange_started_at = e.started_at
                ORDER BY c.compared_at DESC LIMIT 1) c ON true
            WHERE e.started_at >= \(criteria.since)
              AND (\(criteria.flow)::text IS NULL OR e.flow = \(criteria.flow))
              AND (\(criteria.correlationID)::text IS NULL OR e.correlation_id = \(criteria.correlationID))
              AND (\(criteria.verdict?.rawValue)::text IS NULL OR coalesce(c.verdict, e.verdict) = \(criteria.verdict?.rawValue))
            ORDER BY e.started_at DESC LIMIT \(criteria.limit)
            """, logger: logger)
        var found: [ExchangeSummary] = []
        for try await row in rows {
            let (
                id, flow, kind, correlationID, traceID, routingKey, mode, percent, servedBy, startedAt, finishedAt,
                verdict, diff
            ) = try row.decode(
                (
                    UUID, String, String, String, String?, String?, String, Double, String?, Date, Date?, String?,
                    String?
                ).self)
            found.append(
                ExchangeSummary(
                    id: id, flow: flow, kind: kind, correlationID: correlationID, traceID: traceID,
                    routingKey: routingKey, mode: mode, percent: percent, servedBy: servedBy, startedAt: startedAt,
                    finishedAt: finishedAt, verdict: verdict, diff: diff))
        }
        return found
    }

    /// A recorded call with what legacy was asked and answered, for a replay to the new side.
    public struct Recorded: Sendable, Hashable {
        public var exchangeID: UUID
        public var startedAt: Date
        public var correlationID: String
        /// The caller's request as stored (redacted).
        public var legacyRequest: String
        /// Legacy's answer as stored (redacted), when it answered 200.
        public var legacyResponse: String?
        public var verdict: String?
        /// The latest comparison's id, which a replay's comparison re-does.
        public var comparisonID: UUID?
    }

    /// `flow`'s recorded calls matching `criteria` that reached legacy, oldest first.
    public func recordedCalls(_ criteria: SearchCriteria) async throws -> [Recorded] {
        let rows = try await client.query(
            """
            SELECT e.id, e.started_at, e.correlation_id, s.request,
                   CASE WHEN s.status = 200 THEN s.response END, coalesce(c.verdict, e.verdict), c.id
            FROM cutover.exchanges e
            JOIN cutover.side_calls s
              ON s.exchange_id = e.id AND s.exchange_started_at = e.started_at AND s.side = 'legacy' AND s.attempt = 1
            LEFT JOIN LATERAL (
                SELECT id, verdict FROM cutover.comparisons c
                WHERE c.exchange_id = e.id AND c.exchange_started_at = e.started_at AND c.replay_of IS NULL
                ORDER BY c.compared_at DESC LIMIT 1) c ON true
            WHERE e.flow = \(criteria.flow) AND e.kind = 'call' AND e.started_at >= \(criteria.since)
              AND s.request IS NOT NULL
              AND (\(criteria.correlationID)::text IS NULL OR e.correlation_id = \(criteria.correlationID))
              AND (\(criteria.verdict?.rawValue)::text IS NULL OR coalesce(c.verdict, e.verdict) = \(criteria.verdict?.rawValue))
            ORDER BY e.started_at LIMIT \(criteria.limit)
            """, logger: logger)
        var found: [Recorded] = []
        for try await (id, startedAt, correlationID, request, response, verdict, comparisonID) in rows.decode(
            (UUID, Date, String, String, String?, String?, UUID?).self)
        {
            found.append(
                Recorded(
                    exchangeID: id, startedAt: startedAt, correlationID: correlationID, legacyRequest: request,
                    legacyResponse: response, verdict: verdict, comparisonID: comparisonID))
        }
        return found
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
