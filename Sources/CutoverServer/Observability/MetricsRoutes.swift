import CutoverStore
import Hummingbird
import NIOCore

/// `GET /metrics`: Prometheus text format (version 0.0.4). Unauthenticated, as scrapers expect; it carries counts
/// and labels (flow, mode, side, verdict), never payloads.
struct MetricsRoutes: Sendable {
    let metrics: CutoverMetrics
    let watcher: FlowStateWatcher
    let writer: AuditWriter
    let flows: [String]
    let circuits: @Sendable () -> [CircuitReading]
    let deadLetters: DeadLetterStore

    func register(on router: Router<BasicRequestContext>) {
        router.get("metrics") { _, _ in
            let counts = try? await withDeadline(.seconds(2)) { try await deadLetters.pendingCounts() }
            let page = await metrics.render(
                states: watcher.all(), flows: flows, writer: writer, deadLetters: counts, circuits: circuits())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: page)))
        }
    }
}
