"""
Regression test for a CHUTE BUG this suite found: after a SIGTERM, chute
logged "stopped cleanly" and then never exited. Fixed in commit ebd6bff
("Fix hang at exit: stop insert workers before closing the consumer");
before that commit this test failed in 4 of 4 runs.

Where it hung (gdb, main thread):
    rd_kafka_consumer_close () <- rd_kafka_destroy () <- ck_pipeline_destroy
    (src/pipeline/pipeline.c) <- main (src/cli/main.c)

Why (librdkafka debug "cgrp,consumer" showed it): ck_pipeline_run's
rd_kafka_consumer_close() returned after ~3 ms with "Consumer closed with
error: Local: Timed out" (its result was ignored). During close librdkafka
forwards the consumer queue to a temporary queue and pops it with an
infinite timeout; such a pop only returns early when the queue is yielded.
The insert workers call wake_pipeline() -> rd_kafka_queue_yield(consumer
queue) after pushing a finished batch (inserter.c worker_main), i.e. after
the pipeline thread may already have seen the batch through the condition
variable; when that late yield landed during close it ended the close early.
rd_kafka_destroy() then ran consumer close a second time, waiting for a
TERMINATE reply that had gone to the first (destroyed) queue: forever. All
rows were inserted and committed, so nothing was lost, but the process had to
be SIGKILLed.

It is a race between the last insert's wake-up and the close, so this test
stops chute many times while small batches complete continuously.
"""
import time

from it_helpers import EVENT_COLUMNS, BackgroundProducer

ROUNDS = 15


def test_bug_sigterm_while_batches_complete_must_not_hang_after_stopped_cleanly(ctx):
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    n = 200_000
    prod = BackgroundProducer(ctx, 0, n, rate=8000, chunk=400)
    prod.start()
    cfg = ctx.config({"batch": {"max_rows": 100, "max_wait": "50ms"}, "shutdown_timeout": "10s",
                      "stats_interval": "1h"})
    try:
        for r in range(ROUNDS):
            c = ctx.start_chute(cfg, name=f"chute-round{r + 1}")
            c.wait_log(r"kafka: assigned 4 partition\(s\)", timeout=30)
            time.sleep(1.0)
            rc = ctx.sigterm(c, 20)
            if rc is None:
                ctx.hangs[-1] = f"round {r + 1} of {ROUNDS}: " + ctx.hangs[-1]
                break
            ctx.check(rc == 0, f"round {r + 1}: exit code {rc}")
    finally:
        prod.stop_flag.set()
        prod.join(60)
    ctx.assert_no_hangs()
