import CutoverAdapters
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import InMemoryTracing
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import Tracing

@Suite("Tracing", .timeLimit(.minutes(3)))
struct TracingTests {
    @Test("a span per exchange and one per side call, each side's call carrying its own span's context")
    func spans() async throws {
        let tracer = InMemoryTracer()
        try await FacadeFixture.run(server: { $0.tracing = ExchangeTracing(tracer: tracer) }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "TRACE-1"))
            #expect(answer.status == 200)
            await fixture.server.offPath.waitUntilIdle()

            let spans = tracer.finishedSpans
            let exchange = try #require(spans.first { $0.kind == .server })
            #expect(exchange.operationName == "purchase-order-create /PurchaseOrderService")
            #expect(exchange.attributes["cutover.mode"]?.toSpanAttribute() == .string("shadow"))
            #expect(exchange.attributes["cutover.served_by"]?.toSpanAttribute() == .string("legacy"))
            #expect(
                exchange.attributes["cutover.correlation_id"]?.toSpanAttribute() == .string(answer.correlationID))
            let legacy = try #require(spans.first { $0.operationName == "legacy purchase-order-create" })
            let new = try #require(spans.first { $0.operationName == "new purchase-order-create" })
            for side in [legacy, new] {
                #expect(side.kind == .client)
                #expect(side.parentSpanID == exchange.spanID)
                #expect(side.traceID == exchange.traceID)
                #expect(side.status?.code != .error)
            }
            #expect(spans.count == 3)
            // The legacy service received the context of the legacy call's span.
            #expect(fixture.simulators.legacy.lastHeaders[InMemoryTracer.spanIDKey] == legacy.spanID)
        }
    }

    @Test("with OTEL_EXPORTER_OTLP_ENDPOINT set, serve exports the caller's trace over OTLP/HTTP")
    func otlpExport() async throws {
        try await TestGate.heavy.run {
            let received = Collected()
            let collectorPort = Mutex<Int?>(nil)
            let collector = SimulatorHTTPServer(
                name: "otlp-collector", host: "127.0.0.1", port: 0, logger: quietLogger("collector"),
                onRunning: { port in collectorPort.withLock { $0 = port } }
            ) { request in
                received.requests.withLock { $0.append(request) }
                return SimulatorResponse(status: 200, headers: [("Content-Type", "application/x-protobuf")])
            }
            let group = ServiceGroup(services: [collector], logger: quietLogger("collector"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await poll(for: .seconds(10)) { collectorPort.withLock { $0 } != nil })
                let port = try #require(collectorPort.withLock { $0 })
                try await exportThrough(collector: "http://127.0.0.1:\(port)", received: received)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    final class Collected: Sendable {
        let requests = Mutex<[SimulatorRequest]>([])
    }

    func exportThrough(collector: String, received: Collected) async throws {
        let database = try await TestPostgres.makeDatabase("otlp")
        let home = TemporaryDirectory("home")
        try await withSimulators(database: database) { simulators in
            let serve = try await ServeProcess.start(
                database: database, home: home,
                environment: simulators.adapterEnvironment.merging([
                    "OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_BSP_SCHEDULE_DELAY": "100",
                ]) { $1 })
            let (server, port) = (serve.process, serve.port)
            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let answer = await soapCall(
                "http://127.0.0.1:\(port)/PurchaseOrderService", purchaseOrderEnvelope(requestID: "OTLP-1"),
                headers: ["traceparent": "00-\(traceID)-00f067aa0ba902b7-01"])
            #expect(answer?.status == 200)
            // The legacy service got the same trace, under the legacy call's own span.
            let forwarded = try #require(TraceContext(header: simulators.legacy.lastHeaders["traceparent"]))
            #expect(forwarded.traceID == traceID)
            #expect(forwarded.parentID != "00f067aa0ba902b7")
            #expect(try await serve.stop() == 0, "\(server.stderr)")

            let exports = received.requests.withLock { $0 }.filter { $0.method == "POST" && $0.path == "/v1/traces" }
            #expect(!exports.isEmpty, "no spans reached the collector: \(server.stderr)")
            #expect(exports.allSatisfy { $0.header("content-type") == "application/x-protobuf" })
            let bodies = exports.map(\.body)
            #expect(bodies.contains { contains($0, hexBytes(traceID)) }, "the caller's trace id is exported")
            #expect(
                bodies.contains { contains($0, hexBytes(forwarded.parentID)) }, "the legacy call's span is exported")
        }
    }

    func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
