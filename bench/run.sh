#!/usr/bin/env bash
# run.sh — chute against its peers on the same broker, server and data.
#
#   bench/run.sh                      narrow workload, 1,000,000 rows
#   BENCH_WORKLOAD=wide BENCH_ROWS=300000 bench/run.sh
#
# Assumes scripts/setup.sh has run. Starts its own dev environment
# (CHUTE_DEV_DIR=.work/bench-env; left running, stop it with
# `CHUTE_DEV_DIR=.work/bench-env scripts/dev-env.sh down`), generates the
# workload with build/bench_encode --emit (deterministic from BENCH_SEED),
# produces it once into a 4-partition topic, then for each contender drains
# the topic from the earliest offset into an empty MergeTree table until
# count() = N. Contenders:
#   chute  build/chute run, generated config, fresh group id, defaults
#          otherwise (BENCH_CHUTE_PROPS adds kafka.properties, e.g.
#          "queued.max.messages.kbytes: 4096")
#   pipe   kcat -C -o beginning -e | clickhouse-client INSERT FORMAT JSONEachRow
#   kafka  ClickHouse's Kafka table engine + materialized view into the table,
#          kafka_num_consumers = 1 (the machine has 2 cores shared by the
#          broker, the server and the consumer; one consumer is what one
#          chute process is, too), flush at 18.16's defaults
#          (stream_flush_interval_ms 7500, max_block_size 65536 per
#          consumer), auto.offset.reset=smallest from the server config
#          (bench/env.sh: 18.16 sets no start point, so a new group would
#          start at the end of the topic and read nothing). Its consumer
#          runs inside the server, so its CPU is in the server's figure.
#   sinker housepower/clickhouse_sinker (Go; franz-go consumer, clickhouse-go
#          v2 native protocol), built by bench/get-sinker.sh into
#          .work/sinker/bin; its defaults (bufferSize 1 << 20 rows,
#          flushInterval 10 s) except autoSchema and earliest. Add it with
#          BENCH_ORDER="... sinker ..."; without the binary the run fails
#          and is left out of the table.
# in the order BENCH_ORDER (default "chute kafka pipe pipe kafka chute": each
# contender twice, interleaved, so drift in the shared machine hits all). A
# Kafka engine run with no complete table after BENCH_KAFKA_TIMEOUT (120)
# seconds is reported as failed.
#
# Per run: wall seconds until count() = N (start-up included), rows/s, MB/s of
# JSON, CPU seconds of the contender's processes (utime+stime from
# /proc/PID/stat at the moment the count is reached, or from /usr/bin/time
# for processes that exit), CPU seconds of the ClickHouse server and of the
# broker over the run (delta of /proc/PID/stat), peak RSS of the contender
# (VmHWM / max RSS). Writes bench/results/<date>-<workload>.md and .csv and
# prints the table.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
N="${BENCH_ROWS:-1000000}"
WORKLOAD="${BENCH_WORKLOAD:-narrow}"
SEED="${BENCH_SEED:-42}"
ORDER="${BENCH_ORDER:-chute kafka pipe pipe kafka chute}"
PARTITIONS=4
TIMEOUT="${BENCH_TIMEOUT:-600}"        # seconds per drain
BUILD="${BENCH_BUILD:-$REPO/build}"
SINKER="${BENCH_SINKER:-$REPO/.work/sinker/bin/clickhouse_sinker}"
export CHUTE_DEV_DIR="${CHUTE_DEV_DIR:-$REPO/.work/bench-env}"
WORK="$CHUTE_DEV_DIR/bench"
DATE="$(date +%Y-%m-%d)"
OUTDIR="$REPO/bench/results"
TAG="${BENCH_TAG:-$DATE-$WORKLOAD}"
CSV="$OUTDIR/$TAG.csv"
MD="$OUTDIR/$TAG.md"
HZ="$(getconf CLK_TCK)"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
for t in kcat clickhouse-client curl python3 /usr/bin/time; do
    command -v "$t" >/dev/null || die "$t not found; run scripts/setup.sh"
done

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    log "building chute and bench_encode in $BUILD"
    cmake --build "$BUILD" --target chute bench_encode >&2
fi
. "$REPO/bench/env.sh"
bench_up 7500
mkdir -p "$WORK" "$OUTDIR"

chq() { clickhouse-client --port "$CLICKHOUSE_TCP_PORT" --multiquery -q "$1"; }
count() { curl -s --max-time 5 "$CLICKHOUSE_URL/" --data-binary "SELECT count() FROM $1" || echo 0; }
cpu_s() {  # cpu_s PID -> utime+stime in seconds (0 if gone)
    awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
hwm_mb() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
fsub() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }

# ------------------------------------------------------------- the data
DATA="$WORK/$WORKLOAD-$N-$SEED.jsonl"
if [ ! -s "$DATA" ]; then
    log "generating $N $WORKLOAD rows (seed $SEED) into $DATA"
    "$BUILD/bench_encode" --emit "$WORKLOAD" --rows "$N" --seed "$SEED" >"$DATA.tmp"
    mv "$DATA.tmp" "$DATA"
fi
BYTES="$(stat -c %s "$DATA")"
BYTES=$((BYTES - N))                   # without the newlines
TOPIC="bench_${WORKLOAD}_${N}_${SEED}"
if [ ! -e "$WORK/$TOPIC.produced" ]; then
    log "creating topic $TOPIC ($PARTITIONS partitions) and producing $N messages"
    scripts/dev-env.sh topics --create --if-not-exists --topic "$TOPIC" \
        --partitions "$PARTITIONS" --replication-factor 1 >&2
    t0="$(now)"
    # No key: librdkafka's default partitioner spreads unkeyed messages
    # over the 4 partitions.
    kcat -P -b "$KAFKA_BOOTSTRAP" -t "$TOPIC" -l -X linger.ms=20 \
        -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 \
        "$DATA" || die "kcat produce failed"
    log "produced in $(fsub "$(now)" "$t0") s"
    touch "$WORK/$TOPIC.produced"
fi

SCHEMA_DDL() { "$BUILD/bench_encode" --ddl "$WORKLOAD" --table "$1"; }

# wait_count TABLE -> 0 when count() = N, 1 on timeout; CONTENDER_ALIVE
# (a function) may stop the wait early.
wait_count() {
    local table="$1" deadline c
    deadline=$(( $(date +%s) + TIMEOUT ))
    while :; do
        c="$(count "$table")"
        [ "$c" = "$N" ] && return 0
        [ "$c" -gt "$N" ] 2>/dev/null && { log "$table has $c rows > $N"; return 0; }
        [ "$(date +%s)" -lt "$deadline" ] || { log "timeout: $table has $c of $N rows"; return 1; }
        sleep 0.1
    done
}

# ------------------------------------------------------------- contenders
# Each sets: WALL CONT_CPU RSS_MB (server and broker deltas are taken around it)
run_chute() {
    local i="$1" table="$2" cfg="$WORK/chute-$i.yaml" pid
    cat >"$cfg" <<EOF
kafka:
  bootstrap_servers: $KAFKA_BOOTSTRAP
  group_id: bench-chute-$$-$i-$(date +%s)
  auto_offset_reset: earliest
  properties:
    client.id: bench-chute
${BENCH_CHUTE_PROPS:+    $BENCH_CHUTE_PROPS}
clickhouse:
  url: $CLICKHOUSE_URL
  database: default
  user: default
topics:
  - topic: $TOPIC
    table: $table
EOF
    local t0; t0="$(now)"
    "$BUILD/chute" run -c "$cfg" >"$WORK/chute-$i.log" 2>&1 &
    pid=$!
    if ! wait_count "$table"; then kill -TERM "$pid" 2>/dev/null; wait "$pid" || true; return 1; fi
    WALL="$(fsub "$(now)" "$t0")"
    CONT_CPU="$(cpu_s "$pid")"
    RSS_MB="$(hwm_mb "$pid")"
    kill -TERM "$pid"
    wait "$pid" || log "chute exited with $?"
}

run_pipe() {
    local i="$1" table="$2" kp cp t0
    t0="$(now)"
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/pipe-$i.kcat.time" \
        kcat -C -b "$KAFKA_BOOTSTRAP" -t "$TOPIC" -o beginning -e -q \
        -X group.id="bench-pipe-$$-$i" \
    | /usr/bin/time -f '%e %U %S %M' -o "$WORK/pipe-$i.ch.time" \
        clickhouse-client --port "$CLICKHOUSE_TCP_PORT" \
        --query "INSERT INTO $table FORMAT JSONEachRow" &
    cp=$!
    wait_count "$table" || { wait "$cp" || true; return 1; }
    WALL="$(fsub "$(now)" "$t0")"
    wait "$cp" || log "pipe exited with $?"
    read -r _ ku ks km <"$WORK/pipe-$i.kcat.time"
    read -r _ cu cs cm <"$WORK/pipe-$i.ch.time"
    CONT_CPU="$(python3 -c "print('%.2f' % ($ku + $ks + $cu + $cs))")"
    RSS_MB="$(python3 -c "print('%.1f' % (($km + $cm) / 1024))")"   # both alive at once
}

run_kafka() {
    local i="$1" table="$2" t0
    t0="$(now)"
    chq "CREATE TABLE ${table}_queue ($(SCHEMA_DDL x | sed 's/^CREATE TABLE x (//; s/) ENGINE.*//'))
         ENGINE = Kafka SETTINGS kafka_broker_list = '$KAFKA_BOOTSTRAP',
         kafka_topic_list = '$TOPIC', kafka_group_name = 'bench-kafka-$$-$i-$(date +%s)',
         kafka_format = 'JSONEachRow', kafka_num_consumers = 1;
         CREATE MATERIALIZED VIEW ${table}_mv TO $table AS SELECT * FROM ${table}_queue"
    local ok=0
    TIMEOUT="${BENCH_KAFKA_TIMEOUT:-120}" wait_count "$table" || ok=1
    WALL="$(fsub "$(now)" "$t0")"
    chq "DROP TABLE ${table}_mv; DROP TABLE ${table}_queue"
    CONT_CPU=0          # inside the server
    RSS_MB=NA           # inside the server
    return "$ok"
}

run_sinker() {   # housepower/clickhouse_sinker (Go), see bench/get-sinker.sh
    local i="$1" table="$2" cfg="$WORK/sinker-$i.json" pid t0
    [ -x "$SINKER" ] || { log "no $SINKER (bench/get-sinker.sh builds it)"; return 1; }
    cat >"$cfg" <<JSON
{
  "clickhouse": {"hosts": [["127.0.0.1"]], "port": $CLICKHOUSE_TCP_PORT, "db": "default",
                 "username": "default", "password": "", "protocol": "native"},
  "kafka": {"brokers": "$KAFKA_BOOTSTRAP"},
  "task": {"name": "bench_sinker_$i", "topic": "$TOPIC", "consumerGroup": "bench-sinker-$$-$i-$(date +%s)",
           "earliest": true, "parser": "fastjson", "tableName": "$table", "autoSchema": true},
  "logLevel": "info"
}
JSON
    t0="$(now)"
    (cd "$WORK" && exec "$SINKER" --local-cfg-file "$cfg" --log-paths stdout) >"$WORK/sinker-$i.log" 2>&1 &
    pid=$!
    if ! wait_count "$table"; then kill -TERM "$pid" 2>/dev/null; wait "$pid" || true; return 1; fi
    WALL="$(fsub "$(now)" "$t0")"
    CONT_CPU="$(cpu_s "$pid")"
    RSS_MB="$(hwm_mb "$pid")"
    kill -TERM "$pid"
    wait "$pid" || true
}

# ------------------------------------------------------------- the runs
echo "workload,contender,run,rows,json_bytes,wall_s,rows_per_s,mb_per_s,contender_cpu_s,server_cpu_s,broker_cpu_s,rss_mb,rows_per_cpu_s" >"$CSV"
i=0
for c in $ORDER; do
    i=$((i + 1))
    table="bench_${c}_$i"
    chq "DROP TABLE IF EXISTS ${table}_mv; DROP TABLE IF EXISTS ${table}_queue; DROP TABLE IF EXISTS $table; $(SCHEMA_DDL "$table")"
    sleep 1
    s0="$(cpu_s "$CLICKHOUSE_PID")"; b0="$(cpu_s "$KAFKA_PID")"
    log "run $i: $c"
    if ! "run_$c" "$i" "$table"; then log "run $i ($c) failed"; continue; fi
    s1="$(cpu_s "$CLICKHOUSE_PID")"; b1="$(cpu_s "$KAFKA_PID")"
    python3 - "$WORKLOAD" "$c" "$i" "$N" "$BYTES" "$WALL" "$CONT_CPU" "$(fsub "$s1" "$s0")" \
        "$(fsub "$b1" "$b0")" "$RSS_MB" >>"$CSV" <<'EOF'
import sys
w, c, i, n, b, wall, ccpu, scpu, bcpu, rss = sys.argv[1:]
n, b, wall, ccpu, scpu, bcpu = int(n), int(b), float(wall), float(ccpu), float(scpu), float(bcpu)
print(f"{w},{c},{i},{n},{b},{wall:.2f},{n/wall:.0f},{b/wall/1e6:.1f},{ccpu:.2f},{scpu:.2f},{bcpu:.2f},{rss},{n/(ccpu+scpu):.0f}")
EOF
    tail -n 1 "$CSV" >&2
    chq "DROP TABLE $table"
done

# ------------------------------------------------------------- the report
PY="$REPO/.work/venv/bin/python"; [ -x "$PY" ] || PY=python3    # matplotlib for the chart
"$PY" "$REPO/bench/report.py" "$CSV" "$MD" \
    --kafka-version "$(ls "$REPO"/deps/kafka/lib/kafka_2.13-*.jar 2>/dev/null | head -1 | sed 's/.*kafka_2.13-//; s/\.jar$//')" \
    --clickhouse-version "$(count 'system.one' >/dev/null; curl -s "$CLICKHOUSE_URL/" --data-binary 'SELECT version()')" \
    --librdkafka-version "$(pkg-config --modversion rdkafka 2>/dev/null || echo '?')" \
    --chute-commit "${BENCH_CHUTE_COMMIT:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')}" \
    --chute-props "${BENCH_CHUTE_PROPS:-}"
cat "$MD"
log "wrote $MD and $CSV"
