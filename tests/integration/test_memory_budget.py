"""
memory_budget (docs/configuration.md): with ClickHouse down and a producer
at full speed, chute pauses partitions once its batches hold the budget,
instead of growing a batch, a waiting batch and a backlog per partition.
Its resident memory stays under the budget plus a fixed overhead for the
whole outage, and consumption resumes by itself when the server is back.

The outage lasts CHUTE_IT_OUTAGE_S seconds (60 in the test suite; the
5-minute figure in docs/configuration.md comes from CHUTE_IT_OUTAGE_S=300).
"""
from __future__ import annotations

import json
import os
import threading
import time

# 8 partitions x (a batch in flight + one waiting + one open) x 8 MiB is
# 192 MiB of batches without a budget; the budget allows 48.
PARTITIONS = 8
BUDGET_MIB = 48
MAX_BYTES_MIB = 8
# librdkafka's prefetch queue (chute sets queued.max.messages.kbytes to
# 16 MiB), its fetch buffers and per-partition state, the heap's slack.
OVERHEAD_MIB = 56
PAYLOAD = "x" * 1000


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rows(start: int, n: int) -> list[bytes]:
    return [json.dumps({"id": i, "payload": PAYLOAD}).encode() for i in range(start, start + n)]


def test_rss_stays_under_the_budget_while_clickhouse_is_down(ctx):
    outage = float(os.environ.get("CHUTE_IT_OUTAGE_S", "60"))
    ctx.create_topic(PARTITIONS)
    ctx.create_table("id UInt64, payload String")
    cfg = ctx.config({
        "memory_budget": f"{BUDGET_MIB}MiB",
        "batch": {"max_rows": 1_000_000, "max_bytes": f"{MAX_BYTES_MIB}MiB", "max_wait": "1s"},
        "retry": {"initial_backoff": "100ms", "max_backoff": "2s"},
        "stats_interval": "5s",
    })
    chute = ctx.start_chute(cfg)
    n = ctx.produce(rows(0, 20_000))
    ctx.wait_uniq(n, timeout=60)
    base = rss_mib(chute.pid)

    ctx.env.stop_clickhouse(kill=True)
    # Full speed for the whole outage: far more than the batches could hold.
    stop = threading.Event()
    produced = {"n": n}

    def produce():
        i = n
        while not stop.is_set() and i < n + 600_000:
            i = ctx.produce(rows(i, 10_000), start_index=i, flush=False)
            produced["n"] = i
        ctx.flush()

    prod = threading.Thread(target=produce, daemon=True)
    prod.start()
    peak = base
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < outage:
            assert chute.alive(), f"chute exited during the outage\n{chute.tail()}"
            peak = max(peak, rss_mib(chute.pid))
            time.sleep(0.25)
    finally:
        stop.set()
        prod.join(180)
        ctx.env.start_clickhouse()
    total = produced["n"]
    produced_mib = (total - n) * (len(PAYLOAD) + 30) / 2**20
    print(f"\nMEMORY outage={outage:.0f}s produced={total - n} (~{produced_mib:.0f} MiB) "
          f"rss base={base:.1f} MiB peak={peak:.1f} MiB budget={BUDGET_MIB} MiB "
          f"limit={BUDGET_MIB + OVERHEAD_MIB} MiB")
    ctx.check(produced_mib > 3 * PARTITIONS * MAX_BYTES_MIB,
              f"only {produced_mib:.0f} MiB produced: the test proves nothing")
    ctx.check(peak <= BUDGET_MIB + OVERHEAD_MIB,
              f"RSS peaked at {peak:.1f} MiB, over the {BUDGET_MIB} MiB budget + {OVERHEAD_MIB} MiB")
    chute.wait_log(r"memory: the batches hold \d+ MiB of the 48 MiB memory_budget; partitions pause", 5)

    ctx.wait_uniq(total, timeout=300)
    rc = ctx.sigterm(chute, 60)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.check(ctx.uniq_ids() == total, f"uniq {ctx.uniq_ids()} of {total}")
    ctx.assert_no_hangs()
