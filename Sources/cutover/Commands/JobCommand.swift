import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import PostgresNIO

/// `cutover job run FLOW`, `cutover job runs FLOW`: database jobs now, and their history.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Run a db-job flow's job now, or list its runs.",
        subcommands: [Run.self, Runs.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run the job once now, by the flow's live mode, and print what it did.",
            discussion: """
                The run holds the job's lease: if another instance is running the job, nothing runs and the \
                command exits 1. It is recorded like a scheduled run (trigger manual) and audited. Exits 1 when \
                the run failed or rows failed (those the ERP refused wait as dead letters).
                """
        )

        @Argument var flow: String
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let context = CLIContext()
            let definitions = try context.loadAdapters(config.directory)
            let name = flow
            guard let definition = definitions.first(where: { $0.flow == name }), definition.kind == .dbJob else {
                printError("error: no db-job flow named '\(name)' in \(config.directory)")
                throw CLIExit.failure
            }
            let job = try DBJobFlow(definition)
            let legacyURL: DatabaseURL
            do {
                legacyURL = try DatabaseURL(job.job.databaseURL)
            } catch {
                printError("error: \(name): legacy.database_url is not usable: \(error)")
                throw CLIExit.invalidConfiguration
            }
            let key = try context.redactionKey()
            let result = try await context.withFlow(definition) { client, setting, erp in
                let runner = DBJobRunner(
                    flow: job, modes: FixedModes([name: setting]), erp: erp,
                    audit: DirectAuditWrite(client: client, logger: context.logger), client: client,
                    redactor: Redactor(key: key),
                    instance: "cutover job run (\(ProcessInfo.processInfo.processIdentifier))",
                    logger: context.logger)
                return try await PostgresClient.withClient(legacyURL, logger: context.quietPoolLogger) {
                    try await runner.run(legacy: $0, trigger: "manual")
                }
            }
            guard let result else {
                printError("error: \(name) is running elsewhere (its lease is held); nothing ran")
                throw CLIExit.failure
            }
            print(result.json())
            if result.error != nil || result.failed > 0 { throw CLIExit.failure }
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "runs", abstract: "List a job's latest runs.")

        @Argument var flow: String
        @Option(help: "How many runs.") var limit = 20

        func run() async throws {
            let context = CLIContext()
            let (name, limit) = (flow, limit)
            let runs = try await context.withDatabase { client, _ in
                try await JobStore(client: client, logger: context.logger).runs(flow: name, limit: limit)
            }
            print(
                TableFormat.render(
                    header: ["STARTED", "TRIGGER", "MODE", "OUTCOME", "ROWS", "SENT", "FAILED", "LEGACY RAN", "BY"],
                    rows: runs.map {
                        [
                            TableFormat.time($0.startedAt), $0.trigger, $0.mode, $0.outcome, String($0.rowsSeen),
                            String($0.rowsSent), String($0.rowsFailed), $0.legacyRan ? "yes" : "no", $0.instance,
                        ]
                    }))
        }
    }
}
