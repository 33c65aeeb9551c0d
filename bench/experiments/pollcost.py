#!/usr/bin/env python3
"""pollcost.py — server CPU of one `SELECT count() FROM t` poll (as bench/run.sh's
wait_count does every 0.1 s with curl), on a table of 20 parts, 1M narrow rows."""
import os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drain import ENV, REPO, cpu, ddl, q
import http.client, urllib.parse
pid = int(ENV["CLICKHOUSE_PID"]); url = ENV["CLICKHOUSE_URL"]
t = "perf_poll"
q(f"DROP TABLE IF EXISTS {t}"); q(ddl("narrow", t)); q(f"SYSTEM STOP MERGES {t}")
body = open(os.path.join(REPO, ".work/perf/fmt/narrow-50000.rb"), "rb").read()
host, port = url.split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port))
for _ in range(20):
    c.request("POST", "/?" + urllib.parse.urlencode({"query": f"INSERT INTO {t} FORMAT RowBinary"}), body=body); c.getresponse().read()
time.sleep(1)
N = 300
for rep in range(3):
    for how in ("curl", "urllib"):
        s0 = cpu(pid)
        for _ in range(N):
            if how == "curl":
                subprocess.run(["curl", "-s", "--max-time", "5", url + "/", "--data-binary", f"SELECT count() FROM {t}"], stdout=subprocess.DEVNULL)
            else:
                q(f"SELECT count() FROM {t}")
        s1 = cpu(pid)
        print(f"{how},{N},{s1 - s0:.2f},{(s1 - s0) / N * 1000:.2f} ms per poll", flush=True)
q(f"DROP TABLE {t}")
