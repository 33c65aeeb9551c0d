#!/usr/bin/env bash
# dev-env.sh — a private ClickHouse server + single-node KRaft Kafka broker for
# chute's development, integration tests and benchmarks.
#
#   scripts/dev-env.sh up      [--dir DIR] [--clickhouse 26.9|18.16]
#                                            start both (idempotent), print env lines
#   scripts/dev-env.sh down    [--dir DIR] [--purge]   stop both (--purge: rm DIR)
#   scripts/dev-env.sh status  [--dir DIR]   *_STATUS=running|paused|stopped + env lines
#   scripts/dev-env.sh env     [--dir DIR]   just the env lines (exit 3 if not up)
#   scripts/dev-env.sh start-clickhouse|stop-clickhouse [--kill]
#   scripts/dev-env.sh start-kafka|stop-kafka [--kill]
#   scripts/dev-env.sh pause-clickhouse|resume-clickhouse    (SIGSTOP / SIGCONT)
#   scripts/dev-env.sh pause-kafka|resume-kafka
#   scripts/dev-env.sh [--dir DIR] topics ARGS...   Kafka's TopicCommand with
#        --bootstrap-server filled in, e.g. topics --create --topic t --partitions 8
#
# stdout carries only shell-sourceable lines:
#   KAFKA_BOOTSTRAP=127.0.0.1:PORT
#   CLICKHOUSE_URL=http://127.0.0.1:PORT
#   CLICKHOUSE_HTTP_PORT=PORT  CLICKHOUSE_TCP_PORT=PORT  KAFKA_CONTROLLER_PORT=PORT
#   CLICKHOUSE_PID=N  KAFKA_PID=N  CHUTE_DEV_DIR=DIR
#   CLICKHOUSE_SERVER=26.9|18.16  CLICKHOUSE_VERSION=26.9.2.1 (what the server says)
# so `eval "$(scripts/dev-env.sh up)"` works. Progress goes to stderr.
#
# The ClickHouse server: 26.9 by default, the ClickHouse 26.9 engine from the
# chdb-core wheel in .work/venv run as a network server by
# scripts/clickhouse26.py (clickhouse-local's HTTP and TCP listeners; it has no
# asynchronous insert queue and cannot replicate: docs/testing.md). 18.16 is
# Debian's clickhouse-server, the oldest version chute supports. Choose with
# --clickhouse VERSION or CHUTE_CLICKHOUSE=VERSION; a work dir keeps the
# version it was first started with (a different one: `down --purge` first).
# Both servers get the same users (users.xml): default (no password),
# chute_auth (password chute-secret), chute_readonly (readonly profile) and
# chute_async (a profile with async_insert=1, wait_for_async_insert=0).
#
# The work dir defaults to .work/dev-env in the repo; override with
# CHUTE_DEV_DIR=DIR or --dir DIR, so several environments can coexist. Ports are
# chosen free on first start (outside the kernel's ephemeral range), stored in
# DIR/ports.env and reused by later starts, so a stop/start keeps the same URL.
#
# Tunables (env): CHUTE_DEV_TIMEOUT (seconds to wait for each server, default 90),
# CHUTE_KAFKA_HEAP (default "-Xms256m -Xmx512m"), CHUTE_KAFKA_JVM_OPTS (extra),
# CHUTE_CLICKHOUSE_SERVER (path to the 18.16 clickhouse-server), CHUTE_KAFKA_CDS=0
# (no class-data-sharing archive; see kafka_cds_archive).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
KAFKA_LIB="$REPO/deps/kafka/lib"

log() { printf '[dev-env] %s\n' "$*" >&2; }
die() { printf '[dev-env] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {  # usage [EXIT_CODE]
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

# ---------------------------------------------------------------- arguments
CMD=""
PASS=()
DIR="${CHUTE_DEV_DIR:-}"
PURGE=0
KILL=0
KILLED=0
CH_WANT="${CHUTE_CLICKHOUSE:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --clickhouse) [ $# -ge 2 ] || die "--clickhouse needs a version (26.9 or 18.16)"; CH_WANT="$2"; shift 2 ;;
        --clickhouse=*) CH_WANT="${1#--clickhouse=}"; shift ;;
        --dir) [ $# -ge 2 ] || die "--dir needs an argument"; DIR="$2"; shift 2 ;;
        --dir=*) DIR="${1#--dir=}"; shift ;;
        --purge) PURGE=1; shift ;;
        --kill) KILL=1; shift ;;
        -h|--help) usage 0 ;;
        -*) die "unknown option: $1" ;;
        *) [ -z "$CMD" ] || die "more than one command: $CMD $1"; CMD="$1"; shift
           # `topics` hands the rest of the line to Kafka's TopicCommand
           if [ "$CMD" = topics ]; then PASS=("$@"); break; fi ;;
    esac
done
[ -n "$CMD" ] || usage
[ -n "$DIR" ] || DIR="$REPO/.work/dev-env"
if [ ! -d "$DIR" ]; then
    case "$CMD" in
        down|stop-*) log "nothing in $DIR"; exit 0 ;;
        status) echo "CLICKHOUSE_STATUS=stopped"; echo "KAFKA_STATUS=stopped"; exit 3 ;;
        env|pause-*|resume-*|topics) log "not up: no $DIR (run: $0 up)"; exit 3 ;;
    esac
fi
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

TIMEOUT="${CHUTE_DEV_TIMEOUT:-90}"
CH_DIR="$DIR/clickhouse"
CH_SERVER_FILE="$DIR/clickhouse.server"
KF_DIR="$DIR/kafka"
PORTS_FILE="$DIR/ports.env"

# Serialise commands on one work dir (two concurrent `up`s would race).
exec 9>"$DIR/.lock"
flock 9

# ---------------------------------------------------------------- server version
# CH_SERVER: the ClickHouse this work dir runs, 26.9 (the default) or 18.16.
case "$CH_WANT" in
    ""|26.9|26) CH_WANT="${CH_WANT:+26.9}" ;;
    18.16|18) CH_WANT=18.16 ;;
    *) die "--clickhouse / CHUTE_CLICKHOUSE: unknown server '$CH_WANT' (26.9 or 18.16)" ;;
esac
CH_SERVER="$(cat "$CH_SERVER_FILE" 2>/dev/null || true)"
if [ -n "$CH_WANT" ] && [ -n "$CH_SERVER" ] && [ "$CH_WANT" != "$CH_SERVER" ]; then
    case "$CMD" in
        up|start-clickhouse)
            die "$DIR holds a ClickHouse $CH_SERVER environment, not $CH_WANT: run '$0 --dir $DIR down --purge' first, or use another --dir" ;;
    esac
fi
[ -n "$CH_SERVER" ] || CH_SERVER="${CH_WANT:-26.9}"
VENV_PY="$REPO/.work/venv/bin/python"

# ---------------------------------------------------------------- helpers
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; run scripts/setup.sh"; }

# pid_alive PIDFILE MARKER: prints the pid if the process lives and its command
# line contains MARKER (guards against a recycled pid).
pid_alive() {
    local f="$1" marker="$2" pid cmd
    [ -s "$f" ] || return 1
    pid="$(cat "$f")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmd" == *"$marker"* ]] || return 1
    proc_running "$pid" || return 1
    echo "$pid"
}
# proc_running PID: exists and is not a zombie
proc_running() {
    local st
    st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
ch_pid() { pid_alive "$CH_DIR/clickhouse.pid" "$CH_DIR/config.xml"; }
kf_pid() { pid_alive "$KF_DIR/kafka.pid" "$KF_DIR/server.properties"; }

# port_free PORT: true if nothing listens on 127.0.0.1:PORT (SO_REUSEADDR, as the
# servers bind, so TIME_WAIT leftovers of a previous run do not count).
port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

# pick_ports N [EXCLUDE...]: N distinct free ports, below the ephemeral range so
# outgoing connections never take them, avoiding EXCLUDE.
pick_ports() {
    python3 - "$@" <<'EOF'
import random, socket, sys
n = int(sys.argv[1]); exclude = {int(p) for p in sys.argv[2:] if p}
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    lo = 32768
base = 20000 if lo > 21000 else 1024
cands = list(range(base, lo)); random.shuffle(cands)
out = []
def ok(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for p in cands:
    if p in exclude or not ok(p): continue
    out.append(p)
    if len(out) == n: break
while len(out) < n:  # fallback: let the kernel pick
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p not in out and p not in exclude: out.append(p)
print(" ".join(map(str, out)))
EOF
}

CH_HTTP_PORT="" CH_TCP_PORT="" KAFKA_PORT="" KAFKA_CONTROLLER_PORT=""
load_ports() {
    if [ -s "$PORTS_FILE" ]; then
        # shellcheck disable=SC1090
        . "$PORTS_FILE"
    fi
}
save_ports() {
    cat >"$PORTS_FILE.tmp" <<EOF
CH_HTTP_PORT=$CH_HTTP_PORT
CH_TCP_PORT=$CH_TCP_PORT
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
EOF
    mv "$PORTS_FILE.tmp" "$PORTS_FILE"
}

# ensure_ports clickhouse|kafka [new]: keep the stored ports if still free, else
# (or with `new`) pick new ones.
ensure_ports() {
    local which="$1" a b
    load_ports
    if [ "$which" = clickhouse ]; then
        a="$CH_HTTP_PORT" b="$CH_TCP_PORT"
    else
        a="$KAFKA_PORT" b="$KAFKA_CONTROLLER_PORT"
    fi
    if [ "${2:-}" != new ] && [ -n "$a" ] && [ -n "$b" ] && port_free "$a" && port_free "$b"; then
        return 0
    fi
    if [ -n "$a" ] && [ "${STRICT_PORTS:-0}" = 1 ]; then
        die "$which: port $a or $b is taken by another process; cannot restart on the same ports"
    fi
    if [ -n "$a" ] && [ "${2:-}" != new ]; then
        log "$which: stored ports $a/$b are taken; picking new ones"
    fi
    # shellcheck disable=SC2046
    set -- $(pick_ports 2 "$CH_HTTP_PORT" "$CH_TCP_PORT" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
    if [ "$which" = clickhouse ]; then
        CH_HTTP_PORT="$1" CH_TCP_PORT="$2"
    else
        KAFKA_PORT="$1" KAFKA_CONTROLLER_PORT="$2"
    fi
    save_ports
}

# stop_pid NAME PID: SIGTERM (SIGKILL at once with --kill), wait, then SIGKILL.
stop_pid() {
    local name="$1" pid="$2" i
    KILLED=0
    if [ "$KILL" = 1 ]; then
        log "$name: SIGKILL pid $pid"
        KILLED=1
        kill -KILL "$pid" 2>/dev/null || true
    else
        log "$name: stopping pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true   # in case it was paused
    fi
    for i in $(seq 1 300); do          # 30 s
        proc_running "$pid" || break
        sleep 0.1
        if [ "$i" = 300 ]; then
            log "$name: still alive after 30 s, SIGKILL"
            KILLED=1
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
since() {  # since START_MS -> "1.23s"
    local d=$(( $(now_ms) - $1 ))
    printf '%d.%02ds' $((d / 1000)) $((d % 1000 / 10))
}

tail_log() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        printf -- '---- last lines of %s ----\n' "$f" >&2
        tail -n 30 "$f" >&2
    done
}

# ---------------------------------------------------------------- ClickHouse
ch_binary() {  # the 18.16 server
    if [ -n "${CHUTE_CLICKHOUSE_SERVER:-}" ]; then echo "$CHUTE_CLICKHOUSE_SERVER"; return; fi
    command -v clickhouse-server 2>/dev/null && return
    [ -x /usr/sbin/clickhouse-server ] && { echo /usr/sbin/clickhouse-server; return; }
    [ -x /usr/bin/clickhouse ] && { echo /usr/bin/clickhouse; return; }
    die "clickhouse-server not found; run scripts/setup.sh"
}

# ch_command: fills the array CHC with the command line that runs the server.
ch_command() {
    local bin
    if [ "$CH_SERVER" = 26.9 ]; then
        [ -x "$VENV_PY" ] || die "no $VENV_PY; run scripts/setup.sh"
        "$VENV_PY" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("chdb") is None)' 2>/dev/null \
            || die "the chdb-core wheel (ClickHouse 26.9) is not in .work/venv; run scripts/setup.sh"
        CHC=("$VENV_PY" "$REPO/scripts/clickhouse26.py" --config "$CH_DIR/config.xml" --data "$CH_DIR/data")
    else
        bin="$(ch_binary)"
        CHC=("$bin" --config-file="$CH_DIR/config.xml")
        [ "$(basename "$bin")" != clickhouse ] || CHC=("$bin" server --config-file="$CH_DIR/config.xml")
    fi
}

write_ch_config() {
    mkdir -p "$CH_DIR"/{data,tmp,user_files,format_schemas,log}
    if [ "$CH_SERVER" = 26.9 ]; then
        write_ch_config_26
    else
        write_ch_config_18
    fi
    write_ch_users
}

# ClickHouse 26.9 through clickhouse-local (scripts/clickhouse26.py): it logs
# at trace level whatever <level> says, so only the error log (warnings and
# errors) is kept, rotated. The data path is the launcher's --data.
write_ch_config_26() {
    cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by scripts/dev-env.sh; rewritten on every start -->
<clickhouse>
    <logger>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds>
    </query_log>
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
</clickhouse>
EOF
}

# ClickHouse 18.16 (root element <yandex>). No zookeeper, remote_servers,
# macros, dictionaries, interserver port.
write_ch_config_18() {
    cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by scripts/dev-env.sh; rewritten on every start -->
<yandex>
    <logger>
        <level>information</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <umask>022</umask>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <partition_by>toYYYYMM(event_date)</partition_by>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds>
    </query_log>
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
</yandex>
EOF
}

# The users of both servers. chute_async's profile is what a server tuned for
# many small clients may have; chute must make its own inserts durable
# anyway. 18.16 has no such settings (an unknown one fails the whole file).
write_ch_users() {
    local async_profile="" async_user="" root=yandex
    if [ "$CH_SERVER" = 26.9 ]; then
        root=clickhouse
        async_profile="
        <async>
            <async_insert>1</async_insert>
            <wait_for_async_insert>0</wait_for_async_insert>
        </async>"
        async_user="
        <chute_async>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>async</profile>
            <quota>default</quota>
        </chute_async>"
    fi
    cat >"$CH_DIR/users.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by scripts/dev-env.sh -->
<$root>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>$async_profile
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <!-- tests: a user with a password -->
        <chute_auth>
            <password>chute-secret</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </chute_auth>
        <!-- tests: a user who may read but not insert nor change settings -->
        <chute_readonly>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>readonly</profile>
            <quota>default</quota>
        </chute_readonly>$async_user
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</$root>
EOF
}

ch_ping() {
    [ "$(curl -s --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/ping" 2>/dev/null)" = "Ok." ]
}

start_clickhouse() {
    local pid attempt t0
    t0="$(now_ms)"
    if pid="$(ch_pid)"; then
        load_ports
        log "clickhouse: already running (pid $pid, http $CH_HTTP_PORT)"
        return 0
    fi
    need curl
    ensure_ports clickhouse
    # Another process may grab a picked port before the server binds it: then
    # pick new ports and try again (not for start-clickhouse, which keeps ports).
    for attempt in 1 2 3; do
        if launch_clickhouse "$t0"; then return 0; fi
        if [ "${STRICT_PORTS:-0}" = 1 ] || [ "$attempt" = 3 ]; then
            die "clickhouse-server could not bind its ports (logs: $CH_DIR/log/)"
        fi
        log "clickhouse: a port was taken meanwhile; picking new ports"
        ensure_ports clickhouse new
    done
}

# launch_clickhouse T0: 0 = up, 1 = could not bind (retry); dies on other failures.
launch_clickhouse() {
    local pid i
    ch_command
    write_ch_config
    echo "$CH_SERVER" >"$CH_SERVER_FILE"
    rm -f "$CH_DIR/clickhouse.pid"
    log "clickhouse $CH_SERVER: starting on http $CH_HTTP_PORT, tcp $CH_TCP_PORT ($CH_DIR)"
    : >"$CH_DIR/log/stdout.log"
    : >"$CH_DIR/log/clickhouse-server.err.log"
    # setsid: our own session, so a Ctrl-C in the caller's terminal does not reach it.
    # Runs in its own dir (core files land there); exec keeps $! the server's pid.
    (cd "$CH_DIR" && exec setsid "${CHC[@]}") \
        </dev/null >>"$CH_DIR/log/stdout.log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$CH_DIR/clickhouse.pid"
    for i in $(seq 1 $((TIMEOUT * 5))); do
        if ch_ping; then
            log "clickhouse: up (pid $pid, ClickHouse $(ch_version)) in $(since "$1")"
            return 0
        fi
        if ! proc_running "$pid"; then
            wait "$pid" 2>/dev/null || true
            rm -f "$CH_DIR/clickhouse.pid"
            tail_log "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log"
            if grep -qi 'address already in use' "$CH_DIR/log/clickhouse-server.err.log" \
                "$CH_DIR/log/stdout.log" 2>/dev/null; then
                return 1
            fi
            die "clickhouse-server exited during startup (logs: $CH_DIR/log/)"
        fi
        sleep 0.2
    done
    tail_log "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log" "$CH_DIR/log/clickhouse-server.log"
    stop_pid clickhouse "$pid"
    die "clickhouse did not answer http://127.0.0.1:$CH_HTTP_PORT/ping within ${TIMEOUT}s"
}

stop_clickhouse() {
    local pid i
    load_ports
    if pid="$(ch_pid)"; then
        # 26.9: cancelling the query that keeps the listeners up lets
        # clickhouse-local shut down in order (about a second); SIGTERM
        # would end the process at once, as the interpreter has no handler.
        if [ "$CH_SERVER" = 26.9 ] && [ "$KILL" = 0 ] && ch_ping; then
            log "clickhouse: stopping pid $pid (cancelling its keep-alive query)"
            curl -s --max-time 5 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary \
                "KILL QUERY WHERE query LIKE '%__chute_dev_server_keepalive__%' AND query NOT LIKE '%KILL QUERY%'" \
                >/dev/null 2>&1 || true
            for i in $(seq 1 100); do   # 10 s
                proc_running "$pid" || break
                sleep 0.1
            done
        fi
        proc_running "$pid" && stop_pid clickhouse "$pid"
    else
        log "clickhouse: not running"
    fi
    rm -f "$CH_DIR/clickhouse.pid"
}

# ---------------------------------------------------------------- Kafka
kafka_cp() {
    compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null \
        || die "Kafka jars missing in deps/kafka/lib; run scripts/setup.sh"
    echo "$KAFKA_LIB/*"
}

write_kafka_config() {
    mkdir -p "$KF_DIR"/{data,logs}
    cat >"$KF_DIR/server.properties" <<EOF
# generated by scripts/dev-env.sh; rewritten on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KF_DIR/data
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
# After a kill -9 the restarted controller waits for the old broker session to
# expire before it accepts the new registration (default 9 s); keep that short.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
log.retention.hours=168
log.segment.bytes=268435456
EOF
    cat >"$KF_DIR/log4j.properties" <<EOF
# generated by scripts/dev-env.sh
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KF_DIR/logs/server.log
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel\$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

# kafka_jvm: fills the array KJ with the java command line up to the main class.
kafka_jvm() {
    local cp heap extra
    cp="$(kafka_cp)"
    read -r -a heap <<<"${CHUTE_KAFKA_HEAP:--Xms256m -Xmx512m}"
    read -r -a extra <<<"${CHUTE_KAFKA_JVM_OPTS:-}"
    KJ=(java "${heap[@]}" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError
        "-XX:ErrorFile=$KF_DIR/logs/hs_err_pid%p.log"
        -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true
        "-Dlog4j.configuration=file:$KF_DIR/log4j.properties"
        "-Dkafka.logs.dir=$KF_DIR/logs"
        ${extra[@]+"${extra[@]}"} -cp "$cp")
}

kafka_format() {
    [ -s "$KF_DIR/data/meta.properties" ] && return 0
    local cid arch
    [ -s "$KF_DIR/cluster.id" ] || python3 -c \
        'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))' \
        >"$KF_DIR/cluster.id"
    cid="$(cat "$KF_DIR/cluster.id")"
    log "kafka: formatting KRaft storage (cluster id $cid)"
    kafka_jvm
    arch="$(kafka_cds_archive)"
    if [ "${CHUTE_KAFKA_CDS:-1}" = 1 ] && [ -s "$arch" ]; then KJ+=("-XX:SharedArchiveFile=$arch"); fi
    if ! "${KJ[@]}" kafka.tools.StorageTool format -t "$cid" -c "$KF_DIR/server.properties" \
        --ignore-formatted >"$KF_DIR/logs/format.log" 2>&1; then
        tail_log "$KF_DIR/logs/format.log"
        die "kafka storage format failed"
    fi
}

kafka_errors() {
    [ -s "$KF_DIR/logs/server.log" ] || return 0
    printf -- '---- ERROR/FATAL lines of %s ----\n' "$KF_DIR/logs/server.log" >&2
    grep -E '^\[[^]]*\] (ERROR|FATAL)' "$KF_DIR/logs/server.log" | tail -n 5 | cut -c1-400 >&2 || true
}

kafka_ready() {
    local out
    out="$(kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 2 2>/dev/null)" || return 1
    grep -q "broker 1 at 127.0.0.1:$KAFKA_PORT" <<<"$out"
}

start_kafka() {
    local pid attempt t0
    t0="$(now_ms)"
    if pid="$(kf_pid)"; then
        load_ports
        log "kafka: already running (pid $pid, bootstrap 127.0.0.1:$KAFKA_PORT)"
        return 0
    fi
    need java
    need kcat
    kafka_cp >/dev/null
    ensure_ports kafka
    for attempt in 1 2 3; do
        if launch_kafka "$t0"; then return 0; fi
        if [ "${STRICT_PORTS:-0}" = 1 ] || [ "$attempt" = 3 ]; then
            die "kafka could not bind its ports (logs: $KF_DIR/logs/)"
        fi
        log "kafka: a port was taken meanwhile; picking new ports"
        ensure_ports kafka new
    done
}

# launch_kafka T0: 0 = up, 1 = could not bind (retry); dies on other failures.
launch_kafka() {
    local pid i
    write_kafka_config
    kafka_format
    rm -f "$KF_DIR/kafka.pid"
    log "kafka: starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, $KF_DIR)"
    : >"$KF_DIR/logs/stdout.log"
    local mark
    mark="$(wc -l <"$KF_DIR/logs/server.log" 2>/dev/null || echo 0)"
    # setsid: our own session, so a Ctrl-C in the caller's terminal does not reach it.
    kafka_jvm
    kafka_cds_opts
    (cd "$KF_DIR" && exec setsid "${KJ[@]}" ${CDS[@]+"${CDS[@]}"} kafka.Kafka "$KF_DIR/server.properties") \
        </dev/null >>"$KF_DIR/logs/stdout.log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$KF_DIR/kafka.pid"
    for i in $(seq 1 $((TIMEOUT * 4))); do
        if kafka_ready; then
            log "kafka: up (pid $pid) in $(since "$1")"
            return 0
        fi
        if ! proc_running "$pid"; then
            wait "$pid" 2>/dev/null || true
            rm -f "$KF_DIR/kafka.pid" "$KF_DIR/cds.jsa.tmp" "$KF_DIR/cds.target"
            tail_log "$KF_DIR/logs/stdout.log" "$KF_DIR/logs/server.log"
            kafka_errors
            if tail -n "+$((mark + 1))" "$KF_DIR/logs/server.log" 2>/dev/null \
                | grep -qi 'address already in use'; then
                return 1
            fi
            die "kafka exited during startup (logs: $KF_DIR/logs/)"
        fi
        sleep 0.25
    done
    tail_log "$KF_DIR/logs/stdout.log" "$KF_DIR/logs/server.log"
    kafka_errors
    stop_pid kafka "$pid"
    die "kafka did not serve metadata on 127.0.0.1:$KAFKA_PORT within ${TIMEOUT}s"
}

stop_kafka() {
    local pid
    if pid="$(kf_pid)"; then
        if [ -e "$KF_DIR/cds.target" ] && [ "$KILL" = 0 ]; then
            log "kafka: the JVM writes its class-data archive on this first exit (a few seconds, once)"
        fi
        stop_pid kafka "$pid"
    else
        log "kafka: not running"
    fi
    rm -f "$KF_DIR/kafka.pid"
    kafka_cds_collect
}

# Class-data sharing (JDK 17 dynamic AppCDS) roughly halves the broker's start
# time. The first broker run on a machine dumps an archive at its (clean) exit;
# later starts map it. The archive is keyed by the JDK binary and the jar set, and
# shared by all work dirs of this checkout. CHUTE_KAFKA_CDS=0 turns it off.
kafka_cds_archive() {
    local java key
    java="$(readlink -f "$(command -v java)")"
    key="$( { echo "$java $KAFKA_LIB"; stat -c '%Y %s' "$java"; ls -l --time-style=+%s "$KAFKA_LIB"; } \
        | sha256sum | cut -c1-16)"
    echo "$REPO/.work/kafka-cds/$key.jsa"
}
kafka_cds_opts() {
    local arch
    CDS=()
    rm -f "$KF_DIR/cds.jsa.tmp" "$KF_DIR/cds.target"
    [ "${CHUTE_KAFKA_CDS:-1}" = 1 ] || return 0
    arch="$(kafka_cds_archive)"
    if [ -s "$arch" ]; then
        CDS=("-XX:SharedArchiveFile=$arch")
    else
        CDS=("-XX:ArchiveClassesAtExit=$KF_DIR/cds.jsa.tmp" -Xlog:cds=error)
        echo "$arch" >"$KF_DIR/cds.target"
    fi
}
kafka_cds_collect() {  # after the broker exited: move a complete archive into place
    local target
    # Only a JVM that exited by itself after SIGTERM has written a whole archive.
    # A quick -Xshare:on run checks that it maps (a truncated archive aborts).
    if [ -s "$KF_DIR/cds.jsa.tmp" ] && [ -s "$KF_DIR/cds.target" ] && [ "$KILLED" = 0 ] \
        && java -XX:SharedArchiveFile="$KF_DIR/cds.jsa.tmp" -Xshare:on -cp "$(kafka_cp)" \
            -XX:ErrorFile=/dev/null -version >/dev/null 2>&1; then
        target="$(cat "$KF_DIR/cds.target")"
        mkdir -p "$(dirname "$target")"
        mv -f "$KF_DIR/cds.jsa.tmp" "$target"
        log "kafka: class-data archive saved ($(du -h "$target" | cut -f1))"
    fi
    rm -f "$KF_DIR/cds.jsa.tmp" "$KF_DIR/cds.target"
}

# ---------------------------------------------------------------- output
print_env() {
    local chp kfp
    load_ports
    chp="$(ch_pid || true)"
    kfp="$(kf_pid || true)"
    printf 'KAFKA_BOOTSTRAP=127.0.0.1:%s\n' "$KAFKA_PORT"
    printf 'CLICKHOUSE_URL=http://127.0.0.1:%s\n' "$CH_HTTP_PORT"
    printf 'CLICKHOUSE_HTTP_PORT=%s\n' "$CH_HTTP_PORT"
    printf 'CLICKHOUSE_TCP_PORT=%s\n' "$CH_TCP_PORT"
    printf 'KAFKA_CONTROLLER_PORT=%s\n' "$KAFKA_CONTROLLER_PORT"
    printf 'CLICKHOUSE_PID=%s\n' "$chp"
    printf 'KAFKA_PID=%s\n' "$kfp"
    printf 'CHUTE_DEV_DIR=%q\n' "$DIR"
    printf 'CLICKHOUSE_SERVER=%s\n' "$CH_SERVER"
    printf 'CLICKHOUSE_VERSION=%s\n' "$(ch_version)"
}

ch_version() {  # what the running server says, or nothing
    [ -n "$CH_HTTP_PORT" ] || return 0
    curl -s --max-time 5 "http://127.0.0.1:$CH_HTTP_PORT/?query=SELECT%20version()" 2>/dev/null \
        | grep -E '^[0-9]+(\.[0-9]+)+$' || true
}

state_of() {  # state_of PIDFUNC -> running|paused|stopped
    local pid
    if ! pid="$($1)"; then echo stopped
    elif [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ]; then echo paused
    else echo running
    fi
}

signal_one() {  # signal_one NAME PIDFUNC SIGNAL
    local pid
    pid="$($2)" || die "$1 is not running"
    kill "-$3" "$pid"
    log "$1: sent SIG$3 to pid $pid"
}

case "$CMD" in
    up)
        start_clickhouse
        start_kafka
        print_env
        ;;
    down)
        stop_kafka
        stop_clickhouse
        if [ "$PURGE" = 1 ]; then
            log "removing $DIR"
            rm -rf "$DIR"
        fi
        ;;
    status)
        rc=0
        echo "CLICKHOUSE_STATUS=$(state_of ch_pid)"
        echo "KAFKA_STATUS=$(state_of kf_pid)"
        if ! ch_pid >/dev/null || ! kf_pid >/dev/null; then rc=3; fi
        [ -s "$PORTS_FILE" ] && print_env
        exit "$rc"
        ;;
    env)
        print_env
        if ! ch_pid >/dev/null || ! kf_pid >/dev/null; then
            log "not up (run: $0 up)"
            exit 3
        fi
        ;;
    start-clickhouse) STRICT_PORTS=1 start_clickhouse; print_env ;;
    stop-clickhouse) stop_clickhouse ;;
    start-kafka) STRICT_PORTS=1 start_kafka; print_env ;;
    stop-kafka) stop_kafka ;;
    pause-clickhouse) signal_one clickhouse ch_pid STOP ;;
    resume-clickhouse) signal_one clickhouse ch_pid CONT ;;
    pause-kafka) signal_one kafka kf_pid STOP ;;
    resume-kafka) signal_one kafka kf_pid CONT ;;
    topics)
        kf_pid >/dev/null || die "kafka is not running (run: $0 up)"
        load_ports
        printf 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n' \
            >"$KF_DIR/tools-log4j.properties"
        exec 9>&-
        CDS=()
        arch="$(kafka_cds_archive)"
        if [ "${CHUTE_KAFKA_CDS:-1}" = 1 ] && [ -s "$arch" ]; then CDS=("-XX:SharedArchiveFile=$arch"); fi
        exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 ${CDS[@]+"${CDS[@]}"} \
            "-Dlog4j.configuration=file:$KF_DIR/tools-log4j.properties" \
            -cp "$(kafka_cp)" org.apache.kafka.tools.TopicCommand \
            --bootstrap-server "127.0.0.1:$KAFKA_PORT" ${PASS[@]+"${PASS[@]}"}
        ;;
    *) die "unknown command: $CMD (try --help)" ;;
esac
