"""
Shared helpers of the golden RowBinary tests (test_golden.py) and of the
bless script (bless.py). See README.md in this directory.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES = HERE / "cases"
EXPECTED = HERE / "expected"

# rowbinary_golden's exit status when chute refuses a column type.
EXIT_UNSUPPORTED = 3

# Output settings for every read-back, on chdb and on the 18.16 server, so
# both print the same text: 64-bit integers as numbers, NaN/Inf as strings
# ("nan", "inf", "-inf") instead of null, DateTime without a zone in UTC.
JSON_SETTINGS = {
    "output_format_json_quote_64bit_integers": 0,
    "output_format_json_quote_denormals": 1,
}


def encoder_bin() -> Path:
    p = Path(os.environ.get("CHUTE_GOLDEN_BIN", "build/rowbinary_golden"))
    return p if p.is_absolute() else REPO / p


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.jsonl"))


@dataclass
class Case:
    name: str
    path: Path
    columns: list  # [name, type] or [name, type, default_kind, default_expr]
    with_defaults: bool

    @property
    def bin(self) -> Path:
        return EXPECTED / f"{self.name}.bin"

    @property
    def json(self) -> Path:
        return EXPECTED / f"{self.name}.json"

    @property
    def errors(self) -> Path:
        return EXPECTED / f"{self.name}.errors"

    def column(self, name: str) -> list:
        for c in self.columns:
            if c[0] == name:
                return c
        raise KeyError(name)


def load_case(name: str) -> Case:
    path = CASES / f"{name}.jsonl"
    with open(path, "rb") as f:
        header = json.loads(f.readline())
    return Case(name, path, header["columns"], bool(header.get("with_defaults", False)))


@dataclass
class Encoded:
    rc: int
    stdout: str
    data: bytes = b""
    format: str = ""
    insert: list = field(default_factory=list)

    @property
    def report(self) -> list[str]:
        """stdout without the format/insert lines: what <case>.errors holds."""
        return [l for l in self.stdout.splitlines()
                if not l.startswith(("format: ", "insert: "))]


def encode(case: Case, out: Path) -> Encoded:
    """Runs rowbinary_golden on the case; the bytes it wrote are in .data."""
    b = encoder_bin()
    if not os.access(b, os.X_OK):
        raise FileNotFoundError(f"{b} not found: build it (cmake --build build --target "
                                f"rowbinary_golden) or set CHUTE_GOLDEN_BIN")
    if out.exists():
        out.unlink()
    r = subprocess.run([str(b), str(case.path), str(out)], capture_output=True, timeout=60)
    stdout = r.stdout.decode("utf-8", errors="replace")
    enc = Encoded(r.returncode, stdout)
    if r.returncode not in (0, EXIT_UNSUPPORTED):
        raise RuntimeError(f"rowbinary_golden {case.name}: exit {r.returncode}\n"
                           f"{stdout}{r.stderr.decode(errors='replace')}")
    if r.returncode == 0:
        enc.data = out.read_bytes()
        for l in stdout.splitlines():
            if l.startswith("format: "):
                enc.format = l[len("format: "):]
            elif l.startswith("insert: "):
                enc.insert = json.loads(l[len("insert: "):])
    return enc


def quote_ident(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def sql_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def insert_columns(case: Case) -> list[list]:
    """The columns chute INSERTs, as the schema rules say (schema.h)."""
    out = []
    for c in case.columns:
        kind = c[2] if len(c) > 2 else ""
        if kind in ("MATERIALIZED", "ALIAS"):
            continue
        if kind == "DEFAULT" and not case.with_defaults:
            continue
        out.append(c)
    return out


def structure(case: Case, with_default_exprs: bool | None = None) -> str:
    """file()'s structure argument for the inserted columns. With
    RowBinaryWithDefaults the DEFAULT expressions are part of it, so a
    "use the default" marker decodes to the column's own default."""
    if with_default_exprs is None:
        with_default_exprs = case.with_defaults
    parts = []
    for c in insert_columns(case):
        s = f"{quote_ident(c[0])} {c[1]}"
        if with_default_exprs and len(c) > 2 and c[2] == "DEFAULT":
            s += f" DEFAULT {c[3]}"
        parts.append(s)
    return ", ".join(parts)


def table_ddl(case: Case, table: str) -> str:
    """CREATE TABLE with every column of the case (DEFAULT, MATERIALIZED,
    ALIAS included), MergeTree without a sort key."""
    cols = []
    for c in case.columns:
        s = f"{quote_ident(c[0])} {c[1]}"
        if len(c) > 2 and c[2]:
            s += f" {c[2]} {c[3]}"
        cols.append(s)
    return f"CREATE TABLE {table} ({', '.join(cols)}) ENGINE = MergeTree ORDER BY tuple()"


def fmt(case: Case) -> str:
    return "RowBinaryWithDefaults" if case.with_defaults else "RowBinary"


def chdb_decode(path: Path, case: Case) -> str:
    """Decodes a RowBinary file with the modern engine; JSONEachRow text."""
    import chdb

    # chute writes JSON columns as text and asks the server to read them so
    # (src/pipeline/pipeline.c adds the same setting to such inserts).
    settings = dict(JSON_SETTINGS, session_timezone="UTC",
                    input_format_binary_read_json_as_string=1)
    q = (f"SELECT * FROM file({sql_str(str(path.resolve()))}, {sql_str(fmt(case))}, "
         f"{sql_str(structure(case))}) FORMAT JSONEachRow SETTINGS "
         + ", ".join(f"{k} = {v if isinstance(v, int) else sql_str(v)}" for k, v in settings.items()))
    return chdb.query(q).bytes().decode("utf-8")


def check_json_text(case: Case, text: str) -> str:
    """Round-trips hand-written expected JSONEachRow text through chdb (parse
    with the case's structure, print again): the result is the canonical
    form chdb prints, so a hand-written expectation can be checked for it."""
    import chdb

    settings = dict(JSON_SETTINGS, session_timezone="UTC")
    q = (f"SELECT * FROM format(JSONEachRow, {sql_str(structure(case, False))}, {sql_str(text)}) "
         f"FORMAT JSONEachRow SETTINGS "
         + ", ".join(f"{k} = {v if isinstance(v, int) else sql_str(v)}" for k, v in settings.items()))
    return chdb.query(q).bytes().decode("utf-8")


def errors_match(expected: list[str], got: list[str]) -> bool:
    """Exact line comparison; an expected line ending in '*' (hand-written
    for a type not yet supported) matches any line with that prefix."""
    if len(expected) != len(got):
        return False
    for e, g in zip(expected, got):
        if e.endswith("*"):
            if not g.startswith(e[:-1]):
                return False
        elif e != g:
            return False
    return True
