import CutoverCore
import Foundation

/// The JSON shape of a flow's state in CLI output.
struct FlowStateView: Codable {
    var flow: String
    var mode: String
    var percent: Double
    var version: Int64
    var changedAt: Date
    var changedBy: String
    var reason: String

    init(_ state: FlowState) {
        flow = state.flow
        mode = state.setting.mode.rawValue
        percent = state.setting.percent
        version = state.version
        changedAt = state.changedAt
        changedBy = state.changedBy
        reason = state.reason
    }
}

/// The JSON shape of a history entry in CLI output.
struct FlowChangeView: Codable {
    var version: Int64
    var from: String?
    var to: String
    var percent: Double
    var actor: String
    var reason: String
    var changedAt: Date
    var figures: String?

    init(_ change: FlowChange) {
        version = change.version
        from = change.from?.description
        to = change.to.mode.rawValue
        percent = change.to.percent
        actor = change.actor
        reason = change.reason
        changedAt = change.changedAt
        figures = change.figures
    }
}

func printJSON(_ value: some Encodable, pretty: Bool = true) throws {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
    emit(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Writes a line to standard output at once (unbuffered), for output other programs follow as it comes.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

enum TableFormat {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
