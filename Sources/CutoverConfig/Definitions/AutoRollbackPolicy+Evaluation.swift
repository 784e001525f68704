import CutoverCore
import Foundation

/// What the guard concluded from one look at a flow's window.
public struct GuardDecision: Sendable, Hashable {
    /// A threshold was crossed with at least the minimum sample in the window.
    public var breached: Bool
    /// Which thresholds were crossed, in words (empty when none).
    public var reasons: [String]
    /// The window and thresholds as a JSON object, stored with the rollback so the history shows what tripped it.
    public var figures: JSONValue
}

extension AutoRollbackPolicy {
    /// Judges `window`: a rate above its maximum breaches, once the window holds `minimumSample` outcomes.
    public func evaluate(_ window: GuardWindow) -> GuardDecision {
        var reasons: [String] = []
        if window.sample >= minimumSample {
            if window.newErrorRate > maxNewErrorRate {
                reasons.append(
                    "new-side error rate \(ReadinessAssessment.percent(window.newErrorRate)) above "
                        + "\(ReadinessAssessment.percent(maxNewErrorRate)) "
                        + "(\(window.newErrors) of \(window.sample), \(window.timeouts) timeouts)")
            }
            if window.mismatchRate > maxMismatchRate {
                reasons.append(
                    "mismatch rate \(ReadinessAssessment.percent(window.mismatchRate)) above "
                        + "\(ReadinessAssessment.percent(maxMismatchRate)) (\(window.mismatches) of \(window.sample))")
            }
        }
        let figures: JSONValue = .object([
            ("window", .number(String(self.window))), ("min_sample", .number(String(minimumSample))),
            ("sample", .number(String(window.sample))), ("new_errors", .number(String(window.newErrors))),
            ("timeouts", .number(String(window.timeouts))), ("mismatches", .number(String(window.mismatches))),
            ("new_error_rate", .number(Self.rate(window.newErrorRate))),
            ("mismatch_rate", .number(Self.rate(window.mismatchRate))),
            ("max_new_error_rate", .number(Self.rate(maxNewErrorRate))),
            ("max_mismatch_rate", .number(Self.rate(maxMismatchRate))),
            ("since", .string(window.since.formatted(.iso8601))), ("dry_run", .bool(dryRun)),
            ("reasons", .array(reasons.map(JSONValue.string))),
        ])
        return GuardDecision(breached: !reasons.isEmpty, reasons: reasons, figures: figures)
    }

    private static func rate(_ value: Double) -> String {
        String(format: "%.4f", value)
    }
}
