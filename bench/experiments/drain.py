#!/usr/bin/env python3
"""drain.py — server CPU of one chute drain of a pre-filled topic.

  drain.py --topic T --rows N --workload narrow|wide [--max-rows R]
           [--max-bytes B] [--max-wait W] [--stop-merges] [--setting k=v ...]
           [--tag TAG] [--csv FILE]

Needs the env lines of a dev environment in $PERF_ENV (default
.work/perf-env.env) and a chute binary in $PERF_CHUTE (default
.work/perf-chute). Creates an empty MergeTree table, runs chute from the
earliest offset with a fresh group, and records:
  srv_count   server CPU (utime+stime, /proc) from start until count() = N
              (inserts plus whatever merges ran meanwhile)
  srv_total   ... until no merge of the table has run for 3 s afterwards
  with --stop-merges: SYSTEM STOP MERGES on the table before the drain,
  srv_count is then insert-only; merges are started after count() = N and
  srv_total - srv_count is the merge cost.
  new_parts / merges / merged_rows from system.part_log (NewPart,
  MergeParts, sum of rows of merge results), active parts at the end.
One CSV line per run.
"""
import argparse, os, random, subprocess, sys, time, urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HZ = os.sysconf("SC_CLK_TCK")


def load_env():
    env = {}
    for line in open(os.environ.get("PERF_ENV", os.path.join(REPO, ".work/perf-env.env"))):
        if "=" in line:
            k, v = line.strip().split("=", 1)
            env[k] = v
    return env


ENV = load_env()
URL = ENV["CLICKHOUSE_URL"]


NQ = [0]


def q(sql):
    NQ[0] += 1
    with urllib.request.urlopen(urllib.request.Request(URL + "/", data=sql.encode()), timeout=60) as r:
        return r.read().decode().strip()


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def ddl(workload, table):
    be = os.environ.get("PERF_BENCH_ENCODE", os.path.join(REPO, ".work/perf-bench_encode"))
    return subprocess.check_output([be, "--ddl", workload, "--table", table]).decode().strip()


def wait_merges_settle(table, quiet_s=3.0, limit=120):
    t_end = time.time() + limit
    quiet_since = None
    while time.time() < t_end:
        n = int(q(f"SELECT count() FROM system.merges WHERE database='default' AND table='{table}'"))
        if n == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= quiet_s:
                return True
        else:
            quiet_since = None
        time.sleep(0.5)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--topic", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--max-rows", default="100000")
    ap.add_argument("--max-bytes", default="16MiB")
    ap.add_argument("--max-wait", default="1s")
    ap.add_argument("--insert-workers", default=None)
    ap.add_argument("--stop-merges", action="store_true")
    ap.add_argument("--setting", action="append", default=[])
    ap.add_argument("--tag", default="")
    ap.add_argument("--csv", default=None)
    ap.add_argument("--quiet", type=float, default=3.0, help="seconds without a merge that count as settled")
    a = ap.parse_args()

    chpid = int(ENV["CLICKHOUSE_PID"])
    table = f"perf_{a.workload}_{int(time.time())}_{random.randint(0, 9999)}"
    q(ddl(a.workload, table))
    if a.stop_merges:
        q(f"SYSTEM STOP MERGES {table}")
    workdir = os.path.join(REPO, ".work/perf")
    cfg = os.path.join(workdir, table + ".yaml")
    settings = ""
    if a.setting:
        settings = "  settings:\n" + "".join(f"    {kv.split('=', 1)[0]}: {kv.split('=', 1)[1]}\n" for kv in a.setting)
    workers = f"  insert_workers: {a.insert_workers}\n" if a.insert_workers else ""
    open(cfg, "w").write(f"""kafka:
  bootstrap_servers: {ENV['KAFKA_BOOTSTRAP']}
  group_id: perf-{table}
  auto_offset_reset: earliest
  properties:
    client.id: perf-chute
clickhouse:
  url: {URL}
  database: default
  user: default
{workers}{settings}topics:
  - topic: {a.topic}
    table: {table}
    batch:
      max_rows: {a.max_rows}
      max_bytes: {a.max_bytes}
      max_wait: {a.max_wait}
""")
    time.sleep(1.0)
    NQ[0] = 0
    s0 = cpu(chpid)
    t0 = time.time()
    log = open(os.path.join(workdir, table + ".log"), "w")
    chute = subprocess.Popen([os.environ.get("PERF_CHUTE", os.path.join(REPO, ".work/perf-chute")), "run", "-c", cfg],
                             stdout=log, stderr=subprocess.STDOUT)
    ok = False
    while time.time() - t0 < 300:
        # system.parts, not count(): 18.16 has no trivial-count shortcut, so
        # count() reads a column of every row (3.3 ms of server CPU at 1M
        # narrow rows); this metadata query costs ~0.75 ms.
        c = int(q(f"SELECT sum(rows) FROM system.parts WHERE database='default' "
                  f"AND table='{table}' AND active") or 0)
        if c >= a.rows:
            ok = True
            break
        if chute.poll() is not None:
            break
        time.sleep(0.2)
    wall = time.time() - t0
    s1 = cpu(chpid)
    try:
        ccpu = cpu(chute.pid)
    except Exception:
        ccpu = float("nan")
    chute.terminate()
    chute.wait()
    parts_at_count = q(f"SELECT count() FROM system.parts WHERE database='default' AND table='{table}' AND active")
    if a.stop_merges:
        q(f"SYSTEM START MERGES {table}")
    settled = wait_merges_settle(table, quiet_s=a.quiet)
    s2 = cpu(chpid)
    t2 = time.time()
    nq = NQ[0]
    q("SYSTEM FLUSH LOGS")
    pl = q(f"SELECT countIf(event_type = 'NEW_PART'), countIf(event_type = 'MERGE_PARTS'), sumIf(rows, event_type = 'MERGE_PARTS'), "
           f"sumIf(size_in_bytes, event_type = 'NEW_PART'), sumIf(size_in_bytes, event_type = 'MERGE_PARTS') "
           f"FROM system.part_log WHERE database='default' AND table='{table}' FORMAT TSV").split("\t")
    active = q(f"SELECT count() FROM system.parts WHERE database='default' AND table='{table}' AND active")
    q(f"DROP TABLE {table}")
    os.unlink(cfg)
    line = ",".join(str(x) for x in [
        a.tag, a.workload, a.topic, a.rows, a.max_rows, a.max_bytes, a.max_wait, int(a.stop_merges),
        ";".join(a.setting), int(ok), f"{wall:.2f}", f"{ccpu:.2f}", f"{s1 - s0:.2f}", f"{s2 - s0:.2f}",
        f"{t2 - t0:.1f}", parts_at_count, pl[0], pl[1], pl[2], pl[3], pl[4], active, int(settled), nq])
    print(line)
    if a.csv:
        new = not os.path.exists(a.csv)
        with open(a.csv, "a") as f:
            if new:
                f.write("tag,workload,topic,rows,max_rows,max_bytes,max_wait,stop_merges,settings,ok,wall_s,"
                        "chute_cpu_s,srv_cpu_at_count_s,srv_cpu_total_s,elapsed_total_s,active_parts_at_count,"
                        "new_parts,merges,merged_rows,new_part_bytes,merged_bytes,active_parts_end,settled,polls\n")
            f.write(line + "\n")


if __name__ == "__main__":
    main()
