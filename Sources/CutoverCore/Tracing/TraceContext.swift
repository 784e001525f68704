import Foundation

/// A W3C Trace Context `traceparent` (version 00): the caller's trace continues through Cutover to both sides.
public struct TraceContext: Sendable, Hashable {
    /// 32 lowercase hex digits.
    public var traceID: String
    /// 16 lowercase hex digits: the span that sent this hop.
    public var parentID: String
    public var flags: String

    /// Reads a `traceparent` header; nil when absent or not well formed (all-zero ids are invalid).
    public init?(header: String?) {
        guard let header else { return nil }
        let parts = header.trimmingWhitespace().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", parts[1].count == 32, parts[2].count == 16,
            parts[3].count == 2, parts.allSatisfy({ $0.allSatisfy(\.isHexDigit) }),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        traceID = parts[1].lowercased()
        parentID = parts[2].lowercased()
        flags = parts[3].lowercased()
    }

    public init(traceID: String, parentID: String, flags: String = "01") {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// A new trace, for a caller that sent none.
    public static func random() -> TraceContext {
        TraceContext(traceID: randomHex(16), parentID: randomHex(8))
    }

    /// The same trace with a new span for Cutover's own hop: what goes to the sides.
    public func child() -> TraceContext {
        TraceContext(traceID: traceID, parentID: Self.randomHex(8), flags: flags)
    }

    public var header: String { "00-\(traceID)-\(parentID)-\(flags)" }

    /// `bytes` random bytes (a multiple of 8) as hex, eight bytes per call to the system generator.
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(bytes)
        while out.count < bytes {
            withUnsafeBytes(of: generator.next() as UInt64) { out.append(contentsOf: $0) }
        }
        return Digest.hex(out.prefix(bytes))
    }
}
