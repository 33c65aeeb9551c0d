"""
Case 5: three chute instances in one consumer group, members leaving and
joining every few seconds (SIGTERM and kill -9 mixed), under load.

librdkafka 2.0.2 (Debian) has a known bug (confluentinc/librdkafka#4059):
a commit during a cooperative re-join fails with ILLEGAL_GENERATION and the
member's partitions are treated as lost, so batches are read again. In
at-least-once mode only lost = 0 is asserted; in exactly-once mode
duplicated = 0 too.
"""
import time


def test_three_members_join_and_leave(world, prof):
    w = world
    w.setup(6)
    prod = w.produce(10**9, prof.rate / 2)
    cfgs = [w.config() for _ in range(3)]
    slots = [w.start(cfgs[i], name=f"m{i}-0") for i in range(3)]
    gen = [0, 0, 0]
    time.sleep(3)
    t_end = time.monotonic() + prof.churn_seconds
    while time.monotonic() < t_end:
        time.sleep(w.rng.uniform(1.5, 4))
        i = w.rng.randrange(3)
        c = slots[i]
        if c is not None and c.alive():
            if w.rng.random() < 0.5:
                rc = c.sigterm(30)
                w.fig.fault("member SIGTERM")
                if rc != 0:
                    w.say(f"{c.name} exited {rc} on SIGTERM\n{c.tail(8)}")
            else:
                c.kill9()
                w.fig.fault("member kill -9")
            slots[i] = None
        else:
            if c is not None:
                w.say(f"{c.name} had exited on its own ({c.proc.returncode})\n{c.tail(8)}")
            gen[i] += 1
            slots[i] = w.start(cfgs[i], name=f"m{i}-{gen[i]}")
            w.fig.fault("member join")
    for i in range(3):
        if slots[i] is None or not slots[i].alive():
            gen[i] += 1
            slots[i] = w.start(cfgs[i], name=f"m{i}-{gen[i]}")
    prod.stop()
    w.finish(drain_timeout=240)
