import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverReports
import CutoverStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

/// Why an admin request was not served, as `{"error": {"code", "message"}}` with its status. Messages say what the
/// caller can fix and never carry internal detail.
struct AdminError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static let unauthorized = AdminError(
        status: .unauthorized, code: "unauthorized", message: "a valid bearer token is required")
    static let forbidden = AdminError(
        status: .forbidden, code: "forbidden", message: "this token's role may not do this")
    static func badRequest(_ message: String) -> AdminError {
        AdminError(status: .badRequest, code: "bad_request", message: message)
    }
    static func notFound(_ message: String) -> AdminError {
        AdminError(status: .notFound, code: "not_found", message: message)
    }

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// A refused mode change says why: the caller asked for it and may fix it.
    init(_ error: FlowStateError) {
        switch error.code {
        case .unknownFlow: self.init(status: .notFound, code: "unknown_flow", message: error.message)
        case .versionConflict: self.init(status: .conflict, code: "version_conflict", message: error.message)
        case .refusedTransition: self.init(status: .conflict, code: "refused_transition", message: error.message)
        case .unchanged: self.init(status: .conflict, code: "unchanged", message: error.message)
        case .missingReason: self.init(status: .badRequest, code: "missing_reason", message: error.message)
        }
    }

    var response: Response {
        let body: JSONValue = .object([
            ("error", .object([("code", .string(code)), ("message", .string(message))]))
        ])
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="cutover""# }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }
}

/// Who is asking: the holder of a live bearer token.
struct AdminAuthenticator: Sendable {
    let tokens: TokenStore

    func holder(of request: Request) async throws -> TokenStore.Holder? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return try await tokens.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces))
    }
}

/// What the admin API and the dashboard both do: read flows, change them, report on them. Every change records the
/// token's name as its actor.
struct AdminService: Sendable {
    let control: FlowControl
    let watcher: FlowStateWatcher
    let metrics: CutoverMetrics
    /// Each flow's ERP circuit breaker state, as this instance sees it.
    let circuits: @Sendable () -> [String: CircuitBreaker.State]
    let logger: Logger

    var client: PostgresClient { control.client }
    var store: FlowStateStore { FlowStateStore(client: client, logger: logger) }

    /// How far back the live figures reach.
    static let liveWindow: TimeInterval = 3600

    func figures(_ flow: String, since: Date = Date().addingTimeInterval(-liveWindow)) async throws -> FlowFigures {
        FlowFigures(
            since: since,
            tallies: try await AuditQueries(client: client, logger: logger).tally(flow: flow, since: since))
    }

    func flows() async throws -> [FlowStateView] {
        var views: [FlowStateView] = []
        for state in try await store.all() {
            var view = FlowStateView(
                state, live: try await figures(state.flow), appliedVersion: watcher.current(state.flow)?.version)
            view.circuit = circuits()[state.flow]?.rawValue
            views.append(view)
        }
        return views
    }

    func flow(_ name: String) async throws -> FlowStateView {
        guard let state = try await store.state(name) else {
            throw AdminError.notFound("no flow named '\(name)'")
        }
        var view = FlowStateView(state, live: try await figures(name), appliedVersion: watcher.current(name)?.version)
        view.circuit = circuits()[name]?.rawValue
        return view
    }

    func set(_ flow: String, to target: ModeSetting, reason: String, force: Bool, actor: String) async throws
        -> FlowChange
    {
        let change = try await control.set(flow, to: target, actor: actor, reason: reason, force: force)
        if target.mode == .legacy, change.from?.mode != .legacy { metrics.countRollback(flow: flow, cause: "manual") }
        try? await watcher.refresh()
        return change
    }

    func rollback(_ flow: String, reason: String, actor: String) async throws -> FlowChange {
        let change = try await store.rollback(flow, actor: actor, reason: reason)
        metrics.countRollback(flow: flow, cause: "manual")
        try? await watcher.refresh()
        return change
    }

    func report(_ flow: String, since: Date) async throws -> ParallelRunReport {
        let criteria = control.definitions.first { $0.flow == flow }?.rollout.promoteWhen
        return try await ReportBuilder(client: client, logger: logger).build(
            flow: flow, since: since, minimumExchanges: criteria?.minimumExchanges,
            minimumMatchRate: criteria?.minimumMatchRate)
    }
}

/// `/admin`: DESIGN.md's JSON API. Viewers read; operators also change modes, roll back and schedule; admins also
/// manage tokens. 401 without a live token, 403 for a role that may not.
struct AdminRoutes: Sendable {
    let service: AdminService
    let authenticator: AdminAuthenticator
    let schedule: ScheduleStore
    let guardStore: GuardStore
    let tokens: TokenStore
    let logger: Logger

    /// Mode-change bodies are small; anything larger is refused.
    static let maxBodyBytes = 64 * 1024

    struct ModeRequest: Decodable {
        var mode: Mode
        var percent: Double?
        var reason: String
        var force: Bool?
        /// When given, the change is scheduled for this moment instead of made now.
        var at: Date?
    }

    struct ReasonRequest: Decodable {
        var reason: String
    }

    struct TokenRequest: Decodable {
        var name: String
        var role: Role
    }

    func register(on router: Router<BasicRequestContext>) {
        route(router, .get, "admin/flows", .viewer) { _, _, _ in
            try json(await service.flows())
        }
        route(router, .get, "admin/flows/:flow", .viewer) { _, context, _ in
            try json(await service.flow(try flowName(context)))
        }
        route(router, .put, "admin/flows/:flow", .operator) { request, context, holder in
            let flow = try flowName(context)
            let body: ModeRequest = try await decode(request, context)
            let target = try setting(body.mode, body.percent)
            if let at = body.at {
                let planned = try await schedule.schedule(
                    flow: flow, to: target, at: at, reason: body.reason, force: body.force ?? false,
                    actor: holder.name)
                return try json(planned, status: .accepted)
            }
            let change = try await service.set(
                flow, to: target, reason: body.reason, force: body.force ?? false, actor: holder.name)
            return try json(FlowChangeView(change))
        }
        route(router, .post, "admin/flows/:flow/rollback", .operator) { request, context, holder in
            let body: ReasonRequest = try await decode(request, context)
            return try json(
                FlowChangeView(
                    try await service.rollback(try flowName(context), reason: body.reason, actor: holder.name)))
        }
        route(router, .get, "admin/flows/:flow/history", .viewer) { request, context, _ in
            let flow = try flowName(context)
            let limit = try intParameter(request, "limit", default: 100, range: 1...1000)
            let history = try await service.store.history(flow, limit: limit)
            guard !history.isEmpty else { throw AdminError.notFound("no flow named '\(flow)'") }
            return try json(history.map(FlowChangeView.init))
        }
        route(router, .get, "admin/flows/:flow/schedule", .viewer) { request, context, _ in
            try json(
                await schedule.list(flow: try flowName(context), all: request.uri.queryParameters["all"] == "true"))
        }
        route(router, .post, "admin/flows/:flow/schedule", .operator) { request, context, holder in
            let body: ModeRequest = try await decode(request, context)
            guard let at = body.at else { throw AdminError.badRequest("a schedule needs 'at' (an ISO 8601 time)") }
            let planned = try await schedule.schedule(
                flow: try flowName(context), to: try setting(body.mode, body.percent), at: at, reason: body.reason,
                force: body.force ?? false, actor: holder.name)
            return try json(planned, status: .created)
        }
        route(router, .get, "admin/schedule", .viewer) { request, _, _ in
            try json(await schedule.list(all: request.uri.queryParameters["all"] == "true"))
        }
        route(router, .delete, "admin/schedule/:id", .operator) { _, context, holder in
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                throw AdminError.badRequest("the schedule id must be a number")
            }
            guard let cancelled = try await schedule.cancel(id: id, actor: holder.name) else {
                throw AdminError.notFound("no pending scheduled change #\(id)")
            }
            return try json(cancelled)
        }
        route(router, .get, "admin/guard", .viewer) { request, _, _ in
            try json(await guardStore.findings(flow: request.uri.queryParameters["flow"].map(String.init)))
        }
        route(router, .get, "admin/readiness", .viewer) { request, _, _ in
            let flows =
                request.uri.queryParameters["flow"].map { [String($0)] }
                ?? service.control.definitions.map(\.flow)
            let since = try sinceParameter(request, default: "30d")
            return try json(await service.control.assess(flows, since: since))
        }
        route(router, .get, "admin/report", .viewer) { request, _, _ in
            try await report(request)
        }
        route(router, .get, "admin/audit", .viewer) { request, _, _ in
            let parameters = request.uri.queryParameters
            var verdict: Verdict?
            if let text = parameters["verdict"] {
                guard let parsed = Verdict(rawValue: String(text)) else {
                    throw AdminError.badRequest(
                        "verdict must be one of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                verdict = parsed
            }
            let criteria = AuditQueries.SearchCriteria(
                flow: parameters["flow"].map(String.init), correlationID: parameters["correlation_id"].map(String.init),
                verdict: verdict, since: try sinceParameter(request, default: "24h"),
                limit: try intParameter(request, "limit", default: 100, range: 1...1000))
            return try json(await AuditQueries(client: service.client, logger: logger).search(criteria))
        }
        route(router, .get, "admin/tokens", .admin) { _, _, _ in
            try json(await tokens.list())
        }
        route(router, .post, "admin/tokens", .admin) { request, context, holder in
            let body: TokenRequest = try await decode(request, context)
            do {
                let (token, secret) = try await tokens.create(name: body.name, role: body.role, actor: holder.name)
                return try json(CreatedToken(token: token, secret: secret), status: .created)
            } catch let error as TokenError {
                throw AdminError(status: .conflict, code: "token_refused", message: error.description)
            }
        }
        route(router, .delete, "admin/tokens/:name", .admin) { _, context, holder in
            let name = context.parameters.get("name") ?? ""
            guard let revoked = try await tokens.revoke(name: name, actor: holder.name) else {
                throw AdminError.notFound("no live token named '\(name)'")
            }
            return try json(revoked)
        }
    }

    struct CreatedToken: Encodable {
        var token: TokenStore.Token
        /// Shown once: only its hash is stored.
        var secret: String
    }

    /// Registers `handler` behind the role check, mapping every failure to a JSON error.
    private func route(
        _ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, _ role: Role,
        _ handler: @escaping @Sendable (Request, BasicRequestContext, TokenStore.Holder) async throws -> Response
    ) {
        router.on(path, method: method) { [authenticator, logger] request, context -> Response in
            do {
                guard let holder = try await authenticator.holder(of: request) else { throw AdminError.unauthorized }
                guard holder.role.permits(role) else { throw AdminError.forbidden }
                return try await handler(request, context, holder)
            } catch let error as AdminError {
                return error.response
            } catch let error as FlowStateError {
                return AdminError(error).response
            } catch is DecodingError {
                return AdminError.badRequest("the body is not the JSON this endpoint takes").response
            } catch {
                logger.error(
                    "admin request failed",
                    metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
                return AdminError(
                    status: .internalServerError, code: "internal", message: "the request failed; see the server log"
                )
                .response
            }
        }
    }

    private func report(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let flow = parameters["flow"].map(String.init) else {
            throw AdminError.badRequest("report needs ?flow=")
        }
        guard service.control.definitions.contains(where: { $0.flow == flow }) else {
            throw AdminError.notFound("no flow named '\(flow)'")
        }
        let since = try sinceParameter(request, default: "24h")
        let format = parameters["format"].map(String.init) ?? "json"
        switch format {
        case "csv":
            let csv = ReportCSV(client: service.client, logger: logger)
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                body: ResponseBody { writer in
                    try await csv.write(flow: flow, since: since) { chunk in
                        try await writer.write(ByteBuffer(string: chunk))
                    }
                    try await writer.finish(nil)
                })
        case "json", "html", "md":
            let report = try await service.report(flow, since: since)
            let (text, type) =
                switch format {
                case "html": (ReportHTML.render(report), "text/html; charset=utf-8")
                case "md": (ReportText.markdown(report), "text/markdown; charset=utf-8")
                default: (try ReportText.json(report), "application/json")
                }
            return Response(
                status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
        default:
            throw AdminError.badRequest("format must be json, html, md or csv")
        }
    }

    private func flowName(_ context: BasicRequestContext) throws -> String {
        guard let flow = context.parameters.get("flow"), !flow.isEmpty else {
            throw AdminError.badRequest("a flow name is required")
        }
        return flow
    }

    private func setting(_ mode: Mode, _ percent: Double?) throws -> ModeSetting {
        if mode == .canary {
            guard let percent, (0...100).contains(percent) else {
                throw AdminError.badRequest("canary needs a percent from 0 to 100")
            }
            return ModeSetting(mode: .canary, percent: percent)
        }
        guard percent == nil || percent == 0 else { throw AdminError.badRequest("percent applies to canary only") }
        return ModeSetting(mode: mode, percent: 0)
    }

    private func decode<T: Decodable>(_ request: Request, _ context: BasicRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw AdminError.badRequest("the body is larger than \(Self.maxBodyBytes) bytes")
        }
        return try AdminJSON.decoder.decode(T.self, from: Data(buffer: buffer))
    }

    private func sinceParameter(_ request: Request, default fallback: String) throws -> Date {
        let text = request.uri.queryParameters["since"].map(String.init) ?? fallback
        guard let seconds = DurationText.seconds(text) else {
            throw AdminError.badRequest("since must be a duration such as 24h or 30d")
        }
        return Date().addingTimeInterval(-Double(seconds))
    }

    private func intParameter(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws
        -> Int
    {
        guard let text = request.uri.queryParameters[Substring(name)] else { return fallback }
        guard let value = Int(String(text)), range.contains(value) else {
            throw AdminError.badRequest("\(name) must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

/// A JSON response from an encodable value.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try AdminJSON.encoder.encode(value))))
}
