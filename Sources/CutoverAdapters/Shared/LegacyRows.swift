import CutoverCore
import Foundation
import Logging
import PostgresNIO

/// Rows of an operator's SQL on a legacy database, as column → JSON value: read through `row_to_json`, so any
/// column type arrives the same way and numbers keep their exact decimal text.
enum LegacyRows {
    static func read(
        _ client: PostgresClient, sql: String, bindings: PostgresBindings = PostgresBindings(), logger: Logger
    ) async throws -> [[String: JSONValue]] {
        let query = PostgresQuery(unsafeSQL: "SELECT row_to_json(r)::text FROM (\(sql)) r", binds: bindings)
        var rows: [[String: JSONValue]] = []
        for try await (text, ) in try await client.query(query, logger: logger).decode((String,).self) {
            guard case .object(let members) = try JSONValue.parse(text) else { continue }
            rows.append(Dictionary(members, uniquingKeysWith: { first, _ in first }))
        }
        return rows
    }

    /// A row's values as text, for the mapping engine (`RowSource`).
    static func strings(_ row: [String: JSONValue]) -> [String: String] {
        row.compactMapValues { value in value == .null ? nil : (value.scalarText ?? value.text) }
    }
}
