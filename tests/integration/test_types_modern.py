"""
Every column type of docs/types.md that 18.16 lacks, and the nested
combinations users write, in one table on the modern server (26.9), filled
from a JSON topic through chute and read back value by value: the edge values
of each type (minimum, maximum, zero), the text and number forms a message may
carry, fields left out (the type's default), and values each column must
refuse (never inserted; the log names the column).

Values are compared as the server prints them with toString(): what a user
reading the table sees. Variant and Dynamic have their own file.
"""
import json

COLUMNS = """
    id UInt64,
    i128 Int128, i256 Int256, u128 UInt128, u256 UInt256,
    f32 Float32, f64 Float64, b Bool,
    d32 Decimal32(4), d64 Decimal64(8), d128 Decimal128(20), d256 Decimal256(40),
    day Date, day32 Date32, dt DateTime('UTC'), dt_tokyo DateTime('Asia/Tokyo'),
    dt64 DateTime64(3, 'UTC'), dt64_9 DateTime64(9, 'UTC'),
    uid UUID, ip4 IPv4, ip6 IPv6,
    e8 Enum8('lo' = -128, 'hi' = 127), e16 Enum16('x' = -32768, 'y' = 32767),
    lc LowCardinality(String), lcn LowCardinality(Nullable(String)),
    arr_t Array(Tuple(UInt8, String)),
    m Map(String, Array(Nullable(Int64))),
    mlc Map(LowCardinality(String), Float64),
    tn Tuple(a UInt8, b Nullable(String)),
    an Array(Nullable(IPv4)),
    sa SimpleAggregateFunction(max, UInt64),
    j JSON
"""

I128_MIN = "-170141183460469231731687303715884105728"
I128_MAX = "170141183460469231731687303715884105727"
I256_MIN = "-57896044618658097711785492504343953926634992332820282019728792003956564819968"
I256_MAX = "57896044618658097711785492504343953926634992332820282019728792003956564819967"
U128_MAX = "340282366920938463463374607431768211455"
U256_MAX = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
D128_MAX = "9" * 18 + "." + "9" * 20
D256_MIN = "-" + "9" * 36 + "." + "9" * 40

# (message, expected toString() of each column)
ROWS = [
    (   # minimums
        {"id": 1, "i128": I128_MIN, "i256": I256_MIN, "u128": 0, "u256": "0",
         "f32": "-3.4028235e38", "f64": 5e-324, "b": False,
         "d32": "-99999.9999", "d64": -0.00000001, "d128": "0", "d256": D256_MIN,
         "day": "1970-01-01", "day32": "1900-01-01", "dt": 0, "dt_tokyo": 0,
         "dt64": "1900-01-01T00:00:00.000Z", "dt64_9": "1900-01-01 00:00:00",
         "uid": "00000000-0000-0000-0000-000000000000", "ip4": "0.0.0.0", "ip6": "::",
         "e8": "lo", "e16": -32768, "lc": "", "lcn": None,
         "arr_t": [], "m": {}, "mlc": {}, "tn": [0, None], "an": [], "sa": 0, "j": {}},
        {"i128": I128_MIN, "i256": I256_MIN, "u128": "0", "u256": "0",
         "f32": "-3.4028235e38", "f64": "5e-324", "b": "false",
         "d32": "-99999.9999", "d64": "-0.00000001", "d128": "0", "d256": D256_MIN,
         "day": "1970-01-01", "day32": "1900-01-01", "dt": "1970-01-01 00:00:00",
         "dt_tokyo": "1970-01-01 09:00:00",
         "dt64": "1900-01-01 00:00:00.000", "dt64_9": "1900-01-01 00:00:00.000000000",
         "uid": "00000000-0000-0000-0000-000000000000", "ip4": "0.0.0.0", "ip6": "::",
         "e8": "lo", "e16": "x", "lc": "", "lcn": None,
         "arr_t": "[]", "m": "{}", "mlc": "{}", "tn": "(0,NULL)", "an": "[]", "sa": "0",
         "j": "{}"},
    ),
    (   # maximums
        {"id": 2, "i128": I128_MAX, "i256": I256_MAX, "u128": U128_MAX, "u256": U256_MAX,
         "f32": 3.4028234663852886e38, "f64": "1.7976931348623157e308", "b": True,
         "d32": 99999.9999, "d64": "9999999999.99999999", "d128": D128_MAX, "d256": "1e35",
         "day": "2149-06-06", "day32": "2299-12-31", "dt": "2106-02-07T06:28:15Z",
         "dt_tokyo": "2024-02-29T12:00:00+09:00",
         "dt64": "2299-12-31T23:59:59.999Z", "dt64_9": "2262-04-11T23:47:16.854775807Z",
         "uid": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "ip4": "255.255.255.255",
         "ip6": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "e8": 127, "e16": "y", "lc": "x" * 300, "lcn": "n\u00e9",
         "arr_t": [[255, "z"], [0, ""]], "m": {"k": [9223372036854775807, None, -1], "": []},
         "mlc": {"a": 1.5, "b": "-inf"}, "tn": {"a": 255, "b": "q'"},
         "an": ["1.2.3.4", None], "sa": "18446744073709551615",
         "j": {"b": 1, "a": {"c": "x"}}},
        {"i128": I128_MAX, "i256": I256_MAX, "u128": U128_MAX, "u256": U256_MAX,
         "f32": "3.4028235e38", "f64": "1.7976931348623157e308", "b": "true",
         "d32": "99999.9999", "d64": "9999999999.99999999", "d128": D128_MAX,
         "d256": "100000000000000000000000000000000000",
         "day": "2149-06-06", "day32": "2299-12-31", "dt": "2106-02-07 06:28:15",
         "dt_tokyo": "2024-02-29 12:00:00",
         "dt64": "2299-12-31 23:59:59.999", "dt64_9": "2262-04-11 23:47:16.854775807",
         "uid": "ffffffff-ffff-ffff-ffff-ffffffffffff", "ip4": "255.255.255.255",
         "ip6": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "e8": "hi", "e16": "y", "lc": "x" * 300, "lcn": "n\u00e9",
         "arr_t": "[(255,'z'),(0,'')]", "m": "{'k':[9223372036854775807,NULL,-1],'':[]}",
         "mlc": "{'a':1.5,'b':-inf}", "tn": "(255,'q\\'')", "an": "['1.2.3.4',NULL]",
         "sa": "18446744073709551615", "j": '{"a":{"c":"x"},"b":1}'},
    ),
    (   # text and number forms; a bare IPv4 into IPv6; a zone offset
        {"id": 3, "i128": "1e3", "i256": -1, "u128": 2.0, "u256": "340282366920938463463374607431768211456",
         "f32": "nan", "f64": "-Infinity", "b": True,
         "d32": "1.5", "d64": 12, "d128": "-0.00000000000000000001", "d256": 0.5,
         "day": 19782, "day32": -25567, "dt": "2024-02-29 14:34:56+02:00",
         "dt_tokyo": "1709210096", "dt64": 1709210096789, "dt64_9": "1709210096.123456789",
         "uid": "123e4567-e89b-12d3-a456-426614174000", "ip4": 16909060, "ip6": "1.2.3.4",
         "e8": "-128", "e16": 32767, "lc": "same", "lcn": "same",
         "arr_t": [[1, "a"]], "m": {"z": [None]}, "mlc": {"": 0},
         "tn": [7, "seven"], "an": [None], "sa": 5, "j": "{\"s\":\"t\"}"},
        {"i128": "1000", "i256": "-1", "u128": "2", "u256": "340282366920938463463374607431768211456",
         "f32": "nan", "f64": "-inf", "b": "true",
         "d32": "1.5", "d64": "12", "d128": "-0.00000000000000000001", "d256": "0.5",
         "day": "2024-02-29", "day32": "1900-01-01", "dt": "2024-02-29 12:34:56",
         "dt_tokyo": "2024-02-29 21:34:56", "dt64": "2024-02-29 12:34:56.789",
         "dt64_9": "2024-02-29 12:34:56.123456789",
         "uid": "123e4567-e89b-12d3-a456-426614174000", "ip4": "1.2.3.4", "ip6": "::ffff:1.2.3.4",
         "e8": "lo", "e16": "y", "lc": "same", "lcn": "same",
         "arr_t": "[(1,'a')]", "m": "{'z':[NULL]}", "mlc": "{'':0}",
         "tn": "(7,'seven')", "an": "[NULL]", "sa": "5", "j": '{"s":"t"}'},
    ),
    (   # every field left out: each type's default
        {"id": 4},
        {"i128": "0", "i256": "0", "u128": "0", "u256": "0", "f32": "0", "f64": "0", "b": "false",
         "d32": "0", "d64": "0", "d128": "0", "d256": "0",
         "day": "1970-01-01", "day32": "1970-01-01", "dt": "1970-01-01 00:00:00",
         "dt_tokyo": "1970-01-01 09:00:00", "dt64": "1970-01-01 00:00:00.000",
         "dt64_9": "1970-01-01 00:00:00.000000000",
         "uid": "00000000-0000-0000-0000-000000000000", "ip4": "0.0.0.0", "ip6": "::",
         "e8": "lo", "e16": "x", "lc": "", "lcn": None,
         "arr_t": "[]", "m": "{}", "mlc": "{}", "tn": "(0,NULL)", "an": "[]", "sa": "0", "j": "{}"},
    ),
]

# Values that must be refused, one column each, and never reach the table.
BAD = [
    {"id": 100, "i128": "1.5"},
    {"id": 101, "u256": -1},
    {"id": 102, "u128": "340282366920938463463374607431768211456"},
    {"id": 103, "d32": "1.00001"},
    {"id": 104, "d256": "1" + "0" * 36},
    {"id": 105, "day32": "1899-12-31"},
    {"id": 106, "dt64": "2300-01-01T00:00:00Z"},
    {"id": 107, "ip4": "256.0.0.1"},
    {"id": 108, "ip6": "1::2::3"},
    {"id": 109, "e16": 0},
    {"id": 110, "arr_t": [[1]]},
    {"id": 111, "tn": {"a": 256}},
    {"id": 112, "m": {"k": [1.5]}},
    {"id": 113, "an": ["1.2.3"]},
    {"id": 114, "uid": "123e4567-e89b-12d3-a456-42661417400"},
    {"id": 115, "b": "yes"},
]


def test_every_modern_type_round_trips_through_kafka(ctx):
    ctx.needs_modern("Int128/256, Bool, Date32, DateTime64, IPv4/6, Map, named Tuple, JSON "
                     "are 20.x-24.x types")
    ctx.create_topic(2)
    ctx.create_table(COLUMNS)
    ctx.produce([json.dumps(m).encode() for m, _ in ROWS] + [json.dumps(b).encode() for b in BAD])
    chute = ctx.start_chute(ctx.config({"stats_interval": "1h"}))
    ctx.wait_count(len(ROWS), timeout=60)

    names = list(ROWS[0][1])
    sel = ", ".join(f"toString({n}) AS {n}" if n != "lcn" else "lcn" for n in names)
    rows = {int(r["id"]): r for r in ctx.ch_rows(
        f"SELECT toString(id) AS id, {sel} FROM default.{ctx.table} ORDER BY id")}
    problems = []
    for msg, want in ROWS:
        got = rows.get(msg["id"])
        if got is None:
            problems.append(f"id {msg['id']}: row missing")
            continue
        for col, exp in want.items():
            if got[col] != exp:
                problems.append(f"id {msg['id']} column {col}: sent {msg.get(col)!r}, "
                                f"expected {exp!r}, got {got[col]!r}")
    print(f"\nMODERN-TYPES rows={len(rows)} columns={len(names)} values checked="
          f"{len(ROWS) * len(names)} mismatches={len(problems)}")
    ctx.check(not problems, "type round trip mismatch:\n  " + "\n  ".join(problems))

    rc = ctx.sigterm(chute, 40)
    ctx.check(rc == 0, f"chute exited {rc} on SIGTERM")
    ctx.check(ctx.count() == len(ROWS), f"{ctx.count()} rows; the bad messages must not be inserted")
    log = chute.log()
    missing = [b for b in BAD if f"column '{[k for k in b if k != 'id'][0]}'" not in log]
    ctx.check(not missing, f"no bad-message line naming the column for {missing}")
    ctx.assert_no_hangs()
