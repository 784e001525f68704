import CutoverCore
import CutoverServer
import CutoverStore
import CutoverTesting
import Foundation
import PostgresNIO
import Testing

@Suite("Admin API", .timeLimit(.minutes(3)))
struct AdminAPITests {
    static let flow = FacadeFixture.flow

    /// A token per role, and a revoked one.
    struct Tokens {
        var viewer: String
        var `operator`: String
        var admin: String
        var revoked: String

        func of(_ role: Role) -> String {
            switch role {
            case .viewer: viewer
            case .operator: self.operator
            case .admin: admin
            }
        }
    }

    static func tokens(_ client: PostgresClient) async throws -> Tokens {
        let store = TokenStore(client: client, logger: TestPostgres.logger)
        let revoked = try await store.create(name: "gone", role: .admin, actor: "test").secret
        _ = try await store.revoke(name: "gone", actor: "test")
        return Tokens(
            viewer: try await store.create(name: "vera-viewer", role: .viewer, actor: "test").secret,
            operator: try await store.create(name: "otto-operator", role: .operator, actor: "test").secret,
            admin: try await store.create(name: "ada-admin", role: .admin, actor: "test").secret, revoked: revoked)
    }

    struct Call: Sendable {
        var method: String
        var path: String
        var body: String?
        /// The least role that may make it.
        var role: Role
        /// Its status when made with that role (made last, after the refused attempts).
        var status: Int
    }

    func request(_ fixture: FacadeFixture, _ call: Call, token: String?) async throws -> (
        status: Int, headers: [String: String], body: String
    ) {
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try #require(
            await httpRequest(
                call.method, "http://127.0.0.1:\(fixture.server.port)\(call.path)", headers: headers,
                body: call.body.map { Array($0.utf8) }))
    }

    @Test("each endpoint: 401 without a live token, 403 below its role, served at and above it")
    func roleMatrix() async throws {
        try await FacadeFixture.run { fixture in
            let tokens = try await Self.tokens(fixture.client)
            let flowPath = "/admin/flows/\(Self.flow)"
            let soon = Date().addingTimeInterval(3600).formatted(.iso8601)
            let calls: [Call] = [
                Call(method: "GET", path: "/admin/flows", role: .viewer, status: 200),
                Call(method: "GET", path: flowPath, role: .viewer, status: 200),
                Call(method: "GET", path: flowPath + "/history", role: .viewer, status: 200),
                Call(
                    method: "PUT", path: flowPath, body: #"{"mode": "shadow", "reason": "start the parallel run"}"#,
                    role: .operator, status: 200),
                Call(
                    method: "PUT", path: flowPath,
                    body: #"{"mode": "canary", "percent": 10, "reason": "monday", "at": "\#(soon)"}"#,
                    role: .operator, status: 202),
                Call(
                    method: "POST", path: flowPath + "/schedule",
                    body: #"{"mode": "canary", "percent": 5, "reason": "tuesday", "at": "\#(soon)"}"#,
                    role: .operator, status: 201),
                Call(method: "GET", path: flowPath + "/schedule", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/schedule", role: .viewer, status: 200),
                Call(method: "DELETE", path: "/admin/schedule/1", role: .operator, status: 200),
                Call(
                    method: "POST", path: flowPath + "/rollback", body: #"{"reason": "drill"}"#, role: .operator,
                    status: 200),
                Call(method: "GET", path: "/admin/readiness", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/report?flow=\(Self.flow)&format=json", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/report?flow=\(Self.flow)&format=csv", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/report?flow=\(Self.flow)&format=md", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/report?flow=\(Self.flow)&format=html", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/audit?flow=\(Self.flow)", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/guard", role: .viewer, status: 200),
                Call(method: "GET", path: "/admin/tokens", role: .admin, status: 200),
                Call(
                    method: "POST", path: "/admin/tokens", body: #"{"name": "night-shift", "role": "operator"}"#,
                    role: .admin, status: 201),
                Call(method: "DELETE", path: "/admin/tokens/night-shift", role: .admin, status: 200),
            ]
            for call in calls {
                let label = "\(call.method) \(call.path)"
                for token in [nil, "cutover_not-a-real-token", tokens.revoked] {
                    let refused = try await request(fixture, call, token: token)
                    #expect(refused.status == 401, "\(label)")
                    #expect(
                        refused.body
                            == #"{"error":{"code":"unauthorized","message":"a valid bearer token is required"}}"#,
                        "\(label)")
                    #expect(refused.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(label)")
                }
                for role in Role.allCases where !role.permits(call.role) {
                    let refused = try await request(fixture, call, token: tokens.of(role))
                    #expect(refused.status == 403, "\(label) as \(role)")
                    #expect(refused.body.contains(#""code":"forbidden""#), "\(label) as \(role)")
                }
                // The least role that may, then (for reads) every role above it.
                let allowed = Role.allCases.filter { $0.permits(call.role) }
                let reads = call.method == "GET"
                for role in reads ? allowed : [call.role] {
                    let served = try await request(fixture, call, token: tokens.of(role))
                    #expect(served.status == call.status, "\(label) as \(role): \(served.body)")
                }
            }
            // What the operator changed is recorded under the token's name.
            let history = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow)
            #expect(history.prefix(2).map(\.actor) == ["otto-operator", "otto-operator"])
            #expect(history.first?.reason == "drill")
            let schedule = try await ScheduleStore(client: fixture.client, logger: TestPostgres.logger).list(all: true)
            #expect(schedule.map(\.createdBy) == ["otto-operator", "otto-operator"])
            #expect(schedule.first { $0.id == 1 }?.state == .cancelled)
            #expect(schedule.first { $0.id == 1 }?.settledBy == "otto-operator")
        }
    }

    @Test("answers carry what they say: flows with live figures, report formats, audit search, token secrets once")
    func contents() async throws {
        try await FacadeFixture.run { fixture in
            let tokens = try await Self.tokens(fixture.client)
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let call = try await fixture.call(purchaseOrderEnvelope(requestID: "ADMIN-1"))
            await fixture.server.offPath.waitUntilIdle()
            func get(_ path: String, _ role: Role = .viewer) async throws -> (
                status: Int, headers: [String: String], body: String
            ) {
                try await request(
                    fixture, Call(method: "GET", path: path, role: role, status: 200), token: tokens.of(role))
            }
            let flows = try JSONValue.parse(try await get("/admin/flows").body)
            let names = (0..<3).compactMap { flows.value(at: "/\($0)/flow")?.scalarText }
            #expect(names == ["invoice-posting", "pharmacy-stock-export", "purchase-order-create"])
            let one = try JSONValue.parse(try await get("/admin/flows/\(Self.flow)").body)
            #expect(one.value(at: "/mode")?.scalarText == "shadow")
            #expect(one.value(at: "/live/exchanges")?.scalarText == "1")
            #expect(one.value(at: "/live/matches")?.scalarText == "1")
            #expect(try await get("/admin/flows/no-such-flow").status == 404)

            let csv = try await get("/admin/report?flow=\(Self.flow)&format=csv")
            #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            #expect(csv.body.hasPrefix("flow,correlation_id,compared_at,field,legacy,new,rule"))
            let html = try await get("/admin/report?flow=\(Self.flow)&format=html")
            #expect(html.body.contains("id=\"match-rate-chart\""))
            #expect(try await get("/admin/report?flow=\(Self.flow)&format=pdf").status == 400)
            for format in ["json", "md", "csv", "html"] {
                let report = try await get("/admin/report?flow=\(Self.flow)&format=\(format)").body
                #expect(!report.contains("MRN-0042"), "a redacted field never reaches a report (\(format))")
            }
            let audit = try await get("/admin/audit?flow=\(Self.flow)").body
            #expect(!audit.contains("MRN-0042"))

            let found = try JSONValue.parse(try await get("/admin/audit?correlation_id=\(call.correlationID)").body)
            #expect(found.value(at: "/0/correlationID")?.scalarText == call.correlationID)
            #expect(found.value(at: "/0/verdict")?.scalarText == "match")
            #expect(found.value(at: "/1") == nil)
            #expect(try await get("/admin/audit?verdict=nonsense").status == 400)

            let readiness = try JSONValue.parse(try await get("/admin/readiness?flow=\(Self.flow)").body)
            #expect(readiness.value(at: "/0/passes") == .bool(false))

            // A move to new without the evidence is refused with the reason; a bad body is a 400.
            let refused = try await request(
                fixture,
                Call(
                    method: "PUT", path: "/admin/flows/\(Self.flow)", body: #"{"mode": "new", "reason": "hurry"}"#,
                    role: .operator, status: 409), token: tokens.operator)
            #expect(refused.status == 409)
            #expect(refused.body.contains("refused_transition"))
            let bad = try await request(
                fixture,
                Call(method: "PUT", path: "/admin/flows/\(Self.flow)", body: "{", role: .operator, status: 400),
                token: tokens.operator)
            #expect(bad.status == 400)

            // A created token is shown once and works; the list never shows a secret.
            let created = try await request(
                fixture,
                Call(
                    method: "POST", path: "/admin/tokens", body: #"{"name": "dashboard", "role": "viewer"}"#,
                    role: .admin, status: 201), token: tokens.admin)
            let secret = try #require(try JSONValue.parse(created.body).value(at: "/secret")?.scalarText)
            #expect(
                try await request(
                    fixture, Call(method: "GET", path: "/admin/flows", role: .viewer, status: 200), token: secret
                ).status == 200)
            let list = try await get("/admin/tokens", .admin).body
            #expect(!list.contains(secret) && !list.contains(tokens.viewer))
        }
    }

    @Test("a change scheduled through the API is applied by the running server when due, once")
    func scheduledChangeApplied() async throws {
        try await FacadeFixture.run { fixture in
            let tokens = try await Self.tokens(fixture.client)
            let due = Date().addingTimeInterval(1).formatted(.iso8601)
            let planned = try await request(
                fixture,
                Call(
                    method: "PUT", path: "/admin/flows/\(Self.flow)",
                    body: #"{"mode": "shadow", "reason": "CHG-7 parallel run", "at": "\#(due)"}"#, role: .operator,
                    status: 202), token: tokens.operator)
            #expect(planned.status == 202)
            #expect(fixture.server.modes.setting(of: Self.flow) == .legacy, "not before it is due")
            let applied = try await poll(for: .seconds(10)) {
                fixture.server.modes.setting(of: Self.flow) == ModeSetting(mode: .shadow)
            }
            #expect(applied)
            let schedule = try await ScheduleStore(client: fixture.client, logger: TestPostgres.logger).list(all: true)
            #expect(schedule.map(\.state) == [.applied])
            let history = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow)
            #expect(history.count == 2)
            #expect(history.first?.actor == "otto-operator (scheduled #1)")
        }
    }
}
