import CutoverStore
import Foundation

/// A `cutover serve` child process on a free loopback port, ready (its `/ready` answered 200) when `start` returns.
public struct ServeProcess {
    public let process: CutoverProcess
    public let port: Int
    public var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `cutover serve` with `arguments` (besides `--listen`) against `database`, its home in `home`, and
    /// `environment` added (the simulators' addresses, log format, OTLP endpoint...).
    public static func start(
        database: DatabaseURL, home: TemporaryDirectory, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ServeProcess {
        guard let port = FreePort.loopback() else { throw FixtureError(description: "no free loopback port") }
        let process = try CutoverProcess(
            ["serve", "--listen", "127.0.0.1:\(port)"] + arguments,
            environment: environment.merging([
                "DATABASE_URL": database.connectionString, "CUTOVER_HOME": home.path,
            ]) { $1 })
        let ready = try await poll(every: .milliseconds(100), for: .seconds(60)) {
            await httpGet("http://127.0.0.1:\(port)/ready")?.status == 200
        }
        guard ready else { throw FixtureError(description: "cutover serve did not become ready: \(process.stderr)") }
        return ServeProcess(process: process, port: port)
    }

    /// SIGTERM, then the exit status.
    public func stop() async throws -> Int32 {
        process.signal(SIGTERM)
        return try await process.wait(timeout: .seconds(30))
    }
}
