import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Search the audit store; its upkeep.",
        subcommands: [AuditSearch.self, AuditPrune.self, AuditLoad.self]
    )
}

struct AuditPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Drop whole monthly audit partitions older than a period (rows are never deleted one by one)."
    )

    @Option(
        name: .customLong("older-than"), help: "Age such as 400d, 13w or 12h; a partition goes once all of it is older."
    )
    var olderThan: String

    @Flag(help: "List what would be dropped without dropping it.")
    var dryRun = false

    func validate() throws {
        guard olderThan.last?.isLetter == true, DurationText.seconds(olderThan) != nil else {
            throw ValidationError("--older-than '\(olderThan)' is not an age such as 400d, 13w or 12h")
        }
    }

    func run() async throws {
        let context = CLIContext()
        let cutoff = Date().addingTimeInterval(-Double(DurationText.seconds(olderThan)!))
        let dryRun = dryRun
        let dropped = try await context.withDatabase { client, _ in
            let maintenance = AuditMaintenance(client: client, logger: context.logger)
            if dryRun {
                return try await client.query(
                    """
                    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
                    WHERE n.nspname = 'cutover' AND p.relname IN ('exchanges', 'side_calls', 'comparisons')
                      AND (to_date(right(c.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC' <= \(cutoff)
                    ORDER BY 1
                    """, logger: context.logger
                ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
            }
            return try await maintenance.prune(endingBefore: cutoff)
        }
        for name in dropped { print("\(dryRun ? "would drop" : "dropped") \(name)") }
        print("\(dropped.count) partition\(dropped.count == 1 ? "" : "s") \(dryRun ? "to drop" : "dropped")")
    }
}
