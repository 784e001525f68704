import CutoverConfig
import CutoverCore
import Foundation

/// A file-drop flow's definition with its folders resolved.
public struct FileDropFlow: Sendable {
    public let definition: FlowDefinition
    public let watch: WatchDefinition
    public let format: FileFormatDefinition
    public let inbox: String
    public let processingDirectory: String
    public let doneDirectory: String
    public let failedDirectory: String

    public var name: String { definition.flow }

    /// `processing/`, `done/` and `failed/` sit beside the watched folder unless configured.
    public init(_ definition: FlowDefinition) throws {
        guard case .fileDrop(let legacy) = definition.legacy else {
            throw FileDropConfigurationError(message: "\(definition.flow) is not a file-drop flow")
        }
        self.definition = definition
        self.watch = legacy.watch
        self.format = legacy.format
        self.inbox = legacy.inbox
        let parent = URL(fileURLWithPath: legacy.watch.directory).deletingLastPathComponent()
        self.processingDirectory = legacy.watch.processingDirectory ?? parent.appendingPathComponent("processing").path
        self.doneDirectory = legacy.watch.doneDirectory ?? parent.appendingPathComponent("done").path
        self.failedDirectory = legacy.watch.failedDirectory ?? parent.appendingPathComponent("failed").path
    }

    /// Creates the folders a watcher needs (the inbox included: it belongs to the legacy consumer, but a missing
    /// one would fail every delivery).
    public func createDirectories() throws {
        for directory in [watch.directory, processingDirectory, doneDirectory, failedDirectory, inbox] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }
}

public struct FileDropConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// What happened to one file: written as `<name>.result.json` beside it and kept on its claim.
public struct FileResult: Sendable, Codable, Hashable {
    public struct Failure: Sendable, Codable, Hashable {
        public var record: Int
        public var line: Int
        public var reason: String
    }

    public var flow: String
    public var file: String
    public var sha256: String
    public var exchangeID: UUID?
    public var mode: String
    public var percent: Double
    public var duplicate = false
    /// The earlier drop of the same bytes, for a duplicate.
    public var duplicateOf: String?
    /// Why the whole file was refused (a broken format); nothing reached either side.
    public var error: String?
    public var recordsSeen = 0
    /// Records the new side accepted.
    public var sent = 0
    /// Records in the file (or part) the legacy inbox received.
    public var deliveredToLegacy = 0
    public var legacyFile: String?
    public var failed = 0
    public var deadLetters = 0
    /// The first failures, in file order (all are in the audit store).
    public var failures: [Failure] = []
    public var compared = 0
    public var mismatches = 0
    public var startedAt: Date
    public var finishedAt: Date?

    static let keptFailures = 100

    enum CodingKeys: String, CodingKey {
        case flow, file, sha256, mode, percent, duplicate, error, sent, failed, failures, compared, mismatches
        case exchangeID = "exchange_id"
        case duplicateOf = "duplicate_of"
        case recordsSeen = "records_seen"
        case deliveredToLegacy = "delivered_to_legacy"
        case legacyFile = "legacy_file"
        case deadLetters = "dead_letters"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode(_ text: String) -> FileResult? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(FileResult.self, from: Data(text.utf8))
    }
}
