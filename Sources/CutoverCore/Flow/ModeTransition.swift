/// Rules for moving a flow between modes.
///
/// Forward moves follow legacy → shadow → canary → new one step at a time; skipping a step needs `force`.
/// Backward moves (towards legacy) are always allowed: they are rollbacks, full or partial.
public enum ModeTransition {
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Code: String, Sendable { case skipsStep, unchanged, invalidPercent }
        public var code: Code
        public var message: String
        public var description: String { message }
    }

    /// Checks a requested change; returns normally when it may be applied.
    public static func check(from current: ModeSetting, to target: ModeSetting, force: Bool) throws(Violation) {
        if target.mode == .canary, !(target.percent > 0 && target.percent <= 100) {
            throw Violation(code: .invalidPercent, message: "canary needs --percent greater than 0 and at most 100")
        }
        if current == target {
            throw Violation(code: .unchanged, message: "flow is already in \(target)")
        }
        if target.mode.step > current.mode.step + 1, !force {
            let next = Mode.allCases.first { $0.step == current.mode.step + 1 }!
            throw Violation(
                code: .skipsStep,
                message: "\(current.mode.rawValue) → \(target.mode.rawValue) skips \(next.rawValue); "
                    + "move one step at a time or pass --force"
            )
        }
    }
}
