import CutoverConfig
import CutoverCore
import CutoverHTTP
import Foundation
import NIOHTTP1

/// The ERP request for one exchange, built on the caller's path from the legacy input.
struct PreparedNewCall: Sendable {
    var body: JSONValue
    var idempotencyKey: String?
}

/// Why legacy input could not become an ERP request (a value of the wrong type, a missing key).
struct MappingRefusal: Error, Sendable {
    var message: String
}

/// What the new side did with one exchange.
struct NewOutcome: Sendable {
    var startedAt: Date
    var request: JSONValue?
    var status: Int?
    var reply: JSONValue?
    var replyText: String?
    var latency: Double
    var error: ERPError?

    var succeeded: Bool { error == nil && reply != nil }

    static func failed(_ reason: String, code: ERPError.Code = .invalidRequest, request: JSONValue? = nil)
        -> NewOutcome
    {
        NewOutcome(
            startedAt: Date(), request: request, status: nil, reply: nil, replyText: nil, latency: 0,
            error: ERPError(code: code, message: reason))
    }

    /// The new side could not be reached or did not cope (as opposed to refusing the request's content): the
    /// failures a `fallback: legacy` flow falls back on.
    var isUnavailability: Bool {
        guard let error else { return false }
        switch error.code {
        case .timeout, .transport, .rateLimited, .authentication, .circuitOpen: return true
        case .http: return (error.status ?? 500) >= 500
        case .invalidRequest: return false
        }
    }
}

/// A flow's new side: the mapping from legacy input to an ERP request, and the call itself. Every adapter kind
/// uses it the same way.
struct NewSide: Sendable {
    let definition: NewSideDefinition
    let client: ERPClient
    /// This flow's breaker for its ERP host.
    let breaker: CircuitBreaker
    /// The ERP host's quota, shared by every flow calling it; nil when unlimited.
    let limiter: RateLimiter?

    init(definition: NewSideDefinition, client: ERPClient, limiter: RateLimiter? = nil) {
        self.definition = definition
        self.client = client
        self.limiter = limiter
        self.breaker = CircuitBreaker(
            configuration: .init(
                failureThreshold: definition.circuitFailures, openDuration: .seconds(definition.circuitOpenSeconds)))
    }

    /// A flow's new side, when it has one and an ERP client to call it with; its host's quota from `quotas`.
    init?(_ definition: NewSideDefinition?, client: ERPClient?, quotas: ERPQuotas) {
        guard let definition, let client else { return nil }
        self.init(definition: definition, client: client, limiter: quotas.limiter(for: definition))
    }

    /// The ERP host this flow calls (the breaker's scope).
    var host: String { URLComponents(string: definition.url)?.host ?? "erp" }

    /// Builds the body and idempotency key, or says why the input cannot be mapped.
    func prepare(from source: any MappingSource, builtins: [String: String] = [:])
        -> Result<PreparedNewCall, MappingRefusal>
    {
        let body: JSONValue
        do {
            body = try definition.body.map { try BodyMapper.build($0, from: source) } ?? .object([])
        } catch {
            return .failure(MappingRefusal(message: "mapping: \(error)"))
        }
        var key: String?
        if let spec = definition.idempotencyKey {
            guard let rendered = spec.render(from: source, builtins: builtins) else {
                return .failure(MappingRefusal(message: "mapping: the idempotency key selects nothing"))
            }
            key = rendered
        }
        return .success(PreparedNewCall(body: body, idempotencyKey: key))
    }

    /// Whether a shadow call may go out now: not when the host's quota is down to what served traffic needs.
    func admitShadow() -> Bool {
        limiter.map { $0.take(.shadow) != .shed } ?? true
    }

    /// Calls the ERP. Served calls wait for the host's quota; shadow calls were admitted by ``admitShadow()``.
    /// `waitForProbe` (batch adapters, where nobody waits on the line): a call that finds the circuit half-open with
    /// its probe out waits for the probe's outcome, at most the request timeout, instead of failing at once.
    func call(
        _ prepared: PreparedNewCall, headers: [(String, String)], served: Bool = true, waitForProbe: Bool = false
    ) async -> NewOutcome {
        if served { await limiter?.acquireServed() }
        var permit = breaker.acquire()
        if permit == nil, waitForProbe, breaker.probing {
            await breaker.waitForProbe(atMost: .milliseconds(definition.timeoutMilliseconds))
            permit = breaker.acquire()
        }
        guard let permit else {
            return .failed(
                "not sent: the circuit for \(host) is open after repeated failures", code: .circuitOpen,
                request: prepared.body)
        }
        let outcome = await send(prepared, headers: headers)
        breaker.record(permit, unavailable: outcome.isUnavailability)
        return outcome
    }

    private func send(_ prepared: PreparedNewCall, headers: [(String, String)]) async -> NewOutcome {
        let startedAt = Date()
        let clock = ContinuousClock.now
        let request = ERPRequest.json(
            HTTPMethod(rawValue: definition.method.uppercased()), definition.url, body: prepared.body,
            idempotencyKey: prepared.idempotencyKey, headers: headers,
            timeout: .milliseconds(definition.timeoutMilliseconds))
        do {
            let response = try await client.send(request)
            let reply = try response.json()
            return NewOutcome(
                startedAt: startedAt, request: prepared.body, status: response.status, reply: reply,
                replyText: response.text, latency: clock.duration(to: .now).inSeconds, error: nil)
        } catch {
            return NewOutcome(
                startedAt: startedAt, request: prepared.body, status: error.status, reply: nil,
                replyText: error.responseBody, latency: clock.duration(to: .now).inSeconds, error: error)
        }
    }
}

extension NewSide {
    /// The ERP host and the state of this flow's breaker for it, as `/metrics` reads them.
    var circuit: (host: String, state: CircuitBreaker.State) { (host, breaker.state) }
}
