import CutoverCore
import CutoverHTTP
import CutoverSimulators
import CutoverTesting
import Testing

@Suite("ERP simulator", .timeLimit(.minutes(2)))
struct ERPSimulatorTests {
    @Test("a repeated Idempotency-Key returns the first answer and creates nothing more")
    func idempotentCreate() async throws {
        try await withERP { client, simulators, _ in
            let first = try await client.send(
                .json(.POST, ordersURL(simulators), body: purchaseOrder("PO-I1"), idempotencyKey: "same-key"))
            let second = try await client.send(
                .json(.POST, ordersURL(simulators), body: purchaseOrder("PO-I2"), idempotencyKey: "same-key"))
            #expect(first.text == second.text)
            #expect(await simulators.erp.stats.created["purchaseOrders"] == 1)
            #expect(await simulators.erp.stats.idempotentReplays == 1)
        }
    }

    @Test("a PATCH with a stale ETag is refused with Request_EntityChanged; the current one succeeds")
    func optimisticConcurrency() async throws {
        try await withERP { client, simulators, _ in
            let created = try await client.send(.json(.POST, ordersURL(simulators), body: purchaseOrder("PO-C1")))
            let etag = try #require(created.headers.first(name: "ETag"))
            let url = ordersURL(simulators) + "(PO-C1)"
            let change = JSONValue.object([("requestedReceiptDate", .string("2026-12-01"))])
            let updated = try await client.send(.json(.PATCH, url, body: change, headers: [("If-Match", etag)]))
            #expect(updated.headers.first(name: "ETag") != etag)
            let error = await #expect(throws: ERPError.self) {
                _ = try await client.send(.json(.PATCH, url, body: change, headers: [("If-Match", etag)]))
            }
            #expect(error?.status == 409)
            #expect(error?.erpCode == "Request_EntityChanged")
        }
    }

    @Test("lists page with @odata.nextLink until every record is read")
    func paging() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.pageSize = 5
        try await withERP(knobs: knobs) { client, simulators, _ in
            var url: String? = simulators.erpURL + "/api/v2.0/companies(hospital-network)/vendors"
            var numbers: [String] = []
            var pages = 0
            while let next = url {
                let page = try await client.send(ERPRequest(method: .GET, url: next)).json()
                pages += 1
                if case .array(let items)? = page.value(at: "/value") {
                    numbers += items.compactMap { $0.value(at: "/number")?.scalarText }
                }
                url = page.value(at: "/@odata.nextLink")?.scalarText
            }
            #expect(pages == 3)
            #expect(numbers == SimulatorCatalog.suppliers.map(\.number))
        }
    }

    @Test("a planted divergence changes only the chosen vendor's orders")
    func divergence() async throws {
        var knobs = ERPSimulatorKnobs()
        knobs.divergences = ["totalAmountIncludingTax": "+1.00"]
        knobs.divergeVendors = ["SUP-1002"]
        try await withERP(knobs: knobs) { client, simulators, _ in
            let plain = try await client.send(.json(.POST, ordersURL(simulators), body: purchaseOrder("PO-D1"))).json()
            let diverged = try await client.send(
                .json(.POST, ordersURL(simulators), body: purchaseOrder("PO-D2", vendor: "SUP-1002"))
            ).json()
            #expect(plain.value(at: "/totalAmountIncludingTax") == .number("26.70"))
            #expect(diverged.value(at: "/totalAmountIncludingTax") == .number("27.70"))
        }
    }

    @Test("a line is priced in the unit it was sent in: a boxed item ordered by the EACH costs one piece")
    func pricesByUnit() async throws {
        try await withERP(knobs: ERPSimulatorKnobs()) { client, simulators, _ in
            func order(_ number: String, uom: String?) -> JSONValue {
                var line: [(String, JSONValue)] = [("itemId", .string("GLV-NITRILE-M")), ("quantity", .number("4"))]
                if let uom { line.append(("unitOfMeasureCode", .string(uom))) }
                return .object([
                    ("number", .string(number)), ("vendorNumber", .string("SUP-1001")),
                    ("purchaseOrderLines", .array([.object(line)])),
                ])
            }
            let boxes = try await client.send(.json(.POST, ordersURL(simulators), body: order("PO-U1", uom: "BOX")))
                .json()
            let unset = try await client.send(.json(.POST, ordersURL(simulators), body: order("PO-U2", uom: nil)))
                .json()
            let pieces = try await client.send(.json(.POST, ordersURL(simulators), body: order("PO-U3", uom: "EACH")))
                .json()
            #expect(boxes.value(at: "/totalAmountIncludingTax") == .number("50.00"), "4 boxes at 12.50")
            #expect(unset.value(at: "/totalAmountIncludingTax") == .number("50.00"), "the item's own unit")
            #expect(pieces.value(at: "/totalAmountIncludingTax") == .number("0.50"), "4 gloves of a box of 100")
        }
    }

    @Test("the API refuses a request without a token")
    func requiresToken() async throws {
        try await withSimulators { simulators in
            let answer = await httpRequest("GET", ordersURL(simulators))
            #expect(answer?.status == 401)
            #expect(answer?.body.contains("\"Unauthorized\"") == true)
        }
    }
}
