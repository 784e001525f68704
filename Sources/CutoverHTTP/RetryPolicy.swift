import Foundation

/// When and how long to wait before trying an ERP request again.
///
/// Only requests that are safe to repeat are retried: idempotent methods, and POSTs that carry an
/// idempotency key. Transport failures, timeouts, 408, 429, 500, 502, 503 and 504 are retried; everything else
/// is final. Waits grow exponentially with "equal jitter" (half fixed, half random), so a crowd of callers that
/// failed together does not come back together.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A Retry-After longer than this is not waited for: the request fails as rate limited.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5),
        maxRetryAfter: Duration = .seconds(30)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// The wait before attempt `attempt + 1`, given that attempt `attempt` (1-based) failed; `unit` is a random
    /// number in [0, 1).
    public func backoff(afterAttempt attempt: Int, unit: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let half = ceiling / 2
        return half + half * min(max(unit, 0), 1)
    }

    /// A `Retry-After` header value: delta-seconds or an HTTP-date; nil when absent or unreadable.
    public static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        guard let date = httpDateFormatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded(.up))))
    }

    /// Made per use: only a 429 with a dated Retry-After needs it.
    private static var httpDateFormatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }
}
