"""
100,000 JSON events over 4 partitions → exactly 100,000 correct rows, and the
end-to-end rate from chute's start to the last row being visible.
"""
import time

from it_helpers import (RESULTS_DIR, EVENT_COLUMNS, checksum_sql, compare_checksums, compare_row, event,
                     event_checksums, events, full_row_sql)

N = 100_000


def test_bulk_100k_events_arrive_exactly_once_with_correct_values(ctx):
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    t_prod = time.monotonic()
    ctx.produce(events(0, N))
    prod_s = time.monotonic() - t_prod
    ctx.check(ctx.produced == {p: N // 4 for p in range(4)}, f"uneven partitions: {ctx.produced}")

    chute = ctx.start_chute(ctx.config({"batch": {"max_rows": 50000, "max_wait": "500ms"}}))
    t_seen = ctx.wait_count(N, timeout=180)
    seconds = t_seen - chute.started
    rate = N / seconds
    line = f"THROUGHPUT rows={N} seconds={seconds:.3f} rows_per_s={rate:.0f}"
    print(f"\n{line} (producing took {prod_s:.2f}s)")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "throughput.txt").write_text(
        line + f"\n# {time.strftime('%Y-%m-%dT%H:%M:%S')} chute start -> last row visible; "
               f"topic {ctx.topic}, 4 partitions, ~{sum(len(e) for e in events(0, 100)) // 100} B/message, "
               f"batch.max_rows 50000, 2 insert workers\n")

    # Exactly N: nothing lost, nothing doubled (no faults in this test).
    time.sleep(1.0)  # a duplicate batch would show up late
    ctx.check(ctx.count() == N, f"count() = {ctx.count()}, expected {N}")
    ctx.check(ctx.uniq_ids() == N, f"uniqExact(id) = {ctx.uniq_ids()}, expected {N}")

    got = ctx.ch_rows(checksum_sql(ctx.table))[0]
    bad = compare_checksums(event_checksums(range(N)), got)
    ctx.check(not bad, "checksum mismatch:\n  " + "\n  ".join(bad))

    # Full rows, field by field: every timestamp form, escapes, nulls, arrays,
    # first/last of each partition.
    sample = sorted({0, 1, 2, 3, 4, 5, 11, 33, 55, 99, 1234, 4999, 50000, 77777, N - 4, N - 3, N - 2, N - 1})
    rows = {r["id"]: r for r in ctx.ch_rows(full_row_sql(ctx.table, sample))}
    problems = []
    for i in sample:
        if i not in rows:
            problems.append(f"id {i} missing")
            continue
        problems += compare_row(event(i)[1], rows[i])
    ctx.check(not problems, "row mismatch:\n  " + "\n  ".join(problems))

    rc = ctx.sigterm(chute, 40)
    ctx.check(rc in (0, None), f"chute exited {rc} on SIGTERM")
    com = ctx.committed()
    ctx.check(com == ctx.produced, f"committed {com} != produced {ctx.produced}")
    ctx.assert_no_hangs()
