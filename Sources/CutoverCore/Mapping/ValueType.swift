/// The canonical type a mapped or compared value is normalised to.
public enum ValueType: String, Sendable, Hashable, Codable, CaseIterable {
    case string
    case decimal
    case integer
    case date
    case datetime
    case boolean
}
