import ArgumentParser
import CutoverStore

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Set a flow to legacy at once. Every instance applies it within a second."
    )

    @Argument(help: "The flow to roll back.")
    var flow: String

    @Option(help: "Why: recorded in the flow's history.")
    var reason: String

    @Option(help: "Who: recorded in the history (default: the OS user).")
    var actor: String?

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let actor = context.actor(actor)
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        do {
            let change = try await context.withDatabase { client, _ in
                let store = FlowStateStore(client: client, logger: context.logger)
                try await FlowSeeding.seed(definitions, store: store)
                return try await store.rollback(flow, actor: actor, reason: reason)
            }
            print(
                "\(flow): \(change.from?.description ?? "-") → legacy (version \(change.version)) by \(change.actor): \(change.reason)"
            )
        } catch let error as FlowStateError where error.code == .unchanged {
            print("\(flow) is already in legacy: nothing to roll back")
        }
    }
}
