import CutoverHTTP

/// An adapter that calls its flow's ERP through a circuit breaker: the facade, a file drop's processor, a job's
/// runner. `/metrics` and the admin API read every one of them.
public protocol ERPCircuitHolder: Sendable {
    var flowName: String { get }
    /// The new side's ERP host and its circuit breaker's state; nil for a flow without a new side.
    var circuit: (host: String, state: CircuitBreaker.State)? { get }
}

extension SOAPFacade: ERPCircuitHolder {
    public var flowName: String { flow.name }
    public var circuit: (host: String, state: CircuitBreaker.State)? { newSide?.circuit }
}

extension FileDropProcessor: ERPCircuitHolder {
    public var flowName: String { flow.name }
    public var circuit: (host: String, state: CircuitBreaker.State)? { newSide?.circuit }
}

extension DBJobRunner: ERPCircuitHolder {
    public var flowName: String { flow.name }
    public var circuit: (host: String, state: CircuitBreaker.State)? { newSide?.circuit }
}
