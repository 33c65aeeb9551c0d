#!/usr/bin/env python3
"""latency_poll.py — when does each probe row become visible in ClickHouse?

    latency_poll.py URL TABLE ID_COL SAMPLE TOTAL PROBES.csv OUT.json
                    [--kafka-time-col COL] [--interval-ms 20] [--timeout-s 90]

Probe rows are those whose ID_COL is a multiple of SAMPLE, below TOTAL (the
rows bench/rate_produce sends; it writes "id,kafka_timestamp_ms" for each
probe to PROBES.csv). Every INTERVAL ms this runs

    SELECT ID_COL FROM TABLE WHERE ID_COL >= <lowest unseen probe> AND ID_COL % SAMPLE = 0

over one keep-alive HTTP connection and notes, for each probe seen for the
first time, the wall-clock time at which that query was sent. ClickHouse
reads the parts that exist when the query starts, so the row was visible by
then, and it was not visible when the previous poll was sent: the figure is
an upper bound, at most one poll period (plus the query's own time) late.
Latency = visible time - the message's Kafka timestamp (CreateTime, set
explicitly by the producer, same clock). With --kafka-time-col, the
timestamps the sink stored from the Kafka record are read back at the end
and compared with the producer's.

Writes OUT.json: probes, seen, p50/p99/max ms (nearest rank: the value at
index int(q * n) of the sorted latencies), median ms (statistics.median: the
mean of the two middle values for an even count), polls, mean poll ms.
"""
import argparse
import http.client
import json
import os
import statistics
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    for a in ("url", "table", "id_col"):
        ap.add_argument(a)
    ap.add_argument("sample", type=int)
    ap.add_argument("total", type=int)
    ap.add_argument("probes")
    ap.add_argument("out")
    ap.add_argument("--kafka-time-col")
    ap.add_argument("--interval-ms", type=float, default=20)
    ap.add_argument("--timeout-s", type=float, default=90)
    a = ap.parse_args()

    u = urllib.parse.urlparse(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def query(sql):
        conn.request("POST", "/", body=sql.encode())
        r = conn.getresponse()
        body = r.read().decode()
        if r.status != 200:
            raise SystemExit(f"latency_poll: {r.status} {body[:200]}")
        return body

    probes = list(range(0, a.total, a.sample))
    seen = {}                      # id -> wall ms of the poll that first saw it
    lo = 0                         # index into probes of the lowest unseen probe
    polls, poll_ms = 0, 0.0
    deadline = time.time() + a.timeout_s
    while lo < len(probes) and time.time() < deadline:
        t_sent = time.time() * 1000
        body = query(f"SELECT {a.id_col} FROM {a.table} WHERE {a.id_col} >= {probes[lo]} "
                     f"AND {a.id_col} % {a.sample} = 0 FORMAT TSV")
        polls += 1
        poll_ms += time.time() * 1000 - t_sent
        for tok in body.split():
            seen.setdefault(int(tok), t_sent)
        while lo < len(probes) and probes[lo] in seen:
            lo += 1
        time.sleep(a.interval_ms / 1000)

    while not os.path.exists(a.probes) and time.time() < deadline + 60:
        time.sleep(0.1)          # the producer renames it into place when done
    ts = {}
    with open(a.probes) as f:
        for line in f:
            i, t = line.split(",")
            ts[int(i)] = int(t)
    lat = sorted(seen[i] - ts[i] for i in seen if i in ts)
    res = {"probes": len(probes), "seen": len(seen), "polls": polls,
           "mean_poll_ms": round(poll_ms / max(polls, 1), 1)}
    if lat:
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
        res.update(p50_ms=round(pick(0.50)), median_ms=round(statistics.median(lat)),
                   p99_ms=round(pick(0.99)), max_ms=round(lat[-1]))
    if a.kafka_time_col:
        rows = query(f"SELECT {a.id_col}, {a.kafka_time_col} FROM {a.table} "
                     f"WHERE {a.id_col} % {a.sample} = 0 FORMAT TSV").split("\n")
        stored = dict(map(int, r.split("\t")) for r in rows if r)
        res["kafka_time_mismatches"] = sum(1 for i in stored if i in ts and stored[i] != ts[i])
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
