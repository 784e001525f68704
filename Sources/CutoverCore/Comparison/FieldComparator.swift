import Foundation

/// Reduces both sides' results to canonical fields and diffs them with a flow's rules (DESIGN.md's `compare`).
///
/// For each field: the legacy value is read from the legacy result and passed through the field's `map`, then both
/// values are normalised by type — decimals scale-insensitive (`12.50` = `12.5`) within an absolute or relative
/// tolerance, dates and datetimes across formats and time zones, strings trimmed, Unicode-normalised (NFC) and
/// optionally case-folded, booleans from Y/N, 1/0, true/false. A quantity with a `unit` is converted to its base
/// unit through the spec's `units` table first (4 BX = 40 EA). A field present on one side only differs.
///
/// Repeating groups are matched by their key, or as a multiset of their elements' canonical fields — never by
/// position. A field named in `ignore` (by name or new-side path) is skipped. With no fields or groups and two
/// JSON results, the whole documents are compared member by member, skipping the `ignore` pointers.
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
        guard !spec.fields.isEmpty || !spec.groups.isEmpty else {
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
            if let difference = compare(field, legacy: legacy, new: new, units: spec.units) {
                diff.append(difference)
            }
        }
        for group in spec.groups where !ignored.contains(group.name) {
            diff += compare(group, legacy: legacy, new: new, spec: spec)
        }
        return Outcome(verdict: diff.isEmpty ? .match : .mismatch, diff: diff)
    }

    /// The difference in one field, or nil when both sides agree. `prefix` names the group element, if any.
    public static func compare(
        _ field: CompareField, legacy: any MappingSource, new: any MappingSource,
        units: [String: UnitConversion] = [:], prefix: String = ""
    ) -> FieldDiff? {
        let path = prefix + field.name
        let legacyRaw = first(legacy, field.legacy).map { field.map[$0] ?? $0 }
        let newRaw = first(new, field.new)
        switch (legacyRaw, newRaw) {
        case (nil, nil):
            return nil
        case (let legacyValue?, nil):
            return FieldDiff(path: path, legacy: legacyValue, new: nil, rule: "missing on new")
        case (nil, let newValue?):
            return FieldDiff(path: path, legacy: nil, new: newValue, rule: "missing on legacy")
        case (let legacyValue?, let newValue?):
            if let unit = field.unit {
                return compareQuantities(
                    field, path: path, legacy: (legacyValue, first(legacy, unit.legacy)),
                    new: (newValue, first(new, unit.new)), units: units)
            }
            return compare(field, path: path, legacyValue, newValue)
        }
    }

    static func first(_ source: any MappingSource, _ path: String) -> String? {
        ((try? source.values(at: path)) ?? []).first
    }

    public static func compare(_ field: CompareField, path: String, _ legacyValue: String, _ newValue: String)
        -> FieldDiff?
    {
        let rule = rule(for: field)
        guard let left = canonical(legacyValue, field), let right = canonical(newValue, field) else {
            return legacyValue == newValue
                ? nil : FieldDiff(path: path, legacy: legacyValue, new: newValue, rule: "\(rule), not comparable")
        }
        if field.type == .decimal || field.type == .integer,
            let a = Decimal(string: left), let b = Decimal(string: right)
        {
            return withinTolerance(a, b, field)
                ? nil : FieldDiff(path: path, legacy: legacyValue, new: newValue, rule: rule)
        }
        return left == right ? nil : FieldDiff(path: path, legacy: legacyValue, new: newValue, rule: rule)
    }

    /// The canonical text of a value for `field`'s type and string rules; nil when it is not a valid value.
    static func canonical(_ raw: String, _ field: CompareField) -> String? {
        if field.type == .string {
            var text = raw.precomposedStringWithCanonicalMapping
            if field.trim { text = text.trimmingWhitespace() }
            if field.ignoreCase { text = text.lowercased() }
            return text
        }
        return (try? ValueNormalizer.normalize(raw, as: field.type))?.scalarText
    }

    static func withinTolerance(_ a: Decimal, _ b: Decimal, _ field: CompareField) -> Bool {
        let gap = a > b ? a - b : b - a
        if gap == 0 { return true }
        if let tolerance = field.tolerance, gap <= decimal(tolerance) { return true }
        if let relative = field.relativeTolerance {
            let magnitude = max(a < 0 ? -a : a, b < 0 ? -b : b)
            if gap <= decimal(relative) * magnitude { return true }
        }
        return false
    }

    static func decimal(_ value: Double) -> Decimal { Decimal(string: String(value)) ?? Decimal(value) }

    /// Both quantities in their base unit, then compared as decimals.
    static func compareQuantities(
        _ field: CompareField, path: String, legacy: (String, String?), new: (String, String?),
        units: [String: UnitConversion]
    ) -> FieldDiff? {
        func base(_ quantity: String, _ unit: String?) -> (Decimal, String)? {
            guard let text = ValueNormalizer.canonicalDecimal(quantity.trimmingWhitespace()),
                let value = Decimal(string: text)
            else { return nil }
            let unit = (unit ?? "").trimmingWhitespace()
            guard let conversion = units[unit], let factor = Decimal(string: conversion.factor) else {
                return (value, unit)
            }
            return (value * factor, conversion.base)
        }
        let shown = { (value: (String, String?)) in value.0 + (value.1.map { " " + $0 } ?? "") }
        guard let left = base(legacy.0, legacy.1), let right = base(new.0, new.1) else {
            return FieldDiff(path: path, legacy: shown(legacy), new: shown(new), rule: "quantity, not comparable")
        }
        let rule = rule(for: field) + " in \(left.1.isEmpty ? "units" : left.1)"
        guard left.1 == right.1 else {
            return FieldDiff(path: path, legacy: shown(legacy), new: shown(new), rule: "quantity, units differ")
        }
        return withinTolerance(left.0, right.0, field)
            ? nil : FieldDiff(path: path, legacy: shown(legacy), new: shown(new), rule: rule)
    }

    static func rule(for field: CompareField) -> String {
        var rule = field.type.rawValue
        if let tolerance = field.tolerance { rule += " tolerance \(tolerance)" }
        if let relative = field.relativeTolerance { rule += " relative tolerance \(relative)" }
        if field.ignoreCase { rule += " ignoring case" }
        if !field.map.isEmpty { rule += " mapped" }
        return rule
    }

    // MARK: Repeating groups

    static func compare(_ group: CompareGroup, legacy: any MappingSource, new: any MappingSource, spec: CompareSpec)
        -> [FieldDiff]
    {
        let legacyElements = (try? legacy.scopes(at: group.legacy)) ?? []
        let newElements = (try? new.scopes(at: group.new)) ?? []
        let ignored = Set(spec.ignore)
        let fields = group.fields.filter {
            !ignored.contains($0.name) && !ignored.contains($0.new) && !ignored.contains("\(group.name).\($0.name)")
        }
        guard let key = group.key else {
            return multisetDiff(group, fields, legacyElements, newElements)
        }
        func keyed(_ elements: [any MappingSource], _ path: String) -> ([String], [String: any MappingSource]) {
            var order: [String] = []
            var byKey: [String: any MappingSource] = [:]
            for (index, element) in elements.enumerated() {
                let value = first(element, path)?.trimmingWhitespace() ?? "#\(index + 1)"
                if byKey[value] == nil { order.append(value) }
                byKey[value] = element
            }
            return (order, byKey)
        }
        let (legacyOrder, legacyByKey) = keyed(legacyElements, key.legacy)
        let (newOrder, newByKey) = keyed(newElements, key.new)
        var diff: [FieldDiff] = []
        for value in legacyOrder {
            let prefix = "\(group.name)[\(value)]."
            guard let newElement = newByKey[value] else {
                diff.append(FieldDiff(path: "\(group.name)[\(value)]", legacy: value, new: nil, rule: "missing on new"))
                continue
            }
            for field in fields {
                if let difference = compare(
                    field, legacy: legacyByKey[value]!, new: newElement, units: spec.units, prefix: prefix)
                {
                    diff.append(difference)
                }
            }
        }
        for value in newOrder where legacyByKey[value] == nil {
            diff.append(FieldDiff(path: "\(group.name)[\(value)]", legacy: nil, new: value, rule: "missing on legacy"))
        }
        return diff
    }

    /// Elements as a multiset of their canonical fields: what one side has more of than the other differs.
    static func multisetDiff(
        _ group: CompareGroup, _ fields: [CompareField], _ legacyElements: [any MappingSource],
        _ newElements: [any MappingSource]
    ) -> [FieldDiff] {
        func signature(_ element: any MappingSource, legacySide: Bool) -> String {
            fields.map { field in
                let raw = first(element, legacySide ? field.legacy : field.new).map {
                    legacySide ? (field.map[$0] ?? $0) : $0
                }
                return "\(field.name)=" + (raw.map { canonical($0, field) ?? $0 } ?? "∅")
            }.joined(separator: ", ")
        }
        var counts: [String: Int] = [:]
        var order: [String] = []
        for element in legacyElements {
            let key = signature(element, legacySide: true)
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        for element in newElements {
            let key = signature(element, legacySide: false)
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] -= 1
        }
        var diff: [FieldDiff] = []
        for key in order {
            let count = counts[key] ?? 0
            if count > 0 {
                for _ in 0..<count {
                    diff.append(FieldDiff(path: "\(group.name)[*]", legacy: key, new: nil, rule: "unmatched element"))
                }
            } else if count < 0 {
                for _ in 0..<(-count) {
                    diff.append(FieldDiff(path: "\(group.name)[*]", legacy: nil, new: key, rule: "unmatched element"))
                }
            }
        }
        return diff
    }

    // MARK: Whole documents

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
                    + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
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
