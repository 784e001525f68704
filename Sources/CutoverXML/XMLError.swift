/// Why a document was refused. `description` is safe to show a caller; `detail` (libxml2's own text) is for logs.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Larger than the configured byte limit.
        case tooLarge
        /// Carries a DOCTYPE (internal or external subset): refused outright, so no entity is ever declared.
        case doctypeForbidden
        /// Nested deeper than the configured limit.
        case tooDeep
        /// Not well-formed XML.
        case malformed
        /// An XPath expression that does not compile or evaluate.
        case invalidXPath
    }

    public var code: Code
    public var line: Int?
    public var column: Int?
    /// libxml2's message: never sent to a caller.
    public var detail: String?

    public var description: String {
        switch code {
        case .tooLarge: "document exceeds the size limit"
        case .doctypeForbidden: "documents with a DOCTYPE are not accepted"
        case .tooDeep: "document nesting exceeds the depth limit"
        case .malformed: "document is not well-formed XML" + (line.map { " (line \($0))" } ?? "")
        case .invalidXPath: "invalid XPath expression"
        }
    }
}
