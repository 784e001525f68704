import ArgumentParser
import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation

/// `cutover drop FLOW FILE`: one file through a file-drop flow now, exactly as its watcher would take it.
struct DropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Put one file through a file-drop flow now, as its watcher would, and print the result.",
        discussion: """
            FILE is moved (or, with --copy, copied) into the flow's processing/ folder, claimed by its SHA-256, \
            routed by the flow's live mode, and settled into done/ or failed/ with <name>.result.json beside it. \
            The same bytes processed before are a duplicate and go nowhere. Use it to push a late file through, \
            or to run a file again from failed/ after its producer fixed it. Exits 1 when the file failed.
            """
    )

    @Argument var flow: String
    @Argument(help: "The file to process.") var file: String
    @Flag(help: "Copy the file instead of moving it.") var copy = false
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let context = CLIContext()
        let definitions = try context.loadAdapters(config.directory)
        let name = flow
        guard let definition = definitions.first(where: { $0.flow == name }), definition.kind == .fileDrop else {
            printError("error: no file-drop flow named '\(name)' in \(config.directory)")
            throw CLIExit.failure
        }
        let fileDrop = try FileDropFlow(definition)
        try fileDrop.createDirectories()
        let target = URL(fileURLWithPath: fileDrop.processingDirectory)
            .appendingPathComponent(URL(fileURLWithPath: file).lastPathComponent).path
        guard !FileManager.default.fileExists(atPath: target) else {
            printError("error: \(target) is already being processed")
            throw CLIExit.failure
        }
        if copy {
            try FileManager.default.copyItem(atPath: file, toPath: target)
        } else {
            try FileManager.default.moveItem(atPath: file, toPath: target)
        }
        let key = try context.redactionKey()
        let result = try await context.withFlow(definition) { client, setting, erp in
            try await FileDropProcessor(
                flow: fileDrop, modes: FixedModes([name: setting]), erp: erp,
                audit: DirectAuditWrite(client: client, logger: context.logger),
                claims: FileClaimStore(client: client, logger: context.logger), redactor: Redactor(key: key),
                instance: "cutover drop (\(ProcessInfo.processInfo.processIdentifier))", logger: context.logger
            ).process(target)
        }
        guard let result else {
            printError("error: another instance holds \(target)")
            throw CLIExit.failure
        }
        print(result.json())
        if result.error != nil || result.failed > 0 { throw CLIExit.failure }
    }
}
