import Foundation

/// A purchase order as the legacy service keeps it.
public struct LegacyPurchaseOrder: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var itemCode: String
        public var quantity: Decimal
        public var unitOfMeasure: String
        public var amount: Decimal
    }

    public var orderNumber: String
    public var requestID: String
    public var supplierID: String
    public var orderDate: String
    public var status: String
    public var total: Decimal
    public var patientMRN: String?
    public var lines: [Line]
}

/// What the caller asked for, before prices are known.
public struct LegacyOrderRequest: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var itemCode: String
        public var quantity: Decimal
        public var unitOfMeasure: String
    }

    public var requestID: String
    public var supplierID: String
    public var orderDate: String
    public var patientMRN: String?
    public var lines: [Line]
}

/// Why the legacy service refused an order (its own business rules, answered as SOAP Client faults).
public struct LegacyRefusal: Error, Sendable, Hashable {
    public var message: String
}

/// Where the legacy PurchaseOrderService keeps orders. Creating an order whose request id is already stored
/// returns the stored order (the legacy service is idempotent on RequestId).
public protocol LegacyPurchaseOrderStore: Sendable {
    func prepare() async throws
    func create(_ request: LegacyOrderRequest) async throws -> LegacyPurchaseOrder
    /// The stored order with this number, if any.
    func find(orderNumber: String) async throws -> LegacyPurchaseOrder?
    func count() async throws -> Int
}

extension LegacyOrderRequest {
    /// Prices the order from `prices` (item code → unit price); the order number is the request id, as materials
    /// management assigns it.
    func priced(status: String, prices: [String: Decimal], supplierKnown: Bool) throws(LegacyRefusal)
        -> LegacyPurchaseOrder
    {
        guard supplierKnown else { throw LegacyRefusal(message: "Unknown supplier \(supplierID)") }
        guard !lines.isEmpty else { throw LegacyRefusal(message: "A purchase order needs at least one line") }
        var priced: [LegacyPurchaseOrder.Line] = []
        for line in lines {
            guard let price = prices[line.itemCode] else {
                throw LegacyRefusal(message: "Unknown item \(line.itemCode)")
            }
            guard line.quantity > 0 else { throw LegacyRefusal(message: "Quantity must be above zero") }
            priced.append(
                .init(
                    itemCode: line.itemCode, quantity: line.quantity, unitOfMeasure: line.unitOfMeasure,
                    amount: line.quantity * price))
        }
        return LegacyPurchaseOrder(
            orderNumber: requestID, requestID: requestID, supplierID: supplierID, orderDate: orderDate,
            status: status, total: priced.reduce(Decimal(0)) { $0 + $1.amount }, patientMRN: patientMRN,
            lines: priced)
    }
}

/// Orders in memory: for benchmarks, where the legacy database must not compete with the audit store.
public actor InMemoryLegacyStore: LegacyPurchaseOrderStore {
    private var orders: [String: LegacyPurchaseOrder] = [:]
    private let prices = Dictionary(uniqueKeysWithValues: SimulatorCatalog.items.map { ($0.code, $0.unitPrice) })

    public init() {}

    public func prepare() async throws {}

    public func create(_ request: LegacyOrderRequest) async throws -> LegacyPurchaseOrder {
        if let existing = orders[request.requestID] { return existing }
        let order = try request.priced(
            status: "OPEN", prices: prices, supplierKnown: SimulatorCatalog.supplier(request.supplierID) != nil)
        orders[request.requestID] = order
        return order
    }

    public func find(orderNumber: String) async throws -> LegacyPurchaseOrder? {
        orders.values.first { $0.orderNumber == orderNumber }
    }

    public func count() async throws -> Int { orders.count }
}
