/// Limits how many heavy tests (a server, simulators, child processes) run at once in one test process.
///
/// Swift Testing runs every suite in parallel; on a two-core machine dozens of servers with their simulators and
/// PostgreSQL pools at once starve each other until timeouts fire that measure the machine, not the code. Heavy
/// fixtures take a place here first; a test waiting for one uses no CPU.
public actor TestGate {
    /// The gate the fixtures share: three heavy tests at a time.
    public static let heavy = TestGate(width: 3)

    private let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(width: Int) {
        self.width = width
    }

    /// Runs `body` once a place is free, and frees it afterwards.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            leave()
            return result
        } catch {
            leave()
            throw error
        }
    }

    private func enter() async {
        if running < width {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
