import CutoverConfig
import CutoverServer
import CutoverStore
import Foundation
import Logging

/// Runs `body` against a real `cutover serve` in this process (port 0, the given database and home), then shuts it
/// down gracefully, so every off-path record is written before it returns.
public func withCutoverServer<T: Sendable>(
    flows: [FlowDefinition], database: DatabaseURL, home: String,
    _ body: @Sendable (CutoverServer.Running) async throws -> T
) async throws -> T {
    let logger = quietLogger("cutover-test-server")
    let server = CutoverServer(
        configuration: .init(
            host: "127.0.0.1", port: 0, database: database, home: home, flows: flows,
            redactionKey: Array(repeating: 7, count: 32)),
        logger: logger)
    let (started, startedSink) = AsyncStream.makeStream(of: CutoverServer.Running.self)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await server.run(gracefulShutdownSignals: []) { startedSink.yield($0) }
            startedSink.finish()
        }
        var iterator = started.makeAsyncIterator()
        guard let running = await iterator.next() else {
            try await group.waitForAll()
            throw CancellationError()
        }
        let outcome: Result<T, any Error>
        do {
            // Ready: migrated, flows seeded, their modes loaded.
            let ready = try await poll(every: .milliseconds(50), for: .seconds(60)) {
                await httpGet("http://127.0.0.1:\(running.port)/ready")?.status == 200
            }
            guard ready else { throw ServerNotReady() }
            outcome = .success(try await body(running))
        } catch {
            outcome = .failure(error)
        }
        await running.group.triggerGracefulShutdown()
        try await group.waitForAll()
        return try outcome.get()
    }
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
    logger.logLevel = .warning
    return logger
}

/// The test server did not report ready in time.
public struct ServerNotReady: Error {}
