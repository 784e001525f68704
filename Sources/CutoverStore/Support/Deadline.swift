import Synchronization

/// The error of an operation that did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var description: String { "operation did not finish before its deadline" }
}

/// Runs `operation`, giving up after `timeout`.
///
/// On timeout the operation is cancelled and *abandoned*, not awaited: a PostgresNIO call on a connection whose
/// server vanished was seen to ignore cancellation, and a task group would wait for it, which is exactly the stall a
/// deadline exists to prevent. The abandoned task ends when its connection fails.
public func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
    async throws
    -> T
{
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.install(continuation)
            let work = Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if race.finish(.failure(DeadlineExceeded())) { work.cancel() }
            }
            race.onFinish { timer.cancel() }
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once, with whichever result comes first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if state.done { return true }
            state.cleanup = cleanup
            return false
        }
        if runNow { cleanup() }
    }

    /// Returns true when this result was the one delivered.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, cleanup, won): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?, Bool) =
            state.withLock { state in
                guard !state.done else { return (nil, nil, false) }
                state.done = true
                let continuation = state.continuation
                state.continuation = nil
                if continuation == nil { state.early = result }
                let cleanup = state.cleanup
                state.cleanup = nil
                return (continuation, cleanup, true)
            }
        continuation?.resume(with: result)
        cleanup?()
        return won
    }
}
