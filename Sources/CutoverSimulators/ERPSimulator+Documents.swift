import CutoverCore
import Foundation

extension ERPSimulator {
    func nextNumber(_ prefix: String) -> String {
        sequence += 1
        let digits = String(sequence)
        return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func decimal(_ value: JSONValue?) -> Decimal? {
        value?.scalarText.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
    }

    static func recordNotFound(_ table: String, _ key: String) -> SimulatorResponse {
        error(
            400, "Internal_RecordNotFound",
            "The \(table) does not exist. Identification fields and values: No.='\(key)'")
    }

    /// A purchase order: the vendor and every item must exist; the total is quantity × unit price, summed.
    func purchaseOrder(from input: Entity) -> Result<Entity, SimulatorResponse> {
        let vendorNumber = input.value("vendorNumber")?.scalarText ?? ""
        guard let vendor = SimulatorCatalog.supplier(vendorNumber) else {
            return .failure(Self.recordNotFound("Vendor", vendorNumber))
        }
        guard case .array(let lineInputs)? = input.value("purchaseOrderLines"), !lineInputs.isEmpty else {
            return .failure(Self.error(400, "BadRequest", "A purchase order needs at least one line."))
        }
        var lines: [JSONValue] = []
        var total = Decimal(0)
        for (index, line) in lineInputs.enumerated() {
            let code = line.value(at: "/itemId")?.scalarText ?? ""
            guard
                let item = SimulatorCatalog.item(code)
                    ?? SimulatorCatalog.items.first(where: {
                        Self.stableID("item", $0.code) == code
                    })
            else { return .failure(Self.recordNotFound("Item", code)) }
            guard let quantity = Self.decimal(line.value(at: "/quantity")), quantity > 0 else {
                return .failure(Self.error(400, "BadRequest", "Line \(index + 1): quantity must be above zero."))
            }
            // The ERP prices the line in the unit it was sent in: a boxed item ordered by the EACH costs a piece.
            let unit = line.value(at: "/unitOfMeasureCode")?.scalarText
            let unitCost = item.price(per: unit)
            let amount = quantity * unitCost
            total += amount
            lines.append(
                .object([
                    ("id", .string(UUID().uuidString.lowercased())), ("sequence", .number(String((index + 1) * 10000))),
                    ("lineType", .string("Item")), ("itemId", .string(item.code)),
                    ("description", .string(item.description)), ("quantity", .number("\(quantity)")),
                    ("unitOfMeasureCode", line.value(at: "/unitOfMeasureCode") ?? .string(item.unitOfMeasure)),
                    ("directUnitCost", .number(SimulatorCatalog.money(unitCost))),
                    ("amountIncludingTax", .number(SimulatorCatalog.money(amount))),
                ]))
        }
        var order = Entity(
            members: [
                ("id", .string(UUID().uuidString.lowercased())),
                ("number", input.value("number") ?? .string(nextNumber("PO"))),
                ("orderDate", input.value("orderDate") ?? .string(String(Self.timestamp().prefix(10)))),
                ("vendorId", .string(Self.stableID("vendor", vendor.number))),
                ("vendorNumber", .string(vendor.number)), ("vendorName", .string(vendor.name)),
                ("currencyCode", .string("USD")), ("status", .string("Open")),
                ("totalAmountExcludingTax", .number(SimulatorCatalog.money(total))),
                ("totalTaxAmount", .number("0.00")),
                ("totalAmountIncludingTax", .number(SimulatorCatalog.money(total))),
                ("lastModifiedDateTime", .string(Self.timestamp())),
                ("purchaseOrderLines", .array(lines)),
            ], version: 1)
        if knobs.divergeVendors.isEmpty || knobs.divergeVendors.contains(vendor.number) {
            for (name, change) in knobs.divergences.sorted(by: { $0.key < $1.key }) {
                order.set(name, Self.diverged(order.value(name), change))
            }
        }
        return .success(order)
    }

    /// `+x`/`-x` added to a number; anything else replaces the value.
    static func diverged(_ value: JSONValue?, _ change: String) -> JSONValue {
        if let first = change.first, first == "+" || first == "-", let delta = Decimal(string: change),
            let current = decimal(value)
        {
            return .number(SimulatorCatalog.money(current + delta))
        }
        return .string(change)
    }

    func purchaseInvoice(from input: Entity) -> Result<Entity, SimulatorResponse> {
        let vendorNumber = input.value("vendorNumber")?.scalarText ?? ""
        guard let vendor = SimulatorCatalog.supplier(vendorNumber) else {
            return .failure(Self.recordNotFound("Vendor", vendorNumber))
        }
        guard let total = Self.decimal(input.value("totalAmountIncludingTax")) else {
            return .failure(Self.error(400, "BadRequest", "totalAmountIncludingTax is required."))
        }
        var invoice = input
        invoice.members.removeAll { ["id", "number", "status"].contains($0.0) }
        invoice.members.insert(("number", .string(nextNumber("PI"))), at: 0)
        invoice.members.insert(("id", .string(UUID().uuidString.lowercased())), at: 0)
        invoice.set("vendorName", .string(vendor.name))
        invoice.set("totalAmountIncludingTax", .number(SimulatorCatalog.money(total)))
        invoice.set("status", .string("Open"))
        invoice.set("lastModifiedDateTime", .string(Self.timestamp()))
        return .success(invoice)
    }

    func ledgerEntry(from input: Entity) -> Entity {
        var entry = input
        entry.members.removeAll { $0.0 == "id" || $0.0 == "entryNumber" }
        sequence += 1
        entry.members.insert(("entryNumber", .number(String(sequence))), at: 0)
        entry.members.insert(("id", .string(UUID().uuidString.lowercased())), at: 0)
        entry.set("postingDate", entry.value("postingDate") ?? .string(String(Self.timestamp().prefix(10))))
        let location = entry.value("locationCode")?.scalarText ?? ""
        if knobs.divergeVendors.isEmpty || knobs.divergeVendors.contains(location) {
            for (name, change) in knobs.divergences.sorted(by: { $0.key < $1.key }) {
                entry.set(name, Self.diverged(entry.value(name), change))
            }
        }
        return entry
    }
}
