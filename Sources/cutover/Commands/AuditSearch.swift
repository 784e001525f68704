import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

/// `cutover audit search`: exchanges by flow, correlation id, verdict and period, newest first.
struct AuditSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find exchanges by flow, correlation id, verdict and period, newest first.")

    @Option(help: "One flow.") var flow: String?
    @OptionGroup var selection: ExchangeSelection
    @Option(help: "At most this many (1 to 1000).") var limit = 100
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        try ExchangeSelection.validate(limit: limit)
    }

    func run() async throws {
        let context = CLIContext()
        let criteria = try selection.criteria(flow: flow, limit: limit)
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
