import CutoverStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Both simulators running in this process on free loopback ports.
public struct RunningSimulators: Sendable {
    public let legacy: LegacySOAPSimulator
    public let erp: ERPSimulator
    /// `http://127.0.0.1:PORT` of the legacy service (its path is `/PurchaseOrderService`).
    public let legacyURL: String
    /// `http://127.0.0.1:PORT` of the ERP (API under `/api/v2.0`, token at `/oauth2/token`).
    public let erpURL: String

    /// The environment the shipped adapters read to reach these simulators.
    public var adapterEnvironment: [String: String] {
        [
            "LEGACY_SOAP_URL": legacyURL, "ERP_BASE_URL": erpURL + "/api/v2.0",
            "ERP_TOKEN_URL": erpURL + "/oauth2/token",
        ]
    }
}

/// Runs `body` with the legacy SOAP simulator (orders in schema `legacy_po` of `database`, or in memory when nil)
/// and the ERP simulator on free loopback ports, stopping both gracefully afterwards.
public func withSimulators<T: Sendable>(
    database: DatabaseURL? = nil, erpKnobs: ERPSimulatorKnobs = ERPSimulatorKnobs(),
    legacyKnobs: LegacySOAPSimulator.Knobs = LegacySOAPSimulator.Knobs(), logger: Logger? = nil,
    _ body: @Sendable (RunningSimulators) async throws -> T
) async throws -> T {
    let logger =
        logger
        ?? {
            var quiet = Logger(label: "simulators")
            quiet.logLevel = .warning
            return quiet
        }()
    let client = try database.map {
        PostgresClient(configuration: try $0.clientConfiguration(), backgroundLogger: logger)
    }
    let store: any LegacyPurchaseOrderStore =
        client.map { PostgresLegacyStore(client: $0, logger: logger) } ?? InMemoryLegacyStore()
    let legacy = LegacySOAPSimulator(store: store, knobs: legacyKnobs, logger: logger)
    let erp = ERPSimulator(knobs: erpKnobs, logger: logger)
    let (ports, portSink) = AsyncStream.makeStream(of: (String, Int).self)
    var services: [any Service] = client.map { [$0] } ?? []
    services.append(legacy.server(host: "127.0.0.1", port: 0, logger: logger) { portSink.yield(("legacy", $0)) })
    services.append(erp.server(host: "127.0.0.1", port: 0, logger: logger) { portSink.yield(("erp", $0)) })
    let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            try await group.run()
            portSink.finish()
        }
        var bound: [String: Int] = [:]
        for await (name, port) in ports {
            bound[name] = port
            if bound.count == 2 { break }
        }
        guard let legacyPort = bound["legacy"], let erpPort = bound["erp"] else {
            try await tasks.waitForAll()
            throw CancellationError()
        }
        let running = RunningSimulators(
            legacy: legacy, erp: erp, legacyURL: "http://127.0.0.1:\(legacyPort)",
            erpURL: "http://127.0.0.1:\(erpPort)")
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(running))
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try outcome.get()
    }
}
