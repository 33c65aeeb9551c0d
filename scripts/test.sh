#!/usr/bin/env bash
# test.sh — the whole test suite, as CI runs it.
#
#   scripts/test.sh [--quick]
#
#   0. no banned C library calls in src/ and fuzz/
#   1. release build with -Werror; unit tests and fuzz-corpus replays (ctest);
#      golden RowBinary tests (tests/golden: exact bytes + chdb decode)
#   2. ASan+UBSan build; the same ctest suite under the sanitizers; a short
#      libFuzzer run of each harness (CHUTE_FUZZ_SECONDS, default 20)
#   3. integration tests (pytest) against a real ClickHouse 26.9 server and a
#      real Kafka broker started by scripts/dev-env.sh in .work/test-env; then
#      the whole suite again against ClickHouse 18.16 (.work/test-env-18),
#      with tests/golden and tests/ddl on that server; servers stopped after
#   4. with CHUTE_CHAOS=1, the short chaos suite (scripts/chaos.sh --short,
#      about 8 minutes on 2 cores); scripts/chaos.sh runs it on its own
#
# --quick skips the sanitizer build. Needs scripts/setup.sh to have run.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"

QUICK=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

# Each step's start, with the seconds since the suite began.
say() { printf '\n[test +%ss] %s\n' "$SECONDS" "$*" >&2; }
JOBS="$(nproc)"

say "banned calls (unbounded or error-swallowing C library functions)"
if grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|atoll|strtok|gets)[[:space:]]*\(' src fuzz; then
    echo "use the bounded / checked alternatives (snprintf, ck_buf, strtol with checks)" >&2
    exit 1
fi

say "release build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHUTE_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
say "unit tests and fuzz-corpus replays"
ctest --test-dir build --output-on-failure -j "$JOBS"
say "golden RowBinary tests (exact bytes; decoded by chdb, ClickHouse 26.x)"
export CHUTE_GOLDEN_BIN="${CHUTE_GOLDEN_BIN:-$REPO/build/rowbinary_golden}"
env -u CLICKHOUSE_URL .work/venv/bin/python -m pytest tests/golden -q -p no:cacheprovider

if [ "$QUICK" = 0 ]; then
    say "sanitizer build (ASan + UBSan, -Werror)"
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHUTE_WERROR=ON \
        -DCHUTE_SANITIZE=ON >/dev/null
    cmake --build build-asan -j "$JOBS"
    say "unit tests and fuzz-corpus replays under ASan + UBSan"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j "$JOBS"

    say "short fuzz runs (libFuzzer, ASan + UBSan): every parser of untrusted input"
    CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCHUTE_FUZZ=ON -DCHUTE_TESTS=OFF >/dev/null
    cmake --build build-fuzz -j "$JOBS" --target fuzz_json fuzz_row fuzz_type fuzz_config fuzz_debezium fuzz_ddl fuzz_eo fuzz_dlq
    for f in json row type config debezium ddl eo dlq; do
        work="$(mktemp -d)"
        if ! build-fuzz/fuzz_$f -max_total_time="${CHUTE_FUZZ_SECONDS:-20}" \
            -max_len=4096 "$work" "fuzz/corpus/$f" >"$work.log" 2>&1; then
            tail -n 60 "$work.log" >&2
            echo "fuzz_$f found a crash (reproducer above; add it to fuzz/corpus/$f once fixed)" >&2
            exit 1
        fi
        grep -E '^Done|stat::number_of_executed_units' "$work.log" | tail -n 1 | sed "s/^/fuzz_$f: /" >&2
        rm -rf "$work" "$work.log"
    done
fi

say "failpoint build (build-chaos: crash points for the exactly-once and chaos tests)"
cmake -S . -B build-chaos -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHUTE_WERROR=ON \
    -DCHUTE_FAILPOINTS=ON -DCHUTE_TESTS=OFF >/dev/null
cmake --build build-chaos -j "$JOBS" --target chute
export CHUTE_FAILPOINT_BIN="$REPO/build-chaos/chute"

# One integration run per server: ClickHouse 26.9 (the primary server), then
# 18.16 (the oldest supported) with the whole suite again; tests that need a
# modern feature are skipped there and say so. Each run starts its own
# servers and stops them at the end.
cleanup() {
    scripts/dev-env.sh --dir "$REPO/.work/test-env" down >/dev/null 2>&1 || true
    scripts/dev-env.sh --dir "$REPO/.work/test-env-18" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
export CHUTE_BIN="$REPO/build/chute"
integration() { # SERVER DIR
    local server="$1" dir="$2"
    say "integration tests against ClickHouse $server and Kafka ($dir)"
    export CHUTE_DEV_DIR="$dir"
    eval "$(scripts/dev-env.sh --clickhouse "$server" up)"
    export KAFKA_BOOTSTRAP CLICKHOUSE_URL
    if ! .work/venv/bin/python -m pytest tests/integration -q -rfEs --durations=10; then
        echo "integration tests failed against ClickHouse $server (summary above)" >&2
        exit 1
    fi
}
integration 26.9 "$REPO/.work/test-env"
scripts/dev-env.sh down >/dev/null 2>&1 || true
integration 18.16 "$REPO/.work/test-env-18"
say "golden RowBinary bytes on the real ClickHouse 18.16 server"
.work/venv/bin/python -m pytest tests/golden -q -p no:cacheprovider -k test_old_server
say "generated DDL on chdb (ClickHouse 26.x) and on the real 18.16 server"
.work/venv/bin/python -m pytest tests/ddl -q -p no:cacheprovider
scripts/dev-env.sh down >/dev/null 2>&1 || true
say "all tests passed"

# The short chaos suite (tests/chaos, docs/chaos.md): kill -9, failpoints,
# server faults, the mock cluster's request errors, group churn, poison
# records; lost = 0 after every case, duplicated = 0 in exactly-once mode. It
# starts its own servers in .work/chaos-env (about 8 minutes on 2 cores).
# CHUTE_CHAOS=1 adds it here; scripts/chaos.sh runs it alone.
if [ "${CHUTE_CHAOS:-0}" = 1 ]; then
    cleanup
    say "chaos suite, short (scripts/chaos.sh --short)"
    env -u CHUTE_DEV_DIR -u KAFKA_BOOTSTRAP -u CLICKHOUSE_URL scripts/chaos.sh --short
    say "chaos suite passed"
fi
