#!/usr/bin/env bash
# callgrind.sh — instructions per row of decode + encode (ck_row_encode_json),
# a figure that is stable from run to run, unlike wall time on a shared box.
#
#   bench/callgrind.sh [BUILD_DIR]        (default: build)
#   CALLGRIND_ROWS=20000 bench/callgrind.sh
#
# Runs build/bench_encode under valgrind --tool=callgrind once per workload
# with a fixed N and one repetition, collecting only inside
# ck_row_encode_json (--toggle-collect), so generation and setup do not count.
# Timed runs do 1 warm-up + 1 measured pass, so the encoder runs 2*N times.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$REPO/build}"
ROWS="${CALLGRIND_ROWS:-20000}"
BIN="$BUILD/bench_encode"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found" >&2; exit 1; }
[ -x "$BIN" ] || cmake --build "$BUILD" --target bench_encode >&2
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for w in narrow wide; do
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$w.out" \
        --toggle-collect=ck_row_encode_json \
        "$BIN" --workload "$w" --rows "$ROWS" --reps 1 >/dev/null 2>"$OUT/$w.log" \
        || { cat "$OUT/$w.log" >&2; exit 1; }
    ir="$(awk '/^summary:/ {print $2}' "$OUT/$w.out")"
    [ -n "$ir" ] || ir="$(awk '/^totals:/ {print $2}' "$OUT/$w.out")"
    awk -v w="$w" -v ir="$ir" -v n="$ROWS" \
        'BEGIN { printf "%-7s %d rows x 2 passes: %d instructions in ck_row_encode_json = %.0f instructions/row\n", w, n, ir, ir / (2 * n) }'
done
