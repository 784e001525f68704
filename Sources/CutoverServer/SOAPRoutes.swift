import CutoverAdapters
import HTTPTypes
import Hummingbird
import NIOCore

/// Each soap flow at its `listen.path`: POST for calls, `GET ?wsdl` for the rewritten WSDL.
///
/// Until the instance is ready (migrated, flows seeded) calls get a Receiver fault with 503: nothing is forwarded
/// that could not be audited.
struct SOAPRoutes: Sendable {
    let facades: [SOAPFacade]
    let readiness: Readiness

    func register(on router: Router<BasicRequestContext>) {
        for facade in facades {
            let path = RouterPath(facade.flow.listenPath)
            router.post(path) { [readiness] request, _ in
                let headers = Self.headers(request)
                guard readiness.isReady else {
                    var answer = Self.response(facade.refuseWhileStarting(headers))
                    answer.status = .serviceUnavailable
                    return answer
                }
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: facade.flow.limits.maxBytes)
                } catch {
                    let refused = FacadeRequest(body: [], headers: headers, baseURL: Self.baseURL(headers))
                    return Self.response(
                        await facade.refuseOversize(refused, bytesRead: facade.flow.limits.maxBytes + 1))
                }
                let call = FacadeRequest(body: Array(buffer: body), headers: headers, baseURL: Self.baseURL(headers))
                return Self.response(await facade.handle(call))
            }
            router.get(path) { request, _ in
                guard request.uri.queryParameters.contains(where: { $0.key.lowercased() == "wsdl" }) else {
                    return Response(status: .methodNotAllowed, headers: [.allow: "POST"])
                }
                let headers = Self.headers(request)
                return Self.response(
                    await facade.wsdl(FacadeRequest(body: [], headers: headers, baseURL: Self.baseURL(headers))))
            }
        }
    }

    /// Header fields by lower-case name; HTTP/1's Host arrives as the request's authority.
    static func headers(_ request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
        return headers
    }

    static func baseURL(_ headers: [String: String]) -> String {
        let scheme = headers["x-forwarded-proto"] == "https" ? "https" : "http"
        return "\(scheme)://\(headers["x-forwarded-host"] ?? headers["host"] ?? "localhost")"
    }

    static func response(_ answer: FacadeResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return Response(
            status: .init(code: answer.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
