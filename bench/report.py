#!/usr/bin/env python3
"""report.py — bench/run.sh's CSV → a Markdown results file (medians with the
spread, the machine description); bench/latency.sh's CSV → its Markdown
(--latency). Either way, if matplotlib is importable, it redraws
<date>-summary.png from all of that date's CSVs in the same directory: rows
per CPU-second per contender and workload, and latency percentiles per rate.

    report.py RESULTS.csv RESULTS.md [--kafka-version V] [--clickhouse-version V]
              [--librdkafka-version V] [--chute-commit C] [--chute-props P]
              [--workload-info DATA.json]

Runs whose `check` column (run.sh) is not "ok" are listed but left out of
the medians, ratios and chart.
    report.py --latency LATENCY.csv LATENCY.md
"""
import argparse
import csv
import json
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
    "chutep": "chute, batch.scope partition",
    "chutet": "chute, throughput profile",
    "pipe": "kcat \\| clickhouse-client",
    "kafka": "ClickHouse Kafka engine + MV",
    "sinker": "clickhouse_sinker (Go)",
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


def num(r, k):
    try:
        return float(r[k])
    except (ValueError, TypeError, KeyError):
        return None


def median_of(rows, k):
    vals = [v for v in (num(r, k) for r in rows) if v is not None]
    return statistics.median(vals) if vals else None


def checked(r):
    """True for a run whose completeness check passed (CSVs before the
    check column count as passed)."""
    return r.get("check") in (None, "", "ok")


def throughput(a):
    all_rows = list(csv.DictReader(open(a.csv)))
    if not all_rows:
        raise SystemExit("report.py: no runs in " + a.csv)
    rows = [r for r in all_rows if checked(r)]
    order = []
    for r in rows:
        if r["contender"] not in order:
            order.append(r["contender"])
    by = {c: [r for r in rows if r["contender"] == c] for c in order}

    w = all_rows[0]["workload"]
    n = int(all_rows[0]["rows"])
    nbytes = int(all_rows[0]["json_bytes"])
    dbz = w == "debezium"
    if dbz:
        lines = [f"# debezium workload: {n:,} change events, {nbytes / n:.0f} B of JSON per event\n"]
        if a.workload_info:
            info = json.load(open(a.workload_info))
            ops = info["ops"]
            lines.append(f"Debezium PostgreSQL envelopes without the embedded schema "
                         f"(bench/gen_debezium.py), {info['keys']:,} keys: "
                         f"{ops['c']:,} c, {ops['u']:,} u, {ops['d']:,} d (4 of the c are the "
                         f"sentinels), no tombstones; {info['expect']['count']:,} live keys at "
                         f"the end.\n")
        lines.append("Each topic drained from the earliest offset into an empty "
                     "ReplacingMergeTree(_version) table (a _deleted column: the 18.16 "
                     "form of chute's upsert mode) until the sentinel key that ends each "
                     "partition is visible; then `FINAL WHERE NOT _deleted` is compared "
                     "with the generator's model. chute: `format: debezium`; Kafka engine "
                     "and pipe: the envelope as one TSV String column and a materialized "
                     "view with visitParamExtract* (bench/README.md). "
                     "Median of the runs, (min–max) across them. CPU from /proc/PID/stat "
                     "(utime+stime). The Kafka engine's consumer runs inside "
                     "ClickHouse, so its CPU is in the ClickHouse column. "
                     "Rows per CPU-second counts the contender plus the "
                     "ClickHouse server (not the broker, which serves all "
                     "contenders alike).\n")
    else:
        lines = [f"# {w} workload: {n:,} rows, {nbytes / n:.0f} B of JSON per row\n"]
        lines.append("Each topic drained from the earliest offset into an empty "
                     "MergeTree table until it holds N rows (polled in system.parts, "
                     "confirmed by `count()`). Median of the runs, "
                     "(min–max) across them. CPU from /proc/PID/stat "
                     "(utime+stime). The Kafka engine's consumer runs inside "
                     "ClickHouse, so its CPU is in the ClickHouse column. "
                     "Rows per CPU-second counts the contender plus the "
                     "ClickHouse server (not the broker, which serves all "
                     "contenders alike).\n")
    lines.append("| | " + " | ".join(NAMES.get(c, c) + f" (n={len(by[c])})" for c in order) + " |")
    lines.append("|---" * (len(order) + 1) + "|")
    for key, label, spec in METRICS:
        cells = [fmt([num(r, key) for r in by[c]], spec) for c in order]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for key, label in (("contender_cpu_s", "contender CPU s / M rows"),
                       ("server_cpu_s", "ClickHouse CPU s / M rows"),
                       ("broker_cpu_s", "broker CPU s / M rows")):
        cells = [fmt([num(r, key) * 1e6 / n for r in by[c]], "{:.2f}") for c in order]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if "chute" in by and len(order) > 1:
        lines.append("\n**Ratios, chute / peer** (medians):\n")
        lines.append("| peer | rows per CPU-s (contender + server) | rows/s |")
        lines.append("|---|---|---|")
        for c in order:
            if c == "chute":
                continue
            cells = []
            for k in ("rows_per_cpu_s", "rows_per_s"):
                ch, pe = median_of(by["chute"], k), median_of(by[c], k)
                cells.append(f"{ch / pe:.2f}×" if ch and pe else "—")
            lines.append(f"| {NAMES.get(c, c)} | " + " | ".join(cells) + " |")

    bad = [r for r in all_rows if not checked(r)]
    if bad:
        lines.append(f"\n**{len(bad)} run(s) failed the completeness check and are left out "
                     f"of the figures above** (see the run list).\n")
    lines.append("\n## Runs, in the order they ran\n")
    lines.append("| # | contender | wall s | rows/s | contender CPU s | ClickHouse CPU s | broker CPU s | RSS MB | check |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in all_rows:
        lines.append(f"| {r['run']} | {r['contender']} | {r['wall_s']} | {r['rows_per_s']} | "
                     f"{r['contender_cpu_s']} | {r['server_cpu_s']} | {r['broker_cpu_s']} | {r['rss_mb']} | "
                     f"{r.get('check') or '—'} |")

    lines.append("\n## Machine and versions\n")
    lines.append(f"- {os.cpu_count()} CPUs ({cpu_model()}), {mem_gib():.1f} GiB RAM, "
                 f"{platform.system()} {platform.release()}; shared and noisy")
    lines.append(f"- ClickHouse server {a.clickhouse_version}, Kafka broker {a.kafka_version} "
                 f"(single-node KRaft, scripts/dev-env.sh), librdkafka {a.librdkafka_version}")
    lines.append(f"- chute at {a.chute_commit}, default config"
                 + (f" plus kafka.properties `{a.chute_props}`" if a.chute_props not in ("", "?") else ""))
    lines.append("- kcat " + subprocess.run(["sh", "-c", "kcat -V 2>&1 | sed -n 's/^Version \\([^ ]*\\).*/\\1/p' | head -1"],
                                            capture_output=True, text=True).stdout.strip()
                 + ", clickhouse-client 18.16.1")
    lines.append("- Kafka engine: kafka_num_consumers = 1 (2 cores shared by broker, "
                 "server and consumer; one consumer, like one chute process), "
                 "18.16's default flush (stream_flush_interval_ms = 7500, blocks of "
                 "max_block_size = 65536 rows), auto.offset.reset = smallest in the "
                 "server's <kafka> config (bench/env.sh)"
                 + ("; debezium: kafka_format 'TSV' with one String column, "
                    "kafka_row_delimiter '\\n', and a view extracting before/after/op/lsn "
                    "with visitParamExtract* (18.16 has no JSONExtract*)" if dbz else ""))
    if dbz and "pipe" in by:
        lines.append("- pipe (debezium): kcat … | clickhouse-client INSERT INTO a Null table "
                     "FORMAT TSV, the same view into the table")
    if "sinker" in by:
        lines.append("- clickhouse_sinker: built from source (bench/get-sinker.sh), native "
                     "protocol, autoSchema, its default batching (bufferSize 1,048,576 rows, "
                     "flushInterval 10 s)")
    lines.append("- Topic: 4 partitions, produced once by kcat from "
                 + ("`bench/gen_debezium.py` (keyed, key k in partition k % 4)" if dbz
                    else "`bench_encode --emit`") + " (deterministic from the seed)")
    lines.append("\nReproduce: `bench/run.sh` (after scripts/setup.sh); "
                 "`BENCH_ROWS`, `BENCH_WORKLOAD=narrow|wide|debezium`, `BENCH_ORDER` adjust it.\n")
    return lines


LAT_NAMES = {"chute": "chute, batch.max_wait", "kafka": "Kafka engine, stream_flush_interval_ms"}


def closed_mix(rs):
    """closed_by cells ("max_wait=83;max_rows=4", one per run) → "max_wait 83, max_rows 4",
    summed over the runs."""
    tot = {}
    for r in rs:
        for part in (r.get("closed_by") or "").split(";"):
            if "=" in part:
                k, v = part.rsplit("=", 1)
                tot[k] = tot.get(k, 0) + int(v)
    return ", ".join(f"{k} {v}" for k, v in sorted(tot.items(), key=lambda kv: -kv[1])) or "—"


def latency(a):
    rows = list(csv.DictReader(open(a.csv)))
    if not rows:
        raise SystemExit("report.py: no runs in " + a.csv)
    w = rows[0]["workload"]
    keys = []
    for r in rows:
        k = (r["contender"], int(r["flush_ms"]), int(r["rate_pct"]))
        if k not in keys:
            keys.append(k)
    keys.sort(key=lambda k: (-k[1], k[0], k[2]))
    lines = [f"# {w} workload: end-to-end latency at fixed rates\n"]
    lines.append("Kafka message timestamp (CreateTime, set by the producer) → the row is "
                 "visible to a SELECT. A C producer (bench/rate_produce.c) sends "
                 f"{rows[0]['seconds']} s of rows at a fixed rate into a fresh 4-partition topic; "
                 "every 50th row is a probe, and bench/latency_poll.py polls the table "
                 "every 20 ms for new probes (each figure is an upper bound, late by at "
                 "most one poll period plus the query time, see mean poll ms). Rates are "
                 "% of chute's median drain rate from the throughput runs. Median over "
                 "runs where there are several.\n")
    lines.append("| sink | flush ms | rate % | rows/s | probes seen | p50 ms | median ms | p99 ms | max ms | "
                 "mean poll ms | contender CPU s | ClickHouse CPU s | broker CPU s |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c, f, pct in keys:
        rs = [r for r in rows if (r["contender"], int(r["flush_ms"]), int(r["rate_pct"])) == (c, f, pct)]
        seen = f"{sum(int(r['seen']) for r in rs)}/{sum(int(r['probes']) for r in rs)}"
        cells = [fmt([num(r, k) for r in rs], sp) for k, sp in (
            ("p50_ms", "{:.0f}"), ("median_ms", "{:.0f}"), ("p99_ms", "{:.0f}"), ("max_ms", "{:.0f}"),
            ("mean_poll_ms", "{:.1f}"),
            ("contender_cpu_s", "{:.2f}"), ("server_cpu_s", "{:.2f}"), ("broker_cpu_s", "{:.2f}"))]
        lines.append(f"| {'chute' if c == 'chute' else 'Kafka engine'} | {f} | {pct} | "
                     f"{int(rs[0]['rate']):,} | {seen} | " + " | ".join(cells) + " |")
    staged = [k for k in keys if k[0] == "chute" and any(
        num(r, "batch_p50_ms") is not None for r in rows
        if (r["contender"], int(r["flush_ms"]), int(r["rate_pct"])) == k)]
    if staged:
        lines.append("\n**chute, per batch** (bench/chute_stages.py, from the stage times chute "
                     "logs for each inserted batch at `log_level: debug`): *fetch* = the batch's "
                     "first message's Kafka timestamp → added to the batch; *batch* = first "
                     "message → batch closed; *queue* = closed → an insert worker took it "
                     "(includes waiting for the partition's previous insert); *insert* = worker "
                     "start → acknowledged (all attempts); *sum* = the four together, the first "
                     "message's Kafka timestamp → acknowledged (the batch's oldest row). "
                     "*closed by* counts what closed the batches. The offset commit follows "
                     "asynchronously and is not timed per batch. p50 / p99 ms over the "
                     "batches of a run (median over runs where there are several).\n")
        lines.append("| flush ms | rate % | batches | rows per batch | closed by | fetch p50 / p99 | "
                     "batch p50 / p99 | queue p50 / p99 | insert p50 / p99 | sum p50 / p99 / max |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for c, f, pct in staged:
            rs = [r for r in rows if (r["contender"], int(r["flush_ms"]), int(r["rate_pct"])) == (c, f, pct)]
            m = lambda k: fmt([num(r, k) for r in rs], "{:.0f}")
            pair = lambda s: f"{m(s + '_p50_ms')} / {m(s + '_p99_ms')}"
            lines.append(f"| {f} | {pct} | {m('batches')} | {m('rows_per_batch')} | "
                         f"{closed_mix(rs)} | {pair('fetch')} | {pair('batch')} | {pair('queue')} | "
                         f"{pair('insert')} | {pair('total')} / {m('total_max_ms')} |")
        untimed = sum(int(num(r, "untimed_batches") or 0) for r in rows if r["contender"] == "chute")
        if untimed:
            lines.append(f"\n{untimed} batch(es) had no Kafka timestamp on their first message "
                         f"(fetch -1): left out of fetch and sum.\n")
    mism = [int(r["kafka_time_mismatches"]) for r in rows
            if r["contender"] == "chute" and r["kafka_time_mismatches"] not in ("NA", "")]
    if mism:
        lines.append(f"\nchute's `_kafka_time` column ({{meta: timestamp}}) differs from the "
                     f"producer's timestamp for {sum(mism)} probes (of all chute runs).\n")
    lines.append("\n**Target: p99 ≤ max_wait + 250 ms at 50 % of peak**\n")
    for r in rows:
        if r["contender"] == "chute" and r["rate_pct"] == "50" and num(r, "p99_ms") is not None:
            lim = int(r["flush_ms"]) + 250
            ok = "met" if num(r, "p99_ms") <= lim else "NOT met"
            lines.append(f"- max_wait {r['flush_ms']} ms: p99 {r['p99_ms']} ms vs {lim} ms: {ok}")
    lines.append("")
    return lines


def chart(outdir, date):
    """<date>-summary.png from all of <date>'s CSVs in outdir; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    thr, lat = {}, []
    for name in sorted(os.listdir(outdir)):
        if not (name.startswith(date) and name.endswith(".csv")):
            continue
        rows = [r for r in csv.DictReader(open(os.path.join(outdir, name))) if checked(r)]
        if not rows:
            continue
        if "p99_ms" in rows[0]:
            lat += rows
        else:
            thr[rows[0]["workload"]] = rows
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    colors = {"chute": "#2a9d8f", "chutep": "#94d2bd", "chutet": "#264653", "kafka": "#e76f51",
              "pipe": "#e9c46a", "sinker": "#8d99ae"}
    ax = axes[0]
    conts = [c for c in ("chute", "chutep", "chutet", "kafka", "pipe", "sinker") if any(
        r["contender"] == c for rows in thr.values() for r in rows)]
    width = 0.8 / max(len(conts), 1)
    labelled = set()
    for j, c in enumerate(conts):
        for x, (w, rows) in enumerate(sorted(thr.items())):
            vals = [num(r, "rows_per_cpu_s") for r in rows if r["contender"] == c]
            if not vals:
                continue
            m = statistics.median(vals)
            ax.bar(x + (j - (len(conts) - 1) / 2) * width, m, width,
                   yerr=[[m - min(vals)], [max(vals) - m]], capsize=4, color=colors[c],
                   label=NAMES[c].replace("\\|", "|") if c not in labelled else None)
            labelled.add(c)
            ax.text(x + (j - (len(conts) - 1) / 2) * width, max(vals), f"{m / 1000:.0f}k",
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(thr)), [f"{w}" for w in sorted(thr)])
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:.0f}k")
    ax.set_ylabel("rows per CPU-second (contender + ClickHouse)")
    ax.set_title("Efficiency, draining a pre-filled topic (higher is better)")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[1]
    if lat:
        series = []
        for r in lat:
            k = (r["workload"], r["contender"], r["flush_ms"])
            if k not in series:
                series.append(k)
        pcts = sorted({int(r["rate_pct"]) for r in lat})
        width = 0.8 / len(series)
        for j, (w, c, f) in enumerate(series):
            for x, pct in enumerate(pcts):
                rs = [r for r in lat if (r["workload"], r["contender"], r["flush_ms"]) == (w, c, f)
                      and int(r["rate_pct"]) == pct and num(r, "p99_ms") is not None]
                if not rs:
                    continue
                p50 = statistics.median(num(r, "p50_ms") for r in rs)
                p99 = statistics.median(num(r, "p99_ms") for r in rs)
                xx = x + (j - (len(series) - 1) / 2) * width
                lab = f"{'chute max_wait' if c == 'chute' else 'Kafka engine flush'} {f} ms ({w})"
                ax.bar(xx, p99, width, color=colors[c], alpha=0.45 if f != "1000" else 0.9,
                       edgecolor="black", linewidth=0.4, label=lab if x == 0 else None)
                ax.plot([xx - width / 2.5, xx + width / 2.5], [p50, p50], color="black", linewidth=1.5)
                ax.text(xx, p99, f"{p99 / 1000:.1f}s" if p99 >= 1000 else f"{p99:.0f}",
                        ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(pcts)), [f"{p} % of chute's peak" for p in pcts])
        ax.set_yscale("log")
        ax.set_ylim(top=ax.get_ylim()[1] * 4)        # room for the legend
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.set_ylabel("ms, Kafka timestamp → visible (bar p99, line p50)")
        ax.set_title("End-to-end latency at a fixed rate (lower is better)")
        ax.legend(fontsize=7, loc="upper left", ncol=2)
    else:
        ax.set_axis_off()
    fig.suptitle(f"Kafka → ClickHouse 18.16, 2 shared cores, {date}")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, f"{date}-summary.png"), dpi=100)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("md")
    ap.add_argument("--latency", action="store_true")
    for k in ("kafka-version", "clickhouse-version", "librdkafka-version",
              "chute-commit", "chute-props"):
        ap.add_argument("--" + k, default="?")
    ap.add_argument("--workload-info")
    a = ap.parse_args()
    lines = latency(a) if a.latency else throughput(a)
    outdir = os.path.dirname(os.path.abspath(a.md))
    date = os.path.basename(a.md)[:10]
    if chart(outdir, date):
        lines.append(f"![summary]({date}-summary.png)\n")
    with open(a.md, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
