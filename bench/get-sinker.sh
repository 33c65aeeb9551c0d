#!/usr/bin/env bash
# get-sinker.sh — build housepower/clickhouse_sinker (the Go peer of run.sh's
# "sinker" contender) into .work/sinker/bin/clickhouse_sinker.
#
#   bench/get-sinker.sh               go install …@latest via the Go module proxy
#   SINKER_SRC=DIR bench/get-sinker.sh   go build from a source tree instead
#
# On 2026-11-21 the module proxy here answered 403 "This module version is
# not available" for github.com/housepower/clickhouse_sinker (every version;
# its dependencies, e.g. clickhouse-go/v2, were served). The binary used for
# the results was built from a source snapshot of the repository (commit
# 8091e25) with SINKER_SRC, its dependencies from the proxy.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$REPO/.work/sinker/bin"
mkdir -p "$OUT"
export GOFLAGS=-mod=mod
if [ -n "${SINKER_SRC:-}" ]; then
    (cd "$SINKER_SRC" && go build -o "$OUT/clickhouse_sinker" ./cmd/clickhouse_sinker)
else
    GOBIN="$OUT" go install github.com/housepower/clickhouse_sinker/cmd/clickhouse_sinker@latest
fi
echo "$OUT/clickhouse_sinker"
