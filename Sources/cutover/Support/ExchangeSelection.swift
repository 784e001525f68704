import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation

extension Verdict: ExpressibleByArgument {}

/// `--since`, `--verdict`, `--correlation-id`: which recorded exchanges a command works on (`audit search`,
/// `replay`).
struct ExchangeSelection: ParsableArguments {
    @Option(help: "Period, back from now: 24h, 7d.") var since = "24h"
    @Option(help: "Only this verdict.") var verdict: Verdict?
    @Option(name: .customLong("correlation-id"), help: "Only this exchange (the caller's or Cutover's id).")
    var correlationID: String?

    /// `--limit`, as the commands using this selection take it.
    static func validate(limit: Int) throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    /// The audit query for `flow` (all flows when nil), at most `limit` exchanges.
    func criteria(flow: String?, limit: Int) throws -> AuditQueries.SearchCriteria {
        AuditQueries.SearchCriteria(
            flow: flow, correlationID: correlationID, verdict: verdict, since: try ReadinessCheck.since(since),
            limit: limit)
    }
}
