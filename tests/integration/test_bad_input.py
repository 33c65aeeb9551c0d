"""
Poison messages: non-JSON, JSON that is not an object, values that cannot be
converted, and tombstones among good messages. Good rows arrive, bad ones do
not, each bad one is logged with topic[partition]@offset (and the column for
conversion errors), chute keeps running, and offsets reach the end of every
partition.
"""
import re
import time

from it_helpers import parse_totals

COLUMNS = "id UInt64, v UInt32, small UInt8, s String"


def good(i):
    return f'{{"id": {i}, "v": {i * 3}, "small": {i % 200}, "s": "ok {i}"}}'.encode()


# kind -> (message for index i, column named in the error or None, error text fragment)
BAD_KINDS = {
    "not_json": (lambda i: f"garbage #{i} {{".encode(), None, "JSON"),
    "json_array": (lambda i: f"[{i}, 2, 3]".encode(), None, "not a JSON object: got an array"),
    "truncated": (lambda i: f'{{"id": {i}, "v": '.encode(), None, "end of input"),
    "string_into_uint32": (lambda i: f'{{"id": {i}, "v": "abc{i}", "small": 1, "s": "x"}}'.encode(), "v", None),
    "out_of_range_uint8": (lambda i: f'{{"id": {i}, "v": 1, "small": {300 + i}, "s": "x"}}'.encode(), "small",
                           "out of range"),
    "negative_into_uint32": (lambda i: f'{{"id": {i}, "v": -{i + 1}, "small": 1, "s": "x"}}'.encode(), "v",
                             "out of range"),
    "uint32_overflow": (lambda i: f'{{"id": {i}, "v": {2**32 + i}, "small": 1, "s": "x"}}'.encode(), "v",
                        "out of range"),
    "object_into_int": (lambda i: f'{{"id": {i}, "v": {{"x": 1}}, "small": 1, "s": "x"}}'.encode(), "v",
                        "got an object"),
    "fraction_into_int": (lambda i: f'{{"id": {i}, "v": 1.5, "small": 1, "s": "x"}}'.encode(), "v", None),
}


def test_bad_messages_are_logged_and_skipped_and_never_stall_a_partition(ctx):
    ctx.create_topic(4)
    ctx.create_table(COLUMNS)
    total = 1600
    kinds = list(BAD_KINDS)
    plan = []  # per index: "good", "tombstone" or a bad kind
    for i in range(total):
        if i >= total - 8:
            # The tail of every partition is bad: partitions 0,1 end in bad
            # rows, 2,3 in tombstones, so a batch of no rows must still commit.
            plan.append(kinds[i % len(kinds)] if i % 4 < 2 else "tombstone")
        elif i % 23 == 0:
            plan.append(kinds[(i // 23) % len(kinds)])
        elif i % 37 == 0:
            plan.append("tombstone")
        else:
            plan.append("good")
    values = []
    for i, k in enumerate(plan):
        if k == "good":
            values.append(good(i))
        elif k == "tombstone":
            values.append(None)
        else:
            values.append(BAD_KINDS[k][0](i))
    n_bad = sum(1 for k in plan if k in BAD_KINDS)
    n_tomb = plan.count("tombstone")
    good_ids = [i for i, k in enumerate(plan) if k == "good"]
    assert n_bad < 100, "keep under chute's per-interval limit of individually logged bad messages"

    chute = ctx.start_chute(ctx.config({"batch": {"max_rows": 200, "max_wait": "200ms"},
                                        "stats_interval": "1h"}))
    # Produce in two halves with chute running, so bad messages land in the
    # middle and at the end of batches.
    half = total // 2
    ctx.produce(values[:half], start_index=0, track=True)
    ctx.wait_count(sum(1 for k in plan[:half] if k == "good"), timeout=60)
    ctx.produce(values[half:], start_index=half, track=True)

    ctx.wait_count(len(good_ids), timeout=60)
    ctx.wait_committed(ctx.produced, timeout=60)
    time.sleep(1.0)
    ctx.check(chute.alive(), f"chute exited ({chute.proc.returncode}) because of bad messages")

    ids = sorted(int(x) for x in ctx.ch(f"SELECT id FROM default.{ctx.table} ORDER BY id").split())
    ctx.check(ids == good_ids, f"ids in the table differ from the good ones: "
                               f"missing {sorted(set(good_ids) - set(ids))[:10]}, "
                               f"extra {sorted(set(ids) - set(good_ids))[:10]}")
    got = ctx.ch_rows(f"SELECT sum(v) AS v, sum(small) AS small, sum(length(s)) AS s FROM default.{ctx.table}")[0]
    want = {"v": sum(i * 3 for i in good_ids), "small": sum(i % 200 for i in good_ids),
            "s": sum(len(f"ok {i}") for i in good_ids)}
    ctx.check({k: int(v) for k, v in got.items()} == want, f"values: got {got}, expected {want}")

    # Every bad message is named by topic[partition]@offset, with its column.
    by_value = {v: (p, o) for p, o, v in ctx.delivered if v is not None}
    log = chute.log()
    problems = []
    for i, k in enumerate(plan):
        if k not in BAD_KINDS:
            continue
        _, column, fragment = BAD_KINDS[k]
        p, o = by_value[values[i]]
        pat = re.compile(r"WARN  bad message " + re.escape(f"{ctx.topic}[{p}]@{o}") + r" \(.*$", re.M)
        m = pat.search(log)
        if not m:
            problems.append(f"message {i} ({k}) at [{p}]@{o}: no 'bad message' log line")
            continue
        line = m.group(0)
        if column and f"column '{column}'" not in line:
            problems.append(f"message {i} ({k}): log line does not name column '{column}': {line}")
        if fragment and fragment not in line:
            problems.append(f"message {i} ({k}): log line lacks {fragment!r}: {line}")
    ctx.check(not problems, "bad-message logging:\n  " + "\n  ".join(problems))
    n_lines = len(re.findall(r"WARN  bad message ", log))
    ctx.check(n_lines == n_bad, f"{n_lines} 'bad message' lines, expected {n_bad} (tombstones are not bad)")

    rc = ctx.sigterm(chute, 30)
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM")
    totals = parse_totals(chute.log())
    ctx.check(totals is not None, "no totals line at shutdown")
    want_totals = {"messages": total, "rows": len(good_ids), "bad": n_bad, "empty": n_tomb}
    got_totals = {k: totals[k] for k in want_totals}
    ctx.check(got_totals == want_totals, f"totals {got_totals} != {want_totals}")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != end of every partition {ctx.produced}")
    ctx.assert_no_hangs()


# Regression test for a CHUTE BUG this suite found: for a message that is not
# JSON at all, src/map/row.c guessed what it "got" from the first byte only,
# so "this is not json" was logged as "message is not a JSON object: got a
# boolean" ('n...' as "got null", a digit or '-' as "got a number"). Fixed in
# 199df47 ("Report invalid JSON as invalid, not as the kind its first byte
# suggests"); it was an xfail(strict) test until then.
def test_bug_non_json_text_is_not_described_as_a_boolean_null_or_number(ctx):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    texts = [b"this is not json", b"false alarm", b"nothing here", b"42 apples", b"-- comment", b"trueish"]
    ctx.produce(texts + [good(1000)], track=True)
    chute = ctx.start_chute(ctx.config({"stats_interval": "1h"}))
    ctx.wait_count(1, timeout=60)
    ctx.wait_committed(ctx.produced, timeout=30)
    log = chute.log()
    ctx.sigterm(chute, 30)
    wrong = [line for line in log.splitlines() if "bad message" in line and
             re.search(r"got (a boolean|null|a number);", line)]
    assert not wrong, "non-JSON text described as a JSON value:\n" + "\n".join(wrong)


def test_batches_with_no_rows_count_no_insert_retries(ctx):
    """Regression: the totals line derived retries as attempts - batches, and
    a batch of only bad messages or tombstones is closed without an insert
    (0 attempts), so it printed "18446744073709551612 insert retries"."""
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"batch": {"max_rows": 5, "max_wait": "100ms"}}))
    msgs = [f"garbage #{i} {{".encode() for i in range(20)] + [None] * 5
    ctx.produce(msgs)
    ctx.wait_committed({0: len(msgs)}, timeout=60)
    ctx.produce([good(i) for i in range(7)])
    ctx.wait_count(7, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    totals = parse_totals(chute.log())
    ctx.check(totals is not None, "no totals line at shutdown")
    got = {k: totals[k] for k in ("messages", "rows", "bad", "empty", "retries")}
    ctx.check(got == {"messages": 32, "rows": 7, "bad": 20, "empty": 5, "retries": 0}, f"totals {got}")
