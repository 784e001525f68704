#!/usr/bin/env bash
# The file-drop adapter against the tools it replaces, with the durable audit on.
#
#   Benchmarks/file-drop/run.sh [SIZES_MB] [ROUNDS] [NEW_RECORDS]        (defaults "100 1024" 3 20000)
#
# Starts a throwaway PostgreSQL 15 cluster (fsync on, defaults), builds `cutover` in release mode, runs the ERP
# simulator (`cutover sim`), and uses the shipped pharmacy-stock-export adapter with its folders under the run's
# temporary directory. For each size, ROUNDS times, side by side:
#   1. baseline: `cp FILE inbox/ && sha256sum FILE` (what a script moving the file and fingerprinting it costs);
#   2. cutover, legacy mode: `cutover drop pharmacy-stock-export FILE` — the format checked record by record, the
#      content hashed and claimed in PostgreSQL, the file copied to the inbox under a temporary name, fsync'ed and
#      published, moved to done/ with its result, the file audited.
# Peak RSS of each cutover run comes from /usr/bin/time -v. Then NEW_RECORDS records in new mode (each mapped and
# POSTed to the ERP simulator with its idempotency key, in batches of 100, every record audited): records/s.
# Prints each run and a Markdown summary of medians.
set -euo pipefail
SIZES=${1:-"100 1024"}
ROUNDS=${2:-3}
NEW_RECORDS=${3:-20000}
cd "$(dirname "$0")/../.."
HERE=Benchmarks/file-drop
source Benchmarks/throwaway-postgres.sh
start_throwaway_postgres cutover-filedrop-bench
PG_PORT=$PORT; ERP_PORT=$(free_port); LEGACY_PORT=$(free_port)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_throwaway_postgres
}
trap cleanup EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" CUTOVER_HOME="$OUT/home"
export ERP_BASE_URL="http://127.0.0.1:$ERP_PORT/api/v2.0" ERP_TOKEN_URL="http://127.0.0.1:$ERP_PORT/oauth2/token"
export DROP_DIR="$OUT/drop" LEGACY_DIR="$OUT/legacy" CUTOVER_LOG_LEVEL=warning
PSQL=("${PG_AS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtA)

swift build -c release --product cutover >/dev/null
CUTOVER="$(swift build -c release --show-bin-path)/cutover"
"$CUTOVER" sim --legacy-store memory --legacy-listen "127.0.0.1:$LEGACY_PORT" --erp-listen "127.0.0.1:$ERP_PORT" \
  >"$OUT/sim.log" 2>&1 &
PIDS+=($!)
"$CUTOVER" migrate >/dev/null
INBOX="$LEGACY_DIR/erp/inbound"; BASE="$OUT/baseline"; mkdir -p "$INBOX" "$BASE" "$OUT/src"
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

SUMMARY=()
for SIZE in $SIZES; do
  BASE_T=(); CUT_T=(); RSS=()
  for ROUND in $(seq 1 "$ROUNDS"); do
    SRC="$OUT/src/STOCK_${SIZE}MB_$ROUND.csv"
    RECORDS=$(python3 "$HERE/gen_stock.py" "$SIZE" "$SRC" "$ROUND")
    BYTES=$(stat -c %s "$SRC")
    cat "$SRC" >/dev/null   # both sides start from the page cache
    T0=$(now); cp "$SRC" "$BASE/" && sha256sum "$SRC" >/dev/null; T1=$(now)
    rm -f "$BASE"/*
    B=$(awk "BEGIN {print $T1 - $T0}")
    T0=$(now)
    /usr/bin/time -v "$CUTOVER" drop pharmacy-stock-export "$SRC" >"$OUT/result.json" 2>"$OUT/time.txt"
    T1=$(now)
    C=$(awk "BEGIN {print $T1 - $T0}")
    R=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
    SEEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records_seen"])' "$OUT/result.json")
    [ "$SEEN" = "$RECORDS" ] || { echo "records_seen $SEEN != $RECORDS"; exit 1; }
    cmp -s "$INBOX/$(basename "$SRC")" "$OUT/drop/pharmacy/done/$(basename "$SRC")" || { echo "inbox copy differs"; exit 1; }
    rm -f "$INBOX"/* "$OUT/drop/pharmacy/done"/*
    printf '%5s MB round %s: %d records, %d bytes; cp+sha256sum %.2f s, cutover drop %.2f s (ratio %.2f), peak RSS %d MB\n' \
      "$SIZE" "$ROUND" "$RECORDS" "$BYTES" "$B" "$C" "$(awk "BEGIN {print $B / $C}")" "$((R / 1024))"
    BASE_T+=("$B"); CUT_T+=("$C"); RSS+=("$R")
  done
  MB=$(printf '%s\n' "${BASE_T[@]}" | median); MC=$(printf '%s\n' "${CUT_T[@]}" | median)
  MR=$(printf '%s\n' "${RSS[@]}" | sort -g | tail -1)
  SUMMARY+=("| $SIZE MB, legacy mode | $(printf '%.2f' "$MB") s | $(printf '%.2f' "$MC") s | $(printf '%.2f' "$(awk "BEGIN {print $MB / $MC}")") | $((MR / 1024)) MB |")
done

# New mode: every record mapped, POSTed with its idempotency key, audited.
"$CUTOVER" flow set pharmacy-stock-export --mode new --reason "benchmark" --force >/dev/null
SRC="$OUT/src/STOCK_new.csv"
python3 "$HERE/gen_stock.py" --records "$NEW_RECORDS" "$SRC" 99 >/dev/null
T0=$(now)
/usr/bin/time -v "$CUTOVER" drop pharmacy-stock-export "$SRC" >"$OUT/result.json" 2>"$OUT/time.txt"
T1=$(now)
N=$(awk "BEGIN {print $T1 - $T0}")
SENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$OUT/result.json")
R=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
STORED=$("${PSQL[@]}" -c "SELECT count(*) FROM cutover.exchanges WHERE kind = 'record'")
printf 'new mode: %d records sent in %.2f s = %.0f records/s (%s record exchanges stored), peak RSS %d MB\n' \
  "$SENT" "$N" "$(awk "BEGIN {print $SENT / $N}")" "$STORED" "$((R / 1024))"

echo
echo "| run | cp + sha256sum | cutover drop | ratio (goal >= 0.5) | peak RSS (goal <= 100 MB) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${SUMMARY[@]}"
echo
printf '| new mode, %d records to the ERP simulator | %.2f s | %.0f records/s | peak RSS %d MB |\n' \
  "$SENT" "$N" "$(awk "BEGIN {print $SENT / $N}")" "$((R / 1024))"
