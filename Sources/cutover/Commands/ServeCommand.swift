import ArgumentParser
import CutoverServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run Cutover: the SOAP facades, admin API, dashboard, /metrics, /health and /ready, the auto-rollback guard and scheduled changes. Stops on SIGTERM or SIGINT.",
        discussion: """
            CUTOVER_LOG_FORMAT=json writes one JSON object per log line. With OTEL_EXPORTER_OTLP_ENDPOINT set, spans \
            (one per exchange, one per side call) are exported over OTLP/HTTP; the other OTEL_* variables apply.
            """
    )

    @OptionGroup var config: ConfigOption

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:8080"

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (also CUTOVER_TLS_CERT).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert (also CUTOVER_TLS_KEY).")
    var tlsKey: String?

    func validate() throws {
        guard Self.split(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
    }

    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port), colon > address.startIndex
        else { return nil }
        return (String(address[..<colon]), port)
    }

    func run() async throws {
        let context = CLIContext(logLevel: .info)
        let flows = try context.loadAdapters(config.directory)
        let (host, port) = Self.split(listen)!
        let (url, release) = try context.resolveDatabase()
        defer { release() }
        var configuration = CutoverServer.Configuration(
            host: host, port: port, database: url, home: context.home, flows: flows,
            redactionKey: try context.redactionKey())
        configuration.exportTraces = context.exportsTraces
        let certificate = tlsCertificate ?? context.environment["CUTOVER_TLS_CERT"]
        let key = tlsKey ?? context.environment["CUTOVER_TLS_KEY"]
        switch (certificate, key) {
        case (let certificate?, let key?):
            configuration.tls = TLSFiles(certificatePath: certificate, keyPath: key)
        case (nil, nil):
            break
        default:
            printError("error: TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
            throw CLIExit.invalidConfiguration
        }
        let server = CutoverServer(configuration: configuration, logger: context.logger)
        try await server.run()
    }
}
