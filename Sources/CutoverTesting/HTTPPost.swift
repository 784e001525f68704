import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A request against a server the test started on loopback; nil when nothing answers within 10 s.
///
/// AsyncHTTPClient rather than Foundation's URLSession: on Linux a URLSession request was seen to hang past its
/// timeout under load (a drill stalled with every caller waiting), and it does not end when the test is cancelled.
public func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil
) async -> (status: Int, headers: [String: String], body: String)? {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    do {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), fields, String(buffer: bytes))
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
