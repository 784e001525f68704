/// Bounds on untrusted documents.
public struct XMLLimits: Sendable, Hashable {
    public var maxBytes: Int
    public var maxDepth: Int

    /// 1 MiB and 64 levels: far beyond any SOAP call Cutover fronts, far below what hurts.
    public static let `default` = XMLLimits(maxBytes: 1 << 20, maxDepth: 64)

    public init(maxBytes: Int, maxDepth: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }
}
