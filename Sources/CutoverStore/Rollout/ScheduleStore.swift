import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Mode changes asked for at a later time (`cutover flow set … --at`). Any instance may apply a due change; the
/// change and the mark that it was applied commit together, under a row lock that others skip, so each is applied
/// once.
public struct ScheduleStore: Sendable {
    public struct ScheduledChange: Sendable, Hashable, Codable {
        public enum State: String, Sendable, Codable { case pending, applied, failed, cancelled }

        public var id: Int64
        public var flow: String
        public var setting: ModeSetting
        public var reason: String
        public var force: Bool
        public var dueAt: Date
        public var createdBy: String
        public var createdAt: Date
        public var state: State
        public var settledAt: Date?
        public var settledBy: String?
        /// What happened: the new version, or why it could not be applied.
        public var outcome: String?
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Plans `setting` for `flow` at `dueAt`. The flow must exist and the reason must be given now; whether the move
    /// is allowed is checked when it is due, against the flow's mode then.
    public func schedule(
        flow: String, to setting: ModeSetting, at dueAt: Date, reason: String, force: Bool, actor: String
    ) async throws -> ScheduledChange {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw FlowStateError(
                code: .missingReason, flow: flow, message: "a reason is required for every mode change")
        }
        guard try await FlowStateStore(client: client, logger: logger).state(flow) != nil else {
            throw FlowStateError(
                code: .unknownFlow, flow: flow, message: "no flow named '\(flow)' (see cutover flow list)")
        }
        let rows = try await client.query(
            """
            INSERT INTO cutover.scheduled_changes (flow, mode, percent, reason, force, due_at, created_by)
            VALUES (\(flow), \(setting.mode.rawValue), \(setting.percent), \(reason), \(force), \(dueAt), \(actor))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let change = try await Self.decode(rows).first else {
            throw FlowStateError(code: .unknownFlow, flow: flow, message: "the scheduled change was not stored")
        }
        return change
    }

    /// Scheduled changes, soonest first; only pending ones unless `all`.
    public func list(flow: String? = nil, all: Bool = false) async throws -> [ScheduledChange] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM cutover.scheduled_changes
            WHERE (\(flow)::text IS NULL OR flow = \(flow)) AND (\(all) OR state = 'pending')
            ORDER BY due_at, id
            """, logger: logger)
        return try await Self.decode(rows)
    }

    /// Cancels a pending change. Returns nil when there is no such pending change (unknown, applied or cancelled).
    public func cancel(id: Int64, actor: String) async throws -> ScheduledChange? {
        let rows = try await client.query(
            """
            UPDATE cutover.scheduled_changes
            SET state = 'cancelled', settled_at = now(), settled_by = \(actor), outcome = 'cancelled'
            WHERE id = \(id) AND state = 'pending'
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try await Self.decode(rows).first
    }

    /// What a due change must pass besides the transition rules (the readiness gate for `new`): given the change and
    /// the flow's setting now, the figures to store with it, or a ``FlowStateError`` refusing it.
    public typealias Gate = @Sendable (ScheduledChange, ModeSetting?) async throws -> String?

    /// Applies every change that is due, one transaction each, and returns them as settled. A change that is no
    /// longer allowed (say the flow was rolled back meanwhile and the move now skips a step, or it fails the gate)
    /// is settled as `failed` with the reason, never retried.
    public func applyDue(by applier: String, gate: Gate = { _, _ in nil }) async throws -> [ScheduledChange] {
        var settled: [ScheduledChange] = []
        while let change = try await applyNext(by: applier, gate: gate) { settled.append(change) }
        return settled
    }

    private func applyNext(by applier: String, gate: Gate) async throws -> ScheduledChange? {
        let store = FlowStateStore(client: client, logger: logger)
        return try await client.transaction(logger: logger) { connection -> ScheduledChange? in
            let due = try await Self.decode(
                connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM cutover.scheduled_changes
                    WHERE state = 'pending' AND due_at <= now()
                    ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, logger: logger))
            guard var change = due.first else { return nil }
            let actor = "\(change.createdBy) (scheduled #\(change.id))"
            do {
                try await connection.run("SAVEPOINT apply_change", logger: logger)
                let figures = try await gate(change, try await store.state(change.flow)?.setting)
                let applied = try await store.change(
                    change.flow, to: change.setting, actor: actor, reason: change.reason, force: change.force,
                    figures: figures, on: connection)
                change.state = .applied
                change.outcome = "applied as version \(applied.version)"
            } catch let error as FlowStateError {
                try await connection.run("ROLLBACK TO SAVEPOINT apply_change", logger: logger)
                change.state = .failed
                change.outcome = error.message
            }
            let rows = try await connection.query(
                """
                UPDATE cutover.scheduled_changes
                SET state = \(change.state.rawValue), settled_at = now(), settled_by = \(applier), outcome = \(change.outcome)
                WHERE id = \(change.id)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            return try await Self.decode(rows).first
        }
    }

    private static let columns =
        "id, flow, mode, percent::float8, reason, force, due_at, created_by, created_at, state, settled_at, settled_by, outcome"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [ScheduledChange] {
        var result: [ScheduledChange] = []
        for try await row in rows {
            let (
                id, flow, mode, percent, reason, force, dueAt, createdBy, createdAt, state, settledAt, settledBy,
                outcome
            ) =
                try row.decode(
                    (Int64, String, String, Double, String, Bool, Date, String, Date, String, Date?, String?, String?)
                        .self)
            result.append(
                ScheduledChange(
                    id: id, flow: flow, setting: ModeSetting(mode: Mode(rawValue: mode) ?? .legacy, percent: percent),
                    reason: reason, force: force, dueAt: dueAt, createdBy: createdBy, createdAt: createdAt,
                    state: ScheduledChange.State(rawValue: state) ?? .pending, settledAt: settledAt,
                    settledBy: settledBy, outcome: outcome))
        }
        return result
    }
}
