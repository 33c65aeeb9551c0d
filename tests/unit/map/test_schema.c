/*
 * test_schema.c — unit tests for table schemas (src/map/schema.c): which
 * columns are inserted under each DEFAULT kind and server capability, the
 * errors at creation, and the name → column lookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/schema.h"
#include "map/schema_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct ck_schema *make(const struct ck_column_desc *cols, size_t n,
			      bool with_defaults)
{
	struct ck_schema_opts opts = { .with_defaults = with_defaults };
	struct ck_schema *schema = NULL;
	struct ck_err err;

	if (ck_schema_new(cols, n, &opts, &schema, &err))
		fail_msg("schema: %s", err.msg);
	assert_non_null(schema);
	return schema;
}

static void expect_err(const struct ck_column_desc *cols, size_t n,
		       bool with_defaults, int code, const char *msg)
{
	struct ck_schema_opts opts = { .with_defaults = with_defaults };
	struct ck_schema *schema = (struct ck_schema *)(uintptr_t)1;
	struct ck_err err;
	int rc;

	ck_err_clear(&err);
	rc = ck_schema_new(cols, n, &opts, &schema, &err);
	if (rc != code)
		fail_msg("rc %d (%s), want %d", rc, err.msg, code);
	assert_int_equal(err.code, code);
	assert_null(schema);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static void test_plain_columns(void **state)
{
	static const struct ck_column_desc cols[] = {
		{ "id", "UInt64", "", "" },
		{ "name", "String", "", "" },
		{ "tags", "Array( Nullable(String) )", "", "" },
	};
	struct ck_schema *schema = make(cols, N(cols), false);
	const char *const *skipped = NULL;

	(void)state;
	assert_string_equal(ck_schema_format(schema), "RowBinary");
	assert_false(ck_schema_with_defaults(schema));
	assert_int_equal(ck_schema_insert_count(schema), 3);
	assert_string_equal(ck_schema_insert_name(schema, 0), "id");
	assert_string_equal(ck_schema_insert_name(schema, 2), "tags");
	/* The type text is kept as the server wrote it. */
	assert_string_equal(ck_schema_insert_type(schema, 2),
			    "Array( Nullable(String) )");
	assert_int_equal(ck_schema_columns(schema)[2].type->kind,
			 CK_TYPE_ARRAY);
	assert_int_equal(ck_schema_columns(schema)[1].name_len, 4);
	assert_int_equal(ck_schema_skipped_defaults(schema, &skipped), 0);
	assert_int_equal(ck_schema_max_name_len(schema), 4);
	ck_schema_destroy(schema);
}

/* DEFAULT, EPHEMERAL, MATERIALIZED, ALIAS in both modes. */
static const struct ck_column_desc mixed[] = {
	{ "id", "UInt64", "", "" },
	{ "ingest", "DateTime", "DEFAULT", "now()" },
	{ "total", "Decimal(18, 2)", "MATERIALIZED", "price * qty" },
	{ "price", "Float64", "", "" },
	{ "day", "Date", "ALIAS", "toDate(ingest)" },
	{ "raw", "String", "EPHEMERAL", "" },
	{ "note", "String", "DEFAULT", "''" },
};

static void test_with_defaults(void **state)
{
	struct ck_schema *schema = make(mixed, N(mixed), true);
	const char *const *skipped = NULL;

	(void)state;
	assert_string_equal(ck_schema_format(schema), "RowBinaryWithDefaults");
	assert_true(ck_schema_with_defaults(schema));
	assert_int_equal(ck_schema_insert_count(schema), 5);
	assert_string_equal(ck_schema_insert_name(schema, 0), "id");
	assert_string_equal(ck_schema_insert_name(schema, 1), "ingest");
	assert_string_equal(ck_schema_insert_name(schema, 2), "price");
	assert_string_equal(ck_schema_insert_name(schema, 3), "raw");
	assert_string_equal(ck_schema_insert_name(schema, 4), "note");
	assert_int_equal(ck_schema_skipped_defaults(schema, &skipped), 0);
	assert_int_equal(ck_schema_lookup(schema, "total", 5),
			 CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema, "day", 3),
			 CK_SCHEMA_NO_COLUMN);
	ck_schema_destroy(schema);
}

static void test_without_defaults(void **state)
{
	struct ck_schema *schema = make(mixed, N(mixed), false);
	const char *const *skipped = NULL;

	(void)state;
	assert_string_equal(ck_schema_format(schema), "RowBinary");
	assert_int_equal(ck_schema_insert_count(schema), 2);
	assert_string_equal(ck_schema_insert_name(schema, 0), "id");
	assert_string_equal(ck_schema_insert_name(schema, 1), "price");
	assert_int_equal(ck_schema_skipped_defaults(schema, &skipped), 3);
	assert_string_equal(skipped[0], "ingest");
	assert_string_equal(skipped[1], "raw");
	assert_string_equal(skipped[2], "note");
	assert_int_equal(ck_schema_lookup(schema, "ingest", 6),
			 CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema, "price", 5), 1);
	ck_schema_destroy(schema);
}

static void test_null_opts(void **state)
{
	static const struct ck_column_desc cols[] = {
		{ "a", "Int8", "DEFAULT", "1" },
		{ "b", "Int8", "", "" },
	};
	struct ck_schema *schema = NULL;

	(void)state;
	assert_int_equal(ck_schema_new(cols, N(cols), NULL, &schema, NULL),
			 CK_OK);
	assert_string_equal(ck_schema_format(schema), "RowBinary");
	assert_int_equal(ck_schema_insert_count(schema), 1);
	ck_schema_destroy(schema);
	ck_schema_destroy(NULL);
}

static void test_unsupported_type(void **state)
{
	static const struct ck_column_desc dec[] = {
		{ "id", "UInt64", "", "" },
		{ "price", "BFloat16", "", "" },
	};
	static const struct ck_column_desc nested[] = {
		{ "ids", "Array(Nullable(Time))", "", "" },
	};
	static const struct ck_column_desc bad[] = {
		{ "x", "Array(Int8", "", "" },
	};
	static const struct ck_column_desc dflt[] = {
		{ "id", "UInt64", "", "" },
		{ "u", "Variant(UInt8, String)", "DEFAULT", "1" },
	};
	struct ck_schema *schema;

	(void)state;
	expect_err(dec, N(dec), false, CK_ERR_UNSUPPORTED,
		   "column 'price': unsupported type 'BFloat16'");
	expect_err(nested, N(nested), true, CK_ERR_UNSUPPORTED,
		   "column 'ids': unsupported type 'Time'");
	expect_err(bad, N(bad), false, CK_ERR_PARSE,
		   "column 'x': malformed type 'Array(Int8': expected ')' at "
		   "offset 10");
	/* A DEFAULT column is only parsed when it is inserted. */
	expect_err(dflt, N(dflt), true, CK_ERR_UNSUPPORTED,
		   "column 'u': unsupported type 'Variant(UInt8, String)'");
	schema = make(dflt, N(dflt), false);
	assert_int_equal(ck_schema_insert_count(schema), 1);
	ck_schema_destroy(schema);
}

static void test_schema_errors(void **state)
{
	static const struct ck_column_desc none[] = {
		{ "a", "Int8", "MATERIALIZED", "1" },
		{ "b", "Int8", "ALIAS", "a" },
		{ "c", "Int8", "DEFAULT", "1" },
	};
	static const struct ck_column_desc kind[] = {
		{ "a", "Int8", "", "" },
		{ "b", "Int8", "AUTO", "" },
	};
	static const struct ck_column_desc dup[] = {
		{ "a", "Int8", "", "" },
		{ "b", "Int8", "", "" },
		{ "a", "String", "", "" },
	};

	(void)state;
	expect_err(none, N(none), false, CK_ERR_SCHEMA,
		   "no column can be inserted (the table has 3, all "
		   "MATERIALIZED, ALIAS or DEFAULT)");
	expect_err(none, 0, true, CK_ERR_SCHEMA, NULL);
	expect_err(kind, N(kind), true, CK_ERR_SCHEMA,
		   "column 'b': unknown default kind 'AUTO'");
	expect_err(dup, N(dup), true, CK_ERR_SCHEMA, "duplicate column 'a'");
}

/* The schema copies its strings: the descriptions may go away. */
static void test_copies_strings(void **state)
{
	char name[] = "col", type[] = "Int32", kind[] = "";
	struct ck_column_desc col = { name, type, kind, kind };
	struct ck_schema *schema = make(&col, 1, false);

	(void)state;
	memset(name, 'x', 3);
	memset(type, 'x', 5);
	assert_string_equal(ck_schema_insert_name(schema, 0), "col");
	assert_string_equal(ck_schema_insert_type(schema, 0), "Int32");
	assert_int_equal(ck_schema_lookup(schema, "col", 3), 0);
	ck_schema_destroy(schema);
}

static void test_lookup(void **state)
{
	static const struct ck_column_desc cols[] = {
		{ "a", "Int8", "", "" },
		{ "ab", "Int8", "", "" },
		{ "abc", "Int8", "", "" },
		{ "a.b", "Int8", "", "" },
		{ "with space", "Int8", "", "" },
		{ "\xc3\xa9t\xc3\xa9", "Int8", "", "" },
		{ "Name", "Int8", "", "" },
		{ "exactly_8", "Int8", "", "" },
		{ "a_name_longer_than_16_bytes", "Int8", "", "" },
	};
	struct ck_schema *schema = make(cols, N(cols), false);

	(void)state;
	for (size_t i = 0; i < N(cols); i++)
		assert_int_equal(ck_schema_lookup(schema, cols[i].name,
						  strlen(cols[i].name)),
				 i);
	/* Names are exact, case-sensitive, and need no NUL. */
	assert_int_equal(ck_schema_lookup(schema, "abcd", 2), 1);
	assert_int_equal(ck_schema_lookup(schema, "name", 4),
			 CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema, "", 0), CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema, "abcd", 4),
			 CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema, "a_name_longer_than_16_bytez",
					  27),
			 CK_SCHEMA_NO_COLUMN);
	assert_int_equal(ck_schema_lookup(schema,
					  "a_name_longer_than_16_bytes_and_more",
					  36),
			 CK_SCHEMA_NO_COLUMN);
	ck_schema_destroy(schema);
}

/* Many columns: every name is found, similar names are not. */
static void test_lookup_many(void **state)
{
	enum { COUNT = 1000 };
	struct ck_column_desc *cols = calloc(COUNT, sizeof(*cols));
	char (*names)[16] = calloc(COUNT, sizeof(*names));
	struct ck_schema *schema;
	char probe[16];

	(void)state;
	assert_non_null(cols);
	assert_non_null(names);
	for (int i = 0; i < COUNT; i++) {
		snprintf(names[i], sizeof(names[i]), "field_%d", i);
		cols[i].name = names[i];
		cols[i].type = "String";
		cols[i].default_kind = "";
		cols[i].default_expr = "";
	}
	schema = make(cols, COUNT, false);
	for (int i = 0; i < COUNT; i++) {
		assert_int_equal(ck_schema_lookup(schema, names[i],
						  strlen(names[i])),
				 i);
		snprintf(probe, sizeof(probe), "field_%d", i + COUNT);
		assert_int_equal(ck_schema_lookup(schema, probe, strlen(probe)),
				 CK_SCHEMA_NO_COLUMN);
		snprintf(probe, sizeof(probe), "Field_%d", i);
		assert_int_equal(ck_schema_lookup(schema, probe, strlen(probe)),
				 CK_SCHEMA_NO_COLUMN);
	}
	ck_schema_destroy(schema);
	free(cols);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_columns),
		cmocka_unit_test(test_with_defaults),
		cmocka_unit_test(test_without_defaults),
		cmocka_unit_test(test_null_opts),
		cmocka_unit_test(test_unsupported_type),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_copies_strings),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
