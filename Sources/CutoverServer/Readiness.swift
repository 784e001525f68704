import Synchronization

/// Whether this instance has finished starting: migrations checked, flows seeded, partitions in place.
public final class Readiness: Sendable {
    private struct State {
        var ready = false
        var flows = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    func markReady(flows: Int) {
        let waiters = state.withLock { state in
            state.ready = true
            state.flows = flows
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public var flowCount: Int { state.withLock { $0.flows } }

    /// Returns once ready, or at once when the calling task is cancelled.
    public func waitUntilReady() async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let resumeNow = state.withLock { state in
                    if state.ready || Task.isCancelled { return true }
                    state.waiters[id] = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
