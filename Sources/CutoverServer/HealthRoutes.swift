import CutoverCore
import CutoverStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `GET /health` (the process is alive) and `GET /ready` (PostgreSQL answers, flows are loaded and seeded).
struct HealthRoutes: Sendable {
    let client: PostgresClient
    let readiness: Readiness
    let watcher: FlowStateWatcher
    let logger: Logger

    func register(on router: Router<BasicRequestContext>) {
        router.get("health") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("ready") { _, _ in
            await ready()
        }
    }

    private func ready() async -> Response {
        var problems: [String] = []
        if !readiness.isReady { problems.append("starting") }
        do {
            _ = try await withDeadline(.seconds(2)) { [client, logger] in
                try await client.query("SELECT 1", logger: logger)
            }
        } catch {
            problems.append("database unreachable")
        }
        let known = watcher.all().count
        if readiness.isReady, known < readiness.flowCount { problems.append("flow state not loaded") }
        let body: JSONValue =
            problems.isEmpty
            ? .object([("status", .string("ready")), ("flows", .number(String(known)))])
            : .object([("status", .string("not ready")), ("problems", .array(problems.map(JSONValue.string)))])
        return Response(
            status: problems.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body.text))
        )
    }
}
