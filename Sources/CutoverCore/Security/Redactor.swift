import Crypto
import Foundation

/// Replaces sensitive values (DESIGN.md's `redact`) with a keyed hash before anything is stored or logged.
///
/// The same value always gives the same token under one key, so redacted exchanges can still be matched and
/// compared; without the key a token cannot be checked against a guessed value (an MRN has few enough digits to
/// guess, which is why a plain hash is not enough).
public struct Redactor: Sendable {
    let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// `redacted:` and the first 24 hex digits of HMAC-SHA256(key, value).
    public func token(for value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key)
        return "redacted:" + mac.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// `value` itself when it is not one of `secrets`, else its token.
    public func scrub(_ value: String, secrets: Set<String>) -> String {
        secrets.contains(value) ? token(for: value) : value
    }

    /// Free text with every occurrence of each secret (of four characters or more) replaced by its token.
    public func scrubText(_ text: String, secrets: Set<String>) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 && result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: token(for: secret))
        }
        return result
    }

    /// A JSON document with every scalar equal to one of `secrets` replaced by its token.
    public func redact(_ value: JSONValue, secrets: Set<String>) -> JSONValue {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let text): return .string(scrub(text, secrets: secrets))
        case .number(let text): return secrets.contains(text) ? .string(token(for: text)) : value
        case .array(let items): return .array(items.map { redact($0, secrets: secrets) })
        case .object(let members): return .object(members.map { ($0.0, redact($0.1, secrets: secrets)) })
        case .null, .bool: return value
        }
    }
}
