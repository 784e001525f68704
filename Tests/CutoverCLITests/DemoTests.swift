import CutoverTesting
import Foundation
import Testing

/// The README's first command: the demo plays every phase for all three flows and writes its report, which a real
/// browser renders with its charts and the mode changes and the auto-rollback marked.
@Suite("Demo", .timeLimit(.minutes(8)))
struct DemoTests {
    @Test("cutover demo plays the whole story and writes .cutover/report/index.html, which Chromium renders")
    func demo() async throws {
        try await TestGate.heavy.run {
            let database = try await TestPostgres.makeDatabase("demo")
            let home = TemporaryDirectory("demohome")
            let output = try await CutoverProcess.run(
                ["demo"], environment: ["DATABASE_URL": database.connectionString, "CUTOVER_HOME": home.path])
            #expect(output.status == 0, "\(output.stderr)")
            let text = output.stdout
            let phases = [
                "==> legacy", "==> shadow", "==> the fix", "==> canary 25%", "==> ERP incident", "==> recovery",
                "==> new", "==> Summary",
            ]
            var position = text.startIndex
            for phase in phases {
                let found = text.range(of: phase, range: position..<text.endIndex)
                #expect(found != nil, "phase \(phase), in this order")
                if let found { position = found.upperBound }
            }
            // Shadow: the first draft's unit-of-measure bug shows as total mismatches on boxed orders only.
            #expect(text.contains("map: { BX: EACH, EA: EACH }"))
            #expect(
                text.contains(/mismatch on SUP-10\d\d: total: legacy (85\.00|52\.80) vs new (35\.50|35\.09)/),
                "the bug's mismatch named with its field")
            #expect(text.contains(/diagnosis: \d+ mismatches, on total only/))
            // The fix, proven by replaying the very calls that mismatched.
            let replay = try #require(text.firstMatch(of: /(\d+) replayed: (\d+) match\n\s+(\d+) × mismatch → match/))
            #expect(replay.1 == replay.2 && replay.2 == replay.3 && Int(replay.1) ?? 0 > 0, "every replay matches")
            // The incident: the guard rolls the flow back; the file dropped meanwhile waits as dead letters.
            #expect(text.contains("rolled back to legacy by auto-rollback"))
            #expect(text.contains("auto-rollback: new-side error rate"))
            let letters = try #require(text.firstMatch(of: /(\d+) dead letters, (\d+) delivered, 0 failed/))
            #expect(letters.1 == letters.2)
            #expect(text.contains("pharmacy-stock-export: STOCK_"))
            #expect(text.contains("recorded as a duplicate"))
            #expect(text.contains("invoice-posting: 30 invoices staged, job run in shadow"))
            #expect(text.contains("==> Reconciliation of invoice-posting"))
            #expect(text.contains("legacy service calls during this phase: 0"))

            let report = home.path + "/report/index.html"
            #expect(text.contains("report: \(report)"))
            let html = try String(contentsOfFile: report, encoding: .utf8)
            for flow in ["purchase-order-create", "pharmacy-stock-export", "invoice-posting"] {
                #expect(html.contains("Parallel run: \(flow)"))
            }
            #expect(html.contains("Latest reconciliation"))

            // The page in a real browser: charts drawn, mode changes and the auto-rollback marked on them.
            #expect(chromiumPath != nil, "chromium is not installed (apt-get install chromium)")
            let png = home.file("report.png")
            let page = try await RenderedPage.render(report, size: (1200, 2400), screenshot: png)
            #expect(page.count("id=\"match-rate-chart\"") == 3)
            #expect(page.count("id=\"latency-chart\"") == 3)
            #expect(page.dom.contains("class=\"match-rate\""))
            #expect(page.count("<line class=\"mode-change\"") >= 8)
            #expect(page.dom.contains("<line class=\"mode-change auto-rollback\""))
            #expect(page.dom.contains("auto-rollback → legacy"))
            #expect(page.isPNG)
            #expect(page.png.count > 40_000, "\(page.png.count) bytes: charts, not a blank page")
            if let keep = ProcessInfo.processInfo.environment["CUTOVER_DEMO_SCREENSHOT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: png, toPath: keep)
            }
        }
    }
}
