import Foundation

/// The live state of one flow, as stored in PostgreSQL and watched by every instance.
public struct FlowState: Sendable, Hashable, Codable {
    public var flow: String
    public var setting: ModeSetting
    /// Incremented by every change; changes may be made as a compare-and-set on it.
    public var version: Int64
    public var changedAt: Date
    public var changedBy: String
    public var reason: String

    public init(flow: String, setting: ModeSetting, version: Int64, changedAt: Date, changedBy: String, reason: String)
    {
        self.flow = flow
        self.setting = setting
        self.version = version
        self.changedAt = changedAt
        self.changedBy = changedBy
        self.reason = reason
    }
}

/// One entry of a flow's mode history: never overwritten.
public struct FlowChange: Sendable, Hashable, Codable {
    public var id: Int64
    public var flow: String
    public var from: ModeSetting?
    public var to: ModeSetting
    public var version: Int64
    public var actor: String
    public var reason: String
    public var changedAt: Date
    /// Figures recorded with the change (readiness, auto-rollback triggers), as JSON text.
    public var figures: String?

    public init(
        id: Int64, flow: String, from: ModeSetting?, to: ModeSetting, version: Int64, actor: String, reason: String,
        changedAt: Date, figures: String?
    ) {
        self.id = id
        self.flow = flow
        self.from = from
        self.to = to
        self.version = version
        self.actor = actor
        self.reason = reason
        self.changedAt = changedAt
        self.figures = figures
    }
}
