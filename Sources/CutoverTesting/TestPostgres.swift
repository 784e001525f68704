import CutoverStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL server tests run against: `DATABASE_URL` when set (CI starts one), otherwise a private embedded
/// cluster in a temporary directory, started once per test process and stopped when it exits.
///
/// Each suite gets a fresh database, so suites run in parallel without seeing each other's rows.
public enum TestPostgres {
    public static let logger: Logger = {
        var logger = Logger(label: "cutover.test")
        logger.logLevel =
            ProcessInfo.processInfo.environment["CUTOVER_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .error
        return logger
    }()

    /// The server's administrative URL.
    public static func serverURL() throws -> DatabaseURL {
        try server.get()
    }

    private static let server: Result<DatabaseURL, any Error> = Result {
        if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
            return try DatabaseURL(text)
        }
        let root = NSTemporaryDirectory() + "cutover-test-pg-\(getpid())"
        let cluster = try EmbeddedPostgres(root: root, logger: logger)
        let handle = try cluster.start()
        clusterToStop.withLock { $0 = root }
        atexit {
            guard let root = TestPostgres.clusterToStop.withLock({ $0 }) else { return }
            if let cluster = try? EmbeddedPostgres(root: root, logger: TestPostgres.logger) {
                cluster.stop()
            }
            try? FileManager.default.removeItem(atPath: root)
        }
        return handle.url
    }

    static let clusterToStop = Mutex<String?>(nil)

    /// Creates a new, empty database on the test server and returns its URL.
    public static func makeDatabase(_ prefix: String = "t") async throws -> DatabaseURL {
        let server = try serverURL()
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())".replacingOccurrences(of: "-", with: "_")
        _ = try await withClient(server) { client in
            try await client.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        return server.with(database: name)
    }

    /// Runs `body` with a pool on `url`, running the pool for the duration.
    @discardableResult
    public static func withClient<T: Sendable>(
        _ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        try await PostgresClient.withClient(url, logger: logger, body)
    }

    /// A fresh database with Cutover's migrations applied, and a pool on it for the duration of `body`.
    public static func withMigratedDatabase<T: Sendable>(
        _ prefix: String = "t", _ body: @Sendable (PostgresClient, DatabaseURL) async throws -> T
    ) async throws -> T {
        let url = try await makeDatabase(prefix)
        return try await withClient(url) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: logger).migrate()
            return try await body(client, url)
        }
    }
}
