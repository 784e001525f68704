import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Processes one file already moved into `processing/`: checks its format, claims its content, routes it by the
/// mode its claim records, and settles it into `done/` or `failed/` with a result beside it.
///
/// - legacy: the file reaches the inbox unchanged (temporary name, fsync, then published without overwriting).
/// - shadow: the same, then every record also goes to the ERP and is compared with what it carried.
/// - canary: the inbox gets a well-formed file of legacy's records (header kept, trailer recomputed); the other
///   records go to the ERP.
/// - new: the records go to the ERP; the inbox gets nothing.
///
/// The claim row holds the progress (records with a durable outcome, how far the legacy delivery got), so a
/// file interrupted by a crash resumes: records already done are not sent again, the batch in flight is sent
/// again with the same idempotency keys, and the inbox never sees a partial file.
public struct FileDropProcessor: Sendable {
    public let flow: FileDropFlow
    let modes: any ModeSource
    let newSide: NewSide?
    let audit: any AuditSink
    let claims: FileClaimStore
    let redactor: Redactor
    let instance: String
    let logger: Logger
    /// ERP calls in flight at once within a batch.
    let concurrency: Int
    let rows: RowExchange

    public init(
        flow: FileDropFlow, modes: any ModeSource, erp: ERPClient?, audit: any AuditSink, claims: FileClaimStore,
        redactor: Redactor, instance: String, quotas: ERPQuotas = ERPQuotas(), concurrency: Int = 16, logger: Logger
    ) {
        self.flow = flow
        self.modes = modes
        self.newSide = NewSide(flow.definition.new, client: erp, quotas: quotas)
        self.audit = audit
        self.claims = claims
        self.redactor = redactor
        self.instance = instance
        self.concurrency = max(1, concurrency)
        self.rows = RowExchange(definition: flow.definition, newSide: newSide, redactor: redactor)
        var logger = logger
        logger[metadataKey: "cutover.flow"] = "\(flow.name)"
        self.logger = logger
    }

    /// Processes the file at `path` (inside `processing/`) unless another instance holds it. Returns its result,
    /// or nil when it was not ours to process (held elsewhere, or already moved on).
    @discardableResult
    public func process(_ path: String) async throws -> FileResult? {
        try await claims.withFileLease(
            flow: flow.name, processingPath: path, owner: instance,
            ttl: .milliseconds(flow.watch.leaseMilliseconds)
        ) {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return try await processLocked(path)
        } ?? nil
    }

    private func processLocked(_ path: String) async throws -> FileResult? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let setting = modes.setting(of: flow.name)
        // In legacy and shadow mode the hashing pass also writes the legacy copy, under a name of its own until the
        // claim says the copy is wanted; the validation pass runs beside it.
        let early =
            setting.mode == .legacy || setting.mode == .shadow
            ? URL(fileURLWithPath: flow.inbox).appendingPathComponent(".\(name).cutover-early").path : nil
        if early != nil {
            try FileManager.default.createDirectory(atPath: flow.inbox, withIntermediateDirectories: true)
        }
        async let digest = offload { try FileDigest.compute(path, copyTo: early) }
        async let inspected = offload { inspect(path) }
        let (sha256, inspection) = try await (digest, inspected)
        var copied = early
        defer { if let copied { unlink(copied) } }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let outcome = try await claims.claim(
            flow: flow.name, sha256: sha256, fileName: name, processingPath: path,
            fileIdentity: "\(info.st_dev):\(info.st_ino)", setting: setting, by: instance)
        switch outcome {
        case .duplicate(let earlier):
            return try await settleDuplicate(path, sha256: sha256, of: earlier)
        case .settled(let claim, let stored):
            // Settled before a crash stopped the move: finish moving it.
            let result =
                stored.flatMap(FileResult.decode)
                ?? FileResult(
                    flow: flow.name, file: name, sha256: sha256, exchangeID: claim.exchangeID,
                    mode: claim.setting.mode.rawValue, percent: claim.setting.percent, startedAt: claim.startedAt)
            try move(path, to: claim.state == "failed" ? flow.failedDirectory : flow.doneDirectory, result: result)
            return result
        case .claimed(let claim):
            if let error = inspection.error {
                return try await settleBroken(path, claim: claim, error: error)
            }
            // The early copy becomes the legacy file's temporary only for a delivery not begun yet, in a mode
            // that delivers the whole file.
            var prewritten = false
            if let early, claim.legacyDelivery == .pending,
                claim.setting.mode == .legacy || claim.setting.mode == .shadow
            {
                let target = URL(fileURLWithPath: flow.inbox).appendingPathComponent(claim.fileName).path
                guard rename(early, FileSink.temporaryPath(for: target)) == 0 else {
                    throw FileDropError.io("cannot rename \(early): \(String(cString: strerror(errno)))")
                }
                copied = nil
                prewritten = true
            }
            return try await route(path, claim: claim, records: inspection.records, prewritten: prewritten)
        }
    }

    // MARK: Inspection

    struct Inspection: Sendable {
        var records = 0
        var error: FileFormatError?
    }

    /// The whole file read once: its structure checked (nothing is sent before the end is known to be sound, so
    /// a broken trailer keeps the file from both sides) and its records counted.
    func inspect(_ path: String) -> Inspection {
        var inspection = Inspection()
        do {
            let reader = try flow.format.reader(path: path, building: false, namespaces: flow.definition.namespaces)
            while try reader.skip() { inspection.records += 1 }
        } catch let error as FileFormatError {
            inspection.error = error
        } catch {
            inspection.error = FileFormatError(
                file: URL(fileURLWithPath: path).lastPathComponent, line: 0, message: "\(error)")
        }
        return inspection
    }

    // MARK: Routing

    private func route(_ path: String, claim: FileClaimStore.Claim, records: Int, prewritten: Bool) async throws
        -> FileResult?
    {
        let setting = claim.setting
        var result =
            try await claims.progress(claim).flatMap(FileResult.decode)
            ?? FileResult(
                flow: flow.name, file: claim.fileName, sha256: claim.sha256, exchangeID: claim.exchangeID,
                mode: setting.mode.rawValue, percent: setting.percent, startedAt: claim.startedAt)
        result.recordsSeen = records
        if claim.recordsDone > 0 || claim.legacyDelivery != .pending {
            logger.notice(
                "resuming a file interrupted earlier",
                metadata: ["file": "\(claim.fileName)", "records_done": "\(claim.recordsDone)"])
        }
        switch setting.mode {
        case .legacy, .shadow:
            result.legacyFile = try await deliverToLegacy(claim, prewritten: prewritten) { sink in
                try ByteStream(path: path, hashing: false).copyRest(to: sink)
                try sink.commit()
                return records
            }.path
            result.deliveredToLegacy = records
        case .canary:
            let (legacyFile, delivered) = try await deliverToLegacy(claim, prewritten: false) { sink in
                let reader = try flow.format.reader(path: path, building: true, namespaces: flow.definition.namespaces)
                var part: (any PartWriter)?
                var count = 0
                while let record = try reader.next() {
                    // Made at the first record: an XML prologue is known once the root element has been read.
                    if part == nil { part = try flow.format.partWriter(to: sink, prologue: reader.prologue) }
                    if servedBy(record, setting) == .legacy {
                        try part!.add(record)
                        count += 1
                    }
                }
                let writer = try part ?? flow.format.partWriter(to: sink, prologue: reader.prologue)
                try writer.finish(closing: reader.closing)
                return count
            }
            result.legacyFile = legacyFile
            result.deliveredToLegacy = try delivered ?? countLegacyShare(path, setting)
        case .new:
            if claim.legacyDelivery == .pending { try await claims.legacyDelivery(claim, .none) }
        }
        if setting.mode != .legacy {
            guard try await sendRecords(path, claim: claim, result: &result) else { return nil }
        }
        return try await settle(path, claim: claim, result: result)
    }

    func servedBy(_ record: FileRecord, _ setting: ModeSetting) -> Side {
        CanaryRouter.servedBy(setting, flow: flow.name, routingKey: routingKey(record))
    }

    func routingKey(_ record: FileRecord) -> String? {
        flow.definition.routingKey.flatMap { record.values[$0]?.trimmingWhitespace() }.flatMap {
            $0.isEmpty ? nil : $0
        }
    }

    /// A canary part already delivered before a crash: its record count, recounted.
    private func countLegacyShare(_ path: String, _ setting: ModeSetting) throws -> Int {
        let reader = try flow.format.reader(path: path, building: false, namespaces: flow.definition.namespaces)
        var count = 0
        while let record = try reader.next() {
            if servedBy(record, setting) == .legacy { count += 1 }
        }
        return count
    }

    // MARK: Legacy delivery

    /// Writes the legacy file under a temporary name, fsyncs it, and publishes it into the inbox without ever
    /// replacing a file already there; the claim records each step, so a crash at any point neither loses the
    /// delivery nor makes it twice. Returns the delivered file's path, and what `write` returned when it ran
    /// (it does not when the file was written before: early, or before a crash).
    private func deliverToLegacy(
        _ claim: FileClaimStore.Claim, prewritten: Bool, write: @escaping @Sendable (FileSink) throws -> Int
    ) async throws -> (path: String, written: Int?) {
        let target = URL(fileURLWithPath: flow.inbox).appendingPathComponent(claim.fileName).path
        let temporary = FileSink.temporaryPath(for: target)
        var written: Int?
        switch claim.legacyDelivery {
        case .delivered, .none:
            return (target, nil)
        case .written where FileManager.default.fileExists(atPath: temporary):
            try publish(temporary, target)
        case .written:
            break  // published before the crash; only the claim's last step was missing
        case .pending:
            if !prewritten {
                try FileManager.default.createDirectory(atPath: flow.inbox, withIntermediateDirectories: true)
                written = try await offload { try write(FileSink(finalPath: target)) }
            }
            try await claims.legacyDelivery(claim, .written)
            try publish(temporary, target)
        }
        try await claims.legacyDelivery(claim, .delivered)
        return (target, written)
    }

    /// `link` then `unlink`: publishing fails rather than overwrite a file the consumer has not taken yet. After a
    /// crash between the two, the target already is this temporary file (same inode) and only the unlink is left.
    private func publish(_ temporary: String, _ target: String) throws {
        if link(temporary, target) != 0 {
            let failure = errno
            var a = stat()
            var b = stat()
            guard failure == EEXIST, stat(temporary, &a) == 0, stat(target, &b) == 0, a.st_ino == b.st_ino,
                a.st_dev == b.st_dev
            else {
                throw FileDropError.io(
                    failure == EEXIST
                        ? "the legacy inbox already holds \(URL(fileURLWithPath: target).lastPathComponent); it is not overwritten"
                        : "cannot publish \(target): \(String(cString: strerror(failure)))")
            }
        }
        unlink(temporary)
        FileSink.syncDirectory(of: target)
    }

    // MARK: Records to the new side

    /// Sends the records not yet done, batch by batch; each batch's audit records are durable before the claim
    /// moves past it. False when the task was cancelled (shutting down): the file stays in `processing/`.
    private func sendRecords(_ path: String, claim: FileClaimStore.Claim, result: inout FileResult) async throws
        -> Bool
    {
        let reader = try flow.format.reader(path: path, building: false, namespaces: flow.definition.namespaces)
        for _ in 0..<claim.recordsDone { _ = try reader.skip() }
        let audited = try await claims.auditedRecords(claim)
        let batchSize = max(1, flow.definition.new?.batchSize ?? 100)
        var batch: [FileRecord] = []
        batch.reserveCapacity(batchSize)
        while true {
            let record = try reader.next()
            if let record { batch.append(record) }
            if batch.count == batchSize || (record == nil && !batch.isEmpty) {
                if Task.isCancelled { return false }
                try await sendBatch(batch, claim: claim, audited: audited, result: &result)
                try await claims.recordsDone(claim, count: batch.last!.number, progress: result.json())
                batch.removeAll(keepingCapacity: true)
            }
            if record == nil { return true }
        }
    }

    private func sendBatch(
        _ batch: [FileRecord], claim: FileClaimStore.Claim, audited: [UUID: Date], result: inout FileResult
    ) async throws {
        let outcomes = await RowExchange.concurrently(batch, concurrency: concurrency) { record in
            await exchange(record, claim: claim, audited: audited)
        }
        let tally = RowExchange.tally(outcomes)
        result.sent += tally.sent
        result.failed += tally.failed
        result.deadLetters += tally.deadLetters
        result.compared += tally.compared
        result.mismatches += tally.mismatches
        for (index, reason) in tally.failures where result.failures.count < FileResult.keptFailures {
            result.failures.append(.init(record: batch[index].number, line: batch[index].line, reason: reason))
        }
        try await audit.write(outcomes.flatMap(\.records))
    }

    /// One record as an exchange: routed, sent when the new side has it, compared in shadow mode. `audited`: records
    /// of this file already in the audit store (a resumed file), whose exchange keeps its first start time so that it
    /// is stored once.
    func exchange(_ record: FileRecord, claim: FileClaimStore.Claim, audited: [UUID: Date] = [:]) async
        -> RowExchange.Outcome
    {
        let setting = claim.setting
        let id = UUID.derived(from: "\(flow.name)|\(claim.sha256)|\(record.number)")
        let secrets = Set(flow.definition.redact.compactMap { record.values[$0] }.filter { !$0.isEmpty })
        let servedBy = servedBy(record, setting)
        let input = JSONValue.object(
            flow.definition.recordColumns(record.values).map { ($0, .string(record.values[$0] ?? "")) })
        var exchange = ExchangeRecord(
            id: id, flow: flow.name, kind: .record,
            parentID: claim.exchangeID, correlationID: "\(claim.sha256.prefix(16))-\(record.number)",
            routingKey: routingKey(record).map { redactor.scrub($0, secrets: secrets) }, setting: setting,
            servedBy: servedBy, startedAt: audited[id] ?? Date(), payloadSHA256: Digest.sha256Hex(input.text),
            attributes: ["file": claim.fileName, "record": "\(record.number)", "line": "\(record.line)"])
        // In canary mode legacy's records went in the legacy part: recorded, nothing to send.
        guard setting.mode == .shadow || servedBy == .new else {
            exchange.finishedAt = Date()
            exchange.verdict = .notCompared
            exchange.attributes["delivered_in"] = "legacy part"
            return RowExchange.Outcome(
                records: [.exchange(exchange)], accepted: false, failure: nil, deadLetter: false, verdict: .notCompared)
        }
        return await rows.send(
            record.values, input: input,
            builtins: ["file_sha256": claim.sha256, "record_number": "\(record.number)", "file_name": claim.fileName],
            exchange: exchange, shadow: setting.mode == .shadow)
    }

    // MARK: Settling

    private func settle(_ path: String, claim: FileClaimStore.Claim, result: FileResult) async throws -> FileResult {
        var result = result
        result.finishedAt = Date()
        try await audit.write(fileRecords(claim: claim, result: result, verdict: .notCompared))
        try await claims.finish(claim, failed: false, result: result.json())
        try move(path, to: flow.doneDirectory, result: result)
        logger.notice(
            "file processed",
            metadata: [
                "file": "\(claim.fileName)", "mode": "\(claim.setting)", "records": "\(result.recordsSeen)",
                "sent": "\(result.sent)", "failed": "\(result.failed)",
            ])
        return result
    }

    private func settleBroken(_ path: String, claim: FileClaimStore.Claim, error: FileFormatError) async throws
        -> FileResult
    {
        var result = FileResult(
            flow: flow.name, file: claim.fileName, sha256: claim.sha256, exchangeID: claim.exchangeID,
            mode: claim.setting.mode.rawValue, percent: claim.setting.percent, startedAt: claim.startedAt)
        result.error = error.description
        result.finishedAt = Date()
        try await audit.write(fileRecords(claim: claim, result: result, verdict: .notCompared))
        try await claims.finish(claim, failed: true, result: result.json())
        try move(path, to: flow.failedDirectory, result: result)
        logger.error(
            "file refused: its format is broken", metadata: ["file": "\(claim.fileName)", "reason": "\(error)"])
        return result
    }

    private func settleDuplicate(_ path: String, sha256: String, of earlier: FileClaimStore.Claim) async throws
        -> FileResult
    {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let setting = modes.setting(of: flow.name)
        var result = FileResult(
            flow: flow.name, file: name, sha256: sha256, exchangeID: UUID.derived(from: "duplicate|\(path)|\(sha256)"),
            mode: setting.mode.rawValue, percent: setting.percent, startedAt: Date())
        result.duplicate = true
        result.duplicateOf = "\(earlier.fileName) (exchange \(earlier.exchangeID), \(earlier.state))"
        result.finishedAt = Date()
        var exchange = ExchangeRecord(
            id: result.exchangeID!, flow: flow.name, kind: .file, correlationID: "\(sha256.prefix(16))-duplicate",
            setting: setting, servedBy: nil, startedAt: result.startedAt, finishedAt: result.finishedAt,
            payloadSHA256: sha256, verdict: .notCompared,
            attributes: ["file": name, "duplicate": "true", "duplicate_of": earlier.exchangeID.uuidString])
        exchange.parentID = earlier.exchangeID
        try await audit.write([.exchange(exchange)])
        try move(path, to: flow.doneDirectory, result: result)
        logger.warning(
            "duplicate file: the same bytes were dropped before; not delivered again",
            metadata: ["file": "\(name)", "earlier": "\(earlier.fileName)"])
        return result
    }

    /// The file's own exchange (parent of its records) and its legacy delivery.
    func fileRecords(claim: FileClaimStore.Claim, result: FileResult, verdict: Verdict) -> [AuditRecord] {
        var attributes = [
            "file": claim.fileName, "records": "\(result.recordsSeen)", "sent": "\(result.sent)",
            "failed": "\(result.failed)", "delivered_to_legacy": "\(result.deliveredToLegacy)",
        ]
        if let error = result.error { attributes["error"] = error }
        let servedBy: Side? =
            switch claim.setting.mode {
            case .legacy, .shadow: .legacy
            case .new: .new
            case .canary: nil
            }
        var records: [AuditRecord] = [
            .exchange(
                ExchangeRecord(
                    id: claim.exchangeID, flow: flow.name, kind: .file, correlationID: String(claim.sha256.prefix(16)),
                    setting: claim.setting, servedBy: servedBy, startedAt: claim.startedAt,
                    finishedAt: result.finishedAt,
                    payloadSHA256: claim.sha256, verdict: verdict, attributes: attributes))
        ]
        if let legacyFile = result.legacyFile {
            records.append(
                .sideCall(
                    SideCallRecord(
                        exchangeID: claim.exchangeID, exchangeStartedAt: claim.startedAt, side: .legacy,
                        startedAt: claim.startedAt, request: nil,
                        response: "delivered \(result.deliveredToLegacy) records to \(legacyFile)", status: nil,
                        latencySeconds: nil, error: nil)))
        }
        return records
    }

    /// Moves the file into `directory` (never over another file) and writes `<name>.result.json` beside it.
    func move(_ path: String, to directory: String, result: FileResult) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: path).lastPathComponent
        var target = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: target) {
            target += ".\(Int(Date().timeIntervalSince1970 * 1000))"
        }
        let resultSink = try FileSink(finalPath: target + ".result.json")
        try resultSink.write(result.json() + "\n")
        try resultSink.commit()
        try FileSink.publish(temporaryPath: resultSink.temporaryPath, finalPath: resultSink.finalPath)
        guard rename(path, target) == 0 else {
            throw FileDropError.io("cannot move \(path) to \(target): \(String(cString: strerror(errno)))")
        }
        FileSink.syncDirectory(of: target)
    }
}

extension FlowDefinition {
    /// The record's columns in the format's order (for the stored input).
    func recordColumns(_ values: [String: String]) -> [String] {
        if case .fileDrop(let legacy) = self.legacy {
            switch legacy.format {
            case .csv(let format): return format.columns.map(\.name)
            case .fixedWidth(let format):
                return format.recordTypes.first { $0.role == .detail }?.columns.map(\.name) ?? values.keys.sorted()
            case .xml(let format): return format.fields.map(\.name)
            }
        }
        return values.keys.sorted()
    }
}
