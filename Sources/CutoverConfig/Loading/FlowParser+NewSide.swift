import CutoverCore
import Foundation
import Yams

enum NewSideParsing {
    static let keys = [
        "method", "url", "auth", "idempotency_key", "body", "timeout_ms", "batch_size", "response_template",
        "response_map", "fallback", "circuit_breaker", "rate_limit",
    ]
    static let methods = ["POST", "PUT", "PATCH", "GET", "DELETE"]
}

extension FlowParser {
    func parseNew(_ reader: MappingReader, kind: FlowKind?) -> NewSideDefinition? {
        let method = (reader.string("method") ?? "POST").uppercased()
        if !NewSideParsing.methods.contains(method) {
            sink.error("new.method '\(method)' is not an HTTP method Cutover sends", at: reader.node("method")?.mark)
        }
        let url = reader.string("url", required: true)
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            sink.error("new.url must be an http(s) URL", at: reader.node("url")?.mark)
        }
        let auth = reader.mapping("auth", allowed: ["token_url", "client_id", "client_secret", "scope"]).flatMap {
            auth in
            let tokenURL = auth.string("token_url", required: true)
            let clientID = auth.string("client_id", required: true)
            let secret = auth.string("client_secret", required: true)
            let scope = auth.string("scope").flatMap { $0.isEmpty ? nil : $0 }
            return tokenURL.flatMap { tokenURL in
                clientID.flatMap { id in
                    secret.map {
                        ClientCredentials(tokenURL: tokenURL, clientID: id, clientSecret: $0, scope: scope)
                    }
                }
            }
        }
        let idempotencyKey = reader.string("idempotency_key").map {
            $0.contains("{") ? KeySpec.template($0) : .path($0)
        }
        let body = reader.node("body").flatMap { parseBody($0, context: "new.body") }
        let template = reader.string("response_template").map { resolveTemplate($0, reader: reader) }
        if kind != nil, kind != .soap, template != nil {
            sink.error("new.response_template applies to soap flows only", at: reader.keyMark("response_template"))
        }
        var responseMap: [String: [String: String]] = [:]
        if let mapReader = reader.mapping("response_map", allowed: nil) {
            for pointer in mapReader.keys {
                if !pointer.hasPrefix("/") {
                    sink.error(
                        "new.response_map keys are JSON pointers and start with '/'", at: mapReader.keyMark(pointer))
                }
                responseMap[pointer] = mapReader.stringMap(pointer)
            }
        }
        let fallback = reader.choice("fallback", NewSideDefinition.Fallback.self) ?? .deadLetter
        var circuitFailures = 5
        var circuitOpenSeconds = 30.0
        if let breaker = reader.mapping("circuit_breaker", allowed: ["failures", "open_for"]) {
            circuitFailures = breaker.int("failures", range: 1...10_000) ?? circuitFailures
            if let text = breaker.string("open_for") {
                if let seconds = DurationText.seconds(text), seconds > 0 {
                    circuitOpenSeconds = Double(seconds)
                } else {
                    sink.error(
                        "new.circuit_breaker.open_for '\(text)' is not a duration", at: breaker.node("open_for")?.mark,
                        hint: "e.g. 30s")
                }
            }
        }
        guard let url else { return nil }
        var definition = NewSideDefinition(
            method: method, url: url, auth: auth, idempotencyKey: idempotencyKey, body: body,
            timeoutMilliseconds: reader.int("timeout_ms", range: 1...600_000) ?? 10_000,
            batchSize: reader.int("batch_size", range: 1...10_000) ?? 100, responseTemplate: template,
            responseMap: responseMap, fallback: fallback
        )
        definition.circuitFailures = circuitFailures
        definition.circuitOpenSeconds = circuitOpenSeconds
        if let limit = reader.mapping("rate_limit", allowed: ["per_second", "burst"]) {
            let perSecond = limit.double("per_second", range: 0.001...1_000_000)
            if perSecond == nil {
                sink.error(
                    "new.rate_limit needs per_second", at: limit.mark, hint: "e.g. { per_second: 50, burst: 100 }")
            }
            if let perSecond {
                definition.rateLimit = NewSideDefinition.RateLimit(
                    perSecond: perSecond, burst: limit.double("burst", range: 1...1_000_000) ?? max(1, perSecond))
            }
        }
        return definition
    }

    private func resolveTemplate(_ path: String, reader: MappingReader) -> String {
        resolveFile(path, reader: reader, key: "response_template", name: "new.response_template")
    }

    /// A file named in an adapter, resolved against the adapter file's folder; reported when missing.
    func resolveFile(_ path: String, reader: MappingReader, key: String, name: String) -> String {
        let resolved =
            path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).path
        if !FileManager.default.fileExists(atPath: resolved) {
            sink.error(
                "\(name) '\(path)' does not exist", at: reader.node(key)?.mark,
                hint: "paths are relative to the adapter file")
        }
        return resolved
    }

    /// `new.body`: a string is a source path; `{path|const, type, map}` is a field; `{each, fields}` a repeating
    /// group; any other mapping a nested JSON object.
    func parseBody(_ node: Node, context: String) -> BodySpec? {
        switch node {
        case .scalar:
            guard let text = MappingReader.scalar(node, context: context, sink: sink, expander: expander) else {
                return nil
            }
            return .field(FieldSpec(source: .path(text)))
        case .mapping(let mapping):
            let names = mapping.keys.compactMap(\.string)
            if names.contains("each") {
                guard
                    let group = MappingReader(
                        node, context: context, allowed: ["each", "fields"], sink: sink, expander: expander),
                    let each = group.string("each", required: true), let fields = group.node("fields")
                else { return nil }
                guard let element = parseBody(fields, context: "\(context).fields") else { return nil }
                return .each(path: each, element: element)
            }
            if names.contains("path") || names.contains("const") {
                return parseFieldSpec(node, context: context).map(BodySpec.field)
            }
            guard let object = MappingReader(node, context: context, allowed: nil, sink: sink, expander: expander)
            else { return nil }
            var members: [BodySpec.Member] = []
            for name in object.keys {
                if let value = object.node(name).flatMap({ parseBody($0, context: "\(context).\(name)") }) {
                    members.append(BodySpec.Member(name: name, value: value))
                }
            }
            return .object(members)
        default:
            sink.error("\(context) must be a source path or a mapping", at: node.mark)
            return nil
        }
    }

    func parseFieldSpec(_ node: Node, context: String) -> FieldSpec? {
        guard
            let reader = MappingReader(
                node, context: context, allowed: ["path", "const", "type", "map"], sink: sink, expander: expander)
        else { return nil }
        let type = reader.choice("type", ValueType.self) ?? .string
        let map = reader.stringMap("map")
        switch (reader.string("path"), reader.string("const")) {
        case (let path?, nil): return FieldSpec(source: .path(path), type: type, map: map)
        case (nil, let value?): return FieldSpec(source: .constant(value), type: type, map: map)
        default:
            sink.error("\(context) needs exactly one of 'path' or 'const'", at: node.mark)
            return nil
        }
    }
}
