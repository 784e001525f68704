import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// What one reconciliation found.
public struct ReconciliationResult: Sendable, Codable, Hashable {
    public struct Change: Sendable, Codable, Hashable {
        public var key: String
        public var field: String
        public var legacy: String?
        public var new: String?
        public var rule: String
    }

    public struct Totals: Sendable, Codable, Hashable {
        public var legacy: String
        public var new: String
    }

    public var id: UUID
    public var flow: String
    public var since: Date?
    public var startedAt: Date
    public var finishedAt: Date
    public var legacyCount: Int
    public var newCount: Int
    /// Keys present in the legacy record set only, sorted.
    public var onlyInLegacy: [String]
    /// Keys present in the ERP only, sorted.
    public var onlyInNew: [String]
    /// Fields that differ beyond their rule, for keys on both sides.
    public var changed: [Change]
    /// Control totals: `count`, and the sum of each numeric field, on each side.
    public var totals: [String: Totals]
    /// ERP pages read (following next links).
    public var pages: Int

    public var matches: Bool { onlyInLegacy.isEmpty && onlyInNew.isEmpty && changed.isEmpty }

    enum CodingKeys: String, CodingKey {
        case id, flow, since, changed, totals, pages
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case legacyCount = "legacy_count"
        case newCount = "new_count"
        case onlyInLegacy = "only_in_legacy"
        case onlyInNew = "only_in_new"
    }

    public func json(pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode(_ text: String) -> ReconciliationResult? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ReconciliationResult.self, from: Data(text.utf8))
    }
}

public struct ReconcileError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Compares a flow's two record sets by key (DESIGN.md's `reconcile`): the legacy rows from `reconcile.legacy.sql`,
/// the ERP's records from `reconcile.new.url` page by page; missing keys on either side, changed fields under the
/// field rules, and control totals for both.
public struct Reconciler: Sendable {
    public let flow: String
    public let definition: ReconcileDefinition
    let erp: ERPClient
    let logger: Logger
    /// At most this many pages are read (a runaway next link must not loop forever).
    let maxPages: Int

    public init(flow: String, definition: ReconcileDefinition, erp: ERPClient, maxPages: Int = 10_000, logger: Logger) {
        self.flow = flow
        self.definition = definition
        self.erp = erp
        self.maxPages = maxPages
        self.logger = logger
    }

    /// Runs the comparison. `legacy` is a pool on the legacy database.
    public func run(legacy: PostgresClient, since: Date?) async throws -> ReconciliationResult {
        let startedAt = Date()
        let legacyRows = try await legacyRecords(legacy, since: since)
        let (newRecords, pages) = try await newRecords()
        var result = Self.compare(
            legacy: legacyRows, new: newRecords, key: definition.key, fields: definition.fields,
            compared: comparedFields)
        result.flow = flow
        result.since = since
        result.startedAt = startedAt
        result.finishedAt = Date()
        result.pages = pages
        return result
    }

    /// The canonical fields both sides have, the key excepted.
    var comparedFields: [String] {
        definition.newFields.keys.filter { $0 != definition.key }.sorted()
    }

    /// Rows as column → value (JSON scalars' text), via `row_to_json` so any column type reads the same way.
    func legacyRecords(_ client: PostgresClient, since: Date?) async throws -> [[String: JSONValue]] {
        var sql = definition.legacySQL
        var bindings = PostgresBindings()
        if sql.contains("$since") {
            sql = sql.replacingOccurrences(of: "$since", with: "$1")
            bindings.append(since ?? Date(timeIntervalSince1970: 0))
        }
        let query = PostgresQuery(unsafeSQL: "SELECT row_to_json(r)::text FROM (\(sql)) r", binds: bindings)
        var rows: [[String: JSONValue]] = []
        for try await (text, ) in try await client.query(query, logger: logger).decode((String,).self) {
            guard case .object(let members) = try JSONValue.parse(text) else { continue }
            rows.append(Dictionary(members, uniquingKeysWith: { first, _ in first }))
        }
        return rows
    }

    /// The ERP's records as canonical field → value, following next links.
    func newRecords() async throws -> ([[String: JSONValue]], Int) {
        var records: [[String: JSONValue]] = []
        var next: String? = definition.newURL
        var pages = 0
        while let url = next, pages < maxPages {
            let response: ERPResponse
            do {
                response = try await erp.send(ERPRequest(method: .GET, url: url))
            } catch {
                throw ReconcileError(description: "reading \(url): \(error)")
            }
            let page = try response.json()
            pages += 1
            guard case .array(let items) = page.value(at: definition.newItems) ?? .array([]) else {
                throw ReconcileError(description: "\(url): \(definition.newItems) is not an array")
            }
            for item in items {
                var record: [String: JSONValue] = [:]
                for (field, pointer) in definition.newFields {
                    record[field] = item.value(at: pointer)
                }
                records.append(record)
            }
            next = definition.newNext.flatMap { page.value(at: $0)?.scalarText }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if next != nil {
            throw ReconcileError(description: "more than \(maxPages) pages: stopped following next links")
        }
        return (records, pages)
    }

    static func text(_ value: JSONValue?) -> String? {
        guard let value, value != .null else { return nil }
        return value.scalarText ?? value.text
    }

    /// The comparison itself, on values already read.
    static func compare(
        legacy: [[String: JSONValue]], new: [[String: JSONValue]], key: String,
        fields rules: [String: ReconcileDefinition.FieldRule], compared: [String]
    ) -> ReconciliationResult {
        func index(_ records: [[String: JSONValue]]) -> [String: [String: JSONValue]] {
            Dictionary(records.compactMap { record in text(record[key]).map { ($0, record) } }) { first, _ in first }
        }
        let legacyByKey = index(legacy)
        let newByKey = index(new)
        var changes: [ReconciliationResult.Change] = []
        for (recordKey, legacyRecord) in legacyByKey.sorted(by: { $0.key < $1.key }) {
            guard let newRecord = newByKey[recordKey] else { continue }
            for field in compared {
                let rule = rules[field]
                let compareField = CompareField(
                    name: field, legacy: field, new: field, type: rule?.type ?? .string, tolerance: rule?.tolerance)
                let legacyValue = text(legacyRecord[field])
                let newValue = text(newRecord[field])
                switch (legacyValue, newValue) {
                case (nil, nil):
                    continue
                case (let a?, let b?):
                    if let difference = FieldComparator.compare(compareField, path: field, a, b) {
                        changes.append(
                            .init(key: recordKey, field: field, legacy: a, new: b, rule: difference.rule))
                    }
                default:
                    changes.append(
                        .init(key: recordKey, field: field, legacy: legacyValue, new: newValue, rule: "present"))
                }
            }
        }
        // Control totals: the count, and the sum of each numeric field (by its rule, or because legacy stores it as
        // a number).
        var totals: [String: ReconciliationResult.Totals] = [
            "count": .init(legacy: String(legacy.count), new: String(new.count))
        ]
        for field in compared {
            let numeric =
                [ValueType.decimal, .integer].contains(rules[field]?.type ?? .string)
                || legacy.contains { if case .number = $0[field] { true } else { false } }
            guard numeric else { continue }
            func sum(_ records: [[String: JSONValue]]) -> String {
                let total = records.reduce(Decimal(0)) { total, record in
                    total
                        + (text(record[field]).flatMap {
                            Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX"))
                        } ?? 0)
                }
                return NSDecimalNumber(decimal: total).stringValue
            }
            totals["sum(\(field))"] = .init(legacy: sum(legacy), new: sum(new))
        }
        return ReconciliationResult(
            id: UUID.random(), flow: "", since: nil, startedAt: Date(), finishedAt: Date(), legacyCount: legacy.count,
            newCount: new.count, onlyInLegacy: legacyByKey.keys.filter { newByKey[$0] == nil }.sorted(),
            onlyInNew: newByKey.keys.filter { legacyByKey[$0] == nil }.sorted(), changed: changes, totals: totals,
            pages: 0)
    }
}

extension ReconciliationStore {
    /// Stores a finding: its counts as columns, the whole result as JSON.
    public func save(_ result: ReconciliationResult) async throws {
        try await save(
            id: result.id, flow: result.flow, startedAt: result.startedAt, finishedAt: result.finishedAt,
            since: result.since, legacyCount: result.legacyCount, newCount: result.newCount,
            onlyLegacy: result.onlyInLegacy.count, onlyNew: result.onlyInNew.count, changed: result.changed.count,
            result: result.json(pretty: false))
    }
}
