import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@Suite("Auto-rollback", .timeLimit(.minutes(3)))
struct AutoRollbackTests {
    static let flow = FacadeFixture.flow

    /// The purchase-order flow with a small window, falling back on legacy while the ERP is down.
    static func guarded(dryRun: Bool) -> @Sendable (inout FlowDefinition) -> Void {
        { flow in
            flow.new?.fallback = .legacy
            flow.rollout.autoRollback = AutoRollbackPolicy(
                window: 20, minimumSample: 10, maxNewErrorRate: 0.2, maxMismatchRate: 0.5, cooldownSeconds: 60,
                dryRun: dryRun)
        }
    }

    static var failing: ERPSimulatorKnobs {
        var knobs = ERPSimulatorKnobs()
        knobs.failRate = 1
        return knobs
    }

    @Test("a canary flow whose ERP starts failing is rolled back within the window; callers keep their answers")
    func rollsBack() async throws {
        try await FacadeFixture.run(configure: Self.guarded(dryRun: false)) { fixture in
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 100))
            for index in 0..<10 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "AR-OK-\(index)"))
                #expect(answer.status == 200)
            }
            #expect(fixture.server.modes.setting(of: Self.flow).mode == .canary, "healthy traffic trips nothing")

            await fixture.simulators.erp.setKnobs(Self.failing)
            var failingCalls = 0
            while fixture.server.modes.setting(of: Self.flow).mode != .legacy, failingCalls < 100 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "AR-FAIL-\(failingCalls)"))
                #expect(answer.status == 200, "the caller is answered from legacy while the ERP is down")
                failingCalls += 1
            }
            #expect(fixture.server.modes.setting(of: Self.flow) == .legacy)
            #expect(failingCalls <= 20, "rolled back within the window of 20 outcomes, after \(failingCalls) failures")

            let history = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow, limit: 1)
            let change = try #require(history.first)
            #expect(change.actor == GuardStore.actor)
            #expect(change.from == ModeSetting(mode: .canary, percent: 100))
            #expect(change.reason.hasPrefix("auto-rollback: new-side error rate"))
            let figures = try JSONValue.parse(try #require(change.figures))
            let sample = try #require(figures.value(at: "/sample")?.scalarText.flatMap(Int.init))
            let errors = try #require(figures.value(at: "/new_errors")?.scalarText.flatMap(Int.init))
            #expect(sample >= 10 && sample <= 20)
            #expect(errors < sample, "the healthy calls count as the new side's successes")
            #expect(Double(errors) / Double(sample) > 0.2)
            #expect(figures.value(at: "/max_new_error_rate")?.scalarText == "0.2000")

            // Legacy mode again: the next call goes to legacy alone.
            let after = try await fixture.call(purchaseOrderEnvelope(requestID: "AR-AFTER"))
            #expect(after.status == 200)
            #expect(try await fixture.audited(after.correlationID)?.servedBy == "legacy")

            let metrics = try #require(await httpGet("http://127.0.0.1:\(fixture.server.port)/metrics"))
            #expect(
                metrics.body.contains(#"cutover_rollbacks_total{flow="purchase-order-create",cause="auto"} 1"#),
                "\(metrics.body)")
        }
    }

    @Test("in dry run the guard records what it would have done and leaves the mode alone")
    func dryRun() async throws {
        try await FacadeFixture.run(configure: Self.guarded(dryRun: true)) { fixture in
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 100))
            await fixture.simulators.erp.setKnobs(Self.failing)
            let store = GuardStore(client: fixture.client, logger: TestPostgres.logger)
            var calls = 0
            while try await store.findings(flow: Self.flow).isEmpty, calls < 100 {
                #expect(try await fixture.call(purchaseOrderEnvelope(requestID: "DRY-\(calls)")).status == 200)
                calls += 1
            }
            // More failures within the cool-down add no second finding.
            for index in 0..<5 {
                _ = try await fixture.call(purchaseOrderEnvelope(requestID: "DRY-MORE-\(index)"))
            }
            let findings = try await store.findings(flow: Self.flow)
            #expect(findings.map(\.action) == ["would_rollback"])
            #expect(findings.first?.figures.contains(#""dry_run": true"#) == true)
            #expect(fixture.server.modes.setting(of: Self.flow) == ModeSetting(mode: .canary, percent: 100))
            let history = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow)
            #expect(!history.contains { $0.actor == GuardStore.actor })
        }
    }
}
