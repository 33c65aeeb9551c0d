"""
The chaos suite's world: one topic + one table with offset columns + one
consumer group per case, a rate-limited producer that records every
delivered (partition, offset), chute processes (with extra environment, for
failpoints), and the closing check that every case ends with:

  duplicated = count() - uniqExact(_topic, _partition, _offset)   (0 in exactly-once)
  lost       = produced - (ClickHouse ∪ DLQ)                      (0 in both modes)

"produced" is the topic's log itself: a non-transactional topic holds one
record at every offset in [low, high), so the set is the watermark ranges;
the producer's delivery reports are cross-checked against it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]

# The integration harness's generic pieces (ch_query, to_yaml, DevEnv, ...),
# loaded under another module name so pytest does not see a second conftest.
_spec = importlib.util.spec_from_file_location("chute_it_conftest", REPO / "tests" / "integration" / "conftest.py")
itc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(itc)

ch_query = itc.ch_query
ch_alive = itc.ch_alive
wait_until = itc.wait_until
to_yaml = itc.to_yaml
deep_merge = itc.deep_merge

MODES = ["at-least-once", "exactly-once"]

# The table every case writes: a payload plus the three offset columns.
COLUMNS = "id UInt64, v UInt32, s String, _topic String, _partition UInt16, _offset UInt64"
COLUMNS_NO_OFFSETS = "id UInt64, v UInt32, s String"
META = {"_topic": {"meta": "topic"}, "_partition": {"meta": "partition"}, "_offset": {"meta": "offset"}}

# A member that dies without leaving holds its partitions until its session
# times out (broker minimum: 6 s).
FAST_SESSION = {"session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}

# The DLQ in chute's config. The poison cases plant a whole batch of poison
# on every partition at once (test_poison.py: 4 x 500 records in a row), on
# purpose, to see it dead-lettered; the default circuit breaker (window 1000,
# ratio 0.5, run 1000) would rightly stop the topic there instead. The breaker
# has its own tests (tests/integration/test_dead_letter.py); here it only
# stops a topic that is far worse than what the cases plant.
DLQ_CONFIG = {"dlq": {"topic": "{topic}.dlq", "window": 10000, "max_bad_ratio": 0.5,
                      "max_bad_run": 5000}}
DLQ_HEADER_PARTITION = "chute.source.partition"
DLQ_HEADER_OFFSET = "chute.source.offset"
DLQ_HEADER_TOPIC = "chute.source.topic"


def failpoint_in_binary(binary: Path, name: str) -> bool:
    """A failpoint's name is a string literal in the failpoint build (CK_FAILPOINT("name"))."""
    try:
        return name.encode() + b"\0" in binary.read_bytes()
    except OSError:
        return False


def good_message(i: int) -> bytes:
    return f'{{"id":{i},"v":{(i * 3) % 4_000_000_000},"s":"r{i}"}}'.encode()


POISON_KINDS = [
    lambda i: f'garbage #{i} {{'.encode(),                          # not JSON
    lambda i: f'{{"id":{i},"v":'.encode(),                          # truncated JSON
    lambda i: f'{{"id":{i},"v":"abc{i}","s":"x"}}'.encode(),        # string into UInt32
    lambda i: f'{{"id":{i},"v":-{i + 1},"s":"x"}}'.encode(),        # negative into UInt32
]


def poison_message(i: int) -> bytes:
    return POISON_KINDS[i % len(POISON_KINDS)](i)


# --------------------------------------------------------------------------
# chute processes


class ChuteProc:
    """chute run -c CONFIG as a subprocess, with optional extra environment."""

    def __init__(self, binary: Path, config: Path, log_path: Path, name: str, env: dict | None = None):
        self.name = name
        self.config = config
        self.log_path = log_path
        self._logf = open(log_path, "wb")
        penv = dict(os.environ)
        penv.pop("CHUTE_FAILPOINTS", None)
        penv.update(env or {})
        self.env = env or {}
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(binary), "run", "-c", str(config)], stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=self._logf, env=penv)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait(10)

    def sigterm(self, timeout: float) -> int | None:
        """SIGTERM, wait; returns the exit code or None (then SIGKILLed)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 30) -> str:
        lines = self.log().splitlines()
        return (f"---- last {min(n, len(lines))} of {len(lines)} lines of {self.name} ({self.log_path}) ----\n"
                + "\n".join(lines[-n:]))

    def close(self):
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._logf.close()


# --------------------------------------------------------------------------
# the producer


class LoadProducer(threading.Thread):
    """
    Produces n messages at `rate` per second, message i to partition
    i % partitions (so on a fresh topic message i sits at offset i // partitions).
    poison(i) -> bool picks the poison messages. Records every delivery.
    """

    def __init__(self, world: "World", n: int, rate: float, poison=None, chunk: int = 200):
        super().__init__(daemon=True)
        self.w = world
        self.n = n
        self.rate = rate
        self.poison = poison or (lambda i: False)
        self.chunk = chunk
        self.sent = 0
        self.error: BaseException | None = None
        self.delivery_errors: list = []
        self.delivered: dict[int, set[int]] = {}
        self.poison_delivered: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._halt = threading.Event()

    def stop(self):
        """Ends production early (at the next chunk); the figures use what was produced."""
        self._halt.set()

    def _on_delivery(self, err, msg):
        if err is not None:
            self.delivery_errors.append(str(err))
            return
        with self._lock:
            self.delivered.setdefault(msg.partition(), set()).add(msg.offset())
            if msg.key() == b"P":
                self.poison_delivered.add((msg.partition(), msg.offset()))

    def run(self):
        try:
            p = Producer({
                "bootstrap.servers": self.w.env.kafka,
                "linger.ms": 20,
                "acks": "all",
                "enable.idempotence": True,
                "message.timeout.ms": 0,  # infinite: ride out broker outages
                "queue.buffering.max.messages": 1_000_000,
                "compression.type": "lz4",
                "log_level": 2,  # outages are the point; do not flood the output
            })
            t0 = time.monotonic()
            i = 0
            parts = self.w.partitions
            while i < self.n and not self._halt.is_set():
                k = min(self.chunk, self.n - i)
                for j in range(i, i + k):
                    bad = self.poison(j)
                    val = poison_message(j) if bad else good_message(j)
                    while True:
                        try:
                            p.produce(self.w.topic, value=val, key=b"P" if bad else None,
                                      partition=j % parts, on_delivery=self._on_delivery)
                            break
                        except BufferError:
                            p.poll(0.05)
                i += k
                self.sent = i
                p.poll(0)
                delay = t0 + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            while p.flush(5) > 0:
                pass
        except BaseException as e:
            self.error = e

    def join_checked(self, timeout: float):
        self.join(timeout)
        assert not self.is_alive(), f"producer did not finish within {timeout:.0f}s (sent {self.sent}/{self.n})"
        if self.error:
            raise self.error
        assert not self.delivery_errors, f"delivery errors: {self.delivery_errors[:5]}"


# --------------------------------------------------------------------------
# figures of one case


@dataclass
class Figures:
    case: str
    mode: str
    seed: int
    records: int = 0
    faults: dict = field(default_factory=dict)
    lost: int | None = None
    duplicated: int | None = None
    dlq: int = 0
    poison: int = 0
    elapsed: float = 0.0
    outcome: str = "?"
    note: str = ""

    def fault(self, kind: str, n: int = 1):
        self.faults[kind] = self.faults.get(kind, 0) + n


# --------------------------------------------------------------------------
# one case's world


class World:
    def __init__(self, env, binary: Path, tmp: Path, name: str, mode: str, rng: random.Random, figures: Figures):
        self.env = env
        self.binary = binary
        self.tmp = tmp
        self.mode = mode
        self.rng = rng
        self.fig = figures
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
        self.suffix = f"{slug}_{uuid.uuid4().hex[:6]}"
        self.topic = f"chaos.{self.suffix}"
        self.table = f"chaos_{self.suffix}"
        self.group = f"chaos-{self.suffix}"
        self.partitions = 4
        self.chutes: list[ChuteProc] = []
        self.producers: list[LoadProducer] = []
        self._ncfg = 0
        self.dlq_topic: str | None = None

    def say(self, msg: str):
        print(f"[chaos {self.fig.case} {self.mode}] {msg}", flush=True)

    # ---- servers
    def ch(self, sql: str, **kw) -> str:
        return ch_query(self.env.ch_url, sql, **kw)

    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.env.kafka})

    def create_topic(self, partitions: int = 4, name: str | None = None, config: dict | None = None):
        name = name or self.topic
        if name == self.topic:
            self.partitions = partitions
        admin = self.admin()
        futs = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                             config=config or {})], operation_timeout=30, request_timeout=30)
        futs[name].result(timeout=60)

        def ready():
            md = admin.list_topics(topic=name, timeout=5)
            t = md.topics.get(name)
            return (t is not None and t.error is None and len(t.partitions) == partitions
                    and all(p.leader >= 0 for p in t.partitions.values()))
        wait_until(ready, 60, f"topic {name} has leaders", interval=0.2)

    def create_table(self, columns: str = COLUMNS, order_by: str = "(_partition, _offset)"):
        """CHAOS_TABLE_SETTINGS (chaos.sh --dedup-window N) gives every
        table of the run its SETTINGS clause."""
        settings = os.environ.get("CHAOS_TABLE_SETTINGS", "")
        self.ch(f"CREATE TABLE default.{self.table} ({columns}) ENGINE = MergeTree ORDER BY {order_by}"
                + (f" SETTINGS {settings}" if settings else ""))

    def setup(self, partitions: int = 4):
        self.create_topic(partitions)
        self.create_table()

    # ---- chute
    def config(self, overrides: dict | None = None, ch_url: str | None = None, dlq: bool = False,
               meta: bool = True, static_id: str | None = None) -> Path:
        props = dict(FAST_SESSION)
        if static_id:
            props["group.instance.id"] = static_id
        base = {
            "kafka": {
                "bootstrap_servers": self.env.kafka,
                "group_id": self.group,
                "auto_offset_reset": "earliest",
                "startup_timeout": "30s",
                "properties": props,
            },
            "clickhouse": {
                "url": ch_url or self.env.ch_url,
                "database": "default",
                "connect_timeout": "2s",
                "timeout": "20s",
                "insert_workers": 2,
            },
            "batch": {"max_rows": 500, "max_bytes": "4MiB", "max_wait": "200ms"},
            "retry": {"initial_backoff": "100ms", "max_backoff": "1s"},
            "shutdown_timeout": "15s",
            "stats_interval": "5s",
            "log_level": os.environ.get("CHAOS_LOG_LEVEL", "info"),
            "topics": [{"topic": self.topic, "table": self.table, **({"columns": META} if meta else {})}],
        }
        if self.mode == "exactly-once":
            base["delivery"] = "exactly-once"
        if dlq:
            base = deep_merge(base, DLQ_CONFIG)
            self.dlq_topic = DLQ_CONFIG["dlq"]["topic"].replace("{topic}", self.topic)
        cfg = deep_merge(base, overrides or {})
        self._ncfg += 1
        path = self.tmp / f"chute-{self._ncfg}.yaml"
        path.write_text(to_yaml(cfg) + "\n")
        return path

    def start(self, cfg: Path, env: dict | None = None, binary: Path | None = None,
              name: str | None = None) -> ChuteProc:
        name = name or f"chute{len(self.chutes) + 1}"
        c = ChuteProc(binary or self.binary, cfg, self.tmp / f"{name}.log", name, env)
        self.chutes.append(c)
        return c

    def produce(self, n: int, rate: float, poison=None) -> LoadProducer:
        p = LoadProducer(self, n, rate, poison)
        self.producers.append(p)
        p.start()
        return p

    # ---- Kafka state
    def _probe_consumer(self, group: str) -> Consumer:
        return Consumer({"bootstrap.servers": self.env.kafka, "group.id": group, "enable.auto.commit": False})

    def watermarks(self, topic: str | None = None, partitions: int | None = None) -> dict[int, tuple[int, int]]:
        c = self._probe_consumer(self.group + "-probe")
        try:
            return {p: c.get_watermark_offsets(TopicPartition(topic or self.topic, p), timeout=10)
                    for p in range(partitions or self.partitions)}
        finally:
            c.close()

    def committed(self) -> dict[int, int]:
        c = self._probe_consumer(self.group)
        try:
            tps = c.committed([TopicPartition(self.topic, p) for p in range(self.partitions)], timeout=15)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            c.close()

    def wait_drained(self, timeout: float) -> bool:
        """Waits until the group's committed offsets reach the high watermarks."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                wm = self.watermarks()
                last = (self.committed(), wm)
                if all(last[0].get(p, -1) >= hi for p, (lo, hi) in wm.items()):
                    return True
            except Exception as e:
                last = e
            time.sleep(1.0)
        self.say(f"not drained after {timeout:.0f}s: committed/watermarks {last}")
        return False

    # ---- the closing check
    def ch_offsets(self) -> dict[int, set[int]]:
        text = self.ch(f"SELECT DISTINCT _partition, _offset FROM default.{self.table} "
                       f"WHERE _topic = '{self.topic}' FORMAT TSV", timeout=120)
        out: dict[int, set[int]] = {}
        for line in text.splitlines():
            if line:
                p, o = line.split("\t")
                out.setdefault(int(p), set()).add(int(o))
        return out

    def dlq_offsets(self, timeout: float = 30) -> tuple[dict[int, set[int]], int, list[str]]:
        """(partition -> source offsets, DLQ record count, problems) from the DLQ topic's headers."""
        out: dict[int, set[int]] = {}
        problems: list[str] = []
        if not self.dlq_topic:
            return out, 0, problems
        md = self.admin().list_topics(timeout=10)
        t = md.topics.get(self.dlq_topic)
        if t is None or t.error is not None:
            return out, 0, problems
        nparts = len(t.partitions)
        wm = self.watermarks(self.dlq_topic, nparts)
        c = Consumer({"bootstrap.servers": self.env.kafka, "group.id": self.group + "-dlqread",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        n = 0
        try:
            c.assign([TopicPartition(self.dlq_topic, p, lo) for p, (lo, hi) in wm.items() if hi > lo])
            want = sum(hi - lo for lo, hi in wm.values())
            deadline = time.monotonic() + timeout
            while n < want and time.monotonic() < deadline:
                m = c.poll(1.0)
                if m is None or m.error():
                    continue
                n += 1
                h = {k: (v.decode() if v is not None else None) for k, v in (m.headers() or [])}
                try:
                    if h.get(DLQ_HEADER_TOPIC, self.topic) != self.topic:
                        problems.append(f"DLQ record with source topic {h.get(DLQ_HEADER_TOPIC)}")
                    out.setdefault(int(h[DLQ_HEADER_PARTITION]), set()).add(int(h[DLQ_HEADER_OFFSET]))
                except (KeyError, TypeError, ValueError):
                    problems.append(f"DLQ record {m.partition()}@{m.offset()} without source headers: {h}")
            if n < want:
                problems.append(f"read {n} of {want} DLQ records within {timeout:.0f}s")
        finally:
            c.close()
        return out, n, problems

    def verify(self, expect_poison_skipped: bool = False, dlq: bool = False,
               allow_duplicates: bool | None = None) -> None:
        """
        The closing check. Records lost/duplicated/dlq in the figures and
        asserts: lost = 0 (both modes), duplicated = 0 (exactly-once; or
        when allow_duplicates is False), no row outside the produced set;
        with poison and no DLQ the missing offsets are exactly the poison
        ones; with a DLQ, the DLQ holds exactly the poison offsets.
        """
        if allow_duplicates is None:
            allow_duplicates = self.mode != "exactly-once"
        problems: list[str] = []
        for p in self.producers:
            if p.is_alive():
                problems.append("producer still running at verify")
            if p.delivery_errors:
                problems.append(f"producer delivery errors: {p.delivery_errors[:3]}")
        wm = self.watermarks()
        produced = {p: set(range(lo, hi)) for p, (lo, hi) in wm.items()}
        nproduced = sum(len(s) for s in produced.values())
        delivered = {}
        poison: set[tuple[int, int]] = set()
        for pr in self.producers:
            for p, s in pr.delivered.items():
                delivered.setdefault(p, set()).update(s)
            poison |= pr.poison_delivered
        for p, s in produced.items():
            if delivered.get(p, set()) != s:
                d = delivered.get(p, set())
                problems.append(f"partition {p}: delivery reports ({len(d)}) differ from the log [{min(s, default=0)},"
                                f"{max(s, default=-1) + 1}) ({len(s)}): {sorted(d ^ s)[:10]}")
        tot, uniq = (int(x) for x in self.ch(
            f"SELECT count(), uniqExact(_topic, _partition, _offset) FROM default.{self.table}").split())
        other_topic = int(self.ch(f"SELECT count() FROM default.{self.table} WHERE _topic != '{self.topic}'"))
        dup = tot - uniq
        in_ch = self.ch_offsets()
        in_dlq, ndlq, dproblems = self.dlq_offsets() if dlq else ({}, 0, [])
        problems += dproblems
        lost_good, lost_poison, extra, both, dlq_good = [], [], [], [], []
        for p in sorted(set(produced) | set(in_ch) | set(in_dlq)):
            prod = produced.get(p, set())
            c = in_ch.get(p, set())
            d = in_dlq.get(p, set())
            for o in prod - c - d:
                (lost_poison if (p, o) in poison else lost_good).append((p, o))
            extra += [(p, o) for o in (c | d) - prod]
            both += [(p, o) for o in c & d]
            dlq_good += [(p, o) for o in d if (p, o) not in poison]
        poison_in_ch = [po for po in poison if po[1] in in_ch.get(po[0], set())]
        lost = len(lost_good) + (0 if expect_poison_skipped else len(lost_poison))
        self.fig.records = nproduced
        self.fig.lost = lost
        self.fig.duplicated = dup
        self.fig.dlq = sum(len(s) for s in in_dlq.values())
        self.fig.poison = len(poison)
        summary = (f"produced={nproduced} rows={tot} uniq={uniq} duplicated={dup} lost={lost} "
                   f"(good lost={len(lost_good)}, poison missing={len(lost_poison)}/{len(poison)}) "
                   f"dlq records={ndlq} dlq offsets={self.fig.dlq} extra={len(extra)} other-topic rows={other_topic}")
        self.say("CHECK " + summary)
        if lost_good:
            problems.append(f"{len(lost_good)} good records lost, first {sorted(lost_good)[:20]}")
        if not expect_poison_skipped and lost_poison:
            problems.append(f"{len(lost_poison)} poison records neither in ClickHouse nor the DLQ, first "
                            f"{sorted(lost_poison)[:20]}")
        if expect_poison_skipped and len(lost_poison) != len(poison):
            problems.append(f"poison records found in ClickHouse: {sorted(poison_in_ch)[:20]}")
        if poison_in_ch:
            problems.append(f"{len(poison_in_ch)} poison offsets have rows in ClickHouse: {sorted(poison_in_ch)[:10]}")
        if dlq and dlq_good:
            problems.append(f"{len(dlq_good)} good records in the DLQ: {sorted(dlq_good)[:10]}")
        if both:
            problems.append(f"{len(both)} offsets both in ClickHouse and the DLQ: {sorted(both)[:10]}")
        if extra:
            problems.append(f"{len(extra)} offsets in ClickHouse/DLQ that were never produced: {sorted(extra)[:10]}")
        if other_topic:
            problems.append(f"{other_topic} rows with another _topic")
        if dup and not allow_duplicates:
            rows = self.ch(f"SELECT _partition, _offset, count() AS c FROM default.{self.table} "
                           f"GROUP BY _partition, _offset HAVING c > 1 ORDER BY _partition, _offset LIMIT 20 "
                           f"FORMAT TSV").strip().replace("\n", "; ")
            problems.append(f"{dup} duplicated rows in {self.mode} mode; first (partition, offset, copies): {rows}")
        if nproduced == 0:
            problems.append("nothing was produced: the case proves nothing")
        if problems:
            raise AssertionError(f"{self.fig.case} [{self.mode}] seed {self.fig.seed}: {summary}\n  - "
                                 + "\n  - ".join(problems) + "\n" + self.diagnostics())

    def finish(self, drain_timeout: float = 180, **verify_kw):
        """Producer done → wait for the commits to reach the end → SIGTERM every chute → verify."""
        for p in self.producers:
            p.join_checked(600)
        if not any(c.alive() for c in self.chutes):
            raise AssertionError("no chute running to drain the topic\n" + self.diagnostics())
        drained = self.wait_drained(drain_timeout)
        rcs = []
        for c in self.chutes:
            if c.alive():
                rcs.append((c.name, c.sigterm(40)))
        self.say(f"drained={drained} exit codes at SIGTERM: {rcs}")
        self.verify(**verify_kw)
        assert drained, f"committed offsets never reached the end within {drain_timeout:.0f}s\n{self.diagnostics()}"
        bad = [(n, rc) for n, rc in rcs if rc != 0]
        assert not bad, f"chute exit codes at the final SIGTERM: {bad}\n{self.diagnostics()}"

    def diagnostics(self) -> str:
        out = [f"==== topic {self.topic} table default.{self.table} group {self.group} mode {self.mode} "
               f"seed {self.fig.seed}"]
        try:
            out.append(f"watermarks {self.watermarks()} committed {self.committed()}")
        except Exception as e:
            out.append(f"kafka state failed: {e}")
        for c in self.chutes[-3:]:
            out.append(c.tail(15))
        return "\n".join(out)

    def close(self):
        for c in self.chutes:
            c.close()
        for p in self.producers:
            p.stop()


# --------------------------------------------------------------------------
# librdkafka's mock cluster (tests/chaos/mock_cluster.c, built as build/mock_cluster)


class MockCluster:
    """
    A librdkafka mock Kafka cluster in a helper process: `mock_cluster
    TOPIC:PARTITIONS ...` prints its bootstrap servers, then takes one
    command per line on stdin and answers `ok [value]` or `error: ...`
    (the command list is at the top of tests/chaos/mock_cluster.c).
    """

    def __init__(self, binary: Path, topics: dict[str, int], log_path: Path, brokers: int = 3):
        self.brokers = brokers
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([str(binary), "--brokers", str(brokers)]
                                     + [f"{t}:{n}" for t, n in topics.items()],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                     text=True, bufsize=1)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            self.close()
            raise RuntimeError(f"mock_cluster printed no bootstrap servers (exit {self.proc.poll()})")
        self._lock = threading.Lock()

    def cmd(self, line: str) -> str:
        """Sends one command; returns what follows `ok` (raises on `error:`)."""
        with self._lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline().strip()
        if reply != "ok" and not reply.startswith("ok "):
            raise RuntimeError(f"mock_cluster: {line!r} -> {reply!r}")
        return reply[3:]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.cmd("quit")
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@dataclass
class KafkaOnly:
    """Stands in for World.env when the Kafka side is not the dev-env broker (the mock cluster)."""
    kafka: str
    ch_url: str
