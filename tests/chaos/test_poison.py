"""
Case 6: poison records under kill -9.

About 0.1 % of the records are poison (not JSON, truncated JSON, a string
into UInt32, a negative into UInt32), chosen at random (seeded); more sit at
batch edges (the last offset of one max_rows batch and the first of the
next, in every partition); and one whole batch (max_rows offsets in every
partition, aligned on a batch boundary) is all poison. chute is killed a few
times at random moments while it consumes them.

- No DLQ: poison records are logged and skipped. Every good record is in
  ClickHouse (exactly once in exactly-once mode), and the offsets missing
  from ClickHouse are exactly the poison offsets.
- DLQ (`dlq: {topic: "{topic}.dlq"}`): ClickHouse ∪ DLQ = produced, the DLQ
  holds exactly the poison offsets (by its chute.source.partition /
  chute.source.offset headers; the DLQ itself is at-least-once, so copies are
  counted, not failed), and no offset is in both.
- DLQ produce failing for a while: the DLQ topic exists with
  max.message.bytes = 64, so every DLQ produce fails (MSG_SIZE_TOO_LARGE)
  until the case raises the limit; nothing may be lost meanwhile.
"""
import time

import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

BATCH = 500  # max_rows in World.config


def poison_picker(w, n: int):
    parts = w.partitions
    per_part = n // parts
    nb = per_part // BATCH
    assert nb >= 5, f"{n} records are too few for the poison layout"
    chosen = set(w.rng.sample(range(n), max(1, n // 1000)))           # 0.1 % anywhere
    for k in w.rng.sample(range(1, nb), 2):                               # batch edges
        for o in (k * BATCH - 1, k * BATCH):
            chosen |= {o * parts + p for p in range(parts)}
    m = w.rng.randrange(1, nb - 1)                                        # one batch all poison
    chosen |= set(range(m * BATCH * parts, (m + 1) * BATCH * parts))
    w.say(f"{len(chosen)} poison records of {n}; all-poison batch at offsets [{m * BATCH}, {(m + 1) * BATCH})")
    return chosen.__contains__


def _run(w, prof, cfg, kills: int, during=None):
    n = prof.records
    # Backlog first, then a steady trickle: batches fill to max_rows, so the edges are real edges.
    prod = w.produce(n, prof.rate, poison=poison_picker(w, n))
    c = w.start(cfg)
    for _ in range(kills):
        time.sleep(w.rng.uniform(0.5, 3))
        c.kill9()
        w.fig.fault("kill -9")
        c = w.start(cfg)
    if during:
        during()
    return prod


def test_poison_skipped_without_dlq(world, prof):
    w = world
    w.setup(4)
    _run(w, prof, w.config(), prof.poison_kills)
    w.finish(drain_timeout=180, expect_poison_skipped=True)


def test_poison_to_dlq(world, prof, dlq_support):
    if dlq_support:
        pytest.skip(dlq_support)
    w = world
    w.setup(4)
    _run(w, prof, w.config(dlq=True), prof.poison_kills)
    w.finish(drain_timeout=180, dlq=True)


def test_dlq_produce_fails_for_a_while(world, prof, dlq_support):
    if dlq_support:
        pytest.skip(dlq_support)
    w = world
    w.setup(4)
    cfg = w.config(dlq=True)
    w.create_topic(1, name=w.dlq_topic, config={"max.message.bytes": "64"})

    def heal_later():
        secs = w.rng.uniform(8, 15)
        w.say(f"DLQ topic refuses every record (max.message.bytes=64) for {secs:.0f}s more")
        time.sleep(secs)
        res = ConfigResource(ConfigResource.Type.TOPIC, w.dlq_topic, incremental_configs=[
            ConfigEntry("max.message.bytes", "1048576", incremental_operation=AlterConfigOpType.SET)])
        admin = w.admin()  # held until the answer: a dropped client fails it with _DESTROY
        for f in admin.incremental_alter_configs([res]).values():
            f.result(timeout=30)
        w.fig.fault("DLQ produce failing (record too large)")
    _run(w, prof, cfg, 1, during=heal_later)
    w.finish(drain_timeout=180, dlq=True)
