#!/usr/bin/env python3
"""chute_stages.py — where a latency run's time went inside chute, batch by
batch, from what chute records today.

    chute_stages.py CHUTE_LOG BOOTSTRAP TOPIC MAX_WAIT_MS > STAGES.json

chute times one stage itself: the insert (a worker's first attempt to the
server's acknowledgement, `insert_ms`). With `log_level: debug` it logs each
batch when the pipeline handles the acknowledgement:

    2026-11-22T01:02:03.456Z DEBUG inserted 9120 rows into default.t from
        topic[2] offsets 1000..10119 in 41 ms

Nothing else is timed or logged per batch: not when the first message
arrived (batch->opened_ms is kept, not logged), not when the batch was
sealed or handed to a worker, not the offset commit. So this splits each
batch's first message's time (its Kafka timestamp, read back from the topic
with kcat) → visible into:

    pre_insert  Kafka timestamp of the batch's first message → insert start
                (log time - insert ms): fetch + the batch wait (max_wait
                from the first message's arrival, for a batch sealed by
                time) + waiting for a free insert worker
    beyond_wait pre_insert - MAX_WAIT_MS: fetch + seal-to-insert queueing +
                the 100 ms timer's lateness, for batches sealed by time
                (at these rates all of them: no partition reaches 100,000
                rows or 16 MiB in max_wait)
    insert      chute's insert ms
    commit      not recorded by chute (not on the path to visibility: the
                rows are visible once the insert is acknowledged)

The log time is when the main loop handled the acknowledgement (the worker
wakes it, so the gap should be small; not measured); log times have ms
resolution. Prints JSON:
batches, rows per batch (median) and p50/p99/max of each stage in ms.
"""
import datetime
import json
import re
import statistics
import subprocess
import sys

LINE = re.compile(r"^(\S+Z) DEBUG +inserted (\d+) rows into \S+ from (\S+)\[(\d+)\] "
                  r"offsets (\d+)\.\.(\d+) in (\d+) ms")


def epoch_ms(stamp):
    t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


def pct(vals, q):
    s = sorted(vals)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    log, bootstrap, topic, max_wait = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    batches = []
    with open(log) as f:
        for line in f:
            m = LINE.match(line)
            if m and m.group(3) == topic:
                batches.append({"done": epoch_ms(m.group(1)), "rows": int(m.group(2)),
                                "p": int(m.group(4)), "first": int(m.group(5)),
                                "ins": int(m.group(7))})
    res = {"batches": len(batches)}
    if not batches:
        print(json.dumps(res))
        return
    want = {(b["p"], b["first"]) for b in batches}
    ts = {}
    kc = subprocess.Popen(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                           "-q", "-f", "%p %o %T\n"], stdout=subprocess.PIPE, text=True)
    for line in kc.stdout:
        p, o, t = line.split()
        if (int(p), int(o)) in want:
            ts[(int(p), int(o))] = int(t)
    kc.wait()
    pre, ins = [], []
    for b in batches:
        t = ts.get((b["p"], b["first"]))
        if t is None:
            continue
        pre.append(b["done"] - b["ins"] - t)
        ins.append(b["ins"])
    res["rows_per_batch"] = int(statistics.median(b["rows"] for b in batches))
    res["timed_batches"] = len(pre)
    for name, vals in (("pre_insert", pre), ("beyond_wait", [v - max_wait for v in pre]),
                       ("insert", ins)):
        if vals:
            res.update({f"{name}_p50_ms": pct(vals, 0.5), f"{name}_p99_ms": pct(vals, 0.99),
                        f"{name}_max_ms": max(vals)})
    print(json.dumps(res))


if __name__ == "__main__":
    main()
