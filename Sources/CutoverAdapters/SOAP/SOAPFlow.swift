import CutoverConfig
import CutoverCore
import CutoverXML
import Foundation

/// A soap flow's definition, made ready for traffic: the response template compiled, limits set.
public struct SOAPFlow: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let definition: FlowDefinition
    public let legacy: SOAPLegacy
    public let template: ResponseTemplate?
    public let limits: XMLLimits

    public var name: String { definition.flow }
    public var namespaces: [String: String] { definition.namespaces }
    public var listenPath: String { legacy.listenPath }

    public init(_ definition: FlowDefinition, limits: XMLLimits = .default) throws(Failure) {
        guard case .soap(let legacy) = definition.legacy else {
            throw Failure(description: "\(definition.flow) is not a soap flow")
        }
        self.definition = definition
        self.legacy = legacy
        self.limits = limits
        if let path = definition.new?.responseTemplate {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Failure(description: "\(definition.flow): response template \(path) cannot be read")
            }
            do {
                template = try ResponseTemplate(text: text)
            } catch {
                throw Failure(description: "\(definition.flow): \(error)")
            }
        } else {
            template = nil
        }
    }
}

extension SOAPFlow {
    /// A legacy answer as a document, parsed with the same hardening as a request but a larger size limit.
    func legacyDocument(_ body: [UInt8]) -> XMLDocument? {
        try? XMLDocument.parse(body, limits: XMLLimits(maxBytes: 16 << 20, maxDepth: 256))
    }

    /// Both sides' results, compared with the flow's rules; `legacy` is nil when the legacy side failed. A side that
    /// failed decides the verdict first.
    func compare(legacy: [UInt8]?, new: NewOutcome) -> FieldComparator.Outcome {
        guard let legacy, let document = legacyDocument(legacy) else {
            return FieldComparator.Outcome(verdict: .legacyError, diff: [])
        }
        guard new.succeeded, let reply = new.reply else { return FieldComparator.Outcome(verdict: .newError, diff: []) }
        return FieldComparator.compare(
            definition.compare, legacy: XMLMappingSource(document: document, namespaces: namespaces),
            new: JSONMappingSource(reply))
    }
}
