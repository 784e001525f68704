"""Medians of the soap-facade benchmark's runs, and the ratios the issue asks for, as Markdown."""
import json
import statistics
import sys

runs = [json.loads(line) for line in open(sys.argv[1])]
legacy_ms, connections = sys.argv[2], sys.argv[3]


def median(name, key):
    values = [run[key] for run in runs if run["run"] == name]
    return statistics.median(values) if values else float("nan")


rows = []
for name in [f"direct-{legacy_ms}ms", f"facade-legacy-{legacy_ms}ms", f"facade-shadow-{legacy_ms}ms",
             f"facade-legacy2-{legacy_ms}ms", f"light-direct-{legacy_ms}ms", f"light-facade-legacy-{legacy_ms}ms",
             f"light-facade-shadow-{legacy_ms}ms", "direct-0ms", "facade-legacy-0ms"]:
    errors = sum(run["errors"] + run["non2xx"] for run in runs if run["run"] == name)
    rows.append((name, median(name, "rps"), median(name, "p50_ms"), median(name, "p99_ms"), errors))
print(f"\n| run ({connections} connections; light-: 16) | calls/s | p50 ms | p99 ms | errors |")
print("|---|---:|---:|---:|---:|")
for name, rps, p50, p99, errors in rows:
    print(f"| {name} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {errors} |")

d, f = f"direct-{legacy_ms}ms", f"facade-legacy-{legacy_ms}ms"
throughput = median(f, "rps") / median(d, "rps")
added_p50 = median(f, "p50_ms") - median(d, "p50_ms")
added_p99 = median(f, "p99_ms") - median(d, "p99_ms")
shadow = median(f"facade-shadow-{legacy_ms}ms", "p50_ms") / median(f"facade-legacy2-{legacy_ms}ms", "p50_ms")
print()
print(f"- throughput, facade (legacy mode) / direct: **{throughput:.3f}** (goal >= 0.95)")
print(f"- added latency: p50 **{added_p50:+.2f} ms** (goal <= 1), p99 **{added_p99:+.2f} ms** (goal <= 5)")
print(f"- shadow p50 / legacy-mode p50: **{shadow:.3f}** (goal <= 1.05)")
ld, lf, ls = (f"light-direct-{legacy_ms}ms", f"light-facade-legacy-{legacy_ms}ms",
              f"light-facade-shadow-{legacy_ms}ms")
print(f"- light load (16 connections): throughput {median(lf, 'rps') / median(ld, 'rps'):.3f}, added p50 "
      f"{median(lf, 'p50_ms') - median(ld, 'p50_ms'):+.2f} ms, p99 {median(lf, 'p99_ms') - median(ld, 'p99_ms'):+.2f} ms; "
      f"shadow p50 / legacy-mode p50 {median(ls, 'p50_ms') / median(lf, 'p50_ms'):.3f}")
print(f"- ceiling with legacy answering at once: facade **{median('facade-legacy-0ms', 'rps'):.0f} calls/s**, "
      f"direct {median('direct-0ms', 'rps'):.0f} calls/s")
