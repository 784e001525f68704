import Foundation
import Logging
import PostgresNIO

/// Reconciliation findings (migration 0009): written once per run, the latest read back for reports.
public struct ReconciliationStore: Sendable {
    /// One stored run: its counts, and the whole finding as JSON.
    public struct Stored: Sendable, Hashable {
        public var id: UUID
        public var flow: String
        public var startedAt: Date
        public var legacyCount: Int
        public var newCount: Int
        public var onlyLegacy: Int
        public var onlyNew: Int
        public var changed: Int
        public var result: String
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func save(
        id: UUID, flow: String, startedAt: Date, finishedAt: Date, since: Date?, legacyCount: Int, newCount: Int,
        onlyLegacy: Int, onlyNew: Int, changed: Int, result: String
    ) async throws {
        try await client.run(
            """
            INSERT INTO cutover.reconciliations (id, flow, started_at, finished_at, since, legacy_count, new_count,
                only_legacy, only_new, changed, result)
            VALUES (\(id), \(flow), \(startedAt), \(finishedAt), \(since), \(legacyCount), \(newCount), \(onlyLegacy),
                \(onlyNew), \(changed), \(result)::jsonb)
            """, logger: logger)
    }

    /// The latest run for each of `flows` (all flows when nil).
    public func latest(flows: [String]? = nil) async throws -> [Stored] {
        let rows = try await client.query(
            """
            SELECT DISTINCT ON (flow) id, flow, started_at, legacy_count, new_count, only_legacy, only_new, changed,
                result::text
            FROM cutover.reconciliations
            WHERE \(flows == nil) OR flow = ANY(\(flows ?? []))
            ORDER BY flow, started_at DESC
            """, logger: logger)
        var found: [Stored] = []
        for try await (id, flow, startedAt, legacyCount, newCount, onlyLegacy, onlyNew, changed, result) in rows.decode(
            (UUID, String, Date, Int, Int, Int, Int, Int, String).self)
        {
            found.append(
                Stored(
                    id: id, flow: flow, startedAt: startedAt, legacyCount: legacyCount, newCount: newCount,
                    onlyLegacy: onlyLegacy, onlyNew: onlyNew, changed: changed, result: result))
        }
        return found
    }
}
