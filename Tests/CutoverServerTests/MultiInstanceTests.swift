import CutoverCore
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// Two `cutover serve` processes on one PostgreSQL, as behind a load balancer.
@Suite("Several instances", .timeLimit(.minutes(5)))
struct MultiInstanceTests {
    static let flow = "purchase-order-create"

    /// The shipped adapters with the purchase-order flow guarded by a small window and falling back on legacy.
    static func adapters() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory("adapters")
        let shipped = packageRoot() + "/adapters"
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped) {
            try FileManager.default.copyItem(atPath: shipped + "/" + name, toPath: directory.file(name))
        }
        let path = directory.file(Self.flow + ".yaml")
        var yaml = try String(contentsOfFile: path, encoding: .utf8)
        let rollout = "  auto_rollback: { window: 200, max_new_error_rate: 0.02, max_mismatch_rate: 0.01 }"
        let response = "  response_map: { \"/status\": { Open: OPEN, Draft: PENDING } }"
        guard yaml.contains(rollout), yaml.contains(response) else {
            throw FixtureError(description: "the shipped adapter changed; update this test's edits")
        }
        yaml = yaml.replacingOccurrences(
            of: rollout,
            with: "  auto_rollback: { window: 20, min_sample: 10, max_new_error_rate: 0.2, max_mismatch_rate: 0.5 }")
        yaml = yaml.replacingOccurrences(of: response, with: response + "\n  fallback: legacy")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return directory
    }

    func admin(_ base: String, _ method: String, _ path: String, token: String, body: String? = nil) async throws
        -> JSONValue
    {
        let answer = try #require(
            await httpRequest(
                method, base + path,
                headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                body: body.map { Array($0.utf8) }))
        #expect((200..<300).contains(answer.status), "\(method) \(path): \(answer.body)")
        return try JSONValue.parse(answer.body)
    }

    /// The flow's version as `instance` applies it to its traffic.
    func applied(_ base: String, token: String) async throws -> Int64? {
        try await admin(base, "GET", "/admin/flows/\(Self.flow)", token: token)
            .value(at: "/appliedVersion")?.scalarText.flatMap(Int64.init)
    }

    @Test("a rollback through one instance is applied by the other within a second; an auto-rollback happens once")
    func twoInstances() async throws {
        try await TestGate.heavy.run {
            let database = try await TestPostgres.makeDatabase("instances")
            let adapters = try Self.adapters()
            try await withSimulators(database: database) { simulators in
                var instances: [ServeProcess] = []
                let homes = [TemporaryDirectory("home"), TemporaryDirectory("home")]
                for home in homes {
                    instances.append(
                        try await ServeProcess.start(
                            database: database, home: home, arguments: ["--config", adapters.path],
                            environment: simulators.adapterEnvironment.merging([
                                "CUTOVER_REDACTION_KEY": String(repeating: "ab", count: 32)
                            ]) { $1 }))
                }
                let (a, b) = (instances[0].base, instances[1].base)
                let token = try await TestPostgres.withClient(database) { client in
                    try await TokenStore(client: client, logger: TestPostgres.logger)
                        .create(name: "otto", role: .operator, actor: "test").secret
                }

                // Moves made through A are applied by B within a second (LISTEN/NOTIFY; polling is the fallback).
                for body in [
                    #"{"mode": "shadow", "reason": "parallel run"}"#,
                    #"{"mode": "canary", "percent": 100, "reason": "all keys"}"#,
                ] {
                    _ = try await admin(a, "PUT", "/admin/flows/\(Self.flow)", token: token, body: body)
                }
                let rolledBack = try await admin(
                    a, "POST", "/admin/flows/\(Self.flow)/rollback", token: token, body: #"{"reason": "drill"}"#)
                let version = try #require(rolledBack.value(at: "/version")?.scalarText.flatMap(Int64.init))
                let seenByB = try await poll(every: .milliseconds(10), for: .seconds(1)) {
                    try await applied(b, token: token) == version
                }
                #expect(seenByB, "B applies the rollback within a second")

                // Back to canary; healthy traffic through both, then the ERP fails under traffic through both.
                _ = try await admin(
                    a, "PUT", "/admin/flows/\(Self.flow)", token: token,
                    body: #"{"mode": "canary", "percent": 100, "reason": "again", "force": true}"#)
                let canary = version + 1
                #expect(try await poll(for: .seconds(5)) { try await applied(b, token: token) == canary })
                for index in 0..<6 {
                    let instance = instances[index % 2]
                    let answer = await soapCall(
                        instance.base + "/PurchaseOrderService", purchaseOrderEnvelope(requestID: "MI-OK-\(index)"))
                    #expect(answer?.status == 200)
                }
                var knobs = ERPSimulatorKnobs()
                knobs.failRate = 1
                await simulators.erp.setKnobs(knobs)
                let bases = instances.map(\.base)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (which, base) in bases.enumerated() {
                        group.addTask {
                            var index = 0
                            while try await applied(base, token: token) == canary, index < 60 {
                                let answer = await soapCall(
                                    base + "/PurchaseOrderService",
                                    purchaseOrderEnvelope(requestID: "MI-FAIL-\(which)-\(index)"))
                                #expect(answer?.status == 200, "callers are answered from legacy")
                                index += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                for base in bases {
                    #expect(try await applied(base, token: token) == canary + 1, "both apply the auto-rollback")
                }
                try await TestPostgres.withClient(database) { client in
                    let history = try await FlowStateStore(client: client, logger: TestPostgres.logger).history(
                        Self.flow)
                    #expect(history.filter { $0.actor == GuardStore.actor }.count == 1, "one auto-rollback, not two")
                    #expect(history.first?.actor == GuardStore.actor)
                    let findings = try await GuardStore(client: client, logger: TestPostgres.logger).findings(
                        flow: Self.flow)
                    #expect(findings.map(\.action) == ["rollback"])
                }
                for instance in instances {
                    #expect(try await instance.stop() == 0, "\(instance.process.stderr)")
                }
                withExtendedLifetime(homes) {}
            }
        }
    }
}
