import CutoverCore
import CutoverStore
import Foundation

/// The JSON shape of a flow's state, in the CLI's output and the admin API alike.
public struct FlowStateView: Codable, Sendable {
    public var flow: String
    public var mode: String
    public var percent: Double
    public var version: Int64
    public var changedAt: Date
    public var changedBy: String
    public var reason: String
    /// Traffic and verdicts of the last hour (the admin API's flows; absent in the CLI).
    public var live: FlowFigures?
    /// The version the answering instance applies to its traffic (the admin API's flows): behind `version` for
    /// the moment between a change and its notification reaching this instance.
    public var appliedVersion: Int64?
    /// The state of the flow's ERP circuit breaker on the answering instance (`closed`, `open`, `half_open`).
    public var circuit: String?

    public init(_ state: FlowState, live: FlowFigures? = nil, appliedVersion: Int64? = nil) {
        flow = state.flow
        mode = state.setting.mode.rawValue
        percent = state.setting.percent
        version = state.version
        changedAt = state.changedAt
        changedBy = state.changedBy
        reason = state.reason
        self.live = live
        self.appliedVersion = appliedVersion
    }
}

/// The JSON shape of a history entry.
public struct FlowChangeView: Codable, Sendable {
    public var version: Int64
    public var from: String?
    public var to: String
    public var percent: Double
    public var actor: String
    public var reason: String
    public var changedAt: Date
    public var figures: String?

    public init(_ change: FlowChange) {
        version = change.version
        from = change.from?.description
        to = change.to.mode.rawValue
        percent = change.to.percent
        actor = change.actor
        reason = change.reason
        changedAt = change.changedAt
        figures = change.figures
    }
}

/// A flow's recent traffic at a glance: how much, who served it, how the comparisons went.
public struct FlowFigures: Codable, Sendable, Hashable {
    public var since: Date
    public var exchanges: Int
    public var servedByLegacy: Int
    public var servedByNew: Int
    public var matches: Int
    public var mismatches: Int
    public var newErrors: Int
    public var legacyErrors: Int
    /// Matches over compared exchanges (match, mismatch, new_error); nil when none was compared.
    public var matchRate: Double?
    /// New-side errors over the exchanges the new side took part in (compared, or served by new alone); nil when
    /// it took part in none.
    public var newErrorRate: Double?

    public init(since: Date, tallies: [AuditQueries.Tally]) {
        self.since = since
        exchanges = tallies.reduce(0) { $0 + $1.count }
        servedByLegacy = tallies.filter { $0.servedBy == Side.legacy.rawValue }.reduce(0) { $0 + $1.count }
        servedByNew = tallies.filter { $0.servedBy == Side.new.rawValue }.reduce(0) { $0 + $1.count }
        func count(_ verdict: Verdict) -> Int {
            tallies.filter { $0.verdict == verdict.rawValue }.reduce(0) { $0 + $1.count }
        }
        matches = count(.match)
        mismatches = count(.mismatch)
        newErrors = count(.newError)
        legacyErrors = count(.legacyError)
        let compared = matches + mismatches + newErrors
        let servedAlone = tallies.filter {
            $0.servedBy == Side.new.rawValue && $0.verdict == Verdict.notCompared.rawValue
        }.reduce(0) { $0 + $1.count }
        matchRate = compared > 0 ? Double(matches) / Double(compared) : nil
        newErrorRate = compared + servedAlone > 0 ? Double(newErrors) / Double(compared + servedAlone) : nil
    }
}

enum AdminJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
