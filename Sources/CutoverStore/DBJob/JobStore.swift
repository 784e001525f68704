import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Database jobs' schedule, runs and shadow bookkeeping (migration 0010).
public struct JobStore: Sendable {
    public struct Run: Sendable, Hashable {
        public var id: UUID
        public var flow: String
        public var trigger: String
        public var slot: Date?
        public var instance: String
        public var mode: String
        public var startedAt: Date
        public var finishedAt: Date?
        public var outcome: String
        public var rowsSeen: Int
        public var rowsSent: Int
        public var rowsFailed: Int
        public var legacyRan: Bool
        public var error: String?
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Makes sure `flow` has a schedule row; a changed schedule starts again from `first`.
    public func seedSchedule(flow: String, schedule: String, first: Date) async throws {
        try await client.run(
            """
            INSERT INTO cutover.job_schedule AS s (flow, schedule, next_run_at) VALUES (\(flow), \(schedule), \(first))
            ON CONFLICT (flow) DO UPDATE SET schedule = excluded.schedule, next_run_at = excluded.next_run_at
            WHERE s.schedule <> excluded.schedule
            """, logger: logger)
    }

    /// Takes `flow`'s run if it is due: moves `next_run_at` on to `next` and returns the slot taken. Of several
    /// instances asking at once exactly one gets each slot.
    public func takeDue(flow: String, next: Date) async throws -> Date? {
        let rows = try await client.query(
            """
            WITH due AS (
                SELECT flow, next_run_at FROM cutover.job_schedule
                WHERE flow = \(flow) AND next_run_at <= now() FOR UPDATE SKIP LOCKED)
            UPDATE cutover.job_schedule s SET next_run_at = \(next) FROM due WHERE s.flow = due.flow
            RETURNING due.next_run_at
            """, logger: logger)
        for try await (slot, ) in rows.decode((Date,).self) { return slot }
        return nil
    }

    public func startRun(
        id: UUID, flow: String, trigger: String, slot: Date?, instance: String, setting: ModeSetting, startedAt: Date
    ) async throws {
        try await client.run(
            """
            INSERT INTO cutover.job_runs (id, flow, trigger, slot, instance, mode, percent, started_at)
            VALUES (\(id), \(flow), \(trigger), \(slot), \(instance), \(setting.mode.rawValue), \(setting.percent),
                \(startedAt))
            """, logger: logger)
    }

    public func finishRun(
        id: UUID, succeeded: Bool, rowsSeen: Int, rowsSent: Int, rowsFailed: Int, legacyRan: Bool, error: String?
    ) async throws {
        try await client.run(
            """
            UPDATE cutover.job_runs SET finished_at = now(), outcome = \(succeeded ? "succeeded" : "failed"),
                rows_seen = \(rowsSeen), rows_sent = \(rowsSent), rows_failed = \(rowsFailed),
                legacy_ran = \(legacyRan), error = \(error)
            WHERE id = \(id)
            """, logger: logger)
    }

    /// The keys among `keys` that a shadow run already sent.
    public func sentKeys(flow: String, among keys: [String]) async throws -> Set<String> {
        var sent = Set<String>()
        for try await (key, ) in try await client.query(
            "SELECT row_key FROM cutover.job_sent WHERE flow = \(flow) AND row_key = ANY(\(keys))", logger: logger
        ).decode((String,).self) {
            sent.insert(key)
        }
        return sent
    }

    public func markSent(flow: String, key: String, run: UUID) async throws {
        try await client.run(
            """
            INSERT INTO cutover.job_sent (flow, row_key, run_id) VALUES (\(flow), \(key), \(run))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The latest runs of `flow`, newest first.
    public func runs(flow: String, limit: Int = 50) async throws -> [Run] {
        var runs: [Run] = []
        for try await row in try await client.query(
            """
            SELECT id, flow, trigger, slot, instance, mode, started_at, finished_at, outcome, rows_seen, rows_sent,
                rows_failed, legacy_ran, error
            FROM cutover.job_runs WHERE flow = \(flow) ORDER BY started_at DESC LIMIT \(limit)
            """, logger: logger)
        {
            let (
                id, flow, trigger, slot, instance, mode, startedAt, finishedAt, outcome, seen, sent, failed, ran, error
            ) =
                try row.decode(
                    (UUID, String, String, Date?, String, String, Date, Date?, String, Int, Int, Int, Bool, String?)
                        .self)
            runs.append(
                Run(
                    id: id, flow: flow, trigger: trigger, slot: slot, instance: instance, mode: mode,
                    startedAt: startedAt, finishedAt: finishedAt, outcome: outcome, rowsSeen: seen, rowsSent: sent,
                    rowsFailed: failed, legacyRan: ran, error: error))
        }
        return runs
    }
}
