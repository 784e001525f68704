import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Dead letters and their replays. A dead letter is pending until a replay delivered it; every attempt is kept.
public struct DeadLetterStore: Sendable {
    public struct Pending: Sendable, Hashable {
        public var record: DeadLetterRecord
        /// Replays tried so far, none delivered.
        public var replays: Int
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// `flow`'s dead letters not yet delivered, oldest first.
    public func pending(flow: String, limit: Int = 10_000) async throws -> [Pending] {
        let rows = try await client.query(
            """
            SELECT d.id, d.flow, d.exchange_id, d.exchange_started_at, d.correlation_id, d.method, d.url,
                   d.idempotency_key, d.body, d.input, d.error, d.attempts, d.created_at,
                   (SELECT count(*)::int FROM cutover.dead_letter_replays r WHERE r.dead_letter_id = d.id)
            FROM cutover.dead_letters d
            WHERE d.flow = \(flow) AND NOT EXISTS (
                SELECT 1 FROM cutover.dead_letter_replays r WHERE r.dead_letter_id = d.id AND r.delivered)
            ORDER BY d.created_at, d.id LIMIT \(limit)
            """, logger: logger)
        var found: [Pending] = []
        for try await row in rows {
            let (
                id, flow, exchangeID, startedAt, correlationID, method, url, key, body, input, error, attempts,
                createdAt, replays
            ) = try row.decode(
                (UUID, String, UUID, Date, String, String, String, String?, String, String?, String, Int, Date, Int)
                    .self)
            found.append(
                Pending(
                    record: DeadLetterRecord(
                        id: id, flow: flow, exchangeID: exchangeID, exchangeStartedAt: startedAt,
                        correlationID: correlationID, method: method, url: url, idempotencyKey: key, body: body,
                        input: input, error: error, attempts: attempts, createdAt: createdAt), replays: replays))
        }
        return found
    }

    /// Records one replay attempt. A second delivery of the same dead letter (two replays racing) is refused:
    /// returns false.
    @discardableResult
    public func recordReplay(
        _ id: UUID, delivered: Bool, status: Int?, error: String?, exchangeID: UUID?, actor: String
    ) async throws -> Bool {
        do {
            try await client.run(
                """
                INSERT INTO cutover.dead_letter_replays (dead_letter_id, delivered, status, error, exchange_id, actor)
                VALUES (\(id), \(delivered), \(status), \(error), \(exchangeID), \(actor))
                """, logger: logger)
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            return false
        }
    }

    /// Pending dead letters per flow (`cutover_dead_letters`).
    public func pendingCounts() async throws -> [String: Int] {
        let rows = try await client.query(
            """
            SELECT d.flow, count(*)::int FROM cutover.dead_letters d
            WHERE NOT EXISTS (
                SELECT 1 FROM cutover.dead_letter_replays r WHERE r.dead_letter_id = d.id AND r.delivered)
            GROUP BY d.flow
            """, logger: logger)
        var counts: [String: Int] = [:]
        for try await (flow, count) in rows.decode((String, Int).self) { counts[flow] = count }
        return counts
    }

    /// Dead letters of `flow` created in [since, until).
    public func created(flow: String, since: Date, until: Date) async throws -> Int {
        var total = 0
        for try await (count) in try await client.query(
            """
            SELECT count(*)::int FROM cutover.dead_letters
            WHERE flow = \(flow) AND created_at >= \(since) AND created_at < \(until)
            """, logger: logger
        ).decode(Int.self) {
            total = count
        }
        return total
    }
}

/// Audit records written straight to PostgreSQL, without the writer's batching and spool: for commands (replay)
/// that run only while PostgreSQL is there and report a failure to their operator instead of spooling.
public struct DirectAuditWrite: Sendable {
    let inserter: AuditBatchInserter

    public init(client: PostgresClient, logger: Logger) {
        inserter = AuditBatchInserter(client: client, logger: logger)
    }

    public func write(_ records: [AuditRecord]) async throws {
        try await inserter.insert(records)
    }
}
