import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A request against a server the test started on loopback; nil when nothing answers.
public func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil
) async -> (status: Int, headers: [String: String], body: String)? {
    guard let url = URL(string: url) else { return nil }
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.timeoutInterval = 10
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body { request.httpBody = Data(body) }
    do {
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        return (http?.statusCode ?? 0, fields, String(decoding: data, as: UTF8.self))
    } catch {
        return nil
    }
}

/// A SOAP 1.1 call.
public func soapCall(_ url: String, _ envelope: String, headers: [String: String] = [:]) async
    -> (status: Int, headers: [String: String], body: String)?
{
    var all = [
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": "\"urn:example:purchasing:v1/CreatePurchaseOrder\"",
    ]
    for (name, value) in headers { all[name] = value }
    return await httpRequest("POST", url, headers: all, body: Array(envelope.utf8))
}
