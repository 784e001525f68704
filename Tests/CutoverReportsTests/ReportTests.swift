import CutoverCore
import CutoverReports
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// Reports over exchanges seeded straight into a real audit store; every figure is checked against a count made
/// independently (in SQL written here, or in Swift over the seeded values).
@Suite("Parallel-run reports", .timeLimit(.minutes(3)))
struct ReportTests {
    let flow = "purchase-order-create"

    /// 31 exchanges of the last hour: 20 match, 4 mismatch on total and lines[A].qty, 2 mismatch on total only,
    /// 2 new_error, 2 not_compared (on the exchange row), 1 still pending; legacy latency 0.01·n s, new 0.02·n s.
    func seed(_ client: PostgresClient) async throws {
        let log = TestPostgres.logger
        try await client.run("SELECT cutover.ensure_audit_partitions(now() - interval '1 day', 2)", logger: log)
        try await client.run(
            """
            INSERT INTO cutover.exchanges (id, flow, kind, correlation_id, mode, served_by, started_at, verdict)
            SELECT md5('x' || g)::uuid, \(flow), 'call', 'corr-' || g,
                   CASE WHEN g <= 10 THEN 'shadow' ELSE 'canary' END, CASE WHEN g % 3 = 0 THEN 'new' ELSE 'legacy' END,
                   now() - interval '30 minutes' + g * interval '10 seconds',
                   CASE WHEN g IN (29, 30) THEN 'not_compared' END
            FROM generate_series(1, 31) g
            """, logger: log)
        try await client.run(
            """
            INSERT INTO cutover.comparisons (id, exchange_id, exchange_started_at, flow, verdict, diff, compared_at)
            SELECT md5('c' || g)::uuid, e.id, e.started_at, \(flow),
                   CASE WHEN g <= 20 THEN 'match' WHEN g <= 26 THEN 'mismatch' ELSE 'new_error' END,
                   CASE WHEN g BETWEEN 21 AND 24
                        THEN '[{"path":"total","legacy":"85.00","new":"85.50","rule":"decimal"},{"path":"lines[A].qty","legacy":"4","new":"5","rule":"decimal"}]'::jsonb
                        WHEN g IN (25, 26) THEN '[{"path":"total","legacy":"1, \\"quoted\\"","new":"2","rule":"decimal"}]'::jsonb
                        ELSE '[]'::jsonb END,
                   e.started_at + interval '1 second' * g
            FROM generate_series(1, 28) g JOIN cutover.exchanges e ON e.correlation_id = 'corr-' || g
            """, logger: log)
        try await client.run(
            """
            INSERT INTO cutover.side_calls (exchange_id, exchange_started_at, side, attempt, started_at, status,
                                            latency_seconds)
            SELECT e.id, e.started_at, s.side, 1, e.started_at, 200,
                   CASE s.side WHEN 'legacy' THEN 0.01 ELSE 0.02 END * g
            FROM generate_series(1, 31) g JOIN cutover.exchanges e ON e.correlation_id = 'corr-' || g
            CROSS JOIN (VALUES ('legacy'), ('new')) s(side)
            """, logger: log)
    }

    func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        var total = 0
        for try await (value, ) in try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
            .decode((Int,).self)
        {
            total = value
        }
        return total
    }

    @Test("JSON, Markdown and CSV carry the counts the audit store holds")
    func formats() async throws {
        try await TestPostgres.withMigratedDatabase("report") { client, _ in
            try await seed(client)
            let since = Date().addingTimeInterval(-3_600)
            let report = try await ReportBuilder(client: client, logger: TestPostgres.logger)
                .build(flow: flow, since: since, minimumExchanges: 20, minimumMatchRate: 0.9)

            #expect(report.exchanges == (try await count(client, "SELECT count(*)::int FROM cutover.exchanges")))
            #expect(report.verdicts == ["match": 20, "mismatch": 6, "new_error": 2, "not_compared": 2, "pending": 1])
            let shadow = try await count(
                client, "SELECT count(*)::int FROM cutover.exchanges WHERE mode = 'shadow'")
            #expect(report.volume.filter { $0.mode == "shadow" }.reduce(0) { $0 + $1.exchanges } == shadow)
            #expect(report.topFields.map(\.path) == ["total", "lines[A].qty"])
            #expect(report.topFields.map(\.occurrences) == [6, 4])
            #expect(report.topFields.first?.examples.count == 3)
            // Independently: the median of 0.01·1 … 0.01·31 is 0.16.
            let legacy = try #require(report.latency.first { $0.side == "legacy" })
            #expect(legacy.calls == 31)
            #expect(abs((legacy.p50Seconds ?? 0) - 0.16) < 1e-9)
            #expect(report.readiness.compared == 28)
            #expect(report.readiness.passes == false)  // 20/28 = 71 % < 90 %
            #expect(report.buckets.reduce(0) { $0 + $1.exchanges } == 31)
            #expect(report.buckets.reduce(0) { $0 + $1.matches } == 20)

            let json = try ReportText.json(report)
            let decoded = try JSONDecoder.iso8601.decode(ParallelRunReport.self, from: Data(json.utf8))
            #expect(decoded.verdicts == report.verdicts)

            let markdown = ReportText.markdown(report)
            #expect(markdown.contains("| match | 20 |"))
            #expect(markdown.contains("| `total` | 6 |"))
            #expect(markdown.contains("not ready"))

            let directory = TemporaryDirectory("csv")
            let path = directory.file("diffs.csv")
            let written = try await ReportCSV(client: client, logger: TestPostgres.logger)
                .write(flow: flow, since: since, to: path)
            let independent = try await count(
                client,
                "SELECT count(*)::int FROM cutover.comparisons c, jsonb_array_elements(c.diff) d WHERE c.verdict = 'mismatch'"
            )
            #expect(written == independent)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.first == Substring(ReportCSV.header))
            #expect(lines.count == independent + 1)
            #expect(lines.contains { $0.contains(#","1, ""quoted""",2,decimal"#) }, "RFC 4180 quoting")
        }
    }
}

@Suite("HTML report in a real browser", .timeLimit(.minutes(3)))
struct HTMLReportTests {
    @Test("the page renders in headless Chromium with both charts drawn")
    func rendersWithCharts() async throws {
        #expect(chromiumPath != nil, "chromium is not installed (apt-get install chromium)")
        try await TestPostgres.withMigratedDatabase("html") { client, _ in
            try await ReportTests().seed(client)
            let report = try await ReportBuilder(client: client, logger: TestPostgres.logger)
                .build(
                    flow: "purchase-order-create", since: Date().addingTimeInterval(-3_600), minimumExchanges: 20,
                    minimumMatchRate: 0.9)
            #expect(report.latencyHistogram.filter { $0.side == "legacy" }.reduce(0) { $0 + $1.calls } == 31)
            let directory = TemporaryDirectory("html")
            let page = try await RenderedPage.render(
                directory.write("report.html", ReportHTML.render(report)), size: (1200, 1400),
                screenshot: directory.file("report.png"))
            // The browser parsed both charts and their marks.
            #expect(page.dom.contains("id=\"match-rate-chart\""))
            #expect(page.dom.contains("id=\"latency-chart\""))
            #expect(page.count("class=\"volume\"") == report.buckets.count)
            #expect(page.dom.contains("class=\"match-rate\""))
            #expect(page.dom.contains("class=\"latency-new\""))
            #expect(page.isPNG)
            // A blank page compresses to a few KiB; the charts and tables make it far larger.
            #expect(page.png.count > 20_000, "\(page.png.count) bytes")
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
