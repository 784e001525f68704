/// A flow's rollout policy (DESIGN.md's `rollout`).
public struct RolloutDefinition: Sendable, Hashable {
    public var autoRollback: AutoRollbackPolicy?
    public var promoteWhen: PromotionCriteria?

    public init(autoRollback: AutoRollbackPolicy? = nil, promoteWhen: PromotionCriteria? = nil) {
        self.autoRollback = autoRollback
        self.promoteWhen = promoteWhen
    }
}

/// Watches the new side over a sliding window and rolls the flow back on a breach.
public struct AutoRollbackPolicy: Sendable, Hashable {
    /// Number of most recent new-side outcomes considered.
    public var window: Int
    /// No decision before this many outcomes are in the window.
    public var minimumSample: Int
    public var maxNewErrorRate: Double
    public var maxMismatchRate: Double
    /// After a rollback, the guard stays quiet this long.
    public var cooldownSeconds: Int
    /// Only record what the guard would have done.
    public var dryRun: Bool

    public init(
        window: Int, minimumSample: Int? = nil, maxNewErrorRate: Double, maxMismatchRate: Double,
        cooldownSeconds: Int = 300, dryRun: Bool = false
    ) {
        self.window = window
        self.minimumSample = minimumSample ?? max(1, window / 4)
        self.maxNewErrorRate = maxNewErrorRate
        self.maxMismatchRate = maxMismatchRate
        self.cooldownSeconds = cooldownSeconds
        self.dryRun = dryRun
    }
}

/// What a flow must show before it may move to `new`.
public struct PromotionCriteria: Sendable, Hashable {
    public var minimumExchanges: Int
    public var minimumMatchRate: Double

    public init(minimumExchanges: Int, minimumMatchRate: Double) {
        self.minimumExchanges = minimumExchanges
        self.minimumMatchRate = minimumMatchRate
    }
}
