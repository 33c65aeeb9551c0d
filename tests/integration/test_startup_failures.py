"""
Start-up failures: each exits promptly with the documented code and a message
that names the culprit (exit 2 for config errors, 1 for unreachable servers
or a missing table).
"""
import re

import pytest

from it_helpers import free_closed_port

INVALID_CONFIGS = {
    # id: (mutation of the valid config text, key the message must name)
    "unknown_key": (lambda t: t.replace("  max_rows: 1000\n", "  max_rowz: 1000\n"), "batch.max_rowz"),
    "bad_duration": (lambda t: t.replace('  max_wait: "300ms"\n', '  max_wait: "fast"\n'), "batch.max_wait"),
    "missing_group_id": (lambda t: re.sub(r"  group_id: .*\n", "", t), "kafka.group_id"),
    "bad_offset_reset": (lambda t: t.replace('auto_offset_reset: "earliest"', 'auto_offset_reset: "smallest"'),
                         "kafka.auto_offset_reset"),
    "bad_url_scheme": (lambda t: re.sub(r'url: "http://', 'url: "tcp://', t), "clickhouse.url"),
    "zero_workers": (lambda t: t.replace("insert_workers: 2", "insert_workers: 0"), "clickhouse.insert_workers"),
    "bad_librdkafka_property": (lambda t: t.replace('  startup_timeout: "20s"\n',
                                                    '  startup_timeout: "20s"\n  properties:\n'
                                                    '    no.such.property: 1\n'),
                                "kafka.properties.no.such.property"),
}


@pytest.mark.parametrize("case", list(INVALID_CONFIGS))
def test_invalid_config_exits_2_with_one_line_naming_the_key(ctx, case):
    mutate, key = INVALID_CONFIGS[case]
    text = ctx.config({"batch": {"max_rows": 1000, "max_wait": "300ms"}}).read_text()
    bad = mutate(text)
    assert bad != text, f"mutation {case} did not change the config"
    path = ctx.write_config_text(bad, f"bad-{case}.yaml")
    rc, out, secs = ctx.run_chute_once(path, timeout=20)
    lines = [line for line in out.splitlines() if line.strip()]
    ctx.check(rc == 2, f"exit code {rc}, expected 2; output:\n{out}")
    ctx.check(len(lines) == 1, f"expected exactly one line, got {len(lines)}:\n{out}")
    ctx.check(lines[0].startswith("chute: config error:"), f"line does not start with 'chute: config error:': {lines[0]}")
    ctx.check(key in lines[0], f"message does not name {key}: {lines[0]}")
    ctx.check(path.name in lines[0], f"message does not name the file {path.name}: {lines[0]}")


def test_clickhouse_unreachable_exits_1_quickly_naming_clickhouse_and_url(ctx):
    ctx.create_topic(4)
    url = f"http://127.0.0.1:{free_closed_port()}"
    path = ctx.config({"clickhouse": {"url": url}})
    rc, out, secs = ctx.run_chute_once(path, timeout=30)
    print(f"\nCH-UNREACHABLE exit {rc} after {secs:.2f}s: {out.strip().splitlines()[-1] if out.strip() else ''}")
    ctx.check(rc == 1, f"exit code {rc}, expected 1; output:\n{out}")
    ctx.check(secs < 8, f"took {secs:.1f}s to give up on a closed port")
    ctx.check("ClickHouse" in out and url in out, f"message does not name ClickHouse and {url}:\n{out}")


def test_kafka_unreachable_exits_1_within_startup_timeout_naming_kafka(ctx):
    ctx.create_table("id UInt64")
    bootstrap = f"127.0.0.1:{free_closed_port()}"
    path = ctx.config({"kafka": {"bootstrap_servers": bootstrap, "startup_timeout": "3s"}})
    rc, out, secs = ctx.run_chute_once(path, timeout=30)
    print(f"\nKAFKA-UNREACHABLE exit {rc} after {secs:.2f}s")
    ctx.check(rc == 1, f"exit code {rc}, expected 1; output:\n{out}")
    ctx.check(secs < 10, f"took {secs:.1f}s with kafka.startup_timeout 3s")
    errors = [line for line in out.splitlines() if " ERROR " in line]
    ctx.check(errors and "Kafka" in errors[-1] and bootstrap in errors[-1],
              f"the final error does not name Kafka and {bootstrap}:\n{out}")


def test_missing_table_exits_1_naming_the_table(ctx):
    ctx.create_topic(4)
    path = ctx.config()
    rc, out, secs = ctx.run_chute_once(path, timeout=30)
    ctx.check(rc == 1, f"exit code {rc}, expected 1; output:\n{out}")
    ctx.check(secs < 10, f"took {secs:.1f}s")
    ctx.check(f"default.{ctx.table}" in out and "does not exist" in out,
              f"message does not name default.{ctx.table}:\n{out}")


def test_a_password_user_streams_and_a_wrong_password_stops_start_up(ctx):
    """dev-env.sh's chute_auth user has the password chute-secret on both
    servers. The right password streams (the password comes from ${ENV}, as
    a user would keep it); a wrong one stops start-up with the server's
    authentication error, naming ClickHouse and the URL."""
    ctx.create_topic(1)
    ctx.create_table("id UInt64")
    good = ctx.config({"clickhouse": {"user": "chute_auth", "password": "${IT_CH_PASSWORD}",
                                      "settings": {"log_queries": 1}}}, name="good")
    chute = ctx.start_chute(good, env={"IT_CH_PASSWORD": "chute-secret"})
    ctx.produce([b'{"id": %d}' % i for i in range(100)])
    ctx.wait_count(100, timeout=60)
    ctx.check(ctx.sigterm(chute, 30) == 0, "chute did not stop cleanly")
    ctx.ch("SYSTEM FLUSH LOGS")
    users = ctx.ch(f"SELECT DISTINCT user FROM system.query_log WHERE query_id LIKE "
                   f"'chute-default.{ctx.table}-%' AND type = 2").split()
    ctx.check(users == ["chute_auth"], f"the inserts ran as {users}")

    bad = ctx.config({"clickhouse": {"user": "chute_auth", "password": "wrong"}}, name="bad")
    rc, out, _ = ctx.run_chute_once(bad, timeout=30)
    ctx.check(rc in (1, 2), f"exit code {rc}, expected a start-up failure; output:\n{out}")
    ctx.check("ClickHouse" in out and ctx.env.ch_url in out and
              re.search(r"Authentication failed|password is incorrect|Code: (192|193|516)", out),
              f"no authentication error naming ClickHouse and the URL:\n{out}")
