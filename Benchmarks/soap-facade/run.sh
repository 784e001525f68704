#!/usr/bin/env bash
# The SOAP facade against the legacy service called directly, side by side in one run, with the durable audit on.
#
#   Benchmarks/soap-facade/run.sh [SECONDS] [ROUNDS] [CONNECTIONS] [LEGACY_MS]     (defaults 20 3 64 20)
#
# Starts a throwaway PostgreSQL 15 cluster (fsync on, defaults), builds `cutover` in release mode, and runs
# `cutover sim` (legacy orders kept in memory, so the legacy side costs the same whether it is called directly or
# through the facade, and does not compete with the audit store for PostgreSQL) and `cutover serve` with the
# shipped adapters. wrk (2 threads, CONNECTIONS connections) then alternates, ROUNDS times:
#   1. direct: the legacy simulator answering in LEGACY_MS ms, called straight;
#   2. facade, legacy mode: the same calls through Cutover, each audited (exchange, side call, comparison rows
#      committed, or fsync'ed to the spool, before the answer goes out; the MRN redacted first).
# Then shadow mode (the ERP simulator called off the callers' path for every call) against legacy mode, the same
# three at light load (16 connections), and the ceilings with the legacy service answering at once. Prints each
# run and a Markdown summary of medians.
set -euo pipefail
SECONDS_PER_RUN=${1:-20}
ROUNDS=${2:-3}
CONNECTIONS=${3:-64}
LEGACY_MS=${4:-20}
cd "$(dirname "$0")/../.."
HERE=Benchmarks/soap-facade
source Benchmarks/throwaway-postgres.sh
start_throwaway_postgres cutover-facade-bench
PG_PORT=$PORT; LEGACY_PORT=$(free_port); ERP_PORT=$(free_port); FACADE_PORT=$(free_port)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_throwaway_postgres
}
trap cleanup EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" CUTOVER_HOME="$OUT/home"
export LEGACY_SOAP_URL="http://127.0.0.1:$LEGACY_PORT" ERP_BASE_URL="http://127.0.0.1:$ERP_PORT/api/v2.0"
export ERP_TOKEN_URL="http://127.0.0.1:$ERP_PORT/oauth2/token" CUTOVER_LOG_LEVEL=warning

swift build -c release --product cutover >/dev/null
CUTOVER="$(swift build -c release --show-bin-path)/cutover"
"$CUTOVER" sim --legacy-store memory --legacy-latency-ms "$LEGACY_MS" \
  --legacy-listen "127.0.0.1:$LEGACY_PORT" --erp-listen "127.0.0.1:$ERP_PORT" >"$OUT/sim.log" 2>&1 &
PIDS+=($!)
"$CUTOVER" serve --listen "127.0.0.1:$FACADE_PORT" >"$OUT/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$FACADE_PORT/ready" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$FACADE_PORT/ready" >/dev/null || { echo "cutover serve did not become ready"; cat "$OUT/serve.log"; exit 1; }

DIRECT="http://127.0.0.1:$LEGACY_PORT/PurchaseOrderService"
FACADE="http://127.0.0.1:$FACADE_PORT/PurchaseOrderService"
RESULTS="$OUT/results.jsonl"
mode() { "$CUTOVER" flow set purchase-order-create --mode "$1" --reason benchmark --force >/dev/null; sleep 1.5; }
legacy_ms() { curl -sf -X PUT -d "{\"latencyMs\":$1,\"failNext\":0}" "http://127.0.0.1:$LEGACY_PORT/_sim/knobs" >/dev/null; }
bench() { # NAME URL [CONNECTIONS]
  local line
  line=$(wrk -t2 -c"${3:-$CONNECTIONS}" -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$HERE/post.lua" "$2" | tail -1)
  echo "{\"run\":\"$1\",${line#\{}" | tee -a "$RESULTS"
}

echo "machine: $(nproc) cores; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'); wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
# Warm-up: connections, token, JIT-free but caches and pools.
wrk -t2 -c"$CONNECTIONS" -d3s -s "$HERE/post.lua" "$FACADE" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  bench "direct-${LEGACY_MS}ms" "$DIRECT"
  bench "facade-legacy-${LEGACY_MS}ms" "$FACADE"
done
for round in $(seq 1 "$ROUNDS"); do
  mode shadow; bench "facade-shadow-${LEGACY_MS}ms" "$FACADE"
  "$CUTOVER" rollback purchase-order-create --reason benchmark >/dev/null; sleep 1.5
  bench "facade-legacy2-${LEGACY_MS}ms" "$FACADE"
done
# Light load (16 connections): the same comparisons where the machine is not saturated.
for round in $(seq 1 "$ROUNDS"); do
  bench "light-direct-${LEGACY_MS}ms" "$DIRECT" 16
  bench "light-facade-legacy-${LEGACY_MS}ms" "$FACADE" 16
  mode shadow; bench "light-facade-shadow-${LEGACY_MS}ms" "$FACADE" 16
  "$CUTOVER" rollback purchase-order-create --reason benchmark >/dev/null; sleep 1.5
done
legacy_ms 0
for round in $(seq 1 "$ROUNDS"); do
  bench "direct-0ms" "$DIRECT"
  bench "facade-legacy-0ms" "$FACADE"
done
stored=$(psql -X -tA "$DATABASE_URL" -c "SELECT count(*) FROM cutover.exchanges")
echo "exchanges audited: $stored; spool: $(du -sh "$CUTOVER_HOME/spool" 2>/dev/null | cut -f1)"
python3 "$HERE/summarize.py" "$RESULTS" "$LEGACY_MS" "$CONNECTIONS"
