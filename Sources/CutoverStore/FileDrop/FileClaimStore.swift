import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Claims on dropped files: who processes which content, and how far it got (see migration 0008).
public struct FileClaimStore: Sendable {
    public struct Claim: Sendable, Hashable {
        public var flow: String
        public var sha256: String
        public var fileName: String
        public var processingPath: String
        public var fileIdentity: String
        public var exchangeID: UUID
        public var startedAt: Date
        public var setting: ModeSetting
        public var state: String
        public var recordsDone: Int
        public var legacyDelivery: LegacyDelivery
    }

    /// How far a file's legacy delivery got; the temporary file's existence decides the rest after a crash.
    public enum LegacyDelivery: String, Sendable, Hashable {
        case pending, written, delivered, none
    }

    /// What claiming a file found.
    public enum Outcome: Sendable, Hashable {
        /// Ours to process: new, or this very file resumed after an interruption, or a retry of content that failed.
        case claimed(Claim)
        /// The same content was (or is being) processed from another drop.
        case duplicate(of: Claim)
        /// This very file was settled (with this result) but a crash stopped it before it left `processing/`.
        case settled(Claim, result: String?)
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Claims `sha256` for the file at `processingPath`, or finds who has it.
    public func claim(
        flow: String, sha256: String, fileName: String, processingPath: String, fileIdentity: String,
        setting: ModeSetting, by owner: String
    ) async throws -> Outcome {
        let exchangeID = UUID()
        let inserted = try await client.query(
            """
            INSERT INTO cutover.file_claims (flow, sha256, file_name, processing_path, file_identity, exchange_id,
                started_at, claimed_by, mode, percent)
            VALUES (\(flow), \(sha256), \(fileName), \(processingPath), \(fileIdentity), \(exchangeID), now(), \(owner),
                \(setting.mode.rawValue), \(setting.percent))
            ON CONFLICT (flow, sha256) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in inserted { return .claimed(try Self.decode(row)) }
        guard let existing = try await find(flow: flow, sha256: sha256) else {
            throw FileClaimError(message: "the claim on \(fileName) vanished while it was being taken")
        }
        if existing.processingPath == processingPath, existing.fileIdentity == fileIdentity {
            if existing.state == "processing" { return .claimed(existing) }
            return .settled(existing, result: try await progress(existing))
        }
        guard existing.state == "failed" else { return .duplicate(of: existing) }
        // The same bytes failed before (a broken format, say): dropped again on purpose, they are tried again.
        let retaken = try await client.query(
            """
            UPDATE cutover.file_claims SET file_name = \(fileName), processing_path = \(processingPath),
                file_identity = \(fileIdentity),
                exchange_id = \(exchangeID), started_at = now(), claimed_by = \(owner), mode = \(setting.mode.rawValue),
                percent = \(setting.percent), state = 'processing', records_done = 0, legacy_delivery = 'pending',
                finished_at = NULL, result = NULL
            WHERE flow = \(flow) AND sha256 = \(sha256) AND state = 'failed'
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in retaken { return .claimed(try Self.decode(row)) }
        return .duplicate(of: existing)
    }

    public func find(flow: String, sha256: String) async throws -> Claim? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM cutover.file_claims WHERE flow = \(flow) AND sha256 = \(sha256)",
            logger: logger)
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// The claim's result so far (the counts up to its last batch), or its final result once settled.
    public func progress(_ claim: Claim) async throws -> String? {
        let rows = try await client.query(
            "SELECT result::text FROM cutover.file_claims WHERE flow = \(claim.flow) AND sha256 = \(claim.sha256)",
            logger: logger)
        for try await row in rows { return try row.decode(String?.self) }
        return nil
    }

    /// When each of the claim's records already in the audit store started, by exchange id. A file resumed after a
    /// crash re-sends the batch that was in flight (the ERP answers it from its idempotency keys); its records are
    /// audited again under the same id and start time, so that each is stored once.
    public func auditedRecords(_ claim: Claim) async throws -> [UUID: Date] {
        var found: [UUID: Date] = [:]
        // Records start after their file was claimed: the bound lets PostgreSQL skip older audit partitions.
        let earliest = claim.startedAt.addingTimeInterval(-60)
        for try await (id, startedAt) in try await client.query(
            """
            SELECT id, started_at FROM cutover.exchanges
            WHERE parent_id = \(claim.exchangeID) AND kind = 'record' AND started_at >= \(earliest)
            """, logger: logger
        ).decode((UUID, Date).self) {
            found[id] = startedAt
        }
        return found
    }

    /// Records that the first `count` records have durable outcomes, with the result's counts so far.
    public func recordsDone(_ claim: Claim, count: Int, progress: String) async throws {
        try await client.run(
            """
            UPDATE cutover.file_claims SET records_done = \(count), result = \(progress)::jsonb
            WHERE flow = \(claim.flow) AND sha256 = \(claim.sha256) AND state = 'processing'
            """, logger: logger)
    }

    public func legacyDelivery(_ claim: Claim, _ delivery: LegacyDelivery) async throws {
        try await client.run(
            """
            UPDATE cutover.file_claims SET legacy_delivery = \(delivery.rawValue)
            WHERE flow = \(claim.flow) AND sha256 = \(claim.sha256) AND state = 'processing'
            """, logger: logger)
    }

    /// Settles the claim: `done` or `failed`, with the result written beside the file.
    public func finish(_ claim: Claim, failed: Bool, result: String) async throws {
        try await client.run(
            """
            UPDATE cutover.file_claims SET state = \(failed ? "failed" : "done"), finished_at = now(),
                result = \(result)::jsonb
            WHERE flow = \(claim.flow) AND sha256 = \(claim.sha256)
            """, logger: logger)
    }

    /// Runs `body` holding the lease on one processing file (see ``LeaseStore``); nil when another instance holds it.
    public func withFileLease<T: Sendable>(
        flow: String, processingPath: String, owner: String, ttl: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await LeaseStore(client: client, logger: logger).withLease(
            scope: "file:\(flow)", key: processingPath, owner: owner, ttl: ttl, body)
    }

    static let columns =
        "flow, sha256, file_name, processing_path, file_identity, exchange_id, started_at, mode, percent, state, records_done, legacy_delivery"

    static func decode(_ row: PostgresRow) throws -> Claim {
        let (flow, sha, name, path, identity, exchangeID, startedAt, mode, percent, state, done, delivery) =
            try row.decode(
                (String, String, String, String, String, UUID, Date, String, Double, String, Int, String).self)
        return Claim(
            flow: flow, sha256: sha, fileName: name, processingPath: path, fileIdentity: identity,
            exchangeID: exchangeID,
            startedAt: startedAt,
            setting: ModeSetting(mode: Mode(rawValue: mode) ?? .legacy, percent: percent), state: state,
            recordsDone: done, legacyDelivery: LegacyDelivery(rawValue: delivery) ?? .pending)
    }
}

public struct FileClaimError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
