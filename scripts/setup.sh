#!/usr/bin/env bash
# setup.sh — install what chute's build, tests and benchmarks need (idempotent).
#
#   scripts/setup.sh [--no-build] [--no-apt]
#
#   1. Debian packages (apt-get; only the missing ones, `apt-get update` only then)
#   2. Apache Kafka jars from Maven Central into deps/kafka/lib (skipped if present)
#   3. Python venv at .work/venv with tests/requirements.txt
#   4. build chute: cmake -S . -B build -G Ninja && cmake --build build
#      (--no-build skips this step; --no-apt skips step 1)
#
# Safe to run as root. The servers used by the tests are started by
# scripts/dev-env.sh on free ports with their own data dirs; the system
# clickhouse-server service is never used (and is not started by this script).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"

BUILD=1
APT=1
for arg in "$@"; do
    case "$arg" in
        --no-build) BUILD=0 ;;
        --no-apt) APT=0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p .work

# ---------------------------------------------------------------- 1. apt
PACKAGES=(
    build-essential cmake ninja-build pkg-config
    librdkafka-dev libcurl4-openssl-dev libyaml-dev libzstd-dev liblz4-dev zlib1g-dev
    libcmocka-dev clang libclang-rt-14-dev
    clickhouse-server clickhouse-client
    kcat socat curl ca-certificates openssl procps util-linux
    openjdk-17-jre-headless maven
    python3 python3-pip python3-venv
    shellcheck valgrind
)

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

if [ "$APT" = 1 ]; then
    missing=()
    for p in "${PACKAGES[@]}"; do
        installed "$p" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "apt: all ${#PACKAGES[@]} packages present"
    else
        SUDO=()
        if [ "$(id -u)" != 0 ]; then
            command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]}"
            SUDO=(sudo)
        fi
        say "apt: installing ${missing[*]}"
        # Keep package scripts from starting services (clickhouse-server's
        # postinst would start the system server on 8123/9000, which we never
        # use): a temporary policy-rc.d that denies every start.
        POLICY=/usr/sbin/policy-rc.d
        made_policy=0
        if [ ! -e "$POLICY" ]; then
            printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
            "${SUDO[@]}" chmod 755 "$POLICY"
            made_policy=1
            trap '[ "$made_policy" = 1 ] && "${SUDO[@]}" rm -f "$POLICY"' EXIT
        fi
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >&2
        if [ "$made_policy" = 1 ]; then
            "${SUDO[@]}" rm -f "$POLICY"
            made_policy=0
        fi
        for p in "${missing[@]}"; do
            installed "$p" || die "apt: $p did not install"
        done
        say "apt: done"
    fi
else
    say "apt: skipped (--no-apt)"
fi

# ---------------------------------------------------------------- 2. Kafka jars
KAFKA_DIR="deps/kafka"
KAFKA_LIB="$KAFKA_DIR/lib"
pom_sum="$(sha256sum "$KAFKA_DIR/pom.xml" | cut -d' ' -f1)"
if compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null \
    && [ "$(cat "$KAFKA_LIB/.pom.sha256" 2>/dev/null)" = "$pom_sum" ]; then
    say "kafka: jars present ($(basename "$(compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" | head -n1)"))"
else
    command -v mvn >/dev/null || die "mvn not found (install maven or drop --no-apt)"
    say "kafka: fetching jars with Maven into $KAFKA_LIB"
    rm -rf "$KAFKA_LIB"
    ok=0
    for attempt in 1 2 3; do
        if mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" \
            dependency:copy-dependencies >.work/mvn.log 2>&1; then
            ok=1
            break
        fi
        say "kafka: mvn attempt $attempt failed (see .work/mvn.log)"
        sleep 3
    done
    if [ "$ok" != 1 ]; then
        tail -n 30 .work/mvn.log >&2
        die "kafka: could not fetch the jars"
    fi
    compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null || die "kafka: no kafka_2.13 jar after mvn"
    echo "$pom_sum" >"$KAFKA_LIB/.pom.sha256"
    say "kafka: $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars"
fi

# ---------------------------------------------------------------- 3. Python venv
VENV=".work/venv"
REQ="tests/requirements.txt"
PY="$(command -v python3 || true)"
[ -n "$PY" ] || die "python3 not found"
req_sum="$( { cat "$REQ"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null \
    && [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$req_sum" ]; then
    say "venv: $VENV up to date"
else
    if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; }; then
        say "venv: creating $VENV with $PY ($("$PY" -c 'import platform; print(platform.python_version())'))"
        rm -rf "$VENV"
        "$PY" -m venv "$VENV" || die "venv: '$PY -m venv' failed (Debian: apt-get install python3-venv)"
    fi
    say "venv: installing $REQ"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ" >&2 \
        || die "venv: pip install failed"
    echo "$req_sum" >"$VENV/.requirements.sha256"
    say "venv: $("$VENV/bin/python" -c 'import confluent_kafka, pytest; print("pytest", pytest.__version__, "confluent-kafka", confluent_kafka.__version__, "librdkafka", confluent_kafka.libversion()[0])')"
fi

# ---------------------------------------------------------------- 4. build
if [ "$BUILD" = 1 ]; then
    GEN=(-G Ninja)
    # an existing build dir keeps whatever generator it was configured with
    [ -f build/CMakeCache.txt ] && GEN=()
    say "build: cmake -S . -B build ${GEN[*]} -DCMAKE_BUILD_TYPE=RelWithDebInfo"
    cmake -S . -B build ${GEN[@]+"${GEN[@]}"} -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2 \
        || die "build: cmake configure failed"
    say "build: cmake --build build"
    cmake --build build >&2 || die "build: compile failed"
    say "build: ok"
else
    say "build: skipped (--no-build)"
fi
say "done. Start the servers with: eval \"\$(scripts/dev-env.sh up)\""
