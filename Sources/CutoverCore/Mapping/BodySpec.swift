/// The shape of a JSON body built from legacy input (DESIGN.md's `new.body`).
public indirect enum BodySpec: Sendable, Hashable, Codable {
    /// One value.
    case field(FieldSpec)
    /// A JSON object; member order is kept as written.
    case object([Member])
    /// A JSON array with one element per node matched by `each`, built relative to that node.
    case each(path: String, element: BodySpec)

    public struct Member: Sendable, Hashable, Codable {
        public var name: String
        public var value: BodySpec
        public init(name: String, value: BodySpec) {
            self.name = name
            self.value = value
        }
    }
}

/// An idempotency key: either a value taken from the input, or a template such as `invoice-{id}` or
/// `{file_sha256}:{record_number}` whose placeholders name columns or built-in values.
public enum KeySpec: Sendable, Hashable, Codable {
    case path(String)
    case template(String)
}
