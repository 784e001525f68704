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
