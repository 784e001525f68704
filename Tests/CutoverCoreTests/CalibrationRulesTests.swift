import CutoverCore
import Testing

@Suite("Noise calibration rules")
struct CalibrationRulesTests {
    let spec = CompareSpec(
        fields: [
            CompareField(name: "status", legacy: "/status", new: "/state", map: ["OPEN": "Open"]),
            CompareField(
                name: "qty", legacy: "/qty", new: "/quantity", type: .decimal,
                unit: UnitSources(legacy: "/uom", new: "/unitOfMeasureCode")),
        ],
        groups: [
            CompareGroup(
                name: "lines", legacy: "/lines", new: "/purchaseOrderLines",
                key: UnitSources(legacy: "/item", new: "/itemId"),
                fields: [CompareField(name: "qty", legacy: "/qty", new: "/quantity", type: .decimal)])
        ], ignore: ["status"], units: ["BX": UnitConversion(base: "EA", factor: "10")])

    func json(_ text: String) throws -> JSONMappingSource {
        JSONMappingSource(try JSONValue.parse(text))
    }

    @Test("the mirror reads legacy paths on both sides, drops value maps and ignores nothing")
    func mirror() throws {
        let mirror = spec.legacyMirror
        #expect(mirror.fields.map(\.new) == ["/status", "/qty"])
        #expect(mirror.fields.allSatisfy { $0.map.isEmpty })
        #expect(mirror.fields[1].unit == UnitSources(legacy: "/uom", new: "/uom"))
        #expect(mirror.groups[0].new == "/lines" && mirror.groups[0].key == UnitSources(legacy: "/item", new: "/item"))
        #expect(mirror.ignore.isEmpty)
        let one = try json(#"{"status": "OPEN", "qty": "1", "uom": "BX", "lines": [{"item": "A", "qty": 2}]}"#)
        let same = try json(#"{"status": "OPEN", "qty": "10", "uom": "EA", "lines": [{"item": "A", "qty": 2.0}]}"#)
        #expect(FieldComparator.compare(mirror, legacy: one, new: same).verdict == .match, "rules still apply")
        let noisy = try json(#"{"status": "HELD", "qty": "1", "uom": "BX", "lines": [{"item": "A", "qty": 3}]}"#)
        let outcome = FieldComparator.compare(mirror, legacy: one, new: noisy)
        #expect(outcome.diff.map(\.path) == ["status", "lines[A].qty"], "an ignored field is still calibrated")
    }

    @Test("each difference maps to the ignore entry that silences it, and that entry does")
    func ignoreEntries() throws {
        #expect(CompareSpec.ignoreEntry(forDiffPath: "total") == "total")
        #expect(CompareSpec.ignoreEntry(forDiffPath: "lines[GLV-NITRILE-M].qty") == "lines.qty")
        #expect(CompareSpec.ignoreEntry(forDiffPath: "lines[SYR-10ML]") == "lines")
        var quiet = spec
        quiet.ignore = ["lines.qty"]
        let legacy = try json(#"{"lines": [{"item": "A", "qty": 2}], "qty": "1", "uom": "EA"}"#)
        let new = try json(
            #"{"purchaseOrderLines": [{"itemId": "A", "quantity": 3}], "quantity": "2", "unitOfMeasureCode": "EA"}"#)
        #expect(
            FieldComparator.compare(quiet, legacy: legacy, new: new).diff.map(\.path) == ["qty"],
            "the group's qty is silenced, the top-level qty is not")
    }
}
