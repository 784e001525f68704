import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// Runs one database job once, by the flow's live mode, holding the job's lease so no two instances run it at once:
///
/// - legacy: `legacy.sql` as it runs today; `legacy.capture.sql`'s result is audited as what it did.
/// - shadow: the legacy job unchanged, then the `source.sql` rows not sent before go to the ERP and are compared;
///   what was sent is kept in `cutover.job_sent`, never in the legacy tables.
/// - canary: the source rows are split by routing key; the ERP's share is listed in the legacy database's key filter
///   table `cutover_job_filter` (flow, row key) before the legacy job runs, so the job (which must skip listed
///   keys) does only its share; then the ERP's share is sent, each row acked with `source.ack_sql` once accepted.
/// - new: the legacy job does not run; every source row goes to the ERP and is acked once accepted.
///
/// A row the ERP does not take is a dead letter and is not acked; the run goes on. A crash mid-run leaves the rows
/// in flight unacked: the next run reads them again and sends them with the same idempotency keys.
public struct DBJobRunner: Sendable {
    public let flow: DBJobFlow
    let modes: any ModeSource
    let newSide: NewSide?
    let audit: any AuditSink
    let store: JobStore
    let leases: LeaseStore
    let redactor: Redactor
    let instance: String
    let concurrency: Int
    let rows: RowExchange
    let logger: Logger

    public init(
        flow: DBJobFlow, modes: any ModeSource, erp: ERPClient?, audit: any AuditSink, client: PostgresClient,
        redactor: Redactor, instance: String, quotas: ERPQuotas = ERPQuotas(), concurrency: Int = 8, logger: Logger
    ) {
        self.flow = flow
        self.modes = modes
        self.newSide = NewSide(flow.definition.new, client: erp, quotas: quotas)
        self.audit = audit
        self.store = JobStore(client: client, logger: logger)
        self.leases = LeaseStore(client: client, logger: logger)
        self.redactor = redactor
        self.instance = instance
        self.concurrency = max(1, concurrency)
        self.rows = RowExchange(definition: flow.definition, newSide: newSide, redactor: redactor)
        var logger = logger
        logger[metadataKey: "cutover.flow"] = "\(flow.name)"
        self.logger = logger
    }

    /// Runs the job now on `legacy` (a pool on the legacy database). Nil when another instance is running it.
    public func run(legacy: PostgresClient, trigger: String, slot: Date? = nil) async throws -> JobRunResult? {
        try await leases.withLease(
            scope: "job", key: flow.name, owner: instance, ttl: .milliseconds(flow.job.leaseMilliseconds)
        ) {
            try await runHeld(legacy: legacy, trigger: trigger, slot: slot)
        }
    }

    private func runHeld(legacy: PostgresClient, trigger: String, slot: Date?) async throws -> JobRunResult {
        let id = UUID.random()
        let setting = modes.setting(of: flow.name)
        let startedAt = Date()
        try await store.startRun(
            id: id, flow: flow.name, trigger: trigger, slot: slot, instance: instance, setting: setting,
            startedAt: startedAt)
        var result = JobRunResult(id: id, flow: flow.name, mode: setting.description, trigger: trigger)
        do {
            switch setting.mode {
            case .legacy:
                try await runLegacy(legacy, &result)
            case .shadow:
                try await runLegacy(legacy, &result)
                var rows = try await sourceRows(legacy)
                let sent = try await store.sentKeys(flow: flow.name, among: rows.map(\.key))
                rows.removeAll { sent.contains($0.key) }
                try await send(rows, legacy: legacy, run: id, setting: setting, startedAt: startedAt, &result)
            case .canary:
                let rows = try await sourceRows(legacy)
                let newShare = rows.filter { servedBy($0, setting) == .new }
                try await filter(newShare, legacy: legacy)
                result.filtered = newShare.count
                try await runLegacy(legacy, &result)
                result.rowsSeen = rows.count
                try await send(newShare, legacy: legacy, run: id, setting: setting, startedAt: startedAt, &result)
                result.rowsSeen = rows.count
            case .new:
                let rows = try await sourceRows(legacy)
                try await send(rows, legacy: legacy, run: id, setting: setting, startedAt: startedAt, &result)
            }
        } catch {
            result.error = redactor.scrubText("\(error)", secrets: [])
            logger.error("database job run failed", metadata: ["run": "\(id)", "error": "\(error)"])
        }
        try await audit.write(runRecords(id: id, setting: setting, startedAt: startedAt, result: result))
        try await store.finishRun(
            id: id, succeeded: result.error == nil, rowsSeen: result.rowsSeen, rowsSent: result.sent,
            rowsFailed: result.failed, legacyRan: result.legacyRan, error: result.error)
        logger.notice(
            "database job run finished",
            metadata: [
                "run": "\(id)", "mode": "\(setting)", "rows": "\(result.rowsSeen)", "sent": "\(result.sent)",
                "failed": "\(result.failed)", "legacy_ran": "\(result.legacyRan)",
            ])
        return result
    }

    // MARK: Legacy

    private func runLegacy(_ legacy: PostgresClient, _ result: inout JobRunResult) async throws {
        // The command tag's row count (an UPDATE's rows; none for a CALL), read through the API that reports it.
        let sql = flow.job.sql
        result.legacyRows = try await legacy.withConnection { connection in
            try await connection.query(sql).get().metadata.rows
        }
        result.legacyRan = true
        if let capture = flow.job.captureSQL {
            let rows = try await LegacyRows.read(legacy, sql: capture, logger: logger)
            result.captured =
                JSONValue.array(
                    rows.prefix(100).map { row in
                        .object(row.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
                    }
                ).text
        }
    }

    /// Lists the ERP's share in the legacy database's key filter table, which the legacy job reads.
    private func filter(_ rows: [SourceRow], legacy: PostgresClient) async throws {
        try await legacy.run(
            """
            CREATE TABLE IF NOT EXISTS public.cutover_job_filter (
                flow text NOT NULL, row_key text NOT NULL, PRIMARY KEY (flow, row_key))
            """, logger: logger)
        for row in rows {
            try await legacy.run(
                """
                INSERT INTO public.cutover_job_filter (flow, row_key) VALUES (\(flow.name), \(row.key))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    // MARK: Source rows to the new side

    struct SourceRow: Sendable {
        var key: String
        /// The key as the database typed it (a number binds as a number for `ack_sql`).
        var keyValue: JSONValue
        var values: [String: String]
        var json: JSONValue
    }

    func sourceRows(_ legacy: PostgresClient) async throws -> [SourceRow] {
        let keyColumn = flow.job.source.key
        return try await LegacyRows.read(legacy, sql: flow.job.source.sql, logger: logger).compactMap { row in
            guard let keyValue = row[keyColumn], let key = keyValue.scalarText else { return nil }
            return SourceRow(
                key: key, keyValue: keyValue, values: LegacyRows.strings(row),
                json: .object(row.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        }
    }

    func servedBy(_ row: SourceRow, _ setting: ModeSetting) -> Side {
        let key = flow.definition.routingKey.flatMap { row.values[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        return CanaryRouter.servedBy(setting, flow: flow.name, routingKey: key)
    }

    private func send(
        _ rows: [SourceRow], legacy: PostgresClient, run: UUID, setting: ModeSetting, startedAt: Date,
        _ result: inout JobRunResult
    ) async throws {
        if setting.mode != .canary { result.rowsSeen = rows.count }
        let batchSize = max(1, flow.definition.new?.batchSize ?? 100)
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            if Task.isCancelled { throw CancellationError() }
            let batch = Array(rows[start..<min(start + batchSize, rows.count)])
            let outcomes = await RowExchange.concurrently(batch, concurrency: concurrency) { row in
                await exchange(row, legacy: legacy, run: run, setting: setting)
            }
            let tally = RowExchange.tally(outcomes)
            result.sent += tally.sent
            result.failed += tally.failed
            result.deadLetters += tally.deadLetters
            result.compared += tally.compared
            result.mismatches += tally.mismatches
            for (index, reason) in tally.failures where result.failures.count < 100 {
                result.failures.append("\(batch[index].key): \(reason)")
            }
            try await audit.write(outcomes.flatMap(\.records))
        }
    }

    /// One row as an exchange: mapped, sent, then acked (new, canary) or marked sent (shadow) once accepted.
    func exchange(_ row: SourceRow, legacy: PostgresClient, run: UUID, setting: ModeSetting) async
        -> RowExchange.Outcome
    {
        let secrets = Set(flow.definition.redact.compactMap { row.values[$0] }.filter { !$0.isEmpty })
        let shadow = setting.mode == .shadow
        let exchange = ExchangeRecord(
            id: UUID.derived(from: "\(flow.name)|\(run)|\(row.key)"), flow: flow.name, kind: .row, parentID: run,
            correlationID: "\(flow.name)-\(row.key)",
            routingKey: flow.definition.routingKey.flatMap {
                row.values[$0].map { redactor.scrub($0, secrets: secrets) }
            },
            setting: setting, servedBy: shadow ? .legacy : .new, startedAt: Date(),
            payloadSHA256: Digest.sha256Hex(row.json.text), attributes: ["row_key": row.key, "run": run.uuidString])
        return await rows.send(row.values, input: row.json, builtins: row.values, exchange: exchange, shadow: shadow) {
            // Acknowledged only after the ERP accepted the row; nothing else is ever acked.
            do {
                if shadow {
                    try await store.markSent(flow: flow.name, key: row.key, run: run)
                } else if let ack = flow.job.source.ackSQL {
                    try await acknowledge(ack, row: row, legacy: legacy)
                }
                return nil
            } catch {
                // The ERP holds the row; the next run sends it again under the same idempotency key, which the ERP
                // answers from its first result, and acks it then.
                logger.warning("row not acknowledged", metadata: ["row": "\(row.key)", "error": "\(error)"])
                return "accepted by the ERP but not acknowledged: \(error)"
            }
        }
    }

    /// `source.ack_sql` with the row's key as `$1`, bound with the key's own type.
    private func acknowledge(_ sql: String, row: SourceRow, legacy: PostgresClient) async throws {
        var bindings = PostgresBindings()
        if case .number(let text) = row.keyValue, let integer = Int(text) {
            bindings.append(integer)
        } else {
            bindings.append(row.key)
        }
        try await legacy.run(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    // MARK: Audit

    /// The run's own exchange (parent of its rows) and the legacy job's call.
    func runRecords(id: UUID, setting: ModeSetting, startedAt: Date, result: JobRunResult) -> [AuditRecord] {
        var attributes = [
            "trigger": result.trigger, "rows": "\(result.rowsSeen)", "sent": "\(result.sent)",
            "failed": "\(result.failed)", "legacy_ran": "\(result.legacyRan)",
        ]
        if let rows = result.legacyRows { attributes["legacy_rows_affected"] = "\(rows)" }
        if let error = result.error { attributes["error"] = error }
        let servedBy: Side? =
            switch setting.mode {
            case .legacy, .shadow: .legacy
            case .new: .new
            case .canary: nil
            }
        var records: [AuditRecord] = [
            .exchange(
                ExchangeRecord(
                    id: id, flow: flow.name, kind: .jobRun,
                    correlationID: "\(flow.name)-run-\(id.uuidString.prefix(8))",
                    setting: setting, servedBy: servedBy, startedAt: startedAt, finishedAt: Date(),
                    verdict: .notCompared, attributes: attributes))
        ]
        if result.legacyRan {
            records.append(
                .sideCall(
                    SideCallRecord(
                        exchangeID: id, exchangeStartedAt: startedAt, side: .legacy, startedAt: startedAt,
                        request: flow.job.sql, response: result.captured, status: result.legacyRows,
                        latencySeconds: nil, error: nil)))
        }
        return records
    }
}
