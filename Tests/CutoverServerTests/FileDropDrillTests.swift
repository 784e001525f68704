import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// File drops across real `cutover serve` processes: two watchers on one folder, and a watcher killed mid-file.
@Suite("File-drop drills", .timeLimit(.minutes(5)))
struct FileDropDrillTests {
    /// A temporary root holding the stock flow's adapter (folders under the root), and a migrated database with
    /// the flow in `setting`.
    static func prepare(
        _ root: TemporaryDirectory, simulators: RunningSimulators, setting: ModeSetting, batchSize: Int = 10
    ) async throws -> DatabaseURL {
        root.write(
            "adapters/\(FileDropFixture.name).yaml",
            FileDropFixture.adapterYAML(root: root.path, batchSize: batchSize))
        let database = try await TestPostgres.makeDatabase("filedrill")
        try await TestPostgres.withClient(database) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: TestPostgres.logger)
                .migrate()
            let store = FlowStateStore(client: client, logger: TestPostgres.logger)
            _ = try await store.seed([(FileDropFixture.name, .legacy, "test")])
            _ = try await store.change(FileDropFixture.name, to: setting, actor: "test", reason: "drill", force: true)
        }
        return database
    }

    static func serve(_ database: DatabaseURL, _ root: TemporaryDirectory, _ simulators: RunningSimulators) async throws
        -> ServeProcess
    {
        try await ServeProcess.start(
            database: database, home: TemporaryDirectory("home"), arguments: ["--config", root.file("adapters")],
            environment: simulators.adapterEnvironment)
    }

    static func files(_ directory: String) -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            found[name] = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))) ?? []
        }
        return found
    }

    @Test("two serve processes watching one folder process each file once")
    func twoWatchers() async throws {
        try await TestGate.heavy.run {
            try await withSimulators { simulators in
                let root = TemporaryDirectory("drop2")
                let database = try await Self.prepare(root, simulators: simulators, setting: ModeSetting(mode: .shadow))
                let first = try await Self.serve(database, root, simulators)
                let second = try await Self.serve(database, root, simulators)
                let outbound = root.path + "/drop/outbound"
                var dropped: [String: [UInt8]] = [:]
                for index in 1...12 {
                    let bytes = FileDropFixture.stockCSV(50, start: index * 1000)
                    let name = String(format: "STOCK_%02d.csv", index)
                    // Written beside the folder and renamed in, as a careful producer does: both watchers see it whole.
                    _ = FileManager.default.createFile(atPath: root.path + "/" + name, contents: Data(bytes))
                    try FileManager.default.moveItem(atPath: root.path + "/" + name, toPath: outbound + "/" + name)
                    dropped[name] = bytes
                }
                let done = root.path + "/drop/done"
                let settled = try await poll(every: .milliseconds(100), for: .seconds(90)) {
                    Self.files(done).keys.filter { $0.hasSuffix(".result.json") }.count >= 12
                }
                #expect(settled)
                _ = try await first.stop()
                _ = try await second.stop()
                let results = Self.files(done).filter { $0.key.hasSuffix(".result.json") }.compactMap {
                    FileResult.decode(String(decoding: $0.value, as: UTF8.self))
                }
                #expect(results.count == 12, "one result per file: none processed twice")
                #expect(results.allSatisfy { !$0.duplicate && $0.sent == 50 })
                #expect(Self.files(root.path + "/legacy/inbound") == dropped, "each file delivered once, whole")
                #expect(await simulators.erp.entities("itemLedgerEntries").count == 600)
                #expect(await simulators.erp.stats.idempotentReplays == 0, "no record was sent twice")
                try await TestPostgres.withClient(database) { client in
                    var owners: [String] = []
                    for try await (owner, ) in try await client.query(
                        "SELECT claimed_by FROM cutover.file_claims", logger: TestPostgres.logger
                    ).decode((String,).self) {
                        owners.append(owner)
                    }
                    #expect(owners.count == 12)
                    print(
                        "file-drop drill: files per instance \(Dictionary(grouping: owners) { $0 }.mapValues(\.count))")
                }
            }
        }
    }

    @Test(
        "SIGKILL in the middle of a file, then a restart: each record reaches the ERP once, the inbox holds whole files"
    )
    func killedMidFile() async throws {
        try await TestGate.heavy.run {
            var knobs = ERPSimulatorKnobs()
            knobs.latencyMs = 5
            try await withSimulators(erpKnobs: knobs) { simulators in
                let root = TemporaryDirectory("dropkill")
                let database = try await Self.prepare(root, simulators: simulators, setting: ModeSetting(mode: .shadow))
                let bytes = FileDropFixture.stockCSV(3000)
                let first = try await Self.serve(database, root, simulators)
                _ = FileManager.default.createFile(atPath: root.path + "/STOCK_BIG.csv", contents: Data(bytes))
                try FileManager.default.moveItem(
                    atPath: root.path + "/STOCK_BIG.csv", toPath: root.path + "/drop/outbound/STOCK_BIG.csv")
                let done = try await TestPostgres.withClient(database) { client in
                    var done = 0
                    let reached = try await poll(every: .milliseconds(20), for: .seconds(60)) {
                        for try await (count, ) in try await client.query(
                            "SELECT records_done FROM cutover.file_claims", logger: TestPostgres.logger
                        ).decode((Int,).self) {
                            done = count
                        }
                        return done >= 500
                    }
                    #expect(reached)
                    return done
                }
                first.process.signal(SIGKILL)
                _ = try await first.process.wait(timeout: .seconds(10))
                let sentBeforeKill = await simulators.erp.entities("itemLedgerEntries").count
                #expect(sentBeforeKill < 3000, "killed mid-file (\(sentBeforeKill) of 3000 sent)")
                #expect(Self.files(root.path + "/drop/processing").keys.contains("STOCK_BIG.csv"))

                let second = try await Self.serve(database, root, simulators)
                let settled = try await poll(every: .milliseconds(100), for: .seconds(90)) {
                    Self.files(root.path + "/drop/done")["STOCK_BIG.csv.result.json"] != nil
                }
                #expect(settled)
                _ = try await second.stop()
                let ledger = await simulators.erp.entities("itemLedgerEntries")
                #expect(ledger.count == 3000, "each record exactly once in the ERP")
                let stats = await simulators.erp.stats
                #expect(stats.created["itemLedgerEntries"] == 3000)
                #expect(stats.idempotentReplays <= 10, "at most the batch in flight was sent again")
                #expect(
                    Self.files(root.path + "/legacy/inbound") == ["STOCK_BIG.csv": bytes], "whole, once, no temporary")
                let result = try #require(
                    Self.files(root.path + "/drop/done")["STOCK_BIG.csv.result.json"].flatMap {
                        FileResult.decode(String(decoding: $0, as: UTF8.self))
                    })
                #expect(result.sent == 3000)
                #expect(result.compared == 3000)
                try await TestPostgres.withClient(database) { client in
                    for try await (count, ) in try await client.query(
                        "SELECT count(*)::int FROM cutover.exchanges WHERE kind = 'record'", logger: TestPostgres.logger
                    ).decode((Int,).self) {
                        #expect(count == 3000, "every record audited once")
                    }
                }
                print("file-drop kill drill: \(done) records done at the kill, \(stats.idempotentReplays) re-sent")
            }
        }
    }
}

extension FileDropDrillTests {
    @Test("PostgreSQL stopped for 10 s in the middle of a file: the file resumes, each record reaches the ERP once")
    func postgresOutageMidFile() async throws {
        try await TestGate.heavy.run {
            let directory = TemporaryDirectory("filepg")
            let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: TestPostgres.logger)
            let url = try cluster.start().url
            defer { cluster.stop() }
            var knobs = ERPSimulatorKnobs()
            knobs.latencyMs = 5
            try await withSimulators(erpKnobs: knobs) { simulators in
                let root = TemporaryDirectory("filepgroot")
                root.write("adapters/\(FileDropFixture.name).yaml", FileDropFixture.adapterYAML(root: root.path))
                let flows = try AdapterLoader(environment: simulators.adapterEnvironment).load(
                    directory: root.file("adapters"))
                try await withCutoverServer(flows: flows, database: url, home: directory.file("home")) { server in
                    try await TestPostgres.withClient(url) { client in
                        _ = try await FlowStateStore(client: client, logger: TestPostgres.logger).change(
                            FileDropFixture.name, to: ModeSetting(mode: .new), actor: "drill", reason: "drill",
                            force: true)
                    }
                    #expect(
                        try await poll(for: .seconds(20)) {
                            server.modes.setting(of: FileDropFixture.name) == ModeSetting(mode: .new)
                        })
                    let bytes = FileDropFixture.stockCSV(3000)
                    _ = FileManager.default.createFile(atPath: root.path + "/STOCK_PG.csv", contents: Data(bytes))
                    try FileManager.default.moveItem(
                        atPath: root.path + "/STOCK_PG.csv", toPath: root.path + "/drop/outbound/STOCK_PG.csv")
                    #expect(
                        try await poll(every: .milliseconds(20), for: .seconds(60)) {
                            await simulators.erp.entities("itemLedgerEntries").count >= 500
                        })
                    cluster.stop()
                    let stoppedAt = ContinuousClock.now
                    let atStop = await simulators.erp.entities("itemLedgerEntries").count
                    // The drill's outage: ten seconds without PostgreSQL while the file is half done.
                    try await Task.sleep(until: stoppedAt + .seconds(10))
                    let duringOutage = await simulators.erp.entities("itemLedgerEntries").count - atStop
                    #expect(
                        Self.files(root.path + "/drop/processing").keys.contains("STOCK_PG.csv"),
                        "the file waits in processing/")
                    _ = try cluster.start()
                    #expect(
                        try await poll(every: .milliseconds(100), for: .seconds(90)) {
                            Self.files(root.path + "/drop/done")["STOCK_PG.csv.result.json"] != nil
                        }, "the file resumed and settled once PostgreSQL was back")
                    let ledger = await simulators.erp.entities("itemLedgerEntries")
                    let stats = await simulators.erp.stats
                    #expect(ledger.count == 3000, "each record exactly once in the ERP")
                    #expect(stats.created["itemLedgerEntries"] == 3000)
                    try await TestPostgres.withClient(url) { client in
                        let drained = try await poll(every: .milliseconds(200), for: .seconds(60)) {
                            var stored = 0
                            for try await (count, ) in try await client.query(
                                "SELECT count(*)::int FROM cutover.exchanges WHERE kind = 'record'",
                                logger: TestPostgres.logger
                            ).decode((Int,).self) {
                                stored = count
                            }
                            return stored == 3000
                        }
                        #expect(drained, "every record audited once, the spool drained")
                    }
                    print(
                        "DRILL file-drop-postgres-outage-10s: records 3000, ERP entries \(ledger.count), "
                            + "sent during the outage \(duringOutage), re-sent after it \(stats.idempotentReplays), "
                            + "lost 0, duplicates \(ledger.count - 3000)")
                }
            }
        }
    }

    @Test("the ERP down for a whole file: every record waits as a dead letter, and one replay delivers each once")
    func erpOutageFile() async throws {
        try await FileDropFixture.run { fixture in
            var knobs = ERPSimulatorKnobs()
            knobs.failRate = 1
            await fixture.simulators.erp.setKnobs(knobs)
            let bytes = FileDropFixture.stockCSV(60)
            let result = try #require(try await fixture.process("STOCK_ERP.csv", bytes, ModeSetting(mode: .new)))
            #expect(result.sent == 0)
            #expect(result.deadLetters == 60, "nothing dropped: every record kept for replay")
            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())
            let store = DeadLetterStore(client: fixture.client, logger: TestPostgres.logger)
            let replay = DeadLetterReplay(
                store: store, audit: DirectAuditWrite(client: fixture.client, logger: TestPostgres.logger),
                erp: ERPClient(
                    httpClient: .shared, credentials: fixture.definition.new?.auth, logger: TestPostgres.logger),
                timeout: .seconds(10), actor: "drill")
            let first = try await replay.replay(try await store.pending(flow: FileDropFixture.name)) { _, _ in }
            #expect(first.delivered == 60)
            let again = try await replay.replay(try await store.pending(flow: FileDropFixture.name)) { _, _ in }
            #expect(again.delivered == 0, "a delivered dead letter is never sent again")
            #expect(await fixture.ledger().count == 60, "each record exactly once in the ERP")
            print("DRILL file-drop-erp-outage: records 60, dead letters 60, delivered by replay 60, ERP entries 60")
        }
    }

    @Test(
        "the file-drop circuit opens in an outage (as /metrics reads it); the first file after it waits for the probe instead of failing"
    )
    func circuitAfterOutage() async throws {
        try await FileDropFixture.run { fixture in
            var definition = fixture.definition
            definition.new?.circuitFailures = 3
            definition.new?.circuitOpenSeconds = 1
            let processor = fixture.processor(
                ModeSetting(mode: .new), concurrency: 4, flow: try FileDropFlow(definition))
            #expect(processor.circuit?.state == .closed)
            var knobs = ERPSimulatorKnobs()
            knobs.failRate = 1
            await fixture.simulators.erp.setKnobs(knobs)
            let outage = try #require(
                try await fixture.process(
                    "STOCK_DOWN.csv", FileDropFixture.stockCSV(20), ModeSetting(mode: .new), processor: processor))
            #expect(outage.deadLetters == 20, "nothing dropped")
            #expect(outage.failures.contains { $0.reason.contains("circuit") }, "the open circuit stopped the calls")
            // Open, or already half-open when the file took longer than the 1 s open time on a loaded machine.
            #expect(processor.circuit.map { $0.state != .closed } == true)
            let requests = await fixture.simulators.erp.stats.requests

            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())
            #expect(
                try await poll(every: .milliseconds(20), for: .seconds(10)) { processor.circuit?.state == .halfOpen })
            let after = try #require(
                try await fixture.process(
                    "STOCK_BACK.csv", FileDropFixture.stockCSV(20, start: 101), ModeSetting(mode: .new),
                    processor: processor))
            #expect(after.sent == 20, "every record went once the probe closed the circuit: \(after.failures)")
            #expect(after.failed == 0)
            #expect(processor.circuit?.state == .closed)
            #expect(await fixture.simulators.erp.stats.requests > requests)
        }
    }

    @Test(
        "a file resumed after a crash that came after its records' audit but before its progress: each record audited once"
    )
    func resumedAfterAudit() async throws {
        try await FileDropFixture.run { fixture in
            let first = try #require(
                try await fixture.process("STOCK_RESUME.csv", FileDropFixture.stockCSV(50), ModeSetting(mode: .shadow)))
            #expect(first.sent == 50)
            // The crash: every record is audited, but the claim still says none is done and the file is still in
            // processing/ (moved back from done/, the same file: its identity is unchanged).
            try FileManager.default.removeItem(atPath: fixture.flow.doneDirectory + "/STOCK_RESUME.csv.result.json")
            let processing = fixture.flow.processingDirectory + "/STOCK_RESUME.csv"
            try FileManager.default.moveItem(
                atPath: fixture.flow.doneDirectory + "/STOCK_RESUME.csv", toPath: processing)
            try await fixture.client.run(
                """
                UPDATE cutover.file_claims SET state = 'processing', records_done = 0, legacy_delivery = 'delivered',
                    result = NULL
                """, logger: TestPostgres.logger)
            let resumed = try #require(try await fixture.processor(ModeSetting(mode: .shadow)).process(processing))
            #expect(resumed.sent == 50, "re-sent: the ERP answers from its idempotency keys")
            #expect(await fixture.ledger().count == 50, "each record once in the ERP")
            #expect(
                try await fixture.count("SELECT count(*)::int FROM cutover.exchanges WHERE kind = 'record'") == 50,
                "each record audited once")
        }
    }
}
