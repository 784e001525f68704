import CutoverConfig
import CutoverCore
import CutoverTesting
import Foundation
import Testing

@Suite("Adapter definitions")
struct AdapterLoaderTests {
    let shipped = CutoverProcess.repositoryRoot + "/adapters"

    /// Loads one adapter file written into a temporary directory.
    func load(_ yaml: String, environment: [String: String] = [:]) -> (FlowDefinition?, [ConfigDiagnostic], String) {
        let directory = TemporaryDirectory("adapter")
        let path = directory.write("flow.yaml", yaml)
        let (flow, diagnostics) = AdapterLoader(environment: environment).loadFile(path)
        return (flow, diagnostics, path)
    }

    @Test("the demo's three flows load from adapters/ without problems")
    func shippedAdapters() throws {
        let flows = try AdapterLoader(environment: [:]).load(directory: shipped)
        #expect(flows.map(\.flow) == ["invoice-posting", "pharmacy-stock-export", "purchase-order-create"])
        #expect(flows.map(\.kind) == [.dbJob, .fileDrop, .soap])
    }

    @Test("the SOAP flow carries DESIGN.md's fields")
    func soapFlow() throws {
        let flows = try AdapterLoader(environment: ["LEGACY_SOAP_URL": "http://legacy:8080"]).load(directory: shipped)
        let po = try #require(flows.first { $0.flow == "purchase-order-create" })
        guard case .soap(let soap) = po.legacy else { Issue.record("not soap"); return }
        #expect(soap.endpoint == "http://legacy:8080/PurchaseOrderService")
        #expect(soap.listenPath == "/PurchaseOrderService")
        #expect(po.namespaces["po"] == "urn:example:purchasing:v1")
        let new = try #require(po.new)
        #expect(new.idempotencyKey == .path("//po:PurchaseOrder/po:RequestId"))
        #expect(new.auth?.clientID == "cutover-demo")
        #expect(new.auth?.scope == nil, "an empty ${ERP_SCOPE:-} means no scope")
        #expect(new.responseMap["/status"]?["Open"] == "OPEN")
        guard case .object(let members) = new.body else { Issue.record("body is not an object"); return }
        #expect(members.map(\.name) == ["number", "vendorNumber", "orderDate", "purchaseOrderLines"])
        guard case .each(let each, .object(let lineFields)) = members[3].value else {
            Issue.record("no repeating group"); return
        }
        #expect(each == "//po:PurchaseOrder/po:Line")
        #expect(
            lineFields.first { $0.name == "unitOfMeasureCode" }?.value
                == .field(FieldSpec(source: .path("po:Uom"), map: ["BX": "BOX", "EA": "EACH"])))
        #expect(po.compare.fields.first { $0.name == "total" }?.tolerance == 0.01)
        let lines = try #require(po.compare.groups.first)
        #expect(lines.name == "lines" && lines.key == UnitSources(legacy: "po:ItemCode", new: "/itemId"))
        #expect(lines.fields.map(\.name) == ["qty"])
        #expect(po.rollout.autoRollback?.window == 200)
        #expect(po.rollout.promoteWhen?.minimumMatchRate == 0.999)
        #expect(po.redact == ["//po:PatientMRN"])
    }

    @Test("the file-drop and db-job flows carry their kind's sections")
    func otherKinds() throws {
        let flows = try AdapterLoader(environment: ["DROP_DIR": "/drop"]).load(directory: shipped)
        let stock = try #require(flows.first { $0.flow == "pharmacy-stock-export" })
        guard case .fileDrop(let drop) = stock.legacy, case .csv(let csv) = drop.format else {
            Issue.record("not csv"); return
        }
        #expect(drop.watch.directory == "/drop/pharmacy/outbound")
        #expect(drop.watch.doneMarker == ".done")
        #expect(csv.columns.map(\.name) == ["site", "ndc", "qty_on_hand", "uom"])
        #expect(stock.new?.idempotencyKey == .template("{file_sha256}:{record_number}"))
        let invoices = try #require(flows.first { $0.flow == "invoice-posting" })
        guard case .dbJob(let job) = invoices.legacy else { Issue.record("not db-job"); return }
        #expect(job.schedule == .every(seconds: 300))
        #expect(job.source.key == "id")
        #expect(invoices.reconcile?.newNext == "/@odata.nextLink")
        #expect(invoices.reconcile?.fields["amount"]?.tolerance == 0.01)
    }

    @Test("a misspelt key is reported at its line with the nearest valid key")
    func misspeltKey() {
        let (flow, diagnostics, path) = load(
            """
            flow: po
            kind: soap
            legacy:
              endpoint: http://legacy/PO
              timout_ms: 5000
            listen: { path: /PO }
            """)
        #expect(flow == nil)
        #expect(diagnostics.count == 1)
        #expect(
            diagnostics.first?.description
                == "\(path):5:3: unknown key 'timout_ms' in legacy (hint: did you mean 'timeout_ms'?)")
    }

    @Test("a unit conversion without a base and factor is reported at its line")
    func badUnits() {
        let (flow, diagnostics, path) = load(
            """
            flow: po
            kind: soap
            legacy: { endpoint: http://legacy/PO }
            listen: { path: /PO }
            compare:
              units:
                BX: { EA: ten }
            """)
        #expect(flow == nil)
        #expect(diagnostics.first?.description.hasPrefix("\(path):7:") == true)
        #expect(diagnostics.first?.description.contains("compare.units.BX") == true)
    }

    @Test("an unset variable without a default is an error naming it; a default is used")
    func environment() {
        let yaml = """
            flow: po
            kind: soap
            legacy: { endpoint: "${LEGACY_URL}/PO", timeout_ms: "${TIMEOUT:-2500}" }
            listen: { path: /PO }
            """
        let (missing, diagnostics, _) = load(yaml)
        #expect(missing == nil)
        #expect(diagnostics.first?.line == 3)
        #expect(diagnostics.first?.message.contains("LEGACY_URL is not set") == true)
        let (flow, none, _) = load(yaml, environment: ["LEGACY_URL": "http://old"])
        #expect(none.isEmpty)
        guard case .soap(let soap) = flow?.legacy else { Issue.record("no flow"); return }
        #expect(soap.endpoint == "http://old/PO")
        #expect(soap.timeoutMilliseconds == 2500)
    }

    @Test("every problem in a file is reported, not only the first")
    func everyProblem() {
        let (_, diagnostics, _) = load(
            """
            flow: Bad Name
            kind: soap
            mode: canary
            watch: { directory: /x, pattern: "*" }
            legacy: { endpoint: ftp://legacy }
            listen: { path: PO }
            rollout: { auto_rollback: { window: 0, max_new_error_rate: 2 } }
            """)
        let messages = diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("lower-case") })
        #expect(messages.contains { $0.contains("'watch' applies to file-drop flows") })
        #expect(messages.contains { $0.contains("http(s) URL") })
        #expect(messages.contains { $0.contains("must start with '/'") })
        #expect(messages.contains { $0.contains("canary mode needs 'percent'") })
        #expect(messages.contains { $0.contains("window must be a whole number") })
        #expect(messages.contains { $0.contains("max_new_error_rate must be a number in 0.0...1.0") })
        #expect(diagnostics.allSatisfy { $0.line > 0 })
    }

    @Test("broken YAML is reported at its line")
    func brokenYAML() {
        let (_, diagnostics, path) = load("flow: po\nkind: soap\nlegacy: [unclosed\n")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.file == path)
        #expect(diagnostics.first?.message.hasPrefix("invalid YAML") == true)
        #expect((diagnostics.first?.line ?? 0) >= 3)
    }

    @Test("two files defining one flow name are refused")
    func duplicateFlow() throws {
        let directory = TemporaryDirectory("adapters")
        let yaml = "flow: po\nkind: soap\nlegacy: { endpoint: http://x/PO }\nlisten: { path: /PO }\n"
        directory.write("a.yaml", yaml)
        directory.write("b.yaml", yaml)
        let (_, diagnostics) = AdapterLoader(environment: [:]).check(directory: directory.path)
        #expect(diagnostics.contains { $0.message.contains("flow 'po' is also defined") })
        #expect(diagnostics.contains { $0.message.contains("listen.path '/PO' is also served") })
    }

    @Test("db-job schedules accept durations and five-field cron only")
    func schedules() {
        func job(_ schedule: String) -> [ConfigDiagnostic] {
            load(
                """
                flow: inv
                kind: db-job
                schedule: \(schedule)
                legacy: { database_url: "postgres://x@h/db", sql: "CALL x()" }
                source: { sql: "SELECT 1", key: id }
                """
            ).1
        }
        #expect(job("{ every: 30s }").isEmpty)
        #expect(job("{ cron: \"*/5 * * * *\" }").isEmpty)
        #expect(job("{ cron: \"*/5 * * *\" }").first?.message.contains("five-field") == true)
        #expect(job("{ every: soon }").first?.message.contains("not a duration") == true)
        #expect(job("{ every: 5m, cron: \"* * * * *\" }").first?.message.contains("not both") == true)
    }
}
