import CutoverConfig
import CutoverCore
import CutoverStore
import Foundation
import Logging
import ServiceLifecycle

/// The auto-rollback guard: for every flow with `rollout.auto_rollback` that the new side serves (canary or new),
/// it judges the latest new-side outcomes in the audit store — every instance's, not only its own — and rolls the
/// flow back to legacy on a breach.
///
/// It looks whenever this instance writes a verdict, at most every `minimumGap` (so a breach is caught within a few
/// exchanges of crossing the line without a query per exchange at high traffic), and every `interval` besides (so it also sees other instances' traffic). The rollback is a
/// compare-and-set on the flow's version in one transaction with the finding: when several instances see the same
/// breach, one acts and the others find the version moved. In dry-run it records a finding instead, at most one per
/// flow per cool-down.
final class RollbackGuard: Service, Sendable {
    let policies: [String: AutoRollbackPolicy]
    let watcher: FlowStateWatcher
    let store: GuardStore
    let metrics: CutoverMetrics
    let interval: Duration
    /// The least time between two looks, however busy the flows are: a look is one query per guarded flow.
    let minimumGap: Duration
    let startWhen: @Sendable () async -> Void
    let logger: Logger
    private let looks: AsyncStream<Void>
    private let lookContinuation: AsyncStream<Void>.Continuation

    init(
        policies: [String: AutoRollbackPolicy], watcher: FlowStateWatcher, store: GuardStore, metrics: CutoverMetrics,
        interval: Duration = .seconds(1), minimumGap: Duration = .milliseconds(100),
        startWhen: @escaping @Sendable () async -> Void, logger: Logger
    ) {
        self.minimumGap = minimumGap
        self.policies = policies
        self.watcher = watcher
        self.store = store
        self.metrics = metrics
        self.interval = interval
        self.startWhen = startWhen
        self.logger = logger
        (looks, lookContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a look soon; looks asked for while one runs are taken together.
    func nudge() {
        lookContinuation.yield()
    }

    func run() async throws {
        guard !policies.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { await self.startWhen() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [interval, lookContinuation] in
                    while (try? await Task.sleep(for: interval)) != nil { lookContinuation.yield() }
                }
                for await _ in looks {
                    await lookAtAll()
                    // Nudges arriving meanwhile are taken together by the next look.
                    try? await Task.sleep(for: minimumGap)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.lookContinuation.finish()
        }
    }

    /// One look at every guarded flow the new side serves.
    func lookAtAll() async {
        for state in watcher.all() {
            guard let policy = policies[state.flow], state.setting.mode == .canary || state.setting.mode == .new
            else { continue }
            do {
                try await look(at: state, policy: policy)
            } catch {
                logger.warning(
                    "auto-rollback guard could not judge a flow",
                    metadata: ["cutover.flow": "\(state.flow)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    private func look(at state: FlowState, policy: AutoRollbackPolicy) async throws {
        let window = try await store.window(flow: state.flow, since: state.changedAt, size: policy.window)
        let decision = policy.evaluate(window)
        guard decision.breached else { return }
        let reason = "auto-rollback: " + decision.reasons.joined(separator: "; ")
        let figures = decision.figures.text
        if policy.dryRun {
            let recorded = try await store.recordDryRun(
                flow: state.flow, version: state.version, figures: figures,
                cooldown: .seconds(policy.cooldownSeconds))
            if recorded {
                logger.warning(
                    "auto-rollback guard would roll back (dry run)",
                    metadata: [
                        "cutover.flow": "\(state.flow)", "cutover.mode": "\(state.setting.mode)",
                        "reason": "\(reason)",
                    ])
            }
            return
        }
        guard
            let change = try await store.rollback(
                flow: state.flow, version: state.version, reason: reason, figures: figures)
        else {
            logger.debug("another instance acted first", metadata: ["cutover.flow": "\(state.flow)"])
            return
        }
        metrics.countRollback(flow: state.flow, cause: "auto")
        logger.error(
            "auto-rollback: flow rolled back to legacy",
            metadata: [
                "cutover.flow": "\(state.flow)", "cutover.mode": "\(state.setting.mode)",
                "cutover.version": "\(change.version)", "reason": "\(reason)",
            ])
        try? await watcher.refresh()
    }
}
