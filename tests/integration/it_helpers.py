"""
Deterministic test data for chute's integration tests: "event" messages of
about ten fields (ids, strings with escapes and UTF-8, a float, a bool, two
arrays, an ISO-8601 / epoch timestamp, a nullable, a date), their expected
row values, and aggregate checksums to compare against ClickHouse.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import socket
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / ".work" / "results"

EVENT_COLUMNS = """
    id UInt64,
    user_id UInt32,
    delta Int32,
    name String,
    country FixedString(2),
    amount Float64,
    active UInt8,
    tags Array(String),
    scores Array(Int32),
    ts DateTime,
    note Nullable(String),
    day Date
"""

COUNTRIES = ["US", "DE", "FR", "JP", "BR", "IN", "RU", "CN"]
TAGS = ["a", "bb", "ccc", "dddd", "é", "x y", "q\"t", "tab\t"]
BASE_TS = 1_700_000_000  # 2023-11-14T22:13:20Z


def event(i: int) -> tuple[bytes, dict]:
    """Message i (JSON bytes) and the row it must become."""
    r = random.Random(i)
    epoch = BASE_TS + i * 7 + r.randrange(0, 7)
    utc = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    form = i % 4
    if form == 0:
        ts_json = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif form == 1:  # same instant written at +02:00
        ts_json = (utc + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
    elif form == 2:  # space separator, fraction (truncated), no zone = UTC
        ts_json = utc.strftime("%Y-%m-%d %H:%M:%S") + ".987654"
    else:  # epoch seconds as a number
        ts_json = epoch
    name = f"user-{i} \"quoted\" ü€ \\ back" if i % 3 == 0 else f"u{i}"
    if i % 11 == 0:
        name += "\nline2\ttab"
    ntags = r.randrange(0, 4)
    tags = [TAGS[r.randrange(len(TAGS))] for _ in range(ntags)]
    scores = [r.randrange(-1000, 1000) for _ in range(r.randrange(0, 5))]
    row = {
        "id": i,
        "user_id": r.randrange(0, 4_000_000_000),
        "delta": r.randrange(-2_000_000_000, 2_000_000_000),
        "name": name,
        "country": COUNTRIES[i % len(COUNTRIES)],
        "amount": round(r.uniform(-1e6, 1e6), 2),
        "active": bool(r.getrandbits(1)),
        "tags": tags,
        "scores": scores,
        "ts": ts_json,
        "note": None if i % 5 == 0 else f"note {i}",
        "day": utc.strftime("%Y-%m-%d"),
    }
    # Exercise both escaped (\u00fc) and raw UTF-8 input.
    data = json.dumps(row, ensure_ascii=(i % 2 == 0), separators=(",", ":")).encode()
    expected = dict(row)
    expected["active"] = 1 if row["active"] else 0
    expected["ts"] = epoch
    return data, expected


def events(start: int, n: int) -> list[bytes]:
    return [event(i)[0] for i in range(start, start + n)]


def event_checksums(ids) -> dict:
    """Aggregates over the expected rows, matching CHECKSUM_SQL."""
    s = {"rows": 0, "sum_id": 0, "sum_user_id": 0, "sum_delta": 0, "sum_amount": 0.0, "active": 0,
         "tag_count": 0, "tag_bytes": 0, "score_sum": 0, "sum_ts": 0, "null_notes": 0, "name_bytes": 0,
         "sum_day": 0}
    epoch_day = dt.date(1970, 1, 1)
    for i in ids:
        _, e = event(i)
        s["rows"] += 1
        s["sum_id"] += e["id"]
        s["sum_user_id"] += e["user_id"]
        s["sum_delta"] += e["delta"]
        s["sum_amount"] += e["amount"]
        s["active"] += e["active"]
        s["tag_count"] += len(e["tags"])
        s["tag_bytes"] += sum(len(t.encode()) for t in e["tags"])
        s["score_sum"] += sum(e["scores"])
        s["sum_ts"] += e["ts"]
        s["null_notes"] += e["note"] is None
        s["name_bytes"] += len(e["name"].encode())
        s["sum_day"] += (dt.date.fromisoformat(e["day"]) - epoch_day).days
    return s


def checksum_sql(table: str) -> str:
    return f"""
        SELECT count() AS rows, sum(id) AS sum_id, sum(user_id) AS sum_user_id, sum(delta) AS sum_delta,
               sum(amount) AS sum_amount, countIf(active = 1) AS active,
               sum(length(tags)) AS tag_count, sum(arraySum(arrayMap(t -> length(t), tags))) AS tag_bytes,
               sum(arraySum(scores)) AS score_sum, sum(toUInt32(ts)) AS sum_ts,
               countIf(isNull(note)) AS null_notes, sum(length(name)) AS name_bytes,
               sum(toUInt16(day)) AS sum_day
        FROM default.{table}"""


def compare_checksums(expected: dict, got: dict) -> list[str]:
    bad = []
    for k, v in expected.items():
        g = got.get(k)
        if isinstance(v, float):
            if g is None or not math.isclose(float(g), v, rel_tol=1e-9, abs_tol=1e-3):
                bad.append(f"{k}: expected {v!r}, got {g!r}")
        elif g is None or int(g) != v:
            bad.append(f"{k}: expected {v!r}, got {g!r}")
    return bad


def full_row_sql(table: str, ids) -> str:
    return (f"SELECT id, user_id, delta, name, country, amount, active, tags, scores, "
            f"toUnixTimestamp(ts) AS ts_epoch, toString(ts) AS ts_text, note, toString(day) AS day "
            f"FROM default.{table} WHERE id IN ({', '.join(str(i) for i in ids)}) ORDER BY id")


def compare_row(expected: dict, got: dict) -> list[str]:
    bad = []
    for k, v in expected.items():
        g = got.get("ts_epoch" if k == "ts" else k)
        if k == "amount":
            ok = g is not None and math.isclose(float(g), v, rel_tol=1e-15)
        else:
            ok = g == v
        if not ok:
            bad.append(f"id {expected['id']} column {k}: expected {v!r}, got {g!r}")
    want_text = dt.datetime.fromtimestamp(expected["ts"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if got.get("ts_text") != want_text:
        bad.append(f"id {expected['id']} ts text: expected {want_text!r}, got {got.get('ts_text')!r}")
    return bad


class BackgroundProducer(threading.Thread):
    """Produces events start..start+n in chunks at a bounded rate (messages/s)."""

    def __init__(self, ctx, start: int, n: int, rate: float, chunk: int = 1000):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.start_index = start
        self.n = n
        self.rate = rate
        self.chunk = chunk
        self.sent = 0
        self.error: BaseException | None = None
        self.stop_flag = threading.Event()

    def run(self):
        try:
            t0 = time.monotonic()
            i = self.start_index
            end = self.start_index + self.n
            while i < end and not self.stop_flag.is_set():
                k = min(self.chunk, end - i)
                self.ctx.produce(events(i, k), start_index=i, flush=False)
                i += k
                self.sent = i - self.start_index
                due = t0 + self.sent / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            self.ctx.flush()
        except BaseException as e:  # reported by join_checked
            self.error = e

    def join_checked(self, timeout: float = 120):
        self.join(timeout)
        assert not self.is_alive(), "producer thread did not finish"
        if self.error:
            raise self.error


def free_closed_port() -> int:
    """A local port nobody listens on (bound once, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# The "totals" line chute logs at shutdown (pipeline.c log_stats).
TOTALS_RE = re.compile(
    r"totals (?P<topic>\S+) -> (?P<table>\S+): (?P<messages>\d+) messages, (?P<rows>\d+) rows inserted in "
    r"(?P<batches>\d+) batches \((?P<inserts>\d+) inserts, avg insert \d+ ms\), (?P<bad>\d+) bad \((?P<dead_lettered>\d+) dead-lettered\), "
    r"(?P<empty>\d+) empty, "
    r"(?P<unknown>\d+) unknown fields, (?P<missing>\d+) missing fields, (?P<nulls>\d+) nulls defaulted, "
    r"(?P<retries>\d+) insert retries")


def parse_totals(log: str) -> dict | None:
    m = None
    for m in TOTALS_RE.finditer(log):
        pass
    if not m:
        return None
    d = m.groupdict()
    return {k: (int(v) if v.isdigit() else v) for k, v in d.items()}


def _shut(*socks: socket.socket, close: bool = False):
    """Shuts both directions of each socket (and closes it), ignoring errors."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if close:
            s.close()


class FaultProxy:
    """
    A TCP proxy in front of ClickHouse's HTTP port. Requests that do not
    contain "INSERT" (the start-up probes) and empty inserts pass through.
    The first `faults` insert requests with rows get `mode`:
      "503"   answered with HTTP 503 and not forwarded
      "stall" swallowed: never forwarded, never answered
      "cut"   forwarded in full; the server's answer is dropped and the
              client connection closed (outcome unknown)
    """

    def __init__(self, upstream_url: str, mode: str, faults: int):
        host_port = upstream_url.split("//", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.mode = mode
        self.faults = faults
        self.injected = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _take_fault(self) -> bool:
        with self.lock:
            if self.injected < self.faults:
                self.injected += 1
                return True
            return False

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket):
        try:
            server = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()
            return
        state = {"cut": False}

        def downstream():
            try:
                while True:
                    data = server.recv(65536)
                    if not data:
                        break
                    if state["cut"]:
                        break  # drop the answer to the insert
                    client.sendall(data)
            except OSError:
                pass
            _shut(client, server, close=True)

        threading.Thread(target=downstream, daemon=True).start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                # Inserts with rows only: not exactly-once's empty probe.
                if (b"INSERT" in data and b"Content-Length: 0\r\n" not in data
                        and self._take_fault()):
                    if self.mode == "503":
                        client.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                                       b"Content-Length: 12\r\nConnection: close\r\n\r\n"
                                       b"proxy says 5")
                        break
                    if self.mode == "stall":
                        while client.recv(65536):
                            pass  # read and drop until the client gives up
                        break
                    state["cut"] = True
                server.sendall(data)
        except OSError:
            pass
        _shut(client, server)
