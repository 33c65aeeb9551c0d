"""
Case 2: failpoints (test builds only: cmake -DCHUTE_FAILPOINTS=ON, in
build-chaos/). CHUTE_FAILPOINTS="name=kill@N" makes chute SIGKILL itself on
the Nth hit of `name`, after logging "failpoint <name>: killing":

  eo.recorded       exactly-once: the pending range is committed to Kafka, the insert not yet sent
  insert.mid_body   half of the INSERT body sent
  insert.acked      ClickHouse acknowledged the INSERT, the offset not yet committed
  dlq.produced      a DLQ record handed to the producer, not yet acknowledged
  revoke.inflight   a partition is being revoked while its insert is in flight

Each case arms one failpoint with a random N (seeded), waits for chute to
kill itself there (the log line and the SIGKILL exit are checked: a
failpoint that never fires fails the case), restarts it armed again, a few
times, then drains with an unarmed process and runs the closing check.
revoke.inflight needs a revoke: a second member joins while the armed one
inserts through a proxy that delays responses (so inserts are in flight).
"""
import time

import pytest

from faultproxy import FaultProxy
from test_clickhouse_faults import _host_port
from test_poison import poison_picker

FAILPOINTS = ["eo.recorded", "insert.mid_body", "insert.acked", "dlq.produced", "revoke.inflight"]


def _wait_fired(w, c, fp: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and c.alive():
        time.sleep(0.1)
    if c.alive():
        return False
    log = c.log()
    assert f"failpoint {fp}: killing" in log, \
        f"{c.name} exited {c.proc.returncode} without logging 'failpoint {fp}: killing'\n{c.tail()}"
    assert c.proc.returncode == -9, f"{c.name} logged the failpoint but exited {c.proc.returncode}, not SIGKILL"
    return True


@pytest.mark.parametrize("fp", FAILPOINTS)
def test_failpoint(world, prof, fp_binary, probes, fp):
    w = world
    if fp == "eo.recorded" and w.mode != "exactly-once":
        pytest.skip("eo.recorded exists only in exactly-once mode")
    if fp == "dlq.produced" and probes["dlq"]:
        pytest.skip(f"DLQ not in this chute: `dlq:` is refused: {probes['dlq']}")
    w.setup(4)
    dlq = fp == "dlq.produced"
    n = prof.records
    prod = w.produce(n, prof.rate, poison=poison_picker(w, n) if dlq else None)
    px = None
    if fp == "revoke.inflight":
        h, p = _host_port(w.env.ch_url)
        px = FaultProxy(h, p, seed=w.rng.randrange(2**31))
        px.set_mode("delay", 800)
        cfg = w.config(ch_url=px.url, dlq=dlq)
    else:
        cfg = w.config(dlq=dlq, static_id=f"{w.group}-m1")
    try:
        fired = 0
        for rnd in range(prof.fp_hits):
            k = w.rng.randint(1, 4)
            armed = w.start(cfg, env={"CHUTE_FAILPOINTS": f"{fp}=kill@{k}"}, binary=fp_binary,
                            name=f"armed{rnd}")
            if fp == "revoke.inflight":
                ok = False
                for j in range(6):  # members join and leave until a revoke catches an insert in flight
                    time.sleep(w.rng.uniform(2, 4))
                    helper = w.start(cfg, binary=fp_binary, name=f"helper{rnd}-{j}")
                    if _wait_fired(w, armed, fp, w.rng.uniform(4, 8)):
                        ok = True
                    helper.sigterm(30)
                    if ok:
                        break
            else:
                ok = _wait_fired(w, armed, fp, 60)
            if not ok:
                raise AssertionError(f"failpoint {fp}=kill@{k} never fired in {armed.name}\n{armed.tail()}")
            fired += 1
            w.fig.fault(f"failpoint {fp}")
        w.say(f"failpoint {fp} fired {fired} times; producer at {prod.sent}/{n}")
        if px:
            px.set_mode("pass")
        w.start(cfg, binary=fp_binary, name="drain")
        w.finish(drain_timeout=180, dlq=dlq)
    finally:
        if px:
            px.close()
