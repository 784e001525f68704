import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// What every command needs from its surroundings: the environment, a logger, the database and the adapters.
/// This is the only place that reads the process environment.
struct CLIContext {
    let environment: [String: String]
    let logger: Logger

    init(logLevel: Logger.Level = .warning) {
        environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "cutover")
        logger.logLevel = environment["CUTOVER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? logLevel
        self.logger = logger
    }

    /// Whether spans are exported over OTLP: when an OTLP endpoint is configured.
    var exportsTraces: Bool {
        !(environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? "").isEmpty
    }

    /// Cutover's working directory for the embedded cluster, spool and reports (`CUTOVER_HOME`, default `.cutover`).
    var home: String { environment["CUTOVER_HOME"] ?? ".cutover" }

    /// The key behind redaction tokens: `CUTOVER_REDACTION_KEY`, else `home/redaction.key` (made when missing).
    func redactionKey() throws -> [UInt8] {
        do {
            return try RedactionKey.load(environmentValue: environment["CUTOVER_REDACTION_KEY"], home: home)
        } catch {
            printError(error.description)
            throw CLIExit.invalidConfiguration
        }
    }

    /// Who is making a change, for the history: `--actor`, else the OS user.
    func actor(_ explicit: String?) -> String {
        explicit ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    /// The adapters of a directory, or exit 2 with every problem.
    func loadAdapters(_ directory: String) throws -> [FlowDefinition] {
        do {
            return try AdapterLoader(environment: environment).load(directory: directory)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            throw CLIExit.invalidConfiguration
        }
    }

    /// The database to use: `DATABASE_URL`, or the embedded cluster under `home` (started, or shared when another
    /// process runs it). `release` stops the embedded cluster if this process started it.
    func resolveDatabase() throws -> (url: DatabaseURL, release: @Sendable () -> Void) {
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            do {
                return (try DatabaseURL(text), {})
            } catch {
                printError("DATABASE_URL is not usable: \(error)")
                throw CLIExit.invalidConfiguration
            }
        }
        let cluster = try EmbeddedPostgres(root: home + "/postgres", logger: logger)
        let handle = try cluster.start()
        return (handle.url, { if handle.owned { cluster.stop() } })
    }

    /// Runs `body` with a connected, migrated database: `DATABASE_URL`, or the embedded cluster under `home`.
    func withDatabase<T: Sendable>(
        migrate: Bool = true, _ body: @Sendable (PostgresClient, DatabaseURL) async throws -> T
    ) async throws -> T {
        let (url, release) = try resolveDatabase()
        defer { release() }
        return try await PostgresClient.withClient(url, logger: quietPoolLogger) { client in
            if migrate {
                _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: logger).migrate()
            }
            return try await body(client, url)
        }
    }

    /// Runs `body` with the database, `definition`'s flow seeded and its live mode read, and an ERP client holding
    /// the flow's credentials when it has a new side; the HTTP client is shut down afterwards, whatever `body` did.
    func withFlow<T: Sendable>(
        _ definition: FlowDefinition,
        _ body: @Sendable (PostgresClient, ModeSetting, ERPClient?) async throws -> T
    ) async throws -> T {
        let httpClient = HTTPClient.cutover()
        let outcome: Result<T, any Error>
        do {
            outcome = .success(
                try await withDatabase { client, _ in
                    let store = FlowStateStore(client: client, logger: logger)
                    try await FlowSeeding.seed([definition], store: store)
                    let setting = try await store.state(definition.flow)?.setting ?? definition.initialMode
                    let erp = definition.new.map {
                        ERPClient(httpClient: httpClient, credentials: $0.auth, logger: logger)
                    }
                    return try await body(client, setting, erp)
                })
        } catch {
            outcome = .failure(error)
        }
        try await httpClient.shutdown()
        return try outcome.get()
    }

    /// The pool warns when a lease races its own start-up; only its errors matter to a CLI user.
    var quietPoolLogger: Logger {
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        return poolLogger
    }
}

/// Ends a command with DESIGN.md's exit codes: 1 failure, 2 bad usage or invalid configuration.
enum CLIExit: Error {
    case failure
    case invalidConfiguration
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
