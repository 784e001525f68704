import Foundation

/// The suppliers and items both simulators know, with the same prices, so that a purchase order costs the same on
/// either side unless a divergence is planted on purpose.
public enum SimulatorCatalog {
    public struct Supplier: Sendable, Hashable {
        public var number: String
        public var name: String
    }

    public struct Item: Sendable, Hashable {
        public var code: String
        public var description: String
        /// Price per unit of `unitOfMeasure`, two decimals.
        public var unitPrice: Decimal
        public var unitOfMeasure: String
        /// Pieces in one `unitOfMeasure` (100 gloves to the box); 1 for items sold by the each.
        public var piecesPerUnit: Int

        /// The price of one `unit`: the item's own unit, or `EACH` (a piece of a boxed item, priced pro rata).
        /// Another code is taken as the item's own unit.
        public func price(per unit: String?) -> Decimal {
            guard unit == "EACH", unitOfMeasure != "EACH", piecesPerUnit > 1 else { return unitPrice }
            return unitPrice / Decimal(piecesPerUnit)
        }
    }

    public static let suppliers: [Supplier] = [
        ("SUP-1001", "Northwind Medical Supply"), ("SUP-1002", "Lakeside Surgical"), ("SUP-1003", "Harbor Pharma"),
        ("SUP-1004", "Summit Diagnostics"), ("SUP-1005", "Riverbend Linen Services"), ("SUP-1006", "Pioneer Lab"),
        ("SUP-1007", "Cedar Orthopedics"), ("SUP-1008", "Bayview Respiratory"), ("SUP-1009", "Granite IV Solutions"),
        ("SUP-1010", "Meadow Dental"), ("SUP-1011", "Coastal Imaging"), ("SUP-1012", "Prairie Nutrition"),
    ].map { Supplier(number: $0.0, name: $0.1) }

    public static let items: [Item] = [
        ("GLV-NITRILE-M", "Nitrile exam gloves, medium, box of 100", "12.50", "BOX", 100),
        ("SYR-10ML", "Syringe 10 ml luer lock", "0.35", "EACH", 1),
        ("GAUZE-4X4", "Gauze sponge 4x4, box of 200", "8.90", "BOX", 200),
        ("IV-SET-STD", "IV administration set, standard", "4.75", "EACH", 1),
        ("MASK-N95", "N95 respirator", "1.10", "EACH", 1),
        ("CATH-FOLEY-16", "Foley catheter 16 Fr", "6.40", "EACH", 1),
    ].map {
        Item(
            code: $0.0, description: $0.1, unitPrice: Decimal(string: $0.2)!, unitOfMeasure: $0.3,
            piecesPerUnit: $0.4)
    }

    public static func supplier(_ number: String) -> Supplier? { suppliers.first { $0.number == number } }
    public static func item(_ code: String) -> Item? { items.first { $0.code == code } }

    /// Two-decimal text of a money amount (`12.5` → `12.50`).
    public static func money(_ value: Decimal) -> String {
        var rounded = Decimal()
        var input = value
        NSDecimalRound(&rounded, &input, 2, .bankers)
        let text = "\(rounded)"
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }
}
