"""
Schema evolution (topics[].evolve: true, docs/cdc.md#schema-evolution),
against the real server, checked row by row.

A field the table lacks becomes a column (ALTER TABLE ... ADD COLUMN), and
the rows that carry it are inserted with it; rows encoded before keep the
INSERT they were encoded for, even while in flight. A field that
disappears leaves its column to defaults. Nothing is skipped as bad input
because of a schema change, and two instances adding the same column at
once do not fail each other.
"""
import json

from test_cdc_upsert import KEY_SCHEMA, ROW_SCHEMA, VALUE_SCHEMA, produce, wait_all_committed


def json_rows():
    rows = []
    for i in range(300):
        if i < 100:
            r = {"id": i, "a": f"a{i}"}
        elif i < 200:
            r = {"id": i, "a": f"a{i}", "b": i * 10, "c": f"c{i}", "d": i + 0.5,
                 "e": i % 2 == 0, "f": {"x": i, "y": [1, 2]}}
        else:
            r = {"id": i, "b": -i}  # a is gone
        rows.append(r)
    return rows


def evolve_json(ctx, rows, max_rows):
    """
    Runs chute with evolve: true over the produced JSON rows until all are
    in, stops it; checks nothing was refused. Returns (log, {column: type}).
    """
    chute = ctx.start_chute(ctx.config({
        "topics": [{"topic": ctx.topic, "table": ctx.table, "evolve": True,
                    "batch": {"max_rows": max_rows}}]}))
    ctx.wait_count(rows, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    log = chute.log()
    ctx.check("bad message" not in log, "a row was refused:\n" + chute.tail())
    return log, {r["name"]: r["type"] for r in ctx.ch_rows(f"DESCRIBE TABLE default.{ctx.table}")}


def test_json_fields_added_mid_stream_become_columns(ctx):
    ctx.create_topic(1)
    ctx.create_table("id UInt64, a String")
    rows = json_rows()
    msgs = [(0, None, json.dumps(r).encode()) for r in rows]
    produce(ctx, msgs)
    log, types = evolve_json(ctx, rows=300, max_rows=30)
    ctx.check(types == {"id": "UInt64", "a": "String", "b": "Nullable(Int64)",
                        "c": "Nullable(String)", "d": "Nullable(Float64)",
                        "e": "Nullable(Bool)" if ctx.modern else "Nullable(UInt8)",
                        "f": "Nullable(String)"}, f"columns {types}")
    got = ctx.ch_rows(f"SELECT id, a, b, c, d, e, f FROM default.{ctx.table} ORDER BY id")
    want = []
    for r in rows:
        f = r.get("f")
        want.append({"id": r["id"], "a": r.get("a", ""), "b": r.get("b"), "c": r.get("c"),
                     "d": r.get("d"), "e": None if "e" not in r else int(r["e"]),
                     "f": None if f is None else json.dumps(f, separators=(",", ":"))})
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    print(f"\nEVOLVE-JSON rows={len(got)} columns added={len(types) - 2} differing={len(bad)}")
    ctx.check(len(got) == 300 and not bad, f"{len(got)} rows; first differences {bad[:3]}")
    ctx.check(log.count("schema evolution: added column") == 5, "each column is added once")
    ctx.assert_no_hangs()


def test_debezium_field_added_mid_stream_takes_the_schema_type(ctx):
    """Upsert into an auto-created table; email (optional string) and
    born (io.debezium.time.Date) appear in the schema at change 120."""
    ctx.create_topic(1)
    ctx._table_created = True
    new_fields = [{"type": "string", "optional": True, "field": "email"},
                  {"type": "int32", "optional": True, "name": "io.debezium.time.Date", "field": "born"}]
    row_schema2 = dict(ROW_SCHEMA, fields=ROW_SCHEMA["fields"] + new_fields)
    value_schema2 = dict(VALUE_SCHEMA, fields=[dict(row_schema2, field="before"),
                                               dict(row_schema2, field="after")] + VALUE_SCHEMA["fields"][2:])
    msgs = []
    for i in range(200):
        k = i % 50
        after = {"id": k, "name": f"n{i}", "qty": i, "price": 1.25, "updated_at": 1_760_000_000_000}
        schema = VALUE_SCHEMA
        if i >= 120:
            after.update(email=f"u{i}@example.com", born=19000 + i)
            schema = value_schema2
        env = {"op": "c" if i < 50 else "u", "before": None, "after": after,
               "source": {"connector": "postgresql", "ts_ms": 1, "lsn": 1000 + i}, "ts_ms": 2}
        msgs.append((0, json.dumps({"schema": KEY_SCHEMA, "payload": {"id": k}}).encode(),
                     json.dumps({"schema": schema, "payload": env}).encode()))
    produce(ctx, msgs)
    chute = ctx.start_chute(ctx.config({
        "topics": [{"topic": ctx.topic, "table": ctx.table, "format": "debezium", "evolve": True,
                    "batch": {"max_rows": 25}}]}))
    wait_all_committed(ctx, msgs, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.check("bad message" not in chute.log(), "a change was refused:\n" + chute.tail())
    types = {r["name"]: r["type"] for r in ctx.ch_rows(f"DESCRIBE TABLE default.{ctx.table}")}
    # A Debezium Date holds days before 1970 too: Date32 where the server has it.
    born = "Nullable(Date32)" if ctx.modern else "Nullable(Date)"
    ctx.check(types.get("email") == "Nullable(String)" and types.get("born") == born,
              f"columns {types}")
    got = ctx.ch_rows(f"SELECT id, name, email, toString(born) AS born FROM default.{ctx.table} "
                      f"FINAL WHERE NOT _deleted ORDER BY id")
    want = []
    for k in range(50):
        i = max(j for j in range(200) if j % 50 == k)
        want.append({"id": k, "name": f"n{i}", "email": f"u{i}@example.com" if i >= 120 else None,
                     "born": None})
    import datetime
    for w in want:
        i = int(w["name"][1:])
        if i >= 120:
            w["born"] = str(datetime.date(1970, 1, 1) + datetime.timedelta(days=19000 + i))
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    print(f"\nEVOLVE-DEBEZIUM keys={len(got)} differing={len(bad)}")
    ctx.check(len(got) == 50 and not bad, f"{len(got)} keys; first differences {bad[:3]}")
    ctx.assert_no_hangs()


def test_two_instances_adding_the_same_column_do_not_fail_each_other(ctx):
    ctx.create_topic(2)
    ctx.create_table("id UInt64, a String")
    msgs = []
    for i in range(2000):
        r = {"id": i, "a": "x"}
        if i >= 400:
            r["late"] = i
        msgs.append((i % 2, None, json.dumps(r).encode()))
    cfg = ctx.config({"topics": [{"topic": ctx.topic, "table": ctx.table, "evolve": True,
                                  "batch": {"max_rows": 100}}]})
    # Both members hold a partition before anything flows: the group's
    # rebalance (and librdkafka 2.0.2's #4059 duplicates) stay out of it.
    a = ctx.start_chute(cfg)
    a.wait_log(r"kafka: assigned 2 partition", 30)
    b = ctx.start_chute(cfg)
    b.wait_log(r"kafka: assigned 1 partition", 30)
    a.wait_log(r"kafka: revoked 1 partition", 30)
    produce(ctx, msgs)
    ctx.wait_count(2000, timeout=90)
    for c in (a, b):
        rc = ctx.sigterm(c, 30)
        ctx.check(rc == 0, f"{c.name} exited {rc}")
    logs = a.log() + b.log()
    ctx.check("bad message" not in logs and "schema evolution of" not in logs and
              "cannot add column" not in logs, f"logs:\n{a.tail()}\n{b.tail()}")
    ctx.check(a.log().count("added column late") + b.log().count("added column late") +
              logs.count("already has column late") == 2, "each instance adds the column once")
    got = ctx.ch_rows(f"SELECT count() AS n, countIf(late = id) AS late, uniqExact(id) AS ids "
                      f"FROM default.{ctx.table}")[0]
    print(f"\nEVOLVE-TWO {got}")
    ctx.check(got == {"n": 2000, "late": 1600, "ids": 2000}, f"{got}")
    ctx.assert_no_hangs()


def test_field_changing_type_goes_to_a_suffixed_column_and_the_old_one_stays(ctx):
    """qty is an integer column; from row 100 the source sends text, from
    row 200 fractions: they go to qty_str and qty_float, qty keeps its
    values and gets the default (0) in those rows; nothing is refused."""
    ctx.create_topic(1)
    ctx.create_table("id UInt64, qty Int64")
    rows = []
    for i in range(300):
        qty = i if i < 100 else (f"q{i}" if i < 200 else i + 0.25)
        if i % 50 == 7:
            qty = i  # integers still arrive now and then
        rows.append({"id": i, "qty": qty})
    produce(ctx, [(0, None, json.dumps(r).encode()) for r in rows])
    _, types = evolve_json(ctx, rows=300, max_rows=40)
    ctx.check(types == {"id": "UInt64", "qty": "Int64", "qty_str": "Nullable(String)",
                        "qty_float": "Nullable(Float64)"}, f"columns {types}")
    got = ctx.ch_rows(f"SELECT id, qty, qty_str, qty_float FROM default.{ctx.table} ORDER BY id")
    want = [{"id": r["id"], "qty": r["qty"] if isinstance(r["qty"], int) else 0,
             "qty_str": r["qty"] if isinstance(r["qty"], str) else None,
             "qty_float": r["qty"] if isinstance(r["qty"], float) else None} for r in rows]
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    print(f"\nEVOLVE-TYPE rows={len(got)} differing={len(bad)}")
    ctx.check(len(got) == 300 and not bad, f"{len(got)} rows; first differences {bad[:3]}")
    ctx.assert_no_hangs()
