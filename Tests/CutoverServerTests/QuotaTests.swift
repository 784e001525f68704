import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("ERP quota and shadow sampling", .timeLimit(.minutes(3)))
struct QuotaTests {
    @Test(
        "with a tight ERP quota, shadow calls are shed first: every caller answered, none lost, served traffic all goes through"
    )
    func shadowShedFirst() async throws {
        try await FacadeFixture.run(configure: { flow in
            flow.new?.rateLimit = NewSideDefinition.RateLimit(perSecond: 2, burst: 4)
            flow.rollout.autoRollback = nil
        }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            // All ten at once: the quota (2/s, burst 4) is what they meet, not how fast a loaded machine runs a loop.
            let answers = try await withThrowingTaskGroup(of: (status: Int, body: String, correlationID: String).self) {
                group in
                for index in 0..<10 {
                    group.addTask { try await fixture.call(purchaseOrderEnvelope(requestID: "Q-S-\(index)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var verdicts: [String?] = []
            var reasons: [String] = []
            for answer in answers {
                #expect(answer.status == 200)
                let audited = try await fixture.audited(answer.correlationID)
                verdicts.append(audited?.verdict)
                if audited?.attributes.contains("shadow shed") == true { reasons.append("shed") }
            }
            #expect(verdicts.filter { $0 == "match" }.count >= 2, "the burst's spare tokens are used")
            #expect(reasons.count >= 5, "most shadow calls are shed (\(reasons.count))")
            #expect(verdicts.allSatisfy { $0 == "match" || $0 == "not_compared" })

            // Served traffic under the same quota waits for its tokens instead of being shed.
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 100))
            for index in 0..<6 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "Q-N-\(index)"))
                #expect(answer.status == 200)
                #expect(try await fixture.audited(answer.correlationID)?.servedBy == "new")
            }
        }
    }

    @Test("shadow_sample 0 calls the new side for no shadow exchange")
    func sampleNone() async throws {
        try await FacadeFixture.run(configure: { $0.compare.shadowSample = 0 }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            for index in 0..<3 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "Q-0-\(index)"))
                let audited = try await fixture.audited(answer.correlationID)
                #expect(audited?.verdict == "not_compared")
                #expect(audited?.attributes.contains("shadow sample") == true)
            }
            #expect(await fixture.simulators.erp.stats.created["purchaseOrders", default: 0] == 0)
        }
    }
}
