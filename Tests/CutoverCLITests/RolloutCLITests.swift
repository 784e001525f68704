import CutoverCore
import CutoverTesting
import Foundation
import Testing

@testable import CutoverStore

@Suite("cutover token and scheduled changes", .timeLimit(.minutes(3)))
struct RolloutCLITests {
    func environment(_ url: DatabaseURL, home: TemporaryDirectory) -> [String: String] {
        CLITests().environment(url, home: home)
    }

    @Test("token create prints the secret once; list never shows it; revoke ends it; names stay unique while live")
    func tokens() async throws {
        let url = try await TestPostgres.makeDatabase("clitoken")
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        let created = try await CutoverProcess.run(
            ["token", "create", "--role", "operator", "--name", "ana.silva"], environment: env)
        #expect(created.status == 0, "\(created.stderr)")
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("cutover_"))
        #expect(created.stderr.contains("not shown again"))
        let holder = try await TestPostgres.withClient(url) { client in
            try await TokenStore(client: client, logger: TestPostgres.logger).authenticate(secret)
        }
        #expect(holder == TokenStore.Holder(name: "ana.silva", role: .operator))

        let again = try await CutoverProcess.run(
            ["token", "create", "--role", "viewer", "--name", "ana.silva"], environment: env)
        #expect(again.status == 1)
        #expect(again.stderr.contains("a live token named 'ana.silva' exists"))
        let badRole = try await CutoverProcess.run(
            ["token", "create", "--role", "root", "--name", "x"], environment: env)
        #expect(badRole.status == 2)

        let list = try await CutoverProcess.run(["token", "list"], environment: env)
        #expect(list.stdout.contains("ana.silva") && list.stdout.contains("operator"))
        #expect(!list.stdout.contains(secret))
        #expect(try await CutoverProcess.run(["token", "revoke", "ana.silva"], environment: env).status == 0)
        #expect(try await CutoverProcess.run(["token", "revoke", "ana.silva"], environment: env).status == 1)
        let revoked = try await TestPostgres.withClient(url) { client in
            try await TokenStore(client: client, logger: TestPostgres.logger).authenticate(secret)
        }
        #expect(revoked == nil)
    }

    @Test("flow set --at schedules; flow schedule lists it; flow cancel cancels it; a bad --at is a usage error")
    func schedule() async throws {
        let url = try await TestPostgres.makeDatabase("clischedule")
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        let planned = try await CutoverProcess.run(
            [
                "flow", "set", "purchase-order-create", "--mode", "shadow", "--reason", "CHG-1 weekend",
                "--at", "2030-01-05T02:00:00Z",
            ], environment: env)
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("scheduled as #1 for 2030-01-05T02:00:00Z"))
        let relative = try await CutoverProcess.run(
            ["flow", "set", "purchase-order-create", "--mode", "shadow", "--reason", "soon", "--at", "+2h"],
            environment: env)
        #expect(relative.status == 0, "\(relative.stderr)")
        let bad = try await CutoverProcess.run(
            ["flow", "set", "purchase-order-create", "--mode", "shadow", "--reason", "x", "--at", "saturday"],
            environment: env)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--at must be"))

        let list = try await CutoverProcess.run(["flow", "schedule", "--json"], environment: env)
        #expect(list.status == 0)
        let pending = try CutoverCore.JSONValue.parse(list.stdout)
        #expect(pending.value(at: "/0/id")?.scalarText == "2", "soonest first")
        #expect(pending.value(at: "/1/id")?.scalarText == "1")
        #expect(pending.value(at: "/1/createdBy")?.scalarText == "cli-test")
        #expect(pending.value(at: "/2") == nil)

        #expect(try await CutoverProcess.run(["flow", "cancel", "1"], environment: env).status == 0)
        #expect(try await CutoverProcess.run(["flow", "cancel", "1"], environment: env).status == 1)
        let after = try await CutoverProcess.run(["flow", "schedule", "--all"], environment: env)
        #expect(after.stdout.contains("cancelled"))
        // Nothing moved: the flow is still in legacy.
        let show = try await CutoverProcess.run(["flow", "show", "purchase-order-create", "--json"], environment: env)
        #expect(try CutoverCore.JSONValue.parse(show.stdout).value(at: "/mode")?.scalarText == "legacy")
    }

    @Test("audit search finds exchanges by flow, correlation id and verdict")
    func auditSearch() async throws {
        let url = try await TestPostgres.makeDatabase("clisearch")
        let home = TemporaryDirectory("home")
        let env = environment(url, home: home)
        try await TestPostgres.withClient(url) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: TestPostgres.logger)
                .migrate()
            let now = Date()
            let records: [AuditRecord] = [Verdict.match, .mismatch, .newError].enumerated().map { index, verdict in
                .exchange(
                    ExchangeRecord(
                        flow: "po", kind: .call, correlationID: "search-\(index)", setting: .legacy, servedBy: .legacy,
                        startedAt: now.addingTimeInterval(Double(index)), verdict: verdict))
            }
            try await AuditBatchInserter(client: client, logger: TestPostgres.logger).insert(records)
        }
        let mismatches = try await CutoverProcess.run(
            ["audit", "search", "--flow", "po", "--verdict", "mismatch", "--json"], environment: env)
        #expect(mismatches.status == 0, "\(mismatches.stderr)")
        let found = try CutoverCore.JSONValue.parse(mismatches.stdout)
        #expect(found.value(at: "/0/correlationID")?.scalarText == "search-1")
        #expect(found.value(at: "/1") == nil)
        let byID = try await CutoverProcess.run(["audit", "search", "--correlation-id", "search-2"], environment: env)
        #expect(
            byID.stdout.contains("search-2") && byID.stdout.contains("new_error") && !byID.stdout.contains("search-0"))
        let newestFirst = try await CutoverProcess.run(["audit", "search", "--flow", "po"], environment: env)
        let lines = newestFirst.stdout.split(separator: "\n").dropFirst()
        #expect(lines.map { $0.contains("search-2") } == [true, false, false])
        #expect(try await CutoverProcess.run(["audit", "search", "--verdict", "bad"], environment: env).status == 2)
    }
}
