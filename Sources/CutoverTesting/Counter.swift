import Synchronization

/// A count shared by concurrent tasks.
public final class Counter: Sendable {
    private let value: Mutex<Int>

    public init(_ start: Int = 0) {
        value = Mutex(start)
    }

    public func increment(by amount: Int = 1) {
        value.withLock { $0 += amount }
    }

    /// Takes the next value below `limit`, or nil when all are taken.
    public func take(below limit: Int) -> Int? {
        value.withLock { current in
            guard current < limit else { return nil }
            defer { current += 1 }
            return current
        }
    }

    public var current: Int { value.withLock { $0 } }

    public func set(_ newValue: Int) {
        value.withLock { $0 = newValue }
    }
}
