"""
Chaos suite fixtures. Run through scripts/chaos.sh (it builds chute, starts
the servers and sets the environment); by hand:

  KAFKA_BOOTSTRAP=… CLICKHOUSE_URL=… CHUTE_DEV_DIR=… \
    .work/venv/bin/python -m pytest tests/chaos -s

Environment:
  CHAOS_PROFILE   short (default) | soak
  CHAOS_SEED      seed of every random choice (default: random; printed)
  CHAOS_RECORDS   records of the kill -9 case per mode (other cases scale with it)
  CHAOS_KILLS     kill -9 count of the kill -9 case per mode
  CHUTE_BIN       chute for the cases without failpoints (default build/chute)
  CHAOS_FP_BIN    chute built with -DCHUTE_FAILPOINTS=ON (default build-chaos/chute)
  CHAOS_RESULTS   results directory (default tests/chaos/results)
  CHAOS_TABLE_SETTINGS  SETTINGS of every test table (chaos.sh --dedup-window N);
                  the results file is then <profile>-window<N>-<date>
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chaos_lib import (MODES, REPO, Figures, World, ch_alive, itc, to_yaml, wait_until)  # noqa: E402

PROFILE = os.environ.get("CHAOS_PROFILE", "short")
assert PROFILE in ("short", "soak"), f"CHAOS_PROFILE={PROFILE!r}: short or soak"
SEED = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 2**31))
RESULTS: list[Figures] = []
T_START = time.time()


class Profile:
    """
    Sizes of every case, by profile; CHAOS_RECORDS / CHAOS_KILLS override the kill -9 case.
    short is CI's run: about 8 minutes of pytest on a 2-core machine with both modes and the
    failpoints; soak is >= 1,000,000 records and >= 100 kill -9 per mode.
    """

    def __init__(self, name: str):
        self.name = name
        soak = name == "soak"
        self.kill_records = int(os.environ.get("CHAOS_RECORDS") or (1_000_000 if soak else 40_000))
        self.kills = int(os.environ.get("CHAOS_KILLS") or (120 if soak else 10))
        self.rate = 3000 if soak else 2500
        scale = max(1, self.kill_records // 40_000) if not soak else 1
        self.records = (60_000 if soak else 12_000) * scale       # most other cases
        self.ch_stop_seconds = 60 if soak else 8
        self.ch_pauses = 6 if soak else 1
        self.kafka_cycles = 5 if soak else 1
        self.churn_seconds = 240 if soak else 12
        self.fp_hits = 8 if soak else 1                           # failpoint kills per failpoint
        # The failpoints guard exactly-once's steps; short runs them in that mode only.
        self.fp_modes = ("at-least-once", "exactly-once") if soak else ("exactly-once",)
        self.poison_kills = 10 if soak else 2
        self.proxy_rounds = 5 if soak else 1
        self.proxy_round_seconds = (4, 8) if soak else (2.5, 4)
        # mock-cluster case (4b): rounds of the six request-fault kinds, plus kill -9s
        self.mock_rounds = 4 if soak else 1
        self.mock_kills = 8 if soak else 1
        self.mock_round_seconds = (3, 6) if soak else (1.5, 3)


PROF = Profile(PROFILE)


def pytest_report_header(config):
    return [f"chaos: profile {PROFILE}, seed {SEED} (CHAOS_SEED={SEED} reproduces the timing choices), "
            f"kill case {PROF.kill_records} records / {PROF.kills} kills per mode"]


# --------------------------------------------------------------------------
# environment


class ChaosEnv(itc.DevEnv):
    def stop_kafka(self, kill: bool = False):
        self._script("stop-kafka", *(["--kill"] if kill else []))

    def start_kafka(self):
        self._script("start-kafka", timeout=240)

    def pause(self, which: str):
        self._script(f"pause-{which}")

    def resume(self, which: str):
        self._script(f"resume-{which}")

    def status(self) -> dict:
        env = dict(os.environ, CHUTE_DEV_DIR=str(self.dev_dir))
        r = subprocess.run([str(itc.DEV_ENV), "status"], env=env, capture_output=True, text=True, timeout=60)
        return itc.parse_env_lines(r.stdout)

    def heal(self):
        """Brings both servers back to running (a failed case may leave one stopped or paused)."""
        if self.dev_dir is None:
            return
        st = self.status()
        for which in ("clickhouse", "kafka"):
            s = st.get(f"{which.upper()}_STATUS")
            if s == "paused":
                self.resume(which)
            elif s == "stopped":
                self.start_clickhouse() if which == "clickhouse" else self.start_kafka()


@pytest.fixture(scope="session")
def chaos_env():
    kafka, url, d = os.environ.get("KAFKA_BOOTSTRAP"), os.environ.get("CLICKHOUSE_URL"), os.environ.get("CHUTE_DEV_DIR")
    if not (kafka and url and d):
        pytest.exit("the chaos suite needs KAFKA_BOOTSTRAP, CLICKHOUSE_URL and CHUTE_DEV_DIR "
                    "(run it through scripts/chaos.sh)", returncode=3)
    env = ChaosEnv(kafka, url, Path(d), owned=False)
    env.heal()
    return env


def _bin(var: str, default: str) -> Path:
    p = Path(os.environ.get(var, default))
    return p if p.is_absolute() else REPO / p


@pytest.fixture(scope="session")
def chute_binary():
    b = _bin("CHUTE_BIN", "build/chute")
    if not os.access(b, os.X_OK):
        pytest.exit(f"{b} not found (scripts/chaos.sh builds it)", returncode=3)
    return b


@pytest.fixture(scope="session")
def fp_binary():
    """The failpoint build; skips the case if it does not say `failpoints: on`."""
    b = _bin("CHAOS_FP_BIN", "build-chaos/chute")
    if not os.access(b, os.X_OK):
        pytest.skip(f"failpoints: {b} not built")
    r = subprocess.run([str(b), "version"], capture_output=True, text=True, timeout=10)
    out = (r.stdout + r.stderr).strip()
    if "failpoints" not in out:
        pytest.skip(f"failpoints: `{b.relative_to(REPO) if b.is_relative_to(REPO) else b} version` prints "
                    f"{out!r}, no 'failpoints: on' (chute has no failpoint support yet)")
    return b


_probe_cache: dict[str, str | None] = {}


def config_key_refusal(env: ChaosEnv, binary: Path, tmp: Path, key: str, extra: dict) -> str | None:
    """
    None if chute's config loader accepts `extra`, else its refusal. Runs
    `chute check` on a config with the extra keys: a config error (exit 2)
    that names `key` means the key is not supported yet.
    """
    if key in _probe_cache:
        return _probe_cache[key]
    cfg = {"kafka": {"bootstrap_servers": env.kafka, "group_id": "chaos-probe", "auto_offset_reset": "earliest",
                     "startup_timeout": "5s"},
           "clickhouse": {"url": env.ch_url},
           "topics": [{"topic": "chaos-probe", "table": "chaos_probe_missing"}], **extra}
    path = tmp / f"probe-{key}.yaml"
    path.write_text(to_yaml(cfg) + "\n")
    r = subprocess.run([str(binary), "check", "-c", str(path)], capture_output=True, text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    refused = r.returncode == 2 and "config error" in out and key in out
    last = out.splitlines()[-1] if out else ""
    _probe_cache[key] = last.replace(str(path), "probe.yaml") if refused else None
    return _probe_cache[key]


@pytest.fixture(scope="session")
def probes(chaos_env, chute_binary, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probes")
    return {
        "exactly-once": config_key_refusal(chaos_env, chute_binary, tmp, "delivery", {"delivery": "exactly-once"}),
        "dlq": config_key_refusal(chaos_env, chute_binary, tmp, "dlq", {"dlq": {"topic": "{topic}.dlq"}}),
    }


DLQ_PROBE_SECONDS = 30      # for chute to get past the poison record
DLQ_PROBE_GRACE = 5         # then for its DLQ record to show up


def dlq_behaviour(env: ChaosEnv, binary: Path, tmp: Path) -> str | None:
    """
    None if chute dead-letters a poison record, else why not. Parsing the
    `dlq:` key proves nothing (it parses before the pipeline uses it), so
    this watches the behaviour: a 1-partition topic gets good, poison, good;
    chute (at-least-once, `dlq: {topic: "{topic}.dlq"}`) consumes it; once
    its committed offset is past the poison record, the DLQ topic must hold
    a record within DLQ_PROBE_GRACE seconds. Any record there counts as
    support (whether its chute.source.* headers are right is what the DLQ
    cases themselves check), so those cases start running by themselves
    once the pipeline writes DLQ records.
    """
    rng = random.Random()
    fig = Figures(case="dlq-probe", mode="at-least-once", seed=SEED)
    w = World(env, binary, tmp, "dlq probe", "at-least-once", rng, fig)
    try:
        w.create_topic(1)
        w.create_table()
        cfg = w.config(dlq=True)
        w.create_topic(1, name=w.dlq_topic)
        w.produce(3, 1000, poison=lambda i: i == 1).join_checked(60)
        c = w.start(cfg, name="dlq-probe")
        past = False
        deadline = time.monotonic() + DLQ_PROBE_SECONDS
        while time.monotonic() < deadline and c.alive():
            try:
                if w.committed().get(0, -1) >= 3:
                    past = True
                    break
            except Exception:
                pass
            time.sleep(0.5)
        found = 0
        deadline = time.monotonic() + DLQ_PROBE_GRACE
        while time.monotonic() < deadline:
            lo, hi = w.watermarks(w.dlq_topic, 1)[0]
            found = hi - lo
            if found:
                break
            time.sleep(0.5)
        alive = c.alive()
        rc = c.sigterm(20)
        if found:
            return None
        log_hint = ""
        for line in c.log().splitlines():
            if (" WARN " in line or " ERROR " in line) and "delivery:" not in line:
                log_hint = f"; chute logged: {line.strip()[:160]!r}"
                break
        if not past:
            return (f"the probe's chute did not commit past its poison record within {DLQ_PROBE_SECONDS}s "
                    f"({'still running' if alive else f'exited {rc}'}), and wrote no DLQ record{log_hint}")
        return (f"chute accepts `dlq:` but dead-letters nothing: it committed past a poison record and "
                f"{w.dlq_topic} stayed empty for {DLQ_PROBE_GRACE}s (pipeline not wired to the DLQ yet)"
                f"{log_hint}")
    except Exception as e:
        return f"the DLQ probe failed: {type(e).__name__}: {e}"
    finally:
        w.close()
        try:
            w.ch(f"DROP TABLE IF EXISTS default.{w.table}")
        except Exception:
            pass


@pytest.fixture(scope="session")
def dlq_support(probes, chaos_env, chute_binary, tmp_path_factory):
    """None if chute writes DLQ records (a behaviour probe), else the reason to skip the DLQ cases."""
    if probes["dlq"]:
        return f"DLQ not in this chute: `dlq:` is refused: {probes['dlq']}"
    why = dlq_behaviour(chaos_env, chute_binary, tmp_path_factory.mktemp("dlq-probe"))
    print(f"\n[chaos] DLQ probe: {'chute dead-letters poison records' if why is None else why}", flush=True)
    return f"DLQ not wired in this chute: {why}" if why else None



# --------------------------------------------------------------------------
# per-case world and figures


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(params=MODES)
def mode(request, probes):
    if request.param == "exactly-once" and probes["exactly-once"]:
        pytest.skip(f"exactly-once mode not in this chute: `delivery: exactly-once` is refused: "
                    f"{probes['exactly-once']}")
    return request.param


@pytest.fixture
def prof():
    return PROF


@pytest.fixture
def world(request, chaos_env, chute_binary, mode, tmp_path):
    case = request.node.originalname
    cs = getattr(request.node, "callspec", None)
    extra = [str(v) for k, v in (cs.params.items() if cs else []) if k != "mode"]
    if extra:
        case += "[" + ",".join(extra) + "]"
    seed = SEED
    rng = random.Random(f"{SEED}:{request.node.nodeid}")
    fig = Figures(case=case, mode=mode, seed=seed)
    w = World(chaos_env, chute_binary, tmp_path, case, mode, rng, fig)
    print(f"\n[chaos] {request.node.nodeid}: seed {SEED}, logs in {tmp_path}", flush=True)
    t0 = time.monotonic()
    try:
        yield w
    finally:
        fig.elapsed = time.monotonic() - t0
        rep = getattr(request.node, "rep_call", None)
        if rep is None:
            fig.outcome = "error"
        elif rep.skipped:
            fig.outcome = "skipped"
        else:
            fig.outcome = "passed" if rep.passed else "failed"
        if rep is not None and rep.failed:
            crash = getattr(rep.longrepr, "reprcrash", None)
            msg = crash.message if crash is not None else str(rep.longrepr)
            fig.note = (msg.strip().splitlines() or [""])[0][:300]
        w.close()
        if fig.outcome != "skipped":
            RESULTS.append(fig)
        try:
            chaos_env.heal()
        except Exception as e:
            print(f"could not heal the servers: {e}", file=sys.stderr)


# --------------------------------------------------------------------------
# results file


def _machine() -> dict:
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": cpu}


def _server_version() -> str:
    try:
        return itc.ch_query(os.environ["CLICKHOUSE_URL"], "SELECT version()").strip()
    except Exception as e:  # the results still get written
        return f"? ({e})"


def _commit() -> str:
    try:
        c = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                           text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return c + ("+dirty-src" if dirty else "")
    except Exception:
        return "?"


def _table(results: list[Figures]) -> str:
    lines = ["| case | mode | outcome | records | faults injected | lost | duplicated | DLQ'd | poison | seconds |",
             "|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for f in results:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(f.faults.items())) or "–"
        lines.append(f"| {f.case} | {f.mode} | {f.outcome} | {f.records:,} | {faults} | "
                     f"{'–' if f.lost is None else f.lost} | {'–' if f.duplicated is None else f.duplicated} | "
                     f"{f.dlq} | {f.poison} | {f.elapsed:.0f} |")
    lines += ["", "| mode | cases run | passed | records | faults | lost | duplicated | DLQ'd |",
              "|---|---:|---:|---:|---|---:|---:|---:|"]
    for m in MODES:
        rs = [f for f in results if f.mode == m]
        if not rs:
            lines.append(f"| {m} | 0 | 0 | 0 | – | – | – | – |")
            continue
        faults: dict[str, int] = {}
        for f in rs:
            for k, v in f.faults.items():
                faults[k] = faults.get(k, 0) + v
        lines.append(f"| {m} | {len(rs)} | {sum(f.outcome == 'passed' for f in rs)} | "
                     f"{sum(f.records for f in rs):,} | "
                     f"{', '.join(f'{k} {v}' for k, v in sorted(faults.items())) or '–'} | "
                     f"{sum(f.lost or 0 for f in rs)} | {sum(f.duplicated or 0 for f in rs)} | "
                     f"{sum(f.dlq for f in rs)} |")
    return "\n".join(lines)


def pytest_sessionfinish(session, exitstatus):
    if not RESULTS or os.environ.get("CHAOS_NO_RESULTS"):
        return
    out_dir = Path(os.environ.get("CHAOS_RESULTS") or REPO / "tests" / "chaos" / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    day = dt.date.today().isoformat()
    elapsed = time.time() - T_START
    table = os.environ.get("CHAOS_TABLE_SETTINGS", "")
    server = _server_version()
    meta = {"profile": PROFILE, "date": day, "seed": SEED, "chute_commit": _commit(),
            "clickhouse": server, "table_settings": table,
            "elapsed_seconds": round(elapsed), "machine": _machine(),
            "kill_case": {"records": PROF.kill_records, "kills": PROF.kills},
            "pytest_exit": int(exitstatus)}
    md = [f"# chaos {PROFILE} run, {day}", "",
          f"seed {SEED} · chute {meta['chute_commit']} · {elapsed / 60:.1f} min · "
          f"{meta['machine']['nproc']} cores, {meta['machine']['memory']} ({meta['machine']['cpu']}) · "
          f"pytest exit {int(exitstatus)}", "",
          f"ClickHouse {server} · tables: MergeTree{' SETTINGS ' + table if table else ' (default settings)'}",
          "",
          "lost = produced offsets in neither ClickHouse nor the DLQ (poison offsets count only when a DLQ "
          "is configured); duplicated = count() − uniqExact(_topic, _partition, _offset). Skipped cases "
          "are not listed.", "", _table(RESULTS), ""]
    notes = [f for f in RESULTS if f.note and f.outcome == "passed"]
    if notes:
        md += ["## notes", ""] + [f"- {f.case} [{f.mode}]: {f.note}" for f in notes] + [""]
    failed = [f for f in RESULTS if f.outcome != "passed"]
    if failed:
        md += ["## failures", ""] + [f"- {f.case} [{f.mode}]: {f.note}" for f in failed] + [""]
    window = table.rsplit("=", 1)[-1].strip() if "deduplication_window" in table else ""
    stem = out_dir / (f"{PROFILE}-window{window}-{day}" if window else f"{PROFILE}-{day}")
    stem.with_suffix(".md").write_text("\n".join(md))
    stem.with_suffix(".json").write_text(json.dumps(
        {**meta, "cases": [f.__dict__ for f in RESULTS]}, indent=2) + "\n")
    session.config._chaos_results = (stem.with_suffix(".md"), "\n".join(md))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    res = getattr(config, "_chaos_results", None)
    if res:
        terminalreporter.write_sep("=", f"chaos results ({res[0]})")
        terminalreporter.write_line(res[1])
