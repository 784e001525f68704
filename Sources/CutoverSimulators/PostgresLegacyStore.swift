import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// The legacy purchasing database: schema `legacy_po` with suppliers, items (with prices), purchase orders and
/// their lines. `prepare()` creates and seeds it when missing; an existing schema is left as it is.
public struct PostgresLegacyStore: LegacyPurchaseOrderStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func prepare() async throws {
        try await client.transaction(logger: logger) { connection in
            // One preparer at a time, when several simulators start on the same database.
            try await connection.run("SELECT pg_advisory_xact_lock(7212001)", logger: logger)
            for statement in Self.schema {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            for supplier in SimulatorCatalog.suppliers {
                try await connection.query(
                    """
                    INSERT INTO legacy_po.supplier (supplier_id, name) VALUES (\(supplier.number), \(supplier.name))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
            for item in SimulatorCatalog.items {
                try await connection.query(
                    """
                    INSERT INTO legacy_po.item (item_code, description, unit_price, uom)
                    VALUES (\(item.code), \(item.description), \(item.unitPrice), \(item.unitOfMeasure))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    static let schema = [
        "CREATE SCHEMA IF NOT EXISTS legacy_po",
        """
        CREATE TABLE IF NOT EXISTS legacy_po.supplier (
            supplier_id text PRIMARY KEY, name text NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS legacy_po.item (
            item_code text PRIMARY KEY, description text NOT NULL, unit_price numeric(12,2) NOT NULL,
            uom text NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS legacy_po.purchase_order (
            order_number text PRIMARY KEY, request_id text NOT NULL UNIQUE,
            supplier_id text NOT NULL REFERENCES legacy_po.supplier, order_date text NOT NULL,
            status text NOT NULL, total numeric(14,2) NOT NULL, patient_mrn text,
            created_at timestamptz NOT NULL DEFAULT now())
        """,
        """
        CREATE TABLE IF NOT EXISTS legacy_po.purchase_order_line (
            order_number text NOT NULL REFERENCES legacy_po.purchase_order, line_no int NOT NULL,
            item_code text NOT NULL REFERENCES legacy_po.item, qty numeric NOT NULL, uom text NOT NULL,
            amount numeric(14,2) NOT NULL, PRIMARY KEY (order_number, line_no))
        """,
    ]

    public func create(_ request: LegacyOrderRequest) async throws -> LegacyPurchaseOrder {
        try await client.transaction(logger: logger) { connection in
            // Serialise creators of the same request id, so a retried call finds the first one's order.
            try await connection.run(
                "SELECT pg_advisory_xact_lock(hashtext(\(request.requestID)))", logger: logger)
            if let existing = try await Self.load(requestID: request.requestID, on: connection, logger: logger) {
                return existing
            }
            var supplierKnown = false
            for try await _ in try await connection.query(
                "SELECT 1 FROM legacy_po.supplier WHERE supplier_id = \(request.supplierID)", logger: logger)
            {
                supplierKnown = true
            }
            var prices: [String: Decimal] = [:]
            let codes = request.lines.map(\.itemCode)
            for try await (code, price) in try await connection.query(
                "SELECT item_code, unit_price FROM legacy_po.item WHERE item_code = ANY(\(codes))", logger: logger
            ).decode((String, Decimal).self) {
                prices[code] = price
            }
            let order = try request.priced(status: "OPEN", prices: prices, supplierKnown: supplierKnown)
            try await connection.query(
                """
                INSERT INTO legacy_po.purchase_order
                    (order_number, request_id, supplier_id, order_date, status, total, patient_mrn)
                VALUES (\(order.orderNumber), \(order.requestID), \(order.supplierID), \(order.orderDate),
                    \(order.status), \(order.total), \(order.patientMRN))
                """, logger: logger)
            for (index, line) in order.lines.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO legacy_po.purchase_order_line (order_number, line_no, item_code, qty, uom, amount)
                    VALUES (\(order.orderNumber), \(index + 1), \(line.itemCode), \(line.quantity),
                        \(line.unitOfMeasure), \(line.amount))
                    """, logger: logger)
            }
            return order
        }
    }

    /// Order numbers are the request ids materials management assigns.
    public func find(orderNumber: String) async throws -> LegacyPurchaseOrder? {
        try await client.withConnection { connection in
            try await Self.load(requestID: orderNumber, on: connection, logger: logger)
        }
    }

    static func load(requestID: String, on connection: PostgresConnection, logger: Logger) async throws
        -> LegacyPurchaseOrder?
    {
        var order: LegacyPurchaseOrder?
        for try await (number, supplier, date, status, total, mrn) in try await connection.query(
            """
            SELECT order_number, supplier_id, order_date, status, total, patient_mrn
            FROM legacy_po.purchase_order WHERE request_id = \(requestID)
            """, logger: logger
        ).decode((String, String, String, String, Decimal, String?).self) {
            order = LegacyPurchaseOrder(
                orderNumber: number, requestID: requestID, supplierID: supplier, orderDate: date, status: status,
                total: total, patientMRN: mrn, lines: [])
        }
        guard var found = order else { return nil }
        for try await (code, qty, uom, amount) in try await connection.query(
            """
            SELECT item_code, qty, uom, amount FROM legacy_po.purchase_order_line
            WHERE order_number = \(found.orderNumber) ORDER BY line_no
            """, logger: logger
        ).decode((String, Decimal, String, Decimal).self) {
            found.lines.append(.init(itemCode: code, quantity: qty, unitOfMeasure: uom, amount: amount))
        }
        return found
    }

    public func count() async throws -> Int {
        var total = 0
        for try await (count, ) in try await client.query(
            "SELECT count(*)::int FROM legacy_po.purchase_order", logger: logger
        ).decode((Int,).self) {
            total = count
        }
        return total
    }
}
