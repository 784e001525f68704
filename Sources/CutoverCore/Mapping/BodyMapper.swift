/// Builds the JSON body for the new side from legacy input and a ``BodySpec`` (DESIGN.md's `new.body`).
public enum BodyMapper {
    /// A value that could not be mapped, with the body path it was for.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    public static func build(_ spec: BodySpec, from source: any MappingSource) throws(Failure) -> JSONValue {
        try build(spec, from: source, at: "")
    }

    private static func build(_ spec: BodySpec, from source: any MappingSource, at path: String) throws(Failure)
        -> JSONValue
    {
        switch spec {
        case .field(let field):
            return try value(field, from: source, at: path)
        case .object(let members):
            var built: [(String, JSONValue)] = []
            for member in members {
                built.append((member.name, try build(member.value, from: source, at: path + "/" + member.name)))
            }
            return .object(built)
        case .each(let groupPath, let element):
            let scopes: [any MappingSource]
            do {
                scopes = try source.scopes(at: groupPath)
            } catch {
                throw Failure(path: path, message: "cannot read '\(groupPath)': \(error)")
            }
            var items: [JSONValue] = []
            for (index, scope) in scopes.enumerated() {
                items.append(try build(element, from: scope, at: "\(path)/\(index)"))
            }
            return .array(items)
        }
    }

    /// One field: its source value (missing → JSON null), the value map, then the type.
    public static func value(_ field: FieldSpec, from source: any MappingSource, at path: String = "") throws(Failure)
        -> JSONValue
    {
        let raw: String
        switch field.source {
        case .constant(let constant):
            raw = constant
        case .path(let sourcePath):
            let found: [String]
            do {
                found = try source.values(at: sourcePath)
            } catch {
                throw Failure(path: path, message: "cannot read '\(sourcePath)': \(error)")
            }
            guard let first = found.first else { return .null }
            raw = first
        }
        let mapped = field.map[raw.trimmingWhitespace()] ?? raw
        do {
            return try ValueNormalizer.normalize(mapped, as: field.type)
        } catch {
            throw Failure(path: path, message: error.description)
        }
    }
}
