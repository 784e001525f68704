import ArgumentParser
import CutoverServer
import CutoverStore
import Foundation
import Logging
import PostgresNIO

/// Parses, runs, and maps errors to DESIGN.md's exit codes: 0 ok, 1 failure, 2 bad usage or invalid configuration.
@main
struct Main {
    static func main() async {
        if ProcessInfo.processInfo.environment["CUTOVER_LOG_FORMAT"] == "json" {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        do {
            var command = try Cutover.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let exit as CLIExit {
            Foundation.exit(exit == .invalidConfiguration ? 2 : 1)
        } catch let error as FlowStateError {
            printError("error: \(error.message)")
            exit(error.code == .refusedTransition || error.code == .missingReason ? 2 : 1)
        } catch let error as PSQLError {
            // The server's message and SQLSTATE only: the query and its bindings may carry data.
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            printError("error: database: \(message)\(state)")
            exit(1)
        } catch {
            let code = Cutover.exitCode(for: error)
            if code == .success {
                print(Cutover.fullMessage(for: error))
                exit(0)
            }
            if code == .validationFailure {
                printError(Cutover.fullMessage(for: error))
                exit(2)
            }
            printError("error: \(Cutover.fullMessage(for: error))")
            exit(1)
        }
    }
}
