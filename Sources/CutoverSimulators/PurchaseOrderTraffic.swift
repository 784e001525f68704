import AsyncHTTPClient
import CutoverCore
import CutoverXML
import Foundation
import NIOCore

/// Materials management's side of the demo: CreatePurchaseOrder calls, as a SOAP client sends them.
public struct PurchaseOrderTraffic: Sendable {
    /// One answered call.
    public struct Answer: Sendable, Hashable {
        public var requestID: String
        public var supplier: String
        public var status: Int
        public var orderNumber: String?
        public var total: String?
        public var correlationID: String?
        /// The fault's reason when the answer was a SOAP fault.
        public var fault: String?
    }

    public let httpClient: HTTPClient
    /// The service URL (the facade's, or the legacy service's for a direct call).
    public let url: String

    public init(httpClient: HTTPClient, url: String) {
        self.httpClient = httpClient
        self.url = url
    }

    /// A CreatePurchaseOrder envelope (SOAP 1.1), every value escaped.
    public static func envelope(
        requestID: String, supplier: String, mrn: String = "MRN-0042", orderDate: String = "2026-11-25",
        lines: [Line] = defaultLines
    ) -> String {
        let e = XMLText.escape
        let lineXML = lines.map {
            "<po:Line><po:ItemCode>\(e($0.item))</po:ItemCode><po:Qty>\(e($0.quantity))</po:Qty><po:Uom>\(e($0.uom))</po:Uom></po:Line>"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1">\
            <soap:Body><po:CreatePurchaseOrder><po:PurchaseOrder><po:RequestId>\(e(requestID))</po:RequestId>\
            <po:SupplierId>\(e(supplier))</po:SupplierId><po:OrderDate>\(e(orderDate))</po:OrderDate>\
            <po:PatientMRN>\(e(mrn))</po:PatientMRN>\(lineXML)</po:PurchaseOrder></po:CreatePurchaseOrder></soap:Body>\
            </soap:Envelope>
            """
    }

    /// A GetPurchaseOrder call (read-only).
    public static func lookupEnvelope(orderNumber: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1">\
        <soap:Body><po:GetPurchaseOrder><po:OrderNumber>\(XMLText.escape(orderNumber))</po:OrderNumber>\
        </po:GetPurchaseOrder></soap:Body></soap:Envelope>
        """
    }

    /// One order line as materials management sends it (unit of measure in its own codes: BX, EA).
    public typealias Line = (item: String, quantity: String, uom: String)

    /// One CreatePurchaseOrder call.
    public struct Order: Sendable {
        public var requestID: String
        public var supplier: String
        public var lines: [Line]

        public init(requestID: String, supplier: String, lines: [Line] = PurchaseOrderTraffic.defaultLines) {
            self.requestID = requestID
            self.supplier = supplier
            self.lines = lines
        }
    }

    /// A box of gloves and a hundred syringes.
    public static let defaultLines: [Line] = [("GLV-NITRILE-M", "4", "BX"), ("SYR-10ML", "100", "EA")]

    /// One call per (request id, supplier), `concurrency` at a time, answers in the order given.
    public func send(_ calls: [(requestID: String, supplier: String)], concurrency: Int = 4) async -> [Answer] {
        await send(calls.map { Order(requestID: $0.requestID, supplier: $0.supplier) }, concurrency: concurrency)
    }

    /// One call per order, `concurrency` at a time, answers in the order given.
    public func send(_ orders: [Order], concurrency: Int = 4) async -> [Answer] {
        await withTaskGroup(of: (Int, Answer).self) { group in
            var answers = [Answer?](repeating: nil, count: orders.count)
            var next = 0
            func start(_ index: Int) {
                let order = orders[index]
                group.addTask { (index, await self.send(order)) }
            }
            while next < min(concurrency, orders.count) {
                start(next)
                next += 1
            }
            for await (index, answer) in group {
                answers[index] = answer
                if next < orders.count {
                    start(next)
                    next += 1
                }
            }
            return answers.compactMap { $0 }
        }
    }

    public func send(requestID: String, supplier: String) async -> Answer {
        await send(Order(requestID: requestID, supplier: supplier))
    }

    public func send(_ order: Order) async -> Answer {
        let (requestID, supplier) = (order.requestID, order.supplier)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "text/xml; charset=utf-8")
        request.headers.add(name: "SOAPAction", value: "\"urn:example:purchasing:v1/CreatePurchaseOrder\"")
        request.body = .bytes(
            ByteBuffer(string: Self.envelope(requestID: requestID, supplier: supplier, lines: order.lines)))
        var answer = Answer(requestID: requestID, supplier: supplier, status: 0)
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(30))
            answer.status = Int(response.status.code)
            answer.correlationID = response.headers.first(name: "X-Correlation-ID")
            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            let ns = ["po": LegacySOAPSimulator.namespace]
            if let document = try? XMLDocument.parse(body) {
                answer.orderNumber = try? document.string("//po:OrderNumber", namespaces: ns)
                answer.total = try? document.string("//po:Total", namespaces: ns)
                answer.fault = try? document.string("//faultstring | //*[local-name()='Text']")
            }
        } catch {
            answer.fault = "no answer: \(error)"
        }
        return answer
    }
}
