# shellcheck shell=bash
# env.sh — sourced by bench/run.sh and bench/latency.sh: the bench's own dev
# environment, with the ClickHouse settings the Kafka table engine needs.
#
# bench_up [FLUSH_MS]   writes the bench's server config files (below), starts
#                       the environment (scripts/dev-env.sh up), restarting
#                       ClickHouse if they changed, and evals its env lines.
#
# Why: ClickHouse 18.16's Kafka engine sets group.id, client.id and
# enable.auto.commit=false on its librdkafka consumer and nothing else, so a
# new consumer group starts at librdkafka's default auto.offset.reset=largest:
# on a pre-filled topic it waits at the end for new messages ("offset reset
# ... to END: no previously committed offset available" with debug=cgrp).
# It takes further consumer properties from the <kafka> section of the server
# config (underscores become dots), and the server merges config.d/*.xml next
# to its config.xml, so config.d/bench-kafka.xml sets
# auto.offset.reset=smallest: the same start point chute (auto_offset_reset:
# earliest) and kcat (-o beginning) get. users.d/bench-kafka.xml sets the
# default profile's stream_flush_interval_ms (18.16's default 7500), the
# longest a Kafka engine read stream runs before its rows go to the views.

bench_up() {
    local flush="${1:-7500}" chdir="$CHUTE_DEV_DIR/clickhouse" changed=0 f new
    mkdir -p "$chdir/config.d" "$chdir/users.d"
    for f in config.d users.d; do
        if [ "$f" = config.d ]; then
            new='<?xml version="1.0"?>
<!-- written by bench/env.sh: the Kafka engine starts a new group at the earliest offset -->
<yandex><kafka><auto_offset_reset>smallest</auto_offset_reset></kafka></yandex>'
        else
            new="<?xml version=\"1.0\"?>
<!-- written by bench/env.sh -->
<yandex><profiles><default><stream_flush_interval_ms>$flush</stream_flush_interval_ms></default></profiles></yandex>"
        fi
        if [ "$(cat "$chdir/$f/bench-kafka.xml" 2>/dev/null)" != "$new" ]; then
            printf '%s\n' "$new" >"$chdir/$f/bench-kafka.xml"
            changed=1
        fi
    done
    if [ "$changed" = 1 ] && [[ "$(scripts/dev-env.sh status 2>/dev/null || true)" == *CLICKHOUSE_STATUS=running* ]]; then
        log "server config changed (stream_flush_interval_ms $flush): restarting ClickHouse"
        scripts/dev-env.sh stop-clickhouse >&2
    fi
    eval "$(scripts/dev-env.sh up)"
}
