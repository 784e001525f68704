import Synchronization

/// A token bucket for one ERP host: `ratePerSecond` tokens a second, up to `burst`. Served traffic (the answer a
/// caller waits for) takes a token or waits for the next one; shadow traffic (calls made only to compare) takes one
/// only while more than `shadowReserve` of the bucket is left, and is shed otherwise — so when the quota runs
/// short, shadowing goes first and never starves served traffic.
public final class RateLimiter: Sendable {
    public enum Priority: Sendable {
        case served, shadow
    }

    public let ratePerSecond: Double
    public let burst: Double
    /// The share of the bucket kept for served traffic.
    public let shadowReserve: Double
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<(tokens: Double, updated: ContinuousClock.Instant)>

    public init(
        ratePerSecond: Double, burst: Double, shadowReserve: Double = 0.5,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.shadowReserve = shadowReserve
        self.now = now
        state = Mutex((max(1, burst), now()))
    }

    /// Takes a token now if `priority` may have one; otherwise, for served traffic, says how long until one is due.
    public func take(_ priority: Priority) -> Decision {
        state.withLock { state in
            let instant = now()
            let elapsed = state.updated.duration(to: instant)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            state.tokens = min(burst, state.tokens + seconds * ratePerSecond)
            state.updated = instant
            let floor = priority == .shadow ? burst * shadowReserve + 1 : 1
            if state.tokens >= floor {
                state.tokens -= 1
                return .granted
            }
            if priority == .shadow { return .shed }
            // Reserve the next token for this caller: the balance goes negative, so later callers queue behind.
            state.tokens -= 1
            return .wait(.seconds((1 - (state.tokens + 1)) / ratePerSecond))
        }
    }

    public enum Decision: Sendable, Equatable {
        case granted
        /// Served traffic: the token is reserved; go after this long.
        case wait(Duration)
        /// Shadow traffic: not sent.
        case shed
    }

    /// For served traffic: returns once its token is due.
    public func acquireServed() async {
        if case .wait(let delay) = take(.served) { try? await Task.sleep(for: delay) }
    }
}
