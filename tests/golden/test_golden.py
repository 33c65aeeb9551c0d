"""
Golden RowBinary tests: the exact bytes chute encodes for each case in
cases/, and the values ClickHouse decodes them to. See README.md.

  test_bytes      rowbinary_golden's output == expected/<case>.bin, and its
                  per-line report == expected/<case>.errors
  test_decode     chdb (ClickHouse 26.x in-process) decodes expected/<case>.bin
                  with file(..., 'RowBinary'|'RowBinaryWithDefaults', structure)
                  to exactly expected/<case>.json
  test_structure  the case's column types are valid on the modern engine, in
                  the canonical spelling DESCRIBE prints (what chute is given)
  test_old_server the Debian ClickHouse 18.16 server (only with CLICKHOUSE_URL):
                  INSERT ... FORMAT RowBinary of expected/<case>.bin into a
                  MergeTree table reads back as expected/<case>.json

Cases whose types chute refuses are skipped with chute's message; once the
type lands, test_decode checks the fresh bytes against the (hand-written)
expected .json, and test_bytes asks for bless.py after review.
Env: CHUTE_GOLDEN_BIN (default build/rowbinary_golden), CLICKHOUSE_URL.
"""
from __future__ import annotations

import datetime
import json
import os
import struct
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zoneinfo

import pytest

import golden_common as g

# Known chute bugs / open questions: the case's expected files state the
# correct behaviour; the tests are xfail(strict) so a fix turns them XPASS
# (and fails the run) until the entry is removed.
KNOWN_ISSUES: dict = {}


def _params():
    out = []
    for name in g.case_names():
        marks = []
        if name in KNOWN_ISSUES:
            marks.append(pytest.mark.xfail(reason=KNOWN_ISSUES[name], strict=True))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


CASES = _params()


@pytest.fixture(scope="session")
def encoded(tmp_path_factory):
    """Each case encoded once per session: name -> (Case, Encoded, path)."""
    d = tmp_path_factory.mktemp("golden")
    memo = {}

    def get(name):
        if name not in memo:
            case = g.load_case(name)
            path = d / f"{name}.bin"
            memo[name] = (case, g.encode(case, path), path)
        return memo[name]

    return get


def _refused(case, enc):
    """Skip (type not supported yet) or fail (a blessed case regressed)."""
    if enc.rc == g.EXIT_UNSUPPORTED:
        if case.bin.exists():
            pytest.fail(f"chute now refuses a case with golden bytes: {enc.stdout.strip()}")
        pytest.skip(f"chute refuses the type: {enc.stdout.strip()}")


@pytest.mark.parametrize("name", CASES)
def test_bytes(name, encoded):
    case, enc, _ = encoded(name)
    _refused(case, enc)
    assert enc.format == g.fmt(case)
    assert enc.insert == [c[0] for c in g.insert_columns(case)]
    if case.errors.exists():
        expected_errors = case.errors.read_text().splitlines()
        assert g.errors_match(expected_errors, enc.report), (
            "per-line report differs\nexpected:\n" + "\n".join(expected_errors)
            + "\ngot:\n" + "\n".join(enc.report))
    if not case.bin.exists():
        pytest.skip(f"no golden bytes yet for a newly supported type: review the decode test, then "
                    f"run tests/golden/bless.py {name}")
    golden = case.bin.read_bytes()
    if enc.data != golden:
        n = next((i for i, (a, b) in enumerate(zip(enc.data, golden)) if a != b),
                 min(len(enc.data), len(golden)))
        pytest.fail(f"bytes differ at offset {n} (got {len(enc.data)} bytes, golden {len(golden)}):\n"
                    f"  got    {enc.data[n:n + 24].hex(' ')}\n  golden {golden[n:n + 24].hex(' ')}")


@pytest.mark.parametrize("name", CASES)
def test_decode(name, encoded):
    pytest.importorskip("chdb")
    case, enc, fresh = encoded(name)
    _refused(case, enc)
    # The golden bytes when there are some (test_bytes ties them to chute);
    # otherwise what chute writes now (a newly supported type, or a known issue).
    src = case.bin if case.bin.exists() else fresh
    got = g.chdb_decode(src, case)
    assert got == case.json.read_text(), f"chdb decodes {src.name} to:\n{got}"


@pytest.fixture(scope="module")
def chdb_session(tmp_path_factory):
    chdb = pytest.importorskip("chdb")
    from chdb import session as chs
    s = chs.Session(str(tmp_path_factory.mktemp("chdb")))
    s.query("CREATE DATABASE IF NOT EXISTS golden")
    yield s
    s.close()


def _describe(run, table):
    out = run(f"DESCRIBE TABLE {table} FORMAT JSONEachRow SETTINGS print_pretty_type_names = 0")
    return [json.loads(l) for l in out.splitlines() if l.strip()]


@pytest.mark.parametrize("name", [p for p in g.case_names()])
def test_structure(name, chdb_session):
    case = g.load_case(name)
    table = f"golden.{name}"
    run = lambda q: chdb_session.query(q).bytes().decode()  # noqa: E731
    run(f"DROP TABLE IF EXISTS {table}")
    run(g.table_ddl(case, table))
    got = [[r["name"], r["type"]] for r in _describe(run, table)]
    assert got == [[c[0], c[1]] for c in case.columns], (
        "the engine spells the types differently; write them in cases/ as DESCRIBE prints them "
        "(chute is given DESCRIBE's spelling)")
    # The file() structure of the decode test is accepted too.
    run(f"DESCRIBE TABLE format({g.fmt(case)}, {g.sql_str(g.structure(case))}, '')")


# --------------------------------------------------------------------------
# the Debian ClickHouse 18.16 server


def _ch(url, sql, data: bytes | None = None, params: dict | None = None) -> str:
    p = dict(params or {})
    if data is not None:
        p["query"] = sql
        body = data
    else:
        body = sql.encode()
    req = urllib.request.Request(url.rstrip("/") + "/?" + urllib.parse.urlencode(p), data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        raise RuntimeError(e.read().decode(errors="replace").strip()) from None


def _norm(v, t: str):
    """A decoded value made comparable across server versions, by type:
    Float32 rounded to float32 (an old server may print more digits);
    64-bit integers quoted or not -> int; DateTime text -> epoch seconds
    (18.16 prints epoch 0 as "0000-00-00 00:00:00" in any zone); Date
    text -> day number ("0000-00-00" is 18.16's day 0). Everything else as parsed."""
    t = t.strip()
    if v is None:
        return None
    if t.startswith("Nullable(") or t.startswith("LowCardinality("):
        return _norm(v, t[t.index("(") + 1:-1])
    if t.startswith("Array("):
        return [_norm(x, t[6:-1]) for x in v]
    if t == "Date" and isinstance(v, str):
        if v == "0000-00-00":
            return 0
        return (datetime.date.fromisoformat(v) - datetime.date(1970, 1, 1)).days
    if t.startswith("DateTime") and not t.startswith("DateTime64") and isinstance(v, str):
        if v == "0000-00-00 00:00:00":
            return 0
        zone = t[len("DateTime('"):-2] if t.startswith("DateTime('") else "UTC"
        local = datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S")
        return int(local.replace(tzinfo=zoneinfo.ZoneInfo(zone)).timestamp())
    if t in ("Int64", "UInt64") and isinstance(v, str):
        return int(v)
    if t == "Float32" and isinstance(v, (int, float)):
        return struct.unpack("<f", struct.pack("<f", float(v)))[0]
    if t in ("Float32", "Float64") and isinstance(v, (int, float)):
        return float(v)
    return v


def _rows(text: str, cols) -> list:
    out = []
    for line in text.splitlines():
        if line.strip():
            r = json.loads(line)
            out.append({c[0]: _norm(r[c[0]], c[1]) for c in cols})
    return out


def _old_select(cols) -> str:
    """Date and DateTime columns as numbers (days, epoch seconds): 18.16
    formats them as text only up to 2105 (DateTime 4294967295 prints as
    "1970-01-01 06:28:15", Date 65535 as "1970-01-01"); the values are right."""
    out = []
    for c in cols:
        q = g.quote_ident(c[0])
        bare = c[1][len("Nullable("):-1] if c[1].startswith("Nullable(") else c[1]
        if bare.startswith("DateTime") and not bare.startswith("DateTime64"):
            out.append(f"toUInt32({q}) AS {q}")
        elif bare == "Date":
            out.append(f"toUInt16({q}) AS {q}")
        else:
            out.append(q)
    return ", ".join(out)


@pytest.fixture(scope="module")
def old_server():
    url = os.environ.get("CLICKHOUSE_URL")
    if not url:
        pytest.skip("CLICKHOUSE_URL not set (the 18.16 server of scripts/dev-env.sh)")
    version, tz = _ch(url, "SELECT version(), timezone() FORMAT TSV").strip().split("\t")
    return url, version, tz


@pytest.mark.parametrize("name", CASES)
def test_old_server(name, old_server):
    url, version, tz = old_server
    case = g.load_case(name)
    if case.with_defaults:
        pytest.skip(f"RowBinaryWithDefaults is not in ClickHouse {version}")
    data = case.bin.read_bytes() if case.bin.exists() else None
    if data is None:
        pytest.skip("no golden bytes (type not supported by chute yet, or a known issue)")
    if tz != "UTC" and tz != "Etc/UTC" and any("DateTime" == c[1] for c in case.columns):
        pytest.skip(f"server time zone {tz}: DateTime without a zone would print differently")
    table = f"golden_{name}_{uuid.uuid4().hex[:8]}"
    try:
        _ch(url, g.table_ddl(case, table))
    except RuntimeError as e:
        # The old server cannot create such a table at all: a type it lacks
        # (50), Decimal256's precision (69), LowCardinality behind an
        # experimental flag (44), named Tuple syntax (62). Those cases are
        # proven on the modern engine only.
        if any(f"Code: {c}," in str(e) for c in (50, 44, 62, 69)):
            pytest.skip(f"ClickHouse {version} cannot create this table: {str(e)[:200]}")
        raise
    try:
        cols = g.insert_columns(case)
        names = ", ".join(g.quote_ident(c[0]) for c in cols)
        _ch(url, f"INSERT INTO {table} ({names}) FORMAT RowBinary", data=data)
        got = _ch(url, f"SELECT {_old_select(cols)} FROM {table} FORMAT JSONEachRow", params=g.JSON_SETTINGS)
    finally:
        _ch(url, f"DROP TABLE IF EXISTS {table}")
    expected = _rows(case.json.read_text(), cols)
    assert _rows(got, cols) == expected, f"ClickHouse {version} reads back:\n{got}"
