import Foundation

/// The content hash of a dropped file, computed in a pass of its own (beside the validation pass, on another
/// thread); in legacy and shadow mode the same pass writes the legacy copy, so the file is read once for both.
enum FileDigest {
    /// SHA-256 of the file, hex. With `copyTo`, the bytes are also written to that path and fsync'ed.
    static func compute(_ path: String, copyTo copy: String? = nil) throws -> String {
        let stream = try ByteStream(path: path)
        if let copy {
            let sink = try FileSink(finalPath: copy, temporaryPath: copy)
            try stream.copyRest(to: sink)
            try sink.commit()
        }
        return try stream.finishDigest()
    }
}

/// Runs blocking file work on a thread of its own: a gigabyte parsed or copied must not hold a thread of the
/// cooperative pool, which the HTTP server and every other flow share.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}
