import CutoverHTTP
import CutoverTesting
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    func fail(_ breaker: CircuitBreaker, times: Int) {
        for _ in 0..<times {
            guard let permit = breaker.acquire() else { return }
            breaker.record(permit, unavailable: true)
        }
    }

    @Test("opens after the threshold of consecutive failures; a success in between starts the count again")
    func opens() {
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 3, openDuration: .seconds(60)))
        fail(breaker, times: 2)
        let permit = breaker.acquire()!
        breaker.record(permit, unavailable: false)
        fail(breaker, times: 2)
        #expect(breaker.state == .closed)
        fail(breaker, times: 1)
        #expect(breaker.state == .open)
        #expect(breaker.acquire() == nil, "an open circuit sends nothing")
    }

    @Test("a refusal (not unavailability) never opens it")
    func refusals() {
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 2))
        for _ in 0..<10 {
            let permit = breaker.acquire()!
            breaker.record(permit, unavailable: false)
        }
        #expect(breaker.state == .closed)
    }

    @Test("after its open time one probe goes out: success closes, failure re-opens")
    func halfOpen() async throws {
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openDuration: .milliseconds(50)))
        fail(breaker, times: 1)
        #expect(breaker.acquire() == nil)
        #expect(try await poll(every: .milliseconds(10), for: .seconds(5)) { breaker.state == .halfOpen })
        let probe = try #require(breaker.acquire())
        #expect(breaker.acquire() == nil, "one probe at a time")
        breaker.record(probe, unavailable: true)
        #expect(breaker.state == .open, "a failed probe opens it again")
        #expect(try await poll(every: .milliseconds(10), for: .seconds(5)) { breaker.state == .halfOpen })
        let second = try #require(breaker.acquire())
        breaker.record(second, unavailable: false)
        #expect(breaker.state == .closed)
        #expect(breaker.acquire() != nil)
    }

    @Test("a caller waiting for the probe goes once the probe has closed the circuit")
    func waitsForProbe() async throws {
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openDuration: .milliseconds(20)))
        fail(breaker, times: 1)
        #expect(try await poll(every: .milliseconds(5), for: .seconds(5)) { breaker.state == .halfOpen })
        let probe = try #require(breaker.acquire())
        #expect(breaker.probing)
        #expect(breaker.acquire() == nil, "the probe is out")
        // The probe's outcome arrives while the caller is already waiting for it.
        let outcome = Task {
            try await Task.sleep(for: .milliseconds(50))
            breaker.record(probe, unavailable: false)
        }
        await breaker.waitForProbe(atMost: .seconds(30))
        #expect(!breaker.probing)
        try await outcome.value
        #expect(breaker.acquire() != nil, "closed by the probe: the waiting caller goes")
    }
}
