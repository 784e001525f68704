import AsyncHTTPClient
import CutoverCore
import CutoverServer
import CutoverStore
import CutoverTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Dashboard", .timeLimit(.minutes(3)))
struct DashboardTests {
    static let flow = FacadeFixture.flow

    struct Seen: Decodable {
        struct Row: Decodable, Equatable {
            var flow: String
            var mode: String
            var rollback: Bool
        }
        struct FlowPage: Decodable {
            var mode: String?
            var charts: [String]
            var modeForm: Bool
        }
        var login_form: Bool
        var signed_in_as: String?
        var rows_before: [Row]
        var message: String?
        var rows_after: [Row]
        var flow_page: FlowPage
    }

    @Test("in headless Chromium an operator signs in, sees every flow, rolls one back and sees the mode change")
    func operatorRollsBack() async throws {
        let browser = try #require(chromiumPath, "chromium is not installed (apt-get install chromium)")
        try await FacadeFixture.run { fixture in
            let token = try await TokenStore(client: fixture.client, logger: TestPostgres.logger)
                .create(name: "olga-operator", role: .operator, actor: "test").secret
            try await fixture.setMode(ModeSetting(mode: .shadow))
            try await fixture.setMode(ModeSetting(mode: .canary, percent: 10))
            _ = try await fixture.call(purchaseOrderEnvelope(requestID: "DASH-1"))
            await fixture.server.offPath.waitUntilIdle()

            let (python, prefix) = pythonCommand
            let output = try await CutoverProcess.run(
                executable: python,
                prefix + [
                    packageRoot() + "/Tests/chromium/dashboard.py", browser, "http://127.0.0.1:\(fixture.server.port)",
                    token, Self.flow,
                ])
            #expect(output.status == 0, "\(output.stderr)")
            let seen = try JSONDecoder().decode(Seen.self, from: Data(output.stdout.utf8))
            #expect(seen.login_form)
            #expect(seen.signed_in_as == "olga-operator")
            #expect(seen.rows_before.map(\.flow) == ["invoice-posting", "pharmacy-stock-export", Self.flow])
            #expect(seen.rows_before.last == Seen.Row(flow: Self.flow, mode: "canary", rollback: true))
            #expect(seen.message?.contains("rolled back to legacy") == true)
            #expect(seen.rows_after.last == Seen.Row(flow: Self.flow, mode: "legacy", rollback: false))
            #expect(seen.flow_page.mode == "legacy")
            #expect(seen.flow_page.modeForm)
            #expect(
                seen.flow_page.charts.contains("match-rate-chart") && seen.flow_page.charts.contains("latency-chart"))

            let latest = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow, limit: 1).first
            #expect(latest?.actor == "olga-operator")
            #expect(latest?.reason == "dashboard drill")
            #expect(fixture.server.modes.setting(of: Self.flow) == .legacy)
        }
    }

    /// Requests without following redirects, so the session cookie and each redirect can be seen.
    struct Browser: Sendable {
        let base: String
        let client: HTTPClient

        func send(_ method: HTTPMethod, _ path: String, cookie: String? = nil, form: [String: String]? = nil)
            async throws -> (status: Int, headers: [String: String], body: String)
        {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let cookie { request.headers.add(name: "Cookie", value: "cutover_session=\(cookie)") }
            if let form {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                let body = form.map { "\(FormEncoding.encode($0.key))=\(FormEncoding.encode($0.value))" }
                request.body = .bytes(ByteBuffer(string: body.joined(separator: "&")))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            let body = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), headers, String(buffer: body))
        }

        /// Signs in; returns the session cookie's value.
        func signIn(_ token: String) async throws -> String? {
            let answer = try await send(.POST, "/login", form: ["token": token])
            guard answer.status == 303, let header = answer.headers["set-cookie"] else { return nil }
            #expect(header.contains("HttpOnly") && header.contains("SameSite=Strict"))
            return header.split(separator: ";").first.map { String($0.dropFirst("cutover_session=".count)) }
        }

        func csrf(in page: String) -> String? {
            guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
            return String(page[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test("forms need the session's CSRF token and an operator; sessions end with their token")
    func csrfAndRoles() async throws {
        try await FacadeFixture.run { fixture in
            let tokens = TokenStore(client: fixture.client, logger: TestPostgres.logger)
            let operatorToken = try await tokens.create(name: "olga", role: .operator, actor: "test").secret
            let viewerToken = try await tokens.create(name: "vic", role: .viewer, actor: "test").secret
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            do {
                try await csrfAndRoles(
                    fixture, Browser(base: "http://127.0.0.1:\(fixture.server.port)", client: client), tokens: tokens,
                    operatorToken: operatorToken, viewerToken: viewerToken)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    func csrfAndRoles(
        _ fixture: FacadeFixture, _ browser: Browser, tokens: TokenStore, operatorToken: String, viewerToken: String
    ) async throws {
        do {

            let signedOut = try await browser.send(.GET, "/")
            #expect(signedOut.body.contains(#"id="login""#) && !signedOut.body.contains(#"id="flows""#))
            #expect(signedOut.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            #expect(try await browser.send(.POST, "/login", form: ["token": "cutover_wrong"]).status == 401)

            let session = try #require(try await browser.signIn(operatorToken))
            let overview = try await browser.send(.GET, "/", cookie: session)
            #expect(overview.body.contains(#"id="flows""#))
            #expect(overview.body.contains(#"class="circuit" data-circuit="closed""#), "the ERP circuit is shown")
            let csrf = try #require(browser.csrf(in: overview.body))

            // No CSRF field, or another session's, or a tampered cookie: refused, nothing changes.
            let rollback = "/flows/\(Self.flow)/rollback"
            #expect(try await browser.send(.POST, rollback, cookie: session, form: ["reason": "x"]).status == 403)
            let viewer = try #require(try await browser.signIn(viewerToken))
            #expect(
                try await browser.send(.POST, rollback, cookie: viewer, form: ["reason": "x", "csrf": csrf]).status
                    == 403)
            let tampered = session.replacingOccurrences(of: ".", with: ".9", options: [], range: nil)
            #expect(
                try await browser.send(.POST, rollback, cookie: tampered, form: ["reason": "x", "csrf": csrf]).status
                    == 303)
            #expect(fixture.server.modes.setting(of: Self.flow) == ModeSetting(mode: .shadow))

            // A viewer sees the flows but no form that changes them, and may not post one with its own CSRF token.
            let viewerPage = try await browser.send(.GET, "/", cookie: viewer).body
            #expect(viewerPage.contains(#"id="flow-purchase-order-create""#))
            #expect(!viewerPage.contains(#"id="rollback-"#))
            let viewerCSRF = try #require(browser.csrf(in: viewerPage))
            let refused = try await browser.send(
                .POST, rollback, cookie: viewer, form: ["reason": "x", "csrf": viewerCSRF])
            #expect(refused.status == 403)

            // The operator's own form goes through.
            let done = try await browser.send(
                .POST, rollback, cookie: session, form: ["reason": "csrf drill", "csrf": csrf])
            #expect(done.status == 303)
            #expect(done.headers["location"]?.hasPrefix("/?message=") == true)
            #expect(
                try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger).state(Self.flow)?.setting
                    == .legacy)

            // The mode form on the flow's page: a refused move comes back with the reason, an allowed one is made.
            let mode = "/flows/\(Self.flow)/mode"
            let skipped = try await browser.send(
                .POST, mode, cookie: session,
                form: ["mode": "new", "reason": "too soon", "csrf": csrf, "back": "flow"])
            #expect(skipped.status == 303)
            #expect(skipped.headers["location"]?.hasPrefix("/flows/\(Self.flow)?problem=") == true)
            let canary = try await browser.send(
                .POST, mode, cookie: session,
                form: ["mode": "shadow", "reason": "parallel run again", "csrf": csrf, "back": "flow"])
            #expect(canary.headers["location"]?.hasPrefix("/flows/\(Self.flow)?message=") == true)
            let latest = try await FlowStateStore(client: fixture.client, logger: TestPostgres.logger)
                .history(Self.flow, limit: 1).first
            #expect(latest?.to == ModeSetting(mode: .shadow) && latest?.actor == "olga")

            // Revoking the token ends its sessions at once.
            _ = try await tokens.revoke(name: "olga", actor: "test")
            #expect(try await browser.send(.GET, "/", cookie: session).body.contains(#"id="login""#))
        }
    }
}
