import CutoverCore

/// Why a flow's mode was not changed.
public struct FlowStateError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownFlow, versionConflict, refusedTransition, unchanged, missingReason
    }
    public var code: Code
    public var flow: String
    public var message: String
    public var description: String { message }

    public init(code: Code, flow: String, message: String) {
        self.code = code
        self.flow = flow
        self.message = message
    }
}
