import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("Circuit breaker in the facade", .timeLimit(.minutes(3)))
struct CircuitBreakerFacadeTests {
    @Test(
        "the ERP failing opens the flow's circuit: calls fall back to legacy without reaching the ERP, then it closes")
    func opensAndCloses() async throws {
        try await FacadeFixture.run(configure: { flow in
            flow.new?.fallback = .legacy
            flow.new?.circuitFailures = 3
            flow.new?.circuitOpenSeconds = 10
            flow.rollout.autoRollback = nil
        }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            var failing = ERPSimulatorKnobs()
            failing.failRate = 1
            await fixture.simulators.erp.setKnobs(failing)
            for index in 0..<3 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "CB-FAIL-\(index)"))
                #expect(answer.status == 200, "answered from legacy")
            }
            let metricsURL = "http://127.0.0.1:\(fixture.server.port)/metrics"
            let open = #"cutover_circuit_state{flow="purchase-order-create",host="127.0.0.1",state="open"} 1"#
            #expect(try #require(await httpGet(metricsURL)).body.contains(open))

            // Open (for 10 s): callers still answered, and the ERP is not called at all.
            let requestsWhenOpened = await fixture.simulators.erp.stats.requests
            var answered: [String] = []
            for index in 0..<5 {
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "CB-OPEN-\(index)"))
                #expect(answer.status == 200)
                answered.append(answer.correlationID)
            }
            #expect(await fixture.simulators.erp.stats.requests == requestsWhenOpened)
            for correlationID in answered {
                let audited = try await fixture.audited(correlationID)
                #expect(audited?.servedBy == "legacy")
                #expect(audited?.attributes.contains(#""fallback": "legacy""#) == true)
            }

            // The ERP recovers; after the open time one probe goes out, succeeds, and the circuit closes.
            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())
            var index = 0
            let servedByNew = try await poll(every: .milliseconds(100), for: .seconds(60)) {
                index += 1
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "CB-BACK-\(index)"))
                return try await fixture.audited(answer.correlationID)?.servedBy == "new"
            }
            #expect(servedByNew)
            let closed = #"cutover_circuit_state{flow="purchase-order-create",host="127.0.0.1",state="closed"} 1"#
            #expect(try #require(await httpGet(metricsURL)).body.contains(closed))
        }
    }
}
