"""
Case 7: a table with no way to detect a replay. On ClickHouse 18.16 there
is no insert_deduplication_token, so exactly-once needs the offset columns
(docs/delivery.md, refusal E2); on 26.9 a plain MergeTree with the default
non_replicated_deduplication_window = 0 drops no re-sent token either
(refusal E1). With a table that has no offset columns mapped, chute must
refuse `delivery: exactly-once` at start-up: exit 2, and the message names
exactly-once and the table. The same table in at-least-once mode starts
(chute check exits 0). With --dedup-window the table has a window, and
exactly-once then starts (with a WARN that the window limits it).
"""
import os
import subprocess


from chaos_lib import COLUMNS_NO_OFFSETS


def test_no_offset_columns(world):
    w = world
    w.create_topic(2)
    w.create_table(COLUMNS_NO_OFFSETS, order_by="id")
    version = w.ch("SELECT version()").strip()
    cfg = w.config(meta=False)
    # exactly-once: `chute run` must refuse at start-up. at-least-once: `chute check`
    # must pass (a run would not exit by itself).
    windowed = "deduplication_window" in os.environ.get("CHAOS_TABLE_SETTINGS", "") and \
        not version.startswith("18.")
    cmd = ["run"] if w.mode == "exactly-once" and not windowed else ["check"]
    try:
        r = subprocess.run([str(w.binary), *cmd, "-c", str(cfg)], capture_output=True, text=True, timeout=60)
        rc, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out = None, f"(no exit within 60 s) {e.stdout or ''}{e.stderr or ''}"
    w.say(f"ClickHouse {version}, mode {w.mode}: chute {cmd[0]} exited {rc}; last line: "
          f"{(out.strip().splitlines() or [''])[-1]!r}")
    w.fig.fault("start-up refusal probe")
    w.fig.lost = 0
    w.fig.duplicated = 0
    if w.mode == "exactly-once":
        if windowed:
            assert rc == 0 and "blocks of the table (non_replicated_deduplication_window)" in out, \
                f"exactly-once check on {w.table} with a window: exit {rc}, want 0 and the window WARN\n" \
                f"{out[-3000:]}"
            return
        want = "has no insert_deduplication_token" if version.startswith("18.") else \
            "non_replicated_deduplication_window = 0 and no offset columns"
        assert rc == 2 and want in out, \
            f"exactly-once on {w.table} without offset columns: exit {rc}, want 2 and {want!r}\n{out[-3000:]}"
        assert "exactly-once" in out and w.table in out, \
            f"the refusal must name exactly-once and the table {w.table}:\n{out[-3000:]}"
    else:
        assert rc == 0, f"at-least-once check on {w.table}: exit {rc}\n{out[-3000:]}"
