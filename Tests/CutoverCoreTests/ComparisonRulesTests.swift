import CutoverCore
import Testing

/// Normalisation rules one by one, groups matched by key and as multisets, and the cases that must NOT match.
@Suite("Comparison rules")
struct ComparisonRulesTests {
    func differs(_ field: CompareField, _ legacy: String, _ new: String, units: [String: UnitConversion] = [:])
        -> Bool
    {
        FieldComparator.compare(
            field, legacy: RowSource([field.legacy: legacy]), new: RowSource([field.new: new]), units: units) != nil
    }

    @Test(
        "decimals are scale-insensitive; within absolute or relative tolerance they agree",
        arguments: [
            ("12.50", "12.5", nil, nil, false), ("0012.500", "12.5", nil, nil, false), ("10", "11", nil, nil, true),
            ("100.00", "100.01", 0.01, nil, false), ("100.00", "100.02", 0.01, nil, true),
            ("1000", "1000.9", nil, 0.001, false), ("1000", "1002", nil, 0.001, true),
        ] as [(String, String, Double?, Double?, Bool)])
    func decimals(_ legacy: String, _ new: String, _ absolute: Double?, _ relative: Double?, _ expectDiff: Bool) {
        let field = CompareField(
            name: "q", legacy: "a", new: "b", type: .decimal, tolerance: absolute, relativeTolerance: relative)
        #expect(differs(field, legacy, new) == expectDiff)
    }

    @Test("a quantity off by one does not match")
    func quantityOffByOne() {
        #expect(differs(CompareField(name: "qty", legacy: "a", new: "b", type: .decimal), "10", "11"))
        #expect(differs(CompareField(name: "qty", legacy: "a", new: "b", type: .integer), "10", "9"))
    }

    @Test(
        "dates and datetimes agree across formats and time zones",
        arguments: [
            (ValueType.date, "11/25/2026", "2026-11-25", false), (.date, "20261125", "2026-11-25", false),
            (.date, "2026-11-25", "2026-11-26", true),
            (.datetime, "2026-11-25T10:00:00+01:00", "2026-11-25T09:00:00Z", false),
            (.datetime, "2026-11-25 09:00:00", "2026-11-25T09:00:00.000Z", false),
            (.datetime, "2026-11-25T10:00:00+01:00", "2026-11-25T10:00:00Z", true),
        ])
    func dates(_ type: ValueType, _ legacy: String, _ new: String, _ expectDiff: Bool) {
        #expect(differs(CompareField(name: "d", legacy: "a", new: "b", type: type), legacy, new) == expectDiff)
    }

    @Test("strings are trimmed and Unicode-normalised; case only when asked")
    func strings() {
        let plain = CompareField(name: "s", legacy: "a", new: "b")
        #expect(!differs(plain, "  Gauze 4x4 ", "Gauze 4x4"))
        #expect(!differs(plain, "Cafe\u{301}", "Caf\u{E9}"))
        #expect(differs(plain, "gauze", "GAUZE"))
        #expect(!differs(CompareField(name: "s", legacy: "a", new: "b", ignoreCase: true), "gauze", "GAUZE"))
        #expect(differs(CompareField(name: "s", legacy: "a", new: "b", trim: false), " x", "x"))
    }

    @Test("an NDC with the wrong zero padding does not match")
    func ndcPadding() {
        #expect(differs(CompareField(name: "ndc", legacy: "a", new: "b"), "00071015523", "0071015523"))
    }

    @Test("booleans agree across Y/N, 1/0 and true/false")
    func booleans() {
        let field = CompareField(name: "b", legacy: "a", new: "b", type: .boolean)
        #expect(!differs(field, "Y", "true"))
        #expect(!differs(field, "0", "false"))
        #expect(differs(field, "N", "true"))
    }

    @Test("value maps apply to the legacy value before comparing")
    func maps() {
        let field = CompareField(name: "status", legacy: "a", new: "b", map: ["OPEN": "Open"])
        #expect(!differs(field, "OPEN", "Open"))
        #expect(differs(field, "CLOSED", "Open"))
    }

    @Test("quantities convert through the unit table: 4 BX of 10 equal 40 EA, 4 BX do not equal 4 EA")
    func unitsOfMeasure() {
        let units = ["BX": UnitConversion(base: "EA", factor: "10"), "BOX": UnitConversion(base: "EA", factor: "10")]
        let field = CompareField(
            name: "qty", legacy: "q", new: "n", type: .decimal, unit: UnitSources(legacy: "u", new: "m"))
        func check(_ legacy: (String, String), _ new: (String, String)) -> FieldDiff? {
            FieldComparator.compare(
                field, legacy: RowSource(["q": legacy.0, "u": legacy.1]), new: RowSource(["n": new.0, "m": new.1]),
                units: units)
        }
        #expect(check(("4", "BX"), ("40", "EA")) == nil)
        #expect(check(("4", "BX"), ("4", "BOX")) == nil)
        #expect(check(("4", "BX"), ("4", "EA"))?.rule == "decimal in EA")
        #expect(check(("4", "BX"), ("4", "CS"))?.rule == "quantity, units differ")
    }

    static let lines = CompareGroup(
        name: "lines", legacy: "/legacyLines", new: "/lines", key: UnitSources(legacy: "/item", new: "/itemId"),
        fields: [CompareField(name: "qty", legacy: "/qty", new: "/quantity", type: .decimal)])

    func document(_ text: String) throws -> JSONMappingSource { JSONMappingSource(try JSONValue.parse(text)) }

    @Test("keyed groups match lines by key, whatever their order")
    func keyedGroupOrder() throws {
        let legacy = try document(#"{"legacyLines":[{"item":"A","qty":"1"},{"item":"B","qty":"2"}]}"#)
        let new = try document(#"{"lines":[{"itemId":"B","quantity":2},{"itemId":"A","quantity":1.0}]}"#)
        #expect(FieldComparator.compare(CompareSpec(groups: [Self.lines]), legacy: legacy, new: new).verdict == .match)
    }

    @Test("a line swapped for another item does not match, and both items are named")
    func keyedGroupSwap() throws {
        let legacy = try document(#"{"legacyLines":[{"item":"A","qty":"1"},{"item":"B","qty":"2"}]}"#)
        let new = try document(#"{"lines":[{"itemId":"A","quantity":1},{"itemId":"C","quantity":2}]}"#)
        let outcome = FieldComparator.compare(CompareSpec(groups: [Self.lines]), legacy: legacy, new: new)
        #expect(outcome.verdict == .mismatch)
        #expect(outcome.diff.map(\.path) == ["lines[B]", "lines[C]"])
        #expect(outcome.diff.map(\.rule) == ["missing on new", "missing on legacy"])
    }

    @Test("a keyed line with another quantity is named with its key")
    func keyedGroupQuantity() throws {
        let legacy = try document(#"{"legacyLines":[{"item":"A","qty":"10"}]}"#)
        let new = try document(#"{"lines":[{"itemId":"A","quantity":11}]}"#)
        let outcome = FieldComparator.compare(CompareSpec(groups: [Self.lines]), legacy: legacy, new: new)
        #expect(outcome.diff == [FieldDiff(path: "lines[A].qty", legacy: "10", new: "11", rule: "decimal")])
    }

    @Test("without a key, groups match as multisets: order is free, counts are not")
    func multisetGroups() throws {
        var group = Self.lines
        group.key = nil
        group.fields.append(CompareField(name: "item", legacy: "/item", new: "/itemId"))
        let spec = CompareSpec(groups: [group])
        let legacy = try document(
            #"{"legacyLines":[{"item":"A","qty":"1"},{"item":"A","qty":"1"},{"item":"B","qty":"2"}]}"#)
        let reordered = try document(
            #"{"lines":[{"itemId":"B","quantity":2},{"itemId":"A","quantity":1},{"itemId":"A","quantity":1}]}"#)
        #expect(FieldComparator.compare(spec, legacy: legacy, new: reordered).verdict == .match)
        let oneShort = try document(#"{"lines":[{"itemId":"B","quantity":2},{"itemId":"A","quantity":1}]}"#)
        let outcome = FieldComparator.compare(spec, legacy: legacy, new: oneShort)
        #expect(outcome.verdict == .mismatch)
        #expect(outcome.diff.count == 1)
        #expect(outcome.diff.first?.rule == "unmatched element")
    }

    @Test("ignored fields and groups are skipped")
    func ignored() throws {
        let legacy = try document(#"{"legacyLines":[{"item":"A","qty":"1"}]}"#)
        let new = try document(#"{"lines":[{"itemId":"Z","quantity":9}]}"#)
        #expect(
            FieldComparator.compare(CompareSpec(groups: [Self.lines], ignore: ["lines"]), legacy: legacy, new: new)
                .verdict == .match)
    }
}
