import CutoverCore
import Yams

enum CompareParsing {
    static let keys = ["reverse_shadow", "fields", "ignore"]
    static let fieldKeys = ["legacy", "new", "type", "tolerance", "map"]
}

enum ReconcileParsing {
    static let keys = ["key", "legacy", "new", "fields"]
}

extension FlowParser {
    func parseCompare(_ reader: MappingReader) -> CompareSpec {
        var fields: [CompareField] = []
        if let fieldsReader = reader.mapping("fields", allowed: nil) {
            for name in fieldsReader.keys {
                guard let spec = fieldsReader.mapping(name, allowed: CompareParsing.fieldKeys) else { continue }
                let legacy = spec.string("legacy", required: true)
                let new = spec.string("new", required: true)
                let type = spec.choice("type", ValueType.self) ?? .string
                let tolerance = spec.double("tolerance", range: 0...Double.greatestFiniteMagnitude)
                if tolerance != nil, type != .decimal, type != .integer {
                    sink.error(
                        "compare.fields.\(name).tolerance applies to numbers only", at: spec.keyMark("tolerance"))
                }
                if let legacy, let new {
                    fields.append(
                        CompareField(
                            name: name, legacy: legacy, new: new, type: type, tolerance: tolerance,
                            map: spec.stringMap("map"))
                    )
                }
            }
        }
        return CompareSpec(
            reverseShadow: reader.bool("reverse_shadow") ?? false, fields: fields, ignore: reader.stringList("ignore")
        )
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
