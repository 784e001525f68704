import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverReports
import CutoverServer
import CutoverSimulators
import CutoverStore
import Foundation
import Logging
import PostgresNIO
import UnixSignals

/// The healthcare scenario end to end, on embedded defaults: the legacy PurchaseOrderService and the cloud ERP
/// (simulated), Cutover's facade in front, and purchase orders driven through legacy → shadow → canary 25% → new
/// → rollback, with what happened at each step read back from the audit store.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the regional hospital network's migration on embedded defaults."
    )

    @Flag(help: "Leave the simulators, the facade and the dashboard running after the scenario (Ctrl-C stops).")
    var keepRunning = false
    @OptionGroup var config: ConfigOption

    static let flow = "purchase-order-create"
    /// The ERP prices one supplier's orders 0.50 higher: the parallel run must catch it.
    static let divergentSupplier = "SUP-1007"

    func run() async throws {
        let context = CLIContext(logLevel: .warning)
        let step = DemoNarrator()
        step.phase("Loading the adapters in \(config.directory)/")
        _ = try context.loadAdapters(config.directory)
        step.phase(
            "Starting the audit store (\(context.environment["DATABASE_URL"] == nil ? "embedded PostgreSQL under \(context.home)/postgres" : "DATABASE_URL"))"
        )
        let (url, release) = try context.resolveDatabase()
        defer { release() }
        step.say("PostgreSQL at \(url)")
        var erpKnobs = ERPSimulatorKnobs()
        erpKnobs.divergences = ["totalAmountIncludingTax": "+0.50"]
        erpKnobs.divergeVendors = [Self.divergentSupplier]
        let redactionKey = try context.redactionKey()
        let logger = context.logger
        let directory = config.directory
        try await withSimulators(database: url, erpKnobs: erpKnobs, logger: logger) { simulators in
            step.phase("Starting the simulated legacy PurchaseOrderService and cloud ERP")
            step.say(
                "legacy SOAP service  \(simulators.legacyURL)\(LegacySOAPSimulator.path) (orders in schema legacy_po)")
            step.say("cloud ERP (BC v2.0)  \(simulators.erpURL)/api/v2.0, prices \(Self.divergentSupplier) 0.50 higher")
            // The pharmacy's drop folder and the legacy ERP's inbox live under the demo's home unless set.
            // The legacy finance database of the invoice job is the demo's own PostgreSQL (schema `legacy`).
            let folders = [
                "DROP_DIR": context.home + "/drop", "LEGACY_DIR": context.home + "/legacy",
                "LEGACY_DATABASE_URL": url.connectionString,
            ]
            let flows = try AdapterLoader(
                environment: folders.merging(context.environment) { $1 }.merging(simulators.adapterEnvironment) { $1 }
            )
            .load(directory: directory)
            let server = CutoverServer(
                configuration: .init(
                    host: "127.0.0.1", port: 0, database: url, home: context.home, flows: flows,
                    redactionKey: redactionKey),
                logger: logger)
            try await server.withRunning { running in
                step.say("Cutover's facade     http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)")
                try await PostgresClient.withClient(url, logger: context.quietPoolLogger) { client in
                    let scenario = DemoScenario(
                        step: step, definitions: flows, running: running, simulators: simulators, client: client,
                        redactionKey: redactionKey, logger: logger)
                    let started = Date()
                    try await scenario.play()
                    let report = try await scenario.writeReport(since: started, home: context.home)
                    step.phase("Summary")
                    step.say("report: \(report)")
                    step.say("three flows moved legacy → shadow → canary → new and rolled back; every exchange audited")
                    if keepRunning {
                        let token = try await TokenStore(client: client, logger: logger).create(
                            name: "demo-\(Int(started.timeIntervalSince1970))", role: .admin, actor: "demo"
                        ).secret
                        step.say("dashboard: http://127.0.0.1:\(running.port)/  (sign in with token \(token))")
                        step.say("facade:    http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)")
                        step.say("running until Ctrl-C")
                        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
                    }
                }
            }
        }
        step.done("Demo finished. Next: cutover flow list, cutover flow history \(Self.flow), cutover sim")
    }
}

/// The phases of the demo, each driven through the real facade and read back from the audit store.
struct DemoScenario: Sendable {
    let step: DemoNarrator
    let definitions: [FlowDefinition]
    let running: CutoverServer.Running
    let simulators: RunningSimulators
    let client: PostgresClient
    let redactionKey: [UInt8]
    let logger: Logger
    var flow: String { DemoCommand.flow }

    /// The parallel-run report of every flow since the demo started, as one page at `home/report/index.html`.
    func writeReport(since: Date, home: String) async throws -> String {
        let builder = ReportBuilder(client: client, logger: logger)
        var bodies: [String] = []
        for definition in definitions {
            let report = try await builder.build(
                flow: definition.flow, since: since.addingTimeInterval(-60),
                minimumExchanges: definition.rollout.promoteWhen?.minimumExchanges,
                minimumMatchRate: definition.rollout.promoteWhen?.minimumMatchRate)
            bodies.append("<section>\n\(ReportHTML.body(report))</section>")
        }
        let directory = home + "/report"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/index.html"
        try ReportHTML.page(title: "Cutover demo: parallel-run report", body: bodies.joined(separator: "\n<hr>\n"))
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func play() async throws {
        let store = FlowStateStore(client: client, logger: logger)
        for flow in [flow, DemoFileDrops.flow, DemoInvoiceJob.flow]
        where try await store.state(flow).map({ $0.setting != .legacy }) ?? false {
            try await store.rollback(flow, actor: "demo", reason: "demo starts from legacy")
            try await waitForMode(.legacy, flow: flow)
        }
        let http = HTTPClient.cutover()
        do {
            try await phases(
                store: store,
                traffic: PurchaseOrderTraffic(
                    httpClient: http, url: "http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)"))
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        step.phase("Flows")
        print(
            TableFormat.render(
                header: ["FLOW", "MODE", "VERSION", "BY", "REASON"],
                rows: try await store.all().map {
                    [$0.flow, $0.setting.description, String($0.version), $0.changedBy, $0.reason]
                }))
        step.phase("History of \(flow)")
        print(FlowHistory.render(try await store.history(flow, limit: 10)))
    }

    private func phases(store: FlowStateStore, traffic: PurchaseOrderTraffic) async throws {
        let suppliers = SimulatorCatalog.suppliers.map(\.number)
        let started = Date()
        let run = String(Int(started.timeIntervalSince1970))

        let drops = try definitions.first { $0.flow == DemoFileDrops.flow }.map {
            DemoFileDrops(flow: try FileDropFlow($0), step: step, run: run)
        }
        let jobs = try definitions.first { $0.flow == DemoInvoiceJob.flow }.map {
            DemoInvoiceJob(
                runner: DBJobRunner(
                    flow: try DBJobFlow($0), modes: running.modes,
                    erp: $0.new.map { ERPClient(httpClient: .shared, credentials: $0.auth, logger: logger) },
                    audit: DirectAuditWrite(client: client, logger: logger), client: client,
                    redactor: Redactor(key: redactionKey), instance: "demo", logger: logger),
                definition: $0, client: client, step: step, run: run, logger: logger)
        }
        try await jobs?.prepare()

        step.phase("legacy: Cutover is a transparent, audited wrapper")
        try await drive(traffic, suppliers, tag: "\(run)-L")
        try await drops?.drop("legacy", records: 240)
        try await jobs?.post("legacy", invoices: 30)

        step.phase("shadow: legacy answers; the ERP gets the same orders off the callers' path")
        try await change(store, ModeSetting(mode: .shadow), "start the parallel run")
        try await drive(traffic, suppliers + suppliers, tag: "\(run)-S")
        try await change(store, ModeSetting(mode: .shadow), "start the parallel run", flow: DemoFileDrops.flow)
        try await drops?.drop("shadow", records: 240)
        try await drops?.drop("legacy", records: 240, again: true)
        try await change(store, ModeSetting(mode: .shadow), "start the parallel run", flow: DemoInvoiceJob.flow)
        try await jobs?.post("shadow", invoices: 30)

        step.phase("canary 25%: a stable quarter of suppliers is served by the ERP")
        try await change(store, ModeSetting(mode: .canary, percent: 25), "first suppliers on the ERP")
        try await drive(traffic, suppliers + suppliers, tag: "\(run)-C")
        try await change(
            store, ModeSetting(mode: .canary, percent: 25), "first sites on the ERP", flow: DemoFileDrops.flow)
        try await drops?.drop("canary", records: 240)
        try await change(
            store, ModeSetting(mode: .canary, percent: 25), "first vendors on the ERP", flow: DemoInvoiceJob.flow)
        try await jobs?.post("canary", invoices: 30)

        step.phase("new: the ERP answers every call, rendered as the legacy answer")
        let readiness = try await ReadinessCheck.assess(
            [flow], definitions: definitions, since: started, client: client, logger: logger)[0]
        step.say(
            "readiness: \(readiness.compared) compared, match rate "
                + (readiness.matchRate.map(ReadinessAssessment.percent) ?? "-") + ": "
                + (readiness.passes ? "ready" : "not ready (\(readiness.reasons.joined(separator: "; ")))"))
        try await change(
            store, ModeSetting(mode: .new), "all suppliers on the ERP (demo: forced past promote_when)", force: true,
            figures: readiness.figures.text)
        let legacyCalls = simulators.legacy.calls
        try await drive(traffic, suppliers, tag: "\(run)-N")
        step.say("legacy service calls during this phase: \(simulators.legacy.calls - legacyCalls)")
        try await change(
            store, ModeSetting(mode: .new), "every site on the ERP (demo: forced past promote_when)", force: true,
            flow: DemoFileDrops.flow)
        try await drops?.drop("new", records: 240)
        try await change(
            store, ModeSetting(mode: .new), "every vendor on the ERP (demo: forced past promote_when)", force: true,
            flow: DemoInvoiceJob.flow)
        try await jobs?.post("new", invoices: 30)

        step.phase("rollback: one command, every instance back on legacy within a second")
        let rollback = try await store.rollback(flow, actor: "demo", reason: "demo rollback drill")
        try await waitForMode(.legacy)
        step.say("\(rollback.from?.description ?? "-") → \(rollback.to), version \(rollback.version)")
        try await drive(traffic, Array(suppliers.prefix(4)), tag: "\(run)-R")
        if let drops {
            try await store.rollback(DemoFileDrops.flow, actor: "demo", reason: "demo rollback drill")
            try await waitForMode(.legacy, flow: DemoFileDrops.flow)
            try await drops.drop("rollback", records: 120)
        }
        if let jobs {
            try await store.rollback(DemoInvoiceJob.flow, actor: "demo", reason: "demo rollback drill")
            try await waitForMode(.legacy, flow: DemoInvoiceJob.flow)
            try await jobs.post("rollback", invoices: 10)
            try await jobs.reconcile(since: started)
        }

        step.phase("Refused: a forward skip needs --force")
        do {
            try await store.change(flow, to: ModeSetting(mode: .new), actor: "demo", reason: "skip ahead")
        } catch let error as FlowStateError {
            step.say("legacy → new refused: \(error.message)")
        }
    }

    private func change(
        _ store: FlowStateStore, _ setting: ModeSetting, _ reason: String, force: Bool = false, figures: String? = nil,
        flow: String = DemoCommand.flow
    ) async throws {
        guard definitions.contains(where: { $0.flow == flow }) else { return }
        let change = try await store.change(
            flow, to: setting, actor: "demo", reason: reason, force: force, figures: figures)
        try await waitForMode(setting, flow: flow)
        step.say("\(flow): \(change.from?.description ?? "-") → \(change.to), version \(change.version): \(reason)")
    }

    /// Waits (polling the server's own view, at most 5 s) until the server runs `flow` in `setting`.
    private func waitForMode(_ setting: ModeSetting, flow: String = DemoCommand.flow) async throws {
        let end = ContinuousClock.now + .seconds(5)
        while running.modes.setting(of: flow) != setting, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Sends one order per supplier listed, then reports what the callers got and what the audit store holds.
    private func drive(_ traffic: PurchaseOrderTraffic, _ suppliers: [String], tag: String) async throws {
        let since = Date()
        let calls = suppliers.enumerated().map { (requestID: "MM-\(tag)-\($0.offset + 1)", supplier: $0.element) }
        let answers = await traffic.send(calls)
        await running.offPath.waitUntilIdle()
        let ok = answers.filter { $0.status == 200 }.count
        let totals = Dictionary(grouping: answers.compactMap(\.total), by: { $0 }).mapValues(\.count)
        step.say(
            "\(answers.count) purchase orders sent, \(ok) answered 200; totals seen: "
                + totals.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        let audit = AuditQueries(client: client, logger: logger)
        let tallies = try await audit.tally(flow: flow, since: since).filter { $0.mode != "" }
        for tally in tallies {
            step.say(
                "audit: \(tally.count) in \(tally.mode), served by \(tally.servedBy ?? "nobody"), verdict \(tally.verdict ?? "pending")"
            )
        }
        for mismatch in try await audit.mismatches(flow: flow, since: since, limit: 2) {
            let fields = mismatch.diff.map { "\($0.path): legacy \($0.legacy ?? "-") vs new \($0.new ?? "-")" }
            step.say("mismatch on \(mismatch.routingKey ?? "?"): \(fields.joined(separator: "; "))")
        }
    }
}

/// Prints the demo's phases so a person can follow them.
struct DemoNarrator: Sendable {
    func phase(_ text: String) { print("\n==> \(text)") }
    func say(_ text: String) { print("    \(text)") }
    func done(_ text: String) { print("\n\(text)") }
}

/// The pharmacy's nightly stock export in the demo: a file dropped (with its done marker) into the flow's folder
/// at each phase, taken by `serve`'s watcher, and its result read back.
struct DemoFileDrops: Sendable {
    static let flow = "pharmacy-stock-export"
    let flow: FileDropFlow
    let step: DemoNarrator
    let run: String

    static let sites = [
        "NORTH-ICU", "NORTH-ED", "SOUTH-MAIN", "EAST-ONC", "WEST-PEDS", "CENTRAL-PHARM", "RIVER-CLINIC",
    ]
    static let uoms = ["EA", "BX", "VL"]

    /// Drops a stock file of `records` records named for `phase` (`again`: the same bytes as that phase's first
    /// drop, under another name) and reports what became of it.
    func drop(_ phase: String, records: Int, again: Bool = false) async throws {
        var text = "site,ndc,qty_on_hand,uom\n"
        let seed = phase.unicodeScalars.reduce(0) { $0 * 31 + Int($1.value) } % 10_000
        for number in 1...records {
            let ndc = String(format: "%05d-%04d-%02d", (number * 37 + seed) % 99_999, number % 9999, number % 99)
            text += "\(Self.sites[number % Self.sites.count]),\(ndc),\(number % 400).\(number % 10),"
            text += "\(Self.uoms[number % Self.uoms.count])\n"
        }
        let name = "STOCK_\(run)_\(phase)\(again ? "_resent" : "").csv"
        let path = flow.watch.directory + "/" + name
        try FileManager.default.createDirectory(atPath: flow.watch.directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if let marker = flow.watch.doneMarker {
            try Data().write(to: URL(fileURLWithPath: path + marker))
        }
        let resultPath = flow.doneDirectory + "/" + name + ".result.json"
        let failedPath = flow.failedDirectory + "/" + name + ".result.json"
        let end = ContinuousClock.now + .seconds(60)
        var result: FileResult?
        while result == nil, ContinuousClock.now < end {
            for candidate in [resultPath, failedPath] {
                if let data = FileManager.default.contents(atPath: candidate) {
                    result = FileResult.decode(String(decoding: data, as: UTF8.self))
                }
            }
            if result == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let result else {
            step.say("\(Self.flow): \(name) was not processed within 60 s")
            return
        }
        var told = "\(Self.flow): \(name), \(result.recordsSeen) records in \(result.mode)"
        if result.duplicate {
            told =
                "\(Self.flow): \(name) has the same bytes as \(result.duplicateOf ?? "an earlier file"): "
                + "recorded as a duplicate, nothing delivered or sent again"
        } else if let error = result.error {
            told += ": refused, \(error)"
        } else {
            told += ": \(result.deliveredToLegacy) to the legacy inbox, \(result.sent) to the ERP"
            if result.compared > 0 { told += ", \(result.compared) compared, \(result.mismatches) mismatches" }
            if result.failed > 0 { told += ", \(result.failed) failed" }
        }
        step.say(told)
    }
}

/// The accounts-payable job in the demo: invoices staged in the legacy finance schema at each phase, the job run
/// once by the flow's mode, and at the end a reconciliation of what legacy posted against what the ERP holds.
struct DemoInvoiceJob: Sendable {
    static let flow = "invoice-posting"
    let runner: DBJobRunner
    let definition: FlowDefinition
    let client: PostgresClient
    let step: DemoNarrator
    let run: String
    let logger: Logger

    func prepare() async throws {
        try await LegacyFinanceSchema.prepare(client, stage: 0, logger: logger)
    }

    func post(_ phase: String, invoices: Int) async throws {
        let first = ["legacy": 1, "shadow": 101, "canary": 201, "new": 301, "rollback": 401][phase] ?? 501
        try await LegacyFinanceSchema.prepare(
            client, stage: invoices, first: first, prefix: "INV-\(run)-", logger: logger)
        guard let result = try await runner.run(legacy: client, trigger: "manual") else {
            step.say("\(Self.flow): the job is running elsewhere; skipped")
            return
        }
        var told = "\(Self.flow): \(invoices) invoices staged, job run in \(result.mode): "
        told += result.legacyRan ? "the legacy procedure ran" : "the legacy procedure did not run"
        if result.filtered > 0 { told += " (skipping the \(result.filtered) rows listed for the ERP)" }
        if result.sent > 0 || result.rowsSeen > 0 { told += ", \(result.sent) of \(result.rowsSeen) rows to the ERP" }
        if result.compared > 0 { told += ", \(result.compared) compared, \(result.mismatches) mismatches" }
        if result.failed > 0 { told += ", \(result.failed) failed" }
        step.say(told)
    }

    func reconcile(since: Date) async throws {
        guard let reconcile = definition.reconcile else { return }
        step.phase("Reconciliation of \(Self.flow): legacy's posted invoices against the ERP's, by invoice number")
        let reconciler = Reconciler(
            flow: Self.flow, definition: reconcile,
            erp: ERPClient(httpClient: .shared, credentials: definition.new?.auth, logger: logger), logger: logger)
        let result = try await reconciler.run(legacy: client, since: Calendar.current.startOfDay(for: since))
        try await ReconciliationStore(client: client, logger: logger).save(result)
        step.say(
            "legacy \(result.legacyCount) posted, ERP \(result.newCount) invoices (\(result.pages) pages): "
                + "\(result.onlyInLegacy.count) only in legacy (posted while legacy ran the job alone), "
                + "\(result.onlyInNew.count) only in the ERP (sent while the ERP had them alone), "
                + "\(result.changed.count) changed")
        for (name, totals) in result.totals.sorted(by: { $0.key < $1.key }) {
            step.say("\(name): legacy \(totals.legacy), ERP \(totals.new)")
        }
    }
}
