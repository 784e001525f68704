import CutoverCore

/// Where a file-drop flow looks for files and when it takes one.
public struct WatchDefinition: Sendable, Hashable {
    public var directory: String
    public var pattern: String
    /// Size and mtime unchanged this long before a file is taken.
    public var stableForMilliseconds: Int
    /// A file is never taken younger than this (copies often keep the original mtime).
    public var minimumAgeMilliseconds: Int
    /// When set, a file is taken once `<name><marker>` appears.
    public var doneMarker: String?
    public var pollIntervalMilliseconds: Int
    /// How long an instance's hold on a file in `processing/` lasts without renewal (renewed every third of it):
    /// after a crash, another instance takes the file over once it lapses.
    public var leaseMilliseconds: Int
    public var processingDirectory: String?
    public var doneDirectory: String?
    public var failedDirectory: String?

    public init(
        directory: String, pattern: String, stableForMilliseconds: Int = 2000, minimumAgeMilliseconds: Int = 1000,
        doneMarker: String? = nil, pollIntervalMilliseconds: Int = 1000, leaseMilliseconds: Int = 15000,
        processingDirectory: String? = nil,
        doneDirectory: String? = nil, failedDirectory: String? = nil
    ) {
        self.directory = directory
        self.pattern = pattern
        self.stableForMilliseconds = stableForMilliseconds
        self.minimumAgeMilliseconds = minimumAgeMilliseconds
        self.doneMarker = doneMarker
        self.pollIntervalMilliseconds = pollIntervalMilliseconds
        self.leaseMilliseconds = leaseMilliseconds
        self.processingDirectory = processingDirectory
        self.doneDirectory = doneDirectory
        self.failedDirectory = failedDirectory
    }
}

/// Text encodings accepted for dropped files.
public enum TextEncoding: String, Sendable, Hashable, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    case iso88591 = "iso-8859-1"
}

/// One typed column of a record.
public struct ColumnDefinition: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    /// Fixed-width only: 1-based start and length.
    public var start: Int?
    public var length: Int?

    public init(name: String, type: ValueType = .string, start: Int? = nil, length: Int? = nil) {
        self.name = name
        self.type = type
        self.start = start
        self.length = length
    }
}

/// A record type of a fixed-width file, recognised by its prefix.
public struct RecordTypeDefinition: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable { case header, detail, trailer }
    public var role: Role
    public var prefix: String
    public var columns: [ColumnDefinition]

    public init(role: Role, prefix: String, columns: [ColumnDefinition]) {
        self.role = role
        self.prefix = prefix
        self.columns = columns
    }
}

/// A trailer field checked against (and recomputed from) the detail records.
public struct ControlTotal: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case count
        case sum(column: String)
    }
    /// The trailer column holding the total.
    public var trailerColumn: String
    public var kind: Kind

    public init(trailerColumn: String, kind: Kind) {
        self.trailerColumn = trailerColumn
        self.kind = kind
    }
}

/// The format of a dropped file.
public enum FileFormatDefinition: Sendable, Hashable {
    case csv(CSVFormat)
    case fixedWidth(FixedWidthFormat)
    case xml(XMLRecordFormat)
}

public struct CSVFormat: Sendable, Hashable {
    public var delimiter: Character
    public var header: Bool
    public var encoding: TextEncoding
    public var columns: [ColumnDefinition]

    public init(
        delimiter: Character = ",", header: Bool = true, encoding: TextEncoding = .utf8, columns: [ColumnDefinition]
    ) {
        self.delimiter = delimiter
        self.header = header
        self.encoding = encoding
        self.columns = columns
    }
}

public struct FixedWidthFormat: Sendable, Hashable {
    public var encoding: TextEncoding
    public var recordTypes: [RecordTypeDefinition]
    public var controlTotals: [ControlTotal]

    public init(encoding: TextEncoding = .utf8, recordTypes: [RecordTypeDefinition], controlTotals: [ControlTotal] = [])
    {
        self.encoding = encoding
        self.recordTypes = recordTypes
        self.controlTotals = controlTotals
    }
}

public struct XMLRecordFormat: Sendable, Hashable {
    /// XPath selecting each record element.
    public var record: String
    /// Field name → XPath relative to the record.
    public var fields: [ColumnDefinition]
    /// Field name → relative XPath, in the same order as `fields`.
    public var paths: [String: String]

    public init(record: String, fields: [ColumnDefinition], paths: [String: String]) {
        self.record = record
        self.fields = fields
        self.paths = paths
    }
}
