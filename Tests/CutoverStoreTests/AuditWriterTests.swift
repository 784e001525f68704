import CutoverCore
import CutoverTesting
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@testable import CutoverStore

@Suite("Audit writer", .timeLimit(.minutes(3)))
struct AuditWriterTests {
    let logger = TestPostgres.logger

    /// Runs a writer on `client` for the duration of `body`.
    func withWriter<T: Sendable>(
        _ client: PostgresClient, spool: String, configure: (inout AuditWriterConfiguration) -> Void = { _ in },
        _ body: @Sendable (AuditWriter) async throws -> T
    ) async throws -> T {
        var configuration = AuditWriterConfiguration(spoolDirectory: spool)
        configure(&configuration)
        let writer = AuditWriter(client: client, configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await writer.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(writer)
        }
    }

    /// Writes records from index 0 until `until` says stop (its value drops to 0), then returns.
    func drive(_ writer: AuditWriter, seed: String, until limit: Counter, concurrency: Int, acked: Counter) async throws
    {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while let index = next.take(below: limit.current) {
                        try await writer.write(.exchange(SyntheticAuditRecords.exchange(seed: seed, index: index)))
                        acked.increment()
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Writes records `range` of `seed` from `concurrency` writers, one exchange per write, counting acknowledgements.
    func drive(_ writer: AuditWriter, seed: String, range: Range<Int>, concurrency: Int, acked: Counter) async throws {
        let next = Counter(range.lowerBound)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        guard let index = next.take(below: range.upperBound) else { return }
                        try await writer.write(.exchange(SyntheticAuditRecords.exchange(seed: seed, index: index)))
                        acked.increment()
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func counts(_ client: PostgresClient, seed: String) async throws -> (rows: Int, distinct: Int) {
        var result = (0, 0)
        for try await row in try await client.query(
            "SELECT count(*)::int, count(DISTINCT id)::int FROM cutover.exchanges WHERE flow = \("load-\(seed)")",
            logger: logger
        ).decode((Int, Int).self) {
            result = row
        }
        return result
    }

    @Test("100,000 records through the writer are all present exactly once")
    func hundredThousand() async throws {
        let spool = TemporaryDirectory("spool")
        try await TestPostgres.withMigratedDatabase("writer") { client, _ in
            let acked = Counter()
            try await withWriter(client, spool: spool.path) { writer in
                try await drive(writer, seed: "bulk", range: 0..<100_000, concurrency: 64, acked: acked)
            }
            #expect(acked.current == 100_000)
            let (rows, distinct) = try await counts(client, seed: "bulk")
            #expect(rows == 100_000)
            #expect(distinct == 100_000)
        }
    }

    @Test("a record written twice is stored once")
    func duplicateWrite() async throws {
        let spool = TemporaryDirectory("spool")
        try await TestPostgres.withMigratedDatabase("writer") { client, _ in
            let record = SyntheticAuditRecords.exchange(seed: "twice", index: 7)
            try await withWriter(client, spool: spool.path) { writer in
                try await writer.write([.exchange(record), .exchange(record)])
                try await writer.write(.exchange(record))
            }
            #expect(try await counts(client, seed: "twice") == (1, 1))
        }
    }

    @Test("side calls and comparisons keep awkward text exactly, with their SHA-256")
    func roundTrip() async throws {
        let spool = TemporaryDirectory("spool")
        try await TestPostgres.withMigratedDatabase("writer") { client, _ in
            let started = Date(timeIntervalSince1970: 1_795_132_800.123456)
            let exchange = ExchangeRecord(
                flow: "po", kind: .call, correlationID: "c-1", traceID: "4bf92f3577b34da6a3ce929d0e0e4736",
                routingKey: "SUP\t1", setting: ModeSetting(mode: .canary, percent: 12.5), servedBy: .new,
                startedAt: started,
                attributes: ["file": "a\\b\n\"c\""]
            )
            let body = "<po:Note>tab\there\nnew line \\ back\\slash é 漢字 \u{0}</po:Note>"
            let call = SideCallRecord(
                exchangeID: exchange.id, exchangeStartedAt: started, side: .new, startedAt: started, request: body,
                response: "{\"number\":\"PO-1\"}", status: 201, latencySeconds: 0.0123, error: nil
            )
            let comparison = ComparisonRecord(
                exchangeID: exchange.id, exchangeStartedAt: started, flow: "po", verdict: .mismatch,
                diff: [FieldDiff(path: "total", legacy: "10.00", new: "10.5", rule: "decimal tolerance 0.01")],
                comparedAt: started
            )
            try await withWriter(client, spool: spool.path) { writer in
                try await writer.write([.exchange(exchange), .sideCall(call), .comparison(comparison)])
            }
            let rows = try await client.query(
                """
                SELECT e.routing_key, e.percent::float8, e.attributes->>'file', extract(epoch FROM e.started_at)::float8,
                       s.request, s.request_sha256, s.status, c.diff->0->>'new', c.verdict
                FROM cutover.exchanges e JOIN cutover.side_calls s ON s.exchange_id = e.id
                JOIN cutover.comparisons c ON c.exchange_id = e.id WHERE e.id = \(exchange.id)
                """, logger: logger
            ).decode((String, Double, String, Double, String, String, Int, String, String).self)
            var found = 0
            for try await (key, percent, file, epoch, request, sha, status, newValue, verdict) in rows {
                found += 1
                #expect(key == "SUP\t1")
                #expect(percent == 12.5)
                #expect(file == "a\\b\n\"c\"")
                #expect(abs(epoch - 1_795_132_800.123456) < 0.000_001)
                #expect(request == body.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}"))
                #expect(sha == Digest.sha256Hex(body))
                #expect(status == 201)
                #expect(newValue == "10.5")
                #expect(verdict == "mismatch")
            }
            #expect(found == 1)
        }
    }

    @Test("PostgreSQL stopped mid-stream for over 10 s: nothing acknowledged is lost or duplicated")
    func outageMidStream() async throws {
        let directory = TemporaryDirectory("outage")
        let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: logger)
        let url = try cluster.start().url
        defer { cluster.stop() }
        try await TestPostgres.withClient(url) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: logger).migrate()
            let acked = Counter()
            // Writers keep going until the server is back and another 2,000 records are in: the stream spans the outage.
            let limit = Counter(Int.max)
            try await withWriter(
                client, spool: directory.file("spool"),
                configure: {
                    $0.databaseTimeout = .seconds(1)
                    $0.drainInterval = .milliseconds(200)
                }
            ) { writer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await drive(writer, seed: "outage", until: limit, concurrency: 16, acked: acked)
                    }
                    #expect(try await poll(for: .seconds(60)) { acked.current >= 3_000 })
                    cluster.stop()
                    let stoppedAt = ContinuousClock.now
                    let ackedAtStop = acked.current
                    #expect(
                        try await poll(for: .seconds(30)) { await writer.isSpooling }, "the writer noticed the outage")
                    try await Task.sleep(until: stoppedAt + .seconds(11))
                    #expect(
                        acked.current > ackedAtStop + 1_000,
                        "writes were acknowledged from the spool while PostgreSQL was down")
                    _ = try cluster.start()
                    let ackedAtRestart = acked.current
                    #expect(try await poll(for: .seconds(60)) { acked.current >= ackedAtRestart + 2_000 })
                    limit.set(0)
                    try await group.waitForAll()
                }
                #expect(try await poll(for: .seconds(60)) { await writer.spoolBytes == 0 })
            }
            let total = acked.current
            let (rows, distinct) = try await counts(client, seed: "outage")
            #expect(rows == total)
            #expect(distinct == total)
        }
    }

    @Test("when neither PostgreSQL nor the spool can take a batch, the caller gets an error")
    func nowhereToWrite() async throws {
        let directory = TemporaryDirectory("nowhere")
        // A file where the spool directory should be: the spool cannot be created.
        let blocked = directory.write("spool", "not a directory")
        let unreachable = DatabaseURL(
            host: "127.0.0.1", port: FreePort.loopback() ?? 1, username: "x", password: nil, database: "x")
        try await TestPostgres.withClient(unreachable) { client in
            try await withWriter(
                client, spool: blocked + "/inner", configure: { $0.databaseTimeout = .milliseconds(300) }
            ) { writer in
                await #expect(throws: AuditWriter.WriteError.self) {
                    try await writer.write(.exchange(SyntheticAuditRecords.exchange(seed: "lost", index: 1)))
                }
            }
        }
    }
}

@Suite("Audit refusals")
struct AuditRefusalTests {
    @Test(
        "a server shutting down, a lost connection or a deadlock is an outage (retry), not a refusal (set aside)",
        arguments: ["57P01", "57P02", "57P03", "08006", "53100", "40P01", "40001", "55P03", "58030", "XX000"])
    func transient(_ state: String) {
        #expect(!AuditBatchInserter.isRefusal(sqlState: state))
    }

    @Test("data the server rejects is a refusal", arguments: ["23502", "22P02", "42501", "23514", "22001"])
    func refusal(_ state: String) {
        #expect(AuditBatchInserter.isRefusal(sqlState: state))
    }
}
