"""
Faults: chute killed with SIGKILL mid-stream, ClickHouse down mid-stream, and
a second signal during a shutdown that cannot finish. At-least-once: every
message must end up in the table (duplicates allowed and reported).
"""
import os
import random
import re
import signal
import time

import pytest

from it_helpers import EVENT_COLUMNS, BackgroundProducer, events


def dupes(ctx) -> int:
    return ctx.count() - ctx.uniq_ids()


# A member that dies without leaving the group holds its partitions until its
# session times out (librdkafka's default is 45 s); keep that short here.
FAST_SESSION = {"properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}}


def test_kill9_mid_stream_then_restart_loses_nothing(ctx):
    n = 60_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 2000, "max_wait": "200ms"}, "kafka": FAST_SESSION})
    prod = BackgroundProducer(ctx, 0, n, rate=6000, chunk=500)
    prod.start()
    first = ctx.start_chute(cfg)
    ctx.wait_count(n // 4, timeout=90)
    time.sleep(random.uniform(0.0, 0.7))  # land anywhere between batches, inserts and commits
    visible = ctx.count()
    first.kill9()
    ctx.check(first.proc.returncode == -signal.SIGKILL, f"chute exit {first.proc.returncode}, expected SIGKILL")
    ctx.check(visible < n, f"all {n} rows were already visible before the kill; the test proves nothing")
    committed_at_kill = ctx.committed()
    time.sleep(1.0)

    second = ctx.start_chute(cfg)
    prod.join_checked()
    ctx.wait_uniq(n, timeout=120)
    d = dupes(ctx)
    print(f"\nKILL9 rows visible at kill={visible} committed at kill={sum(committed_at_kill.values())} "
          f"final count={ctx.count()} uniq={ctx.uniq_ids()} duplicates={d}")
    ctx.check(ctx.uniq_ids() == n, f"uniqExact(id) = {ctx.uniq_ids()}, expected {n}")
    ctx.check(d >= 0, "negative duplicates?")

    rc = ctx.sigterm(second, 40)
    ctx.check(rc in (0, None), f"restarted chute exited {rc} on SIGTERM")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != produced {ctx.produced}")
    ctx.assert_no_hangs()


def test_clickhouse_down_10s_mid_stream_rows_arrive_after_restart(ctx):
    n = 60_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 5000, "max_wait": "200ms"},
                      "retry": {"initial_backoff": "100ms", "max_backoff": "1s"}})
    prod = BackgroundProducer(ctx, 0, n, rate=3000, chunk=500)  # ~20 s of traffic
    prod.start()
    chute = ctx.start_chute(cfg)
    ctx.wait_count(3000, timeout=60)
    before = ctx.count()

    t_stop = time.monotonic()
    took = ctx.env.stop_clickhouse(kill=os.environ.get("CHUTE_IT_CH_STOP") != "term")
    print(f"\nstop-clickhouse took {took:.1f}s")
    time.sleep(10)
    ctx.check(chute.alive(), f"chute exited ({chute.proc.returncode}) while ClickHouse was down")
    ctx.env.start_clickhouse()
    outage = time.monotonic() - t_stop

    prod.join_checked()
    ctx.check(before < n, "all rows arrived before the outage; the test proves nothing")
    ctx.wait_uniq(n, timeout=120)
    log = chute.log()
    retries = re.findall(r"WARN  insert of \d+ rows into default\.\S+ failed \(attempt \d+, .*retriable\)", log)
    ctx.check(retries, "no retry warnings in chute's log while ClickHouse was down")
    ctx.check(re.search(r"insert into default\.\S+ succeeded after \d+ attempts", log),
              "no 'succeeded after N attempts' line after ClickHouse came back")
    print(f"\nCH-OUTAGE outage={outage:.1f}s rows before={before} retry warnings={len(retries)} "
          f"count={ctx.count()} uniq={ctx.uniq_ids()} duplicates={dupes(ctx)}")

    rc = ctx.sigterm(chute, 40)
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM after the outage")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != produced {ctx.produced}")
    ctx.assert_no_hangs()


@pytest.mark.parametrize("second", ["SIGINT", "SIGTERM"])
def test_second_signal_during_blocked_shutdown_exits_at_once_and_nothing_is_lost(ctx, second):
    n = 20_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 1000, "max_wait": "200ms"},
                      "shutdown_timeout": "60s", "kafka": FAST_SESSION})
    ctx.produce(events(0, n // 2))
    chute = ctx.start_chute(cfg)
    ctx.wait_count(n // 2, timeout=60)

    ctx.env.stop_clickhouse(kill=True)
    ctx.produce(events(n // 2, n // 2), start_index=n // 2)
    # Let chute take the new messages into batches that cannot be inserted.
    chute.wait_log(r"insert of \d+ rows into \S+ failed \(attempt", timeout=30,
                   what="an insert failing while ClickHouse is down")
    chute.terminate()
    chute.wait_log(r"stopping: flushing batches", timeout=10)
    time.sleep(2.0)
    ctx.check(chute.alive(), f"chute did not wait for the flush (exited {chute.proc.returncode}); "
                             f"shutdown_timeout is 60s and ClickHouse is down")
    t_sig = time.monotonic()
    chute.signal(getattr(signal, second))
    rc = chute.wait(10)
    took = time.monotonic() - t_sig
    ctx.check(rc != 0, "chute exited 0 after a second signal with rows not inserted")
    ctx.check(took < 3.0, f"chute took {took:.1f}s to exit after the second signal")
    ctx.check("chute: second signal, exiting now" in chute.log(), "no 'second signal' line on stderr")
    print(f"\nSECOND-SIGNAL ({second}) exit code {rc} after {took:.2f}s")

    ctx.env.start_clickhouse()
    again = ctx.start_chute(cfg)
    ctx.wait_uniq(n, timeout=120)
    print(f"SECOND-SIGNAL after restart count={ctx.count()} uniq={ctx.uniq_ids()} duplicates={dupes(ctx)}")
    rc = ctx.sigterm(again, 80)
    ctx.check(rc in (0, None), f"restarted chute exited {rc} on SIGTERM")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != produced {ctx.produced}")
    ctx.assert_no_hangs()
