import AsyncHTTPClient
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import NIOCore
import NIOSSL
import Testing

@Suite("TLS listener", .timeLimit(.minutes(3)))
struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made by openssl.
    static func certificate(in directory: TemporaryDirectory) async throws -> (certificate: String, key: String) {
        let (certificate, key) = (directory.file("cert.pem"), directory.file("key.pem"))
        let made = try await CutoverProcess.run(
            executable: "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made.stderr)")
        return (certificate, key)
    }

    @Test("with certificate files the listener speaks HTTPS only: a verifying client is served, plain HTTP is not")
    func https() async throws {
        let directory = TemporaryDirectory("tls")
        let files = try await Self.certificate(in: directory)
        try await FacadeFixture.run(server: {
            $0.tls = TLSFiles(certificatePath: files.certificate, keyPath: files.key)
        }) {
            fixture in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(files.certificate)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            let base = "https://127.0.0.1:\(fixture.server.port)"
            do {
                let health = try await client.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(10))
                #expect(health.status == .ok)
                var call = HTTPClientRequest(url: base + "/PurchaseOrderService")
                call.method = .POST
                call.headers.add(name: "Content-Type", value: "text/xml; charset=utf-8")
                call.headers.add(name: "SOAPAction", value: "\"urn:example:purchasing:v1/CreatePurchaseOrder\"")
                call.body = .bytes(ByteBuffer(string: purchaseOrderEnvelope(requestID: "TLS-1")))
                let answer = try await client.execute(call, timeout: .seconds(10))
                #expect(answer.status == .ok)
                let body = String(buffer: try await answer.body.collect(upTo: 1 << 20))
                #expect(body.contains("<po:OrderNumber>TLS-1</po:OrderNumber>"))
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
            #expect(await httpGet("http://127.0.0.1:\(fixture.server.port)/health")?.status != 200)
        }
    }
}
