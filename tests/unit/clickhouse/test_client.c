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

/* 7 CURLE_COULDNT_CONNECT, 28 OPERATION_TIMEDOUT, 52 GOT_NOTHING,
 * 56 RECV_ERROR, 55 SEND_ERROR, 3 URL_MALFORMAT, 60 PEER_FAILED_VERIFICATION,
 * 77 SSL_CACERT_BADFILE, 58 SSL_CERTPROBLEM, 42 ABORTED_BY_CALLBACK. */
static void test_classify(void **state)
{
	static const struct {
		long status;
		int curl;
		int code;
		enum ck_ch_class want;
	} cases[] = {
		{200, 0, 0, CK_CH_CLASS_NONE},
		/* transport */
		{0, 7, 0, CK_CH_CLASS_RETRIABLE},
		{0, 28, 0, CK_CH_CLASS_RETRIABLE},
		{0, 52, 0, CK_CH_CLASS_RETRIABLE},
		{0, 55, 0, CK_CH_CLASS_RETRIABLE},
		{0, 56, 0, CK_CH_CLASS_RETRIABLE},
		{0, 3, 0, CK_CH_CLASS_CONFIG},
		{0, 60, 0, CK_CH_CLASS_CONFIG},
		{0, 77, 0, CK_CH_CLASS_CONFIG},
		{0, 58, 0, CK_CH_CLASS_CONFIG},
		{0, 42, 0, CK_CH_CLASS_NONE},
		/* HTTP status without a code (a proxy, a load balancer) */
		{500, 0, 0, CK_CH_CLASS_RETRIABLE},
		{502, 0, 0, CK_CH_CLASS_RETRIABLE},
		{503, 0, 0, CK_CH_CLASS_RETRIABLE},
		{429, 0, 0, CK_CH_CLASS_RETRIABLE},
		{408, 0, 0, CK_CH_CLASS_RETRIABLE},
		{401, 0, 0, CK_CH_CLASS_CONFIG},
		{403, 0, 0, CK_CH_CLASS_CONFIG},
		{404, 0, 0, CK_CH_CLASS_CONFIG},
		/* the code decides over the status, also on a 200 */
		{500, 0, 252, CK_CH_CLASS_RETRIABLE}, /* TOO_MANY_PARTS */
		{500, 0, 241, CK_CH_CLASS_RETRIABLE}, /* MEMORY_LIMIT_EXCEEDED */
		{500, 0, 319, CK_CH_CLASS_RETRIABLE}, /* UNKNOWN_STATUS_OF_INSERT */
		{500, 0, 159, CK_CH_CLASS_RETRIABLE}, /* TIMEOUT_EXCEEDED */
		{500, 0, 242, CK_CH_CLASS_RETRIABLE}, /* TABLE_IS_READ_ONLY */
		{500, 0, 216, CK_CH_CLASS_RETRIABLE}, /* same query_id running */
		{500, 0, 210, CK_CH_CLASS_RETRIABLE}, /* NETWORK_ERROR */
		{200, 0, 252, CK_CH_CLASS_RETRIABLE},
		{500, 0, 6, CK_CH_CLASS_BAD_DATA},    /* CANNOT_PARSE_TEXT */
		{400, 0, 27, CK_CH_CLASS_BAD_DATA},   /* CANNOT_PARSE_INPUT_... */
		{500, 0, 33, CK_CH_CLASS_BAD_DATA},   /* CANNOT_READ_ALL_DATA */
		{500, 0, 41, CK_CH_CLASS_BAD_DATA},   /* CANNOT_PARSE_DATETIME */
		{500, 0, 53, CK_CH_CLASS_BAD_DATA},   /* TYPE_MISMATCH */
		{500, 0, 395, CK_CH_CLASS_BAD_DATA},  /* throwIf refused a row */
		{500, 0, 69, CK_CH_CLASS_BAD_DATA},   /* ARGUMENT_OUT_OF_BOUND */
		{500, 0, 70, CK_CH_CLASS_BAD_DATA},   /* CANNOT_CONVERT_TYPE */
		{500, 0, 72, CK_CH_CLASS_BAD_DATA},   /* CANNOT_PARSE_NUMBER */
		{500, 0, 117, CK_CH_CLASS_BAD_DATA},  /* INCORRECT_DATA */
		{500, 0, 131, CK_CH_CLASS_BAD_DATA},  /* TOO_LARGE_STRING_SIZE */
		{500, 0, 321, CK_CH_CLASS_BAD_DATA},  /* VALUE_IS_OUT_OF_RANGE */
		{500, 0, 407, CK_CH_CLASS_BAD_DATA},  /* DECIMAL_OVERFLOW */
		{404, 0, 60, CK_CH_CLASS_CONFIG},     /* UNKNOWN_TABLE */
		{500, 0, 16, CK_CH_CLASS_CONFIG},     /* NO_SUCH_COLUMN_IN_TABLE */
		{500, 0, 47, CK_CH_CLASS_CONFIG},     /* UNKNOWN_IDENTIFIER */
		{500, 0, 62, CK_CH_CLASS_CONFIG},     /* SYNTAX_ERROR */
		{500, 0, 81, CK_CH_CLASS_CONFIG},     /* UNKNOWN_DATABASE */
		{500, 0, 164, CK_CH_CLASS_CONFIG},    /* READONLY user */
		{500, 0, 192, CK_CH_CLASS_CONFIG},    /* UNKNOWN_USER */
		{500, 0, 193, CK_CH_CLASS_CONFIG},    /* WRONG_PASSWORD */
		{500, 0, 194, CK_CH_CLASS_CONFIG},    /* REQUIRED_PASSWORD */
		{403, 0, 497, CK_CH_CLASS_CONFIG},    /* ACCESS_DENIED */
		{403, 0, 516, CK_CH_CLASS_CONFIG},    /* AUTHENTICATION_FAILED */
		{500, 0, 115, CK_CH_CLASS_CONFIG},    /* UNKNOWN_SETTING */
		{500, 0, 89, CK_CH_CLASS_CONFIG},     /* UNKNOWN_COMPRESSION_... */
		{500, 0, 123456, CK_CH_CLASS_CONFIG}, /* unknown: never bad data */
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ck_ch_class got = ck_ch_classify(
			cases[i].status, cases[i].curl, cases[i].code);
		if (got != cases[i].want)
			fail_msg("classify(%ld, %d, %d) = %s, want %s",
				 cases[i].status, cases[i].curl, cases[i].code,
				 ck_ch_class_name(got),
				 ck_ch_class_name(cases[i].want));
	}
	assert_string_equal(ck_ch_class_name(CK_CH_CLASS_BAD_DATA), "bad data");
	assert_string_equal(ck_ch_class_name(CK_CH_CLASS_CONFIG),
			    "configuration");
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

static void expect_engine(const char *text, const char *name, bool replacing,
			  const char *version, const char *is_deleted)
{
	struct ck_ch_engine e;

	if (!ck_ch_parse_engine(text, &e))
		fail_msg("%s: not parsed", text);
	if (strcmp(e.name, name) || e.replacing != replacing ||
	    strcmp(e.version, version) || strcmp(e.is_deleted, is_deleted))
		fail_msg("%s:\n got  %s %d (%s) (%s)\n want %s %d (%s) (%s)",
			 text, e.name, e.replacing, e.version, e.is_deleted,
			 name, replacing, version, is_deleted);
}

static void test_parse_engine(void **state)
{
	struct ck_ch_engine e;

	(void)state;
	expect_engine("MergeTree ORDER BY id SETTINGS index_granularity = 8192",
		      "MergeTree", false, "", "");
	expect_engine("ReplacingMergeTree(_version) ORDER BY id SETTINGS "
		      "index_granularity = 8192",
		      "ReplacingMergeTree", true, "_version", "");
	expect_engine("ReplacingMergeTree(ver, is_deleted) ORDER BY (a, b)",
		      "ReplacingMergeTree", true, "ver", "is_deleted");
	expect_engine("ReplacingMergeTree ORDER BY id", "ReplacingMergeTree",
		      true, "", "");
	expect_engine("ReplacingMergeTree() ORDER BY id", "ReplacingMergeTree",
		      true, "", "");
	expect_engine("ReplicatedReplacingMergeTree('/ch/t/{shard}', "
		      "'{replica}', `my ver`, \"del\") ORDER BY id",
		      "ReplicatedReplacingMergeTree", true, "my ver", "del");
	expect_engine("ReplicatedReplacingMergeTree('/a,b)', 'r\\'x', v) "
		      "ORDER BY id",
		      "ReplicatedReplacingMergeTree", true, "v", "");
	expect_engine("SharedReplacingMergeTree('/p', '{r}', v, d)",
		      "SharedReplacingMergeTree", true, "v", "d");
	/* An expression is not a column: no version. */
	expect_engine("ReplacingMergeTree(toUInt64(v))", "ReplacingMergeTree",
		      true, "", "");
	expect_engine("Memory", "Memory", false, "", "");
	assert_false(ck_ch_parse_engine("", &e));
	assert_false(ck_ch_parse_engine("ReplacingMergeTree(v", &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_exception_code),
		cmocka_unit_test(test_retriable_codes),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_quote_ident),
		cmocka_unit_test(test_tsv_split),
		cmocka_unit_test(test_parse_engine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
