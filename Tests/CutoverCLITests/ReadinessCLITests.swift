import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

/// `cutover readiness` and the gate on `flow set --mode new`, over exchanges seeded straight into the audit store.
@Suite("readiness gate", .timeLimit(.minutes(3)))
struct ReadinessCLITests {
    let flow = "purchase-order-create"  // promote_when: 1,000 compared exchanges, 99.9 % matching

    /// `count` exchanges of the flow, compared with `verdict`, a minute ago.
    func seed(_ client: PostgresClient, count: Int, verdict: String) async throws {
        try await client.run("SELECT cutover.ensure_audit_partitions(now(), 1)", logger: TestPostgres.logger)
        try await client.run(
            """
            WITH e AS (
                INSERT INTO cutover.exchanges (id, flow, kind, correlation_id, mode, served_by, started_at)
                SELECT gen_random_uuid(), \(flow), 'call', \(verdict) || '-' || g, 'shadow', 'legacy',
                       now() - interval '1 minute'
                FROM generate_series(1, \(count)) g
                RETURNING id, started_at)
            INSERT INTO cutover.comparisons (id, exchange_id, exchange_started_at, flow, verdict, compared_at)
            SELECT gen_random_uuid(), id, started_at, \(flow), \(verdict), now() FROM e
            """, logger: TestPostgres.logger)
    }

    @Test("readiness and the move to new follow promote_when; the figures are stored with the change")
    func gate() async throws {
        let url = try await TestPostgres.makeDatabase("ready")
        let home = TemporaryDirectory("home")
        let env = ["DATABASE_URL": url.connectionString, "CUTOVER_HOME": home.path, "USER": "cli-test"]
        #expect(try await CutoverProcess.run(["migrate"], environment: env).status == 0)
        for (mode, extra) in [("shadow", [String]()), ("canary", ["--percent", "50"])] {
            let moved = try await CutoverProcess.run(
                ["flow", "set", flow, "--mode", mode, "--reason", "test"] + extra, environment: env)
            #expect(moved.status == 0, "\(moved.stderr)")
        }
        try await TestPostgres.withClient(url) { client in
            try await seed(client, count: 998, verdict: "match")
            try await seed(client, count: 2, verdict: "mismatch")
            try await seed(client, count: 50, verdict: "not_compared")
        }
        let notReady = try await CutoverProcess.run(["readiness", flow], environment: env)
        #expect(notReady.status == 1)
        #expect(notReady.stdout.contains("99.8%"), "\(notReady.stdout)")
        #expect(notReady.stdout.contains("match rate 99.8% below 99.9%"))
        let refused = try await CutoverProcess.run(
            ["flow", "set", flow, "--mode", "new", "--reason", "cutover weekend"], environment: env)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("not ready for new"), "\(refused.stderr)")

        try await TestPostgres.withClient(url) { client in try await seed(client, count: 1_000, verdict: "match") }
        let json = try await CutoverProcess.run(["readiness", flow, "--json"], environment: env)
        #expect(json.status == 0, "\(json.stdout)")
        let assessment = try JSONDecoder().decode([Figures].self, from: Data(json.stdout.utf8)).first
        #expect(assessment?.compared == 2_000)
        #expect(assessment?.matches == 1_998)
        #expect(assessment?.notCompared == 50)
        #expect(assessment?.passes == true)
        let moved = try await CutoverProcess.run(
            ["flow", "set", flow, "--mode", "new", "--reason", "cutover weekend"], environment: env)
        #expect(moved.status == 0, "\(moved.stderr)")
        try await TestPostgres.withClient(url) { client in
            var stored: String?
            for try await (figures, ) in try await client.query(
                "SELECT figures::text FROM cutover.flow_changes WHERE flow = \(flow) AND to_mode = 'new'",
                logger: TestPostgres.logger
            ).decode((String?,).self) {
                stored = figures
            }
            #expect(stored?.contains(#""matches": 1998"#) == true, "\(stored ?? "none")")
            #expect(stored?.contains(#""passes": true"#) == true)
        }
    }

    @Test("cutover report writes json, md and csv for a flow")
    func report() async throws {
        let url = try await TestPostgres.makeDatabase("report")
        let home = TemporaryDirectory("home")
        let env = ["DATABASE_URL": url.connectionString, "CUTOVER_HOME": home.path, "USER": "cli-test"]
        #expect(try await CutoverProcess.run(["migrate"], environment: env).status == 0)
        try await TestPostgres.withClient(url) { client in
            try await seed(client, count: 7, verdict: "match")
            try await seed(client, count: 3, verdict: "mismatch")
        }
        let out = TemporaryDirectory("reports")
        for format in ["json", "md", "csv"] {
            let run = try await CutoverProcess.run(
                ["report", "--flow", flow, "--since", "1h", "--format", format, "--out", out.path], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let json = try String(contentsOfFile: out.file("report-\(flow).json"), encoding: .utf8)
        #expect(json.contains(#""exchanges" : 10"#), "\(json)")
        let markdown = try String(contentsOfFile: out.file("report-\(flow).md"), encoding: .utf8)
        #expect(markdown.contains("| mismatch | 3 |"))
        let csv = try String(contentsOfFile: out.file("report-\(flow).csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1, "seeded mismatches carry no field diff: header only")
    }

    struct Figures: Decodable {
        var compared: Int
        var matches: Int
        var notCompared: Int
        var passes: Bool
    }
}
