import Synchronization

/// Whether this instance has finished starting: migrations checked, flows seeded, partitions in place.
public final class Readiness: Sendable {
    private let state = Mutex<(ready: Bool, flows: Int)>((false, 0))

    public init() {}

    func markReady(flows: Int) {
        state.withLock { $0 = (true, flows) }
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public var flowCount: Int { state.withLock { $0.flows } }
}
