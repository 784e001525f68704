/// Expands `${VAR}` and `${VAR:-default}` in configuration strings from a given environment.
///
/// The environment is passed in: only the CLI reads the process environment.
public struct EnvironmentExpander: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public struct Failure: Error, Sendable, Equatable {
        public var message: String
        public var hint: String?
    }

    /// The string with every reference replaced; an unset variable without a default is a failure.
    public func expand(_ text: String) -> Result<String, Failure> {
        guard text.contains("${") else { return .success(text) }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                return .failure(
                    Failure(message: "unclosed '${' in \"\(text)\"", hint: "write ${NAME} or ${NAME:-default}"))
            }
            let reference = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = reference.range(of: ":-") {
                name = reference[..<separator.lowerBound]
                fallback = reference[separator.upperBound...]
            } else {
                name = reference
                fallback = nil
            }
            guard Self.isValidName(name) else {
                return .failure(Failure(message: "'${\(reference)}' is not a valid variable reference", hint: nil))
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                return .failure(
                    Failure(
                        message: "environment variable \(name) is not set",
                        hint: "set it, or give a default with ${\(name):-value}"
                    )
                )
            }
            rest = rest[rest.index(after: end)...]
        }
        output += rest
        return .success(output)
    }

    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
