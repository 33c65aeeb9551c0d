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

from chaos_lib import failpoint_in_binary
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


def _wait_log(c, text: str, timeout: float, stop=lambda: False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and c.alive() and not stop():
        if text in c.log():
            return True
        time.sleep(0.2)
    return text in c.log()


@pytest.mark.parametrize("fp", FAILPOINTS)
def test_failpoint(request, world, prof, fp_binary, fp):
    w = world
    if fp == "eo.recorded" and w.mode != "exactly-once":
        pytest.skip("eo.recorded exists only in exactly-once mode")
    if w.mode not in prof.fp_modes:
        pytest.skip(f"the {prof.name} profile runs the failpoints in {', '.join(prof.fp_modes)} mode only")
    if not failpoint_in_binary(fp_binary, fp):
        pytest.skip(f"failpoint {fp} is not in {fp_binary.name} (no CK_FAILPOINT(\"{fp}\") in src yet)")
    if fp == "dlq.produced":
        why = request.getfixturevalue("dlq_support")
        if why:
            pytest.skip(why)
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
        # The helpers talk to ClickHouse directly: through the delaying proxy their
        # start-up alone takes ~7 s, and a helper stopped before it joins revokes nothing.
        helper_cfg = w.config(dlq=dlq)
    else:
        cfg = w.config(dlq=dlq, static_id=f"{w.group}-m1")
    try:
        fired = 0
        for rnd in range(prof.fp_hits):
            # The k-th hit kills. A revoke catches an insert in flight only now and
            # then (exactly-once members own partitions for a couple of seconds per
            # join here), so that point is armed for its first hit.
            k = 1 if fp == "revoke.inflight" else w.rng.randint(1, 4)
            armed = w.start(cfg, env={"CHUTE_FAILPOINTS": f"{fp}=kill@{k}"}, binary=fp_binary,
                            name=f"armed{rnd}")
            if fp == "revoke.inflight":
                # The armed member must own partitions (and insert) before a helper joins:
                # only then does the join revoke partitions with an insert in flight.
                _wait_log(armed, "kafka: assigned", 45)
                ok = False
                # Members join and leave until a revoke catches an insert in flight, the
                # k-th time. 6 tries were too few once in the soak (exactly-once: kill@2
                # never fired; its partitions came back slowly after each join).
                for j in range(12):
                    time.sleep(w.rng.uniform(1, 3))
                    helper = w.start(helper_cfg, binary=fp_binary, name=f"helper{rnd}-{j}")
                    _wait_log(helper, "kafka: assigned", 30, stop=lambda: not armed.alive())
                    if _wait_fired(w, armed, fp, w.rng.uniform(4, 8)):
                        ok = True
                    helper.sigterm(30)
                    if ok or not armed.alive():
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
