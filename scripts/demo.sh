#!/usr/bin/env bash
# demo.sh — from a fresh Debian machine to rows in ClickHouse, in one command.
#
#   scripts/demo.sh [EVENTS]      (default 20000 events)
#
# Installs the dependencies and builds chute (scripts/setup.sh), starts a
# local ClickHouse 26.9 server and Kafka broker (scripts/dev-env.sh, in
# .work/demo), creates the demo table (examples/demo_events.sql: Enum,
# LowCardinality, Decimal, Bool, Map, a named Tuple, IPv6, DateTime64),
# produces sample JSON usage events,
# runs chute until they have all arrived, stops it with SIGTERM and prints
# what is in ClickHouse. The servers stay up for you to explore; stop them
# with: CHUTE_DEV_DIR=.work/demo scripts/dev-env.sh down
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
EVENTS="${1:-20000}"
say() { printf '[demo] %s\n' "$*" >&2; }

scripts/setup.sh

export CHUTE_DEV_DIR="$REPO/.work/demo"
eval "$(scripts/dev-env.sh up)"
export KAFKA_BOOTSTRAP CLICKHOUSE_URL

ch() { curl -sS --fail-with-body "$CLICKHOUSE_URL/" --data-binary "$1"; }

say "creating table demo_events"
ch "DROP TABLE IF EXISTS demo_events"
ch "$(cat examples/demo_events.sql)"

say "producing $EVENTS sample events to topic demo_events"
python3 - "$EVENTS" <<'PY' | kcat -P -b "$KAFKA_BOOTSTRAP" -t demo_events -K '|'
import json, random, sys, time
random.seed(7)
n = int(sys.argv[1])
now_ms = int(time.time() * 1000)
types = ["api_call", "page_view", "checkout", "login"]
paths = ["/v1/orders", "/v1/users", "/pricing", "/docs/start", "/login"]
for i in range(n):
    customer = "cust-%03d" % random.randrange(200)
    ev = {
        "event_id": i + 1,
        "customer": customer,
        "event_type": random.choice(types),
        "path": random.choice(paths),
        "amount": round(random.uniform(0, 250), 2),
        "quantity": random.randrange(1, 20),
        "is_trial": random.random() < 0.2,
        "tags": random.sample(["eu", "us", "mobile", "web", "beta"], 2),
        "labels": {"plan": random.choice(["free", "pro", "team"]), "region": "eu-west-1"},
        "device": {"os": random.choice(["ios", "android", "linux"]), "version": "17.%d" % random.randrange(5)},
        "client_ip": random.choice(["203.0.113.%d" % random.randrange(256), "2001:db8::%x" % random.randrange(65536)]),
        "coupon": random.choice([None, None, "WELCOME10"]),
        "event_time": now_ms - random.randrange(86400000),  # epoch milliseconds
        "client_version": "2.4.1",  # not a column: ignored and counted
    }
    print(customer + "|" + json.dumps(ev, separators=(",", ":")))
PY

say "running chute (log in .work/demo/chute.log)"
build/chute run -c examples/demo.yaml 2>"$CHUTE_DEV_DIR/chute.log" &
CHUTE_PID=$!
trap 'kill $CHUTE_PID 2>/dev/null || true' EXIT

deadline=$((SECONDS + 120))
count=0
while [ "$SECONDS" -lt "$deadline" ]; do
    count="$(ch "SELECT count() FROM demo_events")"
    [ "$count" -ge "$EVENTS" ] && break
    kill -0 "$CHUTE_PID" 2>/dev/null || break
    sleep 0.5
done
kill -TERM "$CHUTE_PID" 2>/dev/null || true
status=0
wait "$CHUTE_PID" || status=$?
trap - EXIT
sed -n '1,200p' "$CHUTE_DEV_DIR/chute.log" | grep -E 'plan:|route:|totals|stopped|ERROR' >&2 || true

echo
echo "rows in ClickHouse table demo_events: $(ch "SELECT count() FROM demo_events") (produced $EVENTS, chute exit status $status)"
echo
ch "SELECT event_id, customer, event_type, amount, is_trial, tags, labels['plan'] AS plan, device.os AS os, client_ip, event_time FROM demo_events ORDER BY event_id LIMIT 5 FORMAT PrettyCompactNoEscapes"
echo
ch "SELECT event_type, count() AS events, round(sum(amount), 2) AS revenue FROM demo_events GROUP BY event_type ORDER BY events DESC FORMAT PrettyCompactNoEscapes"
echo
echo "ClickHouse: $CLICKHOUSE_URL   Kafka: $KAFKA_BOOTSTRAP"
echo "stop the servers with: CHUTE_DEV_DIR=.work/demo scripts/dev-env.sh down"
[ "$count" -ge "$EVENTS" ] && [ "$status" = 0 ]
