import CutoverAdapters
import CutoverCore
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// Two `serve` instances on one PostgreSQL with all three flow kinds active, traffic spread round robin: flags, job
/// runs and file claims stay coordinated.
@Suite("Scale-out", .timeLimit(.minutes(5)))
struct ScaleOutTests {
    static let soap = "purchase-order-create"
    static let files = FileDropFixture.name
    static let jobs = DBJobFixture.flow

    @Test("two instances, round-robin SOAP traffic, file drops and a scheduled job: everything happens once")
    func twoInstancesAllKinds() async throws {
        try await TestGate.heavy.run {
            let audit = try await TestPostgres.makeDatabase("scaleout")
            let legacy = try await TestPostgres.makeDatabase("scaleoutlegacy")
            let root = TemporaryDirectory("scaleout")
            try await withSimulators(database: audit) { simulators in
                // The adapters: the shipped SOAP flow, a stock file flow and the invoice job on a 1 s schedule.
                let shipped = packageRoot() + "/adapters/"
                root.write(
                    "adapters/purchase-order-create.yaml",
                    try String(contentsOfFile: shipped + "purchase-order-create.yaml", encoding: .utf8))
                try FileManager.default.createDirectory(
                    atPath: root.file("adapters/templates"), withIntermediateDirectories: true)
                try FileManager.default.copyItem(
                    atPath: shipped + "templates/create-po-response.xml",
                    toPath: root.file("adapters/templates/create-po-response.xml"))
                root.write("adapters/\(Self.files).yaml", FileDropFixture.adapterYAML(root: root.path))
                root.write(
                    "adapters/invoice-posting.yaml",
                    try String(contentsOfFile: shipped + "invoice-posting.yaml", encoding: .utf8)
                        .replacingOccurrences(
                            of: "schedule: { every: 5m }", with: "schedule: { every: 1s, lease_ms: 3000 }"))
                let token = try await TestPostgres.withClient(audit) { client in
                    _ = try await Migrator(
                        client: client, migrations: try Migration.bundled(), logger: TestPostgres.logger
                    ).migrate()
                    let store = FlowStateStore(client: client, logger: TestPostgres.logger)
                    _ = try await store.seed([
                        (Self.soap, .legacy, "t"), (Self.files, .legacy, "t"), (Self.jobs, .legacy, "t"),
                    ])
                    for flow in [Self.soap, Self.files] {
                        _ = try await store.change(flow, to: ModeSetting(mode: .shadow), actor: "test", reason: "scale")
                    }
                    return try await TokenStore(client: client, logger: TestPostgres.logger)
                        .create(name: "scale", role: .viewer, actor: "test").secret
                }
                try await TestPostgres.withClient(legacy) { client in
                    try await LegacyFinanceSchema.prepare(client, stage: 30, logger: TestPostgres.logger)
                }
                let environment = DBJobFixture.environment(simulators, legacyURL: legacy)
                var instances: [ServeProcess] = []
                for _ in 0..<2 {
                    instances.append(
                        try await ServeProcess.start(
                            database: audit, home: TemporaryDirectory("home"),
                            arguments: ["--config", root.file("adapters")], environment: environment))
                }
                let bases = instances.map(\.base)

                // SOAP traffic round robin; then a flag change both instances must apply before the next calls.
                for index in 0..<40 {
                    let answer = await soapCall(
                        bases[index % 2] + "/PurchaseOrderService",
                        purchaseOrderEnvelope(requestID: "SCALE-A-\(index)", supplier: "SUP-100\(index % 9 + 1)"),
                        headers: ["X-Correlation-ID": "SCALE-A-\(index)"])
                    #expect(answer?.status == 200)
                }
                let version = try await TestPostgres.withClient(audit) { client in
                    try await FlowStateStore(client: client, logger: TestPostgres.logger).change(
                        Self.soap, to: ModeSetting(mode: .canary, percent: 50), actor: "test", reason: "scale"
                    ).version
                }
                for base in bases {
                    #expect(
                        try await poll(every: .milliseconds(50), for: .seconds(10)) {
                            await Self.appliedVersion(base, token: token) == version
                        }, "\(base) applied version \(version)")
                }
                for index in 0..<40 {
                    let answer = await soapCall(
                        bases[index % 2] + "/PurchaseOrderService",
                        purchaseOrderEnvelope(requestID: "SCALE-B-\(index)", supplier: "SUP-100\(index % 9 + 1)"),
                        headers: ["X-Correlation-ID": "SCALE-B-\(index)"])
                    #expect(answer?.status == 200)
                }

                // File drops into the folder both watch.
                for index in 1...6 {
                    let name = "STOCK_SCALE_\(index).csv"
                    _ = FileManager.default.createFile(
                        atPath: root.file(name), contents: Data(FileDropFixture.stockCSV(30, start: index * 100)))
                    try FileManager.default.moveItem(
                        atPath: root.file(name), toPath: root.file("drop/outbound/\(name)"))
                }
                let done = root.file("drop/done")
                #expect(
                    try await poll(every: .milliseconds(100), for: .seconds(60)) {
                        ((try? FileManager.default.contentsOfDirectory(atPath: done)) ?? [])
                            .filter { $0.hasSuffix(".result.json") }.count >= 6
                    })

                // The scheduled job: let it run a few times across both instances.
                try await TestPostgres.withClient(audit) { client in
                    let store = JobStore(client: client, logger: TestPostgres.logger)
                    let ran = try await poll(every: .milliseconds(200), for: .seconds(60)) {
                        try await store.runs(flow: Self.jobs).filter { $0.outcome == "succeeded" }.count >= 4
                    }
                    #expect(ran)
                }
                for instance in instances { _ = try await instance.stop() }

                try await TestPostgres.withClient(audit) { client in
                    // Every call stored once; in canary each supplier served by one side whichever instance answered.
                    let calls = try await DBJobFixture.rows(
                        client,
                        "SELECT correlation_id, count(*) AS n FROM cutover.exchanges WHERE correlation_id LIKE 'SCALE-%' GROUP BY 1"
                    )
                    #expect(calls.count == 80)
                    #expect(calls.allSatisfy { $0.hasSuffix(#""n":1}"#) })
                    let split = try await DBJobFixture.rows(
                        client,
                        """
                        SELECT routing_key, count(DISTINCT served_by) AS sides FROM cutover.exchanges
                        WHERE correlation_id LIKE 'SCALE-B-%' GROUP BY 1
                        """)
                    #expect(split.count == 9)
                    #expect(split.allSatisfy { $0.hasSuffix(#""sides":1}"#) }, "\(split)")
                    // Files: six claims, none a duplicate; job runs: each slot once, never overlapping.
                    #expect(try await DBJobFixture.rows(client, "SELECT sha256 FROM cutover.file_claims").count == 6)
                    let runs = try await JobStore(client: client, logger: TestPostgres.logger).runs(
                        flow: Self.jobs, limit: 1_000
                    ).reversed()
                    let scheduled = runs.filter { $0.trigger == "schedule" }
                    #expect(Set(scheduled.compactMap(\.slot)).count == scheduled.count)
                    for (earlier, later) in zip(runs, runs.dropFirst()) {
                        #expect((earlier.finishedAt ?? .distantFuture) <= later.startedAt)
                    }
                }
                let results = ((try? FileManager.default.contentsOfDirectory(atPath: done)) ?? [])
                    .filter { $0.hasSuffix(".result.json") }
                    .compactMap { FileManager.default.contents(atPath: done + "/" + $0) }
                    .compactMap { FileResult.decode(String(decoding: $0, as: UTF8.self)) }
                #expect(results.count == 6)
                #expect(results.allSatisfy { !$0.duplicate && $0.sent == 30 })
                #expect(await simulators.erp.entities("itemLedgerEntries").count == 180)
            }
        }
    }

    static func appliedVersion(_ base: String, token: String) async -> Int64? {
        guard
            let answer = await httpRequest(
                "GET", base + "/admin/flows/\(soap)", headers: ["Authorization": "Bearer \(token)"]),
            let value = try? JSONValue.parse(answer.body)
        else { return nil }
        return value.value(at: "/appliedVersion")?.scalarText.flatMap(Int64.init)
    }
}
