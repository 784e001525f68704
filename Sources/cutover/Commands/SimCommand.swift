import ArgumentParser
import CutoverSimulators
import CutoverStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// `cutover sim`: the legacy SOAP PurchaseOrderService and the Business Central-shaped ERP, for demos and tests.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the legacy SOAP service and the cloud ERP simulators until SIGTERM or SIGINT.",
        discussion: """
            The legacy service keeps orders in schema legacy_po of DATABASE_URL (or the embedded cluster), or in \
            memory with --legacy-store memory. Both take knobs at PUT /_sim/knobs and count at GET /_sim/stats.
            """
    )

    enum Store: String, ExpressibleByArgument, CaseIterable { case postgres, memory }

    @Option(help: "Legacy SOAP service address, HOST:PORT.") var legacyListen = "127.0.0.1:9101"
    @Option(help: "ERP REST API address, HOST:PORT.") var erpListen = "127.0.0.1:9102"
    @Option(help: "Where the legacy service keeps orders: postgres or memory.") var legacyStore = Store.postgres
    @Option(help: "Milliseconds the legacy service takes per call.") var legacyLatencyMs = 0
    @Option(help: "Milliseconds the ERP takes per API call.") var erpLatencyMs = 0

    func validate() throws {
        for address in [legacyListen, erpListen] where ServeCommand.split(address) == nil {
            throw ValidationError("\(address) must be HOST:PORT")
        }
    }

    func run() async throws {
        let context = CLIContext(logLevel: .info)
        let (legacyHost, legacyPort) = ServeCommand.split(legacyListen)!
        let (erpHost, erpPort) = ServeCommand.split(erpListen)!
        var knobs = ERPSimulatorKnobs()
        knobs.latencyMs = erpLatencyMs
        let erp = ERPSimulator(knobs: knobs, logger: context.logger)
        var services: [any Service] = []
        var release: @Sendable () -> Void = {}
        let store: any LegacyPurchaseOrderStore
        switch legacyStore {
        case .memory:
            store = InMemoryLegacyStore()
        case .postgres:
            let (url, stop) = try context.resolveDatabase()
            release = stop
            let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: context.logger)
            services.append(client)
            store = PostgresLegacyStore(client: client, logger: context.logger)
        }
        defer { release() }
        let legacy = LegacySOAPSimulator(
            store: store, knobs: .init(latencyMs: legacyLatencyMs), logger: context.logger)
        services.append(
            legacy.server(host: legacyHost, port: legacyPort, logger: context.logger) { port in
                print("legacy SOAP PurchaseOrderService on http://\(legacyHost):\(port)\(LegacySOAPSimulator.path)")
            })
        services.append(
            erp.server(host: erpHost, port: erpPort, logger: context.logger) { port in
                print("cloud ERP on http://\(erpHost):\(port)/api/v2.0 (token: /oauth2/token)")
            })
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger))
        try await group.run()
    }
}
