import CutoverCore
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// Builds a ``ParallelRunReport`` with aggregate SQL: the database counts, sorts and takes percentiles; no exchange
/// row is loaded into memory, so a report over a million exchanges needs no more memory than one over a thousand.
public struct ReportBuilder: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// `progress` is told each step as it starts (for a terminal).
    public func build(
        flow: String, since: Date, until: Date = Date(), minimumExchanges: Int?, minimumMatchRate: Double?,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> ParallelRunReport {
        progress("volume")
        let volume = try await self.volume(flow, since, until)
        progress("verdicts")
        let verdicts = try await self.verdicts(flow, since, until)
        progress("differing fields")
        let fields = try await topFields(flow, since, until)
        progress("latency")
        let latency = try await self.latency(flow, since, until)
        let histogram = try await latencyHistogram(flow, since, until)
        progress("mode changes")
        let timeline = try await FlowStateStore(client: client, logger: logger).history(flow, limit: 1_000)
            .filter { $0.changedAt >= since && $0.changedAt <= until }
            .map {
                ParallelRunReport.ModeChange(
                    at: $0.changedAt, from: $0.from?.description, to: $0.to.description, actor: $0.actor,
                    reason: $0.reason, automatic: $0.actor == GuardStore.actor)
            }
            .reversed()
        progress("time series")
        let bucketSeconds = Self.bucketSeconds(for: until.timeIntervalSince(since))
        let buckets = try await self.buckets(flow, since, until, bucketSeconds)
        var counts: [Verdict: Int] = [:]
        for (name, count) in verdicts { if let verdict = Verdict(rawValue: name) { counts[verdict] = count } }
        progress("reconciliation")
        let reconciliation = try await ReconciliationStore(client: client, logger: logger).latest(flows: [flow]).first
            .map { stored in
                ParallelRunReport.Reconciliation(
                    at: stored.startedAt, legacyRecords: stored.legacyCount, newRecords: stored.newCount,
                    onlyInLegacy: stored.onlyLegacy, onlyInNew: stored.onlyNew, changed: stored.changed,
                    totals: Self.totals(stored.result))
            }
        return ParallelRunReport(
            flow: flow, since: since, until: until, exchanges: volume.reduce(0) { $0 + $1.exchanges }, volume: volume,
            verdicts: verdicts, topFields: fields, latency: latency, latencyHistogram: histogram,
            deadLetters: try await DeadLetterStore(client: client, logger: logger).created(
                flow: flow, since: since, until: until),
            timeline: Array(timeline),
            readiness: ReadinessAssessment.assess(
                flow: flow, minimumExchanges: minimumExchanges, minimumMatchRate: minimumMatchRate, counts: counts),
            bucketSeconds: bucketSeconds, buckets: buckets, reconciliation: reconciliation)
    }

    /// The control totals of a stored reconciliation's JSON: name → [legacy, new].
    static func totals(_ json: String) -> [String: [String]] {
        guard case .object(let members)? = (try? JSONValue.parse(json))?.value(at: "/totals") else { return [:] }
        var totals: [String: [String]] = [:]
        for (name, value) in members {
            totals[name] = [value.value(at: "/legacy")?.scalarText ?? "-", value.value(at: "/new")?.scalarText ?? "-"]
        }
        return totals
    }

    /// About 48 buckets over the period, in whole seconds (5 s at least: a short run, a demo), minutes, hours
    /// or days.
    static func bucketSeconds(for period: TimeInterval) -> Int {
        let wanted = max(5, period / 48)
        for size in [5, 10, 15, 30, 60, 300, 900, 3_600, 10_800, 21_600, 86_400] where Double(size) >= wanted {
            return size
        }
        return 86_400 * Int((wanted / 86_400).rounded(.up))
    }

    static let verdictJoin = AuditQueries.verdictJoin

    func volume(_ flow: String, _ since: Date, _ until: Date) async throws -> [ParallelRunReport.Volume] {
        var result: [ParallelRunReport.Volume] = []
        for try await (mode, servedBy, count) in try await client.query(
            """
            SELECT mode, served_by, count(*)::int FROM cutover.exchanges
            WHERE flow = \(flow) AND started_at >= \(since) AND started_at < \(until)
              AND kind IN \(unescaped: AuditQueries.trafficKinds)
            GROUP BY 1, 2 ORDER BY 1, 2
            """, logger: logger
        ).decode((String, String?, Int).self) {
            result.append(.init(mode: mode, servedBy: servedBy, exchanges: count))
        }
        return result
    }

    func verdicts(_ flow: String, _ since: Date, _ until: Date) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for try await (verdict, count) in try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT coalesce(c.verdict, e.verdict, 'pending'), count(*)::int FROM cutover.exchanges e
                    \(Self.verdictJoin)
                    WHERE e.flow = $1 AND e.started_at >= $2 AND e.started_at < $3
                      AND e.kind IN \(AuditQueries.trafficKinds) GROUP BY 1
                    """, binds: Self.binds(flow, since, until)), logger: logger
        ).decode((String, Int).self) {
            result[verdict] = count
        }
        return result
    }

    func topFields(_ flow: String, _ since: Date, _ until: Date, limit: Int = 10) async throws
        -> [ParallelRunReport.FieldCount]
    {
        var result: [ParallelRunReport.FieldCount] = []
        for try await (path, count, examples) in try await client.query(
            """
            SELECT d->>'path', count(*)::int,
                   (array_agg(e.correlation_id ORDER BY c.compared_at DESC))[1:3]
            FROM cutover.comparisons c
            JOIN cutover.exchanges e ON e.id = c.exchange_id AND e.started_at = c.exchange_started_at
            CROSS JOIN LATERAL jsonb_array_elements(c.diff) d
            WHERE c.flow = \(flow) AND c.exchange_started_at >= \(since) AND c.exchange_started_at < \(until)
              AND c.verdict = 'mismatch' AND e.kind IN \(unescaped: AuditQueries.trafficKinds)
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT \(limit)
            """, logger: logger
        ).decode((String, Int, [String]).self) {
            result.append(.init(path: path, occurrences: count, examples: examples))
        }
        return result
    }

    func latency(_ flow: String, _ since: Date, _ until: Date) async throws -> [ParallelRunReport.Latency] {
        var result: [ParallelRunReport.Latency] = []
        for try await (side, calls, p50, p90, p99) in try await client.query(
            """
            SELECT s.side, count(*)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY s.latency_seconds),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY s.latency_seconds),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY s.latency_seconds)
            FROM cutover.side_calls s
            JOIN cutover.exchanges e ON e.id = s.exchange_id AND e.started_at = s.exchange_started_at
            WHERE e.flow = \(flow) AND s.exchange_started_at >= \(since) AND s.exchange_started_at < \(until)
              AND s.latency_seconds IS NOT NULL
            GROUP BY 1 ORDER BY 1
            """, logger: logger
        ).decode((String, Int, Double?, Double?, Double?).self) {
            result.append(.init(side: side, calls: calls, p50Seconds: p50, p90Seconds: p90, p99Seconds: p99))
        }
        return result
    }

    /// Upper bounds (seconds) of the latency histogram's bins; one more bin holds everything slower.
    static let latencyBounds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]

    func latencyHistogram(_ flow: String, _ since: Date, _ until: Date) async throws -> [ParallelRunReport.LatencyBin] {
        var binds = Self.binds(flow, since, until)
        binds.append(Self.latencyBounds)
        var counts: [String: [Int: Int]] = [:]
        for try await (side, bin, calls) in try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT s.side, width_bucket(s.latency_seconds, $4::float8[]), count(*)::int
                    FROM cutover.side_calls s
                    JOIN cutover.exchanges e ON e.id = s.exchange_id AND e.started_at = s.exchange_started_at
                    WHERE e.flow = $1 AND s.exchange_started_at >= $2 AND s.exchange_started_at < $3
                      AND s.latency_seconds IS NOT NULL AND e.kind IN \(AuditQueries.trafficKinds)
                    GROUP BY 1, 2
                    """, binds: binds), logger: logger
        ).decode((String, Int, Int).self) {
            counts[side, default: [:]][bin] = calls
        }
        // width_bucket gives 0 below the first bound, k for [bound k-1, bound k), and n at or above the last: so
        // slot k has upper bound bounds[k], and slot n is open.
        var bins: [ParallelRunReport.LatencyBin] = []
        for side in counts.keys.sorted() {
            let bySlot = counts[side] ?? [:]
            for index in 0...Self.latencyBounds.count {
                let calls = bySlot[index] ?? 0
                let bound = index < Self.latencyBounds.count ? Self.latencyBounds[index] : nil
                bins.append(.init(side: side, upperBoundSeconds: bound, calls: calls))
            }
        }
        return bins
    }

    func buckets(_ flow: String, _ since: Date, _ until: Date, _ seconds: Int) async throws
        -> [ParallelRunReport.Bucket]
    {
        var binds = Self.binds(flow, since, until)
        binds.append(Double(seconds))
        var result: [ParallelRunReport.Bucket] = []
        for try await (start, exchanges, compared, matches) in try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT to_timestamp(floor(extract(epoch FROM e.started_at) / $4) * $4), count(*)::int,
                           count(*) FILTER (WHERE coalesce(c.verdict, e.verdict) IN ('match', 'mismatch', 'new_error'))::int,
                           count(*) FILTER (WHERE coalesce(c.verdict, e.verdict) = 'match')::int
                    FROM cutover.exchanges e
                    \(Self.verdictJoin)
                    WHERE e.flow = $1 AND e.started_at >= $2 AND e.started_at < $3
                      AND e.kind IN \(AuditQueries.trafficKinds)
                    GROUP BY 1 ORDER BY 1
                    """, binds: binds), logger: logger
        ).decode((Date, Int, Int, Int).self) {
            result.append(.init(start: start, exchanges: exchanges, compared: compared, matches: matches))
        }
        return result
    }

    static func binds(_ flow: String, _ since: Date, _ until: Date) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 4)
        binds.append(flow)
        binds.append(since)
        binds.append(until)
        return binds
    }
}
