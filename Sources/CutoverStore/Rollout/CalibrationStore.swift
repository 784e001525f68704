import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Noise calibration's findings: each calibration run (two legacy answers to one request) and, aggregated in SQL,
/// the fields that differ between legacy answers.
public struct CalibrationStore: Sendable {
    /// One field that differed between two legacy answers, with how often.
    public struct NoisyField: Sendable, Hashable, Codable {
        /// The comparison's path (`total`, `lines[GLV-NITRILE-M].qty`, ...).
        public var path: String
        /// What `compare.ignore` needs to silence it.
        public var ignoreEntry: String
        /// Calibration runs in which it differed.
        public var occurrences: Int
        /// Calibration runs of the flow in the period.
        public var runs: Int
        /// Up to three pairs of legacy values (as stored: redacted).
        public var examples: [[String?]]
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func record(flow: String, exchangeID: UUID, exchangeStartedAt: Date, operation: String?, diff: [FieldDiff])
        async throws
    {
        let json = String(decoding: try JSONEncoder().encode(diff), as: UTF8.self)
        try await client.run(
            """
            INSERT INTO cutover.calibrations (id, flow, exchange_id, exchange_started_at, operation, diff)
            VALUES (\(UUID.random()), \(flow), \(exchangeID), \(exchangeStartedAt), \(operation), \(json)::jsonb)
            """, logger: logger)
    }

    /// The fields of `flow` that differed between two legacy answers since `since`, most often first, grouped by
    /// what `ignore` needs to silence them.
    public func noise(flow: String, since: Date) async throws -> [NoisyField] {
        var runs = 0
        for try await (count) in try await client.query(
            "SELECT count(*)::int FROM cutover.calibrations WHERE flow = \(flow) AND calibrated_at >= \(since)",
            logger: logger
        ).decode(Int.self) {
            runs = count
        }
        // Grouped in SQL by what `ignore` needs: a path with its repeating-group keys taken out (`lines[A].qty` and
        // `lines[B].qty` are both `lines.qty`), as `CompareSpec.ignoreEntry` names it; runs counted once each.
        let rows = try await client.query(
            """
            SELECT min(d->>'path'), count(DISTINCT c.id)::int,
                   (array_agg(jsonb_build_array(d->'legacy', d->'new')::text ORDER BY c.calibrated_at))[1:3]
            FROM cutover.calibrations c CROSS JOIN LATERAL jsonb_array_elements(c.diff) d
            WHERE c.flow = \(flow) AND c.calibrated_at >= \(since)
            GROUP BY regexp_replace(d->>'path', '\\[.*\\]', '')
            """, logger: logger)
        var noisy: [NoisyField] = []
        for try await (path, occurrences, examples) in rows.decode((String, Int, [String]).self) {
            let pairs = examples.compactMap { example -> [String?]? in
                guard case .array(let pair)? = try? JSONValue.parse(example) else { return nil }
                return pair.map(\.scalarText)
            }
            noisy.append(
                NoisyField(
                    path: path, ignoreEntry: CompareSpec.ignoreEntry(forDiffPath: path), occurrences: occurrences,
                    runs: runs, examples: pairs))
        }
        return noisy.sorted { ($0.occurrences, $1.ignoreEntry) > ($1.occurrences, $0.ignoreEntry) }
    }
}
