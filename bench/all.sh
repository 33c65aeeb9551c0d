#!/usr/bin/env bash
# all.sh — the whole comparison in one command (after scripts/setup.sh):
#
#   bench/all.sh
#
#   1. decode + encode alone: build/bench_encode (ns per row) and, when
#      valgrind is installed, bench/callgrind.sh (instructions per row)
#   2. bench/run.sh, narrow (1,000,000 rows) and wide (300,000 rows):
#      chute, chute with batch.scope partition, the Kafka engine, the pipe
#      and clickhouse_sinker, interleaved, 3 runs each
#   3. bench/latency.sh: end-to-end latency at 10/50/80 % of chute's peak
#
# Results: bench/results/<date>-{narrow,wide,narrow-latency}.{md,csv} and
# <date>-summary.png. The Go peer is built first with bench/get-sinker.sh if
# it is missing; if that fails (no Go toolchain, or the module proxy refuses
# the module), it is left out and the output says why. About 25 minutes on
# 2 cores. The dev environment in .work/bench-env is left running; stop it
# with `CHUTE_DEV_DIR=.work/bench-env scripts/dev-env.sh down`.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
say() { printf '\n[bench/all +%ss] %s\n' "$SECONDS" "$*" >&2; }

SINKER="$REPO/.work/sinker/bin/clickhouse_sinker"
PEERS="chute chutep kafka pipe sinker"
if [ ! -x "$SINKER" ]; then
    say "building clickhouse_sinker (bench/get-sinker.sh)"
    if ! bench/get-sinker.sh >&2; then
        say "clickhouse_sinker could not be built (above); it is left out"
        PEERS="chute chutep kafka pipe"
    fi
fi
# A B ... B A ... A B: every contender three times, interleaved.
fwd="$PEERS"
rev="$(echo "$PEERS" | tr ' ' '\n' | tac | tr '\n' ' ')"
ORDER="$fwd $rev $fwd"

say "decode + encode alone (build/bench_encode)"
cmake --build build --target bench_encode chute >/dev/null
build/bench_encode --rows 200000
if command -v valgrind >/dev/null; then
    bench/callgrind.sh
else
    say "valgrind is not installed: no instructions-per-row figure"
fi

say "narrow, 1,000,000 rows: $ORDER"
BENCH_ORDER="$ORDER" bench/run.sh
say "wide, 300,000 rows: $ORDER"
BENCH_WORKLOAD=wide BENCH_ROWS=300000 BENCH_NO_BUILD=1 BENCH_ORDER="$ORDER" bench/run.sh
say "latency at fixed rates (bench/latency.sh)"
bench/latency.sh
say "done: bench/results/$(date +%Y-%m-%d)-*.md and -summary.png"
