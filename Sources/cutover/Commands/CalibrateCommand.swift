import ArgumentParser
import CutoverConfig
import CutoverCore
import CutoverStore
import Foundation

/// `cutover calibrate FLOW`: the fields that differ between two legacy answers to one request (noise), and with
/// `--adopt`, those fields added to the flow's `compare.ignore`.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract:
            "List the noisy fields noise calibration found (legacy vs legacy); --adopt adds them to compare.ignore.",
        discussion: """
            A flow with compare.calibrate sends a sample of its read-only operations to legacy twice (cutover serve \
            does this off the callers' path). A field that differs between two legacy answers differs for reasons \
            that have nothing to do with the new side — a timestamp, a server name — and would show as a mismatch \
            in every comparison. --adopt writes those fields into the adapter's compare.ignore, keeping the file's \
            comments and layout, and checks that the adapter still validates.
            """
    )

    @Argument var flow: String
    @Option(help: "Calibration runs back from now: 24h, 7d.") var since = "7d"
    @Option(help: "A field is noise when it differed in at least this share of runs (0 to 1).")
    var threshold = 0.0
    @Flag(help: "Add the noisy fields to the adapter's compare.ignore.") var adopt = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let definitions = try context.loadAdapters(config.directory)
        guard let definition = definitions.first(where: { $0.flow == flow }) else {
            printError("error: no flow named '\(flow)' in \(config.directory)")
            throw CLIExit.failure
        }
        if definition.compare.calibrate == nil {
            printError("note: \(flow) has no compare.calibrate, so cutover serve does not calibrate it")
        }
        let window = try ReadinessCheck.since(since)
        let name = flow
        let noisy = try await context.withDatabase { client, _ in
            try await CalibrationStore(client: client, logger: context.logger).noise(flow: name, since: window)
        }.filter { $0.runs > 0 && Double($0.occurrences) / Double($0.runs) >= threshold }
        if json {
            try printJSON(noisy)
        } else if noisy.isEmpty {
            print("\(flow): no field differed between two legacy answers since \(TableFormat.time(window))")
        } else {
            print(
                TableFormat.render(
                    header: ["IGNORE ENTRY", "DIFFERED", "EXAMPLE (first answer → second answer)"],
                    rows: noisy.map { field in
                        let example = field.examples.first.map {
                            "\($0.first.flatMap { $0 } ?? "-") → \($0.last.flatMap { $0 } ?? "-")"
                        }
                        return [
                            field.ignoreEntry, "\(field.occurrences) of \(field.runs) runs", example ?? "",
                        ]
                    }))
        }
        guard adopt else { return }
        let entries = noisy.map(\.ignoreEntry).filter { !definition.compare.ignore.contains($0) }
        guard !entries.isEmpty else {
            print("nothing to adopt: compare.ignore already holds every noisy field")
            return
        }
        try Self.adopt(entries, into: definition, environment: context.environment)
        print("added to compare.ignore in \(definition.sourceFile): \(entries.joined(separator: ", "))")
    }

    /// Writes the entries into the adapter file, then loads it again: the file is replaced only when it still
    /// validates and its ignore list now holds them.
    static func adopt(_ entries: [String], into definition: FlowDefinition, environment: [String: String]) throws {
        let path = definition.sourceFile
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let note = "noise calibration, \(Date().formatted(.iso8601.year().month().day()))"
        let updated: String
        do {
            updated = try IgnoreAdoption.adopt(entries, into: text, note: note)
        } catch {
            printError("error: \(path): \(error)")
            throw CLIExit.failure
        }
        let candidate = path + ".calibrate-tmp.yaml"
        try updated.write(toFile: candidate, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: candidate) }
        let (reloaded, diagnostics) = AdapterLoader(environment: environment).loadFile(candidate)
        guard let reloaded, diagnostics.isEmpty,
            entries.allSatisfy(reloaded.compare.ignore.contains)
        else {
            for diagnostic in diagnostics { printError(diagnostic.description) }
            printError("error: the edited adapter would not validate; \(path) is unchanged")
            throw CLIExit.failure
        }
        // rename(2): the adapter is either the old file or the new one, never half of each.
        guard rename(candidate, path) == 0 else {
            printError("error: could not replace \(path): \(String(cString: strerror(errno)))")
            throw CLIExit.failure
        }
    }
}
