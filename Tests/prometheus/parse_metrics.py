#!/usr/bin/env python3
"""Parses a Prometheus text-format page (the file named, or stdin) with the reference client's parser and prints its samples as JSON.

Exits non-zero, with the parser's message, when the page is not valid text format.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    page = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    families = []
    for family in text_string_to_metric_families(page):
        families.append({
            "name": family.name,
            "type": family.type,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
        })
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
