import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

/// `cutover readiness [FLOW…]`: each flow's `promote_when` criteria, what was measured, and a verdict. Exits 0 only
/// when every named flow (every flow when none is named) is ready.
struct ReadinessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readiness",
        abstract: "Check flows against their promote_when criteria; exit 1 when any is not ready."
    )

    @Argument(help: "Flows to check (default: all).") var flows: [String] = []
    @Option(help: "Evidence window, back from now: 24h, 7d, 30d.") var since = "30d"
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        let window = try ReadinessCheck.since(since)
        let named = flows.isEmpty ? definitions.map(\.flow) : flows
        for flow in named where !definitions.contains(where: { $0.flow == flow }) {
            printError("no flow named '\(flow)' in \(config.directory)/")
            throw CLIExit.invalidConfiguration
        }
        let assessments = try await context.withDatabase { client, _ in
            try await ReadinessCheck.assess(
                named, definitions: definitions, since: window, client: client, logger: context.logger)
        }
        if json {
            try printJSON(assessments)
        } else {
            print(ReadinessCheck.render(assessments))
        }
        if !assessments.allSatisfy(\.passes) { throw CLIExit.failure }
    }
}
