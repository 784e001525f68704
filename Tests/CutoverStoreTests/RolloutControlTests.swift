import CutoverCore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@testable import CutoverStore

@Suite("Rollout control: guard window, scheduled changes, tokens", .timeLimit(.minutes(3)))
struct RolloutControlTests {
    let logger = TestPostgres.logger

    /// Exchanges of `flow` with the given verdicts, one second apart from `start`; `new_error`s with `timeout` get a
    /// new-side call that timed out.
    func record(
        _ client: PostgresClient, flow: String, start: Date, verdicts: [(Verdict, Bool)], onComparison: Bool = false,
        servedBy: Side = .new
    ) async throws {
        var records: [AuditRecord] = []
        for (index, (verdict, timedOut)) in verdicts.enumerated() {
            let startedAt = start.addingTimeInterval(Double(index))
            let exchange = ExchangeRecord(
                flow: flow, kind: .call, correlationID: "c-\(flow)-\(index)-\(UUID())",
                setting: ModeSetting(mode: .canary, percent: 50), servedBy: servedBy, startedAt: startedAt,
                verdict: onComparison ? nil : verdict)
            records.append(.exchange(exchange))
            if onComparison {
                records.append(
                    .comparison(
                        ComparisonRecord(
                            exchangeID: exchange.id, exchangeStartedAt: startedAt, flow: flow, verdict: verdict,
                            diff: [], comparedAt: startedAt)))
            }
            if timedOut {
                records.append(
                    .sideCall(
                        SideCallRecord(
                            exchangeID: exchange.id, exchangeStartedAt: startedAt, side: .new, startedAt: startedAt,
                            request: "{}", response: nil, status: nil, latencySeconds: 5,
                            error: "ERP timeout: no answer within 5 s")))
            }
        }
        try await AuditBatchInserter(client: client, logger: logger).insert(records)
    }

    @Test("the guard's window holds the latest judged exchanges since the flow's change, with timeouts counted")
    func window() async throws {
        try await TestPostgres.withMigratedDatabase("guard") { client, _ in
            let store = GuardStore(client: client, logger: logger)
            let start = Date().addingTimeInterval(-100)
            // Older failures before the flow's change; then 6 matches, 3 errors (1 timeout), 1 mismatch, and
            // 2 legacy errors that say nothing about the new side.
            try await record(client, flow: "po", start: start, verdicts: Array(repeating: (.newError, false), count: 5))
            let since = start.addingTimeInterval(10)
            try await record(
                client, flow: "po", start: since,
                verdicts: Array(repeating: (.match, false), count: 6) + [
                    (.newError, true), (.newError, false), (.newError, false), (.mismatch, false),
                    (.legacyError, false), (.legacyError, false),
                ], onComparison: true)
            // Served by new alone: successes of the new side. Not compared but served by legacy (a full shadow
            // queue): the new side took no part.
            try await record(
                client, flow: "po", start: since.addingTimeInterval(-5), verdicts: [(.notCompared, false)])
            try await record(
                client, flow: "po", start: since.addingTimeInterval(-4), verdicts: [(.notCompared, false)],
                servedBy: .legacy)
            let all = try await store.window(flow: "po", since: since.addingTimeInterval(-5), size: 100)
            #expect(all.sample == 11)
            #expect(all.newErrors == 3)
            #expect(all.timeouts == 1)
            #expect(all.mismatches == 1)
            // A window of 4: the latest four judged exchanges (3 errors and the mismatch).
            #expect(try await store.window(flow: "po", since: since, size: 100).sample == 10)
            let latest = try await store.window(flow: "po", since: since, size: 4)
            #expect(latest.sample == 4 && latest.newErrors == 3 && latest.mismatches == 1)
            #expect(try await store.window(flow: "other", since: since, size: 100).sample == 0)
        }
    }

    @Test("a guard rollback is a compare-and-set: of several instances seeing one breach, one acts")
    func rollbackOnce() async throws {
        try await TestPostgres.withMigratedDatabase("guard") { client, _ in
            let flows = FlowStateStore(client: client, logger: logger)
            try await flows.seed([("po", ModeSetting(mode: .canary, percent: 25), "po.yaml")])
            let version = try #require(try await flows.state("po")).version
            let store = GuardStore(client: client, logger: logger)
            let acted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await store.rollback(
                            flow: "po", version: version, reason: "auto-rollback: test", figures: #"{"sample": 20}"#)
                            != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(acted == 1)
            let history = try await flows.history("po")
            #expect(history.filter { $0.actor == GuardStore.actor }.count == 1)
            #expect(history[0].figures?.contains("\"sample\": 20") == true)
            #expect(try await flows.state("po")?.setting == .legacy)
            #expect(try await store.findings(flow: "po").map(\.action) == ["rollback"])
        }
    }

    @Test("a dry-run finding is recorded once per cool-down and changes nothing")
    func dryRun() async throws {
        try await TestPostgres.withMigratedDatabase("guard") { client, _ in
            let flows = FlowStateStore(client: client, logger: logger)
            try await flows.seed([("po", ModeSetting(mode: .new), "po.yaml")])
            let store = GuardStore(client: client, logger: logger)
            #expect(try await store.recordDryRun(flow: "po", version: 1, figures: "{}", cooldown: .seconds(60)))
            #expect(!(try await store.recordDryRun(flow: "po", version: 1, figures: "{}", cooldown: .seconds(60))))
            #expect(try await store.recordDryRun(flow: "po", version: 1, figures: "{}", cooldown: .zero))
            #expect(try await store.findings(flow: "po").map(\.action) == ["would_rollback", "would_rollback"])
            #expect(try await flows.state("po")?.setting == ModeSetting(mode: .new))
        }
    }

    @Test("a due change is applied once however many instances look, and not before it is due")
    func scheduleOnce() async throws {
        try await TestPostgres.withMigratedDatabase("schedule") { client, _ in
            let flows = FlowStateStore(client: client, logger: logger)
            try await flows.seed([("po", .legacy, "po.yaml")])
            let schedule = ScheduleStore(client: client, logger: logger)
            let due = try await schedule.schedule(
                flow: "po", to: ModeSetting(mode: .shadow), at: Date().addingTimeInterval(-1), reason: "weekend plan",
                force: false, actor: "ana")
            let later = try await schedule.schedule(
                flow: "po", to: ModeSetting(mode: .canary, percent: 5), at: Date().addingTimeInterval(3600),
                reason: "monday", force: false, actor: "ana")
            let applied = try await withThrowingTaskGroup(of: [ScheduleStore.ScheduledChange].self) { group in
                for instance in 0..<4 { group.addTask { try await schedule.applyDue(by: "instance-\(instance)") } }
                return try await group.reduce([]) { $0 + $1 }
            }
            #expect(applied.map(\.id) == [due.id])
            #expect(applied.first?.state == .applied)
            let history = try await flows.history("po")
            #expect(history.count == 2)
            #expect(history[0].actor == "ana (scheduled #\(due.id))")
            #expect(history[0].reason == "weekend plan")
            #expect(try await schedule.list().map(\.id) == [later.id])
            #expect(try await schedule.list(all: true).count == 2)
        }
    }

    @Test(
        "a due change that is no longer allowed is settled as failed with the reason, and a cancelled one never applies"
    )
    func failedAndCancelled() async throws {
        try await TestPostgres.withMigratedDatabase("schedule") { client, _ in
            let flows = FlowStateStore(client: client, logger: logger)
            try await flows.seed([("po", .legacy, "po.yaml")])
            let schedule = ScheduleStore(client: client, logger: logger)
            let skip = try await schedule.schedule(
                flow: "po", to: ModeSetting(mode: .new), at: Date().addingTimeInterval(-2), reason: "skip ahead",
                force: false, actor: "ana")
            let cancelled = try await schedule.schedule(
                flow: "po", to: ModeSetting(mode: .shadow), at: Date().addingTimeInterval(-1), reason: "not needed",
                force: false, actor: "ana")
            #expect(try await schedule.cancel(id: cancelled.id, actor: "ben")?.state == .cancelled)
            #expect(try await schedule.cancel(id: cancelled.id, actor: "ben") == nil, "cancelled once")
            let settled = try await schedule.applyDue(by: "instance")
            #expect(settled.map(\.id) == [skip.id])
            #expect(settled.first?.state == .failed)
            #expect(settled.first?.outcome?.contains("--force") == true || settled.first?.outcome?.isEmpty == false)
            #expect(try await flows.state("po")?.setting == .legacy)
            #expect(try await flows.history("po").count == 1)
            let refused = await #expect(throws: FlowStateError.self) {
                try await schedule.schedule(
                    flow: "nope", to: .legacy, at: Date(), reason: "x", force: false, actor: "ana")
            }
            #expect(refused?.code == .unknownFlow)
        }
    }

    @Test("a gate refusing a due change settles it as failed with the gate's reason")
    func gateRefusal() async throws {
        try await TestPostgres.withMigratedDatabase("schedule") { client, _ in
            let flows = FlowStateStore(client: client, logger: logger)
            try await flows.seed([("po", ModeSetting(mode: .canary, percent: 50), "po.yaml")])
            let schedule = ScheduleStore(client: client, logger: logger)
            _ = try await schedule.schedule(
                flow: "po", to: ModeSetting(mode: .new), at: Date(), reason: "go live", force: false, actor: "ana")
            let settled = try await schedule.applyDue(by: "instance") { change, _ in
                throw FlowStateError(code: .refusedTransition, flow: change.flow, message: "po is not ready for new")
            }
            #expect(settled.first?.state == .failed)
            #expect(settled.first?.outcome == "po is not ready for new")
            #expect(try await flows.state("po")?.setting == ModeSetting(mode: .canary, percent: 50))
        }
    }

    @Test("tokens are stored as hashes, authenticate while live, and stop at once when revoked")
    func tokens() async throws {
        try await TestPostgres.withMigratedDatabase("tokens") { client, _ in
            let tokens = TokenStore(client: client, logger: logger)
            let (token, secret) = try await tokens.create(name: "ana", role: .operator, actor: "admin")
            #expect(secret.hasPrefix(TokenStore.prefix) && secret.count > 40)
            #expect(token.role == .operator)
            var stored: [String] = []
            for try await (hash) in try await client.query(
                "SELECT token_sha256 FROM cutover.api_tokens", logger: logger
            ).decode(String.self) {
                stored.append(hash)
            }
            #expect(stored == [Digest.sha256Hex(secret)], "only the hash is stored")
            #expect(try await tokens.authenticate(secret) == TokenStore.Holder(name: "ana", role: .operator))
            #expect(try await tokens.authenticate(secret + "x") == nil)
            #expect(try await tokens.authenticate("not-a-token") == nil)
            await #expect(throws: TokenError.self) {
                try await tokens.create(name: "ana", role: .viewer, actor: "admin")
            }
            #expect(try await tokens.revoke(name: "ana", actor: "admin") != nil)
            #expect(try await tokens.authenticate(secret) == nil)
            #expect(try await tokens.revoke(name: "ana", actor: "admin") == nil)
            // The name is free again once revoked, and the revoked token stays listed.
            _ = try await tokens.create(name: "ana", role: .viewer, actor: "admin")
            #expect(try await tokens.list().map { $0.revokedAt == nil } == [true, false])
        }
    }

    @Test("noise is grouped by the ignore entry that silences it, each calibration run counted once")
    func noiseGrouping() async throws {
        try await TestPostgres.withMigratedDatabase("noise") { client, _ in
            let store = CalibrationStore(client: client, logger: logger)
            func diff(_ path: String) -> FieldDiff { FieldDiff(path: path, legacy: "1", new: "2", rule: "decimal") }
            let runs: [[FieldDiff]] = [
                [diff("lines[GLV].qty"), diff("lines[SYR].qty"), diff("retrieved_at")],
                [diff("lines[SYR].qty")],
                [diff("lines[NEW]")],
                [],
            ]
            for run in runs {
                try await store.record(
                    flow: "po", exchangeID: UUID(), exchangeStartedAt: Date(), operation: "Get", diff: run)
            }
            let noise = try await store.noise(flow: "po", since: Date().addingTimeInterval(-60))
            #expect(noise.map(\.ignoreEntry) == ["lines.qty", "lines", "retrieved_at"])
            #expect(noise.map(\.occurrences) == [2, 1, 1])
            #expect(noise.allSatisfy { $0.runs == 4 })
            #expect(noise.first?.examples.first == ["1", "2"])
        }
    }
}
