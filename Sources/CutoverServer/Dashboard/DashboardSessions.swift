import Crypto
import CutoverCore
import Foundation

/// Dashboard sessions without server-side state, so any instance behind a load balancer serves them: the cookie
/// names the token (by its SHA-256, never the token itself), an expiry, and a MAC under a key derived from the
/// redaction key. Each request still looks the token up, so revoking it ends its sessions at once.
///
/// Forms carry a CSRF token bound to the session (a second MAC over the cookie), and the cookie is `SameSite=Strict`
/// and `HttpOnly`: a page elsewhere can neither read the session nor post with it.
struct DashboardSessions: Sendable {
    static let cookieName = "cutover_session"
    static let lifetime: TimeInterval = 8 * 3600

    private let key: SymmetricKey

    init(key redactionKey: [UInt8]) {
        let derived = HMAC<SHA256>.authenticationCode(
            for: Array("cutover dashboard sessions v1".utf8), using: SymmetricKey(data: redactionKey))
        key = SymmetricKey(data: Array(derived))
    }

    /// The cookie value for a session of the token whose SHA-256 is `tokenHash`.
    func issue(tokenHash: String, now: Date = Date()) -> String {
        let payload = "\(tokenHash).\(Int(now.timeIntervalSince1970 + Self.lifetime))"
        return payload + "." + mac(payload)
    }

    /// The token hash a cookie value stands for, if its MAC holds and it has not expired.
    func verify(_ value: String, now: Date = Date()) -> String? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let expiry = TimeInterval(parts[1]), expiry > now.timeIntervalSince1970 else {
            return nil
        }
        let payload = "\(parts[0]).\(parts[1])"
        guard constantTimeEqual(mac(payload), String(parts[2])) else { return nil }
        return String(parts[0])
    }

    /// The CSRF token of the session whose cookie value is `session`.
    func csrfToken(session: String) -> String {
        mac("csrf:" + session)
    }

    func checkCSRF(_ presented: String?, session: String) -> Bool {
        guard let presented else { return false }
        return constantTimeEqual(csrfToken(session: session), presented)
    }

    private func mac(_ text: String) -> String {
        Digest.hex(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
