import Foundation

/// One exchange as first recorded: who served it, in which mode, and what came in.
///
/// Its identity is `id`; the same record written twice is stored once.
public struct ExchangeRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var flow: String
    public var kind: ExchangeKind
    /// The file of a record, the run of a row, the original of a replay.
    public var parentID: UUID?
    public var correlationID: String
    public var traceID: String?
    public var routingKey: String?
    public var mode: Mode
    public var percent: Double
    public var servedBy: Side?
    public var startedAt: Date
    public var finishedAt: Date?
    /// SHA-256 (hex) of the exchange's input payload.
    public var payloadSHA256: String?
    public var verdict: Verdict?
    /// Small kind-specific facts (file name, row key, record number), stored as JSON.
    public var attributes: [String: String]

    public init(
        id: UUID = .random(), flow: String, kind: ExchangeKind, parentID: UUID? = nil, correlationID: String,
        traceID: String? = nil, routingKey: String? = nil, setting: ModeSetting, servedBy: Side?,
        startedAt: Date, finishedAt: Date? = nil, payloadSHA256: String? = nil, verdict: Verdict? = nil,
        attributes: [String: String] = [:]
    ) {
        self.id = id
        self.flow = flow
        self.kind = kind
        self.parentID = parentID
        self.correlationID = correlationID
        self.traceID = traceID
        self.routingKey = routingKey
        self.mode = setting.mode
        self.percent = setting.percent
        self.servedBy = servedBy
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.payloadSHA256 = payloadSHA256
        self.verdict = verdict
        self.attributes = attributes
    }
}

/// One call to one side on behalf of an exchange, with what went out and what came back.
///
/// Identified by (exchange, side, attempt). It carries the exchange's start time, which places it in the
/// same monthly partition as its exchange.
public struct SideCallRecord: Sendable, Hashable, Codable {
    public var exchangeID: UUID
    public var exchangeStartedAt: Date
    public var side: Side
    public var attempt: Int
    public var startedAt: Date
    public var request: String?
    public var requestSHA256: String?
    public var response: String?
    public var responseSHA256: String?
    /// Protocol status: HTTP status for SOAP and REST, rows affected for SQL.
    public var status: Int?
    public var latencySeconds: Double?
    public var error: String?

    public init(
        exchangeID: UUID, exchangeStartedAt: Date, side: Side, attempt: Int = 1, startedAt: Date,
        request: String?, response: String?, status: Int?, latencySeconds: Double?, error: String?
    ) {
        self.exchangeID = exchangeID
        self.exchangeStartedAt = exchangeStartedAt
        self.side = side
        self.attempt = attempt
        self.startedAt = startedAt
        self.request = request
        self.requestSHA256 = request.map(Digest.sha256Hex)
        self.response = response
        self.responseSHA256 = response.map(Digest.sha256Hex)
        self.status = status
        self.latencySeconds = latencySeconds
        self.error = error
    }
}

/// The comparison of both sides' results for an exchange. Replays add new comparisons linked to the original.
public struct ComparisonRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var exchangeID: UUID
    public var exchangeStartedAt: Date
    public var flow: String
    public var verdict: Verdict
    public var diff: [FieldDiff]
    public var comparedAt: Date
    /// The comparison this one re-does after a replay.
    public var replayOf: UUID?

    public init(
        id: UUID = .random(), exchangeID: UUID, exchangeStartedAt: Date, flow: String, verdict: Verdict,
        diff: [FieldDiff], comparedAt: Date, replayOf: UUID? = nil
    ) {
        self.id = id
        self.exchangeID = exchangeID
        self.exchangeStartedAt = exchangeStartedAt
        self.flow = flow
        self.verdict = verdict
        self.diff = diff
        self.comparedAt = comparedAt
        self.replayOf = replayOf
    }
}

/// Work meant for the new side that it could not take (the ERP down, the circuit open, retries spent) and that no
/// fallback served: the ERP request as it would have gone out, kept for `cutover replay --dead-letters`. The body is
/// stored redacted, like everything else in the audit store.
public struct DeadLetterRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var flow: String
    public var exchangeID: UUID
    public var exchangeStartedAt: Date
    public var correlationID: String
    public var method: String
    public var url: String
    public var idempotencyKey: String?
    /// The request body (JSON text).
    public var body: String
    /// The exchange's original input as received (a SOAP request, a record), redacted.
    public var input: String?
    public var error: String
    public var attempts: Int
    public var createdAt: Date

    public init(
        id: UUID = .random(), flow: String, exchangeID: UUID, exchangeStartedAt: Date, correlationID: String,
        method: String, url: String, idempotencyKey: String?, body: String, input: String? = nil, error: String,
        attempts: Int, createdAt: Date = Date()
    ) {
        self.id = id
        self.flow = flow
        self.exchangeID = exchangeID
        self.exchangeStartedAt = exchangeStartedAt
        self.correlationID = correlationID
        self.method = method
        self.url = url
        self.idempotencyKey = idempotencyKey
        self.body = body
        self.input = input
        self.error = error
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What the audit writer accepts: each case is one row in its own append-only table.
public enum AuditRecord: Sendable, Hashable, Codable {
    case exchange(ExchangeRecord)
    case sideCall(SideCallRecord)
    case comparison(ComparisonRecord)
    case deadLetter(DeadLetterRecord)

    /// The time that decides the record's monthly partition.
    public var partitionTime: Date {
        switch self {
        case .exchange(let record): record.startedAt
        case .sideCall(let record): record.exchangeStartedAt
        case .comparison(let record): record.exchangeStartedAt
        case .deadLetter(let record): record.exchangeStartedAt
        }
    }
}
