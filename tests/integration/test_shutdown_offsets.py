"""
Graceful shutdown (SIGTERM): chute exits 0 within the shutdown timeout, and
the committed offsets describe exactly the rows in the table.

Message i goes to partition i % 4 from one idempotent producer into a fresh
topic, so its offset is i // 4: "committed offset c of partition p" means
exactly the ids {i : i % 4 == p and i // 4 < c} are in the table.
"""
import time

from it_helpers import EVENT_COLUMNS, BackgroundProducer, events


def per_partition_rows(ctx) -> dict:
    rows = ctx.ch_rows(f"SELECT id % 4 AS p, count() AS n, uniqExact(id) AS u, max(intDiv(id, 4)) AS max_off "
                       f"FROM default.{ctx.table} GROUP BY p ORDER BY p")
    return {int(r["p"]): r for r in rows}


def check_rows_match_commits(ctx, committed: dict):
    rows = per_partition_rows(ctx)
    for p in range(ctx.partitions):
        c = committed.get(p, 0)
        r = rows.get(p, {"n": 0, "u": 0, "max_off": -1})
        if c == 0:
            ctx.check(r["n"] == 0, f"partition {p}: nothing committed but {r['n']} rows in the table")
            continue
        ctx.check(r["n"] == c and r["u"] == c and r["max_off"] == c - 1,
                  f"partition {p}: committed offset {c}, but the table holds {r['n']} rows "
                  f"({r['u']} distinct, highest offset {r['max_off']})")


def test_sigterm_while_messages_flow_exits_0_and_commits_exactly_the_inserted_rows(ctx):
    n = 60_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 3000, "max_wait": "300ms"}, "shutdown_timeout": "15s"})
    prod = BackgroundProducer(ctx, 0, n, rate=5000, chunk=500)  # ~12 s of traffic
    prod.start()
    chute = ctx.start_chute(cfg)
    ctx.wait_count(10_000, timeout=60)
    ctx.check(prod.is_alive(), "the producer finished before SIGTERM; the test proves nothing")

    t_term = time.monotonic()
    rc = ctx.sigterm(chute, 15 + 10)
    took = time.monotonic() - t_term
    log = chute.log()
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM (expected 0)")
    ctx.check(rc is None or took <= 15 + 1, f"chute took {took:.1f}s to stop; shutdown_timeout is 15s")
    ctx.check("stopped cleanly" in log, "no 'stopped cleanly' line")
    prod.join_checked()

    rows = ctx.count()
    com = ctx.committed()
    print(f"\nSIGTERM-FLOWING stop took {took:.2f}s, rows={rows} committed={com} (sum {sum(com.values())}), "
          f"produced={sum(ctx.produced.values())}")
    ctx.check(0 < rows < n, f"{rows} rows: expected some but not all of {n}")
    ctx.check(sum(com.values()) == rows, f"sum of committed offsets {sum(com.values())} != count() {rows}")
    ctx.check(ctx.uniq_ids() == rows, f"duplicates after a clean stop: count {rows}, uniq {ctx.uniq_ids()}")
    check_rows_match_commits(ctx, com)
    ctx.assert_no_hangs()


def test_sigterm_after_everything_arrived_commits_every_partition_to_its_end(ctx):
    n = 20_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    ctx.produce(events(0, n))
    chute = ctx.start_chute(ctx.config({"batch": {"max_rows": 3000, "max_wait": "300ms"},
                                        "shutdown_timeout": "15s"}))
    ctx.wait_count(n, timeout=90)
    rc = ctx.sigterm(chute, 25)
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM (expected 0)")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != produced per partition {ctx.produced}")
    ctx.check(ctx.count() == n and ctx.uniq_ids() == n, f"count {ctx.count()}, uniq {ctx.uniq_ids()}, expected {n}")
    check_rows_match_commits(ctx, com)
    ctx.assert_no_hangs()
