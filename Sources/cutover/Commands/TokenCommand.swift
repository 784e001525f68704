import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

/// `cutover token`: bearer tokens for the admin API and the dashboard.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke admin API tokens.",
        discussion: """
            Roles: viewer reads; operator also changes modes, rolls back and schedules; admin also manages tokens. \
            A token is printed once, when created: only its SHA-256 is stored.
            """,
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self]
    )
}

extension Role: ExpressibleByArgument {}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a token and print it (the only time it is shown).")

    @Option(help: "viewer, operator or admin.") var role: Role
    @Option(help: "Who holds it: recorded as the actor of every change made with it.") var name: String
    @Option(help: "Who creates it (default: the OS user).") var actor: String?

    func run() async throws {
        let context = CLIContext()
        let (role, name, actor) = (role, name, context.actor(actor))
        let created = try await context.withDatabase { client, _ in
            do {
                return try await TokenStore(client: client, logger: context.logger).create(
                    name: name, role: role, actor: actor)
            } catch let error as TokenError {
                printError("error: \(error)")
                throw CLIExit.failure
            }
        }
        printError("token '\(created.token.name)' (\(created.token.role.rawValue)) created; it is not shown again")
        print(created.secret)
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every token, live and revoked.")

    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = CLIContext()
        let tokens = try await context.withDatabase { client, _ in
            try await TokenStore(client: client, logger: context.logger).list()
        }
        if json { return try printJSON(tokens) }
        print(
            TableFormat.render(
                header: ["NAME", "ROLE", "CREATED", "BY", "REVOKED"],
                rows: tokens.map {
                    [
                        $0.name, $0.role.rawValue, TableFormat.time($0.createdAt), $0.createdBy,
                        $0.revokedAt.map(TableFormat.time) ?? "-",
                    ]
                }))
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke the live token with this name; it stops working at once.")

    @Argument var name: String
    @Option(help: "Who revokes it (default: the OS user).") var actor: String?

    func run() async throws {
        let context = CLIContext()
        let (name, actor) = (name, context.actor(actor))
        let revoked = try await context.withDatabase { client, _ in
            try await TokenStore(client: client, logger: context.logger).revoke(name: name, actor: actor)
        }
        guard revoked != nil else {
            printError("error: no live token named '\(name)' (see cutover token list)")
            throw CLIExit.failure
        }
        print("token '\(name)' revoked")
    }
}
