import CutoverConfig
import CutoverCore
import Foundation

/// A db-job flow's definition with its schedule resolved.
public struct DBJobFlow: Sendable {
    public let definition: FlowDefinition
    public let job: DBJobLegacy
    let cron: CronExpression?

    public var name: String { definition.flow }

    public init(_ definition: FlowDefinition) throws {
        guard case .dbJob(let job) = definition.legacy else {
            throw FileDropConfigurationError(message: "\(definition.flow) is not a db-job flow")
        }
        self.definition = definition
        self.job = job
        if case .cron(let text) = job.schedule {
            guard let cron = CronExpression(text) else {
                throw FileDropConfigurationError(message: "\(definition.flow): schedule.cron '\(text)' is not valid")
            }
            self.cron = cron
        } else {
            self.cron = nil
        }
    }

    /// The schedule as text, to notice when the YAML changed it.
    public var scheduleText: String {
        switch job.schedule {
        case .every(let seconds): "every \(seconds)s"
        case .cron(let text): "cron \(text)"
        }
    }

    /// The first run time after `date`.
    public func nextRun(after date: Date) -> Date {
        switch job.schedule {
        case .every(let seconds): date.addingTimeInterval(Double(seconds))
        case .cron: cron?.next(after: date) ?? date.addingTimeInterval(86_400)
        }
    }
}

/// What one run of a database job did.
public struct JobRunResult: Sendable, Codable, Hashable {
    public var id: UUID
    public var flow: String
    public var mode: String
    public var trigger: String
    public var rowsSeen = 0
    public var sent = 0
    public var failed = 0
    public var deadLetters = 0
    public var compared = 0
    public var mismatches = 0
    /// Rows a canary run sent to the ERP and listed in the key filter table for the legacy job to skip.
    public var filtered = 0
    public var legacyRan = false
    /// Rows the legacy statement reported affected (its command tag; none for a `CALL`).
    public var legacyRows: Int?
    /// What `legacy.capture.sql` returned after the legacy job (JSON rows).
    public var captured: String?
    public var error: String?
    /// The first failures (all are in the audit store).
    public var failures: [String] = []

    enum CodingKeys: String, CodingKey {
        case id, flow, mode, trigger, sent, failed, compared, mismatches, filtered, captured, error, failures
        case rowsSeen = "rows_seen"
        case deadLetters = "dead_letters"
        case legacyRan = "legacy_ran"
        case legacyRows = "legacy_rows_affected"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
