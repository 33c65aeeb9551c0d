/*
 * test_debezium.c — Debezium envelopes → the row they carry
 * (src/decode/debezium.c), and the change-event metadata columns filled
 * from them (src/map/row.c).
 *
 * The fixtures follow the examples in Debezium's connector documentation
 * (PostgreSQL, MySQL, MongoDB), shortened to the members chute reads plus
 * enough of the rest (schema, source, transaction) to show they are
 * skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/debezium.h"
#include "map/row.h"
#include "map/schema.h"

/* PostgreSQL, JsonConverter with schemas.enable=true (schema shortened). */
static const char pg_create[] =
	"{\"schema\": {\"type\": \"struct\", \"fields\": ["
	"{\"type\": \"struct\", \"fields\": [{\"type\": \"int32\", "
	"\"optional\": false, \"field\": \"id\"}], \"optional\": true, "
	"\"name\": \"PostgreSQL_server.inventory.customers.Value\", "
	"\"field\": \"before\"}], \"optional\": false, "
	"\"name\": \"PostgreSQL_server.inventory.customers.Envelope\"}, "
	"\"payload\": {\"before\": null, \"after\": {\"id\": 1, "
	"\"first_name\": \"Anne\", \"last_name\": \"Kretchmar\", "
	"\"email\": \"annek@noanswer.org\"}, \"source\": {\"version\": "
	"\"2.5.0.Final\", \"connector\": \"postgresql\", \"name\": "
	"\"PostgreSQL_server\", \"ts_ms\": 1559033904863, \"snapshot\": "
	"true, \"db\": \"postgres\", \"sequence\": \"[\\\"24023119\\\","
	"\\\"24023128\\\"]\", \"schema\": \"public\", \"table\": "
	"\"customers\", \"txId\": 555, \"lsn\": 24023128, \"xmin\": null}, "
	"\"op\": \"c\", \"ts_ms\": 1559033904863, \"transaction\": null}}";

/* PostgreSQL delete (REPLICA IDENTITY DEFAULT: before has the key only). */
static const char pg_delete[] =
	"{\"schema\": {}, \"payload\": {\"before\": {\"id\": 1}, "
	"\"after\": null, \"source\": {\"connector\": \"postgresql\", "
	"\"ts_ms\": 1559033904863, \"lsn\": 46523128}, \"op\": \"d\", "
	"\"ts_ms\": 1465581902461}}";

/* MySQL, schemas.enable=false: the envelope is the whole message. */
static const char mysql_update[] =
	"{\"before\": {\"id\": 1004, \"first_name\": \"Anne\"}, "
	"\"after\": {\"id\": 1004, \"first_name\": \"Anne Marie\"}, "
	"\"source\": {\"version\": \"2.5.0.Final\", \"name\": "
	"\"mysql-server-1\", \"connector\": \"mysql\", \"ts_ms\": "
	"1465581029100, \"snapshot\": false, \"db\": \"inventory\", "
	"\"table\": \"customers\", \"server_id\": 223344, \"gtid\": null, "
	"\"file\": \"mysql-bin.000003\", \"pos\": 484, \"row\": 0}, "
	"\"op\": \"u\", \"ts_ms\": 1465581029523}";

/* MySQL with schema, snapshot read. */
static const char mysql_read[] =
	"{\"schema\": {\"type\": \"struct\"}, \"payload\": {\"before\": "
	"null, \"after\": {\"id\": 1001}, \"source\": {\"connector\": "
	"\"mysql\", \"ts_ms\": 0, \"snapshot\": \"true\"}, \"op\": \"r\", "
	"\"ts_ms\": 1486500577691}}";

/* MongoDB: after is the document as a JSON string (extended JSON). */
static const char mongo_create[] =
	"{\"schema\": {}, \"payload\": {\"after\": \"{\\\"_id\\\": "
	"{\\\"$oid\\\": \\\"5d9a\\\"}, \\\"id\\\": 1005, \\\"first_name\\\": "
	"\\\"Bob\\\"}\", \"source\": {\"connector\": \"mongodb\", "
	"\"ts_ms\": 1558965508000, \"rs\": \"rs0\", \"collection\": "
	"\"customers\", \"ord\": 31}, \"op\": \"c\", \"ts_ms\": "
	"1558965515240}}";

static int unwrap(const char *msg, size_t len, struct ck_debezium *dbz,
		  struct ck_err *err)
{
	/* Exact-size copy: reading past the message is an ASan report. */
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	ck_err_clear(err);
	rc = ck_debezium_unwrap(len ? copy : NULL, len, dbz, err);
	free(copy);
	return rc;
}

static void unwrap_ok(const char *msg, struct ck_debezium *dbz)
{
	struct ck_err err;

	if (ck_debezium_unwrap(msg, strlen(msg), dbz, &err))
		fail_msg("%s: %s", msg, err.msg);
}

static void expect_row_text(const struct ck_debezium *dbz, const char *want)
{
	assert_int_equal(dbz->kind, CK_DEBEZIUM_ROW);
	assert_int_equal(dbz->row.len, strlen(want));
	assert_memory_equal(dbz->row.p, want, strlen(want));
}

static void test_postgresql(void **state)
{
	struct ck_debezium dbz;

	(void)state;
	unwrap_ok(pg_create, &dbz);
	assert_int_equal(dbz.op, 'c');
	assert_false(dbz.deleted);
	assert_int_equal(dbz.row.kind, CK_JSON_OBJECT);
	expect_row_text(&dbz, "{\"id\": 1, \"first_name\": \"Anne\", "
			      "\"last_name\": \"Kretchmar\", \"email\": "
			      "\"annek@noanswer.org\"}");
	assert_int_equal(dbz.ts_ms, 1559033904863);
	assert_int_equal(dbz.source_ts_ms, 1559033904863);
	assert_int_equal(dbz.position, 24023128);
	assert_false(dbz.unwrapped);

	unwrap_ok(pg_delete, &dbz);
	assert_int_equal(dbz.op, 'd');
	assert_true(dbz.deleted);
	expect_row_text(&dbz, "{\"id\": 1}");
	assert_int_equal(dbz.ts_ms, 1465581902461);
}

static void test_mysql(void **state)
{
	struct ck_debezium dbz;

	(void)state;
	unwrap_ok(mysql_update, &dbz);
	assert_int_equal(dbz.op, 'u');
	assert_false(dbz.deleted);
	expect_row_text(&dbz, "{\"id\": 1004, \"first_name\": \"Anne Marie\"}");
	assert_int_equal(dbz.ts_ms, 1465581029523);
	assert_int_equal(dbz.source_ts_ms, 1465581029100);
	/* mysql-bin.000003, pos 484, row 0 */
	assert_int_equal(dbz.position, (3LL << 40) | (484LL << 8));

	unwrap_ok(mysql_read, &dbz);
	assert_int_equal(dbz.op, 'r');
	expect_row_text(&dbz, "{\"id\": 1001}");
	assert_int_equal(dbz.source_ts_ms, 0);
}

static void test_mongodb_string_after(void **state)
{
	struct ck_debezium dbz;

	(void)state;
	unwrap_ok(mongo_create, &dbz);
	assert_int_equal(dbz.op, 'c');
	assert_int_equal(dbz.row.kind, CK_JSON_STRING);
	assert_true(dbz.row.escaped);
	assert_int_equal(dbz.source_ts_ms, 1558965508000);
	assert_int_equal(dbz.ts_ms, 1558965515240);
	/* oplog (1558965508 s, ord 31) */
	assert_int_equal(dbz.position, (1558965508LL << 32) | 31);
}

static void test_tombstones_and_truncate(void **state)
{
	static const char *const tombstones[] = {
		"", "  \n", "null", " null ", "{\"schema\": {}, \"payload\": null}",
		"{\"payload\": null}",
	};
	struct ck_debezium dbz;
	struct ck_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(tombstones) / sizeof(*tombstones); i++) {
		assert_int_equal(unwrap(tombstones[i], strlen(tombstones[i]),
					&dbz, &err),
				 CK_OK);
		assert_int_equal(dbz.kind, CK_DEBEZIUM_TOMBSTONE);
		assert_int_equal(dbz.op, 0);
	}
	unwrap_ok("{\"op\": \"t\", \"source\": {\"ts_ms\": 7}, \"ts_ms\": 8}",
		  &dbz);
	assert_int_equal(dbz.kind, CK_DEBEZIUM_TRUNCATE);
	assert_int_equal(dbz.op, 't');
	assert_int_equal(dbz.source_ts_ms, 7);
	assert_int_equal(dbz.ts_ms, 8);
	/* Absent and null timestamps are -1; the last repeated member wins. */
	unwrap_ok("{\"op\": \"x\", \"after\": {}, \"ts_ms\": null, "
		  "\"source\": null, \"op\": \"c\"}",
		  &dbz);
	assert_int_equal(dbz.op, 'c');
	assert_int_equal(dbz.ts_ms, -1);
	assert_int_equal(dbz.source_ts_ms, -1);
	/* A top-level op wins over a "payload" column of the row. */
	unwrap_ok("{\"op\": \"c\", \"after\": {\"payload\": 1}, \"payload\": 2}",
		  &dbz);
	expect_row_text(&dbz, "{\"payload\": 1}");
}

static void expect_err(const char *msg, const char *want)
{
	struct ck_debezium dbz;
	struct ck_err err;
	int rc = unwrap(msg, strlen(msg), &dbz, &err);

	if (rc != CK_ERR_PARSE)
		fail_msg("%s: rc %d, want a parse error", msg, rc);
	if (strcmp(err.msg, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", msg, err.msg, want);
}

static void test_errors(void **state)
{
	(void)state;
	expect_err("{\"after\": {}}", "debezium: missing \"op\"");
	expect_err("{\"schema\": {}, \"payload\": {\"after\": {}}}",
		   "debezium: missing \"op\"");
	expect_err("{\"op\": \"x\"}",
		   "debezium: op \"x\" is not one of c, u, d, r, t");
	expect_err("{\"op\": \"cc\"}",
		   "debezium: op \"cc\" is not one of c, u, d, r, t");
	expect_err("{\"op\": \"\\u0063\"}",
		   "debezium: op \"\\u0063\" is not one of c, u, d, r, t");
	expect_err("{\"op\": 1}", "debezium: \"op\" is not a string (got a "
				  "number)");
	expect_err("{\"op\": \"d\", \"after\": {}}",
		   "debezium: delete without \"before\"");
	expect_err("{\"op\": \"d\", \"before\": null}",
		   "debezium: delete without \"before\"");
	expect_err("{\"op\": \"c\", \"after\": null}",
		   "debezium: create without \"after\"");
	expect_err("{\"op\": \"u\", \"before\": {}}",
		   "debezium: update without \"after\"");
	expect_err("{\"op\": \"r\"}",
		   "debezium: snapshot read without \"after\"");
	expect_err("{\"op\": \"c\", \"after\": [1]}",
		   "debezium: \"after\" is not an object or a JSON string "
		   "(got an array)");
	expect_err("{\"op\": \"c\", \"after\": {}, \"ts_ms\": 1.5}",
		   "debezium: \"ts_ms\" is not an integer (got 1.5)");
	expect_err("{\"op\": \"c\", \"after\": {}, \"ts_ms\": \"1\"}",
		   "debezium: \"ts_ms\" is not an integer (got string)");
	expect_err("{\"op\": \"c\", \"after\": {}, \"source\": {\"ts_ms\": "
		   "true}}",
		   "debezium: \"source.ts_ms\" is not an integer (got "
		   "boolean)");
	expect_err("{\"op\": \"c\", \"after\": {}, \"source\": 3}",
		   "debezium: \"source\" is not an object (got a number)");
	expect_err("{\"schema\": {}, \"payload\": \"x\"}",
		   "debezium: \"payload\" is not an object (got a string)");
	expect_err("[1]", "debezium: at byte 0: expected '{' (a JSON object), "
			  "got '['");
	expect_err("{\"op\": \"c\", ",
		   "debezium: at byte 12: expected a string key, got end of "
		   "input");
}

/*
 * Unwrapped changes through the row encoder: the row's own columns, op,
 * deleted, source and event time; a MongoDB string decoded first.
 */

/* Unwraps msg, encodes its row with the CDC metadata, compares the bytes. */
static void expect_unwrapped_row(struct ck_row_encoder *enc,
				 struct ck_row_meta *meta, const char *msg,
				 const uint8_t *want, size_t want_len)
{
	struct ck_debezium dbz;
	struct ck_buf out;
	struct ck_err err;

	unwrap_ok(msg, &dbz);
	meta->op = dbz.op;
	meta->deleted = dbz.deleted;
	meta->source_ts_ms = dbz.source_ts_ms;
	meta->event_ts_ms = dbz.ts_ms;
	ck_row_encoder_set_meta(enc, meta);
	ck_buf_init(&out, 1 << 16);
	if (ck_row_encode_value(enc, &dbz.row, &out, NULL, &err))
		fail_msg("%s: %s", msg, err.msg);
	assert_int_equal(out.len, want_len);
	assert_memory_equal(out.data, want, want_len);
	ck_buf_free(&out);
}
static void test_encode_with_meta(void **state)
{
	static const struct ck_column_desc cols[] = {
		{ "id", "UInt16", "", "" },
		{ "_op", "String", "", "" },
		{ "_deleted", "UInt8", "", "" },
		{ "_source_ts", "DateTime64(3)", "", "" },
		{ "_event_ts", "Nullable(UInt64)", "", "" },
	};
	static const struct ck_column_opts opts_cols[] = {
		{ "_op", CK_EPOCH_AUTO, false, CK_META_OP },
		{ "_deleted", CK_EPOCH_AUTO, false, CK_META_DELETED },
		{ "_source_ts", CK_EPOCH_AUTO, false, CK_META_SOURCE_TS },
		{ "_event_ts", CK_EPOCH_AUTO, false, CK_META_EVENT_TS },
	};
	static const uint8_t want_update[] = {
		0xec, 0x03,                   /* id 1004 */
		0x01, 'u',                    /* _op */
		0x00,                         /* _deleted */
		0xec, 0xc6, 0x6f, 0x3b, 0x55, 0x01, 0, 0, /* 1465581029100 */
		0x00, 0x93, 0xc8, 0x6f, 0x3b, 0x55, 0x01, 0, 0,
	};
	static const uint8_t want_delete[] = {
		0x01, 0x00, 0x01, 'd', 0x01,
		0xdf, 0x7e, 0xa9, 0xfd, 0x6a, 0x01, 0, 0, /* 1559033904863 */
		0x00, 0x7d, 0x1a, 0x7d, 0x3b, 0x55, 0x01, 0, 0,
	};
	static const uint8_t want_mongo[] = {
		0xed, 0x03, 0x01, 'c', 0x00,
		0xa0, 0xd7, 0x95, 0xf9, 0x6a, 0x01, 0, 0,
		0x00, 0xe8, 0xf3, 0x95, 0xf9, 0x6a, 0x01, 0, 0,
	};
	static const uint8_t want_plain[] = {
		0x07, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	};
	struct ck_schema_opts opts = { .columns = opts_cols, .ncolumns = 4 };
	struct ck_schema *schema;
	struct ck_row_encoder *enc;
	struct ck_debezium dbz;
	struct ck_row_meta meta = { .topic = "t", .topic_len = 1 };
	struct ck_buf out;
	struct ck_err err;

	(void)state;
	if (ck_schema_new(cols, 5, &opts, &schema, &err))
		fail_msg("schema: %s", err.msg);
	enc = ck_row_encoder_new(schema);
	assert_non_null(enc);
	ck_buf_init(&out, 1 << 16);

	expect_unwrapped_row(enc, &meta, mysql_update, want_update,
			     sizeof(want_update));

	expect_unwrapped_row(enc, &meta, pg_delete, want_delete,
			     sizeof(want_delete));

	expect_unwrapped_row(enc, &meta, mongo_create, want_mongo,
			     sizeof(want_mongo));

	/* A MongoDB string that is not a document: the row fails. */
	ck_buf_reset(&out);
	unwrap_ok("{\"op\": \"c\", \"after\": \"[1]\"}", &dbz);
	assert_int_equal(ck_row_encode_value(enc, &dbz.row, &out, NULL, &err),
			 CK_ERR_PARSE);
	assert_string_equal(err.msg, "row string: message is not a JSON "
				     "object: got an array");
	assert_int_equal(out.len, 0);

	/* Not a change event (a JSON route): the CDC columns are null. */
	ck_buf_reset(&out);
	ck_row_encoder_set_meta(enc, &(struct ck_row_meta){ .topic = "t",
							    .topic_len = 1 });
	assert_int_equal(ck_row_encode_json(enc, "{\"id\": 7}", 9, &out, NULL,
					    &err),
			 CK_OK);
	assert_int_equal(out.len, sizeof(want_plain));
	assert_memory_equal(out.data, want_plain, sizeof(want_plain));

	ck_buf_free(&out);
	ck_row_encoder_destroy(enc);
	ck_schema_destroy(schema);
}

/* Positions that cannot order changes are none (-1), not guesses. */
static void test_positions(void **state)
{
	struct ck_debezium dbz;

	(void)state;
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"lsn\": "
		  "-5}}", &dbz);
	assert_int_equal(dbz.position, -1);
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"file\": "
		  "\"binlog\", \"pos\": 4}}", &dbz);
	assert_int_equal(dbz.position, -1);
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"file\": "
		  "\"b.000001\", \"pos\": 4, \"row\": 300}}", &dbz);
	assert_int_equal(dbz.position, -1);
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"file\": "
		  "\"b.000001\", \"pos\": 4294967295, \"row\": 255}}", &dbz);
	assert_int_equal(dbz.position, (1LL << 40) | (4294967295LL << 8) | 255);
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"file\": "
		  "\"b.000001\", \"pos\": 4294967296}}", &dbz);
	assert_int_equal(dbz.position, -1);
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"ord\": 2}}",
		  &dbz);
	assert_int_equal(dbz.position, -1); /* no ts_ms */
	unwrap_ok("{\"op\": \"c\", \"after\": {}, \"source\": {\"lsn\": "
		  "\"7\"}}", &dbz);
	assert_int_equal(dbz.position, -1);
}

/* ExtractNewRecordState's output: the object is the row. */
static void test_unwrapped_shape(void **state)
{
	struct ck_debezium dbz;

	(void)state;
	unwrap_ok("{\"id\": 1, \"name\": \"a\", \"__deleted\": \"false\"}",
		  &dbz);
	assert_int_equal(dbz.kind, CK_DEBEZIUM_ROW);
	assert_true(dbz.unwrapped);
	assert_int_equal(dbz.op, 'u');
	assert_false(dbz.deleted);
	expect_row_text(&dbz, "{\"id\": 1, \"name\": \"a\", \"__deleted\": "
			      "\"false\"}");
	assert_int_equal(dbz.position, -1);

	unwrap_ok("{\"id\": 1, \"__deleted\": \"true\"}", &dbz);
	assert_int_equal(dbz.op, 'd');
	assert_true(dbz.deleted);

	unwrap_ok("{\"schema\": {}, \"payload\": {\"id\": 2, \"__op\": \"c\", "
		  "\"__ts_ms\": 10, \"__source_ts_ms\": 9, \"__lsn\": 77, "
		  "\"__deleted\": false}}", &dbz);
	assert_int_equal(dbz.op, 'c');
	assert_false(dbz.deleted);
	assert_int_equal(dbz.ts_ms, 10);
	assert_int_equal(dbz.source_ts_ms, 9);
	assert_int_equal(dbz.position, 77);
	expect_row_text(&dbz, "{\"id\": 2, \"__op\": \"c\", \"__ts_ms\": 10, "
			      "\"__source_ts_ms\": 9, \"__lsn\": 77, "
			      "\"__deleted\": false}");

	/* Regression (fuzz_debezium): whitespace around the object is not
	 * part of the row's span. */
	unwrap_ok(" \n{\"id\": 4, \"__deleted\": 15} \r\n", &dbz);
	expect_row_text(&dbz, "{\"id\": 4, \"__deleted\": 15}");
	assert_false(dbz.deleted);

	unwrap_ok("{\"id\": 3, \"__op\": \"d\"}", &dbz);
	assert_true(dbz.deleted);
	unwrap_ok("{\"id\": 3, \"__op\": \"r\", \"__deleted\": true}", &dbz);
	assert_int_equal(dbz.op, 'r');
	assert_true(dbz.deleted);

	expect_err("{\"id\": 3, \"__op\": \"x\"}",
		   "debezium: __op \"x\" is not one of c, u, d, r");
	expect_err("{\"id\": 3, \"__op\": \"c\", \"__ts_ms\": \"no\"}",
		   "debezium: \"__ts_ms\" is not an integer (got string)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql),
		cmocka_unit_test(test_mysql),
		cmocka_unit_test(test_mongodb_string_after),
		cmocka_unit_test(test_tombstones_and_truncate),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_unwrapped_shape),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_encode_with_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
