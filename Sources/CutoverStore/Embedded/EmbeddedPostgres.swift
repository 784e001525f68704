import Foundation
import Logging

/// A PostgreSQL cluster of Cutover's own, under a directory such as `.cutover/postgres`, for when `DATABASE_URL`
/// is unset.
///
/// It uses the machine's `initdb` and `pg_ctl` (on PATH or under `/usr/lib/postgresql/*/bin`), listens on a free
/// loopback port with no Unix socket, and runs as the `postgres` OS user when started as root (PostgreSQL refuses
/// root). A cluster left running by a crashed owner is adopted, never started twice.
public struct EmbeddedPostgres: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A started (or adopted) cluster.
    public struct Handle: Sendable {
        public var url: DatabaseURL
        /// Whether this process is responsible for stopping it.
        public var owned: Bool
    }

    public let root: String
    public let logger: Logger
    private let binDirectory: String
    private let runAsUser: String?

    public init(root: String, logger: Logger) throws(Failure) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.logger = logger
        guard let bin = Self.findBinDirectory() else {
            throw Failure(
                description: "no PostgreSQL server found: install it (apt-get install postgresql) or set DATABASE_URL")
        }
        self.binDirectory = bin
        self.runAsUser = geteuid() == 0 ? "postgres" : nil
    }

    var dataDirectory: String { root + "/data" }
    var ownerFile: String { root + "/owner.pid" }
    /// The port last used, tried first on the next start so clients reconnect to the same address.
    var portFile: String { root + "/last-port" }
    var logFile: String { root + "/postgres.log" }

    /// Starts the cluster, creating it first if needed, or adopts the one already running.
    public func start() throws(Failure) -> Handle {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(root)")
        }
        try handOver(root)
        if !fm.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try? fm.removeItem(atPath: dataDirectory)
            try initialise()
        }
        if isRunning(), let port = recordedPort() {
            let ownerAlive = recordedOwner().map { $0 != getpid() && kill($0, 0) == 0 } ?? false
            if ownerAlive {
                logger.info("using the embedded PostgreSQL another cutover process runs", metadata: ["port": "\(port)"])
                return Handle(url: url(port: port), owned: false)
            }
            logger.notice(
                "adopting an embedded PostgreSQL left running by a stopped process", metadata: ["port": "\(port)"])
            recordOwner()
            return Handle(url: url(port: port), owned: true)
        }
        var lastOutput = ""
        let lastPort = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
        for attempt in 0..<4 {
            guard let port = attempt == 0 ? (lastPort ?? FreePort.loopback()) : FreePort.loopback() else { continue }
            let options = "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories='' -c fsync=on"
            let result = try run(
                "pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options, "start"])
            if result.status == 0 {
                try? String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
                recordOwner()
                logger.info("started embedded PostgreSQL", metadata: ["port": "\(port)", "directory": "\(root)"])
                return Handle(url: url(port: port), owned: true)
            }
            lastOutput = result.output
        }
        throw Failure(description: "embedded PostgreSQL did not start; see \(logFile): \(lastOutput.suffix(400))")
    }

    /// Stops the cluster (fast shutdown: sessions are disconnected, committed work is kept).
    public func stop() {
        _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        try? FileManager.default.removeItem(atPath: ownerFile)
    }

    /// Whether a postmaster is running on this data directory.
    public func isRunning() -> Bool {
        (try? run("pg_ctl", ["-D", dataDirectory, "status"]))?.status == 0
    }

    private func initialise() throws(Failure) {
        let result = try run(
            "initdb", ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"]
        )
        guard result.status == 0 else {
            throw Failure(description: "initdb failed: \(result.output.suffix(400))")
        }
    }

    private func url(port: Int) -> DatabaseURL {
        DatabaseURL(host: "127.0.0.1", port: port, username: "postgres", password: nil, database: "postgres")
    }

    /// The running postmaster's port, from line 4 of `postmaster.pid`.
    private func recordedPort() -> Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count > 3 ? Int(lines[3].trimmingCharacters(in: .whitespaces)) : nil
    }

    private func recordedOwner() -> pid_t? {
        (try? String(contentsOfFile: ownerFile, encoding: .utf8)).flatMap {
            pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private func recordOwner() {
        try? String(getpid()).write(toFile: ownerFile, atomically: true, encoding: .utf8)
    }

    /// PostgreSQL refuses to run as root: give the cluster's directory to the `postgres` user.
    private func handOver(_ path: String) throws(Failure) {
        guard let user = runAsUser else { return }
        let result = try? ProcessRunner.run("/bin/chown", ["-R", "\(user):", path])
        guard result?.status == 0 else {
            throw Failure(description: "cannot give \(path) to the \(user) user: \(result?.output ?? "")")
        }
    }

    private func run(_ tool: String, _ arguments: [String]) throws(Failure) -> ProcessRunner.Result {
        let executable = binDirectory + "/" + tool
        do {
            if let user = runAsUser {
                return try ProcessRunner.run("/sbin/runuser", ["-u", user, "--", executable] + arguments)
            }
            return try ProcessRunner.run(executable, arguments)
        } catch {
            throw Failure(description: "cannot run \(tool): \(error)")
        }
    }

    /// `initdb` on PATH, else the newest `/usr/lib/postgresql/N/bin`.
    static func findBinDirectory() -> String? {
        let fm = FileManager.default
        var candidates: [String] = []
        if let entries = try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            let versions = entries.compactMap(Int.init).sorted(by: >)
            candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(String(directory))
        }
        return candidates.first {
            fm.isExecutableFile(atPath: $0 + "/initdb") && fm.isExecutableFile(atPath: $0 + "/pg_ctl")
        }
        .map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
    }
}
