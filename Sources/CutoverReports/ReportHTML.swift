import CutoverCore
import Foundation

/// The report as one self-contained HTML page (no script, no external resource): the figures as tables, and two
/// inline SVG charts — volume and match rate over time with mode changes marked, and the two sides' latency
/// distributions side by side.
public enum ReportHTML {
    public static func render(_ report: ParallelRunReport) -> String {
        page(title: "Parallel run: \(report.flow)", body: body(report))
    }

    /// The report's content without the page around it (the dashboard's flow page shows it under its controls).
    public static func body(_ report: ParallelRunReport) -> String {
        let readiness = report.readiness
        var body = "<h1>Parallel run: \(e(report.flow))</h1>\n"
        body += "<p>\(e(ReportText.time(report.since))) – \(e(ReportText.time(report.until))), "
        body += "\(report.exchanges) exchanges.</p>\n"
        body += "<p class=\"\(readiness.passes ? "ready" : "not-ready")\"><strong>Readiness: "
        body += readiness.passes ? "ready" : "not ready"
        body += "</strong>" + (readiness.reasons.isEmpty ? "" : " — " + e(readiness.reasons.joined(separator: "; ")))
        body += ". Match rate \(e(readiness.matchRate.map(ReadinessAssessment.percent) ?? "-")) over "
        body += "\(readiness.compared) compared exchanges.</p>\n"
        body += "<h2>Volume and match rate</h2>\n" + timeChart(report)
        body += "<h2>Latency</h2>\n" + latencyChart(report)
        body += table(
            ["side", "calls", "p50 s", "p90 s", "p99 s"],
            report.latency.map {
                [
                    $0.side, String($0.calls), ReportText.seconds($0.p50Seconds), ReportText.seconds($0.p90Seconds),
                    ReportText.seconds($0.p99Seconds),
                ]
            })
        body += "<h2>Verdicts</h2>\n"
        body += table(
            ["verdict", "exchanges"], report.verdicts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        body += "<h2>Volume by mode</h2>\n"
        body += table(
            ["mode", "served by", "exchanges"],
            report.volume.map { [$0.mode, $0.servedBy ?? "nobody", String($0.exchanges)] })
        body += "<h2>Top differing fields</h2>\n"
        body += table(
            ["field", "occurrences", "examples (correlation ids)"],
            report.topFields.map { [$0.path, String($0.occurrences), $0.examples.joined(separator: ", ")] })
        body += "<p>Dead letters: \(report.deadLetters).</p>\n"
        if let reconciliation = report.reconciliation {
            body += "<h2>Latest reconciliation (\(e(ReportText.time(reconciliation.at))))</h2>\n"
            body +=
                "<p>Legacy \(reconciliation.legacyRecords) records, ERP \(reconciliation.newRecords); only in legacy "
            body += "\(reconciliation.onlyInLegacy), only in the ERP \(reconciliation.onlyInNew), changed "
            body += "\(reconciliation.changed).</p>\n"
            body += table(
                ["control total", "legacy", "ERP"],
                reconciliation.totals.sorted { $0.key < $1.key }.map {
                    [$0.key, $0.value.first ?? "-", $0.value.last ?? "-"]
                })
        }
        body += "<h2>Mode changes</h2>\n"
        body += table(
            ["when", "from", "to", "by", "why"],
            report.timeline.map {
                [
                    ReportText.time($0.at), $0.from ?? "-", $0.to, $0.automatic ? "auto-rollback guard" : $0.actor,
                    $0.reason,
                ]
            })
        return body
    }

    /// A whole page around `body`, with the reports' style and `style` added.
    public static func page(title: String, body: String, style: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(e(title))</title>
        <style>
        body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
        .ready { color: #176b2c; } .not-ready { color: #a32020; }
        svg text { font-size: 11px; fill: #333; }
        \(style)</style></head><body>
        \(body)</body></html>
        """
    }

    /// Text escaped for HTML content and attribute values.
    public static func e(_ text: String) -> String {
        XMLText.escape(text)
    }

    /// A table of escaped cells, or "None." when there are no rows.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        var html = "<table><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
        for row in rows { html += "<tr>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n" }
        return html + "</table>\n"
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Bars: exchanges per bucket; line: match rate per bucket (compared ones); dashed lines: mode changes.
    static func timeChart(_ report: ParallelRunReport) -> String {
        let (width, height, left, bottom, top) = (1000.0, 300.0, 50.0, 30.0, 40.0)
        let plotWidth = width - left - 50
        let plotHeight = height - bottom - top
        let span = max(1, report.until.timeIntervalSince(report.since))
        func x(_ date: Date) -> Double {
            left + plotWidth * max(0, min(1, date.timeIntervalSince(report.since) / span))
        }
        let maxVolume = Double(max(1, report.buckets.map(\.exchanges).max() ?? 1))
        let barWidth = max(1, plotWidth * Double(report.bucketSeconds) / span - 1)
        var svg = "<svg id=\"match-rate-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" "
        svg += "height=\"\(number(height))\" role=\"img\" aria-label=\"volume and match rate over time\">\n"
        svg += "<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plotWidth))\" "
        svg += "height=\"\(number(plotHeight))\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"
        for bucket in report.buckets {
            let barHeight = plotHeight * Double(bucket.exchanges) / maxVolume
            svg +=
                "<rect class=\"volume\" x=\"\(number(x(bucket.start)))\" y=\"\(number(top + plotHeight - barHeight))\" "
            // The last bucket may run past the period's end: its bar stops at the plot's edge.
            let width = max(1, min(barWidth, left + plotWidth - x(bucket.start)))
            svg += "width=\"\(number(width))\" height=\"\(number(barHeight))\" fill=\"#9ab8d8\">"
            svg += "<title>\(bucket.exchanges) exchanges</title></rect>\n"
        }
        let points = report.buckets.filter { $0.compared > 0 }.map { bucket -> String in
            let rate = Double(bucket.matches) / Double(bucket.compared)
            return "\(number(x(bucket.start) + barWidth / 2)),\(number(top + plotHeight * (1 - rate)))"
        }
        if !points.isEmpty {
            svg += "<polyline class=\"match-rate\" points=\"\(points.joined(separator: " "))\" fill=\"none\" "
            svg += "stroke=\"#176b2c\" stroke-width=\"2\"/>\n"
        }
        for (index, change) in report.timeline.enumerated() {
            let position = number(x(change.at))
            // Changes close together would print over each other: labels step down three rows.
            let labelY = number(top - 4 - 11 * Double(2 - index % 3))
            // An auto-rollback stands out: a solid orange line, labelled as what it was.
            let (kind, stroke, dash, label) =
                change.automatic
                ? ("mode-change auto-rollback", "#d9730d", "", "auto-rollback → \(change.to)")
                : ("mode-change", "#a32020", " stroke-dasharray=\"4 3\"", change.to)
            svg += "<line class=\"\(kind)\" x1=\"\(position)\" x2=\"\(position)\" y1=\"\(number(top))\" "
            svg += "y2=\"\(number(top + plotHeight))\" stroke=\"\(stroke)\" stroke-width=\"2\"\(dash)>"
            svg += "<title>\(e(ReportText.time(change.at))): \(e(change.from ?? "-")) → \(e(change.to)) by "
            svg += "\(e(change.actor)): \(e(change.reason))</title></line>"
            svg += "<text class=\"\(kind)\" x=\"\(position)\" y=\"\(labelY)\""
            svg += "\(change.automatic ? " fill=\"#d9730d\" font-weight=\"bold\"" : "")>\(e(label))</text>\n"
        }
        svg += "<text x=\"4\" y=\"\(number(top + 10))\">\(Int(maxVolume))</text>"
        svg += "<text x=\"\(number(left + plotWidth + 6))\" y=\"\(number(top + 10))\">100%</text>"
        svg += "<text x=\"\(number(left + plotWidth + 6))\" y=\"\(number(top + plotHeight))\">0%</text>"
        svg += "<text x=\"\(number(left))\" y=\"\(number(height - 8))\">\(e(ReportText.time(report.since)))</text>"
        svg += "<text x=\"\(number(left + plotWidth - 130))\" y=\"\(number(height - 8))\">"
        svg += "\(e(ReportText.time(report.until)))</text>\n</svg>\n"
        let bucket =
            report.bucketSeconds < 60 ? "\(report.bucketSeconds) s" : "\(report.bucketSeconds / 60) min"
        svg += "<p>Bars: exchanges per \(bucket); green line: match rate of compared exchanges; dashed red: mode "
        svg += "changes; solid orange: auto-rollbacks.</p>\n"
        return svg
    }

    /// Legacy and new side by side per latency bin.
    static func latencyChart(_ report: ParallelRunReport) -> String {
        let sides = ["legacy", "new"]
        let bins = report.latencyHistogram
        let bounds = Array(Set(bins.map(\.upperBoundSeconds))).sorted { ($0 ?? .infinity) < ($1 ?? .infinity) }
        let (width, height, left, bottom, top) = (1000.0, 240.0, 50.0, 40.0, 10.0)
        let plotHeight = height - bottom - top
        let slot = (width - left - 20) / Double(max(1, bounds.count))
        let maxCalls = Double(max(1, bins.map(\.calls).max() ?? 1))
        var svg = "<svg id=\"latency-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" "
        svg += "height=\"\(number(height))\" role=\"img\" aria-label=\"latency distribution by side\">\n"
        for (index, bound) in bounds.enumerated() {
            let slotX = left + slot * Double(index)
            for (sideIndex, side) in sides.enumerated() {
                let calls = bins.first { $0.side == side && $0.upperBoundSeconds == bound }?.calls ?? 0
                let barHeight = plotHeight * Double(calls) / maxCalls
                svg +=
                    "<rect class=\"latency-\(side)\" x=\"\(number(slotX + 4 + Double(sideIndex) * (slot - 8) / 2))\" "
                svg += "y=\"\(number(top + plotHeight - barHeight))\" width=\"\(number((slot - 8) / 2))\" "
                svg += "height=\"\(number(barHeight))\" fill=\"\(side == "legacy" ? "#8c8c8c" : "#3d7cc9")\">"
                svg += "<title>\(side): \(calls) calls</title></rect>\n"
            }
            let label = bound.map { $0 < 1 ? "≤ \(Int(($0 * 1000).rounded())) ms" : "≤ \(Int($0)) s" } ?? "slower"
            svg += "<text x=\"\(number(slotX + 4))\" y=\"\(number(height - 22))\">\(e(label))</text>\n"
        }
        svg += "<text x=\"\(number(left))\" y=\"\(number(height - 4))\">grey: legacy, blue: new</text>\n</svg>\n"
        return svg
    }
}
