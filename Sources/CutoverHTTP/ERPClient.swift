import AsyncHTTPClient
import CutoverCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The ERP REST client: bearer tokens from ``TokenProvider``, a timeout per attempt, retries with backoff for
/// requests that are safe to repeat, 429 handling, and typed errors (``ERPError``).
public struct ERPClient: Sendable {
    public struct Configuration: Sendable {
        /// Per-attempt timeout when the request names none.
        public var timeout: Duration
        public var retry: RetryPolicy
        /// Largest answer read; longer answers fail as `invalid_request`.
        public var maxResponseBytes: Int

        public init(
            timeout: Duration = .seconds(10), retry: RetryPolicy = RetryPolicy(), maxResponseBytes: Int = 8 << 20
        ) {
            self.timeout = timeout
            self.retry = retry
            self.maxResponseBytes = maxResponseBytes
        }
    }

    public let httpClient: HTTPClient
    public let tokens: TokenProvider?
    public let configuration: Configuration
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void

    /// `tokens` nil means no Authorization header (DESIGN.md: no auth block, no header).
    public init(
        httpClient: HTTPClient, tokens: TokenProvider?, configuration: Configuration = Configuration(),
        logger: Logger, sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.httpClient = httpClient
        self.tokens = tokens
        self.configuration = configuration
        self.logger = logger
        self.sleep = sleep
    }

    /// A client that authenticates with `credentials` (OAuth2 client credentials) when given, as a flow's `new.auth`
    /// says.
    public init(httpClient: HTTPClient, credentials: ClientCredentials?, logger: Logger) {
        self.init(
            httpClient: httpClient,
            tokens: credentials.map { TokenProvider(credentials: $0, httpClient: httpClient, logger: logger) },
            logger: logger)
    }

    /// Sends `request`, retrying what may be retried. Returns a 2xx answer or throws ``ERPError``.
    public func send(_ request: ERPRequest) async throws(ERPError) -> ERPResponse {
        var attempt = 0
        var refreshedToken = false
        while true {
            attempt += 1
            let outcome = await self.attempt(request, number: attempt)
            switch outcome {
            case .success(let response):
                return response
            case .failure(var failure):
                failure.attempts = attempt
                let error = failure
                if error.code == .authentication, error.status == 401, let token = error.rejectedToken,
                    !refreshedToken
                {
                    // A token the ERP no longer accepts (revoked, clock skew): fetch a new one once.
                    refreshedToken = true
                    await tokens?.invalidate(token)
                    attempt -= 1
                    continue
                }
                guard let wait = retryDelay(for: error.underlying, request: request, attempt: attempt) else {
                    throw error.underlying.with(attempts: attempt)
                }
                logger.debug(
                    "retrying an ERP request",
                    metadata: [
                        "cutover.attempt": "\(attempt)", "cutover.wait_ms": "\(wait.inMilliseconds)",
                        "cutover.erp_error": "\(error.underlying.code.rawValue)",
                    ])
                do {
                    try await sleep(wait)
                } catch {
                    throw failure.underlying.with(attempts: attempt)
                }
            }
        }
    }

    struct AttemptFailure: Error {
        var underlying: ERPError
        var rejectedToken: String?
        var code: ERPError.Code { underlying.code }
        var status: Int? { underlying.status }
        var attempts: Int {
            get { underlying.attempts }
            set { underlying.attempts = newValue }
        }
    }

    /// The wait before the next attempt, or nil when this failure is final.
    func retryDelay(for error: ERPError, request: ERPRequest, attempt: Int) -> Duration? {
        guard request.isSafeToRetry, attempt < configuration.retry.maxAttempts else { return nil }
        let retryable: Bool
        switch error.code {
        case .timeout, .transport: retryable = true
        case .http, .rateLimited: retryable = error.status.map(RetryPolicy.retryableStatuses.contains) ?? false
        case .authentication, .invalidRequest, .circuitOpen: retryable = false
        }
        guard retryable else { return nil }
        if error.code == .rateLimited, let after = error.retryAfter {
            return after <= configuration.retry.maxRetryAfter ? after : nil
        }
        return configuration.retry.backoff(afterAttempt: attempt, unit: Double.random(in: 0..<1))
    }

    private func attempt(_ request: ERPRequest, number: Int) async -> Result<ERPResponse, AttemptFailure> {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers.add(name: "Accept", value: "application/json")
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let key = request.idempotencyKey { outgoing.headers.replaceOrAdd(name: "Idempotency-Key", value: key) }
        var token: String?
        if let tokens {
            do {
                let value = try await tokens.token()
                token = value
                outgoing.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(value)")
            } catch let error as ERPError {
                return .failure(AttemptFailure(underlying: error))
            } catch {
                return .failure(AttemptFailure(underlying: ERPError(code: .authentication, message: "no token")))
            }
        }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = request.timeout ?? configuration.timeout
        do {
            let response = try await httpClient.execute(outgoing, timeout: TimeAmount(timeout), logger: logger)
            let body = Array(buffer: try await response.body.collect(upTo: configuration.maxResponseBytes))
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                return .success(ERPResponse(status: status, headers: response.headers, body: body, attempts: number))
            }
            var error = ERPError.fromResponse(status: status, body: body, attempts: number)
            error.retryAfter = RetryPolicy.retryAfter(response.headers.first(name: "Retry-After"))
            return .failure(
                AttemptFailure(underlying: error, rejectedToken: status == 401 ? token : nil))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .failure(
                AttemptFailure(underlying: ERPError(code: .timeout, message: "no answer within \(timeout)")))
        } catch let error as HTTPClientError where error == .invalidURL || error == .emptyHost {
            return .failure(AttemptFailure(underlying: ERPError(code: .invalidRequest, message: "invalid URL")))
        } catch let error as NIOTooManyBytesError {
            _ = error
            return .failure(
                AttemptFailure(underlying: ERPError(code: .invalidRequest, message: "answer larger than allowed")))
        } catch {
            return .failure(
                AttemptFailure(underlying: ERPError(code: .transport, message: TokenProvider.describe(error))))
        }
    }
}

extension ERPError {
    func with(attempts: Int) -> ERPError {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}
