import CutoverCore
import Testing

@Suite("JSON values and pointers")
struct JSONValueTests {
    let reply = """
        {"number":"PO-1001","status":"Open","totalAmountIncludingTax":1250.50,"lines":[{"itemId":"00071015523","quantity":2},
        {"itemId":"00093715301","quantity":10}],"a/b":{"~c":true},"note":null}
        """

    @Test("pointers reach members, array items and escaped names")
    func pointers() throws {
        let json = try JSONValue.parse(reply)
        #expect(json.value(at: "/number") == .string("PO-1001"))
        #expect(json.value(at: "/totalAmountIncludingTax") == .number("1250.50"))
        #expect(json.value(at: "/lines/1/quantity") == .number("10"))
        #expect(json.value(at: "/a~1b/~0c") == .bool(true))
        #expect(json.value(at: "/note") == .null)
        #expect(json.value(at: "/missing") == nil)
        #expect(json.value(at: "/lines/2") == nil)
        #expect(json.value(at: "number") == nil, "a pointer starts with '/'")
    }

    @Test(
        "invalid JSON is an error",
        arguments: ["{\"a\":", "[1,]", "01", "{'a':1}", "\"tab\there\"", "1 2", "-", "1.", "nul"])
    func invalid(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test("parsing keeps member order and each number's exact text")
    func exactNumbersAndOrder() throws {
        let json = try JSONValue.parse(#"{"z":86.00,"a":12345678901234567.89,"e":1.5E+3,"s":"\u00e9\ud83d\ude00\n"}"#)
        #expect(json.text == #"{"z":86.00,"a":12345678901234567.89,"e":1.5E+3,"s":"é😀\n"}"#)
    }

    @Test("nesting deeper than 512 levels is refused")
    func depthLimit() {
        #expect(throws: JSONValue.ParseError.self) {
            try JSONValue.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))
        }
        #expect((try? JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))) != nil)
    }

    @Test("a JSON reply is a mapping source: pointers for values, arrays for repeating groups")
    func mappingSource() throws {
        let source = JSONMappingSource(try JSONValue.parse(reply))
        #expect(try source.values(at: "/status") == ["Open"])
        #expect(try source.values(at: "/note").isEmpty)
        let lines = try source.scopes(at: "/lines")
        #expect(try lines.map { try $0.values(at: "/itemId") } == [["00071015523"], ["00093715301"]])
        let spec = BodySpec.each(path: "/lines", element: .field(FieldSpec(source: .path("/quantity"), type: .decimal)))
        #expect(try BodyMapper.build(spec, from: source).text == "[2,10]")
    }
}
