import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Logging
import Synchronization
import Testing

@Suite("Logs", .timeLimit(.minutes(3)))
struct LoggingTests {
    @Test("the JSON handler writes one object per line with every metadata key as a field")
    func jsonLines() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "cutover-test") { label in
            JSONLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } })
        }
        logger.logLevel = .debug
        logger[metadataKey: "cutover.flow"] = "po"
        logger.info("a \"quoted\"\nmessage", metadata: ["cutover.correlation_id": "c-1", "list": ["a", "b"]])
        logger.trace("below the level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        #expect(written.first?.hasSuffix("\n") == true)
        #expect(written.first?.dropLast().contains("\n") == false, "one line per event")
        let object = try JSONValue.parse(try #require(written.first))
        #expect(object.value(at: "/message")?.scalarText == "a \"quoted\"\nmessage")
        #expect(object.value(at: "/level")?.scalarText == "info")
        #expect(object.value(at: "/cutover.flow")?.scalarText == "po")
        #expect(object.value(at: "/cutover.correlation_id")?.scalarText == "c-1")
        #expect(object.value(at: "/list/1")?.scalarText == "b")
        #expect(object.value(at: "/time")?.scalarText?.hasSuffix("Z") == true)
    }

    @Test(
        "cutover serve with CUTOVER_LOG_FORMAT=json logs each exchange with correlation id, flow and mode, and no secret"
    )
    func serveLogs() async throws {
        try await TestGate.heavy.run {
            let database = try await TestPostgres.makeDatabase("logs")
            let home = TemporaryDirectory("home")
            try await withSimulators(database: database) { simulators in
                let serve = try await ServeProcess.start(
                    database: database, home: home,
                    environment: simulators.adapterEnvironment.merging([
                        "CUTOVER_LOG_FORMAT": "json", "CUTOVER_LOG_LEVEL": "debug",
                    ]) { $1 })
                let (server, port) = (serve.process, serve.port)
                let token = try await TestPostgres.withClient(database) { client in
                    let store = FlowStateStore(client: client, logger: TestPostgres.logger)
                    try await store.change(
                        "purchase-order-create", to: ModeSetting(mode: .shadow), actor: "test", reason: "test")
                    return try await TokenStore(client: client, logger: TestPostgres.logger)
                        .create(name: "logs", role: .viewer, actor: "test").secret
                }
                #expect(
                    try await poll(for: .seconds(5)) {
                        await httpRequest(
                            "GET", "http://127.0.0.1:\(port)/admin/flows/purchase-order-create",
                            headers: ["Authorization": "Bearer \(token)"])?.body.contains(#""appliedVersion":2"#)
                            == true
                    })
                let answer = await soapCall(
                    "http://127.0.0.1:\(port)/PurchaseOrderService", purchaseOrderEnvelope(requestID: "LOG-1"),
                    headers: ["X-Correlation-ID": "log-correlation-1"])
                #expect(answer?.status == 200)
                #expect(try await serve.stop() == 0)

                // Complete lines only: a last line still being read when the capture stopped may be cut short.
                var lines = server.stderr.split(separator: "\n")
                if !server.stderr.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
                let objects = lines.compactMap { try? JSONValue.parse(String($0)) }
                let notJSON = lines.filter { (try? JSONValue.parse(String($0))) == nil }
                #expect(!objects.isEmpty && notJSON.isEmpty, "every line is JSON; not: \(notJSON.prefix(3))")
                let exchange = objects.first {
                    $0.value(at: "/cutover.correlation_id")?.scalarText == "log-correlation-1"
                }
                #expect(exchange?.value(at: "/cutover.flow")?.scalarText == "purchase-order-create")
                #expect(exchange?.value(at: "/cutover.mode")?.scalarText == "shadow")
                #expect(exchange?.value(at: "/cutover.trace_id")?.scalarText?.count == 32)
                for secret in ["demo-secret-not-for-production", token, "MRN-0042"] {
                    #expect(!server.stderr.contains(secret), "a secret reached the log")
                }
            }
        }
    }
}
