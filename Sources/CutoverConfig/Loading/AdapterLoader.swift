import CutoverCore
import Foundation
import Yams

/// Loads every `*.yaml` / `*.yml` adapter definition in a directory.
public struct AdapterLoader: Sendable {
    public var expander: EnvironmentExpander

    public init(environment: [String: String]) {
        self.expander = EnvironmentExpander(environment: environment)
    }

    /// All flows of a directory; throws ``ConfigError`` with every problem when any file is invalid.
    public func load(directory: String) throws(ConfigError) -> [FlowDefinition] {
        let (flows, diagnostics) = check(directory: directory)
        guard diagnostics.isEmpty else { throw ConfigError(diagnostics: diagnostics) }
        return flows
    }

    /// Flows and problems, for `cutover validate`, which reports problems without throwing.
    public func check(directory: String) -> ([FlowDefinition], [ConfigDiagnostic]) {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted()
                .map { (directory as NSString).appendingPathComponent($0) }
        } catch {
            return (
                [], [ConfigDiagnostic(file: directory, line: 0, column: 0, message: "cannot read adapter directory")]
            )
        }
        if files.isEmpty {
            return (
                [], [ConfigDiagnostic(file: directory, line: 0, column: 0, message: "no adapter files (*.yaml) found")]
            )
        }
        var flows: [FlowDefinition] = []
        var diagnostics: [ConfigDiagnostic] = []
        for file in files {
            let (flow, problems) = loadFile(file)
            diagnostics += problems
            if let flow { flows.append(flow) }
        }
        diagnostics += crossFileProblems(flows)
        return (flows, diagnostics)
    }

    /// One adapter file.
    public func loadFile(_ path: String) -> (FlowDefinition?, [ConfigDiagnostic]) {
        let sink = DiagnosticSink(file: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [ConfigDiagnostic(file: path, line: 0, column: 0, message: "cannot read file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [ConfigDiagnostic(file: path, line: 1, column: 1, message: "file is not UTF-8 text")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return (nil, [ConfigDiagnostic(file: path, line: 1, column: 1, message: "file is empty")])
            }
            root = node
        } catch let error as YamlError {
            return (nil, [Self.diagnostic(for: error, file: path)])
        } catch {
            return (nil, [ConfigDiagnostic(file: path, line: 1, column: 1, message: "cannot parse YAML")])
        }
        let parser = FlowParser(
            sink: sink, expander: expander, baseDirectory: (path as NSString).deletingLastPathComponent
        )
        let flow = parser.parse(root)
        return (sink.diagnostics.isEmpty ? flow : nil, sink.diagnostics)
    }

    private func crossFileProblems(_ flows: [FlowDefinition]) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        var byName: [String: String] = [:]
        var byPath: [String: String] = [:]
        for flow in flows {
            if let other = byName[flow.flow] {
                problems.append(
                    ConfigDiagnostic(
                        file: flow.sourceFile, line: 1, column: 1,
                        message: "flow '\(flow.flow)' is also defined in \(other)")
                )
            }
            byName[flow.flow] = flow.sourceFile
            if case .soap(let soap) = flow.legacy {
                if let other = byPath[soap.listenPath] {
                    problems.append(
                        ConfigDiagnostic(
                            file: flow.sourceFile, line: 1, column: 1,
                            message: "listen.path '\(soap.listenPath)' is also served by flow '\(other)'"
                        )
                    )
                }
                byPath[soap.listenPath] = flow.flow
            }
        }
        return problems
    }

    static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigDiagnostic(
                file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigDiagnostic(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "duplicate key \(duplicates.joined(separator: ", "))"
            )
        default:
            return ConfigDiagnostic(file: file, line: 1, column: 1, message: "invalid YAML")
        }
    }
}
