import ArgumentParser
import CutoverConfig

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check adapter definitions; print every problem as file:line:column and exit 2 if there is any."
    )

    @Argument(help: "Directory of adapter definitions.")
    var directory: String = "adapters"

    func run() throws {
        let context = CLIContext()
        let (flows, diagnostics) = AdapterLoader(environment: context.environment).check(directory: directory)
        for diagnostic in diagnostics { printError(diagnostic.description) }
        guard diagnostics.isEmpty else {
            printError("\(diagnostics.count) problem\(diagnostics.count == 1 ? "" : "s") found")
            throw CLIExit.invalidConfiguration
        }
        for flow in flows {
            print("ok  \(flow.flow) (\(flow.kind.rawValue), initial mode \(flow.initialMode)) from \(flow.sourceFile)")
        }
    }
}
