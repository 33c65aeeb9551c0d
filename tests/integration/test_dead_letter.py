"""
The dead-letter topic in the pipeline (docs/dlq.md), against the real
broker and the real ClickHouse server: bad records go to `<topic>.dlq` with
their key, value and timestamp and the chute.* headers; the table gets every
good record; ClickHouse ∪ DLQ = the offsets produced, in at-least-once and
exactly-once mode; and the circuit breaker stops a topic that is all poison.
"""
from __future__ import annotations

import json
import re

import pytest
from confluent_kafka import Consumer, TopicPartition

from conftest import wait_until
from it_helpers import EVENT_COLUMNS, events
from test_dlq_replay import create

META_COLUMNS = EVENT_COLUMNS + ", _topic String, _partition Int32, _offset Int64"
META = {"_topic": {"meta": "topic"}, "_partition": {"meta": "partition"}, "_offset": {"meta": "offset"}}


def poison(i: int) -> bytes:
    """Two kinds: not JSON at all (decode), and a value its column refuses (convert)."""
    if i % 2:
        return b'{"id": %d, "name": "half' % i
    return json.dumps({"id": i, "user_id": "not a number", "name": f"p{i}"}).encode()


def read_dlq(ctx, topic: str, expect: int, timeout: float = 60) -> list:
    c = Consumer({"bootstrap.servers": ctx.env.kafka, "group.id": f"dlq-reader-{ctx.suffix}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    md = c.list_topics(topic=topic, timeout=10).topics[topic]
    c.assign([TopicPartition(topic, p, 0) for p in md.partitions])
    got = []

    def done():
        for m in c.consume(500, timeout=0.5):
            if m.error() is None:
                got.append(m)
        return len(got) >= expect
    try:
        wait_until(done, timeout, f"{expect} records in {topic}", interval=0.05)
    finally:
        for m in c.consume(500, timeout=1.0):  # anything beyond what we expect
            if m.error() is None:
                got.append(m)
        c.close()
    return got


@pytest.mark.parametrize("delivery", ["at-least-once", "exactly-once"])
def test_bad_records_go_to_the_dead_letter_topic_and_nothing_is_lost(ctx, delivery):
    n = 6000
    ctx.create_topic(3)
    dlq_topic = f"{ctx.topic}.dlq"
    create(ctx, dlq_topic, 3)
    ctx.create_table(META_COLUMNS)
    good = events(0, n)
    bad_idx = {i for i in range(n) if i % 97 == 5 or i % 1000 == 999}  # ~1%, some at batch edges
    values = [poison(i) if i in bad_idx else good[i] for i in range(n)]
    ctx.produce(values, track=True)
    cfg = ctx.config({"delivery": delivery, "dlq": {"topic": "{topic}.dlq"},
                      "batch": {"max_rows": 1000, "max_wait": "200ms"},
                      "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}]})
    c = ctx.start_chute(cfg)
    ctx.wait_committed(dict(ctx.produced), timeout=90)

    bad_values = {poison(i) for i in bad_idx}
    bad_offsets = {(p, o) for p, o, v in ctx.delivered if v in bad_values}
    dlq = read_dlq(ctx, dlq_topic, len(bad_idx))
    by_src = {}
    for m in dlq:
        h = {k: v.decode() for k, v in (m.headers() or [])}
        key = (int(h["chute.source.partition"]), int(h["chute.source.offset"]))
        by_src.setdefault(key, []).append((m, h))
    rows = ctx.ch_rows(f"SELECT _partition AS p, _offset AS o FROM default.{ctx.table}")
    in_ch = [(int(r["p"]), int(r["o"])) for r in rows]
    produced = {(p, o) for p, o, _ in ctx.delivered}
    print(f"\nDLQ {delivery}: produced={len(produced)} poison={len(bad_idx)} dlq={len(dlq)} "
          f"table={len(in_ch)} uniq={len(set(in_ch))}")
    ctx.check(len(bad_offsets) == len(bad_idx), f"test data: {len(bad_offsets)} poison offsets tracked")
    ctx.check(set(by_src) == bad_offsets, f"DLQ holds {len(by_src)} source offsets; "
              f"missing {sorted(bad_offsets - set(by_src))[:5]}, extra {sorted(set(by_src) - bad_offsets)[:5]}")
    ctx.check(set(in_ch) | set(by_src) == produced, "ClickHouse ∪ DLQ != produced: "
              f"{len(produced - set(in_ch) - set(by_src))} offsets lost")
    ctx.check(not (set(in_ch) & set(by_src)), "a record is both in ClickHouse and in the DLQ")
    ctx.check(len(in_ch) == len(set(in_ch)), f"{len(in_ch) - len(set(in_ch))} rows doubled")
    value_at = {(p, o): v for p, o, v in ctx.delivered}
    for (p, o), copies in by_src.items():
        m, h = copies[0]
        ctx.check(m.value() == value_at[(p, o)], f"DLQ value of {p}@{o} differs from the original")
        ctx.check(h["chute.source.topic"] == ctx.topic, f"chute.source.topic = {h['chute.source.topic']}")
        ctx.check(h["chute.stage"] in ("decode", "convert"), f"stage {h['chute.stage']}")
        ctx.check(h["chute.error.class"] == "bad_data", f"class {h['chute.error.class']}")
        ctx.check(h["chute.error.message"], "empty error message")
        ctx.check(m.partition() == p % 3, f"source partition {p} went to DLQ partition {m.partition()}")
    ctx.check(ctx.sigterm(c, 40) in (0, None), "chute did not stop cleanly")


# 18.16 has no CHECK constraints; a MATERIALIZED throwIf refuses chosen rows
# the same way (code 395, the whole insert fails, nothing of it is written).
REFUSED = "id % 500 = 7"


@pytest.mark.parametrize("delivery", ["at-least-once", "exactly-once"])
@pytest.mark.parametrize("with_dlq", [True, False], ids=["dlq", "no-dlq"])
def test_rows_clickhouse_refuses_are_split_out_and_the_rest_inserted_once(ctx, delivery, with_dlq):
    """Rows that encode fine but that the server refuses (a constraint, here a
    MATERIALIZED throwIf) fail their whole insert. chute splits the batch until
    each refused row stands alone, inserts every other row once, and sends the
    refused ones to the DLQ with stage insert and the server's error code (or,
    without a DLQ, logs and skips them)."""
    n = 5000
    ctx.create_topic(2)
    dlq_topic = f"{ctx.topic}.dlq"
    if with_dlq:
        create(ctx, dlq_topic, 2)
    ctx.create_table(META_COLUMNS + f", chk UInt8 MATERIALIZED throwIf({REFUSED})")
    refused = {i for i in range(n) if i % 500 == 7}
    ctx.produce(events(0, n), track=True)
    over = {"delivery": delivery, "batch": {"max_rows": 1000, "max_wait": "200ms"},
            "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}]}
    if with_dlq:
        over["dlq"] = {"topic": "{topic}.dlq"}
    c = ctx.start_chute(ctx.config(over))
    ctx.wait_committed(dict(ctx.produced), timeout=120)

    rows = ctx.ch_rows(f"SELECT id, _partition AS p, _offset AS o FROM default.{ctx.table}")
    ids = [int(r["id"]) for r in rows]
    in_ch = {(int(r["p"]), int(r["o"])) for r in rows}
    produced = {(p, o) for p, o, _ in ctx.delivered}
    value_at = {(p, o): v for p, o, v in ctx.delivered}
    refused_at = {(p, o) for (p, o), v in value_at.items() if json.loads(v)["id"] in refused}
    splits = len(re.findall(r"refused as bad data: .*splitting it", c.log()))
    print(f"\nREFUSED {delivery} dlq={with_dlq}: produced={n} refused={len(refused)} "
          f"table={len(ids)} uniq={len(set(ids))} batches split={splits}")
    ctx.check(sorted(ids) == sorted(set(range(n)) - refused),
              f"table has {len(ids)} rows ({len(set(ids))} distinct), expected the {n - len(refused)} accepted")
    ctx.check(splits > 0, "no batch was split")
    ctx.check(in_ch | refused_at == produced and not (in_ch & refused_at), "offsets lost or doubled")
    if with_dlq:
        dlq = read_dlq(ctx, dlq_topic, len(refused))
        got = {}
        for m in dlq:
            h = {k: v.decode() for k, v in (m.headers() or [])}
            got[(int(h["chute.source.partition"]), int(h["chute.source.offset"]))] = (m, h)
        ctx.check(set(got) == refused_at, f"DLQ holds {sorted(got)[:5]}..., expected {sorted(refused_at)[:5]}...")
        for key, (m, h) in got.items():
            ctx.check(m.value() == value_at[key], f"DLQ value of {key} differs from the original")
            ctx.check(h["chute.stage"] == "insert", f"stage {h['chute.stage']}")
            ctx.check(h["chute.clickhouse.code"] == "395", f"code {h.get('chute.clickhouse.code')}")
            ctx.check("throwIf" in h["chute.error.message"], h["chute.error.message"])
    else:
        ctx.check(len(re.findall(r"refused by ClickHouse, code 395\): .*skipped, not inserted",
                                              c.log())) == len(refused), "a refused row was not logged")
    ctx.check(ctx.sigterm(c, 40) in (0, None), "chute did not stop cleanly")


def test_a_table_that_refuses_every_row_is_retried_not_dead_lettered(ctx):
    """If every part of a batch is refused down to single rows, the table is
    the problem, not the rows: nothing goes to the DLQ, the batch is retried
    with an ERROR line, and it goes in once the table is fixed."""
    n = 3000
    ctx.create_topic(1)
    dlq_topic = f"{ctx.topic}.dlq"
    create(ctx, dlq_topic, 1)
    ctx.create_table(META_COLUMNS + ", chk UInt8 MATERIALIZED throwIf(id >= 0)")
    ctx.produce(events(0, n))
    c = ctx.start_chute(ctx.config({
        "dlq": {"topic": "{topic}.dlq"}, "batch": {"max_rows": 1000, "max_wait": "200ms"},
        "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}]}))
    c.wait_log(r"ERROR.*every part of the batch was refused, down to single rows", 60)
    c.wait_log(r"ERROR.*insert of 1000 rows into .* class bad data.*retrying in", 30)
    ctx.check(ctx.count() == 0, f"{ctx.count()} rows went in while the table refused every row")
    ctx.ch(f"ALTER TABLE default.{ctx.table} DROP COLUMN chk")
    ctx.wait_committed({0: n}, timeout=120)
    ctx.check(ctx.count() == n and ctx.uniq_ids() == n, f"count {ctx.count()}, uniq {ctx.uniq_ids()}")
    dlq = read_dlq(ctx, dlq_topic, 0, timeout=1)
    ctx.check(dlq == [], f"{len(dlq)} records dead-lettered; the rows were good")
    ctx.check(ctx.sigterm(c, 40) in (0, None), "chute did not stop cleanly")


def test_circuit_breaker_stops_a_topic_of_poison_instead_of_dead_lettering_it_all(ctx):
    ctx.create_topic(1)
    dlq_topic = f"{ctx.topic}.dlq"
    create(ctx, dlq_topic, 1)
    ctx.create_table(META_COLUMNS)
    ctx.produce(events(0, 500) + [poison(i) for i in range(500, 3000)], track=True)
    cfg = ctx.config({"dlq": {"topic": "{topic}.dlq", "max_bad_run": 200},
                      "batch": {"max_rows": 1000, "max_wait": "200ms"},
                      "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}]})
    c = ctx.start_chute(cfg)
    c.wait_log(r"200 bad records in a row \(dlq.max_bad_run\): stopping this topic", 60, "the breaker")
    ctx.wait_count(500, timeout=30)
    dlq = read_dlq(ctx, dlq_topic, 200, timeout=30)
    committed = ctx.committed().get(0, 0)
    print(f"\nBREAKER dlq={len(dlq)} committed={committed} table={ctx.count()}")
    ctx.check(len(dlq) == 200, f"{len(dlq)} records dead-lettered, expected exactly 200 (the run that tripped)")
    ctx.check(ctx.count() == 500, f"table has {ctx.count()} rows, expected the 500 good ones")
    ctx.check(committed <= 700, f"committed {committed}: past the records the breaker held back")
    ctx.check(c.alive(), "chute exited; the breaker stops the topic, not the process")
    ctx.check(ctx.sigterm(c, 40) in (0, None), "chute did not stop cleanly")
