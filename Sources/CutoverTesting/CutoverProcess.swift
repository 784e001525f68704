import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The built `cutover` executable, run as a separate process: the CLI contract (output, exit codes) and the
/// multi-process guarantees (locks, NOTIFY, crash recovery) are tested through it.
public final class CutoverProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// `CUTOVER_BIN`, else `cutover` beside the test bundle in the build directory.
    public static var executable: String {
        if let explicit = ProcessInfo.processInfo.environment["CUTOVER_BIN"] { return explicit }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("cutover").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/cutover"
    }

    /// The repository root (for `adapters/`), found from this source file.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    private let child: pid_t
    private let exit = Mutex<Int32?>(nil)
    private let captured = CapturedOutput()

    /// Starts `cutover ARGS` with `environment` added to this process's environment.
    public convenience init(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil)
        throws
    {
        try self.init(executable: Self.executable, arguments, environment: environment, directory: directory)
    }

    /// Starts another program (e.g. a real SOAP client) the same way.
    ///
    /// Spawned with `posix_spawn`, its output read by blocking reads on two threads of its own and its exit reaped
    /// with `waitpid`: Foundation's `Process` with pipe readability handlers was seen to crash libdispatch's event
    /// loop (`_dispatch_event_loop_drain`) when several children ran at once.
    public init(
        executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    )
        throws
    {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec (pipe2 is not imported): another child spawned meanwhile must not inherit these pipes.
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        guard Self.addChdir(&actions, directory ?? Self.repositoryRoot) == 0 else {
            throw SpawnError(description: "cannot set the child's working directory")
        }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        child = pid
        Self.drain(outPipe[0], into: captured, .output)
        Self.drain(errPipe[0], into: captured, .error)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift does not import without _GNU_SOURCE.
    private static let addChdir:
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32 = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
                fatalError("glibc 2.29 or later is needed (posix_spawn_file_actions_addchdir_np)")
            }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)
                    .self)
        }()

    /// Reads `descriptor` to its end on a thread of its own, then closes it.
    private static func drain(_ descriptor: Int32, into captured: CapturedOutput, _ stream: CapturedOutput.Stream) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { break }
                let text = String(decoding: buffer[..<got], as: UTF8.self)
                if stream == .output { captured.appendOutput(text) } else { captured.appendError(text) }
            }
            close(descriptor)
            captured.close(stream)
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The exit status once the child has ended (reaping it), nil while it runs.
    private func exitStatus() -> Int32? {
        exit.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let reaped = waitpid(child, &raw, WNOHANG)
            guard reaped == child else { return nil }
            // WIFEXITED / WEXITSTATUS, which Swift cannot import as macros; a signal reads as 128 + its number.
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return status
        }
    }

    private var isRunning: Bool { exitStatus() == nil }

    /// Runs `cutover ARGS` (or `executable ARGS`) to completion.
    public static func run(
        executable: String = CutoverProcess.executable, _ arguments: [String], environment: [String: String] = [:],
        directory: String? = nil
    ) async throws -> Output {
        let child = try CutoverProcess(
            executable: executable, arguments, environment: environment, directory: directory)
        let status = try await child.wait()
        return Output(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    public var pid: Int32 { child }
    public var outputLines: [String] { captured.lines }
    /// Everything written to standard output, a last line without its newline included.
    public var stdout: String { captured.text }
    public var stderr: String { captured.errorText }

    /// Waits for the process to end (polling, so a cancelled test does not hang) and returns its exit status.
    public func wait(timeout: Duration = .seconds(300)) async throws -> Int32 {
        _ = try await poll(every: .milliseconds(20), for: timeout) { !isRunning }
        guard let status = exitStatus() else {
            kill(child, SIGKILL)
            throw TimeoutError(description: "cutover did not finish in \(timeout)")
        }
        // The readers have the last bytes once both pipes reached end of file (bounded: a grandchild that kept a
        // pipe open must not hang the test; what was read by then is what the caller gets).
        _ = try await poll(every: .milliseconds(5), for: .seconds(5)) { captured.closed }
        return status
    }

    /// Waits until an output line satisfies `predicate`.
    public func waitForLine(timeout: Duration = .seconds(60), _ predicate: @escaping (String) -> Bool) async throws
        -> String?
    {
        var found: String?
        _ = try await poll(for: timeout) {
            found = outputLines.first(where: predicate)
            return found != nil || !isRunning
        }
        return found ?? outputLines.first(where: predicate)
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(child, signal) }
    }

    public struct TimeoutError: Error, CustomStringConvertible {
        public var description: String
    }

    deinit {
        if isRunning {
            kill(child, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(child, &raw, 0)
        }
    }
}

/// Output gathered from a child's pipes on the reader threads.
final class CapturedOutput: Sendable {
    enum Stream { case output, error }
    private let state = Mutex<(lines: [String], partial: String, error: String)>(([], "", ""))
    private let open = Mutex<Set<Stream>>([.output, .error])

    func close(_ stream: Stream) {
        _ = open.withLock { $0.remove(stream) }
    }

    /// Both pipes reached end of file.
    var closed: Bool { open.withLock { $0.isEmpty } }

    func appendOutput(_ chunk: String) {
        state.withLock { state in
            state.partial += chunk
            while let newline = state.partial.firstIndex(of: "\n") {
                state.lines.append(String(state.partial[..<newline]))
                state.partial.removeSubrange(...newline)
            }
        }
    }

    func appendError(_ chunk: String) {
        state.withLock { $0.error += chunk }
    }

    var lines: [String] { state.withLock { $0.lines } }
    var text: String {
        state.withLock { state in (state.lines + (state.partial.isEmpty ? [] : [state.partial])).joined(separator: "\n")
        }
    }
    var errorText: String { state.withLock { $0.error } }
}
