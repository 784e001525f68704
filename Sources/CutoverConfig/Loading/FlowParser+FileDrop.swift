import CutoverCore
import Yams

enum FileDropParsing {
    static let watchKeys = [
        "directory", "pattern", "stable_for_ms", "min_age_ms", "done_marker", "poll_interval_ms", "lease_ms",
        "processing_dir",
        "done_dir", "failed_dir",
    ]
    static let formatKeys = [
        "type", "delimiter", "header", "encoding", "columns", "record_types", "control_totals", "record", "fields",
    ]
    enum FormatType: String, CaseIterable { case csv, fixedWidth = "fixed-width", xml }
}

extension FlowParser {
    func parseWatch(_ reader: MappingReader) -> WatchDefinition? {
        let directory = reader.string("directory", required: true)
        let pattern = reader.string("pattern", required: true)
        guard let directory, let pattern else { return nil }
        return WatchDefinition(
            directory: directory, pattern: pattern,
            stableForMilliseconds: reader.int("stable_for_ms", range: 0...3_600_000) ?? 2000,
            minimumAgeMilliseconds: reader.int("min_age_ms", range: 0...3_600_000) ?? 1000,
            doneMarker: reader.string("done_marker"),
            pollIntervalMilliseconds: reader.int("poll_interval_ms", range: 10...3_600_000) ?? 1000,
            leaseMilliseconds: reader.int("lease_ms", range: 1000...3_600_000) ?? 15000,
            processingDirectory: reader.string("processing_dir"), doneDirectory: reader.string("done_dir"),
            failedDirectory: reader.string("failed_dir")
        )
    }

    func parseFormat(_ reader: MappingReader) -> FileFormatDefinition? {
        guard let type = reader.choice("type", FileDropParsing.FormatType.self, required: true) else { return nil }
        let encoding = reader.choice("encoding", TextEncoding.self) ?? .utf8
        let onlyFor: [FileDropParsing.FormatType: [String]] = [
            .csv: ["delimiter", "header", "columns"], .fixedWidth: ["record_types", "control_totals"],
            .xml: ["record", "fields"],
        ]
        for (other, keys) in onlyFor where other != type {
            for key in keys where reader.has(key) {
                sink.error(
                    "format.\(key) applies to \(other.rawValue) files, not \(type.rawValue)", at: reader.keyMark(key))
            }
        }
        switch type {
        case .csv:
            let delimiter = reader.string("delimiter") ?? ","
            if delimiter.count != 1 {
                sink.error("format.delimiter must be one character", at: reader.node("delimiter")?.mark)
            }
            let columns = reader.mapping("columns", allowed: nil, required: true).map {
                parseColumns($0, fixedWidth: false)
            }
            guard let columns else { return nil }
            return .csv(
                CSVFormat(
                    delimiter: delimiter.first ?? ",", header: reader.bool("header") ?? true, encoding: encoding,
                    columns: columns
                )
            )
        case .fixedWidth:
            guard
                let types = reader.mapping(
                    "record_types", allowed: RecordTypeDefinition.Role.allCases.map(\.rawValue), required: true)
            else { return nil }
            var recordTypes: [RecordTypeDefinition] = []
            for name in types.keys {
                guard let role = RecordTypeDefinition.Role(rawValue: name),
                    let typeReader = types.mapping(name, allowed: ["prefix", "columns"])
                else { continue }
                let prefix = typeReader.string("prefix", required: true)
                let columns = typeReader.mapping("columns", allowed: nil, required: true).map {
                    parseColumns($0, fixedWidth: true)
                }
                if let prefix, let columns {
                    recordTypes.append(RecordTypeDefinition(role: role, prefix: prefix, columns: columns))
                }
            }
            if !recordTypes.contains(where: { $0.role == .detail }) {
                sink.error("format.record_types needs a 'detail' record type", at: types.mark)
            }
            let totals =
                reader.mapping("control_totals", allowed: nil).map { parseControlTotals($0, recordTypes: recordTypes) }
                ?? []
            return .fixedWidth(FixedWidthFormat(encoding: encoding, recordTypes: recordTypes, controlTotals: totals))
        case .xml:
            let record = reader.string("record", required: true)
            guard let fieldsReader = reader.mapping("fields", allowed: nil, required: true), let record else {
                return nil
            }
            var fields: [ColumnDefinition] = []
            var paths: [String: String] = [:]
            for name in fieldsReader.keys {
                guard let node = fieldsReader.node(name) else { continue }
                if case .scalar = node, let path = fieldsReader.string(name) {
                    fields.append(ColumnDefinition(name: name, type: .string))
                    paths[name] = path
                } else if let spec = fieldsReader.mapping(name, allowed: ["path", "type"]),
                    let path = spec.string("path", required: true)
                {
                    fields.append(ColumnDefinition(name: name, type: spec.choice("type", ValueType.self) ?? .string))
                    paths[name] = path
                }
            }
            return .xml(XMLRecordFormat(record: record, fields: fields, paths: paths))
        }
    }

    private func parseColumns(_ reader: MappingReader, fixedWidth: Bool) -> [ColumnDefinition] {
        var columns: [ColumnDefinition] = []
        for name in reader.keys {
            let allowed = fixedWidth ? ["type", "start", "length"] : ["type"]
            guard let spec = reader.mapping(name, allowed: allowed) else { continue }
            let type = spec.choice("type", ValueType.self) ?? .string
            var column = ColumnDefinition(name: name, type: type)
            if fixedWidth {
                column.start = spec.int("start", range: 1...100_000)
                column.length = spec.int("length", range: 1...100_000)
                if column.start == nil || column.length == nil {
                    sink.error("fixed-width column '\(name)' needs 'start' and 'length'", at: spec.mark)
                }
            }
            columns.append(column)
        }
        if columns.isEmpty { sink.error("\(reader.context) needs at least one column", at: reader.mark) }
        return columns
    }

    private func parseControlTotals(_ reader: MappingReader, recordTypes: [RecordTypeDefinition]) -> [ControlTotal] {
        let trailerColumns = Set(recordTypes.first { $0.role == .trailer }?.columns.map(\.name) ?? [])
        let detailColumns = Set(recordTypes.first { $0.role == .detail }?.columns.map(\.name) ?? [])
        var totals: [ControlTotal] = []
        for name in reader.keys {
            if !trailerColumns.contains(name) {
                sink.error("control total '\(name)' is not a trailer column", at: reader.keyMark(name))
            }
            guard let node = reader.node(name) else { continue }
            if case .scalar = node {
                if reader.string(name) == "count" {
                    totals.append(ControlTotal(trailerColumn: name, kind: .count))
                } else {
                    sink.error("control total '\(name)' must be 'count' or { sum: COLUMN }", at: node.mark)
                }
            } else if let spec = reader.mapping(name, allowed: ["sum"]), let column = spec.string("sum", required: true)
            {
                if !detailColumns.contains(column) {
                    sink.error(
                        "control total '\(name)' sums '\(column)', which is not a detail column",
                        at: spec.node("sum")?.mark)
                }
                totals.append(ControlTotal(trailerColumn: name, kind: .sum(column: column)))
            }
        }
        return totals
    }
}
