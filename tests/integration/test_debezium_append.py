"""
Debezium change events in append mode (topics[].format: debezium): every
create, update, delete and snapshot read becomes one row of a MergeTree
table, with op, deleted flag, source and event time in metadata columns.
Tombstones and truncate events carry no row; a broken envelope is a bad
message, skipped. Envelopes with and without the embedded schema, and
MongoDB's after-as-a-string, are mixed in one topic.
"""
import json

COLUMNS = """
    id UInt64,
    name String,
    _op String,
    _deleted UInt8,
    _source_ts UInt64,
    _event_ts Nullable(DateTime('UTC')),
    _offset UInt64
"""

SCHEMA = {"type": "struct", "optional": False, "name": "srv.inv.t.Envelope",
          "fields": [{"type": "struct", "optional": True, "field": "before",
                      "fields": [{"type": "int64", "optional": False, "field": "id"},
                                 {"type": "string", "optional": True, "field": "name"}]}]}


def envelope(op, before, after, src_ts, ts, shape):
    source = {"connector": "postgresql", "ts_ms": src_ts, "db": "inv", "table": "t",
              "lsn": 1000 + src_ts, "snapshot": "true" if op == "r" else "false"}
    if shape == "mongo":
        before = json.dumps(before) if before is not None else None
        after = json.dumps(after) if after is not None else None
    env = {"before": before, "after": after, "source": source, "op": op, "ts_ms": ts,
           "transaction": None}
    if ts is None:
        del env["ts_ms"]
    if shape == "schema":
        env = {"schema": SCHEMA, "payload": env}
    return json.dumps(env).encode()


def secs(ms):
    return None if ms is None else ms // 1000


def test_every_change_is_a_row_and_tombstones_are_not(ctx):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS, order_by="_offset")
    p = ctx.producer()
    expected = []  # rows, in offset order; event time in seconds (a DateTime)
    offset = 0
    names = {}

    def send(value, key, row=None):
        nonlocal offset
        p.produce(ctx.topic, value=value, key=key, partition=0)
        if row is not None:
            expected.append(dict(row, _offset=offset))
        offset += 1

    shapes = ["schema", "plain", "mongo"]
    for i in range(300):
        shape = shapes[i % 3]
        key = json.dumps({"id": i}).encode()
        src, ts = 1700000000000 + i, (None if i % 7 == 0 else 1700000000500 + i)
        op = "r" if i < 60 else "c"
        names[i] = f"n{i}"
        row = {"id": i, "name": names[i]}
        send(envelope(op, None, row, src, ts, shape), key,
             dict(row, _op=op, _deleted=0, sts=src, ets=secs(ts)))
        if i % 2 == 0:
            old = dict(row)
            row = {"id": i, "name": f"n{i}'\"\\é"}
            send(envelope("u", old, row, src + 1, ts, shape), key,
                 dict(row, _op="u", _deleted=0, sts=src + 1, ets=secs(ts)))
        if i % 3 == 0:
            send(envelope("d", row, None, src + 2, ts, shape), key,
                 dict(row, _op="d", _deleted=1, sts=src + 2, ets=secs(ts)))
            send(None, key)  # the tombstone after a delete
            if shape == "schema":
                send(json.dumps({"schema": None, "payload": None}).encode(), key)
    send(envelope("t", None, None, 1, 2, "plain"), None)
    send(envelope("t", None, None, 1, 2, "schema"), None)
    send(json.dumps({"before": None, "after": {"id": 1}}).encode(), None)  # no op: bad
    assert p.flush(60) == 0

    meta = {"_op": {"meta": "op"}, "_deleted": {"meta": "deleted"},
            "_source_ts": {"meta": "source_ts"}, "_event_ts": {"meta": "event_ts"},
            "_offset": {"meta": "offset"}}
    chute = ctx.start_chute(ctx.config({
        "topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium",
                    "mode": "append", "columns": meta}],
        "stats_interval": "1h"}))
    ctx.wait_count(len(expected), timeout=60)
    chute.wait_log(r"truncate events are ignored", 10)
    chute.wait_log(r"bad message .*@%d .*debezium: missing \\\"op\\\"|"
                   r"bad message .*@%d .*debezium: missing \"op\"" % (offset - 1, offset - 1), 10)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.check(chute.log().count("truncate events are ignored") == 1,
              "the truncate notice is logged once per topic")

    got = ctx.ch_rows(f"SELECT id, name, _op, _deleted, _source_ts AS sts, "
                      f"toUnixTimestamp(_event_ts) AS ets, _offset "
                      f"FROM default.{ctx.table} ORDER BY _offset")
    ctx.check(len(got) == len(expected), f"{len(got)} rows, want {len(expected)}")
    bad = [(g, w) for g, w in zip(got, expected) if g != w]
    ctx.check(not bad, f"{len(bad)} rows differ, first: got {bad[:1]}")
    counts = ctx.ch(f"SELECT _op, count() FROM default.{ctx.table} GROUP BY _op ORDER BY _op")
    want_counts = {}
    for r in expected:
        want_counts[r["_op"]] = want_counts.get(r["_op"], 0) + 1
    ctx.check(counts.split() == [x for k in sorted(want_counts) for x in (k, str(want_counts[k]))],
              f"per-op counts {counts!r}, want {want_counts}")
    ctx.assert_no_hangs()
