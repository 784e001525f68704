import CutoverCore

/// One flow, as defined by one `adapters/*.yaml` file.
public struct FlowDefinition: Sendable, Hashable {
    public var flow: String
    public var kind: FlowKind
    public var description: String?
    public var owner: String?
    /// The initial mode only; the live mode is in PostgreSQL.
    public var initialMode: ModeSetting
    /// Where each exchange's routing key comes from (XPath for SOAP/XML, column for CSV and SQL rows).
    public var routingKey: String?
    /// XPath namespace prefixes.
    public var namespaces: [String: String]
    public var legacy: LegacyDefinition
    public var new: NewSideDefinition?
    public var compare: CompareSpec
    public var rollout: RolloutDefinition
    /// Paths whose values are replaced by a keyed hash before anything is stored or logged.
    public var redact: [String]
    public var reconcile: ReconcileDefinition?
    /// The file the flow was loaded from, for messages.
    public var sourceFile: String

    public init(
        flow: String, kind: FlowKind, description: String? = nil, owner: String? = nil,
        initialMode: ModeSetting = .legacy, routingKey: String? = nil, namespaces: [String: String] = [:],
        legacy: LegacyDefinition, new: NewSideDefinition? = nil, compare: CompareSpec = CompareSpec(),
        rollout: RolloutDefinition = RolloutDefinition(), redact: [String] = [],
        reconcile: ReconcileDefinition? = nil, sourceFile: String
    ) {
        self.flow = flow
        self.kind = kind
        self.description = description
        self.owner = owner
        self.initialMode = initialMode
        self.routingKey = routingKey
        self.namespaces = namespaces
        self.legacy = legacy
        self.new = new
        self.compare = compare
        self.rollout = rollout
        self.redact = redact
        self.reconcile = reconcile
        self.sourceFile = sourceFile
    }
}
