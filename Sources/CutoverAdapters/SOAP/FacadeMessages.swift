/// A call to the facade, independent of the HTTP server.
public struct FacadeRequest: Sendable {
    public var body: [UInt8]
    /// Header names in lower case.
    public var headers: [String: String]
    /// `scheme://host[:port]` as the caller reached the facade (for the WSDL's address).
    public var baseURL: String

    public init(body: [UInt8], headers: [String: String], baseURL: String) {
        self.body = body
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.baseURL = baseURL
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The facade's answer, independent of the HTTP server.
public struct FacadeResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}
