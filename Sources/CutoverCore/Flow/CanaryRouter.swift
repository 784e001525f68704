import Crypto

/// Decides which side serves an exchange, from the flow's mode and the exchange's routing key.
///
/// Canary buckets are a stable hash of (flow, routing key) into 10,000 buckets. A key whose bucket is below
/// `percent × 100` is served by the new side, so raising the percent never moves a key back to legacy.
public enum CanaryRouter {
    public static let bucketCount = 10_000

    /// The bucket (0..<10,000) of a routing key within a flow.
    public static func bucket(flow: String, routingKey: String) -> Int {
        var hasher = SHA256()
        hasher.update(data: Array(flow.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(routingKey.utf8))
        let digest = hasher.finalize()
        let prefix = digest.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return Int(prefix % UInt64(bucketCount))
    }

    /// The side whose answer the caller gets.
    ///
    /// An exchange without a routing key is served by legacy in canary mode: we never guess a bucket.
    public static func servedBy(_ setting: ModeSetting, flow: String, routingKey: String?) -> Side {
        switch setting.mode {
        case .legacy, .shadow:
            return .legacy
        case .new:
            return .new
        case .canary:
            guard let routingKey else { return .legacy }
            let threshold = Int((setting.percent * Double(bucketCount) / 100).rounded())
            return bucket(flow: flow, routingKey: routingKey) < threshold ? .new : .legacy
        }
    }
}
