import Synchronization

/// A circuit breaker for one flow's calls to one ERP host: closed (calls go out), open (calls fail at once, the ERP
/// is left alone to recover), half-open (one probe goes out; its outcome closes or re-opens the circuit).
///
/// It opens after `failureThreshold` consecutive failures that say the ERP is unavailable (timeouts, broken
/// connections, 5xx, rate limiting past retries). A refusal of the request's content (4xx) is an answer, not an
/// outage: it neither opens nor keeps the circuit open.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable, Hashable, CaseIterable, Codable {
        case closed, open
        case halfOpen = "half_open"
    }

    public struct Configuration: Sendable, Hashable {
        public var failureThreshold: Int
        public var openDuration: Duration

        public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(30)) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
        }
    }

    /// Leave to make one call; report its outcome with ``record(_:unavailable:)``.
    public struct Permit: Sendable {
        let probe: Bool
    }

    private struct Status {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probing = false
    }

    public let configuration: Configuration
    private let status = Mutex(Status())

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The state now; an open circuit whose time is up reads as half-open.
    public var state: State {
        status.withLock { status in
            if status.state == .open, let openedAt = status.openedAt,
                openedAt.duration(to: .now) >= configuration.openDuration
            {
                return .halfOpen
            }
            return status.state
        }
    }

    /// A half-open circuit's probe is out: its outcome is coming.
    public var probing: Bool {
        status.withLock { $0.probing }
    }

    /// Waits while a probe is out (polling every 10 ms), at most `limit`: a batch caller that found the circuit
    /// half-open tries again once the probe has closed or re-opened it, instead of failing its record at once.
    public func waitForProbe(atMost limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while probing, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A permit to call, or nil when the circuit is open (or half-open with its probe already out).
    public func acquire() -> Permit? {
        status.withLock { status in
            switch status.state {
            case .closed:
                return Permit(probe: false)
            case .open:
                guard let openedAt = status.openedAt, openedAt.duration(to: .now) >= configuration.openDuration else {
                    return nil
                }
                status.state = .halfOpen
                status.probing = true
                return Permit(probe: true)
            case .halfOpen:
                guard !status.probing else { return nil }
                status.probing = true
                return Permit(probe: true)
            }
        }
    }

    /// The outcome of a permitted call: `unavailable` when the ERP could not be reached or did not cope.
    public func record(_ permit: Permit, unavailable: Bool) {
        status.withLock { status in
            if permit.probe { status.probing = false }
            if unavailable {
                status.consecutiveFailures += 1
                if permit.probe || status.state == .halfOpen
                    || status.consecutiveFailures >= configuration.failureThreshold
                {
                    status.state = .open
                    status.openedAt = .now
                }
            } else {
                status.consecutiveFailures = 0
                status.state = .closed
                status.openedAt = nil
            }
        }
    }
}
