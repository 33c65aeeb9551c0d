#!/usr/bin/env bash
# poll_cost.sh — what one completion poll of bench/run.sh costs the
# ClickHouse server, and whether the cheap poll agrees with count().
#
#   bench/poll_cost.sh                 tables of 50,000 and 1,000,000 narrow rows
#   BENCH_POLL_ROWS="1000000" BENCH_POLLS=500 BENCH_POLL_REPS=5 bench/poll_cost.sh
#
# Same environment as run.sh (.work/bench-env, bench/env.sh; left running).
# For each size R it fills a MergeTree table of the narrow workload's columns
# (bench_encode --ddl narrow) with R rows (INSERT … SELECT FROM numbers(), in
# 10 inserts, so there are several parts as during a drain), waits 5 s for
# merges, checks that `sum(rows)` of the active parts in system.parts equals
# count(), then BENCH_POLL_REPS (3) times, the variants interleaved, sends
# each query BENCH_POLLS (200) times back to back:
#   curl       a new curl process and connection per poll (run.sh until now)
#   keepalive  one keep-alive HTTP connection (bench/wait_rows.py)
# for the queries
#   SELECT 1                       the floor: an HTTP query that reads nothing
#   SELECT count() FROM t          the old poll
#   SELECT sum(rows) FROM system.parts WHERE active AND database … AND table …
#   SELECT uniqExact(event_id) FROM t WHERE event_id >= R - 4
#                                  the shape of the Debezium workload's
#                                  sentinel poll (a primary-key range)
# and an idle stretch as long as the previous variant. Server CPU is the
# delta of utime+stime in /proc/PID/stat (10 ms ticks, hence the 200 polls),
# minus the idle stretch's CPU scaled to the variant's wall time. Prints ms of
# server CPU per poll (median, min–max over the reps) and wall ms per poll.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
SIZES="${BENCH_POLL_ROWS:-50000 1000000}"
POLLS="${BENCH_POLLS:-200}"
REPS="${BENCH_POLL_REPS:-3}"
BUILD="${BENCH_BUILD:-$REPO/build}"
export CHUTE_DEV_DIR="${CHUTE_DEV_DIR:-$REPO/.work/bench-env}"

log() { printf '[poll-cost] %s\n' "$*" >&2; }
# shellcheck source=bench/env.sh
# shellcheck source=env.sh
. "$REPO/bench/env.sh"
bench_up 7500

q() { curl -sS --max-time 30 "$CLICKHOUSE_URL/" --data-binary "$1"; }

for rows in $SIZES; do
    t="poll_cost_$rows"
    q "DROP TABLE IF EXISTS $t"
    q "$("$BUILD/bench_encode" --ddl narrow --table "$t")"
    per=$((rows / 10))
    for k in 0 1 2 3 4 5 6 7 8 9; do
        n=$per; [ "$k" = 9 ] && n=$((rows - 9 * per))
        q "INSERT INTO $t SELECT number + $((k * per)), number % 5000, intDiv(number, 7), 1760000000000 + number,
           'click', 'DE', 'ios', number / 3, number % 2, concat('/p/', toString(number % 97)) FROM numbers($n)"
    done
    sleep 5
    python3 - "$CLICKHOUSE_URL" "$CLICKHOUSE_PID" "$t" "$rows" "$POLLS" "$REPS" <<'EOF'
import http.client, os, statistics, subprocess, sys, time, urllib.parse
url, pid, t, rows, polls, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
u = urllib.parse.urlparse(url)
hz = os.sysconf("SC_CLK_TCK")
def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
def ka(sql):
    conn.request("POST", "/", body=sql.encode()); r = conn.getresponse(); return r.read().decode().strip()
def curl(sql):
    return subprocess.run(["curl", "-s", "--max-time", "5", url + "/", "--data-binary", sql],
                          capture_output=True, text=True).stdout.strip()
parts_sql = f"SELECT sum(rows) FROM system.parts WHERE active AND database = 'default' AND table = '{t}'"
queries = [("SELECT 1", "SELECT 1"), ("count()", f"SELECT count() FROM {t}"),
           ("system.parts sum(rows)", parts_sql),
           ("sentinel range", f"SELECT uniqExact(event_id) FROM {t} WHERE event_id >= {rows - 4}")]
cnt, psum = ka(f"SELECT count() FROM {t}"), ka(parts_sql)
nparts = ka(f"SELECT count() FROM system.parts WHERE active AND database = 'default' AND table = '{t}'")
print(f"{rows:,} rows in {nparts} active parts: count() = {cnt}, system.parts sum(rows) = {psum}"
      + ("" if cnt == psum == str(rows) else "  MISMATCH"))
res = {}
for rep in range(reps):
    for name, sql in queries:
        for how, f in (("curl", curl), ("keepalive", ka)):
            c0, t0 = ticks(), time.time()
            for _ in range(polls):
                f(sql)
            c1, t1 = ticks(), time.time()
            time.sleep(t1 - t0)                        # idle stretch, same length
            c2 = ticks()
            cpu_ms = ((c1 - c0) - (c2 - c1)) / hz * 1000 / polls
            res.setdefault((name, how), []).append((cpu_ms, (t1 - t0) * 1000 / polls))
print(f"server CPU ms per poll, median (min–max) of {reps} x {polls} polls; wall ms per poll")
for name, _ in queries:
    line = f"  {name:24s}"
    for how in ("curl", "keepalive"):
        v = res[(name, how)]
        c = [x[0] for x in v]
        line += (f"  {how}: {statistics.median(c):.2f} ({min(c):.2f}–{max(c):.2f}) CPU,"
                 f" {statistics.median(x[1] for x in v):.1f} wall")
    print(line)
EOF
    q "DROP TABLE $t"
done
