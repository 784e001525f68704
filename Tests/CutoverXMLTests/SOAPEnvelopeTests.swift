import CutoverXML
import Testing

@Suite("SOAP envelopes and faults")
struct SOAPEnvelopeTests {
    @Test("SOAP 1.1 and 1.2 envelopes are recognised, with their operation", arguments: SOAPEnvelope.Version.allCases)
    func versions(version: SOAPEnvelope.Version) throws {
        let request = """
            <e:Envelope xmlns:e="\(version.rawValue)"><e:Header/><e:Body>
            <po:CreatePurchaseOrder xmlns:po="urn:example:purchasing:v1"/></e:Body></e:Envelope>
            """
        let envelope = try SOAPEnvelope.parse(Array(request.utf8))
        #expect(envelope.version == version)
        #expect(envelope.operation?.name == "CreatePurchaseOrder")
    }

    @Test("a document that is not an envelope is a Sender fault")
    func notAnEnvelope() {
        let fault = #expect(throws: SOAPFault.self) { try SOAPEnvelope.parse(Array("<order/>".utf8)) }
        #expect(fault?.code == .sender)
        #expect(fault?.httpStatus == 500, "SOAP 1.1 faults are 500")
    }

    @Test("hostile input becomes a Sender fault in the request's own SOAP version, without libxml2's text")
    func hostileInput() {
        let request =
            #"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope">&e;</e:Envelope>"#
        let fault = #expect(throws: SOAPFault.self) { try SOAPEnvelope.parse(Array(request.utf8)) }
        #expect(fault?.version == .soap12)
        #expect(fault?.httpStatus == 400)
        #expect(fault?.reason == "documents with a DOCTYPE are not accepted")
        #expect(fault?.body.contains("passwd") == false)
    }

    @Test("SOAP 1.1 faults carry faultcode, faultstring and the correlation id, escaped")
    func soap11Fault() throws {
        let fault = SOAPFault(code: .receiver, reason: "legacy <service> unavailable", correlationID: "c-1&2")
        let document = try XMLDocument.parse(fault.body)
        let ns = ["soap": SOAPEnvelope.Version.soap11.rawValue, "cutover": "urn:cutover:fault"]
        #expect(try document.string("//soap:Fault/faultcode", namespaces: ns) == "soap:Server")
        #expect(try document.string("//soap:Fault/faultstring", namespaces: ns) == "legacy <service> unavailable")
        #expect(try document.string("//cutover:CorrelationId", namespaces: ns) == "c-1&2")
        #expect(fault.httpStatus == 500)
    }

    @Test("SOAP 1.2 faults carry Code and Reason; Sender is 400, Receiver 500")
    func soap12Fault() throws {
        let sender = SOAPFault(
            code: .sender, reason: "document nesting exceeds the depth limit", version: .soap12, correlationID: "c-9")
        let document = try XMLDocument.parse(sender.body)
        let ns = ["env": SOAPEnvelope.Version.soap12.rawValue]
        #expect(try document.string("//env:Fault/env:Code/env:Value", namespaces: ns) == "env:Sender")
        #expect(
            try document.string("//env:Fault/env:Reason/env:Text", namespaces: ns)
                == "document nesting exceeds the depth limit")
        #expect(sender.httpStatus == 400)
        #expect(SOAPFault(code: .receiver, reason: "x", version: .soap12).httpStatus == 500)
    }
}
