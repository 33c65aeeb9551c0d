/*
 * test_exactly_once.c — the pending-range record in commit metadata, the
 * deduplication token, and the start-up verdict per server and table kind
 * (docs/delivery.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/exactly_once.h"

static void parse_ok(const char *text, struct ck_eo_record *rec)
{
	struct ck_err err;

	ck_err_clear(&err);
	assert_int_equal(ck_eo_meta_parse(text, strlen(text), rec, &err),
			 CK_OK);
}

static void parse_bad(const char *text, const char *msg)
{
	struct ck_eo_record rec;
	struct ck_err err;

	ck_err_clear(&err);
	assert_int_equal(ck_eo_meta_parse(text, strlen(text), &rec, &err),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg, msg);
}

static void test_record_round_trip(void **state)
{
	struct ck_eo_record in = {.found = true,
				  .epoch = 0x0123456789abcdefULL,
				  .pending = true,
				  .first = 100,
				  .last = 9223372036854775807LL};
	struct ck_eo_record out;
	char meta[CK_EO_META_MAX];
	size_t n;

	(void)state;
	n = ck_eo_meta_format(meta, &in);
	assert_string_equal(meta, "chute1 e=0123456789abcdef "
				  "p=100-9223372036854775807");
	assert_int_equal(n, strlen(meta));
	parse_ok(meta, &out);
	assert_true(out.found && out.pending);
	assert_int_equal(out.epoch, in.epoch);
	assert_int_equal(out.first, in.first);
	assert_int_equal(out.last, in.last);

	in.pending = false;
	in.first = in.last = 0;
	n = ck_eo_meta_format(meta, &in);
	assert_string_equal(meta, "chute1 e=0123456789abcdef");
	parse_ok(meta, &out);
	assert_true(out.found);
	assert_false(out.pending);
	assert_int_equal(out.epoch, in.epoch);
}

static void test_foreign_metadata_is_not_a_record(void **state)
{
	struct ck_eo_record rec;

	(void)state;
	parse_ok("", &rec);
	assert_false(rec.found);
	parse_ok("some other tool", &rec);
	assert_false(rec.found);
	parse_ok("chute1", &rec); /* no space: not our prefix */
	assert_false(rec.found);
}

static void test_malformed_records(void **state)
{
	(void)state;
	parse_bad("chute1 x=1", "commit metadata: expected e=<epoch> after "
				"\"chute1 \"");
	parse_bad("chute1 e=0123", "commit metadata: the epoch must be 16 "
				   "lower-case hex digits");
	parse_bad("chute1 e=0123456789ABCDEF", "commit metadata: the epoch "
					       "must be 16 lower-case hex "
					       "digits");
	parse_bad("chute1 e=0123456789abcdef0", "commit metadata: expected "
						"\" p=<first>-<last>\" or "
						"the end after the epoch");
	parse_bad("chute1 e=0123456789abcdef p=5", "commit metadata: the "
						   "pending range must be "
						   "<first>-<last>, two "
						   "offsets");
	parse_bad("chute1 e=0123456789abcdef p=5-", "commit metadata: the "
						    "pending range must be "
						    "<first>-<last>, two "
						    "offsets");
	parse_bad("chute1 e=0123456789abcdef p=5-6 ", "commit metadata: the "
						      "pending range must "
						      "be <first>-<last>, "
						      "two offsets");
	parse_bad("chute1 e=0123456789abcdef p=-1-6",
		  "commit metadata: the pending range must be "
		  "<first>-<last>, two offsets");
	/* 20 digits: more than any offset. */
	parse_bad("chute1 e=0123456789abcdef p=1-99999999999999999999",
		  "commit metadata: the pending range must be "
		  "<first>-<last>, two offsets");
	/* One spelling per offset (fuzz_eo found "010" parsing as 10). */
	parse_bad("chute1 e=0123456789abcdef p=010-199",
		  "commit metadata: the pending range must be "
		  "<first>-<last>, two offsets");
	parse_bad("chute1 e=0123456789abcdef p=1-9223372036854775808",
		  "commit metadata: the pending range must be "
		  "<first>-<last>, two offsets");
	parse_bad("chute1 e=0123456789abcdef p=0-00",
		  "commit metadata: the pending range must be "
		  "<first>-<last>, two offsets");
	parse_bad("chute1 e=0123456789abcdef p=7-6",
		  "commit metadata: pending range 7-6 ends before it starts");
}

static void test_token(void **state)
{
	char tok[128];

	(void)state;
	assert_int_equal(ck_eo_token(tok, sizeof(tok), 0xfeULL, "orders", 3,
				     1000, 1999),
			 strlen("chute1:00000000000000fe:orders:3:1000-1999"));
	assert_string_equal(tok, "chute1:00000000000000fe:orders:3:1000-1999");
	assert_int_equal(ck_eo_token(tok, 20, 1, "orders", 3, 1, 2), 0);
}

static enum ck_eo_verdict decide(const char *engine, bool token,
				 int64_t window, bool offsets,
				 struct ck_eo_plan *plan, struct ck_err *note)
{
	struct ck_eo_target t = {
		.topic = "ev",
		.table = "db.ev",
		.version = "18.16.1",
		.token = token,
		.engine = engine,
		.window = window,
		.offset_columns = offsets,
	};
	return ck_eo_decide(&t, plan, note);
}

static void test_verdicts(void **state)
{
	struct ck_eo_plan plan;
	struct ck_err note;

	(void)state;
	/* E3: engines that cannot deduplicate. */
	assert_int_equal(decide("Distributed", true, 100, true, &plan, &note),
			 CK_EO_REFUSE);
	assert_non_null(strstr(note.msg, "engine Distributed cannot "
					 "deduplicate"));
	assert_int_equal(decide("Buffer", false, -1, true, &plan, &note),
			 CK_EO_REFUSE);
	/* E2: old server, no offset columns. */
	assert_int_equal(decide("MergeTree", false, -1, false, &plan, &note),
			 CK_EO_REFUSE);
	assert_non_null(strstr(note.msg, "has no insert_deduplication_token "
					 "(needs 22.2+)"));
	assert_non_null(strstr(note.msg, "delivery: at-least-once"));
	/* Old server with offset columns: the check, with a warning. */
	assert_int_equal(decide("ReplicatedMergeTree", false, -1, true, &plan,
				&note),
			 CK_EO_WARN);
	assert_false(plan.send_token);
	assert_false(plan.token_dedups);
	assert_true(plan.check_offsets);
	/* E1: modern server, plain MergeTree, window 0, no offsets. */
	assert_int_equal(decide("MergeTree", true, 0, false, &plan, &note),
			 CK_EO_REFUSE);
	assert_non_null(strstr(note.msg, "MODIFY SETTING "
					 "non_replicated_deduplication_window "
					 "= 1000"));
	/* Window 0 with offset columns: the check, with a warning. */
	assert_int_equal(decide("ReplacingMergeTree", true, 0, true, &plan,
				&note),
			 CK_EO_WARN);
	assert_true(plan.send_token);
	/* The token is sent but drops nothing: an unknown outcome replays. */
	assert_false(plan.token_dedups);
	assert_true(plan.check_offsets);
	/* A window: the token; offset columns remove the limit. */
	assert_int_equal(decide("MergeTree", true, 100, false, &plan, &note),
			 CK_EO_WARN);
	assert_non_null(strstr(note.msg, "last 100 blocks"));
	assert_true(plan.send_token);
	assert_true(plan.token_dedups);
	assert_false(plan.check_offsets);
	assert_int_equal(decide("MergeTree", true, 100, true, &plan, &note),
			 CK_EO_SERVE);
	assert_int_equal(decide("ReplicatedMergeTree", true, -1, false, &plan,
				&note),
			 CK_EO_WARN);
	assert_true(plan.token_dedups);
	assert_int_equal(decide("SharedMergeTree", true, -1, true, &plan,
				&note),
			 CK_EO_SERVE);
	assert_true(plan.send_token && plan.check_offsets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_foreign_metadata_is_not_a_record),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
