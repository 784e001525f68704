import CutoverCore
import CutoverStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Runs each db-job flow on its schedule (`schedule.every` or `schedule.cron`). Every instance looks twice a second;
/// a due run is taken by moving the flow's `next_run_at` on in one statement, so of several instances exactly one
/// gets each run, and the job's lease keeps it from overlapping a manual run or a previous one still going.
public struct DBJobScheduler: Service {
    let runners: [DBJobRunner]
    let store: JobStore
    let interval: Duration
    let startWhen: @Sendable () async -> Void
    let logger: Logger

    public init(
        runners: [DBJobRunner], store: JobStore, interval: Duration = .milliseconds(500),
        startWhen: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) {
        self.runners = runners
        self.store = store
        self.interval = interval
        self.startWhen = startWhen
        self.logger = logger
    }

    public func run() async throws {
        guard !runners.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await startWhen()
            // One pool per legacy database, run for as long as the scheduler runs.
            var pools: [String: PostgresClient] = [:]
            for runner in runners where pools[runner.flow.job.databaseURL] == nil {
                do {
                    pools[runner.flow.job.databaseURL] = PostgresClient(
                        configuration: try DatabaseURL(runner.flow.job.databaseURL).clientConfiguration(),
                        backgroundLogger: logger)
                } catch {
                    logger.error(
                        "the legacy database URL is not usable: the job will not run",
                        metadata: ["cutover.flow": "\(runner.flow.name)", "error": "\(error)"])
                }
            }
            let legacyPools = pools
            await withDiscardingTaskGroup { group in
                for pool in legacyPools.values { group.addTask { await pool.run() } }
                await withDiscardingTaskGroup { flows in
                    for runner in runners {
                        guard let pool = legacyPools[runner.flow.job.databaseURL] else { continue }
                        flows.addTask { await schedule(runner, legacy: pool) }
                    }
                }
                group.cancelAll()
            }
        }
    }

    func schedule(_ runner: DBJobRunner, legacy: PostgresClient) async {
        let flow = runner.flow
        var seeded = false
        while !Task.isCancelled {
            do {
                if !seeded {
                    try await store.seedSchedule(
                        flow: flow.name, schedule: flow.scheduleText, first: flow.nextRun(after: Date()))
                    seeded = true
                }
                if let slot = try await store.takeDue(flow: flow.name, next: flow.nextRun(after: Date())) {
                    if try await runner.run(legacy: legacy, trigger: "schedule", slot: slot) == nil {
                        logger.warning(
                            "a scheduled run was skipped: the job is still running elsewhere",
                            metadata: ["cutover.flow": "\(flow.name)", "slot": "\(slot)"])
                    }
                }
            } catch {
                logger.error(
                    "database job scheduling failed; trying again",
                    metadata: ["cutover.flow": "\(flow.name)", "error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
