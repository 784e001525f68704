/// Who serves a flow's exchanges, per DESIGN.md's mode table.
///
/// The percent of a canary lives beside the mode in ``FlowState``; the mode itself is one of four names.
public enum Mode: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case legacy
    case shadow
    case canary
    case new

    /// Position on the forward path legacy → shadow → canary → new.
    public var step: Int {
        switch self {
        case .legacy: 0
        case .shadow: 1
        case .canary: 2
        case .new: 3
        }
    }

    public static func < (lhs: Mode, rhs: Mode) -> Bool { lhs.step < rhs.step }
}
