#!/usr/bin/env python3
"""Writes a pharmacy stock-on-hand CSV of about SIZE_MB megabytes (or exactly RECORDS records with --records):
site, NDC, description, quantity, unit of measure; SEED makes each file's bytes differ."""
import sys

def main():
    args = sys.argv[1:]
    by_records = args and args[0] == "--records"
    if by_records:
        args = args[1:]
    amount, path = int(args[0]), args[1]
    seed = int(args[2]) if len(args) > 2 else 0
    sites = ["NORTH-ICU", "NORTH-ED", "SOUTH-MAIN", "EAST-ONC", "WEST-PEDS", "CENTRAL-PHARM", "RIVER-CLINIC", "HILL-REHAB"]
    items = ["Paracetamol 500mg tablets", "Amoxicillin 250mg capsules", "Heparin 5000 units/mL vial",
             "Sodium chloride 0.9% 1000mL bag", "Ondansetron 4mg ODT", "Insulin glargine 100 units/mL pen"]
    uoms = ["EA", "BX", "VL", "BG"]
    limit = amount * 1024 * 1024 if not by_records else None
    written = 0
    n = 0
    with open(path, "w", newline="") as out:
        header = "site,ndc,description,qty_on_hand,uom\n"
        out.write(header)
        written += len(header)
        chunk = []
        while True:
            if by_records and n >= amount:
                break
            if limit is not None and written >= limit:
                break
            n += 1
            line = "%s,%05d-%04d-%02d,%s,%d.%d,%s\n" % (
                sites[(n + seed) % 8], (n * 7 + seed) % 99999, n % 9999, (n + seed) % 99, items[n % 6], n % 900, n % 10,
                uoms[n % 4])
            chunk.append(line)
            written += len(line)
            if len(chunk) == 10000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
    print(n)

main()
