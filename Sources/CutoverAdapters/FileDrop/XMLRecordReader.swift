import CutoverConfig
import CutoverCore
import CutoverXML
import Foundation

/// XML files: each element the record path selects is a record; its fields are XPath expressions relative to it.
final class XMLRecordReader: RecordReader {
    let format: XMLRecordFormat
    let stream: XMLRecordStream
    let namespaces: [String: String]
    let path: String
    let fileName: String
    private var number = 0

    init(path: String, format: XMLRecordFormat, namespaces: [String: String]) throws {
        self.format = format
        self.path = path
        self.namespaces = namespaces
        self.fileName = URL(fileURLWithPath: path).lastPathComponent
        do {
            self.stream = try XMLRecordStream(path: path, record: format.record, namespaces: namespaces)
        } catch {
            throw Self.formatError(error, file: fileName)
        }
    }

    var prologue: [UInt8] {
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\(stream.rootStartTag ?? "<records>")\n".utf8)
    }

    /// The root's end tag.
    var closing: [UInt8]? {
        Array("</\(stream.rootName ?? "records")>\n".utf8)
    }

    func next() throws -> FileRecord? {
        let record: XMLRecordStream.Record?
        do {
            record = try stream.next()
        } catch {
            throw Self.formatError(error, file: fileName)
        }
        guard let record else { return nil }
        number += 1
        let source = XMLMappingSource(document: record.document, node: record.document.root, namespaces: namespaces)
        var values: [String: String] = [:]
        for field in format.fields {
            guard let path = format.paths[field.name] else { continue }
            do {
                values[field.name] = try source.values(at: path).first?.trimmingWhitespace()
            } catch {
                throw FileFormatError(
                    file: fileName, line: record.line, record: number,
                    message: "field '\(field.name)': the XPath \(path) does not evaluate")
            }
        }
        return FileRecord(
            number: number, line: record.line, values: values, raw: Array((record.outerXML() + "\n").utf8))
    }

    func skip() throws -> Bool {
        do {
            guard try stream.next() != nil else { return false }
        } catch {
            throw Self.formatError(error, file: fileName)
        }
        number += 1
        return true
    }

    /// The error's line is libxml2's; the record number is left out, because the parser reads ahead of the
    /// records it has handed out.
    static func formatError(_ error: XMLError, file: String) -> FileFormatError {
        FileFormatError(
            file: file, line: error.line ?? 0, column: error.column,
            message: error.description + (error.detail.map { ": \($0)" } ?? ""))
    }
}
