/// Why a dropped file could not be read as its flow's format: the file, the line (or record) and the column.
public struct FileFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The record number (1-based, detail records only) when the error is inside one.
    public var record: Int?
    /// The field (CSV), character (fixed-width) or column (XML) where the problem is.
    public var column: Int?
    public var message: String

    public init(file: String, line: Int, record: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.record = record
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = "\(file) line \(line)"
        if let record { place += " (record \(record))" }
        if let column { place += ", column \(column)" }
        return "\(place): \(message)"
    }
}

/// File-drop failures that are not about the file's content.
enum FileDropError: Error, CustomStringConvertible {
    case io(String)

    var description: String {
        switch self {
        case .io(let message): message
        }
    }
}
