import CutoverXML
import Testing

@Suite("Hardened XML parsing")
struct HardenedParsingTests {
    let namespaces = ["po": "urn:example:purchasing:v1", "soap": "http://schemas.xmlsoap.org/soap/envelope/"]
    let envelope = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1">
          <soap:Body>
            <po:PurchaseOrder>
              <po:RequestId>REQ-1</po:RequestId>
              <po:SupplierId>SUP-1001</po:SupplierId>
              <po:Line><po:ItemCode>NDC-00071015523</po:ItemCode><po:Qty>2</po:Qty></po:Line>
              <po:Line><po:ItemCode>NDC-00093715301</po:ItemCode><po:Qty>10</po:Qty></po:Line>
            </po:PurchaseOrder>
          </soap:Body>
        </soap:Envelope>
        """

    @Test("namespace-aware XPath reads values, repeating groups and relative paths")
    func xpath() throws {
        let document = try XMLDocument.parse(envelope)
        #expect(try document.string("//po:PurchaseOrder/po:SupplierId", namespaces: namespaces) == "SUP-1001")
        #expect(try document.string("count(//po:Line)", namespaces: namespaces) == "2")
        guard case .nodes(let lines) = try document.evaluate("//po:PurchaseOrder/po:Line", namespaces: namespaces)
        else {
            Issue.record("no node-set")
            return
        }
        #expect(try lines.map { try document.string("po:Qty", namespaces: namespaces, relativeTo: $0) } == ["2", "10"])
        #expect(try document.string("//po:Missing", namespaces: namespaces) == nil)
        #expect(document.root?.name == "Envelope")
        #expect(document.root?.namespaceURI == "http://schemas.xmlsoap.org/soap/envelope/")
    }

    @Test("a prefix that is not registered is an XPath error, not a silent miss")
    func unknownPrefix() throws {
        let document = try XMLDocument.parse(envelope)
        let error = #expect(throws: XMLError.self) { try document.string("//zz:PurchaseOrder") }
        #expect(error?.code == .invalidXPath)
    }

    @Test(
        "documents carrying a DTD are refused before parsing: XXE (file, network), billion laughs, external subset",
        arguments: [
            #"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#,
            #"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/evil">]><x>&e;</x>"#,
            """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            ]><lolz>&lol4;</lolz>
            """,
            #"<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>"#,
            #"<!DOCTYPE x PUBLIC "-//W3C//DTD XHTML 1.0//EN" "file:///etc/passwd"><x/>"#,
        ]
    )
    func dtdRefused(document: String) {
        let error = #expect(throws: XMLError.self) { try XMLDocument.parse(document) }
        #expect(error?.code == .doctypeForbidden)
    }

    @Test("an undeclared entity is an error, never expanded")
    func undeclaredEntity() {
        let error = #expect(throws: XMLError.self) { try XMLDocument.parse("<x>&xxe;</x>") }
        #expect(error?.code == .malformed)
    }

    @Test("a body over the size limit is refused before parsing")
    func oversize() {
        let big = "<x>" + String(repeating: "a", count: 2_000) + "</x>"
        let error = #expect(throws: XMLError.self) {
            try XMLDocument.parse(big, limits: XMLLimits(maxBytes: 1_000, maxDepth: 64))
        }
        #expect(error?.code == .tooLarge)
    }

    @Test("nesting 10,000 levels deep is refused", arguments: [100, 10_000])
    func deepNesting(levels: Int) {
        let document = String(repeating: "<a>", count: levels) + String(repeating: "</a>", count: levels)
        let error = #expect(throws: XMLError.self) { try XMLDocument.parse(document) }
        #expect(error?.code == .tooDeep || error?.code == .malformed)
    }

    @Test("malformed input reports a line, and the caller-facing text never carries libxml2's message")
    func malformed() {
        let error = #expect(throws: XMLError.self) { try XMLDocument.parse("<a>\n<b></a>") }
        #expect(error?.code == .malformed)
        #expect(error?.line == 2)
        #expect(error?.detail?.isEmpty == false)
        #expect(error?.description == "document is not well-formed XML (line 2)")
    }

    @Test("seeded mutations of an envelope never crash the parser")
    func mutations() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        let original = Array(envelope.utf8)
        let fragments = Array("<>&;\"'/!?[]-=:DOCTYPE ENTITY CDATA xmlns \u{0} \u{FFFF}".utf8)
        var parsed = 0
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<Int(generator.next() % 8 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = fragments[Int(generator.next() % UInt64(fragments.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
            }
            if (try? XMLDocument.parse(bytes)) != nil { parsed += 1 }
        }
        #expect(parsed < 3_000, "mutations must produce some refusals")
    }
}

/// A small deterministic generator for reproducible mutation runs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
