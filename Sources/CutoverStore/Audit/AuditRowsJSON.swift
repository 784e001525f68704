import CutoverCore
import Foundation

/// Encodes audit records as JSON arrays of rows, one array per table, for `json_populate_recordset`: the whole
/// batch then goes to PostgreSQL as one statement with four parameters.
/// The cells come from the COPY encoder (`CopyTextEncoder.cells`), so both paths write the same value in the same
/// column, and a record sent again through either path carries the same key.
struct AuditRowsJSON {
    private var exchangeRows: [UInt8] = [UInt8(ascii: "[")]
    private var sideCallRows: [UInt8] = [UInt8(ascii: "[")]
    private var comparisonRows: [UInt8] = [UInt8(ascii: "[")]
    private var deadLetterRows: [UInt8] = [UInt8(ascii: "[")]
    private var counts = (0, 0, 0, 0)

    init(_ records: [AuditRecord]) {
        for record in records {
            switch record {
            case .exchange(let row): add(row)
            case .sideCall(let row): add(row)
            case .comparison(let row): add(row)
            case .deadLetter(let row): add(row)
            }
        }
        exchangeRows.append(UInt8(ascii: "]"))
        sideCallRows.append(UInt8(ascii: "]"))
        comparisonRows.append(UInt8(ascii: "]"))
        deadLetterRows.append(UInt8(ascii: "]"))
    }

    var exchanges: String { String(decoding: exchangeRows, as: UTF8.self) }
    var sideCalls: String { String(decoding: sideCallRows, as: UTF8.self) }
    var comparisons: String { String(decoding: comparisonRows, as: UTF8.self) }
    var deadLetters: String { String(decoding: deadLetterRows, as: UTF8.self) }

    var isEmpty: Bool { counts == (0, 0, 0, 0) }

    private mutating func add(_ record: ExchangeRecord) {
        Self.append(
            CopyTextEncoder.cells(record), CopyTextEncoder.exchangeColumns, to: &exchangeRows, first: counts.0 == 0)
        counts.0 += 1
    }

    private mutating func add(_ record: SideCallRecord) {
        Self.append(
            CopyTextEncoder.cells(record), CopyTextEncoder.sideCallColumns, to: &sideCallRows, first: counts.1 == 0)
        counts.1 += 1
    }

    private mutating func add(_ record: ComparisonRecord) {
        Self.append(
            CopyTextEncoder.cells(record), CopyTextEncoder.comparisonColumns, to: &comparisonRows, first: counts.2 == 0)
        counts.2 += 1
    }

    private mutating func add(_ record: DeadLetterRecord) {
        Self.append(
            CopyTextEncoder.cells(record), CopyTextEncoder.deadLetterColumns, to: &deadLetterRows, first: counts.3 == 0)
        counts.3 += 1
    }

    /// One row object, its members named by the table's columns, appended to the table's array.
    private static func append(
        _ cells: [CopyTextEncoder.Cell], _ columns: [String], to array: inout [UInt8], first: Bool
    ) {
        var row = Object(into: take(&array), first: first)
        for (column, cell) in zip(columns, cells) {
            switch cell {
            case .text(let value): row.field(column, value)
            case .number(let value): row.raw(column, value ?? "null")
            case .json(let json): row.raw(column, json)
            }
        }
        array = row.end()
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
