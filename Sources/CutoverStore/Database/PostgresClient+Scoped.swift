import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a pool on `url`, running the pool for exactly the duration of `body`.
    ///
    /// For commands and tests; a server runs its pool as a Service in its ServiceGroup instead.
    public static func withClient<T: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
