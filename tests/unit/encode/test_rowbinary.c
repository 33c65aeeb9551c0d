/*
 * test_rowbinary.c — unit tests for JSON value → RowBinary
 * (src/encode/rowbinary.c): exact bytes for every supported type, its
 * boundaries, and each error with its message.
 *
 * Each JSON input is copied into an exact-size heap buffer, so under ASan
 * reading one byte past a value fails the test. Output is appended after a
 * marker byte, so a test also proves the encoder appends and, on error,
 * restores the buffer's length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/json.h"
#include "encode/rowbinary.h"
#include "map/type.h"

#define MARK 0xAA

/* Column options applied to every type encode() parses (reset per test). */
static enum ck_epoch_unit opt_unit;
static bool opt_base64;

static void apply_opts(struct ck_type *t)
{
	t->unit = opt_unit;
	t->base64 = opt_base64;
	for (size_t i = 0; i < t->nchild; i++)
		apply_opts(t->child[i]);
}

static struct ck_type *type_of(const char *text)
{
	struct ck_type *t;
	struct ck_err err;

	if (ck_type_parse(text, &t, &err))
		fail_msg("type '%s': %s", text, err.msg);
	return t;
}

static char *hex(const uint8_t *p, size_t n)
{
	char *s = malloc(n * 3 + 1);

	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(s + i * 3, 4, "%02x ", p[i]);
	return s;
}

/*
 * Encodes json as type after a marker byte into a buffer of at most max
 * bytes. Returns rc; *got (heap) holds the bytes after the marker.
 */
static int encode(const char *type, const char *json, size_t len, size_t max,
		  uint8_t **got, size_t *got_len, uint64_t *nulls,
		  struct ck_err *err)
{
	struct ck_type *t = type_of(type);
	struct ck_json_value v;
	struct ck_buf buf;
	char *copy = malloc(len ? len : 1);
	int rc;

	apply_opts(t);
	assert_non_null(copy);
	memcpy(copy, json, len);
	if (ck_json_parse(copy, len, &v, err))
		fail_msg("json '%s': %s", json, err->msg);
	ck_buf_init(&buf, max);
	assert_int_equal(ck_buf_put_u8(&buf, MARK, NULL), CK_OK);
	ck_err_clear(err);
	rc = ck_rowbinary_encode(t, &v, &buf, nulls, err);
	assert_int_equal(buf.data[0], MARK);
	if (rc)
		assert_int_equal(buf.len, 1);
	*got_len = buf.len - 1;
	*got = malloc(*got_len + 1);
	assert_non_null(*got);
	memcpy(*got, buf.data + 1, *got_len);
	ck_buf_free(&buf);
	free(copy);
	ck_type_destroy(t);
	return rc;
}

static void expect_bytes(const char *type, const char *json,
			 const uint8_t *want, size_t want_len)
{
	struct ck_err err;
	uint8_t *got;
	size_t got_len;
	int rc = encode(type, json, strlen(json), 1 << 20, &got, &got_len,
			NULL, &err);

	if (rc)
		fail_msg("%s <- %s: %s", type, json, err.msg);
	if (got_len != want_len || memcmp(got, want, want_len)) {
		char *g = hex(got, got_len), *w = hex(want, want_len);
		fail_msg("%s <- %s: got [%s] want [%s]", type, json, g, w);
	}
	free(got);
}

#define EXPECT(type, json, ...)                                               \
	do {                                                                  \
		static const uint8_t want_[] = { __VA_ARGS__ };              \
		expect_bytes(type, json, want_, sizeof(want_));               \
	} while (0)

static void expect_err(const char *type, const char *json, int code,
		       const char *msg)
{
	struct ck_err err;
	uint8_t *got;
	size_t got_len;
	int rc = encode(type, json, strlen(json), 1 << 20, &got, &got_len,
			NULL, &err);

	if (rc != code)
		fail_msg("%s <- %s: rc %d (%s), want %d", type, json, rc,
			 err.msg, code);
	assert_int_equal(err.code, code);
	assert_int_equal(got_len, 0);
	if (msg)
		assert_string_equal(err.msg, msg);
	free(got);
}

#define CONVERT(type, json, msg) expect_err(type, json, CK_ERR_CONVERT, msg)

static void test_int8(void **state)
{
	(void)state;
	EXPECT("Int8", "0", 0x00);
	EXPECT("Int8", "127", 0x7f);
	EXPECT("Int8", "-128", 0x80);
	EXPECT("Int8", "-1", 0xff);
	EXPECT("Int8", "\"42\"", 0x2a);
	EXPECT("Int8", "\"-7\"", 0xf9);
	EXPECT("Int8", "1e2", 0x64);
	EXPECT("Int8", "1.0", 0x01);
	EXPECT("Int8", "12.50e1", 0x7d);
	EXPECT("Int8", "-0", 0x00);
	EXPECT("Int8", "true", 0x01);
	EXPECT("Int8", "false", 0x00);
	EXPECT("Int8", "\"\\u0031\\u0032\"", 0x0c);
	CONVERT("Int8", "128", "128 is out of range for Int8");
	CONVERT("Int8", "-129", "-129 is out of range for Int8");
	CONVERT("Int8", "\"200\"", "\"200\" is out of range for Int8");
	CONVERT("Int8", "1.5", "1.5 is not an integer");
	CONVERT("Int8", "1e-1", "1e-1 is not an integer");
	CONVERT("Int8", "\"abc\"", "\"abc\" is not an integer");
	CONVERT("Int8", "\"\"", "\"\" is not an integer");
	CONVERT("Int8", "\" 1\"", "\" 1\" is not an integer");
	CONVERT("Int8", "\"+1\"", "\"+1\" is not an integer");
	CONVERT("Int8", "\"01\"", "\"01\" is not an integer");
	CONVERT("Int8", "{\"a\":1}", "expected an integer, got an object");
	CONVERT("Int8", "[1]", "expected an integer, got an array");
}

static void test_int16_32_64(void **state)
{
	(void)state;
	EXPECT("Int16", "32767", 0xff, 0x7f);
	EXPECT("Int16", "-32768", 0x00, 0x80);
	EXPECT("Int16", "258", 0x02, 0x01);
	CONVERT("Int16", "32768", "32768 is out of range for Int16");
	CONVERT("Int16", "-32769", "-32769 is out of range for Int16");
	CONVERT("Int16", "true", "expected an integer, got true");
	CONVERT("Int16", "false", "expected an integer, got false");

	EXPECT("Int32", "2147483647", 0xff, 0xff, 0xff, 0x7f);
	EXPECT("Int32", "-2147483648", 0x00, 0x00, 0x00, 0x80);
	EXPECT("Int32", "16909060", 0x04, 0x03, 0x02, 0x01);
	CONVERT("Int32", "2147483648", "2147483648 is out of range for Int32");
	CONVERT("Int32", "-2147483649",
		"-2147483649 is out of range for Int32");

	EXPECT("Int64", "9223372036854775807", 0xff, 0xff, 0xff, 0xff, 0xff,
	       0xff, 0xff, 0x7f);
	EXPECT("Int64", "-9223372036854775808", 0x00, 0x00, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x80);
	EXPECT("Int64", "\"-1\"", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	       0xff);
	EXPECT("Int64", "1e18", 0x00, 0x00, 0x64, 0xa7, 0xb3, 0xb6, 0xe0,
	       0x0d);
	CONVERT("Int64", "9223372036854775808",
		"9223372036854775808 is out of range for Int64");
	CONVERT("Int64", "-9223372036854775809",
		"-9223372036854775809 is out of range for Int64");
	CONVERT("Int64", "1e19", "1e19 is out of range for Int64");
	CONVERT("Int64", "1e999999999999",
		"1e999999999999 is out of range for Int64");
	CONVERT("Int64", "12345678901234567890.5",
		"12345678901234567890.5 is not an integer");
}

static void test_unsigned(void **state)
{
	(void)state;
	EXPECT("UInt8", "0", 0x00);
	EXPECT("UInt8", "255", 0xff);
	EXPECT("UInt8", "\"7\"", 0x07);
	EXPECT("UInt8", "true", 0x01);
	EXPECT("UInt8", "false", 0x00);
	EXPECT("UInt8", "-0", 0x00);
	CONVERT("UInt8", "256", "256 is out of range for UInt8");
	CONVERT("UInt8", "300", "300 is out of range for UInt8");
	CONVERT("UInt8", "-1", "-1 is out of range for UInt8");
	CONVERT("UInt8", "0.5", "0.5 is not an integer");
	CONVERT("UInt8", "\"x\"", "\"x\" is not an integer");
	CONVERT("UInt8", "{}", "expected an integer, got an object");

	EXPECT("UInt16", "65535", 0xff, 0xff);
	CONVERT("UInt16", "65536", "65536 is out of range for UInt16");
	CONVERT("UInt16", "true", "expected an integer, got true");

	EXPECT("UInt32", "4294967295", 0xff, 0xff, 0xff, 0xff);
	EXPECT("UInt32", "\"4e9\"", 0x00, 0x28, 0x6b, 0xee);
	CONVERT("UInt32", "4294967296", "4294967296 is out of range for UInt32");

	EXPECT("UInt64", "18446744073709551615", 0xff, 0xff, 0xff, 0xff, 0xff,
	       0xff, 0xff, 0xff);
	EXPECT("UInt64", "9223372036854775808", 0x00, 0x00, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x80);
	CONVERT("UInt64", "18446744073709551616",
		"18446744073709551616 is out of range for UInt64");
	CONVERT("UInt64", "-1", "-1 is out of range for UInt64");
	CONVERT("UInt64", "[]", "expected an integer, got an array");
}

static void test_bool(void **state)
{
	(void)state;
	EXPECT("Bool", "true", 0x01);
	EXPECT("Bool", "false", 0x00);
	EXPECT("Bool", "1", 0x01);
	EXPECT("Bool", "0", 0x00);
	EXPECT("Bool", "1.0", 0x01);
	EXPECT("Bool", "\"TRUE\"", 0x01);
	EXPECT("Bool", "\"False\"", 0x00);
	EXPECT("Bool", "\"1\"", 0x01);
	EXPECT("Bool", "\"0\"", 0x00);
	CONVERT("Bool", "2", "2 is not a boolean");
	CONVERT("Bool", "-1", "-1 is not a boolean");
	CONVERT("Bool", "0.5", "0.5 is not a boolean");
	CONVERT("Bool", "\"yes\"", "\"yes\" is not a boolean");
	CONVERT("Bool", "{}", "expected a boolean, got an object");
	CONVERT("Bool", "[true]", "expected a boolean, got an array");
}

static void test_float32(void **state)
{
	(void)state;
	EXPECT("Float32", "1.5", 0x00, 0x00, 0xc0, 0x3f);
	EXPECT("Float32", "-2", 0x00, 0x00, 0x00, 0xc0);
	EXPECT("Float32", "0.1", 0xcd, 0xcc, 0xcc, 0x3d);
	EXPECT("Float32", "0", 0x00, 0x00, 0x00, 0x00);
	EXPECT("Float32", "-0.0", 0x00, 0x00, 0x00, 0x80);
	EXPECT("Float32", "3.4028234663852886e38", 0xff, 0xff, 0x7f, 0x7f);
	/*
	 * Regression: values that round to FLT_MAX (how ClickHouse prints
	 * it) were refused as out of range; only those that round to
	 * infinity are.
	 */
	EXPECT("Float32", "3.4028235e38", 0xff, 0xff, 0x7f, 0x7f);
	EXPECT("Float32", "-3.40282356e38", 0xff, 0xff, 0x7f, 0xff);
	CONVERT("Float32", "3.4028236e38",
		"3.4028236e38 is out of range for Float32");
	EXPECT("Float32", "1e-50", 0x00, 0x00, 0x00, 0x00);
	EXPECT("Float32", "\"2.5\"", 0x00, 0x00, 0x20, 0x40);
	EXPECT("Float32", "\"NaN\"", 0x00, 0x00, 0xc0, 0x7f);
	EXPECT("Float32", "\"-inf\"", 0x00, 0x00, 0x80, 0xff);
	EXPECT("Float32", "\"+Infinity\"", 0x00, 0x00, 0x80, 0x7f);
	CONVERT("Float32", "1e39", "1e39 is out of range for Float32");
	CONVERT("Float32", "-1e39", "-1e39 is out of range for Float32");
	CONVERT("Float32", "\"abc\"", "\"abc\" is not a number");
	CONVERT("Float32", "true", "expected a number, got true");
	CONVERT("Float32", "{}", "expected a number, got an object");
}

static void test_float64(void **state)
{
	(void)state;
	EXPECT("Float64", "1.5", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8,
	       0x3f);
	EXPECT("Float64", "0.1", 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9,
	       0x3f);
	EXPECT("Float64", "-0.0", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0x80);
	EXPECT("Float64", "1e300", 0x9c, 0x75, 0x00, 0x88, 0x3c, 0xe4, 0x37,
	       0x7e);
	EXPECT("Float64", "\"1.25\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0xf4, 0x3f);
	EXPECT("Float64", "\"nan\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8,
	       0x7f);
	EXPECT("Float64", "\"-Infinity\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0xf0, 0xff);
	EXPECT("Float64", "12345678901234567890", 0xe1, 0x63, 0x9d, 0x31,
	       0x95, 0x6a, 0xe5, 0x43);
	CONVERT("Float64", "1e400", "1e400 is out of range for Float64");
	CONVERT("Float64", "\"1e400\"", "\"1e400\" is out of range for Float64");
	CONVERT("Float64", "\"1,5\"", "\"1,5\" is not a number");
	CONVERT("Float64", "\"\"", "\"\" is not a number");
	CONVERT("Float64", "false", "expected a number, got false");
	CONVERT("Float64", "[1.5]", "expected a number, got an array");
}

static void test_string(void **state)
{
	(void)state;
	EXPECT("String", "\"abc\"", 0x03, 'a', 'b', 'c');
	EXPECT("String", "\"\"", 0x00);
	EXPECT("String", "\"a\\nb\"", 0x03, 'a', '\n', 'b');
	EXPECT("String", "\"\\\"\\\\\\/\"", 0x03, '"', '\\', '/');
	EXPECT("String", "\"\\u00e9\"", 0x02, 0xc3, 0xa9);
	EXPECT("String", "\"\\ud83d\\ude00\"", 0x04, 0xf0, 0x9f, 0x98, 0x80);
	EXPECT("String", "\"\xc3\xa9\"", 0x02, 0xc3, 0xa9);
	/* Numbers and booleans: their JSON text as written. */
	EXPECT("String", "42", 0x02, '4', '2');
	EXPECT("String", "1.50", 0x04, '1', '.', '5', '0');
	EXPECT("String", "-1e3", 0x04, '-', '1', 'e', '3');
	EXPECT("String", "true", 0x04, 't', 'r', 'u', 'e');
	EXPECT("String", "false", 0x05, 'f', 'a', 'l', 's', 'e');
	/* Objects and arrays: compact JSON, escapes kept as they are. */
	EXPECT("String", "{ \"a\" : [1, 2] ,\n\t\"b\":\"x y\" }", 21, '{', '"',
	       'a', '"', ':', '[', '1', ',', '2', ']', ',', '"', 'b', '"', ':',
	       '"', 'x', ' ', 'y', '"', '}');
	EXPECT("String", "[ 1 , \"a\\\" b\" ]", 11, '[', '1', ',', '"', 'a',
	       '\\', '"', ' ', 'b', '"', ']');
	EXPECT("String", "[]", 0x02, '[', ']');
	EXPECT("String", "{}", 0x02, '{', '}');
	expect_err("String", "\"\\ud800\"", CK_ERR_PARSE, NULL);
}

/* Long texts, where the varint prefix is 2 bytes or shrinks. */
static void test_string_lengths(void **state)
{
	char json[1024];
	uint8_t want[1024];
	size_t n;

	(void)state;
	/* 200 plain bytes: 0xc8 0x01 prefix. */
	json[0] = '"';
	memset(json + 1, 'x', 200);
	json[201] = '"';
	json[202] = '\0';
	want[0] = 0xc8;
	want[1] = 0x01;
	memset(want + 2, 'x', 200);
	expect_bytes("String", json, want, 202);

	/* 30 escapes: 180 raw bytes (2-byte bound), 30 decoded (1 byte). */
	n = 0;
	json[n++] = '"';
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "\\u0041");
	json[n++] = '"';
	json[n] = '\0';
	want[0] = 30;
	memset(want + 1, 'A', 30);
	expect_bytes("String", json, want, 31);

	/* 130 escapes decode to 130 bytes: the 2-byte bound is right. */
	n = 0;
	json[n++] = '"';
	for (int i = 0; i < 130; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "\\t");
	json[n++] = '"';
	json[n] = '\0';
	want[0] = 0x82;
	want[1] = 0x01;
	memset(want + 2, '\t', 130);
	expect_bytes("String", json, want, 132);

	/* An object with 300 bytes of whitespace compacts to "{}". */
	json[0] = '{';
	memset(json + 1, ' ', 300);
	json[301] = '}';
	json[302] = '\0';
	expect_bytes("String", json, (const uint8_t *)"\x02{}", 3);
}

static void test_fixed_string(void **state)
{
	(void)state;
	EXPECT("FixedString(4)", "\"ab\"", 'a', 'b', 0x00, 0x00);
	EXPECT("FixedString(4)", "\"abcd\"", 'a', 'b', 'c', 'd');
	EXPECT("FixedString(4)", "\"\"", 0x00, 0x00, 0x00, 0x00);
	EXPECT("FixedString(4)", "\"\\u00e9\"", 0xc3, 0xa9, 0x00, 0x00);
	EXPECT("FixedString(4)", "12", '1', '2', 0x00, 0x00);
	EXPECT("FixedString(4)", "[ 1 ]", '[', '1', ']', 0x00);
	EXPECT("FixedString(1)", "\"z\"", 'z');
	CONVERT("FixedString(4)", "\"abcde\"",
		"\"abcde\" is 5 bytes, longer than FixedString(4)");
	CONVERT("FixedString(2)", "\"\\u00e9\\u00e9\"",
		"\"\\u00e9\\u00e9\" is 4 bytes, longer than FixedString(2)");
	EXPECT("FixedString(4)", "true", 't', 'r', 'u', 'e');
	CONVERT("FixedString(3)", "12345",
		"12345 is 5 bytes, longer than FixedString(3)");
}

static void test_date(void **state)
{
	(void)state;
	EXPECT("Date", "0", 0x00, 0x00);
	EXPECT("Date", "65535", 0xff, 0xff);
	EXPECT("Date", "\"19000\"", 0x38, 0x4a);
	EXPECT("Date", "\"1970-01-01\"", 0x00, 0x00);
	EXPECT("Date", "\"1970-01-02\"", 0x01, 0x00);
	EXPECT("Date", "\"2000-03-01\"", 0x09, 0x2b);
	EXPECT("Date", "\"2024-02-29\"", 0x46, 0x4d);
	EXPECT("Date", "\"2149-06-06\"", 0xff, 0xff);
	/*
	 * Timestamps: the UTC date of the instant, as for DateTime
	 * (regression: the date as written disagreed with DateTime).
	 */
	EXPECT("Date", "\"2024-01-01T23:59:59-05:00\"", 0x0c, 0x4d);
	EXPECT("Date", "\"2024-03-01T01:00:00+02:00\"", 0x46, 0x4d);
	EXPECT("Date", "\"1969-12-31T23:30:00-01:00\"", 0x00, 0x00);
	EXPECT("Date", "\"2024-01-01 00:00:00.5\"", 0x0b, 0x4d);
	CONVERT("Date", "65536", "65536 is out of range for Date");
	CONVERT("Date", "-1", "-1 is out of range for Date");
	CONVERT("Date", "1.5", "1.5 is not an integer");
	CONVERT("Date", "\"2149-06-07\"",
		"\"2149-06-07\" is out of range for Date");
	CONVERT("Date", "\"1969-12-31\"",
		"\"1969-12-31\" is out of range for Date");
	CONVERT("Date", "\"2024-13-01\"",
		"\"2024-13-01\" is not a date (month 13)");
	CONVERT("Date", "\"2024-00-01\"",
		"\"2024-00-01\" is not a date (month 0)");
	CONVERT("Date", "\"2023-02-29\"",
		"\"2023-02-29\" is not a date (day 29 of 2023-02)");
	CONVERT("Date", "\"1900-02-29\"",
		"\"1900-02-29\" is not a date (day 29 of 1900-02)");
	CONVERT("Date", "\"2024-04-31\"",
		"\"2024-04-31\" is not a date (day 31 of 2024-04)");
	CONVERT("Date", "\"2024-01-00\"",
		"\"2024-01-00\" is not a date (day 0 of 2024-01)");
	CONVERT("Date", "\"2024-1-01\"",
		"\"2024-1-01\" is not a date (expected YYYY-MM-DD)");
	CONVERT("Date", "\"abc\"", "\"abc\" is not a date (expected YYYY-MM-DD)");
	CONVERT("Date", "\"\"", "\"\" is not a date (expected YYYY-MM-DD)");
	CONVERT("Date", "\"2024-01-01T25:00:00Z\"",
		"\"2024-01-01T25:00:00Z\" is not a date (hour 25)");
	CONVERT("Date", "\"2024-01-01x\"",
		"\"2024-01-01x\" is not a date (expected HH:MM:SS after the "
		"date)");
	CONVERT("Date", "true", "expected a date, got true");
	CONVERT("Date", "[]", "expected a date, got an array");
}

static void test_datetime(void **state)
{
	(void)state;
	EXPECT("DateTime", "0", 0x00, 0x00, 0x00, 0x00);
	EXPECT("DateTime", "4294967295", 0xff, 0xff, 0xff, 0xff);
	EXPECT("DateTime", "1700000000", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"1700000000\"", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "1.7e9", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-14T22:13:20Z\"", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-14 22:13:20\"", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-14t22:13:20z\"", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-14T22:13:20.999999999Z\"", 0x00, 0xf1,
	       0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-14T22:13:20.5\"", 0x00, 0xf1, 0x53, 0x65);
	EXPECT("DateTime", "\"2023-11-15T00:13:20+02:00\"", 0x00, 0xf1, 0x53,
	       0x65);
	EXPECT("DateTime", "\"2023-11-14T17:13:20-0500\"", 0x00, 0xf1, 0x53,
	       0x65);
	EXPECT("DateTime", "\"2023-11-14T22:43:20+00:30\"", 0x00, 0xf1, 0x53,
	       0x65);
	EXPECT("DateTime", "\"2023-11-14\"", 0x80, 0xb8, 0x52, 0x65);
	EXPECT("DateTime", "\"1970-01-01T00:00:00Z\"", 0x00, 0x00, 0x00, 0x00);
	EXPECT("DateTime", "\"2106-02-07T06:28:15Z\"", 0xff, 0xff, 0xff, 0xff);
	EXPECT("DateTime", "\"1970-01-01T00:00:00-01:00\"", 0x10, 0x0e, 0x00,
	       0x00);
	EXPECT("DateTime('Asia/Tokyo')", "\"2023-11-14T22:13:20\"", 0x00, 0xf1,
	       0x53, 0x65);
	CONVERT("DateTime", "4294967296",
		"4294967296 is out of range for DateTime");
	CONVERT("DateTime", "-1", "-1 is out of range for DateTime");
	/* Sub-second digits of an epoch number are truncated (floor). */
	EXPECT("DateTime", "1700000000.5", 0x00, 0xf1, 0x53, 0x65);
	CONVERT("DateTime", "\"2106-02-07T06:28:16Z\"",
		"\"2106-02-07T06:28:16Z\" is out of range for DateTime");
	CONVERT("DateTime", "\"1970-01-01T00:00:00+00:01\"",
		"\"1970-01-01T00:00:00+00:01\" is out of range for DateTime");
	CONVERT("DateTime", "\"1969-12-31\"",
		"\"1969-12-31\" is out of range for DateTime");
	CONVERT("DateTime", "\"2023-11-14T22:13\"",
		"\"2023-11-14T22:13\" is not a date-time (expected HH:MM:SS "
		"after the date)");
	CONVERT("DateTime", "\"2023-11-14T22:13:20.\"",
		"\"2023-11-14T22:13:20.\" is not a date-time (expected 1 to 9 "
		"fraction digits)");
	CONVERT("DateTime", "\"2023-11-14T22:13:20.1234567890\"",
		"\"2023-11-14T22:13:20.1234567890\" is not a date-time "
		"(expected 1 to 9 fraction digits)");
	CONVERT("DateTime", "\"2023-11-14T22:13:20+25:00\"",
		"\"2023-11-14T22:13:20+25:00\" is not a date-time (bad zone "
		"offset)");
	CONVERT("DateTime", "\"2023-11-14T22:13:20+02\"",
		"\"2023-11-14T22:13:20+02\" is not a date-time (bad zone "
		"offset)");
	CONVERT("DateTime", "\"2023-11-14T22:13:20+0a:00\"", NULL);
	CONVERT("DateTime", "\"2023-11-14T22:13:20Z junk\"",
		"\"2023-11-14T22:13:20Z junk\" is not a date-time (unexpected "
		"text after the time)");
	CONVERT("DateTime", "\"2023-11-14T22:60:00Z\"",
		"\"2023-11-14T22:60:00Z\" is not a date-time (minute 60)");
	CONVERT("DateTime", "\"2023-11-14T22:13:60Z\"",
		"\"2023-11-14T22:13:60Z\" is not a date-time (second 60)");
	CONVERT("DateTime", "\"2023-11-14T22:13:2xZ\"", NULL);
	CONVERT("DateTime", "\"2023-11-31\"",
		"\"2023-11-31\" is not a date-time (day 31 of 2023-11)");
	CONVERT("DateTime", "{}",
		"{} is not a date-time (expected {\"$date\": ...})");
	CONVERT("DateTime", "false", "expected a date-time, got false");
}

static void test_nullable(void **state)
{
	(void)state;
	EXPECT("Nullable(Int32)", "null", 0x01);
	EXPECT("Nullable(Int32)", "5", 0x00, 0x05, 0x00, 0x00, 0x00);
	EXPECT("Nullable(String)", "\"a\"", 0x00, 0x01, 'a');
	EXPECT("Nullable(String)", "null", 0x01);
	EXPECT("Nullable(DateTime)", "\"1970-01-01 00:00:01\"", 0x00, 0x01,
	       0x00, 0x00, 0x00);
	CONVERT("Nullable(Int32)", "\"x\"", "\"x\" is not an integer");
	CONVERT("Nullable(UInt8)", "{}", "expected an integer, got an object");
}

static void test_array(void **state)
{
	(void)state;
	EXPECT("Array(UInt8)", "[]", 0x00);
	EXPECT("Array(UInt8)", "[1, 2 ,3]", 0x03, 0x01, 0x02, 0x03);
	EXPECT("Array(String)", "[\"a\", \"\", 5]", 0x03, 0x01, 'a', 0x00,
	       0x01, '5');
	EXPECT("Array(Array(Int8))", "[[1],[],[2,3]]", 0x03, 0x01, 0x01, 0x00,
	       0x02, 0x02, 0x03);
	EXPECT("Array(Nullable(String))", "[\"a\", null]", 0x02, 0x00, 0x01,
	       'a', 0x01);
	EXPECT("Array(FixedString(2))", "[\"a\"]", 0x01, 'a', 0x00);
	EXPECT("Nullable(UInt8)", "7", 0x00, 0x07);
	CONVERT("Array(UInt8)", "[1, 300]",
		"element 1: 300 is out of range for UInt8");
	CONVERT("Array(Array(Int8))", "[[1],[2,300]]",
		"element 1: element 1: 300 is out of range for Int8");
	CONVERT("Array(UInt8)", "5", "expected an array, got a number");
	CONVERT("Array(UInt8)", "\"[1]\"", "expected an array, got a string");
	CONVERT("Array(UInt8)", "{}", "expected an array, got an object");
}

/* 150 elements: the count's varint is 2 bytes and the elements move. */
static void test_array_long(void **state)
{
	char json[1024];
	uint8_t want[200];
	size_t n = 0;

	(void)state;
	json[n++] = '[';
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s%d",
				      i ? "," : "", i);
	json[n++] = ']';
	json[n] = '\0';
	want[0] = 0x96;
	want[1] = 0x01;
	for (int i = 0; i < 150; i++)
		want[2 + i] = (uint8_t)i;
	expect_bytes("Array(UInt8)", json, want, 152);
}

static void test_wide_int(void **state)
{
	(void)state;
	EXPECT("Int128", "1", 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Int128", "\"1e3\"", 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Int128", "-1", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT("Int128", "170141183460469231731687303715884105727", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
	EXPECT("Int128", "-170141183460469231731687303715884105728", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80);
	CONVERT("Int128", "170141183460469231731687303715884105728",
		"170141183460469231731687303715884105728 is out of range for "
		"Int128");
	CONVERT("Int128", "1.5", "1.5 is not an integer");
	CONVERT("Int128", "true", "expected an integer, got true");
	EXPECT("UInt128", "340282366920938463463374607431768211455", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	CONVERT("UInt128", "-1", "-1 is out of range for UInt128");
	EXPECT("Int256", "-2", 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT("UInt256",
	       "115792089237316195423570985008687907853269984665640564039457584007913129639935",
	       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	CONVERT("UInt256",
		"115792089237316195423570985008687907853269984665640564039457584007913129639936",
		NULL);
	CONVERT("UInt256", "1e78", "1e78 is out of range for UInt256");
}

static void test_decimal(void **state)
{
	(void)state;
	EXPECT("Decimal(10, 2)", "1.23", 0x7b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal(10, 2)", "\"-1.5\"", 0x6a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT("Decimal(10, 2)", "1.230", 0x7b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal(10, 2)", "12e-1", 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal32(2)", "1.5", 0x96, 0x00, 0x00, 0x00);
	EXPECT("Decimal128(3)", "1e-3", 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal256(0)", "-1", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT("Decimal(4, 1)", "999.9", 0x0f, 0x27, 0x00, 0x00);
	CONVERT("Decimal(4, 1)", "1000",
		"1000 is out of range for Decimal(4, 1)");
	CONVERT("Decimal(10, 2)", "\"12.345\"",
		"\"12.345\" has more fractional digits than Decimal(10, 2) "
		"holds");
	CONVERT("Decimal(10, 2)", "\"1,5\"", "\"1,5\" is not a decimal");
	CONVERT("Decimal(10, 2)", "[1]", "expected a decimal, got an array");
	/* Debezium: big-endian two's complement unscaled bytes, base64. */
	EXPECT("Decimal(10, 2)", "{\"scale\":2,\"value\":\"AeI=\"}", 0xe2,
	       0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal(10, 3)", "{\"scale\":2,\"value\":\"AeI=\"}", 0xd4,
	       0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Decimal(10, 2)", "{\"value\":\"/h4=\",\"scale\":2}", 0x1e,
	       0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	CONVERT("Decimal(10, 1)", "{\"scale\":2,\"value\":\"AeI=\"}",
		"{\"scale\":2,\"value\":\"AeI=\"} has more fractional digits "
		"than Decimal(10, 1) holds");
	CONVERT("Decimal(10, 2)", "{\"scale\":2}",
		"{\"scale\":2} is not a decimal (expected {\"scale\": N, "
		"\"value\": \"base64\"})");
	CONVERT("Decimal(10, 2)", "{\"scale\":2,\"value\":\"*\"}",
		"{\"scale\":2,\"value\":\"*\"} is not a decimal (bad base64 "
		"value)");
	opt_base64 = true;
	EXPECT("Decimal(10, 2)", "\"AeI=\"", 0xe2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	CONVERT("Decimal(10, 2)", "\"1.5\"", "\"1.5\" is not base64");
	EXPECT("Decimal(10, 2)", "1.5", 0x96, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	opt_base64 = false;
}

static void test_date32_datetime64(void **state)
{
	(void)state;
	EXPECT("Date32", "\"1900-01-01\"", 0x21, 0x9c, 0xff, 0xff);
	EXPECT("Date32", "\"2299-12-31\"", 0xd1, 0xd6, 0x01, 0x00);
	EXPECT("Date32", "-1", 0xff, 0xff, 0xff, 0xff);
	CONVERT("Date32", "\"1899-12-31\"",
		"\"1899-12-31\" is out of range for Date32");
	CONVERT("Date32", "1.5", "1.5 is not an integer");
	EXPECT("DateTime64(3)", "\"2023-11-14T22:13:20.123Z\"", 0x7b, 0x68,
	       0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00);
	EXPECT("DateTime64(3)", "\"2023-11-14T22:13:20.1239Z\"", 0x7b, 0x68,
	       0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00);
	EXPECT("DateTime64(6, 'UTC')", "\"2023-11-14 22:13:20.123456789\"",
	       0x40, 0x22, 0x20, 0x18, 0x24, 0x0a, 0x06, 0x00);
	/* auto: < 1e11 seconds, < 1e14 ms, < 1e17 us, else ns */
	EXPECT("DateTime64(3)", "1700000000", 0x00, 0x68, 0xe5, 0xcf, 0x8b,
	       0x01, 0x00, 0x00);
	EXPECT("DateTime64(3)", "1700000000123", 0x7b, 0x68, 0xe5, 0xcf, 0x8b,
	       0x01, 0x00, 0x00);
	EXPECT("DateTime64(3)", "\"1700000000123456\"", 0x7b, 0x68, 0xe5, 0xcf,
	       0x8b, 0x01, 0x00, 0x00);
	EXPECT("DateTime64(9)", "1700000000123456789", 0x15, 0xcd, 0x85, 0x3d,
	       0xfe, 0x9c, 0x97, 0x17);
	EXPECT("DateTime64(3)", "1700000000.1239", 0x7b, 0x68, 0xe5, 0xcf,
	       0x8b, 0x01, 0x00, 0x00);
	EXPECT("DateTime64(0)", "-1.5", 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT("DateTime", "1700000000123", 0x00, 0xf1, 0x53, 0x65);
	CONVERT("DateTime64(3)", "\"1899-12-31T23:59:59Z\"",
		"\"1899-12-31T23:59:59Z\" is out of range for DateTime64");
	CONVERT("DateTime64(9)", "\"2262-04-12T00:00:00Z\"",
		"\"2262-04-12T00:00:00Z\" is out of range for DateTime64");
	/* MongoDB extended JSON */
	EXPECT("DateTime64(3)", "{\"$date\":\"2023-11-14T22:13:20.123Z\"}",
	       0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00);
	EXPECT("DateTime64(3)", "{\"$date\":{\"$numberLong\":\"1700000000123\"}}",
	       0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00);
	/* a bare $date number is milliseconds whatever the magnitude */
	EXPECT("DateTime64(3)", "{\"$date\":1700000000}", 0x00, 0xf1, 0x53,
	       0x65, 0x00, 0x00, 0x00, 0x00);
	EXPECT("Date", "{\"$date\":\"2023-11-14T22:13:20Z\"}", 0xdb, 0x4c);
	CONVERT("DateTime64(3)", "{\"$date\":{}}",
		"{\"$date\":{}} is not a date-time (expected {\"$numberLong\": "
		"\"ms\"})");
	CONVERT("DateTime64(3)", "{\"$date\":true}",
		"{\"$date\":true} is not a date-time (expected {\"$date\": "
		"...})");
	/* per-column units */
	opt_unit = CK_EPOCH_SECONDS;
	EXPECT("DateTime64(3)", "1700000000", 0x00, 0x68, 0xe5, 0xcf, 0x8b,
	       0x01, 0x00, 0x00);
	CONVERT("DateTime64(3)", "1700000000123",
		"1700000000123 is out of range for DateTime64");
	CONVERT("DateTime", "1700000000123",
		"1700000000123 is out of range for DateTime");
	EXPECT("Date", "1700000000", 0xdb, 0x4c);
	opt_unit = CK_EPOCH_NANOS;
	EXPECT("DateTime64(3)", "1700000000123456789", 0x7b, 0x68, 0xe5, 0xcf,
	       0x8b, 0x01, 0x00, 0x00);
	opt_unit = CK_EPOCH_MILLIS;
	EXPECT("Date32", "-1", 0xff, 0xff, 0xff, 0xff);
	opt_unit = CK_EPOCH_DAYS;
	EXPECT("DateTime", "1", 0x80, 0x51, 0x01, 0x00);
	opt_unit = CK_EPOCH_AUTO;
}

static void test_uuid_ip(void **state)
{
	(void)state;
	/* high UInt64 then low UInt64, each little-endian */
	EXPECT("UUID", "\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\"", 0xe7, 0x11,
	       0xb3, 0x5c, 0x04, 0xc4, 0xf0, 0x61, 0xa0, 0xdb, 0xd3, 0x6a,
	       0x00, 0xa6, 0x7b, 0x90);
	EXPECT("UUID", "\"61F0C404-5CB3-11E7-907B-A6006AD3DBA0\"", 0xe7, 0x11,
	       0xb3, 0x5c, 0x04, 0xc4, 0xf0, 0x61, 0xa0, 0xdb, 0xd3, 0x6a,
	       0x00, 0xa6, 0x7b, 0x90);
	CONVERT("UUID", "\"61f0c404-5cb3-11e7-907b-a6006ad3dba\"",
		"\"61f0c404-5cb3-11e7-907b-a6006ad3dba\" is not a UUID");
	CONVERT("UUID", "\"61f0c404x5cb3-11e7-907b-a6006ad3dba0\"", NULL);
	CONVERT("UUID", "1", "expected a UUID, got a number");
	EXPECT("IPv4", "\"116.106.34.242\"", 0xf2, 0x22, 0x6a, 0x74);
	EXPECT("IPv4", "3232235777", 0x01, 0x01, 0xa8, 0xc0);
	EXPECT("IPv4", "\"3232235777\"", 0x01, 0x01, 0xa8, 0xc0);
	CONVERT("IPv4", "\"256.1.1.1\"", "\"256.1.1.1\" is not an IPv4 address");
	CONVERT("IPv4", "\"1.2.3\"", NULL);
	CONVERT("IPv4", "\"01.2.3.4\"", NULL);
	CONVERT("IPv4", "4294967296", "4294967296 is out of range for IPv4");
	EXPECT("IPv6", "\"2001:db8::1\"", 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
	EXPECT("IPv6", "\"::ffff:1.2.3.4\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 1, 2, 3, 4);
	EXPECT("IPv6", "\"1.2.3.4\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 1, 2, 3, 4);
	EXPECT("IPv6", "\"::\"", 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("IPv6", "\"1:2:3:4:5:6:7:8\"", 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0,
	       6, 0, 7, 0, 8);
	EXPECT("IPv6", "\"1::\"", 0, 1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	CONVERT("IPv6", "\"1::2::3\"", "\"1::2::3\" is not an IPv6 address");
	CONVERT("IPv6", "\":::\"", NULL);
	CONVERT("IPv6", "\"1:2:3:4:5:6:7\"", NULL);
	CONVERT("IPv6", "\"1:2:3:4:5:6:7:8:9\"", NULL);
	CONVERT("IPv6", "\"12345::\"", NULL);
}

static void test_enum_lowcard_agg(void **state)
{
	(void)state;
	EXPECT("Enum8('a' = 1, 'b' = -2)", "\"b\"", 0xfe);
	EXPECT("Enum8('a' = 1, 'b' = -2)", "1", 0x01);
	EXPECT("Enum8('a' = 1, 'b' = -2)", "\"-2\"", 0xfe);
	EXPECT("Enum16('a' = 1000)", "\"a\"", 0xe8, 0x03);
	CONVERT("Enum8('a' = 1, 'b' = -2)", "\"c\"",
		"\"c\" is not an element of the enum");
	CONVERT("Enum8('a' = 1, 'b' = -2)", "2", "2 is not an element of the enum");
	CONVERT("Enum8('a' = 1)", "[]", "expected an enum name or value, got an array");
	EXPECT("LowCardinality(String)", "\"x\"", 0x01, 0x78);
	EXPECT("LowCardinality(Nullable(String))", "null", 0x01);
	EXPECT("LowCardinality(Nullable(String))", "\"x\"", 0x00, 0x01, 0x78);
	EXPECT("SimpleAggregateFunction(sum, UInt64)", "5", 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EXPECT("SimpleAggregateFunction(anyLast, Nullable(UInt8))", "null",
	       0x01);
}

static void test_tuple_map_json(void **state)
{
	(void)state;
	EXPECT("Tuple(UInt8, String)", "[1,\"a\"]", 0x01, 0x01, 0x61);
	EXPECT("Tuple(a UInt8, b String)", "{\"b\":\"x\",\"a\":2}", 0x02, 0x01,
	       0x78);
	EXPECT("Tuple(a UInt8, b String)", "[2,\"x\"]", 0x02, 0x01, 0x78);
	EXPECT("Tuple(a UInt8, b String)", "{\"a\":1,\"z\":0}", 0x01, 0x00);
	CONVERT("Tuple(UInt8, String)", "[1]", "expected 2 elements, got 1");
	CONVERT("Tuple(UInt8, String)", "[1,\"a\",3,4]",
		"expected 2 elements, got 4");
	CONVERT("Tuple(UInt8, String)", "{}",
		"expected an array, got an object");
	CONVERT("Tuple(a UInt8, b String)", "{\"a\":300}",
		"element 'a': 300 is out of range for UInt8");
	CONVERT("Tuple(UInt8, UInt8)", "[1,-1]",
		"element 1: -1 is out of range for UInt8");
	EXPECT("Map(String, UInt8)", "{\"a\":1,\"b\":2}", 0x02, 0x01, 0x61,
	       0x01, 0x01, 0x62, 0x02);
	EXPECT("Map(String, UInt8)", "{}", 0x00);
	EXPECT("Map(UInt16, String)", "{\"7\":\"x\"}", 0x01, 0x07, 0x00, 0x01,
	       0x78);
	CONVERT("Map(UInt8, UInt8)", "{\"x\":1}",
		"key \"x\": \"x\" is not an integer");
	CONVERT("Map(String, UInt8)", "{\"x\":-1}",
		"value of \"x\": -1 is out of range for UInt8");
	CONVERT("Map(String, UInt8)", "[]", "expected an object, got an array");
	EXPECT("Array(Tuple(UInt8, Map(String, Decimal(4, 1))))",
	       "[[1,{\"k\":\"2.5\"}]]", 0x01, 0x01, 0x01, 0x01, 0x6b, 0x19,
	       0x00, 0x00, 0x00);
	EXPECT("JSON", "{\"a\": 1}", 0x07, '{', '"', 'a', '"', ':', '1', '}');
	EXPECT("Object('json')", "\"{}\"", 0x02, '{', '}');
	CONVERT("JSON", "5", "expected an object, got a number");
}

static void test_base64_bytes(void **state)
{
	(void)state;
	opt_base64 = true;
	EXPECT("String", "\"aGk=\"", 0x02, 0x68, 0x69);
	EXPECT("String", "\"aGk\"", 0x02, 0x68, 0x69);
	EXPECT("String", "\"\"", 0x00);
	EXPECT("FixedString(3)", "\"aGk=\"", 0x68, 0x69, 0x00);
	EXPECT("String", "5", 0x01, '5');
	CONVERT("String", "\"a\"", "\"a\" is not base64");
	CONVERT("String", "\"a*==\"", "\"a*==\" is not base64");
	CONVERT("FixedString(1)", "\"aGk=\"",
		"\"aGk=\" is 2 bytes, longer than FixedString(1)");
	opt_base64 = false;
}

static void expect_null(const char *type, const char *json,
			const uint8_t *want, size_t want_len,
			uint64_t want_nulls)
{
	struct ck_err err;
	uint8_t *got;
	size_t got_len;
	uint64_t nulls = 100;

	assert_int_equal(encode(type, json, strlen(json), 1 << 20, &got,
				&got_len, &nulls, &err),
			 CK_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	assert_int_equal(nulls, 100 + want_nulls);
	free(got);
}

static void test_null_defaults(void **state)
{
	(void)state;
	expect_null("Int32", "null", (const uint8_t *)"\0\0\0\0", 4, 1);
	expect_null("String", "null", (const uint8_t *)"\0", 1, 1);
	expect_null("FixedString(3)", "null", (const uint8_t *)"\0\0\0", 3, 1);
	expect_null("DateTime", "null", (const uint8_t *)"\0\0\0\0", 4, 1);
	expect_null("Array(Int8)", "null", (const uint8_t *)"\0", 1, 1);
	expect_null("Nullable(Int8)", "null", (const uint8_t *)"\1", 1, 0);
	expect_null("Array(Int8)", "[1,null,3]", (const uint8_t *)"\3\1\0\3",
		    4, 1);
	expect_null("Array(String)", "[null,null]", (const uint8_t *)"\2\0\0",
		    3, 2);
	expect_null("Array(Nullable(Int8))", "[null]",
		    (const uint8_t *)"\1\1", 2, 0);
	expect_null("Array(Array(Int8))", "[null,[null]]",
		    (const uint8_t *)"\2\0\1\0", 4, 2);
	EXPECT("Int8", "null", 0x00);
}

/* Nulls inside a value that then fails are not counted. */
static void test_null_count_on_error(void **state)
{
	struct ck_err err;
	uint8_t *got;
	size_t got_len;
	uint64_t nulls = 0;
	const char *json = "[null, 1, 300]";

	(void)state;
	assert_int_equal(encode("Array(UInt8)", json, strlen(json), 1 << 20,
				&got, &got_len, &nulls, &err),
			 CK_ERR_CONVERT);
	assert_int_equal(nulls, 0);
	free(got);
}

static void expect_default(const char *type, const uint8_t *want,
			   size_t want_len)
{
	struct ck_type *t = type_of(type);
	struct ck_buf buf;

	ck_buf_init(&buf, 1024);
	assert_int_equal(ck_rowbinary_default(t, &buf, NULL), CK_OK);
	assert_int_equal(buf.len, want_len);
	assert_memory_equal(buf.data, want, want_len);
	ck_buf_free(&buf);
	ck_type_destroy(t);
}

static void test_defaults(void **state)
{
	static const uint8_t zeros[16];

	(void)state;
	expect_default("Int8", zeros, 1);
	expect_default("UInt8", zeros, 1);
	expect_default("Bool", zeros, 1);
	expect_default("Int16", zeros, 2);
	expect_default("UInt16", zeros, 2);
	expect_default("Int32", zeros, 4);
	expect_default("UInt32", zeros, 4);
	expect_default("Int64", zeros, 8);
	expect_default("UInt64", zeros, 8);
	expect_default("Float32", zeros, 4);
	expect_default("Float64", zeros, 8);
	expect_default("String", zeros, 1);
	expect_default("FixedString(16)", zeros, 16);
	expect_default("Date", zeros, 2);
	expect_default("DateTime", zeros, 4);
	expect_default("DateTime('UTC')", zeros, 4);
	expect_default("Array(String)", zeros, 1);
	expect_default("Nullable(String)", (const uint8_t *)"\1", 1);
}

static void test_quote_is_cut(void **state)
{
	char json[256], want[256];
	size_t n;

	(void)state;
	json[0] = '"';
	memset(json + 1, 'a', 100);
	json[101] = '"';
	json[102] = '\0';
	snprintf(want, sizeof(want), "\"%.39s... is not an integer", json + 1);
	CONVERT("Int8", json, want);

	/* Never cut inside a UTF-8 sequence: "é" is 2 bytes. */
	n = 0;
	json[n++] = '"';
	for (int i = 0; i < 30; i++) {
		json[n++] = (char)0xc3;
		json[n++] = (char)0xa9;
	}
	json[n++] = '"';
	json[n] = '\0';
	snprintf(want, sizeof(want), "%.39s... is not a number", json);
	CONVERT("Float64", json, want);
}

static void test_limit(void **state)
{
	struct ck_err err;
	uint8_t *got;
	size_t got_len;
	const char *json = "[\"aaaaaaaaaa\", \"bbbbbbbbbb\"]";

	(void)state;
	/* The marker plus 10 bytes fit, the whole array does not. */
	assert_int_equal(encode("Array(String)", json, strlen(json), 12, &got,
				&got_len, NULL, &err),
			 CK_ERR_LIMIT);
	assert_int_equal(got_len, 0);
	free(got);
	assert_int_equal(encode("Int64", "1", 1, 4, &got, &got_len, NULL, &err),
			 CK_ERR_LIMIT);
	free(got);
	assert_int_equal(encode("String", "{ }", 3, 3, &got, &got_len, NULL,
				&err),
			 CK_ERR_LIMIT);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int8),
		cmocka_unit_test(test_int16_32_64),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_float32),
		cmocka_unit_test(test_float64),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_string_lengths),
		cmocka_unit_test(test_fixed_string),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_nullable),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_array_long),
		cmocka_unit_test(test_wide_int),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_date32_datetime64),
		cmocka_unit_test(test_uuid_ip),
		cmocka_unit_test(test_enum_lowcard_agg),
		cmocka_unit_test(test_tuple_map_json),
		cmocka_unit_test(test_base64_bytes),
		cmocka_unit_test(test_null_defaults),
		cmocka_unit_test(test_null_count_on_error),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_quote_is_cut),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
