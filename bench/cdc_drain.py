"""
cdc_drain.py — chute draining Debezium change events (upsert mode).

  KAFKA_BOOTSTRAP=... CLICKHOUSE_URL=... .work/venv/bin/python bench/cdc_drain.py N plain|schema

Produces N PostgreSQL-shaped change events over 10,000 keys (creates, then
updates) to a new 4-partition topic: "plain" without the embedded schema
into a pre-created ReplacingMergeTree, "schema" with it (JsonConverter
schemas.enable=true, ~1.6 KB per event) into a table chute creates. Then
runs build/chute with defaults until every offset is committed and prints
wall time (from process start), rows/s, chute's CPU seconds per million
events (/proc), its peak RSS (VmHWM) and the live keys in FINAL.
Start an environment first: CHUTE_DEV_DIR=.work/cdc-env scripts/dev-env.sh up
"""
import json, os, subprocess, sys, time, urllib.request
from pathlib import Path
REPO = Path(__file__).resolve().parents[1]
WORK = REPO / ".work" / "cdcbench"
WORK.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(REPO / "tests" / "integration"))
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient, NewTopic
from test_cdc_upsert import VALUE_SCHEMA, KEY_SCHEMA
K, CH = os.environ["KAFKA_BOOTSTRAP"], os.environ["CLICKHOUSE_URL"]
N, KEYS, shape = int(sys.argv[1]), 10000, sys.argv[2]
topic = f"cdcbench-{shape}-{int(time.time())}"
def ch(q): return urllib.request.urlopen(CH, q.encode()).read().decode()
admin = AdminClient({"bootstrap.servers": K})
admin.create_topics([NewTopic(topic, 4, 1)])[topic].result()
p = Producer({"bootstrap.servers": K, "linger.ms": 50, "batch.size": 1000000})
nbytes = 0
for i in range(N):
    k = i % KEYS
    after = {"id": k, "name": f"item-{k}-{i}", "qty": i % 1000, "price": 12.5, "updated_at": 1760000000000 + i}
    env = {"op": "u" if i >= KEYS else "c", "before": None, "after": after,
           "source": {"connector": "postgresql", "ts_ms": 1760000000000 + i, "lsn": 1000000 + i}, "ts_ms": 1760000000100 + i}
    v = json.dumps({"schema": VALUE_SCHEMA, "payload": env} if shape == "schema" else env).encode()
    nbytes += len(v)
    key = json.dumps({"schema": KEY_SCHEMA, "payload": {"id": k}} if shape == "schema" else {"id": k}).encode()
    p.produce(topic, v, key, partition=k % 4)
    if i % 10000 == 0: p.poll(0)
p.flush()
table = topic.replace("-", "_")
if shape == "plain":
    ch(f"CREATE TABLE default.{table} (id Int64, name Nullable(String), qty Int32, price Float64, "
       f"updated_at DateTime('UTC'), _version UInt64, _deleted UInt8) ENGINE = ReplacingMergeTree(_version) ORDER BY id")
cfg = f"""kafka: {{bootstrap_servers: "{K}", group_id: g-{table}, auto_offset_reset: earliest}}
clickhouse: {{url: "{CH}"}}
topics: [{{topic: {topic}, table: {table}, format: debezium, columns: {{updated_at: {{epoch_unit: ms}}}}}}]
stats_interval: 0s
"""
open(WORK / f"{table}.yaml", "w").write(cfg)
t0 = time.monotonic()
proc = subprocess.Popen([str(REPO / "build" / "chute"), "run", "-c", str(WORK / f"{table}.yaml")], stderr=open(WORK / f"{table}.log", "w"))
c = Consumer({"bootstrap.servers": K, "group.id": f"g-{table}"})
from confluent_kafka import TopicPartition
while proc.poll() is None:
    time.sleep(0.2)
    offs = c.committed([TopicPartition(topic, i) for i in range(4)], timeout=10)
    if sum(max(o.offset, 0) for o in offs) >= N: break
wall = time.monotonic() - t0
st = open(f"/proc/{proc.pid}/stat").read().split(")")[1].split()
cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
hwm = [l for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmHWM")][0].split()[1]
proc.terminate(); proc.wait()
final = ch(f"SELECT count() FROM (SELECT * FROM default.{table} FINAL WHERE NOT _deleted)").strip()
print(f"CDC-BENCH shape={shape} events={N} avg_bytes={nbytes//N} keys={KEYS} wall={wall:.2f}s rows/s={N/wall:,.0f} chute_cpu={cpu:.2f}s cpu_s_per_M={cpu/N*1e6:.2f} VmHWM_MB={int(hwm)/1024:.0f} final_keys={final}")
