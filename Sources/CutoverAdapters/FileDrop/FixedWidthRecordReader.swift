import CutoverConfig
import Foundation

/// Fixed-width files: record types told apart by prefix (header, detail, trailer), columns by 1-based start and
/// length, values trimmed. A detail shorter than its columns is a truncated record; the trailer's control totals
/// (a count, or the sum of a detail column) are checked against the details when the trailer is read.
final class FixedWidthRecordReader: RecordReader {
    let format: FixedWidthFormat
    let stream: ByteStream
    let building: Bool
    let fileName: String
    private var line = 0
    private var number = 0
    private var lineBytes: [UInt8] = []
    private var sums: [String: Decimal] = [:]
    private var sawTrailer = false
    private let types: [RecordTypeDefinition]
    private let detail: RecordTypeDefinition
    private let summed: Set<String>
    private(set) var prologue: [UInt8] = []
    /// The trailer line as read (with its line end), for a part's recomputed trailer.
    private(set) var trailer: [UInt8]?
    var closing: [UInt8]? { trailer }

    init(path: String, format: FixedWidthFormat, building: Bool) throws {
        self.format = format
        self.building = building
        self.stream = try ByteStream(path: path, hashing: false)
        self.fileName = URL(fileURLWithPath: path).lastPathComponent
        // Longest prefix first, so that "D1" wins over "D".
        self.types = format.recordTypes.sorted { $0.prefix.count > $1.prefix.count }
        self.detail = format.recordTypes.first { $0.role == .detail }!
        self.summed = Set(
            format.controlTotals.compactMap { total in
                if case .sum(let column) = total.kind { return column }
                return nil
            })
        if let header = format.recordTypes.first(where: { $0.role == .header }) {
            guard let (text, _) = try readLine() else {
                throw FileFormatError(
                    file: fileName, line: 1, message: "the file is empty: the header record is missing")
            }
            guard text.hasPrefix(header.prefix) else {
                throw FileFormatError(
                    file: fileName, line: 1, column: 1,
                    message: "the file does not start with a header record (prefix '\(header.prefix)')")
            }
            prologue = lineBytes
        }
    }

    func next() throws -> FileRecord? {
        guard let (characters, _) = try nextDetail() else { return nil }
        var values: [String: String] = [:]
        for column in detail.columns {
            values[column.name] = Self.slice(characters, column)
        }
        return FileRecord(number: number, line: line, values: values, raw: building ? lineBytes : [])
    }

    func skip() throws -> Bool {
        try nextDetail() != nil
    }

    static func slice(_ characters: [Character], _ column: ColumnDefinition) -> String {
        let start = (column.start ?? 1) - 1
        let end = min(characters.count, start + (column.length ?? 0))
        guard start < end else { return "" }
        return String(characters[start..<end]).trimmingCharacters(in: .whitespaces)
    }

    /// The next detail line as characters, after checking it; nil at the end of the file (trailer checked).
    private func nextDetail() throws -> ([Character], String)? {
        while let (text, characters) = try readLine() {
            if text.isEmpty { continue }
            if sawTrailer {
                throw FileFormatError(file: fileName, line: line, column: 1, message: "a record follows the trailer")
            }
            guard let type = types.first(where: { text.hasPrefix($0.prefix) }) else {
                throw FileFormatError(
                    file: fileName, line: line, column: 1,
                    message: "no record type starts like '\(String(text.prefix(8)))'")
            }
            switch type.role {
            case .header:
                throw FileFormatError(file: fileName, line: line, column: 1, message: "a second header record")
            case .trailer:
                sawTrailer = true
                trailer = lineBytes
                try checkTotals(characters, type)
            case .detail:
                number += 1
                try check(characters, type)
                return (characters, text)
            }
        }
        if format.recordTypes.contains(where: { $0.role == .trailer }) && !sawTrailer {
            throw FileFormatError(
                file: fileName, line: line, message: "no trailer record: the file may be truncated")
        }
        return nil
    }

    private func check(_ characters: [Character], _ type: RecordTypeDefinition) throws {
        let needed = type.columns.map { ($0.start ?? 1) + ($0.length ?? 0) - 1 }.max() ?? 0
        guard characters.count >= needed else {
            let column = type.columns.first { ($0.start ?? 1) + ($0.length ?? 0) - 1 > characters.count }
            throw FileFormatError(
                file: fileName, line: line, record: number, column: characters.count + 1,
                message:
                    "truncated record: \(characters.count) characters, but column '\(column?.name ?? "?")' ends at \(needed)"
            )
        }
        for column in type.columns where summed.contains(column.name) {
            let value = Self.slice(characters, column)
            guard let amount = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")), !value.isEmpty
            else {
                throw FileFormatError(
                    file: fileName, line: line, record: number, column: column.start,
                    message: "column '\(column.name)' is '\(value)', not a number")
            }
            sums[column.name, default: 0] += amount
        }
    }

    private func checkTotals(_ characters: [Character], _ trailer: RecordTypeDefinition) throws {
        for total in format.controlTotals {
            guard let column = trailer.columns.first(where: { $0.name == total.trailerColumn }) else { continue }
            let stated = Self.slice(characters, column)
            let expected: Decimal
            let what: String
            switch total.kind {
            case .count:
                expected = Decimal(number)
                what = "\(number) detail records"
            case .sum(let summedColumn):
                expected = sums[summedColumn] ?? 0
                what = "a sum of \(expected) in '\(summedColumn)'"
            }
            guard let value = Decimal(string: stated, locale: Locale(identifier: "en_US_POSIX")), value == expected
            else {
                throw FileFormatError(
                    file: fileName, line: line, column: column.start,
                    message: "the trailer's '\(total.trailerColumn)' says '\(stated)', but the file has \(what)")
            }
        }
    }

    /// The next line (without its line end) as text and characters; `lineBytes` keeps it with its line end.
    private func readLine() throws -> (String, [Character])? {
        lineBytes.removeAll(keepingCapacity: true)
        var readAny = false
        while let byte = try stream.next() {
            readAny = true
            lineBytes.append(byte)
            if byte == UInt8(ascii: "\n") { break }
        }
        guard readAny else { return nil }
        line += 1
        var end = lineBytes.count
        if end > 0 && lineBytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        if end > 0 && lineBytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard let text = format.encoding.decode(lineBytes[0..<end]) else {
            throw FileFormatError(
                file: fileName, line: line, message: "the line is not valid \(format.encoding.rawValue)")
        }
        return (text, Array(text))
    }
}

/// A fixed-width part: the original header, the part's details, and the trailer with its control totals
/// recomputed for the part (same width, alignment, padding and decimals as the original).
final class FixedWidthPartWriter: PartWriter {
    let sink: FileSink
    let format: FixedWidthFormat
    private var count = 0
    private var sums: [String: Decimal] = [:]

    init(sink: FileSink, prologue: [UInt8], format: FixedWidthFormat) throws {
        self.sink = sink
        self.format = format
        try sink.write(prologue)
    }

    func add(_ record: FileRecord) throws {
        count += 1
        for total in format.controlTotals {
            if case .sum(let column) = total.kind, let value = record.values[column],
                let amount = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX"))
            {
                sums[column, default: 0] += amount
            }
        }
        try sink.write(record.raw)
    }

    func finish(closing trailer: [UInt8]?) throws {
        if let trailer, let definition = format.recordTypes.first(where: { $0.role == .trailer }) {
            var end = trailer.count
            while end > 0 && (trailer[end - 1] == UInt8(ascii: "\n") || trailer[end - 1] == UInt8(ascii: "\r")) {
                end -= 1
            }
            let lineEnd = Array(trailer[end...])
            var characters = Array(format.encoding.decode(trailer[0..<end]) ?? "")
            for total in format.controlTotals {
                guard let column = definition.columns.first(where: { $0.name == total.trailerColumn }),
                    let start = column.start, let length = column.length, characters.count >= start - 1 + length
                else { continue }
                let original = String(characters[(start - 1)..<(start - 1 + length)])
                let value: Decimal
                switch total.kind {
                case .count: value = Decimal(count)
                case .sum(let summed): value = sums[summed] ?? 0
                }
                let field = Self.format(value, like: original)
                characters.replaceSubrange((start - 1)..<(start - 1 + length), with: Array(field))
            }
            try sink.write(format.encoding.encode(String(characters)) + lineEnd)
        }
        try sink.commit()
    }

    /// `value` laid out like `original`: the same width, decimals, zero padding or alignment.
    static func format(_ value: Decimal, like original: String) -> String {
        let width = original.count
        let trimmed = original.trimmingCharacters(in: .whitespaces)
        let decimals = trimmed.firstIndex(of: ".").map { trimmed.distance(from: $0, to: trimmed.endIndex) - 1 } ?? 0
        var rounded = Decimal()
        var input = value
        NSDecimalRound(&rounded, &input, decimals, .plain)
        var text = NSDecimalNumber(decimal: rounded).stringValue
        if decimals > 0 {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            let fraction = parts.count > 1 ? String(parts[1]) : ""
            text = "\(parts[0]).\(fraction.padding(toLength: decimals, withPad: "0", startingAt: 0))"
        }
        if text.count >= width { return String(text.suffix(width)) }
        let padding = width - text.count
        if trimmed.hasPrefix("0") && trimmed.count == width {
            return String(repeating: "0", count: padding) + text
        }
        if original.hasPrefix(" ") || !original.hasSuffix(" ") {
            return String(repeating: " ", count: padding) + text
        }
        return text + String(repeating: " ", count: padding)
    }
}
