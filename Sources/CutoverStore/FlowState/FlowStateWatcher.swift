import CutoverCore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Keeps this instance's view of every flow's mode current.
///
/// It LISTENs on `cutover_flow_state` over a dedicated connection and reloads a flow when notified, and also polls
/// all flows every `pollInterval` in case a notification was missed (a dropped connection, a change made while it
/// was reconnecting). Exchanges read ``current(_:)`` without waiting.
public actor FlowStateWatcher: Service {
    let store: FlowStateStore
    let database: DatabaseURL
    let pollInterval: Duration
    let logger: Logger
    private nonisolated let snapshot = Mutex<[String: FlowState]>([:])
    private var subscribers: [Int: AsyncStream<FlowState>.Continuation] = [:]
    private var nextSubscriber = 0

    /// `startWhen` returns once the flow tables exist (a server passes its start-up having migrated), so a first
    /// start does not report a missing table as a failure.
    public init(
        store: FlowStateStore, database: DatabaseURL, pollInterval: Duration = .seconds(2),
        startWhen: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) {
        self.store = store
        self.database = database
        self.pollInterval = pollInterval
        self.startWhen = startWhen
        self.logger = logger
    }

    private let startWhen: @Sendable () async -> Void

    /// The latest known state of a flow.
    public nonisolated func current(_ flow: String) -> FlowState? {
        snapshot.withLock { $0[flow] }
    }

    /// All known flows.
    public nonisolated func all() -> [FlowState] {
        snapshot.withLock { Array($0.values) }.sorted { $0.flow < $1.flow }
    }

    /// Every change seen from now on (a newer version of any flow).
    public func changes() -> AsyncStream<FlowState> {
        let (stream, continuation) = AsyncStream.makeStream(of: FlowState.self, bufferingPolicy: .bufferingNewest(64))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: Int) {
        subscribers[id] = nil
    }

    /// Reads every flow now.
    public func refresh() async throws {
        apply(try await store.all())
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.startWhen() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try? await refresh()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenLoop() }
            group.addTask { await self.pollLoop() }
            await group.waitForAll()
        }
        for continuation in subscribers.values { continuation.finish() }
        // Nobody waits for a listener that will never come.
        for waiter in listenWaiters { waiter.resume() }
        listenWaiters.removeAll()
    }

    private func pollLoop() async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: pollInterval)
                try await refresh()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("flow state poll failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private func listenLoop() async {
        var attempt = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await self.listenOnce() }
            } catch is CancellationError {
                return
            } catch {
                attempt = listening ? 1 : attempt + 1
                listening = false
                logger.warning(
                    "flow state listener lost its connection", metadata: ["error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
            }
        }
    }

    private var listening = false {
        didSet {
            guard listening else { return }
            for waiter in listenWaiters { waiter.resume() }
            listenWaiters.removeAll()
        }
    }
    private var listenWaiters: [CheckedContinuation<Void, Never>] = []

    /// Whether LISTEN is in place, so a change committed from now on is heard at once rather than at the next poll.
    public var isListening: Bool { listening }

    /// Returns once LISTEN is in place, or once `run()` has ended.
    public func waitUntilListening() async {
        if listening { return }
        await withCheckedContinuation { listenWaiters.append($0) }
    }

    private func listenOnce() async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try database.connectionConfiguration(), id: 1, logger: logger
        )
        do {
            try await connection.listen(on: FlowStateStore.channel) { notifications in
                self.listening = true
                // Changes made while we were not listening.
                try await self.refresh()
                for try await notification in notifications {
                    try await self.reload(notification.payload)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func reload(_ flow: String) async throws {
        if let state = try await store.state(flow) { apply([state]) }
    }

    private func apply(_ states: [FlowState]) {
        var changed: [FlowState] = []
        snapshot.withLock { known in
            for state in states where (known[state.flow]?.version ?? 0) < state.version {
                known[state.flow] = state
                changed.append(state)
            }
        }
        for state in changed {
            logger.info(
                "flow mode changed",
                metadata: [
                    "cutover.flow": "\(state.flow)", "cutover.mode": "\(state.setting)",
                    "cutover.version": "\(state.version)",
                    "cutover.actor": "\(state.changedBy)",
                ]
            )
            for continuation in subscribers.values { continuation.yield(state) }
        }
    }
}
