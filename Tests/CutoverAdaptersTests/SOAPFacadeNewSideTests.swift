import CutoverConfig
import CutoverCore
import CutoverSimulators
import CutoverTesting
import Foundation
import Testing

/// The new side serving: reverse shadow, falling back on legacy, and the faults callers get when the ERP fails.
@Suite("SOAP facade when the ERP serves", .timeLimit(.minutes(3)))
struct SOAPFacadeNewSideTests {
    @Test("reverse shadow: new serves, legacy is called off the path and compared")
    func reverseShadow() async throws {
        try await FacadeFixture.run(configure: { $0.compare.reverseShadow = true }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-RS1"))
            #expect(answer.status == 200)
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.servedBy == "new")
            #expect(audited.verdict == "match")
            #expect(fixture.simulators.legacy.calls == 1)
        }
    }

    @Test("fallback legacy: with the ERP down, new mode answers from legacy and records both calls")
    func fallbackToLegacy() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.failNext = 1_000
        try await FacadeFixture.run(erpKnobs: knobs, configure: { $0.new?.fallback = .legacy }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-FB1"))
            #expect(answer.status == 200)
            #expect(answer.body.contains("<po:OrderNumber>REQ-FB1</po:OrderNumber>"))
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.servedBy == "legacy")
            #expect(audited.attributes.contains(#""fallback": "legacy""#))
            #expect(audited.verdict == "new_error")
            #expect(fixture.simulators.legacy.calls == 1)
        }
    }

    @Test("without fallback, an unreachable ERP is a Receiver fault, and nothing reaches legacy")
    func erpDownFault() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.failNext = 1_000
        try await FacadeFixture.run(erpKnobs: knobs) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-DN1"))
            #expect(answer.status == 500)
            #expect(answer.body.contains("<faultcode>soap:Server</faultcode>"))
            #expect(answer.body.contains("The purchasing system is unavailable"))
            #expect(!answer.body.contains("ServiceUnavailable"), "no internal error text")
            #expect(fixture.simulators.legacy.calls == 0)
            let audited = try #require(try await fixture.audited(answer.correlationID))
            #expect(audited.servedBy == "new")
        }
    }

    @Test("an ERP refusal (unknown vendor) is a Client fault naming the ERP's code")
    func erpRefusal() async throws {
        try await FacadeFixture.run { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-UV1", supplier: "SUP-9999"))
            #expect(answer.status == 500)
            #expect(answer.body.contains("<faultcode>soap:Client</faultcode>"))
            #expect(answer.body.contains("refused the request (Internal_RecordNotFound)"))
            #expect(await fixture.simulators.erp.stats.created["purchaseOrders"] == nil)
        }
    }
}
