/*
 * test_client.c — the parts of the ClickHouse client that decide what a
 * response means: exception codes from headers/bodies, retriable classes,
 * identifier quoting, TabSeparated unescaping. The HTTP path itself is
 * tested against a real server in tests/integration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clickhouse/client.h"
#include "clickhouse/table.h"

static void test_parse_exception_code(void **state)
{
	const char *b1 = "Code: 60, e.displayText() = DB::Exception: Table "
			 "default.x doesn't exist., e.what() = DB::Exception\n";
	const char *b2 = "Code: 252. DB::Exception: Too many parts (300).";
	(void)state;

	assert_int_equal(ck_ch_parse_exception_code(b1, strlen(b1)), 60);
	assert_int_equal(ck_ch_parse_exception_code(b2, strlen(b2)), 252);
	assert_int_equal(ck_ch_parse_exception_code("Ok.\n", 4), 0);
	assert_int_equal(ck_ch_parse_exception_code("Code: ", 6), 0);
	assert_int_equal(ck_ch_parse_exception_code("", 0), 0);
}

static void test_retriable_codes(void **state)
{
	(void)state;
	assert_true(ck_ch_code_is_retriable(252));  /* TOO_MANY_PARTS */
	assert_true(ck_ch_code_is_retriable(319));  /* UNKNOWN_STATUS_OF_INSERT */
	assert_true(ck_ch_code_is_retriable(159));  /* TIMEOUT_EXCEEDED */
	assert_true(ck_ch_code_is_retriable(241));  /* MEMORY_LIMIT_EXCEEDED */
	assert_true(ck_ch_code_is_retriable(242));  /* TABLE_IS_READ_ONLY */
	assert_false(ck_ch_code_is_retriable(60));  /* UNKNOWN_TABLE */
	assert_false(ck_ch_code_is_retriable(16));  /* NO_SUCH_COLUMN_IN_TABLE */
	assert_false(ck_ch_code_is_retriable(516)); /* AUTHENTICATION_FAILED */
	assert_false(ck_ch_code_is_retriable(62));  /* SYNTAX_ERROR */
	assert_false(ck_ch_code_is_retriable(0));
}

static void test_quote_ident(void **state)
{
	struct ck_buf buf;
	(void)state;

	ck_buf_init(&buf, 100);
	assert_int_equal(ck_ch_quote_ident(&buf, "events", NULL), CK_OK);
	assert_int_equal(ck_ch_quote_ident(&buf, "we`ird\\", NULL), CK_OK);
	assert_int_equal(buf.len, strlen("`events``we\\`ird\\\\`"));
	assert_memory_equal(buf.data, "`events``we\\`ird\\\\`", buf.len);
	ck_buf_free(&buf);
}

static void test_tsv_split(void **state)
{
	char line[] = "id\tNullable(String)\tDEFAULT\t'a\\tb'\\\\\tcomment";
	char *fields[4];
	char one[] = "only";
	(void)state;

	assert_int_equal(ck_ch_tsv_split(line, fields, 4), 4);
	assert_string_equal(fields[0], "id");
	assert_string_equal(fields[1], "Nullable(String)");
	assert_string_equal(fields[2], "DEFAULT");
	assert_string_equal(fields[3], "'a\tb'\\");
	assert_int_equal(ck_ch_tsv_split(one, fields, 4), 1);
	assert_string_equal(fields[0], "only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_exception_code),
		cmocka_unit_test(test_retriable_codes),
		cmocka_unit_test(test_quote_ident),
		cmocka_unit_test(test_tsv_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
