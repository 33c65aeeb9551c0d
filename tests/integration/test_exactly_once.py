"""
Exactly-once delivery (docs/delivery.md) against the real Kafka broker and
the real ClickHouse 18.16 server. 18.16 has no insert_deduplication_token,
so these runs exercise the offset-column check: the recorded range is
rebuilt after a crash and only the offsets missing from the table are
inserted. Every case ends with the table's own proof:
count() = uniqExact(_topic, _partition, _offset) = messages produced.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO
from it_helpers import EVENT_COLUMNS, BackgroundProducer, events

META_COLUMNS = EVENT_COLUMNS + ", _topic String, _partition Int32, _offset Int64"
META = {"_topic": {"meta": "topic"}, "_partition": {"meta": "partition"}, "_offset": {"meta": "offset"}}
FAST_SESSION = {"properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}}


# The two kinds of plain MergeTree table exactly-once meets on a modern
# server (docs/delivery.md): window 0 (the default), where a token drops
# nothing and the offset check does the work, and one with a deduplication
# window, where the token drops a re-sent batch. 18.16 has neither token nor
# window: there "window-0" is the offset check alone.
WINDOW_SETTINGS = {"window-0": "", "dedup-window": "non_replicated_deduplication_window = 1000"}


@pytest.fixture(params=sorted(WINDOW_SETTINGS))
def eo_table(request, ctx) -> str:
    """Creates the test's META_COLUMNS table of the parametrized kind."""
    if request.param == "dedup-window":
        ctx.needs_modern("non_replicated_deduplication_window and insert_deduplication_token")
    ctx.create_table(META_COLUMNS, settings=WINDOW_SETTINGS[request.param])
    return request.param


def failpoint_binary() -> Path:
    """build-chaos/chute (cmake -DCHUTE_FAILPOINTS=ON); scripts/test.sh builds it."""
    path = Path(os.environ.get("CHUTE_FAILPOINT_BIN", REPO / "build-chaos" / "chute"))
    if not path.exists():
        pytest.skip(f"{path} missing: build it with cmake -B build-chaos -DCHUTE_FAILPOINTS=ON")
    return path


def eo_config(ctx, **batch):
    return ctx.config({
        "delivery": "exactly-once",
        "batch": {"max_rows": 2000, "max_wait": "200ms", **batch},
        "kafka": FAST_SESSION,
        "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}],
    })


def table_proof(ctx) -> tuple[int, int]:
    row = ctx.ch_rows(f"SELECT count() AS n, uniqExact(_topic, _partition, _offset) AS u "
                      f"FROM default.{ctx.table}")[0]
    return int(row["n"]), int(row["u"])


def assert_exactly_once(ctx, n: int):
    total = sum(ctx.produced.values())
    ctx.check(total == n, f"produced {total}, expected {n}")
    count, uniq = table_proof(ctx)
    missing = ctx.ch_rows(
        f"SELECT _partition AS p, count() AS n, min(_offset) AS lo, max(_offset) AS hi "
        f"FROM default.{ctx.table} GROUP BY p ORDER BY p")
    per_part = {int(r["p"]): (int(r["n"]), int(r["lo"]), int(r["hi"])) for r in missing}
    print(f"\nEXACTLY-ONCE count={count} uniq={uniq} produced={n} per partition={per_part} "
          f"produced per partition={ctx.produced}")
    ctx.check(uniq == n, f"uniqExact(_topic, _partition, _offset) = {uniq}, expected {n} (lost rows)")
    ctx.check(count == n, f"count() = {count}, expected {n}: {count - uniq} rows doubled")
    for p, produced in ctx.produced.items():
        got = per_part.get(p, (0, 0, -1))
        ctx.check(got == (produced, 0, produced - 1), f"partition {p}: (count, min, max) = {got}, "
                  f"expected ({produced}, 0, {produced - 1})")


def test_table_without_offset_columns_is_refused_where_nothing_deduplicates(ctx):
    """E2 on 18.16 (no insert_deduplication_token), E1 on a modern server (a
    plain MergeTree with non_replicated_deduplication_window = 0, the
    default): a replay could not be detected, so chute refuses to start."""
    ctx.create_topic(1)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"delivery": "exactly-once"})
    rc, out, _ = ctx.run_chute_once(cfg, 60)
    ctx.check(rc == 2, f"exit {rc}, expected 2\n{out}")
    if ctx.modern:
        ctx.check(re.search(r"delivery: exactly-once: route .* -> (default\.it_\w+): exactly-once needs "
                            r"deduplication, but \1 is a non-replicated MergeTree with non_replicated_deduplication_"
                            r"window = 0 and no offset columns\. Fix one: ALTER TABLE \1 MODIFY SETTING "
                            r"non_replicated_deduplication_window = 1000", out),
                  f"no E1 refusal naming the route, the window and the fix:\n{out}")
    else:
        ctx.check(re.search(r"delivery: exactly-once: route .* -> default\.it_\w+: ClickHouse 18\.16\S* "
                            r"has no insert_deduplication_token \(needs 22\.2\+\) and .* has no offset "
                            r"columns", out),
                  f"no refusal naming the route, the version and the missing columns:\n{out}")
    ctx.check("delivery: at-least-once" in out, f"the refusal does not say how to opt out:\n{out}")


def test_start_up_says_which_deduplication_each_table_gets(ctx, eo_table):
    """A window-0 table with offset columns runs with the offset check (and a
    WARN that names the ALTER that closes the zombie gap); a table with a
    window runs with the token, and the offset check lifts its limit."""
    ctx.create_topic(1)
    c = ctx.start_chute(eo_config(ctx))
    m = c.wait_log(r"delivery: exactly-once for \S+ -> \S+: ([^\n]*)", 30, "the delivery plan line")
    text = c.log()
    if not ctx.modern:
        ctx.check(m.group(1) == "the offset check on recovery", f"plan: {m.group(1)}")
    elif eo_table == "window-0":
        ctx.check(m.group(1) == "insert_deduplication_token and the offset check on recovery",
                  f"plan: {m.group(1)}")
        ctx.check(re.search(r"WARN .*non_replicated_deduplication_window is 0, so the server drops no "
                            r"replay: a recovery reads the offsets already in the table", text),
                  f"no WARN about window 0:\n{text}")
    else:
        ctx.check(m.group(1) == "insert_deduplication_token and the offset check on recovery",
                  f"plan: {m.group(1)}")
        ctx.check("non_replicated_deduplication_window is 0" not in text, f"window-0 WARN on a window table")
    ctx.produce(events(0, 100))
    ctx.wait_count(100, timeout=60)
    ctx.check(ctx.sigterm(c, 30) == 0, "chute did not stop cleanly")


def test_engine_that_cannot_deduplicate_is_refused(ctx):
    ctx.create_topic(1)
    ctx.ch(f"CREATE TABLE default.{ctx.table}_data ({META_COLUMNS}) ENGINE = MergeTree ORDER BY id")
    ctx.ch(f"CREATE TABLE default.{ctx.table} AS default.{ctx.table}_data "
           f"ENGINE = Buffer(default, {ctx.table}_data, 1, 1, 2, 1, 100, 1, 1000)")
    rc, out, _ = ctx.run_chute_once(eo_config(ctx), 60)
    ctx.check(rc == 2, f"exit {rc}, expected 2\n{out}")
    ctx.check("engine Buffer cannot deduplicate inserts" in out, f"no engine refusal:\n{out}")
    ctx.ch(f"DROP TABLE default.{ctx.table}_data")


def test_a_user_who_may_not_insert_with_the_settings_is_refused_at_start_up(ctx):
    """E4: exactly-once's insert settings are tried once at start-up with an
    empty insert. A user whose profile forbids them (here readonly=1, the one
    way 18.16 has; newer servers also have settings constraints) stops chute
    with exit 2 and the server's reason, instead of an ERROR per batch."""
    ctx.create_topic(1)
    ctx.create_table(META_COLUMNS)
    cfg = ctx.config({"delivery": "exactly-once", "clickhouse": {"user": "chute_readonly"},
                      "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}]})
    rc, out, _ = ctx.run_chute_once(cfg, 60)
    ctx.check(rc == 2, f"exit {rc}, expected 2\n{out}")
    ctx.check(re.search(r"delivery: exactly-once: route .* -> default\.it_\w+: the server refused an insert "
                        r"with the settings exactly-once needs \(insert_deduplicate=1%s\): .*readonly.*; "
                        r"allow them and inserts for user chute_readonly, or set delivery: at-least-once"
                        % (r", async_insert=0, insert_deduplication_token" if ctx.modern else ""), out),
              f"no E4 refusal naming the route, the settings and the user:\n{out}")
    ctx.check(ctx.count() == 0, "the probe wrote rows")


def test_crash_after_the_insert_before_the_commit_is_not_doubled(ctx, eo_table):
    """The failpoint insert.acked kills chute between ClickHouse's acknowledgement
    and the offset commit: the worst moment for at-least-once. The restart must
    find the recorded range, see its rows in the table and insert none of them."""
    binary = failpoint_binary()
    n = 20_000
    ctx.create_topic(1)
    ctx.produce(events(0, n))
    cfg = eo_config(ctx, max_rows=1000)
    first = ctx.start_chute(cfg, binary=binary, env={"CHUTE_FAILPOINTS": "insert.acked=kill@4"})
    rc = first.wait(60)
    ctx.check(rc == -signal.SIGKILL, f"chute exit {rc}, expected SIGKILL at the failpoint\n{first.tail()}")
    ctx.check("failpoint insert.acked: killing" in first.log(), f"failpoint did not fire:\n{first.tail()}")
    before, _ = table_proof(ctx)
    ctx.check(before > 0, "nothing was inserted before the kill; the test proves nothing")

    second = ctx.start_chute(cfg)
    ctx.wait_committed({0: n}, timeout=90)
    m = second.wait_log(r"recovering: re-inserting the recorded range (\d+)\.\.(\d+) \((\d+) of its offsets "
                        r"already in", 30, "a recovery of the recorded range")
    lo, hi, present = int(m.group(1)), int(m.group(2)), int(m.group(3))
    ctx.check(present == hi - lo + 1, f"the recorded range {lo}..{hi} was acknowledged before the kill, "
              f"but the check found only {present} of its offsets")
    assert_exactly_once(ctx, n)
    ctx.check(ctx.sigterm(second, 40) in (0, None), "restarted chute did not stop cleanly")
    ctx.assert_no_hangs()


def test_kill9_at_random_moments_loses_and_doubles_nothing(ctx, eo_table):
    """kill -9 at random times under load. Inserts into 18.16 take a few ms, so
    most kills land between ranges; the failpoint loop below aims at them."""
    n, kills = 60_000, 6
    ctx.create_topic(4)
    cfg = eo_config(ctx)
    prod = BackgroundProducer(ctx, 0, n, rate=4000, chunk=500)
    prod.start()
    rnd = random.Random(os.environ.get("CHUTE_IT_SEED", "eo-kill9"))
    logs = []
    for _ in range(kills):
        c = ctx.start_chute(cfg)
        c.wait_log(r"kafka: assigned", 60, "partitions assigned")
        time.sleep(rnd.uniform(0.5, 3.0))
        c.kill9()
        logs.append(c.log())
        time.sleep(rnd.uniform(0.0, 0.5))
    last = ctx.start_chute(cfg)
    prod.join_checked()
    ctx.wait_committed(dict(ctx.produced), timeout=180)
    logs.append(last.log())
    recoveries = sum(len(re.findall(r"recovering: re-inserting", text)) for text in logs)
    print(f"\nKILLS={kills} recoveries of a recorded range={recoveries}")
    assert_exactly_once(ctx, n)
    ctx.check(ctx.sigterm(last, 40) in (0, None), "last chute did not stop cleanly")
    ctx.assert_no_hangs()


def test_crashes_at_every_step_of_the_protocol_lose_and_double_nothing(ctx, eo_table):
    """Rounds of chute under load, each armed to SIGKILL itself at a random hit
    of one step: right after the range is recorded, with the body on the wire,
    after the acknowledgement. A static group member (group.instance.id) gets
    its partitions back at once, so the next round replays the pending ranges."""
    binary = failpoint_binary()
    n = 40_000
    ctx.create_topic(4)
    cfg = ctx.config({
        "delivery": "exactly-once",
        "batch": {"max_rows": 1000, "max_wait": "100ms"},
        "kafka": {"properties": {"group.instance.id": "eo-static-1", "session.timeout.ms": "6000",
                                 "heartbeat.interval.ms": "1000"}},
        "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}],
    })
    prod = BackgroundProducer(ctx, 0, n, rate=3000, chunk=300)
    prod.start()
    points = ["eo.recorded", "insert.mid_body", "insert.acked"]
    fired: dict[str, int] = {p: 0 for p in points}
    recoveries = 0
    rounds = 9
    for k in range(rounds):
        point = points[k % len(points)]
        c = ctx.start_chute(cfg, binary=binary, env={"CHUTE_FAILPOINTS": f"{point}=kill%8"})
        try:
            c.proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            c.kill9()  # the dice never fired: a plain kill -9 then
        text = c.log()
        if f"failpoint {point}: killing" in text:
            fired[point] += 1
        recoveries += len(re.findall(r"recovering: re-inserting", text))
    last = ctx.start_chute(cfg)
    prod.join_checked()
    ctx.wait_committed(dict(ctx.produced), timeout=180)
    recoveries += len(re.findall(r"recovering: re-inserting", last.log()))
    print(f"\nFAILPOINT ROUNDS={rounds} fired={fired} recoveries={recoveries}")
    ctx.check(all(v > 0 for v in fired.values()), f"a failpoint never fired: {fired}")
    ctx.check(recoveries >= rounds // 2, f"only {recoveries} recoveries in {rounds} crash rounds")
    assert_exactly_once(ctx, n)
    ctx.check(ctx.sigterm(last, 40) in (0, None), "last chute did not stop cleanly")
    ctx.assert_no_hangs()


def test_connection_cut_after_the_body_is_replayed_with_the_offset_check(ctx, eo_table, proxy_factory):
    """Regression: a proxy forwards whole inserts and then cuts the connection
    instead of returning the answer (outcome unknown). Retrying the identical
    batch in the same process doubled it wherever nothing on the server drops
    a re-sent batch: 18.16 (no token) and, on 26.9, a token on a window-0
    table (2000 of 8000 rows doubled). There chute must replay the range like
    a new owner would: wait for the insert's query_id to leave
    system.processes, read which offsets the table has, insert only the
    others. With a deduplication window the identical batch and token are
    re-sent and the server drops the copy. (A proxy, because no real server
    can be made to drop the answer after it inserted.)"""
    n, cuts = 6_000, 4
    proxy = proxy_factory(ctx.env.ch_url, "cut", faults=cuts)
    ctx.create_topic(1)
    cfg = ctx.config({
        "delivery": "exactly-once",
        "clickhouse": {"url": proxy.url},
        "batch": {"max_rows": 500, "max_wait": "100ms"},
        "topics": [{"topic": ctx.topic, "table": ctx.table, "columns": META}],
    })
    ctx.produce(events(0, n))
    c = ctx.start_chute(cfg)
    ctx.wait_committed({0: n}, timeout=120)
    replays = re.findall(r"recovering: re-inserting the recorded range \d+\.\.\d+ \((\d+) of its offsets",
                         c.log())
    print(f"\nCUTS={proxy.injected} replays={len(replays)} found present={replays}")
    ctx.check(proxy.injected == cuts, f"the proxy cut {proxy.injected} inserts, expected {cuts}")
    if eo_table == "window-0":
        ctx.check(len(replays) >= cuts, f"{len(replays)} replays after {cuts} cuts:\n{c.tail()}")
        ctx.check(any(int(k) > 0 for k in replays),
                  "no replay found its rows in the table: the cuts did not come after the insert")
    else:
        resent = len(re.findall(r"re-sending the identical batch", c.log()))
        ctx.check(resent >= cuts and not replays,
                  f"{resent} identical re-sends and {len(replays)} replays after {cuts} cuts, "
                  f"expected the token's re-sends only:\n{c.tail()}")
    assert_exactly_once(ctx, n)
    ctx.check(ctx.sigterm(c, 40) in (0, None), "chute did not stop cleanly")
    ctx.assert_no_hangs()
