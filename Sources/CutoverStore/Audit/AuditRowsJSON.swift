import CutoverCore
import Foundation

/// Encodes audit records as JSON arrays of rows, one array per table, for `json_populate_recordset`: the whole
/// batch then goes to PostgreSQL as one statement with three parameters (one round trip, one implicit transaction).
/// Values are written exactly as the COPY encoder writes them (same timestamps, same JSON columns), so a record
/// sent again through either path carries the same key.
struct AuditRowsJSON {
    private var exchangeRows: [UInt8] = [UInt8(ascii: "[")]
    private var sideCallRows: [UInt8] = [UInt8(ascii: "[")]
    private var comparisonRows: [UInt8] = [UInt8(ascii: "[")]
    private var counts = (0, 0, 0)

    init(_ records: [AuditRecord]) {
        for record in records {
            switch record {
            case .exchange(let row): add(row)
            case .sideCall(let row): add(row)
            case .comparison(let row): add(row)
            }
        }
        exchangeRows.append(UInt8(ascii: "]"))
        sideCallRows.append(UInt8(ascii: "]"))
        comparisonRows.append(UInt8(ascii: "]"))
    }

    var exchanges: String { String(decoding: exchangeRows, as: UTF8.self) }
    var sideCalls: String { String(decoding: sideCallRows, as: UTF8.self) }
    var comparisons: String { String(decoding: comparisonRows, as: UTF8.self) }

    var isEmpty: Bool { counts == (0, 0, 0) }

    private mutating func add(_ record: ExchangeRecord) {
        var row = Object(into: Self.take(&exchangeRows), first: counts.0 == 0)
        row.field("id", record.id.uuidString)
        row.field("flow", record.flow)
        row.field("kind", record.kind.rawValue)
        row.field("parent_id", record.parentID?.uuidString)
        row.field("correlation_id", record.correlationID)
        row.field("trace_id", record.traceID)
        row.field("routing_key", record.routingKey)
        row.field("mode", record.mode.rawValue)
        row.raw("percent", String(record.percent))
        row.field("served_by", record.servedBy?.rawValue)
        row.field("started_at", CopyTextEncoder.timestamp(record.startedAt))
        row.field("finished_at", record.finishedAt.map(CopyTextEncoder.timestamp))
        row.field("payload_sha256", record.payloadSHA256)
        row.field("verdict", record.verdict?.rawValue)
        row.raw("attributes", JSONText.object(record.attributes))
        exchangeRows = row.end()
        counts.0 += 1
    }

    private mutating func add(_ record: SideCallRecord) {
        var row = Object(into: Self.take(&sideCallRows), first: counts.1 == 0)
        row.field("exchange_id", record.exchangeID.uuidString)
        row.field("exchange_started_at", CopyTextEncoder.timestamp(record.exchangeStartedAt))
        row.field("side", record.side.rawValue)
        row.raw("attempt", String(record.attempt))
        row.field("started_at", CopyTextEncoder.timestamp(record.startedAt))
        row.field("request", record.request)
        row.field("request_sha256", record.requestSHA256)
        row.field("response", record.response)
        row.field("response_sha256", record.responseSHA256)
        row.raw("status", record.status.map { String($0) } ?? "null")
        row.raw("latency_seconds", record.latencySeconds.map { $0.isFinite ? String($0) : "null" } ?? "null")
        row.field("error", record.error)
        sideCallRows = row.end()
        counts.1 += 1
    }

    private mutating func add(_ record: ComparisonRecord) {
        var row = Object(into: Self.take(&comparisonRows), first: counts.2 == 0)
        row.field("id", record.id.uuidString)
        row.field("exchange_id", record.exchangeID.uuidString)
        row.field("exchange_started_at", CopyTextEncoder.timestamp(record.exchangeStartedAt))
        row.field("flow", record.flow)
        row.field("verdict", record.verdict.rawValue)
        row.raw("diff", JSONText.diff(record.diff))
        row.field("compared_at", CopyTextEncoder.timestamp(record.comparedAt))
        row.field("replay_of", record.replayOf?.uuidString)
        comparisonRows = row.end()
        counts.2 += 1
    }

    /// Moves the array out, so appending to it does not copy it (copy-on-write).
    private static func take(_ array: inout [UInt8]) -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &array)
        return taken
    }

    /// One row object being appended to its table's array.
    struct Object {
        var out: [UInt8]
        var firstMember = true

        init(into array: [UInt8], first: Bool) {
            out = array
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
        }

        mutating func field(_ name: String, _ value: String?) {
            key(name)
            if let value {
                JSONValue.quote(value, into: &out, replacingNUL: true)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        }

        mutating func raw(_ name: String, _ json: String) {
            key(name)
            out.append(contentsOf: json.utf8)
        }

        private mutating func key(_ name: String) {
            if !firstMember { out.append(UInt8(ascii: ",")) }
            firstMember = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }

        mutating func end() -> [UInt8] {
            out.append(UInt8(ascii: "}"))
            return out
        }
    }
}
