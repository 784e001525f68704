import CutoverStore
import CutoverTesting
import PostgresNIO
import Testing

@Suite("Migrations", .timeLimit(.minutes(3)))
struct MigrationTests {
    let logger = TestPostgres.logger

    @Test("apply on an empty database, then a second run changes nothing")
    func applyThenNothing() async throws {
        let url = try await TestPostgres.makeDatabase("migrate")
        try await TestPostgres.withClient(url) { client in
            let migrations = try Migration.bundled()
            let first = try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            #expect(first.applied == migrations.map(\.name))
            #expect(first.alreadyApplied == 0)
            let second = try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == migrations.count)
            let tables = try await client.query(
                "SELECT count(*)::int FROM pg_tables WHERE schemaname = 'cutover' AND tablename IN ('flows', 'flow_changes')",
                logger: logger
            ).decode(Int.self).reduce(0) { $0 + $1 }
            #expect(tables == 2)
        }
    }

    @Test("a migration changed after it was applied stops the run")
    func changedMigration() async throws {
        let url = try await TestPostgres.makeDatabase("migrate")
        try await TestPostgres.withClient(url) { client in
            var migrations = try Migration.bundled()
            _ = try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            migrations[0] = Migration(
                version: migrations[0].version, name: migrations[0].name, sql: migrations[0].sql + "\n-- edited")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            }
            #expect(error?.code == .changedAfterApply)
        }
    }

    @Test("a database with a migration this build does not know is refused")
    func unknownMigration() async throws {
        let url = try await TestPostgres.makeDatabase("migrate")
        try await TestPostgres.withClient(url) { client in
            let migrations = try Migration.bundled()
            _ = try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(client: client, migrations: Array(migrations.dropLast()), logger: logger).migrate()
            }
            #expect(error?.code == .unknownApplied)
        }
    }
}
