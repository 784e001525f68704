import CutoverCore
import Foundation
import NIOCore

/// Encodes audit records as rows of PostgreSQL's COPY text format, one table at a time.
///
/// Timestamps are written at microsecond precision in UTC, computed arithmetically: the same `Date` always yields
/// the same text, so a record sent again carries the same key and is dropped by `ON CONFLICT DO NOTHING`.
struct CopyTextEncoder {
    static let exchangeColumns = [
        "id", "flow", "kind", "parent_id", "correlation_id", "trace_id", "routing_key", "mode", "percent", "served_by",
        "started_at", "finished_at", "payload_sha256", "verdict", "attributes",
    ]
    static let sideCallColumns = [
        "exchange_id", "exchange_started_at", "side", "attempt", "started_at", "request", "request_sha256", "response",
        "response_sha256", "status", "latency_seconds", "error",
    ]
    static let comparisonColumns = [
        "id", "exchange_id", "exchange_started_at", "flow", "verdict", "diff", "compared_at", "replay_of",
    ]

    static let deadLetterColumns = [
        "id", "flow", "exchange_id", "exchange_started_at", "correlation_id", "method", "url", "idempotency_key",
        "body", "input", "error", "attempts", "created_at",
    ]

    /// One column's value, as both encoders need it: text (or NULL), a number (or NULL), or JSON for a jsonb column.
    enum Cell {
        case text(String?)
        case number(String?)
        case json(String)
    }

    // The cells of each record, in the order of its table's column list above: the one place that says which
    // value goes in which column, for COPY and for `json_populate_recordset` alike.

    static func cells(_ record: ExchangeRecord) -> [Cell] {
        [
            .text(record.id.uuidString), .text(record.flow), .text(record.kind.rawValue),
            .text(record.parentID?.uuidString), .text(record.correlationID), .text(record.traceID),
            .text(record.routingKey), .text(record.mode.rawValue), .number(String(record.percent)),
            .text(record.servedBy?.rawValue), .text(timestamp(record.startedAt)),
            .text(record.finishedAt.map(timestamp)), .text(record.payloadSHA256), .text(record.verdict?.rawValue),
            .json(JSONText.object(record.attributes)),
        ]
    }

    static func cells(_ record: SideCallRecord) -> [Cell] {
        [
            .text(record.exchangeID.uuidString), .text(timestamp(record.exchangeStartedAt)),
            .text(record.side.rawValue), .number(String(record.attempt)), .text(timestamp(record.startedAt)),
            .text(record.request), .text(record.requestSHA256), .text(record.response), .text(record.responseSHA256),
            .number(record.status.map { String($0) }),
            .number(record.latencySeconds.flatMap { $0.isFinite ? String($0) : nil }), .text(record.error),
        ]
    }

    static func cells(_ record: ComparisonRecord) -> [Cell] {
        [
            .text(record.id.uuidString), .text(record.exchangeID.uuidString),
            .text(timestamp(record.exchangeStartedAt)), .text(record.flow), .text(record.verdict.rawValue),
            .json(JSONText.diff(record.diff)), .text(timestamp(record.comparedAt)),
            .text(record.replayOf?.uuidString),
        ]
    }

    static func cells(_ record: DeadLetterRecord) -> [Cell] {
        [
            .text(record.id.uuidString), .text(record.flow), .text(record.exchangeID.uuidString),
            .text(timestamp(record.exchangeStartedAt)), .text(record.correlationID), .text(record.method),
            .text(record.url), .text(record.idempotencyKey), .text(record.body), .text(record.input),
            .text(record.error),
            .number(String(record.attempts)), .text(timestamp(record.createdAt)),
        ]
    }

    static func append(_ record: ExchangeRecord, to buffer: inout ByteBuffer) {
        append(cells(record), to: &buffer)
    }

    static func append(_ record: SideCallRecord, to buffer: inout ByteBuffer) {
        append(cells(record), to: &buffer)
    }

    static func append(_ record: ComparisonRecord, to buffer: inout ByteBuffer) {
        append(cells(record), to: &buffer)
    }

    static func append(_ record: DeadLetterRecord, to buffer: inout ByteBuffer) {
        append(cells(record), to: &buffer)
    }

    static func append(_ cells: [Cell], to buffer: inout ByteBuffer) {
        var row = Row(buffer: buffer)
        for cell in cells {
            switch cell {
            case .text(let value), .number(let value): row.field(value)
            case .json(let json): row.field(json)
            }
        }
        buffer = row.end()
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    static func timestamp(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        let seconds = rest / 1_000_000
        let fraction = rest % 1_000_000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2))"
            + ":\(pad(seconds % 60, 2)).\(pad(fraction, 6))+00"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// One row being written: fields separated by tabs, `\N` for NULL, backslash escapes.
    struct Row {
        var buffer: ByteBuffer
        var first = true

        init(buffer: ByteBuffer) {
            self.buffer = buffer
        }

        mutating func field(_ value: String?) {
            if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
            first = false
            guard let value else {
                buffer.writeStaticString("\\N")
                return
            }
            let utf8 = value.utf8
            let needsEscape =
                utf8.withContiguousStorageIfAvailable { bytes in
                    bytes.contains { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }
                } ?? true
            if !needsEscape {
                buffer.writeString(value)
                return
            }
            for byte in utf8 {
                switch byte {
                case 0x5C: buffer.writeStaticString("\\\\")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x00: buffer.writeBytes([0xEF, 0xBF, 0xBD])  // PostgreSQL text cannot hold NUL
                default: buffer.writeInteger(byte)
                }
            }
        }

        mutating func end() -> ByteBuffer {
            buffer.writeInteger(UInt8(ascii: "\n"))
            return buffer
        }
    }
}

/// Minimal JSON text for the two shapes the audit rows carry, without a JSONEncoder on the hot path.
enum JSONText {
    static func object(_ values: [String: String]) -> String {
        guard !values.isEmpty else { return "{}" }
        let members = values.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(string($0.value))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func diff(_ diffs: [FieldDiff]) -> String {
        let items = diffs.map { diff in
            "{\"path\":\(string(diff.path)),\"legacy\":\(diff.legacy.map(string) ?? "null"),"
                + "\"new\":\(diff.new.map(string) ?? "null"),\"rule\":\(string(diff.rule))}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// A JSON string literal for jsonb, which cannot hold NUL (U+0000 becomes U+FFFD).
    static func string(_ text: String) -> String {
        var out: [UInt8] = []
        JSONValue.quote(text, into: &out, replacingNUL: true)
        return String(decoding: out, as: UTF8.self)
    }
}
