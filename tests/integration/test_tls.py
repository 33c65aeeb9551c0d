"""
https:// ClickHouse URLs (docs/configuration.md, clickhouse.tls), end to end.

The dev environment's ClickHouse serves plain HTTP, so a small TLS
terminator (Python's ssl module) sits in front of it, with a CA and a server
certificate made by openssl for this test: chute speaks real TLS, the rows
land in the real server. Cases: the CA given in tls.ca_file; the system
store, which does not know that CA (start-up fails and says why);
verify: false; and a terminator that requires a client certificate.
"""
from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

COLUMNS = "id UInt64, v UInt64"


def rows(n: int) -> list[bytes]:
    return [json.dumps({"id": i, "v": i * 3}).encode() for i in range(n)]


def openssl(*args: str, cwd: Path):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=chute test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=chute test {name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)
    return d


class TlsTerminator:
    """Accepts TLS on 127.0.0.1 and forwards the plain bytes to ClickHouse."""

    def __init__(self, upstream_url: str, pki: Path, require_client_cert: bool = False):
        host, port = upstream_url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
        self.upstream = (host, int(port))
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pki / "server.pem", pki / "server.key")
        if require_client_cert:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(pki / "ca.pem")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.handshake_errors: list[str] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closed = True
        self.sock.close()

    def _accept(self):
        while not self.closed:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.handshake_errors.append(str(e))
            raw.close()
            return
        try:
            up = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            tls.close()
            return

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

        threading.Thread(target=pump, args=(up, tls), daemon=True).start()
        pump(tls, up)


@pytest.fixture
def terminator(ctx, pki):
    made = []

    def make(require_client_cert: bool = False) -> TlsTerminator:
        t = TlsTerminator(ctx.env.ch_url, pki, require_client_cert)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def run_to_completion(ctx, cfg, n: int):
    c = ctx.start_chute(cfg)
    ctx.wait_committed({0: n}, timeout=60)
    ctx.check(ctx.count() == n and ctx.uniq_ids() == n, f"count {ctx.count()}, uniq {ctx.uniq_ids()}")
    ctx.check(ctx.sigterm(c, 30) == 0, "chute did not stop cleanly")


def test_https_with_the_ca_in_tls_ca_file(ctx, pki, terminator):
    t = terminator()
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    ctx.produce(rows(2000))
    run_to_completion(ctx, ctx.config({"clickhouse": {"url": t.url, "tls": {"ca_file": str(pki / "ca.pem")}}}),
                      2000)


def test_https_to_an_unknown_ca_stops_start_up_and_says_why(ctx, terminator):
    t = terminator()
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    rc, out, secs = ctx.run_chute_once(ctx.config({"clickhouse": {"url": t.url}}), 60)
    ctx.check(rc not in (0, None), f"chute started against a server whose CA it cannot know (exit {rc})")
    ctx.check("certificate" in out.lower(), f"the error does not name the certificate problem:\n{out}")
    ctx.check(secs < 30, f"took {secs:.1f}s to fail")


def test_https_with_verify_false(ctx, terminator):
    t = terminator()
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    ctx.produce(rows(500))
    run_to_completion(ctx, ctx.config({"clickhouse": {"url": t.url, "tls": {"verify": False}}}), 500)


def test_https_with_a_client_certificate(ctx, pki, terminator):
    t = terminator(require_client_cert=True)
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    ctx.produce(rows(500))
    tls = {"ca_file": str(pki / "ca.pem")}
    rc, out, _ = ctx.run_chute_once(ctx.config({"clickhouse": {"url": t.url, "tls": tls}}), 60)
    ctx.check(rc not in (0, None), f"chute started without the client certificate the server requires:\n{out}")
    tls.update(client_cert=str(pki / "client.pem"), client_key=str(pki / "client.key"))
    run_to_completion(ctx, ctx.config({"clickhouse": {"url": t.url, "tls": tls}}), 500)
