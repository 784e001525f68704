#!/usr/bin/env bash
# cutover report over many exchanges: time and peak memory, at two sizes, to show memory stays flat.
#
#   Benchmarks/report/run.sh [SMALL] [LARGE]          (defaults 100000 1000000)
#
# Starts a throwaway PostgreSQL 15 cluster, applies Cutover's migrations, and seeds purchase-order-create with N
# exchanges spread over the last 7 days (shadow and canary, 2 % mismatches with two differing fields, 0.5 %
# new_error), one comparison each, and a legacy and a new side call each with a latency. Then times
# `cutover report --format html` and `--format csv` with /usr/bin/time (elapsed, maximum resident set size).
set -euo pipefail
SMALL=${1:-100000}
LARGE=${2:-1000000}
cd "$(dirname "$0")/../.."
source Benchmarks/throwaway-postgres.sh
start_throwaway_postgres cutover-report-bench
trap stop_throwaway_postgres EXIT
export CUTOVER_HOME="$OUT/home"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
swift build -c release --product cutover >/dev/null
CUTOVER="$(swift build -c release --show-bin-path)/cutover"

seed() { # DATABASE N
  "${PSQL[@]}" "postgres://postgres@127.0.0.1:$PORT/postgres" -c "CREATE DATABASE $1"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$1" "$CUTOVER" migrate >/dev/null
  "${PSQL[@]}" "postgres://postgres@127.0.0.1:$PORT/$1" <<SQL
SELECT cutover.ensure_audit_partitions(now() - interval '8 days', 2);
INSERT INTO cutover.exchanges (id, flow, kind, correlation_id, mode, served_by, started_at)
SELECT md5('e' || g)::uuid, 'purchase-order-create', 'call', 'corr-' || g,
       CASE WHEN g % 4 = 0 THEN 'canary' ELSE 'shadow' END, CASE WHEN g % 16 = 0 THEN 'new' ELSE 'legacy' END,
       now() - interval '7 days' + (g::float8 / $2) * interval '7 days' - interval '1 minute'
FROM generate_series(1, $2) g;
INSERT INTO cutover.comparisons (id, exchange_id, exchange_started_at, flow, verdict, diff, compared_at)
SELECT md5('c' || e.correlation_id)::uuid, e.id, e.started_at, e.flow,
       CASE WHEN n % 50 = 0 THEN 'mismatch' WHEN n % 200 = 1 THEN 'new_error' ELSE 'match' END,
       CASE WHEN n % 50 = 0 THEN '[{"path":"total","legacy":"85.00","new":"85.50","rule":"decimal"},{"path":"lines[SYR-10ML].qty","legacy":"100","new":"10","rule":"decimal"}]'::jsonb ELSE '[]'::jsonb END,
       e.started_at + interval '1 second'
FROM (SELECT *, substr(correlation_id, 6)::int AS n FROM cutover.exchanges) e;
INSERT INTO cutover.side_calls (exchange_id, exchange_started_at, side, attempt, started_at, status, latency_seconds)
SELECT e.id, e.started_at, s.side, 1, e.started_at, 200, CASE s.side WHEN 'legacy' THEN 0.02 ELSE 0.05 END * random()
FROM cutover.exchanges e CROSS JOIN (VALUES ('legacy'), ('new')) s(side);
ANALYZE;
SQL
}

measure() { # DATABASE N FORMAT
  local stats
  stats=$( { DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$1" /usr/bin/time -f "%e %M" \
      "$CUTOVER" report --flow purchase-order-create --since 8d --format "$3" --out "$OUT/reports-$1" >/dev/null; } 2>&1 | tail -1)
  printf "%-10s %-5s %10s s %10s KiB\n" "$2" "$3" "${stats% *}" "${stats#* }"
}

echo "machine: $(nproc) cores; $("$PGBIN/postgres" --version)"
printf "%-10s %-5s %12s %14s\n" exchanges format elapsed "max RSS"
seed small "$SMALL"
seed large "$LARGE"
for format in html csv; do
  measure small "$SMALL" "$format"
  measure large "$LARGE" "$format"
done
wc -l "$OUT/reports-large/report-purchase-order-create.csv" | awk '{print "csv lines (large):", $1}'
