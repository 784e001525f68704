import CutoverConfig
import CutoverCore
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// Mode changes as every entry point makes them (the CLI, the admin API, the dashboard, scheduled changes): the
/// transition rules, and for a move to `new` the readiness gate, whose figures are stored with the change.
public struct FlowControl: Sendable {
    public let client: PostgresClient
    public let definitions: [FlowDefinition]
    public let logger: Logger

    public init(client: PostgresClient, definitions: [FlowDefinition], logger: Logger) {
        self.client = client
        self.definitions = definitions
        self.logger = logger
    }

    /// How far back readiness evidence is taken when nobody says.
    public static let defaultEvidenceWindow: TimeInterval = 30 * 86_400

    /// Each flow's parallel-run evidence since `since`, against its `rollout.promote_when`.
    public func assess(_ flows: [String], since: Date) async throws -> [ReadinessAssessment] {
        let queries = AuditQueries(client: client, logger: logger)
        var assessments: [ReadinessAssessment] = []
        for flow in flows {
            let criteria = definitions.first { $0.flow == flow }?.rollout.promoteWhen
            assessments.append(
                ReadinessAssessment.assess(
                    flow: flow, minimumExchanges: criteria?.minimumExchanges,
                    minimumMatchRate: criteria?.minimumMatchRate,
                    counts: try await queries.verdictCounts(flow: flow, since: since)))
        }
        return assessments
    }

    /// The figures a move of `flow` to `target` rests on, or the refusal: a move to `new` must pass readiness
    /// (evidence since `since`) unless forced, and the forced figures are kept too. A move the transition rules
    /// refuse (a skipped step) is left for the store to refuse for that reason.
    public func gate(
        _ flow: String, from current: ModeSetting?, to target: ModeSetting, force: Bool, since: Date
    ) async throws -> String? {
        guard target.mode == .new, current?.mode != .new else { return nil }
        let allowed = current.map { (try? ModeTransition.check(from: $0, to: target, force: force)) != nil } ?? true
        guard allowed else { return nil }
        let assessment = try await assess([flow], since: since)[0]
        if !assessment.passes, !force {
            throw FlowStateError(
                code: .refusedTransition, flow: flow,
                message: "\(flow) is not ready for new: \(assessment.reasons.joined(separator: "; ")) "
                    + "(see cutover readiness \(flow); --force overrides and is recorded)")
        }
        return assessment.figures.text
    }

    /// Moves `flow` to `target` now.
    public func set(
        _ flow: String, to target: ModeSetting, actor: String, reason: String, force: Bool,
        evidenceSince since: Date = Date().addingTimeInterval(-defaultEvidenceWindow)
    ) async throws -> FlowChange {
        let store = FlowStateStore(client: client, logger: logger)
        let current = try await store.state(flow)?.setting
        let figures = try await gate(flow, from: current, to: target, force: force, since: since)
        return try await store.change(flow, to: target, actor: actor, reason: reason, force: force, figures: figures)
    }

    /// Applies the scheduled changes that are due, each through the same gate as a change made now.
    public func applyDueChanges(by applier: String) async throws -> [ScheduleStore.ScheduledChange] {
        try await ScheduleStore(client: client, logger: logger).applyDue(by: applier) { change, current in
            try await gate(
                change.flow, from: current, to: change.setting, force: change.force,
                since: Date().addingTimeInterval(-Self.defaultEvidenceWindow))
        }
    }
}
