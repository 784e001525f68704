import CutoverCore
import NIOHTTP1

/// One request to the ERP.
public struct ERPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var body: [UInt8]?
    /// Extra headers (e.g. `If-Match`, `traceparent`); Authorization and Idempotency-Key are set by the client.
    public var headers: [(String, String)]
    /// Sent as `Idempotency-Key`; makes a POST safe to retry.
    public var idempotencyKey: String?
    /// Per-attempt timeout; the client's default when nil.
    public var timeout: Duration?

    public init(
        method: HTTPMethod, url: String, body: [UInt8]? = nil, headers: [(String, String)] = [],
        idempotencyKey: String? = nil, timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.body = body
        self.headers = headers
        self.idempotencyKey = idempotencyKey
        self.timeout = timeout
    }

    /// A JSON body request.
    public static func json(
        _ method: HTTPMethod, _ url: String, body: JSONValue, idempotencyKey: String? = nil,
        headers: [(String, String)] = [], timeout: Duration? = nil
    ) -> ERPRequest {
        ERPRequest(
            method: method, url: url, body: Array(body.text.utf8),
            headers: [("Content-Type", "application/json")] + headers, idempotencyKey: idempotencyKey,
            timeout: timeout)
    }

    /// Repeating it cannot apply it twice: an idempotent method, or a key the ERP deduplicates on.
    public var isSafeToRetry: Bool {
        switch method {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS: true
        default: idempotencyKey != nil
        }
    }
}

/// A successful (2xx) answer from the ERP.
public struct ERPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Attempts it took, the successful one included.
    public var attempts: Int

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], attempts: Int) {
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON.
    public func json() throws(ERPError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw ERPError(
                code: .invalidRequest, status: status, message: "the ERP's answer is not JSON", responseBody: text,
                attempts: attempts)
        }
    }
}
