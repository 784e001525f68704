import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL (`postgres://user:password@host:port/database?sslmode=require`).
///
/// `description` never shows the password: the URL may be logged.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert`: a PEM file of the certificate authorities `verify-ca` and `verify-full` trust, as libpq reads
    /// it; the system's roots when nil.
    public var sslRootCertificate: String?

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(
        host: String, port: Int, username: String, password: String?, database: String, sslMode: SSLMode = .disable
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    public init(_ text: String) throws(ParseError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw ParseError(description: "not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else { throw ParseError(description: "the URL names no host") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw ParseError(
                description:
                    "sslmode '\(mode)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.sslMode = sslMode
        self.sslRootCertificate = components.queryItems?.first { $0.name == "sslrootcert" }?.value
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let credentials = password == nil ? username : "\(username):***"
        return "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// The full URL, password included: only for handing to a child process's environment, never for output.
    public var connectionString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        components.queryItems =
            [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
            + (sslRootCertificate.map { [URLQueryItem(name: "sslrootcert", value: $0)] } ?? [])
        return components.string ?? description
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A PostgresClient configuration honouring `sslmode` as libpq does.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try tls()
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// A single-connection configuration (LISTEN, migrations).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS()
        )
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(tlsConfiguration(verify: false))
        case .require: return .require(tlsConfiguration(verify: false))
        case .verifyCA, .verifyFull: return .require(tlsConfiguration(verify: true))
        }
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(try sslContext(verify: false))
        case .require: return .require(try sslContext(verify: false))
        case .verifyCA, .verifyFull: return .require(try sslContext(verify: true))
        }
    }

    private func sslContext(verify: Bool) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: tlsConfiguration(verify: verify))
    }

    /// libpq's meaning: `require` encrypts without verifying, `verify-ca` checks the chain, `verify-full` the host too.
    private func tlsConfiguration(verify: Bool) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !verify { tls.certificateVerification = .none }
        if sslMode == .verifyCA { tls.certificateVerification = .noHostnameVerification }
        if verify, let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        return tls
    }
}
