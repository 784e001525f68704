import CutoverCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Makes audit records durable: handlers `await write(_:)`, which returns once the records are committed in
/// PostgreSQL or fsync'ed in the local spool, and throws only when neither is possible.
///
/// Records are batched by count and by a few milliseconds and written with COPY into staging tables followed by
/// `INSERT … ON CONFLICT DO NOTHING`, so a record written twice (a retry, a spool drained after a crash) is stored once.
public actor AuditWriter: Service {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private struct Entry {
        var records: [AuditRecord]
        var continuation: CheckedContinuation<Void, any Error>
    }

    let client: PostgresClient
    let configuration: AuditWriterConfiguration
    let logger: Logger
    let database: AuditBatchInserter
    private let spool: AuditSpool

    private var pending: [Entry] = []
    private var pendingRecords = 0
    private var workWaiters: [CheckedContinuation<Void, Never>] = []
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var databaseDown = false
    private var shuttingDown = false
    private var inFlight = 0

    public init(client: PostgresClient, configuration: AuditWriterConfiguration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.database = AuditBatchInserter(client: client, logger: logger)
        self.spool = AuditSpool(directory: configuration.spoolDirectory, maxSegmentBytes: configuration.maxSegmentBytes)
    }

    /// Records accepted and not yet durable (`cutover_audit_queue_depth`).
    public var queueDepth: Int { pendingRecords }

    /// Bytes waiting in the spool (`cutover_audit_spool_bytes`).
    public var spoolBytes: Int { spool.bytes() }

    /// Whether the last attempt to reach PostgreSQL failed.
    public var isSpooling: Bool { databaseDown }

    /// Returns once every record is durable; throws ``WriteError`` when neither PostgreSQL nor the spool took them.
    public func write(_ records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        while pendingRecords >= configuration.maxPendingRecords, !shuttingDown {
            await withCheckedContinuation { spaceWaiters.append($0) }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pending.append(Entry(records: records, continuation: continuation))
            pendingRecords += records.count
            if let waiter = workWaiters.popLast() { waiter.resume() }
        }
    }

    public func write(_ record: AuditRecord) async throws {
        try await write([record])
    }

    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<configuration.concurrentBatches {
                    group.addTask { await self.flushLoop() }
                }
                group.addTask { await self.drainLoop() }
                await group.waitForAll()
            }
        } onCancelOrGracefulShutdown: {
            Task { await self.beginShutdown() }
        }
        // Whatever is still queued when the loops end is spooled rather than dropped.
        let leftovers = pending
        pending.removeAll()
        pendingRecords = 0
        for entry in leftovers {
            do {
                try spool.append(entry.records)
                entry.continuation.resume()
            } catch {
                entry.continuation.resume(throwing: WriteError(description: "\(error)"))
            }
        }
        spool.seal()
    }

    private func beginShutdown() {
        shuttingDown = true
        for waiter in workWaiters { waiter.resume() }
        workWaiters.removeAll()
        for waiter in spaceWaiters { waiter.resume() }
        spaceWaiters.removeAll()
    }

    // MARK: Flushing

    private func flushLoop() async {
        while true {
            if pending.isEmpty {
                if shuttingDown || Task.isCancelled { return }
                await withCheckedContinuation { workWaiters.append($0) }
                continue
            }
            if configuration.maxBatchDelay > .zero, pendingRecords < configuration.maxBatchRecords, !shuttingDown {
                // The batching window: let a partial batch fill for a moment.
                try? await Task.sleep(for: configuration.maxBatchDelay)
            }
            let batch = takeBatch()
            guard !batch.isEmpty else { continue }
            inFlight += 1
            let result = await persist(batch.flatMap(\.records))
            inFlight -= 1
            for entry in batch {
                switch result {
                case .success: entry.continuation.resume()
                case .failure(let error): entry.continuation.resume(throwing: error)
                }
            }
        }
    }

    private func takeBatch() -> [Entry] {
        // Share what is pending among the flushers that are free, so batches run side by side instead of one
        // flusher carrying everything while the others wait (the pending records' writers wait on that one batch).
        let free = max(1, configuration.concurrentBatches - inFlight)
        let share = max(configuration.minimumSplitRecords, (pendingRecords + free - 1) / free)
        let limit = min(configuration.maxBatchRecords, share)
        var batch: [Entry] = []
        var count = 0
        while let first = pending.first, count == 0 || count + first.records.count <= limit {
            batch.append(pending.removeFirst())
            count += first.records.count
        }
        pendingRecords -= count
        let freed = spaceWaiters
        spaceWaiters.removeAll()
        for waiter in freed { waiter.resume() }
        return batch
    }

    /// PostgreSQL first (unless known down), then the spool.
    private func persist(_ records: [AuditRecord]) async -> Result<Void, WriteError> {
        if !databaseDown {
            do {
                try await withDeadline(configuration.databaseTimeout) { [database] in try await database.insert(records)
                }
                return .success(())
            } catch  where AuditBatchInserter.isServerError(error) {
                // PostgreSQL is up but refused the batch: keep it in the spool, where the drainer retries it once
                // and then sets it aside for an operator.
                logger.critical(
                    "audit store refused a batch; it is kept in the spool",
                    metadata: ["error": "\(String(reflecting: error))"])
            } catch {
                markDown(error)
            }
        }
        do {
            try spool.append(records)
            return .success(())
        } catch {
            logger.critical(
                "audit records could be written neither to PostgreSQL nor to the spool", metadata: ["error": "\(error)"]
            )
            return .failure(WriteError(description: "audit store unavailable and spool not writable: \(error)"))
        }
    }

    private func markDown(_ error: any Error) {
        if !databaseDown {
            logger.error(
                "audit store unreachable, spooling locally", metadata: ["error": "\(String(reflecting: error))"])
        }
        databaseDown = true
    }

    // MARK: Draining

    private func drainLoop() async {
        while !Task.isCancelled {
            await drainOnce()
            if shuttingDown { return }
            try? await Task.sleep(for: configuration.drainInterval)
        }
    }

    /// Sends sealed spool segments to PostgreSQL. Returns true when the spool is empty afterwards.
    @discardableResult
    public func drainOnce() async -> Bool {
        if databaseDown {
            do {
                try await withDeadline(configuration.databaseTimeout) { [database] in try await database.ping() }
            } catch {
                return false
            }
        }
        // New batches go to PostgreSQL again; what was spooled so far is sealed and sent on.
        databaseDown = false
        spool.seal()
        for segment in spool.sealedSegments() {
            let batches: [[AuditRecord]]
            do {
                batches = try spool.batches(in: segment)
            } catch {
                logger.critical(
                    "damaged audit spool segment moved aside", metadata: ["segment": "\(segment)", "error": "\(error)"])
                spool.quarantine(segment)
                continue
            }
            do {
                // Spooled batches are small (one per flush while PostgreSQL was away): send them on in chunks of
                // `drainBatchRecords`, each with the drainer's own, longer deadline.
                var records: [AuditRecord] = []
                for batch in batches {
                    records += batch
                    if records.count >= configuration.drainBatchRecords {
                        let chunk = records
                        records.removeAll(keepingCapacity: true)
                        try await withDeadline(configuration.drainTimeout) { [database] in
                            try await database.insert(chunk)
                        }
                    }
                }
                if !records.isEmpty {
                    let chunk = records
                    try await withDeadline(configuration.drainTimeout) { [database] in
                        try await database.insert(chunk)
                    }
                }
                try spool.remove(segment)
                logger.info(
                    "drained audit spool segment", metadata: ["segment": "\(segment)", "batches": "\(batches.count)"])
            } catch  where AuditBatchInserter.isServerError(error) {
                // PostgreSQL is up and refuses this data: retrying cannot help. Keep it for an operator.
                logger.critical(
                    "audit store refused spooled records; segment moved aside",
                    metadata: ["segment": "\(segment)", "error": "\(String(reflecting: error))"]
                )
                spool.quarantine(segment)
            } catch {
                markDown(error)
                return false
            }
        }
        return true
    }
}
