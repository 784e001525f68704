import CutoverCore
import Foundation

/// The audit writer's local fallback: batches appended to segment files, one batch per line, each line
/// `<sha256 of payload> <payload JSON>` and fsync'ed before the batch is acknowledged.
///
/// New batches go to the open segment; `seal()` closes it so the drainer may send it on and delete it. A torn last
/// line (a crash mid-append, never acknowledged) fails its checksum and is skipped; any other bad line moves the
/// segment to `corrupt/` for an operator, so nothing is silently dropped.
final class AuditSpool {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String
    let maxSegmentBytes: Int
    private var open: (path: String, handle: FileHandle, bytes: Int)?
    private var sequence = 0
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    init(directory: String, maxSegmentBytes: Int) {
        self.directory = directory
        self.maxSegmentBytes = maxSegmentBytes
    }

    /// Appends one batch durably.
    func append(_ records: [AuditRecord]) throws {
        let payload = try encoder.encode(records)
        var line = Data(Digest.sha256Hex(bytes: payload).utf8)
        line.append(UInt8(ascii: " "))
        line.append(payload)
        line.append(UInt8(ascii: "\n"))
        let segment = try openSegment()
        do {
            try segment.handle.write(contentsOf: line)
            try segment.handle.synchronize()
        } catch {
            throw Failure(description: "cannot write the audit spool at \(segment.path): \(error)")
        }
        open?.bytes += line.count
        if let open, open.bytes >= maxSegmentBytes { seal() }
    }

    /// Closes the open segment; later batches start a new one.
    func seal() {
        guard let segment = open else { return }
        try? segment.handle.close()
        open = nil
    }

    /// Sealed segments, oldest first.
    func sealedSegments() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("segment-") && $0.hasSuffix(".jsonl") }
            .sorted()
            .map { directory + "/" + $0 }
            .filter { $0 != open?.path && !Self.isOpenElsewhere($0) }
    }

    /// A segment still being written by another live process (`segment-<ms>-<pid>-<seq>.jsonl`).
    static func isOpenElsewhere(_ path: String) -> Bool {
        let parts = (path as NSString).lastPathComponent.split(separator: "-")
        guard parts.count == 4, let pid = pid_t(parts[2]), pid != getpid() else { return false }
        return kill(pid, 0) == 0
    }

    /// Bytes waiting in the spool.
    func bytes() -> Int {
        sealedSegments().reduce(open?.bytes ?? 0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    /// The batches of a sealed segment. Throws when a line other than a torn last line is damaged.
    func batches(in path: String) throws -> [[AuditRecord]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var batches: [[AuditRecord]] = []
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let endsCleanly = data.last == UInt8(ascii: "\n")
        for (index, line) in lines.enumerated() {
            let isTornTail = index == lines.count - 1 && !endsCleanly
            guard line.count > 65, line[line.startIndex + 64] == UInt8(ascii: " ") else {
                if isTornTail { break }
                throw Failure(description: "damaged line \(index + 1) in \(path)")
            }
            let checksum = String(decoding: line.prefix(64), as: UTF8.self)
            let payload = line.dropFirst(65)
            guard Digest.sha256Hex(bytes: payload) == checksum else {
                if isTornTail { break }
                throw Failure(description: "checksum mismatch on line \(index + 1) in \(path)")
            }
            batches.append(try decoder.decode([AuditRecord].self, from: Data(payload)))
        }
        return batches
    }

    /// Removes a segment whose batches are all in PostgreSQL.
    func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
        syncDirectory()
    }

    /// Moves a damaged segment aside for an operator.
    func quarantine(_ path: String) {
        let corrupt = directory + "/corrupt"
        try? FileManager.default.createDirectory(atPath: corrupt, withIntermediateDirectories: true)
        try? FileManager.default.moveItem(atPath: path, toPath: corrupt + "/" + (path as NSString).lastPathComponent)
    }

    private func openSegment() throws -> (path: String, handle: FileHandle, bytes: Int) {
        if let open { return open }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create the audit spool directory \(directory)")
        }
        sequence += 1
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let path =
            directory
            + "/segment-\(String(format: "%015lld", stamp))-\(getpid())-\(String(format: "%06d", sequence)).jsonl"
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw Failure(description: "cannot create the audit spool segment \(path)")
        }
        syncDirectory()
        let segment = (path: path, handle: handle, bytes: 0)
        open = segment
        return segment
    }

    /// fsync the directory so created and removed segment names survive a power loss.
    private func syncDirectory() {
        let fd = Foundation.open(directory, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
