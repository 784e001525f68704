import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverSimulators
import CutoverStore
import Foundation
import PostgresNIO

/// A file-drop flow under test: a fresh migrated database, the ERP simulator, and the flow's folders under a
/// temporary root. Files are put through the same processor the watcher uses.
public struct FileDropFixture: Sendable {
    public let database: DatabaseURL
    public let client: PostgresClient
    public let simulators: RunningSimulators
    public let root: TemporaryDirectory
    public let definition: FlowDefinition
    public let flow: FileDropFlow
    public static let name = "stock-test"

    public static let csvFormat = """
          type: csv
          delimiter: ","
          header: true
          encoding: utf-8
          columns:
            site: { type: string }
            ndc: { type: string }
            qty_on_hand: { type: decimal }
            uom: { type: string }
        """

    /// The flow's YAML with its folders under `root`: `format` is the indented body of `format:`, `pattern` the
    /// watched pattern, `watch` extra watch keys.
    public static func adapterYAML(
        root: String, format: String = csvFormat, pattern: String = "STOCK_*.csv", stableForMilliseconds: Int = 300,
        watch: String = "", batchSize: Int = 10, extra: String = ""
    ) -> String {
        """
        flow: \(name)
        kind: file-drop
        mode: legacy
        watch:
          directory: "\(root)/drop/outbound"
          pattern: "\(pattern)"
          stable_for_ms: \(stableForMilliseconds)
          min_age_ms: 0
          poll_interval_ms: 50
          lease_ms: 3000
        \(watch)
        legacy:
          inbox: "\(root)/legacy/inbound"
        format:
        \(format)
        routing_key: site
        new:
          method: POST
          url: "${ERP_BASE_URL}/companies(hospital-network)/itemLedgerEntries"
          auth: { token_url: "${ERP_TOKEN_URL}", client_id: cutover-demo, client_secret: demo-secret-not-for-production }
          idempotency_key: "{file_sha256}:{record_number}"
          batch_size: \(batchSize)
          circuit_breaker: { failures: 1000, open_for: 1s }
          body: { locationCode: site, itemNumber: ndc, quantity: { path: qty_on_hand, type: decimal }, unitOfMeasureCode: uom }
        compare:
          fields:
            item: { legacy: ndc, new: /itemNumber }
            quantity: { legacy: qty_on_hand, new: /quantity, type: decimal, tolerance: 0.001 }
        \(extra)
        """
    }

    public static func run(
        format: String = csvFormat, pattern: String = "STOCK_*.csv", stableForMilliseconds: Int = 300,
        watch: String = "", batchSize: Int = 10, extra: String = "", erpKnobs: ERPSimulatorKnobs = ERPSimulatorKnobs(),
        _ body: @Sendable (FileDropFixture) async throws -> Void
    ) async throws {
        let root = TemporaryDirectory("filedrop")
        try await withSimulators(erpKnobs: erpKnobs) { simulators in
            let yaml = adapterYAML(
                root: root.path, format: format, pattern: pattern, stableForMilliseconds: stableForMilliseconds,
                watch: watch, batchSize: batchSize, extra: extra)
            root.write("adapters/\(name).yaml", yaml)
            let definitions = try AdapterLoader(environment: simulators.adapterEnvironment).load(
                directory: root.file("adapters"))
            let definition = definitions[0]
            let flow = try FileDropFlow(definition)
            try flow.createDirectories()
            try await TestPostgres.withMigratedDatabase("filedrop") { client, database in
                try await body(
                    FileDropFixture(
                        database: database, client: client, simulators: simulators, root: root, definition: definition,
                        flow: flow))
            }
        }
    }

    /// A processor of the fixture's flow (or of `flow`, a variant of it) in `setting`.
    public func processor(_ setting: ModeSetting, concurrency: Int = 16, flow: FileDropFlow? = nil)
        -> FileDropProcessor
    {
        FileDropProcessor(
            flow: flow ?? self.flow, modes: FixedModes([Self.name: setting]),
            erp: ERPClient(httpClient: .shared, credentials: definition.new?.auth, logger: TestPostgres.logger),
            audit: DirectAuditWrite(client: client, logger: TestPostgres.logger),
            claims: FileClaimStore(client: client, logger: TestPostgres.logger),
            redactor: Redactor(key: Array(repeating: 7, count: 32)), instance: "test", concurrency: concurrency,
            logger: TestPostgres.logger)
    }

    /// Writes a file into the watched folder.
    @discardableResult
    public func drop(_ name: String, _ bytes: [UInt8]) -> String {
        let path = flow.watch.directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Drops `bytes` as `name`, takes it as the watcher would and processes it in `setting` (with `processor` when
    /// given, whose mode then rules).
    public func process(
        _ name: String, _ bytes: [UInt8], _ setting: ModeSetting, concurrency: Int = 16,
        processor given: FileDropProcessor? = nil
    ) async throws -> FileResult? {
        drop(name, bytes)
        let processing = flow.processingDirectory + "/" + name
        try FileManager.default.moveItem(atPath: flow.watch.directory + "/" + name, toPath: processing)
        return try await (given ?? processor(setting, concurrency: concurrency)).process(processing)
    }

    /// The files in a folder (hidden ones too), name → bytes.
    public func files(_ directory: String) -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            found[name] = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))) ?? []
        }
        return found
    }

    /// The ERP's item ledger entries.
    public func ledger() async -> [JSONValue] {
        await simulators.erp.entities("itemLedgerEntries")
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

    /// A stock CSV with `count` records over four sites: `STOCK` lines `site,ndc,qty,uom`.
    public static func stockCSV(_ count: Int, start: Int = 1, lineEnd: String = "\n") -> [UInt8] {
        let sites = ["NORTH", "SOUTH", "EAST", "WEST"]
        var text = "site,ndc,qty_on_hand,uom" + lineEnd
        for number in start..<(start + count) {
            text +=
                "\(sites[number % 4]),\(String(format: "%05d-%04d-%02d", number % 99_999, number % 9999, number % 99)),"
            text += "\(number % 500).\(number % 10),EA" + lineEnd
        }
        return Array(text.utf8)
    }
}
