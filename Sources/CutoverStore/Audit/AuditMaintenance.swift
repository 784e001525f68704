import Foundation
import Logging
import PostgresNIO

/// Partition upkeep for the audit store: months created ahead, whole months dropped for retention.
public struct AuditMaintenance: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Makes sure this month and the next `months - 1` have partitions. Returns how many were created.
    @discardableResult
    public func ensurePartitionsAhead(months: Int = 3, from date: Date = Date()) async throws -> Int {
        var created = 0
        for try await count in try await client.query(
            "SELECT cutover.ensure_audit_partitions(\(date), \(months)::integer)", logger: logger
        ).decode(Int.self) {
            created = count
        }
        return created
    }

    /// Drops every monthly partition that ends at or before `cutoff`. Returns the dropped partitions' names.
    public func prune(endingBefore cutoff: Date) async throws -> [String] {
        var dropped: [String] = []
        for try await name in try await client.query(
            "SELECT cutover.prune_audit_partitions(\(cutoff))", logger: logger
        ).decode(String.self) {
            dropped.append(name)
        }
        return dropped
    }
}
