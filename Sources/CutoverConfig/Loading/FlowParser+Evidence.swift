import CutoverCore
import Yams

enum CompareParsing {
    static let keys = ["reverse_shadow", "fields", "groups", "ignore", "units", "calibrate", "shadow_sample"]
    static let fieldKeys = [
        "legacy", "new", "type", "tolerance", "relative_tolerance", "map", "trim", "ignore_case", "unit",
    ]
    static let groupKeys = ["legacy", "new", "key", "fields"]
}

enum ReconcileParsing {
    static let keys = ["key", "legacy", "new", "fields"]
}

extension FlowParser {
    func parseCompare(_ reader: MappingReader) -> CompareSpec {
        var groups: [CompareGroup] = []
        if let groupsReader = reader.mapping("groups", allowed: nil) {
            for name in groupsReader.keys {
                guard let spec = groupsReader.mapping(name, allowed: CompareParsing.groupKeys) else { continue }
                let legacy = spec.string("legacy", required: true)
                let new = spec.string("new", required: true)
                let key = spec.mapping("key", allowed: ["legacy", "new"]).flatMap(parseSidePair)
                let fields = spec.mapping("fields", allowed: nil, required: true).map(parseCompareFields) ?? []
                if let legacy, let new {
                    groups.append(CompareGroup(name: name, legacy: legacy, new: new, key: key, fields: fields))
                }
            }
        }
        var units: [String: UnitConversion] = [:]
        if let unitsReader = reader.mapping("units", allowed: nil) {
            for unit in unitsReader.keys {
                let conversion = unitsReader.stringMap(unit)
                guard conversion.count == 1, let (base, factor) = conversion.first,
                    let value = Double(factor), value > 0
                else {
                    sink.error(
                        "compare.units.\(unit) must name one base unit and how many of it one \(unit) holds",
                        at: unitsReader.node(unit)?.mark, hint: "e.g. BX: { EA: 10 }")
                    continue
                }
                units[unit] = UnitConversion(base: base, factor: factor)
            }
        }
        let fields = reader.mapping("fields", allowed: nil).map(parseCompareFields) ?? []
        var calibrate: CalibrationSpec?
        if let spec = reader.mapping("calibrate", allowed: ["operations", "sample"]) {
            let operations = spec.stringList("operations")
            if operations.isEmpty {
                sink.error(
                    "compare.calibrate needs the read-only operations that may be sent to legacy twice",
                    at: spec.mark, hint: "e.g. operations: [GetPurchaseOrder]")
            }
            if fields.isEmpty, groups.isEmpty {
                sink.error(
                    "compare.calibrate needs compare.fields or compare.groups: they name what is compared",
                    at: spec.mark)
            }
            calibrate = CalibrationSpec(operations: operations, sample: spec.double("sample", range: 0...1) ?? 0.1)
        }
        var spec = CompareSpec(
            reverseShadow: reader.bool("reverse_shadow") ?? false, fields: fields, groups: groups,
            ignore: reader.stringList("ignore"), units: units, calibrate: calibrate)
        spec.shadowSample = reader.double("shadow_sample", range: 0...1) ?? 1
        return spec
    }

    /// `name: { legacy, new, type, tolerance, relative_tolerance, map, trim, ignore_case, unit }` entries.
    func parseCompareFields(_ fieldsReader: MappingReader) -> [CompareField] {
        var fields: [CompareField] = []
        for name in fieldsReader.keys {
            guard let spec = fieldsReader.mapping(name, allowed: CompareParsing.fieldKeys) else { continue }
            let legacy = spec.string("legacy", required: true)
            let new = spec.string("new", required: true)
            let type = spec.choice("type", ValueType.self) ?? .string
            let tolerance = spec.double("tolerance", range: 0...Double.greatestFiniteMagnitude)
            let relative = spec.double("relative_tolerance", range: 0...1)
            if tolerance != nil || relative != nil, type != .decimal, type != .integer {
                sink.error(
                    "\(spec.context).tolerance applies to numbers only",
                    at: spec.keyMark("tolerance") ?? spec.keyMark("relative_tolerance"))
            }
            let unit = spec.mapping("unit", allowed: ["legacy", "new"]).flatMap(parseSidePair)
            if let legacy, let new {
                fields.append(
                    CompareField(
                        name: name, legacy: legacy, new: new, type: type, tolerance: tolerance,
                        relativeTolerance: relative, map: spec.stringMap("map"), trim: spec.bool("trim") ?? true,
                        ignoreCase: spec.bool("ignore_case") ?? false, unit: unit))
            }
        }
        return fields
    }

    /// `{ legacy: PATH, new: PATH }`, both required.
    func parseSidePair(_ reader: MappingReader) -> UnitSources? {
        guard let legacy = reader.string("legacy", required: true), let new = reader.string("new", required: true)
        else { return nil }
        return UnitSources(legacy: legacy, new: new)
    }

    func parseRollout(_ reader: MappingReader) -> RolloutDefinition {
        let allowed = ["window", "min_sample", "max_new_error_rate", "max_mismatch_rate", "cooldown", "dry_run"]
        let autoRollback = reader.mapping("auto_rollback", allowed: allowed).flatMap { spec -> AutoRollbackPolicy? in
            let window = spec.int("window", range: 1...1_000_000)
            let errorRate = spec.double("max_new_error_rate", range: 0...1)
            let mismatchRate = spec.double("max_mismatch_rate", range: 0...1)
            if !spec.has("window") { spec.missing("window") }
            if !spec.has("max_new_error_rate"), !spec.has("max_mismatch_rate") {
                sink.error("auto_rollback needs max_new_error_rate or max_mismatch_rate", at: spec.mark)
            }
            var cooldown = 300
            if let text = spec.string("cooldown") {
                if let seconds = DurationText.seconds(text) {
                    cooldown = seconds
                } else {
                    sink.error(
                        "auto_rollback.cooldown '\(text)' is not a duration", at: spec.node("cooldown")?.mark,
                        hint: "e.g. 5m")
                }
            }
            let minimumSample = spec.int("min_sample", range: 1...1_000_000)
            if let minimumSample, let window, minimumSample > window {
                sink.error("auto_rollback.min_sample cannot exceed window", at: spec.node("min_sample")?.mark)
            }
            guard let window else { return nil }
            return AutoRollbackPolicy(
                window: window, minimumSample: minimumSample, maxNewErrorRate: errorRate ?? 1,
                maxMismatchRate: mismatchRate ?? 1,
                cooldownSeconds: cooldown, dryRun: spec.bool("dry_run") ?? false
            )
        }
        let promoteWhen = reader.mapping("promote_when", allowed: ["min_exchanges", "min_match_rate"]).flatMap {
            spec -> PromotionCriteria? in
            let count = spec.int("min_exchanges", range: 0...Int.max)
            let rate = spec.double("min_match_rate", range: 0...1)
            if !spec.has("min_exchanges") { spec.missing("min_exchanges") }
            if !spec.has("min_match_rate") { spec.missing("min_match_rate") }
            guard let count, let rate else { return nil }
            return PromotionCriteria(minimumExchanges: count, minimumMatchRate: rate)
        }
        return RolloutDefinition(autoRollback: autoRollback, promoteWhen: promoteWhen)
    }

    func parseReconcile(_ reader: MappingReader) -> ReconcileDefinition? {
        let key = reader.string("key", required: true)
        let legacy = reader.mapping("legacy", allowed: ["sql", "database_url"], required: true)
        let legacySQL = legacy?.string("sql", required: true)
        let new = reader.mapping("new", allowed: ["url", "items", "next", "fields"], required: true)
        let newURL = new?.string("url", required: true)
        let items = new?.string("items") ?? "/value"
        let newFields = new?.stringMap("fields") ?? [:]
        var rules: [String: ReconcileDefinition.FieldRule] = [:]
        if let fields = reader.mapping("fields", allowed: nil) {
            for name in fields.keys {
                guard let spec = fields.mapping(name, allowed: ["type", "tolerance"]) else { continue }
                rules[name] = .init(
                    type: spec.choice("type", ValueType.self) ?? .string,
                    tolerance: spec.double("tolerance", range: 0...Double.greatestFiniteMagnitude)
                )
            }
        }
        guard let key, let legacySQL, let newURL else { return nil }
        return ReconcileDefinition(
            key: key, legacySQL: legacySQL, legacyDatabaseURL: legacy?.string("database_url"), newURL: newURL,
            newItems: items, newNext: new?.string("next"), newFields: newFields, fields: rules
        )
    }
}
