/// A mode together with its canary percent: what a flow is set to.
public struct ModeSetting: Sendable, Hashable, Codable, CustomStringConvertible {
    public var mode: Mode
    /// Percent of routing-key buckets served by the new side; meaningful in `canary` only (0 otherwise).
    public var percent: Double

    public init(mode: Mode, percent: Double = 0) {
        self.mode = mode
        self.percent = mode == .canary ? percent : 0
    }

    public static let legacy = ModeSetting(mode: .legacy)

    public var description: String {
        mode == .canary ? "canary \(Self.format(percent))%" : mode.rawValue
    }

    static func format(_ percent: Double) -> String {
        percent == percent.rounded() ? String(Int(percent)) : String(percent)
    }
}
