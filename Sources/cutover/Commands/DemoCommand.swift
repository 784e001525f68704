import ArgumentParser
import CutoverConfig
import CutoverCore
import CutoverStore
import Foundation

/// The healthcare scenario end to end. At this stage it brings up the audit store and flow state, seeds the demo's
/// three flows from `adapters/`, walks purchase orders through a shadow move and a rollback, and shows the history.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the regional hospital network's migration on embedded defaults."
    )

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext(logLevel: .warning)
        let step = DemoNarrator()
        step.phase("Loading the adapters in \(config.directory)/")
        let definitions = try context.loadAdapters(config.directory)
        for definition in definitions {
            step.say("\(definition.flow): \(definition.kind.rawValue) flow owned by \(definition.owner ?? "nobody")")
        }
        step.phase(
            "Starting the audit store (\(context.environment["DATABASE_URL"] == nil ? "embedded PostgreSQL under \(context.home)/postgres" : "DATABASE_URL"))"
        )
        let (states, history) = try await context.withDatabase { client, url in
            step.say("PostgreSQL at \(url), migrations applied")
            let store = FlowStateStore(client: client, logger: context.logger)
            let created = try await store.seed(definitions.map { ($0.flow, $0.initialMode, $0.sourceFile) })
            step.say(
                created.isEmpty ? "flows already known; live modes kept" : "seeded \(created.joined(separator: ", "))")
            let flow = "purchase-order-create"
            if let current = try await store.state(flow), current.setting != .legacy {
                try await store.rollback(flow, actor: "demo", reason: "demo starts from legacy")
            }
            step.phase("Moving \(flow) to shadow: legacy keeps answering, the ERP is called beside it")
            let shadow = try await store.change(
                flow, to: ModeSetting(mode: .shadow), actor: "demo", reason: "start the parallel run")
            step.say("\(shadow.from?.description ?? "-") → \(shadow.to), version \(shadow.version)")
            step.phase("Trying to jump straight to new")
            do {
                try await store.change(flow, to: ModeSetting(mode: .new), actor: "demo", reason: "skip ahead")
            } catch let error as FlowStateError {
                step.say("refused: \(error.message)")
            }
            step.phase("Rolling \(flow) back to legacy")
            let rollback = try await store.rollback(flow, actor: "demo", reason: "demo rollback drill")
            step.say("\(rollback.from?.description ?? "-") → \(rollback.to), version \(rollback.version)")
            return (try await store.all(), try await store.history(flow, limit: 10))
        }
        step.phase("Flows")
        print(
            TableFormat.render(
                header: ["FLOW", "MODE", "VERSION", "BY", "REASON"],
                rows: states.map { [$0.flow, $0.setting.description, String($0.version), $0.changedBy, $0.reason] }
            ))
        step.phase("History of purchase-order-create")
        print(FlowHistory.render(history))
        step.done("Demo finished. Next: cutover flow list, cutover flow history FLOW, cutover validate")
    }
}

/// Prints the demo's phases so a person can follow them.
struct DemoNarrator: Sendable {
    func phase(_ text: String) { print("\n==> \(text)") }
    func say(_ text: String) { print("    \(text)") }
    func done(_ text: String) { print("\n\(text)") }
}
