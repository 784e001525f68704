import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// The live mode of every flow and its history, in PostgreSQL.
///
/// Each change runs in one transaction: lock the flow's row, check the move, bump the version, append the history
/// row and `NOTIFY cutover_flow_state`, so every instance's watcher hears of it as it commits.
public struct FlowStateStore: Sendable {
    public static let channel = "cutover_flow_state"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates the state of flows seen for the first time from their YAML `mode`; existing flows keep theirs.
    /// Returns the flows that were created.
    @discardableResult
    public func seed(_ flows: [(flow: String, setting: ModeSetting, source: String)], actor: String = "config")
        async throws -> [String]
    {
        var created: [String] = []
        for item in flows {
            let inserted = try await client.transaction(logger: logger) { connection in
                let reason = "first seen in \(item.source)"
                let rows = try await connection.query(
                    """
                    INSERT INTO cutover.flows (flow, mode, percent, version, changed_by, reason)
                    VALUES (\(item.flow), \(item.setting.mode.rawValue), \(item.setting.percent), 1, \(actor), \(reason))
                    ON CONFLICT (flow) DO NOTHING RETURNING flow
                    """, logger: logger)
                var inserted = false
                for try await _ in rows { inserted = true }
                guard inserted else { return false }
                try await connection.query(
                    """
                    INSERT INTO cutover.flow_changes (flow, to_mode, to_percent, version, actor, reason)
                    VALUES (\(item.flow), \(item.setting.mode.rawValue), \(item.setting.percent), 1, \(actor), \(reason))
                    """, logger: logger)
                try await connection.run("SELECT pg_notify(\(Self.channel), \(item.flow))", logger: logger)
                return true
            }
            if inserted { created.append(item.flow) }
        }
        return created
    }

    public func all() async throws -> [FlowState] {
        try await states(flow: nil)
    }

    public func state(_ flow: String) async throws -> FlowState? {
        try await states(flow: flow).first
    }

    private func states(flow: String?) async throws -> [FlowState] {
        let rows = try await client.query(
            """
            SELECT flow, mode, percent::float8, version, changed_at, changed_by, reason FROM cutover.flows
            WHERE \(flow)::text IS NULL OR flow = \(flow) ORDER BY flow
            """, logger: logger)
        var result: [FlowState] = []
        for try await (name, mode, percent, version, changedAt, changedBy, reason) in rows.decode(
            (String, String, Double, Int64, Date, String, String).self
        ) {
            result.append(
                FlowState(
                    flow: name, setting: ModeSetting(mode: Mode(rawValue: mode) ?? .legacy, percent: percent),
                    version: version, changedAt: changedAt, changedBy: changedBy, reason: reason
                )
            )
        }
        return result
    }

    /// The flow's changes, newest first.
    public func history(_ flow: String, limit: Int = 100) async throws -> [FlowChange] {
        let rows = try await client.query(
            """
            SELECT id, flow, from_mode, from_percent::float8, to_mode, to_percent::float8, version, actor, reason,
                   changed_at, figures::text
            FROM cutover.flow_changes WHERE flow = \(flow) ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var result: [FlowChange] = []
        for try await row in rows {
            let (id, name, fromMode, fromPercent, toMode, toPercent, version, actor, reason, changedAt, figures) =
                try row.decode(
                    (Int64, String, String?, Double?, String, Double, Int64, String, String, Date, String?).self)
            let from = fromMode.flatMap(Mode.init(rawValue:)).map { ModeSetting(mode: $0, percent: fromPercent ?? 0) }
            result.append(
                FlowChange(
                    id: id, flow: name, from: from,
                    to: ModeSetting(mode: Mode(rawValue: toMode) ?? .legacy, percent: toPercent),
                    version: version, actor: actor, reason: reason, changedAt: changedAt, figures: figures
                )
            )
        }
        return result
    }

    /// Moves a flow to `target`. With `expectedVersion`, the change is a compare-and-set: it fails with
    /// `versionConflict` when another instance changed the flow first.
    @discardableResult
    public func change(
        _ flow: String, to target: ModeSetting, actor: String, reason: String, force: Bool = false,
        expectedVersion: Int64? = nil, figures: String? = nil
    ) async throws -> FlowChange {
        try await client.transaction(logger: logger) { connection in
            try await change(
                flow, to: target, actor: actor, reason: reason, force: force, expectedVersion: expectedVersion,
                figures: figures, on: connection)
        }
    }

    /// The change inside a transaction the caller holds, so that it commits (or not) with the caller's own writes.
    public func change(
        _ flow: String, to target: ModeSetting, actor: String, reason: String, force: Bool = false,
        expectedVersion: Int64? = nil, figures: String? = nil, on connection: PostgresConnection
    ) async throws -> FlowChange {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw FlowStateError(
                code: .missingReason, flow: flow, message: "a reason is required for every mode change")
        }
        let rows = try await connection.query(
            "SELECT mode, percent::float8, version FROM cutover.flows WHERE flow = \(flow) FOR UPDATE",
            logger: logger
        )
        var current: (ModeSetting, Int64)?
        for try await (mode, percent, version) in rows.decode((String, Double, Int64).self) {
            current = (ModeSetting(mode: Mode(rawValue: mode) ?? .legacy, percent: percent), version)
        }
        guard let (from, version) = current else {
            throw FlowStateError(
                code: .unknownFlow, flow: flow, message: "no flow named '\(flow)' (see cutover flow list)")
        }
        if let expectedVersion, expectedVersion != version {
            throw FlowStateError(
                code: .versionConflict, flow: flow,
                message: "flow '\(flow)' changed meanwhile (version \(version), expected \(expectedVersion))"
            )
        }
        do {
            try ModeTransition.check(from: from, to: target, force: force)
        } catch {
            throw FlowStateError(
                code: error.code == .unchanged ? .unchanged : .refusedTransition, flow: flow, message: error.message
            )
        }
        let next = version + 1
        try await connection.run(
            """
            UPDATE cutover.flows SET mode = \(target.mode.rawValue), percent = \(target.percent), version = \(next),
                changed_at = now(), changed_by = \(actor), reason = \(reason)
            WHERE flow = \(flow)
            """, logger: logger)
        let inserted = try await connection.query(
            """
            INSERT INTO cutover.flow_changes (flow, from_mode, from_percent, to_mode, to_percent, version, actor, reason, figures)
            VALUES (\(flow), \(from.mode.rawValue), \(from.percent), \(target.mode.rawValue), \(target.percent), \(next),
                    \(actor), \(reason), \(figures)::jsonb)
            RETURNING id, changed_at
            """, logger: logger)
        var record: (Int64, Date)?
        for try await row in inserted.decode((Int64, Date).self) { record = row }
        try await connection.run("SELECT pg_notify(\(Self.channel), \(flow))", logger: logger)
        return FlowChange(
            id: record?.0 ?? 0, flow: flow, from: from, to: target, version: next, actor: actor, reason: reason,
            changedAt: record?.1 ?? Date(), figures: figures
        )
    }

    /// Sets the flow to `legacy` at once.
    @discardableResult
    public func rollback(
        _ flow: String, actor: String, reason: String, expectedVersion: Int64? = nil, figures: String? = nil
    ) async throws -> FlowChange {
        try await change(
            flow, to: .legacy, actor: actor, reason: reason, force: true, expectedVersion: expectedVersion,
            figures: figures)
    }

    /// The rollback inside a transaction the caller holds.
    @discardableResult
    public func rollback(
        _ flow: String, actor: String, reason: String, expectedVersion: Int64? = nil, figures: String? = nil,
        on connection: PostgresConnection
    ) async throws -> FlowChange {
        try await change(
            flow, to: .legacy, actor: actor, reason: reason, force: true, expectedVersion: expectedVersion,
            figures: figures, on: connection)
    }
}
