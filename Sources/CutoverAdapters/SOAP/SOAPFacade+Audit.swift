import CutoverCore
import CutoverXML
import Foundation

extension SOAPFacade {
    /// The caller's request as stored, redacted. `bytes` went to the legacy side unchanged; `document` is their
    /// parse, redacted in place when the text cannot be redacted as text.
    func auditText(request bytes: [UInt8], document: XMLDocument, secrets: Set<String>) -> String {
        if let text = Self.scrubbedAsText(bytes, secrets: secrets, redactor: redactor) { return text }
        document.redact(paths: flow.definition.redact, namespaces: flow.namespaces, secrets: secrets, with: redactor)
        return document.serialized()
    }

    /// An answer's bytes as stored: redacted when the flow redacts anything; withheld when that is impossible.
    func auditText(answer bytes: [UInt8], secrets: Set<String>) -> String? {
        guard !bytes.isEmpty else { return nil }
        guard !flow.definition.redact.isEmpty || !secrets.isEmpty else { return String(decoding: bytes, as: UTF8.self) }
        if let text = Self.scrubbedAsText(bytes, secrets: secrets, redactor: redactor) { return text }
        guard let document = try? XMLDocument.parse(bytes, limits: XMLLimits(maxBytes: 16 << 20, maxDepth: 256)) else {
            return "[withheld: \(bytes.count) bytes that are not XML cannot be redacted]"
        }
        document.redact(paths: flow.definition.redact, namespaces: flow.namespaces, secrets: secrets, with: redactor)
        return document.serialized()
    }

    /// Redaction without a parse, when it is provably complete: every secret is long enough to be replaced as text
    /// (four characters or more) and the XML has no entity or character references and no CDATA, so each secret
    /// appears in the bytes exactly as its parsed value. Nil when the document must be redacted node by node.
    static func scrubbedAsText(_ bytes: [UInt8], secrets: Set<String>, redactor: Redactor) -> String? {
        // The redact paths selected nothing in the request: there is nothing to hide.
        if secrets.isEmpty { return String(decoding: bytes, as: UTF8.self) }
        guard secrets.allSatisfy({ $0.count >= 4 }) else { return nil }
        guard !bytes.contains(UInt8(ascii: "&")) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard !text.contains("<![CDATA[") else { return nil }
        return redactor.scrubText(text, secrets: secrets)
    }

    func legacyCallRecord(_ exchange: Exchange, _ outcome: LegacyOutcome) -> SideCallRecord {
        SideCallRecord(
            exchangeID: exchange.record.id, exchangeStartedAt: exchange.record.startedAt, side: .legacy,
            startedAt: outcome.startedAt, request: exchange.auditedRequest,
            response: auditText(answer: outcome.body, secrets: exchange.secrets), status: outcome.status,
            latencySeconds: outcome.latency, error: outcome.error)
    }

    func newCallRecord(_ exchange: Exchange, _ outcome: NewOutcome) -> SideCallRecord {
        let response: String? =
            outcome.reply.map { redactor.redact($0, secrets: exchange.secrets).text }
            ?? outcome.replyText.map { redactor.scrubText($0, secrets: exchange.secrets) }
        return SideCallRecord(
            exchangeID: exchange.record.id, exchangeStartedAt: exchange.record.startedAt, side: .new,
            startedAt: outcome.startedAt,
            request: outcome.request.map { redactor.redact($0, secrets: exchange.secrets).text }, response: response,
            status: outcome.status, latencySeconds: outcome.latency,
            error: outcome.error.map { redactor.scrubText($0.description, secrets: exchange.secrets) })
    }

    func comparisonRecord(_ exchange: Exchange, _ outcome: FieldComparator.Outcome) -> ComparisonRecord {
        ComparisonRecord(
            exchangeID: exchange.record.id, exchangeStartedAt: exchange.record.startedAt, flow: flow.name,
            verdict: outcome.verdict,
            diff: outcome.diff.map { difference in
                var difference = difference
                difference.legacy = difference.legacy.map { redactor.scrub($0, secrets: exchange.secrets) }
                difference.new = difference.new.map { redactor.scrub($0, secrets: exchange.secrets) }
                return difference
            }, comparedAt: Date())
    }

    func legacyDocument(_ outcome: LegacyOutcome) -> XMLDocument? {
        outcome.succeeded ? flow.legacyDocument(outcome.body) : nil
    }

    func compare(legacy: LegacyOutcome, new: NewOutcome) -> FieldComparator.Outcome {
        flow.compare(legacy: legacy.succeeded ? legacy.body : nil, new: new)
    }

    /// On the caller's path: true once the records are durable.
    func writeBeforeAnswering(_ records: [AuditRecord], exchange: Exchange) async -> Bool {
        do {
            try await audit.write(records)
            logger.debug("exchange recorded", metadata: exchange.record.logMetadata)
            return true
        } catch {
            logger.critical(
                "could not record an exchange: answering with a fault",
                metadata: exchange.record.logMetadata(["error": "\(error)"]))
            return false
        }
    }

    /// Off the caller's path: the other side's records.
    func write(_ records: [AuditRecord], exchange: Exchange) async {
        do {
            try await audit.write(records)
        } catch {
            logger.critical(
                "could not record the other side of an exchange",
                metadata: exchange.record.logMetadata(["error": "\(error)"]))
        }
    }
}
