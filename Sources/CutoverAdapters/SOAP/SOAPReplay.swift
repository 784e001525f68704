import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import CutoverXML
import Foundation

/// Re-sends recorded legacy inputs of a SOAP flow to its new side with the adapter as it is now (after a mapping
/// fix), and compares the new answers with the legacy answers recorded then. Each replay is an exchange of kind
/// `replay` whose parent is the original, with its own side call and a comparison linked to the original's
/// (`replay_of`). Originals are never changed; replays count as neither traffic nor evidence.
///
/// Each request goes with its idempotency key plus `:replay:RUN`: under the original key the ERP would hand back its
/// first, pre-fix answer, which proves nothing. A replay therefore creates records on the new side, which is why
/// `cutover replay` refuses while the new side serves production (canary, new) unless forced.
public struct SOAPReplay: Sendable {
    public struct Summary: Sendable, Hashable {
        public var replayed = 0
        /// Verdicts now, by verdict.
        public var verdicts: [Verdict: Int] = [:]
        /// Exchanges whose verdict changed, as "was → now".
        public var changes: [String: Int] = [:]
        /// Recorded inputs the current adapter cannot map (the reason, once each).
        public var unmappable: [String: Int] = [:]
    }

    let flow: SOAPFlow
    let newSide: NewSide
    let audit: DirectAuditWrite
    let run: UUID

    public init(flow: SOAPFlow, erp: ERPClient, audit: DirectAuditWrite, run: UUID = .random()) throws {
        guard let definition = flow.definition.new else {
            throw SOAPFlow.Failure(description: "\(flow.name) has no new side to replay to")
        }
        self.flow = flow
        self.newSide = NewSide(definition: definition, client: erp)
        self.audit = audit
        self.run = run
    }

    public func replay(
        _ calls: [AuditQueries.Recorded], progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Summary {
        var summary = Summary()
        for (index, call) in calls.enumerated() {
            try await replay(call, into: &summary)
            progress(index + 1, calls.count)
        }
        return summary
    }

    private func replay(_ call: AuditQueries.Recorded, into summary: inout Summary) async throws {
        let startedAt = Date()
        let outcome: NewOutcome
        let prepared: Result<PreparedNewCall, MappingRefusal>
        do {
            let envelope = try SOAPEnvelope.parse(Array(call.legacyRequest.utf8), limits: flow.limits)
            prepared = newSide.prepare(
                from: XMLMappingSource(document: envelope.document, namespaces: flow.namespaces))
        } catch {
            prepared = .failure(MappingRefusal(message: "the recorded request is not a SOAP envelope"))
        }
        switch prepared {
        case .success(var request):
            request.idempotencyKey = request.idempotencyKey.map { "\($0):replay:\(run.uuidString.lowercased())" }
            outcome = await newSide.call(request, headers: [("X-Correlation-ID", call.correlationID)])
        case .failure(let refusal):
            summary.unmappable[refusal.message, default: 0] += 1
            outcome = .failed(refusal.message)
        }
        let comparison = flow.compare(legacy: call.legacyResponse.map { Array($0.utf8) }, new: outcome)
        let exchange = ExchangeRecord(
            flow: flow.name, kind: .replay, parentID: call.exchangeID, correlationID: call.correlationID,
            setting: ModeSetting(mode: .shadow), servedBy: nil, startedAt: startedAt, finishedAt: Date(),
            payloadSHA256: Digest.sha256Hex(call.legacyRequest), attributes: ["replay_run": run.uuidString])
        // The recorded request was redacted when it was stored, so what goes out carries tokens, never a redacted
        // value, and nothing the ERP echoes can hold one either.
        try await audit.write([
            .exchange(exchange),
            .sideCall(
                SideCallRecord(
                    exchangeID: exchange.id, exchangeStartedAt: startedAt, side: .new, startedAt: outcome.startedAt,
                    request: outcome.request?.text, response: outcome.reply?.text ?? outcome.replyText,
                    status: outcome.status, latencySeconds: outcome.latency, error: outcome.error?.description)),
            .comparison(
                ComparisonRecord(
                    exchangeID: exchange.id, exchangeStartedAt: startedAt, flow: flow.name,
                    verdict: comparison.verdict, diff: comparison.diff, comparedAt: Date(),
                    replayOf: call.comparisonID)),
        ])
        summary.replayed += 1
        summary.verdicts[comparison.verdict, default: 0] += 1
        let was = call.verdict ?? "none"
        if was != comparison.verdict.rawValue {
            summary.changes["\(was) → \(comparison.verdict.rawValue)", default: 0] += 1
        }
    }
}
