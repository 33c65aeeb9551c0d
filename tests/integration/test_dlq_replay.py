"""
`chute dlq replay` against a real broker: DLQ-shaped records (chute.*
headers, written here with confluent_kafka the way src/dlq/dlq.c writes
them) are replayed with filters, and a consumer checks that exactly the
selected records reach the source topic, each in its source partition and
in DLQ order, with key, value, timestamp and original headers intact, the
chute.* headers replaced by chute.replayed.offset. The replay producer is
the DLQ producer (ck_dlq_produce), so this also tests that path.
"""
import subprocess

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from conftest import wait_until

STAGES = ["decode", "convert", "insert"]
BASE_TS = 1_600_000_000_000


def create(ctx, topic, partitions):
    admin = ctx.admin()
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                        operation_timeout=30)[topic].result(timeout=60)

    def ready():
        t = admin.list_topics(topic=topic, timeout=5).topics.get(topic)
        return t is not None and t.error is None and len(t.partitions) == partitions and \
            all(p.leader >= 0 for p in t.partitions.values())
    wait_until(ready, 60, f"topic {topic} has leaders", interval=0.2)


def dlq_records(source):
    """24 DLQ records over 3 source partitions, in DLQ order."""
    out = []
    for i in range(24):
        part = i % 3
        offset = 100 + i
        headers = [("trace", f"t{i}".encode()), ("dup", b"a"), ("dup", b"b")]
        chute = [
            ("chute.source.topic", source.encode()),
            ("chute.source.partition", str(part).encode()),
            ("chute.source.offset", str(offset).encode()),
            ("chute.source.timestamp", str(BASE_TS + i).encode()),
            ("chute.stage", STAGES[i % 3].encode()),
            ("chute.error.class", b"bad_data" if i % 4 else b"configuration"),
            ("chute.error.message", f"column 'v': bad value #{i}".encode()),
        ]
        if STAGES[i % 3] == "insert":
            chute.append(("chute.clickhouse.code", b"27"))
        out.append({
            "i": i, "partition": part, "offset": offset, "stage": STAGES[i % 3],
            "class": "bad_data" if i % 4 else "configuration",
            "key": None if i % 5 == 0 else f"k{i}".encode(),
            "value": None if i == 7 else f'{{"id": {i}, "v": "x"}}'.encode(),
            "ts": BASE_TS + i, "headers": headers, "all_headers": headers + chute,
        })
    return out


def produce_dlq(ctx, dlq_topic, records):
    p = Producer({"bootstrap.servers": ctx.env.kafka, "enable.idempotence": True, "acks": "all"})
    for r in records:
        # One DLQ partition per source partition, as chute writes them.
        p.produce(dlq_topic, key=r["key"], value=r["value"], partition=r["partition"] % 2,
                  timestamp=r["ts"], headers=r["all_headers"])
    # Records without (or with broken) chute headers are counted, not replayed.
    p.produce(dlq_topic, value=b"no headers at all", partition=0)
    p.produce(dlq_topic, value=b"broken", partition=1,
              headers=[("chute.source.topic", ctx.topic.encode()), ("chute.source.partition", b"x1"),
                       ("chute.source.offset", b"5")])
    assert p.flush(30) == 0


def read_topic(ctx, topic, partitions, start=None):
    """Every record of topic from start (partition -> offset) to the current end."""
    c = Consumer({"bootstrap.servers": ctx.env.kafka, "group.id": ctx.group + "-check",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
        begin = {p: (start or {}).get(p, 0) for p in range(partitions)}
        todo = {p for p in range(partitions) if ends[p] > begin[p]}
        c.assign([TopicPartition(topic, p, begin[p]) for p in todo])
        out = []
        deadline_polls = 600
        while todo and deadline_polls:
            deadline_polls -= 1
            m = c.poll(0.1)
            if m is None:
                continue
            if m.error():
                continue
            out.append(m)
            if m.offset() + 1 >= ends[m.partition()]:
                todo.discard(m.partition())
        assert not todo, f"could not read {topic} to its end {ends}"
        return out, ends
    finally:
        c.close()


def replay(ctx, config, *args, timeout=120):
    r = subprocess.run([str(ctx.binary), "dlq", "replay", "-c", str(config), *args],
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def check_replayed(ctx, got, expected):
    assert len(got) == len(expected), \
        f"expected {len(expected)} records, got {len(got)}: {[(m.partition(), m.value()) for m in got]}"
    by_part = {}
    for m in got:
        by_part.setdefault(m.partition(), []).append(m)
    exp_part = {}
    for r in expected:
        exp_part.setdefault(r["partition"], []).append(r)
    assert sorted(by_part) == sorted(exp_part)
    for p, msgs in by_part.items():
        for m, r in zip(msgs, exp_part[p]):  # per partition, in DLQ order
            assert m.key() == r["key"]
            assert m.value() == r["value"]
            assert m.timestamp()[1] == r["ts"]
            assert m.headers() == r["headers"] + [("chute.replayed.offset", str(r["offset"]).encode())]


def setup(ctx):
    ctx.create_topic(3)
    dlq_topic = ctx.topic + ".dlq"
    create(ctx, dlq_topic, 2)
    records = dlq_records(ctx.topic)
    produce_dlq(ctx, dlq_topic, records)
    config = ctx.config({"dlq": {"topic": "{topic}.dlq"}})
    return dlq_topic, records, config


def test_replay_filters_select_exactly_the_matching_records(ctx):
    dlq_topic, records, config = setup(ctx)

    # Dry run: lists, counts, writes nothing.
    rc, out, err = replay(ctx, config, "--stage", "convert", "--dry-run")
    assert rc == 0, err
    selected = [r for r in records if r["stage"] == "convert"]
    assert out.count("would replay ") == len(selected), out
    assert (f"dlq replay: read 26, selected {len(selected)}, replayed 0, skipped by filter "
            f"{24 - len(selected)}, without chute headers 2 (dry run)") in out, out
    assert "header chute.source.partition: expected a decimal number" in err, err
    got, ends = read_topic(ctx, ctx.topic, 3)
    assert got == [], "a dry run wrote records"

    # Source partition 1, offsets 103..115 inclusive.
    rc, out, err = replay(ctx, config, "--partition", "1", "--from-offset", "103", "--to-offset", "115")
    assert rc == 0, err
    sel = [r for r in records if r["partition"] == 1 and 103 <= r["offset"] <= 115]
    assert len(sel) == 4
    assert (f"dlq replay: read 26, selected 4, replayed 4, skipped by filter 20, "
            f"without chute headers 2") in out, out
    got, ends = read_topic(ctx, ctx.topic, 3)
    check_replayed(ctx, got, sel)

    # Stage and error class together, on the explicitly named DLQ topic.
    rc, out, err = replay(ctx, config, "--dlq-topic", dlq_topic, "--source-topic", ctx.topic,
                          "--stage", "insert", "--error-class", "bad_data")
    assert rc == 0, err
    sel = [r for r in records if r["stage"] == "insert" and r["class"] == "bad_data"]
    assert len(sel) == 6
    assert f"selected {len(sel)}, replayed {len(sel)}," in out, out
    got, _ = read_topic(ctx, ctx.topic, 3, start=ends)
    check_replayed(ctx, got, sel)

    # A source topic no record has: nothing selected, nothing written.
    rc, out, err = replay(ctx, config, "--source-topic", "other")
    assert rc == 0, err
    assert "selected 0, replayed 0, skipped by filter 24" in out, out


def test_replay_everything_keeps_per_partition_order(ctx):
    dlq_topic, records, config = setup(ctx)
    rc, out, err = replay(ctx, config)
    assert rc == 0, err
    assert "dlq replay: read 26, selected 24, replayed 24, skipped by filter 0, without chute headers 2" in out
    got, _ = read_topic(ctx, ctx.topic, 3)
    check_replayed(ctx, got, records)
    for p in range(3):
        offs = [int(dict(m.headers())["chute.replayed.offset"]) for m in got if m.partition() == p]
        assert offs == sorted(offs) and len(offs) == 8


def test_replay_command_line_and_runtime_errors(ctx):
    ctx.create_topic(1)
    no_dlq = ctx.config()
    rc, out, err = replay(ctx, no_dlq)
    assert rc == 2
    assert err.strip() == ("chute dlq replay: no DLQ topic: the config sets neither dlq.topic nor "
                           "topics[].dlq_topic; name one with --dlq-topic")
    rc, out, err = replay(ctx, no_dlq, "--from-offset", "9", "--to-offset", "3")
    assert rc == 2 and "--from-offset is after --to-offset" in err
    rc, out, err = replay(ctx, no_dlq, "--partition", "one")
    assert rc == 2 and 'chute dlq replay: --partition: expected a partition number, got "one"' in err
    rc, out, err = replay(ctx, no_dlq, "--stages", "x")
    assert rc == 2 and 'unknown option "--stages"' in err
    bad = ctx.write_config_text(no_dlq.read_text() + "dlq: {topic: 'a b'}\n", "bad.yaml")
    rc, out, err = replay(ctx, bad)
    assert rc == 2 and "dlq.topic: expected a topic name" in err, err

    # A DLQ topic that does not exist: a warning, nothing to do.
    rc, out, err = replay(ctx, no_dlq, "--dlq-topic", ctx.topic + ".nope")
    assert rc == 0, err
    assert "does not exist" in err
    assert "read 0, selected 0, replayed 0" in out

    # No broker: a runtime failure.
    down = ctx.config({"kafka": {"bootstrap_servers": "127.0.0.1:1", "startup_timeout": "2s"}}, name="down.yaml")
    rc, out, err = replay(ctx, down, "--dlq-topic", "x", timeout=60)
    assert rc == 1, (out, err)
    assert "cannot read the metadata of x" in err
