#!/usr/bin/env bash
# Audit writer sustained ingest vs a raw psql COPY of the same rows, side by side in one run.
#
#   Benchmarks/audit-ingest/run.sh [ROWS] [ROUNDS]
#
# Starts a throwaway PostgreSQL 15 cluster (fsync on, defaults) on a free loopback port, builds `cutover` in release
# mode, then alternates: raw COPY of ROWS exchange rows into cutover.exchanges by psql, and ROWS rows of the same
# shape through the audit writer (`cutover audit load`, records built before the clock starts). The writer is
# measured twice: saturated (512 concurrent writers handing over 4 records each: its sustained capacity, the
# headline ratio) and closed-loop at 64 writers x 4 records (latency-bound: each writer waits for durability).
set -euo pipefail
ROWS=${1:-200000}
ROUNDS=${2:-3}
cd "$(dirname "$0")/../.."
ROOT=$PWD
source Benchmarks/throwaway-postgres.sh
start_throwaway_postgres cutover-bench
trap stop_throwaway_postgres EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" CUTOVER_HOME="$OUT/home"
PSQL=(psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1)

swift build -c release --product cutover >/dev/null
CUTOVER="$(swift build -c release --show-bin-path)/cutover"
"$CUTOVER" migrate >/dev/null
# The columns `cutover audit load --emit-copy` writes (CopyTextEncoder.exchangeColumns).
COLUMNS="id, flow, kind, parent_id, correlation_id, trace_id, routing_key, mode, percent, served_by, started_at, finished_at, payload_sha256, verdict, attributes"

echo "rows per round: $ROWS; machine: $(nproc) cores; $("${PSQL[@]}" -tAc 'SHOW server_version')"
printf "%-6s %12s %16s %8s %16s\n" round "copy rows/s" "writer (512x4)" ratio "writer (64x4)"
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  "$CUTOVER" audit load --count "$ROWS" --seed "copy$round" --emit-copy "$OUT/copy$round.copy"
  start=$(date +%s.%N)
  "${PSQL[@]}" -c "\\copy cutover.exchanges ($COLUMNS) FROM '$OUT/copy$round.copy'"
  end=$(date +%s.%N)
  copy_rate=$(python3 -c "print(round($ROWS/($end-$start)))")
  writer_rate=$("$CUTOVER" audit load --count "$ROWS" --seed "writer$round" --concurrency 512 --chunk 4 \
      | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["recordsPerSecond"]))')
  closed_rate=$("$CUTOVER" audit load --count "$ROWS" --seed "closed$round" --concurrency 64 --chunk 4 \
      | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["recordsPerSecond"]))')
  ratio=$(python3 -c "print(f'{$writer_rate/$copy_rate:.2f}')")
  ratios+=("$ratio")
  printf "%-6s %12s %16s %8s %16s\n" "$round" "$copy_rate" "$writer_rate" "$ratio" "$closed_rate"
done
stored=$("${PSQL[@]}" -tAc "SELECT count(*) FROM cutover.exchanges WHERE flow LIKE 'load-writer%' OR flow LIKE 'load-closed%'")
echo "writer rows stored: $stored (expected $((2 * ROWS * ROUNDS)))"
echo "median ratio writer/COPY: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
