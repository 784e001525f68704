import Foundation

/// What the ERP simulator gets wrong on purpose. Every field is optional in JSON (`PUT /_sim/knobs`); a missing
/// field keeps its current value.
public struct ERPSimulatorKnobs: Sendable, Hashable, Codable {
    /// Added to every API answer (not the token endpoint).
    public var latencyMs: Int = 0
    /// The next N API requests fail with 503 `ServiceUnavailable`.
    public var failNext: Int = 0
    /// Share (0…1) of API requests failing with 500 `InternalServerError`.
    public var failRate: Double = 0
    /// The next N API requests are refused with 429.
    public var throttleNext: Int = 0
    /// Share (0…1) of API requests refused with 429.
    public var throttleRate: Double = 0
    /// Retry-After sent with 429s, in seconds; negative sends none.
    public var retryAfterSeconds: Int = 1
    /// Top-level members of created purchase orders and item ledger entries to change: `"+1.00"`/`"-0.5"` add to
    /// a number, anything else replaces the value (e.g. `{"status": "Draft"}`).
    public var divergences: [String: String] = [:]
    /// Only these vendors' orders (ledger entries: these location codes) diverge; empty means every one.
    public var divergeVendors: [String] = []
    /// Largest page a list answers with before `@odata.nextLink`.
    public var pageSize: Int = 20
    /// Lifetime of issued access tokens.
    public var tokenLifetimeSeconds: Int = 3600

    public init() {}

    enum CodingKeys: String, CodingKey {
        case latencyMs, failNext, failRate, throttleNext, throttleRate, retryAfterSeconds, divergences,
            divergeVendors, pageSize, tokenLifetimeSeconds
    }

    /// Decodes onto `base`: fields absent from the JSON keep `base`'s values.
    public static func decode(_ data: [UInt8], onto base: ERPSimulatorKnobs) throws -> ERPSimulatorKnobs {
        try JSONDecoder().decode(Patch.self, from: Data(data)).applied(to: base)
    }

    struct Patch: Decodable {
        var latencyMs: Int?
        var failNext: Int?
        var failRate: Double?
        var throttleNext: Int?
        var throttleRate: Double?
        var retryAfterSeconds: Int?
        var divergences: [String: String]?
        var divergeVendors: [String]?
        var pageSize: Int?
        var tokenLifetimeSeconds: Int?

        func applied(to base: ERPSimulatorKnobs) -> ERPSimulatorKnobs {
            var knobs = base
            knobs.latencyMs = latencyMs ?? base.latencyMs
            knobs.failNext = failNext ?? base.failNext
            knobs.failRate = failRate ?? base.failRate
            knobs.throttleNext = throttleNext ?? base.throttleNext
            knobs.throttleRate = throttleRate ?? base.throttleRate
            knobs.retryAfterSeconds = retryAfterSeconds ?? base.retryAfterSeconds
            knobs.divergences = divergences ?? base.divergences
            knobs.divergeVendors = divergeVendors ?? base.divergeVendors
            knobs.pageSize = max(1, pageSize ?? base.pageSize)
            knobs.tokenLifetimeSeconds = tokenLifetimeSeconds ?? base.tokenLifetimeSeconds
            return knobs
        }
    }
}
