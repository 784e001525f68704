import AsyncHTTPClient
import CutoverCore
import Foundation
import NIOCore

/// What the legacy side did with one call.
struct LegacyOutcome: Sendable {
    var startedAt: Date
    var status: Int?
    var contentType: String?
    var body: [UInt8]
    var latency: Double
    /// Why no answer came (refused, timed out); nil when the service answered, whatever the status.
    var error: String?

    /// The service answered 200: a SOAP fault (500) or anything else counts as a legacy error.
    var succeeded: Bool { error == nil && status == 200 }
}

/// A GET answered with another status than 200.
struct FetchFailure: Error, CustomStringConvertible {
    var status: Int
    var description: String { "HTTP \(status)" }
}

/// Forwards SOAP calls to the legacy service unchanged, over a shared keep-alive pool.
struct LegacySOAPClient: Sendable {
    let httpClient: HTTPClient
    static let maxResponseBytes = 16 << 20

    func call(endpoint: String, body: [UInt8], headers: [(String, String)], timeout: Duration) async -> LegacyOutcome {
        let startedAt = Date()
        let clock = ContinuousClock.now
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
            let answer = try await response.body.collect(upTo: Self.maxResponseBytes)
            return LegacyOutcome(
                startedAt: startedAt, status: Int(response.status.code),
                contentType: response.headers.first(name: "Content-Type"), body: Array(buffer: answer),
                latency: clock.duration(to: .now).inSeconds, error: nil)
        } catch {
            let reason: String
            if let error = error as? HTTPClientError {
                reason =
                    error == .deadlineExceeded || error == .readTimeout
                    ? "no answer within \(timeout)" : error.shortDescription
            } else {
                reason = String(describing: type(of: error))
            }
            return LegacyOutcome(
                startedAt: startedAt, status: nil, contentType: nil, body: [],
                latency: clock.duration(to: .now).inSeconds, error: reason)
        }
    }

    /// A GET (the WSDL).
    func fetch(_ url: String, timeout: Duration) async throws -> [UInt8] {
        let response = try await httpClient.execute(
            HTTPClientRequest(url: url), timeout: TimeAmount(timeout))
        guard response.status == .ok else { throw FetchFailure(status: Int(response.status.code)) }
        return Array(buffer: try await response.body.collect(upTo: 4 << 20))
    }
}
