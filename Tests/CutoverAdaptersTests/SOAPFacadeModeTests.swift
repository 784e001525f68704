import CutoverCore
import CutoverSimulators
import CutoverTesting
import Foundation
import Testing

@Suite("SOAP facade by mode", .timeLimit(.minutes(3)))
struct SOAPFacadeModeTests {
    @Test("legacy mode is a transparent, audited wrapper: the legacy answer, nothing sent to the ERP")
    func legacyMode() async throws {
        try await FacadeFixture.run { fixture in
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-L1"))
            #expect(answer.status == 200)
            #expect(answer.body.contains("<po:OrderNumber>REQ-L1</po:OrderNumber>"))
            #expect(answer.body.contains("<po:Total>85.00</po:Total>"))
            #expect(fixture.simulators.legacy.calls == 1)
            #expect(await fixture.simulators.erp.stats.requests == 0)
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.mode == "legacy")
            #expect(audited.servedBy == "legacy")
            #expect(audited.routingKey == "SUP-1001")
            #expect(audited.verdict == "not_compared")
        }
    }

    @Test("shadow mode answers from legacy and records a match when the ERP agrees")
    func shadowMatch() async throws {
        try await FacadeFixture.run { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-S1"))
            #expect(answer.status == 200)
            #expect(answer.body.contains("<po:Status>OPEN</po:Status>"))
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.servedBy == "legacy")
            #expect(audited.verdict == "match")
            #expect(await fixture.simulators.erp.stats.created["purchaseOrders"] == 1)
        }
    }

    @Test("a planted divergence is a mismatch that names the field")
    func shadowMismatch() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.divergences = ["totalAmountIncludingTax": "+1.00"]
        try await FacadeFixture.run(erpKnobs: knobs) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-S2"))
            #expect(answer.body.contains("<po:Total>85.00</po:Total>"))
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.verdict == "mismatch")
            let diff = try #require(audited.diff)
            #expect(diff.contains(#""path": "total""#))
            #expect(diff.contains(#""new": "86.00""#) || diff.contains(#""new": "86""#))
            #expect(!diff.contains("order_number"))
        }
    }

    @Test("shadow mode answers from legacy while the ERP is down, and records new_error")
    func shadowWhileERPDown() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.failNext = 1_000
        try await FacadeFixture.run(erpKnobs: knobs) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-S3"))
            #expect(answer.status == 200)
            #expect(answer.body.contains("<po:OrderNumber>REQ-S3</po:OrderNumber>"))
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.verdict == "new_error")
        }
    }

    @Test("new mode answers from the ERP, rendered like the legacy answer, without calling legacy")
    func newMode() async throws {
        try await FacadeFixture.run { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-N1"))
            #expect(answer.status == 200)
            #expect(answer.body.contains("<po:OrderNumber>REQ-N1</po:OrderNumber>"))
            // response_map turns the ERP's Open back into the legacy OPEN.
            #expect(answer.body.contains("<po:Status>OPEN</po:Status>"))
            #expect(answer.body.contains("<po:ItemCode>SYR-10ML</po:ItemCode>"))
            #expect(fixture.simulators.legacy.calls == 0)
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.servedBy == "new")
            #expect(audited.verdict == "not_compared")
        }
    }

    @Test("canary splits by supplier as the router says, stays stable, and a higher percent only adds new keys")
    func canary() async throws {
        try await FacadeFixture.run { fixture in
            let suppliers = SimulatorCatalog.suppliers.map(\.number)
            func servedBy(_ percent: Double, round: Int) async throws -> [String: String] {
                var sides: [String: String] = [:]
                for supplier in suppliers {
                    let answer = try await fixture.call(
                        purchaseOrderEnvelope(
                            requestID: "REQ-C\(Int(percent))-\(round)-\(supplier)", supplier: supplier))
                    #expect(answer.status == 200)
                    sides[supplier] = try await fixture.audited(answer.correlationID)?.servedBy
                }
                return sides
            }
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 25))
            let first = try await servedBy(25, round: 1)
            let second = try await servedBy(25, round: 2)
            #expect(first == second)
            for supplier in suppliers {
                let expected = CanaryRouter.servedBy(
                    ModeSetting(mode: .canary, percent: 25), flow: FacadeFixture.flow, routingKey: supplier)
                #expect(first[supplier] == expected.rawValue)
            }
            #expect(first.values.contains("new") && first.values.contains("legacy"))
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 60))
            let raised = try await servedBy(60, round: 1)
            for (supplier, side) in first where side == "new" { #expect(raised[supplier] == "new") }
            #expect(raised.values.filter { $0 == "new" }.count >= first.values.filter { $0 == "new" }.count)
        }
    }
}
