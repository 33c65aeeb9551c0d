/*
 * test_row.c — unit tests for the row encoder (src/map/row.c): whole
 * messages → exact RowBinary and RowBinaryWithDefaults bytes, field
 * matching (unknown, missing, duplicate, escaped names), the counters, and
 * the rollback on every kind of error.
 *
 * Messages are copied into exact-size heap buffers, so under ASan reading
 * past a message fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/row.h"
#include "map/schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct ck_column_desc cols[] = {
	{ "id", "UInt64", "", "" },
	{ "name", "String", "", "" },
	{ "price", "Nullable(Float64)", "", "" },
	{ "tags", "Array(String)", "", "" },
	{ "ts", "DateTime", "", "" },
	{ "total", "Float64", "MATERIALIZED", "price * 2" },
};

struct fixture {
	struct ck_schema *schema;
	struct ck_row_encoder *enc;
};

static struct fixture make(const struct ck_column_desc *c, size_t n,
			   bool with_defaults)
{
	struct ck_schema_opts opts = { .with_defaults = with_defaults };
	struct fixture f;
	struct ck_err err;

	if (ck_schema_new(c, n, &opts, &f.schema, &err))
		fail_msg("schema: %s", err.msg);
	f.enc = ck_row_encoder_new(f.schema);
	assert_non_null(f.enc);
	return f;
}

static void drop(struct fixture *f)
{
	ck_row_encoder_destroy(f->enc);
	ck_schema_destroy(f->schema);
}

static int encode(struct fixture *f, const char *msg, size_t len,
		  struct ck_buf *out, struct ck_row_stats *stats,
		  struct ck_err *err)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, msg, len);
	ck_err_clear(err);
	/* An empty Kafka payload arrives as (NULL, 0). */
	rc = ck_row_encode_json(f->enc, msg ? copy : NULL, len, out, stats,
				err);
	free(copy);
	return rc;
}

static void expect_row(struct fixture *f, const char *msg,
		       const uint8_t *want, size_t want_len, uint64_t unknown,
		       uint64_t missing, uint64_t nulls)
{
	struct ck_row_stats stats = { 1, 2, 3 };
	struct ck_buf out;
	struct ck_err err;

	ck_buf_init(&out, 1 << 16);
	assert_int_equal(ck_buf_append(&out, "hdr", 3, NULL), CK_OK);
	if (encode(f, msg, strlen(msg), &out, &stats, &err))
		fail_msg("%s: %s", msg, err.msg);
	assert_memory_equal(out.data, "hdr", 3);
	if (out.len - 3 != want_len || memcmp(out.data + 3, want, want_len)) {
		fprintf(stderr, "got ");
		for (size_t i = 3; i < out.len; i++)
			fprintf(stderr, "%02x ", out.data[i]);
		fprintf(stderr, "\n");
		fail_msg("%s: wrong bytes", msg);
	}
	assert_int_equal(stats.unknown_fields, 1 + unknown);
	assert_int_equal(stats.missing_fields, 2 + missing);
	assert_int_equal(stats.null_defaults, 3 + nulls);
	ck_buf_free(&out);
}

#define ROW(f, msg, unknown, missing, nulls, ...)                             \
	do {                                                                  \
		static const uint8_t want_[] = { __VA_ARGS__ };              \
		expect_row(f, msg, want_, sizeof(want_), unknown, missing,    \
			   nulls);                                            \
	} while (0)

static void expect_err(struct fixture *f, const char *msg, size_t len,
		       int code, const char *text)
{
	struct ck_row_stats stats = { 1, 2, 3 };
	struct ck_buf out;
	struct ck_err err;
	int rc;

	ck_buf_init(&out, 1 << 16);
	assert_int_equal(ck_buf_append(&out, "hdr", 3, NULL), CK_OK);
	rc = encode(f, msg, len, &out, &stats, &err);
	if (rc != code)
		fail_msg("%.*s: rc %d (%s), want %d", (int)len, msg, rc,
			 err.msg, code);
	assert_int_equal(err.code, code);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "hdr", 3);
	assert_int_equal(stats.unknown_fields, 1);
	assert_int_equal(stats.missing_fields, 2);
	assert_int_equal(stats.null_defaults, 3);
	if (text)
		assert_string_equal(err.msg, text);
	ck_buf_free(&out);
}

#define ERR(f, msg, code, text) expect_err(f, msg, strlen(msg), code, text)

/* id=7 name="ab" price=1.5 tags=["x","yz"] ts=10, RowBinary. */
#define FULL_PLAIN                                                             \
	0x07, 0, 0, 0, 0, 0, 0, 0, 0x02, 'a', 'b', 0x00, 0, 0, 0, 0, 0, 0,    \
	0xf8, 0x3f, 0x02, 0x01, 'x', 0x02, 'y', 'z', 0x0a, 0, 0, 0

static void test_full_row(void **state)
{
	struct fixture f = make(cols, N(cols), false);

	(void)state;
	ROW(&f, "{\"id\": 7, \"name\": \"ab\", \"price\": 1.5, "
		"\"tags\": [\"x\", \"yz\"], \"ts\": \"1970-01-01T00:00:10Z\"}",
	    0, 0, 0, FULL_PLAIN);
	/* Any member order gives the same row. */
	ROW(&f, "{\"ts\": 10, \"tags\": [\"x\",\"yz\"], \"price\": 1.5, "
		"\"name\": \"ab\", \"id\": \"7\"}",
	    0, 0, 0, FULL_PLAIN);
	ROW(&f, " \n{\"name\":\"ab\",\"id\":7,\"ts\":10,\"price\":\"1.5\","
		"\"tags\":[\"x\",\"yz\"]}\r\n ",
	    0, 0, 0, FULL_PLAIN);
	drop(&f);
}

static void test_full_row_with_defaults(void **state)
{
	struct fixture f = make(cols, N(cols), true);

	(void)state;
	ROW(&f, "{\"id\": 7, \"name\": \"ab\", \"price\": 1.5, "
		"\"tags\": [\"x\", \"yz\"], \"ts\": 10}",
	    0, 0, 0, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 'a', 'b',
	    0x00, 0x00, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x00, 0x02, 0x01, 'x',
	    0x02, 'y', 'z', 0x00, 0x0a, 0, 0, 0);
	drop(&f);
}

/*
 * Regression: with RowBinaryWithDefaults every missing field was sent as
 * "default", and 26.9 stored 0 into a plain Enum8('lo' = -128, ...) column,
 * a value no read of the table accepts ("Unexpected value 0 in enum").
 */
static void test_only_default_expressions_are_left_to_the_server(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "e", "Enum8('lo' = -128, 'hi' = 127)", "", "" },
		{ "v", "UInt32", "DEFAULT", "42" },
	};
	struct fixture f = make(c, N(c), true);

	(void)state;
	ROW(&f, "{}", 0, 2, 0, 0x00, 0x80, 0x01);
	ROW(&f, "{\"e\": null, \"v\": null}", 0, 0, 2, 0x00, 0x80, 0x01);
	ROW(&f, "{\"e\": \"hi\", \"v\": 7}", 0, 0, 0, 0x00, 0x7f, 0x00, 7, 0, 0,
	    0);
	drop(&f);
}

static void test_unknown_missing_null(void **state)
{
	struct fixture plain = make(cols, N(cols), false);
	struct fixture wd = make(cols, N(cols), true);

	(void)state;
	/* Empty object: every column missing. */
	ROW(&plain, "{}", 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0,
	    0, 0, 0);
	/* Only a DEFAULT expression is the server's to fill: plain columns
	 * get chute's type default behind a "value follows" flag. */
	ROW(&wd, "{}", 0, 5, 0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00,
	    0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0);

	/* Unknown members, including a MATERIALIZED column's name. */
	ROW(&plain, "{\"id\":1,\"x\":{\"id\":2},\"total\":3,\"Name\":\"a\"}", 3,
	    4, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0, 0, 0, 0);

	/* null: a default for non-Nullable columns, NULL for Nullable ones. */
	ROW(&plain, "{\"id\":null,\"name\":null,\"price\":null,\"tags\":null,"
		    "\"ts\":null}",
	    0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0, 0, 0, 0);
	ROW(&wd, "{\"id\":null,\"name\":null,\"price\":null,\"tags\":null,"
		 "\"ts\":null}",
	    0, 0, 4, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x00, 0x00, 0, 0, 0, 0);

	/* Nulls inside arrays are counted too. */
	ROW(&plain, "{\"id\":1,\"name\":\"\",\"price\":2,\"tags\":[null,\"a\","
		    "null],\"ts\":0}",
	    0, 0, 2, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
	    0, 0x40, 0x03, 0x00, 0x01, 'a', 0x00, 0, 0, 0, 0);
	drop(&plain);
	drop(&wd);
}

static void test_duplicates_last_wins(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "a", "UInt8", "", "" },
		{ "b", "String", "", "" },
	};
	struct fixture f = make(c, N(c), false);

	(void)state;
	ROW(&f, "{\"a\":1,\"b\":\"x\",\"a\":2}", 0, 0, 0, 0x02, 0x01, 'x');
	/* The overwritten value is never converted. */
	ROW(&f, "{\"a\":{},\"a\":[300],\"b\":\"x\",\"a\":3}", 0, 0, 0, 0x03,
	    0x01, 'x');
	ROW(&f, "{\"a\":1,\"a\":null,\"b\":\"\"}", 0, 0, 1, 0x00, 0x00);
	drop(&f);
}

static void test_escaped_keys(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "id", "UInt8", "", "" },
		{ "n\xc3\xa9", "String", "", "" },
		{ "a\"b", "UInt8", "", "" },
	};
	struct fixture f = make(c, N(c), false);
	char msg[1024];
	size_t n;

	(void)state;
	ROW(&f, "{\"\\u0069d\":5,\"n\\u00e9\":\"x\",\"a\\\"b\":1}", 0, 0, 0,
	    0x05, 0x01, 'x', 0x01);
	ROW(&f, "{\"i\\u0064\":5,\"n\xc3\xa9\":\"\",\"\\u0061\\u0022b\":2}", 0,
	    0, 0, 0x05, 0x00, 0x02);
	/* Escaped names that match nothing: unknown. */
	ROW(&f, "{\"\\u0069dx\":5,\"\\ud800\":1,\"\\n\":2}", 3, 3, 0, 0x00,
	    0x00, 0x00);
	/* A name whose escapes decode to more than any column name. */
	n = (size_t)snprintf(msg, sizeof(msg), "{\"");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\\u0041");
	snprintf(msg + n, sizeof(msg) - n, "\":1,\"id\":9}");
	ROW(&f, msg, 1, 2, 0, 0x09, 0x00, 0x00);
	drop(&f);
}

static void test_rows_are_independent(void **state)
{
	struct fixture f = make(cols, N(cols), false);

	(void)state;
	ROW(&f, "{\"id\": 7, \"name\": \"ab\", \"price\": 1.5, "
		"\"tags\": [\"x\", \"yz\"], \"ts\": 10}",
	    0, 0, 0, FULL_PLAIN);
	/* Nothing of the previous row leaks into this one. */
	ROW(&f, "{\"id\": 8}", 0, 4, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
	    0x00, 0, 0, 0, 0);
	/* A failed row leaves nothing behind either. */
	ERR(&f, "{\"id\": 9, \"name\": \"zz\", \"ts\": {}}", CK_ERR_CONVERT,
	    NULL);
	ROW(&f, "{\"ts\": 1}", 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
	    0x00, 0x01, 0, 0, 0);
	drop(&f);
}

static void test_conversion_errors(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "n", "UInt8", "", "" },
		{ "list", "Array(Array(Int16))", "", "" },
		{ "d", "Date", "", "" },
	};
	struct fixture f = make(cols, N(cols), false);
	struct fixture g = make(c, N(c), true);

	(void)state;
	ERR(&f, "{\"id\": {}, \"name\": \"a\"}", CK_ERR_CONVERT,
	    "column 'id' (UInt64): expected an integer, got an object");
	/* The error is in the last column: everything before is rolled back. */
	ERR(&f, "{\"id\": 1, \"name\": \"a\", \"ts\": \"2024-13-01\"}",
	    CK_ERR_CONVERT,
	    "column 'ts' (DateTime): \"2024-13-01\" is not a date-time "
	    "(month 13)");
	ERR(&f, "{\"price\": \"cheap\"}", CK_ERR_CONVERT,
	    "column 'price' (Nullable(Float64)): \"cheap\" is not a number");
	ERR(&g, "{\"n\": 300}", CK_ERR_CONVERT,
	    "column 'n' (UInt8): 300 is out of range for UInt8");
	ERR(&g, "{\"list\": [[1], [2, 40000]]}", CK_ERR_CONVERT,
	    "column 'list' (Array(Array(Int16))): element 1: element 1: "
	    "40000 is out of range for Int16");
	ERR(&g, "{\"d\": \"2023-02-29\"}", CK_ERR_CONVERT,
	    "column 'd' (Date): \"2023-02-29\" is not a date (day 29 of "
	    "2023-02)");
	ROW(&g, "{\"d\": \"\\u0032\"}", 0, 2, 0, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x02, 0x00);
	drop(&f);
	drop(&g);
}

static void test_not_an_object(void **state)
{
	struct fixture f = make(cols, N(cols), false);

	(void)state;
	ERR(&f, "[1, 2]", CK_ERR_PARSE,
	    "message is not a JSON object: got an array");
	ERR(&f, "\"id\"", CK_ERR_PARSE,
	    "message is not a JSON object: got a string");
	ERR(&f, "  42", CK_ERR_PARSE,
	    "message is not a JSON object: got a number");
	ERR(&f, "-1", CK_ERR_PARSE,
	    "message is not a JSON object: got a number");
	ERR(&f, "true", CK_ERR_PARSE,
	    "message is not a JSON object: got a boolean");
	ERR(&f, "null", CK_ERR_PARSE, "message is not a JSON object: got null");
	ERR(&f, "", CK_ERR_PARSE, "message is not a JSON object: it is empty");
	ERR(&f, " \n", CK_ERR_PARSE,
	    "message is not a JSON object: it is empty");
	/*
	 * Regression: text that merely starts like a JSON literal was
	 * reported as that kind ("not json" as "got null").
	 */
	ERR(&f, "not json", CK_ERR_PARSE,
	    "message is not valid JSON: at byte 0: invalid literal, expected "
	    "'null'");
	ERR(&f, "[1, 2", CK_ERR_PARSE,
	    "message is not valid JSON: at byte 5: expected ',' or ']' after "
	    "array element, got end of input");
	ERR(&f, "x", CK_ERR_PARSE,
	    "message is not valid JSON: at byte 0: expected a value, "
	    "got 'x'");
	expect_err(&f, NULL, 0, CK_ERR_PARSE,
		   "message is not a JSON object: it is empty");
	drop(&f);
}

static void test_malformed_json(void **state)
{
	struct fixture f = make(cols, N(cols), false);

	(void)state;
	ERR(&f, "{\"id\": 1,}", CK_ERR_PARSE,
	    "message is not valid JSON: at byte 9: expected a string key, "
	    "got '}'");
	ERR(&f, "{\"id\": 1", CK_ERR_PARSE, NULL);
	ERR(&f, "{\"id\": 1} x", CK_ERR_PARSE, NULL);
	ERR(&f, "{\"id\": 1}{}", CK_ERR_PARSE, NULL);
	ERR(&f, "{\"id\": 01}", CK_ERR_PARSE, NULL);
	ERR(&f, "{\"tags\": [\"a\" \"b\"]}", CK_ERR_PARSE, NULL);
	ERR(&f, "{\"id\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		"]]]]]]]]]]}",
	    CK_ERR_LIMIT, NULL);
	/* Also in a member no column uses. */
	ERR(&f, "{\"id\": 1, \"other\": [1, }", CK_ERR_PARSE, NULL);
	drop(&f);
}

static void test_limit_rolls_back(void **state)
{
	struct fixture f = make(cols, N(cols), false);
	struct ck_row_stats stats = { 0, 0, 0 };
	struct ck_buf out;
	struct ck_err err;
	const char *msg = "{\"id\":1,\"name\":\"a long enough name\"}";

	(void)state;
	ck_buf_init(&out, 16);
	assert_int_equal(ck_buf_append(&out, "hdr", 3, NULL), CK_OK);
	assert_int_equal(encode(&f, msg, strlen(msg), &out, &stats, &err),
			 CK_ERR_LIMIT);
	assert_int_equal(out.len, 3);
	assert_int_equal(stats.missing_fields, 0);
	assert_string_equal(err.msg, "column 'name' (String): buffer limit of "
				     "16 bytes reached");
	ck_buf_free(&out);
	drop(&f);
}

/* With RowBinary (no DEFAULT support) a DEFAULT column is not inserted. */
static void test_skipped_default_column(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "id", "UInt8", "", "" },
		{ "at", "DateTime", "DEFAULT", "now()" },
	};
	struct fixture plain = make(c, N(c), false);
	struct fixture wd = make(c, N(c), true);

	(void)state;
	ROW(&plain, "{\"id\":1,\"at\":5}", 1, 0, 0, 0x01);
	ROW(&wd, "{\"id\":1,\"at\":5}", 0, 0, 0, 0x00, 0x01, 0x00, 0x05, 0, 0,
	    0);
	ROW(&wd, "{\"id\":1}", 0, 1, 0, 0x00, 0x01, 0x01);
	drop(&plain);
	drop(&wd);
}

static void test_null_stats_and_err(void **state)
{
	struct fixture f = make(cols, N(cols), false);
	struct ck_buf out;

	(void)state;
	ck_buf_init(&out, 1024);
	assert_int_equal(ck_row_encode_json(f.enc, "{}", 2, &out, NULL, NULL),
			 CK_OK);
	assert_int_equal(out.len, 8 + 1 + 1 + 1 + 4);
	assert_int_equal(ck_row_encode_json(f.enc, "[]", 2, &out, NULL, NULL),
			 CK_ERR_PARSE);
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":[]}", 9, &out,
					    NULL, NULL),
			 CK_ERR_CONVERT);
	assert_int_equal(out.len, 15);
	ck_buf_free(&out);
	drop(&f);
	ck_row_encoder_destroy(NULL);
}

/* Many rows appended to one buffer: each lands after the previous. */
static void test_many_rows(void **state)
{
	struct fixture f = make(cols, N(cols), false);
	struct ck_row_stats stats = { 0, 0, 0 };
	struct ck_buf out;
	struct ck_err err;
	char msg[128];

	(void)state;
	ck_buf_init(&out, 1 << 20);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(msg, sizeof(msg),
				 "{\"id\":%d,\"name\":\"n%03d\",\"x\":1}", i,
				 i);
		assert_int_equal(encode(&f, msg, (size_t)n, &out, &stats, &err),
				 CK_OK);
	}
	assert_int_equal(out.len, 1000 * (8 + 5 + 1 + 1 + 4));
	for (int i = 0; i < 1000; i++) {
		const uint8_t *row = out.data + i * 19;
		assert_int_equal(row[0] | row[1] << 8, i);
		assert_int_equal(row[8], 4);
		assert_int_equal(row[12] - '0', i % 10);
	}
	assert_int_equal(stats.unknown_fields, 1000);
	assert_int_equal(stats.missing_fields, 3000);
	assert_int_equal(stats.null_defaults, 0);
	ck_buf_free(&out);
	drop(&f);
}

static const struct ck_column_desc meta_cols[] = {
	{ "v", "UInt8", "", "" },
	{ "_topic", "String", "", "" },
	{ "_partition", "UInt16", "", "" },
	{ "_offset", "UInt64", "", "" },
	{ "_ts", "DateTime", "", "" },
	{ "_key", "Nullable(String)", "", "" },
};

static struct fixture make_meta(void)
{
	static const struct ck_column_opts opts_cols[] = {
		{ "_topic", CK_EPOCH_AUTO, false, CK_META_TOPIC },
		{ "_partition", CK_EPOCH_AUTO, false, CK_META_PARTITION },
		{ "_offset", CK_EPOCH_AUTO, false, CK_META_OFFSET },
		{ "_ts", CK_EPOCH_AUTO, false, CK_META_TIMESTAMP },
		{ "_key", CK_EPOCH_AUTO, false, CK_META_KEY },
	};
	struct ck_schema_opts opts = { .columns = opts_cols, .ncolumns = 5 };
	struct fixture f;
	struct ck_err err;

	if (ck_schema_new(meta_cols, N(meta_cols), &opts, &f.schema, &err))
		fail_msg("schema: %s", err.msg);
	f.enc = ck_row_encoder_new(f.schema);
	assert_non_null(f.enc);
	return f;
}

static void test_meta_columns(void **state)
{
	struct fixture f = make_meta();
	/* A key with bytes JSON must escape: quote, backslash, newline, NUL. */
	static const char key[] = { 'k', '"', '\\', '\n', 0, (char)0xc3,
				    (char)0xa9 };
	struct ck_row_meta meta = {
		.topic = "events", .topic_len = 6, .partition = 3,
		.offset = 4294967296, .timestamp_ms = 1709210096789,
		.key = key, .key_len = sizeof(key),
	};

	(void)state;
	ck_row_encoder_set_meta(f.enc, &meta);
	/* The timestamp is milliseconds (the unit defaults to ms for it). */
	ROW(&f, "{\"v\": 9, \"_offset\": 1}", 0, 0, 0,
	    0x09, 0x06, 'e', 'v', 'e', 'n', 't', 's', 0x03, 0x00,
	    0, 0, 0, 0, 0x01, 0, 0, 0, 0xf0, 0x79, 0xe0, 0x65,
	    0x00, 0x07, 'k', '"', '\\', '\n', 0, 0xc3, 0xa9);
	/* No key and no timestamp: NULL key, timestamp as null -> default. */
	meta.key = NULL;
	meta.timestamp_ms = -1;
	ck_row_encoder_set_meta(f.enc, &meta);
	ROW(&f, "{\"v\": 1}", 0, 0, 1,
	    0x01, 0x06, 'e', 'v', 'e', 'n', 't', 's', 0x03, 0x00,
	    0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01);
	/* No record at all: metadata columns get their defaults. */
	ck_row_encoder_set_meta(f.enc, NULL);
	ROW(&f, "{\"v\": 2}", 0, 5, 0,
	    0x02, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0x01);
	drop(&f);
}

static void test_meta_option_names_no_column(void **state)
{
	static const struct ck_column_opts bad[] = {
		{ "_nope", CK_EPOCH_AUTO, false, CK_META_OFFSET },
	};
	struct ck_schema_opts opts = { .columns = bad, .ncolumns = 1 };
	struct ck_schema *schema = NULL;
	struct ck_err err;

	(void)state;
	assert_int_equal(ck_schema_new(meta_cols, N(meta_cols), &opts, &schema,
				       &err),
			 CK_ERR_CONFIG);
	assert_null(schema);
	assert_string_equal(err.msg, "options for column '_nope': no such "
				     "inserted column");
}

/* Schema evolution: the members that matched no column, with values. */
static void test_unknown_tracking(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "id", "UInt8", "", "" },
		{ "at", "DateTime", "DEFAULT", "now()" },
	};
	struct fixture f = make(c, N(c), false);
	const struct ck_row_member *m;
	struct ck_buf out;
	struct ck_err err;
	size_t len;
	const char *msg = "{\"id\":1,\"new\":[1],\"at\":5,\"n2\":null}";

	(void)state;
	ck_buf_init(&out, 1024);
	/* Off (the default): nothing is recorded. */
	assert_int_equal(ck_row_encode_json(f.enc, msg, strlen(msg), &out, NULL,
					    &err), CK_OK);
	assert_int_equal(ck_row_unknown(f.enc, &m), 0);

	ck_row_encoder_track_unknown(f.enc, true);
	assert_int_equal(ck_row_encode_json(f.enc, msg, strlen(msg), &out, NULL,
					    &err), CK_OK);
	/* "at" is a DEFAULT column left out of the INSERT: unknown here, and
	 * ck_schema_has_column() tells the caller the table has it. */
	assert_int_equal(ck_row_unknown(f.enc, &m), 3);
	assert_memory_equal(ck_json_str_raw(&m[0].key, &len), "new", 3);
	assert_int_equal(m[0].val.kind, CK_JSON_ARRAY);
	assert_memory_equal(ck_json_str_raw(&m[1].key, &len), "at", 2);
	assert_true(ck_schema_has_column(f.schema, "at", 2));
	assert_false(ck_schema_has_column(f.schema, "new", 3));
	assert_true(ck_schema_has_column(f.schema, "id", 2));
	assert_int_equal(m[2].val.kind, CK_JSON_NULL);

	/* Each row starts afresh. */
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":2}", 8, &out, NULL,
					    &err), CK_OK);
	assert_int_equal(ck_row_unknown(f.enc, &m), 0);
	ck_buf_free(&out);
	drop(&f);
}

/* A value the column cannot take goes to "<column>_<suffix>". */
static void test_divert_changed_type(void **state)
{
	static const struct ck_column_desc c[] = {
		{ "id", "UInt8", "", "" },
		{ "qty", "Int32", "", "" },
		{ "qty_str", "Nullable(String)", "", "" },
	};
	/* id 2, qty 0 (default), qty_str: not null, length 1, "x" */
	static const uint8_t want[] = {0x02, 0, 0, 0, 0, 0x00, 0x01, 'x'};
	struct fixture f = make(c, N(c), false);
	const struct ck_json_value *v;
	const char *column;
	struct ck_buf out;
	struct ck_err err;

	(void)state;
	ck_buf_init(&out, 1024);
	/* Tracking off: a conversion error, as always. */
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":2,\"qty\":\"x\"}",
					    18, &out, NULL, &err),
			 CK_ERR_CONVERT);
	ck_row_encoder_track_unknown(f.enc, true);
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":2,\"qty\":\"x\"}",
					    18, &out, NULL, &err), CK_OK);
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.data, want, sizeof(want));
	assert_false(ck_row_diverted(f.enc, &column, &v));
	/* No qty_float column: the row fails and says what it needs. */
	ck_buf_reset(&out);
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":2,\"qty\":2.5}",
					    18, &out, NULL, &err),
			 CK_ERR_CONVERT);
	assert_int_equal(out.len, 0);
	assert_true(ck_row_diverted(f.enc, &column, &v));
	assert_string_equal(column, "qty");
	assert_string_equal(ck_row_divert_suffix(v), "float");
	/* A string that fits stays in the column. */
	assert_int_equal(ck_row_encode_json(f.enc, "{\"id\":2,\"qty\":\"7\"}",
					    18, &out, NULL, &err), CK_OK);
	assert_false(ck_row_diverted(f.enc, &column, &v));
	ck_buf_free(&out);
	drop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_row),
		cmocka_unit_test(test_full_row_with_defaults),
		cmocka_unit_test(test_only_default_expressions_are_left_to_the_server),
		cmocka_unit_test(test_unknown_missing_null),
		cmocka_unit_test(test_duplicates_last_wins),
		cmocka_unit_test(test_escaped_keys),
		cmocka_unit_test(test_rows_are_independent),
		cmocka_unit_test(test_conversion_errors),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_limit_rolls_back),
		cmocka_unit_test(test_skipped_default_column),
		cmocka_unit_test(test_null_stats_and_err),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_meta_columns),
		cmocka_unit_test(test_meta_option_names_no_column),
		cmocka_unit_test(test_unknown_tracking),
		cmocka_unit_test(test_divert_changed_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
