import Logging
import ServiceLifecycle

extension LegacySOAPSimulator {
    /// The legacy service as a `Service` on `host:port`; its store is prepared before it listens.
    public func server(
        host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> SimulatorHTTPServer
    {
        SimulatorHTTPServer(
            name: "legacy-soap-simulator", host: host, port: port, logger: logger,
            prepare: { [store] in
                try await store.prepare()
            }, onRunning: onRunning, handler: { [self] in await handle($0) })
    }
}

extension ERPSimulator {
    /// The ERP as a `Service` on `host:port`.
    public nonisolated func server(
        host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> SimulatorHTTPServer {
        SimulatorHTTPServer(
            name: "erp-simulator", host: host, port: port, logger: logger, onRunning: onRunning,
            handler: { [self] in await handle($0) })
    }
}
