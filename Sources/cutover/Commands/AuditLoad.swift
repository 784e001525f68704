import ArgumentParser
import CutoverCore
import CutoverStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives synthetic exchanges through the real audit writer: the durability drills and `Benchmarks/audit-ingest`
/// use it. Records are deterministic from `--seed` and their index, so a restarted run re-sends the same records.
struct AuditLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Write synthetic audit records through the audit writer (drills and benchmarks).",
        shouldDisplay: false
    )

    @Option(help: "Records to write.") var count = 100_000
    @Option(help: "Index of the first record.") var start = 0
    @Option(help: "Seed that makes record ids deterministic.") var seed = "load"
    @Option(help: "Concurrent writers, like concurrent exchanges.") var concurrency = 64
    @Option(help: "Records each writer hands over per write.") var chunk = 4
    @Option(help: "Spool directory (default: CUTOVER_HOME/spool).") var spool: String?
    @Flag(help: "Print 'ack FROM TO' after each acknowledged write.") var printAcks = false
    @Option(help: "Write the rows as COPY text to this file instead of loading them (the raw-COPY baseline).")
    var emitCopy: String?
    @Option(help: "Seconds to keep draining the spool before exiting.") var drainTimeout = 60.0

    func run() async throws {
        let context = CLIContext(logLevel: .notice)
        let options = self
        if let emitCopy {
            try SyntheticAuditRecords.writeCopyFile(path: emitCopy, seed: seed, range: start..<(start + count))
            return
        }
        let summary = try await context.withDatabase { client, _ in
            var configuration = AuditWriterConfiguration(spoolDirectory: options.spool ?? context.home + "/spool")
            configuration.drainInterval = .milliseconds(500)
            let writer = AuditWriter(client: client, configuration: configuration, logger: context.logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                let summary = try await options.drive(writer)
                // Everything acknowledged is durable already; give the spool a chance to drain before exiting.
                let deadline = ContinuousClock.now + .seconds(options.drainTimeout)
                while await writer.spoolBytes > 0, ContinuousClock.now < deadline {
                    if await writer.drainOnce() { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                group.cancelAll()
                return summary
            }
        }
        try printJSON(summary, pretty: false)
    }

    private func drive(_ writer: AuditWriter) async throws -> LoadSummary {
        // Records are built before the clock starts: the figure is the writer's, not the generator's.
        let chunks = stride(from: start, to: start + count, by: chunk).map { first in
            (first..<min(first + chunk, start + count)).map {
                AuditRecord.exchange(SyntheticAuditRecords.exchange(seed: seed, index: $0))
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        let next = ManagedIndex()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while let index = next.take(below: chunks.count) {
                        let records = chunks[index]
                        try await writer.write(records)
                        if printAcks, case .exchange(let first) = records.first, case .exchange(let last) = records.last
                        {
                            emit("ack \(first.attributes["index"] ?? "") \(last.attributes["index"] ?? "")")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (clock.now - began).inSeconds
        return LoadSummary(
            records: count, seconds: seconds, recordsPerSecond: Double(count) / seconds,
            spooled: await writer.spoolBytes > 0)
    }
}

struct LoadSummary: Codable, Sendable {
    var records: Int
    var seconds: Double
    var recordsPerSecond: Double
    var spooled: Bool
}

/// Hands out chunk numbers to concurrent writers.
final class ManagedIndex: Sendable {
    private let value = Mutex(0)
    func take(below limit: Int) -> Int? {
        value.withLock { current in
            guard current < limit else { return nil }
            defer { current += 1 }
            return current
        }
    }
}
