import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "See and change the live mode of flows.",
        subcommands: [FlowList.self, FlowShow.self, FlowHistory.self, FlowSet.self, FlowWatch.self]
    )
}

struct FlowList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every flow with its live mode.")

    @OptionGroup var config: ConfigOption
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = CLIContext()
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        let states = try await context.withDatabase { client, _ in
            let store = FlowStateStore(client: client, logger: context.logger)
            try await FlowSeeding.seed(definitions, store: store)
            return try await store.all()
        }
        if json { return try printJSON(states.map(FlowStateView.init)) }
        let kinds = Dictionary(definitions.map { ($0.flow, $0.kind.rawValue) }, uniquingKeysWith: { a, _ in a })
        let rows = states.map { state in
            [
                state.flow, kinds[state.flow] ?? "?", state.setting.description, String(state.version),
                TableFormat.time(state.changedAt), state.changedBy, state.reason,
            ]
        }
        print(TableFormat.render(header: ["FLOW", "KIND", "MODE", "VERSION", "CHANGED", "BY", "REASON"], rows: rows))
    }
}

struct FlowShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One flow: mode, version, last changes.")

    @Argument var flow: String
    @OptionGroup var config: ConfigOption
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = CLIContext()
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        let (state, history) = try await context.withDatabase { client, _ in
            let store = FlowStateStore(client: client, logger: context.logger)
            try await FlowSeeding.seed(definitions, store: store)
            return (try await store.state(flow), try await store.history(flow, limit: 5))
        }
        guard let state else {
            printError("error: no flow named '\(flow)' (see cutover flow list)")
            throw CLIExit.failure
        }
        if json { return try printJSON(FlowStateView(state)) }
        let definition = definitions.first { $0.flow == flow }
        print("flow:     \(state.flow)")
        if let definition {
            print("kind:     \(definition.kind.rawValue)")
            if let owner = definition.owner { print("owner:    \(owner)") }
            print("defined:  \(definition.sourceFile)")
        }
        print("mode:     \(state.setting)")
        print("version:  \(state.version)")
        print("changed:  \(TableFormat.time(state.changedAt)) by \(state.changedBy): \(state.reason)")
        print("\nrecent changes:")
        print(FlowHistory.render(history))
    }
}

struct FlowHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Every mode change of a flow, newest first.")

    @Argument var flow: String
    @Option(help: "At most this many changes.") var limit = 100
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = CLIContext()
        let history = try await context.withDatabase { client, _ in
            try await FlowStateStore(client: client, logger: context.logger).history(flow, limit: limit)
        }
        if json { return try printJSON(history.map(FlowChangeView.init)) }
        guard !history.isEmpty else {
            printError("error: no history for '\(flow)' (see cutover flow list)")
            throw CLIExit.failure
        }
        print(Self.render(history))
    }

    static func render(_ history: [FlowChange]) -> String {
        TableFormat.render(
            header: ["VERSION", "WHEN", "FROM", "TO", "BY", "REASON"],
            rows: history.map {
                [
                    String($0.version), TableFormat.time($0.changedAt), $0.from?.description ?? "-", $0.to.description,
                    $0.actor, $0.reason,
                ]
            }
        )
    }
}

struct FlowSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Move a flow to another mode.",
        discussion: "Forward moves follow legacy → shadow → canary → new; skipping a step needs --force."
    )

    @Argument var flow: String
    @Option(help: "shadow, canary, new (or legacy).") var mode: Mode
    @Option(help: "Canary percent of routing-key buckets served by the new side.") var percent: Double?
    @Option(help: "Why: recorded in the flow's history.") var reason: String
    @Option(help: "Who: recorded in the history (default: the OS user).") var actor: String?
    @Flag(help: "Allow a forward move that skips a step, or a move to new that fails readiness.") var force = false
    @Option(help: "Readiness evidence window for --mode new, back from now.") var since = "30d"
    @OptionGroup var config: ConfigOption

    func validate() throws {
        if mode == .canary, percent == nil { throw ValidationError("--mode canary needs --percent") }
        if mode != .canary, percent != nil { throw ValidationError("--percent applies to --mode canary only") }
    }

    func run() async throws {
        let context = CLIContext()
        let actor = context.actor(actor)
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        let target = ModeSetting(mode: mode, percent: percent ?? 0)
        let window = try ReadinessCheck.since(since)
        let (flow, mode, reason, force) = (flow, mode, reason, force)
        let change = try await context.withDatabase { client, _ in
            let store = FlowStateStore(client: client, logger: context.logger)
            try await FlowSeeding.seed(definitions, store: store)
            // Moving to new rests on evidence: the readiness figures are checked and stored with the change.
            var figures: String?
            // A move the transition rules refuse (a skipped step) is refused for that reason first, by the store.
            let current = try await store.state(flow)?.setting
            let allowed = current.map { (try? ModeTransition.check(from: $0, to: target, force: force)) != nil } ?? true
            if mode == .new, allowed {
                let assessment = try await ReadinessCheck.assess(
                    [flow], definitions: definitions, since: window, client: client, logger: context.logger)[0]
                figures = assessment.figures.text
                if !assessment.passes, !force {
                    throw FlowStateError(
                        code: .refusedTransition, flow: flow,
                        message: "\(flow) is not ready for new: \(assessment.reasons.joined(separator: "; ")) "
                            + "(see cutover readiness \(flow); --force overrides and is recorded)")
                }
            }
            return try await store.change(
                flow, to: target, actor: actor, reason: reason, force: force, figures: figures)
        }
        print(
            "\(flow): \(change.from?.description ?? "-") → \(change.to) (version \(change.version)) by \(change.actor): \(change.reason)"
        )
    }
}

extension Mode: ExpressibleByArgument {}

struct FlowWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print every mode change as this instance sees it, one JSON line each, until interrupted."
    )

    func run() async throws {
        let context = CLIContext()
        try await context.withDatabase { client, url in
            let store = FlowStateStore(client: client, logger: context.logger)
            let watcher = FlowStateWatcher(store: store, database: url, logger: context.logger)
            try await watcher.refresh()
            let changes = await watcher.changes()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.run() }
                group.addTask {
                    // "ready" means listening: any change committed from now on is printed within a second.
                    await watcher.waitUntilListening()
                    emit(#"{"event":"ready"}"#)
                    for await state in changes {
                        try printJSON(FlowStateView(state), pretty: false)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
