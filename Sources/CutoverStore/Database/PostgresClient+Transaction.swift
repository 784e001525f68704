import Logging
import PostgresNIO

extension PostgresClient {
    /// `withTransaction` that rethrows the closure's own error unwrapped, so typed errors such as
    /// ``FlowStateError`` reach callers as themselves.
    public func transaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws
        -> sending T
    {
        do {
            return try await withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }
}
