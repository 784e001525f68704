import CutoverCore
import Foundation
import Logging

/// A cloud ERP REST API shaped like Dynamics 365 Business Central API v2.0, in memory, for demos and tests.
///
/// - `POST /oauth2/token` (client credentials) issues bearer tokens; every `/api/v2.0` route requires one.
/// - `GET /api/v2.0/companies`; company-scoped entity sets under `/api/v2.0/companies({id})/`: `vendors`, `items`
///   (read-only), `purchaseOrders` (with `purchaseOrderLines`), `purchaseInvoices` and `itemLedgerEntries`.
/// - Lists page with `$top`/`$skip` and `@odata.nextLink`; entities carry `@odata.etag`, and `PATCH` needs a
///   matching `If-Match` (else 409 `Request_EntityChanged`); errors are OData JSON.
/// - A `POST` repeating an `Idempotency-Key` returns the first answer unchanged.
/// - `GET/PUT /_sim/knobs` inject latency, 5xx, 429 and field divergences; `GET /_sim/stats` counts.
public actor ERPSimulator {
    public struct Configuration: Sendable {
        public var companyID: String
        public var clientID: String
        public var clientSecret: String

        public init(
            companyID: String = "hospital-network", clientID: String = "cutover-demo",
            clientSecret: String = "demo-secret-not-for-production"
        ) {
            self.companyID = companyID
            self.clientID = clientID
            self.clientSecret = clientSecret
        }
    }

    /// What the simulator has seen, for tests and the demo.
    public struct Stats: Sendable, Codable, Hashable {
        public var requests = 0
        public var tokensIssued = 0
        public var created: [String: Int] = [:]
        public var idempotentReplays = 0
        public var injectedFailures = 0
        public var throttled = 0
        public var unauthorized = 0
    }

    struct Entity {
        var members: [(String, JSONValue)]
        var version: Int

        func value(_ name: String) -> JSONValue? { members.first { $0.0 == name }?.1 }

        mutating func set(_ name: String, _ value: JSONValue) {
            if let index = members.firstIndex(where: { $0.0 == name }) {
                members[index].1 = value
            } else {
                members.append((name, value))
            }
        }
    }

    static let entitySets = ["vendors", "items", "purchaseOrders", "purchaseInvoices", "itemLedgerEntries"]
    static let writable: Set<String> = ["purchaseOrders", "purchaseInvoices", "itemLedgerEntries"]

    public let configuration: Configuration
    public internal(set) var knobs = ERPSimulatorKnobs()
    public internal(set) var stats = Stats()
    var tables: [String: [Entity]] = [:]
    var idempotent: [String: SimulatorResponse] = [:]
    var tokens: [String: Date] = [:]
    var sequence = 0
    private let logger: Logger

    public init(
        configuration: Configuration = Configuration(), knobs: ERPSimulatorKnobs = ERPSimulatorKnobs(), logger: Logger
    ) {
        self.configuration = configuration
        self.knobs = knobs
        self.logger = logger
        self.tables = Self.seed()
    }

    public func setKnobs(_ knobs: ERPSimulatorKnobs) {
        self.knobs = knobs
    }

    /// The entities of one set, as JSON (for tests).
    public func entities(_ set: String) -> [JSONValue] {
        (tables[set] ?? []).map { .object($0.members) }
    }

    // MARK: Dispatch

    public func handle(_ request: SimulatorRequest) async -> SimulatorResponse {
        let path = request.path
        if path == "/oauth2/token", request.method == "POST" { return issueToken(request) }
        if path.hasPrefix("/_sim/") { return control(request) }
        guard path.hasPrefix("/api/v2.0/") || path == "/api/v2.0" else {
            return Self.error(404, "BadRequest_NotFound", "No resource at \(path).")
        }
        stats.requests += 1
        guard authorised(request) else {
            stats.unauthorized += 1
            return Self.error(401, "Unauthorized", "The credentials provided are incorrect.")
        }
        if knobs.latencyMs > 0 { try? await Task.sleep(for: .milliseconds(knobs.latencyMs)) }
        if let injected = injectedFault() { return injected }
        return route(request)
    }

    private func route(_ request: SimulatorRequest) -> SimulatorResponse {
        let segments = request.path.dropFirst("/api/v2.0/".count).split(separator: "/").map(String.init)
        if segments == ["companies"], request.method == "GET" {
            let company: JSONValue = .object([
                ("id", .string(configuration.companyID)), ("name", .string("Hospital Network (simulated)")),
            ])
            return Self.json(200, .object([("value", .array([company]))]))
        }
        guard let first = segments.first, let company = Self.key(of: first, set: "companies") else {
            return Self.error(404, "BadRequest_NotFound", "The request URL is not valid.")
        }
        guard company == configuration.companyID else {
            return Self.error(404, "BadRequest_NotFound", "The company '\(company)' does not exist.")
        }
        let rest = Array(segments.dropFirst())
        guard let setSegment = rest.first else {
            return Self.error(404, "BadRequest_NotFound", "The request URL is not valid.")
        }
        let set = setSegment.prefix { $0 != "(" }
        guard Self.entitySets.contains(String(set)) else {
            return Self.error(404, "BadRequest_NotFound", "The entity set '\(set)' does not exist.")
        }
        let key = Self.key(of: setSegment, set: String(set))
        switch (request.method, key, rest.count) {
        case ("GET", nil, 1): return list(String(set), request)
        case ("POST", nil, 1): return create(String(set), request)
        case ("GET", let key?, 1): return read(String(set), key: key)
        case ("PATCH", let key?, 1): return update(String(set), key: key, request)
        case ("GET", let key?, 2) where set == "purchaseOrders" && rest[1] == "purchaseOrderLines":
            guard let entity = find(String(set), key) else { return notFound(String(set), key) }
            return Self.json(200, .object([("value", entity.value("purchaseOrderLines") ?? .array([]))]))
        default:
            return Self.error(405, "BadRequest_MethodNotAllowed", "\(request.method) is not allowed here.")
        }
    }

    /// `companies(x)` → `x`; `purchaseOrders(…)` → the key, quotes removed.
    static func key(of segment: String, set: String) -> String? {
        guard segment.hasPrefix(set + "("), segment.hasSuffix(")") else { return nil }
        var key = segment.dropFirst(set.count + 1).dropLast()
        if key.hasPrefix("'"), key.hasSuffix("'"), key.count >= 2 { key = key.dropFirst().dropLast() }
        return String(key).removingPercentEncoding ?? String(key)
    }

    // MARK: Auth and faults

    private func issueToken(_ request: SimulatorRequest) -> SimulatorResponse {
        let form = FormEncoding.decode(String(decoding: request.body, as: UTF8.self))
        guard form["grant_type"] == "client_credentials" else {
            return Self.json(400, .object([("error", .string("unsupported_grant_type"))]))
        }
        guard form["client_id"] == configuration.clientID, form["client_secret"] == configuration.clientSecret else {
            return Self.json(
                401,
                .object([
                    ("error", .string("invalid_client")),
                    ("error_description", .string("Client authentication failed.")),
                ]))
        }
        let token = "sim-" + UUID().uuidString.lowercased()
        tokens[token] = Date().addingTimeInterval(Double(knobs.tokenLifetimeSeconds))
        stats.tokensIssued += 1
        return Self.json(
            200,
            .object([
                ("token_type", .string("Bearer")), ("expires_in", .number(String(knobs.tokenLifetimeSeconds))),
                ("access_token", .string(token)),
            ]))
    }

    private func authorised(_ request: SimulatorRequest) -> Bool {
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else { return false }
        guard let expiry = tokens[String(header.dropFirst(7))] else { return false }
        return expiry > Date()
    }

    private func injectedFault() -> SimulatorResponse? {
        if knobs.throttleNext > 0 || (knobs.throttleRate > 0 && Double.random(in: 0..<1) < knobs.throttleRate) {
            knobs.throttleNext = max(0, knobs.throttleNext - 1)
            stats.throttled += 1
            var response = Self.error(429, "Application_TooManyRequests", "Too many requests; try again later.")
            if knobs.retryAfterSeconds >= 0 { response.headers.append(("Retry-After", "\(knobs.retryAfterSeconds)")) }
            return response
        }
        if knobs.failNext > 0 {
            knobs.failNext -= 1
            stats.injectedFailures += 1
            return Self.error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
        }
        if knobs.failRate > 0, Double.random(in: 0..<1) < knobs.failRate {
            stats.injectedFailures += 1
            return Self.error(500, "InternalServerError", "An unexpected error occurred.")
        }
        return nil
    }

    private func control(_ request: SimulatorRequest) -> SimulatorResponse {
        switch (request.method, request.path) {
        case ("GET", "/_sim/knobs"):
            return SimulatorResponse(status: 200, headers: Self.jsonHeaders, body: Self.encode(knobs))
        case ("PUT", "/_sim/knobs"):
            do {
                knobs = try ERPSimulatorKnobs.decode(request.body, onto: knobs)
                return SimulatorResponse(status: 200, headers: Self.jsonHeaders, body: Self.encode(knobs))
            } catch {
                return Self.error(400, "BadRequest", "The knobs are not valid JSON.")
            }
        case ("GET", "/_sim/stats"):
            return SimulatorResponse(status: 200, headers: Self.jsonHeaders, body: Self.encode(stats))
        default:
            return Self.error(404, "BadRequest_NotFound", "No such simulator control.")
        }
    }

    // MARK: Answers

    static let jsonHeaders = [("Content-Type", "application/json; odata.metadata=minimal")]

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> SimulatorResponse {
        SimulatorResponse(status: status, headers: jsonHeaders + headers, body: value.text)
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> SimulatorResponse {
        json(status, .object([("error", .object([("code", .string(code)), ("message", .string(message))]))]))
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
