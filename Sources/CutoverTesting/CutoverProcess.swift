import Foundation
import Synchronization

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

    private let process: Process
    private let captured = CapturedOutput()

    /// Starts `cutover ARGS` with `environment` added to this process's environment.
    public convenience init(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil)
        throws
    {
        try self.init(executable: Self.executable, arguments, environment: environment, directory: directory)
    }

    /// Starts another program (e.g. a real SOAP client) the same way.
    public init(
        executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    )
        throws
    {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? Self.repositoryRoot)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let captured = self.captured
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                captured.close(.output)
            } else {
                captured.appendOutput(String(decoding: data, as: UTF8.self))
            }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                captured.close(.error)
            } else {
                captured.appendError(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
    }

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

    public var pid: Int32 { process.processIdentifier }
    public var outputLines: [String] { captured.lines }
    /// Everything written to standard output, a last line without its newline included.
    public var stdout: String { captured.text }
    public var stderr: String { captured.errorText }

    /// Waits for the process to end (polling, so a cancelled test does not hang) and returns its exit status.
    public func wait(timeout: Duration = .seconds(300)) async throws -> Int32 {
        _ = try await poll(every: .milliseconds(20), for: timeout) { !process.isRunning }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TimeoutError(description: "cutover did not finish in \(timeout)")
        }
        // The readers have the last bytes once both pipes reported end of file (Foundation does not always report
        // it, hence the bound: what was read by then is what the caller gets, perhaps without a last partial line).
        _ = try await poll(every: .milliseconds(5), for: .seconds(5)) { captured.closed }
        return process.terminationStatus
    }

    /// Waits until an output line satisfies `predicate`.
    public func waitForLine(timeout: Duration = .seconds(60), _ predicate: @escaping (String) -> Bool) async throws
        -> String?
    {
        var found: String?
        _ = try await poll(for: timeout) {
            found = outputLines.first(where: predicate)
            return found != nil || !process.isRunning
        }
        return found ?? outputLines.first(where: predicate)
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    public struct TimeoutError: Error, CustomStringConvertible {
        public var description: String
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Output gathered from a child's pipes on Foundation's reader threads.
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
