#!/usr/bin/env bash
# insert_format.sh — what the ClickHouse server spends to take the same rows
# as RowBinary (what chute sends) and as Native (column-oriented), so the
# choice of insert format rests on a figure.
#
#   CHUTE_DEV_DIR=DIR bench/insert_format.sh [ROWS] [RUNS] [WORKLOAD]
#
# Needs a running dev environment (scripts/dev-env.sh up with the same
# CHUTE_DEV_DIR) and build/bench_encode. Loads ROWS (default 500000) rows of
# WORKLOAD (narrow | wide, default narrow) from bench_encode into a source
# table, exports them in both formats, then inserts each export RUNS times
# (default 5, alternating) into a fresh table and prints per insert the wall
# time and the server's CPU time (utime + stime from /proc, 10 ms ticks),
# then the medians.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
ROWS="${1:-500000}"
RUNS="${2:-5}"
WORKLOAD="${3:-narrow}"
WORK="$REPO/.work/insert-format"
mkdir -p "$WORK"

eval "$("$REPO/scripts/dev-env.sh" status 2>/dev/null | grep -E '^(CLICKHOUSE_URL|CLICKHOUSE_PID)=')" || true
: "${CLICKHOUSE_URL:?no dev environment: run CHUTE_DEV_DIR=... scripts/dev-env.sh up first}"
PID="${CLICKHOUSE_PID:-}"
if [ -z "$PID" ] || [ ! -r "/proc/$PID/stat" ]; then
    echo "insert_format.sh: cannot read the server's /proc entry" >&2
    exit 1
fi
HZ="$(getconf CLK_TCK)"

q() { curl -sS --fail-with-body "$CLICKHOUSE_URL/" --data-binary "$1"; }
cpu_ms() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1000 / hz }' "/proc/$PID/stat"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

q "DROP TABLE IF EXISTS default.insert_format_src"
q "$("$REPO/build/bench_encode" --ddl "$WORKLOAD" --table default.insert_format_src)"
"$REPO/build/bench_encode" --emit "$WORKLOAD" --rows "$ROWS" --seed 7 >"$WORK/rows.jsonl"
curl -sS --fail-with-body "$CLICKHOUSE_URL/?query=INSERT%20INTO%20default.insert_format_src%20FORMAT%20JSONEachRow" \
    --data-binary @"$WORK/rows.jsonl" >/dev/null
for fmt in RowBinary Native; do
    curl -sS --fail-with-body "$CLICKHOUSE_URL/?query=SELECT%20*%20FROM%20default.insert_format_src%20FORMAT%20$fmt" \
        -o "$WORK/rows.$fmt"
done

echo "| run | format | bytes | wall ms | server CPU ms |"
echo "|---|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
    for fmt in RowBinary Native; do
        q "DROP TABLE IF EXISTS default.insert_format_dst"
        q "CREATE TABLE default.insert_format_dst AS default.insert_format_src"
        c0="$(cpu_ms)"; t0="$(now_ms)"
        curl -sS --fail-with-body "$CLICKHOUSE_URL/?query=INSERT%20INTO%20default.insert_format_dst%20FORMAT%20$fmt" \
            --data-binary @"$WORK/rows.$fmt" >/dev/null
        t1="$(now_ms)"; c1="$(cpu_ms)"
        echo "| $run | $fmt | $(stat -c %s "$WORK/rows.$fmt") | $((t1 - t0)) | $((c1 - c0)) |"
        echo "$fmt $((t1 - t0)) $((c1 - c0))" >>"$WORK/runs.txt.$$"
    done
done
q "DROP TABLE IF EXISTS default.insert_format_dst"
q "DROP TABLE IF EXISTS default.insert_format_src"
echo
echo "medians over $RUNS inserts of $ROWS $WORKLOAD rows:"
for fmt in RowBinary Native; do
    w="$(awk -v f="$fmt" '$1 == f { print $2 }' "$WORK/runs.txt.$$" | median)"
    c="$(awk -v f="$fmt" '$1 == f { print $3 }' "$WORK/runs.txt.$$" | median)"
    echo "  $fmt: wall $w ms, server CPU $c ms"
done
rm -f "$WORK/runs.txt.$$"
