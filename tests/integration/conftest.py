"""
Integration test harness for chute: a real Kafka broker and a real ClickHouse
server (scripts/dev-env.sh), chute run as a subprocess.

Environment:
  KAFKA_BOOTSTRAP + CLICKHOUSE_URL   use an environment that is already up
                                     (CHUTE_DEV_DIR then names its work dir, for
                                     the stop/start-clickhouse subcommands)
  otherwise                          `scripts/dev-env.sh up` with
                                     CHUTE_DEV_DIR=.work/test-env, `down` at the end
  CHUTE_BIN                          the chute binary (default build/chute)
  CHUTE_IT_LOG_LEVEL=debug           chute's log_level in every config
  CHUTE_IT_KAFKA_DEBUG=cgrp,...      librdkafka debug contexts (implies log_level debug)

Every test gets its own topic, table and consumer group (unique suffix), its
own config file in tmp_path, and its chute logs in tmp_path; on failure the
log tails and a diagnostic dump (row counts, watermarks, committed offsets)
are printed. No wait is unbounded: a chute that does not exit is SIGKILLed
after its thread backtraces (gdb) are saved next to its log.

Run: .work/venv/bin/pytest tests/integration -q   (add -s for the THROUGHPUT
and fault-summary lines; -rxX for the known-issue tests).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]
DEV_ENV = REPO / "scripts" / "dev-env.sh"
DEFAULT_DEV_DIR = REPO / ".work" / "test-env"


def chute_bin() -> Path:
    p = Path(os.environ.get("CHUTE_BIN", "build/chute"))
    if not p.is_absolute():
        p = REPO / p
    return p


# --------------------------------------------------------------------------
# ClickHouse over HTTP


class ClickHouseError(Exception):
    pass


def ch_query(url: str, sql: str, timeout: float = 30.0, params: dict | None = None) -> str:
    """POSTs sql to ClickHouse's HTTP interface; returns the body text."""
    full = url.rstrip("/") + "/"
    if params:
        full += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(full, data=sql.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        raise ClickHouseError(f"HTTP {e.code} for {sql[:200]!r}: {body.strip()[:1000]}") from None


def ch_alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/ping", timeout=2) as resp:
            return resp.read().strip() == b"Ok."
    except Exception:
        return False


# --------------------------------------------------------------------------
# the dev environment


class DevEnv:
    def __init__(self, kafka: str, ch_url: str, dev_dir: Path | None, owned: bool):
        self.kafka = kafka
        self.ch_url = ch_url
        self.dev_dir = dev_dir
        self.owned = owned
        self._version: tuple[int, ...] | None = None

    def _script(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        if self.dev_dir is None:
            pytest.skip("needs CHUTE_DEV_DIR to stop/start the servers of an external environment")
        env = dict(os.environ, CHUTE_DEV_DIR=str(self.dev_dir))
        r = subprocess.run([str(DEV_ENV), *args], env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"dev-env.sh {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
        return r

    def stop_clickhouse(self, kill: bool = False) -> float:
        """
        Stops the server (SIGTERM, or SIGKILL with kill=True); returns the
        seconds it took. ClickHouse 18.16 keeps serving busy keep-alive HTTP
        connections after SIGTERM (seen: 25 s while chute kept inserting), so
        fault tests that need it down at once use kill=True.
        """
        t0 = time.monotonic()
        self._script("stop-clickhouse", *(["--kill"] if kill else []))
        assert not ch_alive(self.ch_url), "ClickHouse still answers after stop-clickhouse"
        return time.monotonic() - t0

    def start_clickhouse(self):
        self._script("start-clickhouse")
        wait_until(lambda: ch_alive(self.ch_url), 60, "ClickHouse answers /ping after start-clickhouse")

    @property
    def version(self) -> tuple[int, ...]:
        """The server's version, e.g. (26, 9, 2, 1); asked once."""
        if self._version is None:
            text = ch_query(self.ch_url, "SELECT version()").strip()
            self._version = tuple(int(x) for x in text.split("."))
        return self._version

    @property
    def modern(self) -> bool:
        """A server with the types and settings 18.16 lacks (DateTime64, Date32,
        Map, Bool, insert_deduplication_token, is_deleted): 23.2 or later."""
        return self.version >= (23, 2)

    def ensure_clickhouse(self):
        """Restarts ClickHouse if a test left it stopped."""
        if not ch_alive(self.ch_url) and self.dev_dir is not None:
            self.start_clickhouse()


def parse_env_lines(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Z_]+)=(.*)$", line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


@pytest.fixture(scope="session")
def dev_env():
    if os.environ.get("KAFKA_BOOTSTRAP") and os.environ.get("CLICKHOUSE_URL"):
        d = os.environ.get("CHUTE_DEV_DIR")
        env = DevEnv(os.environ["KAFKA_BOOTSTRAP"], os.environ["CLICKHOUSE_URL"], Path(d) if d else None, owned=False)
        yield env
        return
    DEFAULT_DEV_DIR.mkdir(parents=True, exist_ok=True)
    penv = dict(os.environ, CHUTE_DEV_DIR=str(DEFAULT_DEV_DIR))
    r = subprocess.run([str(DEV_ENV), "up"], env=penv, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        pytest.exit(f"scripts/dev-env.sh up failed ({r.returncode}):\n{r.stderr}", returncode=3)
    lines = parse_env_lines(r.stdout)
    env = DevEnv(lines["KAFKA_BOOTSTRAP"], lines["CLICKHOUSE_URL"], DEFAULT_DEV_DIR, owned=True)
    try:
        yield env
    finally:
        subprocess.run([str(DEV_ENV), "down"], env=penv, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="session")
def chute_binary():
    b = chute_bin()
    if not os.access(b, os.X_OK):
        pytest.exit(f"chute binary {b} not found (build: cmake -S . -B build -G Ninja && cmake --build build, "
                    f"or set CHUTE_BIN)", returncode=3)
    return b


# --------------------------------------------------------------------------
# generic helpers


def wait_until(pred, timeout: float, what: str, interval: float = 0.1):
    """Polls pred() until it is truthy; fails with `what` after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # a server briefly unavailable, etc.
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for: {what}{extra}")
        time.sleep(interval)


def yaml_scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent: int = 0) -> str:
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out.append(to_yaml(v, indent + 1))
            else:
                out.append(f"{pad}{k}: {yaml_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict):
                first = True
                for k, v in item.items():
                    lead = f"{pad}- " if first else f"{pad}  "
                    first = False
                    if isinstance(v, (dict, list)) and v:
                        out.append(f"{lead}{k}:")
                        out.append(to_yaml(v, indent + 2))
                    else:
                        out.append(f"{lead}{k}: {yaml_scalar(v)}")
            else:
                out.append(f"{pad}- {yaml_scalar(item)}")
    return "\n".join(out)


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------
# chute as a subprocess


class Chute:
    def __init__(self, binary: Path, config: Path, log_path: Path, name: str, env: dict | None = None):
        self.name = name
        self.config = config
        self.log_path = log_path
        self._logf = open(log_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(binary), "run", "-c", str(config)], stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=self._logf,
                                     env={**os.environ, **env} if env else None)
        self.exited_at: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int):
        if self.alive():
            self.proc.send_signal(sig)

    def terminate(self):
        self.signal(signal.SIGTERM)

    def kill9(self):
        if self.alive():
            self.proc.kill()
        self.wait(10)

    def wait(self, timeout: float) -> int:
        """Waits for the exit; returns the exit code. Kills and fails on timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stacks = self.stacks()
            self.proc.kill()
            self.proc.wait(10)
            hint = ""
            if "stopped cleanly" in self.log() or "stopping: closing the Kafka consumer" in self.log():
                hint = ("HINT: it got past the consumer close, like the exit hang fixed in ebd6bff "
                        "(regression test: tests/integration/test_bug_exit_hang.py)\n")
            raise AssertionError(f"{self.name} (pid {self.pid}) did not exit within {timeout:.0f}s; killed it\n"
                                 f"{hint}{self.tail()}\n{stacks}")
        if self.exited_at is None:
            self.exited_at = time.monotonic()
        self._logf.flush()
        return rc

    def stacks(self) -> str:
        """Thread backtraces of the live process (gdb, if installed), for hangs."""
        if not shutil.which("gdb") or not self.alive():
            return "(no gdb: no thread backtraces)"
        try:
            r = subprocess.run(["gdb", "-p", str(self.pid), "-batch", "-nx", "-ex", "set pagination off",
                                "-ex", "thread apply all bt"], capture_output=True, text=True, timeout=60)
            text = "\n".join(line for line in r.stdout.splitlines()
                             if line.startswith(("#", "Thread")))
            path = self.log_path.with_suffix(".stacks.txt")
            path.write_text(r.stdout + r.stderr)
            return f"---- thread backtraces of {self.name} (full: {path}) ----\n{text}"
        except Exception as e:
            return f"(gdb failed: {e})"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 40) -> str:
        lines = self.log().splitlines()
        body = "\n".join(lines[-n:])
        return f"---- last {min(n, len(lines))} of {len(lines)} lines of {self.name} log ({self.log_path}) ----\n{body}"

    def wait_log(self, pattern: str, timeout: float, what: str | None = None) -> re.Match:
        rx = re.compile(pattern, re.M)

        def found():
            m = rx.search(self.log())
            if m:
                return m
            if not self.alive():
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) before logging "
                                     f"/{pattern}/\n{self.tail()}")
            return None
        try:
            return wait_until(found, timeout, what or f"{self.name} logs /{pattern}/")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.tail()}") from None

    def close(self):
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._logf.close()


# --------------------------------------------------------------------------
# per-test context


class Ctx:
    """One test's world: topic, table, group, config files, chute processes."""

    PARTITIONS = 4

    def __init__(self, env: DevEnv, binary: Path, tmp_path: Path, name: str):
        self.env = env
        self.binary = binary
        self.tmp = tmp_path
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
        self.suffix = f"{slug}_{uuid.uuid4().hex[:8]}"
        self.topic = f"chute-it.{self.suffix}"
        self.table = f"it_{self.suffix}"
        self.group = f"chute-it-{self.suffix}"
        self.partitions = self.PARTITIONS
        self.chutes: list[Chute] = []
        self.produced: dict[int, int] = {}  # partition -> messages produced
        self.delivered: list[tuple[int, int, bytes | None]] = []  # (partition, offset, value) when tracked
        self._lock = threading.Lock()
        self._producer: Producer | None = None
        self._ncfg = 0
        self._table_created = False
        self.delivery_errors: list = []
        self.hangs: list[str] = []

    # ---- ClickHouse
    @property
    def modern(self) -> bool:
        return self.env.modern

    def needs_modern(self, why: str):
        """Skips the test on an old server, saying what it lacks."""
        if not self.env.modern:
            v = ".".join(map(str, self.env.version))
            pytest.skip(f"ClickHouse {v} lacks {why} (runs on 23.2+; CI's 26.9 job runs it)")

    def needs_old(self, why: str):
        """Skips the test on a modern server: it proves how chute copes with a
        limit of old servers."""
        if self.env.modern:
            v = ".".join(map(str, self.env.version))
            pytest.skip(f"proves chute on servers without {why}; ClickHouse {v} has it (CI's 18.16 job runs it)")

    def ch(self, sql: str, **kw) -> str:
        return ch_query(self.env.ch_url, sql, **kw)

    def ch_value(self, sql: str):
        text = self.ch(sql).strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text

    def ch_rows(self, sql: str) -> list[dict]:
        text = self.ch(sql + " FORMAT JSONEachRow", params={"output_format_json_quote_64bit_integers": "0"})
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def create_table(self, columns: str, order_by: str = "id", settings: str = ""):
        self.ch(f"CREATE TABLE default.{self.table} ({columns}) ENGINE = MergeTree ORDER BY {order_by}"
                + (f" SETTINGS {settings}" if settings else ""))
        self._table_created = True

    def count(self) -> int:
        return int(self.ch(f"SELECT count() FROM default.{self.table}").strip())

    def uniq_ids(self, col: str = "id") -> int:
        return int(self.ch(f"SELECT uniqExact({col}) FROM default.{self.table}").strip())

    def wait_count(self, n: int, timeout: float = 120, at_least: bool = True) -> float:
        """Waits until count() >= n (or == n); returns the monotonic time it was seen."""
        def ok():
            c = self.count()
            if c >= n if at_least else c == n:
                return time.monotonic()
            return None
        try:
            return wait_until(ok, timeout, f"count() of {self.table} {'>=' if at_least else '=='} {n}", interval=0.05)
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.diagnostics()}") from None

    def wait_uniq(self, n: int, timeout: float = 120, col: str = "id") -> float:
        def ok():
            return time.monotonic() if self.uniq_ids(col) >= n else None
        try:
            return wait_until(ok, timeout, f"uniqExact({col}) of {self.table} >= {n}", interval=0.2)
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.diagnostics()}") from None

    # ---- Kafka
    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.env.kafka})

    def create_topic(self, partitions: int | None = None):
        self.partitions = partitions or self.PARTITIONS
        admin = self.admin()
        futs = admin.create_topics([NewTopic(self.topic, num_partitions=self.partitions, replication_factor=1)],
                                   operation_timeout=30, request_timeout=30)
        futs[self.topic].result(timeout=60)

        def ready():
            md = admin.list_topics(topic=self.topic, timeout=5)
            t = md.topics.get(self.topic)
            return (t is not None and t.error is None and len(t.partitions) == self.partitions
                    and all(p.leader >= 0 for p in t.partitions.values()))
        wait_until(ready, 60, f"topic {self.topic} with {self.partitions} partitions has leaders", interval=0.2)
        self.produced = {p: 0 for p in range(self.partitions)}

    def producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer({
                "bootstrap.servers": self.env.kafka,
                "linger.ms": 20,
                "batch.num.messages": 10000,
                "batch.size": 1000000,
                "queue.buffering.max.messages": 1000000,
                "queue.buffering.max.kbytes": 1048576,
                "compression.type": "lz4",
                "acks": "all",
                "enable.idempotence": True,
            })
        return self._producer

    def produce(self, values, start_index: int = 0, track: bool = False, flush: bool = True):
        """
        Produces values (bytes/str/None; None is a tombstone), message i of the
        whole test to partition i % partitions (round-robin, so partitions fill
        evenly). track=True records (partition, offset, value) of each delivery.
        Returns the next index.
        """
        p = self.producer()
        errors = self.delivery_errors

        def on_delivery(err, msg):
            if err is not None:
                errors.append(err)
            elif track:
                with self._lock:
                    self.delivered.append((msg.partition(), msg.offset(), msg.value()))

        cb = on_delivery
        i = start_index
        for v in values:
            if isinstance(v, str):
                v = v.encode()
            part = i % self.partitions
            while True:
                try:
                    p.produce(self.topic, value=v, partition=part, on_delivery=cb)
                    break
                except BufferError:
                    p.poll(0.05)
            with self._lock:
                self.produced[part] = self.produced.get(part, 0) + 1
            i += 1
            if i % 5000 == 0:
                p.poll(0)
        if flush:
            left = p.flush(120)
            assert left == 0, f"{left} messages not delivered within 120s"
        assert not errors, f"delivery errors: {errors[:5]}"
        return i

    def flush(self):
        if self._producer is not None:
            assert self._producer.flush(120) == 0, "messages not delivered within 120s"
        assert not self.delivery_errors, f"delivery errors: {self.delivery_errors[:5]}"

    def watermarks(self) -> dict[int, tuple[int, int]]:
        c = Consumer({"bootstrap.servers": self.env.kafka, "group.id": self.group + "-probe",
                      "enable.auto.commit": False})
        try:
            return {p: c.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)
                    for p in range(self.partitions)}
        finally:
            c.close()

    def committed(self) -> dict[int, int]:
        """Committed offset per partition for the test's group (0 if none)."""
        c = Consumer({"bootstrap.servers": self.env.kafka, "group.id": self.group,
                      "enable.auto.commit": False})
        try:
            tps = c.committed([TopicPartition(self.topic, p) for p in range(self.partitions)], timeout=15)
            return {tp.partition: (tp.offset if tp.offset >= 0 else 0) for tp in tps}
        finally:
            c.close()

    def wait_committed(self, expected: dict[int, int], timeout: float = 60) -> dict[int, int]:
        last = {}

        def ok():
            nonlocal last
            last = self.committed()
            return last if all(last.get(p, 0) >= off for p, off in expected.items()) else None
        try:
            return wait_until(ok, timeout, f"committed offsets reach {expected}", interval=0.5)
        except TimeoutError as e:
            raise AssertionError(f"{e}; last seen {last}\n{self.diagnostics()}") from None

    # ---- chute
    def config(self, overrides: dict | None = None, name: str | None = None) -> Path:
        base = {
            "kafka": {
                "bootstrap_servers": self.env.kafka,
                "group_id": self.group,
                "auto_offset_reset": "earliest",
                "startup_timeout": "20s",
            },
            "clickhouse": {
                "url": self.env.ch_url,
                "database": "default",
                "connect_timeout": "2s",
                "timeout": "30s",
                "insert_workers": 2,
            },
            "batch": {"max_rows": 20000, "max_bytes": "16MiB", "max_wait": "300ms"},
            "retry": {"initial_backoff": "100ms", "max_backoff": "1s"},
            "shutdown_timeout": "20s",
            "stats_interval": "5s",
            "log_level": "info",
            "topics": [{"topic": self.topic, "table": self.table}],
        }
        # Debugging aids: CHUTE_IT_LOG_LEVEL=debug, CHUTE_IT_KAFKA_DEBUG=cgrp,consumer
        if os.environ.get("CHUTE_IT_LOG_LEVEL"):
            base["log_level"] = os.environ["CHUTE_IT_LOG_LEVEL"]
        if os.environ.get("CHUTE_IT_KAFKA_DEBUG"):
            base["kafka"]["properties"] = {"debug": os.environ["CHUTE_IT_KAFKA_DEBUG"]}
            base["log_level"] = "debug"
        cfg = deep_merge(base, overrides or {})
        self._ncfg += 1
        path = self.tmp / (name or f"chute-{self._ncfg}.yaml")
        path.write_text(to_yaml(cfg) + "\n")
        return path

    def write_config_text(self, text: str, name: str) -> Path:
        path = self.tmp / name
        path.write_text(text)
        return path

    def start_chute(self, config: Path | None = None, name: str | None = None,
                    binary: Path | None = None, env: dict | None = None) -> Chute:
        """Starts chute; binary and env (added to ours) for failpoint builds."""
        config = config or self.config()
        name = name or f"chute#{len(self.chutes) + 1}"
        log = self.tmp / f"{name.replace('#', '-')}.log"
        c = Chute(binary or self.binary, config, log, name, env=env)
        self.chutes.append(c)
        return c

    def sigterm(self, c: Chute, timeout: float) -> int | None:
        """
        SIGTERM and wait up to timeout for the exit; returns the exit code, or
        None if chute did not exit: then its thread backtraces are saved, it is
        SIGKILLed and the hang is recorded, so the test can still check rows
        and offsets before assert_no_hangs() fails it.
        """
        c.terminate()
        try:
            return c.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        log = c.log()
        stacks = c.stacks()
        c.kill9()
        known = "stopped cleanly" in log or "stopping: closing the Kafka consumer" in log
        self.hangs.append(
            f"{c.name} did not exit within {timeout:.0f}s of SIGTERM (SIGKILLed it)"
            + ("; it had logged the consumer close / 'stopped cleanly': like the exit hang fixed in "
               "ebd6bff (regression test: tests/integration/test_bug_exit_hang.py)" if known else "")
            + f"\n{c.tail(8)}\n{stacks}")
        print(f"\nHANG: {self.hangs[-1].splitlines()[0]}")
        return None

    def assert_no_hangs(self):
        assert not self.hangs, "chute hung on SIGTERM:\n" + "\n\n".join(self.hangs)

    def run_chute_once(self, config: Path, timeout: float) -> tuple[int, str, float]:
        """Runs chute to its exit (for start-up failures): (code, stderr+stdout, seconds)."""
        t0 = time.monotonic()
        c = self.start_chute(config)
        rc = c.wait(timeout)
        return rc, c.log(), time.monotonic() - t0

    # ---- diagnostics
    def diagnostics(self, tail: int = 40) -> str:
        out = [f"==== diagnostics: topic {self.topic}, table default.{self.table}, group {self.group}"]
        try:
            if self._table_created:
                out.append("clickhouse: " + self.ch(
                    f"SELECT count() AS rows, uniqExact(id) AS ids, min(id), max(id) FROM default.{self.table} "
                    f"FORMAT TSVWithNames").replace("\n", " | "))
        except Exception as e:
            out.append(f"clickhouse: query failed: {e}")
        out.append(f"produced per partition: {self.produced} (sum {sum(self.produced.values())})")
        try:
            out.append(f"watermarks (low, high): {self.watermarks()}")
        except Exception as e:
            out.append(f"watermarks: failed: {e}")
        try:
            com = self.committed()
            out.append(f"committed: {com} (sum {sum(com.values())})")
        except Exception as e:
            out.append(f"committed: failed: {e}")
        for c in self.chutes:
            state = "running" if c.alive() else f"exited {c.proc.returncode}"
            out.append(f"{c.name} pid {c.pid}: {state}")
            out.append(c.tail(tail))
        return "\n".join(out)

    def check(self, cond, what: str):
        """assert with a diagnostic dump."""
        if not cond:
            raise AssertionError(f"{what}\n{self.diagnostics()}")

    def close(self):
        for c in self.chutes:
            c.close()
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None  # destroyed now, not at exit after the broker is gone


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def ctx(request, dev_env, chute_binary, tmp_path):
    dev_env.ensure_clickhouse()
    c = Ctx(dev_env, chute_binary, tmp_path, request.node.name)
    try:
        yield c
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                dev_env.ensure_clickhouse()
                print(c.diagnostics(tail=80))
            except Exception as e:
                print(f"(diagnostics failed: {e})")
        c.close()
        # A test that stopped ClickHouse must not take the next one down with it.
        try:
            dev_env.ensure_clickhouse()
        except Exception as e:
            print(f"could not restart ClickHouse: {e}", file=sys.stderr)


@pytest.fixture
def proxy_factory():
    proxies = []

    # Imported here: tests/chaos loads this file by path, without this
    # directory on sys.path.
    from it_helpers import FaultProxy

    def make(url, mode, faults):
        p = FaultProxy(url, mode, faults)
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.close()
