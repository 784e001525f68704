import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverServer
import CutoverSimulators
import CutoverStore
import Foundation
import PostgresNIO

/// A facade under test: a fresh database, both simulators (legacy orders in that database), and a real
/// `cutover serve` running the shipped adapters against them.
public struct FacadeFixture: Sendable {
    public let database: DatabaseURL
    public let client: PostgresClient
    public let simulators: RunningSimulators
    public let server: CutoverServer.Running
    public static let flow = "purchase-order-create"

    public var facadeURL: String { "http://127.0.0.1:\(server.port)/PurchaseOrderService" }

    public static func run(
        erpKnobs: ERPSimulatorKnobs = ERPSimulatorKnobs(),
        configure: @escaping @Sendable (inout FlowDefinition) -> Void = { _ in },
        server configureServer: @escaping @Sendable (inout CutoverServer.Configuration) -> Void = { _ in },
        _ body: @Sendable (FacadeFixture) async throws -> Void
    ) async throws {
        try await TestGate.heavy.run {
            let database = try await TestPostgres.makeDatabase("facade")
            let home = TemporaryDirectory()
            try await withSimulators(database: database, erpKnobs: erpKnobs) { simulators in
                var flows = try shippedAdapters(environment: simulators.adapterEnvironment)
                for index in flows.indices where flows[index].flow == flow { configure(&flows[index]) }
                try await withCutoverServer(
                    flows: flows, database: database, home: home.path, configure: configureServer
                ) { server in
                    try await TestPostgres.withClient(database) { client in
                        try await body(
                            FacadeFixture(database: database, client: client, simulators: simulators, server: server))
                    }
                }
            }
        }
    }

    /// Changes the live mode the way an operator does, and waits until the server has seen it.
    public func setMode(_ setting: ModeSetting) async throws {
        let store = FlowStateStore(client: client, logger: TestPostgres.logger)
        if try await store.state(Self.flow)?.setting != setting {
            try await store.change(Self.flow, to: setting, actor: "test", reason: "test", force: true)
        }
        guard try await poll(for: .seconds(20), until: { server.modes.setting(of: Self.flow) == setting }) else {
            throw FixtureError(description: "the server did not see \(setting)")
        }
    }

    /// One call; returns the answer (status, body) and its correlation id.
    public func call(_ envelope: String, headers: [String: String] = [:]) async throws -> (
        status: Int, body: String, correlationID: String
    ) {
        guard let answer = await soapCall(facadeURL, envelope, headers: headers) else {
            throw FixtureError(description: "no answer from the facade")
        }
        return (answer.status, answer.body, answer.headers["x-correlation-id"] ?? "")
    }

    public struct Audited: Sendable {
        public var mode: String
        public var servedBy: String?
        public var routingKey: String?
        public var verdict: String?
        public var diff: String?
        public var attributes: String
    }

    /// The exchange with `correlationID` as stored, once off-path work is done and it has its verdict. Records the
    /// writer could not commit in time are spooled and committed when it drains, so this polls (up to 20 s)
    /// instead of reading once.
    public func audited(_ correlationID: String) async throws -> Audited? {
        await server.offPath.waitUntilIdle()
        var found: Audited?
        _ = try await poll(every: .milliseconds(50), for: .seconds(20)) {
            found = try await readAudited(correlationID)
            return found?.verdict != nil
        }
        return found
    }

    private func readAudited(_ correlationID: String) async throws -> Audited? {
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

    /// The environment for a `cutover` command run beside this fixture: its database, the simulators, and `home`.
    public func commandEnvironment(home: TemporaryDirectory) -> [String: String] {
        simulators.adapterEnvironment.merging([
            "DATABASE_URL": database.connectionString, "CUTOVER_HOME": home.path,
        ]) { $1 }
    }

    /// An ERP client with the flow's own credentials, as `cutover replay` builds one.
    public func erpClient() throws -> ERPClient {
        let definition = try shippedAdapters(environment: simulators.adapterEnvironment).first { $0.flow == Self.flow }
        guard let credentials = definition?.new?.auth else {
            throw FixtureError(description: "the shipped adapter has no new.auth")
        }
        return ERPClient(httpClient: .shared, credentials: credentials, logger: TestPostgres.logger)
    }

    public func count(_ sql: String) async throws -> Int {
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
public func purchaseOrderEnvelope(requestID: String, supplier: String = "SUP-1001", mrn: String = "MRN-0042") -> String
{
    PurchaseOrderTraffic.envelope(requestID: requestID, supplier: supplier, mrn: mrn)
}

/// A fixture that could not be set up as asked.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
