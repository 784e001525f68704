import CutoverCore

/// The cloud ERP call made for one exchange (DESIGN.md's `new`).
public struct NewSideDefinition: Sendable, Hashable {
    public enum Fallback: String, Sendable, Hashable, CaseIterable { case legacy, deadLetter = "dead-letter" }

    public var method: String
    public var url: String
    public var auth: ClientCredentials?
    public var idempotencyKey: KeySpec?
    public var body: BodySpec?
    public var timeoutMilliseconds: Int
    public var batchSize: Int
    /// SOAP: the template rendering the SOAP answer from the ERP's JSON reply, resolved against the adapter file.
    public var responseTemplate: String?
    /// JSON pointer → (ERP value → legacy value).
    public var responseMap: [String: [String: String]]
    /// What happens to an exchange when the new side cannot be reached in canary or new mode.
    public var fallback: Fallback
    /// `circuit_breaker: { failures, open_for }`: consecutive unavailability that opens the circuit, and how long it
    /// stays open before one probe.
    public var circuitFailures: Int = 5
    public var circuitOpenSeconds: Double = 30
    /// `rate_limit: { per_second, burst }`: the ERP host's quota; nil when unlimited.
    public var rateLimit: RateLimit?

    public struct RateLimit: Sendable, Hashable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public init(
        method: String = "POST", url: String, auth: ClientCredentials? = nil, idempotencyKey: KeySpec? = nil,
        body: BodySpec? = nil, timeoutMilliseconds: Int = 10_000, batchSize: Int = 100, responseTemplate: String? = nil,
        responseMap: [String: [String: String]] = [:], fallback: Fallback = .deadLetter
    ) {
        self.method = method
        self.url = url
        self.auth = auth
        self.idempotencyKey = idempotencyKey
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.batchSize = batchSize
        self.responseTemplate = responseTemplate
        self.responseMap = responseMap
        self.fallback = fallback
    }
}
