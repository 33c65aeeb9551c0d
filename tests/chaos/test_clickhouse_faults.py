"""
Case 3: ClickHouse faults under load.

test_clickhouse_restart_stop_pause: chute talks to the server directly; at
random moments the server is killed and restarted at once, stopped for a
while (15 s short, 60 s soak), and frozen with SIGSTOP for a few seconds
(slow: requests hang, then complete).

test_clickhouse_proxy_faults: chute talks to the server through
faultproxy.py; rounds of: responses delayed, the connection cut after the
whole INSERT body was forwarded (the server ran it, chute never hears:
"outcome unknown"), a reset after N bytes of an INSERT (truncated body),
and refused connections. In at-least-once mode a cut is expected to double
that batch; in exactly-once mode it must not.
"""
import time

import pytest

from faultproxy import FaultProxy


def _host_port(url: str):
    hp = url.split("://", 1)[1].rstrip("/")
    h, p = hp.rsplit(":", 1)
    return h, int(p)


def test_clickhouse_restart_stop_pause(world, prof):
    w = world
    w.setup(4)
    env = w.env
    # The producer runs through the whole fault schedule, then stops.
    prod = w.produce(10**9, prof.rate / 2)
    c = w.start(w.config())
    time.sleep(w.rng.uniform(2, 4))

    plan = ["restart", "stop"] + ["pause"] * prof.ch_pauses
    w.rng.shuffle(plan)
    for step in plan:
        time.sleep(w.rng.uniform(1, 4))
        if step == "restart":
            env.stop_clickhouse(kill=True)
            env.start_clickhouse()
            w.fig.fault("clickhouse kill+restart")
        elif step == "stop":
            env.stop_clickhouse(kill=True)
            w.say(f"ClickHouse down for {prof.ch_stop_seconds}s")
            time.sleep(prof.ch_stop_seconds)
            env.start_clickhouse()
            w.fig.fault(f"clickhouse down {prof.ch_stop_seconds}s")
        else:
            secs = w.rng.uniform(2, 6)
            env.pause("clickhouse")
            time.sleep(secs)
            env.resume("clickhouse")
            w.fig.fault("clickhouse SIGSTOP 2-6s")
        assert c.alive(), f"chute exited ({c.proc.returncode}) after {step}\n{c.tail()}"
    time.sleep(2)
    prod.stop()
    w.finish(drain_timeout=180)


def test_clickhouse_proxy_faults(world, prof):
    w = world
    w.setup(4)
    h, p = _host_port(w.env.ch_url)
    px = FaultProxy(h, p, seed=w.rng.randrange(2**31))
    try:
        prod = w.produce(10**9, prof.rate / 2)
        c = w.start(w.config(ch_url=px.url, overrides={"clickhouse": {"timeout": "5s"}}))
        time.sleep(3)
        for rnd in range(prof.proxy_rounds):
            rounds = [("delay", w.rng.choice([200, 500, 1500]), 1.0),
                      ("cut", 0, 0.3),
                      ("reset", w.rng.choice([100, 700, 3000, 20000]), 0.3),
                      ("refuse", 0, 1.0)]
            w.rng.shuffle(rounds)
            for mode, arg, prob in rounds:
                px.set_mode(mode, arg, prob)
                secs = w.rng.uniform(*prof.proxy_round_seconds)
                w.say(f"round {rnd + 1}: proxy {mode} {arg or ''} p={prob} for {secs:.1f}s")
                time.sleep(secs)
                px.set_mode("pass")
                time.sleep(w.rng.uniform(1, 3))
                assert c.alive(), f"chute exited ({c.proc.returncode}) after proxy {mode}\n{c.tail()}"
        prod.stop()
        w.say(f"proxy counters {px.counts}")
        for k, label in (("cuts", "conn cut after INSERT body"), ("resets", "reset mid-INSERT"),
                         ("delayed", "response delayed"), ("refused_periods", "connections refused")):
            if px.counts[k]:
                w.fig.fault(label, px.counts[k])
        assert px.counts["inserts"] > 0, f"no INSERT went through the proxy: {px.counts}"
        w.finish(drain_timeout=180)
        # The case must have hit what it claims to test.
        assert px.counts["cuts"] > 0 and px.counts["resets"] > 0, f"no cut or no reset happened: {px.counts}"
    finally:
        px.close()
