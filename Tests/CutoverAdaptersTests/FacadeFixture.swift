import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// A facade under test: a fresh database, both simulators (legacy orders in that database), and a real
/// `cutover serve` running the shipped adapters against them.
struct FacadeFixture: Sendable {
    let database: DatabaseURL
    let client: PostgresClient
    let simulators: RunningSimulators
    let server: CutoverServer.Running
    static let flow = "purchase-order-create"

    var facadeURL: String { "http://127.0.0.1:\(server.port)/PurchaseOrderService" }

    static func run(
        erpKnobs: ERPSimulatorKnobs = ERPSimulatorKnobs(),
        configure: @escaping @Sendable (inout FlowDefinition) -> Void = { _ in },
        _ body: @Sendable (FacadeFixture) async throws -> Void
    ) async throws {
        let database = try await TestPostgres.makeDatabase("facade")
        let home = TemporaryDirectory()
        try await withSimulators(database: database, erpKnobs: erpKnobs) { simulators in
            var flows = try shippedAdapters(environment: simulators.adapterEnvironment)
            for index in flows.indices where flows[index].flow == flow { configure(&flows[index]) }
            try await withCutoverServer(flows: flows, database: database, home: home.path) { server in
                try await TestPostgres.withClient(database) { client in
                    try await body(
                        FacadeFixture(database: database, client: client, simulators: simulators, server: server))
                }
            }
        }
    }

    /// Changes the live mode the way an operator does, and waits until the server has seen it.
    func setMode(_ setting: ModeSetting) async throws {
        let store = FlowStateStore(client: client, logger: TestPostgres.logger)
        if try await store.state(Self.flow)?.setting != setting {
            try await store.change(Self.flow, to: setting, actor: "test", reason: "test", force: true)
        }
        let seen = try await poll(for: .seconds(5)) { server.modes.setting(of: Self.flow) == setting }
        #expect(seen, "the server did not see \(setting)")
    }

    /// One call; returns the answer (status, body) and its correlation id.
    func call(_ envelope: String, headers: [String: String] = [:]) async throws -> (
        status: Int, body: String, correlationID: String
    ) {
        let answer = try #require(await soapCall(facadeURL, envelope, headers: headers))
        return (answer.status, answer.body, answer.headers["x-correlation-id"] ?? "")
    }

    struct Audited: Sendable {
        var mode: String
        var servedBy: String?
        var routingKey: String?
        var verdict: String?
        var diff: String?
        var attributes: String
    }

    /// The exchange with `correlationID` as stored, once off-path work is done.
    func audited(_ correlationID: String) async throws -> Audited? {
        await server.offPath.waitUntilIdle()
        let rows = try await client.query(
            """
            SELECT e.mode, e.served_by, e.routing_key, coalesce(c.verdict, e.verdict), c.diff::text, e.attributes::text
            FROM cutover.exchanges e LEFT JOIN cutover.comparisons c ON c.exchange_id = e.id
            WHERE e.correlation_id = \(correlationID)
            """, logger: TestPostgres.logger)
        for try await (mode, servedBy, key, verdict, diff, attributes) in rows.decode(
            (String, String?, String?, String?, String?, String).self)
        {
            return Audited(
                mode: mode, servedBy: servedBy, routingKey: key, verdict: verdict, diff: diff, attributes: attributes)
        }
        return nil
    }

    func count(_ sql: String) async throws -> Int {
        var total = 0
        for try await (count, ) in try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
            .decode((Int,).self)
        {
            total = count
        }
        return total
    }
}

/// A CreatePurchaseOrder call as materials management sends it.
func purchaseOrderEnvelope(requestID: String, supplier: String = "SUP-1001", mrn: String = "MRN-0042") -> String {
    PurchaseOrderTraffic.envelope(requestID: requestID, supplier: supplier, mrn: mrn)
}
