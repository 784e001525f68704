import Logging
import PostgresNIO

// `query` returns as soon as the server has bound a statement that returns rows — before it ran. An error after
// that reaches only whoever reads the rows; inside a transaction nobody would, and the COMMIT that follows would
// quietly roll back. Statements run for their effect go through `run`, which reads the result to its end.

extension PostgresConnection {
    /// Runs `query` to completion (rows read and dropped), so its errors surface here.
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresClient {
    /// Runs `query` to completion on a pool connection (rows read and dropped), so its errors surface here.
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
