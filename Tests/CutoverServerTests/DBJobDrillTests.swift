import CutoverAdapters
import CutoverCore
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// Database jobs across real processes: two `serve` instances sharing one schedule, and a run killed mid-batch.
@Suite("Database-job drills", .timeLimit(.minutes(5)))
struct DBJobDrillTests {
    /// The shipped invoice-posting adapter in a folder of its own, on a one-second schedule with a short lease.
    static func adapters(_ root: TemporaryDirectory) throws -> String {
        let shipped = try String(contentsOfFile: packageRoot() + "/adapters/invoice-posting.yaml", encoding: .utf8)
        root.write(
            "adapters/invoice-posting.yaml",
            shipped.replacingOccurrences(of: "schedule: { every: 5m }", with: "schedule: { every: 1s, lease_ms: 3000 }")
        )
        return root.file("adapters")
    }

    /// A migrated audit database with the flow in `setting`, and a legacy finance database with `staged` invoices.
    static func databases(_ setting: ModeSetting, staged: Int) async throws -> (DatabaseURL, DatabaseURL) {
        let audit = try await TestPostgres.makeDatabase("jobdrill")
        let legacy = try await TestPostgres.makeDatabase("jobdrilllegacy")
        try await TestPostgres.withClient(audit) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: TestPostgres.logger)
                .migrate()
            let store = FlowStateStore(client: client, logger: TestPostgres.logger)
            _ = try await store.seed([(DBJobFixture.flow, .legacy, "test")])
            if setting != .legacy {
                _ = try await store.change(DBJobFixture.flow, to: setting, actor: "test", reason: "drill", force: true)
            }
        }
        try await TestPostgres.withClient(legacy) { client in
            try await LegacyFinanceSchema.prepare(client, stage: staged, logger: TestPostgres.logger)
        }
        return (audit, legacy)
    }

    @Test("two serve processes share one schedule: each scheduled run happens once, and runs never overlap")
    func sharedSchedule() async throws {
        try await TestGate.heavy.run {
            try await withSimulators { simulators in
                let root = TemporaryDirectory("jobs2")
                let config = try Self.adapters(root)
                let (audit, legacy) = try await Self.databases(.legacy, staged: 30)
                let environment = DBJobFixture.environment(simulators, legacyURL: legacy)
                let first = try await ServeProcess.start(
                    database: audit, home: TemporaryDirectory("home"), arguments: ["--config", config],
                    environment: environment)
                let second = try await ServeProcess.start(
                    database: audit, home: TemporaryDirectory("home"), arguments: ["--config", config],
                    environment: environment)
                try await TestPostgres.withClient(audit) { client in
                    let store = JobStore(client: client, logger: TestPostgres.logger)
                    _ = try await poll(every: .milliseconds(200), for: .seconds(60)) {
                        try await store.runs(flow: DBJobFixture.flow).filter { $0.outcome == "succeeded" }.count >= 6
                    }
                }
                _ = try await first.stop()
                _ = try await second.stop()
                let runs = try await TestPostgres.withClient(audit) { client in
                    try await JobStore(client: client, logger: TestPostgres.logger).runs(
                        flow: DBJobFixture.flow, limit: 1_000
                    ).reversed()
                }
                let scheduled = runs.filter { $0.trigger == "schedule" }
                #expect(scheduled.count >= 6)
                #expect(Set(scheduled.compactMap(\.slot)).count == scheduled.count, "no slot ran twice")
                for (earlier, later) in zip(runs, runs.dropFirst()) {
                    #expect(
                        (earlier.finishedAt ?? .distantFuture) <= later.startedAt,
                        "runs never overlap: \(earlier.id) and \(later.id)")
                }
                let posted = try await TestPostgres.withClient(legacy) { client in
                    try await DBJobFixture.rows(client, "SELECT invoice_no FROM legacy.posted_invoice").count
                }
                #expect(posted == 30)
                print(
                    "job drill: \(scheduled.count) scheduled runs, by instance "
                        + "\(Dictionary(grouping: scheduled, by: \.instance).mapValues(\.count))")
            }
        }
    }

    @Test("SIGKILL mid-batch, then a run again: the ERP holds each invoice once and the acks match it")
    func killedMidBatch() async throws {
        try await TestGate.heavy.run {
            var knobs = ERPSimulatorKnobs()
            knobs.latencyMs = 40
            try await withSimulators(erpKnobs: knobs) { simulators in
                let root = TemporaryDirectory("jobkill")
                let config = try Self.adapters(root)
                let (audit, legacy) = try await Self.databases(ModeSetting(mode: .new), staged: 300)
                let environment = DBJobFixture.environment(simulators, legacyURL: legacy).merging([
                    "DATABASE_URL": audit.connectionString, "CUTOVER_HOME": TemporaryDirectory("home").path,
                ]) { $1 }
                let job = try CutoverProcess(
                    ["job", "run", DBJobFixture.flow, "--config", config], environment: environment)
                let ackedAtKill = try await TestPostgres.withClient(legacy) { client in
                    var acked = 0
                    _ = try await poll(every: .milliseconds(10), for: .seconds(60)) {
                        acked = try await DBJobFixture.rows(
                            client, "SELECT id FROM legacy.invoice_staging WHERE erp_exported_at IS NOT NULL"
                        ).count
                        return acked >= 60
                    }
                    return acked
                }
                job.signal(SIGKILL)
                _ = try await job.wait(timeout: .seconds(10))
                let inERPAtKill = await simulators.erp.entities("purchaseInvoices").count
                #expect(inERPAtKill < 300, "killed mid-run")
                // Once the dead run's lease lapses, a new run takes the rest.
                var rerun: CutoverProcess.Output?
                _ = try await poll(every: .milliseconds(500), for: .seconds(60)) {
                    let output = try await CutoverProcess.run(
                        ["job", "run", DBJobFixture.flow, "--config", config], environment: environment)
                    rerun = output
                    return output.status == 0
                }
                #expect(rerun?.status == 0, "\(rerun?.stderr ?? "")")
                let invoices = await simulators.erp.entities("purchaseInvoices").compactMap {
                    $0.value(at: "/vendorInvoiceNumber")?.scalarText
                }
                #expect(invoices.count == 300, "each invoice once in the ERP")
                #expect(Set(invoices).count == 300)
                let stats = await simulators.erp.stats
                #expect(stats.created["purchaseInvoices"] == 300)
                let acked = try await TestPostgres.withClient(legacy) { client in
                    try await DBJobFixture.rows(
                        client, "SELECT invoice_no FROM legacy.invoice_staging WHERE erp_exported_at IS NOT NULL")
                }
                #expect(acked.count == 300, "the acks match what the ERP holds")
                print(
                    "DRILL db-job-sigkill: invoices 300, acked at the kill \(ackedAtKill), in the ERP at the kill "
                        + "\(inERPAtKill), re-sent \(stats.idempotentReplays), ERP entries \(invoices.count), lost 0, "
                        + "duplicates \(invoices.count - Set(invoices).count)")
            }
        }
    }
}
