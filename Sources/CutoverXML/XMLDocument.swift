import CLibXML2
import CutoverCore

/// A parsed XML document. Not shared across tasks: parse, read, drop.
public final class XMLDocument {
    let pointer: xmlDocPtr

    init(pointer: xmlDocPtr) {
        self.pointer = pointer
    }

    deinit {
        xmlFreeDoc(pointer)
    }

    /// Parses untrusted bytes: no network, no entity substitution, no DTD loading or validation, no recovery, no
    /// huge-document mode; any DOCTYPE is refused before libxml2 sees the bytes; size and depth are bounded.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = .default) throws(XMLError) -> XMLDocument {
        guard bytes.count <= limits.maxBytes else { throw XMLError(code: .tooLarge) }
        if Self.containsDoctype(bytes) { throw XMLError(code: .doctypeForbidden) }
        XMLLibrary.initialise()
        guard let context = xmlNewParserCtxt() else { throw XMLError(code: .malformed, detail: "no parser context") }
        defer { xmlFreeParserCtxt(context) }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlCtxtReadMemory(context, $0, Int32(buffer.count), nil, nil, options)
            }
        }
        guard let document, context.pointee.wellFormed != 0 else {
            if let document { xmlFreeDoc(document) }
            let error = context.pointee.lastError
            let message = error.message.map { String(cString: $0).trimmingWhitespace() }
            throw XMLError(code: .malformed, line: Int(error.line), column: Int(error.int2), detail: message)
        }
        let parsed = XMLDocument(pointer: document)
        // Belt and braces: the pre-scan should make these impossible.
        if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
            throw XMLError(code: .doctypeForbidden)
        }
        if parsed.depth(limit: limits.maxDepth) > limits.maxDepth { throw XMLError(code: .tooDeep) }
        return parsed
    }

    public static func parse(_ text: String, limits: XMLLimits = .default) throws(XMLError) -> XMLDocument {
        try parse(Array(text.utf8), limits: limits)
    }

    /// The root element.
    public var root: XMLNode? {
        xmlDocGetRootElement(pointer).map { XMLNode(pointer: $0, document: self) }
    }

    /// The document serialised as UTF-8 text.
    public func serialized() -> String {
        var buffer: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpMemoryEnc(pointer, &buffer, &size, "UTF-8")
        guard let buffer else { return "" }
        defer { cutover_xml_free(buffer) }
        return String(decoding: UnsafeBufferPointer(start: buffer, count: Int(size)), as: UTF8.self)
    }

    /// Maximum element depth, stopping early once past `limit`.
    func depth(limit: Int) -> Int {
        var deepest = 0
        var stack: [(xmlNodePtr, Int)] = xmlDocGetRootElement(pointer).map { [($0, 1)] } ?? []
        while let (node, level) = stack.popLast() {
            deepest = max(deepest, level)
            if deepest > limit { return deepest }
            var child = node.pointee.children
            while let current = child {
                if current.pointee.type == XML_ELEMENT_NODE { stack.append((current, level + 1)) }
                child = current.pointee.next
            }
        }
        return deepest
    }

    /// `<!DOCTYPE` anywhere in the bytes (outside a comment or CDATA it can only be a DTD; inside one, refusing a
    /// harmless document is the safe mistake).
    static func containsDoctype(_ bytes: [UInt8]) -> Bool {
        let needle = Array("<!DOCTYPE".utf8)
        guard bytes.count >= needle.count else { return false }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == 0x3C, bytes[index + 1] == 0x21, Array(bytes[index..<index + needle.count]) == needle {
                return true
            }
            index += 1
        }
        return false
    }
}

/// One-time libxml2 set-up.
enum XMLLibrary {
    static let initialised: Bool = {
        xmlInitParser()
        return true
    }()

    static func initialise() {
        _ = initialised
    }
}
