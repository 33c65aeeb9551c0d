"""
A TCP proxy between chute and ClickHouse's HTTP port that the chaos cases
control. Modes (set_mode, takes effect for new requests at once):

  pass                 relay both ways
  delay MS             hold each response chunk MS milliseconds before relaying it
  cut                  forward the whole request; when the server starts to answer
                       (so it has read the full body and ran the INSERT), close both
                       sides without relaying a byte of the response: "outcome unknown"
  reset N              after N bytes of a request, reset both sides (RST): the server
                       sees a truncated body
  refuse               stop listening: connections are refused

Only requests whose first bytes contain "INSERT" are cut or reset (chute's
start-up queries pass), and each with probability `prob` (seeded rng), so
chute still makes progress. Counters: cuts, resets, refused, delayed.
Run alone for a manual test: python faultproxy.py LISTEN_PORT TARGET_HOST TARGET_PORT
"""
from __future__ import annotations

import random
import select
import socket
import struct
import sys
import threading
import time


def _rst_close(s: socket.socket):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int = 0, seed: int = 0):
        self.target = (target_host, target_port)
        self.rng = random.Random(seed)
        self.mode = "pass"
        self.arg = 0
        self.prob = 1.0
        self.counts = {"connections": 0, "requests": 0, "inserts": 0, "cuts": 0, "resets": 0,
                       "refused_periods": 0, "delayed": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._lsock: socket.socket | None = None
        self.port = listen_port
        self._open_listener()
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()
        self._conns: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _open_listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        s.settimeout(0.2)
        self.port = s.getsockname()[1]
        self._lsock = s

    def set_mode(self, mode: str, arg: int = 0, prob: float = 1.0):
        assert mode in ("pass", "delay", "cut", "reset", "refuse"), mode
        with self._lock:
            old = self.mode
            self.mode, self.arg, self.prob = mode, arg, prob
            if mode == "refuse" and old != "refuse":
                self.counts["refused_periods"] += 1
                if self._lsock is not None:
                    self._lsock.close()
                    self._lsock = None
                # Established keep-alive connections die too, like a server gone away.
                for c in list(self._conns):
                    _rst_close(c)
            elif mode != "refuse" and self._lsock is None:
                self._open_listener()

    def close(self):
        self._stop.set()
        with self._lock:
            if self._lsock is not None:
                self._lsock.close()
                self._lsock = None
            for c in list(self._conns):
                _rst_close(c)

    def _accept_loop(self):
        while not self._stop.is_set():
            ls = self._lsock
            if ls is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = ls.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.counts["connections"] += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _roll(self) -> bool:
        with self._lock:
            return self.rng.random() < self.prob

    def _serve(self, client: socket.socket):
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _rst_close(client)
            return
        server.settimeout(None)
        with self._lock:
            self._conns |= {client, server}
        # Per request: the first chunk tells whether it is an INSERT; the
        # fault is decided once per request.
        in_request = False
        req_bytes = 0
        is_insert = False
        fault = None  # ("cut",) | ("reset", n)
        try:
            while not self._stop.is_set():
                r, _, _ = select.select([client, server], [], [], 0.5)
                if client in r:
                    data = client.recv(65536)
                    if not data:
                        break
                    if not in_request:
                        in_request = True
                        req_bytes = 0
                        is_insert = b"INSERT" in data[:8192].upper()
                        fault = None
                        with self._lock:
                            self.counts["requests"] += 1
                            self.counts["inserts"] += is_insert
                            mode, arg = self.mode, self.arg
                        if is_insert and mode in ("cut", "reset") and self._roll():
                            fault = (mode, arg)
                    if fault and fault[0] == "reset" and req_bytes + len(data) >= fault[1]:
                        keep = max(0, fault[1] - req_bytes)
                        if keep:
                            server.sendall(data[:keep])
                        with self._lock:
                            self.counts["resets"] += 1
                        _rst_close(server)
                        _rst_close(client)
                        return
                    server.sendall(data)
                    req_bytes += len(data)
                if server in r:
                    data = server.recv(65536)
                    if not data:
                        break
                    if in_request and data[:12] in (b"HTTP/1.1 100", b"HTTP/1.0 100"):
                        client.sendall(data)  # "100 Continue": the body comes next
                        continue
                    if in_request and fault and fault[0] == "cut":
                        # The server answers: it has the whole body. Drop the answer.
                        with self._lock:
                            self.counts["cuts"] += 1
                        _rst_close(server)
                        _rst_close(client)
                        return
                    in_request = False
                    with self._lock:
                        mode, arg = self.mode, self.arg
                    if mode == "delay" and arg > 0:
                        with self._lock:
                            self.counts["delayed"] += 1
                        time.sleep(arg / 1000.0)
                    client.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(client)
                self._conns.discard(server)
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass


if __name__ == "__main__":
    lp, th, tp = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    px = FaultProxy(th, tp, lp)
    print(f"proxy on {px.url} -> {th}:{tp}; type: pass | delay MS | cut [P] | reset N [P] | refuse")
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            print(px.counts)
            continue
        m = parts[0]
        a = int(parts[1]) if len(parts) > 1 and m in ("delay", "reset") else 0
        p = float(parts[-1]) if (m == "cut" and len(parts) > 1) or (m == "reset" and len(parts) > 2) else 1.0
        px.set_mode(m, a, p)
        print(m, a, p, px.counts)
