import CutoverCore
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// The report formats that are text: JSON (the data as it is) and Markdown (for a change ticket).
public enum ReportText {
    public static func json(_ report: ParallelRunReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    public static func markdown(_ report: ParallelRunReport) -> String {
        var out = "# Parallel run: \(report.flow)\n\n"
        out += "Period: \(time(report.since)) – \(time(report.until)), \(report.exchanges) exchanges.\n\n"
        let readiness = report.readiness
        out += "**Readiness: \(readiness.passes ? "ready" : "not ready")**"
        out += readiness.reasons.isEmpty ? "" : " (\(readiness.reasons.joined(separator: "; ")))"
        out += ". Match rate \(readiness.matchRate.map(ReadinessAssessment.percent) ?? "-") over "
        out += "\(readiness.compared) compared exchanges.\n\n"
        out += "## Volume\n\n| mode | served by | exchanges |\n| --- | --- | ---: |\n"
        for row in report.volume { out += "| \(row.mode) | \(row.servedBy ?? "nobody") | \(row.exchanges) |\n" }
        out += "\n## Verdicts\n\n| verdict | exchanges |\n| --- | ---: |\n"
        for (verdict, count) in report.verdicts.sorted(by: { $0.key < $1.key }) { out += "| \(verdict) | \(count) |\n" }
        out += "\n## Top differing fields\n\n"
        if report.topFields.isEmpty {
            out += "None.\n"
        } else {
            out += "| field | occurrences | examples (correlation ids) |\n| --- | ---: | --- |\n"
            for field in report.topFields {
                out +=
                    "| `\(cell(field.path))` | \(field.occurrences) | \(field.examples.map(cell).joined(separator: ", ")) |\n"
            }
        }
        out += "\n## Latency (seconds)\n\n| side | calls | p50 | p90 | p99 |\n| --- | ---: | ---: | ---: | ---: |\n"
        for row in report.latency {
            out += "| \(row.side) | \(row.calls) | \(seconds(row.p50Seconds)) | \(seconds(row.p90Seconds)) | "
            out += "\(seconds(row.p99Seconds)) |\n"
        }
        out += "\nDead letters: \(report.deadLetters).\n"
        if let reconciliation = report.reconciliation {
            out += "\n## Latest reconciliation (\(time(reconciliation.at)))\n\n"
            out += "Legacy \(reconciliation.legacyRecords) records, ERP \(reconciliation.newRecords); only in legacy "
            out += "\(reconciliation.onlyInLegacy), only in the ERP \(reconciliation.onlyInNew), changed "
            out += "\(reconciliation.changed).\n\n| control total | legacy | ERP |\n| --- | ---: | ---: |\n"
            for (name, values) in reconciliation.totals.sorted(by: { $0.key < $1.key }) {
                out += "| \(name) | \(values.first ?? "-") | \(values.last ?? "-") |\n"
            }
        }
        out += "\n## Mode changes\n\n"
        if report.timeline.isEmpty {
            out += "None in the period.\n"
        } else {
            out += "| when | from | to | by | why |\n| --- | --- | --- | --- | --- |\n"
            for change in report.timeline {
                out += "| \(time(change.at)) | \(change.from ?? "-") | \(change.to) | \(cell(change.actor)) | "
                out += "\(cell(change.reason)) |\n"
            }
        }
        return out
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }

    /// ISO 8601 in UTC to the second. One format style serves every call: the CSV formats a time per line.
    public static func time(_ date: Date) -> String {
        date.formatted(iso8601)
    }

    static let iso8601 = Date.ISO8601FormatStyle()
}

/// The CSV format: one line per occurrence of a differing field, streamed from the database to a file.
public struct ReportCSV: Sendable {
    public static let header = "flow,correlation_id,compared_at,field,legacy,new,rule"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Writes the lines to `path`; returns how many occurrences were written.
    @discardableResult
    public func write(flow: String, since: Date, until: Date = Date(), to path: String) async throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        return try await write(flow: flow, since: since, until: until, to: handle)
    }

    /// Writes the lines to `handle` (a file, or standard output) in 64 KiB chunks.
    @discardableResult
    public func write(flow: String, since: Date, until: Date = Date(), to handle: FileHandle) async throws -> Int {
        try await write(flow: flow, since: since, until: until) { chunk in
            try handle.write(contentsOf: Data(chunk.utf8))
        }
    }

    /// Hands the lines to `chunk` in pieces of about 64 KiB (a file, an HTTP response body), header first.
    @discardableResult
    public func write(
        flow: String, since: Date, until: Date = Date(), chunk: (String) async throws -> Void
    ) async throws -> Int {
        var buffer = Self.header + "\n"
        var lines = 0
        let rows = try await client.query(
            """
            SELECT e.correlation_id, c.compared_at, d->>'path', d->>'legacy', d->>'new', d->>'rule'
            FROM cutover.comparisons c
            JOIN cutover.exchanges e ON e.id = c.exchange_id AND e.started_at = c.exchange_started_at
            CROSS JOIN LATERAL jsonb_array_elements(c.diff) d
            WHERE c.flow = \(flow) AND c.exchange_started_at >= \(since) AND c.exchange_started_at < \(until)
              AND c.verdict = 'mismatch' AND e.kind IN \(unescaped: AuditQueries.trafficKinds)
            ORDER BY c.compared_at, e.correlation_id
            """, logger: logger)
        for try await (correlationID, comparedAt, field, legacy, new, rule) in rows.decode(
            (String, Date, String, String?, String?, String).self)
        {
            buffer +=
                [
                    flow, correlationID, ReportText.time(comparedAt), field, legacy ?? "", new ?? "", rule,
                ].map(Self.escape).joined(separator: ",") + "\n"
            lines += 1
            if buffer.utf8.count > 1 << 16 {
                try await chunk(buffer)
                buffer = ""
            }
        }
        try await chunk(buffer)
        return lines
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
