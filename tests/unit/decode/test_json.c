/*
 * test_json.c — unit tests for the JSON scanner (src/decode/json.c).
 *
 * Every input is given with an explicit length and most are copied into an
 * exact-size heap buffer first, so under ASan an over-read of even one byte
 * past a message fails the test.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/json.h"

/* A heap copy of exactly len bytes, so reading past it is caught. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, s, len);
	return p;
}

static int parse_n(const char *s, size_t len, struct ck_json_value *v,
		   struct ck_err *err)
{
	char *p = exact_copy(s, len);
	int rc = ck_json_parse(p, len, v, err);

	/* v points into p; callers of parse_n only look at kind and len. */
	free(p);
	return rc;
}

static int parse(const char *s, struct ck_json_value *v, struct ck_err *err)
{
	return ck_json_parse(s, strlen(s), v, err);
}

static void expect_parse_ok(const char *s, enum ck_json_kind kind)
{
	struct ck_json_value v;
	struct ck_err err;
	int rc = parse_n(s, strlen(s), &v, &err);

	if (rc)
		fail_msg("'%s' rejected: %s", s, err.msg);
	assert_int_equal(v.kind, kind);
}

static void expect_parse_err(const char *s, int code, const char *msg)
{
	struct ck_json_value v;
	struct ck_err err;
	int rc;

	ck_err_clear(&err);
	rc = parse_n(s, strlen(s), &v, &err);
	if (rc != code)
		fail_msg("'%s': rc %d, want %d (%s)", s, rc, code, err.msg);
	assert_int_equal(err.code, code);
	if (msg)
		assert_string_equal(err.msg, msg);
}

/*
 * Counts v and every value nested in it. v was accepted by the scanner, so
 * iterating it must never fail.
 */
static void walk_value(const struct ck_json_value *v, size_t *count)
{
	struct ck_json_iter it;
	struct ck_json_value key, val;
	int rc;

	(*count)++;
	if (v->kind == CK_JSON_OBJECT) {
		ck_json_object_iter(v, &it);
		while ((rc = ck_json_object_next(&it, &key, &val, NULL)) ==
		       CK_OK) {
			assert_int_equal(key.kind, CK_JSON_STRING);
			walk_value(&val, count);
		}
		assert_int_equal(rc, CK_JSON_END);
	} else if (v->kind == CK_JSON_ARRAY) {
		ck_json_array_iter(v, &it);
		while ((rc = ck_json_array_next(&it, &val, NULL)) == CK_OK)
			walk_value(&val, count);
		assert_int_equal(rc, CK_JSON_END);
	}
}

/*
 * Reads a message the way the row encoder does: the top-level members, and
 * every value below them. CK_OK when the whole message was accepted.
 */
static int scan_message(const char *msg, size_t len, size_t *count,
			struct ck_err *err)
{
	char *p = exact_copy(msg, len);
	struct ck_json_iter it;
	struct ck_json_value key, val;
	size_t n = 0;
	int rc;

	rc = ck_json_object_begin(p, len, &it, err);
	if (rc)
		goto out;
	while ((rc = ck_json_object_next(&it, &key, &val, err)) == CK_OK)
		walk_value(&val, &n);
	if (rc == CK_JSON_END)
		rc = CK_OK;
out:
	free(p);
	if (count)
		*count = n;
	return rc;
}

static void expect_scan_err(const char *s, int code, const char *msg)
{
	struct ck_err err;
	int rc;

	ck_err_clear(&err);
	rc = scan_message(s, strlen(s), NULL, &err);
	if (rc != code)
		fail_msg("'%s': rc %d, want %d (%s)", s, rc, code, err.msg);
	if (msg)
		assert_string_equal(err.msg, msg);
}

/* A typical event: ~200 bytes, 10 fields, every kind of value. */
static const char sample[] =
	"{\"event_id\":\"7f3a9c2e-1b4d-4e8f-9a6b-2c5d8e1f0a3b\","
	"\"ts\":1718035200123,\"user\":\"al\\u00e9x \\\"q\\\"\","
	"\"amount\":-12.50e0,\"ok\":true,\"gone\":false,\"note\":null,"
	"\"tags\":[\"a\",\"b\",[]],\"geo\":{\"lat\":52.52,\"lon\":13.405},"
	"\"k\\u00e9y\":0}";

/* ---- whole values ------------------------------------------------------- */

static void test_parse_kinds(void **state)
{
	struct ck_json_value v;
	const char *s;

	(void)state;
	expect_parse_ok("null", CK_JSON_NULL);
	expect_parse_ok("true", CK_JSON_TRUE);
	expect_parse_ok("false", CK_JSON_FALSE);
	expect_parse_ok("0", CK_JSON_NUMBER);
	expect_parse_ok("-12.5e-3", CK_JSON_NUMBER);
	expect_parse_ok("\"\"", CK_JSON_STRING);
	expect_parse_ok("\"abc\"", CK_JSON_STRING);
	expect_parse_ok("[]", CK_JSON_ARRAY);
	expect_parse_ok("{}", CK_JSON_OBJECT);
	expect_parse_ok("[null,true,false,1,\"x\",[],{}]", CK_JSON_ARRAY);
	expect_parse_ok("{\"a\":{\"b\":[{\"c\":[[]]}]}}", CK_JSON_OBJECT);

	s = "  \"a\\nb\"\t";
	assert_int_equal(parse(s, &v, NULL), CK_OK);
	assert_int_equal(v.kind, CK_JSON_STRING);
	assert_ptr_equal(v.p, s + 2);
	assert_int_equal(v.len, 6);
	assert_true(v.escaped);

	s = "\"plain\"";
	assert_int_equal(parse(s, &v, NULL), CK_OK);
	assert_false(v.escaped);

	s = " [1, {\"a\" : 2} ] ";
	assert_int_equal(parse(s, &v, NULL), CK_OK);
	assert_int_equal(v.kind, CK_JSON_ARRAY);
	assert_ptr_equal(v.p, s + 1);
	assert_int_equal(v.len, 15);

	s = "-0.5e+7 ";
	assert_int_equal(parse(s, &v, NULL), CK_OK);
	assert_int_equal(v.kind, CK_JSON_NUMBER);
	assert_int_equal(v.len, 7);
}

static void test_parse_whitespace(void **state)
{
	(void)state;
	expect_parse_ok(" \t\n\r{ \t\n\r\"a\" \t\n\r: \t\n\r[ 1 , 2 ] , \"b\""
			":{ } , \"c\" : [ ] }\r\n\t ", CK_JSON_OBJECT);
	expect_parse_ok("\n\n1\n\n", CK_JSON_NUMBER);
	/* Only the four RFC whitespace bytes count. */
	expect_parse_err("\v1", CK_ERR_PARSE,
			 "at byte 0: expected a value, got byte 0x0b");
	expect_parse_err("[1,\f2]", CK_ERR_PARSE,
			 "at byte 3: expected a value, got byte 0x0c");
	expect_parse_err("", CK_ERR_PARSE,
			 "at byte 0: expected a value, got end of input");
	expect_parse_err("   ", CK_ERR_PARSE,
			 "at byte 3: expected a value, got end of input");
}

static void test_parse_trailing_garbage(void **state)
{
	(void)state;
	expect_parse_err("{} x", CK_ERR_PARSE,
			 "at byte 3: expected end of input after the value, got 'x'");
	expect_parse_err("{}{}", CK_ERR_PARSE,
			 "at byte 2: expected end of input after the value, got '{'");
	expect_parse_err("1 2", CK_ERR_PARSE, NULL);
	expect_parse_err("[1]]", CK_ERR_PARSE, NULL);
	expect_parse_err("nullx", CK_ERR_PARSE, NULL);
	expect_parse_err("\"a\"\"b\"", CK_ERR_PARSE, NULL);
	{
		/* A NUL byte after the value is garbage, not a terminator. */
		struct ck_json_value v;
		struct ck_err err;
		assert_int_equal(parse_n("{}\0", 3, &v, &err), CK_ERR_PARSE);
		assert_string_equal(err.msg,
				    "at byte 2: expected end of input after the value, got byte 0x00");
	}
	expect_scan_err("{\"a\":1} x", CK_ERR_PARSE,
			"at byte 8: expected end of input after the closing bracket, got 'x'");
	expect_scan_err("{\"a\":1}}", CK_ERR_PARSE, NULL);
	expect_scan_err("{} \n", CK_OK, NULL);
}

static void test_parse_structure_errors(void **state)
{
	(void)state;
	expect_parse_err("{\"a\" 1}", CK_ERR_PARSE,
			 "at byte 5: expected ':' after object key, got '1'");
	expect_parse_err("{\"a\":1,}", CK_ERR_PARSE,
			 "at byte 7: expected a string key, got '}'");
	expect_parse_err("{a:1}", CK_ERR_PARSE,
			 "at byte 1: expected a string key, got 'a'");
	expect_parse_err("{\"a\":1 \"b\":2}", CK_ERR_PARSE,
			 "at byte 7: expected ',' or '}' after object member, got '\"'");
	expect_parse_err("[1,]", CK_ERR_PARSE,
			 "at byte 3: expected a value, got ']'");
	expect_parse_err("[,1]", CK_ERR_PARSE,
			 "at byte 1: expected a value, got ','");
	expect_parse_err("[1 2]", CK_ERR_PARSE,
			 "at byte 3: expected ',' or ']' after array element, got '2'");
	expect_parse_err("[}", CK_ERR_PARSE,
			 "at byte 1: expected a value, got '}'");
	expect_parse_err("{]", CK_ERR_PARSE,
			 "at byte 1: expected a string key, got ']'");
	expect_parse_err("[1}", CK_ERR_PARSE,
			 "at byte 2: expected ',' or ']' after array element, got '}'");
	expect_parse_err("{\"a\":1]", CK_ERR_PARSE,
			 "at byte 6: expected ',' or '}' after object member, got ']'");
	expect_parse_err("{\"a\":tru}", CK_ERR_PARSE,
			 "at byte 5: invalid literal, expected 'true'");
	expect_parse_err("nul", CK_ERR_PARSE,
			 "at byte 0: invalid literal, expected 'null'");
	expect_parse_err("False", CK_ERR_PARSE,
			 "at byte 0: expected a value, got 'F'");
	expect_parse_err("{\"a\":\"x", CK_ERR_PARSE,
			 "at byte 7: unterminated string (opened at byte 5)");
	expect_parse_err("[\"\xff\"", CK_ERR_PARSE,
			 "at byte 4: expected ',' or ']' after array element, got end of input");
	expect_parse_err("{\"a\":}", CK_ERR_PARSE,
			 "at byte 5: expected a value, got '}'");
	expect_parse_err("{\"a\"", CK_ERR_PARSE,
			 "at byte 4: expected ':' after object key, got end of input");
	expect_parse_err("'a'", CK_ERR_PARSE,
			 "at byte 0: expected a value, got '''");
}

/* ---- iteration ---------------------------------------------------------- */

static void expect_raw(const struct ck_json_value *s, const char *want)
{
	size_t len;
	const char *raw = ck_json_str_raw(s, &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(raw, want, len);
}

static void test_object_iteration(void **state)
{
	static const char *const keys[] = {
		"event_id", "ts", "user", "amount", "ok", "gone", "note",
		"tags", "geo", "k\\u00e9y",
	};
	static const enum ck_json_kind kinds[] = {
		CK_JSON_STRING, CK_JSON_NUMBER, CK_JSON_STRING, CK_JSON_NUMBER,
		CK_JSON_TRUE, CK_JSON_FALSE, CK_JSON_NULL, CK_JSON_ARRAY,
		CK_JSON_OBJECT, CK_JSON_NUMBER,
	};
	struct ck_json_iter it;
	struct ck_json_value key, val;
	struct ck_err err;
	size_t i = 0;
	int rc;

	(void)state;
	assert_int_equal(ck_json_object_begin(sample, sizeof(sample) - 1, &it,
					      &err), CK_OK);
	while ((rc = ck_json_object_next(&it, &key, &val, &err)) == CK_OK) {
		assert_true(i < 10);
		assert_int_equal(key.kind, CK_JSON_STRING);
		expect_raw(&key, keys[i]);
		assert_int_equal(key.escaped, i == 9);
		assert_int_equal(val.kind, kinds[i]);
		i++;
	}
	assert_int_equal(rc, CK_JSON_END);
	assert_int_equal(i, 10);
	/* A finished iterator stays finished. */
	assert_int_equal(ck_json_object_next(&it, &key, &val, &err),
			 CK_JSON_END);

	/* The same message passes the one-shot validation. */
	assert_int_equal(parse(sample, &val, &err), CK_OK);
	assert_int_equal(val.kind, CK_JSON_OBJECT);
	assert_int_equal(val.len, sizeof(sample) - 1);
}

static void test_object_iteration_values(void **state)
{
	const char *msg = " { \"a\" : \"x\\ty\" ,\"b\":[1, 2] ,\n\"\":{} } ";
	struct ck_json_iter it;
	struct ck_json_value key, val;
	struct ck_buf buf;

	(void)state;
	ck_buf_init(&buf, 64);
	assert_int_equal(ck_json_object_begin(msg, strlen(msg), &it, NULL),
			 CK_OK);

	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL), CK_OK);
	expect_raw(&key, "a");
	assert_int_equal(val.kind, CK_JSON_STRING);
	assert_true(val.escaped);
	assert_int_equal(ck_json_string_decode(&val, &buf, NULL), CK_OK);
	assert_int_equal(buf.len, 3);
	assert_memory_equal(buf.data, "x\ty", 3);

	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL), CK_OK);
	expect_raw(&key, "b");
	assert_int_equal(val.kind, CK_JSON_ARRAY);
	assert_int_equal(val.len, 6);
	assert_memory_equal(val.p, "[1, 2]", 6);

	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL), CK_OK);
	expect_raw(&key, "");
	assert_int_equal(val.kind, CK_JSON_OBJECT);
	assert_int_equal(val.len, 2);

	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL),
			 CK_JSON_END);
	ck_buf_free(&buf);
}

static void test_object_begin_errors(void **state)
{
	struct ck_json_iter it;
	struct ck_err err;

	(void)state;
	assert_int_equal(ck_json_object_begin("[1]", 3, &it, &err),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg,
			    "at byte 0: expected '{' (a JSON object), got '['");
	assert_int_equal(ck_json_object_begin("  ", 2, &it, &err),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg,
			    "at byte 2: expected '{' (a JSON object), got end of input");
	/* librdkafka hands over an empty payload as (NULL, 0). */
	assert_int_equal(ck_json_object_begin(NULL, 0, &it, &err),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg,
			    "at byte 0: expected '{' (a JSON object), got end of input");
	{
		struct ck_json_value v;
		int64_t i;
		uint64_t u;
		double d;
		assert_int_equal(ck_json_parse(NULL, 0, &v, &err),
				 CK_ERR_PARSE);
		assert_string_equal(err.msg,
				    "at byte 0: expected a value, got end of input");
		assert_int_equal(ck_json_text_i64(NULL, 0, &i, &err),
				 CK_ERR_CONVERT);
		assert_int_equal(ck_json_text_u64(NULL, 0, &u, &err),
				 CK_ERR_CONVERT);
		assert_int_equal(ck_json_text_double(NULL, 0, true, &d, &err),
				 CK_ERR_CONVERT);
		assert_string_equal(err.msg, "\"\" is not a number");
	}
	expect_scan_err("{}", CK_OK, NULL);
	expect_scan_err(" { } ", CK_OK, NULL);
	expect_scan_err("{", CK_ERR_PARSE,
			"at byte 1: expected a string key, got end of input");
	expect_scan_err("{\"a\":1", CK_ERR_PARSE,
			"at byte 6: expected ',' or '}' after object member, got end of input");
	expect_scan_err("{\"a\" 1}", CK_ERR_PARSE,
			"at byte 5: expected ':' after object key, got '1'");
	expect_scan_err("{\"a\":1,}", CK_ERR_PARSE,
			"at byte 7: expected a string key, got '}'");
	expect_scan_err("{,}", CK_ERR_PARSE,
			"at byte 1: expected a string key, got ','");
}

static void test_nested_iteration(void **state)
{
	const char *msg = "{\"o\":{\"a\":[1,{\"b\":null}],\"c\":\"d\"},"
			  "\"arr\":[[],[[]],{}],\"e\":{}}";
	size_t count = 0;
	struct ck_json_iter it, inner;
	struct ck_json_value key, val, elem;

	(void)state;
	assert_int_equal(scan_message(msg, strlen(msg), &count, NULL), CK_OK);
	/* o a 1 {b} null c arr [] [[]] [] {} e */
	assert_int_equal(count, 12);

	assert_int_equal(ck_json_object_begin(msg, strlen(msg), &it, NULL),
			 CK_OK);
	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL), CK_OK);
	ck_json_object_iter(&val, &inner);
	assert_int_equal(ck_json_object_next(&inner, &key, &elem, NULL), CK_OK);
	expect_raw(&key, "a");
	assert_int_equal(elem.kind, CK_JSON_ARRAY);
	assert_int_equal(elem.len, 14);
	assert_int_equal(ck_json_object_next(&inner, &key, &elem, NULL), CK_OK);
	expect_raw(&key, "c");
	expect_raw(&elem, "d");
	assert_int_equal(ck_json_object_next(&inner, &key, &elem, NULL),
			 CK_JSON_END);
	assert_int_equal(ck_json_object_next(&inner, &key, &elem, NULL),
			 CK_JSON_END);

	assert_int_equal(ck_json_object_next(&it, &key, &val, NULL), CK_OK);
	assert_int_equal(val.kind, CK_JSON_ARRAY);
	ck_json_array_iter(&val, &inner);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ck_json_array_next(&inner, &elem, NULL),
				 CK_OK);
	assert_int_equal(elem.kind, CK_JSON_OBJECT);
	assert_int_equal(ck_json_array_next(&inner, &elem, NULL), CK_JSON_END);
	assert_int_equal(ck_json_array_next(&inner, &elem, NULL), CK_JSON_END);
}

static void test_nested_errors_through_iterator(void **state)
{
	(void)state;
	/* Offsets count from the start of the message, however deep. */
	expect_scan_err("{\"ok\":1, \"b\":{\"c\":[1,2,]}}", CK_ERR_PARSE,
			"at byte 23: expected a value, got ']'");
	expect_scan_err("{\"a\":[{\"b\" 1}]}", CK_ERR_PARSE,
			"at byte 11: expected ':' after object key, got '1'");
	expect_scan_err("{\"a\":[\"\\q\"]}", CK_ERR_PARSE,
			"at byte 7: invalid escape '\\q'");
	expect_scan_err("{\"a\":[01]}", CK_ERR_PARSE,
			"at byte 6: leading zero in a number");
}

/* Every proper prefix of a valid message must be an error, never a crash. */
static void test_truncated_prefixes(void **state)
{
	const size_t n = sizeof(sample) - 1;
	struct ck_json_value v;
	struct ck_err err;

	(void)state;
	assert_int_equal(scan_message(sample, n, NULL, &err), CK_OK);
	assert_int_equal(parse_n(sample, n, &v, &err), CK_OK);
	for (size_t len = 0; len < n; len++) {
		int rc = scan_message(sample, len, NULL, &err);
		if (rc != CK_ERR_PARSE)
			fail_msg("prefix of %zu bytes: rc %d", len, rc);
		rc = parse_n(sample, len, &v, &err);
		if (rc != CK_ERR_PARSE)
			fail_msg("prefix of %zu bytes: parse rc %d", len, rc);
	}
}

static void test_iteration_after_parse_never_fails(void **state)
{
	struct ck_json_value v;
	size_t count = 0;

	(void)state;
	assert_int_equal(parse(sample, &v, NULL), CK_OK);
	walk_value(&v, &count);
	/* object + 10 members + 3 tags + 2 geo */
	assert_int_equal(count, 16);
}

/* ---- depth -------------------------------------------------------------- */

/* n nested arrays or {"a": ...} objects around a 1. */
static size_t nest(char *buf, int n, bool objects)
{
	size_t o = 0;

	for (int i = 0; i < n; i++) {
		if (objects) {
			memcpy(buf + o, "{\"a\":", 5);
			o += 5;
		} else {
			buf[o++] = '[';
		}
	}
	buf[o++] = '1';
	for (int i = 0; i < n; i++)
		buf[o++] = objects ? '}' : ']';
	return o;
}

static void test_depth_limit(void **state)
{
	char buf[2048];
	struct ck_json_value v;
	struct ck_err err;
	size_t len, count;

	(void)state;
	for (int objects = 0; objects <= 1; objects++) {
		len = nest(buf, CK_JSON_MAX_DEPTH, objects);
		assert_int_equal(parse_n(buf, len, &v, &err), CK_OK);
		len = nest(buf, CK_JSON_MAX_DEPTH + 1, objects);
		assert_int_equal(parse_n(buf, len, &v, &err), CK_ERR_LIMIT);
		assert_int_equal(err.code, CK_ERR_LIMIT);
		len = nest(buf, 200, objects);
		assert_int_equal(parse_n(buf, len, &v, &err), CK_ERR_LIMIT);
	}
	len = nest(buf, CK_JSON_MAX_DEPTH + 1, false);
	assert_int_equal(parse_n(buf, len, &v, &err), CK_ERR_LIMIT);
	assert_string_equal(err.msg, "at byte 64: nested deeper than 64 levels");

	/* The top-level object of a message counts as level 1. */
	len = nest(buf, CK_JSON_MAX_DEPTH, true);
	assert_int_equal(scan_message(buf, len, &count, &err), CK_OK);
	assert_int_equal(count, CK_JSON_MAX_DEPTH);
	len = nest(buf, CK_JSON_MAX_DEPTH + 1, true);
	assert_int_equal(scan_message(buf, len, NULL, &err), CK_ERR_LIMIT);
	assert_string_equal(err.msg, "at byte 320: nested deeper than 64 levels");

	/* Mixed containers; the limit applies to each value separately. */
	len = 0;
	memcpy(buf, "{\"a\":", 5);
	len = 5 + nest(buf + 5, CK_JSON_MAX_DEPTH - 1, false);
	memcpy(buf + len, ",\"b\":", 5);
	len += 5;
	len += nest(buf + len, CK_JSON_MAX_DEPTH - 1, false);
	buf[len++] = '}';
	assert_int_equal(scan_message(buf, len, NULL, &err), CK_OK);
	assert_int_equal(parse_n(buf, len, &v, &err), CK_OK);
	buf[len - 1] = ',';
	memcpy(buf + len, "\"c\":", 4);
	len += 4;
	len += nest(buf + len, CK_JSON_MAX_DEPTH, false);
	buf[len++] = '}';
	assert_int_equal(scan_message(buf, len, NULL, &err), CK_ERR_LIMIT);
	assert_int_equal(parse_n(buf, len, &v, &err), CK_ERR_LIMIT);
}

/* ---- strings ------------------------------------------------------------ */

/* Parses the JSON string s and decodes it; returns the decode code. */
static int decode(const char *s, struct ck_buf *buf, struct ck_err *err)
{
	struct ck_json_value v;
	int rc = parse(s, &v, err);

	if (rc)
		return rc;
	assert_int_equal(v.kind, CK_JSON_STRING);
	return ck_json_string_decode(&v, buf, err);
}

static void expect_decoded(const char *s, const char *want, size_t want_len)
{
	struct ck_buf buf;
	struct ck_err err;

	ck_buf_init(&buf, 1024);
	if (decode(s, &buf, &err))
		fail_msg("%s: %s", s, err.msg);
	assert_int_equal(buf.len, want_len);
	if (want_len)
		assert_memory_equal(buf.data, want, want_len);
	ck_buf_free(&buf);
}

static void test_string_escapes(void **state)
{
	(void)state;
	expect_decoded("\"\"", "", 0);
	expect_decoded("\"abc\"", "abc", 3);
	expect_decoded("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
	expect_decoded("\"a\\u0041b\"", "aAb", 3);
	expect_decoded("\"\\u0000\"", "\0", 1);
	expect_decoded("\"\\u007f\\u0080\"", "\x7f\xc2\x80", 3);
	expect_decoded("\"\\u07FF\\u0800\"", "\xdf\xbf\xe0\xa0\x80", 5);
	expect_decoded("\"\\u00e9\\u20AC\\uffff\"",
		       "\xc3\xa9\xe2\x82\xac\xef\xbf\xbf", 8);
	/* Surrogate pairs: the smallest, an emoji, the largest. */
	expect_decoded("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80", 4);
	expect_decoded("\"x\\uD83D\\uDE00y\"", "x\xf0\x9f\x98\x80y", 6);
	expect_decoded("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4);
	/* Raw UTF-8 and even invalid bytes pass through (see json.c). */
	expect_decoded("\"caf\xc3\xa9 \xff\xfe\"", "caf\xc3\xa9 \xff\xfe", 8);
	expect_decoded("\"a\\nb\xe2\x82\xac\"", "a\nb\xe2\x82\xac", 6);
	/* DEL is not a control character for JSON. */
	expect_decoded("\"\x7f\"", "\x7f", 1);
	/* Long runs exercise the eight-bytes-at-a-time scan. */
	expect_decoded("\"0123456789abcdef0123456789abcdef\\t0123456789abcdef\"",
		       "0123456789abcdef0123456789abcdef\t0123456789abcdef",
		       49);
}

/*
 * Strings and digit runs of every length up to 70, with the interesting
 * byte at every position, right at the end of an exact-size buffer: the
 * 16-, 8- and 1-byte scanning steps all meet every boundary.
 */
static void test_long_runs(void **state)
{
	char buf[128];
	struct ck_json_value v;
	struct ck_err err;
	char want[96];

	(void)state;
	for (size_t n = 0; n <= 70; n++) {
		buf[0] = '"';
		for (size_t i = 0; i < n; i++)
			buf[1 + i] = (char)('a' + i % 26);
		buf[n + 1] = '"';
		assert_int_equal(parse_n(buf, n + 2, &v, &err), CK_OK);
		assert_int_equal(v.len, n + 2);
		assert_false(v.escaped);
		/* Unterminated: the scan must stop exactly at the end. */
		assert_int_equal(parse_n(buf, n + 1, &v, &err), CK_ERR_PARSE);
		snprintf(want, sizeof(want),
			 "at byte %zu: unterminated string (opened at byte 0)",
			 n + 1);
		assert_string_equal(err.msg, want);
		for (size_t i = 0; i < n; i++) {
			char saved = buf[1 + i];

			buf[1 + i] = '\x1f';
			assert_int_equal(parse_n(buf, n + 2, &v, &err),
					 CK_ERR_PARSE);
			snprintf(want, sizeof(want),
				 "at byte %zu: control character 0x1f in a string must be escaped",
				 i + 1);
			assert_string_equal(err.msg, want);
			/* Bytes >= 0x80 are never special. */
			buf[1 + i] = (char)0xe0;
			assert_int_equal(parse_n(buf, n + 2, &v, &err), CK_OK);
			buf[1 + i] = '"';
			assert_int_equal(parse_n(buf, n + 2, &v, &err),
					 CK_ERR_PARSE);
			snprintf(want, sizeof(want),
				 "at byte %zu: expected end of input after the value, got '%c'",
				 i + 2, i + 1 == n ? '"' : buf[2 + i]);
			assert_string_equal(err.msg, want);
			buf[1 + i] = saved;
		}
	}
	for (size_t n = 1; n <= 70; n++) {
		buf[0] = '[';
		for (size_t i = 0; i < n; i++)
			buf[1 + i] = (char)('1' + i % 9);
		assert_int_equal(parse_n(buf + 1, n, &v, &err), CK_OK);
		assert_int_equal(v.kind, CK_JSON_NUMBER);
		assert_int_equal(v.len, n);
		buf[n + 1] = ']';
		assert_int_equal(parse_n(buf, n + 2, &v, &err), CK_OK);
		/* A byte that carries when 6 is added must still stop the run. */
		for (size_t i = 1; i < n; i++) {
			char saved = buf[1 + i];

			buf[1 + i] = (char)0xff;
			assert_int_equal(parse_n(buf, n + 2, &v, &err),
					 CK_ERR_PARSE);
			snprintf(want, sizeof(want),
				 "at byte %zu: expected ',' or ']' after array element, got byte 0xff",
				 i + 1);
			assert_string_equal(err.msg, want);
			buf[1 + i] = '/';
			assert_int_equal(parse_n(buf, n + 2, &v, &err),
					 CK_ERR_PARSE);
			buf[1 + i] = ':';
			assert_int_equal(parse_n(buf, n + 2, &v, &err),
					 CK_ERR_PARSE);
			buf[1 + i] = saved;
		}
	}
}

static void expect_lone_surrogate(const char *s, const char *msg)
{
	struct ck_buf buf;
	struct ck_err err;

	ck_buf_init(&buf, 1024);
	assert_int_equal(ck_buf_append(&buf, "keep", 4, NULL), CK_OK);
	/* The scanner accepts the grammar; decoding refuses the value. */
	assert_int_equal(decode(s, &buf, &err), CK_ERR_PARSE);
	assert_string_equal(err.msg, msg);
	/* Nothing of the failed string is left in the buffer. */
	assert_int_equal(buf.len, 4);
	ck_buf_free(&buf);
}

static void test_lone_surrogates(void **state)
{
	(void)state;
	expect_lone_surrogate("\"\\ud800\"",
			      "lone surrogate \\ud800 at byte 1 of the string");
	expect_lone_surrogate("\"ab\\udbff\"",
			      "lone surrogate \\udbff at byte 3 of the string");
	expect_lone_surrogate("\"\\udc00\"",
			      "lone surrogate \\udc00 at byte 1 of the string");
	expect_lone_surrogate("\"\\udfff\\ud800\"",
			      "lone surrogate \\udfff at byte 1 of the string");
	expect_lone_surrogate("\"\\ud800\\ud800\"",
			      "lone surrogate \\ud800 at byte 1 of the string");
	expect_lone_surrogate("\"\\ud800\\u0041\"",
			      "lone surrogate \\ud800 at byte 1 of the string");
	expect_lone_surrogate("\"\\ud800x\\udc00\"",
			      "lone surrogate \\ud800 at byte 1 of the string");
	expect_lone_surrogate("\"\\ud800\\n\"",
			      "lone surrogate \\ud800 at byte 1 of the string");
	expect_lone_surrogate("\"x\\ud800\\udc00\\ud800\"",
			      "lone surrogate \\ud800 at byte 14 of the string");
}

static void test_string_errors(void **state)
{
	(void)state;
	expect_parse_err("\"\\x\"", CK_ERR_PARSE,
			 "at byte 1: invalid escape '\\x'");
	expect_parse_err("\"\\U0041\"", CK_ERR_PARSE,
			 "at byte 1: invalid escape '\\U'");
	expect_parse_err("\"\\u12\"", CK_ERR_PARSE,
			 "at byte 5: expected four hex digits after '\\u', got '\"'");
	expect_parse_err("\"\\u12G4\"", CK_ERR_PARSE,
			 "at byte 5: expected four hex digits after '\\u', got 'G'");
	expect_parse_err("\"\\u12", CK_ERR_PARSE,
			 "at byte 5: expected four hex digits after '\\u', got end of input");
	expect_parse_err("\"\\", CK_ERR_PARSE,
			 "at byte 2: expected an escape character after '\\', got end of input");
	expect_parse_err("\"abc", CK_ERR_PARSE,
			 "at byte 4: unterminated string (opened at byte 0)");
	expect_parse_err("\"abc\\\"", CK_ERR_PARSE,
			 "at byte 6: unterminated string (opened at byte 0)");
	/* Raw control characters must be escaped. */
	expect_parse_err("\"a\nb\"", CK_ERR_PARSE,
			 "at byte 2: control character 0x0a in a string must be escaped");
	expect_parse_err("\"\t\"", CK_ERR_PARSE,
			 "at byte 1: control character 0x09 in a string must be escaped");
	expect_parse_err("\"0123456789abcdef\x1f\"", CK_ERR_PARSE,
			 "at byte 17: control character 0x1f in a string must be escaped");
	expect_parse_err("\"\x01\"", CK_ERR_PARSE, NULL);
	{
		struct ck_json_value v;
		struct ck_err err;
		assert_int_equal(parse_n("\"a\0b\"", 5, &v, &err),
				 CK_ERR_PARSE);
		assert_string_equal(err.msg,
				    "at byte 2: control character 0x00 in a string must be escaped");
	}
	/* Keys follow the same rules. */
	expect_scan_err("{\"a\tb\":1}", CK_ERR_PARSE,
			"at byte 3: control character 0x09 in a string must be escaped");
	expect_scan_err("{\"k\\u00e\":1}", CK_ERR_PARSE,
			"at byte 8: expected four hex digits after '\\u', got '\"'");
}

static void test_decode_limit(void **state)
{
	struct ck_buf buf;
	struct ck_err err;

	(void)state;
	ck_buf_init(&buf, 4);
	assert_int_equal(decode("\"abcde\"", &buf, &err), CK_ERR_LIMIT);
	assert_int_equal(buf.len, 0);
	assert_int_equal(decode("\"ab\\ncd\"", &buf, &err), CK_ERR_LIMIT);
	assert_int_equal(buf.len, 0);
	/* An escaped string that shrinks to fit is accepted exactly. */
	assert_int_equal(decode("\"\\u20ac\\n\"", &buf, &err), CK_OK);
	assert_int_equal(buf.len, 4);
	assert_memory_equal(buf.data, "\xe2\x82\xac\n", 4);
	assert_int_equal(decode("\"x\"", &buf, &err), CK_ERR_LIMIT);
	assert_int_equal(buf.len, 4);
	ck_buf_free(&buf);
}

/* ---- number grammar ----------------------------------------------------- */

static void test_number_grammar(void **state)
{
	static const char *const good[] = {
		"0", "-0", "0.0", "-0.0", "1e5", "1E+5", "1e-5", "0e0",
		"-1.25e-10", "10", "1234567890", "0.5", "1E05",
		"123456789012345678901234567890", "1e999999999999",
	};
	static const struct {
		const char *s;
		const char *msg;
	} bad[] = {
		{ "01", "at byte 0: leading zero in a number" },
		{ "-01", "at byte 1: leading zero in a number" },
		{ "00", "at byte 0: leading zero in a number" },
		{ "1.", "at byte 2: expected a digit after the decimal point, got end of input" },
		{ "1.e5", "at byte 2: expected a digit after the decimal point, got 'e'" },
		{ ".5", "at byte 0: expected a value, got '.'" },
		{ "-", "at byte 1: expected a digit after '-', got end of input" },
		{ "-a", "at byte 1: expected a digit after '-', got 'a'" },
		{ "--1", "at byte 1: expected a digit after '-', got '-'" },
		{ "1e", "at byte 2: expected a digit in the exponent, got end of input" },
		{ "1e+", "at byte 3: expected a digit in the exponent, got end of input" },
		{ "1E-x", "at byte 3: expected a digit in the exponent, got 'x'" },
		{ "+1", "at byte 0: expected a value, got '+'" },
		{ "NaN", "at byte 0: expected a value, got 'N'" },
		{ "Infinity", "at byte 0: expected a value, got 'I'" },
		{ "-Infinity", "at byte 1: expected a digit after '-', got 'I'" },
		{ "0x10", "at byte 1: expected end of input after the value, got 'x'" },
		{ "1.5.3", "at byte 3: expected end of input after the value, got '.'" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		expect_parse_ok(good[i], CK_JSON_NUMBER);
		snprintf(buf, sizeof(buf), "[%s,%s]", good[i], good[i]);
		expect_parse_ok(buf, CK_JSON_ARRAY);
		snprintf(buf, sizeof(buf), "{\"n\":%s}", good[i]);
		expect_scan_err(buf, CK_OK, NULL);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_parse_err(bad[i].s, CK_ERR_PARSE, bad[i].msg);
		snprintf(buf, sizeof(buf), "{\"n\":%s}", bad[i].s);
		expect_scan_err(buf, CK_ERR_PARSE, NULL);
	}
}

/* ---- integer conversions ------------------------------------------------ */

static void expect_i64(const char *s, int64_t want)
{
	struct ck_err err;
	int64_t v = 0;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_i64(p, strlen(s), &v, &err);

	free(p);
	if (rc)
		fail_msg("'%s': %s", s, err.msg);
	assert_int_equal(v, want);
}

static void expect_i64_err(const char *s, const char *msg)
{
	struct ck_err err;
	int64_t v = 7;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_i64(p, strlen(s), &v, &err);

	free(p);
	if (rc != CK_ERR_CONVERT)
		fail_msg("'%s': rc %d, value %lld", s, rc, (long long)v);
	assert_int_equal(v, 7);
	assert_string_equal(err.msg, msg);
}

static void expect_u64(const char *s, uint64_t want)
{
	struct ck_err err;
	uint64_t v = 0;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_u64(p, strlen(s), &v, &err);

	free(p);
	if (rc)
		fail_msg("'%s': %s", s, err.msg);
	assert_true(v == want);
}

static void expect_u64_err(const char *s, const char *msg)
{
	struct ck_err err;
	uint64_t v = 7;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_u64(p, strlen(s), &v, &err);

	free(p);
	if (rc != CK_ERR_CONVERT)
		fail_msg("'%s': rc %d", s, rc);
	assert_true(v == 7);
	assert_string_equal(err.msg, msg);
}

static void test_text_i64(void **state)
{
	(void)state;
	expect_i64("0", 0);
	expect_i64("-0", 0);
	expect_i64("42", 42);
	expect_i64("-42", -42);
	expect_i64("9223372036854775807", INT64_MAX);
	expect_i64("-9223372036854775808", INT64_MIN);
	expect_i64("1.0", 1);
	expect_i64("1.50e1", 15);
	expect_i64("12.50e1", 125);
	expect_i64("0.0e0", 0);
	expect_i64("-0.0", 0);
	expect_i64("1e3", 1000);
	expect_i64("1E+3", 1000);
	expect_i64("120e-1", 12);
	expect_i64("0.00012e5", 12);
	expect_i64("1e18", 1000000000000000000);
	expect_i64("100000000000000000000e-2", 1000000000000000000);
	expect_i64("9.223372036854775807e18", INT64_MAX);
	expect_i64("-9.223372036854775808e18", INT64_MIN);
	expect_i64("-92233720368547758080e-1", INT64_MIN);
	expect_i64("1.000000000000000000000000000000000000000", 1);
	expect_i64("0e999999999999", 0);
	expect_i64("0.000e-999999999999999999999999", 0);
}

static void test_text_i64_errors(void **state)
{
	(void)state;
	expect_i64_err("9223372036854775808",
		       "\"9223372036854775808\" is out of range for Int64");
	expect_i64_err("-9223372036854775809",
		       "\"-9223372036854775809\" is out of range for Int64");
	expect_i64_err("18446744073709551616",
		       "\"18446744073709551616\" is out of range for Int64");
	expect_i64_err("1e19", "\"1e19\" is out of range for Int64");
	expect_i64_err("1e30", "\"1e30\" is out of range for Int64");
	expect_i64_err("-1e30", "\"-1e30\" is out of range for Int64");
	expect_i64_err("1.5", "\"1.5\" is not an integer");
	expect_i64_err("1e-1", "\"1e-1\" is not an integer");
	expect_i64_err("-0.5", "\"-0.5\" is not an integer");
	expect_i64_err("12e-1", "\"12e-1\" is not an integer");
	expect_i64_err("1.0000000000000000000000001",
		       "\"1.0000000000000000000000001\" is not an integer");
	expect_i64_err("1e999999999999",
		       "\"1e999999999999\" is out of range for Int64");
	expect_i64_err("1e99999999999999999999999999999",
		       "\"1e99999999999999999999999999999\" is out of range for Int64");
	expect_i64_err("1e-999999999999",
		       "\"1e-999999999999\" is not an integer");
	expect_i64_err("", "\"\" is not a number");
	expect_i64_err("abc", "\"abc\" is not a number");
	expect_i64_err(" 1", "\" 1\" is not a number");
	expect_i64_err("1 ", "\"1 \" is not a number");
	expect_i64_err("+1", "\"+1\" is not a number");
	expect_i64_err("01", "\"01\" is not a number");
	expect_i64_err("-", "\"-\" is not a number");
	expect_i64_err("1.", "\"1.\" is not a number");
	expect_i64_err(".5", "\".5\" is not a number");
	expect_i64_err("1e", "\"1e\" is not a number");
	expect_i64_err("0x10", "\"0x10\" is not a number");
	expect_i64_err("true", "\"true\" is not a number");
}

static void test_text_u64(void **state)
{
	(void)state;
	expect_u64("0", 0);
	expect_u64("-0", 0);
	expect_u64("-0.0e5", 0);
	expect_u64("18446744073709551615", UINT64_MAX);
	expect_u64("1.8446744073709551615e19", UINT64_MAX);
	expect_u64("9223372036854775808", (uint64_t)INT64_MAX + 1);
	expect_u64("1e19", UINT64_C(10000000000000000000));
	expect_u64("12345678901234567890", UINT64_C(12345678901234567890));
	expect_u64_err("18446744073709551616",
		       "\"18446744073709551616\" is out of range for UInt64");
	expect_u64_err("18446744073709551615.5",
		       "\"18446744073709551615.5\" is not an integer");
	expect_u64_err("99999999999999999999",
		       "\"99999999999999999999\" is out of range for UInt64");
	expect_u64_err("1e20", "\"1e20\" is out of range for UInt64");
	expect_u64_err("-1", "\"-1\" is out of range for UInt64");
	expect_u64_err("-1e-999999999999",
		       "\"-1e-999999999999\" is not an integer");
	expect_u64_err("x", "\"x\" is not a number");
}

static void test_text_messages(void **state)
{
	(void)state;
	/* Long text is cut at 40 bytes; odd bytes are escaped. */
	expect_i64_err("1234567890123456789012345678901234567890123.5",
		       "\"1234567890123456789012345678901234567890\"... is out of range for Int64");
	expect_i64_err("a\"b\\c\n\xff",
		       "\"a\\\"b\\\\c\\x0a\\xff\" is not a number");
	{
		struct ck_err err;
		int64_t v;
		assert_int_equal(ck_json_text_i64("1\0", 2, &v, &err),
				 CK_ERR_CONVERT);
		assert_string_equal(err.msg, "\"1\\x00\" is not a number");
		/* err may be NULL. */
		assert_int_equal(ck_json_text_i64("x", 1, &v, NULL),
				 CK_ERR_CONVERT);
	}
}

/* ---- double conversions ------------------------------------------------- */

static double to_double(const char *s, bool special)
{
	struct ck_err err;
	double d = 0;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_double(p, strlen(s), special, &d, &err);

	free(p);
	if (rc)
		fail_msg("'%s': %s", s, err.msg);
	return d;
}

static void expect_double_err(const char *s, bool special, const char *msg)
{
	struct ck_err err;
	double d = 7;
	char *p = exact_copy(s, strlen(s));
	int rc = ck_json_text_double(p, strlen(s), special, &d, &err);

	free(p);
	if (rc != CK_ERR_CONVERT)
		fail_msg("'%s': rc %d, value %g", s, rc, d);
	assert_true(d == 7);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static void assert_same_double(double got, double want)
{
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("got %.17g, want %.17g", got, want);
}

static void test_text_double(void **state)
{
	(void)state;
	assert_same_double(to_double("0", false), 0.0);
	assert_same_double(to_double("-0", false), -0.0);
	assert_same_double(to_double("-0.0e10", false), -0.0);
	assert_same_double(to_double("1.5", false), 1.5);
	assert_same_double(to_double("1e5", false), 1e5);
	assert_same_double(to_double("1E+5", false), 1e5);
	assert_same_double(to_double("0.1", false), 0.1);
	assert_same_double(to_double("-12.50e0", false), -12.5);
	assert_same_double(to_double("3.141592653589793", false),
			   3.141592653589793);
	assert_same_double(to_double("9007199254740993", false),
			   9007199254740992.0);
	assert_same_double(to_double("123456789012345678901234567890", false),
			   123456789012345678901234567890.0);
	assert_same_double(to_double("1e308", false), 1e308);
	assert_same_double(to_double("1.7976931348623157e308", false),
			   1.7976931348623157e308);
	assert_same_double(to_double("2.2250738585072014e-308", false),
			   2.2250738585072014e-308);
	assert_same_double(to_double("4.9e-324", false), 4.9e-324);
	/* Underflow rounds to the nearest double, which may be zero. */
	assert_same_double(to_double("1e-400", false), 0.0);
	assert_same_double(to_double("-1e-999999999999", false), -0.0);
	assert_same_double(to_double("0e999999999999", false), 0.0);

	expect_double_err("1e999", false, "\"1e999\" is out of range for Float64");
	expect_double_err("-1e309", false, "\"-1e309\" is out of range for Float64");
	expect_double_err("1e999999999999", true,
			  "\"1e999999999999\" is out of range for Float64");
	expect_double_err("1.8e308", false, NULL);
	expect_double_err("", false, "\"\" is not a number");
	expect_double_err(".5", false, "\".5\" is not a number");
	expect_double_err("1.", false, NULL);
	expect_double_err("+1", false, NULL);
	expect_double_err("01", false, NULL);
	expect_double_err(" 1", false, NULL);
	expect_double_err("1 ", false, NULL);
	expect_double_err("0x1p3", false, NULL);
	expect_double_err("1,5", false, NULL);
}

static void test_text_double_long(void **state)
{
	char buf[1100];
	struct ck_err err;
	double d;

	(void)state;
	/* 1024 bytes is the longest number copied for strtod. */
	buf[0] = '0';
	buf[1] = '.';
	memset(buf + 2, '1', sizeof(buf) - 2);
	assert_int_equal(ck_json_text_double(buf, 1024, false, &d, &err),
			 CK_OK);
	assert_same_double(d, 1.0 / 9.0);
	assert_int_equal(ck_json_text_double(buf, 1025, false, &d, &err),
			 CK_ERR_CONVERT);
	assert_non_null(strstr(err.msg, "\"... is too long for a Float64"));
	assert_int_equal(ck_json_text_double(buf, sizeof(buf), false, &d, &err),
			 CK_ERR_CONVERT);
}

static void test_text_double_special(void **state)
{
	static const char *const infs[] = {
		"inf", "INF", "Inf", "+inf", "infinity", "Infinity",
		"+INFINITY", "+Infinity",
	};
	static const char *const bad[] = {
		"nan1", "-nan1", "infinit", "infinityy", "in", "n",
		"+", "-", "nann", "-in", " inf", "inf ", "NaN(1)",
	};

	(void)state;
	assert_true(isnan(to_double("nan", true)));
	assert_true(isnan(to_double("NaN", true)));
	assert_true(isnan(to_double("NAN", true)));
	/*
	 * Regression: docs/types.md promises an optional sign for every
	 * special spelling, and "-nan" is how C and ClickHouse print a NaN
	 * with its sign bit set.
	 */
	assert_true(isnan(to_double("-nan", true)));
	assert_true(signbit(to_double("-nan", true)));
	assert_true(isnan(to_double("+NaN", true)));
	assert_false(signbit(to_double("+nan", true)));
	for (size_t i = 0; i < sizeof(infs) / sizeof(infs[0]); i++) {
		char neg[16];
		double d = to_double(infs[i], true);
		assert_true(isinf(d) && d > 0);
		snprintf(neg, sizeof(neg), "-%s", infs[i][0] == '+' ?
			 infs[i] + 1 : infs[i]);
		d = to_double(neg, true);
		assert_true(isinf(d) && d < 0);
		expect_double_err(infs[i], false, NULL);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_double_err(bad[i], true, NULL);
	expect_double_err("nan", false, "\"nan\" is not a number");
	/* Numbers still work with specials allowed. */
	assert_same_double(to_double("-2.5", true), -2.5);
}

/*
 * The exact fast path must agree with strtod bit for bit. Draws numbers
 * around its edges: up to 19 digits, powers of ten up to ±25.
 */
static void test_text_double_matches_strtod(void **state)
{
	uint64_t x = UINT64_C(88172645463325252);
	char buf[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t o = 0;
		int ndig, point, e;
		double want;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x & 1)
			buf[o++] = '-';
		ndig = 1 + (int)(x >> 8 & 0x1f) % 21;
		point = (int)(x >> 16 & 0x1f) % (ndig + 1);
		for (int d = 0; d < ndig; d++) {
			uint64_t r = (x >> (20 + 2 * (d % 20))) ^
				     (uint64_t)d * 7u;
			if (d == point && d > 0)
				buf[o++] = '.';
			buf[o++] = (char)('0' + (d == 0 ? 1 + r % 9 : r % 10));
		}
		e = (int)(x >> 50 & 0x3f) - 32;
		if (x & 2)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "e%d", e);
		buf[o] = '\0';
		want = strtod(buf, NULL);
		assert_same_double(to_double(buf, false), want);
	}
}

static void test_kind_name(void **state)
{
	(void)state;
	assert_string_equal(ck_json_kind_name(CK_JSON_NULL), "null");
	assert_string_equal(ck_json_kind_name(CK_JSON_TRUE), "boolean");
	assert_string_equal(ck_json_kind_name(CK_JSON_FALSE), "boolean");
	assert_string_equal(ck_json_kind_name(CK_JSON_NUMBER), "number");
	assert_string_equal(ck_json_kind_name(CK_JSON_STRING), "string");
	assert_string_equal(ck_json_kind_name(CK_JSON_ARRAY), "array");
	assert_string_equal(ck_json_kind_name(CK_JSON_OBJECT), "object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_kinds),
		cmocka_unit_test(test_parse_whitespace),
		cmocka_unit_test(test_parse_trailing_garbage),
		cmocka_unit_test(test_parse_structure_errors),
		cmocka_unit_test(test_object_iteration),
		cmocka_unit_test(test_object_iteration_values),
		cmocka_unit_test(test_object_begin_errors),
		cmocka_unit_test(test_nested_iteration),
		cmocka_unit_test(test_nested_errors_through_iterator),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_iteration_after_parse_never_fails),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_long_runs),
		cmocka_unit_test(test_lone_surrogates),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_decode_limit),
		cmocka_unit_test(test_number_grammar),
		cmocka_unit_test(test_text_i64),
		cmocka_unit_test(test_text_i64_errors),
		cmocka_unit_test(test_text_u64),
		cmocka_unit_test(test_text_messages),
		cmocka_unit_test(test_text_double),
		cmocka_unit_test(test_text_double_long),
		cmocka_unit_test(test_text_double_special),
		cmocka_unit_test(test_text_double_matches_strtod),
		cmocka_unit_test(test_kind_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
