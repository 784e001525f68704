import CutoverCore

/// A SOAP request as the facade needs it: its version, and its body's first element.
public struct SOAPEnvelope {
    public enum Version: String, Sendable, CaseIterable {
        case soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
        case soap12 = "http://www.w3.org/2003/05/soap-envelope"

        /// The Content-Type of messages of this version.
        public var contentType: String {
            self == .soap11 ? "text/xml; charset=utf-8" : "application/soap+xml; charset=utf-8"
        }
    }

    public let document: XMLDocument
    public let version: Version
    /// The first element inside `Body` (the operation), if any.
    public let operation: XMLNode?

    /// Reads an envelope from a parsed document; anything that is not a SOAP 1.1 or 1.2 envelope is refused.
    public init(_ document: XMLDocument) throws(SOAPFault) {
        guard let root = document.root, root.name == "Envelope",
            let version = root.namespaceURI.flatMap(Version.init(rawValue:))
        else { throw SOAPFault(code: .sender, reason: "not a SOAP envelope") }
        guard let body = root.children.first(where: { $0.name == "Body" && $0.namespaceURI == version.rawValue }) else {
            throw SOAPFault(code: .sender, reason: "SOAP envelope has no Body", version: version)
        }
        self.document = document
        self.version = version
        self.operation = body.children.first
    }

    /// Parses untrusted bytes (see ``XMLDocument/parse(_:limits:)``) and reads the envelope. Every refusal is a
    /// Sender fault whose text says what kind of problem it was, never libxml2's message.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = .default) throws(SOAPFault) -> SOAPEnvelope {
        do {
            return try SOAPEnvelope(XMLDocument.parse(bytes, limits: limits))
        } catch let error as XMLError {
            throw SOAPFault(code: .sender, reason: error.description, version: sniffVersion(bytes))
        } catch let fault as SOAPFault {
            throw fault
        } catch {
            throw SOAPFault(code: .sender, reason: "request could not be read", version: sniffVersion(bytes))
        }
    }

    /// The version a (possibly unparseable) request claims, for answering its fault in kind.
    static func sniffVersion(_ bytes: [UInt8]) -> Version {
        let prefix = String(decoding: bytes.prefix(2_048), as: UTF8.self)
        return prefix.contains(Version.soap12.rawValue) ? .soap12 : .soap11
    }
}

/// A SOAP fault the facade sends. It carries the correlation id, so the caller can quote it to support, and never
/// internal error text.
public struct SOAPFault: Error, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// The request was at fault (malformed, hostile, too large).
        case sender
        /// Cutover or the side serving the call failed.
        case receiver
    }

    public var code: Code
    public var reason: String
    public var version: SOAPEnvelope.Version
    public var correlationID: String?

    public init(code: Code, reason: String, version: SOAPEnvelope.Version = .soap11, correlationID: String? = nil) {
        self.code = code
        self.reason = reason
        self.version = version
        self.correlationID = correlationID
    }

    /// SOAP 1.1 faults are HTTP 500 whatever their code; SOAP 1.2 Sender faults are 400 and Receiver faults 500.
    public var httpStatus: Int {
        version == .soap12 && code == .sender ? 400 : 500
    }

    /// The fault envelope, every value XML-escaped.
    public var body: String {
        let reason = XMLText.escape(reason)
        let detail = correlationID.map { "<cutover:CorrelationId>\(XMLText.escape($0))</cutover:CorrelationId>" } ?? ""
        switch version {
        case .soap11:
            let faultcode = code == .sender ? "soap:Client" : "soap:Server"
            return """
                <?xml version="1.0" encoding="UTF-8"?>
                <soap:Envelope xmlns:soap="\(SOAPEnvelope.Version.soap11.rawValue)" xmlns:cutover="urn:cutover:fault">\
                <soap:Body><soap:Fault><faultcode>\(faultcode)</faultcode><faultstring>\(reason)</faultstring>\
                <detail>\(detail)</detail></soap:Fault></soap:Body></soap:Envelope>
                """
        case .soap12:
            let value = code == .sender ? "env:Sender" : "env:Receiver"
            return """
                <?xml version="1.0" encoding="UTF-8"?>
                <env:Envelope xmlns:env="\(SOAPEnvelope.Version.soap12.rawValue)" xmlns:cutover="urn:cutover:fault">\
                <env:Body><env:Fault><env:Code><env:Value>\(value)</env:Value></env:Code>\
                <env:Reason><env:Text xml:lang="en">\(reason)</env:Text></env:Reason>\
                <env:Detail>\(detail)</env:Detail></env:Fault></env:Body></env:Envelope>
                """
        }
    }
}
