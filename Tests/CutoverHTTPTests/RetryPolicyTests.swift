import CutoverHTTP
import Foundation
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("waits double per attempt, half fixed and half jitter, capped at the maximum")
    func backoff() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.backoff(afterAttempt: 1, unit: 0) == .milliseconds(50))
        #expect(policy.backoff(afterAttempt: 1, unit: 1) == .milliseconds(100))
        #expect(policy.backoff(afterAttempt: 3, unit: 0) == .milliseconds(200))
        #expect(policy.backoff(afterAttempt: 10, unit: 1) == .seconds(1))
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(RetryPolicy.retryAfter("7", now: now) == .seconds(7))
        let tenSecondsBefore = Date(timeIntervalSince1970: 1_795_586_400)
        #expect(RetryPolicy.retryAfter("Wed, 25 Nov 2026 06:00:10 GMT", now: tenSecondsBefore) == .seconds(10))
        #expect(RetryPolicy.retryAfter(nil) == nil)
        #expect(RetryPolicy.retryAfter("soon") == nil)
    }

    @Test("only methods that may repeat, or keyed POSTs, are safe to retry")
    func safety() {
        #expect(ERPRequest(method: .GET, url: "x").isSafeToRetry)
        #expect(!ERPRequest(method: .POST, url: "x").isSafeToRetry)
        #expect(ERPRequest(method: .POST, url: "x", idempotencyKey: "k").isSafeToRetry)
        #expect(!ERPRequest(method: .PATCH, url: "x").isSafeToRetry)
    }
}
