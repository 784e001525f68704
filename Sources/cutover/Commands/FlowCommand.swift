import ArgumentParser
import CutoverCore
import CutoverServer
import CutoverStore
import Foundation

struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "See and change the live mode of flows.",
        subcommands: [
            FlowList.self, FlowShow.self, FlowHistory.self, FlowSet.self, FlowSchedule.self, FlowCancel.self,
            FlowWatch.self,
        ]
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
        if json { return try printJSON(states.map { FlowStateView($0) }) }
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
    @Option(
        help: ArgumentHelp(
            "Schedule the change instead of making it now: an ISO 8601 time (2026-11-28T02:00:00Z) or +DURATION (+30m).",
            discussion: "Whichever cutover serve instance first sees it due applies it, once, through the same checks.")
    )
    var at: String?
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
        let (flow, reason, force) = (flow, reason, force)
        if let at {
            let due = try Self.moment(at)
            let planned = try await context.withDatabase { client, _ in
                try await FlowSeeding.seed(definitions, store: FlowStateStore(client: client, logger: context.logger))
                return try await ScheduleStore(client: client, logger: context.logger).schedule(
                    flow: flow, to: target, at: due, reason: reason, force: force, actor: actor)
            }
            print(
                "\(flow): → \(planned.setting) scheduled as #\(planned.id) for \(TableFormat.time(planned.dueAt)) "
                    + "(cancel with: cutover flow cancel \(planned.id))")
            return
        }
        let change = try await context.withDatabase { client, _ in
            try await FlowSeeding.seed(definitions, store: FlowStateStore(client: client, logger: context.logger))
            // Moving to new rests on evidence: the readiness figures are checked and stored with the change.
            return try await FlowControl(client: client, definitions: definitions, logger: context.logger).set(
                flow, to: target, actor: actor, reason: reason, force: force, evidenceSince: window)
        }
        print(
            "\(flow): \(change.from?.description ?? "-") → \(change.to) (version \(change.version)) by \(change.actor): \(change.reason)"
        )
    }
}

extension FlowSet {
    /// `--at`: an ISO 8601 time with its zone, or `+DURATION` from now.
    static func moment(_ text: String) throws -> Date {
        if text.hasPrefix("+"), let seconds = DurationText.seconds(String(text.dropFirst())) {
            return Date().addingTimeInterval(Double(seconds))
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        printError("--at must be an ISO 8601 time with a zone (2026-11-28T02:00:00Z) or +DURATION (+30m)")
        throw CLIExit.invalidConfiguration
    }
}

struct FlowSchedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Scheduled mode changes, soonest first (pending ones unless --all).")

    @Argument(help: "One flow (default: all).") var flow: String?
    @Flag(help: "Also applied, failed and cancelled ones.") var all = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = CLIContext()
        let (flow, all) = (flow, all)
        let changes = try await context.withDatabase { client, _ in
            try await ScheduleStore(client: client, logger: context.logger).list(flow: flow, all: all)
        }
        if json { return try printJSON(changes) }
        print(
            TableFormat.render(
                header: ["ID", "FLOW", "TO", "DUE", "BY", "STATE", "OUTCOME", "REASON"],
                rows: changes.map {
                    [
                        String($0.id), $0.flow, $0.setting.description, TableFormat.time($0.dueAt), $0.createdBy,
                        $0.state.rawValue, $0.outcome ?? "", $0.reason,
                    ]
                }))
    }
}

struct FlowCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a pending scheduled mode change.")

    @Argument(help: "The scheduled change's id (see cutover flow schedule).") var id: Int64
    @Option(help: "Who: recorded on the change (default: the OS user).") var actor: String?

    func run() async throws {
        let context = CLIContext()
        let (id, actor) = (id, context.actor(actor))
        let cancelled = try await context.withDatabase { client, _ in
            try await ScheduleStore(client: client, logger: context.logger).cancel(id: id, actor: actor)
        }
        guard let cancelled else {
            printError("error: no pending scheduled change #\(id) (see cutover flow schedule --all)")
            throw CLIExit.failure
        }
        print("#\(cancelled.id) \(cancelled.flow) → \(cancelled.setting) cancelled")
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
