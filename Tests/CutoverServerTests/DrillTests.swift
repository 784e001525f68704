import CutoverAdapters
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// Fault drills: the outages a cutover weekend must survive, against real processes and a real PostgreSQL.
@Suite("Drills", .serialized, .timeLimit(.minutes(5)))
struct DrillTests {
    static let flow = "purchase-order-create"

    /// What callers were told: correlation id → HTTP status (nil: no answer at all).
    final class Answers: Sendable {
        let byID = Mutex<[String: Int?]>([:])
        func record(_ id: String, _ status: Int?) { byID.withLock { $0[id] = status } }
        var acknowledged: [String] { byID.withLock { $0.filter { $0.value == 200 }.map(\.key) } }
        var count: Int { byID.withLock { $0.count } }
        var statuses: [Int?] { byID.withLock { Array($0.values) } }
    }

    /// `workers` callers sending orders to `url` until `stop` says so; ids `PREFIX-worker-n`.
    static func traffic(
        to url: String, prefix: String, workers: Int, answers: Answers, stop: Counter
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = 0
                    while stop.current == 0 {
                        let id = "\(prefix)-\(worker)-\(index)"
                        let answer = await soapCall(
                            url, purchaseOrderEnvelope(requestID: id, supplier: "SUP-100\(worker % 9 + 1)"),
                            headers: ["X-Correlation-ID": id])
                        answers.record(id, answer?.status)
                        index += 1
                    }
                }
            }
        }
    }

    /// One line of figures for docs/reliability.md.
    static func report(_ drill: String, calls: Int, acknowledged: Int, stored: [String: Int], extra: String) {
        let records = stored.values.reduce(0, +)
        let duplicates = stored.values.reduce(0) { $0 + max(0, $1 - 1) }
        print(
            "DRILL \(drill): calls \(calls), acknowledged \(acknowledged), exchanges stored \(records), "
                + "lost \(acknowledged - stored.count), duplicates \(duplicates); \(extra)")
    }

    /// How many times each correlation id is stored.
    static func stored(_ client: PostgresClient, prefix: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for try await (id, count) in try await client.query(
            """
            SELECT correlation_id, count(*)::int FROM cutover.exchanges
            WHERE correlation_id LIKE \(prefix + "-%") GROUP BY 1
            """, logger: TestPostgres.logger
        ).decode((String, Int).self) {
            counts[id] = count
        }
        return counts
    }

    @Test("PostgreSQL stopped for 30 s under steady SOAP traffic: every call answered, every exchange stored once")
    func postgresOutage() async throws {
        try await TestGate.heavy.run {
            let directory = TemporaryDirectory("drill")
            let cluster = try EmbeddedPostgres(root: directory.file("pg"), logger: TestPostgres.logger)
            let url = try cluster.start().url
            defer { cluster.stop() }
            // The legacy service keeps its orders in memory: only Cutover's audit store goes away.
            try await withSimulators(database: nil) { simulators in
                let flows = try shippedAdapters(environment: simulators.adapterEnvironment)
                try await withCutoverServer(flows: flows, database: url, home: directory.file("home")) { server in
                    try await TestPostgres.withClient(url) { client in
                        try await FlowStateStore(client: client, logger: TestPostgres.logger).change(
                            Self.flow, to: ModeSetting(mode: .shadow), actor: "drill", reason: "drill")
                    }
                    #expect(
                        try await poll(for: .seconds(20)) {
                            server.modes.setting(of: Self.flow) == ModeSetting(mode: .shadow)
                        })
                    let answers = Answers()
                    let stop = Counter()
                    let duringOutage = Counter()
                    let facade = "http://127.0.0.1:\(server.port)/PurchaseOrderService"
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            await Self.traffic(to: facade, prefix: "PGDOWN", workers: 4, answers: answers, stop: stop)
                        }
                        #expect(try await poll(for: .seconds(60)) { answers.count >= 100 })
                        cluster.stop()
                        let stoppedAt = ContinuousClock.now
                        let atStop = answers.count
                        // The drill's outage: thirty seconds without PostgreSQL, traffic going on.
                        try await Task.sleep(until: stoppedAt + .seconds(30))
                        #expect(answers.count > atStop + 50, "calls kept being answered during the outage")
                        _ = try cluster.start()
                        let atRestart = answers.count
                        duringOutage.set(atRestart - atStop)
                        #expect(try await poll(for: .seconds(60)) { answers.count >= atRestart + 100 })
                        stop.set(1)
                        try await group.waitForAll()
                    }
                    await server.offPath.waitUntilIdle()
                    #expect(answers.statuses.allSatisfy { $0 == 200 }, "every call was answered with the legacy answer")
                    let acknowledged = Set(answers.acknowledged)
                    try await TestPostgres.withClient(url) { client in
                        #expect(
                            try await poll(every: .milliseconds(200), for: .seconds(90)) {
                                try await Self.stored(client, prefix: "PGDOWN").count == acknowledged.count
                            }, "the spool drained into PostgreSQL")
                        let stored = try await Self.stored(client, prefix: "PGDOWN")
                        #expect(Set(stored.keys) == acknowledged)
                        #expect(stored.values.allSatisfy { $0 == 1 }, "each exchange stored exactly once")
                        Self.report(
                            "postgres-outage-30s", calls: answers.count, acknowledged: acknowledged.count,
                            stored: stored, extra: "answered during the outage: \(duringOutage.current)")
                    }
                }
            }
        }
    }

    @Test("cutover serve SIGKILLed under traffic, then restarted: every acknowledged exchange is in the audit store")
    func serveKilled() async throws {
        try await TestGate.heavy.run {
            let database = try await TestPostgres.makeDatabase("drillkill")
            let home = TemporaryDirectory("home")
            try await withSimulators(database: database) { simulators in
                let first = try await ServeProcess.start(
                    database: database, home: home, environment: simulators.adapterEnvironment)
                let answers = Answers()
                let stop = Counter()
                let facade = first.base + "/PurchaseOrderService"
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await Self.traffic(to: facade, prefix: "KILL", workers: 8, answers: answers, stop: stop)
                    }
                    #expect(try await poll(for: .seconds(60)) { answers.count >= 200 })
                    first.process.signal(SIGKILL)
                    _ = try await first.process.wait(timeout: .seconds(30))
                    stop.set(1)
                    try await group.waitForAll()
                }
                let acknowledged = Set(answers.acknowledged)
                #expect(acknowledged.count >= 200)
                // A new instance on the same home drains anything spooled; nothing acknowledged may be missing.
                let second = try await ServeProcess.start(
                    database: database, home: home, environment: simulators.adapterEnvironment)
                try await TestPostgres.withClient(database) { client in
                    #expect(
                        try await poll(every: .milliseconds(200), for: .seconds(60)) {
                            let stored = try await Self.stored(client, prefix: "KILL")
                            return acknowledged.isSubset(of: Set(stored.keys))
                        }, "every acknowledged exchange is stored")
                    let stored = try await Self.stored(client, prefix: "KILL")
                    #expect(stored.values.allSatisfy { $0 == 1 }, "and none twice")
                    Self.report(
                        "serve-sigkill", calls: answers.count, acknowledged: acknowledged.count,
                        stored: stored.filter { acknowledged.contains($0.key) },
                        extra: "unacknowledged calls cut by the kill: \(answers.count - acknowledged.count)")
                }
                #expect(try await second.stop() == 0)
            }
        }
    }
}

@Suite("Drill: a misbehaving ERP", .timeLimit(.minutes(5)))
struct ERPDrillTests {
    static let flow = FacadeFixture.flow

    @Test(
        "5xx, 429 and timeouts: retries happen, the breaker opens, work goes to dead letters, a replay completes the ERP without duplicates"
    )
    func misbehavingERP() async throws {
        try await FacadeFixture.run(configure: { flow in
            flow.new?.fallback = .deadLetter
            // 2 s: well above what a loaded 2-core machine takes to answer (a timeout there would open the circuit in
            // the flaky phase), well below the slow phase's 4 s.
            flow.new?.timeoutMilliseconds = 2_000
            flow.new?.circuitFailures = 3
            flow.new?.circuitOpenSeconds = 2
            flow.rollout.autoRollback = nil
        }) { fixture in
            try await fixture.setMode(ModeSetting(mode: .new))
            var sent: [String] = []
            var answeredByERP: [String] = []
            func call(_ id: String) async throws {
                sent.append(id)
                let answer = try await fixture.call(purchaseOrderEnvelope(requestID: id))
                if answer.status == 200 { answeredByERP.append(id) }
            }

            // Flaky: half the requests fail with 503 and a third are throttled; retries carry most through.
            var flaky = ERPSimulatorKnobs()
            flaky.failRate = 0.5
            flaky.throttleRate = 0.3
            flaky.retryAfterSeconds = 0
            await fixture.simulators.erp.setKnobs(flaky)
            for index in 0..<12 { try await call("ERP-FLAKY-\(index)") }
            let stats = await fixture.simulators.erp.stats
            #expect(stats.injectedFailures > 0 && stats.throttled > 0)
            #expect(answeredByERP.count >= 6, "retries carried most calls through (\(answeredByERP.count) of 12)")

            // Slow: every answer takes longer than the flow's 2 s timeout; the breaker opens after 3.
            var slow = ERPSimulatorKnobs()
            slow.latencyMs = 4_000
            await fixture.simulators.erp.setKnobs(slow)
            for index in 0..<6 { try await call("ERP-SLOW-\(index)") }
            let metrics = try #require(await httpGet("http://127.0.0.1:\(fixture.server.port)/metrics")).body
            #expect(metrics.contains(#"state="open"} 1"#), "the circuit opened")

            // Down hard: the circuit stays open and calls fail fast into dead letters.
            var down = ERPSimulatorKnobs()
            down.failRate = 1
            await fixture.simulators.erp.setKnobs(down)
            for index in 0..<4 { try await call("ERP-DOWN-\(index)") }

            let store = DeadLetterStore(client: fixture.client, logger: TestPostgres.logger)
            let pending = try await store.pending(flow: Self.flow)
            let lost = Set(sent).subtracting(answeredByERP)
            #expect(Set(pending.compactMap(\.record.idempotencyKey)) == lost, "every unanswered call is a dead letter")
            #expect(pending.contains { $0.record.error.contains("circuit_open") })
            #expect(pending.contains { $0.record.error.contains("timeout") })

            // The ERP recovers; the replay brings it to the right state: every order once.
            await fixture.simulators.erp.setKnobs(ERPSimulatorKnobs())
            let erp = try fixture.erpClient()
            let replay = DeadLetterReplay(
                store: store, audit: DirectAuditWrite(client: fixture.client, logger: TestPostgres.logger), erp: erp,
                timeout: .seconds(10), actor: "drill")
            let summary = try await replay.replay(pending)
            #expect(summary.delivered == pending.count && summary.failed == 0)
            // A timed-out call may have been created by the slow ERP after all; its idempotency key makes the
            // replay return that order instead of a second one.
            let numbers = await fixture.simulators.erp.entities("purchaseOrders").compactMap {
                $0.value(at: "/number")?.scalarText
            }
            #expect(numbers.sorted() == sent.sorted(), "every order exactly once")
            print(
                "DRILL erp-5xx-429-timeouts: calls \(sent.count), answered by the ERP \(answeredByERP.count), "
                    + "dead letters \(pending.count), replay delivered \(summary.delivered), orders in the ERP "
                    + "\(numbers.count), lost \(Set(sent).subtracting(numbers).count), duplicates "
                    + "\(numbers.count - Set(numbers).count)")
            #expect(try await store.pending(flow: Self.flow).isEmpty)
        }
    }
}
