/// Whether a flow has earned `new`: its parallel-run evidence measured against `rollout.promote_when`.
///
/// Compared exchanges are those whose new side was judged: `match`, `mismatch` and `new_error`. An exchange the
/// legacy side failed (`legacy_error`) says nothing about the new side, and `not_compared` ones (legacy mode, full
/// off-path queue) carry no evidence; both are counted and shown, never used. The match rate is matches over
/// compared exchanges.
public struct ReadinessAssessment: Sendable, Hashable, Codable {
    public var flow: String
    /// The criteria, when the flow has any.
    public var minimumExchanges: Int?
    public var minimumMatchRate: Double?
    public var compared: Int
    public var matches: Int
    public var mismatches: Int
    public var newErrors: Int
    public var legacyErrors: Int
    public var notCompared: Int
    /// Matches over compared exchanges; nil when nothing was compared.
    public var matchRate: Double?
    public var passes: Bool
    /// Why it fails (empty when it passes).
    public var reasons: [String]

    public static func assess(
        flow: String, minimumExchanges: Int?, minimumMatchRate: Double?, counts: [Verdict: Int]
    ) -> ReadinessAssessment {
        let matches = counts[.match, default: 0]
        let mismatches = counts[.mismatch, default: 0]
        let newErrors = counts[.newError, default: 0]
        let compared = matches + mismatches + newErrors
        let matchRate = compared > 0 ? Double(matches) / Double(compared) : nil
        var reasons: [String] = []
        if let minimumExchanges, compared < minimumExchanges {
            reasons.append("\(compared) compared exchanges, \(minimumExchanges) required")
        }
        if let minimumMatchRate {
            if let matchRate {
                if matchRate < minimumMatchRate {
                    reasons.append("match rate \(Self.percent(matchRate)) below \(Self.percent(minimumMatchRate))")
                }
            } else {
                reasons.append("no compared exchanges, so no match rate")
            }
        }
        return ReadinessAssessment(
            flow: flow, minimumExchanges: minimumExchanges, minimumMatchRate: minimumMatchRate, compared: compared,
            matches: matches, mismatches: mismatches, newErrors: newErrors,
            legacyErrors: counts[.legacyError, default: 0], notCompared: counts[.notCompared, default: 0],
            matchRate: matchRate, passes: reasons.isEmpty, reasons: reasons)
    }

    /// `99.95%`: two decimals, trailing zeros dropped.
    public static func percent(_ rate: Double) -> String {
        var text = String(format: "%.2f", rate * 100)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + "%"
    }

    /// The figures as a JSON object, stored with a mode change so the history shows what the decision rested on.
    public var figures: JSONValue {
        var members: [(String, JSONValue)] = [
            ("compared", .number(String(compared))), ("matches", .number(String(matches))),
            ("mismatches", .number(String(mismatches))), ("new_errors", .number(String(newErrors))),
            ("legacy_errors", .number(String(legacyErrors))), ("not_compared", .number(String(notCompared))),
            ("match_rate", matchRate.map { .number(String($0)) } ?? .null), ("passes", .bool(passes)),
        ]
        if let minimumExchanges { members.append(("min_exchanges", .number(String(minimumExchanges)))) }
        if let minimumMatchRate { members.append(("min_match_rate", .number(String(minimumMatchRate)))) }
        return .object(members)
    }
}
