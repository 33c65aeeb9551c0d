#!/usr/bin/env python3
"""report.py — bench/run.sh's CSV → a Markdown results file (medians with the
spread, the machine description) and, if matplotlib is importable, a PNG chart
of rows per CPU-second next to it.

    report.py RESULTS.csv RESULTS.md [--kafka-version V] [--clickhouse-version V]
              [--librdkafka-version V] [--chute-commit C] [--chute-props P]
"""
import argparse
import csv
import os
import platform
import statistics
import subprocess

METRICS = [
    ("wall_s", "wall s", "{:.2f}"),
    ("rows_per_s", "rows/s", "{:,.0f}"),
    ("mb_per_s", "MB/s (JSON)", "{:.1f}"),
    ("contender_cpu_s", "contender CPU s", "{:.2f}"),
    ("server_cpu_s", "ClickHouse CPU s", "{:.2f}"),
    ("broker_cpu_s", "broker CPU s", "{:.2f}"),
    ("rss_mb", "contender peak RSS MB", "{:.0f}"),
    ("rows_per_cpu_s", "rows per CPU-s (contender + server)", "{:,.0f}"),
]
NAMES = {
    "chute": "chute",
    "pipe": "kcat \\| clickhouse-client",
    "kafka": "ClickHouse Kafka engine + MV",
}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_gib():
    with open("/proc/meminfo") as f:
        kb = int(f.readline().split()[1])
    return kb / 1024 / 1024


def fmt(vals, spec):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    med = statistics.median(vals)
    s = spec.format(med)
    if len(vals) > 1:
        s += " (" + spec.format(min(vals)) + "–" + spec.format(max(vals)) + ")"
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("md")
    for k in ("kafka-version", "clickhouse-version", "librdkafka-version",
              "chute-commit", "chute-props"):
        ap.add_argument("--" + k, default="?")
    a = ap.parse_args()

    rows = list(csv.DictReader(open(a.csv)))
    if not rows:
        raise SystemExit("report.py: no runs in " + a.csv)
    order = []
    for r in rows:
        if r["contender"] not in order:
            order.append(r["contender"])
    by = {c: [r for r in rows if r["contender"] == c] for c in order}

    def num(r, k):
        try:
            return float(r[k])
        except ValueError:
            return None

    w = rows[0]["workload"]
    n = int(rows[0]["rows"])
    nbytes = int(rows[0]["json_bytes"])
    lines = []
    lines.append(f"# {w} workload: {n:,} rows, {nbytes / n:.0f} B of JSON per row\n")
    lines.append("Each topic drained from the earliest offset into an empty "
                 "MergeTree table until `count()` = N. Median of the runs, "
                 "(min–max) across them. CPU from /proc/PID/stat "
                 "(utime+stime). The Kafka engine's consumer runs inside "
                 "ClickHouse, so its CPU is in the ClickHouse column. "
                 "Rows per CPU-second counts the contender plus the "
                 "ClickHouse server (not the broker, which serves all "
                 "contenders alike).\n")
    hdr = "| | " + " | ".join(NAMES.get(c, c) + f" (n={len(by[c])})" for c in order) + " |"
    lines.append(hdr)
    lines.append("|---" * (len(order) + 1) + "|")
    for key, label, spec in METRICS:
        cells = [fmt([num(r, key) for r in by[c]], spec) for c in order]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    # per million rows, the unit
    for key, label in (("contender_cpu_s", "contender CPU s / M rows"),
                       ("server_cpu_s", "ClickHouse CPU s / M rows"),
                       ("broker_cpu_s", "broker CPU s / M rows")):
        cells = [fmt([num(r, key) * 1e6 / n for r in by[c]], "{:.2f}") for c in order]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if "chute" in by and "kafka" in by:
        ch = statistics.median(num(r, "rows_per_cpu_s") for r in by["chute"])
        kf = statistics.median(num(r, "rows_per_cpu_s") for r in by["kafka"])
        lines.append(f"\nchute / Kafka engine, rows per CPU-second (contender + server): "
                     f"**{ch / kf:.2f}×**\n")

    lines.append("\n## Runs, in the order they ran\n")
    lines.append("| # | contender | wall s | rows/s | contender CPU s | ClickHouse CPU s | broker CPU s | RSS MB |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        lines.append(f"| {r['run']} | {r['contender']} | {r['wall_s']} | {r['rows_per_s']} | "
                     f"{r['contender_cpu_s']} | {r['server_cpu_s']} | {r['broker_cpu_s']} | {r['rss_mb']} |")

    lines.append("\n## Machine and versions\n")
    lines.append(f"- {os.cpu_count()} CPUs ({cpu_model()}), {mem_gib():.1f} GiB RAM, "
                 f"{platform.system()} {platform.release()}; shared and noisy")
    lines.append(f"- ClickHouse server {a.clickhouse_version}, Kafka broker {a.kafka_version} "
                 f"(single-node KRaft, scripts/dev-env.sh), librdkafka {a.librdkafka_version}")
    lines.append(f"- chute at {a.chute_commit}, default config"
                 + (f" plus kafka.properties `{a.chute_props}`" if a.chute_props else ""))
    lines.append("- kcat " + subprocess.run(["sh", "-c", "kcat -V 2>&1 | sed -n 's/^Version \\([^ ]*\\).*/\\1/p' | head -1"],
                                            capture_output=True, text=True).stdout.strip()
                 + ", clickhouse-client 18.16.1")
    lines.append("- Kafka engine: kafka_num_consumers = 1 (2 cores shared by broker, "
                 "server and consumer; one consumer, like one chute process), "
                 "18.16's default flush (stream_flush_interval_ms = 7500)")
    lines.append("- Topic: 4 partitions, produced once by kcat from "
                 "`bench_encode --emit` (deterministic from the seed)")
    lines.append("\nReproduce: `bench/run.sh` (after scripts/setup.sh); "
                 "`BENCH_ROWS`, `BENCH_WORKLOAD=narrow|wide`, `BENCH_ORDER` adjust it.\n")

    png = os.path.splitext(a.md)[0] + ".png"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        meds = [statistics.median(num(r, "rows_per_cpu_s") for r in by[c]) for c in order]
        lo = [m - min(num(r, "rows_per_cpu_s") for r in by[c]) for m, c in zip(meds, order)]
        hi = [max(num(r, "rows_per_cpu_s") for r in by[c]) - m for m, c in zip(meds, order)]
        fig, ax = plt.subplots(figsize=(7, 4))
        labels = [NAMES.get(c, c).replace("\\|", "|") for c in order]
        ax.bar(labels, meds, yerr=[lo, hi], capsize=6, color=["#2a9d8f", "#e9c46a", "#e76f51"][:len(order)])
        ax.set_ylabel("rows per CPU-second (contender + ClickHouse)")
        ax.set_title(f"{w}: {n:,} rows Kafka → ClickHouse 18.16 (higher is better)")
        for x, m in enumerate(meds):
            ax.text(x, m, f"{m:,.0f}", ha="center", va="bottom")
        fig.tight_layout()
        fig.savefig(png, dpi=110)
        lines.append(f"![rows per CPU-second]({os.path.basename(png)})\n")
    except ImportError:
        pass

    with open(a.md, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
