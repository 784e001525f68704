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
        return "redacted:" + Digest.hex(mac.prefix(12))
    }

    /// `value` itself when it is not one of `secrets`, else its token.
    public func scrub(_ value: String, secrets: Set<String>) -> String {
        secrets.contains(value) ? token(for: value) : value
    }

    /// Free text with every occurrence of each secret (of four characters or more) replaced by its token.
    public func scrubText(_ text: String, secrets: Set<String>) -> String {
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets where secret.count >= 4 {
            changed = Self.replaceAll(in: &bytes, Array(secret.utf8), with: Array(token(for: secret).utf8)) || changed
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// Replaces every occurrence of `needle` in `bytes`; true when there was one.
    static func replaceAll(in bytes: inout [UInt8], _ needle: [UInt8], with replacement: [UInt8]) -> Bool {
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        var output: [UInt8] = []
        var index = 0
        var runStart = 0
        var found = false
        let first = needle[0]
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == first, bytes[index..<index + needle.count].elementsEqual(needle) {
                if !found { output.reserveCapacity(bytes.count + replacement.count) }
                found = true
                output.append(contentsOf: bytes[runStart..<index])
                output.append(contentsOf: replacement)
                index += needle.count
                runStart = index
            } else {
                index += 1
            }
        }
        guard found else { return false }
        output.append(contentsOf: bytes[runStart...])
        bytes = output
        return true
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
