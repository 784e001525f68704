import CLibXML2
import CutoverCore

/// A large XML file read record by record with libxml2's streaming reader, in constant memory: each element the
/// record path selects is copied into a small document of its own and the reader moves past it.
///
/// Parsed as hostile input, like traffic: no network, no entity substitution, no DTD loading; a file carrying a
/// DOCTYPE is refused; nesting is bounded. The record path is `//prefix:name` (the element anywhere) or an absolute
/// path `/a:root/a:item`. Not shared between tasks.
public final class XMLRecordStream {
    public struct Record {
        public let document: XMLDocument
        /// The line of the record's start tag.
        public let line: Int

        /// The record element serialised, with the namespace declarations it needs.
        public func outerXML() -> String {
            guard let root = xmlDocGetRootElement(document.pointer), let buffer = xmlBufferCreate() else { return "" }
            defer { xmlBufferFree(buffer) }
            xmlNodeDump(buffer, document.pointer, root, 0, 0)
            guard let content = xmlBufferContent(buffer) else { return "" }
            return String(cString: content)
        }
    }

    private let reader: xmlTextReaderPtr
    private let errors = ErrorBox()
    private let anywhere: Bool
    private let steps: [(uri: String, name: String)]
    private let maxDepth: Int
    private var stack: [(uri: String, name: String)] = []
    /// The root element's start tag as read (name, namespace declarations and attributes).
    public private(set) var rootStartTag: String?
    public private(set) var rootName: String?

    public init(path: String, record: String, namespaces: [String: String], maxDepth: Int = 256) throws(XMLError) {
        XMLLibrary.initialise()
        if Self.prologCarriesDoctype(path) { throw XMLError(code: .doctypeForbidden) }
        anywhere = record.hasPrefix("//")
        let trimmed = record.drop { $0 == "/" }
        var steps: [(String, String)] = []
        for step in trimmed.split(separator: "/") {
            let parts = step.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                guard let uri = namespaces[parts[0]] else {
                    throw XMLError(code: .invalidXPath, detail: "unknown namespace prefix '\(parts[0])' in \(record)")
                }
                steps.append((uri, parts[1]))
            } else {
                steps.append(("", parts[0]))
            }
        }
        guard !steps.isEmpty, steps.allSatisfy({ !$0.1.isEmpty && !$0.1.contains("[") && !$0.1.contains("*") })
        else {
            throw XMLError(
                code: .invalidXPath, detail: "a record path must be //name or /a/b/name for streaming, not \(record)")
        }
        self.steps = steps
        self.maxDepth = maxDepth
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        guard let reader = xmlReaderForFile(path, nil, options) else {
            throw XMLError(code: .malformed, detail: "cannot open \(path)")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(
            reader,
            { context, error in
                guard let context, let error else { return }
                let box = Unmanaged<ErrorBox>.fromOpaque(context).takeUnretainedValue()
                if box.first == nil {
                    box.first = XMLError(
                        code: .malformed, line: Int(error.pointee.line), column: Int(error.pointee.int2),
                        detail: error.pointee.message.map { String(cString: $0).trimmingWhitespace() })
                }
            }, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    /// The next record, or nil at the end of a well-formed file.
    public func next() throws(XMLError) -> Record? {
        while true {
            let status = afterRecord ?? xmlTextReaderRead(reader)
            afterRecord = nil
            if status == 0 { return nil }
            guard status == 1 else { throw failure() }
            let type = xmlTextReaderNodeType(reader)
            if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) { throw XMLError(code: .doctypeForbidden) }
            if type == Int32(XML_READER_TYPE_END_ELEMENT.rawValue) {
                _ = stack.popLast()
                continue
            }
            guard type == Int32(XML_READER_TYPE_ELEMENT.rawValue) else { continue }
            if Int(xmlTextReaderDepth(reader)) >= maxDepth { throw XMLError(code: .tooDeep) }
            let element = (
                uri: Self.text(xmlTextReaderConstNamespaceUri(reader)),
                name: Self.text(xmlTextReaderConstLocalName(reader))
            )
            if rootStartTag == nil { captureRoot() }
            if matches(element) {
                guard let node = xmlTextReaderExpand(reader) else { throw failure() }
                let line = Int(xmlGetLineNo(node))
                guard let document = xmlNewDoc("1.0"), let copy = xmlDocCopyNode(node, document, 1) else {
                    throw XMLError(code: .malformed, detail: "out of memory copying a record")
                }
                xmlDocSetRootElement(document, copy)
                let record = Record(document: XMLDocument(pointer: document), line: line)
                // Past the record's subtree (its end tag is never reported), freeing what the reader built. `Next`
                // lands on the following node, which the next call looks at before reading on.
                afterRecord = xmlTextReaderNext(reader)
                return record
            }
            if xmlTextReaderIsEmptyElement(reader) == 0 { stack.append(element) }
        }
    }

    /// The status of the `xmlTextReaderNext` that moved past the last record, whose node is not looked at yet.
    private var afterRecord: Int32?

    private func matches(_ element: (uri: String, name: String)) -> Bool {
        let path = stack + [element]
        if anywhere {
            guard path.count >= steps.count else { return false }
            return zip(path.suffix(steps.count), steps).allSatisfy { $0.uri == $1.uri && $0.name == $1.name }
        }
        guard path.count == steps.count else { return false }
        return zip(path, steps).allSatisfy { $0.uri == $1.uri && $0.name == $1.name }
    }

    private func captureRoot() {
        var tag = "<" + Self.text(xmlTextReaderConstName(reader))
        rootName = Self.text(xmlTextReaderConstName(reader))
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            let name = Self.text(xmlTextReaderConstName(reader))
            let value = Self.text(xmlTextReaderConstValue(reader))
            tag += " \(name)=\"\(Self.escapeAttribute(value))\""
        }
        xmlTextReaderMoveToElement(reader)
        rootStartTag = tag + ">"
    }

    private func failure() -> XMLError {
        errors.first ?? XMLError(code: .malformed, line: Int(xmlTextReaderGetParserLineNumber(reader)))
    }

    static func text(_ pointer: UnsafePointer<xmlChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    static func escapeAttribute(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A DOCTYPE can only come before the root element: the first 64 KiB say whether there is one.
    static func prologCarriesDoctype(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let count = fread(&buffer, 1, buffer.count, file)
        return XMLDocument.containsDoctype(Array(buffer[0..<count]))
    }
}

/// The first error libxml2 reported while reading (filled in by the structured error callback).
private final class ErrorBox {
    var first: XMLError?
}
