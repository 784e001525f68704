import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("Replay from the audit store", .timeLimit(.minutes(3)))
struct ReplayTests {
    static let flow = FacadeFixture.flow

    @Test(
        "after a fix, replaying the mismatches re-sends their recorded inputs and links new comparisons to the originals"
    )
    func replayMismatches() async throws {
        // The new side gets one supplier's totals wrong: the bug to fix.
        var buggy = ERPSimulatorKnobs()
        buggy.divergeVendors = ["SUP-1002"]
        buggy.divergences = ["totalAmountIncludingTax": "+1.00"]
        try await FacadeFixture.run(erpKnobs: buggy) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let good = try await fixture.call(purchaseOrderEnvelope(requestID: "RP-1", supplier: "SUP-1001"))
            let bad = try await fixture.call(purchaseOrderEnvelope(requestID: "RP-2", supplier: "SUP-1002"))
            #expect(try await fixture.audited(good.correlationID)?.verdict == "match")
            #expect(try await fixture.audited(bad.correlationID)?.verdict == "mismatch")
            let readinessBefore = try await AuditQueries(client: fixture.client, logger: TestPostgres.logger)
                .verdictCounts(flow: Self.flow, since: Date().addingTimeInterval(-600))

            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())  // the fix
            let home = TemporaryDirectory("home")
            let environment = fixture.commandEnvironment(home: home)
            let config = ["--config", packageRoot() + "/adapters"]
            let dryRun = try await CutoverProcess.run(
                ["replay", Self.flow, "--verdict", "mismatch", "--dry-run"] + config, environment: environment)
            #expect(dryRun.stdout.contains("1 recorded calls") && dryRun.stdout.contains(bad.correlationID))
            let replay = try await CutoverProcess.run(
                ["replay", Self.flow, "--verdict", "mismatch"] + config, environment: environment)
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(replay.stdout.contains("1 replayed: 1 match"), "\(replay.stdout)")
            #expect(replay.stdout.contains("1 × mismatch → match"))

            // The replay is its own exchange, linked to the original and its comparison; the original is unchanged.
            var linked = 0
            for try await (parent, replayOf, verdict) in try await fixture.client.query(
                """
                SELECT e.parent_id, c.replay_of, c.verdict FROM cutover.exchanges e
                JOIN cutover.comparisons c ON c.exchange_id = e.id
                WHERE e.kind = 'replay' AND e.correlation_id = \(bad.correlationID)
                """, logger: TestPostgres.logger
            ).decode((UUID?, UUID?, String).self) {
                #expect(parent != nil && replayOf != nil)
                #expect(verdict == "match")
                linked += 1
            }
            #expect(linked == 1)
            #expect(try await fixture.audited(bad.correlationID)?.verdict == "mismatch", "the original stays as it was")
            let readinessAfter = try await AuditQueries(client: fixture.client, logger: TestPostgres.logger)
                .verdictCounts(flow: Self.flow, since: Date().addingTimeInterval(-600))
            #expect(readinessAfter == readinessBefore, "replays are not evidence")

            // While the new side serves production, a replay is refused unless forced.
            try await fixture.setMode(ModeSetting(mode: .new))
            let refused = try await CutoverProcess.run(["replay", Self.flow] + config, environment: environment)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("serves production"))
        }
    }
}
