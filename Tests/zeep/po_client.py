"""Drive Cutover's SOAP facade with a real SOAP client (zeep), built from the facade's ?wsdl.

Usage: po_client.py WSDL_URL REQUEST_ID SUPPLIER [REQUEST_ID SUPPLIER ...]
Prints one JSON object per call: the answer's fields, or the fault's message.
"""
import json
import sys

from zeep import Client, Settings
from zeep.exceptions import Fault

# Hardened explicitly: the facade must never be able to make the client expand or fetch anything either.
settings = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def main(argv):
    client = Client(argv[1], settings=settings)
    pairs = argv[2:]
    for request_id, supplier in zip(pairs[0::2], pairs[1::2]):
        try:
            answer = client.service.CreatePurchaseOrder(PurchaseOrder={
                "RequestId": request_id,
                "SupplierId": supplier,
                "OrderDate": "2026-11-25",
                "PatientMRN": "MRN-0042",
                "Line": [
                    {"ItemCode": "GLV-NITRILE-M", "Qty": "4", "Uom": "BX"},
                    {"ItemCode": "SYR-10ML", "Qty": "100", "Uom": "EA"},
                ],
            })
            print(json.dumps({
                "request": request_id,
                "supplier": supplier,
                "order": answer["OrderNumber"],
                "status": answer["Status"],
                "total": str(answer["Total"]),
                "lines": len(answer["Line"] or []),
            }), flush=True)
        except Fault as fault:
            print(json.dumps({"request": request_id, "supplier": supplier, "fault": fault.message}), flush=True)


if __name__ == "__main__":
    main(sys.argv)
