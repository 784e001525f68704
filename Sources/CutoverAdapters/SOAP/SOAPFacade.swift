import AsyncHTTPClient
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverXML
import Foundation
import Instrumentation
import Logging
import Synchronization
import Tracing

/// One soap flow's facade: callers keep their SOAP client and change only the host.
///
/// For each call it reads the flow's live mode, decides who answers (legacy, or the new ERP through the flow's
/// mapping and response template), calls the other side off the caller's path when the mode asks for it,
/// compares both results, and audits the exchange with redaction applied. The caller's answer waits for its
/// own audit records to be durable, never for the other side.
public struct SOAPFacade: Sendable {
    public let flow: SOAPFlow
    let modes: any ModeSource
    let legacy: LegacySOAPClient
    let newSide: NewSide?
    let audit: any AuditSink
    let offPath: OffPathCalls
    let redactor: Redactor
    let logger: Logger
    let tracing: ExchangeTracing
    let calibration: (any CalibrationSink)?
    let wsdlCache = WSDLCache()

    public init(
        flow: SOAPFlow, modes: any ModeSource, httpClient: HTTPClient, erp: ERPClient?, audit: any AuditSink,
        offPath: OffPathCalls, redactor: Redactor, tracing: ExchangeTracing = ExchangeTracing(),
        calibration: (any CalibrationSink)? = nil, quotas: ERPQuotas = ERPQuotas(), logger: Logger
    ) {
        self.tracing = tracing
        self.calibration = calibration
        self.flow = flow
        self.modes = modes
        self.legacy = LegacySOAPClient(httpClient: httpClient)
        self.newSide = NewSide(flow.definition.new, client: erp, quotas: quotas)
        self.audit = audit
        self.offPath = offPath
        self.redactor = redactor
        var logger = logger
        logger[metadataKey: "cutover.flow"] = "\(flow.name)"
        self.logger = logger
    }

    /// Everything about one call that outlives its parsed document (which stays on the caller's path).
    struct Exchange: Sendable {
        var record: ExchangeRecord
        var version: SOAPEnvelope.Version
        var body: [UInt8]
        var legacyHeaders: [(String, String)]
        var newHeaders: [(String, String)]
        var secrets: Set<String>
        /// The caller's request as stored: redacted.
        var auditedRequest: String
        /// The exchange's span, parent of its side calls' spans.
        var spanContext: InstrumentationContext = .topLevel
    }

    public func handle(_ request: FacadeRequest) async -> FacadeResponse {
        let trace = TraceContext(header: request.header("traceparent")) ?? .random()
        let parent = tracing.parent(trace, tracestate: request.header("tracestate"))
        return await tracing.span("\(flow.name) \(flow.listenPath)", context: parent, kind: .server) { span in
            await handle(request, trace: trace, span: span)
        }
    }

    private func handle(_ request: FacadeRequest, trace: TraceContext, span: any Span) async -> FacadeResponse {
        let startedAt = Date()
        let correlationID = Self.correlationID(request.header("x-correlation-id"))
        let setting = modes.setting(of: flow.name)
        span.updateAttributes { attributes in
            attributes["cutover.flow"] = flow.name
            attributes["cutover.mode"] = setting.mode.rawValue
            attributes["cutover.correlation_id"] = correlationID
        }
        var record = ExchangeRecord(
            flow: flow.name, kind: .call, correlationID: correlationID, traceID: trace.traceID, setting: setting,
            servedBy: nil, startedAt: startedAt, payloadSHA256: Digest.sha256Hex(bytes: request.body))

        let envelope: SOAPEnvelope
        do {
            envelope = try SOAPEnvelope.parse(request.body, limits: flow.limits)
        } catch {
            return await refuse(error, record: record, bytes: request.body.count)
        }
        let document = envelope.document
        let secrets = document.secrets(at: flow.definition.redact, namespaces: flow.namespaces)
        let key = flow.definition.routingKey.flatMap {
            (try? document.string($0, namespaces: flow.namespaces))?.trimmingWhitespace()
        }.flatMap { $0.isEmpty ? nil : $0 }
        let servedBy = CanaryRouter.servedBy(setting, flow: flow.name, routingKey: key)
        record.routingKey = key.map { redactor.scrub($0, secrets: secrets) }
        record.servedBy = servedBy
        span.attributes["cutover.served_by"] = servedBy.rawValue
        if let operation = envelope.operation { record.attributes["operation"] = operation.name }

        let callsNew = servedBy == .new || setting.mode == .shadow || setting.mode == .canary
        var prepared: Result<PreparedNewCall, MappingRefusal>?
        if callsNew {
            prepared =
                newSide.map { $0.prepare(from: XMLMappingSource(document: document, namespaces: flow.namespaces)) }
                ?? .failure(MappingRefusal(message: "the flow has no new side"))
        }
        let outgoing = trace.child().header
        var exchange = Exchange(
            record: record, version: envelope.version, body: request.body,
            legacyHeaders: Self.forwardedHeaders(request, traceparent: outgoing, correlationID: correlationID),
            newHeaders: [("traceparent", outgoing), ("X-Correlation-ID", correlationID)], secrets: secrets,
            auditedRequest: "", spanContext: span.context)

        switch servedBy {
        case .legacy:
            let outcome = await callLegacy(exchange)
            exchange.auditedRequest = auditText(request: request.body, document: document, secrets: secrets)
            return await servedByLegacy(exchange, outcome: outcome, shadow: prepared)
        case .new:
            exchange.auditedRequest = auditText(request: request.body, document: document, secrets: secrets)
            return await servedByNew(exchange, prepared: prepared!)
        }
    }

    // MARK: Legacy serves

    private func servedByLegacy(
        _ exchange: Exchange, outcome: LegacyOutcome, shadow: Result<PreparedNewCall, MappingRefusal>?,
        fellBackFrom newOutcome: NewOutcome? = nil
    ) async -> FacadeResponse {
        var exchange = exchange
        exchange.record.servedBy = .legacy
        exchange.record.finishedAt = Date()
        var records: [AuditRecord] = [.sideCall(legacyCallRecord(exchange, outcome))]
        if let newOutcome {
            // In canary/new mode the ERP failed and the flow falls back on legacy: both calls are evidence.
            exchange.record.attributes["fallback"] = "legacy"
            records.append(.sideCall(newCallRecord(exchange, newOutcome)))
            records.append(.comparison(comparisonRecord(exchange, compare(legacy: outcome, new: newOutcome))))
        } else if shadow != nil, let skipped = shadowSkipped() {
            // Not compared on purpose: the flow samples its shadow traffic, or the ERP's quota is kept for served
            // traffic. The verdict is final.
            exchange.record.attributes["not_compared"] = skipped
            exchange.record.verdict = .notCompared
        } else if let shadow {
            compareOffPath(&exchange) { [self] exchange in
                let newOutcome = await callNew(exchange, shadow, served: false)
                return (newCallRecord(exchange, newOutcome), compare(legacy: outcome, new: newOutcome))
            }
        } else {
            // Nothing else will compare it: the verdict is final and lives on the exchange row.
            exchange.record.verdict = .notCompared
        }
        records.insert(.exchange(exchange.record), at: 0)
        guard await writeBeforeAnswering(records, exchange: exchange) else {
            return fault(.receiver, "The request could not be recorded; try again later", exchange)
        }
        if newOutcome == nil { calibrateOffPath(exchange, first: outcome) }
        guard outcome.error == nil, let status = outcome.status else {
            return fault(.receiver, "The purchasing service is unavailable", exchange)
        }
        return FacadeResponse(
            status: status,
            headers: [
                ("Content-Type", outcome.contentType ?? exchange.version.contentType),
                ("X-Correlation-ID", exchange.record.correlationID),
            ], body: outcome.body)
    }

    // MARK: New serves

    private func servedByNew(_ exchange: Exchange, prepared: Result<PreparedNewCall, MappingRefusal>) async
        -> FacadeResponse
    {
        var exchange = exchange
        let outcome = await callNew(exchange, prepared)
        if !outcome.succeeded, outcome.isUnavailability, flow.definition.new?.fallback == .legacy {
            let legacyOutcome = await callLegacy(exchange)
            return await servedByLegacy(exchange, outcome: legacyOutcome, shadow: nil, fellBackFrom: outcome)
        }
        exchange.record.finishedAt = Date()
        var records: [AuditRecord] = [.sideCall(newCallRecord(exchange, outcome))]
        if !outcome.succeeded, outcome.isUnavailability, case .success(let call) = prepared, let new = newSide {
            // The work was the new side's and nobody did it: kept, with the request, for replay.
            exchange.record.attributes["dead_letter"] = "true"
            records.append(
                .deadLetter(
                    DeadLetterRecord(
                        flow: flow.name, exchangeID: exchange.record.id, exchangeStartedAt: exchange.record.startedAt,
                        correlationID: exchange.record.correlationID, method: new.definition.method.uppercased(),
                        url: new.definition.url, idempotencyKey: call.idempotencyKey,
                        body: redactor.redact(call.body, secrets: exchange.secrets).text,
                        input: exchange.auditedRequest,
                        error: redactor.scrubText(
                            outcome.error?.description ?? "unavailable", secrets: exchange.secrets),
                        attempts: outcome.error?.attempts ?? 1)))
        }
        if flow.definition.compare.reverseShadow {
            compareOffPath(&exchange) { [self] exchange in
                let legacyOutcome = await callLegacy(exchange)
                return (legacyCallRecord(exchange, legacyOutcome), compare(legacy: legacyOutcome, new: outcome))
            }
        } else {
            // Nothing else will compare it, so the verdict is final; a new side that failed says so, which is what
            // the auto-rollback guard and the readiness figures watch for.
            exchange.record.verdict = outcome.succeeded ? .notCompared : .newError
        }
        records.insert(.exchange(exchange.record), at: 0)
        guard await writeBeforeAnswering(records, exchange: exchange) else {
            return fault(.receiver, "The request could not be recorded; try again later", exchange)
        }
        guard outcome.succeeded, let reply = outcome.reply else {
            if case .invalidRequest = outcome.error?.code, outcome.status == nil {
                return fault(.sender, "The request could not be translated for the purchasing system", exchange)
            }
            if let status = outcome.status, (400..<500).contains(status), status != 429 {
                let code = outcome.error?.erpCode.map { " (\($0))" } ?? ""
                return fault(.sender, "The purchasing system refused the request\(code)", exchange)
            }
            return fault(.receiver, "The purchasing system is unavailable", exchange)
        }
        guard let template = flow.template else {
            return fault(.receiver, "The flow has no response template", exchange)
        }
        let body = template.render(reply: reply, responseMap: flow.definition.new?.responseMap ?? [:])
        return FacadeResponse(
            status: 200,
            headers: [
                ("Content-Type", exchange.version.contentType), ("X-Correlation-ID", exchange.record.correlationID),
            ], body: Array(body.utf8))
    }

    /// The other side's call, queued off the caller's path; its side call and comparison are written when it
    /// finishes. Without room in the queue the exchange is recorded as not compared.
    private func compareOffPath(
        _ exchange: inout Exchange,
        _ otherSide: @escaping @Sendable (Exchange) async -> (SideCallRecord, FieldComparator.Outcome)
    ) {
        let snapshot = exchange
        let submitted = offPath.submit { [self] in
            let (call, outcome) = await otherSide(snapshot)
            await write([.sideCall(call), .comparison(comparisonRecord(snapshot, outcome))], exchange: snapshot)
        }
        if !submitted {
            exchange.record.attributes["not_compared"] = "off-path queue full"
            exchange.record.verdict = .notCompared
        }
    }

    /// Noise calibration: a sampled exchange of a read-only operation goes to legacy a second time, off the path,
    /// and what differs between the two legacy answers is recorded (redacted) — it is noise, not a new-side fault.
    private func calibrateOffPath(_ exchange: Exchange, first: LegacyOutcome) {
        guard let spec = flow.definition.compare.calibrate, let calibration, first.succeeded,
            let operation = exchange.record.attributes["operation"], spec.operations.contains(operation),
            spec.sample >= 1 || Double.random(in: 0..<1) < spec.sample
        else { return }
        _ = offPath.submit { [self] in
            let second = await callLegacy(exchange)
            guard second.succeeded, let one = legacyDocument(first), let two = legacyDocument(second) else { return }
            let secrets = exchange.secrets
                .union(one.secrets(at: flow.definition.redact, namespaces: flow.namespaces))
                .union(two.secrets(at: flow.definition.redact, namespaces: flow.namespaces))
            let outcome = FieldComparator.compare(
                flow.definition.compare.legacyMirror,
                legacy: XMLMappingSource(document: one, namespaces: flow.namespaces),
                new: XMLMappingSource(document: two, namespaces: flow.namespaces))
            let diff = outcome.diff.map { difference in
                var difference = difference
                difference.legacy = difference.legacy.map { redactor.scrub($0, secrets: secrets) }
                difference.new = difference.new.map { redactor.scrub($0, secrets: secrets) }
                return difference
            }
            do {
                try await calibration.record(
                    flow: flow.name, exchangeID: exchange.record.id, exchangeStartedAt: exchange.record.startedAt,
                    operation: operation, diff: diff)
            } catch {
                logger.warning(
                    "could not record a calibration", metadata: exchange.record.logMetadata(["error": "\(error)"]))
            }
        }
    }

    func callLegacy(_ exchange: Exchange) async -> LegacyOutcome {
        await tracing.span("legacy \(flow.name)", context: exchange.spanContext, kind: .client) { span in
            span.attributes["cutover.side"] = Side.legacy.rawValue
            let outcome = await legacy.call(
                endpoint: flow.legacy.endpoint, body: exchange.body,
                headers: tracing.headers(exchange.legacyHeaders, for: span),
                timeout: .milliseconds(flow.legacy.timeoutMilliseconds))
            if let status = outcome.status { span.attributes["http.response.status_code"] = status }
            if !outcome.succeeded { span.setStatus(SpanStatus(code: .error)) }
            return outcome
        }
    }

    /// Why this exchange's shadow call is not made, or nil when it is: outside the flow's `shadow_sample`, or shed
    /// to keep the ERP host's quota for served traffic.
    private func shadowSkipped() -> String? {
        let sample = flow.definition.compare.shadowSample
        if sample < 1, Double.random(in: 0..<1) >= sample { return "shadow sample" }
        if let newSide, !newSide.admitShadow() { return "shadow shed: ERP quota kept for served traffic" }
        return nil
    }

    func callNew(_ exchange: Exchange, _ prepared: Result<PreparedNewCall, MappingRefusal>?, served: Bool = true)
        async -> NewOutcome
    {
        switch prepared {
        case .success(let call)?:
            return await tracing.span("new \(flow.name)", context: exchange.spanContext, kind: .client) { span in
                span.attributes["cutover.side"] = Side.new.rawValue
                let outcome = await newSide!.call(
                    call, headers: tracing.headers(exchange.newHeaders, for: span), served: served)
                if let status = outcome.status { span.attributes["http.response.status_code"] = status }
                if !outcome.succeeded { span.setStatus(SpanStatus(code: .error)) }
                return outcome
            }
        case .failure(let refusal)?:
            return .failed(refusal.message)
        case nil:
            return .failed("the flow has no new side")
        }
    }

    // MARK: Answers

    private func refuse(_ fault: SOAPFault, record: ExchangeRecord, bytes: Int) async -> FacadeResponse {
        var record = record
        record.verdict = .notCompared
        record.finishedAt = Date()
        // The body is never stored: what cannot be parsed cannot be redacted.
        record.attributes["refused"] = fault.reason
        record.attributes["request_bytes"] = String(bytes)
        do {
            try await audit.write([.exchange(record)])
        } catch {
            logger.error(
                "could not record a refused call",
                metadata: record.logMetadata(["error": "\(error)"]))
        }
        logger.info(
            "refused a call",
            metadata: record.logMetadata(["reason": "\(fault.reason)"])
        )
        var answer = fault
        answer.correlationID = record.correlationID
        return Self.response(answer)
    }

    /// A call that came in too large to read: refused before parsing.
    public func refuseOversize(_ request: FacadeRequest, bytesRead: Int) async -> FacadeResponse {
        let record = ExchangeRecord(
            flow: flow.name, kind: .call, correlationID: Self.correlationID(request.header("x-correlation-id")),
            traceID: TraceContext(header: request.header("traceparent"))?.traceID,
            setting: modes.setting(of: flow.name), servedBy: nil, startedAt: Date())
        return await refuse(
            SOAPFault(
                code: .sender, reason: "request larger than \(flow.limits.maxBytes) bytes",
                version: Self.version(contentType: request.header("content-type"))),
            record: record, bytes: bytesRead)
    }

    /// A call that came before this instance was ready: nothing forwarded, nothing to audit yet.
    public func refuseWhileStarting(_ headers: [String: String]) -> FacadeResponse {
        return Self.response(
            SOAPFault(
                code: .receiver, reason: "Cutover is starting; try again shortly",
                version: Self.version(contentType: headers["content-type"]),
                correlationID: Self.correlationID(headers["x-correlation-id"])))
    }

    /// The SOAP version a request's Content-Type names (SOAP 1.2 is `application/soap+xml`).
    static func version(contentType: String?) -> SOAPEnvelope.Version {
        contentType?.contains("soap+xml") == true ? .soap12 : .soap11
    }

    func fault(_ code: SOAPFault.Code, _ reason: String, _ exchange: Exchange) -> FacadeResponse {
        Self.response(
            SOAPFault(
                code: code, reason: reason, version: exchange.version, correlationID: exchange.record.correlationID))
    }

    static func response(_ fault: SOAPFault) -> FacadeResponse {
        FacadeResponse(
            status: fault.httpStatus,
            headers: [("Content-Type", fault.version.contentType), ("X-Correlation-ID", fault.correlationID ?? "")],
            body: Array(fault.body.utf8))
    }

    /// The caller's correlation id when it is a sane token, else a new one.
    static func correlationID(_ offered: String?) -> String {
        if let offered, (1...128).contains(offered.count),
            offered.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0))
            })
        {
            return offered
        }
        return UUID.random().uuidString.lowercased()
    }

    /// What goes to the legacy service besides the body: the caller's SOAPAction, Content-Type and credentials,
    /// the trace, and the correlation id.
    static func forwardedHeaders(_ request: FacadeRequest, traceparent: String, correlationID: String)
        -> [(String, String)]
    {
        var headers: [(String, String)] = [
            ("Content-Type", request.header("content-type") ?? "text/xml; charset=utf-8"),
            ("traceparent", traceparent), ("X-Correlation-ID", correlationID),
        ]
        for name in ["soapaction", "authorization", "tracestate"] {
            if let value = request.header(name) { headers.append((name == "soapaction" ? "SOAPAction" : name, value)) }
        }
        return headers
    }
}
