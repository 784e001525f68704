import Logging
import ServiceLifecycle
import Synchronization

/// Work done off the caller's path: the other side's call in shadow and canary modes, its comparison and its audit
/// records. Jobs run concurrently, at most `capacity` queued or running; beyond that `submit` refuses and the
/// exchange is recorded as not compared, so a slow new side can never pile up memory or slow the callers.
///
/// On graceful shutdown it stops accepting jobs and finishes those it holds (each is bounded by its side's
/// timeout), so their audit records reach the writer before the writer stops.
public final class OffPathCalls: Service, Sendable {
    public typealias Job = @Sendable () async -> Void

    public let capacity: Int
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let state = Mutex<(pending: Int, accepting: Bool, idleWaiters: [CheckedContinuation<Void, Never>])>(
        (0, true, []))
    private let logger: Logger

    public init(capacity: Int = 1_024, logger: Logger) {
        self.capacity = capacity
        (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        self.logger = logger
    }

    /// Jobs queued or running.
    public var pending: Int { state.withLock { $0.pending } }

    /// Queues `job`; false when full or shutting down.
    public func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state in
            guard state.accepting, state.pending < capacity else { return false }
            state.pending += 1
            return true
        }
        guard accepted else { return false }
        if case .terminated = continuation.yield(job) {
            finished()
            return false
        }
        return true
    }

    /// Returns once no job is queued or running (for tests and the demo).
    public func waitUntilIdle() async {
        await withCheckedContinuation { waiter in
            let idle = state.withLock { state in
                if state.pending == 0 { return true }
                state.idleWaiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }

    public func run() async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await job in stream {
                    group.addTask { [self] in
                        await job()
                        finished()
                    }
                }
            }
        } onGracefulShutdown: { [self] in
            let held = state.withLock { state in
                state.accepting = false
                return state.pending
            }
            logger.info("finishing off-path calls before stopping", metadata: ["cutover.pending": "\(held)"])
            continuation.finish()
        }
    }

    private func finished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending -= 1
            guard state.pending == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
