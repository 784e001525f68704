import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@testable import CutoverStore

@Suite("PostgreSQL TLS (sslmode)", .timeLimit(.minutes(3)))
struct DatabaseTLSTests {
    /// Whether a session opened with `url` runs over TLS, as the server sees it. One connection, no pool: a refused
    /// handshake fails at once instead of being retried.
    func encrypted(_ url: DatabaseURL) async throws -> Bool {
        let connection = try await PostgresConnection.connect(
            configuration: url.connectionConfiguration(), id: 1, logger: TestPostgres.logger)
        var ssl = false
        do {
            for try await (value) in try await connection.query(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestPostgres.logger
            ).decode(Bool.self) {
                ssl = value
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return ssl
    }

    @Test("sslmode disable, prefer, require and verify-full (with sslrootcert) behave as libpq's against a TLS server")
    func modes() async throws {
        try await TestGate.heavy.run {
            let directory = TemporaryDirectory("pgtls")
            let (certificate, key) = (directory.file("server.crt"), directory.file("server.key"))
            let made = try await CutoverProcess.run(
                executable: "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                ])
            #expect(made.status == 0, "\(made.stderr)")
            let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: TestPostgres.logger)
            _ = try cluster.start()
            cluster.stop()
            // TLS on, with the certificate and key beside the data (start hands them to the cluster's user).
            let data = cluster.dataDirectory
            try FileManager.default.copyItem(atPath: certificate, toPath: data + "/server.crt")
            try FileManager.default.copyItem(atPath: key, toPath: data + "/server.key")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: data + "/server.key")
            let settings = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
            try settings.seekToEnd()
            try settings.write(contentsOf: Data("\nssl = on\n".utf8))
            try settings.close()
            let base = try cluster.start().url
            defer { cluster.stop() }

            func with(_ mode: DatabaseURL.SSLMode, root: String? = nil) -> DatabaseURL {
                var url = base
                url.sslMode = mode
                url.sslRootCertificate = root
                return url
            }
            #expect(try await encrypted(with(.disable)) == false)
            #expect(try await encrypted(with(.prefer)) == true)
            #expect(try await encrypted(with(.require)) == true)
            #expect(try await encrypted(with(.verifyFull, root: certificate)) == true)
            let parsed = try DatabaseURL(with(.verifyFull, root: certificate).connectionString)
            #expect(parsed.sslRootCertificate == certificate, "sslrootcert survives the URL round trip")
            await #expect(throws: (any Error).self, "a certificate no trusted authority signed is refused") {
                _ = try await encrypted(with(.verifyFull))
            }
        }
    }
}
