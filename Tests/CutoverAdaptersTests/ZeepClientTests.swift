import CutoverCore
import CutoverSimulators
import CutoverTesting
import Foundation
import Testing

/// A real SOAP client (Python zeep 4.3.3, installed by `.ci/run`), generated from the facade's `?wsdl`, in every
/// mode. The ERP adds 1.00 to every total, so an answer says which side produced it: 85.00 legacy, 86.00 new.
@Suite("zeep drives the facade", .timeLimit(.minutes(3)))
struct ZeepClientTests {
    struct Answer: Decodable, Sendable {
        var request: String
        var supplier: String
        var order: String?
        var status: String?
        var total: String?
        var lines: Int?
        var fault: String?
    }

    static func zeep(_ fixture: FacadeFixture, _ calls: [(String, String)]) async throws -> [Answer] {
        let script = packageRoot() + "/Tests/zeep/po_client.py"
        let (python, prefix) = pythonCommand
        let output = try await CutoverProcess.run(
            executable: python, prefix + [script, fixture.facadeURL + "?wsdl"] + calls.flatMap { [$0.0, $0.1] })
        #expect(output.status == 0, "zeep failed: \(output.stderr)")
        return try output.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Answer.self, from: Data($0.utf8))
        }
    }

    @Test("legacy, shadow, new and canary each give the client the answer they should")
    func allModes() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.divergences = ["totalAmountIncludingTax": "+1.00"]
        try await FacadeFixture.run(erpKnobs: knobs) { fixture in
            let legacy = try await Self.zeep(fixture, [("Z-L1", "SUP-1001")])
            #expect(legacy.first?.order == "Z-L1")
            #expect(legacy.first?.status == "OPEN")
            #expect(legacy.first?.total == "85.00")
            #expect(legacy.first?.lines == 2)

            try await fixture.setMode(ModeSetting(mode: .shadow))
            let shadow = try await Self.zeep(fixture, [("Z-S1", "SUP-1001")])
            #expect(shadow.first?.total == "85.00")
            #expect(await fixture.simulators.erp.stats.created["purchaseOrders"] == 1)

            try await fixture.setMode(ModeSetting(mode: .new))
            let legacyCalls = fixture.simulators.legacy.calls
            let new = try await Self.zeep(fixture, [("Z-N1", "SUP-1001")])
            #expect(new.first?.order == "Z-N1")
            #expect(new.first?.status == "OPEN")
            #expect(new.first?.total == "86.00")
            #expect(new.first?.lines == 2)
            #expect(fixture.simulators.legacy.calls == legacyCalls)

            try await fixture.setMode(ModeSetting(mode: .canary, percent: 25))
            let suppliers = SimulatorCatalog.suppliers.map(\.number)
            let rounds = try await Self.zeep(
                fixture, suppliers.map { ("Z-C1-\($0)", $0) } + suppliers.map { ("Z-C2-\($0)", $0) })
            #expect(rounds.count == 2 * suppliers.count)
            for (index, supplier) in suppliers.enumerated() {
                let expected = CanaryRouter.servedBy(
                    ModeSetting(mode: .canary, percent: 25), flow: FacadeFixture.flow, routingKey: supplier)
                let total = expected == .new ? "86.00" : "85.00"
                #expect(rounds[index].total == total, "\(supplier) first round")
                #expect(rounds[index + suppliers.count].total == total, "\(supplier) second round")
            }
            #expect(Set(rounds.map(\.total)) == ["85.00", "86.00"])
        }
    }
}
