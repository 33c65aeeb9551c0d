#!/usr/bin/env bash
# What the dev-env ClickHouse server (Debian's package) offers for insert
# deduplication. Usage: CHUTE_DEV_DIR=/tmp/research-env scripts/dev-env.sh up
#   then: CLICKHOUSE_URL=... tests/research/server_settings.sh
set -u
U="${CLICKHOUSE_URL:?}"
qq() { echo "> $1"; curl -sS "$U/" --data-binary "$1"; }
qq "SELECT version()"
qq "SELECT name, value FROM system.settings WHERE name LIKE '%dedup%' OR name LIKE '%async_insert%' FORMAT TSV"
qq "SELECT name, value FROM system.merge_tree_settings WHERE name LIKE '%dedup%' FORMAT TSV"
qq "SELECT count() FROM system.settings WHERE name = 'insert_deduplication_token'"
qq "DROP TABLE IF EXISTS default.rs_t"
qq "CREATE TABLE default.rs_t (o UInt64) ENGINE = MergeTree ORDER BY o SETTINGS non_replicated_deduplication_window = 100"
qq "CREATE TABLE default.rs_t (o UInt64) ENGINE = MergeTree ORDER BY o"
echo "> INSERT with insert_deduplication_token (URL parameter)"
curl -sS "$U/?insert_deduplication_token=x" --data-binary "INSERT INTO default.rs_t VALUES (1)"
echo "> identical INSERT twice, no token, plain MergeTree"
curl -sS "$U/" --data-binary "INSERT INTO default.rs_t VALUES (1)"
curl -sS "$U/" --data-binary "INSERT INTO default.rs_t VALUES (1)"
qq "SELECT count() FROM default.rs_t"
echo "> ReplicatedMergeTree without ZooKeeper configured"
qq "CREATE TABLE default.rs_r (o UInt64) ENGINE = ReplicatedMergeTree('/t/rs_r', 'r1') ORDER BY o"
qq "SELECT name FROM system.table_engines WHERE name LIKE '%Keeper%' OR name LIKE 'Replicated%' FORMAT TSV"
qq "DROP TABLE IF EXISTS default.rs_t"
