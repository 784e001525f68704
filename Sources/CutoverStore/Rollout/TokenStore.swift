import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Bearer tokens of the admin API. A token is 32 random bytes shown once, when it is created; only its SHA-256 is
/// stored. Its name is the actor recorded for every change made with it.
public struct TokenStore: Sendable {
    public struct Token: Sendable, Hashable, Codable {
        public var id: Int64
        public var name: String
        public var role: Role
        public var createdAt: Date
        public var createdBy: String
        public var revokedAt: Date?
    }

    /// Who a presented token belongs to.
    public struct Holder: Sendable, Hashable {
        public var name: String
        public var role: Role

        public init(name: String, role: Role) {
            self.name = name
            self.role = role
        }
    }

    /// Every token starts with this, so a leaked one is recognisable in a secret scanner.
    public static let prefix = "cutover_"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates a token and returns it with its secret, which is not stored and cannot be shown again.
    public func create(name: String, role: Role, actor: String) async throws -> (token: Token, secret: String) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100, !name.contains(where: \.isNewline) else {
            throw TokenError.invalidName
        }
        let secret = Self.prefix + Self.base64URL(secureRandomBytes(32))
        do {
            let rows = try await client.query(
                """
                INSERT INTO cutover.api_tokens (name, role, token_sha256, created_by)
                VALUES (\(name), \(role.rawValue), \(Digest.sha256Hex(secret)), \(actor))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let token = try await Self.decode(rows).first else { throw TokenError.invalidName }
            return (token, secret)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw TokenError.nameTaken(name)
        }
    }

    /// Revokes the live token named `name`; returns it, or nil when there is none.
    public func revoke(name: String, actor: String) async throws -> Token? {
        let rows = try await client.query(
            """
            UPDATE cutover.api_tokens SET revoked_at = now(), revoked_by = \(actor)
            WHERE name = \(name) AND revoked_at IS NULL
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try await Self.decode(rows).first
    }

    /// All tokens, live first, then revoked ones, each by name.
    public func list() async throws -> [Token] {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM cutover.api_tokens ORDER BY revoked_at IS NOT NULL, name, id",
            logger: logger)
        return try await Self.decode(rows)
    }

    /// The holder of `secret` if it is a live token.
    public func authenticate(_ secret: String) async throws -> Holder? {
        guard secret.hasPrefix(Self.prefix), secret.utf8.count < 200 else { return nil }
        return try await holder(sha256: Digest.sha256Hex(secret))
    }

    /// The holder of the live token whose SHA-256 is `sha256` (a dashboard session names its token so).
    public func holder(sha256: String) async throws -> Holder? {
        let rows = try await client.query(
            "SELECT name, role FROM cutover.api_tokens WHERE token_sha256 = \(sha256) AND revoked_at IS NULL",
            logger: logger)
        for try await (name, role) in rows.decode((String, String).self) {
            if let role = Role(rawValue: role) { return Holder(name: name, role: role) }
        }
        return nil
    }

    private static let columns = "id, name, role, created_at, created_by, revoked_at"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Token] {
        var tokens: [Token] = []
        for try await (id, name, role, createdAt, createdBy, revokedAt) in rows.decode(
            (Int64, String, String, Date, String, Date?).self)
        {
            tokens.append(
                Token(
                    id: id, name: name, role: Role(rawValue: role) ?? .viewer, createdAt: createdAt,
                    createdBy: createdBy, revokedAt: revokedAt))
        }
        return tokens
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

public enum TokenError: Error, Sendable, CustomStringConvertible {
    case invalidName
    case nameTaken(String)

    public var description: String {
        switch self {
        case .invalidName: "a token name must be 1 to 100 characters on one line"
        case .nameTaken(let name): "a live token named '\(name)' exists; revoke it first or choose another name"
        }
    }
}
