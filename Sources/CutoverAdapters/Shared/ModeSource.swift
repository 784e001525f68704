import CutoverCore
import CutoverStore

/// The live mode of a flow, read on every exchange. It must answer at once (no I/O).
public protocol ModeSource: Sendable {
    func setting(of flow: String) -> ModeSetting
}

extension FlowStateWatcher: ModeSource {
    /// A flow whose state is not loaded yet runs as `legacy`: the one mode that cannot surprise anybody.
    public nonisolated func setting(of flow: String) -> ModeSetting {
        current(flow)?.setting ?? .legacy
    }
}

/// Modes read once, for a command that runs briefly (`cutover drop`): flows not listed run as `legacy`.
public struct FixedModes: ModeSource {
    let settings: [String: ModeSetting]

    public init(_ settings: [String: ModeSetting]) {
        self.settings = settings
    }

    public func setting(of flow: String) -> ModeSetting {
        settings[flow] ?? .legacy
    }
}
