import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("cutover serve", .timeLimit(.minutes(3)))
struct ServeTests {
    @Test("serve becomes ready with the adapters' flows, answers /health, and stops cleanly on SIGTERM")
    func readyThenStop() async throws {
        try await TestGate.heavy.run {
            let url = try await TestPostgres.makeDatabase("serve")
            let home = TemporaryDirectory("home")
            let port = try #require(FreePort.loopback())
            let server = try CutoverProcess(
                ["serve", "--listen", "127.0.0.1:\(port)"],
                environment: ["DATABASE_URL": url.connectionString, "CUTOVER_HOME": home.path]
            )
            let ready = try await poll(every: .milliseconds(100), for: .seconds(60)) {
                await httpGet("http://127.0.0.1:\(port)/ready")?.status == 200
            }
            #expect(ready, "\(server.stderr)")
            let readyBody = await httpGet("http://127.0.0.1:\(port)/ready")?.body
            #expect(readyBody == #"{"status":"ready","flows":3}"#)
            #expect(await httpGet("http://127.0.0.1:\(port)/health")?.status == 200)
            server.signal(SIGTERM)
            #expect(try await server.wait(timeout: .seconds(30)) == 0, "\(server.stderr)")
        }
    }

    @Test("without DATABASE_URL, serve runs its own PostgreSQL under CUTOVER_HOME and stops it on exit")
    func embeddedCluster() async throws {
        try await TestGate.heavy.run {
            let home = TemporaryDirectory("home")
            let port = try #require(FreePort.loopback())
            let server = try CutoverProcess(
                ["serve", "--listen", "127.0.0.1:\(port)"],
                environment: ["DATABASE_URL": "", "CUTOVER_HOME": home.path]
            )
            let ready = try await poll(every: .milliseconds(100), for: .seconds(90)) {
                await httpGet("http://127.0.0.1:\(port)/ready")?.status == 200
            }
            #expect(ready, "\(server.stderr)")
            let cluster = try EmbeddedPostgres(root: home.file("postgres"), logger: TestPostgres.logger)
            #expect(cluster.isRunning())
            server.signal(SIGTERM)
            #expect(try await server.wait(timeout: .seconds(30)) == 0, "\(server.stderr)")
            #expect(!cluster.isRunning(), "the embedded cluster stops with the process that started it")
        }
    }
}
