import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Logging
import NIOHTTP1

/// Sends a flow's pending dead letters to the ERP again, oldest first, each with its original idempotency key, so
/// the ERP creates each once however often it is replayed. Every attempt is recorded with the dead letter, and each
/// is an exchange of kind `replay` (parent: the original exchange) in the audit store.
public struct DeadLetterReplay: Sendable {
    public struct Summary: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
        /// Delivered meanwhile by another replay.
        public var alreadyDelivered = 0
    }

    let store: DeadLetterStore
    let audit: DirectAuditWrite
    let erp: ERPClient
    let timeout: Duration
    let actor: String

    public init(
        store: DeadLetterStore, audit: DirectAuditWrite, erp: ERPClient, timeout: Duration, actor: String
    ) {
        self.store = store
        self.audit = audit
        self.erp = erp
        self.timeout = timeout
        self.actor = actor
    }

    public func replay(
        _ letters: [DeadLetterStore.Pending], progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Summary {
        var summary = Summary()
        for (index, letter) in letters.enumerated() {
            let record = letter.record
            let startedAt = Date()
            let clock = ContinuousClock.now
            var outcome: (status: Int?, response: String?, error: ERPError?)
            do {
                let body = try JSONValue.parse(record.body)
                let request = ERPRequest.json(
                    HTTPMethod(rawValue: record.method), record.url, body: body,
                    idempotencyKey: record.idempotencyKey, headers: [("X-Correlation-ID", record.correlationID)],
                    timeout: timeout)
                let response = try await erp.send(request)
                outcome = (response.status, response.text, nil)
            } catch let error as ERPError {
                outcome = (error.status, error.responseBody, error)
            } catch {
                outcome = (nil, nil, ERPError(code: .invalidRequest, message: "the stored request is not JSON"))
            }
            let exchange = ExchangeRecord(
                flow: record.flow, kind: .replay, parentID: record.exchangeID,
                correlationID: record.correlationID, setting: ModeSetting(mode: .new), servedBy: .new,
                startedAt: startedAt, finishedAt: Date(), payloadSHA256: Digest.sha256Hex(record.body),
                verdict: outcome.error == nil ? .notCompared : .newError,
                attributes: ["dead_letter_id": record.id.uuidString])
            try await audit.write([
                .exchange(exchange),
                .sideCall(
                    SideCallRecord(
                        exchangeID: exchange.id, exchangeStartedAt: startedAt, side: .new, startedAt: startedAt,
                        request: record.body, response: outcome.response, status: outcome.status,
                        latencySeconds: clock.duration(to: .now).inSeconds, error: outcome.error?.description)),
            ])
            let recorded = try await store.recordReplay(
                record.id, delivered: outcome.error == nil, status: outcome.status,
                error: outcome.error?.description, exchangeID: exchange.id, actor: actor)
            if outcome.error != nil {
                summary.failed += 1
            } else if recorded {
                summary.delivered += 1
            } else {
                summary.alreadyDelivered += 1
            }
            progress(index + 1, letters.count)
        }
        return summary
    }
}
