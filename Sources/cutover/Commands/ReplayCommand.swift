import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation

/// `cutover replay FLOW --dead-letters [--dry-run]`: the flow's dead letters sent to the ERP again.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a flow's dead letters to the ERP again (idempotently), or list them with --dry-run.",
        discussion: """
            Each dead letter goes out with its original idempotency key, so the ERP creates it once however often \
            it is replayed. Every attempt is recorded; a delivered dead letter is never sent again. Bodies are \
            stored redacted: a field listed under redact is replayed as its token.
            """
    )

    @Argument var flow: String
    @Flag(name: .customLong("dead-letters"), help: "Replay the flow's pending dead letters.") var deadLetters = false
    @Flag(help: "List what would be replayed; send nothing.") var dryRun = false
    @Option(help: "Who: recorded with each attempt (default: the OS user).") var actor: String?
    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard deadLetters else {
            throw ValidationError(
                "only --dead-letters is built so far; replaying recorded legacy inputs after a mapping fix comes next")
        }
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
        let interactive = isatty(STDERR_FILENO) == 1
        let httpClient = HTTPClient.cutover()
        let outcome: Result<Void, any Error>
        do {
            try await context.withDatabase { client, _ in
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
                    print(
                        "\(pending.count) pending dead letters for \(flow)\(dryRun ? " (dry run: nothing sent)" : "")")
                    return
                }
                let erp = ERPClient(
                    httpClient: httpClient,
                    tokens: new.auth.map {
                        TokenProvider(credentials: $0, httpClient: httpClient, logger: context.logger)
                    },
                    logger: context.logger)
                let summary = try await DeadLetterReplay(
                    store: store, audit: DirectAuditWrite(client: client, logger: context.logger), erp: erp,
                    timeout: .milliseconds(new.timeoutMilliseconds), actor: actor
                ).replay(pending) { done, total in
                    if interactive { FileHandle.standardError.write(Data("\rreplayed \(done)/\(total)".utf8)) }
                }
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
                print(
                    "\(flow): \(summary.delivered) delivered, \(summary.failed) failed (kept for the next replay), "
                        + "\(summary.alreadyDelivered) already delivered by another replay")
                if summary.failed > 0 { throw CLIExit.failure }
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await httpClient.shutdown()
        try outcome.get()
    }
}
