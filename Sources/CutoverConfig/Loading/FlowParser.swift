import CutoverCore
import Foundation
import Yams

/// Turns one adapter file's YAML into a ``FlowDefinition``, reporting every problem it finds.
struct FlowParser {
    let sink: DiagnosticSink
    let expander: EnvironmentExpander
    /// The adapter file's directory, against which relative paths (templates) resolve.
    let baseDirectory: String

    static let commonKeys = [
        "flow", "kind", "description", "owner", "mode", "percent", "routing_key", "namespaces", "legacy", "new",
        "compare", "rollout", "redact", "reconcile",
    ]
    static let kindKeys: [FlowKind: [String]] = [
        .soap: ["listen"],
        .fileDrop: ["watch", "format"],
        .dbJob: ["schedule", "source"],
    ]

    func parse(_ root: Node) -> FlowDefinition? {
        let allKeys = Self.commonKeys + FlowKind.allCases.flatMap { Self.kindKeys[$0]! }
        guard let top = MappingReader(root, context: "top level", allowed: allKeys, sink: sink, expander: expander)
        else { return nil }

        let flow = top.string("flow", required: true)
        if let flow, flow.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) == nil {
            sink.error("flow name '\(flow)' must be lower-case letters, digits and dashes", at: top.node("flow")?.mark)
        }
        let kind = top.choice("kind", FlowKind.self, required: true)
        if let kind {
            for other in FlowKind.allCases where other != kind {
                for key in Self.kindKeys[other]! where top.has(key) {
                    sink.error(
                        "'\(key)' applies to \(other.rawValue) flows, not \(kind.rawValue)", at: top.keyMark(key)
                    )
                }
            }
        }
        let initialMode = parseInitialMode(top)
        let routingKey = top.string("routing_key")
        let namespaces = top.stringMap("namespaces")
        let new = top.mapping("new", allowed: NewSideParsing.keys).flatMap { parseNew($0, kind: kind) }
        let compare = top.mapping("compare", allowed: CompareParsing.keys).map(parseCompare) ?? CompareSpec()
        let rollout =
            top.mapping("rollout", allowed: ["auto_rollback", "promote_when"]).map(parseRollout)
            ?? RolloutDefinition()
        let redact = top.stringList("redact")
        let reconcile = top.mapping("reconcile", allowed: ReconcileParsing.keys).flatMap(parseReconcile)
        let legacy = kind.flatMap { parseLegacy(top, kind: $0) }

        if let initialMode, initialMode.mode != .legacy, new == nil, top.has("new") == false {
            sink.error("mode '\(initialMode.mode.rawValue)' needs a 'new' section", at: top.node("mode")?.mark)
        }
        if initialMode?.mode == .canary, routingKey == nil {
            sink.error("canary mode needs a routing_key", at: top.node("mode")?.mark)
        }
        guard let flow, let kind, let legacy, let initialMode else { return nil }
        return FlowDefinition(
            flow: flow, kind: kind, description: top.string("description"), owner: top.string("owner"),
            initialMode: initialMode, routingKey: routingKey, namespaces: namespaces, legacy: legacy, new: new,
            compare: compare, rollout: rollout, redact: redact, reconcile: reconcile, sourceFile: sink.file
        )
    }

    private func parseInitialMode(_ top: MappingReader) -> ModeSetting? {
        let mode = top.has("mode") ? top.choice("mode", Mode.self) : .legacy
        guard let mode else { return nil }
        let percent = top.double("percent", range: 0...100)
        if mode == .canary {
            guard let percent, percent > 0 else {
                sink.error("canary mode needs 'percent' above 0", at: top.node("mode")?.mark)
                return nil
            }
            return ModeSetting(mode: .canary, percent: percent)
        }
        if percent != nil {
            sink.error("'percent' applies to canary mode only", at: top.keyMark("percent"))
        }
        return ModeSetting(mode: mode)
    }
}
