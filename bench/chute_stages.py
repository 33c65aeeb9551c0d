#!/usr/bin/env python3
"""chute_stages.py — where a latency run's time went inside chute, batch by
batch, from chute's own per-batch debug line.

    chute_stages.py CHUTE_LOG [TOPIC] > STAGES.json

With `log_level: debug`, chute logs one line per inserted batch when the
pipeline handles its acknowledgement (src/pipeline/pipeline.c,
on_batch_done):

    2026-11-22T01:22:15.624Z DEBUG inserted 500 rows into default.t from
        topic[1] offsets 2000..2499: fetch 663 ms, batch 200 ms (closed by
        max_wait), queue 100 ms, insert 62 ms

    fetch   the batch's first message's Kafka timestamp → that message added
            to the batch (wall clock; "n/a" when the message had no timestamp)
    batch   first message → batch closed; "closed by" max_rows, max_bytes,
            max_wait, recorded range, shutdown or other (a table change, a row too big for the buffer)
    queue   closed → an insert worker took it (includes waiting for the
            partition's previous insert)
    insert  worker start → acknowledged, all attempts
    total   fetch + batch + queue + insert: the first message's Kafka
            timestamp → acknowledged (batches with a timestamp only). The
            first message waits longest in its batch, so this is the
            batch's slowest row, not an average one.

The offset commit follows asynchronously and is not timed per batch. R is
rows inserted (rows ClickHouse refused are not counted). Only lines of TOPIC
when given. Prints JSON: batches, rows per batch (median), empty batches
(R = 0), untimed batches (fetch n/a), closed_by {reason: count}, and
p50/p99/max (nearest rank) of each stage in ms.
"""
import json
import re
import statistics
import sys

LINE = re.compile(r" DEBUG +inserted (\d+) rows into \S+ from (\S+)\[(\d+)\] "
                  r"offsets (-?\d+)\.\.(-?\d+): fetch (n/a|-?\d+ ms), batch (-?\d+) ms "
                  r"\(closed by ([^)]*)\), queue (-?\d+) ms, insert (-?\d+) ms")
STAGES = ("fetch", "batch", "queue", "insert", "total")


def pct(vals, q):
    s = sorted(vals)
    return s[min(len(s) - 1, int(q * len(s)))]


def parse(path, topic=None):
    batches = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.search(line)
            if not m or (topic is not None and m.group(2) != topic):
                continue
            fetch = None if m.group(6) == "n/a" else int(m.group(6).split()[0])
            b = {"rows": int(m.group(1)), "fetch": fetch, "batch": int(m.group(7)),
                 "closed_by": m.group(8), "queue": int(m.group(9)), "insert": int(m.group(10))}
            # "n/a": the first message had no Kafka timestamp
            if b["fetch"] is None:
                b["fetch"] = None
                b["total"] = None
            else:
                b["total"] = b["fetch"] + b["batch"] + b["queue"] + b["insert"]
            batches.append(b)
    return batches


def summarize(batches):
    res = {"batches": len(batches)}
    if not batches:
        return res
    res["rows_per_batch"] = int(statistics.median(b["rows"] for b in batches))
    res["empty_batches"] = sum(1 for b in batches if b["rows"] == 0)
    res["untimed_batches"] = sum(1 for b in batches if b["fetch"] is None)
    closed = {}
    for b in batches:
        closed[b["closed_by"]] = closed.get(b["closed_by"], 0) + 1
    res["closed_by"] = dict(sorted(closed.items(), key=lambda kv: -kv[1]))
    for name in STAGES:
        vals = [b[name] for b in batches if b[name] is not None]
        if vals:
            res.update({f"{name}_p50_ms": pct(vals, 0.5), f"{name}_p99_ms": pct(vals, 0.99),
                        f"{name}_max_ms": max(vals)})
    return res


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__.split("\n\n")[1])
    topic = sys.argv[2] if len(sys.argv) == 3 else None
    print(json.dumps(summarize(parse(sys.argv[1], topic))))


if __name__ == "__main__":
    main()
