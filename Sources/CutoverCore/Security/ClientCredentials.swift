/// OAuth2 client-credentials settings for the ERP (DESIGN.md's `new.auth`).
///
/// The secret never appears in `description`, so logging a value of this type is safe.
public struct ClientCredentials: Sendable, Hashable, CustomStringConvertible {
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String
    /// Nil or empty when the ERP wants no scope.
    public var scope: String?

    public init(tokenURL: String, clientID: String, clientSecret: String, scope: String? = nil) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
    }

    public var description: String {
        "ClientCredentials(tokenURL: \(tokenURL), clientID: \(clientID), clientSecret: ***)"
    }
}
