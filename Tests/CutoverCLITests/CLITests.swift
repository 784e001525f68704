import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// The CLI contract, through the built `cutover` executable.
@Suite("cutover command line", .timeLimit(.minutes(3)))
struct CLITests {
    let logger = TestPostgres.logger

    func environment(_ url: DatabaseURL, home: TemporaryDirectory) -> [String: String] {
        ["DATABASE_URL": url.connectionString, "CUTOVER_HOME": home.path, "USER": "cli-test"]
    }

    @Test("validate prints a misspelt key's file:line and exits 2; the shipped adapters exit 0")
    func validate() async throws {
        let shipped = try await CutoverProcess.run(["validate", "adapters"])
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(shipped.stdout.contains("ok  purchase-order-create"))

        let directory = TemporaryDirectory("validate")
        let file = directory.write(
            "po.yaml",
            """
            flow: po
            kind: soap
            legacy: { endpoint: "http://legacy/PO" }
            listen: { path: /PO }
            compare:
              reverse_shadw: true
            """)
        let broken = try await CutoverProcess.run(["validate", directory.path])
        #expect(broken.status == 2)
        #expect(
            broken.stderr.contains(
                "\(file):6:3: unknown key 'reverse_shadw' in compare (hint: did you mean 'reverse_shadow'?)"))
    }

    @Test("bad usage exits 2")
    func badUsage() async throws {
        let result = try await CutoverProcess.run(["flow", "set", "po", "--mode", "canary", "--reason", "x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--mode canary needs --percent"))
    }

    @Test("two migrate processes started together both succeed and apply each migration once")
    func concurrentMigrate() async throws {
        let url = try await TestPostgres.makeDatabase("climigrate")
        let home = TemporaryDirectory("home")
        let first = try CutoverProcess(["migrate"], environment: environment(url, home: home))
        let second = try CutoverProcess(["migrate"], environment: environment(url, home: home))
        #expect(try await first.wait() == 0, "\(first.stderr)")
        #expect(try await second.wait() == 0, "\(second.stderr)")
        let applied = [first.stdout, second.stdout].filter { $0.contains("applied 0001_flow_state") }
        #expect(applied.count == 1, "exactly one process applied the migrations")
        let expected = try Migration.bundled().count
        try await TestPostgres.withClient(url) { client in
            let rows = try await client.query(
                "SELECT count(*)::int, count(DISTINCT version)::int FROM cutover.schema_migrations", logger: logger
            ).decode((Int, Int).self)
            for try await (count, distinct) in rows {
                #expect(count == expected)
                #expect(distinct == count)
            }
        }
    }

    @Test("flow set refuses a skipped step without --force, and history shows who and why")
    func flowSetAndHistory() async throws {
        let url = try await TestPostgres.makeDatabase("cliflow")
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        let skip = try await CutoverProcess.run(
            ["flow", "set", "purchase-order-create", "--mode", "new", "--reason", "hurry"], environment: env)
        #expect(skip.status == 2)
        #expect(skip.stderr.contains("skips shadow"))
        let shadow = try await CutoverProcess.run(
            [
                "flow", "set", "purchase-order-create", "--mode", "shadow", "--reason", "start parallel run", "--actor",
                "ana",
            ], environment: env
        )
        #expect(shadow.status == 0, "\(shadow.stderr)")
        let rollback = try await CutoverProcess.run(
            ["rollback", "purchase-order-create", "--reason", "INC-7 ERP down"], environment: env)
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let history = try await CutoverProcess.run(
            ["flow", "history", "purchase-order-create", "--json"], environment: env)
        #expect(history.status == 0)
        let entries = try JSONDecoder().decode([[String: JSONValue]].self, from: Data(history.stdout.utf8))
        #expect(entries.map { $0["actor"]?.string } == ["cli-test", "ana", "config"])
        #expect(entries.map { $0["reason"]?.string }.prefix(2) == ["INC-7 ERP down", "start parallel run"])
        #expect(entries.first?["to"]?.string == "legacy")
    }

    @Test("a mode change made by one process is seen by another in under one second")
    func crossProcessChange() async throws {
        let url = try await TestPostgres.makeDatabase("cliwatch")
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        #expect(try await CutoverProcess.run(["flow", "list"], environment: env).status == 0)
        let watcher = try CutoverProcess(["flow", "watch"], environment: env)
        #expect(try await watcher.waitForLine { $0.contains(#""event":"ready""#) } != nil, "\(watcher.stderr)")
        let setter = try CutoverProcess(
            ["flow", "set", "pharmacy-stock-export", "--mode", "shadow", "--reason", "parallel run"], environment: env
        )
        #expect(try await setter.wait() == 0, "\(setter.stderr)")
        // The setter has committed; the watcher process must report the change within one second of that.
        let seen = try await poll(every: .milliseconds(5), for: .seconds(1)) {
            watcher.outputLines.contains {
                $0.contains(#""flow":"pharmacy-stock-export""#) && $0.contains(#""mode":"shadow""#)
            }
        }
        #expect(seen, "watch printed: \(watcher.outputLines)")
        watcher.signal(SIGTERM)
    }

    @Test("a writer killed with SIGKILL after acknowledging from its spool loses nothing and duplicates nothing")
    func killedWriterSpoolDrains() async throws {
        let directory = TemporaryDirectory("kill")
        let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: logger)
        let url = try cluster.start().url
        defer { cluster.stop() }
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        let load = try CutoverProcess(
            [
                "audit", "load", "--count", "200000", "--seed", "kill", "--concurrency", "8", "--chunk", "5",
                "--print-acks",
            ],
            environment: env
        )
        #expect(try await poll(for: .seconds(60)) { load.outputLines.count >= 200 }, "\(load.stderr)")
        // PostgreSQL goes away mid-stream: acknowledgements now come from the fsync'ed spool.
        cluster.stop()
        let ackedBeforeOutage = load.outputLines.count
        #expect(
            try await poll(for: .seconds(60)) { load.outputLines.count >= ackedBeforeOutage + 400 }, "\(load.stderr)")
        load.signal(SIGKILL)
        _ = try await load.wait()
        let acked = load.outputLines.filter { $0.hasPrefix("ack ") }.reduce(into: Set<Int>()) { acked, line in
            let parts = line.split(separator: " ").compactMap { Int($0) }
            acked.formUnion(parts[0]...parts[1])
        }
        #expect(acked.count >= 2_000)
        _ = try cluster.start()
        // The restarted process drains what its predecessor spooled.
        let restart = try await CutoverProcess.run(
            ["audit", "load", "--count", "0", "--seed", "kill"], environment: env)
        #expect(restart.status == 0, "\(restart.stderr)")
        try await TestPostgres.withClient(url) { client in
            var stored: [Int: Int] = [:]
            for try await index in try await client.query(
                "SELECT (attributes->>'index')::int FROM cutover.exchanges WHERE flow = 'load-kill'", logger: logger
            ).decode(Int.self) {
                stored[index, default: 0] += 1
            }
            #expect(
                acked.subtracting(stored.keys).isEmpty,
                "acknowledged but missing: \(acked.subtracting(stored.keys).count)")
            #expect(stored.values.allSatisfy { $0 == 1 }, "no record is stored twice")
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: home.file("spool"))) ?? []
        #expect(leftovers.filter { $0.hasSuffix(".jsonl") }.isEmpty, "the spool is empty after draining")
    }
}

/// Just enough JSON to read CLI output in tests.
enum JSONValue: Decodable {
    case string(String), number(Double), bool(Bool), null, other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else {
            self = .other
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
