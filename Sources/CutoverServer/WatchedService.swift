import Logging
import ServiceLifecycle
import Synchronization

/// A service of `serve`'s group that names itself in an error log line when it has not stopped `reportAfter` a
/// graceful shutdown was asked for: the one an operator (or a hung test) needs to know about.
struct WatchedService: Service {
    let name: String
    let service: any Service
    let reportAfter: Duration
    let logger: Logger

    func run() async throws {
        let stopped = StoppedFlag()
        try await withGracefulShutdownHandler {
            defer { stopped.set() }
            try await service.run()
        } onGracefulShutdown: { [name, reportAfter, logger] in
            // A timer of its own: the handler must return at once, and the service it watches may never return.
            Task {
                try? await Task.sleep(for: reportAfter)
                if !stopped.isSet {
                    logger.error(
                        "a service has not stopped after the shutdown request",
                        metadata: ["service": "\(name)", "waited": "\(reportAfter)"])
                }
            }
        }
    }
}

/// Set once the watched service's run returned.
private final class StoppedFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
