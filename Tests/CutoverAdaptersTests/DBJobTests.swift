import CutoverAdapters
import CutoverCore
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// The invoice-posting job in each mode, on a real legacy database with the shipped stored procedure and the ERP
/// simulator.
@Suite("Database-job adapter", .timeLimit(.minutes(3)))
struct DBJobTests {
    static let posted =
        "SELECT invoice_no, vendor_no, amount, currency, invoice_date FROM legacy.posted_invoice ORDER BY 1"
    static let staging =
        "SELECT id, invoice_no, posted_at IS NOT NULL AS posted, erp_exported_at IS NOT NULL AS exported FROM legacy.invoice_staging ORDER BY id"

    @Test("legacy: the job runs as today; nothing reaches the ERP; the run is recorded and audited")
    func legacyMode() async throws {
        try await DBJobFixture.run { fixture in
            let result = try await fixture.run(.legacy)
            #expect(result.legacyRan)
            #expect(result.sent == 0)
            #expect(
                result.captured?.contains(#""posted_invoices":40"#) == true,
                "capture.sql audited: \(result.captured ?? "-")")
            #expect(result.legacyRows == nil, "a CALL reports no row count")
            #expect(try await fixture.legacyRows(Self.posted).count == 40)
            #expect(await fixture.erpInvoices().isEmpty)
            let runs = try await JobStore(client: fixture.audit, logger: TestPostgres.logger).runs(
                flow: DBJobFixture.flow)
            #expect(runs.map(\.outcome) == ["succeeded"])
            #expect(
                try await DBJobFixture.rows(
                    fixture.audit, "SELECT id FROM cutover.exchanges WHERE kind = 'job_run' AND id = '\(result.id)'"
                ).count == 1)
        }
    }

    @Test("a legacy job that is a plain statement has its rows affected recorded")
    func rowsAffected() async throws {
        try await DBJobFixture.run(staged: 12) { fixture in
            guard case .dbJob(var job) = fixture.definition.legacy else { throw FixtureError(description: "not a job") }
            job.sql = "UPDATE legacy.invoice_staging SET posted_at = now() WHERE posted_at IS NULL"
            var definition = fixture.definition
            definition.legacy = .dbJob(job)
            let runner = DBJobRunner(
                flow: try DBJobFlow(definition), modes: FixedModes([:]), erp: nil,
                audit: DirectAuditWrite(client: fixture.audit, logger: TestPostgres.logger), client: fixture.audit,
                redactor: Redactor(key: Array(repeating: 7, count: 32)), instance: "test", logger: TestPostgres.logger)
            let result = try #require(try await runner.run(legacy: fixture.legacy, trigger: "manual"))
            #expect(result.legacyRows == 12)
            let stored = try await DBJobFixture.rows(
                fixture.audit, "SELECT status FROM cutover.side_calls WHERE exchange_id = '\(result.id)'")
            #expect(stored == [#"{"status":12}"#], "the legacy call's status is its rows affected")
        }
    }

    @Test("new: the legacy job does not run; every row reaches the ERP once and is acked only after it was accepted")
    func newMode() async throws {
        try await DBJobFixture.run { fixture in
            let result = try await fixture.run(ModeSetting(mode: .new))
            #expect(!result.legacyRan)
            #expect(result.sent == 40)
            let invoices = await fixture.erpInvoices()
            #expect(invoices.count == 40)
            #expect(Set(invoices).count == 40)
            #expect(try await fixture.legacyRows(Self.posted).isEmpty, "the legacy job did not run")
            #expect(
                try await fixture.legacyRows("SELECT id FROM legacy.invoice_staging WHERE erp_exported_at IS NOT NULL")
                    .count == 40)
            let again = try await fixture.run(ModeSetting(mode: .new))
            #expect(again.rowsSeen == 0, "acked rows are not read again")
            #expect(await fixture.erpInvoices().count == 40)
        }
    }

    @Test("shadow: the legacy tables end up identical to a legacy-only run; the ERP gets every row once")
    func shadowMode() async throws {
        // The same staged invoices in a second legacy database, run in legacy mode only.
        let reference = try await TestPostgres.makeDatabase("legacyref")
        let expected = try await TestPostgres.withClient(reference) { client in
            try await LegacyFinanceSchema.prepare(client, stage: 40, logger: TestPostgres.logger)
            try await client.run("CALL legacy.post_pending_invoices()", logger: TestPostgres.logger)
            return (
                try await DBJobFixture.rows(client, Self.posted),
                try await DBJobFixture.rows(client, Self.staging)
            )
        }
        try await DBJobFixture.run { fixture in
            let result = try await fixture.run(ModeSetting(mode: .shadow))
            #expect(result.legacyRan)
            #expect(result.sent == 40)
            #expect(result.compared == 40)
            #expect(try await fixture.legacyRows(Self.posted) == expected.0, "posted invoices as a legacy-only run")
            #expect(try await fixture.legacyRows(Self.staging) == expected.1, "staging untouched: nothing acked")
            #expect(await fixture.erpInvoices().count == 40)
            let again = try await fixture.run(ModeSetting(mode: .shadow))
            #expect(again.sent == 0, "what was sent is remembered in Cutover's own table")
            #expect(await fixture.erpInvoices().count == 40)
        }
    }

    @Test("canary: rows split by vendor; the legacy job does its share only; the ERP's share is acked")
    func canaryMode() async throws {
        try await DBJobFixture.run { fixture in
            let result = try await fixture.run(ModeSetting(mode: .canary, percent: 50))
            #expect(result.legacyRan)
            let posted = Set(
                try await fixture.legacyRows("SELECT invoice_no FROM legacy.posted_invoice").map {
                    String($0.dropFirst(15).dropLast(2))
                })
            let sent = Set(await fixture.erpInvoices())
            #expect(posted.count + sent.count == 40)
            #expect(posted.isDisjoint(with: sent))
            #expect(!posted.isEmpty && !sent.isEmpty)
            #expect(result.filtered == sent.count)
            let acked = try await fixture.legacyRows(
                "SELECT invoice_no FROM legacy.invoice_staging WHERE erp_exported_at IS NOT NULL")
            #expect(acked.count == sent.count, "acked exactly the ERP's share")
            // The split is by routing key (vendor): no vendor on both sides.
            let postedVendors = Set(
                try await fixture.legacyRows("SELECT DISTINCT vendor_no FROM legacy.posted_invoice"))
            let sentVendors = Set(
                await fixture.simulators.erp.entities("purchaseInvoices").compactMap {
                    $0.value(at: "/vendorNumber")?.scalarText.map { #"{"vendor_no":"\#($0)"}"# }
                })
            #expect(postedVendors.isDisjoint(with: sentVendors))
        }
    }

    @Test(
        "a row the ERP refuses becomes a dead letter and is not acked; the run goes on; fixed, the next run delivers it"
    )
    func failures() async throws {
        try await DBJobFixture.run(staged: 20) { fixture in
            // Two invoices for a vendor the ERP does not know: refused (not retried), the other 20 go through.
            try await fixture.legacy.run(
                """
                INSERT INTO legacy.invoice_staging (vendor_no, invoice_no, amount, invoice_date)
                VALUES ('SUP-0000', 'INV-BAD-1', 10, DATE '2026-11-21'), ('SUP-0000', 'INV-BAD-2', 20, DATE '2026-11-21')
                """, logger: TestPostgres.logger)
            let first = try await fixture.runner(ModeSetting(mode: .new)).run(legacy: fixture.legacy, trigger: "manual")
            let result = try #require(first)
            #expect(result.failed == 2)
            #expect(result.deadLetters == 2)
            #expect(result.sent == 20)
            let acked = try await fixture.legacyRows(
                "SELECT invoice_no FROM legacy.invoice_staging WHERE erp_exported_at IS NOT NULL")
            #expect(acked.count == 20, "nothing acked that the ERP did not accept")
            #expect(!acked.contains { $0.contains("INV-BAD") })
            try await fixture.legacy.run(
                "UPDATE legacy.invoice_staging SET vendor_no = 'SUP-1001' WHERE vendor_no = 'SUP-0000'",
                logger: TestPostgres.logger)
            let second = try await fixture.run(ModeSetting(mode: .new))
            #expect(second.sent == 2)
            let invoices = await fixture.erpInvoices()
            #expect(invoices.count == 22)
            #expect(Set(invoices).count == 22)
        }
    }
}
