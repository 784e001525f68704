import AsyncHTTPClient
import CutoverCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// OAuth2 client-credentials tokens: fetched once, shared by every request, and refreshed before they expire.
///
/// Concurrent callers that find no usable token wait for one fetch instead of each starting their own. A token is
/// renewed once less than `refreshMargin` of its life is left (a tenth of its lifetime, at least 5 s and at most
/// 60 s), so requests never set out with a token about to lapse.
public actor TokenProvider {
    struct CachedToken {
        var value: String
        var expiresAt: Date
        var refreshAt: Date
    }

    private let credentials: ClientCredentials
    private let httpClient: HTTPClient
    private let timeout: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var cached: CachedToken?
    private var waiters: [CheckedContinuation<String, any Error>] = []
    private var fetching = false
    /// Tokens fetched so far (for tests and diagnostics).
    public private(set) var fetchCount = 0

    public init(
        credentials: ClientCredentials, httpClient: HTTPClient, timeout: Duration = .seconds(10),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.credentials = credentials
        self.httpClient = httpClient
        self.timeout = timeout
        self.now = now
        self.logger = logger
    }

    /// A token good for at least the refresh margin.
    public func token() async throws -> String {
        if let cached, now() < cached.refreshAt { return cached.value }
        if fetching {
            if let cached, now() < cached.expiresAt { return cached.value }
            return try await withCheckedThrowingContinuation { waiters.append($0) }
        }
        fetching = true
        let result: Result<String, any Error>
        do {
            let token = try await fetch()
            cached = token
            result = .success(token.value)
        } catch {
            result = .failure(error)
        }
        fetching = false
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.resume(with: result) }
        return try result.get()
    }

    /// Forgets `token` after the ERP refused it, so the next request fetches a fresh one.
    public func invalidate(_ token: String) {
        if cached?.value == token { cached = nil }
    }

    private func fetch() async throws -> CachedToken {
        var request = HTTPClientRequest(url: credentials.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: credentials.formBody))
        let issuedAt = now()
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .init(timeout))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw ERPError(code: .authentication, message: "token endpoint unreachable (\(Self.describe(error)))")
        }
        let bytes = Array(buffer: body)
        guard (200..<300).contains(Int(response.status.code)) else {
            var error = ERPError.fromResponse(status: Int(response.status.code), body: bytes, attempts: 1)
            error.code = .authentication
            error.message = "token request refused: \(error.message)"
            error.responseBody = nil
            throw error
        }
        guard let json = try? JSONValue.parse(bytes), case .string(let value)? = json.value(at: "/access_token") else {
            throw ERPError(code: .authentication, message: "token endpoint answered without an access_token")
        }
        let lifetime = json.value(at: "/expires_in")?.scalarText.flatMap(Double.init) ?? 3600
        let margin = min(60, max(5, lifetime / 10))
        fetchCount += 1
        logger.debug("fetched an ERP access token", metadata: ["cutover.token_lifetime_s": "\(Int(lifetime))"])
        return CachedToken(
            value: value, expiresAt: issuedAt.addingTimeInterval(lifetime),
            refreshAt: issuedAt.addingTimeInterval(max(0, lifetime - margin)))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.shortDescription }
        return String(describing: type(of: error))
    }
}
