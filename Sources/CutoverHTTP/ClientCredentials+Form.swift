import CutoverCore

extension ClientCredentials {
    /// The `application/x-www-form-urlencoded` body of a token request.
    var formBody: String {
        var fields = [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret)]
        if let scope, !scope.isEmpty { fields.append(("scope", scope)) }
        return fields.map { "\($0.0)=\(FormEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
