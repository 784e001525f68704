/// The kind of legacy interface a flow wraps.
public enum FlowKind: String, Sendable, Hashable, Codable, CaseIterable {
    case soap
    case fileDrop = "file-drop"
    case dbJob = "db-job"
}
