import CutoverXML
import Foundation
import Synchronization

/// The legacy WSDL, fetched once and kept for five minutes.
final class WSDLCache: Sendable {
    private let entry = Mutex<(bytes: [UInt8], fetchedAt: ContinuousClock.Instant)?>(nil)
    static let lifetime: Duration = .seconds(300)

    func get() -> [UInt8]? {
        entry.withLock { entry in
            guard let entry, entry.fetchedAt.duration(to: .now) < Self.lifetime else { return nil }
            return entry.bytes
        }
    }

    func put(_ bytes: [UInt8]) {
        entry.withLock { $0 = (bytes, .now) }
    }
}

extension SOAPFacade {
    static let wsdlNamespaces = [
        "wsdl": "http://schemas.xmlsoap.org/wsdl/", "soap11": "http://schemas.xmlsoap.org/wsdl/soap/",
        "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    ]

    /// `GET …?wsdl`: the legacy WSDL with every SOAP address pointing at the facade, so clients generated from it
    /// call Cutover.
    public func wsdl(_ request: FacadeRequest) async -> FacadeResponse {
        var bytes = wsdlCache.get()
        if bytes == nil {
            do {
                let source = flow.legacy.wsdl ?? flow.legacy.endpoint + "?wsdl"
                let fetched =
                    source.hasPrefix("http://") || source.hasPrefix("https://")
                    ? try await legacy.fetch(source, timeout: .milliseconds(flow.legacy.timeoutMilliseconds))
                    : Array(try Data(contentsOf: URL(fileURLWithPath: source)))
                wsdlCache.put(fetched)
                bytes = fetched
            } catch {
                logger.warning("could not fetch the legacy WSDL", metadata: ["error": "\(error)"])
                return FacadeResponse(
                    status: 502, headers: [("Content-Type", "text/plain; charset=utf-8")],
                    body: Array("The legacy service's WSDL could not be fetched.\n".utf8))
            }
        }
        guard let bytes, let rewritten = Self.rewriteAddresses(bytes, to: request.baseURL + flow.listenPath) else {
            return FacadeResponse(
                status: 502, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array("The legacy service's WSDL is not well-formed XML.\n".utf8))
        }
        return FacadeResponse(
            status: 200, headers: [("Content-Type", "text/xml; charset=utf-8")], body: Array(rewritten.utf8))
    }

    /// The WSDL with each `soap:address` and `soap12:address` location set to `address`; nil when unreadable.
    static func rewriteAddresses(_ bytes: [UInt8], to address: String) -> String? {
        guard let document = try? XMLDocument.parse(bytes, limits: XMLLimits(maxBytes: 4 << 20, maxDepth: 128)),
            case .nodes(let nodes)? = try? document.evaluate(
                "//soap11:address | //soap12:address", namespaces: wsdlNamespaces)
        else { return nil }
        for node in nodes { node.setAttribute("location", address) }
        return document.serialized()
    }
}
