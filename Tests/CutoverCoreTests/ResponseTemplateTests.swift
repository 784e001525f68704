import CutoverCore
import Foundation
import Testing

@Suite("Response templates")
struct ResponseTemplateTests {
    let template =
        #"<po:OrderNumber>{{number}}</po:OrderNumber><po:Status>{{status}}</po:Status>{{#lines}}<po:Line>{{itemId}}</po:Line>{{/lines}}{{#note}}<po:Note>{{note}}</po:Note>{{/note}}"#

    @Test("the ERP reply renders the legacy-shaped answer, after response_map, with every value escaped")
    func render() throws {
        let reply = try JSONValue.parse(
            #"{"number":"PO-7 <&>","status":"Open","lines":[{"itemId":"A'1"},{"itemId":"B\"2"}],"note":null}"#)
        let rendered = try ResponseTemplate(text: template).render(
            reply: reply, responseMap: ["/status": ["Open": "OPEN"]])
        #expect(
            rendered
                == #"<po:OrderNumber>PO-7 &lt;&amp;&gt;</po:OrderNumber><po:Status>OPEN</po:Status><po:Line>A&#39;1</po:Line><po:Line>B&quot;2</po:Line>"#
        )
    }

    @Test("the shipped purchase-order template renders from a reply")
    func shippedTemplate() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("adapters/templates/create-po-response.xml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let reply = try JSONValue.parse(
            #"{"number":"PO-1001","status":"Open","totalAmountIncludingTax":1250.5,"purchaseOrderLines":[{"itemId":"00071015523","quantity":2}]}"#
        )
        let rendered = try ResponseTemplate(text: text).render(reply: reply, responseMap: ["/status": ["Open": "OPEN"]])
        #expect(rendered.contains("<po:OrderNumber>PO-1001</po:OrderNumber>"))
        #expect(rendered.contains("<po:Status>OPEN</po:Status>"))
        #expect(rendered.contains("<po:Total>1250.5</po:Total>"))
        #expect(rendered.contains("<po:ItemCode>00071015523</po:ItemCode><po:Qty>2</po:Qty>"))
    }

    @Test("a template that does not compile is refused")
    func broken() {
        #expect(throws: ResponseTemplate.Failure.self) { try ResponseTemplate(text: "{{#open}} never closed") }
    }
}
