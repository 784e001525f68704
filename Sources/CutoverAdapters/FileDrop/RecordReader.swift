import CutoverConfig
import CutoverCore
import Foundation

/// One detail record of a dropped file.
struct FileRecord: Sendable {
    /// 1-based, detail records only, in file order.
    var number: Int
    /// The line it starts on (XML: the line of its start tag).
    var line: Int
    /// Column (or field) name → value.
    var values: [String: String]
    /// The record's bytes as they were in the file, line end included (XML: the element serialised); kept only
    /// when a canary part is being written.
    var raw: [UInt8]
}

/// One pass over one dropped file, record by record, in constant memory. A reader made for validation only
/// (`building: false`) checks structure without building values. Readers do not hash: the content hash is a pass
/// of its own (``FileDigest``), run beside the validation pass.
protocol RecordReader: AnyObject {
    /// The next detail record, or nil once the file's end has been read and checked (trailer, control totals).
    func next() throws -> FileRecord?
    /// Like `next()`, without building the record: true while there was one.
    func skip() throws -> Bool
    /// The bytes before the first detail record (a BOM and header line; an XML prolog and root start tag).
    var prologue: [UInt8] { get }
    /// What closes the file after the last record (a fixed-width trailer as read, an XML end tag); nil for none.
    var closing: [UInt8]? { get }
}

/// Writes a well-formed file of the same format holding only some of the records (a canary's legacy part):
/// header kept, trailer totals recomputed.
protocol PartWriter: AnyObject {
    func add(_ record: FileRecord) throws
    /// Writes what closes the file (the original's trailer, recomputed; a closing tag) and commits the temporary
    /// file.
    func finish(closing: [UInt8]?) throws
}

extension FileFormatDefinition {
    func reader(path: String, building: Bool, namespaces: [String: String]) throws -> any RecordReader {
        switch self {
        case .csv(let format): try CSVRecordReader(path: path, format: format, building: building)
        case .fixedWidth(let format): try FixedWidthRecordReader(path: path, format: format, building: building)
        case .xml(let format): try XMLRecordReader(path: path, format: format, namespaces: namespaces)
        }
    }

    func partWriter(to sink: FileSink, prologue: [UInt8]) throws -> any PartWriter {
        switch self {
        case .csv, .xml: try RawPartWriter(sink: sink, prologue: prologue)
        case .fixedWidth(let format): try FixedWidthPartWriter(sink: sink, prologue: prologue, format: format)
        }
    }
}

/// CSV and XML parts: the prologue, the records' own bytes, and what closed the original.
final class RawPartWriter: PartWriter {
    let sink: FileSink

    init(sink: FileSink, prologue: [UInt8]) throws {
        self.sink = sink
        try sink.write(prologue)
    }

    func add(_ record: FileRecord) throws {
        try sink.write(record.raw)
    }

    func finish(closing: [UInt8]?) throws {
        try sink.write(closing ?? [])
        try sink.commit()
    }
}
