#!/usr/bin/env bash
# run-extra.sh OUTDIR — after run-all.sh: (a) the sort cost of a batch that
# concatenates 4 partitions (4 ascending runs) or is in random order, vs one
# ascending run; (b) more repetitions of the key drains, and the default
# drains with a 25 s quiet window (do the leftover parts get merged?).
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.work/perf}"
python3 - <<'PY'
import http.client, os, sys
sys.path.insert(0, "bench/experiments")
from drain import ENV, REPO
host, port = ENV["CLICKHOUSE_URL"].split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=600)
for name, order in [("runs4", "event_id % 4, event_id"), ("random", "cityHash64(event_id)")]:
    for n in (100000, 1000000):
        c.request("POST", "/", body=f"SELECT * FROM (SELECT * FROM perf_src_narrow LIMIT {n}) ORDER BY {order} FORMAT RowBinary".encode())
        r = c.getresponse(); d = r.read(); assert r.status == 200, d[:300]
        open(os.path.join(REPO, f".work/perf/fmt/narrow{name}-{n}.rb"), "wb").write(d)
for name, order in [("runs4", "id % 4, id")]:
    n = 300000
    c.request("POST", "/", body=f"SELECT * FROM (SELECT * FROM perf_src_wide LIMIT {n}) ORDER BY {order} FORMAT RowBinary".encode())
    r = c.getresponse(); d = r.read(); assert r.status == 200, d[:300]
    open(os.path.join(REPO, f".work/perf/fmt/wide{name}-{n}.rb"), "wb").write(d)
PY
python3 bench/experiments/formats.py run "$out/exp5-order.csv" 3 \
  narrow:1000000:1:rb narrowruns4:1000000:1:rb narrowrandom:1000000:1:rb \
  narrow:100000:10:rb narrowruns4:100000:10:rb narrowrandom:100000:10:rb \
  wide:300000:1:rb wideruns4:300000:1:rb
N=perf_narrow_p4; N1=perf_narrow_p1; W=perf_wide_p4; W1=perf_wide_p1
bench/experiments/matrix.sh "$out/exp1-narrow.csv" 2 \
  n_def:$N:1000000:narrow:100000:16MiB:1s \
  n_r1M_256M_w10:$N:1000000:narrow:1000000:256MiB:10s \
  n_p1_r1M_256M_w10:$N1:1000000:narrow:1000000:256MiB:10s
bench/experiments/matrix.sh "$out/exp1-wide.csv" 2 \
  w_def:$W:300000:wide:100000:16MiB:1s \
  w_r1M_256M_w10:$W:300000:wide:1000000:256MiB:10s \
  w_p1_r1M_512M_w10:$W1:300000:wide:1000000:512MiB:10s
bench/experiments/matrix.sh "$out/exp2-longsettle.csv" 2 \
  n_def_q25:$N:1000000:narrow:100000:16MiB:1s:--quiet=25 \
  w_def_q25:$W:300000:wide:100000:16MiB:1s:--quiet=25
echo EXTRA DONE
