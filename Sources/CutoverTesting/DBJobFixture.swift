import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverSimulators
import CutoverStore
import Foundation
import PostgresNIO

/// The shipped `invoice-posting` job under test: a migrated audit database, a separate legacy finance database
/// (schema, stored procedure, `staged` invoices), and the ERP simulator.
public struct DBJobFixture: Sendable {
    public let audit: PostgresClient
    public let auditURL: DatabaseURL
    public let legacy: PostgresClient
    public let legacyURL: DatabaseURL
    public let simulators: RunningSimulators
    public let definition: FlowDefinition
    public static let flow = "invoice-posting"

    public static func run(
        staged: Int = 40, erpKnobs: ERPSimulatorKnobs = ERPSimulatorKnobs(),
        _ body: @Sendable (DBJobFixture) async throws -> Void
    ) async throws {
        let legacyURL = try await TestPostgres.makeDatabase("legacyfin")
        try await withSimulators(erpKnobs: erpKnobs) { simulators in
            try await TestPostgres.withMigratedDatabase("jobs") { audit, auditURL in
                try await TestPostgres.withClient(legacyURL) { legacy in
                    do {
                        try await LegacyFinanceSchema.prepare(legacy, stage: staged, logger: TestPostgres.logger)
                    } catch let error as PSQLError {
                        // PSQLError hides the server's message from `description`; a fixture may show it.
                        throw FixtureError(
                            description:
                                "preparing the legacy schema: \(error.serverInfo?[.message] ?? "\(error.code)")")
                    }
                    let definitions = try shippedAdapters(
                        environment: environment(simulators, legacyURL: legacyURL))
                    let definition = try definitions.first { $0.flow == flow }.unwrap("the shipped invoice-posting")
                    try await body(
                        DBJobFixture(
                            audit: audit, auditURL: auditURL, legacy: legacy, legacyURL: legacyURL,
                            simulators: simulators, definition: definition))
                }
            }
        }
    }

    public static func environment(_ simulators: RunningSimulators, legacyURL: DatabaseURL) -> [String: String] {
        simulators.adapterEnvironment.merging(["LEGACY_DATABASE_URL": legacyURL.connectionString]) { $1 }
    }

    public func runner(_ setting: ModeSetting, instance: String = "test") throws -> DBJobRunner {
        DBJobRunner(
            flow: try DBJobFlow(definition), modes: FixedModes([Self.flow: setting]),
            erp: ERPClient(httpClient: .shared, credentials: definition.new?.auth, logger: TestPostgres.logger),
            audit: DirectAuditWrite(client: audit, logger: TestPostgres.logger), client: audit,
            redactor: Redactor(key: Array(repeating: 7, count: 32)), instance: instance, logger: TestPostgres.logger)
    }

    /// Runs the job once in `setting`.
    public func run(_ setting: ModeSetting) async throws -> JobRunResult {
        try await runner(setting).run(legacy: legacy, trigger: "manual").unwrap("the job's lease was free")
    }

    /// The ERP's purchase invoices' vendor invoice numbers.
    public func erpInvoices() async -> [String] {
        await simulators.erp.entities("purchaseInvoices").compactMap {
            $0.value(at: "/vendorInvoiceNumber")?.scalarText
        }
    }

    /// Rows of a query on the legacy database, each row's columns joined with "|".
    public func legacyRows(_ sql: String) async throws -> [String] {
        try await Self.rows(legacy, sql)
    }

    public static func rows(_ client: PostgresClient, _ sql: String) async throws -> [String] {
        var rows: [String] = []
        for try await (text, ) in try await client.query(
            PostgresQuery(unsafeSQL: "SELECT row_to_json(r)::text FROM (\(sql)) r"), logger: TestPostgres.logger
        ).decode((String,).self) {
            rows.append(text)
        }
        return rows
    }
}

extension Optional {
    func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw FixtureError(description: "missing: \(what)") }
        return self
    }
}
