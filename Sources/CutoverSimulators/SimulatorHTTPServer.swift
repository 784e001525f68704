import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A simulator's HTTP answer, independent of the server library.
public struct SimulatorResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public init(status: Int, headers: [(String, String)] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    var response: Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return Response(
            status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// A simulator's HTTP request, independent of the server library.
public struct SimulatorRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]
    /// `scheme://host:port` as the caller reached us.
    public var baseURL: String

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Runs a simulator on a port as a `Service`, and tells the port it bound (use port 0 for any free port).
public struct SimulatorHTTPServer: Service {
    public let name: String
    public let host: String
    public let port: Int
    public let handler: @Sendable (SimulatorRequest) async -> SimulatorResponse
    public let onRunning: @Sendable (Int) async -> Void
    public let prepare: @Sendable () async throws -> Void
    public let logger: Logger

    /// `prepare` runs before the server accepts connections (e.g. creating the legacy schema).
    public init(
        name: String, host: String, port: Int, logger: Logger,
        prepare: @escaping @Sendable () async throws -> Void = {},
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        handler: @escaping @Sendable (SimulatorRequest) async -> SimulatorResponse
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.handler = handler
        self.prepare = prepare
        self.onRunning = onRunning
        self.logger = logger
    }

    public func run() async throws {
        try await prepare()
        let handler = handler
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 4 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let hostHeader = request.head.authority ?? headers["host"] ?? "127.0.0.1"
            let simulated = SimulatorRequest(
                method: request.method.rawValue, path: request.uri.path,
                query: Dictionary(
                    request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { $1 }),
                headers: headers, body: Array(buffer: body), baseURL: "http://\(hostHeader)")
            return await handler(simulated).response
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { [onRunning, port] channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
        try await app.run()
    }
}

/// A refusal is an answer too: the simulators build documents as `Result<_, SimulatorResponse>`.
extension SimulatorResponse: Error {}
