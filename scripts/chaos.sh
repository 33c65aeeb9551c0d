#!/usr/bin/env bash
# chaos.sh — the chaos suite (tests/chaos): kill -9, failpoints, ClickHouse and
# broker faults (the real broker and librdkafka's mock cluster), group churn,
# poison records; after every case: lost = 0 and (exactly-once) duplicated = 0.
# See docs/chaos.md.
#
#   scripts/chaos.sh [--short|--soak] [--records N] [--kills K] [--seed S]
#                    [--dedup-window N] [--clickhouse 26.9|18.16] [-- PYTEST_ARGS...]
#
#   --short      (default) the CI run, ~6 min of pytest: 10 kills per mode in the kill case (40k records), each failpoint once
#   --soak       >= 1,000,000 records and >= 100 kill -9 per mode plus the other faults (~1 h)
#   --records N  records of the kill -9 case per mode (the other cases scale with it)
#   --kills K    kill -9 count of the kill -9 case per mode
#   --seed S     seed of every random choice (printed by every run; reuse it to repeat one)
#   --dedup-window N  every test table gets SETTINGS non_replicated_deduplication_window = N
#                (26.9: exactly-once's token then drops a re-sent batch; default 0, where
#                the offset check does); results go to <profile>-window<N>-<date>
#   --clickhouse V  the server to start (default 26.9, or CHUTE_CLICKHOUSE); a work dir
#                that is already up keeps its own
#
# Builds build/chute, build/mock_cluster and build-chaos/chute
# (-DCHUTE_FAILPOINTS=ON) if missing or stale, starts the servers in
# .work/chaos-env (or uses CHUTE_DEV_DIR; an environment that is already up is
# left running), and writes its figures to
# tests/chaos/results/<short|soak>-<date>.md and .json.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"

PROFILE=short
RECORDS=""
KILLS=""
SEED="${CHAOS_SEED:-}"
WINDOW=""
PYARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --short) PROFILE=short; shift ;;
        --soak) PROFILE=soak; shift ;;
        --records) RECORDS="$2"; shift 2 ;;
        --records=*) RECORDS="${1#--records=}"; shift ;;
        --kills) KILLS="$2"; shift 2 ;;
        --kills=*) KILLS="${1#--kills=}"; shift ;;
        --seed) SEED="$2"; shift 2 ;;
        --seed=*) SEED="${1#--seed=}"; shift ;;
        --dedup-window) WINDOW="$2"; shift 2 ;;
        --dedup-window=*) WINDOW="${1#--dedup-window=}"; shift ;;
        --clickhouse) export CHUTE_CLICKHOUSE="$2"; shift 2 ;;
        --clickhouse=*) export CHUTE_CLICKHOUSE="${1#--clickhouse=}"; shift ;;
        --) shift; PYARGS=("$@"); break ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "chaos.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\n[chaos] %s\n' "$*" >&2; }
JOBS=2   # the machine is shared; never more

if [ ! -x .work/venv/bin/python ]; then
    say "no .work/venv: creating it (scripts/setup.sh --no-apt --no-build)"
    scripts/setup.sh --no-apt --no-build
fi

say "build/chute (release, -Werror)"
if [ ! -f build/build.ninja ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHUTE_WERROR=ON >/dev/null
fi
cmake --build build -j "$JOBS" --target chute
# The mock-cluster helper of case 4b exists only with CHUTE_TESTS=ON (the default).
if ! cmake --build build -j "$JOBS" --target mock_cluster >/dev/null 2>&1; then
    say "build/mock_cluster not built (CHUTE_TESTS=OFF in build/?); the mock-cluster case will be skipped"
fi

say "build-chaos/chute (-DCHUTE_FAILPOINTS=ON)"
if [ ! -f build-chaos/build.ninja ]; then
    cmake -S . -B build-chaos -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHUTE_FAILPOINTS=ON \
        -DCHUTE_WERROR=ON -DCHUTE_TESTS=OFF >/dev/null
fi
cmake --build build-chaos -j "$JOBS" --target chute
if ! build-chaos/chute version 2>&1 | grep -q failpoints; then
    say "build-chaos/chute has no failpoints (\`chute version\`: $(build-chaos/chute version 2>&1 | head -1)); the failpoint cases will be skipped"
fi

export CHUTE_DEV_DIR="${CHUTE_DEV_DIR:-$REPO/.work/chaos-env}"
STOP_ENV=1
if scripts/dev-env.sh status >/dev/null 2>&1; then
    say "servers in $CHUTE_DEV_DIR are already up: using them, leaving them running"
    STOP_ENV=0
fi
cleanup() {
    if [ "$STOP_ENV" = 1 ]; then scripts/dev-env.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
eval "$(scripts/dev-env.sh up)"
export KAFKA_BOOTSTRAP CLICKHOUSE_URL

export CHAOS_PROFILE="$PROFILE"
[ -n "$RECORDS" ] && export CHAOS_RECORDS="$RECORDS"
[ -n "$KILLS" ] && export CHAOS_KILLS="$KILLS"
if [ -z "$SEED" ]; then SEED="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"; SEED=$((SEED % 2147483647 + 1)); fi
export CHAOS_SEED="$SEED"
if [ -n "$WINDOW" ]; then
    case "$WINDOW" in ''|*[!0-9]*) echo "chaos.sh: --dedup-window needs a number, got $WINDOW" >&2; exit 2 ;; esac
    export CHAOS_TABLE_SETTINGS="non_replicated_deduplication_window = $WINDOW"
fi
export CHUTE_BIN="$REPO/build/chute"
export CHAOS_FP_BIN="$REPO/build-chaos/chute"

say "chaos suite: profile $PROFILE, seed $SEED${RECORDS:+, records $RECORDS}${KILLS:+, kills $KILLS}${WINDOW:+, dedup window $WINDOW}, ClickHouse $CLICKHOUSE_VERSION"
rc=0
.work/venv/bin/python -m pytest tests/chaos -q -s -rs -p no:cacheprovider --durations=0 \
    ${PYARGS[@]+"${PYARGS[@]}"} || rc=$?
say "chaos suite finished (exit $rc; seed $SEED; results in tests/chaos/results/$PROFILE${WINDOW:+-window$WINDOW}-$(date +%F).md)"
exit "$rc"
