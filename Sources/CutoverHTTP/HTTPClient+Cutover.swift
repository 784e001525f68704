import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The HTTP client Cutover uses for both sides: no redirects followed (a legacy service that redirects is a
    /// finding, not something to paper over), HTTP/1.1 keep-alive pools sized for a busy facade, and connect
    /// timeouts short enough that an unreachable side fails fast. Shut it down once, when the process ends.
    public static func cutover(connectionsPerHost: Int = 256, connectTimeout: Duration = .seconds(2)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connectTimeout)),
            connectionPool: .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost),
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        // No tracer until one is configured: with the default no-op tracer AsyncHTTPClient still builds span
        // attributes for every request.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
