import Foundation

/// Reduces both sides' results to canonical fields and diffs them with a flow's rules (DESIGN.md's `compare`).
///
/// For each field: the legacy value is read from the legacy result, passed through the field's `map`, and both
/// values are normalised by the field's type (`12.50` and `12.5` are the same decimal, `11/25/2026` and
/// `2026-11-25` the same date); decimals within `tolerance` agree. A field present on one side only differs. A
/// field named in `ignore` (by name or by its new-side path) is skipped. With no fields listed and two JSON
/// results, the whole documents are compared member by member, skipping the `ignore` pointers.
public enum FieldComparator {
    public struct Outcome: Sendable, Hashable {
        public var verdict: Verdict
        public var diff: [FieldDiff]

        public init(verdict: Verdict, diff: [FieldDiff]) {
            self.verdict = verdict
            self.diff = diff
        }
    }

    public static func compare(_ spec: CompareSpec, legacy: any MappingSource, new: any MappingSource) -> Outcome {
        guard !spec.fields.isEmpty else {
            guard let legacy = legacy as? JSONMappingSource, let new = new as? JSONMappingSource else {
                return Outcome(verdict: .notCompared, diff: [])
            }
            var diff: [FieldDiff] = []
            documentDiff(legacy.value, new.value, path: "", ignore: Set(spec.ignore), into: &diff)
            return Outcome(verdict: diff.isEmpty ? .match : .mismatch, diff: diff)
        }
        let ignored = Set(spec.ignore)
        var diff: [FieldDiff] = []
        for field in spec.fields where !ignored.contains(field.name) && !ignored.contains(field.new) {
            if let difference = compare(field, legacy: legacy, new: new) { diff.append(difference) }
        }
        return Outcome(verdict: diff.isEmpty ? .match : .mismatch, diff: diff)
    }

    /// The difference in one field, or nil when both sides agree.
    public static func compare(_ field: CompareField, legacy: any MappingSource, new: any MappingSource)
        -> FieldDiff?
    {
        let legacyRaw = ((try? legacy.values(at: field.legacy)) ?? []).first.map { field.map[$0] ?? $0 }
        let newRaw = ((try? new.values(at: field.new)) ?? []).first
        switch (legacyRaw, newRaw) {
        case (nil, nil):
            return nil
        case (let legacyValue?, nil):
            return FieldDiff(path: field.name, legacy: legacyValue, new: nil, rule: "missing on new")
        case (nil, let newValue?):
            return FieldDiff(path: field.name, legacy: nil, new: newValue, rule: "missing on legacy")
        case (let legacyValue?, let newValue?):
            return compare(field, legacyValue, newValue)
        }
    }

    static func compare(_ field: CompareField, _ legacyValue: String, _ newValue: String) -> FieldDiff? {
        let rule = rule(for: field)
        guard let left = try? ValueNormalizer.normalize(legacyValue, as: field.type),
            let right = try? ValueNormalizer.normalize(newValue, as: field.type)
        else {
            return legacyValue == newValue
                ? nil : FieldDiff(path: field.name, legacy: legacyValue, new: newValue, rule: "\(rule), not comparable")
        }
        if field.type == .decimal, let tolerance = field.tolerance,
            let a = Decimal(string: left.scalarText ?? ""), let b = Decimal(string: right.scalarText ?? "")
        {
            let gap = a > b ? a - b : b - a
            let allowed = Decimal(string: String(tolerance)) ?? Decimal(tolerance)
            return gap <= allowed ? nil : FieldDiff(path: field.name, legacy: legacyValue, new: newValue, rule: rule)
        }
        return left == right ? nil : FieldDiff(path: field.name, legacy: legacyValue, new: newValue, rule: rule)
    }

    static func rule(for field: CompareField) -> String {
        var rule = field.type.rawValue
        if let tolerance = field.tolerance { rule += " tolerance \(tolerance)" }
        if !field.map.isEmpty { rule += " mapped" }
        return rule
    }

    static func documentDiff(
        _ a: JSONValue, _ b: JSONValue, path: String, ignore: Set<String>, into diff: inout [FieldDiff]
    ) {
        guard !ignore.contains(path) else { return }
        switch (a, b) {
        case (.object(let left), .object(let right)):
            var names: [String] = left.map(\.0)
            for (name, _) in right where !names.contains(name) { names.append(name) }
            for name in names {
                let child =
                    path + "/"
                    + name.replacingOccurrences(of: "~", with: "~0")
                    .replacingOccurrences(of: "/", with: "~1")
                documentDiff(
                    left.first { $0.0 == name }?.1 ?? .null, right.first { $0.0 == name }?.1 ?? .null, path: child,
                    ignore: ignore, into: &diff)
            }
        case (.array(let left), .array(let right)):
            for index in 0..<max(left.count, right.count) {
                documentDiff(
                    index < left.count ? left[index] : .null, index < right.count ? right[index] : .null,
                    path: path + "/\(index)", ignore: ignore, into: &diff)
            }
        case (.number(let left), .number(let right)):
            if ValueNormalizer.canonicalDecimal(left) != ValueNormalizer.canonicalDecimal(right) {
                diff.append(FieldDiff(path: path, legacy: left, new: right, rule: "decimal"))
            }
        default:
            if a != b { diff.append(FieldDiff(path: path, legacy: a.scalarText, new: b.scalarText, rule: "exact")) }
        }
    }
}
