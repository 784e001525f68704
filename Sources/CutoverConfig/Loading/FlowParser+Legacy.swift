import CutoverCore
import Foundation

extension FlowParser {
    func parseLegacy(_ top: MappingReader, kind: FlowKind) -> LegacyDefinition? {
        switch kind {
        case .soap: parseSOAPLegacy(top)
        case .fileDrop: parseFileDropLegacy(top)
        case .dbJob: parseDBJobLegacy(top)
        }
    }

    private func parseSOAPLegacy(_ top: MappingReader) -> LegacyDefinition? {
        let legacy = top.mapping("legacy", allowed: ["endpoint", "timeout_ms", "wsdl"], required: true)
        let listen = top.mapping("listen", allowed: ["path"], required: true)
        guard let legacy, let listen else { return nil }
        let endpoint = legacy.string("endpoint", required: true)
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            sink.error("legacy.endpoint must be an http(s) URL", at: legacy.node("endpoint")?.mark)
        }
        let timeout = legacy.int("timeout_ms", range: 1...600_000) ?? 5000
        let path = listen.string("path", required: true)
        if let path, !path.hasPrefix("/") {
            sink.error("listen.path must start with '/'", at: listen.node("path")?.mark)
        }
        var wsdl = legacy.string("wsdl")
        if let given = wsdl, !(given.hasPrefix("http://") || given.hasPrefix("https://")) {
            wsdl = resolveFile(given, reader: legacy, key: "wsdl", name: "legacy.wsdl")
        }
        guard let endpoint, let path else { return nil }
        return .soap(SOAPLegacy(endpoint: endpoint, timeoutMilliseconds: timeout, listenPath: path, wsdl: wsdl))
    }

    private func parseFileDropLegacy(_ top: MappingReader) -> LegacyDefinition? {
        let legacy = top.mapping("legacy", allowed: ["inbox"], required: true)
        let watch = top.mapping("watch", allowed: FileDropParsing.watchKeys, required: true).flatMap(parseWatch)
        let format = top.mapping("format", allowed: FileDropParsing.formatKeys, required: true).flatMap(parseFormat)
        guard let inbox = legacy?.string("inbox", required: true), let watch, let format else { return nil }
        return .fileDrop(FileDropLegacy(watch: watch, inbox: inbox, format: format))
    }

    private func parseDBJobLegacy(_ top: MappingReader) -> LegacyDefinition? {
        let legacy = top.mapping("legacy", allowed: ["database_url", "sql", "capture"], required: true)
        let databaseURL = legacy?.string("database_url", required: true)
        let sql = legacy?.string("sql", required: true)
        let capture = legacy?.mapping("capture", allowed: ["sql"])?.string("sql", required: true)
        let scheduleReader = top.mapping("schedule", allowed: ["every", "cron", "lease_ms"], required: true)
        let schedule = scheduleReader.flatMap(parseSchedule)
        let lease = scheduleReader?.int("lease_ms", range: 1000...86_400_000) ?? 30_000
        let source = top.mapping("source", allowed: ["sql", "ack_sql", "key"], required: true).flatMap { reader in
            let sql = reader.string("sql", required: true)
            let key = reader.string("key", required: true)
            return sql.flatMap { sql in
                key.map { SourceDefinition(sql: sql, ackSQL: reader.string("ack_sql"), key: $0) }
            }
        }
        guard let databaseURL, let sql, let schedule, let source else { return nil }
        return .dbJob(
            DBJobLegacy(
                databaseURL: databaseURL, sql: sql, captureSQL: capture, schedule: schedule, source: source,
                leaseMilliseconds: lease))
    }

    private func parseSchedule(_ reader: MappingReader) -> Schedule? {
        switch (reader.string("every"), reader.string("cron")) {
        case (let every?, nil):
            guard let seconds = DurationText.seconds(every) else {
                sink.error(
                    "schedule.every '\(every)' is not a duration", at: reader.node("every")?.mark,
                    hint: "e.g. 30s, 5m, 1h")
                return nil
            }
            return .every(seconds: seconds)
        case (nil, let cron?):
            guard CronExpression(cron) != nil else {
                sink.error(
                    "schedule.cron '\(cron)' is not a five-field cron expression", at: reader.node("cron")?.mark,
                    hint: "minute hour day-of-month month day-of-week, e.g. */5 * * * *"
                )
                return nil
            }
            return .cron(cron)
        case (nil, nil):
            sink.error("schedule needs 'every' or 'cron'", at: reader.mark)
            return nil
        case (.some, .some):
            sink.error("schedule takes 'every' or 'cron', not both", at: reader.mark)
            return nil
        }
    }
}
