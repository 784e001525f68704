import CutoverCore
import CutoverReports
import CutoverStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The dashboard at `/`: server-rendered HTML, no script, no front-end build. A token is entered once per session
/// (see ``DashboardSessions``); every page needs a session, and the mode and rollback forms need an operator's.
///
/// - `GET /`: one row per flow — mode, who served the last hour's traffic, volume, match rate, new-side error rate,
///   last change — with a rollback form per flow for operators.
/// - `GET /flows/{flow}`: the mode form, and the flow's parallel-run report (24 hours) with its charts.
/// - `POST /login`, `POST /logout`, `POST /flows/{flow}/rollback`, `POST /flows/{flow}/mode`.
struct DashboardRoutes: Sendable {
    let service: AdminService
    let tokens: TokenStore
    let sessions: DashboardSessions
    let logger: Logger

    static let maxFormBytes = 16 * 1024

    /// The signed-in holder and the session's cookie value.
    struct Session {
        var holder: TokenStore.Holder
        var cookie: String
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("") { request, _ in
            try await page(request) { session in try await overview(session, request) }
        }
        router.get("flows/:flow") { request, context in
            try await page(request) { session in
                try await flowPage(context.parameters.get("flow") ?? "", session, request)
            }
        }
        router.post("login") { request, _ in
            try await login(request)
        }
        router.post("logout") { request, _ in
            var response = redirect("/")
            response.headers[.setCookie] = cookie("", request, maxAge: 0)
            return response
        }
        router.post("flows/:flow/rollback") { request, context in
            try await change(request, context) { flow, form, session in
                let change = try await service.rollback(flow, reason: form["reason"] ?? "", actor: session.holder.name)
                return "\(flow) rolled back to legacy (version \(change.version))"
            }
        }
        router.post("flows/:flow/mode") { request, context in
            try await change(request, context) { flow, form, session in
                guard let mode = form["mode"].flatMap(Mode.init(rawValue:)) else {
                    throw FlowStateError(code: .refusedTransition, flow: flow, message: "choose a mode")
                }
                let percent = mode == .canary ? Double(form["percent"] ?? "") ?? 0 : 0
                let change = try await service.set(
                    flow, to: ModeSetting(mode: mode, percent: percent), reason: form["reason"] ?? "",
                    force: form["force"] == "on", actor: session.holder.name)
                return "\(flow) moved to \(change.to) (version \(change.version))"
            }
        }
    }

    // MARK: Pages

    private func overview(_ session: Session, _ request: Request) async throws -> String {
        let canOperate = session.holder.role.permits(.operator)
        var rows = ""
        for view in try await service.flows() {
            let live = view.live
            let flow = e(view.flow)
            let served =
                live.map { $0.exchanges > 0 ? "legacy \($0.servedByLegacy) · new \($0.servedByNew)" : "-" } ?? "-"
            rows += "<tr id=\"flow-\(flow)\"><td><a href=\"/flows/\(flow)\">\(flow)</a></td>"
            rows += "<td class=\"mode\" data-mode=\"\(e(view.mode))\">\(e(modeText(view)))</td>"
            rows += "<td>\(e(served))</td><td class=\"traffic\">\(live?.exchanges ?? 0)</td>"
            rows += "<td class=\"match-rate\">\(e(live?.matchRate.map(ReadinessAssessment.percent) ?? "-"))</td>"
            rows += "<td class=\"new-error-rate\">\(e(live?.newErrorRate.map(ReadinessAssessment.percent) ?? "-"))</td>"
            rows += "<td class=\"circuit\" data-circuit=\"\(e(view.circuit ?? "none"))\">\(e(view.circuit ?? "-"))</td>"
            rows += "<td>\(e(ReportText.time(view.changedAt)))<br>\(e(view.changedBy)): \(e(view.reason))</td>"
            if canOperate {
                rows += "<td>"
                if view.mode != Mode.legacy.rawValue {
                    rows += """
                        <form method="post" action="/flows/\(flow)/rollback" id="rollback-\(flow)">\
                        \(csrfField(session))<input name="reason" required placeholder="why" aria-label="reason">\
                        <button type="submit">Roll back</button></form>
                        """
                }
                rows += "</td>"
            }
            rows += "</tr>\n"
        }
        let header =
            [
                "flow", "mode", "served by (1 h)", "traffic (1 h)", "match rate", "new-side errors", "ERP circuit",
                "last change",
            ]
            + (canOperate ? [""] : [])
        return """
            \(banner(session, request))<h1>Cutover</h1>
            <table id="flows"><tr>\(header.map { "<th>\(e($0))</th>" }.joined())</tr>
            \(rows)</table>
            """
    }

    private func flowPage(_ flow: String, _ session: Session, _ request: Request) async throws -> String {
        let view = try await service.flow(flow)
        var html = banner(session, request)
        html += "<p><a href=\"/\">All flows</a></p><h1>\(e(flow))</h1>"
        html += "<p>Mode <strong id=\"mode\" data-mode=\"\(e(view.mode))\">\(e(modeText(view)))</strong>, "
        html += "version \(view.version), changed \(e(ReportText.time(view.changedAt))) by \(e(view.changedBy)).</p>"
        if session.holder.role.permits(.operator) {
            let options = Mode.allCases.map {
                "<option value=\"\($0.rawValue)\"\($0.rawValue == view.mode ? " selected" : "")>\($0.rawValue)</option>"
            }.joined()
            html += """
                <form method="post" action="/flows/\(e(flow))/mode" id="mode-form">\(csrfField(session))\
                <input type="hidden" name="back" value="flow">\
                <select name="mode" aria-label="mode">\(options)</select> \
                <input name="percent" type="number" min="0" max="100" step="0.01" value="\(view.percent)" aria-label="percent">% \
                <input name="reason" required placeholder="why" aria-label="reason"> \
                <label><input type="checkbox" name="force"> force</label> <button type="submit">Set mode</button></form>
                <form method="post" action="/flows/\(e(flow))/rollback" id="rollback-\(e(flow))">\(csrfField(session))\
                <input type="hidden" name="back" value="flow"><input name="reason" required placeholder="why" aria-label="reason"> <button type="submit">Roll back</button></form>
                """
        }
        let report = try await service.report(flow, since: Date().addingTimeInterval(-86_400))
        return html + ReportHTML.body(report)
    }

    private func modeText(_ view: FlowStateView) -> String {
        view.mode == Mode.canary.rawValue
            ? ModeSetting(mode: .canary, percent: view.percent).description : view.mode
    }

    private func banner(_ session: Session, _ request: Request) -> String {
        var html = """
            <form method="post" action="/logout" class="who">Signed in as <strong>\(e(session.holder.name))</strong> \
            (\(session.holder.role.rawValue)) \(csrfField(session))<button type="submit">Sign out</button></form>
            """
        if let message = request.uri.queryParameters["message"] {
            html += "<p class=\"message\" id=\"message\">\(e(String(message)))</p>"
        }
        if let problem = request.uri.queryParameters["problem"] {
            html += "<p class=\"problem\" id=\"problem\">\(e(String(problem)))</p>"
        }
        return html
    }

    private func loginPage(problem: String? = nil) -> String {
        """
        <h1>Cutover</h1>\(problem.map { "<p class=\"problem\" id=\"problem\">\(e($0))</p>" } ?? "")
        <form method="post" action="/login" id="login"><label>Token <input type="password" name="token" \
        autocomplete="off" required></label> <button type="submit">Sign in</button></form>
        <p>Ask an admin for a token: <code>cutover token create --role operator --name YOUR-NAME</code>.</p>
        """
    }

    // MARK: Handling

    /// A page for a signed-in holder, or the sign-in form.
    private func page(_ request: Request, _ body: (Session) async throws -> String) async throws -> Response {
        guard let session = try await session(request) else {
            return html(loginPage(), status: .ok)
        }
        do {
            return html(try await body(session), status: .ok)
        } catch let error as AdminError {
            return html("<h1>\(e(error.message))</h1><p><a href=\"/\">All flows</a></p>", status: error.status)
        }
    }

    private func login(_ request: Request) async throws -> Response {
        let form = try await self.form(request)
        guard let secret = form["token"], try await tokens.authenticate(secret) != nil else {
            return html(loginPage(problem: "That token is not valid."), status: .unauthorized)
        }
        var response = redirect("/")
        response.headers[.setCookie] = cookie(
            sessions.issue(tokenHash: Digest.sha256Hex(secret)), request, maxAge: Int(DashboardSessions.lifetime))
        return response
    }

    /// An operator's form post: session, role and CSRF token checked, then `body`, then back to where it came from
    /// with what happened.
    private func change(
        _ request: Request, _ context: BasicRequestContext,
        _ body: (String, [String: String], Session) async throws -> String
    ) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/") }
        let form = try await self.form(request)
        guard sessions.checkCSRF(form["csrf"], session: session.cookie) else {
            return html("<h1>This form has expired; go back and try again.</h1>", status: .forbidden)
        }
        guard session.holder.role.permits(.operator) else {
            return html("<h1>Your token's role may not change flows.</h1>", status: .forbidden)
        }
        let flow = context.parameters.get("flow") ?? ""
        let back = form["back"] == "flow" ? "/flows/\(Self.queryEncode(flow))" : "/"
        do {
            let message = try await body(flow, form, session)
            return redirect(back + "?message=" + Self.queryEncode(message))
        } catch let error as FlowStateError {
            return redirect(back + "?problem=" + Self.queryEncode(error.message))
        }
    }

    private func session(_ request: Request) async throws -> Session? {
        guard let value = Self.cookieValue(request), let hash = sessions.verify(value),
            let holder = try await tokens.holder(sha256: hash)
        else { return nil }
        return Session(holder: holder, cookie: value)
    }

    /// Percent-encoding for a URL's path or query (a space as `%20`: query parsing reads `+` as itself).
    static func queryEncode(_ text: String) -> String {
        FormEncoding.encode(text).replacingOccurrences(of: "+", with: "%20")
    }

    static func cookieValue(_ request: Request) -> String? {
        for field in request.headers[values: .cookie] {
            for part in field.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == DashboardSessions.cookieName { return String(pair[1]) }
            }
        }
        return nil
    }

    private func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: Self.maxFormBytes)
        return FormEncoding.decode(String(buffer: body))
    }

    private func csrfField(_ session: Session) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(sessions.csrfToken(session: session.cookie))\">"
    }

    private func cookie(_ value: String, _ request: Request, maxAge: Int) -> String {
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "; Secure" : ""
        return "\(DashboardSessions.cookieName)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)\(secure)"
    }

    private func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    private func html(_ body: String, status: HTTPResponse.Status) -> Response {
        let page = ReportHTML.page(
            title: "Cutover", body: body,
            style: """
                .who { float: right; } .message { color: #176b2c; } .problem { color: #a32020; }
                td form { margin: 0; } input, select, button { font: inherit; }
                """)
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    private func e(_ text: String) -> String { ReportHTML.e(text) }
}
