/// One of the two systems a flow talks to.
public enum Side: String, Sendable, Hashable, Codable, CaseIterable {
    /// The existing system.
    case legacy
    /// The cloud ERP's REST API.
    case new
}
