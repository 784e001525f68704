import CutoverCore
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@Suite("Flow state", .timeLimit(.minutes(3)))
struct FlowStateTests {
    let logger = TestPostgres.logger

    @Test("a flow is seeded from its YAML mode once; later seeds keep the live mode")
    func seedOnce() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, _ in
            let store = FlowStateStore(client: client, logger: logger)
            #expect(try await store.seed([("po", .legacy, "adapters/po.yaml")]) == ["po"])
            try await store.change("po", to: ModeSetting(mode: .shadow), actor: "ana", reason: "parallel run")
            #expect(try await store.seed([("po", ModeSetting(mode: .new), "adapters/po.yaml")]).isEmpty)
            #expect(try await store.state("po")?.setting == ModeSetting(mode: .shadow))
        }
    }

    @Test("every change is in the history with who, why, from and to")
    func history() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, _ in
            let store = FlowStateStore(client: client, logger: logger)
            try await store.seed([("po", .legacy, "po.yaml")])
            try await store.change("po", to: ModeSetting(mode: .shadow), actor: "ana", reason: "start parallel run")
            try await store.change(
                "po", to: ModeSetting(mode: .canary, percent: 10), actor: "ben", reason: "evidence is good")
            try await store.rollback("po", actor: "oncall", reason: "ERP incident INC-42")
            let history = try await store.history("po")
            #expect(history.map(\.actor) == ["oncall", "ben", "ana", "config"])
            #expect(
                history.map(\.reason) == [
                    "ERP incident INC-42", "evidence is good", "start parallel run", "first seen in po.yaml",
                ])
            #expect(history[0].from == ModeSetting(mode: .canary, percent: 10))
            #expect(history[0].to == .legacy)
            #expect(history.map(\.version) == [4, 3, 2, 1])
            #expect(try await store.state("po")?.version == 4)
        }
    }

    @Test("a forward move that skips a step is refused without force and allowed with it")
    func skipNeedsForce() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, _ in
            let store = FlowStateStore(client: client, logger: logger)
            try await store.seed([("po", .legacy, "po.yaml")])
            let error = await #expect(throws: FlowStateError.self) {
                try await store.change("po", to: ModeSetting(mode: .new), actor: "ana", reason: "hurry")
            }
            #expect(error?.code == .refusedTransition)
            #expect(try await store.history("po").count == 1, "a refused change leaves no history")
            try await store.change(
                "po", to: ModeSetting(mode: .new), actor: "ana", reason: "approved exception", force: true)
            #expect(try await store.state("po")?.setting == ModeSetting(mode: .new))
        }
    }

    @Test("a compare-and-set on a stale version fails and changes nothing")
    func compareAndSet() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, _ in
            let store = FlowStateStore(client: client, logger: logger)
            try await store.seed([("po", ModeSetting(mode: .canary, percent: 20), "po.yaml")])
            try await store.rollback(
                "po", actor: "auto-rollback", reason: "error rate", expectedVersion: 1,
                figures: #"{"error_rate": 0.08}"#)
            let error = await #expect(throws: FlowStateError.self) {
                try await store.rollback("po", actor: "auto-rollback", reason: "error rate", expectedVersion: 1)
            }
            #expect(error?.code == .versionConflict)
            let history = try await store.history("po")
            #expect(history.count == 2)
            #expect(history[0].figures?.contains("0.08") == true)
        }
    }

    @Test("unknown flows and empty reasons are refused")
    func refusals() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, _ in
            let store = FlowStateStore(client: client, logger: logger)
            try await store.seed([("po", .legacy, "po.yaml")])
            let unknown = await #expect(throws: FlowStateError.self) {
                try await store.change("nope", to: ModeSetting(mode: .shadow), actor: "a", reason: "r")
            }
            #expect(unknown?.code == .unknownFlow)
            let noReason = await #expect(throws: FlowStateError.self) {
                try await store.change("po", to: ModeSetting(mode: .shadow), actor: "a", reason: "  ")
            }
            #expect(noReason?.code == .missingReason)
        }
    }

    @Test("a watcher sees a change made through another connection within one second")
    func watcherSeesChange() async throws {
        try await TestPostgres.withMigratedDatabase("flows") { client, url in
            let store = FlowStateStore(client: client, logger: logger)
            try await store.seed([("po", .legacy, "po.yaml")])
            // A long poll interval: only LISTEN/NOTIFY can make the deadline.
            let watcher = FlowStateWatcher(store: store, database: url, pollInterval: .seconds(30), logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.run() }
                let changes = await watcher.changes()
                #expect(try await poll(for: .seconds(10)) { watcher.current("po") != nil })
                // Wait for LISTEN to be in place: the deadline below is for NOTIFY, not for connecting.
                #expect(try await poll(for: .seconds(10)) { await watcher.isListening })
                try await TestPostgres.withClient(url) { other in
                    try await FlowStateStore(client: other, logger: logger)
                        .change("po", to: ModeSetting(mode: .shadow), actor: "ana", reason: "parallel run")
                }
                let seenWithin = try await poll(every: .milliseconds(5), for: .seconds(1)) {
                    watcher.current("po")?.setting.mode == .shadow
                }
                #expect(seenWithin)
                var delivered: FlowState?
                for await state in changes where state.version == 2 {
                    delivered = state
                    break
                }
                #expect(delivered?.setting.mode == .shadow, "subscribers are told of the change too")
                group.cancelAll()
            }
        }
    }
}
