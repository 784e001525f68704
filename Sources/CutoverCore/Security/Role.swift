/// What an admin API token may do. Each role includes the ones below it: a viewer reads, an operator also changes
/// modes, schedules and replays, an admin also manages tokens.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .`operator`: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Whether this role may do what `required` may.
    public func permits(_ required: Role) -> Bool { self >= required }
}
