"""
Field mapping: a missing field becomes the column's default, null into a
non-Nullable column becomes the default, unknown fields are ignored, and the
"totals" line at shutdown counts all three.
"""
import re

from it_helpers import parse_totals

COLUMNS = """
    id UInt64,
    s String,
    n Int32,
    f Float64,
    arr Array(Int32),
    ns Nullable(String),
    ts DateTime,
    d Date,
    fs FixedString(3),
    b UInt8,
    dflt UInt32 DEFAULT 42
"""
PLAIN = ["s", "n", "f", "arr", "ns", "ts", "d", "fs", "b"]  # columns without a DEFAULT expression

FULL = {"s": "str", "n": -7, "f": 2.5, "arr": [1, 2, 3], "ns": "x", "ts": "2024-02-29T12:34:56Z",
        "d": "2024-02-29", "fs": "abc", "b": True}
FULL_EXPECT = {"s": "str", "n": -7, "f": 2.5, "arr": [1, 2, 3], "ns": "x", "ts": 1709210096,
               "d": 19782, "fs": "abc", "b": 1, "dflt": 42}  # d: days since 1970
DEFAULTS = {"s": "", "n": 0, "f": 0, "arr": [], "ns": None, "ts": 0, "d": 0, "fs": "\u0000" * 3,
            "b": 0, "dflt": 42}


def test_missing_fields_get_defaults_and_unknown_fields_are_ignored_and_counted(ctx):
    import json
    ctx.create_topic(4)
    ctx.create_table(COLUMNS)
    m = 400
    msgs, expect = [], {}
    unknown = missing = nulls = 0
    omitted_dflt = 0
    for i in range(m):
        kind = i % 4
        if kind == 0:  # everything, plus two unknown fields (one nested)
            obj = {"id": i, **FULL, "extra": "zzz", "nested": {"a": [1, {"b": 2}], "s": "}"}}
            exp = dict(FULL_EXPECT)
            unknown += 2
        elif kind == 1:  # only the id: every other column defaults
            obj = {"id": i}
            exp = dict(DEFAULTS)
            missing += len(PLAIN)
        elif kind == 2:  # nulls into non-Nullable columns default; into Nullable it is NULL
            obj = {"id": i, **FULL, "s": None, "n": None, "arr": None, "ns": None}
            exp = dict(FULL_EXPECT, s="", n=0, arr=[], ns=None)
            nulls += 3
        else:  # some fields, one unknown with an odd name, in another order
            obj = {"unknown\u00e9": 1, "fs": "ab", "id": i, "n": 5}
            exp = dict(DEFAULTS, fs="ab\u0000", n=5)
            unknown += 1
            missing += len(PLAIN) - 2
        omitted_dflt += 1
        exp["id"] = i
        expect[i] = exp
        msgs.append(json.dumps(obj).encode())
    ctx.produce(msgs)

    chute = ctx.start_chute(ctx.config({"stats_interval": "1h"}))
    ctx.wait_count(m, timeout=60)
    rows = ctx.ch_rows(f"SELECT id, s, n, f, arr, ns, toUnixTimestamp(ts) AS ts, toUInt16(d) AS d, fs, b, dflt "
                       f"FROM default.{ctx.table} ORDER BY id")
    ctx.check(len(rows) == m, f"{len(rows)} rows, expected {m}")
    problems = []
    for r in rows:
        e = expect[r["id"]]
        for k, v in e.items():
            if r[k] != v:
                problems.append(f"id {r['id']} (kind {r['id'] % 4}) column {k}: expected {v!r}, got {r[k]!r}")
    ctx.check(not problems, "default/mapping mismatch:\n  " + "\n  ".join(problems[:30]))

    rc = ctx.sigterm(chute, 40)
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM")
    log = chute.log()
    totals = parse_totals(log)
    ctx.check(totals is not None, "no totals line at shutdown")
    # A DEFAULT-expression column is left to the server when it lacks
    # RowBinaryWithDefaults (then it is not a "missing field"); with it, chute
    # sends "use the default" and counts the field as missing.
    server_computes = re.search(r"column dflt has a DEFAULT expression and this server .* lacks "
                                r"RowBinaryWithDefaults", log) is not None
    want = {"messages": m, "rows": m, "bad": 0, "empty": 0, "unknown": unknown,
            "missing": missing + (0 if server_computes else omitted_dflt), "nulls": nulls}
    got = {k: totals[k] for k in want}
    ctx.check(got == want, f"totals {got} != expected {want}\n{totals}")
    ctx.assert_no_hangs()
