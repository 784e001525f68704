import CutoverConfig
import Foundation

/// RFC 4180 CSV, streamed: quoted fields (with doubled quotes, delimiters and line breaks inside), CRLF or LF, a
/// UTF-8 byte-order mark, and the flow's encoding. With a header, columns are found by name (any order, extra
/// columns allowed); without one, by position.
final class CSVRecordReader: RecordReader {
    let format: CSVFormat
    let stream: ByteStream
    let building: Bool
    let fileName: String
    private let delimiter: UInt8
    private var line = 1
    private var recordLine = 1
    private var number = 0
    private var fieldBytes: [UInt8] = []
    private var fieldEnds: [Int] = []
    private var raw: [UInt8] = []
    private var sawHighByte = false
    /// Column name → field index.
    private var positions: [(String, Int)] = []
    private var expectedFields: Int
    private(set) var prologue: [UInt8] = []
    var closing: [UInt8]? { nil }

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    init(path: String, format: CSVFormat, building: Bool) throws {
        self.format = format
        self.building = building
        self.stream = try ByteStream(path: path, hashing: false)
        self.fileName = URL(fileURLWithPath: path).lastPathComponent
        self.delimiter = format.delimiter.asciiValue ?? UInt8(ascii: ",")
        self.expectedFields = format.columns.count
        if try stream.peek() == 0xEF {
            // A UTF-8 byte-order mark: skipped, but kept for the legacy part.
            var bom: [UInt8] = []
            for _ in 0..<3 { if let byte = try stream.next() { bom.append(byte) } }
            if bom == [0xEF, 0xBB, 0xBF] {
                prologue = bom
            } else {
                throw FileFormatError(
                    file: fileName, line: 1, column: 1, message: "the file starts with a broken byte-order mark")
            }
        }
        if format.header {
            guard try tokenize(keepingRaw: true) else {
                throw FileFormatError(file: fileName, line: 1, message: "the file is empty: the header line is missing")
            }
            prologue += raw
            let names = try (0..<fieldEnds.count).map { index in
                try decodeField(index, column: "header").trimmingCharacters(in: .whitespaces).lowercased()
            }
            for column in format.columns {
                guard let index = names.firstIndex(of: column.name.lowercased()) else {
                    throw FileFormatError(
                        file: fileName, line: 1,
                        message: "the header has no column '\(column.name)' (it has: \(names.joined(separator: ", ")))")
                }
                positions.append((column.name, index))
            }
            expectedFields = names.count
        } else {
            positions = format.columns.enumerated().map { ($0.element.name, $0.offset) }
        }
    }

    func next() throws -> FileRecord? {
        guard try readRecord(keepingRaw: building) else { return nil }
        var values: [String: String] = [:]
        for (name, index) in positions {
            values[name] = try decodeField(index, column: name)
        }
        return FileRecord(number: number, line: recordLine, values: values, raw: raw)
    }

    func skip() throws -> Bool {
        guard try scanRecord() else { return false }
        number += 1
        guard scannedFields == expectedFields else {
            throw FileFormatError(
                file: fileName, line: recordLine, record: number, column: min(scannedFields, expectedFields) + 1,
                message: "the record has \(scannedFields) fields; \(expectedFields) expected"
                    + (format.header ? " (as many as the header)" : ""))
        }
        return true
    }

    private var scannedFields = 0

    /// `tokenize` without keeping anything, looping over the read buffer directly: the validation pass over a
    /// large file runs here. Same rules; UTF-8 is checked as the bytes go by. False at the end of the file.
    private func scanRecord() throws -> Bool {
        let quote = Self.quote
        let lf = Self.lf
        let cr = Self.cr
        let delimiter = delimiter
        let checkUTF8 = format.encoding == .utf8
        while true {
            recordLine = line
            var fields = 1
            var fieldBytes = 0
            var inQuotes = false
            var afterQuote = false
            var quoteInQuotes = false  // a quote inside quotes: closing, or the first of a doubled pair
            var pendingCR = false
            var atFieldStart = true
            var readAny = false
            var quoteLine = line
            var utf8Need = 0
            var utf8Low: UInt8 = 0x80
            var utf8High: UInt8 = 0xBF
            var ended = false
            scan: while true {
                let (base, start, count) = try stream.window()
                if start == count { break scan }
                var index = start
                while index < count {
                    let byte = base[index]
                    index += 1
                    readAny = true
                    if checkUTF8 && (byte >= 0x80 || utf8Need > 0) {
                        if utf8Need > 0 {
                            guard byte >= utf8Low && byte <= utf8High else {
                                stream.consume(to: index)
                                throw invalidUTF8(fields)
                            }
                            utf8Need -= 1
                            utf8Low = 0x80
                            utf8High = 0xBF
                        } else {
                            switch byte {
                            case 0xC2...0xDF: utf8Need = 1
                            case 0xE0: (utf8Need, utf8Low) = (2, 0xA0)
                            case 0xE1...0xEC, 0xEE...0xEF: utf8Need = 2
                            case 0xED: (utf8Need, utf8High) = (2, 0x9F)
                            case 0xF0: (utf8Need, utf8Low) = (3, 0x90)
                            case 0xF1...0xF3: utf8Need = 3
                            case 0xF4: (utf8Need, utf8High) = (3, 0x8F)
                            default:
                                stream.consume(to: index)
                                throw invalidUTF8(fields)
                            }
                            fieldBytes += 1
                            continue
                        }
                    }
                    if inQuotes {
                        if quoteInQuotes {
                            quoteInQuotes = false
                            if byte == quote { continue }  // a doubled quote: one literal quote
                            inQuotes = false
                            afterQuote = true
                            // falls through: this byte follows the closing quote
                        } else {
                            if byte == quote {
                                quoteInQuotes = true
                            } else if byte == lf {
                                line += 1
                            }
                            continue
                        }
                    }
                    if pendingCR {
                        pendingCR = false
                        if byte == lf {
                            line += 1
                            ended = true
                            stream.consume(to: index)
                            break scan
                        }
                        // A lone CR is data.
                        if afterQuote {
                            stream.consume(to: index)
                            throw afterQuoteError(fields)
                        }
                        atFieldStart = false
                        fieldBytes += 1
                    }
                    if byte == delimiter {
                        fields += 1
                        atFieldStart = true
                        afterQuote = false
                    } else if byte == lf {
                        line += 1
                        ended = true
                        stream.consume(to: index)
                        break scan
                    } else if byte == cr {
                        pendingCR = true
                    } else if afterQuote {
                        stream.consume(to: index)
                        throw afterQuoteError(fields)
                    } else if byte == quote && atFieldStart {
                        inQuotes = true
                        quoteLine = line
                        atFieldStart = false
                    } else {
                        atFieldStart = false
                        fieldBytes += 1
                    }
                }
                stream.consume(to: index)
            }
            if quoteInQuotes {
                inQuotes = false
                afterQuote = true
            }
            if inQuotes {
                throw FileFormatError(
                    file: fileName, line: quoteLine, column: fields,
                    message: "a quoted field is never closed: the file may be truncated")
            }
            if utf8Need > 0 { throw invalidUTF8(fields) }
            if pendingCR && !ended {
                // A CR at the very end is data, like any lone CR.
                if afterQuote { throw afterQuoteError(fields) }
                fieldBytes += 1
            }
            if !readAny { return false }
            if fields == 1 && fieldBytes == 0 && !afterQuote {
                if ended { continue }
                return false
            }
            scannedFields = fields
            return true
        }
    }

    private func invalidUTF8(_ field: Int) -> FileFormatError {
        FileFormatError(
            file: fileName, line: line, record: number + 1, column: field,
            message: "the field is not valid \(format.encoding.rawValue)")
    }

    private func afterQuoteError(_ field: Int) -> FileFormatError {
        FileFormatError(
            file: fileName, line: line, column: field,
            message: "a character follows a closing quote (a quote inside a quoted field must be doubled)")
    }

    private func readRecord(keepingRaw: Bool) throws -> Bool {
        guard try tokenize(keepingRaw: keepingRaw) else { return false }
        number += 1
        guard fieldEnds.count == expectedFields else {
            throw FileFormatError(
                file: fileName, line: recordLine, record: number, column: min(fieldEnds.count, expectedFields) + 1,
                message: "the record has \(fieldEnds.count) fields; \(expectedFields) expected"
                    + (format.header ? " (as many as the header)" : ""))
        }
        return true
    }

    private func decodeField(_ index: Int, column: String?) throws -> String {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let bytes = fieldBytes[start..<fieldEnds[index]]
        guard let text = format.encoding.decode(bytes) else {
            throw FileFormatError(
                file: fileName, line: recordLine, record: number == 0 ? nil : number, column: index + 1,
                message: "the field\(column.map { " '\($0)'" } ?? "") is not valid \(format.encoding.rawValue)")
        }
        return text
    }

    /// Reads one record's fields into `fieldBytes`/`fieldEnds`; blank lines are skipped. False at the end.
    private func tokenize(keepingRaw: Bool) throws -> Bool {
        while true {
            fieldBytes.removeAll(keepingCapacity: true)
            fieldEnds.removeAll(keepingCapacity: true)
            if keepingRaw { raw.removeAll(keepingCapacity: true) }
            sawHighByte = false
            recordLine = line
            var atFieldStart = true
            var inQuotes = false
            var afterQuote = false
            var quoteLine = line
            var readAny = false
            var ended = false
            while let byte = try stream.next() {
                readAny = true
                if keepingRaw { raw.append(byte) }
                if byte >= 0x80 { sawHighByte = true }
                if inQuotes {
                    if byte == Self.quote {
                        if try stream.peek() == Self.quote {
                            _ = try stream.next()
                            if keepingRaw { raw.append(byte) }
                            fieldBytes.append(byte)
                        } else {
                            inQuotes = false
                            afterQuote = true
                        }
                    } else {
                        if byte == Self.lf { line += 1 }
                        fieldBytes.append(byte)
                    }
                    continue
                }
                if byte == delimiter {
                    fieldEnds.append(fieldBytes.count)
                    atFieldStart = true
                    afterQuote = false
                    continue
                }
                if byte == Self.lf {
                    line += 1
                    ended = true
                    break
                }
                if byte == Self.cr, try stream.peek() == Self.lf {
                    _ = try stream.next()
                    if keepingRaw { raw.append(Self.lf) }
                    line += 1
                    ended = true
                    break
                }
                if afterQuote {
                    throw FileFormatError(
                        file: fileName, line: line, column: fieldEnds.count + 1,
                        message: "a character follows a closing quote (a quote inside a quoted field must be doubled)")
                }
                if byte == Self.quote && atFieldStart {
                    inQuotes = true
                    quoteLine = line
                    atFieldStart = false
                    continue
                }
                atFieldStart = false
                fieldBytes.append(byte)
            }
            if inQuotes {
                throw FileFormatError(
                    file: fileName, line: quoteLine, column: fieldEnds.count + 1,
                    message: "a quoted field is never closed: the file may be truncated")
            }
            if !readAny { return false }
            fieldEnds.append(fieldBytes.count)
            // A line with nothing on it is not a record.
            if fieldEnds.count == 1 && fieldBytes.isEmpty && !afterQuote {
                if ended { continue }
                return false
            }
            return true
        }
    }
}
