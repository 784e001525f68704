import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// The auto-rollback guard's view of the audit store, and the record of what it did.
public struct GuardStore: Sendable {
    /// The actor recorded in a flow's history for the guard's rollbacks.
    public static let actor = "auto-rollback"

    /// One finding of the guard, newest first in `findings`.
    public struct Finding: Sendable, Hashable, Codable {
        public var id: Int64
        public var flow: String
        /// `rollback`, or `would_rollback` in dry-run.
        public var action: String
        public var flowVersion: Int64
        public var figures: String
        public var foundAt: Date
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The new side's outcomes among the latest `size` exchanges of `flow` started since `since` that it took part
    /// in: those judged against legacy (`match`, `mismatch`, `new_error`) and those it served alone (`not_compared`,
    /// served by new), which count as successes. Only traffic counts (calls, records, rows): files, job runs and
    /// replays are containers or re-runs.
    public func window(flow: String, since: Date, size: Int) async throws -> GuardWindow {
        let rows = try await client.query(
            """
            SELECT count(*)::int,
                   count(*) FILTER (WHERE w.verdict = 'new_error')::int,
                   count(*) FILTER (WHERE w.verdict = 'new_error' AND EXISTS (
                       SELECT 1 FROM cutover.side_calls s
                       WHERE s.exchange_id = w.id AND s.exchange_started_at = w.started_at AND s.side = 'new'
                         AND s.error LIKE 'ERP timeout%'))::int,
                   count(*) FILTER (WHERE w.verdict = 'mismatch')::int
            FROM (
                SELECT e.id, e.started_at, coalesce(c.verdict, e.verdict) AS verdict
                FROM cutover.exchanges e
                \(unescaped: AuditQueries.verdictJoin)
                WHERE e.flow = \(flow) AND e.started_at >= \(since) AND e.kind IN \(unescaped: AuditQueries.trafficKinds)
                  AND (coalesce(c.verdict, e.verdict) IN ('match', 'mismatch', 'new_error')
                       OR (e.served_by = 'new' AND coalesce(c.verdict, e.verdict) = 'not_compared'))
                ORDER BY e.started_at DESC LIMIT \(size)
            ) w
            """, logger: logger)
        var window = GuardWindow(sample: 0, newErrors: 0, timeouts: 0, mismatches: 0, since: since)
        for try await (sample, errors, timeouts, mismatches) in rows.decode((Int, Int, Int, Int).self) {
            window = GuardWindow(
                sample: sample, newErrors: errors, timeouts: timeouts, mismatches: mismatches, since: since)
        }
        return window
    }

    /// When the guard last found a breach of `flow` (acted or dry-run), if ever.
    public func lastFinding(flow: String) async throws -> Date? {
        let rows = try await client.query(
            "SELECT max(found_at) FROM cutover.guard_findings WHERE flow = \(flow)", logger: logger)
        var last: Date?
        for try await (at) in rows.decode(Date?.self) { last = at }
        return last
    }

    /// Rolls `flow` back to legacy if it is still at `version`, recording the finding in the same transaction.
    /// Returns nil when another instance (or an operator) changed the flow first: only one acts.
    public func rollback(flow: String, version: Int64, reason: String, figures: String) async throws -> FlowChange? {
        let store = FlowStateStore(client: client, logger: logger)
        do {
            return try await client.transaction(logger: logger) { connection in
                let change = try await store.rollback(
                    flow, actor: Self.actor, reason: reason, expectedVersion: version, figures: figures,
                    on: connection)
                try await connection.run(
                    """
                    INSERT INTO cutover.guard_findings (flow, action, flow_version, figures)
                    VALUES (\(flow), 'rollback', \(version), \(figures)::jsonb)
                    """, logger: logger)
                return change
            }
        } catch let error as FlowStateError where error.code == .versionConflict || error.code == .unchanged {
            return nil
        }
    }

    /// Records a dry-run finding, unless one for `flow` is younger than `cooldown` (every instance may find the
    /// same breach; one records it). Returns whether it was recorded.
    @discardableResult
    public func recordDryRun(flow: String, version: Int64, figures: String, cooldown: Duration) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(
                "SELECT pg_advisory_xact_lock(hashtext('cutover.guard:' || \(flow)))", logger: logger)
            let rows = try await connection.query(
                """
                INSERT INTO cutover.guard_findings (flow, action, flow_version, figures)
                SELECT \(flow), 'would_rollback', \(version), \(figures)::jsonb
                WHERE NOT EXISTS (
                    SELECT 1 FROM cutover.guard_findings
                    WHERE flow = \(flow) AND found_at > now() - make_interval(secs => \(cooldown.inSeconds)))
                RETURNING id
                """, logger: logger)
            var inserted = false
            for try await _ in rows { inserted = true }
            return inserted
        }
    }

    /// The guard's findings for `flow` (all flows when nil), newest first.
    public func findings(flow: String?, limit: Int = 100) async throws -> [Finding] {
        let rows = try await client.query(
            """
            SELECT id, flow, action, flow_version, figures::text, found_at FROM cutover.guard_findings
            WHERE \(flow)::text IS NULL OR flow = \(flow) ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Finding] = []
        for try await (id, name, action, version, figures, at) in rows.decode(
            (Int64, String, String, Int64, String, Date).self)
        {
            found.append(
                Finding(id: id, flow: name, action: action, flowVersion: version, figures: figures, foundAt: at))
        }
        return found
    }
}
