/*
 * test_type.c — unit tests for the ClickHouse type parser (src/map/type.c).
 *
 * Every accepted string is formatted back and the canonical text compared,
 * and the canonical text must parse to the same canonical text again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/type.h"

static char *format(const struct ck_type *t)
{
	struct ck_buf buf;
	char *s;

	ck_buf_init(&buf, 4096);
	assert_int_equal(ck_type_format(t, &buf, NULL), CK_OK);
	s = malloc(buf.len + 1);
	assert_non_null(s);
	memcpy(s, buf.data, buf.len);
	s[buf.len] = '\0';
	ck_buf_free(&buf);
	return s;
}

/* Parses text, checks its canonical form, and returns the tree. */
static struct ck_type *parse_ok(const char *text, const char *canonical)
{
	struct ck_type *t = NULL, *again = NULL;
	struct ck_err err;
	char *s, *s2;

	ck_err_clear(&err);
	if (ck_type_parse(text, &t, &err))
		fail_msg("'%s' rejected: %s", text, err.msg);
	assert_non_null(t);
	s = format(t);
	assert_string_equal(s, canonical);
	assert_int_equal(ck_type_parse(s, &again, &err), CK_OK);
	s2 = format(again);
	assert_string_equal(s2, canonical);
	free(s);
	free(s2);
	ck_type_destroy(again);
	return t;
}

static void expect_ok(const char *text, const char *canonical)
{
	ck_type_destroy(parse_ok(text, canonical));
}

static void expect_err(const char *text, int code, const char *msg)
{
	static struct ck_type dummy;
	struct ck_type *t = &dummy; /* must be reset to NULL */
	struct ck_err err;
	int rc;

	ck_err_clear(&err);
	rc = ck_type_parse(text, &t, &err);
	if (rc != code)
		fail_msg("'%s': rc %d (%s), want %d", text, rc, err.msg, code);
	assert_int_equal(err.code, code);
	assert_null(t);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static void test_simple_types(void **state)
{
	static const struct {
		const char *text;
		enum ck_type_kind kind;
	} cases[] = {
		{ "Int8", CK_TYPE_INT8 },       { "Int16", CK_TYPE_INT16 },
		{ "Int32", CK_TYPE_INT32 },     { "Int64", CK_TYPE_INT64 },
		{ "UInt8", CK_TYPE_UINT8 },     { "UInt16", CK_TYPE_UINT16 },
		{ "UInt32", CK_TYPE_UINT32 },   { "UInt64", CK_TYPE_UINT64 },
		{ "Float32", CK_TYPE_FLOAT32 }, { "Float64", CK_TYPE_FLOAT64 },
		{ "Bool", CK_TYPE_BOOL },       { "String", CK_TYPE_STRING },
		{ "Date", CK_TYPE_DATE },       { "DateTime", CK_TYPE_DATETIME },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_type *t = parse_ok(cases[i].text, cases[i].text);
		assert_int_equal(t->kind, cases[i].kind);
		assert_int_equal(t->nchild, 0);
		assert_null(t->tz);
		assert_string_equal(ck_type_kind_name(t->kind), cases[i].text);
		ck_type_destroy(t);
	}
}

static void test_fixed_string(void **state)
{
	struct ck_type *t;

	(void)state;
	t = parse_ok("FixedString(16)", "FixedString(16)");
	assert_int_equal(t->kind, CK_TYPE_FIXED_STRING);
	assert_int_equal(t->size, 16);
	ck_type_destroy(t);
	t = parse_ok("FixedString( 1 )", "FixedString(1)");
	assert_int_equal(t->size, 1);
	ck_type_destroy(t);
	t = parse_ok("FixedString(16777215)", "FixedString(16777215)");
	assert_int_equal(t->size, 16777215);
	ck_type_destroy(t);

	expect_err("FixedString(0)", CK_ERR_PARSE,
		   "malformed type 'FixedString(0)': size out of range at "
		   "offset 12");
	expect_err("FixedString(16777216)", CK_ERR_PARSE, NULL);
	expect_err("FixedString(99999999999999999999999)", CK_ERR_PARSE, NULL);
	expect_err("FixedString", CK_ERR_PARSE,
		   "malformed type 'FixedString': expected '(' at offset 11");
	expect_err("FixedString()", CK_ERR_PARSE,
		   "malformed type 'FixedString()': expected a number at "
		   "offset 12");
	expect_err("FixedString(x)", CK_ERR_PARSE, NULL);
	expect_err("FixedString(-1)", CK_ERR_PARSE, NULL);
	expect_err("FixedString(16", CK_ERR_PARSE,
		   "malformed type 'FixedString(16': expected ')' at offset 14");
	expect_err("FixedString(16, 2)", CK_ERR_PARSE, NULL);
}

static void test_datetime_tz(void **state)
{
	struct ck_type *t;

	(void)state;
	t = parse_ok("DateTime('UTC')", "DateTime('UTC')");
	assert_int_equal(t->kind, CK_TYPE_DATETIME);
	assert_string_equal(t->tz, "UTC");
	ck_type_destroy(t);

	t = parse_ok("DateTime( 'America/Argentina/Buenos_Aires' )",
		     "DateTime('America/Argentina/Buenos_Aires')");
	assert_string_equal(t->tz, "America/Argentina/Buenos_Aires");
	ck_type_destroy(t);

	/* Escapes: backslash, doubled quote, \xHH, unknown escape = itself. */
	t = parse_ok("DateTime('a\\'b')", "DateTime('a\\'b')");
	assert_string_equal(t->tz, "a'b");
	ck_type_destroy(t);
	t = parse_ok("DateTime('it''s')", "DateTime('it\\'s')");
	assert_string_equal(t->tz, "it's");
	ck_type_destroy(t);
	t = parse_ok("DateTime('\\x41\\\\\\z')", "DateTime('A\\\\z')");
	assert_string_equal(t->tz, "A\\z");
	ck_type_destroy(t);
	t = parse_ok("DateTime('tab\\there')", "DateTime('tab\there')");
	assert_string_equal(t->tz, "tab\there");
	ck_type_destroy(t);
	t = parse_ok("DateTime('')", "DateTime('')");
	assert_string_equal(t->tz, "");
	ck_type_destroy(t);

	expect_err("DateTime(UTC)", CK_ERR_PARSE,
		   "malformed type 'DateTime(UTC)': expected a quoted string "
		   "at offset 9");
	expect_err("DateTime('UTC'", CK_ERR_PARSE, NULL);
	expect_err("DateTime('UTC)", CK_ERR_PARSE,
		   "malformed type 'DateTime('UTC)': unterminated quoted "
		   "string at offset 14");
	expect_err("DateTime('UTC\\')", CK_ERR_PARSE, NULL);
	expect_err("DateTime('a\\0b')", CK_ERR_PARSE,
		   "malformed type 'DateTime('a\\0b')': NUL byte in a string "
		   "at offset 12");
	expect_err("DateTime()", CK_ERR_PARSE, NULL);
	expect_err("DateTime('UTC', 'UTC')", CK_ERR_PARSE, NULL);
}

static void test_wrappers(void **state)
{
	struct ck_type *t;

	(void)state;
	t = parse_ok("Nullable(Int32)", "Nullable(Int32)");
	assert_int_equal(t->kind, CK_TYPE_NULLABLE);
	assert_int_equal(t->nchild, 1);
	assert_int_equal(t->child[0]->kind, CK_TYPE_INT32);
	ck_type_destroy(t);

	t = parse_ok("Array( Nullable(String) )", "Array(Nullable(String))");
	assert_int_equal(t->kind, CK_TYPE_ARRAY);
	assert_int_equal(t->child[0]->kind, CK_TYPE_NULLABLE);
	assert_int_equal(t->child[0]->child[0]->kind, CK_TYPE_STRING);
	ck_type_destroy(t);

	expect_ok("Array(Array(Array(UInt8)))", "Array(Array(Array(UInt8)))");
	expect_ok("Nullable(DateTime('UTC'))", "Nullable(DateTime('UTC'))");
	expect_ok("Array(FixedString(2))", "Array(FixedString(2))");
	expect_ok(" \t\nArray ( Array(\tDate ) )\r\n ", "Array(Array(Date))");

	expect_err("Nullable(Array(Int8))", CK_ERR_PARSE,
		   "malformed type 'Nullable(Array(Int8))': Nullable cannot "
		   "contain Nullable or Array at offset 9");
	expect_err("Nullable(Nullable(Int8))", CK_ERR_PARSE, NULL);
	expect_err("Array", CK_ERR_PARSE,
		   "malformed type 'Array': expected '(' at offset 5");
	expect_err("Array()", CK_ERR_PARSE,
		   "malformed type 'Array()': expected a type name at offset 6");
	expect_err("Array(Int8", CK_ERR_PARSE,
		   "malformed type 'Array(Int8': expected ')' at offset 10");
	expect_err("Array(Int8, String)", CK_ERR_PARSE, NULL);
	expect_err("Array(Int8))", CK_ERR_PARSE,
		   "malformed type 'Array(Int8))': unexpected text after the "
		   "type at offset 11");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_err("", CK_ERR_PARSE,
		   "malformed type '': expected a type name at offset 0");
	expect_err("   ", CK_ERR_PARSE, NULL);
	expect_err("Int8 x", CK_ERR_PARSE,
		   "malformed type 'Int8 x': unexpected text after the type at "
		   "offset 5");
	expect_err("Int8(3)", CK_ERR_PARSE,
		   "malformed type 'Int8(3)': type takes no parameters at "
		   "offset 4");
	expect_err("(Int8)", CK_ERR_PARSE, NULL);
	expect_err("8Int", CK_ERR_PARSE, NULL);
	expect_err("Int8,", CK_ERR_PARSE, NULL);
	/* Malformed beats unsupported, wherever the unsupported part is. */
	expect_err("Decimal(10, 2", CK_ERR_PARSE,
		   "malformed type 'Decimal(10, 2': expected ')' at offset 13");
	expect_err("Decimal(10, 2) x", CK_ERR_PARSE, NULL);
	expect_err("Array(Decimal(10, 2)", CK_ERR_PARSE, NULL);
	expect_err("Enum8('a = 1)", CK_ERR_PARSE, NULL);
	expect_err("Array(UUID", CK_ERR_PARSE, NULL);
	expect_err("Nullable(UUID) Int8", CK_ERR_PARSE, NULL);
}

static void test_extended_types(void **state)
{
	(void)state;
	expect_ok("Int128", "Int128");
	expect_ok("UInt256", "UInt256");
	expect_ok("Date32", "Date32");
	expect_ok("UUID", "UUID");
	expect_ok("IPv4", "IPv4");
	expect_ok("IPv6", "IPv6");
	expect_ok("Decimal( 10 ,2 )", "Decimal(10, 2)");
	expect_ok("Decimal32(2)", "Decimal(9, 2)");
	expect_ok("Decimal256(76)", "Decimal(76, 76)");
	expect_ok("DateTime64(3)", "DateTime64(3)");
	expect_ok("DateTime64(9,'Asia/Tokyo')", "DateTime64(9, 'Asia/Tokyo')");
	expect_ok("Enum8('a'=1,'b' = -2)", "Enum8('a' = 1, 'b' = -2)");
	expect_ok("Enum8('a', 'b')", "Enum8('a' = 1, 'b' = 2)");
	expect_ok("Enum16('it''s' = 1000)", "Enum16('it\\'s' = 1000)");
	expect_ok("LowCardinality(Nullable(String))",
		  "LowCardinality(Nullable(String))");
	expect_ok("Tuple(UInt8, Nullable(String))",
		  "Tuple(UInt8, Nullable(String))");
	expect_ok("Tuple(a UInt8, `b c` String)", "Tuple(a UInt8, `b c` String)");
	expect_ok("Map(String, Array(UInt64))", "Map(String, Array(UInt64))");
	expect_ok("SimpleAggregateFunction(anyLast ,  String)",
		  "SimpleAggregateFunction(anyLast, String)");
	expect_ok("SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), "
		  "Array(UInt64)))",
		  "SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), "
		  "Array(UInt64)))");
	expect_ok("Object('json')", "Object('json')");
	expect_ok("JSON", "JSON");
	expect_ok("JSON(max_dynamic_paths=10)", "JSON(max_dynamic_paths=10)");
	expect_err("Decimal(77, 2)", CK_ERR_PARSE,
		   "malformed type 'Decimal(77, 2)': precision out of range at "
		   "offset 8");
	expect_err("Decimal(10, 11)", CK_ERR_PARSE,
		   "malformed type 'Decimal(10, 11)': scale out of range at "
		   "offset 12");
	expect_err("Decimal32(10)", CK_ERR_PARSE, NULL);
	expect_err("DateTime64(10)", CK_ERR_PARSE,
		   "malformed type 'DateTime64(10)': precision out of range at "
		   "offset 11");
	expect_err("Enum8('a' = 128)", CK_ERR_PARSE,
		   "malformed type 'Enum8('a' = 128)': enum value out of range "
		   "at offset 12");
	expect_err("Enum8('a' = 1, 'a' = 2)", CK_ERR_PARSE,
		   "malformed type 'Enum8('a' = 1, 'a' = 2)': duplicate enum "
		   "element at offset 22");
	expect_err("Nullable(LowCardinality(String))", CK_ERR_PARSE,
		   "malformed type 'Nullable(LowCardinality(String))': Nullable "
		   "cannot contain a composite type at offset 9");
	expect_err("LowCardinality(Array(String))", CK_ERR_PARSE, NULL);
	expect_err("Tuple(a UInt8, String)", CK_ERR_PARSE,
		   "malformed type 'Tuple(a UInt8, String)': mixed named and "
		   "unnamed elements at offset 15");
	expect_err("Map(String)", CK_ERR_PARSE, NULL);
	expect_err("SimpleAggregateFunction(, UInt8)", CK_ERR_PARSE, NULL);
}

static void test_unsupported(void **state)
{
	(void)state;
	expect_err("BFloat16", CK_ERR_UNSUPPORTED, "unsupported type 'BFloat16'");
	expect_err("Variant(UInt8, String)", CK_ERR_UNSUPPORTED,
		   "unsupported type 'Variant(UInt8, String)'");
	expect_err("Dynamic", CK_ERR_UNSUPPORTED, "unsupported type 'Dynamic'");
	expect_err("Nested(a UInt8, b String)", CK_ERR_UNSUPPORTED,
		   "unsupported type 'Nested(a UInt8, b String)'");
	expect_err("AggregateFunction(quantiles(0.5, 0.9), UInt64)",
		   CK_ERR_UNSUPPORTED, NULL);
	expect_err("Point", CK_ERR_UNSUPPORTED, "unsupported type 'Point'");
	/* The innermost unsupported part is named. */
	expect_err("Array(Time('UTC'))", CK_ERR_UNSUPPORTED,
		   "unsupported type 'Time('UTC')'");
	expect_err("Nullable( Time )", CK_ERR_UNSUPPORTED,
		   "unsupported type 'Time'");
	expect_err("Map(String, Tuple(a IPv4, b Array(Time)))",
		   CK_ERR_UNSUPPORTED, "unsupported type 'Time'");
	/* Names are case-sensitive, as DESCRIBE prints them. */
	expect_err("string", CK_ERR_UNSUPPORTED, "unsupported type 'string'");
	expect_err("Int", CK_ERR_UNSUPPORTED, "unsupported type 'Int'");
	expect_err("Int8_", CK_ERR_UNSUPPORTED, "unsupported type 'Int8_'");
}

static void test_long_text_is_cut(void **state)
{
	char text[400], want[200];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "Variant(");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "FixedString(%d), ", i + 1);
	snprintf(text + n - 2, sizeof(text) - n + 2, ")");
	snprintf(want, sizeof(want), "unsupported type '%.100s...'", text);
	expect_err(text, CK_ERR_UNSUPPORTED, want);
}

static void test_depth_limit(void **state)
{
	char text[512];
	size_t n = 0;

	(void)state;
	/* 31 Arrays + Int8 = 32 levels: allowed. */
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "Array(");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "Int8");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ")");
	expect_ok(text, text);

	n = 0;
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "Array(");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "Int8");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ")");
	expect_err(text, CK_ERR_LIMIT, "type nested deeper than 32 levels");

	/* Skipping an unknown type's parameters is not recursive. */
	n = (size_t)snprintf(text, sizeof(text), "Variant(");
	for (int i = 0; i < 200; i++)
		text[n++] = '(';
	for (int i = 0; i < 200; i++)
		text[n++] = ')';
	text[n++] = ')';
	text[n] = '\0';
	expect_err(text, CK_ERR_UNSUPPORTED, NULL);
}

static void test_destroy_null(void **state)
{
	(void)state;
	ck_type_destroy(NULL);
	assert_string_equal(ck_type_kind_name((enum ck_type_kind)999), "?");
}

static void test_format_limit(void **state)
{
	struct ck_type *t = parse_ok("Array(Nullable(String))",
				     "Array(Nullable(String))");
	struct ck_buf buf;
	struct ck_err err;

	(void)state;
	ck_buf_init(&buf, 10);
	assert_int_equal(ck_type_format(t, &buf, &err), CK_ERR_LIMIT);
	ck_buf_free(&buf);
	ck_type_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_types),
		cmocka_unit_test(test_fixed_string),
		cmocka_unit_test(test_datetime_tz),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_extended_types),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_long_text_is_cut),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_destroy_null),
		cmocka_unit_test(test_format_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
