import ArgumentParser
import CutoverReports
import CutoverStore
import Foundation

/// `cutover report`: the parallel-run evidence per flow and period, aggregated in SQL.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Parallel-run report per flow: volume, verdicts, differing fields, latency, mode changes, readiness.",
        discussion: """
            html (a self-contained page with charts), json and md print the report; csv prints one line per \
            occurrence of a differing field. With --out, each \
            flow's report is written to DIR/report-FLOW.EXT instead.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html, json, md, csv
    }

    @Option(help: "One flow (default: every flow in --config).") var flow: String?
    @Option(help: "Period, back from now: 24h, 7d, 30d.") var since = "24h"
    @Option(help: "html, json, md or csv.") var format = Format.md
    @Option(help: "Directory to write the reports to (default: standard output).") var out: String?
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let definitions = try FlowSeeding.definitionsIfPresent(context, config.directory)
        let window = try ReadinessCheck.since(since)
        let flows = flow.map { [$0] } ?? definitions.map(\.flow)
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let interactive = isatty(STDERR_FILENO) == 1
        let (format, out) = (format, out)
        try await context.withDatabase { client, _ in
            for flow in flows {
                let criteria = definitions.first { $0.flow == flow }?.rollout.promoteWhen
                let path = out.map { "\($0)/report-\(flow).\(format.rawValue)" }
                if format == .csv {
                    let csv = ReportCSV(client: client, logger: context.logger)
                    if let path {
                        try await csv.write(flow: flow, since: window, to: path)
                    } else {
                        try await csv.write(flow: flow, since: window, to: FileHandle.standardOutput)
                    }
                    continue
                }
                let report = try await ReportBuilder(client: client, logger: context.logger).build(
                    flow: flow, since: window, minimumExchanges: criteria?.minimumExchanges,
                    minimumMatchRate: criteria?.minimumMatchRate,
                    progress: { step in
                        if interactive { FileHandle.standardError.write(Data("report \(flow): \(step)…\n".utf8)) }
                    })
                let text: String
                switch format {
                case .html: text = ReportHTML.render(report)
                case .json: text = try ReportText.json(report)
                case .md, .csv: text = ReportText.markdown(report)
                }
                if let path {
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    print(path)
                } else {
                    print(text)
                }
            }
        }
    }
}
