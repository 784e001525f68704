import CutoverConfig
import CutoverCore
import Foundation

/// One flat record (a file record, a job's source row) sent to the new side as an exchange: mapped, called, and
/// recorded with its side call and either a comparison (shadow: the record's values against the ERP's reply, under
/// the flow's `compare` rules) or, when the new side served it and failed, a dead letter. The file-drop and
/// database-job adapters share it.
struct RowExchange: Sendable {
    let definition: FlowDefinition
    let newSide: NewSide?
    let redactor: Redactor

    /// What became of one record.
    struct Outcome: Sendable {
        var records: [AuditRecord]
        var accepted: Bool
        var failure: String?
        var deadLetter: Bool
        var verdict: Verdict
    }

    /// Sends `values` (with `input`, the record as stored) for `exchange`. `shadow`: legacy has the record, the ERP
    /// is called off to the side and compared; otherwise the ERP serves it. `accepted` runs once the ERP accepted the
    /// record (an ack) and returns why it could not be completed, if it could not.
    func send(
        _ values: [String: String], input: JSONValue, builtins: [String: String], exchange: ExchangeRecord,
        shadow: Bool, accepted: @Sendable () async -> String? = { nil }
    ) async -> Outcome {
        var exchange = exchange
        let secrets = Set(definition.redact.compactMap { values[$0] }.filter { !$0.isEmpty })
        func refused(_ reason: String) -> Outcome {
            exchange.finishedAt = Date()
            exchange.verdict = .newError
            exchange.attributes["error"] = reason
            return Outcome(
                records: [.exchange(exchange)], accepted: false, failure: reason, deadLetter: false, verdict: .newError)
        }
        guard let newSide else { return refused("the flow has no new side") }
        let prepared: PreparedNewCall
        switch newSide.prepare(from: RowSource(values), builtins: builtins) {
        case .failure(let refusal): return refused(redactor.scrubText(refusal.message, secrets: secrets))
        case .success(let call): prepared = call
        }
        let outcome = await newSide.call(
            prepared, headers: [("X-Correlation-ID", exchange.correlationID)], served: !shadow, waitForProbe: true)
        var failure = outcome.error.map { redactor.scrubText($0.description, secrets: secrets) }
        if outcome.succeeded, let incomplete = await accepted() { failure = incomplete }
        var records: [AuditRecord] = [
            .sideCall(
                SideCallRecord(
                    exchangeID: exchange.id, exchangeStartedAt: exchange.startedAt, side: .new,
                    startedAt: outcome.startedAt, request: redactor.redact(prepared.body, secrets: secrets).text,
                    response: outcome.reply.map { redactor.redact($0, secrets: secrets).text }
                        ?? outcome.replyText.map { redactor.scrubText($0, secrets: secrets) },
                    status: outcome.status, latencySeconds: outcome.latency,
                    error: outcome.error.map { redactor.scrubText($0.description, secrets: secrets) }))
        ]
        var verdict: Verdict = outcome.succeeded ? .notCompared : .newError
        var deadLetter = false
        if shadow {
            let compared =
                outcome.succeeded
                ? FieldComparator.compare(
                    definition.compare, legacy: RowSource(values), new: JSONMappingSource(outcome.reply!))
                : FieldComparator.Outcome(verdict: .newError, diff: [])
            verdict = compared.verdict
            records.append(
                .comparison(
                    ComparisonRecord(
                        exchangeID: exchange.id, exchangeStartedAt: exchange.startedAt, flow: definition.flow,
                        verdict: compared.verdict,
                        diff: compared.diff.map { difference in
                            var difference = difference
                            difference.legacy = difference.legacy.map { redactor.scrub($0, secrets: secrets) }
                            difference.new = difference.new.map { redactor.scrub($0, secrets: secrets) }
                            return difference
                        }, comparedAt: Date())))
        } else {
            exchange.verdict = verdict
            if !outcome.succeeded, let new = definition.new {
                // Nobody else will do this work: kept with its request for `cutover replay --dead-letters`.
                deadLetter = true
                exchange.attributes["dead_letter"] = "true"
                records.append(
                    .deadLetter(
                        DeadLetterRecord(
                            flow: definition.flow, exchangeID: exchange.id, exchangeStartedAt: exchange.startedAt,
                            correlationID: exchange.correlationID, method: new.method.uppercased(), url: new.url,
                            idempotencyKey: prepared.idempotencyKey,
                            body: redactor.redact(prepared.body, secrets: secrets).text,
                            input: redactor.redact(input, secrets: secrets).text, error: failure ?? "failed",
                            attempts: 1)))
            }
        }
        exchange.finishedAt = Date()
        records.insert(.exchange(exchange), at: 0)
        return Outcome(
            records: records, accepted: outcome.succeeded, failure: failure, deadLetter: deadLetter, verdict: verdict)
    }

    /// A batch's outcomes counted.
    struct Tally: Sendable {
        var sent = 0
        var failed = 0
        var deadLetters = 0
        var compared = 0
        var mismatches = 0
        /// The index in the batch and the reason, for each failure.
        var failures: [(Int, String)] = []
    }

    static func tally(_ outcomes: [Outcome]) -> Tally {
        var tally = Tally()
        for (index, outcome) in outcomes.enumerated() {
            if outcome.accepted { tally.sent += 1 }
            if let failure = outcome.failure {
                tally.failed += 1
                tally.failures.append((index, failure))
            }
            if outcome.deadLetter { tally.deadLetters += 1 }
            if outcome.verdict == .match || outcome.verdict == .mismatch {
                tally.compared += 1
                if outcome.verdict == .mismatch { tally.mismatches += 1 }
            }
        }
        return tally
    }

    /// Runs `work` for every element with at most `concurrency` at once, keeping the order of the results.
    static func concurrently<Element: Sendable>(
        _ elements: [Element], concurrency: Int, _ work: @escaping @Sendable (Element) async -> Outcome
    ) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var outcomes = [Outcome?](repeating: nil, count: elements.count)
            var next = 0
            func launch() {
                let index = next
                let element = elements[index]
                next += 1
                group.addTask { (index, await work(element)) }
            }
            while next < min(concurrency, elements.count) { launch() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                if next < elements.count { launch() }
            }
            return outcomes.map { $0! }
        }
    }
}
