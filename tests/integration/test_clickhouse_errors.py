"""
Every class of insert failure (src/clickhouse/client.h), forced against the
real ClickHouse server or through a small TCP proxy in front of it:

  configuration  the table is dropped mid-run: ERROR lines naming the class,
                 chute keeps the batch; the table comes back -> rows arrive
  bad data       a column's type changes under chute, so the server reads the
                 RowBinary body with another layout and refuses it
  retriable      the proxy answers 503, or stalls past clickhouse.timeout
  outcome        the proxy forwards the whole insert and then cuts the
  unknown        connection instead of returning the answer: the server did
                 insert, chute cannot know, re-sends the identical batch ->
                 the rows arrive, duplicated (at-least-once, delivery.md)

chute retries every class and never drops a batch; only the log wording and
level differ (WARN for retriable, ERROR otherwise).
"""
from __future__ import annotations

import json
import re
import time

import pytest

COLUMNS = "id UInt64, v UInt64"


def rows(start: int, n: int) -> list[bytes]:
    return [json.dumps({"id": i, "v": i * 7}).encode() for i in range(start, start + n)]


def test_table_dropped_mid_run_is_configuration_class_then_rows_arrive(ctx):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 100))
    ctx.wait_count(100, timeout=60)

    ctx.ch(f"DROP TABLE default.{ctx.table}")
    ctx.produce(rows(100, 50))
    chute.wait_log(r"ERROR.*insert of \d+ rows into default\.%s failed .*class configuration: "
                   r"check the table and credentials\): insert \(configuration\): HTTP \d+: "
                   r"Code: 60" % ctx.table, timeout=30)
    time.sleep(1.5)  # a few more attempts
    ctx.check(chute.alive(), "chute exited while the table was missing")
    ctx.check(len(re.findall(r"class configuration", chute.log())) >= 2,
              "chute stopped retrying the batch")

    ctx.create_table(COLUMNS)
    ctx.wait_count(50, timeout=60)
    chute.wait_log(r"succeeded after \d+ attempts", timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    # At-least-once: a retry whose first try may have gone in (outcome
    # unknown, logged) may double the batch; nothing else may.
    unknown = "outcome unknown" in chute.log()
    count, uniq = ctx.count(), ctx.uniq_ids()
    print(f"\nTABLE-DROPPED count={count} uniq={uniq} outcome-unknown retry={unknown}")
    ctx.check(uniq == 50, f"{uniq} distinct ids, expected 50")
    ctx.check(count == 50 or (unknown and count <= 100), f"count {count}, expected 50")
    ctx.assert_no_hangs()


def test_column_type_changed_is_bad_data_class_then_rows_arrive(ctx):
    # One row per batch: 16 bytes of (UInt64, UInt64). Once v is UInt32 the
    # server reads 12-byte rows and finds 4 bytes left over: it refuses the
    # body (CANNOT_READ_ALL_DATA). With other row counts RowBinary could
    # line up and insert garbage; chute re-reads the schema only at start.
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"batch": {"max_rows": 1, "max_wait": "100ms"}}))
    ctx.produce(rows(0, 3))
    ctx.wait_count(3, timeout=60)

    ctx.ch(f"ALTER TABLE default.{ctx.table} MODIFY COLUMN v UInt32")
    ctx.produce(rows(3, 2))
    chute.wait_log(r"ERROR.*class bad data: the server refused the rows; check the table's "
                   r"column types\): insert \(bad data\): HTTP \d+: Code: (32|33)", timeout=30)
    ctx.check(ctx.count() == 3, f"rows were inserted into the changed table: {ctx.count()}")

    ctx.ch(f"ALTER TABLE default.{ctx.table} MODIFY COLUMN v UInt64")
    ctx.wait_count(5, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    got = ctx.ch_rows(f"SELECT id, v FROM default.{ctx.table} ORDER BY id")
    ctx.check(got == [{"id": i, "v": i * 7} for i in range(5)], f"rows {got}")
    ctx.assert_no_hangs()


def test_http_503_is_retriable_and_rows_arrive_once(ctx, proxy_factory):
    proxy = proxy_factory(ctx.env.ch_url, "503", faults=3)
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"clickhouse": {"url": proxy.url},
                                        "batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 200))
    ctx.wait_count(200, timeout=60)
    log = chute.log()
    ctx.check(proxy.injected == 3, f"proxy injected {proxy.injected} faults")
    ctx.check("class retriable): insert: HTTP 503" in log, "no retriable 503 line")
    ctx.check("outcome unknown" not in log, "a refused request was called outcome unknown")
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.check(ctx.count() == 200, f"count {ctx.count()}: a 503 must not duplicate rows")
    ctx.assert_no_hangs()


def test_stalled_insert_times_out_retriable_and_rows_arrive(ctx, proxy_factory):
    proxy = proxy_factory(ctx.env.ch_url, "stall", faults=1)
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"clickhouse": {"url": proxy.url, "timeout": "2s"},
                                        "batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 100))
    ctx.wait_count(100, timeout=60)
    chute.wait_log(r"WARN.*class retriable\): insert: Operation timed out.*outcome unknown.*"
                   r"re-sending the identical batch", timeout=5)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    # The stalled request never reached the server: exactly once here.
    ctx.check(ctx.count() == 100, f"count {ctx.count()}")
    ctx.assert_no_hangs()


def test_connection_cut_after_body_is_outcome_unknown_and_resent(ctx, proxy_factory):
    proxy = proxy_factory(ctx.env.ch_url, "cut", faults=2)
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({"clickhouse": {"url": proxy.url},
                                        "batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 300))
    ctx.wait_uniq(300, timeout=60)
    chute.wait_log(r"WARN.*class retriable\): insert: .*outcome unknown: the server may have "
                   r"inserted some or all rows\); re-sending the identical batch in \d+ ms", timeout=5)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    # The server did insert the cut batches, and chute sent them again:
    # at-least-once, so duplicates are expected here, never loss.
    dupes = ctx.count() - ctx.uniq_ids()
    print(f"\nCUT-AFTER-BODY faults={proxy.injected} count={ctx.count()} uniq={ctx.uniq_ids()} "
          f"duplicates={dupes}")
    ctx.check(ctx.uniq_ids() == 300, f"uniq {ctx.uniq_ids()}")
    ctx.check(dupes > 0, "no duplicates: the cut did not happen after the server inserted")
    ctx.assert_no_hangs()


# ---- start-up checks and per-insert extras (settings, query_id, compression)

def test_unknown_setting_is_a_config_error_naming_the_key(ctx):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    cfg = ctx.config({"clickhouse": {"settings": {"max_insert_block_sise": 1000}}})
    rc, log, _ = ctx.run_chute_once(cfg, timeout=30)
    ctx.check(rc == 2, f"exit {rc}, expected 2\n{log}")
    ctx.check(re.search(r"clickhouse\.settings\.max_insert_block_sise: the server "
                        r"\(ClickHouse [0-9.]+\) has no such setting", log), log)


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_zstd_and_lz4_refused_by_an_old_server_and_used_by_a_new_one(ctx, codec):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    version = ctx.ch("SELECT version()").strip()
    cfg = ctx.config({"clickhouse": {"compression": codec, "settings": {"log_queries": 1}},
                      "batch": {"max_rows": 250}})
    # Content-Encoding zstd and lz4 are not in 18.16 (it answers 89); newer servers have them.
    if not ctx.modern:
        rc, log, _ = ctx.run_chute_once(cfg, timeout=30)
        ctx.check(rc == 2, f"exit {rc}, expected 2\n{log}")
        ctx.check("clickhouse.compression: the server (ClickHouse %s) does not accept "
                  "Content-Encoding %s; use gzip or none" % (version, codec) in log, log)
        return
    chute = ctx.start_chute(cfg)
    ctx.produce(rows(0, 1000))
    ctx.wait_count(1000, timeout=60)
    ctx.check(ctx.sigterm(chute, 30) == 0, "chute did not stop cleanly")
    got = ctx.ch_rows(f"SELECT id, v FROM default.{ctx.table} ORDER BY id")
    ctx.check(got == [{"id": i, "v": i * 7} for i in range(1000)], "rows differ")
    # Every row came through chute's inserts, each
    # body in that Content-Encoding: a body the server could not decode is
    # refused, and the start-up probe checked the server answers one.
    ctx.ch("SYSTEM FLUSH LOGS")
    inserts = ctx.ch_rows(f"SELECT written_rows AS r FROM system.query_log "
                          f"WHERE query_id LIKE 'chute-default.{ctx.table}-%' AND type = 2")
    ctx.check(inserts and sum(int(r["r"]) for r in inserts) == 1000,
              f"query_log inserts {inserts}")


def test_gzip_settings_and_query_id_reach_the_server(ctx):
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({
        "clickhouse": {"compression": "gzip", "settings": {"log_queries": 1}},
        "batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 500))
    ctx.wait_count(500, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    ctx.ch("SYSTEM FLUSH LOGS")
    ids = ctx.ch(f"SELECT DISTINCT query_id FROM system.query_log WHERE query_id LIKE "
                 f"'chute-default.{ctx.table}-0-%' AND type = 2 ORDER BY query_id").split()
    ctx.check(ids and ids[0] == f"chute-default.{ctx.table}-0-0-{ids[0].rsplit('-', 1)[1]}",
              f"query_log ids {ids}")
    got = ctx.ch_rows(f"SELECT id, v FROM default.{ctx.table} ORDER BY id")
    ctx.check(got == [{"id": i, "v": i * 7} for i in range(500)], "rows differ")
    # Regression: at-least-once inserts must switch off block-hash dedup, or
    # two different batches with identical bytes are stored once.
    dedup = ctx.ch(f"SELECT DISTINCT Settings.Values[indexOf(Settings.Names, "
                   f"'insert_deduplicate')] FROM system.query_log WHERE query_id LIKE "
                   f"'chute-default.{ctx.table}-%' AND type = 2").split()
    ctx.check(dedup == ["0"], f"inserts do not switch off dedup: insert_deduplicate {dedup}")


def async_insert_settings(ctx) -> list[tuple[str, str]]:
    ctx.ch("SYSTEM FLUSH LOGS")
    got = ctx.ch(f"SELECT DISTINCT Settings['async_insert'], Settings['wait_for_async_insert'] "
                 f"FROM system.query_log WHERE query_id LIKE 'chute-default.{ctx.table}-%' "
                 f"AND type = 2 FORMAT TabSeparated").split("\n")
    return [tuple(line.split("\t")) for line in got if line]


def test_a_profile_with_async_inserts_still_acks_only_written_rows(ctx):
    """User chute_async's profile (dev-env.sh) has async_insert=1 and
    wait_for_async_insert=0: the server would answer before the rows are
    written, and a crash after chute commits would lose them. chute sends
    wait_for_async_insert=1 with every insert; the profile's async_insert
    stays the user's choice."""
    ctx.needs_modern("async inserts are 21.11+")
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({
        "clickhouse": {"user": "chute_async", "settings": {"log_queries": 1}},
        "batch": {"max_wait": "100ms"}}))
    ctx.produce(rows(0, 300))
    ctx.wait_count(300, timeout=60)
    rc = ctx.sigterm(chute, 30)
    ctx.check(rc == 0, f"chute exited {rc}")
    got = async_insert_settings(ctx)
    ctx.check(got == [("1", "1")], f"(async_insert, wait_for_async_insert) of the inserts: {got}")
    ctx.check(ctx.uniq_ids() == 300 and ctx.count() == 300, f"count {ctx.count()}")


def test_wait_for_async_insert_0_configured_is_sent_and_warned_about(ctx):
    """A setting the user gives is not overridden, but its cost is said."""
    ctx.needs_modern("async inserts are 21.11+")
    ctx.create_topic(1)
    ctx.create_table(COLUMNS)
    chute = ctx.start_chute(ctx.config({
        "clickhouse": {"settings": {"log_queries": 1, "async_insert": 1,
                                    "wait_for_async_insert": 0}},
        "batch": {"max_wait": "100ms"}}))
    chute.wait_log(r"WARN .*clickhouse\.settings\.wait_for_async_insert: 0 with async "
                   r"inserts on: .* a server crash then loses them", timeout=30)
    ctx.produce(rows(0, 50))
    ctx.wait_count(50, timeout=60)
    ctx.sigterm(chute, 30)
    # query_log's Settings lists only values that differ from the server's
    # defaults, and 26.9's async_insert default is 1: only the wait shows.
    got = [wait for _, wait in async_insert_settings(ctx)]
    ctx.check(got == ["0"], f"wait_for_async_insert of the inserts: {got}")
