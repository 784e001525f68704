import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverTesting
import Foundation
import Testing

/// `/metrics` read by the Prometheus reference parser (Python prometheus_client, installed by `.ci/run`).
@Suite("Metrics", .timeLimit(.minutes(3)))
struct MetricsTests {
    struct Family: Decodable {
        struct Sample: Decodable {
            var name: String
            var labels: [String: String]
            var value: Double
        }
        var name: String
        var type: String
        var samples: [Sample]
    }

    static func parse(_ page: String) async throws -> [Family] {
        let directory = TemporaryDirectory("metrics")
        let file = directory.write("metrics.txt", page)
        let (python, prefix) = pythonCommand
        let output = try await CutoverProcess.run(
            executable: python, prefix + [packageRoot() + "/Tests/prometheus/parse_metrics.py", file])
        #expect(output.status == 0, "the page does not parse: \(output.stderr)")
        withExtendedLifetime(directory) {}
        let families = try? JSONDecoder().decode([Family].self, from: Data(output.stdout.utf8))
        return try #require(families, "not the parser's JSON: \(output.stdout.prefix(2000))")
    }

    @Test("after traffic, /metrics parses and carries DESIGN.md's series with their labels")
    func series() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.divergeVendors = ["SUP-1002"]
        knobs.divergences = ["totalAmountIncludingTax": "+1.00"]
        try await FacadeFixture.run(erpKnobs: knobs) { fixture in
            let flow = FacadeFixture.flow
            _ = try await fixture.call(purchaseOrderEnvelope(requestID: "M-L1"))
            try await fixture.setMode(ModeSetting(mode: .shadow))
            _ = try await fixture.call(purchaseOrderEnvelope(requestID: "M-S1", supplier: "SUP-1001"))
            _ = try await fixture.call(purchaseOrderEnvelope(requestID: "M-S2", supplier: "SUP-1002"))
            await fixture.server.offPath.waitUntilIdle()

            let page = try #require(await httpGet("http://127.0.0.1:\(fixture.server.port)/metrics"))
            #expect(page.status == 200)
            let families = try await Self.parse(page.body)
            func samples(_ name: String) -> [Family.Sample] {
                families.flatMap(\.samples).filter { $0.name == name }
            }
            func value(_ name: String, _ labels: [String: String]) -> Double? {
                samples(name).first { $0.labels == labels }?.value
            }

            #expect(families.first { $0.name == "cutover_exchanges" }?.type == "counter")
            let exchange = ["flow": flow, "mode": "legacy", "served_by": "legacy", "verdict": "not_compared"]
            #expect(value("cutover_exchanges_total", exchange) == 1)
            #expect(
                value("cutover_exchanges_total", exchange.merging(["mode": "shadow", "verdict": "match"]) { $1 }) == 1)
            #expect(
                value("cutover_exchanges_total", exchange.merging(["mode": "shadow", "verdict": "mismatch"]) { $1 })
                    == 1)

            #expect(families.first { $0.name == "cutover_side_latency_seconds" }?.type == "histogram")
            #expect(value("cutover_side_latency_seconds_count", ["flow": flow, "side": "legacy"]) == 3)
            #expect(value("cutover_side_latency_seconds_count", ["flow": flow, "side": "new"]) == 2)
            #expect(samples("cutover_side_latency_seconds_bucket").contains { $0.labels["le"] == "+Inf" })

            #expect(value("cutover_flow_mode", ["flow": flow, "mode": "shadow"]) == 1)
            #expect(value("cutover_flow_mode", ["flow": flow, "mode": "legacy"]) == 0)
            #expect(value("cutover_flow_mode", ["flow": "invoice-posting", "mode": "legacy"]) == 1)
            #expect(value("cutover_audit_queue_depth", [:]) == 0)
            #expect(value("cutover_audit_spool_bytes", [:]) == 0)
            #expect(value("cutover_dead_letters", ["flow": flow]) == 0)
            #expect(value("cutover_rollbacks_total", ["flow": flow, "cause": "auto"]) == 0)
            #expect(value("cutover_rollbacks_total", ["flow": flow, "cause": "manual"]) == 0)
            #expect(!page.body.contains("MRN-0042"), "no payload reaches the metrics")
        }
    }
}
