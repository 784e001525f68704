import CutoverCore
import CutoverXML
import Testing

@Suite("Building and redacting documents")
struct XMLBuildingTests {
    @Test("built documents escape text and attributes and drop characters XML cannot carry")
    func building() throws {
        let document = XMLDocument.create(root: "Envelope", namespaceURI: "urn:e", prefix: "e")
        let body = try #require(document.root).addElement("Body", namespaceURI: "urn:e")
        let item = body.addElement("Item", namespaceURI: "urn:x", prefix: "x", text: "<b>&\u{01}")
        item.setAttribute("note", "\"quoted\" & <angled>")
        let text = document.serialized()
        #expect(
            text.contains(
                "<e:Body><x:Item xmlns:x=\"urn:x\" note=\"&quot;quoted&quot; &amp; &lt;angled&gt;\">&lt;b&gt;&amp;\u{FFFD}</x:Item></e:Body>"
            ))
        let reparsed = try XMLDocument.parse(text)
        #expect(try reparsed.string("//x:Item", namespaces: ["x": "urn:x"]) == "<b>&\u{FFFD}")
        #expect(try reparsed.string("//x:Item/@note", namespaces: ["x": "urn:x"]) == "\"quoted\" & <angled>")
    }

    @Test("redaction replaces the named nodes and every echo of their values")
    func redaction() throws {
        let document = try XMLDocument.parse(
            #"<r xmlns:p="urn:p"><p:MRN>MRN-1</p:MRN><p:Note>MRN-1</p:Note><p:Other>keep</p:Other></r>"#)
        let secrets = document.secrets(at: ["//p:MRN"], namespaces: ["p": "urn:p"])
        #expect(secrets == ["MRN-1"])
        let redactor = Redactor(key: Array(repeating: 9, count: 32))
        document.redact(paths: ["//p:MRN"], namespaces: ["p": "urn:p"], secrets: secrets, with: redactor)
        let text = document.serialized()
        #expect(!text.contains("MRN-1"))
        #expect(text.contains("<p:Other>keep</p:Other>"))
        #expect(text.components(separatedBy: redactor.token(for: "MRN-1")).count == 3)
    }
}
