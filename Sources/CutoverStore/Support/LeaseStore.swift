import Foundation
import Logging
import PostgresNIO

/// Leases on work only one instance may do at a time (a file in `processing/`, a database job's run): rows in
/// `cutover.leases`, renewed while the work goes on.
public struct LeaseStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` holding the lease on (`scope`, `key`), renewed every third of `ttl` while `body` runs, and
    /// released afterwards. Returns nil without running `body` when another owner holds a live lease. If a renewal
    /// finds the lease taken over (it lapsed while this instance could not reach PostgreSQL), `body`'s task is
    /// cancelled: it stops at its next checkpoint and leaves the work to its new holder.
    public func withLease<T: Sendable>(
        scope: String, key: String, owner: String, ttl: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let seconds = Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18
        let taken = try await client.query(
            """
            INSERT INTO cutover.leases AS l (scope, key, owner, expires_at)
            VALUES (\(scope), \(key), \(owner), now() + make_interval(secs => \(seconds)))
            ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE l.expires_at < now() OR l.owner = excluded.owner
            RETURNING 1
            """, logger: logger)
        var held = false
        for try await _ in taken { held = true }
        guard held else { return nil }
        let outcome: Result<T, any Error> = await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask {
                do {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: ttl / 3)
                    if Task.isCancelled { break }
                    do {
                        let renewed = try await client.query(
                            """
                            UPDATE cutover.leases SET expires_at = now() + make_interval(secs => \(seconds))
                            WHERE scope = \(scope) AND key = \(key) AND owner = \(owner)
                            RETURNING 1
                            """, logger: logger)
                        var still = false
                        for try await _ in renewed { still = true }
                        if !still {
                            logger.error(
                                "lost a lease: leaving the work to its new holder",
                                metadata: ["scope": "\(scope)", "key": "\(key)"])
                            return .failure(LeaseLost(scope: scope, key: key))
                        }
                    } catch {
                        // PostgreSQL away: keep working; the lease is renewed once it is back (or lapses).
                        logger.warning("could not renew a lease", metadata: ["scope": "\(scope)", "error": "\(error)"])
                    }
                }
                return nil
            }
            // The first to finish decides: the body's outcome, or the lease lost (the body is then cancelled).
            var result: Result<T, any Error>?
            while let next = await group.next() {
                if let next, result == nil {
                    result = next
                    group.cancelAll()
                }
            }
            return result ?? .failure(CancellationError())
        }
        try? await client.run(
            "DELETE FROM cutover.leases WHERE scope = \(scope) AND key = \(key) AND owner = \(owner)", logger: logger)
        return try outcome.get()
    }
}

/// A renewal found the lease held by another owner.
public struct LeaseLost: Error, CustomStringConvertible, Sendable {
    public var scope: String
    public var key: String
    public var description: String { "the lease on \(scope) \(key) was taken over" }
}
