#!/usr/bin/env python3
"""summarize.py DIR — Markdown tables (median, min–max) from drain.py / formats.py CSVs in DIR.

Drain server CPU is corrected for the script's own polling: polls × POLL_MS
(0.75 ms, measured for the system.parts / system.merges queries drain.py
sends; see pollcost.py) is subtracted."""
import csv, os, statistics, sys

POLL_MS = 0.75


def med(xs):
    xs = [x for x in xs if x == x]
    if not xs:
        return "—"
    m = statistics.median(xs)
    if len(xs) == 1:
        return f"{m:.2f}"
    return f"{m:.2f} ({min(xs):.2f}–{max(xs):.2f})"


def drains(path):
    rows = list(csv.DictReader(open(path)))
    order, groups = [], {}
    for r in rows:
        if r["tag"] not in groups:
            order.append(r["tag"])
            groups[r["tag"]] = []
        groups[r["tag"]].append(r)
    print(f"\n### {os.path.basename(path)}\n")
    print("| config | n | batch max_rows / max_bytes / max_wait | partitions | merges stopped during drain | wall s | chute CPU s/M | server CPU s/M at count = N | server CPU s/M after merges settle | merge share s/M | new parts | merges | rows rewritten by merges / N | active parts at end | chute+server rows per CPU-s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tag in order:
        g = groups[tag]
        n = int(g[0]["rows"]) / 1e6
        corr = lambda r: float(r["polls"]) * POLL_MS / 1000 if "polls" in r and r["polls"] else 0.0
        # polls until count = N: one per 0.2 s of wall time
        at = [(float(r["srv_cpu_at_count_s"]) - (float(r["wall_s"]) / 0.2 * POLL_MS / 1000 if corr(r) else 0)) / n
              for r in g]
        tot = [(float(r["srv_cpu_total_s"]) - corr(r)) / n for r in g]
        mer = [b - a for a, b in zip(at, tot)]
        ch = [float(r["chute_cpu_s"]) / n for r in g]
        rps = [1e6 / (c + t) for c, t in zip(ch, tot)]
        parts = "p1" if g[0]["topic"].endswith("p1") else "p4"
        print(f"| {tag} | {len(g)} | {g[0]['max_rows']} / {g[0]['max_bytes']} / {g[0]['max_wait']} | {parts} | "
              f"{'yes' if g[0]['stop_merges'] == '1' else 'no'} | {med([float(r['wall_s']) for r in g])} | {med(ch)} | "
              f"{med(at)} | {med(tot)} | {med(mer)} | {med([float(r['new_parts']) for r in g])} | "
              f"{med([float(r['merges']) for r in g])} | {med([float(r['merged_rows']) / int(r['rows']) for r in g])} | "
              f"{med([float(r['active_parts_end']) for r in g])} | {statistics.median(rps):,.0f} |")


def formats(path):
    rows = list(csv.DictReader(open(path)))
    order, groups = [], {}
    for r in rows:
        key = (r["workload"], r["rows_per_insert"], r["inserts"], r["format"], r["settings"])
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(r)
    print(f"\n### {os.path.basename(path)}\n")
    st = "srv_stime_s" in rows[0]
    print("| workload | rows per insert × inserts | format | settings | n | server CPU s per M rows (insert only, merges stopped) | wall s |"
          + (" of which system (kernel) CPU, s per M rows |" if st else ""))
    print("|---|---|---|---|---|---|---|" + ("---|" if st else ""))
    for k in order:
        g = groups[k]
        print(f"| {k[0]} | {int(k[1]):,} × {k[2]} | {k[3]} | {k[4] or '—'} | {len(g)} | "
              f"{med([float(r['srv_cpu_s_per_M_rows']) for r in g])} | {med([float(r['wall_s']) for r in g])} |"
              + (f" {med([float(r['srv_stime_s']) / (int(r['rows_per_insert']) * int(r['inserts'])) * 1e6 for r in g])} |" if st else ""))


if __name__ == "__main__":
    d = sys.argv[1]
    for f in sorted(os.listdir(d)):
        p = os.path.join(d, f)
        if f.split("-")[0] in ("exp1", "exp2", "exp7") and f.endswith(".csv"):
            drains(p)
        elif f.endswith(".csv") and f.split("-")[0] in ("exp3", "exp4", "exp5", "exp6"):
            formats(p)
