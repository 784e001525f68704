import CutoverCore
import CutoverXML
import Testing

@Suite("Mapping a SOAP request to the ERP body")
struct XMLMappingTests {
    let namespaces = ["po": "urn:example:purchasing:v1"]

    /// The purchase-order-create flow's `new.body` from adapters/purchase-order-create.yaml.
    let body = BodySpec.object([
        .init(name: "vendorNumber", value: .field(FieldSpec(source: .path("//po:PurchaseOrder/po:SupplierId")))),
        .init(
            name: "orderDate", value: .field(FieldSpec(source: .path("//po:PurchaseOrder/po:OrderDate"), type: .date))),
        .init(
            name: "purchaseOrderLines",
            value: .each(
                path: "//po:PurchaseOrder/po:Line",
                element: .object([
                    .init(name: "itemId", value: .field(FieldSpec(source: .path("po:ItemCode")))),
                    .init(name: "quantity", value: .field(FieldSpec(source: .path("po:Qty"), type: .decimal))),
                    .init(
                        name: "unitOfMeasureCode",
                        value: .field(FieldSpec(source: .path("po:Uom"), map: ["BX": "BOX", "EA": "EACH"]))),
                ])
            )
        ),
    ])

    @Test("repeating lines map relative to each line, with types and unit-of-measure codes")
    func purchaseOrder() throws {
        let document = try XMLDocument.parse(
            """
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1"><s:Body>
            <po:PurchaseOrder><po:SupplierId>SUP-1001</po:SupplierId><po:OrderDate>20261125</po:OrderDate>
            <po:Line><po:ItemCode>00071015523</po:ItemCode><po:Qty>2.0</po:Qty><po:Uom>BX</po:Uom></po:Line>
            <po:Line><po:ItemCode>00093715301</po:ItemCode><po:Qty>10</po:Qty><po:Uom>EA</po:Uom></po:Line>
            </po:PurchaseOrder></s:Body></s:Envelope>
            """)
        let json = try BodyMapper.build(body, from: XMLMappingSource(document: document, namespaces: namespaces))
        #expect(
            json.text
                == #"{"vendorNumber":"SUP-1001","orderDate":"2026-11-25","purchaseOrderLines":[{"itemId":"00071015523","quantity":2,"unitOfMeasureCode":"BOX"},{"itemId":"00093715301","quantity":10,"unitOfMeasureCode":"EACH"}]}"#
        )
    }
}
