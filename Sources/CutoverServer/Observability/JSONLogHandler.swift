import CutoverCore
import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error, for log shippers: `time` (ISO 8601, UTC, milliseconds), `level`,
/// `label`, `message`, `source`, and every metadata key as its own field (`cutover.correlation_id`,
/// `cutover.flow`, `cutover.mode`, ...). Selected with `CUTOVER_LOG_FORMAT=json`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, JSONValue)] = [
            ("time", .string(Date().formatted(Self.time))), ("level", .string(event.level.rawValue)),
            ("label", .string(label)), ("message", .string(event.message.description)),
            ("source", .string(event.source)),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() where !["time", "level", "label", "message", "source"].contains(key) {
            fields.append((key, Self.value(merged[key]!)))
        }
        write(JSONValue.object(fields).text + "\n")
    }

    static func value(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .array(items.map(Self.value))
        case .dictionary(let entries): .object(entries.keys.sorted().map { ($0, Self.value(entries[$0]!)) })
        }
    }

    static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static let errorLock = Mutex(())

    /// Writes whole lines to standard error, one writer at a time, so lines never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        errorLock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}
