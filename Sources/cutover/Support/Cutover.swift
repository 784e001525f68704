import ArgumentParser

struct Cutover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutover",
        abstract: "Move legacy healthcare integrations to a cloud ERP, one flow and one step at a time.",
        discussion: """
            DATABASE_URL names the PostgreSQL server; when it is unset, Cutover runs an embedded cluster under \
            .cutover/ (CUTOVER_HOME). Exit codes: 0 ok, 1 failure, 2 bad usage or invalid configuration.
            """,
        subcommands: [
            DemoCommand.self, ServeCommand.self, ValidateCommand.self, MigrateCommand.self, FlowCommand.self,
            RollbackCommand.self, ReadinessCommand.self, ReportCommand.self, CalibrateCommand.self, ReplayCommand.self,
            AuditCommand.self, DropCommand.self, ReconcileCommand.self, JobCommand.self,
            TokenCommand.self,
            SimCommand.self, CheckCommandsCommand.self,
        ]
    )
}

/// `--config DIR`, shared by the commands that read adapters.
struct ConfigOption: ParsableArguments {
    @Option(name: .customLong("config"), help: "Directory of adapter definitions.")
    var directory: String = "adapters"
}
