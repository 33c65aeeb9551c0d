"""
The CREATE TABLE statements of src/map/ddl.c on real engines.

build/test_ddl (tests/unit/map/test_ddl.c) writes the statement for each of
its Debezium fixtures (PostgreSQL, MySQL, an unwrapped row), for both server
kinds (18.16 and 26.9) and both engines (append: MergeTree, upsert:
ReplacingMergeTree), to $CHUTE_DDL_OUT. These tests run them:

  test_modern_accepts   chdb (ClickHouse 26.9 in-process) creates every
                        26.9 table, and DESCRIBE prints each column's type
                        exactly as ddl wrote it (the spelling chute's schema
                        is later built from)
  test_modern_upsert    ReplacingMergeTree(version, is_deleted): a delete
                        with a higher version hides the key in SELECT FINAL,
                        a later re-insert brings it back
  test_old_server_*     the same on the Debian 18.16 server, when
                        CLICKHOUSE_URL is set (skipped otherwise); there the
                        deleted column is a plain one that queries filter on

Run after `cmake --build build`:
  .work/venv/bin/python -m pytest tests/ddl -q
Env: CHUTE_DDL_TEST_BIN (default build/test_ddl), CLICKHOUSE_URL.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATABASE = "chute_ddl_test"


def _bin() -> Path:
    p = Path(os.environ.get("CHUTE_DDL_TEST_BIN", "build/test_ddl"))
    return p if p.is_absolute() else REPO / p


@pytest.fixture(scope="session")
def ddl_dir(tmp_path_factory) -> Path:
    b = _bin()
    if not os.access(b, os.X_OK):
        pytest.fail(f"{b} not found: build it (cmake --build build) or set CHUTE_DDL_TEST_BIN")
    d = tmp_path_factory.mktemp("ddl")
    r = subprocess.run([str(b)], env=dict(os.environ, CHUTE_DDL_OUT=str(d)),
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    files = sorted(d.glob("*.sql"))
    assert len(files) >= 16, f"test_ddl wrote only {[f.name for f in files]}"
    return d


def statements(ddl_dir: Path, server: str) -> list[Path]:
    return sorted(ddl_dir.glob(f"*-{server}-*.sql"))


def declared_columns(sql: str) -> list[tuple[str, str]]:
    """(name, type) of each column line `    `name` Type [DEFAULT expr]`."""
    out = []
    for line in sql.splitlines():
        if not line.startswith("    `"):
            continue
        line = line.strip().rstrip(",")
        i, name = 1, ""
        while line[i] != "`":
            if line[i] == "\\":
                esc = line[i + 1]
                if esc == "x":
                    name += chr(int(line[i + 2:i + 4], 16))
                    i += 4
                    continue
                name += esc
                i += 2
                continue
            name += line[i]
            i += 1
        rest = line[i + 2:]
        out.append((name, re.split(r" DEFAULT ", rest, maxsplit=1)[0]))
    return out


def table_of(sql: str) -> str:
    m = re.search(r"CREATE TABLE IF NOT EXISTS `[^`]+`\.`([^`]+)`", sql)
    assert m, sql
    return m.group(1)


# ------------------------------------------------------------ chdb (26.9)

@pytest.fixture(scope="module")
def chdb_session():
    from chdb import session

    s = session.Session()
    s.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    yield s
    s.close()


def test_modern_accepts(ddl_dir, chdb_session):
    files = statements(ddl_dir, "26.9")
    assert files
    for f in files:
        sql = f.read_text()
        chdb_session.query(sql)
        # IF NOT EXISTS: a second run (a restart) is a no-op
        chdb_session.query(sql)
        desc = chdb_session.query(
            # one-line type names, so they compare as text (chute's type
            # parser reads the pretty multi-line form too)
            f"DESCRIBE TABLE {DATABASE}.`{table_of(sql)}` "
            f"SETTINGS print_pretty_type_names = 0", "JSONEachRow").bytes().decode()
        got = [(r["name"], r["type"]) for r in map(json.loads, desc.splitlines())]
        assert got == declared_columns(sql), f.name
        engine = chdb_session.query(
            f"SELECT engine_full FROM system.tables WHERE database = '{DATABASE}' "
            f"AND name = '{table_of(sql)}'", "TSVRaw").bytes().decode()
        if f.name.endswith("-upsert.sql"):
            assert engine.startswith("ReplacingMergeTree(_version, _deleted)"), engine
        else:
            assert engine.startswith("MergeTree ORDER BY tuple()"), engine


def _final(query, table: str, where: str = "") -> list[str]:
    return query(f"SELECT id, name, _version FROM {DATABASE}.`{table}` FINAL {where} "
                 f"ORDER BY id FORMAT CSV").strip().splitlines()


def test_modern_upsert(ddl_dir, chdb_session):
    sql = (ddl_dir / "small-26.9-upsert.sql").read_text()
    table = table_of(sql)
    chdb_session.query(f"DROP TABLE IF EXISTS {DATABASE}.`{table}`")
    chdb_session.query(sql)

    def q(text):
        return chdb_session.query(text).bytes().decode()

    ins = f"INSERT INTO {DATABASE}.`{table}` (id, name, _version, _deleted) VALUES "
    q(ins + "(1, 'v1', 1, 0), (2, 'other', 1, 0)")
    q(ins + "(1, 'v2', 2, 0)")
    assert _final(q, table) == ['1,"v2",2', '2,"other",1']
    # the delete: the before image with a higher version and is_deleted = 1
    q(ins + "(1, 'v2', 3, 1)")
    assert _final(q, table) == ['2,"other",1']
    # an older change arriving late does not resurrect the key
    q(ins + "(1, 'stale', 2, 0)")
    assert _final(q, table) == ['2,"other",1']
    # re-created with a higher version: present again
    q(ins + "(1, 'v4', 4, 0)")
    assert _final(q, table) == ['1,"v4",4', '2,"other",1']
    # and merges keep the same answer
    q(f"OPTIMIZE TABLE {DATABASE}.`{table}` FINAL")
    assert _final(q, table) == ['1,"v4",4', '2,"other",1']


# ------------------------------------------------------------ 18.16 server

def _server():
    url = os.environ.get("CLICKHOUSE_URL")
    if not url:
        pytest.skip("CLICKHOUSE_URL not set (start one with scripts/dev-env.sh up)")
    return url.rstrip("/")


def _post(url: str, sql: str) -> str:
    req = urllib.request.Request(url + "/", data=sql.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{sql}\n--> {e.read().decode(errors='replace')}") from None


@pytest.fixture(scope="module")
def server():
    url = _server()
    _post(url, f"DROP DATABASE IF EXISTS {DATABASE}")
    _post(url, f"CREATE DATABASE {DATABASE}")
    yield url
    _post(url, f"DROP DATABASE IF EXISTS {DATABASE}")


def test_old_server_accepts(ddl_dir, server):
    files = statements(ddl_dir, "18.16")
    assert files
    for f in files:
        sql = f.read_text()
        _post(server, sql)
        _post(server, sql)
        desc = _post(server, f"DESCRIBE TABLE {DATABASE}.`{table_of(sql)}` FORMAT JSONEachRow")
        got = [(r["name"], r["type"]) for r in map(json.loads, desc.splitlines())]
        assert got == declared_columns(sql), f.name


def test_old_server_upsert(ddl_dir, server):
    sql = (ddl_dir / "small-18.16-upsert.sql").read_text()
    assert "ReplacingMergeTree(`_version`)\n" in sql
    table = table_of(sql)
    _post(server, f"DROP TABLE IF EXISTS {DATABASE}.`{table}`")
    _post(server, sql)

    def q(text):
        return _post(server, text)

    live = "WHERE NOT _deleted"
    ins = f"INSERT INTO {DATABASE}.`{table}` (id, name, _version, _deleted) VALUES "
    q(ins + "(1, 'v1', 1, 0), (2, 'other', 1, 0)")
    q(ins + "(1, 'v2', 2, 0)")
    assert _final(q, table, live) == ['1,"v2",2', '2,"other",1']
    q(ins + "(1, 'v2', 3, 1)")
    assert _final(q, table, live) == ['2,"other",1']
    q(ins + "(1, 'stale', 2, 0)")
    assert _final(q, table, live) == ['2,"other",1']
    q(ins + "(1, 'v4', 4, 0)")
    assert _final(q, table, live) == ['1,"v4",4', '2,"other",1']
