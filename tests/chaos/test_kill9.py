"""
Case 1: kill -9 of chute at random moments under load, restart, repeat.

A producer runs at a steady rate; chute is SIGKILLed after a random run time
(seeded), restarted at once, and killed again, K times over the producer's
run. The member uses static membership (group.instance.id), so a restarted
process takes its partitions back without waiting out the dead member's
session; kills land in start-up, group join, fetching, inserting and
committing alike. The last process drains the topic and is stopped with
SIGTERM. Then: lost = 0 (both modes), duplicated = 0 (exactly-once).
"""
import time


def test_kill9_under_load(world, prof):
    w = world
    w.setup(partitions=4)
    cfg = w.config(static_id=f"{w.group}-m1")
    n, kills = prof.kill_records, prof.kills
    run_time = n / prof.rate
    mean_gap = max(0.8, run_time / (kills + 1))
    w.say(f"{n} records at {prof.rate}/s (~{run_time:.0f}s), {kills} kills, mean gap {mean_gap:.1f}s")
    prod = w.produce(n, prof.rate)
    c = w.start(cfg)
    rows_at_start = 0
    killed = mid_stream = 0
    while killed < kills:
        # Exponential gaps (capped): some kills right after the start, most mid-stream.
        gap = min(w.rng.expovariate(1 / mean_gap), 4 * mean_gap)
        time.sleep(max(0.05, gap))
        if not c.alive():
            raise AssertionError(f"chute exited on its own ({c.proc.returncode}) before kill {killed + 1}\n"
                                 + c.tail())
        c.kill9()
        killed += 1
        w.fig.fault("kill -9")
        rows = int(w.ch(f"SELECT count() FROM default.{w.table}"))
        if rows > rows_at_start:
            mid_stream += 1  # this process had inserted rows before it died
        rows_at_start = rows
        if killed % 10 == 0 or killed == kills:
            w.say(f"kill {killed}/{kills} ({mid_stream} after the process had inserted); "
                  f"producer at {prod.sent}/{n}, rows {rows}")
        c = w.start(cfg)
    w.fig.note = f"{mid_stream} of {killed} kills hit a process that had inserted rows"
    w.finish(drain_timeout=240)
