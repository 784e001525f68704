import CutoverCore
import Testing

@Suite("Body mapping")
struct BodyMapperTests {
    /// The invoice-posting flow's body, from a legacy SQL row.
    let invoiceBody = BodySpec.object([
        .init(name: "vendorNumber", value: .field(FieldSpec(source: .path("vendor_no")))),
        .init(name: "vendorInvoiceNumber", value: .field(FieldSpec(source: .path("invoice_no")))),
        .init(name: "invoiceDate", value: .field(FieldSpec(source: .path("invoice_date"), type: .date))),
        .init(name: "totalAmountIncludingTax", value: .field(FieldSpec(source: .path("amount"), type: .decimal))),
        .init(name: "source", value: .field(FieldSpec(source: .constant("cutover")))),
        .init(name: "currency", value: .field(FieldSpec(source: .path("currency"), map: ["USD": "US-DOLLAR"]))),
    ])

    @Test("a SQL row maps to the ERP body with types, constants and value maps, in the order written")
    func row() throws {
        let row = RowSource([
            "vendor_no": "V-17", "invoice_no": "INV-9", "invoice_date": "11/25/2026", "amount": "0100.50",
            "currency": "USD",
        ])
        let body = try BodyMapper.build(invoiceBody, from: row)
        #expect(
            body.text
                == #"{"vendorNumber":"V-17","vendorInvoiceNumber":"INV-9","invoiceDate":"2026-11-25","totalAmountIncludingTax":100.5,"source":"cutover","currency":"US-DOLLAR"}"#
        )
    }

    @Test("a missing source value becomes null; a value of the wrong type names the field")
    func missingAndWrong() throws {
        let missing = try BodyMapper.build(invoiceBody, from: RowSource(["amount": "1", "invoice_date": "2026-01-01"]))
        guard case .object(let members) = missing else { Issue.record("not an object"); return }
        #expect(members.first { $0.0 == "vendorNumber" }?.1 == .null)
        let error = #expect(throws: BodyMapper.Failure.self) {
            try BodyMapper.build(invoiceBody, from: RowSource(["amount": "ten", "invoice_date": "2026-01-01"]))
        }
        #expect(error?.path == "/totalAmountIncludingTax")
        #expect(error?.message == "'ten' is not a valid decimal")
    }
}
