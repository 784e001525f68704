/// Legacy input the mapping engine reads: an XML document (XPath), a CSV, fixed-width or SQL row (column names),
/// or a JSON document (JSON pointers). Each adapter kind supplies one.
public protocol MappingSource {
    /// The string values at `path` (none when the path selects nothing).
    func values(at path: String) throws -> [String]
    /// One source per node at `path`, for repeating groups: paths inside are relative to it.
    func scopes(at path: String) throws -> [any MappingSource]
}

/// A flat row (CSV, fixed-width, SQL): paths are column names; there are no repeating groups.
public struct RowSource: MappingSource {
    public var columns: [String: String]

    public init(_ columns: [String: String]) {
        self.columns = columns
    }

    public func values(at path: String) throws -> [String] {
        columns[path].map { [$0] } ?? []
    }

    public func scopes(at path: String) throws -> [any MappingSource] {
        []
    }
}
