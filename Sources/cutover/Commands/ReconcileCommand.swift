import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import PostgresNIO

/// `cutover reconcile FLOW [--since T]`: the legacy record set against the ERP's, by key.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare a flow's legacy records with the ERP's, by key: missing rows, changed fields, totals.",
        discussion: """
            Runs the flow's reconcile.legacy.sql on the legacy database ($since bound to --since), reads \
            reconcile.new.url page by page following next links (with the flow's new.auth), compares the two \
            record sets by reconcile.key under reconcile.fields' rules, prints rows only in legacy, rows only in \
            the ERP, changed fields and control totals (count and the sum of each numeric field) for both, and \
            stores the finding for reports. Exits 1 when the two sets differ.
            """
    )

    @Argument var flow: String
    @Option(help: "Period, back from now: 24h, 7d, 30d (bound to $since in the legacy SQL).") var since = "30d"
    @Flag(help: "Print the finding as JSON.") var json = false
    @Option(help: "List at most this many keys or changes per section.") var show = 20
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let definitions = try context.loadAdapters(config.directory)
        let name = flow
        guard let definition = definitions.first(where: { $0.flow == name }), let reconcile = definition.reconcile
        else {
            printError("error: no flow named '\(name)' with a reconcile section in \(config.directory)")
            throw CLIExit.failure
        }
        let start = try ReadinessCheck.since(since)
        let legacyText: String? = {
            if let url = reconcile.legacyDatabaseURL { return url }
            if case .dbJob(let job) = definition.legacy { return job.databaseURL }
            return nil
        }()
        guard let legacyText, let legacyURL = try? DatabaseURL(legacyText) else {
            printError("error: \(name) has no usable legacy database URL for reconcile.legacy")
            throw CLIExit.invalidConfiguration
        }
        let httpClient = HTTPClient.cutover()
        let erp = ERPClient(httpClient: httpClient, credentials: definition.new?.auth, logger: context.logger)
        let reconciler = Reconciler(flow: name, definition: reconcile, erp: erp, logger: context.logger)
        let outcome: Result<ReconciliationResult, any Error>
        do {
            outcome = .success(
                try await context.withDatabase { client, _ in
                    let result = try await PostgresClient.withClient(legacyURL, logger: context.quietPoolLogger) {
                        try await reconciler.run(legacy: $0, since: start)
                    }
                    try await ReconciliationStore(client: client, logger: context.logger).save(result)
                    return result
                })
        } catch {
            outcome = .failure(error)
        }
        try await httpClient.shutdown()
        let result: ReconciliationResult
        do {
            result = try outcome.get()
        } catch {
            printError("error: \(error)")
            throw CLIExit.failure
        }
        if json {
            print(result.json())
        } else {
            print(Self.render(result, show: show))
        }
        if !result.matches { throw CLIExit.failure }
    }

    static func render(_ result: ReconciliationResult, show: Int) -> String {
        var lines = [
            "\(result.flow): legacy \(result.legacyCount) rows, ERP \(result.newCount) records (\(result.pages) pages)"
        ]
        func keys(_ title: String, _ keys: [String]) {
            guard !keys.isEmpty else { return }
            lines.append(
                "  \(title) (\(keys.count)): \(keys.prefix(show).joined(separator: ", "))\(keys.count > show ? ", …" : "")"
            )
        }
        keys("only in legacy", result.onlyInLegacy)
        keys("only in the ERP", result.onlyInNew)
        if !result.changed.isEmpty {
            lines.append("  changed (\(result.changed.count)):")
            for change in result.changed.prefix(show) {
                lines.append(
                    "    \(change.key) \(change.field): legacy \(change.legacy ?? "-") vs ERP \(change.new ?? "-") (\(change.rule))"
                )
            }
        }
        lines.append("  control totals:")
        lines.append(
            TableFormat.render(
                header: ["TOTAL", "LEGACY", "ERP"],
                rows: result.totals.sorted { $0.key < $1.key }.map { [$0.key, $0.value.legacy, $0.value.new] }
            ).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        lines.append(result.matches ? "  the two record sets agree" : "  the two record sets differ")
        return lines.joined(separator: "\n")
    }
}
