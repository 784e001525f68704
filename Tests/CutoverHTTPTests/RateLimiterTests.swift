import CutoverHTTP
import Synchronization
import Testing

@Suite("ERP quota (token bucket)")
struct RateLimiterTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex<Duration>(.zero)
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    }

    /// The wait a decision asks for, in milliseconds (nil when it is not a wait).
    func waitMilliseconds(_ decision: RateLimiter.Decision) -> Int? {
        guard case .wait(let duration) = decision else { return nil }
        return Int(
            (Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000).rounded())
    }

    @Test("served traffic takes the burst, then waits its turn, never refused")
    func served() {
        let clock = ManualClock()
        let limiter = RateLimiter(ratePerSecond: 10, burst: 4, now: { clock.now })
        for _ in 0..<4 { #expect(limiter.take(.served) == .granted) }
        #expect(waitMilliseconds(limiter.take(.served)) == 100)
        #expect(waitMilliseconds(limiter.take(.served)) == 200, "queued behind the first")
        clock.advance(.milliseconds(300))
        #expect(limiter.take(.served) == .granted, "the two reserved tokens were paid first, one is left")
        #expect(waitMilliseconds(limiter.take(.served)) == 100)
    }

    @Test("shadow traffic is shed while the bucket is down to the served reserve, and comes back as it refills")
    func shadowShedFirst() {
        let clock = ManualClock()
        let limiter = RateLimiter(ratePerSecond: 10, burst: 10, shadowReserve: 0.5, now: { clock.now })
        var shadowGranted = 0
        for _ in 0..<10 where limiter.take(.shadow) == .granted { shadowGranted += 1 }
        #expect(shadowGranted == 5, "shadow stops where half the bucket is left for served traffic")
        for _ in 0..<5 { #expect(limiter.take(.served) == .granted, "served traffic still has its reserve") }
        #expect(limiter.take(.shadow) == .shed)
        clock.advance(.seconds(1))
        #expect(limiter.take(.shadow) == .granted)
    }
}
