/*
 * ddl.c — Debezium (Kafka Connect JsonConverter) schemas → ClickHouse
 * column types and CREATE TABLE. See ddl.h for the contract and
 * docs/cdc.md ("Auto-created tables") for the user's view.
 *
 * A field schema is mapped in three steps:
 *   1. its members are read once into struct field_schema (unknown members
 *      such as "version" and "default" are ignored);
 *   2. the pair (logical name, physical type) is looked up in `types`
 *      below, the same table as in docs/cdc.md and in the same order; a
 *      logical name on a physical type it does not belong to is ignored,
 *      and so is a logical name chute does not know;
 *   3. the kind found writes the type text; arrays, maps and structs
 *      recurse.
 *
 * Every type node also says what it needs of the column options (struct
 * need): an epoch unit for numeric times, base64 for bytes, plain text for
 * strings. The options hold for a column's whole type tree, so when the
 * parts of a nested value need different ones (a struct with a text and a
 * bytes field, or a date and a timestamp), or when the server lacks the
 * nested type, the value is written as String instead: chute writes an
 * object or array into a String column as its compact JSON text, whatever
 * the options say, so that is lossless and needs nothing.
 *
 * Names of logical types and the physical type are matched as written
 * (Kafka Connect never escapes them); column names are decoded.
 */
#include "map/ddl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest field path kept for messages ("after.location.x"). */
#define PATH_MAX_LEN 2048

/* ------------------------------------------------------------ capabilities */

/*
 * Versions, from ClickHouse's changelogs and pull requests (details and
 * links in docs/cdc.md). Where the exact release could not be confirmed
 * the later candidate is used: a server then gets an older type than it
 * could have, never one it refuses.
 *   LowCardinality   19.3: allow_experimental_low_cardinality_type removed
 *                    (PR 4323). 18.16 refuses it without the setting
 *                    (checked on the Debian 18.16.1 server).
 *   DateTime64       20.1 (PR 7170).
 *   Decimal256       20.8: Decimal with precision 39..76. 18.16 says
 *                    "Wrong precision" (checked).
 *   named tuples     20.11: Tuple(a T) inside Array or Tuple parses (PR
 *                    16262, fixing issue 15587); also past 20.1, which
 *                    stopped flattening Array(Tuple(...)) into Nested
 *                    columns (18.16 does flatten it: checked).
 *   Date32           21.9: PR 25774, merged, reverted (26352) and
 *                    documented in August 2021; 21.9 is the first release
 *                    that surely has it.
 *   Map              21.9: 21.7 still needs allow_experimental_map_type
 *                    (issue 35244); by August 2021 the setting was
 *                    obsolete (PR 27184). 21.8 not confirmed.
 *   Bool             21.12 (PR 31072, changelog v21.12).
 *   is_deleted       23.2: ReplacingMergeTree(ver, is_deleted) (PR 41005).
 */
void ck_ddl_caps_for_version(int major, int minor, struct ck_ddl_caps *caps)
{
	long v = (long)major * 1000 + minor;

	caps->low_cardinality = v >= 19003;
	caps->datetime64 = v >= 20001;
	caps->decimal256 = v >= 20008;
	caps->named_tuple = v >= 20011;
	caps->date32 = v >= 21009;
	caps->map = v >= 21009;
	caps->bool_type = v >= 21012;
	caps->is_deleted = v >= 23002;
}

/* ------------------------------------------------------------ type table */

enum kind {
	K_INT8,
	K_INT16,
	K_INT32,
	K_INT64,
	K_FLOAT32,
	K_FLOAT64,
	K_BOOL,
	K_STRING,
	K_BYTES,
	K_DECIMAL,
	K_VARIABLE_DECIMAL,
	K_DATE,
	K_TIME_MS,
	K_TIME_US,
	K_TIME_NS,
	K_TIMESTAMP_MS,
	K_TIMESTAMP_US,
	K_TIMESTAMP_NS,
	K_ZONED_TIMESTAMP,
	K_ZONED_TIME,
	K_JSON,
	K_UUID,
	K_ENUM,
	K_ENUM_SET,
	K_BITS,
	K_STRUCT,
	K_ARRAY,
	K_MAP,
};

struct type_row {
	const char *name;     /* logical type; NULL: the physical type alone */
	const char *physical; /* Kafka Connect type, as JSON spells it */
	enum kind kind;
};

/* Same rows, same order as the table in docs/cdc.md. */
static const struct type_row types[] = {
	{NULL, "int8", K_INT8},
	{NULL, "int16", K_INT16},
	{NULL, "int32", K_INT32},
	{NULL, "int64", K_INT64},
	{NULL, "float", K_FLOAT32},   /* JsonConverter's spelling */
	{NULL, "float32", K_FLOAT32}, /* Kafka Connect's type name */
	{NULL, "double", K_FLOAT64},
	{NULL, "float64", K_FLOAT64},
	{NULL, "boolean", K_BOOL},
	{NULL, "string", K_STRING},
	{NULL, "bytes", K_BYTES},
	{"org.apache.kafka.connect.data.Decimal", "bytes", K_DECIMAL},
	{"io.debezium.data.VariableScaleDecimal", "struct", K_VARIABLE_DECIMAL},
	{"org.apache.kafka.connect.data.Date", "int32", K_DATE},
	{"io.debezium.time.Date", "int32", K_DATE},
	{"io.debezium.time.Time", "int32", K_TIME_MS},
	{"org.apache.kafka.connect.data.Time", "int32", K_TIME_MS},
	{"io.debezium.time.MicroTime", "int64", K_TIME_US},
	{"io.debezium.time.NanoTime", "int64", K_TIME_NS},
	{"io.debezium.time.Timestamp", "int64", K_TIMESTAMP_MS},
	{"org.apache.kafka.connect.data.Timestamp", "int64", K_TIMESTAMP_MS},
	{"io.debezium.time.MicroTimestamp", "int64", K_TIMESTAMP_US},
	{"io.debezium.time.NanoTimestamp", "int64", K_TIMESTAMP_NS},
	{"io.debezium.time.ZonedTimestamp", "string", K_ZONED_TIMESTAMP},
	{"io.debezium.time.ZonedTime", "string", K_ZONED_TIME},
	{"io.debezium.data.Json", "string", K_JSON},
	{"io.debezium.data.Uuid", "string", K_UUID},
	{"io.debezium.data.Enum", "string", K_ENUM},
	{"io.debezium.data.EnumSet", "string", K_ENUM_SET},
	{"io.debezium.data.Bits", "bytes", K_BITS},
	{NULL, "struct", K_STRUCT},
	{NULL, "array", K_ARRAY},
	{NULL, "map", K_MAP},
};

/* ------------------------------------------------------------ helpers */

/* What a type tree needs of its column's options (see the top). */
struct need {
	enum ck_epoch_unit unit; /* AUTO: nothing */
	bool base64;             /* has strings that are base64 bytes */
	bool text;               /* has strings that are text */
};

/* Adds r to *into; false if the two cannot share one column's options. */
static bool need_merge(struct need *into, const struct need *r)
{
	if (r->unit != CK_EPOCH_AUTO) {
		if (into->unit != CK_EPOCH_AUTO && into->unit != r->unit)
			return false;
		into->unit = r->unit;
	}
	into->base64 |= r->base64;
	into->text |= r->text;
	return !(into->base64 && into->text);
}

struct ctx {
	const struct ck_ddl_caps *caps;
	struct ck_buf path;  /* the field path, for messages */
	struct ck_buf name;  /* scratch: a decoded name */
	struct ck_err *err;
};

static void ctx_init(struct ctx *c, const struct ck_ddl_caps *caps,
		     struct ck_err *err)
{
	c->caps = caps;
	c->err = err;
	ck_buf_init(&c->path, PATH_MAX_LEN);
	ck_buf_init(&c->name, CK_DDL_NAME_MAX);
}

static void ctx_free(struct ctx *c)
{
	ck_buf_free(&c->path);
	ck_buf_free(&c->name);
}

/* Sets a "ddl: field <path>: ..." error and returns code. */
static int fail(struct ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, int code, const char *fmt, ...)
{
	char what[CK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!c->path.len)
		return ck_err_set(c->err, code, "ddl: %s", what);
	return ck_err_set(c->err, code, "ddl: field %.*s: %s",
			  (int)(c->path.len > 256 ? 256 : c->path.len),
			  (const char *)c->path.data, what);
}

/*
 * Appends a path component; a path too long for the buffer is cut short
 * (it only serves messages). Returns the length to restore afterwards.
 */
static size_t path_push(struct ctx *c, const char *sep, const char *p,
			size_t len)
{
	size_t mark = c->path.len;

	if (c->path.len && sep)
		ck_buf_append(&c->path, sep, strlen(sep), NULL);
	ck_buf_append(&c->path, p, len, NULL);
	return mark;
}

static bool str_is(const struct ck_json_value *v, const char *s)
{
	size_t len;
	const char *p;

	if (v->kind != CK_JSON_STRING || v->escaped)
		return false;
	p = ck_json_str_raw(v, &len);
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

static bool key_is(const struct ck_json_value *key, const char *s)
{
	return str_is(key, s);
}

/* Up to 64 bytes of a string value, for messages. */
static int show_len(const struct ck_json_value *v)
{
	return v->len > 66 ? 64 : (int)(v->len - 2);
}

/*
 * Decodes a name (a string value) into c->name, NUL-terminated. Empty
 * names and names with a NUL byte are refused: ClickHouse has neither.
 */
static int decode_name(struct ctx *c, const struct ck_json_value *v,
		       const char *what)
{
	struct ck_err e;
	int rc;

	ck_buf_reset(&c->name);
	rc = ck_json_string_decode(v, &c->name, &e);
	if (rc == CK_ERR_LIMIT)
		return fail(c, CK_ERR_LIMIT, "%s longer than %d bytes", what,
			    CK_DDL_NAME_MAX - 1);
	if (rc)
		return fail(c, rc, "%s: %s", what, e.msg);
	if (c->name.len == 0)
		return fail(c, CK_ERR_PARSE, "%s is empty", what);
	if (memchr(c->name.data, 0, c->name.len))
		return fail(c, CK_ERR_PARSE, "%s contains a NUL byte", what);
	if (ck_buf_put_u8(&c->name, 0, NULL))
		return fail(c, CK_ERR_LIMIT, "%s longer than %d bytes", what,
			    CK_DDL_NAME_MAX - 1);
	c->name.len--;
	return CK_OK;
}

static int put(struct ck_buf *out, const char *s, struct ctx *c)
{
	if (ck_buf_append(out, s, strlen(s), NULL))
		return fail(c, CK_ERR_LIMIT, "type longer than %d bytes",
			    CK_DDL_TYPE_MAX - 1);
	return CK_OK;
}

/* Wraps out[start..] in prefix ... ")". */
static int wrap(struct ck_buf *out, size_t start, const char *prefix,
		struct ctx *c)
{
	size_t n = strlen(prefix);

	if (ck_buf_reserve(out, n + 1, NULL))
		return fail(c, CK_ERR_LIMIT, "type longer than %d bytes",
			    CK_DDL_TYPE_MAX - 1);
	memmove(out->data + start + n, out->data + start, out->len - start);
	memcpy(out->data + start, prefix, n);
	out->len += n;
	out->data[out->len++] = ')';
	return CK_OK;
}

/* ClickHouse needs no quoting for [A-Za-z_][A-Za-z0-9_]*. */
static bool plain_identifier(const char *p, size_t len)
{
	if (len == 0 || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ schemas */

struct field_schema {
	struct ck_json_value type, name, params, fields, items, keys, values,
		field;
	bool has_type, has_name, has_params, has_fields, has_items, has_keys,
		has_values, has_field, optional;
};

/* Reads the members of a schema object; the last of a name wins. */
static int read_schema(struct ctx *c, const struct ck_json_value *obj,
		       struct field_schema *fs)
{
	struct ck_json_iter it;
	struct ck_json_value k, v;

	memset(fs, 0, sizeof(*fs));
	if (obj->kind != CK_JSON_OBJECT)
		return fail(c, CK_ERR_PARSE, "schema is %s, not an object",
			    ck_json_kind_name(obj->kind));
	ck_json_object_iter(obj, &it);
	while (ck_json_object_next(&it, &k, &v, NULL) == CK_OK) {
		if (key_is(&k, "type")) {
			fs->type = v;
			fs->has_type = true;
		} else if (key_is(&k, "optional")) {
			fs->optional = v.kind == CK_JSON_TRUE;
		} else if (key_is(&k, "name")) {
			fs->name = v;
			fs->has_name = v.kind == CK_JSON_STRING;
		} else if (key_is(&k, "parameters")) {
			fs->params = v;
			fs->has_params = v.kind == CK_JSON_OBJECT;
		} else if (key_is(&k, "fields")) {
			fs->fields = v;
			fs->has_fields = true;
		} else if (key_is(&k, "items")) {
			fs->items = v;
			fs->has_items = true;
		} else if (key_is(&k, "keys")) {
			fs->keys = v;
			fs->has_keys = true;
		} else if (key_is(&k, "values")) {
			fs->values = v;
			fs->has_values = true;
		} else if (key_is(&k, "field")) {
			fs->field = v;
			fs->has_field = true;
		}
	}
	if (!fs->has_type)
		return fail(c, CK_ERR_PARSE, "schema without \"type\"");
	if (fs->type.kind != CK_JSON_STRING)
		return fail(c, CK_ERR_PARSE, "\"type\" is %s, not a string",
			    ck_json_kind_name(fs->type.kind));
	return CK_OK;
}

static const struct type_row *lookup(const struct field_schema *fs)
{
	size_t i;

	if (fs->has_name)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (types[i].name && str_is(&fs->name, types[i].name) &&
			    str_is(&fs->type, types[i].physical))
				return &types[i];
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!types[i].name && str_is(&fs->type, types[i].physical))
			return &types[i];
	return NULL;
}

/*
 * An integer parameter of a logical type. Kafka Connect writes parameters
 * as strings ("2"); a number is accepted too. *found says whether it was
 * there (*out is left alone if not).
 */
static int param_int(struct ctx *c, const struct field_schema *fs,
		     const char *key, const char *what, long min, long max,
		     long *out, bool *found)
{
	struct ck_json_iter it;
	struct ck_json_value k, v;
	const char *p;
	size_t len;
	int64_t n;

	*found = false;
	if (!fs->has_params)
		return CK_OK;
	ck_json_object_iter(&fs->params, &it);
	while (ck_json_object_next(&it, &k, &v, NULL) == CK_OK) {
		if (!key_is(&k, key))
			continue;
		if (v.kind == CK_JSON_STRING && !v.escaped) {
			p = ck_json_str_raw(&v, &len);
		} else if (v.kind == CK_JSON_NUMBER) {
			p = v.p;
			len = v.len;
		} else {
			return fail(c, CK_ERR_PARSE,
				    "%s: parameters.%s is %s, not a number",
				    what, key, ck_json_kind_name(v.kind));
		}
		if (ck_json_text_i64(p, len, &n, NULL) || n < min || n > max)
			return fail(c, CK_ERR_PARSE,
				    "%s: parameters.%s '%.*s' is not an integer "
				    "from %ld to %ld",
				    what, key, len > 32 ? 32 : (int)len, p, min,
				    max);
		*out = (long)n;
		*found = true;
	}
	return CK_OK;
}

static int map_schema(struct ctx *c, const struct ck_json_value *s,
		      int depth, bool allow_null, struct ck_buf *out,
		      struct need *need);

static int map_decimal(struct ctx *c, const struct field_schema *fs,
		       struct ck_buf *out)
{
	long scale = 0, precision = 38;
	long max = c->caps->decimal256 ? CK_TYPE_DECIMAL_MAX : 38;
	bool found;
	int rc;

	rc = param_int(c, fs, "scale", "Decimal", 0, CK_TYPE_DECIMAL_MAX,
		       &scale, &found);
	if (rc)
		return rc;
	if (!found)
		return fail(c, CK_ERR_PARSE,
			    "Decimal without parameters.scale");
	rc = param_int(c, fs, "connect.decimal.precision", "Decimal", 1,
		       INT32_MAX, &precision, &found);
	if (rc)
		return rc;
	if (scale > max)
		return fail(c, CK_ERR_UNSUPPORTED,
			    "Decimal scale %ld is more than the server's "
			    "largest precision %ld",
			    scale, max);
	/*
	 * A precision beyond what the server has becomes its widest Decimal:
	 * values that do not fit are refused one by one (out of range),
	 * the others are exact.
	 */
	if (precision > max)
		precision = max;
	if (precision < scale)
		precision = scale;
	if (ck_buf_printf(out, NULL, "Decimal(%ld, %ld)", precision, scale))
		return fail(c, CK_ERR_LIMIT, "type longer than %d bytes",
			    CK_DDL_TYPE_MAX - 1);
	return CK_OK;
}

/*
 * Struct → Tuple(a T, ...). *json is set when it must be written as JSON
 * text instead: no named tuples on the server, an element name that is no
 * plain identifier, no fields, or parts that need different options.
 */
static int map_struct(struct ctx *c, const struct field_schema *fs,
		      int depth, struct ck_buf *out, struct need *need,
		      bool *json)
{
	struct ck_json_iter it, it2;
	struct ck_json_value f, f2;
	struct field_schema el, el2;
	size_t n = 0, mark, len, len2;
	const char *p, *p2;
	int rc;

	if (!fs->has_fields || fs->fields.kind != CK_JSON_ARRAY)
		return fail(c, CK_ERR_PARSE,
			    "struct without a \"fields\" array");
	if (!c->caps->named_tuple)
		*json = true;
	if ((rc = put(out, "Tuple(", c)))
		return rc;
	ck_json_array_iter(&fs->fields, &it);
	while (ck_json_array_next(&it, &f, NULL) == CK_OK) {
		struct need r = {CK_EPOCH_AUTO, false, false};

		if ((rc = read_schema(c, &f, &el)))
			return rc;
		if (!el.has_field || el.field.kind != CK_JSON_STRING)
			return fail(c, CK_ERR_PARSE,
				    "struct member %zu without a \"field\" "
				    "name",
				    n);
		p = ck_json_str_raw(&el.field, &len);
		/* Duplicates are malformed whatever the spelling. */
		ck_json_array_iter(&fs->fields, &it2);
		for (size_t j = 0; j < n &&
				   ck_json_array_next(&it2, &f2, NULL) == CK_OK;
		     j++) {
			if (read_schema(c, &f2, &el2) || !el2.has_field ||
			    el2.field.kind != CK_JSON_STRING)
				continue;
			p2 = ck_json_str_raw(&el2.field, &len2);
			if (len2 == len && memcmp(p, p2, len) == 0)
				return fail(c, CK_ERR_PARSE,
					    "struct member '%.*s' appears "
					    "twice",
					    show_len(&el.field), p);
		}
		if (el.field.escaped || !plain_identifier(p, len))
			*json = true;
		if (n && (rc = put(out, ", ", c)))
			return rc;
		if (ck_buf_append(out, p, len, NULL) || (rc = put(out, " ", c)))
			return fail(c, CK_ERR_LIMIT,
				    "type longer than %d bytes",
				    CK_DDL_TYPE_MAX - 1);
		mark = path_push(c, ".", p, len);
		rc = map_schema(c, &f, depth + 1, true, out, &r);
		c->path.len = mark;
		if (rc)
			return rc;
		if (!need_merge(need, &r))
			*json = true;
		if (++n > CK_DDL_MAX_COLUMNS)
			return fail(c, CK_ERR_LIMIT, "more than %d members",
				    CK_DDL_MAX_COLUMNS);
	}
	if (n == 0)
		*json = true;
	return put(out, ")", c);
}

static int map_array(struct ctx *c, const struct field_schema *fs, int depth,
		     struct ck_buf *out, struct need *need)
{
	size_t mark;
	int rc;

	if (!fs->has_items)
		return fail(c, CK_ERR_PARSE, "array without \"items\"");
	if ((rc = put(out, "Array(", c)))
		return rc;
	mark = path_push(c, NULL, "[]", 2);
	rc = map_schema(c, &fs->items, depth + 1, true, out, need);
	c->path.len = mark;
	if (rc)
		return rc;
	return put(out, ")", c);
}

/*
 * JsonConverter writes a map with string keys as a JSON object (→ Map)
 * and any other map as an array of [key, value] pairs (→ Array(Tuple)).
 */
static int map_map(struct ctx *c, const struct field_schema *fs, int depth,
		   struct ck_buf *out, struct need *need, bool *json)
{
	struct field_schema ks;
	struct need kn = {CK_EPOCH_AUTO, false, false};
	struct need vn = {CK_EPOCH_AUTO, false, false};
	size_t mark;
	bool object;
	int rc;

	if (!fs->has_keys || !fs->has_values)
		return fail(c, CK_ERR_PARSE,
			    "map without \"keys\" and \"values\"");
	mark = path_push(c, NULL, "{keys}", 6);
	rc = read_schema(c, &fs->keys, &ks);
	c->path.len = mark;
	if (rc)
		return rc;
	object = str_is(&ks.type, "string");
	if (object) {
		if (!c->caps->map)
			*json = true;
		/* Member names are strings; any logical type is kept as text. */
		rc = put(out, "Map(String, ", c);
	} else {
		if (!c->caps->named_tuple)
			*json = true;
		if (!(rc = put(out, "Array(Tuple(", c))) {
			mark = path_push(c, NULL, "{keys}", 6);
			rc = map_schema(c, &fs->keys, depth + 1, !object, out,
					&kn);
			c->path.len = mark;
		}
		if (!rc)
			rc = put(out, ", ", c);
	}
	if (rc)
		return rc;
	mark = path_push(c, NULL, "{values}", 8);
	rc = map_schema(c, &fs->values, depth + 1, true, out, &vn);
	c->path.len = mark;
	if (rc)
		return rc;
	if (!need_merge(need, &kn) || !need_merge(need, &vn))
		*json = true;
	return put(out, object ? ")" : "))", c);
}

/*
 * Appends the ClickHouse type of schema s to out and adds what it needs
 * of the column options to *need. allow_null: an optional schema becomes
 * Nullable where ClickHouse allows it (not Map keys).
 */
static int map_schema(struct ctx *c, const struct ck_json_value *s,
		      int depth, bool allow_null, struct ck_buf *out,
		      struct need *need)
{
	const struct ck_ddl_caps *caps = c->caps;
	const struct type_row *row;
	struct field_schema fs;
	struct need own = {CK_EPOCH_AUTO, false, false};
	size_t start = out->len;
	bool json = false, nullable;
	const char *t = NULL;
	int rc;

	if ((rc = read_schema(c, s, &fs)))
		return rc;
	row = lookup(&fs);
	if (!row)
		return fail(c, CK_ERR_PARSE, "unknown type '%.*s'",
			    show_len(&fs.type), fs.type.p + 1);
	nullable = allow_null && fs.optional;
	switch (row->kind) {
	case K_INT8: t = "Int8"; break;
	case K_INT16: t = "Int16"; break;
	case K_INT32: t = "Int32"; break;
	case K_INT64: t = "Int64"; break;
	case K_FLOAT32: t = "Float32"; break;
	case K_FLOAT64: t = "Float64"; break;
	case K_BOOL: t = caps->bool_type ? "Bool" : "UInt8"; break;
	case K_STRING:
	case K_ZONED_TIME:
	case K_JSON:
	case K_ENUM_SET:
		t = "String";
		own.text = true;
		break;
	case K_BYTES:
	case K_BITS:
		t = "String";
		own.base64 = true;
		break;
	case K_DECIMAL:
		if ((rc = map_decimal(c, &fs, out)))
			return rc;
		own.base64 = true;
		break;
	case K_VARIABLE_DECIMAL:
		/*
		 * {"scale": S, "value": base64} with S varying per value: no
		 * Decimal type holds every such value, the JSON text does.
		 */
		json = true;
		break;
	case K_DATE:
		t = caps->date32 ? "Date32" : "Date";
		own.unit = CK_EPOCH_DAYS;
		break;
	case K_TIME_MS: t = "Int32"; break;
	case K_TIME_US:
	case K_TIME_NS: t = "Int64"; break;
	case K_TIMESTAMP_MS:
		t = caps->datetime64 ? "DateTime64(3, 'UTC')" : "DateTime('UTC')";
		own.unit = CK_EPOCH_MILLIS;
		break;
	case K_TIMESTAMP_US:
		t = caps->datetime64 ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
		own.unit = CK_EPOCH_MICROS;
		break;
	case K_TIMESTAMP_NS:
		t = caps->datetime64 ? "DateTime64(9, 'UTC')" : "DateTime('UTC')";
		own.unit = CK_EPOCH_NANOS;
		break;
	case K_ZONED_TIMESTAMP:
		/* ISO-8601 text with an offset: the unit does not apply. */
		t = caps->datetime64 ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
		break;
	case K_UUID: t = "UUID"; break;
	case K_ENUM:
		own.text = true;
		if (!caps->low_cardinality) {
			t = "String";
			break;
		}
		t = nullable ? "LowCardinality(Nullable(String))"
			     : "LowCardinality(String)";
		nullable = false;
		break;
	case K_STRUCT:
	case K_ARRAY:
	case K_MAP:
		if (depth >= CK_DDL_MAX_NESTING) {
			json = true;
			break;
		}
		if (row->kind == K_STRUCT)
			rc = map_struct(c, &fs, depth, out, &own, &json);
		else if (row->kind == K_ARRAY)
			rc = map_array(c, &fs, depth, out, &own);
		else
			rc = map_map(c, &fs, depth, out, &own, &json);
		if (rc)
			return rc;
		if (own.base64 && own.text)
			json = true;
		if (!json) {
			/* Array, Map and Tuple cannot be inside Nullable. */
			need_merge(need, &own);
			return CK_OK;
		}
		break;
	}
	if (json) {
		out->len = start;
		own = (struct need){CK_EPOCH_AUTO, false, false};
		t = "String";
	}
	if (t && (rc = put(out, t, c)))
		return rc;
	if (nullable && (rc = wrap(out, start, "Nullable(", c)))
		return rc;
	need_merge(need, &own);
	return CK_OK;
}

/* ------------------------------------------------------------ columns */

void ck_ddl_column_free(struct ck_ddl_column *col)
{
	if (!col)
		return;
	free(col->name);
	free(col->type);
	memset(col, 0, sizeof(*col));
}

void ck_ddl_row_free(struct ck_ddl_row *row)
{
	if (!row)
		return;
	for (size_t i = 0; i < row->ncols; i++)
		ck_ddl_column_free(&row->cols[i]);
	free(row->cols);
	row->cols = NULL;
	row->ncols = 0;
}

/* The "field" member of a field schema, if it is a string. */
static bool field_name(const struct ck_json_value *field,
		       struct ck_json_value *name)
{
	struct ck_json_iter it;
	struct ck_json_value k, v;
	bool found = false;

	if (field->kind != CK_JSON_OBJECT)
		return false;
	ck_json_object_iter(field, &it);
	while (ck_json_object_next(&it, &k, &v, NULL) == CK_OK) {
		if (key_is(&k, "field")) {
			*name = v;
			found = v.kind == CK_JSON_STRING;
		}
	}
	return found;
}

/*
 * Maps a field schema (with its "field" name) to *col; path is the
 * parent's ("after"), or empty.
 */
static int map_field(struct ctx *c, const struct ck_json_value *field,
		     struct ck_buf *type, struct ck_ddl_column *col)
{
	struct ck_json_value name;
	struct need need = {CK_EPOCH_AUTO, false, false};
	size_t len, mark;
	const char *p;
	int rc;

	memset(col, 0, sizeof(*col));
	/* The name first, so that every message can name the field. */
	if (!field_name(field, &name))
		return fail(c, CK_ERR_PARSE, "a field without a \"field\" name");
	p = ck_json_str_raw(&name, &len);
	mark = path_push(c, ".", p, len);
	rc = decode_name(c, &name, "name");
	if (!rc) {
		ck_buf_reset(type);
		rc = map_schema(c, field, 0, true, type, &need);
	}
	if (!rc && ck_buf_put_u8(type, 0, NULL))
		rc = fail(c, CK_ERR_LIMIT, "type longer than %d bytes",
			  CK_DDL_TYPE_MAX - 1);
	c->path.len = mark;
	if (rc)
		return rc;
	col->name = strndup((const char *)c->name.data, c->name.len);
	col->type = strndup((const char *)type->data, type->len - 1);
	if (!col->name || !col->type) {
		ck_ddl_column_free(col);
		return ck_err_set(c->err, CK_ERR_NOMEM, "ddl: out of memory");
	}
	col->unit = need.unit;
	col->bytes_base64 = need.base64;
	return CK_OK;
}

int ck_ddl_column_from_field(const struct ck_json_value *field,
			     const struct ck_ddl_caps *caps,
			     struct ck_ddl_column *out, struct ck_err *err)
{
	struct ctx c;
	struct ck_buf type;
	int rc;

	ctx_init(&c, caps, err);
	ck_buf_init(&type, CK_DDL_TYPE_MAX);
	rc = map_field(&c, field, &type, out);
	ck_buf_free(&type);
	ctx_free(&c);
	return rc;
}

/* Maps the fields of a struct schema to row->cols. */
static int map_row(struct ctx *c, const struct field_schema *fs,
		   struct ck_ddl_row *row)
{
	struct ck_json_iter it;
	struct ck_json_value f;
	struct ck_buf type;
	size_t cap = 0;
	int rc = CK_OK;

	if (!fs->has_fields || fs->fields.kind != CK_JSON_ARRAY)
		return fail(c, CK_ERR_PARSE,
			    "struct without a \"fields\" array");
	ck_buf_init(&type, CK_DDL_TYPE_MAX);
	ck_json_array_iter(&fs->fields, &it);
	while (ck_json_array_next(&it, &f, NULL) == CK_OK) {
		struct ck_ddl_column col;

		if (row->ncols == CK_DDL_MAX_COLUMNS) {
			rc = fail(c, CK_ERR_LIMIT, "more than %d columns",
				  CK_DDL_MAX_COLUMNS);
			goto out;
		}
		if (row->ncols == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct ck_ddl_column *cols =
				realloc(row->cols, ncap * sizeof(*cols));
			if (!cols) {
				rc = ck_err_set(c->err, CK_ERR_NOMEM,
						"ddl: out of memory");
				goto out;
			}
			row->cols = cols;
			cap = ncap;
		}
		if ((rc = map_field(c, &f, &type, &col)))
			goto out;
		for (size_t i = 0; i < row->ncols; i++) {
			if (strcmp(row->cols[i].name, col.name) == 0) {
				size_t mark = path_push(c, ".", col.name,
							strlen(col.name));
				rc = fail(c, CK_ERR_PARSE,
					  "the name appears twice");
				c->path.len = mark;
				ck_ddl_column_free(&col);
				goto out;
			}
		}
		row->cols[row->ncols++] = col;
	}
	if (row->ncols == 0)
		rc = fail(c, CK_ERR_SCHEMA, "the row has no fields");
out:
	ck_buf_free(&type);
	return rc;
}

static bool blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

/* The envelope's field named name, if it is there. */
static bool envelope_field(const struct field_schema *env, const char *name,
			   struct ck_json_value *out)
{
	struct ck_json_iter it;
	struct ck_json_iter mit;
	struct ck_json_value f, k, v;
	bool found = false;

	ck_json_array_iter(&env->fields, &it);
	while (ck_json_array_next(&it, &f, NULL) == CK_OK) {
		if (f.kind != CK_JSON_OBJECT)
			continue;
		ck_json_object_iter(&f, &mit);
		while (ck_json_object_next(&mit, &k, &v, NULL) == CK_OK)
			if (key_is(&k, "field") && str_is(&v, name)) {
				*out = f;
				found = true;
			}
	}
	return found;
}

int ck_ddl_row_from_message(const char *msg, size_t len,
			    const struct ck_ddl_caps *caps,
			    struct ck_ddl_row *out, struct ck_err *err)
{
	struct ck_json_iter it;
	struct ck_json_value k, v, schema = {0}, rowv;
	struct field_schema env, rs;
	struct ctx c;
	bool has_schema = false;
	int rc;

	out->cols = NULL;
	out->ncols = 0;
	if (len == 0 || blank(msg, len) ||
	    (ck_json_parse(msg, len, &v, NULL) == CK_OK &&
	     v.kind == CK_JSON_NULL))
		return ck_err_set(err, CK_ERR_SCHEMA,
				  "ddl: message carries no schema (a "
				  "tombstone)");
	if ((rc = ck_json_object_begin(msg, len, &it, err))) {
		ck_err_prefix(err, "ddl: ");
		return rc;
	}
	while ((rc = ck_json_object_next(&it, &k, &v, err)) == CK_OK) {
		if (key_is(&k, "schema") && v.kind != CK_JSON_NULL) {
			schema = v;
			has_schema = true;
		}
	}
	if (rc != CK_JSON_END) {
		ck_err_prefix(err, "ddl: ");
		return rc;
	}
	if (!has_schema)
		return ck_err_set(err, CK_ERR_SCHEMA,
				  "ddl: message carries no schema (JsonConverter "
				  "schemas.enable=false)");
	ctx_init(&c, caps, err);
	path_push(&c, NULL, "schema", 6);
	if ((rc = read_schema(&c, &schema, &env)))
		goto out;
	c.path.len = 0;
	if (!str_is(&env.type, "struct") || !env.has_fields ||
	    env.fields.kind != CK_JSON_ARRAY) {
		rc = ck_err_set(err, CK_ERR_SCHEMA,
				"ddl: the message's schema is not a struct "
				"with fields, so it has no columns");
		goto out;
	}
	if (envelope_field(&env, "after", &rowv))
		path_push(&c, NULL, "after", 5);
	else if (envelope_field(&env, "before", &rowv))
		path_push(&c, NULL, "before", 6);
	else
		rowv = schema; /* already unwrapped: the schema is the row */
	if ((rc = read_schema(&c, &rowv, &rs)))
		goto out;
	if (str_is(&rs.type, "string")) {
		rc = fail(&c, CK_ERR_SCHEMA,
			  "the row is a JSON string (MongoDB, "
			  "io.debezium.data.Json) with no column schema; "
			  "create the table yourself");
		goto out;
	}
	if (!str_is(&rs.type, "struct")) {
		rc = fail(&c, CK_ERR_PARSE, "the row is not a struct");
		goto out;
	}
	rc = map_row(&c, &rs, out);
out:
	if (rc)
		ck_ddl_row_free(out);
	ctx_free(&c);
	return rc;
}

/* ------------------------------------------------------------ key */

void ck_ddl_names_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int ck_ddl_key_names(const char *key, size_t len, char ***names, size_t *n,
		     struct ck_err *err)
{
	struct ck_json_iter it;
	struct ck_json_value k, v, obj, schema = {0}, payload = {0};
	bool has_schema = false, has_payload = false;
	size_t members = 0, cap = 0;
	struct ck_buf name;
	char **out = NULL;
	size_t count = 0;
	int rc;

	*names = NULL;
	*n = 0;
	if ((rc = ck_json_parse(key, len, &obj, err))) {
		ck_err_prefix(err, "ddl: key: ");
		return rc;
	}
	if (obj.kind != CK_JSON_OBJECT)
		return ck_err_set(err, CK_ERR_SCHEMA,
				  "ddl: key is %s, not an object with the key "
				  "columns",
				  ck_json_kind_name(obj.kind));
	ck_json_object_iter(&obj, &it);
	while (ck_json_object_next(&it, &k, &v, NULL) == CK_OK) {
		members++;
		if (key_is(&k, "schema")) {
			schema = v;
			has_schema = true;
		} else if (key_is(&k, "payload")) {
			payload = v;
			has_payload = true;
		}
	}
	/* The JsonConverter envelope: exactly "schema" and "payload". */
	if (members == 2 && has_schema && has_payload &&
	    schema.kind == CK_JSON_OBJECT) {
		if (payload.kind != CK_JSON_OBJECT)
			return ck_err_set(err, CK_ERR_SCHEMA,
					  "ddl: key payload is %s, not an "
					  "object with the key columns",
					  ck_json_kind_name(payload.kind));
		obj = payload;
	}
	ck_buf_init(&name, CK_DDL_NAME_MAX);
	ck_json_object_iter(&obj, &it);
	while (ck_json_object_next(&it, &k, &v, NULL) == CK_OK) {
		char *s;

		ck_buf_reset(&name);
		if ((rc = ck_json_string_decode(&k, &name, err))) {
			ck_err_prefix(err, "ddl: key member %zu: ", count);
			goto fail;
		}
		if (name.len == 0 || memchr(name.data, 0, name.len)) {
			rc = ck_err_set(err, CK_ERR_SCHEMA,
					"ddl: key member %zu: a column name "
					"cannot be empty or hold a NUL byte",
					count);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			if (strlen(out[i]) == name.len &&
			    memcmp(out[i], name.data, name.len) == 0) {
				rc = ck_err_set(err, CK_ERR_PARSE,
						"ddl: key member '%s' appears "
						"twice",
						out[i]);
				goto fail;
			}
		}
		if (count == CK_DDL_MAX_COLUMNS) {
			rc = ck_err_set(err, CK_ERR_LIMIT,
					"ddl: key has more than %d members",
					CK_DDL_MAX_COLUMNS);
			goto fail;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			char **grown = realloc(out, ncap * sizeof(*grown));
			if (!grown)
				goto nomem;
			out = grown;
			cap = ncap;
		}
		if (!(s = strndup((const char *)name.data, name.len)))
			goto nomem;
		out[count++] = s;
	}
	if (count == 0) {
		rc = ck_err_set(err, CK_ERR_SCHEMA,
				"ddl: key has no members, so no key columns");
		goto fail;
	}
	ck_buf_free(&name);
	*names = out;
	*n = count;
	return CK_OK;
nomem:
	rc = ck_err_set(err, CK_ERR_NOMEM, "ddl: out of memory");
fail:
	ck_buf_free(&name);
	ck_ddl_names_free(out, count);
	return rc;
}

/* ------------------------------------------------------------ CREATE TABLE */

/*
 * A back-quoted identifier. ClickHouse reads backslash escapes in
 * back-quoted names as in string literals; control bytes are written as
 * \xHH so the statement stays on its lines.
 */
static int put_ident(struct ck_buf *sql, const char *name, struct ck_err *err)
{
	static const char hex[] = "0123456789abcdef";
	int rc = ck_buf_put_u8(sql, '`', err);

	for (const unsigned char *p = (const unsigned char *)name; !rc && *p;
	     p++) {
		if (*p == '`' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};
			rc = ck_buf_append(sql, esc, 2, err);
		} else if (*p < 0x20 || *p == 0x7f) {
			char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
			rc = ck_buf_append(sql, esc, 4, err);
		} else {
			rc = ck_buf_put_u8(sql, *p, err);
		}
	}
	return rc ? rc : ck_buf_put_u8(sql, '`', err);
}

static int put_str(struct ck_buf *sql, const char *s, struct ck_err *err)
{
	return ck_buf_append(sql, s, strlen(s), err);
}

/*
 * The type of a sorting key column: ClickHouse refuses Nullable keys
 * (without allow_nullable_key), so Nullable(T) → T, also inside
 * LowCardinality.
 */
static int put_key_type(struct ck_buf *sql, const char *type,
			struct ck_err *err)
{
	static const char nul[] = "Nullable(";
	static const char lcn[] = "LowCardinality(Nullable(";
	size_t len = strlen(type);

	if (len > sizeof(nul) && strncmp(type, nul, sizeof(nul) - 1) == 0)
		return ck_buf_append(sql, type + sizeof(nul) - 1,
				     len - sizeof(nul), err);
	if (len > sizeof(lcn) && strncmp(type, lcn, sizeof(lcn) - 1) == 0) {
		int rc = put_str(sql, "LowCardinality(", err);
		return rc ? rc
			  : ck_buf_append(sql, type + sizeof(lcn) - 1,
					  len - sizeof(lcn), err);
	}
	return put_str(sql, type, err);
}

static bool is_key(const struct ck_ddl_create *opts, const char *name)
{
	for (size_t i = 0; i < opts->nkeys; i++)
		if (strcmp(opts->keys[i], name) == 0)
			return true;
	return false;
}

/* Every column name of the table, in order, for the duplicate check. */
static const char *table_column(const struct ck_ddl_row *row,
				const struct ck_ddl_create *opts,
				const char *const *own, size_t nown, size_t i)
{
	if (i < row->ncols)
		return row->cols[i].name;
	i -= row->ncols;
	if (i < nown)
		return own[i];
	return opts->extra[i - nown].name;
}

static int check_options(const struct ck_ddl_row *row,
			 const struct ck_ddl_create *opts,
			 const char *const *own, size_t nown, struct ck_err *err)
{
	size_t total = row->ncols + nown + opts->nextra, i, j;

	if (!opts->table || !*opts->table)
		return ck_err_set(err, CK_ERR_CONFIG, "ddl: no table name");
	if (opts->database && !*opts->database)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "ddl: empty database name");
	if (row->ncols == 0)
		return ck_err_set(err, CK_ERR_SCHEMA,
				  "ddl: table `%s` would have no row columns",
				  opts->table);
	if (opts->upsert && opts->nkeys == 0)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "ddl: table `%s`: upsert needs key columns "
				  "(the message key gave none)",
				  opts->table);
	if (opts->upsert &&
	    (!opts->version_column || !*opts->version_column))
		return ck_err_set(err, CK_ERR_CONFIG,
				  "ddl: table `%s`: upsert needs a version "
				  "column",
				  opts->table);
	if (opts->upsert && opts->deleted_column && !*opts->deleted_column)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "ddl: table `%s`: empty deleted column name",
				  opts->table);
	for (i = 0; i < opts->nextra; i++)
		if (!opts->extra[i].name || !*opts->extra[i].name ||
		    !opts->extra[i].type || !*opts->extra[i].type)
			return ck_err_set(err, CK_ERR_CONFIG,
					  "ddl: table `%s`: metadata column "
					  "%zu needs a name and a type",
					  opts->table, i);
	for (i = 0; i < row->ncols; i++)
		if (!row->cols[i].name || !*row->cols[i].name ||
		    !row->cols[i].type || !*row->cols[i].type)
			return ck_err_set(err, CK_ERR_SCHEMA,
					  "ddl: table `%s`: row column %zu "
					  "needs a name and a type",
					  opts->table, i);
	for (i = 0; i < total; i++) {
		const char *a = table_column(row, opts, own, nown, i);
		for (j = i + 1; j < total; j++)
			if (strcmp(a, table_column(row, opts, own, nown, j)) ==
			    0)
				return ck_err_set(err, CK_ERR_SCHEMA,
						  "ddl: table `%s`: column "
						  "'%s' appears twice",
						  opts->table, a);
	}
	for (i = 0; i < opts->nkeys; i++) {
		bool found = false;
		if (!opts->keys[i])
			return ck_err_set(err, CK_ERR_CONFIG,
					  "ddl: table `%s`: key %zu has no "
					  "name",
					  opts->table, i);
		for (j = 0; j < row->ncols && !found; j++)
			found = strcmp(opts->keys[i], row->cols[j].name) == 0;
		if (!found)
			return ck_err_set(err, CK_ERR_SCHEMA,
					  "ddl: table `%s`: key column '%s' is "
					  "not a field of the row",
					  opts->table, opts->keys[i]);
		for (j = 0; j < i; j++)
			if (strcmp(opts->keys[i], opts->keys[j]) == 0)
				return ck_err_set(err, CK_ERR_CONFIG,
						  "ddl: table `%s`: key column "
						  "'%s' appears twice",
						  opts->table, opts->keys[i]);
	}
	return CK_OK;
}

static int put_column(struct ck_buf *sql, bool first, const char *name,
		      const char *type, const char *default_expr,
		      struct ck_err *err)
{
	int rc = put_str(sql, first ? "\n    " : ",\n    ", err);

	if (!rc)
		rc = put_ident(sql, name, err);
	if (!rc)
		rc = ck_buf_put_u8(sql, ' ', err);
	if (!rc)
		rc = put_str(sql, type, err);
	if (!rc && default_expr) {
		rc = put_str(sql, " DEFAULT ", err);
		if (!rc)
			rc = put_str(sql, default_expr, err);
	}
	return rc;
}

int ck_ddl_create_table(const struct ck_ddl_row *row,
			const struct ck_ddl_create *opts,
			const struct ck_ddl_caps *caps, struct ck_buf *sql,
			struct ck_err *err)
{
	const char *own[2];
	size_t nown = 0, start = sql->len, i;
	int rc;

	if (opts->upsert) {
		if (opts->version_column)
			own[nown++] = opts->version_column;
		if (opts->deleted_column)
			own[nown++] = opts->deleted_column;
	}
	if ((rc = check_options(row, opts, own, nown, err)))
		return rc;

	rc = put_str(sql, "CREATE TABLE IF NOT EXISTS ", err);
	if (!rc && opts->database) {
		rc = put_ident(sql, opts->database, err);
		if (!rc)
			rc = ck_buf_put_u8(sql, '.', err);
	}
	if (!rc)
		rc = put_ident(sql, opts->table, err);
	if (!rc)
		rc = put_str(sql, "\n(", err);
	for (i = 0; !rc && i < row->ncols; i++) {
		const struct ck_ddl_column *col = &row->cols[i];
		if (is_key(opts, col->name)) {
			rc = put_column(sql, i == 0, col->name, "", NULL, err);
			if (!rc)
				rc = put_key_type(sql, col->type, err);
		} else {
			rc = put_column(sql, i == 0, col->name, col->type, NULL,
					err);
		}
	}
	if (!rc && opts->upsert) {
		rc = put_column(sql, false, opts->version_column, "UInt64",
				NULL, err);
		if (!rc && opts->deleted_column)
			rc = put_column(sql, false, opts->deleted_column,
					"UInt8", NULL, err);
	}
	for (i = 0; !rc && i < opts->nextra; i++)
		rc = put_column(sql, false, opts->extra[i].name,
				opts->extra[i].type, opts->extra[i].default_expr,
				err);
	if (!rc)
		rc = put_str(sql, "\n)\nENGINE = ", err);
	if (!rc && !opts->upsert) {
		rc = put_str(sql, "MergeTree", err);
	} else if (!rc) {
		rc = put_str(sql, "ReplacingMergeTree(", err);
		if (!rc)
			rc = put_ident(sql, opts->version_column, err);
		if (!rc && opts->deleted_column && caps->is_deleted) {
			rc = put_str(sql, ", ", err);
			if (!rc)
				rc = put_ident(sql, opts->deleted_column, err);
		}
		if (!rc)
			rc = ck_buf_put_u8(sql, ')', err);
	}
	if (!rc)
		rc = put_str(sql, "\nORDER BY ", err);
	if (!rc && opts->nkeys == 0)
		rc = put_str(sql, "tuple()", err);
	for (i = 0; !rc && i < opts->nkeys; i++) {
		rc = put_str(sql, i ? ", " : "(", err);
		if (!rc)
			rc = put_ident(sql, opts->keys[i], err);
	}
	if (!rc && opts->nkeys)
		rc = ck_buf_put_u8(sql, ')', err);
	if (rc) {
		sql->len = start;
		ck_err_prefix(err, "ddl: table `%s`: ", opts->table);
		return rc;
	}
	return CK_OK;
}

/* ------------------------------------------------------------ metadata */

const char *ck_ddl_meta_type(enum ck_meta_field field,
			     const struct ck_ddl_caps *caps)
{
	const char *ts = caps->datetime64 ? "DateTime64(3, 'UTC')"
					  : "DateTime('UTC')";
	const char *lc = caps->low_cardinality ? "LowCardinality(String)"
					       : "String";

	switch (field) {
	case CK_META_NONE: return NULL;
	case CK_META_TOPIC: return lc;
	case CK_META_PARTITION: return "Int32";
	case CK_META_OFFSET: return "Int64";
	case CK_META_TIMESTAMP: return ts;
	case CK_META_KEY: return "String";
	case CK_META_OP: return lc;
	case CK_META_DELETED: return "UInt8";
	case CK_META_SOURCE_TS: return ts;
	case CK_META_EVENT_TS: return ts;
	case CK_META_VERSION: return "UInt64";
	case CK_META_INGEST_TIME: return ts;
	}
	return NULL;
}

const char *ck_ddl_meta_default(enum ck_meta_field field,
				const struct ck_ddl_caps *caps)
{
	if (field == CK_META_INGEST_TIME)
		return caps->datetime64 ? "now64(3)" : "now()";
	return NULL;
}
