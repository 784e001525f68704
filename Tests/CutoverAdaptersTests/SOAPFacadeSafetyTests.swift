import CutoverCore
import CutoverSimulators
import CutoverTesting
import Foundation
import Testing

/// Hostile and malformed requests: each gets a SOAP fault, nothing is expanded or fetched, nothing reaches legacy.
@Suite("SOAP facade safety", .timeLimit(.minutes(3)))
struct SOAPFacadeSafetyTests {
    static func hostile(erpURL: String) -> [(name: String, body: String)] {
        let body =
            "<soap:Body><po:CreatePurchaseOrder><po:PurchaseOrder><po:RequestId>&e;</po:RequestId>"
            + "<po:SupplierId>SUP-1001</po:SupplierId></po:PurchaseOrder></po:CreatePurchaseOrder></soap:Body>"
        let open =
            #"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1">"#
        let laughs =
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
            + (1...9).map {
                "<!ENTITY lol\($0) \"" + String(repeating: "&lol\($0 == 1 ? "" : String($0 - 1));", count: 10) + "\">"
            }
            .joined() + "<!ENTITY e \"&lol9;\">]>"
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        return [
            (
                "XXE reading a file",
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + open + body + "</soap:Envelope>"
            ),
            (
                "XXE over the network",
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"\(erpURL)/leak\">]>" + open + body + "</soap:Envelope>"
            ),
            ("billion laughs", laughs + open + body + "</soap:Envelope>"),
            ("a DTD", "<!DOCTYPE soap:Envelope SYSTEM \"envelope.dtd\">" + open + "<soap:Body/></soap:Envelope>"),
            ("nesting 10,000 deep", open + "<soap:Body>" + deep + "</soap:Body></soap:Envelope>"),
            (
                "an oversize body",
                open + "<soap:Body><x>" + String(repeating: "A", count: 1 << 20) + "</x></soap:Body></soap:Envelope>"
            ),
            ("not XML at all", "this is not a SOAP call"),
        ]
    }

    @Test("hostile and malformed calls get SOAP faults and reach nobody")
    func hostileCalls() async throws {
        try await FacadeFixture.run { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            for (name, body) in Self.hostile(erpURL: fixture.simulators.erpURL) {
                let answer = try await fixture.call(body)
                #expect(answer.status == 500, "\(name)")
                #expect(answer.body.contains("<faultcode>soap:Client</faultcode>"), "\(name)")
                #expect(answer.body.contains(answer.correlationID), "\(name): the fault carries the correlation id")
                #expect(!answer.body.contains("root:"), "\(name)")
                #expect(!answer.body.contains("lollol"), "\(name)")
                let audited = try #require(try await fixture.audited(answer.correlationID), "\(name)")
                #expect(audited.servedBy == nil, "\(name)")
                #expect(audited.verdict == "not_compared", "\(name)")
                #expect(audited.attributes.contains("refused"), "\(name)")
            }
            #expect(fixture.simulators.legacy.calls == 0)
            #expect(await fixture.simulators.erp.stats.requests == 0)
            // Nothing of a refused body is stored.
            #expect(try await fixture.count("SELECT count(*)::int FROM cutover.side_calls") == 0)
        }
    }

    @Test("a SOAP 1.2 caller gets a SOAP 1.2 Sender fault with HTTP 400")
    func soap12Fault() async throws {
        try await FacadeFixture.run { fixture in
            let envelope =
                #"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><broken></env:Body></env:Envelope>"#
            let answer = try #require(
                await httpRequest(
                    "POST", fixture.facadeURL, headers: ["Content-Type": "application/soap+xml; charset=utf-8"],
                    body: Array(envelope.utf8)))
            #expect(answer.status == 400)
            #expect(answer.body.contains("<env:Value>env:Sender</env:Value>"))
            #expect(fixture.simulators.legacy.calls == 0)
        }
    }

    @Test("redacted fields never reach the audit store in clear, on either side")
    func redaction() async throws {
        try await FacadeFixture.run { fixture in
            try await fixture.setMode(ModeSetting(mode: .shadow))
            let answer = try await fixture.call(purchaseOrderEnvelope(requestID: "REQ-R1", mrn: "MRN-7731942"))
            #expect(answer.status == 200)
            _ = try await fixture.audited(answer.correlationID)
            #expect(try await fixture.count("SELECT count(*)::int FROM cutover.side_calls") == 2)
            let clear = try await fixture.count(
                """
                SELECT count(*)::int FROM cutover.side_calls
                WHERE coalesce(request, '') LIKE '%7731942%' OR coalesce(response, '') LIKE '%7731942%'
                   OR coalesce(error, '') LIKE '%7731942%'
                """)
            #expect(clear == 0)
            let tokens = try await fixture.count(
                "SELECT count(*)::int FROM cutover.side_calls WHERE request LIKE '%<po:PatientMRN>redacted:%'")
            #expect(tokens == 1)
            #expect(
                try await fixture.count(
                    "SELECT count(*)::int FROM cutover.exchanges WHERE attributes::text LIKE '%7731942%'") == 0)
        }
    }

    @Test("the WSDL is the legacy one with its addresses pointing at the facade")
    func wsdl() async throws {
        try await FacadeFixture.run { fixture in
            let answer = try #require(await httpGet(fixture.facadeURL + "?wsdl"))
            #expect(answer.status == 200)
            #expect(answer.body.contains(#"<soap:address location="\#(fixture.facadeURL)"/>"#))
            #expect(answer.body.contains(#"<soap12:address location="\#(fixture.facadeURL)"/>"#))
            #expect(!answer.body.contains(fixture.simulators.legacyURL))
            #expect(answer.body.contains(#"name="CreatePurchaseOrder""#))
        }
    }

    @Test("SOAPAction, Content-Type and the caller's trace reach the legacy service")
    func forwardedHeaders() async throws {
        try await FacadeFixture.run { fixture in
            let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            let answer = try await fixture.call(
                purchaseOrderEnvelope(requestID: "REQ-H1"),
                headers: ["traceparent": traceparent, "X-Correlation-ID": "mm-batch-77"])
            #expect(answer.correlationID == "mm-batch-77")
            let seen = fixture.simulators.legacy.lastHeaders
            #expect(seen["soapaction"] == "\"urn:example:purchasing:v1/CreatePurchaseOrder\"")
            #expect(seen["content-type"] == "text/xml; charset=utf-8")
            #expect(seen["x-correlation-id"] == "mm-batch-77")
            let forwarded = try #require(TraceContext(header: seen["traceparent"]))
            #expect(forwarded.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(forwarded.parentID != "00f067aa0ba902b7")
            let audited = try #require(try await fixture.audited("mm-batch-77"))
            #expect(audited.servedBy == "legacy")
        }
    }
}
