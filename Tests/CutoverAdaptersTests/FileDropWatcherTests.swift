import CutoverConfig
import CutoverCore
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@testable import CutoverAdapters

/// When a dropped file is taken: stable long enough and old enough, or its done marker present; never while it is
/// still being written.
@Suite("File-drop watcher", .timeLimit(.minutes(3)))
struct FileDropWatcherTests {
    /// Runs the flow's watcher in `setting` for the duration of `body`.
    static func watching(
        _ fixture: FileDropFixture, _ setting: ModeSetting, _ body: () async throws -> Void
    ) async throws {
        let watcher = FileDropWatcher(processors: [fixture.processor(setting)], logger: TestPostgres.logger)
        let task = Task { try await watcher.run() }
        defer { task.cancel() }
        try await body()
    }

    static func settled(_ fixture: FileDropFixture, _ name: String) async throws -> FileResult? {
        var result: FileResult?
        _ = try await poll(every: .milliseconds(50), for: .seconds(30)) {
            let done = fixture.files(fixture.flow.doneDirectory)[name + ".result.json"]
            result = done.flatMap { FileResult.decode(String(decoding: $0, as: UTF8.self)) }
            return result != nil
        }
        return result
    }

    @Test("stability: unchanged size and mtime for stable_for_ms of observation, and at least min_age_ms old")
    func stabilityRule() throws {
        let directory = TemporaryDirectory()
        let watch = WatchDefinitionFixture.make(directory.path, stableFor: 1000, minimumAge: 5000)
        var tracker = StabilityTracker(watch: watch)
        let path = directory.write("STOCK_1.csv", "site,ndc\n")
        let start = ContinuousClock.now
        #expect(tracker.complete(in: directory.path, now: start).isEmpty, "first seen: not yet")
        #expect(tracker.complete(in: directory.path, now: start + .milliseconds(1500)).isEmpty, "stable but too young")
        // Backdate the mtime (a copy that kept its original would look like this, but it also keeps changing size).
        var times = [timeval(tv_sec: Int(Date().timeIntervalSince1970) - 60, tv_usec: 0), timeval()]
        times[1] = times[0]
        #expect(utimes(path, &times) == 0)
        #expect(tracker.complete(in: directory.path, now: start + .milliseconds(1600)).isEmpty, "mtime changed: reset")
        #expect(tracker.complete(in: directory.path, now: start + .milliseconds(2700)) == ["STOCK_1.csv"])
        // It grows: observed afresh.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("NORTH,1\n".utf8))
        try handle.close()
        #expect(utimes(path, &times) == 0)
        #expect(tracker.complete(in: directory.path, now: start + .milliseconds(2800)).isEmpty)
        #expect(tracker.complete(in: directory.path, now: start + .milliseconds(3900)) == ["STOCK_1.csv"])
        // Not matching the pattern: never.
        directory.write("README.txt", "x")
        #expect(!tracker.complete(in: directory.path, now: start + .seconds(10)).contains("README.txt"))
    }

    @Test("done-marker mode: a file is taken when its marker appears, not before; the marker is removed")
    func doneMarker() async throws {
        try await FileDropFixture.run(watch: "  done_marker: \".done\"") { fixture in
            var tracker = StabilityTracker(watch: fixture.flow.watch)
            let bytes = FileDropFixture.stockCSV(8)
            fixture.drop("STOCK_9.csv", bytes)
            let later = ContinuousClock.now + .seconds(60)
            #expect(tracker.complete(in: fixture.flow.watch.directory).isEmpty)
            #expect(tracker.complete(in: fixture.flow.watch.directory, now: later).isEmpty, "stable is not enough")
            try await Self.watching(fixture, .legacy) {
                fixture.drop("STOCK_9.csv.done", [])
                let result = try #require(try await Self.settled(fixture, "STOCK_9.csv"))
                #expect(result.recordsSeen == 8)
                #expect(fixture.files(fixture.flow.inbox)["STOCK_9.csv"] == bytes)
                #expect(fixture.files(fixture.flow.watch.directory).isEmpty, "file and marker both gone")
            }
        }
    }

    @Test("a file written slowly over several seconds is not taken until it is complete")
    func slowWriter() async throws {
        try await FileDropFixture.run(stableForMilliseconds: 1500) { fixture in
            let path = fixture.flow.watch.directory + "/STOCK_10.csv"
            try await Self.watching(fixture, .legacy) {
                #expect(FileManager.default.createFile(atPath: path, contents: nil))
                let handle = try #require(FileHandle(forWritingAtPath: path))
                var written: [UInt8] = []
                let all = FileDropFixture.stockCSV(40)
                let lines = String(decoding: all, as: UTF8.self).split(
                    separator: "\n", omittingEmptySubsequences: false)
                // Ten pieces, 400 ms apart: four seconds of writing, each pause shorter than stable_for_ms.
                let pieces = stride(from: 0, to: lines.count - 1, by: 5).map {
                    lines[$0..<min($0 + 5, lines.count - 1)].joined(separator: "\n") + "\n"
                }
                for piece in pieces {
                    #expect(
                        FileManager.default.fileExists(atPath: path), "still in the watched folder while being written")
                    handle.write(Data(piece.utf8))
                    written += Array(piece.utf8)
                    try await Task.sleep(for: .milliseconds(400))  // the writer's pace, not synchronisation
                }
                try handle.close()
                #expect(written == all)
                let result = try #require(try await Self.settled(fixture, "STOCK_10.csv"))
                #expect(result.recordsSeen == 40)
                #expect(fixture.files(fixture.flow.inbox)["STOCK_10.csv"] == all, "the whole file, not a prefix")
            }
        }
    }
}

enum WatchDefinitionFixture {
    static func make(_ directory: String, stableFor: Int, minimumAge: Int) -> CutoverConfig.WatchDefinition {
        CutoverConfig.WatchDefinition(
            directory: directory, pattern: "STOCK_*.csv", stableForMilliseconds: stableFor,
            minimumAgeMilliseconds: minimumAge)
    }
}
