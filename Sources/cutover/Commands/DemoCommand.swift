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

/// The healthcare scenario end to end, on embedded defaults: the legacy PurchaseOrderService, the pharmacy's drop
/// folder, the legacy finance database and the cloud ERP (all simulated), Cutover's `serve` in front, and three flows
/// taken legacy → shadow (a mapping bug caught) → the fix and a replay → canary → an ERP incident and its
/// auto-rollback → recovery → new, with what happened at each step read back from the audit store.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the regional hospital network's migration on embedded defaults."
    )

    @Flag(help: "Leave the simulators, the facade and the dashboard running after the scenario (Ctrl-C stops).")
    var keepRunning = false
    @OptionGroup var config: ConfigOption

    static let flow = "purchase-order-create"

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
        let redactionKey = try context.redactionKey()
        let (logger, directory, home, keepRunning) = (context.logger, config.directory, context.home, keepRunning)
        try await withSimulators(database: url, erpKnobs: ERPSimulatorKnobs(), logger: logger) { simulators in
            step.phase("Starting the simulated legacy PurchaseOrderService and cloud ERP")
            step.say(
                "legacy SOAP service  \(simulators.legacyURL)\(LegacySOAPSimulator.path) (orders in schema legacy_po)")
            step.say("cloud ERP (BC v2.0)  \(simulators.erpURL)/api/v2.0")
            // The pharmacy's drop folder and the legacy ERP's inbox live under the demo's home unless set.
            // The legacy finance database of the invoice job is the demo's own PostgreSQL (schema `legacy`).
            let folders = [
                "DROP_DIR": home + "/drop", "LEGACY_DIR": home + "/legacy", "LEGACY_DATABASE_URL": url.connectionString,
            ]
            let loader = AdapterLoader(
                environment: folders.merging(context.environment) { $1 }.merging(simulators.adapterEnvironment) { $1 })
            let shipped = try loader.load(directory: directory)
            let bug = DemoMappingBug.plant(in: shipped, directory: directory, home: home, loader: loader)
            try await PostgresClient.withClient(url, logger: context.quietPoolLogger) { client in
                let demo = DemoRun(
                    step: step, simulators: simulators, client: client, url: url, home: home,
                    redactionKey: redactionKey, logger: logger, started: Date())
                // First deployment: the adapters as first written (the purchase-order mapping with its bug).
                try await demo.serving(bug?.definitions ?? shipped) { try await $0.untilTheFix(bug: bug) }
                // The fixed adapter deployed: serve restarted on the shipped adapters.
                try await demo.serving(shipped) { scenario in
                    try await scenario.fromTheFix(bug: bug)
                    let report = try await scenario.writeReport(home: home)
                    step.phase("Summary")
                    step.say("report: \(report)")
                    step.say(
                        "three flows moved legacy → shadow → canary → new; a mapping bug caught in shadow and its fix "
                            + "proven by replay; an ERP incident rolled back by the guard; every exchange audited")
                    if keepRunning { try await scenario.keepRunning() }
                }
            }
        }
        step.done("Demo finished. Next: cutover flow list, cutover flow history \(Self.flow), cutover sim")
    }
}

/// The demo's mapping bug, planted on purpose: the purchase-order adapter as first written maps the unit of measure
/// `BX` (box) to the ERP's `EACH`, so the ERP prices a box of gloves as one glove. The shipped adapter is the fix.
struct DemoMappingBug: Sendable {
    /// The shipped adapters with the purchase-order flow replaced by its first draft.
    let definitions: [FlowDefinition]
    /// Where the first draft was written.
    let path: String
    static let shippedLine = "map: { BX: BOX, EA: EACH }"
    static let buggyLine = "map: { BX: EACH, EA: EACH }"

    /// Writes the first draft under `home/first-draft/` (the shipped adapter with one mapping line changed, its
    /// templates beside it) and loads it; nil when the adapter in `directory` no longer has the line to change.
    static func plant(in shipped: [FlowDefinition], directory: String, home: String, loader: AdapterLoader)
        -> DemoMappingBug?
    {
        let name = DemoCommand.flow + ".yaml"
        guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8),
            text.contains(shippedLine)
        else { return nil }
        let draft = home + "/first-draft"
        let manager = FileManager.default
        try? manager.removeItem(atPath: draft)
        do {
            try manager.createDirectory(atPath: draft, withIntermediateDirectories: true)
            if manager.fileExists(atPath: directory + "/templates") {
                try manager.copyItem(atPath: directory + "/templates", toPath: draft + "/templates")
            }
            try text.replacingOccurrences(of: shippedLine, with: buggyLine)
                .write(toFile: draft + "/" + name, atomically: true, encoding: .utf8)
        } catch {
            return nil
        }
        let (loaded, diagnostics) = loader.loadFile(draft + "/" + name)
        guard let loaded, diagnostics.isEmpty else { return nil }
        return DemoMappingBug(
            definitions: shipped.map { $0.flow == DemoCommand.flow ? loaded : $0 }, path: draft + "/" + name)
    }
}

/// What both of the demo's deployments share.
struct DemoRun: Sendable {
    let step: DemoNarrator
    let simulators: RunningSimulators
    let client: PostgresClient
    let url: DatabaseURL
    let home: String
    let redactionKey: [UInt8]
    let logger: Logger
    let started: Date
    var tag: String { String(Int(started.timeIntervalSince1970)) }

    /// Runs `serve` on `definitions` for as long as `body` plays.
    func serving(
        _ definitions: [FlowDefinition], _ body: @Sendable (DemoScenario) async throws -> Void
    ) async throws {
        let server = CutoverServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, database: url, home: home, flows: definitions,
                redactionKey: redactionKey),
            logger: logger)
        try await server.withRunning { running in
            step.say("Cutover's facade     http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)")
            let http = HTTPClient.cutover()
            let scenario = DemoScenario(
                demo: self, definitions: definitions, running: running,
                traffic: PurchaseOrderTraffic(
                    httpClient: http, url: "http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)"))
            let outcome: Result<Void, any Error>
            do {
                try await body(scenario)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try? await http.shutdown()
            try outcome.get()
        }
    }
}

/// The phases of the demo on one deployment, each driven through the real `serve` and read back from the audit
/// store.
struct DemoScenario: Sendable {
    let demo: DemoRun
    let definitions: [FlowDefinition]
    let running: CutoverServer.Running
    let traffic: PurchaseOrderTraffic
    var flow: String { DemoCommand.flow }
    var step: DemoNarrator { demo.step }
    var client: PostgresClient { demo.client }
    var logger: Logger { demo.logger }
    var store: FlowStateStore { FlowStateStore(client: client, logger: logger) }

    /// Suppliers whose orders carry a line in boxes (BX): gloves or gauze. The others order by the each.
    static func ordersBoxes(_ supplier: String) -> Bool {
        (Int(supplier.suffix(1)) ?? 0) % 2 == 1
    }

    /// The parallel-run report of every flow since the demo started, as one page at `home/report/index.html`.
    func writeReport(home: String) async throws -> String {
        let builder = ReportBuilder(client: client, logger: logger)
        var bodies: [String] = []
        // The purchase orders first: they carry the story (the mapping bug, the incident); then the others.
        for definition in definitions.sorted(by: {
            ($0.flow != flow ? 1 : 0, $0.flow) < ($1.flow != flow ? 1 : 0, $1.flow)
        }) {
            let report = try await builder.build(
                flow: definition.flow, since: demo.started.addingTimeInterval(-10),
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

    /// `--keep-running`: the dashboard and the facade stay up, with an admin token to sign in, until Ctrl-C.
    func keepRunning() async throws {
        let token = try await TokenStore(client: client, logger: logger).create(
            name: "demo-\(demo.tag)", role: .admin, actor: "demo"
        ).secret
        step.say("dashboard: http://127.0.0.1:\(running.port)/  (sign in with token \(token))")
        step.say("facade:    http://127.0.0.1:\(running.port)\(LegacySOAPSimulator.path)")
        step.say("running until Ctrl-C")
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
    }

    var drops: DemoFileDrops? {
        get throws {
            try definitions.first { $0.flow == DemoFileDrops.flow }.map {
                DemoFileDrops(flow: try FileDropFlow($0), step: step, run: demo.tag)
            }
        }
    }

    var jobs: DemoInvoiceJob? {
        get throws {
            try definitions.first { $0.flow == DemoInvoiceJob.flow }.map {
                DemoInvoiceJob(
                    runner: DBJobRunner(
                        flow: try DBJobFlow($0), modes: running.modes,
                        erp: $0.new.map { ERPClient(httpClient: .shared, credentials: $0.auth, logger: logger) },
                        audit: DirectAuditWrite(client: client, logger: logger), client: client,
                        redactor: Redactor(key: demo.redactionKey), instance: "demo", logger: logger),
                    definition: $0, client: client, step: step, run: demo.tag, logger: logger)
            }
        }
    }

    /// Legacy, then shadow, where the first draft's mapping bug shows as mismatches.
    func untilTheFix(bug: DemoMappingBug?) async throws {
        for flow in [flow, DemoFileDrops.flow, DemoInvoiceJob.flow]
        where try await store.state(flow).map({ $0.setting != .legacy }) ?? false {
            try await store.rollback(flow, actor: "demo", reason: "demo starts from legacy")
            try await waitForMode(.legacy, flow: flow)
        }
        let (drops, jobs) = (try drops, try jobs)
        try await jobs?.prepare()

        step.phase("legacy: Cutover is a transparent, audited wrapper")
        try await drive(orders(12, "L"))
        try await drops?.drop("legacy", records: 240)
        try await jobs?.post("legacy", invoices: 30)

        step.phase("shadow: legacy answers; the ERP gets the same orders off the callers' path")
        if let bug {
            step.say("the purchase-order mapping as first written (\(bug.path)):")
            step.say("  unitOfMeasureCode: { path: \"po:Uom\", \(DemoMappingBug.buggyLine) }")
        }
        try await change(ModeSetting(mode: .shadow), "start the parallel run")
        let shadowStarted = Date()
        try await drive(orders(24, "S"))
        if bug != nil { try await diagnose(since: shadowStarted) }
        try await change(ModeSetting(mode: .shadow), "start the parallel run", flow: DemoFileDrops.flow)
        try await drops?.drop("shadow", records: 240)
        try await drops?.drop("legacy", records: 240, again: true)
        try await change(ModeSetting(mode: .shadow), "start the parallel run", flow: DemoInvoiceJob.flow)
        try await jobs?.post("shadow", invoices: 30)
    }

    /// Reads the shadow's mismatches back and says what they have in common.
    private func diagnose(since: Date) async throws {
        let audit = AuditQueries(client: client, logger: logger)
        let mismatches = try await audit.mismatches(flow: flow, since: since, limit: 1_000)
        let suppliers = Set(mismatches.compactMap(\.routingKey))
        let fields = Set(mismatches.flatMap { $0.diff.map(\.path) })
        let boxed = suppliers.filter(Self.ordersBoxes)
        // Said only as far as the audit store shows it: every supplier concerned orders boxes, or not.
        let pattern =
            boxed.count == suppliers.count
            ? "all \(suppliers.count) suppliers concerned order in boxes (BX), and no order without a box mismatched: "
                + "the ERP priced boxed items by the piece. The mapping sends BX as EACH."
            : "\(boxed.count) of the \(suppliers.count) suppliers concerned order in boxes (BX)."
        step.say(
            "diagnosis: \(mismatches.count) mismatches, on \(fields.sorted().joined(separator: ", ")) only; " + pattern)
    }

    /// The fix deployed and proven by replay; canary; an ERP incident and the auto-rollback; recovery; new.
    func fromTheFix(bug: DemoMappingBug?) async throws {
        let (drops, jobs) = (try drops, try jobs)
        if bug != nil, let definition = definitions.first(where: { $0.flow == flow }), let new = definition.new {
            step.phase("the fix: BX maps to BOX; serve redeployed; the shadow's mismatches replayed")
            step.say("  unitOfMeasureCode: { path: \"po:Uom\", \(DemoMappingBug.shippedLine) }  (the shipped adapter)")
            let calls = try await AuditQueries(client: client, logger: logger).recordedCalls(
                .init(flow: flow, verdict: .mismatch, since: demo.started, limit: 1_000))
            let summary = try await SOAPReplay(
                flow: try SOAPFlow(definition),
                erp: ERPClient(httpClient: .shared, credentials: new.auth, logger: logger),
                audit: DirectAuditWrite(client: client, logger: logger)
            ).replay(calls)
            let verdicts = summary.verdicts.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
            step.say("replay (cutover replay \(flow) --verdict mismatch): \(summary.replayed) replayed: \(verdicts)")
            for (change, count) in summary.changes.sorted(by: { $0.key < $1.key }) {
                step.say("  \(count) × \(change)")
            }
            step.say("fresh shadow traffic on the fixed mapping:")
            try await drive(orders(24, "F"))
        }

        step.phase("canary 25%: a stable quarter of suppliers is served by the ERP")
        try await change(ModeSetting(mode: .canary, percent: 25), "first suppliers on the ERP")
        try await drive(orders(24, "C"))
        try await change(ModeSetting(mode: .canary, percent: 25), "first sites on the ERP", flow: DemoFileDrops.flow)
        try await drops?.drop("canary", records: 240)
        try await change(
            ModeSetting(mode: .canary, percent: 25), "first vendors on the ERP", flow: DemoInvoiceJob.flow)
        try await jobs?.post("canary", invoices: 30)

        try await incident(drops)

        step.phase("recovery: the ERP is back; the on-call engineer steps the flows up again")
        await demo.simulators.erp.setKnobs(ERPSimulatorKnobs())
        let recovered = Date()
        step.say("ERP healthy again (the incident's errors stopped)")
        try await replayDeadLetters()
        try await waitForCircuits()
        for (name, reason) in [
            (flow, "ERP incident over: confirm in shadow"), (DemoFileDrops.flow, "ERP incident over"),
        ] where definitions.contains(where: { $0.flow == name }) {
            if running.modes.setting(of: name).mode == .legacy {
                try await change(ModeSetting(mode: .shadow), reason, flow: name)
            }
        }
        step.say("a first order probes the purchase-order circuit:")
        try await drive(orders(1, "P"))
        try await drive(orders(24, "R"))
        try await change(ModeSetting(mode: .canary, percent: 25), "ERP incident over: canary again")
        if running.modes.setting(of: DemoFileDrops.flow).mode != .canary {
            try await change(
                ModeSetting(mode: .canary, percent: 25), "ERP incident over: canary again", flow: DemoFileDrops.flow)
        }
        try await drive(orders(24, "R2"))

        step.phase("new: the ERP answers every call, rendered as the legacy answer")
        let readiness = try await ReadinessCheck.assess(
            [flow], definitions: definitions, since: recovered, client: client, logger: logger)[0]
        step.say(
            "readiness since the recovery: \(readiness.compared) compared, match rate "
                + (readiness.matchRate.map(ReadinessAssessment.percent) ?? "-") + ": "
                + (readiness.passes ? "ready" : "not ready (\(readiness.reasons.joined(separator: "; ")))"))
        try await change(
            ModeSetting(mode: .new), "all suppliers on the ERP (demo: forced past promote_when)", force: true,
            figures: readiness.figures.text)
        let legacyCalls = demo.simulators.legacy.calls
        try await drive(orders(12, "N"))
        step.say("legacy service calls during this phase: \(demo.simulators.legacy.calls - legacyCalls)")
        try await change(
            ModeSetting(mode: .new), "every site on the ERP (demo: forced past promote_when)", force: true,
            flow: DemoFileDrops.flow)
        try await drops?.drop("new", records: 240)
        try await change(
            ModeSetting(mode: .new), "every vendor on the ERP (demo: forced past promote_when)", force: true,
            flow: DemoInvoiceJob.flow)
        try await jobs?.post("new", invoices: 30)
        try await jobs?.reconcile(since: demo.started)

        step.phase("Flows")
        print(
            TableFormat.render(
                header: ["FLOW", "MODE", "VERSION", "BY", "REASON"],
                rows: try await store.all().map {
                    [$0.flow, $0.setting.description, String($0.version), $0.changedBy, $0.reason]
                }))
        step.phase("History of \(flow)")
        print(FlowHistory.render(try await store.history(flow, limit: 12)))
    }

    /// The ERP fails every call while the purchase-order flow is in canary, until the auto-rollback guard acts;
    /// the pharmacy's file dropped meanwhile loses nothing (its ERP records wait as dead letters).
    private func incident(_ drops: DemoFileDrops?) async throws {
        step.phase("ERP incident: the ERP answers 500 to every call; the auto-rollback guard acts")
        var knobs = ERPSimulatorKnobs()
        knobs.failRate = 1
        await demo.simulators.erp.setKnobs(knobs)
        if let policy = definitions.first(where: { $0.flow == flow })?.rollout.autoRollback {
            step.say(
                "\(flow) guard: over the last \(policy.window) compared or ERP-served calls (at least "
                    + "\(policy.minimumSample)), new-side errors above "
                    + "\(ReadinessAssessment.percent(policy.maxNewErrorRate)) roll the flow back")
        }
        var sent = 0
        var batch = 0
        while running.modes.setting(of: flow).mode != .legacy, batch < 16 {
            batch += 1
            let answers = await traffic.send(orders(24, "X\(batch)"))
            await running.offPath.waitUntilIdle()
            sent += answers.count
            // The guard looks at least every second.
            try await waitForMode(.legacy, flow: flow, within: .milliseconds(1_500))
        }
        if running.modes.setting(of: flow).mode == .legacy,
            let change = try await store.history(flow, limit: 1).first
        {
            step.say(
                "after \(sent) orders: \(flow) rolled back to legacy by \(change.actor), version \(change.version)")
            step.say("  \(change.reason)")
        } else {
            step.say("after \(sent) orders the guard had not acted (\(flow) is \(running.modes.setting(of: flow)))")
        }
        let after = await traffic.send(orders(8, "X-after"))
        step.say(
            "callers now: \(after.filter { $0.status == 200 }.count) of \(after.count) answered 200 by legacy")
        try await drops?.drop("incident", records: 240)
    }

    /// Waits, as the on-call engineer would watch `cutover_circuit_state` on `/metrics`, until no flow's circuit
    /// to the ERP reads open (each stays open for its `circuit_breaker.open_for`, then lets one probe through).
    private func waitForCircuits() async throws {
        let longest = definitions.compactMap { $0.new?.circuitOpenSeconds }.max() ?? 0
        step.say(
            "the circuits to the ERP stay open up to \(Int(longest)) s after the last failure (circuit_breaker.open_for); "
                + "waiting until /metrics shows none open")
        let started = Date()
        let end = ContinuousClock.now + .seconds(longest + 15)
        var open: [String] = []
        repeat {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/metrics")
            request.method = .GET
            let response = try await traffic.httpClient.execute(request, timeout: .seconds(10))
            let page = String(buffer: try await response.body.collect(upTo: 8 << 20))
            open = page.split(separator: "\n").filter {
                $0.hasPrefix("cutover_circuit_state{") && $0.contains("state=\"open\"")
                    && Double($0.split(separator: " ").last ?? "") == 1
            }.map(String.init)
            if open.isEmpty { break }
            try await Task.sleep(for: .seconds(1))
        } while ContinuousClock.now < end
        let waited = Int(Date().timeIntervalSince(started).rounded())
        step.say(
            open.isEmpty
                ? "after \(waited) s no circuit is open: each lets its next call through as a probe"
                : "still open after \(waited) s: \(open)")
    }

    /// The dead letters the incident left, sent again with their original idempotency keys.
    private func replayDeadLetters() async throws {
        let store = DeadLetterStore(client: client, logger: logger)
        for definition in definitions {
            guard let new = definition.new else { continue }
            // This run's: an earlier demo on the same database left letters addressed to its own simulators.
            let pending = try await store.pending(flow: definition.flow).filter {
                $0.record.createdAt >= demo.started
            }
            guard !pending.isEmpty else { continue }
            let summary = try await DeadLetterReplay(
                store: store, audit: DirectAuditWrite(client: client, logger: logger),
                erp: ERPClient(httpClient: .shared, credentials: new.auth, logger: logger),
                timeout: .milliseconds(new.timeoutMilliseconds), actor: "demo"
            ).replay(pending)
            step.say(
                "cutover replay \(definition.flow) --dead-letters: \(pending.count) dead letters, "
                    + "\(summary.delivered) delivered, \(summary.failed) failed")
        }
    }

    private func change(
        _ setting: ModeSetting, _ reason: String, force: Bool = false, figures: String? = nil,
        flow: String = DemoCommand.flow
    ) async throws {
        guard definitions.contains(where: { $0.flow == flow }) else { return }
        let change = try await store.change(
            flow, to: setting, actor: "demo", reason: reason, force: force, figures: figures)
        try await waitForMode(setting, flow: flow)
        step.say("\(flow): \(change.from?.description ?? "-") → \(change.to), version \(change.version): \(reason)")
    }

    /// Waits (polling the server's own view) until the server runs `flow` in `setting`, at most `within`.
    private func waitForMode(
        _ setting: ModeSetting, flow: String = DemoCommand.flow, within: Duration = .seconds(5)
    ) async throws {
        let end = ContinuousClock.now + within
        while running.modes.setting(of: flow) != setting, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `count` orders, one per supplier in turn; suppliers that order boxes send gloves or gauze in BX.
    func orders(_ count: Int, _ phase: String) -> [PurchaseOrderTraffic.Order] {
        let suppliers = SimulatorCatalog.suppliers.map(\.number)
        return (0..<count).map { index in
            let supplier = suppliers[index % suppliers.count]
            let lines: [PurchaseOrderTraffic.Line] =
                Self.ordersBoxes(supplier)
                ? [index % 4 < 2 ? ("GLV-NITRILE-M", "4", "BX") : ("GAUZE-4X4", "2", "BX"), ("SYR-10ML", "100", "EA")]
                : [("IV-SET-STD", "20", "EA"), ("MASK-N95", "50", "EA")]
            return .init(requestID: "MM-\(demo.tag)-\(phase)-\(index + 1)", supplier: supplier, lines: lines)
        }
    }

    /// Sends the orders, then reports what the callers got and what the audit store holds.
    private func drive(_ orders: [PurchaseOrderTraffic.Order]) async throws {
        let since = Date()
        let answers = await traffic.send(orders)
        await running.offPath.waitUntilIdle()
        let ok = answers.filter { $0.status == 200 }.count
        step.say("\(answers.count) purchase orders sent, \(ok) answered 200")
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
    func phase(_ text: String) { show("\n==> \(text)") }
    func say(_ text: String) { show("    \(text)") }
    func done(_ text: String) { show("\n\(text)") }

    /// Printed and flushed at once, so that a log file or a pipe follows the demo as a terminal does.
    private func show(_ line: String) {
        print(line)
        fflush(nil)
    }
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
        // Each run's files differ from an earlier run's (same home, same database): only `again` repeats bytes.
        let seed = (run + phase).unicodeScalars.reduce(0) { ($0 * 31 + Int($1.value)) % 1_000_003 } % 10_000
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
