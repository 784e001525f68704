import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("Dead letters and replay", .timeLimit(.minutes(3)))
struct DeadLetterTests {
    static let flow = FacadeFixture.flow

    @Test(
        "with the ERP down and no fallback, work becomes dead letters; a replay delivers each once, a second changes nothing"
    )
    func deadLettersReplayOnce() async throws {
        try await FacadeFixture.run(configure: { flow in
            flow.new?.fallback = .deadLetter
            flow.rollout.autoRollback = nil
        }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            var failing = ERPSimulatorKnobs()
            failing.failRate = 1
            await fixture.simulators.erp.setKnobs(failing)
            let numbers = (1...4).map { "DL-\($0)" }
            for number in numbers {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: number))
                #expect(answer.status == 500, "a Receiver fault: the ERP is unavailable")
                let audited = try await fixture.audited(answer.correlationID)
                #expect(audited?.attributes.contains(#""dead_letter": "true""#) == true)
                #expect(audited?.verdict == "new_error")
            }
            let store = DeadLetterStore(client: fixture.client, logger: TestPostgres.logger)
            let pending = try await store.pending(flow: Self.flow)
            #expect(pending.map { $0.record.idempotencyKey } == numbers)
            #expect(pending.allSatisfy { !$0.record.body.contains("MRN-0042") }, "stored redacted")
            #expect(pending.allSatisfy { $0.record.input?.contains("<po:RequestId>DL-") == true }, "with its input")
            #expect(pending.allSatisfy { $0.record.input?.contains("MRN-0042") == false }, "the input redacted too")
            #expect(pending.allSatisfy { $0.record.attempts == 4 }, "the attempts the ERP client made")
            let metrics = try #require(await httpGet("http://127.0.0.1:\(fixture.server.port)/metrics")).body
            #expect(metrics.contains(#"cutover_dead_letters{flow="purchase-order-create"} 4"#))

            // The ERP is back. A dry run lists and sends nothing; the replay delivers each once.
            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())
            let home = TemporaryDirectory("home")
            let environment = fixture.commandEnvironment(home: home)
            let config = ["--config", packageRoot() + "/adapters"]
            let dryRun = try await CutoverProcess.run(
                ["replay", Self.flow, "--dead-letters", "--dry-run"] + config, environment: environment)
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout.contains("4 pending dead letters") && dryRun.stdout.contains("DL-3"))
            #expect(await fixture.simulators.erp.stats.created["purchaseOrders", default: 0] == 0)

            let replay = try await CutoverProcess.run(
                ["replay", Self.flow, "--dead-letters"] + config, environment: environment)
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(replay.stdout.contains("4 delivered, 0 failed"))
            let orders = await fixture.simulators.erp.entities("purchaseOrders")
            #expect(orders.compactMap { $0.value(at: "/number")?.scalarText }.sorted() == numbers)
            #expect(try await store.pending(flow: Self.flow).isEmpty)

            let again = try await CutoverProcess.run(
                ["replay", Self.flow, "--dead-letters"] + config, environment: environment)
            #expect(again.stdout.contains("0 pending dead letters"))

            // Replaying what was already delivered (two operators at once): the ERP keeps one of each.
            let erp = try fixture.erpClient()
            let summary = try await DeadLetterReplay(
                store: store, audit: DirectAuditWrite(client: fixture.client, logger: TestPostgres.logger), erp: erp,
                timeout: .seconds(10), actor: "test"
            ).replay(pending)
            #expect(summary.alreadyDelivered == 4 && summary.delivered == 0)
            #expect(await fixture.simulators.erp.entities("purchaseOrders").count == 4)
        }
    }
}
