import CutoverConfig
import CutoverStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle

/// The `cutover serve` process: one service group, dependencies first — the PostgreSQL pool, start-up and upkeep,
/// the audit writer, the flow-state watcher — then the HTTP server. Graceful shutdown (SIGTERM, SIGINT) stops the
/// server first and the pool last, so the audit writer drains while its database is still there.
public struct CutoverServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var database: DatabaseURL
        /// Cutover's working directory (the audit spool lives in `home/spool`).
        public var home: String
        public var flows: [FlowDefinition]

        public init(host: String, port: Int, database: DatabaseURL, home: String, flows: [FlowDefinition]) {
            self.host = host
            self.port = port
            self.database = database
            self.home = home
            self.flows = flows
        }
    }

    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT.
    public func run() async throws {
        let client = PostgresClient(
            configuration: try configuration.database.clientConfiguration(), backgroundLogger: logger)
        let readiness = Readiness()
        let store = FlowStateStore(client: client, logger: logger)
        let watcher = FlowStateWatcher(store: store, database: configuration.database, logger: logger)
        let writer = AuditWriter(
            client: client, configuration: AuditWriterConfiguration(spoolDirectory: configuration.home + "/spool"),
            logger: logger
        )
        let router = Router()
        HealthRoutes(client: client, readiness: readiness, watcher: watcher, logger: logger).register(on: router)
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "cutover"),
            services: [
                client,
                StartupAndUpkeep(client: client, flows: configuration.flows, readiness: readiness, logger: logger),
                writer, watcher,
            ],
            onServerRunning: { [logger, configuration] _ in
                logger.notice("listening", metadata: ["address": "\(configuration.host):\(configuration.port)"])
            },
            logger: logger
        )
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
