import CutoverCore
import Foundation

/// The evidence for one flow over one period, as every report format shows it. Encoded as JSON it is the `json`
/// format; its schema is documented in docs/reports.md.
public struct ParallelRunReport: Sendable, Codable, Hashable {
    public struct Volume: Sendable, Codable, Hashable {
        public var mode: String
        public var servedBy: String?
        public var exchanges: Int
    }

    public struct FieldCount: Sendable, Codable, Hashable {
        public var path: String
        public var occurrences: Int
        /// Up to three correlation ids of exchanges where the field differed, newest first.
        public var examples: [String]
    }

    public struct Latency: Sendable, Codable, Hashable {
        public var side: String
        public var calls: Int
        public var p50Seconds: Double?
        public var p90Seconds: Double?
        public var p99Seconds: Double?
    }

    public struct ModeChange: Sendable, Codable, Hashable {
        public var at: Date
        public var from: String?
        public var to: String
        public var actor: String
        public var reason: String
        /// The auto-rollback guard made this change (the new side misbehaved), not a person.
        public var automatic: Bool
    }

    /// Side calls whose latency was at most `upperBoundSeconds` (and above the previous bound); the last bound is
    /// open (`nil`).
    public struct LatencyBin: Sendable, Codable, Hashable {
        public var side: String
        public var upperBoundSeconds: Double?
        public var calls: Int
    }

    /// One time bucket of the charts.
    public struct Bucket: Sendable, Codable, Hashable {
        public var start: Date
        public var exchanges: Int
        public var compared: Int
        public var matches: Int
    }

    /// The flow's latest state-level reconciliation (`cutover reconcile`), whenever it ran.
    public struct Reconciliation: Sendable, Codable, Hashable {
        public var at: Date
        public var legacyRecords: Int
        public var newRecords: Int
        public var onlyInLegacy: Int
        public var onlyInNew: Int
        public var changed: Int
        /// Control total → (legacy, new).
        public var totals: [String: [String]]
    }

    public var flow: String
    public var since: Date
    public var until: Date
    public var exchanges: Int
    public var volume: [Volume]
    /// Exchanges by verdict (`match`, `mismatch`, `legacy_error`, `new_error`, `not_compared`); exchanges whose
    /// comparison is still pending are counted under `pending`.
    public var verdicts: [String: Int]
    public var topFields: [FieldCount]
    public var latency: [Latency]
    public var latencyHistogram: [LatencyBin]
    /// Dead letters of the period (none exist before the dead-letter store is built).
    public var deadLetters: Int
    public var timeline: [ModeChange]
    public var readiness: ReadinessAssessment
    public var bucketSeconds: Int
    public var buckets: [Bucket]
    public var reconciliation: Reconciliation? = nil
}
