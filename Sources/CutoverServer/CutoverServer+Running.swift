import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import ServiceLifecycle

extension CutoverServer {
    /// The server did not report ready in time.
    public struct NotReady: Error, CustomStringConvertible {
        public var description: String { "cutover did not become ready in time" }
    }

    /// Runs the server in this process (no signal handling), waits until `/ready` answers 200, runs `body`, then
    /// shuts the server down gracefully: off-path calls finish and the audit writer drains before it returns.
    /// The demo and the tests use it.
    public func withRunning<T: Sendable>(
        readyWithin deadline: Duration = .seconds(60), _ body: @Sendable (Running) async throws -> T
    ) async throws -> T {
        let (started, startedSink) = AsyncStream.makeStream(of: Running.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await run(gracefulShutdownSignals: []) { startedSink.yield($0) }
                startedSink.finish()
            }
            var iterator = started.makeAsyncIterator()
            guard let running = await iterator.next() else {
                try await group.waitForAll()
                throw NotReady()
            }
            let outcome: Result<T, any Error>
            do {
                guard try await Self.waitUntilReady(port: running.port, tls: configuration.tls != nil, within: deadline)
                else { throw NotReady() }
                outcome = .success(try await body(running))
            } catch {
                outcome = .failure(error)
            }
            await running.group.triggerGracefulShutdown()
            try await group.waitForAll()
            return try outcome.get()
        }
    }

    /// Polls `GET /ready` on this process's own loopback listener until it answers 200 or the deadline passes. Over
    /// TLS the certificate is not verified: this asks whether our own listener is ready, not who it is.
    static func waitUntilReady(port: Int, tls: Bool, within deadline: Duration) async throws -> Bool {
        var configuration = HTTPClient.Configuration()
        if tls {
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            configuration.tlsConfiguration = settings
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let scheme = tls ? "https" : "http"
        let end = ContinuousClock.now + deadline
        var ready = false
        while !ready, ContinuousClock.now < end, !Task.isCancelled {
            let response = try? await client.execute(
                HTTPClientRequest(url: "\(scheme)://127.0.0.1:\(port)/ready"), timeout: .seconds(2))
            ready = response?.status == .ok
            if !ready { try? await Task.sleep(for: .milliseconds(50)) }
        }
        try await client.shutdown()
        return ready
    }
}
