#!/usr/bin/env python3
"""gen_debezium.py — run.sh's Debezium workload: N change events, deterministic
from the seed, as kcat input files (one per partition), plus the state the
table must end in.

    gen_debezium.py N SEED OUT_PREFIX [--partitions 4] [--keys K]

Events are PostgreSQL-connector envelopes without the embedded schema
(JsonConverter schemas.enable=false), compact JSON (no spaces), over K keys
(default max(1000, N // 10)) of a table items(id int8 primary key, name text,
qty int4, price float8, updated_at timestamp(3)):

    {"before":null,"after":{"id":7,"name":"item-7-123","qty":-5,"price":12.5,
     "updated_at":1760000000007},"source":{"version":"2.7.3.Final",
     "connector":"postgresql","name":"pg","ts_ms":1760000000007,
     "snapshot":"false","db":"shop","schema":"public","table":"items",
     "txId":507,"lsn":10000112,"xmin":null},
     "op":"u","ts_ms":1760000000107}

Each event picks a key uniformly at random: a key that is not live gets a
create (c); a live key gets a delete (d) with probability 0.1, else an update
(u). Updates carry "before":null (REPLICA IDENTITY DEFAULT); a delete carries
"after":null and a "before" with the key and every other column null, as
the connector writes it under the default replica identity. No tombstones
(the connector's tombstones.on.delete=false): every message is one row in
every sink. The version is source.lsn, growing with every event. Names are
ASCII letters, digits and '-' only, so no event holds a backslash, a tab or a
newline (the Kafka engine contender reads each message as one TSV String, see
bench/README.md); about 10 % of names are null.

Key k goes to partition k % P (the Kafka key is {"id":k}, as Debezium keys
by primary key, so a key's changes stay in order in one partition). The last
event of each partition p is a sentinel: a create of key SENTINEL_BASE + p
(1e15 + p), which run.sh polls for to know a sink is done (bench/README.md).
N counts the sentinels.

Writes OUT_PREFIX.p<P> (lines "key<TAB>value", for `kcat -P -K '\\t' -p P`) and
OUT_PREFIX.json: events, ops per kind, value bytes, and the expected final
state of the non-sentinel keys, i.e. of
    SELECT count(), sum(id), sum(qty), sum(toUInt64(round(price * 100))),
           countIf(isNull(name)), sum(length(ifNull(name, ''))),
           sum(toUInt64(updated_at))
    FROM t FINAL WHERE NOT _deleted AND id < 1e15
"""
import argparse
import json
import random

SENTINEL_BASE = 10**15
T0 = 1_760_000_000_000
LSN0 = 10_000_000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("out")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--keys", type=int)
    a = ap.parse_args()
    P = a.partitions
    if a.n < P:
        raise SystemExit("gen_debezium: N must be at least the number of partitions")
    keys = a.keys or max(1000, a.n // 10)
    rnd = random.Random(a.seed)
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    files = [open(f"{a.out}.p{p}", "w") for p in range(P)]
    live = {}                      # id -> row
    ops = {"c": 0, "u": 0, "d": 0}
    nbytes = 0

    def source(i, ts):
        return {"version": "2.7.3.Final", "connector": "postgresql", "name": "pg",
                "ts_ms": ts, "snapshot": "false", "db": "shop", "schema": "public",
                "table": "items", "txId": 500 + i, "lsn": LSN0 + 16 * i, "xmin": None}

    def row(k, i, ts):
        name = None if rnd.random() < 0.1 else f"item-{k}-{int(rnd.random() * 1e6)}"
        return {"id": k, "name": name, "qty": int(rnd.random() * 2001) - 1000,
                "price": int(rnd.random() * 100000) / 100, "updated_at": ts}

    def put(k, env):
        nonlocal nbytes
        v = dumps(env)
        nbytes += len(v)
        files[k % P].write(dumps({"id": k}) + "\t" + v + "\n")

    for i in range(a.n - P):
        k = int(rnd.random() * keys)
        ts = T0 + 7 * i
        if k not in live:
            op, before, after = "c", None, row(k, i, ts)
            live[k] = after
        elif rnd.random() < 0.1:
            op, before, after = "d", {"id": k, "name": None, "qty": None, "price": None,
                                      "updated_at": None}, None
            del live[k]
        else:
            op, before, after = "u", None, row(k, i, ts)
            live[k] = after
        ops[op] += 1
        put(k, {"before": before, "after": after, "source": source(i, ts), "op": op,
                "ts_ms": ts + 100})
    for p in range(P):                 # the sentinels, last in each partition
        i = a.n - P + p
        ts = T0 + 7 * i
        k = SENTINEL_BASE + p
        # k % P == p because SENTINEL_BASE is a multiple of every small P
        # used here (1, 2, 4, 5, 8, 10); checked:
        assert k % P == p, "SENTINEL_BASE must be a multiple of the partition count"
        ops["c"] += 1
        put(k, {"before": None, "after": {"id": k, "name": "sentinel", "qty": 0, "price": 0,
                                          "updated_at": ts},
                "source": source(i, ts), "op": "c", "ts_ms": ts + 100})
    for f in files:
        f.close()
    rows = live.values()
    expect = {
        "count": len(live),
        "sum_id": sum(r["id"] for r in rows),
        "sum_qty": sum(r["qty"] for r in rows),
        "sum_price_cents": sum(round(r["price"] * 100) for r in rows),
        "null_names": sum(1 for r in rows if r["name"] is None),
        "sum_name_len": sum(len(r["name"] or "") for r in rows),
        "sum_updated_s": sum(r["updated_at"] // 1000 for r in rows),
    }
    with open(f"{a.out}.json", "w") as f:
        json.dump({"events": a.n, "partitions": P, "keys": keys, "ops": ops,
                   "value_bytes": nbytes, "sentinel_base": SENTINEL_BASE,
                   "expect": expect}, f)


if __name__ == "__main__":
    main()
