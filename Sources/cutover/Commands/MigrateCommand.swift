import ArgumentParser
import CutoverStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, in order, each in its own transaction."
    )

    func run() async throws {
        let context = CLIContext(logLevel: .notice)
        let report = try await context.withDatabase(migrate: false) { client, url in
            try await Migrator(client: client, migrations: try Migration.bundled(), logger: context.logger).migrate()
        }
        for name in report.applied { print("applied \(name)") }
        print("\(report.applied.count) applied, \(report.alreadyApplied) already in place")
    }
}
