import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

/// `cutover audit search`: exchanges by flow, correlation id, verdict and period, newest first.
struct AuditSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find exchanges by flow, correlation id, verdict and period, newest first.")

    @Option(help: "One flow.") var flow: String?
    @Option(name: .customLong("correlation-id"), help: "The caller's or Cutover's correlation id.")
    var correlationID: String?
    @Option(help: "match, mismatch, legacy_error, new_error or not_compared.") var verdict: String?
    @Option(help: "Period, back from now: 24h, 7d.") var since = "24h"
    @Option(help: "At most this many (1 to 1000).") var limit = 100
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let verdict, Verdict(rawValue: verdict) == nil {
            throw ValidationError(
                "--verdict must be one of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run() async throws {
        let context = CLIContext()
        let criteria = AuditQueries.SearchCriteria(
            flow: flow, correlationID: correlationID, verdict: verdict.flatMap(Verdict.init(rawValue:)),
            since: try ReadinessCheck.since(since), limit: limit)
        let found = try await context.withDatabase { client, _ in
            try await AuditQueries(client: client, logger: context.logger).search(criteria)
        }
        if json { return try printJSON(found) }
        print(
            TableFormat.render(
                header: ["STARTED", "FLOW", "CORRELATION ID", "MODE", "SERVED BY", "VERDICT", "DIFFERING FIELDS"],
                rows: found.map { exchange in
                    [
                        TableFormat.time(exchange.startedAt), exchange.flow, exchange.correlationID,
                        exchange.mode, exchange.servedBy ?? "-", exchange.verdict ?? "pending",
                        Self.fields(exchange.diff),
                    ]
                }))
    }

    /// The paths of a diff, for the table.
    static func fields(_ diff: String?) -> String {
        guard let diff, let value = try? JSONValue.parse(diff), case .array(let items) = value else { return "" }
        return items.compactMap { $0.value(at: "/path")?.scalarText }.joined(separator: ", ")
    }
}
