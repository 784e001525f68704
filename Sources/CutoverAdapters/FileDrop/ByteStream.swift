import Crypto
import CutoverCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file read front to back in fixed chunks, hashed (SHA-256) as it is read: constant memory whatever the size.
///
/// Not shared between tasks: one reader owns it for one pass over one file.
final class ByteStream {
    let path: String
    private let descriptor: Int32
    private let chunk: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var index = 0
    private var count = 0
    private var hasher: SHA256?
    private var finished = false
    /// Bytes handed out so far.
    private(set) var offset = 0

    /// `hashing: false` for a pass that does not need the digest (another pass computes it).
    init(path: String, chunkSize: Int = 1 << 18, hashing: Bool = true) throws {
        self.path = path
        self.hasher = hashing ? SHA256() : nil
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileDropError.io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.capacity = chunkSize
        self.chunk = .allocate(capacity: chunkSize)
    }

    deinit {
        close(descriptor)
        chunk.deallocate()
    }

    /// The next byte, or nil at the end of the file.
    @inline(__always)
    func next() throws -> UInt8? {
        if index == count {
            guard try refill() else { return nil }
        }
        let byte = chunk[index]
        index += 1
        offset += 1
        return byte
    }

    /// The next byte without taking it.
    @inline(__always)
    func peek() throws -> UInt8? {
        if index == count {
            guard try refill() else { return nil }
        }
        return chunk[index]
    }

    /// Reads the rest of the file (hashing it) and returns the SHA-256 of the whole file, hex.
    func finishDigest() throws -> String {
        while try refill() {}
        return Digest.hex(hasher?.finalize() ?? SHA256().finalize())
    }

    /// Copies the rest of the file to `out` chunk by chunk (hashing it); for the byte-exact legacy copy.
    func copyRest(to out: FileSink) throws {
        if index < count {
            try out.write(UnsafeBufferPointer(start: chunk + index, count: count - index))
            offset += count - index
            index = count
        }
        while try refill() {
            try out.write(UnsafeBufferPointer(start: chunk, count: count))
            offset += count
            index = count
        }
    }

    /// The unread part of the current chunk, for scanners that loop over bytes themselves: read `base[index..<count]`,
    /// then report how far with ``consume(to:)``. Empty only at the end of the file.
    @inline(__always)
    func window() throws -> (base: UnsafeMutablePointer<UInt8>, index: Int, count: Int) {
        if index == count { _ = try refill() }
        return (chunk, index, count)
    }

    @inline(__always)
    func consume(to newIndex: Int) {
        offset += newIndex - index
        index = newIndex
    }

    private func refill() throws -> Bool {
        if finished { return false }
        var got = 0
        repeat {
            got = read(descriptor, chunk, capacity)
        } while got < 0 && errno == EINTR
        guard got >= 0 else { throw FileDropError.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        if got == 0 {
            finished = true
            index = 0
            count = 0
            return false
        }
        hasher?.update(bufferPointer: UnsafeRawBufferPointer(start: chunk, count: got))
        index = 0
        count = got
        return true
    }
}

/// A file written under a temporary name, fsync'ed, then renamed into place: its reader never sees it partial.
final class FileSink {
    let temporaryPath: String
    let finalPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private(set) var bytesWritten = 0

    /// The temporary name for `finalPath`: hidden (a leading dot) so that a consumer polling for its usual
    /// pattern never picks it up.
    static func temporaryPath(for finalPath: String) -> String {
        let url = URL(fileURLWithPath: finalPath)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).cutover-part").path
    }

    init(finalPath: String, temporaryPath: String? = nil) throws {
        self.finalPath = finalPath
        let temporaryPath = temporaryPath ?? Self.temporaryPath(for: finalPath)
        self.temporaryPath = temporaryPath
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileDropError.io("cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 18)
    }

    deinit {
        close(descriptor)
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        try flush()
        try writeFully(bytes)
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 18 { try flush() }
    }

    func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBufferPointer { try writeFully($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw FileDropError.io("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
            }
            done += wrote
        }
        bytesWritten += bytes.count
    }

    /// Flushes and fsyncs the temporary file; it is complete on disk afterwards.
    func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else {
            throw FileDropError.io("cannot fsync \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Renames a committed temporary file into place and fsyncs the directory, so the rename survives a crash.
    static func publish(temporaryPath: String, finalPath: String) throws {
        guard rename(temporaryPath, finalPath) == 0 else {
            throw FileDropError.io(
                "cannot rename \(temporaryPath) to \(finalPath): \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: finalPath)
    }

    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
