import CutoverConfig
import CutoverCore
import CutoverServer
import Foundation
import Logging
import PostgresNIO

/// Each flow's parallel-run evidence against its `rollout.promote_when`, over the audit store since a moment.
enum ReadinessCheck {
    static func assess(
        _ flows: [String], definitions: [FlowDefinition], since: Date, client: PostgresClient, logger: Logger
    ) async throws -> [ReadinessAssessment] {
        try await FlowControl(client: client, definitions: definitions, logger: logger).assess(flows, since: since)
    }

    /// `--since` as a moment: a duration back from now (`30d`, `12h`).
    static func since(_ text: String) throws -> Date {
        guard let seconds = DurationText.seconds(text) else {
            printError("--since must be a duration such as 24h or 30d")
            throw CLIExit.invalidConfiguration
        }
        return Date().addingTimeInterval(-Double(seconds))
    }

    static func render(_ assessments: [ReadinessAssessment]) -> String {
        let rows = assessments.map { item -> [String] in
            var criteria: [String] = []
            if let minimum = item.minimumExchanges { criteria.append("≥ \(minimum) compared") }
            if let rate = item.minimumMatchRate { criteria.append("≥ \(ReadinessAssessment.percent(rate)) match") }
            return [
                item.flow, criteria.isEmpty ? "none" : criteria.joined(separator: ", "), String(item.compared),
                item.matchRate.map(ReadinessAssessment.percent) ?? "-", String(item.mismatches),
                String(item.newErrors), item.passes ? "ready" : "not ready: " + item.reasons.joined(separator: "; "),
            ]
        }
        return TableFormat.render(
            header: ["FLOW", "CRITERIA", "COMPARED", "MATCH RATE", "MISMATCHES", "NEW ERRORS", "VERDICT"], rows: rows)
    }
}
