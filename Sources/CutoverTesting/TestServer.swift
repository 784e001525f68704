import CutoverConfig
import CutoverServer
import CutoverStore
import Foundation
import Logging

/// Runs `body` against a real `cutover serve` in this process (port 0, the given database and home, a fixed
/// redaction key), then shuts it down gracefully, so every off-path record is written before it returns.
public func withCutoverServer<T: Sendable>(
    flows: [FlowDefinition], database: DatabaseURL, home: String,
    configure: (inout CutoverServer.Configuration) -> Void = { _ in },
    _ body: @Sendable (CutoverServer.Running) async throws -> T
) async throws -> T {
    var configuration = CutoverServer.Configuration(
        host: "127.0.0.1", port: 0, database: database, home: home, flows: flows,
        redactionKey: Array(repeating: 7, count: 32))
    configure(&configuration)
    let server = CutoverServer(configuration: configuration, logger: quietLogger("cutover-test-server"))
    return try await server.withRunning(body)
}

/// The shipped adapters (`adapters/` at the package root), with `environment` for their `${VAR}`s.
public func shippedAdapters(environment: [String: String]) throws -> [FlowDefinition] {
    try AdapterLoader(environment: environment).load(directory: packageRoot() + "/adapters")
}

/// The package root, found from this source file's location.
public func packageRoot(file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}

/// A logger that shows warnings and worse.
public func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel =
        ProcessInfo.processInfo.environment["CUTOVER_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}
