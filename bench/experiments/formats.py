#!/usr/bin/env python3
"""formats.py — server CPU of HTTP inserts by input format and insert size.

  formats.py prepare WORKLOAD JSONL ROWS...   export the first ROWS rows of
        the workload (loaded from JSONL once) as RowBinary, Native and
        JSONEachRow files into .work/perf/fmt/<workload>-<rows>.<fmt>
  formats.py run CSV REPS SPEC...             SPEC = workload:rows:count:fmt[:k=v&k=v]
        For each repetition and SPEC (order rotated per repetition): an empty
        MergeTree table with SYSTEM STOP MERGES, `count` POSTs of the file
        (`INSERT INTO t FORMAT fmt`, keep-alive HTTP, optional settings as URL
        parameters), server CPU (utime+stime of the server process) before
        and after. Insert-only cost: no merge runs.
"""
import http.client, os, random, subprocess, sys, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drain import ENV, REPO, cpu, ddl, q  # noqa: E402

FMT_DIR = os.path.join(REPO, ".work/perf/fmt")
FORMATS = {"rb": "RowBinary", "native": "Native", "json": "JSONEachRow"}
HOST, PORT = ENV["CLICKHOUSE_URL"].split("//")[1].split(":")


def stime(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[12]) / os.sysconf("SC_CLK_TCK")


def post(conn, query, body):
    conn.request("POST", "/?" + urllib.parse.urlencode({"query": query}), body=body)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(data.decode()[:500])


def prepare(workload, jsonl, sizes):
    os.makedirs(FMT_DIR, exist_ok=True)
    src = f"perf_src_{workload}"
    q(f"DROP TABLE IF EXISTS {src}")
    # Log engine: keeps the file's row order (a MergeTree would sort by key).
    q(ddl(workload, src).split(" ENGINE")[0] + " ENGINE = Log")
    conn = http.client.HTTPConnection(HOST, int(PORT), timeout=600)
    with open(jsonl, "rb") as f:
        post(conn, f"INSERT INTO {src} FORMAT JSONEachRow", f.read())
    for n in sizes:
        for short, fmt in FORMATS.items():
            path = os.path.join(FMT_DIR, f"{workload}-{n}.{short}")
            conn.request("POST", "/", body=f"SELECT * FROM {src} LIMIT {n} FORMAT {fmt}".encode())
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200, data[:300]
            open(path, "wb").write(data)
            print(path, len(data))


def run(csv, reps, specs):
    conn = http.client.HTTPConnection(HOST, int(PORT), timeout=600)
    chpid = int(ENV["CLICKHOUSE_PID"])
    new = not os.path.exists(csv)
    out = open(csv, "a")
    if new:
        out.write("workload,rows_per_insert,inserts,format,settings,srv_cpu_s,wall_s,srv_cpu_s_per_M_rows,srv_stime_s\n")
    for r in range(reps):
        for k in range(len(specs)):
            spec = specs[(k + r) % len(specs)]
            parts = spec.split(":")
            wl, n, cnt, short = parts[0], int(parts[1]), int(parts[2]), parts[3]
            settings = parts[4] if len(parts) > 4 else ""
            body = open(os.path.join(FMT_DIR, f"{wl}-{n}.{short}"), "rb").read()
            table = f"perf_fmt_{wl}_{int(time.time())}_{random.randint(0, 9999)}"
            # narrowruns4 / narrowrandom: the narrow rows in another order
            q(ddl(wl.replace("runs4", "").replace("random", ""), table))
            q(f"SYSTEM STOP MERGES {table}")
            time.sleep(0.5)
            s0 = cpu(chpid)
            k0 = stime(chpid)
            t0 = time.time()
            query = f"INSERT INTO {table} FORMAT {FORMATS[short]}"
            for _ in range(cnt):
                if settings:
                    conn.request("POST", "/?" + settings + "&" + urllib.parse.urlencode({"query": query}), body=body)
                    resp = conn.getresponse()
                    d = resp.read()
                    if resp.status != 200:
                        raise RuntimeError(d.decode()[:500])
                else:
                    post(conn, query, body)
            wall = time.time() - t0
            s1 = cpu(chpid)
            k1 = stime(chpid)
            got = int(q(f"SELECT count() FROM {table}"))
            assert got == n * cnt, (got, n * cnt)
            q(f"DROP TABLE {table}")
            line = f"{wl},{n},{cnt},{FORMATS[short]},{settings},{s1 - s0:.2f},{wall:.2f},{(s1 - s0) / (n * cnt) * 1e6:.3f},{k1 - k0:.2f}"
            print(line, flush=True)
            out.write(line + "\n")
            out.flush()


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], [int(x) for x in sys.argv[4:]])
    else:
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
