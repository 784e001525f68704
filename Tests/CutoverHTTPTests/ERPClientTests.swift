import AsyncHTTPClient
import CutoverCore
import CutoverHTTP
import CutoverSimulators
import CutoverTesting
import Foundation
import Synchronization
import Testing

/// Waits the client asks for, recorded instead of slept, so backoff is checked without timing.
final class RecordedWaits: Sendable {
    private let waits = Mutex<[Duration]>([])
    var all: [Duration] { waits.withLock { $0 } }
    func record(_ wait: Duration) { waits.withLock { $0.append(wait) } }
}

let credentials = ClientCredentials(
    tokenURL: "", clientID: "cutover-demo", clientSecret: "demo-secret-not-for-production")

func withERP<T: Sendable>(
    knobs: ERPSimulatorKnobs = ERPSimulatorKnobs(), retry: RetryPolicy = RetryPolicy(),
    _ body: @Sendable (ERPClient, RunningSimulators, RecordedWaits) async throws -> T
) async throws -> T {
    try await withSimulators(erpKnobs: knobs) { simulators in
        let http = HTTPClient.cutover()
        let waits = RecordedWaits()
        var auth = credentials
        auth.tokenURL = simulators.erpURL + "/oauth2/token"
        let client = ERPClient(
            httpClient: http,
            tokens: TokenProvider(credentials: auth, httpClient: http, logger: quietLogger("tokens")),
            configuration: .init(timeout: .seconds(5), retry: retry), logger: quietLogger("erp"),
            sleep: { waits.record($0) })
        do {
            let result = try await body(client, simulators, waits)
            try await http.shutdown()
            return result
        } catch {
            try await http.shutdown()
            throw error
        }
    }
}

func purchaseOrder(_ number: String, vendor: String = "SUP-1001") -> JSONValue {
    .object([
        ("number", .string(number)), ("vendorNumber", .string(vendor)), ("orderDate", .string("2026-11-25")),
        (
            "purchaseOrderLines",
            .array([.object([("itemId", .string("GAUZE-4X4")), ("quantity", .number("3"))])])
        ),
    ])
}

func ordersURL(_ simulators: RunningSimulators) -> String {
    simulators.erpURL + "/api/v2.0/companies(hospital-network)/purchaseOrders"
}

@Suite("ERP client", .timeLimit(.minutes(2)))
struct ERPClientTests {
    @Test("one token serves many requests, and a new one is fetched before the old one lapses")
    func tokenCachedAndRefreshed() async throws {
        try await withSimulators { simulators in
            let http = HTTPClient.cutover()
            var auth = credentials
            auth.tokenURL = simulators.erpURL + "/oauth2/token"
            let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            let tokens = TokenProvider(
                credentials: auth, httpClient: http, now: { now.withLock { $0 } }, logger: quietLogger("tokens"))
            // 20 concurrent callers share one fetch.
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await tokens.token() } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(values.count == 1)
            #expect(await tokens.fetchCount == 1)
            // The simulator issues 3600 s tokens: the margin is 60 s, so at +3500 s the cached one still serves…
            now.withLock { $0 += 3_500 }
            #expect(try await tokens.token() == values.first)
            // …and at +3545 s (15 s before expiry) a fresh one is fetched.
            now.withLock { $0 += 45 }
            let renewed = try await tokens.token()
            #expect(renewed != values.first)
            #expect(await tokens.fetchCount == 2)
            #expect(await simulators.erp.stats.tokensIssued == 2)
            try await http.shutdown()
        }
    }

    @Test("wrong client credentials are an authentication error that names no secret")
    func badCredentials() async throws {
        try await withSimulators { simulators in
            let http = HTTPClient.cutover()
            let auth = ClientCredentials(
                tokenURL: simulators.erpURL + "/oauth2/token", clientID: "cutover-demo", clientSecret: "wrong-secret")
            let client = ERPClient(
                httpClient: http, tokens: TokenProvider(credentials: auth, httpClient: http, logger: quietLogger("t")),
                logger: quietLogger("erp"))
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(ERPRequest(method: .GET, url: ordersURL(simulators)))
            }
            #expect(error?.code == .authentication)
            #expect(error?.erpCode == "invalid_client")
            #expect(!(error?.description.contains("wrong-secret") ?? true))
            try await http.shutdown()
        }
    }

    @Test("a keyed POST is retried through 503s with growing waits and creates one order")
    func retriesKeyedPost() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.failNext = 2
        try await withERP(knobs: knobs) { client, simulators, waits in
            let response = try await client.send(
                .json(.POST, ordersURL(simulators), body: purchaseOrder("PO-R1"), idempotencyKey: "key-R1"))
            #expect(response.status == 201)
            #expect(response.attempts == 3)
            #expect(await simulators.erp.stats.created["purchaseOrders"] == 1)
            let recorded = waits.all
            #expect(recorded.count == 2)
            // Equal jitter: attempt n waits between half and all of base × 2^(n-1).
            #expect(recorded[0] >= .milliseconds(50) && recorded[0] <= .milliseconds(100))
            #expect(recorded[1] >= .milliseconds(100) && recorded[1] <= .milliseconds(200))
        }
    }

    @Test("a POST without an idempotency key is never retried")
    func unkeyedPostNotRetried() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.failNext = 1
        try await withERP(knobs: knobs) { client, simulators, waits in
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(.json(.POST, ordersURL(simulators), body: purchaseOrder("PO-U1")))
            }
            #expect(error?.status == 503)
            #expect(error?.erpCode == "ServiceUnavailable")
            #expect(error?.attempts == 1)
            #expect(waits.all.isEmpty)
        }
    }

    @Test("429 with Retry-After waits what the ERP asked")
    func retryAfterHonoured() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.throttleNext = 1
        knobs.retryAfterSeconds = 2
        try await withERP(knobs: knobs) { client, simulators, waits in
            let response = try await client.send(ERPRequest(method: .GET, url: ordersURL(simulators)))
            #expect(response.status == 200)
            #expect(waits.all == [.seconds(2)])
        }
    }

    @Test("429 without Retry-After backs off; past the budget it is a rate-limited error")
    func throttledWithoutRetryAfter() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.throttleNext = 10
        knobs.retryAfterSeconds = -1
        try await withERP(knobs: knobs, retry: RetryPolicy(maxAttempts: 3)) { client, simulators, waits in
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(ERPRequest(method: .GET, url: ordersURL(simulators)))
            }
            #expect(error?.code == .rateLimited)
            #expect(error?.attempts == 3)
            #expect(waits.all.count == 2)
            #expect(waits.all.allSatisfy { $0 >= .milliseconds(50) && $0 <= .milliseconds(200) })
        }
    }

    @Test("a Retry-After longer than the policy allows is not waited for")
    func retryAfterTooLong() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.throttleNext = 1
        knobs.retryAfterSeconds = 600
        try await withERP(knobs: knobs) { client, simulators, waits in
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(ERPRequest(method: .GET, url: ordersURL(simulators)))
            }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfter == .seconds(600))
            #expect(waits.all.isEmpty)
        }
    }

    @Test("the ERP's OData error body becomes a typed error")
    func odataErrorParsed() async throws {
        try await withERP { client, simulators, _ in
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(
                    .json(.POST, ordersURL(simulators), body: purchaseOrder("PO-E1", vendor: "SUP-9999")))
            }
            #expect(error?.code == .http)
            #expect(error?.status == 400)
            #expect(error?.erpCode == "Internal_RecordNotFound")
            #expect(error?.message.contains("SUP-9999") == true)
        }
    }

    @Test("a request slower than its timeout fails as a timeout")
    func timeout() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.latencyMs = 1_500
        try await withERP(knobs: knobs, retry: .none) { client, simulators, _ in
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(
                    ERPRequest(method: .GET, url: ordersURL(simulators), timeout: .milliseconds(200)))
            }
            #expect(error?.code == .timeout)
        }
    }
}
