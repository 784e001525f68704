import CutoverConfig
import CutoverCore
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Watches each file-drop flow's folder: takes a file once it is complete, claims it by renaming it into
/// `processing/`, and hands it to the flow's processor. Files are taken in name order, one at a time per flow,
/// so a nightly sequence keeps its order.
///
/// A file is complete when its done marker exists (`STOCK_x.csv.done`, when the flow uses one), or else when its
/// size and mtime have not changed for `stable_for_ms` of this watcher's own observation and its mtime is at
/// least `min_age_ms` old. Each poll also looks in `processing/` for files nobody holds (an instance that died
/// mid-file releases its lock with its connection) and resumes them.
public struct FileDropWatcher: Service {
    let processors: [FileDropProcessor]
    let startWhen: @Sendable () async -> Void
    let logger: Logger

    public init(
        processors: [FileDropProcessor], startWhen: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) {
        self.processors = processors
        self.startWhen = startWhen
        self.logger = logger
    }

    public func run() async throws {
        guard !processors.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await startWhen()
            await withDiscardingTaskGroup { group in
                for processor in processors {
                    group.addTask { await Self.watch(processor, logger: logger) }
                }
            }
        }
    }

    static func watch(_ processor: FileDropProcessor, logger: Logger) async {
        let flow = processor.flow
        do {
            try flow.createDirectories()
        } catch {
            logger.error(
                "cannot create the flow's folders", metadata: ["cutover.flow": "\(flow.name)", "error": "\(error)"])
        }
        var tracker = StabilityTracker(watch: flow.watch)
        while !Task.isCancelled {
            await poll(processor, tracker: &tracker, logger: logger)
            try? await Task.sleep(for: .milliseconds(flow.watch.pollIntervalMilliseconds))
        }
    }

    /// One look: resume what lies unheld in `processing/`, then take every complete file in the folder.
    static func poll(_ processor: FileDropProcessor, tracker: inout StabilityTracker, logger: Logger) async {
        let flow = processor.flow
        for name in listing(flow.processingDirectory) where !Task.isCancelled {
            await run(
                processor, URL(fileURLWithPath: flow.processingDirectory).appendingPathComponent(name).path, logger)
        }
        for name in tracker.complete(in: flow.watch.directory) where !Task.isCancelled {
            guard let path = take(name, flow: flow, logger: logger) else { continue }
            await run(processor, path, logger)
        }
    }

    private static func run(_ processor: FileDropProcessor, _ path: String, _ logger: Logger) async {
        do {
            try await processor.process(path)
        } catch {
            // Left in processing/ and tried again at the next poll: nothing is lost.
            logger.error(
                "file processing interrupted; it stays in processing/ and is retried",
                metadata: [
                    "cutover.flow": "\(processor.flow.name)", "file": "\(URL(fileURLWithPath: path).lastPathComponent)",
                    "error": "\(error)",
                ])
        }
    }

    /// Claims a file by renaming it into `processing/`: atomic, so of two watchers only one gets it. Nil when
    /// another watcher was first or a same-named file is still being processed.
    static func take(_ name: String, flow: FileDropFlow, logger: Logger) -> String? {
        let source = URL(fileURLWithPath: flow.watch.directory).appendingPathComponent(name).path
        let target = URL(fileURLWithPath: flow.processingDirectory).appendingPathComponent(name).path
        guard !FileManager.default.fileExists(atPath: target) else { return nil }
        guard rename(source, target) == 0 else {
            if errno != ENOENT {
                logger.error(
                    "cannot move a dropped file into processing/",
                    metadata: [
                        "cutover.flow": "\(flow.name)", "file": "\(name)",
                        "error": "\(String(cString: strerror(errno)))",
                    ])
            }
            return nil
        }
        FileSink.syncDirectory(of: target)
        if let marker = flow.watch.doneMarker { unlink(source + marker) }
        return target
    }

    /// Regular, visible files in `directory`, by name.
    static func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { name in
            guard !name.hasPrefix(".") else { return false }
            var info = stat()
            return stat(URL(fileURLWithPath: directory).appendingPathComponent(name).path, &info) == 0
                && (info.st_mode & S_IFMT) == S_IFREG
        }.sorted()
    }
}

/// Which files in a watched folder are complete, by the flow's rule.
struct StabilityTracker {
    struct Observation {
        var size: Int
        var mtime: timespec
        var since: ContinuousClock.Instant
    }

    let watch: WatchDefinition
    var observed: [String: Observation] = [:]

    init(watch: WatchDefinition) {
        self.watch = watch
    }

    /// The files that match the pattern and are complete now, in name order.
    mutating func complete(in directory: String, now: ContinuousClock.Instant = .now) -> [String] {
        let names = FileDropWatcher.listing(directory).filter { name in
            fnmatch(watch.pattern, name, 0) == 0 && !(watch.doneMarker.map { name.hasSuffix($0) } ?? false)
        }
        observed = observed.filter { names.contains($0.key) }
        var ready: [String] = []
        for name in names {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            if let marker = watch.doneMarker {
                if FileManager.default.fileExists(atPath: path + marker) { ready.append(name) }
                continue
            }
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            let size = Int(info.st_size)
            let mtime = info.st_mtim
            guard let seen = observed[name], seen.size == size, seen.mtime.tv_sec == mtime.tv_sec,
                seen.mtime.tv_nsec == mtime.tv_nsec
            else {
                observed[name] = Observation(size: size, mtime: mtime, since: now)
                continue
            }
            let age = Date().timeIntervalSince1970 - (Double(mtime.tv_sec) + Double(mtime.tv_nsec) / 1e9)
            if now - seen.since >= .milliseconds(watch.stableForMilliseconds),
                age * 1000 >= Double(watch.minimumAgeMilliseconds)
            {
                ready.append(name)
            }
        }
        return ready
    }
}
