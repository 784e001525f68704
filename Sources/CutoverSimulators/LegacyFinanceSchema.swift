import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// The legacy finance database the demo's `invoice-posting` job runs against: staged supplier invoices, posted
/// invoices, and the stored procedure the nightly job calls. The procedure honours Cutover's key filter table
/// (`cutover_job_filter`): rows whose key is listed there for its flow went to the ERP in a canary run, so the
/// legacy job leaves them alone. That check is the one change a legacy job needs before a canary.
public enum LegacyFinanceSchema {
    public static let sql = """
        CREATE SCHEMA IF NOT EXISTS legacy;
        CREATE TABLE IF NOT EXISTS legacy.invoice_staging (
            id               bigserial PRIMARY KEY,
            vendor_no        text NOT NULL,
            invoice_no       text NOT NULL UNIQUE,
            amount           numeric(12,2) NOT NULL,
            currency         text NOT NULL DEFAULT 'USD',
            invoice_date     date NOT NULL,
            posted_at        timestamptz,
            erp_exported_at  timestamptz
        );
        CREATE TABLE IF NOT EXISTS legacy.posted_invoice (
            invoice_no    text PRIMARY KEY,
            vendor_no     text NOT NULL,
            amount        numeric(12,2) NOT NULL,
            currency      text NOT NULL,
            invoice_date  date NOT NULL,
            posted_on     date NOT NULL
        );
        CREATE TABLE IF NOT EXISTS public.cutover_job_filter (
            flow     text NOT NULL,
            row_key  text NOT NULL,
            PRIMARY KEY (flow, row_key)
        );
        CREATE OR REPLACE PROCEDURE legacy.post_pending_invoices() LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO legacy.posted_invoice (invoice_no, vendor_no, amount, currency, invoice_date, posted_on)
            SELECT s.invoice_no, s.vendor_no, s.amount, s.currency, s.invoice_date, current_date
            FROM legacy.invoice_staging s
            WHERE s.posted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM public.cutover_job_filter f
                              WHERE f.flow = 'invoice-posting' AND f.row_key = s.id::text);
            UPDATE legacy.invoice_staging s SET posted_at = now()
            WHERE s.posted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM public.cutover_job_filter f
                              WHERE f.flow = 'invoice-posting' AND f.row_key = s.id::text);
        END $$;
        """

    /// Creates the schema (idempotent) and stages `count` invoices from the catalogue's suppliers, numbered
    /// `prefix` + six digits from `first`.
    public static func prepare(
        _ client: PostgresClient, stage count: Int, first: Int = 1, prefix: String = "INV-", logger: Logger
    ) async throws {
        for statement in SQLScript.statements(in: sql) {
            try await client.run(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        guard count > 0 else { return }
        try await client.run(
            """
            INSERT INTO legacy.invoice_staging (vendor_no, invoice_no, amount, invoice_date)
            SELECT 'SUP-100' || (n % 9 + 1), \(prefix) || lpad(n::text, 6, '0'), 100 + (n % 97) + (n % 13) / 4.0,
                   DATE '2026-11-20' + (n % 5)::int
            FROM generate_series(\(first), \(first + count - 1)) AS n
            """, logger: logger)
    }
}
