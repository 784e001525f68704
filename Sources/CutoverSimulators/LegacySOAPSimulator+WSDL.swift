import CutoverCore

extension LegacySOAPSimulator {
    /// The service's WSDL 1.1 (document/literal, SOAP 1.1 and 1.2 bindings: CreatePurchaseOrder and the read-only
    /// GetPurchaseOrder) with its address set to `address`.
    static func wsdl(address: String) -> String {
        let location = XMLText.escape(address)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <wsdl:definitions name="PurchaseOrderService" targetNamespace="urn:example:purchasing:v1"
                xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
                xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:po="urn:example:purchasing:v1">
              <wsdl:types>
                <xsd:schema targetNamespace="urn:example:purchasing:v1" elementFormDefault="qualified">
                  <xsd:complexType name="OrderLine">
                    <xsd:sequence>
                      <xsd:element name="ItemCode" type="xsd:string"/>
                      <xsd:element name="Qty" type="xsd:decimal"/>
                      <xsd:element name="Uom" type="xsd:string"/>
                    </xsd:sequence>
                  </xsd:complexType>
                  <xsd:complexType name="PurchaseOrder">
                    <xsd:sequence>
                      <xsd:element name="RequestId" type="xsd:string"/>
                      <xsd:element name="SupplierId" type="xsd:string"/>
                      <xsd:element name="OrderDate" type="xsd:date"/>
                      <xsd:element name="PatientMRN" type="xsd:string" minOccurs="0"/>
                      <xsd:element name="Line" type="po:OrderLine" maxOccurs="unbounded"/>
                    </xsd:sequence>
                  </xsd:complexType>
                  <xsd:complexType name="ConfirmedLine">
                    <xsd:sequence>
                      <xsd:element name="ItemCode" type="xsd:string"/>
                      <xsd:element name="Qty" type="xsd:decimal"/>
                    </xsd:sequence>
                  </xsd:complexType>
                  <xsd:element name="CreatePurchaseOrder">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="PurchaseOrder" type="po:PurchaseOrder"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                  <xsd:element name="CreatePurchaseOrderResponse">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="OrderNumber" type="xsd:string"/>
                        <xsd:element name="Status" type="xsd:string"/>
                        <xsd:element name="Total" type="xsd:decimal"/>
                        <xsd:element name="Line" type="po:ConfirmedLine" minOccurs="0" maxOccurs="unbounded"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                  <xsd:element name="GetPurchaseOrder">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="OrderNumber" type="xsd:string"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                  <xsd:element name="GetPurchaseOrderResponse">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="OrderNumber" type="xsd:string"/>
                        <xsd:element name="SupplierId" type="xsd:string"/>
                        <xsd:element name="Status" type="xsd:string"/>
                        <xsd:element name="Total" type="xsd:decimal"/>
                        <xsd:element name="RetrievedAt" type="xsd:dateTime"/>
                        <xsd:element name="Line" type="po:ConfirmedLine" minOccurs="0" maxOccurs="unbounded"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                </xsd:schema>
              </wsdl:types>
              <wsdl:message name="CreatePurchaseOrderRequest">
                <wsdl:part name="parameters" element="po:CreatePurchaseOrder"/>
              </wsdl:message>
              <wsdl:message name="CreatePurchaseOrderResponse">
                <wsdl:part name="parameters" element="po:CreatePurchaseOrderResponse"/>
              </wsdl:message>
              <wsdl:message name="GetPurchaseOrderRequest">
                <wsdl:part name="parameters" element="po:GetPurchaseOrder"/>
              </wsdl:message>
              <wsdl:message name="GetPurchaseOrderResponse">
                <wsdl:part name="parameters" element="po:GetPurchaseOrderResponse"/>
              </wsdl:message>
              <wsdl:portType name="PurchaseOrderPortType">
                <wsdl:operation name="CreatePurchaseOrder">
                  <wsdl:input message="po:CreatePurchaseOrderRequest"/>
                  <wsdl:output message="po:CreatePurchaseOrderResponse"/>
                </wsdl:operation>
                <wsdl:operation name="GetPurchaseOrder">
                  <wsdl:input message="po:GetPurchaseOrderRequest"/>
                  <wsdl:output message="po:GetPurchaseOrderResponse"/>
                </wsdl:operation>
              </wsdl:portType>
              <wsdl:binding name="PurchaseOrderSoap11" type="po:PurchaseOrderPortType">
                <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
                <wsdl:operation name="CreatePurchaseOrder">
                  <soap:operation soapAction="urn:example:purchasing:v1/CreatePurchaseOrder" style="document"/>
                  <wsdl:input><soap:body use="literal"/></wsdl:input>
                  <wsdl:output><soap:body use="literal"/></wsdl:output>
                </wsdl:operation>
                <wsdl:operation name="GetPurchaseOrder">
                  <soap:operation soapAction="urn:example:purchasing:v1/GetPurchaseOrder" style="document"/>
                  <wsdl:input><soap:body use="literal"/></wsdl:input>
                  <wsdl:output><soap:body use="literal"/></wsdl:output>
                </wsdl:operation>
              </wsdl:binding>
              <wsdl:binding name="PurchaseOrderSoap12" type="po:PurchaseOrderPortType">
                <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
                <wsdl:operation name="CreatePurchaseOrder">
                  <soap12:operation soapAction="urn:example:purchasing:v1/CreatePurchaseOrder" style="document"/>
                  <wsdl:input><soap12:body use="literal"/></wsdl:input>
                  <wsdl:output><soap12:body use="literal"/></wsdl:output>
                </wsdl:operation>
                <wsdl:operation name="GetPurchaseOrder">
                  <soap12:operation soapAction="urn:example:purchasing:v1/GetPurchaseOrder" style="document"/>
                  <wsdl:input><soap12:body use="literal"/></wsdl:input>
                  <wsdl:output><soap12:body use="literal"/></wsdl:output>
                </wsdl:operation>
              </wsdl:binding>
              <wsdl:service name="PurchaseOrderService">
                <wsdl:port name="PurchaseOrderSoap11" binding="po:PurchaseOrderSoap11">
                  <soap:address location="\(location)"/>
                </wsdl:port>
                <wsdl:port name="PurchaseOrderSoap12" binding="po:PurchaseOrderSoap12">
                  <soap12:address location="\(location)"/>
                </wsdl:port>
              </wsdl:service>
            </wsdl:definitions>
            """
    }
}
