"""
Case 4b: per-request Kafka faults from librdkafka's mock cluster
(tests/chaos/mock_cluster.c, librdkafka 2.0.2) instead of the dev-env
broker; ClickHouse is the real one. chute consumes a 4-partition topic of
the mock cluster while the producer writes to it, and in random order:

- OffsetCommit (8) errors: REQUEST_TIMED_OUT, COORDINATOR_NOT_AVAILABLE,
  NOT_COORDINATOR, some with a delayed response;
- OffsetFetch (9) errors (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR),
  then a kill -9 and restart, so the new process's offset fetch meets them;
- Fetch (1) errors on one partition leader: NOT_LEADER_FOR_PARTITION,
  REQUEST_TIMED_OUT, UNKNOWN_LEADER_EPOCH;
- group errors that force rebalances: Heartbeat (12) REBALANCE_IN_PROGRESS,
  ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID; JoinGroup (11) and SyncGroup (14)
  errors on the rejoin;
- every broker's responses delayed 200-1500 ms (RTT);
- one broker down for a round (its connections closed, new ones refused);
- kill -9 of chute and an immediate restart.

The errors go on the brokers' own error stacks (the group's coordinator is
pinned to broker 1, the partitions' leaders to brokers 1-3), so the case
can count the errors that requests actually met: pushed minus those still
on the stacks at the end. Those counts are the figures' faults.

The mock has no static membership (group.instance.id is read and ignored),
so a restarted chute is a new member and the dead one holds its partitions
until its session (6 s) times out. See docs/chaos.md for what else the mock
lacks.
"""
import os
import time
from pathlib import Path

import pytest

from chaos_lib import REPO, KafkaOnly, MockCluster

COORDINATOR = 1
ERRORS = {
    "OffsetCommit": (8, ["REQUEST_TIMED_OUT", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR"]),
    "OffsetFetch": (9, ["COORDINATOR_LOAD_IN_PROGRESS", "NOT_COORDINATOR"]),
    "Fetch": (1, ["NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT", "UNKNOWN_LEADER_EPOCH"]),
    "JoinGroup": (11, ["COORDINATOR_LOAD_IN_PROGRESS", "NOT_COORDINATOR"]),
    "Heartbeat": (12, ["REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"]),
    "SyncGroup": (14, ["REBALANCE_IN_PROGRESS", "NOT_COORDINATOR"]),
}


@pytest.fixture(scope="module")
def mock_binary():
    b = Path(os.environ.get("CHAOS_MOCK_BIN") or REPO / "build" / "mock_cluster")
    if not os.access(b, os.X_OK):
        pytest.skip(f"mock cluster: {b} not built (cmake --build build --target mock_cluster; needs CHUTE_TESTS=ON)")
    return b


class Injector:
    """Pushes errors on the brokers' stacks and counts the ones that were met."""

    def __init__(self, w, mock: MockCluster):
        self.w = w
        self.mock = mock
        self.pushed: dict[tuple[str, int], int] = {}

    def push(self, kind: str, broker: int, n: int, rtt_ms: int = 0):
        api_key, names = ERRORS[kind]
        for _ in range(n):
            err = self.w.rng.choice(names)
            self.mock.cmd(f"broker-errors {broker} {api_key} 1 {err} {rtt_ms}")
        self.pushed[(kind, broker)] = self.pushed.get((kind, broker), 0) + n

    def met(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (kind, broker), n in self.pushed.items():
            left = int(self.mock.cmd(f"pending {broker} {ERRORS[kind][0]}"))
            out[kind] = out.get(kind, 0) + n - left
        return out

    def report_leftovers(self):
        """Errors nobody met stay on the stacks (the closing check's own requests may meet them)."""
        for (kind, broker) in self.pushed:
            api_key = ERRORS[kind][0]
            left = int(self.mock.cmd(f"pending {broker} {api_key}"))
            if left:
                self.w.say(f"{left} {kind} errors on broker {broker} were never met")


def test_mock_broker_request_faults(world, prof, mock_binary, chaos_env):
    w = world
    parts = 4
    mock = MockCluster(mock_binary, {w.topic: parts}, w.tmp / "mock_cluster.log")
    try:
        w.env = KafkaOnly(kafka=mock.bootstrap, ch_url=chaos_env.ch_url)
        w.partitions = parts
        w.create_table()
        mock.cmd(f"coordinator group {w.group} {COORDINATOR}")
        leaders = {p: p % mock.brokers + 1 for p in range(parts)}
        for p, b in leaders.items():
            mock.cmd(f"leader {w.topic} {p} {b}")
        inj = Injector(w, mock)

        prod = w.produce(10**9, prof.rate / 4)
        cfg = w.config()
        c = w.start(cfg)
        exits = 0
        time.sleep(w.rng.uniform(3, 5))

        def restart():
            nonlocal c
            c.kill9()
            c = w.start(cfg)
            w.fig.fault("kill -9")

        plan = (["OffsetCommit", "OffsetFetch", "Fetch", "group", "rtt", "down"] * prof.mock_rounds
                + ["kill"] * prof.mock_kills)
        w.rng.shuffle(plan)
        lo, hi = prof.mock_round_seconds
        for step in plan:
            secs = w.rng.uniform(lo, hi)
            w.say(f"round {step} for {secs:.1f}s")
            if step == "OffsetCommit":
                # Some answered only after a delay, as a slow coordinator would.
                inj.push("OffsetCommit", COORDINATOR, w.rng.randint(2, 6))
                inj.push("OffsetCommit", COORDINATOR, w.rng.randint(1, 2), rtt_ms=w.rng.choice([500, 1500]))
                time.sleep(secs)
            elif step == "OffsetFetch":
                inj.push("OffsetFetch", COORDINATOR, w.rng.randint(2, 5))
                restart()
                time.sleep(secs)
            elif step == "Fetch":
                b = w.rng.choice(sorted(set(leaders.values())))
                inj.push("Fetch", b, w.rng.randint(3, 6))
                time.sleep(secs)
            elif step == "group":
                inj.push("Heartbeat", COORDINATOR, w.rng.randint(1, 2))
                inj.push("JoinGroup", COORDINATOR, w.rng.randint(1, 2))
                inj.push("SyncGroup", COORDINATOR, 1)
                time.sleep(secs)
            elif step == "rtt":
                ms = w.rng.choice([200, 500, 1500])
                for b in range(1, mock.brokers + 1):
                    mock.cmd(f"rtt {b} {ms}")
                time.sleep(secs)
                for b in range(1, mock.brokers + 1):
                    mock.cmd(f"rtt {b} 0")
                w.fig.fault(f"RTT {ms} ms on every broker")
            elif step == "down":
                b = w.rng.randint(1, mock.brokers)
                mock.cmd(f"down {b}")
                time.sleep(secs)
                mock.cmd(f"up {b}")
                w.fig.fault("broker down")
            else:
                restart()
                time.sleep(secs)
            if not c.alive():
                exits += 1
                w.say(f"chute exited {c.proc.returncode} after {step}; restarting\n{c.tail(8)}")
                c = w.start(cfg)
        time.sleep(2)
        prod.stop()
        if exits:
            w.fig.note = f"chute exited {exits} time(s) on its own during the faults"
        try:
            w.finish(drain_timeout=120)
        finally:
            # Counted after the drain: a member meets a Fetch error about once a second and
            # holds its commits while it rejoins, so many errors are met only after the rounds.
            for kind, n in inj.met().items():
                w.fig.fault(f"{kind} errors", n)
            inj.report_leftovers()
            logs = "".join(ch.log() for ch in w.chutes)
            seen = {k: logs.count(s) for k, s in (("commit failures", "offset commit failed"),
                                                   ("EO recoveries", ": recovering: re-inserting"),
                                                   ("EO fresh epochs", "no exactly-once record in the commit"))}
            w.say("chute logged: " + ", ".join(f"{k} {v}" for k, v in seen.items()))
            w.fig.note = "; ".join(filter(None, [w.fig.note, "chute logged " + ", ".join(
                f"{v} {k}" for k, v in seen.items() if v)]))
        assert not exits, f"chute exited {exits} time(s) on its own during the faults\n{w.diagnostics()}"
    finally:
        w.close()
        mock.close()
