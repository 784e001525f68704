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

/// `cutover reconcile` against a real legacy table and the ERP simulator's paged API: planted gaps on each side, a
/// changed amount beyond tolerance and one within it, control totals against independent SQL sums.
@Suite("Reconciliation", .timeLimit(.minutes(3)))
struct ReconcileTests {
    /// 24 invoices in both (one amount off by 0.05, one by 0.004), one only in legacy, one only in the ERP, one
    /// legacy row too old for --since. The ERP pages by 5.
    static func plant(_ client: PostgresClient, _ simulators: RunningSimulators) async throws {
        try await client.run("CREATE SCHEMA legacy", logger: TestPostgres.logger)
        try await client.run(
            """
            CREATE TABLE legacy.posted_invoice (invoice_no text PRIMARY KEY, vendor_no text NOT NULL,
                amount numeric(12,3) NOT NULL, posted_on date NOT NULL)
            """, logger: TestPostgres.logger)
        var knobs = ERPSimulatorKnobs()
        knobs.pageSize = 5
        await simulators.erp.setKnobs(knobs)
        let erp = ERPClient(
            httpClient: .shared,
            credentials: ClientCredentials(
                tokenURL: simulators.erpURL + "/oauth2/token", clientID: "cutover-demo",
                clientSecret: "demo-secret-not-for-production"), logger: TestPostgres.logger)
        let url = simulators.erpURL + "/api/v2.0/companies(hospital-network)/purchaseInvoices"
        for number in 1...26 {
            let invoice = String(format: "INV-%04d", number)
            let vendor = "SUP-100\(number % 9 + 1)"
            let amount = "\(100 + number).00"
            if number != 26 {  // INV-0026: legacy only
                let erpAmount = number == 5 ? "105.05" : amount  // INV-0005: 0.05 off, beyond the 0.01 tolerance
                _ = try await erp.send(
                    .json(
                        .POST, url,
                        body: .object([
                            ("vendorNumber", .string(vendor)), ("vendorInvoiceNumber", .string(invoice)),
                            ("invoiceDate", .string("2026-11-20")), ("totalAmountIncludingTax", .number(erpAmount)),
                        ])))
            }
            if number != 25 {  // INV-0025: ERP only
                let legacyAmount = number == 6 ? "106.004" : amount  // INV-0006: 0.004 off, within tolerance
                try await client.run(
                    """
                    INSERT INTO legacy.posted_invoice VALUES (\(invoice), \(vendor), \(legacyAmount)::numeric,
                        DATE '2026-11-20')
                    """, logger: TestPostgres.logger)
            }
        }
        try await client.run(
            "INSERT INTO legacy.posted_invoice VALUES ('INV-OLD', 'SUP-1001', 999.99, DATE '2019-01-01')",
            logger: TestPostgres.logger)
    }

    static func definition(_ simulators: RunningSimulators) throws -> FlowDefinition {
        let definitions = try shippedAdapters(
            environment: simulators.adapterEnvironment.merging(["LEGACY_DATABASE_URL": "postgres://unused@127.0.0.1/x"])
            { $1 })
        return try #require(definitions.first { $0.flow == "invoice-posting" })
    }

    @Test("finds the gaps on each side, the change beyond tolerance only, over several pages; totals equal SQL sums")
    func reconcile() async throws {
        try await withSimulators { simulators in
            try await TestPostgres.withMigratedDatabase("recon") { client, _ in
                try await Self.plant(client, simulators)
                let definition = try Self.definition(simulators)
                let reconciler = Reconciler(
                    flow: definition.flow, definition: try #require(definition.reconcile),
                    erp: ERPClient(httpClient: .shared, credentials: definition.new?.auth, logger: TestPostgres.logger),
                    logger: TestPostgres.logger)
                let since = ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z")!
                let result = try await reconciler.run(legacy: client, since: since)
                #expect(result.onlyInLegacy == ["INV-0026"])
                #expect(result.onlyInNew == ["INV-0025"])
                #expect(result.changed.map(\.key) == ["INV-0005"], "0.05 flagged; 0.004 within 0.01 ignored")
                #expect(result.changed.first?.field == "amount")
                #expect(result.pages >= 5, "25 ERP records at 5 a page: \(result.pages) pages read")
                #expect(result.newCount == 25)
                // Control totals against sums computed independently: SQL on the legacy side, the ERP's own records.
                var legacyCount = 0
                var legacySum = ""
                for try await (count, sum) in try await client.query(
                    """
                    SELECT count(*)::int, sum(amount)::text FROM legacy.posted_invoice
                    WHERE posted_on >= \(since)
                    """, logger: TestPostgres.logger
                ).decode((Int, String).self) {
                    (legacyCount, legacySum) = (count, sum)
                }
                #expect(result.totals["count"]?.legacy == String(legacyCount))
                #expect(Decimal(string: result.totals["sum(amount)"]?.legacy ?? "") == Decimal(string: legacySum))
                let erpSum = await simulators.erp.entities("purchaseInvoices").reduce(Decimal(0)) {
                    $0 + (Decimal(string: $1.value(at: "/totalAmountIncludingTax")?.scalarText ?? "") ?? 0)
                }
                #expect(Decimal(string: result.totals["sum(amount)"]?.new ?? "") == erpSum)
                #expect(result.totals["count"]?.new == "25")
            }
        }
    }

    @Test("cutover reconcile prints and stores the finding, and exits 1 when the sets differ")
    func command() async throws {
        try await withSimulators { simulators in
            try await TestPostgres.withMigratedDatabase("reconcli") { client, database in
                try await Self.plant(client, simulators)
                let home = TemporaryDirectory("home")
                let output = try await CutoverProcess.run(
                    ["reconcile", "invoice-posting", "--since", "365d"],
                    environment: simulators.adapterEnvironment.merging([
                        "DATABASE_URL": database.connectionString, "CUTOVER_HOME": home.path,
                        "LEGACY_DATABASE_URL": database.connectionString,
                    ]) { $1 })
                #expect(output.status == 1, "\(output.stderr)")
                #expect(output.stdout.contains("only in legacy (1): INV-0026"))
                #expect(output.stdout.contains("only in the ERP (1): INV-0025"))
                #expect(output.stdout.contains("INV-0005 amount: legacy 105.000 vs ERP 105.05"), "\(output.stdout)")
                let stored = try await ReconciliationStore(client: client, logger: TestPostgres.logger).latest(
                    flows: ["invoice-posting"])
                #expect(stored.count == 1)
                #expect(stored.first?.onlyLegacy == 1)
                #expect(stored.first?.onlyNew == 1)
                #expect(stored.first?.changed == 1)
                // Reports include the latest reconciliation.
                let report = try await CutoverProcess.run(
                    ["report", "--flow", "invoice-posting", "--format", "md"],
                    environment: ["DATABASE_URL": database.connectionString, "CUTOVER_HOME": home.path])
                #expect(report.status == 0, "\(report.stderr)")
                #expect(report.stdout.contains("## Latest reconciliation"))
                #expect(report.stdout.contains("only in legacy 1, only in the ERP 1, changed 1"))
                #expect(report.stdout.contains("| sum(amount) | 2826.004 | 2825.05 |"), "\(report.stdout)")
            }
        }
    }
}
