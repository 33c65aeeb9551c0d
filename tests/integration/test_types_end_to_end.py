"""
Every column type the Debian ClickHouse 18.16 server has, in one table,
filled from a JSON topic through chute, read back exactly; on 18.16 and on
26.9. The types 18.16 lacks (DateTime64, Date32, Int128/256, IPv4/6, Map,
Bool, JSON, named Tuple...) are in test_types_modern.py, and byte for byte in
tests/golden.

Values are compared as the server prints them with toString(), so the test
checks what a user reading the table sees (FixedString as hex and one
DateTime as epoch seconds, where 18.16's printing hides the value; 26.9
prints a Decimal without trailing zeros). Also checks a per-column
epoch_unit from the config (milliseconds into DateTime).
"""
import json

COLUMNS = """
    id UInt64,
    i8 Int8, i16 Int16, i32 Int32, i64 Int64,
    u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
    f32 Float32, f64 Float64,
    s String, fs FixedString(4),
    d Date, dt DateTime, dt_utc DateTime('UTC'), dt_ms DateTime,
    n Nullable(Int32), arr Array(String), arr2 Array(Array(UInt8)),
    dec9 Decimal(9, 2), dec18 Decimal(18, 4), dec38 Decimal(38, 10),
    uid UUID, e8 Enum8('red' = 1, 'green' = 2), e16 Enum16('x' = -1000, 'y' = 1000),
    tup Tuple(UInt8, String), flag UInt8, doc String
"""

ROWS = [
    (
        {"id": 1, "i8": -128, "i16": -32768, "i32": -2147483648, "i64": "-9223372036854775808",
         "u8": 255, "u16": 65535, "u32": 4294967295, "u64": "18446744073709551615",
         "f32": 1.5, "f64": "-2.25e-3", "s": "h\u00e9llo \"q\"\n", "fs": "ab",
         "d": "2024-02-29", "dt": "2024-02-29T12:34:56Z", "dt_utc": 1709210096,
         "dt_ms": 1709210096789, "n": None, "arr": ["a", "", "c"], "arr2": [[1, 2], []],
         "dec9": "1234567.89", "dec18": 12.5, "dec38": "-0.0000000001",
         "uid": "123e4567-e89b-12d3-a456-426614174000", "e8": "green", "e16": -1000,
         "tup": [7, "seven"], "flag": True, "doc": {"k": [1, {"z": None}]}},
        {"i8": "-128", "i16": "-32768", "i32": "-2147483648", "i64": "-9223372036854775808",
         "u8": "255", "u16": "65535", "u32": "4294967295", "u64": "18446744073709551615",
         "f32": "1.5", "f64": "-0.00225", "s": "h\u00e9llo \"q\"\n", "fs": "61620000",
         "d": "2024-02-29", "dt": "2024-02-29 12:34:56", "dt_utc": "1709210096",
         "dt_ms": "2024-02-29 12:34:56", "n": None, "arr": "['a','','c']",
         "arr2": "[[1,2],[]]", "dec9": "1234567.89", "dec18": "12.5000",
         "dec38": "-0.0000000001", "uid": "123e4567-e89b-12d3-a456-426614174000",
         "e8": "green", "e16": "x", "tup": "(7,'seven')", "flag": "1",
         "doc": '{"k":[1,{"z":null}]}'},
    ),
    (
        {"id": 2, "i8": 127, "i16": 32767, "i32": 2147483647, "i64": 9223372036854775807,
         "u8": 0, "u16": 0, "u32": 0, "u64": 0, "f32": "-inf", "f64": "NaN", "s": "",
         "fs": "abcd", "d": 19782, "dt": "2024-02-29 14:34:56+02:00", "dt_utc": "1970-01-01",
         "dt_ms": "1000", "n": -5, "arr": [], "arr2": [], "dec9": -0.01, "dec18": "1e2",
         "dec38": 0, "uid": "00000000-0000-0000-0000-000000000000", "e8": 1, "e16": "y",
         "tup": [0, ""], "flag": False, "doc": "plain"},
        {"i8": "127", "i16": "32767", "i32": "2147483647", "i64": "9223372036854775807",
         "u8": "0", "u16": "0", "u32": "0", "u64": "0", "f32": "-inf", "f64": "nan", "s": "",
         "fs": "61626364", "d": "2024-02-29", "dt": "2024-02-29 12:34:56",
         "dt_utc": "0", "dt_ms": "1970-01-01 00:00:01", "n": "-5",
         "arr": "[]", "arr2": "[]", "dec9": "-0.01", "dec18": "100.0000",
         "dec38": "0.0000000000", "uid": "00000000-0000-0000-0000-000000000000",
         "e8": "red", "e16": "y", "tup": "(0,'')", "flag": "0", "doc": "plain"},
    ),
]

# Values that must be refused, one column each, and never reach the table.
BAD = [
    {"id": 100, "u8": 256},
    {"id": 101, "i8": 1.5},
    {"id": 102, "dec9": "0.001"},
    {"id": 103, "uid": "not-a-uuid"},
    {"id": 104, "e8": "blue"},
    {"id": 105, "fs": "abcde"},
    {"id": 106, "d": "2024-02-30"},
]


def modern_decimal(text: str) -> str:
    """26.9's toString(Decimal): no trailing fraction zeros (18.16 pads to S)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def test_every_old_server_type_round_trips_through_kafka(ctx):
    ctx.create_topic(2)
    ctx.create_table(COLUMNS)
    ctx.produce([json.dumps(m).encode() for m, _ in ROWS] + [json.dumps(b).encode() for b in BAD])

    cfg = ctx.config({"topics": [{"topic": ctx.topic, "table": ctx.table,
                                  "columns": {"dt_ms": {"epoch_unit": "ms"}}}],
                      "stats_interval": "1h"})
    chute = ctx.start_chute(cfg)
    ctx.wait_count(len(ROWS), timeout=60)

    names = list(ROWS[0][1])
    # 18.16 prints FixedString without its zero padding and epoch 0 as
    # 0000-00-00 00:00:00, so those two are compared as bytes and seconds.
    special = {"n": "n", "fs": "hex(fs) AS fs",
               "dt_utc": "toString(toUnixTimestamp(dt_utc)) AS dt_utc"}
    sel = ", ".join(special.get(n, f"toString({n}) AS {n}") for n in names)
    rows = {int(r["id"]): r for r in ctx.ch_rows(
        f"SELECT toString(id) AS id, {sel} FROM default.{ctx.table} ORDER BY id")}
    problems = []
    for msg, want in ROWS:
        got = rows.get(msg["id"])
        if got is None:
            problems.append(f"id {msg['id']}: row missing")
            continue
        for col, exp in want.items():
            val = got[col]
            if col == "n" and val is not None:
                val = str(val)
            if col.startswith("dec") and ctx.modern:
                exp = modern_decimal(exp)
            if val != exp:
                problems.append(f"id {msg['id']} column {col}: expected {exp!r}, got {val!r}")
    ctx.check(not problems, "type round trip mismatch:\n  " + "\n  ".join(problems))

    rc = ctx.sigterm(chute, 40)
    ctx.check(rc == 0, f"chute exited {rc} on SIGTERM")
    ctx.check(ctx.count() == len(ROWS), f"{ctx.count()} rows; the bad messages must not be inserted")
    log = chute.log()
    for b in BAD:
        col = [k for k in b if k != "id"][0]
        ctx.check(f"column '{col}'" in log, f"no log line naming column {col} for {b}")
    ctx.assert_no_hangs()
