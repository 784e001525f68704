import CutoverCore
import Testing

@Suite("Field comparison")
struct FieldComparatorTests {
    let spec = CompareSpec(
        fields: [
            CompareField(name: "order_number", legacy: "OrderNumber", new: "/number"),
            CompareField(name: "total", legacy: "Total", new: "/total", type: .decimal, tolerance: 0.01),
            CompareField(name: "status", legacy: "Status", new: "/status", map: ["OPEN": "Open"]),
            CompareField(name: "ordered_on", legacy: "OrderDate", new: "/orderDate", type: .date),
        ],
        ignore: ["/lastModifiedDateTime"])

    func legacy(total: String = "85.00", status: String = "OPEN", date: String = "11/25/2026") -> RowSource {
        RowSource(["OrderNumber": "REQ-1", "Total": total, "Status": status, "OrderDate": date])
    }

    func new(total: String = "85", status: String = "Open", number: String = "REQ-1") throws -> JSONMappingSource {
        JSONMappingSource(
            try JSONValue.parse(
                #"{"number":"\#(number)","total":\#(total),"status":"\#(status)","orderDate":"2026-11-25"}"#))
    }

    @Test("values equal after types, maps and scale are a match")
    func match() throws {
        let outcome = FieldComparator.compare(spec, legacy: legacy(), new: try new())
        #expect(outcome.verdict == .match)
        #expect(outcome.diff.isEmpty)
    }

    @Test("a decimal within tolerance matches; beyond it, the field is named with its rule")
    func tolerance() throws {
        #expect(
            FieldComparator.compare(spec, legacy: legacy(total: "85.00"), new: try new(total: "85.01")).verdict
                == .match)
        let outcome = FieldComparator.compare(spec, legacy: legacy(total: "85.00"), new: try new(total: "86.00"))
        #expect(outcome.verdict == .mismatch)
        #expect(
            outcome.diff == [FieldDiff(path: "total", legacy: "85.00", new: "86.00", rule: "decimal tolerance 0.01")])
    }

    @Test("a mapped value that differs is a mismatch")
    func mapped() throws {
        let outcome = FieldComparator.compare(spec, legacy: legacy(status: "OPEN"), new: try new(status: "Draft"))
        #expect(outcome.diff.map(\.path) == ["status"])
        #expect(outcome.diff.first?.rule == "string mapped")
    }

    @Test("a field missing on one side differs; ignored fields are skipped")
    func missingAndIgnored() throws {
        let withoutNumber = JSONMappingSource(
            try JSONValue.parse(#"{"total":85,"status":"Open","orderDate":"2026-11-25"}"#))
        #expect(
            FieldComparator.compare(spec, legacy: legacy(), new: withoutNumber).diff.first?.rule == "missing on new")
        var ignoring = spec
        ignoring.ignore.append("order_number")
        #expect(FieldComparator.compare(ignoring, legacy: legacy(), new: withoutNumber).verdict == .match)
    }

    @Test("without fields, two JSON documents are compared member by member, skipping ignored pointers")
    func wholeDocuments() throws {
        let a = JSONMappingSource(try JSONValue.parse(#"{"a":1.50,"b":[1,2],"lastModifiedDateTime":"x"}"#))
        let b = JSONMappingSource(try JSONValue.parse(#"{"a":1.5,"b":[1,3],"lastModifiedDateTime":"y"}"#))
        let outcome = FieldComparator.compare(CompareSpec(ignore: ["/lastModifiedDateTime"]), legacy: a, new: b)
        #expect(outcome.verdict == .mismatch)
        #expect(outcome.diff.map(\.path) == ["/b/1"])
        #expect(FieldComparator.compare(CompareSpec(), legacy: legacy(), new: a).verdict == .notCompared)
    }
}

@Suite("Redaction, trace context and keys")
struct RedactionAndKeysTests {
    let redactor = Redactor(key: Array(repeating: 1, count: 32))

    @Test("the same value gives the same token under one key, another under another key")
    func tokens() {
        let token = redactor.token(for: "MRN-0042")
        #expect(token.hasPrefix("redacted:") && token.count == "redacted:".count + 24)
        #expect(redactor.token(for: "MRN-0042") == token)
        #expect(Redactor(key: Array(repeating: 2, count: 32)).token(for: "MRN-0042") != token)
        #expect(!token.contains("0042"))
    }

    @Test("JSON scalars and free text lose every secret")
    func scrubbing() throws {
        let json = try JSONValue.parse(#"{"mrn":"MRN-0042","n":42,"keep":"SUP-1"}"#)
        let redacted = redactor.redact(json, secrets: ["MRN-0042", "42"])
        #expect(!redacted.text.contains("MRN-0042"))
        #expect(redacted.value(at: "/keep") == .string("SUP-1"))
        #expect(redacted.value(at: "/n") == .string(redactor.token(for: "42")))
        #expect(!redactor.scrubText("patient MRN-0042 refused", secrets: ["MRN-0042"]).contains("MRN-0042"))
    }

    @Test("traceparent is read strictly, and a child keeps the trace with a new span")
    func traceContext() throws {
        let parent = try #require(TraceContext(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let child = parent.child()
        #expect(child.traceID == parent.traceID && child.parentID != parent.parentID)
        #expect(TraceContext(header: child.header) == child)
        for bad in [
            "", "00-0000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            #expect(TraceContext(header: bad) == nil, "\(bad)")
        }
        #expect(TraceContext.random().traceID.count == 32)
    }

    @Test("keys come from a path or a template, and are nil rather than half-made")
    func keys() {
        let row = RowSource(["id": "17", "vendor": "SUP-1"])
        #expect(KeySpec.path("id").render(from: row) == "17")
        #expect(KeySpec.template("invoice-{id}").render(from: row) == "invoice-17")
        #expect(
            KeySpec.template("{file_sha256}:{record_number}").render(
                from: row, builtins: ["file_sha256": "ab", "record_number": "3"]) == "ab:3")
        #expect(KeySpec.template("x-{missing}").render(from: row) == nil)
        #expect(KeySpec.path("missing").render(from: row) == nil)
    }
}
