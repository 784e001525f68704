import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import PostgresNIO

/// `cutover replay FLOW --dead-letters [--dry-run]`: the flow's dead letters sent to the ERP again.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded legacy inputs to the new side (after a mapping fix), or a flow's dead letters.",
        discussion: """
            Without --dead-letters: the flow's recorded calls (by --since, --verdict, --correlation-id) are mapped \
            with the adapter as it is now, sent to the new side, and compared with the legacy answers recorded \
            then; each replay is stored as an exchange of kind replay linked to its original, which is never \
            changed. Requests go with their idempotency key plus :replay:RUN, so the ERP answers afresh — and \
            creates records: refused while the flow is in canary or new (the new side is production) unless --force.

            With --dead-letters: each dead letter goes out with its original idempotency key, so the ERP creates it \
            once however often it is replayed; every attempt is recorded and a delivered one is never sent again.

            Requests are stored redacted: a field listed under redact is replayed as its token.
            """
    )

    @Argument var flow: String
    @Flag(name: .customLong("dead-letters"), help: "Replay the flow's pending dead letters.") var deadLetters = false
    @Flag(help: "List what would be replayed; send nothing.") var dryRun = false
    @OptionGroup var selection: ExchangeSelection
    @Option(help: "At most this many calls (1 to 1000).") var limit = 1000
    @Flag(help: "Replay even while the new side serves production (canary, new).") var force = false
    @Option(help: "Who: recorded with each attempt (default: the OS user).") var actor: String?
    @OptionGroup var config: ConfigOption

    func validate() throws {
        try ExchangeSelection.validate(limit: limit)
    }

    func run() async throws {
        let context = CLIContext()
        let definitions = try context.loadAdapters(config.directory)
        let (name, dryRun, actor) = (flow, dryRun, context.actor(actor))
        guard let definition = definitions.first(where: { $0.flow == name }), let new = definition.new else {
            printError("error: no flow named '\(name)' with a new side in \(config.directory)")
            throw CLIExit.failure
        }
        let flow = name
        if !deadLetters {
            return try await replayRecorded(definition, new: new, context: context)
        }
        try await withERP(new, context: context) { client, erp in
            let store = DeadLetterStore(client: client, logger: context.logger)
            let pending = try await store.pending(flow: flow)
            if dryRun || pending.isEmpty {
                print(
                    TableFormat.render(
                        header: ["CREATED", "CORRELATION ID", "REQUEST", "IDEMPOTENCY KEY", "REPLAYS", "ERROR"],
                        rows: pending.map {
                            [
                                TableFormat.time($0.record.createdAt), $0.record.correlationID,
                                "\($0.record.method) \($0.record.url)", $0.record.idempotencyKey ?? "-",
                                String($0.replays), $0.record.error,
                            ]
                        }))
                print("\(pending.count) pending dead letters for \(flow)\(dryRun ? " (dry run: nothing sent)" : "")")
                return
            }
            let summary = try await DeadLetterReplay(
                store: store, audit: DirectAuditWrite(client: client, logger: context.logger), erp: erp,
                timeout: .milliseconds(new.timeoutMilliseconds), actor: actor
            ).replay(pending, progress: Self.progress)
            Self.endProgress()
            print(
                "\(flow): \(summary.delivered) delivered, \(summary.failed) failed (kept for the next replay), "
                    + "\(summary.alreadyDelivered) already delivered by another replay")
            if summary.failed > 0 { throw CLIExit.failure }
        }
    }

    /// Runs `body` with the database and an ERP client holding the flow's credentials; the HTTP client is shut
    /// down afterwards, whatever `body` did.
    func withERP(
        _ new: NewSideDefinition, context: CLIContext,
        _ body: @Sendable (PostgresClient, ERPClient) async throws -> Void
    ) async throws {
        let httpClient = HTTPClient.cutover()
        let erp = ERPClient(httpClient: httpClient, credentials: new.auth, logger: context.logger)
        let outcome: Result<Void, any Error>
        do {
            try await context.withDatabase { client, _ in try await body(client, erp) }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await httpClient.shutdown()
        try outcome.get()
    }

    /// `replayed i/n` on a terminal, rewritten in place.
    static let progress: @Sendable (Int, Int) -> Void = { done, total in
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\rreplayed \(done)/\(total)".utf8)) }
    }

    static func endProgress() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension ReplayCommand {
    /// Recorded legacy inputs to the new side, compared afresh.
    func replayRecorded(_ definition: FlowDefinition, new: NewSideDefinition, context: CLIContext) async throws {
        let soap: SOAPFlow
        do {
            soap = try SOAPFlow(definition)
        } catch {
            printError(
                "error: replaying recorded calls is built for soap flows; \(flow) is \(definition.kind.rawValue)")
            throw CLIExit.failure
        }
        let criteria = try selection.criteria(flow: flow, limit: limit)
        let (flow, dryRun, force) = (flow, dryRun, force)
        try await withERP(new, context: context) { client, erp in
            let mode = try await FlowStateStore(client: client, logger: context.logger).state(flow)?.setting.mode
            if let mode, mode == .canary || mode == .new, !force, !dryRun {
                printError(
                    "error: \(flow) is in \(mode.rawValue): its new side serves production, and a replay creates "
                        + "records there. Replay in shadow against a test company, or pass --force.")
                throw CLIExit.failure
            }
            let calls = try await AuditQueries(client: client, logger: context.logger).recordedCalls(criteria)
            if dryRun || calls.isEmpty {
                print(
                    TableFormat.render(
                        header: ["STARTED", "CORRELATION ID", "VERDICT"],
                        rows: calls.map { [TableFormat.time($0.startedAt), $0.correlationID, $0.verdict ?? "-"] }))
                print("\(calls.count) recorded calls of \(flow) to replay\(dryRun ? " (dry run: nothing sent)" : "")")
                return
            }
            let summary = try await SOAPReplay(
                flow: soap, erp: erp, audit: DirectAuditWrite(client: client, logger: context.logger)
            ).replay(calls, progress: Self.progress)
            Self.endProgress()
            let verdicts = summary.verdicts.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
            print("\(flow): \(summary.replayed) replayed: \(verdicts)")
            for (change, count) in summary.changes.sorted(by: { $0.key < $1.key }) { print("  \(count) × \(change)") }
            for (reason, count) in summary.unmappable.sorted(by: { $0.key < $1.key }) {
                print("  \(count) could not be mapped: \(reason)")
            }
        }
    }
}
