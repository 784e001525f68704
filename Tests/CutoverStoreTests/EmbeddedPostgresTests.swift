import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("Embedded PostgreSQL", .timeLimit(.minutes(3)))
struct EmbeddedPostgresTests {
    @Test("a cluster left running by a crashed owner is adopted, not started twice")
    func staleClusterAdopted() async throws {
        let directory = TemporaryDirectory("embedded")
        let root = directory.file("pg")
        let first = try EmbeddedPostgres(root: root, logger: TestPostgres.logger)
        let handle = try first.start()
        defer { first.stop() }
        #expect(handle.owned)
        let postmaster = try postmasterPID(root)
        // The owner "crashed": its pid is gone, the postmaster still runs.
        try "999999".write(toFile: root + "/owner.pid", atomically: true, encoding: .utf8)
        let second = try EmbeddedPostgres(root: root, logger: TestPostgres.logger).start()
        #expect(second.url == handle.url, "the running cluster is reused")
        #expect(second.owned, "the new process takes responsibility for stopping it")
        #expect(try postmasterPID(root) == postmaster, "no second postmaster was started")
        try await TestPostgres.withClient(second.url) { client in
            try await client.query("SELECT 1", logger: TestPostgres.logger)
        }
    }

    func postmasterPID(_ root: String) throws -> Int? {
        try String(contentsOfFile: root + "/data/postmaster.pid", encoding: .utf8).split(separator: "\n").first.flatMap
        { Int($0) }
    }

    @Test("a stopped cluster starts again on its previous port")
    func restartKeepsPort() throws {
        let directory = TemporaryDirectory("embedded")
        let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: TestPostgres.logger)
        let first = try cluster.start()
        cluster.stop()
        #expect(!cluster.isRunning())
        let second = try cluster.start()
        defer { cluster.stop() }
        #expect(second.url.port == first.url.port)
    }
}
