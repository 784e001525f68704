import CutoverCore

/// Why an ERP request failed, in the terms an operator needs. Never carries a token or a secret.
public struct ERPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The ERP answered with a non-success status (see `status`, `erpCode`).
        case http
        /// Rate limited (429) past the retry budget, or with a Retry-After longer than the policy waits.
        case rateLimited = "rate_limited"
        /// No answer within the request's timeout.
        case timeout
        /// Connection refused, reset or otherwise broken before an answer.
        case transport
        /// The token endpoint refused the client credentials, or the ERP refused the token.
        case authentication
        /// The request could not be built (bad URL, body too large) or the answer could not be read.
        case invalidRequest = "invalid_request"
        /// Not sent: the circuit breaker for this ERP host is open after consecutive failures.
        case circuitOpen = "circuit_open"
    }

    public var code: Code
    public var status: Int?
    /// The ERP's own error code, e.g. `Request_EntityChanged`, `BadRequest_NotFound`.
    public var erpCode: String?
    public var message: String
    /// The answer's body as received (kept for the audit store, which redacts before writing).
    public var responseBody: String?
    /// Attempts made before giving up.
    public var attempts: Int
    /// The ERP's Retry-After, when it sent one.
    public var retryAfter: Duration?

    public init(
        code: Code, status: Int? = nil, erpCode: String? = nil, message: String, responseBody: String? = nil,
        attempts: Int = 1
    ) {
        self.code = code
        self.status = status
        self.erpCode = erpCode
        self.message = message
        self.responseBody = responseBody
        self.attempts = attempts
    }

    public var description: String {
        var parts = ["ERP \(code.rawValue)"]
        if let status { parts.append("HTTP \(status)") }
        if let erpCode { parts.append(erpCode) }
        parts.append(message)
        if attempts > 1 { parts.append("after \(attempts) attempts") }
        return parts.joined(separator: ": ")
    }

    /// Reads an error answer: OData's `{"error": {"code", "message"}}` or OAuth's
    /// `{"error": "invalid_client", "error_description": …}`; anything else keeps the status alone.
    static func fromResponse(status: Int, body: [UInt8], attempts: Int) -> ERPError {
        let text = String(decoding: body, as: UTF8.self)
        let code: Code = status == 429 ? .rateLimited : (status == 401 || status == 403 ? .authentication : .http)
        var erpCode: String?
        var message = "HTTP \(status)"
        if let json = try? JSONValue.parse(body) {
            if case .string(let oauthCode)? = json.value(at: "/error") {
                erpCode = oauthCode
                message = json.value(at: "/error_description")?.scalarText ?? oauthCode
            } else {
                erpCode = json.value(at: "/error/code")?.scalarText
                message = json.value(at: "/error/message")?.scalarText ?? message
            }
        }
        return ERPError(
            code: code, status: status, erpCode: erpCode, message: message, responseBody: text, attempts: attempts)
    }
}
