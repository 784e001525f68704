import CutoverStore
import Foundation
import Logging
import ServiceLifecycle

/// Applies scheduled mode changes when they fall due. Every instance runs one; a change is applied by whichever
/// sees it first, once (see `ScheduleStore`), through the same gate as a change made now.
struct ScheduledChangeRunner: Service {
    let control: FlowControl
    let watcher: FlowStateWatcher
    let instance: String
    let interval: Duration
    let startWhen: @Sendable () async -> Void
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await startWhen() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                for change in try await control.applyDueChanges(by: instance) {
                    let metadata: Logger.Metadata = [
                        "cutover.flow": "\(change.flow)", "cutover.schedule_id": "\(change.id)",
                        "outcome": "\(change.outcome ?? "")",
                    ]
                    if change.state == .applied {
                        logger.notice("applied a scheduled mode change", metadata: metadata)
                    } else {
                        logger.error("a scheduled mode change could not be applied", metadata: metadata)
                    }
                    try? await watcher.refresh()
                }
            } catch {
                logger.warning(
                    "could not apply scheduled changes", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
