import CutoverConfig
import CutoverHTTP
import Foundation
import Synchronization

/// One rate limiter per ERP host, shared by every flow that calls it: the ERP's quota is per host (per tenant), not
/// per flow. The first flow naming a host's `rate_limit` sets it.
public final class ERPQuotas: Sendable {
    private let limiters = Mutex<[String: RateLimiter]>([:])

    public init() {}

    func limiter(for definition: NewSideDefinition) -> RateLimiter? {
        guard let limit = definition.rateLimit else { return nil }
        let host = URLComponents(string: definition.url)?.host ?? "erp"
        return limiters.withLock { limiters in
            if let existing = limiters[host] { return existing }
            let limiter = RateLimiter(ratePerSecond: limit.perSecond, burst: limit.burst)
            limiters[host] = limiter
            return limiter
        }
    }
}
