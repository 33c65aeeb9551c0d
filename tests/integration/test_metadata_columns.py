"""
Kafka record metadata into columns (topics[].columns.<col>.meta): topic,
partition, offset, timestamp and key land in the row, so the table itself
proves completeness: count() = uniqExact(topic, partition, offset), and
the offsets of every partition are exactly 0..n-1.
"""
import json
import time

COLUMNS = """
    id UInt64,
    _topic String,
    _partition UInt16,
    _offset UInt64,
    _ts DateTime,
    _key Nullable(String)
"""


def test_topic_partition_offset_timestamp_and_key_fill_their_columns(ctx):
    ctx.create_topic(3)
    ctx.create_table(COLUMNS)
    n = 3000
    p = ctx.producer()
    t0 = int(time.time())
    for i in range(n):
        key = None if i % 10 == 0 else f"k\"{i}\n".encode()
        # The message carries a bogus _offset: record metadata wins.
        p.produce(ctx.topic, value=json.dumps({"id": i, "_offset": -1}).encode(),
                  key=key, partition=i % 3)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(60) == 0

    meta = {"_topic": {"meta": "topic"}, "_partition": {"meta": "partition"},
            "_offset": {"meta": "offset"}, "_ts": {"meta": "timestamp"}, "_key": {"meta": "key"}}
    chute = ctx.start_chute(ctx.config({
        "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": meta}],
        "stats_interval": "1h"}))
    ctx.wait_count(n, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")

    t = f"default.{ctx.table}"
    total, uniq = ctx.ch(f"SELECT count(), uniqExact(_topic, _partition, _offset) FROM {t}").split()
    ctx.check(int(total) == n and int(uniq) == n, f"count {total}, uniqExact {uniq}, want {n}")
    ctx.check(ctx.ch(f"SELECT DISTINCT _topic FROM {t}").strip() == ctx.topic, "topic column")
    per_part = ctx.ch(f"SELECT _partition, min(_offset), max(_offset), count() FROM {t} "
                      f"GROUP BY _partition ORDER BY _partition").split("\n")
    want = [f"{q}\t0\t{n // 3 - 1}\t{n // 3}" for q in range(3)]
    ctx.check([r for r in per_part if r] == want, f"offsets per partition {per_part}, want {want}")
    # Message i went to partition i % 3 as that partition's (i // 3)-th record.
    wrong = ctx.ch(f"SELECT count() FROM {t} WHERE _partition != id % 3 OR _offset != intDiv(id, 3)")
    ctx.check(wrong.strip() == "0", f"{wrong.strip()} rows with the wrong partition/offset")
    keys = ctx.ch_rows(f"SELECT id, _key FROM {t} WHERE id IN (0, 1, 2) ORDER BY id")
    ctx.check(keys == [{"id": 0, "_key": None}, {"id": 1, "_key": "k\"1\n"},
                       {"id": 2, "_key": "k\"2\n"}], f"keys {keys}")
    lo, hi = (int(x) for x in ctx.ch(f"SELECT min(toUnixTimestamp(_ts)), "
                                       f"max(toUnixTimestamp(_ts)) FROM {t}").split())
    ctx.check(t0 - 5 <= lo <= hi <= int(time.time()) + 5,
              f"Kafka timestamps {lo}..{hi} not around the produce time {t0}")
    ctx.assert_no_hangs()
