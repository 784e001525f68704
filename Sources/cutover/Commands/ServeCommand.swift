import ArgumentParser
import CutoverServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run Cutover: the SOAP facades, audit writer, flow-state watcher, /health and /ready. Stops on SIGTERM or SIGINT."
    )

    @OptionGroup var config: ConfigOption

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:8080"

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
        let server = CutoverServer(
            configuration: .init(
                host: host, port: port, database: url, home: context.home, flows: flows,
                redactionKey: try context.redactionKey()),
            logger: context.logger
        )
        try await server.run()
    }
}
