import CutoverConfig
import CutoverStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Brings the database to where this build needs it, seeds newly seen flows, then keeps audit partitions created
/// ahead (at start and every 12 hours) for as long as the server runs.
struct StartupAndUpkeep: Service {
    let client: PostgresClient
    let flows: [FlowDefinition]
    let readiness: Readiness
    let logger: Logger
    var upkeepInterval: Duration = .seconds(12 * 3600)

    func run() async throws {
        let report = try await Migrator(client: client, migrations: try Migration.bundled(), logger: logger).migrate()
        if !report.applied.isEmpty {
            logger.notice(
                "applied migrations", metadata: ["cutover.migrations": "\(report.applied.joined(separator: ","))"])
        }
        let seeded = try await FlowStateStore(client: client, logger: logger)
            .seed(flows.map { ($0.flow, $0.initialMode, $0.sourceFile) })
        if !seeded.isEmpty {
            logger.notice(
                "seeded flows from their adapters", metadata: ["cutover.flows": "\(seeded.joined(separator: ","))"])
        }
        let maintenance = AuditMaintenance(client: client, logger: logger)
        try await maintenance.ensurePartitionsAhead(months: 3)
        readiness.markReady(flows: flows.count)
        logger.info("cutover is ready", metadata: ["cutover.flow_count": "\(flows.count)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: upkeepInterval) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            do {
                try await maintenance.ensurePartitionsAhead(months: 3)
            } catch {
                logger.error(
                    "could not create audit partitions ahead", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
