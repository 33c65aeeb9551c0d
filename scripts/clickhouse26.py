#!/usr/bin/env python3
"""clickhouse26.py — ClickHouse 26.9 as a network server, from the chdb-core wheel.

    clickhouse26.py --config DIR/config.xml --data DIR/data

The PyPI wheel chdb-core (pinned in tests/requirements.txt) carries the whole
ClickHouse 26.9 engine. Its query entry point runs clickhouse-local's
LocalServer, which reads ./config.xml from the working directory and, since
25.x, serves HTTP and the native TCP protocol after `SYSTEM START LISTEN HTTP`
and `SYSTEM START LISTEN TCP` on the listen_host / http_port / tcp_port of
that file. A sleeping SELECT after those statements keeps the process serving;
SIGTERM (or SIGKILL) stops it. scripts/dev-env.sh writes the config and runs
this file with the venv's Python.

What this server is not (docs/testing.md): it has no asynchronous insert queue
(async_insert=1 is accepted and runs synchronously), it cannot replicate (no
interserver listener, no Keeper), there is one server per process, and its
background pools are small.

The package's chdb/__init__.py is never imported: it opens and closes an engine
to read the version, and that close shuts down the registry of streaming
storages for the whole process, after which every ENGINE = Kafka table fails
("Code: 49. Shutdown was called"). The extension module is loaded directly.
"""
import argparse
import ctypes
import importlib.machinery
import importlib.util
import os
import sys
import sysconfig

KEEPALIVE_MARK = "__chute_dev_server_keepalive__"


def load_engine():
    """Loads chdb/_chdb.abi3.so from this interpreter's site-packages."""
    pkg = os.path.join(sysconfig.get_paths()["purelib"], "chdb")
    so = os.path.join(pkg, "_chdb.abi3.so")
    if not os.path.exists(so):
        sys.exit(f"clickhouse26: {so} not found: install chdb-core (scripts/setup.sh)")
    cwd = os.getcwd()
    os.chdir(pkg)  # the extension finds its bundled libraries relative to itself
    try:
        # RTLD_DEEPBIND, as the package's own loader does: the engine's
        # allocator and symbols must not resolve to the interpreter's.
        ctypes.CDLL(so, mode=sys.getdlopenflags() | os.RTLD_DEEPBIND)
        loader = importlib.machinery.ExtensionFileLoader("chdb._chdb", so)
        spec = importlib.util.spec_from_file_location("chdb._chdb", so, loader=loader)
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
    finally:
        os.chdir(cwd)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="config.xml (listen_host, http_port, tcp_port, users_config)")
    ap.add_argument("--data", required=True, help="data directory (MergeTree parts, metadata)")
    ap.add_argument("--no-tcp", action="store_true", help="serve HTTP only")
    a = ap.parse_args()

    config = os.path.abspath(a.config)
    data = os.path.abspath(a.data)
    if os.path.basename(config) != "config.xml":
        sys.exit("clickhouse26: --config must name a file called config.xml (clickhouse-local reads ./config.xml)")
    os.makedirs(data, exist_ok=True)
    engine = load_engine()
    os.chdir(os.path.dirname(config))

    listen = "SYSTEM START LISTEN HTTP;" + ("" if a.no_tcp else " SYSTEM START LISTEN TCP;")
    # One row a second for ~3 years: the query that keeps the listeners up.
    keepalive = (f"SELECT '{KEEPALIVE_MARK}', sleepEachRow(1) FROM numbers(100000000) "
                 "SETTINGS function_sleep_max_microseconds_per_block = 0, max_block_size = 1 FORMAT Null")
    print(f"clickhouse26: pid {os.getpid()} config {config} data {data}", file=sys.stderr, flush=True)
    # The output format TSV makes TabSeparated the HTTP default, as on clickhouse-server.
    res = engine.query(f"{listen} {keepalive}", "TSV", path=data)
    err = res.error_message() if res.has_error() else ""
    print("clickhouse26: stopped" + (f": {err}" if err else ""), file=sys.stderr, flush=True)
    sys.exit(1 if err else 0)


if __name__ == "__main__":
    main()
