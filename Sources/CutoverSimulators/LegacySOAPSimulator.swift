import CutoverCore
import CutoverXML
import Foundation
import Logging
import Synchronization

/// The legacy SOAP PurchaseOrderService: `CreatePurchaseOrder` (document/literal, SOAP 1.1 and 1.2) over a
/// ``LegacyPurchaseOrderStore``, its WSDL at `GET …?wsdl`, and knobs at `/_sim/knobs` (latency, failures).
public final class LegacySOAPSimulator: Sendable {
    public static let namespace = "urn:example:purchasing:v1"
    public static let path = "/PurchaseOrderService"

    public struct Knobs: Sendable, Hashable, Codable {
        /// Added to every call, before the answer.
        public var latencyMs: Int = 0
        /// The next N calls fail with a SOAP Server fault.
        public var failNext: Int = 0

        public init(latencyMs: Int = 0, failNext: Int = 0) {
            self.latencyMs = latencyMs
            self.failNext = failNext
        }
    }

    let store: any LegacyPurchaseOrderStore
    let logger: Logger
    private let state: Mutex<(knobs: Knobs, calls: Int, lastHeaders: [String: String])>

    public init(store: any LegacyPurchaseOrderStore, knobs: Knobs = Knobs(), logger: Logger) {
        self.store = store
        self.logger = logger
        self.state = Mutex((knobs, 0, [:]))
    }

    /// SOAP calls received (POSTs to the service path), whatever their outcome.
    public var calls: Int { state.withLock { $0.calls } }

    /// The headers of the last SOAP call (lower-case names), to check what a proxy forwarded.
    public var lastHeaders: [String: String] { state.withLock { $0.lastHeaders } }

    public var knobs: Knobs {
        get { state.withLock { $0.knobs } }
        set { state.withLock { $0.knobs = newValue } }
    }

    public func handle(_ request: SimulatorRequest) async -> SimulatorResponse {
        switch (request.method, request.path) {
        case ("GET", Self.path) where request.query.keys.contains { $0.lowercased() == "wsdl" }:
            return SimulatorResponse(
                status: 200, headers: [("Content-Type", "text/xml; charset=utf-8")],
                body: Self.wsdl(address: request.baseURL + Self.path))
        case ("POST", Self.path):
            return await call(request)
        case ("GET", "/_sim/knobs"):
            return SimulatorResponse(status: 200, headers: ERPSimulator.jsonHeaders, body: ERPSimulator.encode(knobs))
        case ("PUT", "/_sim/knobs"):
            guard let knobs = try? JSONDecoder().decode(Knobs.self, from: Data(request.body)) else {
                return SimulatorResponse(status: 400, body: "knobs are not valid JSON")
            }
            self.knobs = knobs
            return SimulatorResponse(status: 200, headers: ERPSimulator.jsonHeaders, body: ERPSimulator.encode(knobs))
        case ("GET", "/_sim/stats"):
            let orders = (try? await store.count()) ?? -1
            return SimulatorResponse(
                status: 200, headers: ERPSimulator.jsonHeaders, body: #"{"calls":\#(calls),"orders":\#(orders)}"#)
        default:
            return SimulatorResponse(status: 404, body: "not found")
        }
    }

    private func call(_ request: SimulatorRequest) async -> SimulatorResponse {
        let (knobs, fail) = state.withLock { state in
            state.calls += 1
            state.lastHeaders = request.headers
            let fail = state.knobs.failNext > 0
            if fail { state.knobs.failNext -= 1 }
            return (state.knobs, fail)
        }
        if knobs.latencyMs > 0 { try? await Task.sleep(for: .milliseconds(knobs.latencyMs)) }
        let envelope: SOAPEnvelope
        do {
            envelope = try SOAPEnvelope.parse(request.body)
        } catch {
            return Self.fault(error)
        }
        if fail {
            return Self.fault(SOAPFault(code: .receiver, reason: "Database unavailable", version: envelope.version))
        }
        guard let operation = envelope.operation, operation.namespaceURI == Self.namespace,
            ["CreatePurchaseOrder", "GetPurchaseOrder"].contains(operation.name)
        else {
            return Self.fault(SOAPFault(code: .sender, reason: "Unknown operation", version: envelope.version))
        }
        do {
            if operation.name == "GetPurchaseOrder" {
                let number = try envelope.document.string(
                    "//po:GetPurchaseOrder/po:OrderNumber", namespaces: ["po": Self.namespace])?.trimmingWhitespace()
                guard let number, let order = try await store.find(orderNumber: number) else {
                    throw LegacyRefusal(message: "Unknown order")
                }
                return SimulatorResponse(
                    status: 200, headers: [("Content-Type", envelope.version.contentType)],
                    body: Self.lookupResponse(order, version: envelope.version))
            }
            let order = try await store.create(try Self.orderRequest(envelope.document))
            return SimulatorResponse(
                status: 200, headers: [("Content-Type", envelope.version.contentType)],
                body: Self.response(order, version: envelope.version))
        } catch let refusal as LegacyRefusal {
            return Self.fault(SOAPFault(code: .sender, reason: refusal.message, version: envelope.version))
        } catch {
            logger.error("legacy simulator could not store an order", metadata: ["error": "\(error)"])
            return Self.fault(SOAPFault(code: .receiver, reason: "Internal error", version: envelope.version))
        }
    }

    static func fault(_ fault: SOAPFault) -> SimulatorResponse {
        SimulatorResponse(
            status: fault.httpStatus, headers: [("Content-Type", fault.version.contentType)], body: fault.body)
    }

    static func orderRequest(_ document: XMLDocument) throws -> LegacyOrderRequest {
        let ns = ["po": namespace]
        func text(_ path: String, relativeTo node: XMLNode? = nil) throws -> String? {
            try document.string(path, namespaces: ns, relativeTo: node)?.trimmingWhitespace()
        }
        guard let requestID = try text("//po:PurchaseOrder/po:RequestId"), !requestID.isEmpty else {
            throw LegacyRefusal(message: "RequestId is required")
        }
        guard let supplier = try text("//po:PurchaseOrder/po:SupplierId"), !supplier.isEmpty else {
            throw LegacyRefusal(message: "SupplierId is required")
        }
        var lines: [LegacyOrderRequest.Line] = []
        if case .nodes(let nodes) = try document.evaluate("//po:PurchaseOrder/po:Line", namespaces: ns) {
            for node in nodes {
                guard let quantity = try text("po:Qty", relativeTo: node).flatMap({ Decimal(string: $0) }) else {
                    throw LegacyRefusal(message: "Qty must be a number")
                }
                lines.append(
                    .init(
                        itemCode: try text("po:ItemCode", relativeTo: node) ?? "", quantity: quantity,
                        unitOfMeasure: try text("po:Uom", relativeTo: node) ?? "EA"))
            }
        }
        return LegacyOrderRequest(
            requestID: requestID, supplierID: supplier, orderDate: try text("//po:PurchaseOrder/po:OrderDate") ?? "",
            patientMRN: try text("//po:PurchaseOrder/po:PatientMRN"), lines: lines)
    }

    /// GetPurchaseOrder's answer. `RetrievedAt` is the moment of reading, as many legacy services stamp their
    /// answers: two reads of one order differ there and nowhere else, which is what noise calibration finds.
    static func lookupResponse(_ order: LegacyPurchaseOrder, version: SOAPEnvelope.Version) -> String {
        let document = XMLDocument.create(root: "Envelope", namespaceURI: version.rawValue, prefix: "soap")
        let body = document.root!.addElement("Body", namespaceURI: version.rawValue)
        let answer = body.addElement("GetPurchaseOrderResponse", namespaceURI: namespace, prefix: "po")
        answer.addElement("OrderNumber", namespaceURI: namespace, text: order.orderNumber)
        answer.addElement("SupplierId", namespaceURI: namespace, text: order.supplierID)
        answer.addElement("Status", namespaceURI: namespace, text: order.status)
        answer.addElement("Total", namespaceURI: namespace, text: SimulatorCatalog.money(order.total))
        answer.addElement(
            "RetrievedAt", namespaceURI: namespace,
            text: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        for line in order.lines {
            let element = answer.addElement("Line", namespaceURI: namespace)
            element.addElement("ItemCode", namespaceURI: namespace, text: line.itemCode)
            element.addElement("Qty", namespaceURI: namespace, text: "\(line.quantity)")
        }
        return document.serialized()
    }

    static func response(_ order: LegacyPurchaseOrder, version: SOAPEnvelope.Version) -> String {
        let document = XMLDocument.create(root: "Envelope", namespaceURI: version.rawValue, prefix: "soap")
        let body = document.root!.addElement("Body", namespaceURI: version.rawValue)
        let answer = body.addElement("CreatePurchaseOrderResponse", namespaceURI: namespace, prefix: "po")
        answer.addElement("OrderNumber", namespaceURI: namespace, text: order.orderNumber)
        answer.addElement("Status", namespaceURI: namespace, text: order.status)
        answer.addElement("Total", namespaceURI: namespace, text: SimulatorCatalog.money(order.total))
        for line in order.lines {
            let element = answer.addElement("Line", namespaceURI: namespace)
            element.addElement("ItemCode", namespaceURI: namespace, text: line.itemCode)
            element.addElement("Qty", namespaceURI: namespace, text: "\(line.quantity)")
        }
        return document.serialized()
    }
}
