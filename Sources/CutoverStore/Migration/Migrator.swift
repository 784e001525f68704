import Logging
import PostgresNIO

/// Applies pending migrations in order, each in its own transaction, recorded in `cutover.schema_migrations`.
///
/// A session advisory lock serialises concurrent runs; the second run finds nothing left to do. An applied migration
/// whose file has since changed stops everything: the database and the code no longer agree.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: Int
    }

    static let lockKey: Int64 = 0x4375_746f_7665_7201  // "Cutover" + 1

    let client: PostgresClient
    let migrations: [Migration]
    let logger: Logger

    public init(client: PostgresClient, migrations: [Migration], logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    public func migrate() async throws -> Report {
        try await client.withConnection { connection in
            try await connection.run("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let report = try await migrateLocked(connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return report
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> Report {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS cutover", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS cutover.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM cutover.schema_migrations", logger: logger
        ).decode((Int, String).self) {
            applied[version] = checksum
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError(
                    code: .unknownApplied,
                    message:
                        "the database has migration \(version), which this build does not know: run a newer cutover"
                )
            }
            guard migration.checksum == checksum else {
                throw MigrationError(
                    code: .changedAfterApply,
                    message: "migration \(migration.name) was applied and has changed since (checksum differs): "
                        + "restore the file and add a new migration instead"
                )
            }
        }
        var report = Report(applied: [], alreadyApplied: applied.count)
        for migration in migrations where applied[migration.version] == nil {
            try await apply(migration, on: connection)
            report.applied.append(migration.name)
        }
        return report
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.info("applying migration", metadata: ["cutover.migration": "\(migration.name)"])
        try await connection.query("BEGIN", logger: logger)
        for statement in SQLScript.statements(in: migration.sql) {
            do {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
            } catch let error as PSQLError {
                throw MigrationError(
                    code: .failed,
                    message: "migration \(migration.name) failed: \(error.serverInfo?[.message] ?? "\(error.code)")"
                )
            }
        }
        try await connection.query(
            """
            INSERT INTO cutover.schema_migrations (version, name, checksum)
            VALUES (\(migration.version), \(migration.name), \(migration.checksum))
            """, logger: logger)
        try await connection.query("COMMIT", logger: logger)
    }
}
