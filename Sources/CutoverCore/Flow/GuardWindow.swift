import Foundation

/// The new side's latest outcomes for one flow, as the auto-rollback guard sees them: the most recent exchanges
/// (at most the policy's window) since the flow took its current setting that the new side took part in.
public struct GuardWindow: Sendable, Hashable, Codable {
    /// Exchanges in the window: verdict `match`, `mismatch` or `new_error`, or served by new alone.
    public var sample: Int
    /// `new_error` verdicts (timeouts included).
    public var newErrors: Int
    /// Those new-side errors that were timeouts.
    public var timeouts: Int
    public var mismatches: Int
    /// Where the window may start: the flow's last change.
    public var since: Date

    public init(sample: Int, newErrors: Int, timeouts: Int, mismatches: Int, since: Date) {
        self.sample = sample
        self.newErrors = newErrors
        self.timeouts = timeouts
        self.mismatches = mismatches
        self.since = since
    }

    public var newErrorRate: Double { sample > 0 ? Double(newErrors) / Double(sample) : 0 }
    public var mismatchRate: Double { sample > 0 ? Double(mismatches) / Double(sample) : 0 }
}
