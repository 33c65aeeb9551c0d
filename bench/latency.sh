#!/usr/bin/env bash
# latency.sh — end-to-end latency at fixed producer rates: Kafka message
# timestamp → row visible in ClickHouse.
#
#   bench/latency.sh                  narrow, 10/50/80 % of chute's peak
#   BENCH_PEAK=150000 BENCH_RATES="50" BENCH_CONFIGS="chute:1000" bench/latency.sh
#
# Same environment as run.sh (.work/bench-env, bench/env.sh). The peak is
# BENCH_PEAK rows/s, or else the median chute rows/s of run.sh's CSV for the
# workload (bench/results/<date>-<workload>.csv). For each flush setting F in
# BENCH_CONFIGS (contender:F, default "chute:1000 kafka:1000 chute:200
# kafka:200"), and each rate, each contender gets a fresh 4-partition topic
# and an empty table, then bench/rate_produce (C, librdkafka) sends
# BENCH_SECONDS (15) seconds of rows at the fixed rate with explicit Kafka
# timestamps, while bench/latency_poll.py polls the table every 20 ms for
# every BENCH_SAMPLE-th (50th) row and notes when it first shows up.
#   chute:F  build/chute with batch.max_wait F ms (otherwise defaults), and a
#            _kafka_time column filled from the record ({meta: timestamp});
#            the poller checks it equals the producer's timestamp. Runs with
#            log_level: debug (one line per inserted batch with chute's own
#            stage times, nothing else per message), which
#            bench/chute_stages.py sums up per run: fetch, batch (and what
#            closed it), queue, insert and their sum, p50/p99/max; the
#            offset commit is not timed per batch (bench/README.md)
#            BENCH_CHUTE_SCOPE=partition sets batch.scope (default: table)
#   kafka:F  Kafka engine + materialized view, kafka_num_consumers = 1,
#            stream_flush_interval_ms F (the server restarts when F changes)
# The order alternates per rate (A B, then B A). The naive pipe is left out:
# clickhouse-client sends a block per 1,048,576 rows (max_insert_block_size)
# or at EOF, so at these rates its latency is the time to gather a million
# rows, not a property of a sink.
# Per run: p50, median, p99 and max of the probes' latencies, the poller's
# figures, CPU seconds of the contender, server and broker, and for chute
# the stage split. Writes bench/results/<date>-<workload>-latency.{csv,md}.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
WORKLOAD="${BENCH_WORKLOAD:-narrow}"
SEED="${BENCH_SEED:-42}"
RATES="${BENCH_RATES:-10 50 80}"
SECS="${BENCH_SECONDS:-15}"
SAMPLE="${BENCH_SAMPLE:-50}"
CONFIGS="${BENCH_CONFIGS:-chute:1000 kafka:1000 chute:200 kafka:200}"
BUILD="${BENCH_BUILD:-$REPO/build}"
CHUTE="${BENCH_CHUTE:-$BUILD/chute}"
export CHUTE_DEV_DIR="${CHUTE_DEV_DIR:-$REPO/.work/bench-env}"
WORK="$CHUTE_DEV_DIR/bench"
DATE="$(date +%Y-%m-%d)"
OUTDIR="$REPO/bench/results"
TAG="${BENCH_TAG:-$DATE-$WORKLOAD-latency}"
CSV="$OUTDIR/$TAG.csv"
HZ="$(getconf CLK_TCK)"
PY="$REPO/.work/venv/bin/python"; [ -x "$PY" ] || PY=python3

log() { printf '[latency] %s\n' "$*" >&2; }
die() { printf '[latency] ERROR: %s\n' "$*" >&2; exit 1; }
cpu_s() {
    awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
fsub() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }

PEAK="${BENCH_PEAK:-}"
if [ -z "$PEAK" ]; then
    PEAK="$(python3 - "$OUTDIR/$DATE-$WORKLOAD.csv" <<'EOF'
import csv, statistics, sys
rows = [float(r["rows_per_s"]) for r in csv.DictReader(open(sys.argv[1])) if r["contender"] == "chute"]
print(int(statistics.median(rows)))
EOF
)" || die "no chute runs in $OUTDIR/$DATE-$WORKLOAD.csv: run bench/run.sh first or set BENCH_PEAK"
fi
log "peak (chute, $WORKLOAD): $PEAK rows/s; rates ${RATES// /, } %; $SECS s per run"

mkdir -p "$WORK" "$OUTDIR" "$REPO/.work/bench-bin"
PRODUCER="$REPO/.work/bench-bin/rate_produce"
cc -std=c11 -O2 -Wall -o "$PRODUCER" "$REPO/bench/rate_produce.c" -lrdkafka
DATA="$WORK/$WORKLOAD-lat-$SEED.jsonl"
[ -s "$DATA" ] || "$BUILD/bench_encode" --emit "$WORKLOAD" --rows 100000 --seed "$SEED" >"$DATA"

# shellcheck source=env.sh
. "$REPO/bench/env.sh"
chq() { clickhouse-client --port "$CLICKHOUSE_TCP_PORT" --multiquery -q "$1"; }
ddl() { "$BUILD/bench_encode" --ddl "$WORKLOAD" --table "$1"; }
IDCOL="$(ddl x | sed 's/^CREATE TABLE x (\([a-z_]*\) .*/\1/')"
COLS="$(ddl x | sed 's/^CREATE TABLE x (//; s/) ENGINE.*//')"

# start_<contender> RUN TABLE TOPIC FLUSH_MS: sets CPID (0 if inside the server)
start_chute() {
    local cfg="$WORK/lat-chute-$1.yaml"
    chq "$(ddl "$2" | sed 's/) ENGINE/, _kafka_time UInt64) ENGINE/')"
    cat >"$cfg" <<EOF
kafka:
  bootstrap_servers: $KAFKA_BOOTSTRAP
  group_id: lat-chute-$$-$1
  auto_offset_reset: earliest
clickhouse:
  url: $CLICKHOUSE_URL
  database: default
  user: default
log_level: debug
batch:
  max_wait: ${4}ms
${BENCH_CHUTE_SCOPE:+  scope: $BENCH_CHUTE_SCOPE}
topics:
  - topic: $3
    table: $2
    columns:
      _kafka_time: {meta: timestamp}
EOF
    "$CHUTE" run -c "$cfg" >"$WORK/lat-chute-$1.log" 2>&1 &
    CPID=$!
}
stop_chute() { kill -TERM "$CPID"; wait "$CPID" || log "chute exited with $?"; }

start_kafka() {
    chq "$(ddl "$2");
         CREATE TABLE ${2}_queue ($COLS) ENGINE = Kafka SETTINGS
         kafka_broker_list = '$KAFKA_BOOTSTRAP', kafka_topic_list = '$3',
         kafka_group_name = 'lat-kafka-$$-$1', kafka_format = 'JSONEachRow',
         kafka_num_consumers = 1;
         CREATE MATERIALIZED VIEW ${2}_mv TO $2 AS SELECT * FROM ${2}_queue"
    CPID=0
}
stop_kafka() { chq "DROP TABLE ${2}_mv; DROP TABLE ${2}_queue"; }

STAGES=(batches rows_per_batch untimed_batches closed_by)
for s in fetch batch queue insert total; do STAGES+=("${s}_p50_ms" "${s}_p99_ms" "${s}_max_ms"); done
echo "workload,contender,flush_ms,rate_pct,rate,seconds,probes,seen,p50_ms,median_ms,p99_ms,max_ms,polls,mean_poll_ms,kafka_time_mismatches,contender_cpu_s,server_cpu_s,broker_cpu_s,$(IFS=,; echo "${STAGES[*]}")" >"$CSV"
run=0
flushes="$(for c in $CONFIGS; do echo "${c#*:}"; done | awk '!seen[$0]++')"
for flush in $flushes; do
    bench_up "$flush"
    order="$(for c in $CONFIGS; do if [ "${c#*:}" = "$flush" ]; then echo "${c%%:*}"; fi; done)"
    for pct in $RATES; do
        rate=$((PEAK * pct / 100))
        for c in $order; do
            run=$((run + 1))
            topic="lat_${WORKLOAD}_$$_$run"
            table="lat_${c}_$run"
            probes="$WORK/lat-$run.probes"; rm -f "$probes" "$probes.tmp"
            scripts/dev-env.sh topics --create --topic "$topic" --partitions 4 \
                --replication-factor 1 >/dev/null
            chq "DROP TABLE IF EXISTS ${table}_mv; DROP TABLE IF EXISTS ${table}_queue; DROP TABLE IF EXISTS $table"
            "start_$c" "$run" "$table" "$topic" "$flush"
            sleep 4                          # group join, first fetch
            extra=(); [ "$c" = chute ] && extra=(--kafka-time-col _kafka_time)
            total=$((rate * SECS))
            "$PY" "$REPO/bench/latency_poll.py" "$CLICKHOUSE_URL" "$table" "$IDCOL" \
                "$SAMPLE" "$total" "$probes" "$WORK/lat-$run.json" \
                --timeout-s $((SECS + 60)) "${extra[@]}" >/dev/null &
            ppid=$!
            s0="$(cpu_s "$CLICKHOUSE_PID")"; b0="$(cpu_s "$KAFKA_PID")"
            log "run $run: $c, flush $flush ms, $pct % = $rate rows/s"
            "$PRODUCER" -b "$KAFKA_BOOTSTRAP" -t "$topic" -i "$DATA" -r "$rate" -d "$SECS" \
                -s "$SAMPLE" -o "$probes"
            wait "$ppid" || log "poller failed"
            ccpu=0; [ "$CPID" = 0 ] || ccpu="$(cpu_s "$CPID")"
            s1="$(cpu_s "$CLICKHOUSE_PID")"; b1="$(cpu_s "$KAFKA_PID")"
            "stop_$c" "$run" "$table"
            stages="$WORK/lat-$run.stages.json"; echo '{}' >"$stages"
            if [ "$c" = chute ]; then
                python3 "$REPO/bench/chute_stages.py" "$WORK/lat-chute-$run.log" "$topic" \
                    >"$stages" || echo '{}' >"$stages"
            fi
            chq "DROP TABLE $table"
            scripts/dev-env.sh topics --delete --topic "$topic" >/dev/null 2>&1 || true
            python3 - "$WORK/lat-$run.json" "$stages" "$WORKLOAD,$c,$flush,$pct,$rate,$SECS" \
                "$ccpu,$(fsub "$s1" "$s0"),$(fsub "$b1" "$b0")" "${STAGES[@]}" >>"$CSV" <<'EOF'
import json, sys
r, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# closed_by {reason: count} -> "max_wait=83;max_rows=4" (no commas in a cell)
g = lambda d, k: (";".join(f"{a}={b}" for a, b in d[k].items()) if isinstance(d.get(k), dict)
                  else str(d.get(k, "NA")))
print(",".join([sys.argv[3]] + [g(r, k) for k in ("probes", "seen", "p50_ms", "median_ms", "p99_ms",
      "max_ms", "polls", "mean_poll_ms", "kafka_time_mismatches")] + [sys.argv[4]]
      + [g(st, k) for k in sys.argv[5:]]))
EOF
            tail -n 1 "$CSV" >&2
        done
        order="$(echo "$order" | tac)"       # A B, then B A
    done
done
"$PY" "$REPO/bench/report.py" --latency "$CSV" "$OUTDIR/$TAG.md"
cat "$OUTDIR/$TAG.md"
log "wrote $OUTDIR/$TAG.md and $CSV"
