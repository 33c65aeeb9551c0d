/*
 * test_dlq.c — the DLQ record layout (dlq/record.h): building the chute.*
 * headers, reading them back from untrusted bytes, filters, replay
 * headers; and the producer's bookkeeping without a broker (dlq/dlq.h).
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
#include "dlq/dlq.h"
#include "dlq/record.h"

/* Header i of hdrs as "name=value" ("name" alone for a null value). */
static const char *header_at(const rd_kafka_headers_t *hdrs, size_t i)
{
	static char text[512];
	const char *name;
	const void *value;
	size_t size;

	assert_int_equal(rd_kafka_header_get_all(hdrs, i, &name, &value, &size),
			 RD_KAFKA_RESP_ERR_NO_ERROR);
	if (value)
		snprintf(text, sizeof(text), "%s=%.*s", name, (int)size,
			 (const char *)value);
	else
		snprintf(text, sizeof(text), "%s", name);
	return text;
}

static void add(rd_kafka_headers_t *hdrs, const char *name, const char *value)
{
	assert_int_equal(rd_kafka_header_add(hdrs, name, -1, value, -1),
			 RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void test_headers_build(void **state)
{
	rd_kafka_headers_t *orig = rd_kafka_headers_new(4);
	rd_kafka_headers_t *hdrs = NULL;
	struct ck_dlq_source src = {"events", 3, 1234567, 1700000000123,
				    orig};
	struct ck_dlq_reason reason = {"convert", "bad_data",
				       "column 'v': out of range", 0};
	struct ck_err err;
	(void)state;

	add(orig, "trace", "abc");
	assert_int_equal(rd_kafka_header_add(orig, "nullish", -1, NULL, 0),
			 RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(ck_dlq_headers_build(&src, &reason, &hdrs, &err),
			 CK_OK);
	assert_int_equal(rd_kafka_header_cnt(hdrs), 9);
	/* The original headers first, unchanged, then chute's. */
	assert_string_equal(header_at(hdrs, 0), "trace=abc");
	assert_string_equal(header_at(hdrs, 1), "nullish");
	assert_string_equal(header_at(hdrs, 2), "chute.source.topic=events");
	assert_string_equal(header_at(hdrs, 3), "chute.source.partition=3");
	assert_string_equal(header_at(hdrs, 4), "chute.source.offset=1234567");
	assert_string_equal(header_at(hdrs, 5),
			    "chute.source.timestamp=1700000000123");
	assert_string_equal(header_at(hdrs, 6), "chute.stage=convert");
	assert_string_equal(header_at(hdrs, 7), "chute.error.class=bad_data");
	assert_string_equal(header_at(hdrs, 8),
			    "chute.error.message=column 'v': out of range");
	rd_kafka_headers_destroy(hdrs);

	/* No original headers, no timestamp, a ClickHouse code. */
	src.headers = NULL;
	src.timestamp_ms = -1;
	reason.stage = "insert";
	reason.clickhouse_code = 27;
	assert_int_equal(ck_dlq_headers_build(&src, &reason, &hdrs, &err),
			 CK_OK);
	assert_int_equal(rd_kafka_header_cnt(hdrs), 7);
	assert_string_equal(header_at(hdrs, 3), "chute.stage=insert");
	assert_string_equal(header_at(hdrs, 6), "chute.clickhouse.code=27");
	rd_kafka_headers_destroy(hdrs);
	rd_kafka_headers_destroy(orig);
}

static void test_meta_round_trip(void **state)
{
	rd_kafka_headers_t *hdrs = NULL;
	struct ck_dlq_source src = {"a.b-c_d", 2147483647, 9223372036854775807,
				    -1, NULL};
	struct ck_dlq_reason reason = {"insert", "bad_data", "x", 70};
	struct ck_dlq_meta meta;
	struct ck_err err;
	(void)state;

	assert_int_equal(ck_dlq_headers_build(&src, &reason, &hdrs, &err),
			 CK_OK);
	assert_int_equal(ck_dlq_meta_parse(hdrs, &meta, &err), CK_OK);
	assert_string_equal(meta.topic, "a.b-c_d");
	assert_int_equal(meta.partition, 2147483647);
	assert_true(meta.offset == INT64_MAX);
	assert_true(meta.timestamp_ms == -1);
	assert_int_equal(meta.stage_len, 6);
	assert_memory_equal(meta.stage, "insert", 6);
	assert_int_equal(meta.error_class_len, 8);
	assert_int_equal(meta.clickhouse_code, 70);
	rd_kafka_headers_destroy(hdrs);
}

/*
 * Parses headers built from name/value pairs; returns the code. meta
 * borrows from the headers, so they live until the next call.
 */
static rd_kafka_headers_t *parsed;

static void parse_done(void)
{
	if (parsed)
		rd_kafka_headers_destroy(parsed);
	parsed = NULL;
}

static int parse(struct ck_dlq_meta *meta, struct ck_err *err, ...)
{
	rd_kafka_headers_t *hdrs;
	const char *name;
	va_list ap;

	parse_done();
	hdrs = parsed = rd_kafka_headers_new(8);
	va_start(ap, err);
	while ((name = va_arg(ap, const char *)))
		add(hdrs, name, va_arg(ap, const char *));
	va_end(ap);
	return ck_dlq_meta_parse(hdrs, meta, err);
}

static void expect_parse_error(const char *msg, const char *topic,
			       const char *partition, const char *offset,
			       const char *extra_name, const char *extra_value)
{
	struct ck_dlq_meta meta;
	struct ck_err err;

	assert_int_equal(parse(&meta, &err, "chute.source.topic", topic,
			       "chute.source.partition", partition,
			       "chute.source.offset", offset, extra_name,
			       extra_value, NULL),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg, msg);
}

static void test_meta_errors(void **state)
{
	struct ck_dlq_meta meta;
	struct ck_err err;
	(void)state;

	assert_int_equal(ck_dlq_meta_parse(NULL, &meta, &err), CK_ERR_PARSE);
	assert_string_equal(err.msg, "header chute.source.topic is missing");
	assert_int_equal(parse(&meta, &err, "chute.source.topic", "t", NULL),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg,
			    "header chute.source.partition is missing");
	assert_int_equal(parse(&meta, &err, "chute.source.topic", "t",
			       "chute.source.partition", "0", NULL),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg, "header chute.source.offset is missing");
	expect_parse_error("header chute.source.topic: expected a topic name, "
			   "got \"a b\"",
			   "a b", "0", "0", NULL, NULL);
	expect_parse_error("header chute.source.topic: expected a topic name, "
			   "got \"..\"",
			   "..", "0", "0", NULL, NULL);
	expect_parse_error("header chute.source.topic: expected a topic name, "
			   "got \"\"",
			   "", "0", "0", NULL, NULL);
	expect_parse_error("header chute.source.partition: expected a decimal "
			   "number up to 2147483647, got \"2147483648\"",
			   "t", "2147483648", "0", NULL, NULL);
	expect_parse_error("header chute.source.partition: expected a decimal "
			   "number up to 2147483647, got \"-1\"",
			   "t", "-1", "0", NULL, NULL);
	expect_parse_error("header chute.source.offset: expected a decimal "
			   "number up to 9223372036854775807, got "
			   "\"9223372036854775808\"",
			   "t", "1", "9223372036854775808", NULL, NULL);
	expect_parse_error("header chute.source.offset: expected a decimal "
			   "number up to 9223372036854775807, got \"\"",
			   "t", "1", "", NULL, NULL);
	expect_parse_error("header chute.source.offset: expected a decimal "
			   "number up to 9223372036854775807, got \"1 \"",
			   "t", "1", "1 ", NULL, NULL);
	expect_parse_error("header chute.source.timestamp: expected a decimal "
			   "number up to 9223372036854775807, got \"soon\"",
			   "t", "1", "2", "chute.source.timestamp", "soon");
	expect_parse_error("header chute.clickhouse.code: expected a decimal "
			   "number up to 2147483647, got \"+5\"",
			   "t", "1", "2", "chute.clickhouse.code", "+5");
	/* The last header of a name counts. */
	assert_int_equal(parse(&meta, &err, "chute.source.topic", "old",
			       "chute.source.partition", "x",
			       "chute.source.topic", "new",
			       "chute.source.partition", "4",
			       "chute.source.offset", "17", NULL),
			 CK_OK);
	assert_string_equal(meta.topic, "new");
	assert_int_equal(meta.partition, 4);
	assert_int_equal(meta.offset, 17);
	assert_null(meta.stage);
	assert_null(meta.error_class);
	parse_done();
}

static void test_filter(void **state)
{
	struct ck_dlq_meta meta;
	struct ck_dlq_filter f;
	struct ck_err err;
	(void)state;

	assert_int_equal(parse(&meta, &err, "chute.source.topic", "events",
			       "chute.source.partition", "2",
			       "chute.source.offset", "100", "chute.stage",
			       "convert", "chute.error.class", "bad_data",
			       NULL),
			 CK_OK);
	ck_dlq_filter_init(&f);
	assert_true(ck_dlq_filter_match(&f, &meta));
	f.source_topic = "events";
	f.partition = 2;
	f.from_offset = 100;
	f.to_offset = 100;
	f.stage = "convert";
	f.error_class = "bad_data";
	assert_true(ck_dlq_filter_match(&f, &meta));
	f.source_topic = "event";
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.source_topic = NULL;
	f.partition = 0;
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.partition = -1;
	f.from_offset = 101;
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.from_offset = -1;
	f.to_offset = 99;
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.to_offset = -1;
	f.stage = "conver"; /* a prefix is not a match */
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.stage = "converts";
	assert_false(ck_dlq_filter_match(&f, &meta));
	f.stage = NULL;
	f.error_class = "configuration";
	assert_false(ck_dlq_filter_match(&f, &meta));
	/* A record without a stage never matches a stage filter. */
	meta.stage = NULL;
	meta.stage_len = 0;
	ck_dlq_filter_init(&f);
	f.stage = "";
	assert_false(ck_dlq_filter_match(&f, &meta));
	parse_done();
}

static void test_headers_for_replay(void **state)
{
	rd_kafka_headers_t *in = rd_kafka_headers_new(8), *out = NULL;
	struct ck_err err;
	(void)state;

	add(in, "a", "1");
	add(in, "chute.source.topic", "t");
	add(in, "chute.replayed.offset", "3"); /* from an earlier replay */
	add(in, "chutes", "kept");
	assert_int_equal(rd_kafka_header_add(in, "nul", -1, NULL, 0),
			 RD_KAFKA_RESP_ERR_NO_ERROR);
	add(in, "a", "2");
	add(in, "chute.stage", "decode");
	assert_int_equal(ck_dlq_headers_for_replay(in, 42, &out, &err), CK_OK);
	assert_int_equal(rd_kafka_header_cnt(out), 5);
	assert_string_equal(header_at(out, 0), "a=1");
	assert_string_equal(header_at(out, 1), "chutes=kept");
	assert_string_equal(header_at(out, 2), "nul");
	assert_string_equal(header_at(out, 3), "a=2");
	assert_string_equal(header_at(out, 4), "chute.replayed.offset=42");
	rd_kafka_headers_destroy(out);
	assert_int_equal(ck_dlq_headers_for_replay(NULL, 0, &out, &err), CK_OK);
	assert_int_equal(rd_kafka_header_cnt(out), 1);
	assert_string_equal(header_at(out, 0), "chute.replayed.offset=0");
	rd_kafka_headers_destroy(out);
	rd_kafka_headers_destroy(in);
}

static void test_connection_properties(void **state)
{
	(void)state;
	assert_true(ck_dlq_connection_property("security.protocol"));
	assert_true(ck_dlq_connection_property("sasl.mechanisms"));
	assert_true(ck_dlq_connection_property("ssl.ca.location"));
	assert_true(ck_dlq_connection_property("client.id"));
	assert_true(ck_dlq_connection_property("socket.timeout.ms"));
	assert_false(ck_dlq_connection_property("session.timeout.ms"));
	assert_false(ck_dlq_connection_property("fetch.max.bytes"));
	assert_false(ck_dlq_connection_property("group.instance.id"));
	assert_false(ck_dlq_connection_property("client.idx"));
}

static struct ck_config *config_with(const char *extra)
{
	char yaml[1024];
	struct ck_config *config = NULL;
	struct ck_err err;

	/* Port 1: nothing listens, so nothing is ever acknowledged. */
	snprintf(yaml, sizeof(yaml),
		 "kafka: {bootstrap_servers: '127.0.0.1:1', group_id: g, "
		 "auto_offset_reset: earliest, properties: "
		 "{session.timeout.ms: 6000, client.id: unit}}\n"
		 "clickhouse: {url: 'http://x'}\n"
		 "topics: [{topic: t, table: t}]\n%s",
		 extra);
	if (ck_config_load_string(yaml, strlen(yaml), "t.yaml", &config,
				  &err))
		fail_msg("config: %s", err.msg);
	return config;
}

static void test_producer_without_broker(void **state)
{
	struct ck_config *config = config_with("");
	struct ck_dlq *dlq = NULL;
	struct ck_dlq_ticket a = {0, 0}, b = {0, 0};
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(1);
	struct ck_dlq_out out = {"t.dlq", 5, "k", 1, "v", 1, 0, hdrs};
	struct ck_err err;
	(void)state;

	add(hdrs, "h", "1");
	/* A consumer property in kafka.properties does not stop it. */
	assert_int_equal(ck_dlq_new(config, &dlq, &err), CK_OK);
	assert_int_equal(ck_dlq_produce(dlq, &out, &a, &err), CK_OK);
	out.key = NULL;
	out.value = NULL;
	assert_int_equal(ck_dlq_produce(dlq, &out, &b, &err), CK_OK);
	assert_int_equal(ck_dlq_produce(dlq, &out, &b, &err), CK_OK);
	out.partition = -1;
	assert_int_equal(ck_dlq_produce(dlq, &out, &b, &err), CK_ERR_KAFKA);
	assert_int_equal(a.pending, 1);
	assert_int_equal(a.sent, 1);
	assert_int_equal(b.pending, 2);
	assert_int_equal(b.sent, 2);
	assert_int_equal(ck_dlq_pending(dlq), 3);
	/* Nothing can be acknowledged: flush times out, nothing is lost. */
	assert_int_equal(ck_dlq_flush(dlq, 50), CK_ERR_KAFKA);
	assert_int_equal(ck_dlq_pending(dlq), 3);
	assert_int_equal(a.pending + b.pending, 3);
	ck_dlq_destroy(dlq);
	ck_dlq_destroy(NULL);
	rd_kafka_headers_destroy(hdrs);
	ck_config_destroy(config);

	/* librdkafka refuses the combination at creation: a config error. */
	config = config_with("dlq: {properties: {max.in.flight: 6}}\n");
	assert_int_equal(ck_dlq_new(config, &dlq, &err), CK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "dlq: cannot create the producer: "));
	ck_config_destroy(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_build),
		cmocka_unit_test(test_meta_round_trip),
		cmocka_unit_test(test_meta_errors),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_headers_for_replay),
		cmocka_unit_test(test_connection_properties),
		cmocka_unit_test(test_producer_without_broker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
