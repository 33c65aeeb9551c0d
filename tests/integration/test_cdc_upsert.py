"""
Change data capture in upsert mode (docs/cdc.md), checked against a model.

A random sequence of 10,000 create/update/delete operations over 1,000
keys -- deletes followed by re-inserts, and primary-key changes, which
Debezium writes as a delete of the old key (plus its tombstone) and a
create of the new one -- is produced to Kafka as Debezium PostgreSQL
change events, keyed by primary key (so one key stays in one partition),
in the shapes with and without the embedded schema. chute ingests it in
upsert mode into ReplacingMergeTree(_version) with a _deleted flag (the
18.16 form), or ReplacingMergeTree(_version, _deleted) on servers from 23.2
(the form chute creates there, and a user's table of that form), and
`SELECT ... FINAL WHERE NOT _deleted` must equal the model exactly. The
row version is the change's LSN when the events carry one, else the Kafka
offset; both are run. With LSNs, a window of the changes is sent a second
time at the end (Debezium's at-least-once delivery after a connector
restart), so stale copies are inserted last and only the version keeps
FINAL right. The same sequence in append mode keeps every change.
"""
import json
import re
import subprocess
import random

import pytest

KEYS = 1000
OPS = 10000
PARTITIONS = 4
SEED = 20261121

ROW_COLUMNS = """
    id Int64,
    name Nullable(String),
    qty Int32,
    price Float64,
    updated_at DateTime('UTC')
"""

ROW_SCHEMA = {"type": "struct", "optional": True, "name": "pg.public.items.Value", "fields": [
    {"type": "int64", "optional": False, "field": "id"},
    {"type": "string", "optional": True, "field": "name"},
    {"type": "int32", "optional": False, "field": "qty"},
    {"type": "double", "optional": False, "field": "price"},
    {"type": "int64", "optional": False, "name": "io.debezium.time.Timestamp", "version": 1,
     "field": "updated_at"}]}
VALUE_SCHEMA = {"type": "struct", "optional": False, "name": "pg.public.items.Envelope", "fields": [
    dict(ROW_SCHEMA, field="before"), dict(ROW_SCHEMA, field="after"),
    {"type": "struct", "optional": False, "name": "io.debezium.connector.postgresql.Source",
     "field": "source", "fields": [
         {"type": "string", "optional": False, "field": "connector"},
         {"type": "int64", "optional": False, "field": "ts_ms"},
         {"type": "int64", "optional": True, "field": "lsn"}]},
    {"type": "string", "optional": False, "field": "op"},
    {"type": "int64", "optional": True, "field": "ts_ms"}]}
KEY_SCHEMA = {"type": "struct", "optional": False, "name": "pg.public.items.Key",
              "fields": [{"type": "int64", "optional": False, "field": "id"}]}


def operations(seed=SEED):
    """
    The random operation sequence as a list of Kafka records
    (key id, envelope or None for a tombstone), and the final model
    {id: row}. Key changes move a row to a key not in use.
    """
    rnd = random.Random(seed)
    model = {}
    records = []
    ops = {"c": 0, "u": 0, "d": 0, "key change": 0}
    ts = 1_760_000_000_000

    def new_row(k):
        return {"id": k, "name": None if rnd.random() < 0.1 else f"item-{k}-{rnd.randrange(10**6)}",
                "qty": rnd.randrange(-1000, 1000), "price": round(rnd.uniform(0, 1000), 2),
                "updated_at": ts}

    def change(op, k, before, after):
        records.append((k, {"op": op, "before": before, "after": after}))

    for _ in range(OPS):
        ts += rnd.randrange(1000, 5000)
        k = rnd.randrange(1, KEYS + 1)
        if k not in model:
            model[k] = new_row(k)
            change("c", k, None, model[k])
            ops["c"] += 1
            continue
        roll = rnd.random()
        if roll < 0.6:
            before = model[k]
            model[k] = dict(new_row(k), name=before["name"] if rnd.random() < 0.3 else new_row(k)["name"])
            change("u", k, before, model[k])
            ops["u"] += 1
        elif roll < 0.85:
            change("d", k, model.pop(k), None)
            records.append((k, None))
            ops["d"] += 1
        else:
            free = [j for j in range(1, 2 * KEYS + 1) if j not in model]
            j = rnd.choice(free)
            old = model.pop(k)
            change("d", k, old, None)
            records.append((k, None))
            model[j] = dict(old, id=j, updated_at=ts)
            change("c", j, None, model[j])
            ops["key change"] += 1
    return records, model, ops


def encode(records, with_lsn, all_schema=False):
    """Kafka records (partition, key, value) for the operations."""
    out = []
    lsn = 30_000_000
    for i, (k, change) in enumerate(records):
        key = {"id": k}
        if i % 2:
            key = {"schema": KEY_SCHEMA, "payload": key}
        value = None
        if change is not None:
            lsn += 8 * (1 + i % 5)
            source = {"connector": "postgresql", "ts_ms": 1_760_000_000_000 + i}
            if with_lsn:
                source["lsn"] = lsn
            env = dict(change, source=source, ts_ms=1_760_000_000_100 + i)
            if all_schema or i % 3 == 0:
                env = {"schema": VALUE_SCHEMA, "payload": env}
            value = json.dumps(env).encode()
        out.append((k % PARTITIONS, json.dumps(key).encode(), value))
    return out


def produce(ctx, msgs):
    p = ctx.producer()
    for partition, key, value in msgs:
        p.produce(ctx.topic, value=value, key=key, partition=partition)
        p.poll(0)
    assert p.flush(60) == 0


def wait_all_committed(ctx, msgs, timeout=120):
    """
    Upsert tables shrink when the server merges them (one row per key), so
    count() is no completion signal: every record's offset committed is.
    """
    per_partition = {}
    for partition, _, _ in msgs:
        per_partition[partition] = per_partition.get(partition, 0) + 1
    return ctx.wait_committed(per_partition, timeout=timeout)


def model_rows(model):
    return [dict(r, updated_at=r["updated_at"] // 1000) for _, r in sorted(model.items())]


@pytest.mark.parametrize("version,table", [("lsn", "created"), ("offset", "created"),
                                           ("lsn", "auto-created"), ("lsn", "created-is-deleted")])
def test_upsert_final_equals_the_model(ctx, version, table):
    if table == "created-is-deleted":
        ctx.needs_modern("ReplacingMergeTree's is_deleted parameter")
    records, model, ops = operations()
    # A converter writes the schema into every event or none; a table is
    # created only from events that carry it.
    msgs = encode(records, with_lsn=version == "lsn", all_schema=table == "auto-created")
    if version == "lsn":
        # Debezium delivers at least once: after a connector restart it
        # re-sends changes from its last recorded LSN. Re-sending a window
        # from the middle, with nothing after it, means the stale copies
        # are inserted last: only the LSN as version keeps FINAL right.
        msgs += msgs[3000:6000]
    changes = sum(1 for _, _, v in msgs if v is not None)
    ctx.create_topic(PARTITIONS)
    topic = {"topic": ctx.topic, "table": ctx.table, "format": "debezium", "mode": "upsert"}
    ctx._table_created = True
    if table.startswith("created"):
        params = "_version, _deleted" if table == "created-is-deleted" else "_version"
        ctx.ch(f"CREATE TABLE default.{ctx.table} ({ROW_COLUMNS}, _version UInt64, _deleted UInt8) "
               f"ENGINE = ReplacingMergeTree({params}) ORDER BY id")
        topic["columns"] = {"updated_at": {"epoch_unit": "ms"}}
    produce(ctx, msgs)

    chute = ctx.start_chute(ctx.config({"topics": [topic]}))
    wait_all_committed(ctx, msgs)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.check("bad message" not in chute.log(), "a change event was refused:\n" + chute.tail())

    got = ctx.ch_rows(f"SELECT id, name, qty, price, toUnixTimestamp(updated_at) AS updated_at "
                      f"FROM default.{ctx.table} FINAL WHERE NOT _deleted ORDER BY id")
    want = model_rows(model)
    got_by_id = {r["id"]: r for r in got}
    want_by_id = {r["id"]: r for r in want}
    missing = sorted(set(want_by_id) - set(got_by_id))
    extra = sorted(set(got_by_id) - set(want_by_id))
    differ = sorted(k for k in set(got_by_id) & set(want_by_id) if got_by_id[k] != want_by_id[k])
    print(f"\nCDC-UPSERT version={version} operations={OPS} ({ops}) keys={KEYS} "
          f"kafka records={len(msgs)} change rows={changes} live keys={len(want)} "
          f"missing={len(missing)} extra={len(extra)} differing={len(differ)}")
    ctx.check(not missing and not extra and not differ,
              f"FINAL differs from the model: missing {missing[:5]}, extra {extra[:5]}, "
              f"differing {[(got_by_id[k], want_by_id[k]) for k in differ[:3]]}")
    if table == "auto-created":
        chute_log = chute.log()
        ctx.check(re.search(r"table default\.\S+ does not exist: chute creates it", chute_log),
                  "no start-up notice of the table to create")
        ctx.check(re.search(r"created table default\.\S+ from the schema of", chute_log),
                  "no log line with the DDL")
        engine = ctx.ch(f"SELECT engine_full FROM system.tables WHERE database = 'default' "
                        f"AND name = '{ctx.table}'").strip()
        # 26.9 prints the one-column key chute wrote as "(id)", 18.16 as "id".
        engine = re.sub(r"ORDER BY \((\w+)\)", r"ORDER BY \1", engine)
        # 23.2+: the deleted flag is the engine's is_deleted, and a
        # Debezium Timestamp keeps its milliseconds in DateTime64(3).
        want_engine, ts = "ReplacingMergeTree(_version) ORDER BY id", "DateTime('UTC')"
        if ctx.modern:
            want_engine, ts = "ReplacingMergeTree(_version, _deleted) ORDER BY id", "DateTime64(3, 'UTC')"
        ctx.check(engine.startswith(want_engine), f"engine {engine}, want {want_engine}")
        types = [f"{r['name']}\t{r['type']}" for r in ctx.ch_rows(f"DESCRIBE TABLE default.{ctx.table}")]
        ctx.check(types ==
                  ["id\tInt64", "name\tNullable(String)", "qty\tInt32", "price\tFloat64",
                   f"updated_at\t{ts}", "_version\tUInt64", "_deleted\tUInt8"],
                  f"columns {types}")
    ctx.assert_no_hangs()


def test_missing_table_and_no_schema_in_the_events_stops_with_what_to_do(ctx):
    records, _, _ = operations()
    msgs = [(p, k, json.dumps(json.loads(v)["payload"]).encode() if v and b'"schema"' in v else v)
            for p, k, v in encode(records[:50], with_lsn=True)]
    ctx.create_topic(PARTITIONS)
    ctx._table_created = True
    produce(ctx, msgs)
    path = ctx.config({"topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium"}]})
    rc, out, _ = ctx.run_chute_once(path, timeout=60)
    ctx.check(rc == 1, f"exit code {rc}, expected 1; output:\n{out}")
    ctx.check(re.search(r"table default\.\S+ does not exist and cannot be created from the change "
                        r"event at \S+\[\d\]@0: ddl: message carries no schema "
                        r"\(JsonConverter schemas.enable=false\)", out), f"output:\n{out}")
    ctx.check(ctx.committed() == {p: 0 for p in range(PARTITIONS)},
              f"offsets were committed: {ctx.committed()}")


def test_append_keeps_every_change(ctx):
    records, _, _ = operations()
    msgs = encode(records, with_lsn=True)
    ctx.create_topic(PARTITIONS)
    ctx.create_table(ROW_COLUMNS + ", _op String, _deleted UInt8, _version UInt64, "
                     "_partition Int32, _offset Int64", order_by="(_partition, _offset)")
    produce(ctx, msgs)
    meta = {"updated_at": {"epoch_unit": "ms"}, "_op": {"meta": "op"},
            "_deleted": {"meta": "deleted"}, "_version": {"meta": "version"},
            "_partition": {"meta": "partition"}, "_offset": {"meta": "offset"}}
    chute = ctx.start_chute(ctx.config({
        "topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium",
                    "mode": "append", "columns": meta}]}))
    want = []
    offsets = {}
    for (partition, _, value), (k, change) in zip(msgs, records):
        off = offsets.get(partition, 0)
        offsets[partition] = off + 1
        if change is None:
            continue
        row = change["after"] if change["op"] != "d" else change["before"]
        want.append((partition, off, k, change["op"], int(change["op"] == "d"), row["qty"]))
    ctx.wait_count(len(want), timeout=120)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    got = [(r["_partition"], r["_offset"], r["id"], r["_op"], r["_deleted"], r["qty"])
           for r in ctx.ch_rows(f"SELECT _partition, _offset, id, _op, _deleted, qty "
                                f"FROM default.{ctx.table} ORDER BY _partition, _offset")]
    print(f"\nCDC-APPEND change rows={len(want)} stored={len(got)}")
    ctx.check(got == sorted(want), f"{len(got)} rows, want {len(want)}; first difference: "
              f"{next(((g, w) for g, w in zip(got, sorted(want)) if g != w), None)}")
    versions = ctx.ch(f"SELECT count() FROM default.{ctx.table} WHERE _version < 30000000")
    ctx.check(versions.strip() == "0", f"{versions.strip()} rows without the LSN as version")
    ctx.assert_no_hangs()


@pytest.mark.parametrize("action", ["truncate", "ignore"])
def test_truncate_event(ctx, action):
    """
    truncate: truncate empties the table after the rows before the event
    and before the rows after it (one partition: Kafka orders only within
    one); the default, ignore, keeps every row and logs it once.
    """
    ctx.create_topic(1)
    ctx.ch(f"CREATE TABLE default.{ctx.table} ({ROW_COLUMNS}, _version UInt64, _deleted UInt8) "
           f"ENGINE = ReplacingMergeTree(_version) ORDER BY id")
    ctx._table_created = True
    row = {"name": "x", "qty": 1, "price": 1.5, "updated_at": 1_760_000_000_000}
    records = [(k, {"op": "c", "before": None, "after": dict(row, id=k)}) for k in range(1, 201)]
    msgs = [(0, key, value) for _, key, value in encode(records, with_lsn=True)]
    truncate = json.dumps({"op": "t", "before": None, "after": None, "ts_ms": 1,
                           "source": {"connector": "postgresql", "ts_ms": 1, "lsn": 1}}).encode()
    msgs = msgs[:120] + [(0, None, truncate)] + msgs[120:]
    produce(ctx, msgs)
    topic = {"topic": ctx.topic, "table": ctx.table, "format": "debezium",
             "columns": {"updated_at": {"epoch_unit": "ms"}},
             "batch": {"max_rows": 50}}
    if action == "truncate":
        topic["truncate"] = "truncate"
    chute = ctx.start_chute(ctx.config({"topics": [topic]}))
    want = list(range(121, 201)) if action == "truncate" else list(range(1, 201))
    wait_all_committed(ctx, msgs, timeout=60)
    if action == "truncate":
        chute.wait_log(r"truncate event .*\[0\]@120: emptied default\.%s" % ctx.table, 10)
    else:
        chute.wait_log(r"truncate events are ignored", 10)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    got = [r["id"] for r in ctx.ch_rows(f"SELECT id FROM default.{ctx.table} FINAL "
                                        f"WHERE NOT _deleted ORDER BY id")]
    ctx.check(got == want, f"ids {got[:5]}...{got[-5:]} ({len(got)}), want {len(want)}")
    committed = ctx.committed()
    ctx.check(committed == {0: len(msgs)}, f"committed {committed}, want {len(msgs)}")
    ctx.assert_no_hangs()


@pytest.mark.parametrize("engine,message", [
    ("MergeTree ORDER BY id",
     r"mode upsert needs a ReplacingMergeTree table, and default\.\S+ is MergeTree"),
    ("ReplacingMergeTree ORDER BY id",
     r"mode upsert needs ReplacingMergeTree\(version\[, is_deleted\]\); default\.\S+ has no version column"),
    ("ReplacingMergeTree(_version) ORDER BY id",
     r"mode upsert needs a deleted flag in default\.\S+: ReplacingMergeTree\(version, is_deleted\)"),
])
def test_upsert_refuses_a_table_it_cannot_keep_current(ctx, engine, message):
    ctx.create_topic(1)
    extra = ", _version UInt64" if "_version" in engine else ""
    ctx.ch(f"CREATE TABLE default.{ctx.table} ({ROW_COLUMNS}{extra}) ENGINE = {engine}")
    ctx._table_created = True
    path = ctx.config({"topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium"}]})
    rc, out, _ = ctx.run_chute_once(path, timeout=20)
    ctx.check(rc == 2, f"exit code {rc}, expected 2; output:\n{out}")
    ctx.check(re.search(r"topic %s: %s" % (re.escape(ctx.topic), message), out),
              f"message not found in:\n{out}")


def test_check_prints_the_ddl_of_a_missing_table_and_creates_nothing(ctx):
    records, _, _ = operations()
    ctx.create_topic(PARTITIONS)
    ctx._table_created = True
    produce(ctx, encode(records[:40], with_lsn=True, all_schema=True))
    path = ctx.config({"topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium",
                                   "columns": {"_ingested": {"meta": "ingest_time"},
                                               "_op": {"meta": "op"}}}]})
    proc = subprocess.run([str(ctx.binary), "check", "-c", str(path)], capture_output=True,
                          text=True, timeout=60)
    ctx.check(proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    ddl = proc.stdout
    print("\nCHECK-DDL\n" + ddl)
    ctx.check(re.search(r"-- default\.\S+ does not exist; chute would create it from \S+\[\d\]@\d+:\n"
                        r"CREATE TABLE IF NOT EXISTS `default`\.`%s`" % ctx.table, ddl), ddl)
    want = ["`id` Int64", "`updated_at` DateTime('UTC')", "`_version` UInt64",
            "`_deleted` UInt8", "`_ingested` DateTime('UTC') DEFAULT now()", "`_op` String",
            "ReplacingMergeTree(`_version`)", "ORDER BY (`id`)"]
    if ctx.modern:
        want = ["`id` Int64", "`updated_at` DateTime64(3, 'UTC')", "`_version` UInt64",
                "`_deleted` UInt8", "`_ingested` DateTime64(3, 'UTC') DEFAULT now64(3)",
                "`_op` LowCardinality(String)", "ReplacingMergeTree(`_version`, `_deleted`)",
                "ORDER BY (`id`)"]
    for column in want:
        ctx.check(column in ddl, f"{column!r} not in:\n{ddl}")
    exists = ctx.ch(f"EXISTS TABLE default.{ctx.table}").strip()
    ctx.check(exists == "0", "chute check created the table")
    ctx.check(ctx.committed() == {p: 0 for p in range(PARTITIONS)}, f"committed {ctx.committed()}")
    # The DDL it printed is the DDL that runs.
    ctx.ch(ddl.split(":\n", 1)[1].rstrip().rstrip(";"))
    ctx.check(ctx.ch(f"EXISTS TABLE default.{ctx.table}").strip() == "1", "printed DDL did not run")
