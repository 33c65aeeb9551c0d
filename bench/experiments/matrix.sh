#!/usr/bin/env bash
# matrix.sh CSV REPS CONFIG...   CONFIG = tag:topic:rows:workload:max_rows:max_bytes:max_wait[:extra drain.py args]
# Runs every config REPS times, interleaved (order rotated each repetition).
set -uo pipefail
cd "$(dirname "$0")/../.."
csv="$1" reps="$2"; shift 2
cfgs=("$@"); n=${#cfgs[@]}
for r in $(seq 0 $((reps - 1))); do
    for k in $(seq 0 $((n - 1))); do
        c="${cfgs[$(( (k + r) % n ))]}"
        IFS=: read -r tag topic rows wl mr mb mw extra <<<"$c"
        # shellcheck disable=SC2086
        bench/experiments/drain.py --tag "$tag" --topic "$topic" --rows "$rows" --workload "$wl" \
            --max-rows "$mr" --max-bytes "$mb" --max-wait "$mw" --csv "$csv" $extra
    done
done
