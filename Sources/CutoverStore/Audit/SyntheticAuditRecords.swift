import Crypto
import CutoverCore
import Foundation
import NIOCore

/// Deterministic synthetic exchanges for drills and benchmarks: the same seed and index always give the same
/// record, so a restarted load re-sends exactly the records it had sent.
public enum SyntheticAuditRecords {
    /// 2026-11-20T00:00:00Z: a fixed month, so drills that restart never straddle a partition boundary.
    public static let baseTime = Date(timeIntervalSince1970: 1_795_132_800)

    public static func id(seed: String, index: Int) -> UUID {
        var bytes = Array(SHA256.hash(data: Array("\(seed):\(index)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    public static func exchange(seed: String, index: Int) -> ExchangeRecord {
        let started = baseTime.addingTimeInterval(Double(index) / 1000)
        return ExchangeRecord(
            id: id(seed: seed, index: index), flow: "load-\(seed)", kind: .call, correlationID: "\(seed)-\(index)",
            routingKey: "SUP-\(index % 997)", setting: .legacy, servedBy: .legacy, startedAt: started,
            finishedAt: started.addingTimeInterval(0.02), payloadSHA256: Digest.sha256Hex("\(seed)-\(index)"),
            verdict: .notCompared, attributes: ["index": String(index)]
        )
    }

    /// The same rows as COPY text (columns ``copyColumns``), for a raw `COPY … FROM STDIN` baseline.
    public static func writeCopyFile(path: String, seed: String, range: Range<Int>) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { try? handle.close() }
        var buffer = ByteBuffer()
        for index in range {
            CopyTextEncoder.append(exchange(seed: seed, index: index), to: &buffer)
            if buffer.readableBytes > 1 << 20 {
                try handle.write(contentsOf: buffer.readableBytesView)
                buffer.clear()
            }
        }
        try handle.write(contentsOf: buffer.readableBytesView)
    }

    /// Column list matching ``writeCopyFile(path:seed:range:)``.
    public static var copyColumns: String { CopyTextEncoder.exchangeColumns.joined(separator: ", ") }
}
