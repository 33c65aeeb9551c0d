#!/usr/bin/env bash
# run.sh — chute against its peers on the same broker, server and data.
#
#   bench/run.sh                      narrow workload, 1,000,000 rows
#   BENCH_WORKLOAD=wide BENCH_ROWS=300000 bench/run.sh
#   BENCH_WORKLOAD=debezium bench/run.sh      Debezium change events (upserts)
#
# Assumes scripts/setup.sh has run. Starts its own dev environment
# (CHUTE_DEV_DIR=.work/bench-env; left running, stop it with
# `CHUTE_DEV_DIR=.work/bench-env scripts/dev-env.sh down`), generates the
# workload with build/bench_encode --emit (deterministic from BENCH_SEED),
# produces it once into a 4-partition topic, then for each contender drains
# the topic from the earliest offset into an empty MergeTree table until it
# holds N rows. bench/wait_rows.py polls for that every 0.1 s over one
# keep-alive HTTP connection with `SELECT sum(rows) FROM system.parts WHERE
# active AND database = … AND table = …` (part metadata; on 18.16 it costs
# the server a quarter to a third of the CPU of the old poll, a new curl per
# `SELECT count()`: figures in bench/README.md), and confirms with one exact
# count() = N. Contenders:
#   chute  build/chute run, generated config, fresh group id, defaults
#          otherwise (BENCH_CHUTE_PROPS adds kafka.properties, e.g.
#          "queued.max.messages.kbytes: 4096")
#   chutep chute with batch.scope: partition (one insert per partition's
#          batch, chute's behaviour before 2026-11-22): what one insert per
#          table saves. Add it with BENCH_ORDER="... chutep ..."
#   chutet chute with the throughput profile of docs/configuration.md
#          (batch max_rows 1000000, max_bytes 128MiB; memory_budget 384MiB):
#          fewer, larger inserts for a lower server cost, more memory
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
#          and is left out of the table. Not with the debezium workload.
# in the order BENCH_ORDER (default "chute kafka pipe pipe kafka chute": each
# contender twice, interleaved, so drift in the shared machine hits all). A
# Kafka engine run with no complete table after BENCH_KAFKA_TIMEOUT (120)
# seconds is reported as failed.
#
# BENCH_WORKLOAD=debezium: N Debezium PostgreSQL change events (c/u/d over
# max(1000, N/10) keys, no embedded schema, ~340 B each, no tombstones) from
# bench/gen_debezium.py, deterministic from BENCH_SEED, keyed by {"id":k},
# key k in partition k % 4, the last event of each partition a create of a
# sentinel key. The table is ReplacingMergeTree(_version) ORDER BY id with a
# _deleted UInt8 column (the 18.16 form of chute's upsert mode, docs/cdc.md).
#   chute  format: debezium (upsert; version = source.lsn)
#   kafka  Kafka engine reading each message as one String column with
#          kafka_format 'TSV' and kafka_row_delimiter '\n' (18.16 has no
#          JSONAsString / RawBLOB, and its JSONEachRow cannot read an object
#          into a String), and a materialized view that takes the row from
#          before (op d) or after, the version from source.lsn and the
#          deleted flag from op, with visitParamExtract* (18.16 has no
#          JSONExtract*); see DBZ_VIEW
#   pipe   kcat … | clickhouse-client INSERT INTO a Null table (msg String)
#          FORMAT TSV, with the same materialized view into the table
# Merges of a ReplacingMergeTree drop replaced rows, so neither count() nor
# the parts' row sum counts the rows that arrived: a run is complete when
# the 4 sentinel keys are visible (each sink here inserts a partition's
# messages in order). Once the CPU figures are taken, `FINAL WHERE NOT
# _deleted` is compared with the generator's model (row count and a sum per
# column).
#
# Per run: wall seconds until complete (start-up included), rows/s, MB/s of
# JSON, CPU seconds of the contender's processes (utime+stime from
# /proc/PID/stat at the moment completion is seen, or from /usr/bin/time
# for processes that exit), CPU seconds of the ClickHouse server and of the
# broker over the run (delta of /proc/PID/stat), peak RSS of the contender
# (VmHWM / max RSS), and the check: "ok", or what was wrong (count() ≠ N,
# or the Debezium model); runs whose check failed are kept in the CSV and
# the run list but left out of the medians. Writes
# bench/results/<date>-<workload>.md and .csv and prints the table.
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
# shellcheck source=env.sh
. "$REPO/bench/env.sh"
bench_up 7500
mkdir -p "$WORK" "$OUTDIR"
: >"$WORK/wait.log"                    # wait_rows.py's poll counts, per run

chq() { clickhouse-client --port "$CLICKHOUSE_TCP_PORT" --multiquery -q "$1"; }
q() { curl -s --max-time 120 "$CLICKHOUSE_URL/" --data-binary "$1"; }
cpu_s() {  # cpu_s PID -> utime+stime in seconds (0 if gone)
    awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
hwm_mb() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
fsub() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }

# ------------------------------------------------------------- the data
KCAT_P=(-X linger.ms=20 -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000)
case "$WORKLOAD" in
    narrow|wide|debezium) ;;
    *) die "unknown workload $WORKLOAD (narrow, wide, debezium)" ;;
esac
if [ "$WORKLOAD" = debezium ]; then
    # One file per partition of "key<TAB>value" lines; DATA.json has the
    # counts, the sentinel base and the model of the final table.
    DATA="$WORK/debezium-$N-$SEED"
    if [ ! -s "$DATA.json" ]; then
        log "generating $N Debezium change events (seed $SEED) into $DATA.p*"
        python3 "$REPO/bench/gen_debezium.py" "$N" "$SEED" "$DATA" --partitions "$PARTITIONS"
    fi
    jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$DATA.json" "$1"; }
    BYTES="$(jget 'd["value_bytes"]')"
    SENTINEL_BASE="$(jget 'd["sentinel_base"]')"
    log "events: $(jget 'd["ops"]') over $(jget 'd["keys"]') keys, $((BYTES / N)) B per value"
else
    DATA="$WORK/$WORKLOAD-$N-$SEED.jsonl"
    if [ ! -s "$DATA" ]; then
        log "generating $N $WORKLOAD rows (seed $SEED) into $DATA"
        "$BUILD/bench_encode" --emit "$WORKLOAD" --rows "$N" --seed "$SEED" >"$DATA.tmp"
        mv "$DATA.tmp" "$DATA"
    fi
    BYTES="$(stat -c %s "$DATA")"
    BYTES=$((BYTES - N))                   # without the newlines
fi
TOPIC="bench_${WORKLOAD}_${N}_${SEED}"
if [ ! -e "$WORK/$TOPIC.produced" ]; then
    log "creating topic $TOPIC ($PARTITIONS partitions) and producing $N messages"
    scripts/dev-env.sh topics --create --if-not-exists --topic "$TOPIC" \
        --partitions "$PARTITIONS" --replication-factor 1 >&2
    t0="$(now)"
    if [ "$WORKLOAD" = debezium ]; then
        # Keyed ({"id":k}), into the partition the generator chose (k % 4).
        for ((p = 0; p < PARTITIONS; p++)); do
            kcat -P -b "$KAFKA_BOOTSTRAP" -t "$TOPIC" -p "$p" -K $'\t' -l "${KCAT_P[@]}" \
                "$DATA.p$p" || die "kcat produce failed"
        done
    else
        # No key: librdkafka's default partitioner spreads unkeyed messages
        # over the 4 partitions.
        kcat -P -b "$KAFKA_BOOTSTRAP" -t "$TOPIC" -l "${KCAT_P[@]}" \
            "$DATA" || die "kcat produce failed"
    fi
    log "produced in $(fsub "$(now)" "$t0") s"
    touch "$WORK/$TOPIC.produced"
fi

SCHEMA_DDL() {
    if [ "$WORKLOAD" = debezium ]; then
        # docs/cdc.md, upsert mode before 23.2 (no is_deleted parameter)
        echo "CREATE TABLE $1 (id Int64, name Nullable(String), qty Int32, price Float64," \
             "updated_at DateTime('UTC'), _version UInt64, _deleted UInt8)" \
             "ENGINE = ReplacingMergeTree(_version) ORDER BY id"
    else
        "$BUILD/bench_encode" --ddl "$WORKLOAD" --table "$1"
    fi
}

# DBZ_VIEW SOURCE: the SELECT of the debezium workload's materialized view
# (Kafka engine and pipe) over SOURCE's one String column msg, the envelope
# text. 18.16's visitParamExtract* take the first "name": at any depth of the
# text; here before, after, op and lsn each occur once, and the row's fields
# are read from the before/after text alone. A delete's row comes from before
# (the key, the other columns null: 0 / NULL, as chute defaults them), any
# other op's from after. Both sinks end with the same rows (checked by CHECK).
DBZ_VIEW() {
    cat <<EOF
SELECT
  visitParamExtractInt((if((visitParamExtractString(msg, 'op') = 'd') AS _deleted,
      visitParamExtractRaw(msg, 'before'), visitParamExtractRaw(msg, 'after')) AS r), 'id') AS id,
  if(visitParamExtractRaw(r, 'name') = 'null', NULL, visitParamExtractString(r, 'name')) AS name,
  toInt32(visitParamExtractInt(r, 'qty')) AS qty,
  visitParamExtractFloat(r, 'price') AS price,
  toDateTime(intDiv(visitParamExtractUInt(r, 'updated_at'), 1000)) AS updated_at,
  visitParamExtractUInt(msg, 'lsn') AS _version,
  _deleted
FROM $1
EOF
}

# CHECK TABLE -> "ok", or what is wrong: count() = N; for debezium, the
# sentinels and FINAL against the generator's model.
CHECK() {
    if [ "$WORKLOAD" != debezium ]; then
        local c; c="$(q "SELECT count() FROM $1")"
        if [ "$c" = "$N" ]; then echo ok; else echo "count() $c of $N"; fi
        return
    fi
    local got want s
    s="$(q "SELECT uniqExact(id) FROM $1 WHERE id >= $SENTINEL_BASE")"
    got="$(q "SELECT count(), sum(id), sum(qty), sum(toUInt64(round(price * 100))),
              countIf(isNull(name)), sum(length(ifNull(name, ''))), sum(toUInt64(updated_at))
              FROM $1 FINAL WHERE NOT _deleted AND id < $SENTINEL_BASE FORMAT CSV")"
    want="$(jget '",".join(str(d["expect"][k]) for k in ("count", "sum_id", "sum_qty",
              "sum_price_cents", "null_names", "sum_name_len", "sum_updated_s"))')"
    if [ "$s" = "$PARTITIONS" ] && [ "$got" = "$want" ]; then
        echo ok
    else
        echo "model mismatch: sentinels $s/$PARTITIONS; FINAL $got; expected $want"
    fi
}

# wait_count TABLE -> 0 when the table is complete (N rows, or for debezium
# every sentinel), 1 on timeout (bench/wait_rows.py).
wait_count() {
    local how=(--rows "$N")
    [ "$WORKLOAD" = debezium ] && how=(--sentinels id "$SENTINEL_BASE" "$PARTITIONS")
    python3 "$REPO/bench/wait_rows.py" "$CLICKHOUSE_URL" default "$1" "${how[@]}" \
        --interval 0.1 --timeout "$TIMEOUT" 2>>"$WORK/wait.log" \
        || { tail -n 1 "$WORK/wait.log" >&2; return 1; }
}

# ------------------------------------------------------------- contenders
# Each sets: WALL CONT_CPU RSS_MB (server and broker deltas are taken around it)
run_chute() {
    local i="$1" table="$2" pid
    local cfg="$WORK/chute-$i.yaml"
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
${CHUTE_BATCH:+batch: $CHUTE_BATCH}
${CHUTE_BUDGET:+memory_budget: $CHUTE_BUDGET}
topics:
  - topic: $TOPIC
    table: $table
EOF
    if [ "$WORKLOAD" = debezium ]; then
        cat >>"$cfg" <<EOF
    format: debezium
    columns:
      updated_at: {epoch_unit: ms}
EOF
    fi
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
    local i="$1" table="$2" cp t0 into="$2" fmt=JSONEachRow
    if [ "$WORKLOAD" = debezium ]; then
        # The envelope text into a Null table; the view extracts the row.
        into="${table}_raw" fmt=TSV
        chq "CREATE TABLE $into (msg String) ENGINE = Null;
             CREATE MATERIALIZED VIEW ${table}_mv TO $table AS $(DBZ_VIEW "$into")"
    fi
    t0="$(now)"
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/pipe-$i.kcat.time" \
        kcat -C -b "$KAFKA_BOOTSTRAP" -t "$TOPIC" -o beginning -e -q \
        -X group.id="bench-pipe-$$-$i" \
    | /usr/bin/time -f '%e %U %S %M' -o "$WORK/pipe-$i.ch.time" \
        clickhouse-client --port "$CLICKHOUSE_TCP_PORT" \
        --query "INSERT INTO $into FORMAT $fmt" &
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
    if [ "$WORKLOAD" = debezium ]; then
        chq "CREATE TABLE ${table}_queue (msg String)
             ENGINE = Kafka SETTINGS kafka_broker_list = '$KAFKA_BOOTSTRAP',
             kafka_topic_list = '$TOPIC', kafka_group_name = 'bench-kafka-$$-$i-$(date +%s)',
             kafka_format = 'TSV', kafka_row_delimiter = '\\n', kafka_num_consumers = 1;
             CREATE MATERIALIZED VIEW ${table}_mv TO $table AS $(DBZ_VIEW "${table}_queue")"
    else
        chq "CREATE TABLE ${table}_queue ($(SCHEMA_DDL x | sed 's/^CREATE TABLE x (//; s/) ENGINE.*//'))
             ENGINE = Kafka SETTINGS kafka_broker_list = '$KAFKA_BOOTSTRAP',
             kafka_topic_list = '$TOPIC', kafka_group_name = 'bench-kafka-$$-$i-$(date +%s)',
             kafka_format = 'JSONEachRow', kafka_num_consumers = 1;
             CREATE MATERIALIZED VIEW ${table}_mv TO $table AS SELECT * FROM ${table}_queue"
    fi
    local ok=0
    TIMEOUT="${BENCH_KAFKA_TIMEOUT:-120}" wait_count "$table" || ok=1
    WALL="$(fsub "$(now)" "$t0")"
    chq "DROP TABLE ${table}_mv; DROP TABLE ${table}_queue"
    CONT_CPU=0          # inside the server
    RSS_MB=NA           # inside the server
    return "$ok"
}

run_sinker() {   # housepower/clickhouse_sinker (Go), see bench/get-sinker.sh
    local i="$1" table="$2" pid t0
    local cfg="$WORK/sinker-$i.json"
    [ "$WORKLOAD" != debezium ] || { log "sinker: not run with the debezium workload"; return 1; }
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

run_chutep() { CHUTE_BATCH="{scope: partition}" run_chute "$@"; }
run_chutet() {
    CHUTE_BATCH="{max_rows: 1000000, max_bytes: 128MiB}" CHUTE_BUDGET=384MiB run_chute "$@"
}

# ------------------------------------------------------------- the runs
echo "workload,contender,run,rows,json_bytes,wall_s,rows_per_s,mb_per_s,contender_cpu_s,server_cpu_s,broker_cpu_s,rss_mb,rows_per_cpu_s,check" >"$CSV"
i=0
for c in $ORDER; do
    i=$((i + 1))
    table="bench_${c}_$i"
    chq "DROP TABLE IF EXISTS ${table}_mv; DROP TABLE IF EXISTS ${table}_queue;
         DROP TABLE IF EXISTS ${table}_raw; DROP TABLE IF EXISTS $table; $(SCHEMA_DDL "$table")"
    sleep 1
    s0="$(cpu_s "$CLICKHOUSE_PID")"; b0="$(cpu_s "$KAFKA_PID")"
    log "run $i: $c"
    if ! "run_$c" "$i" "$table"; then log "run $i ($c) failed"; continue; fi
    s1="$(cpu_s "$CLICKHOUSE_PID")"; b1="$(cpu_s "$KAFKA_PID")"
    chk="$(CHECK "$table")"                  # after the CPU figures: FINAL is not free
    [ "$chk" = ok ] || log "run $i ($c): check failed: $chk"
    python3 - "$WORKLOAD" "$c" "$i" "$N" "$BYTES" "$WALL" "$CONT_CPU" "$(fsub "$s1" "$s0")" \
        "$(fsub "$b1" "$b0")" "$RSS_MB" "$chk" >>"$CSV" <<'EOF'
import sys
w, c, i, n, b, wall, ccpu, scpu, bcpu, rss, chk = sys.argv[1:]
n, b, wall, ccpu, scpu, bcpu = int(n), int(b), float(wall), float(ccpu), float(scpu), float(bcpu)
chk = chk.replace(",", " ")
print(f"{w},{c},{i},{n},{b},{wall:.2f},{n/wall:.0f},{b/wall/1e6:.1f},{ccpu:.2f},{scpu:.2f},{bcpu:.2f},{rss},{n/(ccpu+scpu):.0f},{chk}")
EOF
    tail -n 1 "$CSV" >&2
    chq "DROP TABLE IF EXISTS ${table}_mv; DROP TABLE IF EXISTS ${table}_raw; DROP TABLE $table"
done

# ------------------------------------------------------------- the report
PY="$REPO/.work/venv/bin/python"; [ -x "$PY" ] || PY=python3    # matplotlib for the chart
jars=("$REPO"/deps/kafka/lib/kafka_2.13-*.jar)
kafka_version="${jars[0]##*/kafka_2.13-}"; kafka_version="${kafka_version%.jar}"
[ -e "${jars[0]}" ] || kafka_version='?'
"$PY" "$REPO/bench/report.py" "$CSV" "$MD" \
    --kafka-version "$kafka_version" \
    --clickhouse-version "$(q 'SELECT version()')" \
    --librdkafka-version "$(pkg-config --modversion rdkafka 2>/dev/null || echo '?')" \
    --chute-commit "${BENCH_CHUTE_COMMIT:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')}" \
    --chute-props "${BENCH_CHUTE_PROPS:-}" \
    ${SENTINEL_BASE:+--workload-info "$DATA.json"}
cat "$MD"
log "wrote $MD and $CSV"
