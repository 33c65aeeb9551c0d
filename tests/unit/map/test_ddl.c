/*
 * test_ddl.c — unit tests for src/map/ddl.c: Debezium value schemas (as
 * the PostgreSQL, MySQL and MongoDB connectors write them with
 * JsonConverter schemas.enable=true) → columns and CREATE TABLE, for the
 * Debian 18.16 server and the modern engine (26.9).
 *
 * With CHUTE_DDL_OUT=DIR in the environment the generated statements are
 * also written to DIR/<fixture>-<server>-<engine>.sql (and the message to
 * DIR/<fixture>.json) for tests/ddl/test_ddl_modern.py, which runs them on
 * chdb and, when CLICKHOUSE_URL is set, on the real 18.16 server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/ddl.h"
#include "map/type.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The envelope around a row schema, as Debezium writes it: before, after,
 * source, op, ts_ms, transaction. Built at run time because the whole
 * message is longer than C11 guarantees a string literal can be.
 */
static char *envelope(const char *const *fields, size_t n, const char *name,
		      const char *payload)
{
	struct ck_buf buf;
	char *msg;
	int rc = 0;

	ck_buf_init(&buf, 1 << 20);
	rc |= ck_buf_printf(&buf, NULL,
			    "{\"schema\":{\"type\":\"struct\",\"fields\":[");
	for (int pass = 0; pass < 2; pass++) {
		rc |= ck_buf_printf(&buf, NULL, "%s{\"type\":\"struct\","
				    "\"fields\":[", pass ? "," : "");
		for (size_t i = 0; i < n; i++)
			rc |= ck_buf_printf(&buf, NULL, "%s%s", i ? "," : "",
					    fields[i]);
		rc |= ck_buf_printf(&buf, NULL,
				    "],\"optional\":true,\"name\":\"%s.Value\","
				    "\"field\":\"%s\"}",
				    name, pass ? "after" : "before");
	}
	rc |= ck_buf_printf(
		&buf, NULL,
		",{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.Source\","
		"\"field\":\"source\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
		"{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],"
		"\"optional\":true,\"name\":\"event.block\",\"version\":1,"
		"\"field\":\"transaction\"}],"
		"\"optional\":false,\"name\":\"%s.Envelope\",\"version\":1},"
		"\"payload\":%s}",
		name, payload);
	rc |= ck_buf_put_u8(&buf, 0, NULL);
	assert_int_equal(rc, 0);
	msg = (char *)buf.data;
	return msg;
}

/* A PostgreSQL table with every type the connector documents. */
static const char *const pg_row[] = {
	("{\"type\":\"int32\",\"optional\":false,\"default\":0,"
	 "\"field\":\"id\"}"),
	"{\"type\":\"int16\",\"optional\":true,\"field\":\"small\"}",
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"big\"}",
	"{\"type\":\"float\",\"optional\":true,\"field\":\"real\"}",
	"{\"type\":\"double\",\"optional\":false,\"field\":\"dbl\"}",
	"{\"type\":\"boolean\",\"optional\":true,\"field\":\"flag\"}",
	"{\"type\":\"string\",\"optional\":true,\"field\":\"name\"}",
	"{\"type\":\"bytes\",\"optional\":true,\"field\":\"data\"}",
	("{\"type\":\"bytes\",\"optional\":true,"
	 "\"name\":\"org.apache.kafka.connect.data.Decimal\","
	 "\"version\":1,\"parameters\":{\"scale\":\"2\","
	 "\"connect.decimal.precision\":\"10\"},\"field\":\"price\"}"),
	("{\"type\":\"bytes\",\"optional\":false,"
	 "\"name\":\"org.apache.kafka.connect.data.Decimal\","
	 "\"version\":1,\"parameters\":{\"scale\":\"4\","
	 "\"connect.decimal.precision\":\"50\"},\"field\":\"huge\"}"),
	("{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\","
	 "\"optional\":false,\"field\":\"scale\"},{\"type\":\"bytes\","
	 "\"optional\":false,\"field\":\"value\"}],\"optional\":true,"
	 "\"name\":\"io.debezium.data.VariableScaleDecimal\","
	 "\"version\":1,\"doc\":\"Variable scaled decimal\","
	 "\"field\":\"num\"}"),
	("{\"type\":\"int32\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.Date\",\"version\":1,"
	 "\"field\":\"d\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.MicroTime\",\"version\":1,"
	 "\"field\":\"t\"}"),
	("{\"type\":\"int32\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.Time\",\"version\":1,"
	 "\"field\":\"t_ms\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.NanoTime\",\"version\":1,"
	 "\"field\":\"t_ns\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1,"
	 "\"field\":\"ts\"}"),
	("{\"type\":\"int64\",\"optional\":false,"
	 "\"name\":\"io.debezium.time.Timestamp\",\"version\":1,"
	 "\"field\":\"ts_ms\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.NanoTimestamp\",\"version\":1,"
	 "\"field\":\"ts_ns\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.ZonedTimestamp\",\"version\":1,"
	 "\"field\":\"tstz\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.ZonedTime\",\"version\":1,"
	 "\"field\":\"ttz\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Json\",\"version\":1,"
	 "\"field\":\"js\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Uuid\",\"version\":1,"
	 "\"field\":\"uid\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Enum\",\"version\":1,"
	 "\"parameters\":{\"allowed\":\"happy,sad\"},\"field\":\"mood\"}"),
	("{\"type\":\"bytes\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Bits\",\"version\":1,"
	 "\"parameters\":{\"length\":\"12\"},\"field\":\"bits\"}"),
	("{\"type\":\"array\",\"items\":{\"type\":\"string\","
	 "\"optional\":true},\"optional\":true,\"field\":\"tags\"}"),
	("{\"type\":\"array\",\"items\":{\"type\":\"int64\","
	 "\"optional\":true,"
	 "\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1},"
	 "\"optional\":true,\"field\":\"stamps\"}"),
	("{\"type\":\"map\",\"keys\":{\"type\":\"string\","
	 "\"optional\":false},\"values\":{\"type\":\"string\","
	 "\"optional\":true},\"optional\":true,\"field\":\"attrs\"}"),
	("{\"type\":\"map\",\"keys\":{\"type\":\"int32\","
	 "\"optional\":false},\"values\":{\"type\":\"int64\","
	 "\"optional\":false},\"optional\":true,\"field\":\"counts\"}"),
	("{\"type\":\"struct\",\"fields\":[{\"type\":\"float64\","
	 "\"optional\":false,\"field\":\"x\"},{\"type\":\"float64\","
	 "\"optional\":false,\"field\":\"y\"},{\"type\":\"bytes\","
	 "\"optional\":true,\"field\":\"wkb\"},{\"type\":\"int32\","
	 "\"optional\":true,\"field\":\"srid\"}],\"optional\":true,"
	 "\"name\":\"io.debezium.data.geometry.Point\",\"version\":1,"
	 "\"doc\":\"Geometry (POINT)\",\"field\":\"geo\"}"),
	("{\"type\":\"struct\",\"fields\":[{\"type\":\"string\","
	 "\"optional\":true,\"field\":\"street\"},{\"type\":\"int64\","
	 "\"optional\":true,\"name\":\"io.debezium.time.Timestamp\","
	 "\"version\":1,\"field\":\"since\"}],\"optional\":true,"
	 "\"field\":\"addr\"}"),
	("{\"type\":\"struct\",\"fields\":[{\"type\":\"string\","
	 "\"optional\":true,\"field\":\"label\"},{\"type\":\"bytes\","
	 "\"optional\":true,\"field\":\"blob\"}],\"optional\":true,"
	 "\"field\":\"mixed\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"field\":\"we`ird\\\\\"}"),
};

static char *pg_msg;

/* The payload of pg_msg. */
static const char pg_msg_payload[] =
	"{\"before\":null,\"after\":{\"id\":1,\"small\":2,\"dbl\":1.5,"
	"\"huge\":\"AA==\",\"ts_ms\":1700000000123},\"source\":{\"version\":"
	"\"2.5.0.Final\",\"connector\":\"postgresql\",\"ts_ms\":1700000000000},"
	"\"op\":\"c\",\"ts_ms\":1700000000456,\"transaction\":null}";

/* What each column of PG_ROW becomes: 18.16, then 26.9. */
static const struct want {
	const char *name;
	const char *old_type, *new_type;
	enum ck_epoch_unit unit;
	bool base64;
} pg_want[] = {
	{"id", "Int32", "Int32", CK_EPOCH_AUTO, false},
	{"small", "Nullable(Int16)", "Nullable(Int16)", CK_EPOCH_AUTO, false},
	{"big", "Nullable(Int64)", "Nullable(Int64)", CK_EPOCH_AUTO, false},
	{"real", "Nullable(Float32)", "Nullable(Float32)", CK_EPOCH_AUTO,
	 false},
	{"dbl", "Float64", "Float64", CK_EPOCH_AUTO, false},
	{"flag", "Nullable(UInt8)", "Nullable(Bool)", CK_EPOCH_AUTO, false},
	{"name", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"data", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, true},
	{"price", "Nullable(Decimal(10, 2))", "Nullable(Decimal(10, 2))",
	 CK_EPOCH_AUTO, true},
	{"huge", "Decimal(38, 4)", "Decimal(50, 4)", CK_EPOCH_AUTO, true},
	{"num", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"d", "Nullable(Date)", "Nullable(Date32)", CK_EPOCH_DAYS, false},
	{"t", "Nullable(Int64)", "Nullable(Int64)", CK_EPOCH_AUTO, false},
	{"t_ms", "Nullable(Int32)", "Nullable(Int32)", CK_EPOCH_AUTO, false},
	{"t_ns", "Nullable(Int64)", "Nullable(Int64)", CK_EPOCH_AUTO, false},
	{"ts", "Nullable(DateTime('UTC'))", "Nullable(DateTime64(6, 'UTC'))",
	 CK_EPOCH_MICROS, false},
	{"ts_ms", "DateTime('UTC')", "DateTime64(3, 'UTC')", CK_EPOCH_MILLIS,
	 false},
	{"ts_ns", "Nullable(DateTime('UTC'))", "Nullable(DateTime64(9, 'UTC'))",
	 CK_EPOCH_NANOS, false},
	{"tstz", "Nullable(DateTime('UTC'))", "Nullable(DateTime64(6, 'UTC'))",
	 CK_EPOCH_AUTO, false},
	{"ttz", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"js", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"uid", "Nullable(UUID)", "Nullable(UUID)", CK_EPOCH_AUTO, false},
	{"mood", "Nullable(String)", "LowCardinality(Nullable(String))",
	 CK_EPOCH_AUTO, false},
	{"bits", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, true},
	{"tags", "Array(Nullable(String))", "Array(Nullable(String))",
	 CK_EPOCH_AUTO, false},
	{"stamps", "Array(Nullable(DateTime('UTC')))",
	 "Array(Nullable(DateTime64(6, 'UTC')))", CK_EPOCH_MICROS, false},
	{"attrs", "Nullable(String)", "Map(String, Nullable(String))",
	 CK_EPOCH_AUTO, false},
	{"counts", "Nullable(String)", "Array(Tuple(Int32, Int64))",
	 CK_EPOCH_AUTO, false},
	{"geo", "Nullable(String)",
	 "Tuple(x Float64, y Float64, wkb Nullable(String), srid "
	 "Nullable(Int32))",
	 CK_EPOCH_AUTO, true},
	{"addr", "Nullable(String)",
	 "Tuple(street Nullable(String), since Nullable(DateTime64(3, "
	 "'UTC')))",
	 CK_EPOCH_MILLIS, false},
	{"mixed", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"we`ird\\", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO,
	 false},
};

/*
 * MySQL: DATETIME as Timestamp, TIMESTAMP as ZonedTimestamp, TIME as
 * MicroTime, YEAR as io.debezium.time.Year, ENUM and SET, BIT(n),
 * TINYINT(1) as int16, JSON.
 */
static const char *const mysql_row[] = {
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"order_id\"}",
	"{\"type\":\"string\",\"optional\":false,\"field\":\"region\"}",
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.Timestamp\",\"version\":1,"
	 "\"field\":\"created\"}"),
	("{\"type\":\"string\",\"optional\":false,"
	 "\"name\":\"io.debezium.time.ZonedTimestamp\",\"version\":1,"
	 "\"default\":\"1970-01-01T00:00:00Z\",\"field\":\"updated\"}"),
	("{\"type\":\"int32\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.Date\",\"version\":1,"
	 "\"field\":\"shipped\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.MicroTime\",\"version\":1,"
	 "\"field\":\"slot\"}"),
	("{\"type\":\"int32\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.Year\",\"version\":1,"
	 "\"field\":\"yr\"}"),
	("{\"type\":\"bytes\",\"optional\":false,"
	 "\"name\":\"org.apache.kafka.connect.data.Decimal\","
	 "\"version\":1,\"parameters\":{\"scale\":\"2\","
	 "\"connect.decimal.precision\":\"8\"},\"field\":\"total\"}"),
	"{\"type\":\"int16\",\"optional\":true,\"field\":\"paid\"}",
	("{\"type\":\"string\",\"optional\":false,"
	 "\"name\":\"io.debezium.data.Enum\",\"version\":1,"
	 "\"parameters\":{\"allowed\":\"new,paid,sent\"},"
	 "\"field\":\"status\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.EnumSet\",\"version\":1,"
	 "\"parameters\":{\"allowed\":\"a,b,c\"},\"field\":\"flags\"}"),
	("{\"type\":\"bytes\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Bits\",\"version\":1,"
	 "\"parameters\":{\"length\":\"4\"},\"field\":\"mask\"}"),
	("{\"type\":\"string\",\"optional\":true,"
	 "\"name\":\"io.debezium.data.Json\",\"version\":1,"
	 "\"field\":\"doc\"}"),
	"{\"type\":\"bytes\",\"optional\":true,\"field\":\"raw\"}",
};

static char *mysql_msg;

/* The payload of mysql_msg. */
static const char mysql_msg_payload[] =
	"{\"before\":null,\"after\":{\"order_id\":7,\"region\":\"eu\","
	"\"updated\":\"2024-03-01T10:00:00Z\",\"total\":\"AeI=\","
	"\"status\":\"new\"},\"source\":{\"version\":\"2.5.0.Final\","
	"\"connector\":\"mysql\",\"ts_ms\":1700000000000},\"op\":\"r\","
	"\"ts_ms\":1700000000456,\"transaction\":null}";

static const struct want mysql_want[] = {
	{"order_id", "Int64", "Int64", CK_EPOCH_AUTO, false},
	{"region", "String", "String", CK_EPOCH_AUTO, false},
	{"created", "Nullable(DateTime('UTC'))",
	 "Nullable(DateTime64(3, 'UTC'))", CK_EPOCH_MILLIS, false},
	{"updated", "DateTime('UTC')", "DateTime64(6, 'UTC')", CK_EPOCH_AUTO,
	 false},
	{"shipped", "Nullable(Date)", "Nullable(Date32)", CK_EPOCH_DAYS, false},
	{"slot", "Nullable(Int64)", "Nullable(Int64)", CK_EPOCH_AUTO, false},
	{"yr", "Nullable(Int32)", "Nullable(Int32)", CK_EPOCH_AUTO, false},
	{"total", "Decimal(8, 2)", "Decimal(8, 2)", CK_EPOCH_AUTO, true},
	{"paid", "Nullable(Int16)", "Nullable(Int16)", CK_EPOCH_AUTO, false},
	{"status", "String", "LowCardinality(String)", CK_EPOCH_AUTO, false},
	{"flags", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"mask", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, true},
	{"doc", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, false},
	{"raw", "Nullable(String)", "Nullable(String)", CK_EPOCH_AUTO, true},
};

/* MongoDB: "after" is the document as a JSON string. */
static const char mongo_msg[] =
	"{\"schema\":{\"type\":\"struct\",\"fields\":["
	"{\"type\":\"string\",\"optional\":true,"
	"\"name\":\"io.debezium.data.Json\",\"version\":1,\"field\":\"before\"},"
	"{\"type\":\"string\",\"optional\":true,"
	"\"name\":\"io.debezium.data.Json\",\"version\":1,\"field\":\"after\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"updateDescription\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"op\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
	"\"optional\":false,\"name\":\"mongo.inventory.customers.Envelope\"},"
	"\"payload\":{\"before\":null,\"after\":\"{\\\"_id\\\": {\\\"$oid\\\": "
	"\\\"5f0c\\\"},\\\"name\\\": \\\"Ann\\\"}\",\"op\":\"c\","
	"\"ts_ms\":1700000000456}}";

/* ExtractNewRecordState already applied: the schema is the row. */
static const char unwrapped_msg[] =
	"{\"schema\":{\"type\":\"struct\",\"fields\":["
	"{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"name\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"__deleted\"}],"
	"\"optional\":false,\"name\":\"pg.public.users.Value\"},"
	"\"payload\":{\"id\":1,\"name\":\"Ann\",\"__deleted\":\"false\"}}";

static const struct ck_ddl_caps *caps_old(void)
{
	static struct ck_ddl_caps caps;
	ck_ddl_caps_for_version(18, 16, &caps);
	return &caps;
}

static const struct ck_ddl_caps *caps_new(void)
{
	static struct ck_ddl_caps caps;
	ck_ddl_caps_for_version(26, 9, &caps);
	return &caps;
}

static void row_of(const char *msg, const struct ck_ddl_caps *caps,
		   struct ck_ddl_row *row)
{
	struct ck_err err;

	if (ck_ddl_row_from_message(msg, strlen(msg), caps, row, &err))
		fail_msg("row: %s", err.msg);
}

/* Every type ddl writes must be one chute itself can parse and write. */
static void assert_chute_type(const char *text)
{
	struct ck_type *type = NULL;
	struct ck_buf buf;
	struct ck_err err;

	if (ck_type_parse(text, &type, &err))
		fail_msg("chute cannot parse '%s': %s", text, err.msg);
	ck_buf_init(&buf, 4096);
	assert_int_equal(ck_type_format(type, &buf, &err), CK_OK);
	/* the canonical spelling: what DESCRIBE prints back */
	if (buf.len != strlen(text) || memcmp(buf.data, text, buf.len) != 0)
		fail_msg("'%s' is not canonical ('%.*s')", text, (int)buf.len,
			 (const char *)buf.data);
	ck_buf_free(&buf);
	ck_type_destroy(type);
}

static void check_row(const char *msg, const struct want *want, size_t n)
{
	for (int modern = 0; modern < 2; modern++) {
		struct ck_ddl_row row;

		row_of(msg, modern ? caps_new() : caps_old(), &row);
		assert_int_equal(row.ncols, n);
		for (size_t i = 0; i < n; i++) {
			const char *type =
				modern ? want[i].new_type : want[i].old_type;
			assert_string_equal(row.cols[i].name, want[i].name);
			if (strcmp(row.cols[i].type, type) != 0)
				fail_msg("%s column %s: '%s', want '%s'",
					 modern ? "26.9" : "18.16", want[i].name,
					 row.cols[i].type, type);
			assert_chute_type(row.cols[i].type);
			/* a value stored as JSON text needs no options */
			if (!modern && strcmp(type, want[i].new_type) != 0 &&
			    strcmp(type, "Nullable(String)") == 0) {
				assert_int_equal(row.cols[i].unit,
						 CK_EPOCH_AUTO);
				assert_false(row.cols[i].bytes_base64);
				continue;
			}
			if (row.cols[i].unit != want[i].unit ||
			    row.cols[i].bytes_base64 != want[i].base64)
				fail_msg("%s column %s: unit %d base64 %d",
					 modern ? "26.9" : "18.16", want[i].name,
					 (int)row.cols[i].unit,
					 (int)row.cols[i].bytes_base64);
		}
		ck_ddl_row_free(&row);
		assert_null(row.cols);
		assert_int_equal(row.ncols, 0);
	}
}

static void test_postgres_types(void **state)
{
	(void)state;
	check_row(pg_msg, pg_want, N(pg_want));
}

static void test_mysql_types(void **state)
{
	(void)state;
	check_row(mysql_msg, mysql_want, N(mysql_want));
}

static void test_unwrapped(void **state)
{
	struct ck_ddl_row row;

	(void)state;
	row_of(unwrapped_msg, caps_new(), &row);
	assert_int_equal(row.ncols, 3);
	assert_string_equal(row.cols[0].name, "id");
	assert_string_equal(row.cols[0].type, "Int32");
	assert_string_equal(row.cols[2].name, "__deleted");
	assert_string_equal(row.cols[2].type, "Nullable(String)");
	ck_ddl_row_free(&row);
}

static void test_caps(void **state)
{
	const struct ck_ddl_caps *o = caps_old(), *m = caps_new();
	struct ck_ddl_caps c;

	(void)state;
	assert_false(o->bool_type || o->date32 || o->datetime64 || o->map ||
		     o->low_cardinality || o->named_tuple || o->is_deleted ||
		     o->decimal256);
	assert_true(m->bool_type && m->date32 && m->datetime64 && m->map &&
		    m->low_cardinality && m->named_tuple && m->is_deleted &&
		    m->decimal256);
	ck_ddl_caps_for_version(19, 3, &c);
	assert_true(c.low_cardinality);
	assert_false(c.datetime64);
	ck_ddl_caps_for_version(20, 1, &c);
	assert_true(c.datetime64);
	assert_false(c.decimal256 || c.named_tuple);
	ck_ddl_caps_for_version(20, 11, &c);
	assert_true(c.decimal256 && c.named_tuple);
	assert_false(c.map || c.date32);
	ck_ddl_caps_for_version(21, 8, &c);
	assert_false(c.map || c.date32);
	ck_ddl_caps_for_version(21, 9, &c);
	assert_true(c.map && c.date32);
	assert_false(c.bool_type);
	ck_ddl_caps_for_version(21, 12, &c);
	assert_true(c.bool_type);
	ck_ddl_caps_for_version(23, 1, &c);
	assert_false(c.is_deleted);
	ck_ddl_caps_for_version(23, 2, &c);
	assert_true(c.is_deleted);
	ck_ddl_caps_for_version(24, 1, &c);
	assert_true(c.is_deleted && c.bool_type);
}

static void column(const char *field, const struct ck_ddl_caps *caps,
		   const char *type, enum ck_epoch_unit unit, bool base64)
{
	struct ck_json_value v;
	struct ck_ddl_column col;
	struct ck_err err;

	assert_int_equal(ck_json_parse(field, strlen(field), &v, NULL), CK_OK);
	if (ck_ddl_column_from_field(&v, caps, &col, &err))
		fail_msg("%s: %s", field, err.msg);
	if (strcmp(col.type, type) != 0)
		fail_msg("%s: '%s', want '%s'", field, col.type, type);
	assert_int_equal(col.unit, unit);
	assert_int_equal(col.bytes_base64, base64);
	assert_chute_type(col.type);
	ck_ddl_column_free(&col);
	ck_ddl_column_free(NULL);
}

static void column_err(const char *field, int code, const char *msg)
{
	struct ck_json_value v;
	struct ck_ddl_column col;
	struct ck_err err;
	int rc;

	assert_int_equal(ck_json_parse(field, strlen(field), &v, NULL), CK_OK);
	rc = ck_ddl_column_from_field(&v, caps_new(), &col, &err);
	if (rc != code)
		fail_msg("%s: rc %d (%s), want %d", field, rc, err.msg, code);
	assert_string_equal(err.msg, msg);
}

static void test_single_fields(void **state)
{
	(void)state;
	/*
	 * JsonConverter spells FLOAT32 and FLOAT64 "float" and "double"
	 * (regression: only float32/float64 were known, so every real
	 * message with a floating-point column failed to create a table).
	 */
	column("{\"type\":\"float\",\"field\":\"x\"}", caps_new(), "Float32",
	       CK_EPOCH_AUTO, false);
	column("{\"type\":\"double\",\"optional\":true,\"field\":\"x\"}",
	       caps_new(), "Nullable(Float64)", CK_EPOCH_AUTO, false);
	column("{\"type\":\"float64\",\"field\":\"x\"}", caps_new(), "Float64",
	       CK_EPOCH_AUTO, false);
	/* schema evolution: one new field */
	column("{\"type\":\"int32\",\"optional\":true,\"field\":\"x\"}",
	       caps_new(), "Nullable(Int32)", CK_EPOCH_AUTO, false);
	column("{\"type\":\"int8\",\"field\":\"x\"}", caps_new(), "Int8",
	       CK_EPOCH_AUTO, false);
	column("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data."
	       "Date\",\"field\":\"d\"}",
	       caps_new(), "Date32", CK_EPOCH_DAYS, false);
	column("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data."
	       "Time\",\"field\":\"t\"}",
	       caps_new(), "Int32", CK_EPOCH_AUTO, false);
	column("{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data."
	       "Timestamp\",\"optional\":true,\"field\":\"t\"}",
	       caps_new(), "Nullable(DateTime64(3, 'UTC'))", CK_EPOCH_MILLIS,
	       false);
	/* decimal: precision absent → 38 (but at least the scale) */
	column("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data."
	       "Decimal\",\"parameters\":{\"scale\":\"3\"},\"field\":\"p\"}",
	       caps_new(), "Decimal(38, 3)", CK_EPOCH_AUTO, true);
	column("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data."
	       "Decimal\",\"parameters\":{\"scale\":40},\"field\":\"p\"}",
	       caps_new(), "Decimal(40, 40)", CK_EPOCH_AUTO, true);
	column("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data."
	       "Decimal\",\"parameters\":{\"scale\":\"5\","
	       "\"connect.decimal.precision\":\"3\"},\"field\":\"p\"}",
	       caps_new(), "Decimal(5, 5)", CK_EPOCH_AUTO, true);
	/* a logical name on the wrong physical type is ignored */
	column("{\"type\":\"string\",\"name\":\"io.debezium.time."
	       "MicroTimestamp\",\"field\":\"t\"}",
	       caps_new(), "String", CK_EPOCH_AUTO, false);
	column("{\"type\":\"string\",\"name\":\"io.debezium.data.Unknown\","
	       "\"field\":\"t\"}",
	       caps_new(), "String", CK_EPOCH_AUTO, false);
	/* nested: an array of arrays, an array of structs (of JSON texts
	 * on servers without named tuples) */
	column("{\"type\":\"array\",\"items\":{\"type\":\"array\","
	       "\"items\":{\"type\":\"int32\"}},\"field\":\"m\"}",
	       caps_new(), "Array(Array(Int32))", CK_EPOCH_AUTO, false);
	column("{\"type\":\"array\",\"items\":{\"type\":\"struct\","
	       "\"fields\":[{\"type\":\"int32\",\"field\":\"a\"},"
	       "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\","
	       "\"optional\":true,\"field\":\"b\"}]},\"field\":\"s\"}",
	       caps_new(), "Array(Tuple(a Int32, b Nullable(Date32)))",
	       CK_EPOCH_DAYS, false);
	column("{\"type\":\"array\",\"items\":{\"type\":\"struct\","
	       "\"fields\":[{\"type\":\"int32\",\"field\":\"a\"}]},"
	       "\"optional\":true,\"field\":\"s\"}",
	       caps_old(), "Array(String)", CK_EPOCH_AUTO, false);
	/* a date and a timestamp cannot share one column's epoch unit */
	column("{\"type\":\"struct\",\"fields\":["
	       "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\","
	       "\"field\":\"a\"},"
	       "{\"type\":\"int64\",\"name\":\"io.debezium.time.Timestamp\","
	       "\"field\":\"b\"}],\"field\":\"s\"}",
	       caps_new(), "String", CK_EPOCH_AUTO, false);
	/* an element name that is no plain identifier */
	column("{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\","
	       "\"field\":\"a b\"}],\"field\":\"s\"}",
	       caps_new(), "String", CK_EPOCH_AUTO, false);
	/* an empty struct */
	column("{\"type\":\"struct\",\"fields\":[],\"optional\":true,"
	       "\"field\":\"s\"}",
	       caps_new(), "Nullable(String)", CK_EPOCH_AUTO, false);
	/* map values of bytes; map keys are never Nullable */
	column("{\"type\":\"map\",\"keys\":{\"type\":\"string\","
	       "\"optional\":true},\"values\":{\"type\":\"bytes\","
	       "\"optional\":true},\"field\":\"m\"}",
	       caps_new(), "Map(String, Nullable(String))", CK_EPOCH_AUTO,
	       true);
	column("{\"type\":\"map\",\"keys\":{\"type\":\"int64\","
	       "\"optional\":true},\"values\":{\"type\":\"string\"},"
	       "\"field\":\"m\"}",
	       caps_new(), "Array(Tuple(Nullable(Int64), String))",
	       CK_EPOCH_AUTO, false);
	/* deeper than CK_DDL_MAX_NESTING: JSON text */
	column("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
	       "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
	       "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
	       "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
	       "{\"type\":\"array\",\"items\":{\"type\":\"int8\"}}}}}}}}},"
	       "\"field\":\"deep\"}",
	       caps_new(),
	       "Array(Array(Array(Array(Array(Array(Array(Array(String))))))))",
	       CK_EPOCH_AUTO, false);
	/* old servers: Enum without LowCardinality, Decimal(38) at most */
	column("{\"type\":\"string\",\"name\":\"io.debezium.data.Enum\","
	       "\"optional\":true,\"field\":\"e\"}",
	       caps_old(), "Nullable(String)", CK_EPOCH_AUTO, false);
	column("{\"type\":\"boolean\",\"field\":\"b\"}", caps_old(), "UInt8",
	       CK_EPOCH_AUTO, false);
}

static void test_field_errors(void **state)
{
	(void)state;
	column_err("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect."
		   "data.Decimal\",\"field\":\"price\"}",
		   CK_ERR_PARSE,
		   "ddl: field price: Decimal without parameters.scale");
	column_err("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect."
		   "data.Decimal\",\"parameters\":{\"scale\":\"x\"},"
		   "\"field\":\"price\"}",
		   CK_ERR_PARSE,
		   "ddl: field price: Decimal: parameters.scale 'x' is not an "
		   "integer from 0 to 76");
	column_err("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect."
		   "data.Decimal\",\"parameters\":{\"scale\":\"77\"},"
		   "\"field\":\"price\"}",
		   CK_ERR_PARSE,
		   "ddl: field price: Decimal: parameters.scale '77' is not an "
		   "integer from 0 to 76");
	column_err("{\"type\":\"float128\",\"field\":\"x\"}", CK_ERR_PARSE,
		   "ddl: field x: unknown type 'float128'");
	column_err("{\"optional\":true,\"field\":\"x\"}", CK_ERR_PARSE,
		   "ddl: field x: schema without \"type\"");
	column_err("{\"type\":\"int32\"}", CK_ERR_PARSE,
		   "ddl: a field without a \"field\" name");
	column_err("{\"type\":\"int32\",\"field\":\"\"}", CK_ERR_PARSE,
		   "ddl: name is empty");
	column_err("{\"type\":\"int32\",\"field\":\"a\\u0000b\"}", CK_ERR_PARSE,
		   "ddl: field a\\u0000b: name contains a NUL byte");
	column_err("{\"type\":\"struct\",\"fields\":[{\"type\":\"array\","
		   "\"field\":\"tags\"}],\"field\":\"addr\"}",
		   CK_ERR_PARSE, "ddl: field addr.tags: array without \"items\"");
	column_err("{\"type\":\"array\",\"items\":{\"type\":\"map\","
		   "\"keys\":{\"type\":\"string\"},\"values\":{\"type\":"
		   "\"blob\"}},\"field\":\"m\"}",
		   CK_ERR_PARSE, "ddl: field m[]{values}: unknown type 'blob'");
	column_err("{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\","
		   "\"field\":\"a\"},{\"type\":\"int32\",\"field\":\"a\"}],"
		   "\"field\":\"s\"}",
		   CK_ERR_PARSE, "ddl: field s: struct member 'a' appears twice");
	column_err("{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\"}],"
		   "\"field\":\"s\"}",
		   CK_ERR_PARSE,
		   "ddl: field s: struct member 0 without a \"field\" name");
	column_err("{\"type\":\"struct\",\"field\":\"s\"}", CK_ERR_PARSE,
		   "ddl: field s: struct without a \"fields\" array");
	column_err("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
		   "\"field\":\"m\"}",
		   CK_ERR_PARSE,
		   "ddl: field m: map without \"keys\" and \"values\"");
	column_err("{\"type\":7,\"field\":\"x\"}", CK_ERR_PARSE,
		   "ddl: field x: \"type\" is number, not a string");
	column_err("[1]", CK_ERR_PARSE, "ddl: a field without a \"field\" name");
	column_err("{\"type\":\"array\",\"items\":[],\"field\":\"a\"}",
		   CK_ERR_PARSE, "ddl: field a[]: schema is array, not an object");
}

static void message_err(const char *msg, const struct ck_ddl_caps *caps,
			int code, const char *text)
{
	struct ck_ddl_row row = {(struct ck_ddl_column *)(uintptr_t)1, 5};
	struct ck_err err;
	int rc;

	ck_err_clear(&err);
	rc = ck_ddl_row_from_message(msg, strlen(msg), caps, &row, &err);
	if (rc != code)
		fail_msg("rc %d (%s), want %d", rc, err.msg, code);
	assert_null(row.cols);
	assert_int_equal(row.ncols, 0);
	if (text)
		assert_string_equal(err.msg, text);
}

#define ROW_MSG(FIELDS)                                                        \
	"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\","   \
	"\"fields\":[" FIELDS "],\"field\":\"after\"},{\"type\":\"string\","    \
	"\"field\":\"op\"}]},\"payload\":{}}"

static void test_message_errors(void **state)
{
	(void)state;
	message_err("{\"before\":null,\"after\":{\"id\":1},\"op\":\"c\"}",
		    caps_new(), CK_ERR_SCHEMA,
		    "ddl: message carries no schema (JsonConverter "
		    "schemas.enable=false)");
	message_err("{\"schema\":null,\"payload\":{\"id\":1}}", caps_new(),
		    CK_ERR_SCHEMA,
		    "ddl: message carries no schema (JsonConverter "
		    "schemas.enable=false)");
	message_err("", caps_new(), CK_ERR_SCHEMA,
		    "ddl: message carries no schema (a tombstone)");
	message_err(" null ", caps_new(), CK_ERR_SCHEMA,
		    "ddl: message carries no schema (a tombstone)");
	message_err(mongo_msg, caps_new(), CK_ERR_SCHEMA,
		    "ddl: field after: the row is a JSON string (MongoDB, "
		    "io.debezium.data.Json) with no column schema; create the "
		    "table yourself");
	message_err("{\"schema\":{\"type\":\"string\"},\"payload\":\"x\"}",
		    caps_new(), CK_ERR_SCHEMA, NULL);
	message_err("{\"schema\":{\"fields\":[]},\"payload\":{}}", caps_new(),
		    CK_ERR_PARSE, "ddl: field schema: schema without \"type\"");
	message_err("{\"schema\":", caps_new(), CK_ERR_PARSE, NULL);
	message_err("[]", caps_new(), CK_ERR_PARSE, NULL);
	message_err(ROW_MSG("{\"type\":\"bytes\",\"name\":\"org.apache.kafka."
			    "connect.data.Decimal\",\"field\":\"price\"}"),
		    caps_new(), CK_ERR_PARSE,
		    "ddl: field after.price: Decimal without parameters.scale");
	message_err(ROW_MSG("{\"type\":\"int32\",\"field\":\"a\"},"
			    "{\"type\":\"string\",\"field\":\"a\"}"),
		    caps_new(), CK_ERR_PARSE,
		    "ddl: field after.a: the name appears twice");
	message_err(ROW_MSG("{\"type\":\"struct\",\"fields\":[{\"type\":"
			    "\"array\",\"items\":{\"type\":\"nope\"},"
			    "\"field\":\"xs\"}],\"field\":\"loc\"}"),
		    caps_old(), CK_ERR_PARSE,
		    "ddl: field after.loc.xs[]: unknown type 'nope'");
	message_err(ROW_MSG(""), caps_new(), CK_ERR_SCHEMA,
		    "ddl: field after: the row has no fields");
	message_err(ROW_MSG("{\"type\":\"bytes\",\"name\":\"org.apache.kafka."
			    "connect.data.Decimal\",\"parameters\":{\"scale\":"
			    "\"50\"},\"field\":\"p\"}"),
		    caps_old(), CK_ERR_UNSUPPORTED,
		    "ddl: field after.p: Decimal scale 50 is more than the "
		    "server's largest precision 38");
}

static void keys_ok(const char *key, size_t n, const char *const *want)
{
	char **names;
	size_t got;
	struct ck_err err;

	if (ck_ddl_key_names(key, strlen(key), &names, &got, &err))
		fail_msg("%s: %s", key, err.msg);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	ck_ddl_names_free(names, got);
}

static void keys_err(const char *key, int code, const char *msg)
{
	char **names = (char **)(uintptr_t)1;
	size_t got = 9;
	struct ck_err err;
	int rc = ck_ddl_key_names(key, strlen(key), &names, &got, &err);

	if (rc != code)
		fail_msg("%s: rc %d (%s), want %d", key, rc, err.msg, code);
	assert_null(names);
	assert_int_equal(got, 0);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static void test_key_names(void **state)
{
	static const char *const id[] = {"id"};
	static const char *const two[] = {"region", "order_id"};
	static const char *const odd[] = {"we`ird", "\xc3\xa9t\xc3\xa9"};

	(void)state;
	keys_ok("{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
		"\"int32\",\"optional\":false,\"default\":0,\"field\":\"id\"}],"
		"\"optional\":false,\"name\":\"pg.public.items.Key\"},"
		"\"payload\":{\"id\":1}}",
		1, id);
	keys_ok("{\"id\":1}", 1, id);
	keys_ok(" {\"region\":\"eu\",\"order_id\":7} ", 2, two);
	keys_ok("{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
		"\"string\",\"field\":\"region\"},{\"type\":\"int64\","
		"\"field\":\"order_id\"}]},\"payload\":{\"region\":\"eu\","
		"\"order_id\":7}}",
		2, two);
	keys_ok("{\"we`ird\":1,\"\\u00e9t\\u00e9\":2}", 2, odd);
	keys_err("1", CK_ERR_SCHEMA,
		 "ddl: key is number, not an object with the key columns");
	keys_err("\"k1\"", CK_ERR_SCHEMA, NULL);
	keys_err("{}", CK_ERR_SCHEMA,
		 "ddl: key has no members, so no key columns");
	keys_err("{\"schema\":{\"type\":\"int32\"},\"payload\":5}",
		 CK_ERR_SCHEMA,
		 "ddl: key payload is number, not an object with the key "
		 "columns");
	keys_err("{\"id\":1,\"id\":2}", CK_ERR_PARSE,
		 "ddl: key member 'id' appears twice");
	keys_err("{\"\":1}", CK_ERR_SCHEMA, NULL);
	keys_err("{\"id\":", CK_ERR_PARSE, NULL);
	ck_ddl_names_free(NULL, 0);
}

static const char pg_old_upsert[] =
	"CREATE TABLE IF NOT EXISTS `cdc`.`items`\n"
	"(\n"
	"    `id` Int32,\n"
	"    `name` Nullable(String),\n"
	"    `price` Nullable(Decimal(10, 2)),\n"
	"    `ts` Nullable(DateTime('UTC')),\n"
	"    `_version` UInt64,\n"
	"    `_deleted` UInt8,\n"
	"    `_topic` String,\n"
	"    `_ingested` DateTime('UTC') DEFAULT now()\n"
	")\n"
	"ENGINE = ReplacingMergeTree(`_version`)\n"
	"ORDER BY (`id`)";

static const char pg_new_upsert[] =
	"CREATE TABLE IF NOT EXISTS `cdc`.`items`\n"
	"(\n"
	"    `id` Int32,\n"
	"    `name` Nullable(String),\n"
	"    `price` Nullable(Decimal(10, 2)),\n"
	"    `ts` Nullable(DateTime64(6, 'UTC')),\n"
	"    `_version` UInt64,\n"
	"    `_deleted` UInt8,\n"
	"    `_topic` LowCardinality(String),\n"
	"    `_ingested` DateTime64(3, 'UTC') DEFAULT now64(3)\n"
	")\n"
	"ENGINE = ReplacingMergeTree(`_version`, `_deleted`)\n"
	"ORDER BY (`id`)";

/* A small PostgreSQL table: the example of docs/cdc.md. */
static const char *const small_row[] = {
	"{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}",
	"{\"type\":\"string\",\"optional\":true,\"field\":\"name\"}",
	("{\"type\":\"bytes\",\"optional\":true,"
	 "\"name\":\"org.apache.kafka.connect.data.Decimal\","
	 "\"version\":1,\"parameters\":{\"scale\":\"2\","
	 "\"connect.decimal.precision\":\"10\"},\"field\":\"price\"}"),
	("{\"type\":\"int64\",\"optional\":true,"
	 "\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1,"
	 "\"field\":\"ts\"}"),
};

static char *small_msg;

/* The payload of small_msg. */
static const char small_msg_payload[] =
	"{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\",\"price\":\"AeI=\","
	"\"ts\":1700000000123456},\"source\":{\"version\":\"2.5.0.Final\","
	"\"connector\":\"postgresql\",\"ts_ms\":1700000000000},\"op\":\"c\","
	"\"ts_ms\":1700000000456,\"transaction\":null}";

static void create(const struct ck_ddl_row *row,
		   const struct ck_ddl_create *opts,
		   const struct ck_ddl_caps *caps, const char *want)
{
	struct ck_buf sql;
	struct ck_err err;

	ck_buf_init(&sql, 1 << 20);
	if (ck_ddl_create_table(row, opts, caps, &sql, &err))
		fail_msg("create: %s", err.msg);
	if (sql.len != strlen(want) || memcmp(sql.data, want, sql.len) != 0)
		fail_msg("got\n%.*s\nwant\n%s", (int)sql.len,
			 (const char *)sql.data, want);
	ck_buf_free(&sql);
}

static void test_create_upsert(void **state)
{
	static const char *const keys[] = {"id"};
	struct ck_ddl_extra extra[2];
	struct ck_ddl_row row;

	(void)state;
	for (int modern = 0; modern < 2; modern++) {
		const struct ck_ddl_caps *caps = modern ? caps_new() : caps_old();
		struct ck_ddl_create opts = {
			.database = "cdc", .table = "items", .upsert = true,
			.version_column = "_version",
			.deleted_column = "_deleted", .keys = keys, .nkeys = 1,
			.extra = extra, .nextra = 2,
		};

		extra[0] = (struct ck_ddl_extra){
			"_topic", ck_ddl_meta_type(CK_META_TOPIC, caps),
			ck_ddl_meta_default(CK_META_TOPIC, caps)};
		extra[1] = (struct ck_ddl_extra){
			"_ingested", ck_ddl_meta_type(CK_META_INGEST_TIME, caps),
			ck_ddl_meta_default(CK_META_INGEST_TIME, caps)};
		row_of(small_msg, caps, &row);
		create(&row, &opts, caps, modern ? pg_new_upsert : pg_old_upsert);
		ck_ddl_row_free(&row);
	}
}

static void test_create_append_and_quoting(void **state)
{
	static const char *const keys[] = {"k`1", "name"};
	char n0[] = "k`1", n1[] = "name", n2[] = "a\\b\nc";
	char t0[] = "Nullable(Int64)", t1[] = "LowCardinality(Nullable(String))";
	char t2[] = "String";
	struct ck_ddl_column cols[] = {
		{n0, t0, CK_EPOCH_AUTO, false},
		{n1, t1, CK_EPOCH_AUTO, false},
		{n2, t2, CK_EPOCH_AUTO, false},
	};
	struct ck_ddl_row row = {cols, N(cols)};
	struct ck_ddl_create opts = {.database = "d`b", .table = "t\\1",
				     .keys = keys, .nkeys = 2};
	struct ck_ddl_create plain = {.table = "t"};

	(void)state;
	create(&row, &opts, caps_new(),
	       "CREATE TABLE IF NOT EXISTS `d\\`b`.`t\\\\1`\n"
	       "(\n"
	       "    `k\\`1` Int64,\n"
	       "    `name` LowCardinality(String),\n"
	       "    `a\\\\b\\x0ac` String\n"
	       ")\n"
	       "ENGINE = MergeTree\n"
	       "ORDER BY (`k\\`1`, `name`)");
	/* append only without a key; version/deleted only matter in upsert */
	plain.version_column = "v";
	create(&row, &plain, caps_old(),
	       "CREATE TABLE IF NOT EXISTS `t`\n"
	       "(\n"
	       "    `k\\`1` Nullable(Int64),\n"
	       "    `name` LowCardinality(Nullable(String)),\n"
	       "    `a\\\\b\\x0ac` String\n"
	       ")\n"
	       "ENGINE = MergeTree\n"
	       "ORDER BY tuple()");
}

static void create_err(const struct ck_ddl_create *opts, int code,
		       const char *msg)
{
	char n0[] = "id", n1[] = "v", t0[] = "Int32", t1[] = "String";
	struct ck_ddl_column cols[] = {
		{n0, t0, CK_EPOCH_AUTO, false},
		{n1, t1, CK_EPOCH_AUTO, false},
	};
	struct ck_ddl_row row = {cols, N(cols)};
	struct ck_buf sql;
	struct ck_err err;
	int rc;

	ck_buf_init(&sql, 1 << 16);
	ck_buf_append(&sql, "x", 1, NULL);
	rc = ck_ddl_create_table(&row, opts, caps_new(), &sql, &err);
	if (rc != code)
		fail_msg("rc %d (%s), want %d", rc, err.msg, code);
	assert_int_equal(sql.len, 1);
	if (msg)
		assert_string_equal(err.msg, msg);
	ck_buf_free(&sql);
}

static void test_create_errors(void **state)
{
	static const char *const id[] = {"id"};
	static const char *const nope[] = {"nope"};
	static const char *const twice[] = {"id", "id"};
	static const struct ck_ddl_extra dup[] = {{"v", "String", NULL}};
	static const struct ck_ddl_extra untyped[] = {{"m", NULL, NULL}};

	(void)state;
	create_err(&(struct ck_ddl_create){.table = "t", .upsert = true,
					   .version_column = "ver"},
		   CK_ERR_CONFIG,
		   "ddl: table `t`: upsert needs key columns (the message key "
		   "gave none)");
	create_err(&(struct ck_ddl_create){.table = "t", .upsert = true,
					   .keys = id, .nkeys = 1},
		   CK_ERR_CONFIG, "ddl: table `t`: upsert needs a version column");
	create_err(&(struct ck_ddl_create){.table = "t", .keys = nope,
					   .nkeys = 1},
		   CK_ERR_SCHEMA,
		   "ddl: table `t`: key column 'nope' is not a field of the row");
	create_err(&(struct ck_ddl_create){.table = "t", .keys = twice,
					   .nkeys = 2},
		   CK_ERR_CONFIG, "ddl: table `t`: key column 'id' appears twice");
	create_err(&(struct ck_ddl_create){.table = "t", .extra = dup,
					   .nextra = 1},
		   CK_ERR_SCHEMA, "ddl: table `t`: column 'v' appears twice");
	create_err(&(struct ck_ddl_create){.table = "t", .upsert = true,
					   .keys = id, .nkeys = 1,
					   .version_column = "id"},
		   CK_ERR_SCHEMA, "ddl: table `t`: column 'id' appears twice");
	create_err(&(struct ck_ddl_create){.table = "t", .extra = untyped,
					   .nextra = 1},
		   CK_ERR_CONFIG,
		   "ddl: table `t`: metadata column 0 needs a name and a type");
	create_err(&(struct ck_ddl_create){.table = ""}, CK_ERR_CONFIG,
		   "ddl: no table name");
	create_err(&(struct ck_ddl_create){.table = "t", .database = ""},
		   CK_ERR_CONFIG, "ddl: empty database name");
}

static void test_create_limit(void **state)
{
	struct ck_ddl_row row;
	struct ck_ddl_create opts = {.table = "t"};
	struct ck_buf sql;
	struct ck_err err;

	(void)state;
	row_of(pg_msg, caps_new(), &row);
	ck_buf_init(&sql, 100);
	assert_int_equal(ck_ddl_create_table(&row, &opts, caps_new(), &sql, &err),
			 CK_ERR_LIMIT);
	assert_int_equal(sql.len, 0);
	assert_non_null(strstr(err.msg, "ddl: table `t`: "));
	ck_buf_free(&sql);
	ck_ddl_row_free(&row);
}

static void test_meta_types(void **state)
{
	const struct ck_ddl_caps *o = caps_old(), *m = caps_new();

	(void)state;
	assert_null(ck_ddl_meta_type(CK_META_NONE, m));
	assert_string_equal(ck_ddl_meta_type(CK_META_TOPIC, m),
			    "LowCardinality(String)");
	assert_string_equal(ck_ddl_meta_type(CK_META_TOPIC, o), "String");
	assert_string_equal(ck_ddl_meta_type(CK_META_OP, m),
			    "LowCardinality(String)");
	assert_string_equal(ck_ddl_meta_type(CK_META_PARTITION, o), "Int32");
	assert_string_equal(ck_ddl_meta_type(CK_META_OFFSET, o), "Int64");
	assert_string_equal(ck_ddl_meta_type(CK_META_TIMESTAMP, m),
			    "DateTime64(3, 'UTC')");
	assert_string_equal(ck_ddl_meta_type(CK_META_SOURCE_TS, o),
			    "DateTime('UTC')");
	assert_string_equal(ck_ddl_meta_type(CK_META_EVENT_TS, m),
			    "DateTime64(3, 'UTC')");
	assert_string_equal(ck_ddl_meta_type(CK_META_KEY, m), "String");
	assert_string_equal(ck_ddl_meta_type(CK_META_DELETED, m), "UInt8");
	assert_string_equal(ck_ddl_meta_type(CK_META_VERSION, o), "UInt64");
	assert_string_equal(ck_ddl_meta_type(CK_META_INGEST_TIME, m),
			    "DateTime64(3, 'UTC')");
	assert_string_equal(ck_ddl_meta_default(CK_META_INGEST_TIME, m),
			    "now64(3)");
	assert_string_equal(ck_ddl_meta_default(CK_META_INGEST_TIME, o),
			    "now()");
	assert_null(ck_ddl_meta_default(CK_META_TOPIC, m));
	for (int f = CK_META_TOPIC; f <= CK_META_INGEST_TIME; f++) {
		assert_chute_type(ck_ddl_meta_type((enum ck_meta_field)f, o));
		assert_chute_type(ck_ddl_meta_type((enum ck_meta_field)f, m));
	}
}

/* ------------------------------------------------------------ CHUTE_DDL_OUT */

static void write_file(const char *dir, const char *name, const void *p,
		       size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * The statements tests/ddl runs on real engines: every fixture, for both
 * servers, append only and upsert. Databases and tables are named so one
 * run can create them all side by side.
 */
static void test_write_ddl(void **state)
{
	const struct {
		const char *name, *msg, *key;
	} fixtures[] = {
		{"postgres", pg_msg, "{\"id\":1}"},
		{"mysql", mysql_msg,
		 "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
		 "\"string\",\"field\":\"region\"},{\"type\":\"int64\","
		 "\"field\":\"order_id\"}]},\"payload\":{\"region\":\"eu\","
		 "\"order_id\":7}}"},
		{"small", small_msg, "{\"id\":1}"},
		{"unwrapped", unwrapped_msg, "{\"id\":1}"},
	};
	const char *dir = getenv("CHUTE_DDL_OUT");

	(void)state;
	if (!dir || !*dir)
		skip();
	for (size_t i = 0; i < N(fixtures); i++) {
		char name[256], table[256];
		char **keys;
		size_t nkeys;
		struct ck_err err;

		write_file(dir, (snprintf(name, sizeof(name), "%s.json",
					  fixtures[i].name),
				 name),
			   fixtures[i].msg, strlen(fixtures[i].msg));
		if (ck_ddl_key_names(fixtures[i].key, strlen(fixtures[i].key),
				     &keys, &nkeys, &err))
			fail_msg("%s key: %s", fixtures[i].name, err.msg);
		for (int modern = 0; modern < 2; modern++) {
			const struct ck_ddl_caps *caps =
				modern ? caps_new() : caps_old();
			const char *server = modern ? "26.9" : "18.16";
			struct ck_ddl_row row;

			row_of(fixtures[i].msg, caps, &row);
			for (int upsert = 0; upsert < 2; upsert++) {
				const struct ck_ddl_extra extra[] = {
					{"_topic",
					 ck_ddl_meta_type(CK_META_TOPIC, caps),
					 NULL},
					{"_offset",
					 ck_ddl_meta_type(CK_META_OFFSET, caps),
					 NULL},
					{"_ingested",
					 ck_ddl_meta_type(CK_META_INGEST_TIME,
							  caps),
					 ck_ddl_meta_default(CK_META_INGEST_TIME,
							     caps)},
				};
				struct ck_ddl_create opts = {
					.database = "chute_ddl_test",
					.table = table,
					.upsert = upsert,
					.version_column = "_version",
					.deleted_column = "_deleted",
					.keys = (const char *const *)keys,
					.nkeys = upsert ? nkeys : 0,
					.extra = extra,
					.nextra = N(extra),
				};
				struct ck_buf sql;

				snprintf(table, sizeof(table), "%s_%s",
					 fixtures[i].name,
					 upsert ? "upsert" : "append");
				ck_buf_init(&sql, 1 << 20);
				if (ck_ddl_create_table(&row, &opts, caps, &sql,
							&err))
					fail_msg("%s: %s", table, err.msg);
				snprintf(name, sizeof(name), "%s-%s-%s.sql",
					 fixtures[i].name, server,
					 upsert ? "upsert" : "append");
				write_file(dir, name, sql.data, sql.len);
				ck_buf_free(&sql);
			}
			ck_ddl_row_free(&row);
		}
		ck_ddl_names_free(keys, nkeys);
	}
}

static int setup(void **state)
{
	(void)state;
	pg_msg = envelope(pg_row, N(pg_row), "pg.public.items", pg_msg_payload);
	mysql_msg = envelope(mysql_row, N(mysql_row), "mysql.shop.orders",
			     mysql_msg_payload);
	small_msg = envelope(small_row, N(small_row), "pg.public.items",
			     small_msg_payload);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(pg_msg);
	free(mysql_msg);
	free(small_msg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_postgres_types),
		cmocka_unit_test(test_mysql_types),
		cmocka_unit_test(test_unwrapped),
		cmocka_unit_test(test_single_fields),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_message_errors),
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_create_upsert),
		cmocka_unit_test(test_create_append_and_quoting),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_create_limit),
		cmocka_unit_test(test_meta_types),
		cmocka_unit_test(test_write_ddl),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
