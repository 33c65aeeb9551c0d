/*
 * test_config.c — config loading: defaults, every key, ${ENV} expansion and
 * the exact one-line message of every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define MINIMAL                                                               \
	"kafka:\n"                                                            \
	"  bootstrap_servers: localhost:9092\n"                               \
	"  group_id: g\n"                                                     \
	"  auto_offset_reset: earliest\n"                                     \
	"clickhouse:\n"                                                       \
	"  url: http://localhost:8123\n"                                      \
	"topics:\n"                                                           \
	"  - topic: events\n"                                                 \
	"    table: events\n"

static struct ck_config *load_ok(const char *yaml)
{
	struct ck_config *config = NULL;
	struct ck_err err;
	int rc = ck_config_load_string(yaml, strlen(yaml), "t.yaml", &config,
				       &err);
	if (rc)
		fail_msg("unexpected error: %s", err.msg);
	return config;
}

/* Loads yaml expecting CK_ERR_CONFIG with exactly msg. */
static void expect_error(const char *yaml, const char *msg)
{
	struct ck_config *config = NULL;
	struct ck_err err;
	int rc = ck_config_load_string(yaml, strlen(yaml), "t.yaml", &config,
				       &err);
	assert_int_equal(rc, CK_ERR_CONFIG);
	assert_null(config);
	assert_string_equal(err.msg, msg);
}

static void test_minimal_defaults(void **state)
{
	struct ck_config *c = load_ok(MINIMAL);
	(void)state;

	assert_string_equal(c->kafka.bootstrap_servers, "localhost:9092");
	assert_string_equal(c->kafka.group_id, "g");
	assert_string_equal(c->kafka.auto_offset_reset, "earliest");
	assert_int_equal(c->kafka.startup_timeout_ms, 10000);
	assert_int_equal(c->kafka.nproperties, 0);
	assert_string_equal(c->clickhouse.url, "http://localhost:8123");
	assert_string_equal(c->clickhouse.database, "default");
	assert_string_equal(c->clickhouse.user, "default");
	assert_string_equal(c->clickhouse.password, "");
	assert_int_equal(c->clickhouse.insert_workers, 2);
	assert_int_equal(c->batch.max_rows, 100000);
	assert_int_equal(c->batch.max_bytes, 16u << 20);
	assert_int_equal(c->batch.max_wait_ms, 1000);
	assert_int_equal(c->batch.scope, CK_BATCH_SCOPE_TABLE);
	assert_int_equal(c->retry.initial_backoff_ms, 100);
	assert_int_equal(c->retry.max_backoff_ms, 30000);
	assert_int_equal(c->shutdown_timeout_ms, 30000);
	assert_int_equal(c->log_level, CK_LOG_INFO);
	assert_int_equal(c->delivery, CK_DELIVERY_AT_LEAST_ONCE);
	assert_int_equal(c->memory_budget, 64u << 20);
	assert_int_equal(c->nroutes, 1);
	assert_string_equal(c->routes[0].topic, "events");
	assert_string_equal(c->routes[0].table, "events");
	assert_int_equal(c->routes[0].format, CK_FORMAT_JSON);
	assert_int_equal(c->routes[0].batch.max_rows, 100000);
	/* No dlq section: no DLQ, today's log-count-skip behaviour. */
	assert_null(c->routes[0].dlq_topic);
	assert_null(c->dlq.topic);
	assert_int_equal(c->dlq.nproperties, 0);
	assert_true(c->dlq.max_bad_ratio == 0.5);
	assert_int_equal(c->dlq.window, 1000);
	assert_int_equal(c->dlq.max_bad_run, 1000);
	ck_config_destroy(c);
}

static void test_full(void **state)
{
	struct ck_config *c = load_ok(
		"kafka:\n"
		"  bootstrap_servers: a:1,b:2\n"
		"  group_id: grp\n"
		"  auto_offset_reset: latest\n"
		"  startup_timeout: 3s\n"
		"  properties:\n"
		"    session.timeout.ms: 45000\n"
		"    client.id: chute-test\n"
		"clickhouse:\n"
		"  url: https://ch:8443/\n"
		"  database: db\n"
		"  user: u\n"
		"  password: p\n"
		"  timeout: 2m\n"
		"  connect_timeout: 1.5s\n"
		"  insert_workers: 4\n"
		"batch: {max_rows: 5000, max_bytes: 1MiB, max_wait: 250ms}\n"
		"retry: {initial_backoff: 50ms, max_backoff: 10s}\n"
		"shutdown_timeout: 5s\n"
		"stats_interval: 0s\n"
		"log_level: debug\n"
		"delivery: exactly-once\n"
		"topics:\n"
		"  - topic: a\n"
		"    table: ta\n"
		"    format: json\n"
		"  - topic: b\n"
		"    table: tb\n"
		"    batch: {max_rows: 10, scope: partition}\n");
	(void)state;

	assert_int_equal(c->kafka.startup_timeout_ms, 3000);
	assert_int_equal(c->kafka.nproperties, 2);
	assert_string_equal(c->kafka.properties[0].key, "session.timeout.ms");
	assert_string_equal(c->kafka.properties[0].value, "45000");
	assert_string_equal(c->kafka.properties[1].value, "chute-test");
	assert_string_equal(c->clickhouse.database, "db");
	assert_int_equal(c->clickhouse.request_timeout_ms, 120000);
	assert_int_equal(c->clickhouse.connect_timeout_ms, 1500);
	assert_int_equal(c->clickhouse.insert_workers, 4);
	assert_int_equal(c->batch.max_bytes, 1u << 20);
	assert_int_equal(c->retry.initial_backoff_ms, 50);
	assert_int_equal(c->shutdown_timeout_ms, 5000);
	assert_int_equal(c->stats_interval_ms, 0);
	assert_int_equal(c->log_level, CK_LOG_DEBUG);
	assert_int_equal(c->delivery, CK_DELIVERY_EXACTLY_ONCE);
	assert_int_equal(c->nroutes, 2);
	/* Route batch policies inherit the top level, then override. */
	assert_int_equal(c->routes[0].batch.max_rows, 5000);
	assert_int_equal(c->routes[1].batch.max_rows, 10);
	assert_int_equal(c->routes[1].batch.max_wait_ms, 250);
	assert_int_equal(c->routes[0].batch.scope, CK_BATCH_SCOPE_TABLE);
	assert_int_equal(c->routes[1].batch.scope, CK_BATCH_SCOPE_PARTITION);
	ck_config_destroy(c);
}

static void test_env_expansion(void **state)
{
	struct ck_config *c;
	(void)state;

	setenv("CK_TEST_PW", "s3cret", 1);
	setenv("CK_TEST_HOST", "kafka1", 1);
	unsetenv("CK_TEST_UNSET");
	c = load_ok("kafka:\n"
		    "  bootstrap_servers: ${CK_TEST_HOST}:9092\n"
		    "  group_id: ${CK_TEST_UNSET:-fallback}\n"
		    "  auto_offset_reset: earliest\n"
		    "clickhouse:\n"
		    "  url: http://localhost:8123\n"
		    "  password: \"${CK_TEST_PW}$$x\"\n"
		    "topics: [{topic: t, table: t}]\n");
	assert_string_equal(c->kafka.bootstrap_servers, "kafka1:9092");
	assert_string_equal(c->kafka.group_id, "fallback");
	assert_string_equal(c->clickhouse.password, "s3cret$x");
	ck_config_destroy(c);
}

static void test_errors_structure(void **state)
{
	(void)state;
	expect_error("kafka: [1\n", "t.yaml:2:1: invalid YAML: did not find "
				    "expected ',' or ']'");
	expect_error("- a\n", "t.yaml:1:1: (top level): expected a mapping "
			      "with kafka, clickhouse and topics");
	expect_error(MINIMAL "bogus: 1\n",
		     "t.yaml:10:1: bogus: unknown key (expected one of: kafka, "
		     "clickhouse, batch, retry, topics, shutdown_timeout, "
		     "stats_interval, log_level, delivery, dlq, memory_budget)");
	expect_error("clickhouse: {url: http://x}\n"
		     "topics: [{topic: t, table: t}]\n",
		     "t.yaml: kafka: required section is missing");
	expect_error("kafka: 3\n", "t.yaml:1:8: kafka: expected a mapping of "
				   "keys");
	expect_error("kafka:\n"
		     "  bootstrap_servers: x\n"
		     "  bootstrap_servers: y\n",
		     "t.yaml:3:3: kafka.bootstrap_servers: key appears twice");
	expect_error("kafka:\n  bootsrap_servers: x\n",
		     "t.yaml:2:3: kafka.bootsrap_servers: unknown key (expected "
		     "one of: bootstrap_servers, group_id, auto_offset_reset, "
		     "startup_timeout, properties)");
}

static void test_errors_kafka(void **state)
{
	(void)state;
	expect_error("kafka:\n  group_id: g\n  auto_offset_reset: earliest\n",
		     "t.yaml: kafka.bootstrap_servers: required key is missing "
		     "(expected a list of brokers such as "
		     "host1:9092,host2:9092)");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: ''\n",
		     "t.yaml:3:13: kafka.group_id: expected a consumer group "
		     "name, got an empty value");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n",
		     "t.yaml: kafka.auto_offset_reset: required key is missing "
		     "(expected earliest, latest or error)");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: smallest\n",
		     "t.yaml:4:22: kafka.auto_offset_reset: expected earliest, "
		     "latest or error, got \"smallest\"");
	expect_error("kafka:\n  bootstrap_servers: [a, b]\n",
		     "t.yaml:2:22: kafka.bootstrap_servers: expected a list of "
		     "brokers such as host1:9092,host2:9092, got a list");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: earliest\n  startup_timeout: soon\n",
		     "t.yaml:5:20: kafka.startup_timeout: expected a duration "
		     "such as 10s, got \"soon\"");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: earliest\n"
		     "  properties:\n    enable.auto.commit: true\n",
		     "t.yaml:6:5: kafka.properties.enable.auto.commit: chute "
		     "sets this property itself (chute commits offsets only "
		     "after ClickHouse acknowledged the rows)");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: earliest\n"
		     "  properties:\n    no.such.property: 1\n",
		     "t.yaml:6:5: kafka.properties.no.such.property: librdkafka "
		     "rejects it: No such configuration property: "
		     "\"no.such.property\"");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: earliest\n"
		     "  properties:\n    session.timeout.ms: abc\n",
		     "t.yaml:6:5: kafka.properties.session.timeout.ms: "
		     "librdkafka rejects it: Invalid value for configuration "
		     "property \"session.timeout.ms\"");
	expect_error("kafka:\n  bootstrap_servers: x\n  group_id: g\n"
		     "  auto_offset_reset: earliest\n"
		     "  properties:\n    client.id: {a: 1}\n",
		     "t.yaml:6:16: kafka.properties.client.id: expected a "
		     "scalar value");
}

static void test_errors_env(void **state)
{
	(void)state;
	unsetenv("CK_TEST_MISSING");
	expect_error("kafka:\n  bootstrap_servers: ${CK_TEST_MISSING}\n",
		     "t.yaml:2:22: kafka.bootstrap_servers: environment "
		     "variable CK_TEST_MISSING is not set (use "
		     "${CK_TEST_MISSING:-default} for an optional value)");
	expect_error("kafka:\n  bootstrap_servers: ${OOPS\n",
		     "t.yaml:2:22: kafka.bootstrap_servers: unterminated ${...} "
		     "reference");
	expect_error("kafka:\n  bootstrap_servers: ${}\n",
		     "t.yaml:2:22: kafka.bootstrap_servers: bad ${...} "
		     "reference: expected ${NAME} or ${NAME:-default}");
	expect_error("kafka:\n  bootstrap_servers: ${A-B}\n",
		     "t.yaml:2:22: kafka.bootstrap_servers: bad environment "
		     "variable name \"A-B\" in ${...}");
}

#define KAFKA_OK                                                              \
	"kafka: {bootstrap_servers: x, group_id: g, auto_offset_reset: "      \
	"earliest}\n"

static void test_errors_clickhouse(void **state)
{
	(void)state;
	expect_error(KAFKA_OK "topics: [{topic: t, table: t}]\n",
		     "t.yaml: clickhouse: required section is missing");
	expect_error(KAFKA_OK "clickhouse: {database: d}\n",
		     "t.yaml: clickhouse.url: required key is missing (expected "
		     "an http:// or https:// URL)");
	expect_error(KAFKA_OK "clickhouse: {url: 'tcp://x:9000'}\n",
		     "t.yaml:2:19: clickhouse.url: expected an http:// or "
		     "https:// URL, got \"tcp://x:9000\"");
	expect_error(KAFKA_OK "clickhouse: {url: 'http://x', timeout: 0s}\n",
		     "t.yaml:2:40: clickhouse.timeout: expected a duration such "
		     "as 60s, got \"0s\"");
	expect_error(KAFKA_OK
		     "clickhouse: {url: 'http://x', insert_workers: 0}\n",
		     "t.yaml:2:47: clickhouse.insert_workers: expected a number "
		     "of threads between 1 and 64, got \"0\"");
	expect_error(KAFKA_OK "clickhouse: {url: 'http://x', port: 1}\n",
		     "t.yaml:2:31: clickhouse.port: unknown key (expected one "
		     "of: url, database, user, password, timeout, "
		     "connect_timeout, insert_workers, settings, tls, "
		     "compression)");
}

#define CH_URL KAFKA_OK "clickhouse:\n  url: http://x\n"
#define TOPIC_T "topics: [{topic: t, table: t}]\n"

static void test_clickhouse_settings_tls_compression(void **state)
{
	struct ck_config *c;
	(void)state;

	c = load_ok(CH_URL TOPIC_T);
	assert_int_equal(c->clickhouse.nsettings, 0);
	assert_null(c->clickhouse.tls.ca_file);
	assert_true(c->clickhouse.tls.verify);
	assert_null(c->clickhouse.tls.client_cert);
	assert_int_equal(c->clickhouse.compression, CK_COMPRESSION_NONE);
	ck_config_destroy(c);

	/* Any readable file stands in for a PEM file: only readability is
	 * checked at load time. */
	setenv("CK_TEST_CERT", __FILE__, 1);
	c = load_ok(CH_URL
		    "  compression: zstd\n"
		    "  settings:\n"
		    "    max_insert_block_size: 100000\n"
		    "    insert_quorum: '2'\n"
		    "  tls:\n"
		    "    ca_file: ${CK_TEST_CERT}\n"
		    "    verify: false\n"
		    "    client_cert: ${CK_TEST_CERT}\n"
		    "    client_key: ${CK_TEST_CERT}\n" TOPIC_T);
	assert_int_equal(c->clickhouse.compression, CK_COMPRESSION_ZSTD);
	assert_int_equal(c->clickhouse.nsettings, 2);
	assert_string_equal(c->clickhouse.settings[0].key,
			    "max_insert_block_size");
	assert_string_equal(c->clickhouse.settings[0].value, "100000");
	assert_string_equal(c->clickhouse.settings[1].key, "insert_quorum");
	assert_string_equal(c->clickhouse.settings[1].value, "2");
	assert_false(c->clickhouse.tls.verify);
	assert_non_null(c->clickhouse.tls.ca_file);
	assert_non_null(c->clickhouse.tls.client_cert);
	assert_non_null(c->clickhouse.tls.client_key);
	ck_config_destroy(c);

	c = load_ok(CH_URL "  compression: gzip\n  tls: {verify: true}\n"
		    TOPIC_T);
	assert_int_equal(c->clickhouse.compression, CK_COMPRESSION_GZIP);
	assert_true(c->clickhouse.tls.verify);
	ck_config_destroy(c);

	expect_error(CH_URL "  compression: brotli\n" TOPIC_T,
		     "t.yaml:4:16: clickhouse.compression: expected none, "
		     "gzip, zstd or lz4, got \"brotli\"");
	expect_error(CH_URL "  settings: [a]\n" TOPIC_T,
		     "t.yaml:4:13: clickhouse.settings: expected a mapping of "
		     "keys");
	expect_error(CH_URL "  settings: {'a&b': 1}\n" TOPIC_T,
		     "t.yaml:4:14: clickhouse.settings.a&b: expected a setting "
		     "name (letters, digits and _)");
	expect_error(CH_URL "  settings: {a: [1]}\n" TOPIC_T,
		     "t.yaml:4:17: clickhouse.settings.a: expected a scalar "
		     "value");
	expect_error(CH_URL "  tls: {verify: yes}\n" TOPIC_T,
		     "t.yaml:4:17: clickhouse.tls.verify: expected true or "
		     "false, got \"yes\"");
	expect_error(CH_URL "  tls: {cafile: x}\n" TOPIC_T,
		     "t.yaml:4:9: clickhouse.tls.cafile: unknown key (expected "
		     "one of: ca_file, verify, client_cert, client_key)");
	expect_error(CH_URL "  tls: {client_key: /nonexistent}\n" TOPIC_T,
		     "t.yaml:4:21: clickhouse.tls.client_key: needs "
		     "clickhouse.tls.client_cert");
	expect_error(CH_URL "  tls: {ca_file: /nonexistent/ca.pem}\n" TOPIC_T,
		     "t.yaml:4:18: clickhouse.tls.ca_file: cannot read "
		     "\"/nonexistent/ca.pem\": No such file or directory");
}

static void test_compression_names(void **state)
{
	enum ck_compression c;
	(void)state;

	for (int i = CK_COMPRESSION_NONE; i <= CK_COMPRESSION_LZ4; i++) {
		assert_true(ck_config_parse_compression(
			ck_config_compression_name((enum ck_compression)i), &c));
		assert_int_equal(c, i);
	}
	assert_false(ck_config_parse_compression("", &c));
	assert_false(ck_config_parse_compression("ZSTD", &c));
}

/* 100 characters: {topic} three times makes a 302-character name. */
#define LONG_TOPIC_100                                                        \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                    \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KAFKA_CH_OK KAFKA_OK "clickhouse: {url: 'http://x'}\n"

static void test_errors_batch_and_topics(void **state)
{
	(void)state;
	expect_error(KAFKA_CH_OK, "t.yaml: topics: required key is missing "
				  "(expected a list of {topic, table} "
				  "entries)");
	expect_error(KAFKA_CH_OK "topics: events\n",
		     "t.yaml:3:9: topics: expected a list of {topic, table} "
		     "entries");
	expect_error(KAFKA_CH_OK "topics: []\n",
		     "t.yaml:3:9: topics: expected at least one {topic, table} "
		     "entry");
	expect_error(KAFKA_CH_OK "topics: [{topic: t}]\n",
		     "t.yaml: topics[0].table: required key is missing "
		     "(expected a table name in clickhouse.database)");
	expect_error(KAFKA_CH_OK "topics: [{topic: '^pg\\..*', table: t}]\n",
		     "t.yaml:3:18: topics[0].topic: \"^pg\\..*\" is a pattern: "
		     "chute routes each topic to its table by exact name, so "
		     "list the topics one by one");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, format: avro}]\n",
		     "t.yaml:3:39: topics[0].format: expected json or "
		     "debezium, got \"avro\"");
	expect_error(KAFKA_CH_OK
		     "topics: [{topic: t, table: a}, {topic: t, table: b}]\n",
		     "t.yaml:3:32: topics[1]: topic \"t\" is already routed by "
		     "topics[0]");
	expect_error(KAFKA_CH_OK "topics: [t]\n",
		     "t.yaml:3:10: topics[0]: expected a mapping with topic and "
		     "table");
	expect_error(KAFKA_CH_OK "batch: {max_rows: 0}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:19: batch.max_rows: expected a row count between "
		     "1 and 100000000, got \"0\"");
	expect_error(KAFKA_CH_OK "batch: {max_bytes: 10XB}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: batch.max_bytes: expected a size such as "
		     "16MiB or 1000000, got \"10XB\"");
	expect_error(KAFKA_CH_OK "batch: {max_bytes: 2GiB}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: batch: max_bytes must be at most 1GiB");
	expect_error(KAFKA_CH_OK "batch: {max_wait: 100}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:19: batch.max_wait: expected a duration such as "
		     "500ms or 2s, got \"100\"");
	expect_error(KAFKA_CH_OK "batch: {scope: topic}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:16: batch.scope: expected table or partition, "
		     "got \"topic\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, batch: "
				 "{max_wait: x}}]\n",
		     "t.yaml:3:49: topics[0].batch.max_wait: expected a "
		     "duration such as 500ms or 2s, got \"x\"");
	expect_error(KAFKA_CH_OK "retry: {initial_backoff: 2s, max_backoff: "
				 "1s}\ntopics: [{topic: t, table: t}]\n",
		     "t.yaml:3:43: retry.max_backoff: must not be less than "
		     "retry.initial_backoff");
	expect_error(KAFKA_CH_OK "log_level: loud\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:12: log_level: expected debug, info, warn or "
		     "error, got \"loud\"");
	expect_error(KAFKA_CH_OK "delivery: exactly_once\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:11: delivery: expected at-least-once or "
		     "exactly-once, got \"exactly_once\"");
}

/* memory_budget: explicit, the default, and the default raised by a batch. */
static void test_memory_budget(void **state)
{
	struct ck_config *c;
	(void)state;

	c = load_ok(KAFKA_CH_OK "memory_budget: 32MiB\n"
				"topics: [{topic: t, table: t}]\n");
	assert_int_equal(c->memory_budget, 32u << 20);
	ck_config_destroy(c);
	/* Unset: twice the largest batch when that is over 64 MiB. */
	c = load_ok(KAFKA_CH_OK "topics: [{topic: t, table: t}, {topic: u, "
				"table: u, batch: {max_bytes: 100MiB}}]\n");
	assert_int_equal(c->memory_budget, 200u << 20);
	ck_config_destroy(c);
	expect_error(KAFKA_CH_OK "memory_budget: 8MiB\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:16: memory_budget: must be at least the largest "
		     "batch.max_bytes (16777216 bytes, topics[0]): such a "
		     "batch could never fill");
	expect_error(KAFKA_CH_OK "memory_budget: 0\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:16: memory_budget: expected a size such as "
		     "64MiB, got \"0\"");
}

static void test_route_columns(void **state)
{
	struct ck_config *c = load_ok(KAFKA_CH_OK
				      "topics:\n"
				      "  - topic: t\n"
				      "    table: t\n"
				      "    columns:\n"
				      "      created: {epoch_unit: ms}\n"
				      "      payload: {encoding: base64}\n"
				      "      day: {epoch_unit: days, encoding: raw}\n"
				      "      _offset: {meta: offset}\n"
				      "      _ts: {meta: timestamp}\n");
	(void)state;

	assert_int_equal(c->routes[0].ncolumns, 5);
	assert_int_equal(c->routes[0].columns[0].meta, CK_META_NONE);
	assert_int_equal(c->routes[0].columns[3].meta, CK_META_OFFSET);
	assert_int_equal(c->routes[0].columns[4].meta, CK_META_TIMESTAMP);
	assert_string_equal(c->routes[0].columns[0].name, "created");
	assert_int_equal(c->routes[0].columns[0].unit, CK_EPOCH_MILLIS);
	assert_false(c->routes[0].columns[0].bytes_base64);
	assert_string_equal(c->routes[0].columns[1].name, "payload");
	assert_int_equal(c->routes[0].columns[1].unit, CK_EPOCH_AUTO);
	assert_true(c->routes[0].columns[1].bytes_base64);
	assert_int_equal(c->routes[0].columns[2].unit, CK_EPOCH_DAYS);
	ck_config_destroy(c);

	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, columns: "
				 "{ts: {epoch_unit: minutes}}}]\n",
		     "t.yaml:3:58: topics[0].columns.ts.epoch_unit: expected "
		     "auto, days, s, ms, us or ns, got \"minutes\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, columns: "
				 "{b: {encoding: hex}}}]\n",
		     "t.yaml:3:55: topics[0].columns.b.encoding: expected "
		     "base64 or raw, got \"hex\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, columns: "
				 "{b: {unit: ms}}}]\n",
		     "t.yaml:3:45: topics[0].columns.b.unit: unknown key "
		     "(expected one of: epoch_unit, encoding, meta)");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, columns: "
				 "{o: {meta: lag}}}]\n",
		     "t.yaml:3:51: topics[0].columns.o.meta: expected topic, "
		     "partition, offset, timestamp, key, op, deleted, "
		     "source_ts, event_ts, version or ingest_time, got "
		     "\"lag\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, columns: "
				 "{b: ms}}]\n",
		     "t.yaml:3:44: topics[0].columns.b: expected a mapping "
		     "such as {epoch_unit: ms}");
}

static void test_file_errors(void **state)
{
	struct ck_config *config = NULL;
	struct ck_err err;
	(void)state;

	assert_int_equal(ck_config_load_file("/nonexistent/chute.yaml", &config,
					     &err),
			 CK_ERR_IO);
	assert_string_equal(err.msg, "cannot open config file "
				     "/nonexistent/chute.yaml: No such file or "
				     "directory");
	assert_int_equal(ck_config_load_string("", 0, "empty.yaml", &config,
					       &err),
			 CK_ERR_CONFIG);
	assert_string_equal(err.msg, "empty.yaml: (top level): expected a "
				     "mapping with kafka, clickhouse and "
				     "topics");
}

static void test_sizes_and_durations(void **state)
{
	uint64_t size;
	int64_t ms;
	(void)state;

	assert_true(ck_config_parse_size("100", &size));
	assert_int_equal(size, 100);
	assert_true(ck_config_parse_size("16MiB", &size));
	assert_int_equal(size, 16u << 20);
	assert_true(ck_config_parse_size("2 KB", &size));
	assert_int_equal(size, 2000);
	assert_true(ck_config_parse_size("1GiB", &size));
	assert_int_equal(size, 1u << 30);
	assert_false(ck_config_parse_size("", &size));
	assert_false(ck_config_parse_size("-1", &size));
	assert_false(ck_config_parse_size("1.5MiB", &size));
	assert_false(ck_config_parse_size("99999999999999999999", &size));
	assert_false(ck_config_parse_size("20000000000GiB", &size));

	assert_true(ck_config_parse_duration_ms("500ms", &ms));
	assert_int_equal(ms, 500);
	assert_true(ck_config_parse_duration_ms("1.5s", &ms));
	assert_int_equal(ms, 1500);
	assert_true(ck_config_parse_duration_ms("2m", &ms));
	assert_int_equal(ms, 120000);
	assert_true(ck_config_parse_duration_ms("1h", &ms));
	assert_int_equal(ms, 3600000);
	assert_true(ck_config_parse_duration_ms("0s", &ms));
	assert_int_equal(ms, 0);
	assert_false(ck_config_parse_duration_ms("5", &ms));
	assert_false(ck_config_parse_duration_ms("s", &ms));
	assert_false(ck_config_parse_duration_ms("5 days", &ms));
}

/* format: debezium, and the change-event metadata fields. */
static void test_debezium_format_and_meta(void **state)
{
	struct ck_config *c = load_ok(KAFKA_CH_OK
				      "topics:\n"
				      "  - topic: t\n"
				      "    table: t\n"
				      "    format: debezium\n"
				      "    columns:\n"
				      "      _op: {meta: op}\n"
				      "      _deleted: {meta: deleted}\n"
				      "      _source_ts: {meta: source_ts}\n"
				      "      _event_ts: {meta: event_ts, "
				      "epoch_unit: us}\n"
				      "  - topic: u\n"
				      "    table: u\n"
				      "    format: json\n");
	(void)state;

	assert_int_equal(c->routes[0].format, CK_FORMAT_DEBEZIUM);
	assert_int_equal(c->routes[1].format, CK_FORMAT_JSON);
	assert_int_equal(c->routes[0].ncolumns, 4);
	assert_int_equal(c->routes[0].columns[0].meta, CK_META_OP);
	assert_int_equal(c->routes[0].columns[1].meta, CK_META_DELETED);
	assert_int_equal(c->routes[0].columns[2].meta, CK_META_SOURCE_TS);
	assert_int_equal(c->routes[0].columns[3].meta, CK_META_EVENT_TS);
	assert_int_equal(c->routes[0].columns[3].unit, CK_EPOCH_MICROS);
	ck_config_destroy(c);

	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, format: "
				 "Debezium}]\n",
		     "t.yaml:3:39: topics[0].format: expected json or "
		     "debezium, got \"Debezium\"");
}

/* topics[].mode and truncate: defaults by format, and refusals. */
static void test_modes(void **state)
{
	struct ck_config *c = load_ok(
		KAFKA_CH_OK
		"topics:\n"
		"  - {topic: a, table: a, format: debezium}\n"
		"  - {topic: b, table: b, format: debezium, mode: append, "
		"truncate: truncate, evolve: true}\n"
		"  - {topic: c, table: c}\n"
		"  - {topic: d, table: d, columns: {v: {meta: version}, "
		"t: {meta: ingest_time}}}\n");
	(void)state;

	assert_int_equal(c->routes[0].mode, CK_MODE_UPSERT);
	assert_int_equal(c->routes[0].truncate, CK_TRUNCATE_IGNORE);
	assert_int_equal(c->routes[1].mode, CK_MODE_APPEND);
	assert_int_equal(c->routes[1].truncate, CK_TRUNCATE_TABLE);
	assert_false(c->routes[0].evolve);
	assert_true(c->routes[1].evolve);
	assert_int_equal(c->routes[2].mode, CK_MODE_APPEND);
	assert_int_equal(c->routes[3].columns[0].meta, CK_META_VERSION);
	assert_int_equal(c->routes[3].columns[1].meta, CK_META_INGEST_TIME);
	ck_config_destroy(c);

	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, mode: "
				 "upsert}]\n",
		     "t.yaml:3:37: topics[0].mode: upsert needs format: "
		     "debezium (plain JSON rows carry no delete flag or "
		     "change order)");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, format: "
				 "debezium, mode: merge}]\n",
		     "t.yaml:3:55: topics[0].mode: expected append or "
		     "upsert, got \"merge\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, format: "
				 "debezium, truncate: drop}]\n",
		     "t.yaml:3:59: topics[0].truncate: expected ignore or "
		     "truncate, got \"drop\"");
}


static void test_dlq(void **state)
{
	struct ck_config *c = load_ok(
		KAFKA_CH_OK
		"dlq:\n"
		"  topic: \"{topic}.dlq\"\n"
		"  properties: {linger.ms: 5, security.protocol: plaintext}\n"
		"  max_bad_ratio: 0.25\n"
		"  window: 200\n"
		"  max_bad_run: 0\n"
		"topics:\n"
		"  - {topic: a, table: a}\n"
		"  - {topic: b, table: b, dlq_topic: b-bad}\n"
		"  - {topic: c, table: c, dlq_topic: false}\n"
		"  - {topic: d, table: d, dlq_topic: \"dead.{topic}.{topic}\"}\n"
		"  - {topic: e, table: e, dlq_topic: \"false\"}\n"
		"  - {topic: f, table: f, dlq_topic: ~}\n");
	(void)state;

	assert_string_equal(c->dlq.topic, "{topic}.dlq");
	assert_int_equal(c->dlq.nproperties, 2);
	assert_string_equal(c->dlq.properties[0].key, "linger.ms");
	assert_string_equal(c->dlq.properties[0].value, "5");
	assert_true(c->dlq.max_bad_ratio == 0.25);
	assert_int_equal(c->dlq.window, 200);
	assert_int_equal(c->dlq.max_bad_run, 0);
	assert_string_equal(c->routes[0].dlq_topic, "a.dlq");
	assert_string_equal(c->routes[1].dlq_topic, "b-bad");
	assert_null(c->routes[2].dlq_topic);
	assert_string_equal(c->routes[3].dlq_topic, "dead.d.d");
	/* Only a plain false turns the DLQ off; quoted, it is a name. */
	assert_string_equal(c->routes[4].dlq_topic, "false");
	/* null means "not set": the route inherits dlq.topic. */
	assert_string_equal(c->routes[5].dlq_topic, "f.dlq");
	ck_config_destroy(c);

	/* A route can have a DLQ without a default; ratio 1 is allowed. */
	c = load_ok(KAFKA_CH_OK "dlq: {max_bad_ratio: 1}\n"
				"topics:\n"
				"  - {topic: a, table: a, dlq_topic: x}\n"
				"  - {topic: b, table: b}\n");
	assert_string_equal(c->routes[0].dlq_topic, "x");
	assert_null(c->routes[1].dlq_topic);
	assert_true(c->dlq.max_bad_ratio == 1.0);
	ck_config_destroy(c);
}

static void test_errors_dlq(void **state)
{
	(void)state;
	expect_error(KAFKA_CH_OK "dlq: {topic: x, size: 1}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:17: dlq.size: unknown key (expected one of: "
		     "topic, properties, max_bad_ratio, window, max_bad_run)");
	expect_error(KAFKA_CH_OK "dlq: x.dlq\ntopics: [{topic: t, table: t}]\n",
		     "t.yaml:3:6: dlq: expected a mapping of keys");
	expect_error(KAFKA_CH_OK "dlq: {topic: \"bad topic\"}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:14: dlq.topic: expected a topic name such as "
		     "\"{topic}.dlq\" ({topic} is the source topic; letters, "
		     "digits, '.', '_' and '-'), got \"bad topic\"");
	expect_error(KAFKA_CH_OK "dlq: {topic: \"{source}.dlq\"}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:14: dlq.topic: expected a topic name such as "
		     "\"{topic}.dlq\" ({topic} is the source topic; letters, "
		     "digits, '.', '_' and '-'), got \"{source}.dlq\"");
	expect_error(KAFKA_CH_OK "dlq: {topic: \"\"}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:14: dlq.topic: expected a topic name such as "
		     "\"{topic}.dlq\" ({topic} is the source topic; letters, "
		     "digits, '.', '_' and '-'), got \"\"");
	expect_error(KAFKA_CH_OK "dlq: {topic: [a]}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:14: dlq.topic: expected a topic name such as "
		     "\"{topic}.dlq\" ({topic} is the source topic; letters, "
		     "digits, '.', '_' and '-'), got a list");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, dlq_topic: "
				 "\"a b\"}]\n",
		     "t.yaml:3:42: topics[0].dlq_topic: expected a topic name "
		     "such as \"{topic}.dlq\" ({topic} is the source topic; "
		     "letters, digits, '.', '_' and '-'), or false for no DLQ, "
		     "got \"a b\"");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, dlq_topic: "
				 "{a: 1}}]\n",
		     "t.yaml:3:42: topics[0].dlq_topic: expected a topic name "
		     "such as \"{topic}.dlq\" ({topic} is the source topic; "
		     "letters, digits, '.', '_' and '-'), or false for no DLQ, "
		     "got a mapping");
	expect_error(KAFKA_CH_OK "topics: [{topic: t, table: t, dlq_topic: "
				 "t}]\n",
		     "t.yaml:3:10: topics[0]: its DLQ topic \"t\" is routed by "
		     "topics[0]: chute would read its own dead letters");
	expect_error(KAFKA_CH_OK "dlq: {topic: \"{topic}x\"}\n"
				 "topics: [{topic: a, table: a}, "
				 "{topic: ax, table: b, dlq_topic: false}]\n",
		     "t.yaml:4:10: topics[0]: its DLQ topic \"ax\" is routed by "
		     "topics[1]: chute would read its own dead letters");
	expect_error(KAFKA_CH_OK "dlq: {topic: \"{topic}.{topic}.{topic}\"}\n"
		     "topics: [{topic: " LONG_TOPIC_100 ", table: t}]\n",
		     "t.yaml:3:14: dlq.topic: the DLQ topic of topic \""
		     LONG_TOPIC_100 "\" would be longer than 249 characters");
	expect_error(KAFKA_CH_OK "dlq: {properties: {acks: 1}}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.properties.acks: chute sets this "
		     "property itself (every DLQ record waits for all in-sync "
		     "replicas)");
	expect_error(KAFKA_CH_OK "dlq: {properties: {enable.idempotence: "
				 "false}}\ntopics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.properties.enable.idempotence: chute "
		     "sets this property itself (the DLQ producer is always "
		     "idempotent)");
	expect_error(KAFKA_CH_OK "dlq: {properties: {bootstrap.servers: "
				 "y}}\ntopics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.properties.bootstrap.servers: chute "
		     "sets this property itself (use kafka.bootstrap_servers)");
	expect_error(KAFKA_CH_OK "dlq: {properties: {linger.ms: soon}}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.properties.linger.ms: librdkafka "
		     "rejects it: Invalid value for configuration property "
		     "\"queue.buffering.max.ms\"");
	expect_error(KAFKA_CH_OK "dlq: {properties: {no.such: 1}}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.properties.no.such: librdkafka rejects "
		     "it: No such configuration property: \"no.such\"");
	expect_error(KAFKA_CH_OK "dlq: {properties: {linger.ms: [1]}}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:31: dlq.properties.linger.ms: expected a scalar "
		     "value");
	for (size_t i = 0; i < 6; i++) {
		static const char *const bad[] = {"0", "1.5", "-0.1", "1e-1",
						  "nan", "half"};
		char yaml[256], msg[256];

		snprintf(yaml, sizeof(yaml),
			 KAFKA_CH_OK "dlq: {max_bad_ratio: %s}\n"
				     "topics: [{topic: t, table: t}]\n",
			 bad[i]);
		snprintf(msg, sizeof(msg),
			 "t.yaml:3:22: dlq.max_bad_ratio: expected a fraction "
			 "greater than 0 and at most 1, such as 0.5, got "
			 "\"%s\"",
			 bad[i]);
		expect_error(yaml, msg);
	}
	expect_error(KAFKA_CH_OK "dlq: {window: 0}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:15: dlq.window: expected a record count "
		     "between 1 and 100000000, got \"0\"");
	expect_error(KAFKA_CH_OK "dlq: {max_bad_run: -1}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.max_bad_run: expected a record count "
		     "between 0 (off) and 100000000, got \"-1\"");
	expect_error(KAFKA_CH_OK "dlq: {max_bad_run: 100000001}\n"
				 "topics: [{topic: t, table: t}]\n",
		     "t.yaml:3:20: dlq.max_bad_run: expected a record count "
		     "between 0 (off) and 100000000, got \"100000001\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debezium_format_and_meta),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_env_expansion),
		cmocka_unit_test(test_errors_structure),
		cmocka_unit_test(test_errors_kafka),
		cmocka_unit_test(test_errors_env),
		cmocka_unit_test(test_errors_clickhouse),
		cmocka_unit_test(test_clickhouse_settings_tls_compression),
		cmocka_unit_test(test_compression_names),
		cmocka_unit_test(test_errors_batch_and_topics),
		cmocka_unit_test(test_route_columns),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_sizes_and_durations),
		cmocka_unit_test(test_dlq),
		cmocka_unit_test(test_errors_dlq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
