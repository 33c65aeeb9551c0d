/*
 * fuzz_row.c — libFuzzer harness for the row encoder (src/map/row.c and,
 * through it, the JSON scanner and the RowBinary encoder).
 *
 * The input is one Kafka message. It is encoded against a fixed table that
 * has a column of every supported type, once as RowBinary and once as
 * RowBinaryWithDefaults. Besides the sanitizers, the harness checks the
 * encoder's promises:
 *   - on error, the output buffer is back to its length on entry, the
 *     counters are unchanged, and err holds the returned code and a message;
 *   - on success, the bytes written are exactly one well-formed row: a
 *     reader that walks the schema's types consumes all of them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "map/row.h"
#include "map/schema.h"
#include "map/schema_internal.h"

#include "fuzz.h"

static const struct ck_column_desc cols[] = {
	{ "i8", "Int8", "", "" },
	{ "i16", "Int16", "", "" },
	{ "i32", "Int32", "", "" },
	{ "i64", "Int64", "", "" },
	{ "u8", "UInt8", "", "" },
	{ "u16", "UInt16", "", "" },
	{ "u32", "UInt32", "", "" },
	{ "u64", "UInt64", "", "" },
	{ "f32", "Float32", "", "" },
	{ "f64", "Float64", "", "" },
	{ "b", "Bool", "", "" },
	{ "s", "String", "", "" },
	{ "fs", "FixedString(4)", "", "" },
	{ "d", "Date", "", "" },
	{ "dt", "DateTime", "", "" },
	{ "dtz", "DateTime('Europe/Oslo')", "", "" },
	{ "n", "Nullable(Int32)", "", "" },
	{ "ns", "Nullable(String)", "", "" },
	{ "a", "Array(UInt8)", "", "" },
	{ "aa", "Array(Array(String))", "", "" },
	{ "an", "Array(Nullable(Float64))", "", "" },
	{ "\xc3\xa9t\xc3\xa9", "String", "", "" },
	{ "i128", "Int128", "", "" },
	{ "u256", "UInt256", "", "" },
	{ "dec", "Decimal(10, 2)", "", "" },
	{ "dec256", "Decimal256(20)", "", "" },
	{ "d32", "Date32", "", "" },
	{ "dt64", "DateTime64(3, 'UTC')", "", "" },
	{ "dt64n", "Nullable(DateTime64(9))", "", "" },
	{ "uuid", "UUID", "", "" },
	{ "ip4", "IPv4", "", "" },
	{ "ip6", "IPv6", "", "" },
	{ "e8", "Enum8('a' = 1, 'b' = -2)", "", "" },
	{ "e16", "Enum16('x' = 1000)", "", "" },
	{ "lc", "LowCardinality(Nullable(String))", "", "" },
	{ "agg", "SimpleAggregateFunction(sum, UInt64)", "", "" },
	{ "t", "Tuple(UInt8, Array(String))", "", "" },
	{ "nt", "Tuple(a Int32, b Nullable(UUID))", "", "" },
	{ "m", "Map(String, Array(Decimal(4, 1)))", "", "" },
	{ "mk", "Map(UInt16, IPv4)", "", "" },
	{ "j", "JSON", "", "" },
	{ "b64", "String", "", "" },
	{ "b64d", "Decimal(18, 4)", "", "" },
	{ "ms", "DateTime", "", "" },
	{ "def", "DateTime", "DEFAULT", "now()" },
	{ "mat", "Variant(UInt8, String)", "MATERIALIZED", "f64" },
	/* Where mode 1 (schema evolution on) puts values i32 cannot take. */
	{ "i32_str", "Nullable(String)", "", "" },
	{ "i32_float", "Nullable(Float64)", "", "" },
};

struct mode {
	struct ck_schema *schema;
	struct ck_row_encoder *enc;
};

static struct mode modes[2];
static struct ck_buf out;

static void init(void)
{
	static int done;

	if (done)
		return;
	for (int i = 0; i < 2; i++) {
		static const struct ck_column_opts copts[] = {
			{ "b64", CK_EPOCH_AUTO, true },
			{ "b64d", CK_EPOCH_AUTO, true },
			{ "ms", CK_EPOCH_MILLIS, false },
			{ "d32", CK_EPOCH_SECONDS, false },
		};
		struct ck_schema_opts opts = {
			.with_defaults = i == 1,
			.columns = copts,
			.ncolumns = sizeof(copts) / sizeof(copts[0]),
		};
		if (ck_schema_new(cols, sizeof(cols) / sizeof(cols[0]), &opts,
				  &modes[i].schema, NULL))
			abort();
		modes[i].enc = ck_row_encoder_new(modes[i].schema);
		if (!modes[i].enc)
			abort();
		ck_row_encoder_track_unknown(modes[i].enc, i == 1);
	}
	ck_buf_init(&out, 1 << 24);
	done = 1;
}

/* Steps over one RowBinary value of type t; -1 if the bytes end early. */
static int skip_value(const struct ck_type *t, struct ck_cur *cur)
{
	struct ck_slice s;
	uint64_t n;

	switch (t->kind) {
	case CK_TYPE_INT8:
	case CK_TYPE_UINT8:
		return ck_cur_take(cur, 1, &s, NULL) ? -1 : 0;
	case CK_TYPE_BOOL:
		if (ck_cur_le(cur, 1, &n, NULL) || n > 1)
			return -1;
		return 0;
	case CK_TYPE_INT16:
	case CK_TYPE_UINT16:
	case CK_TYPE_DATE:
		return ck_cur_take(cur, 2, &s, NULL) ? -1 : 0;
	case CK_TYPE_INT32:
	case CK_TYPE_UINT32:
	case CK_TYPE_FLOAT32:
	case CK_TYPE_DATETIME:
	case CK_TYPE_DATE32:
	case CK_TYPE_IPV4:
		return ck_cur_take(cur, 4, &s, NULL) ? -1 : 0;
	case CK_TYPE_INT64:
	case CK_TYPE_UINT64:
	case CK_TYPE_FLOAT64:
	case CK_TYPE_DATETIME64:
		return ck_cur_take(cur, 8, &s, NULL) ? -1 : 0;
	case CK_TYPE_INT128:
	case CK_TYPE_UINT128:
	case CK_TYPE_UUID:
	case CK_TYPE_IPV6:
		return ck_cur_take(cur, 16, &s, NULL) ? -1 : 0;
	case CK_TYPE_INT256:
	case CK_TYPE_UINT256:
		return ck_cur_take(cur, 32, &s, NULL) ? -1 : 0;
	case CK_TYPE_DECIMAL:
		n = t->precision <= 9 ? 4 : t->precision <= 18 ? 8
			: t->precision <= 38 ? 16 : 32;
		return ck_cur_take(cur, (size_t)n, &s, NULL) ? -1 : 0;
	case CK_TYPE_ENUM8:
	case CK_TYPE_ENUM16: {
		int64_t e;
		if (ck_cur_le(cur, t->kind == CK_TYPE_ENUM8 ? 1 : 2, &n, NULL))
			return -1;
		e = t->kind == CK_TYPE_ENUM8 ? (int8_t)n : (int16_t)n;
		for (size_t i = 0; i < t->nenum; i++)
			if (t->enums[i].value == e)
				return 0;
		return -1; /* only defined values may be written */
	}
	case CK_TYPE_LOW_CARDINALITY:
	case CK_TYPE_SIMPLE_AGG:
		return skip_value(t->child[0], cur);
	case CK_TYPE_TUPLE:
		for (size_t i = 0; i < t->nchild; i++)
			if (skip_value(t->child[i], cur))
				return -1;
		return 0;
	case CK_TYPE_MAP:
		if (ck_cur_varint(cur, &n, NULL) || n > ck_cur_left(cur))
			return -1;
		for (uint64_t i = 0; i < n; i++)
			if (skip_value(t->child[0], cur) ||
			    skip_value(t->child[1], cur))
				return -1;
		return 0;
	case CK_TYPE_JSON:
		goto case_string;
	case CK_TYPE_STRING:
	case_string:
		if (ck_cur_varint(cur, &n, NULL) || n > ck_cur_left(cur))
			return -1;
		return ck_cur_take(cur, (size_t)n, &s, NULL) ? -1 : 0;
	case CK_TYPE_FIXED_STRING:
		return ck_cur_take(cur, t->size, &s, NULL) ? -1 : 0;
	case CK_TYPE_NULLABLE:
		if (ck_cur_le(cur, 1, &n, NULL) || n > 1)
			return -1;
		return n ? 0 : skip_value(t->child[0], cur);
	case CK_TYPE_ARRAY:
		if (ck_cur_varint(cur, &n, NULL) || n > ck_cur_left(cur))
			return -1;
		for (uint64_t i = 0; i < n; i++)
			if (skip_value(t->child[0], cur))
				return -1;
		return 0;
	}
	return -1;
}

/* Checks that [p, p+len) is exactly one row of schema. */
static void check_row(const struct ck_schema *schema, bool with_defaults,
		      const uint8_t *p, size_t len)
{
	struct ck_cur cur;
	uint64_t flag;

	ck_cur_init(&cur, p, len);
	for (size_t i = 0; i < ck_schema_insert_count(schema); i++) {
		if (with_defaults) {
			if (ck_cur_le(&cur, 1, &flag, NULL) || flag > 1)
				abort();
			if (flag)
				continue;
		}
		if (skip_value(ck_schema_columns(schema)[i].type, &cur))
			abort();
	}
	if (ck_cur_left(&cur))
		abort();
}

/*
 * Kafka keys are untrusted bytes too: the input as a record key, written
 * to a String metadata column, must come back byte for byte.
 */
static void check_key_round_trip(const uint8_t *data, size_t size)
{
	static const struct ck_column_desc kcols[] = {
		{ "_key", "String", "", "" },
		{ "_topic", "String", "", "" },
	};
	static const struct ck_column_opts kopts[] = {
		{ "_key", CK_EPOCH_AUTO, false, CK_META_KEY },
		{ "_topic", CK_EPOCH_AUTO, false, CK_META_TOPIC },
	};
	static struct ck_schema *kschema;
	static struct ck_row_encoder *kenc;
	struct ck_row_meta meta = { "t", 1, 0, 0, 0, NULL, 0 };
	struct ck_cur cur;
	struct ck_slice s;
	uint64_t n;

	if (!kenc) {
		struct ck_schema_opts o = { .columns = kopts, .ncolumns = 2 };
		if (ck_schema_new(kcols, 2, &o, &kschema, NULL) ||
		    !(kenc = ck_row_encoder_new(kschema)))
			abort();
	}
	meta.key = size ? data : (const void *)"";
	meta.key_len = size;
	ck_row_encoder_set_meta(kenc, &meta);
	ck_buf_reset(&out);
	if (ck_row_encode_json(kenc, "{}", 2, &out, NULL, NULL))
		abort();
	ck_cur_init(&cur, out.data, out.len);
	if (ck_cur_varint(&cur, &n, NULL) || n != size ||
	    ck_cur_take(&cur, size, &s, NULL) ||
	    (size && memcmp(s.p, data, size)) ||
	    ck_cur_varint(&cur, &n, NULL) || n != 1 ||
	    ck_cur_take(&cur, 1, &s, NULL) || s.p[0] != 't' ||
	    ck_cur_left(&cur) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	check_key_round_trip(data, size);
	for (int i = 0; i < 2; i++) {
		struct ck_row_stats stats = { 0, 0, 0 };
		struct ck_err err;
		int rc;

		ck_buf_reset(&out);
		if (ck_buf_put_u8(&out, 0xAA, NULL))
			abort();
		ck_err_clear(&err);
		rc = ck_row_encode_json(modes[i].enc, (const char *)data, size,
					&out, &stats, &err);
		{
			/* What evolution would read: spans inside data. */
			const struct ck_row_member *m;
			const struct ck_json_value *v;
			const char *column;
			size_t n = ck_row_unknown(modes[i].enc, &m);
			if (n > CK_ROW_UNKNOWN_MAX || (i == 0 && n))
				abort();
			for (size_t k = 0; k < n; k++)
				if (m[k].key.p < (const char *)data ||
				    m[k].key.p + m[k].key.len >
					    (const char *)data + size)
					abort();
			if (ck_row_diverted(modes[i].enc, &column, &v) &&
			    (i == 0 || !rc || !ck_row_divert_suffix(v)))
				abort();
		}
		if (rc) {
			if (out.len != 1 || out.data[0] != 0xAA ||
			    stats.unknown_fields || stats.missing_fields ||
			    stats.null_defaults || err.code != rc ||
			    !err.msg[0])
				abort();
			continue;
		}
		check_row(modes[i].schema, i == 1, out.data + 1, out.len - 1);
	}
	return 0;
}
