/*
 * row.c — one JSON message → one RowBinary row. See row.h for the rules.
 *
 * Two passes, neither of which re-scans JSON text:
 *   1. Walk the top-level object once (this also validates the message).
 *      Each member name is looked up among the inserted columns and the
 *      value's span stored in that column's slot; a later member of the
 *      same name overwrites the slot (last wins).
 *   2. Write the columns in schema order from their slots.
 *
 * Producers usually write fields in the same order every time, often the
 * table's order, so the lookup first tries the column after the previously
 * matched one with a plain compare and only then hashes the name.
 *
 * Row layout in RowBinaryWithDefaults mode, per column:
 *
 *   OFFSET  SIZE  MEANING
 *   0       1     0x01: use the column's default, nothing follows
 *                 0x00: a value follows
 *   1       ...   the value in RowBinary (only after 0x00)
 *
 * In plain RowBinary mode there is no prefix and a missing value is written
 * as the type's default (see encode/rowbinary.h).
 *
 * The encoder owns the slot array and a small buffer for member names with
 * escapes; both are sized at creation, so encoding never allocates.
 */
#include "map/row.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/json.h"
#include "encode/rowbinary.h"
#include "map/schema_internal.h"

struct ck_row_encoder {
	const struct ck_schema *schema;
	const struct ck_schema_column *cols;
	size_t ncols;
	bool with_defaults;
	struct ck_json_value *vals; /* per column: the member's value */
	unsigned char *seen;        /* per column: vals[i] is this row's */
	struct ck_buf key;          /* decoded member name with escapes */
	struct ck_row_meta meta;    /* record of the current message */
	bool has_meta;
	bool any_meta;              /* some column is record metadata */
	struct ck_buf metatext;     /* this row's topic and key as JSON text */
	/* partition, offset, timestamp, source ts, event ts as JSON */
	char num[6][24];
	struct ck_buf doc;          /* a row given as a JSON string, decoded */
	/* Schema evolution: the last row's members that matched no column. */
	bool track_unknown;
	struct ck_row_member unknown[CK_ROW_UNKNOWN_MAX];
	size_t nunknown;
	/* A value that needs a "<column>_<suffix>" column the table lacks. */
	bool has_diverted;
	size_t diverted_col;
	struct ck_json_value diverted;
};

/* Longest "<column>_<suffix>" name looked up for a diverted value. */
#define CK_ROW_NAME_MAX 1100

/* A Kafka key is at most a message; escaped it grows at most 6 times. */
#define METATEXT_MAX (64u << 20)

/* A row decoded from a JSON string is shorter than the message. */
#define DOC_MAX (64u << 20)

/* An escape is at most 6 bytes (\u0061) for at least 1 decoded byte. */
#define ESCAPE_RATIO 6

struct ck_row_encoder *ck_row_encoder_new(const struct ck_schema *schema)
{
	struct ck_row_encoder *enc = calloc(1, sizeof(*enc));
	size_t key_max;

	if (!enc)
		return NULL;
	enc->schema = schema;
	enc->cols = ck_schema_columns(schema);
	enc->ncols = ck_schema_insert_count(schema);
	enc->with_defaults = ck_schema_with_defaults(schema);
	enc->vals = calloc(enc->ncols, sizeof(*enc->vals));
	enc->seen = calloc(enc->ncols, sizeof(*enc->seen));
	/*
	 * A name that decodes to more than the longest column name matches
	 * nothing, so the buffer may refuse it (and json.c may reserve the
	 * escaped length up front).
	 */
	key_max = ESCAPE_RATIO * ck_schema_max_name_len(schema) + 8;
	ck_buf_init(&enc->key, key_max);
	ck_buf_init(&enc->metatext, METATEXT_MAX);
	ck_buf_init(&enc->doc, DOC_MAX);
	for (size_t i = 0; i < enc->ncols; i++)
		enc->any_meta |= enc->cols[i].meta != CK_META_NONE;
	if (!enc->vals || !enc->seen ||
	    ck_buf_reserve(&enc->key, key_max, NULL)) {
		ck_row_encoder_destroy(enc);
		return NULL;
	}
	return enc;
}

void ck_row_encoder_destroy(struct ck_row_encoder *enc)
{
	if (!enc)
		return;
	free(enc->vals);
	free(enc->seen);
	ck_buf_free(&enc->key);
	ck_buf_free(&enc->metatext);
	ck_buf_free(&enc->doc);
	free(enc);
}

void ck_row_encoder_set_meta(struct ck_row_encoder *enc,
			     const struct ck_row_meta *meta)
{
	enc->has_meta = meta != NULL;
	if (meta)
		enc->meta = *meta;
}

/* Appends bytes as a JSON string literal (quotes and escapes included). */
static int put_json_string(struct ck_buf *out, const void *bytes, size_t len,
			   struct ck_err *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = bytes;
	int rc = ck_buf_put_u8(out, '"', err);

	for (size_t i = 0; !rc && i < len; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			rc = ck_buf_append(out, esc, 2, err);
		} else if (c < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4],
				       hex[c & 15]};
			rc = ck_buf_append(out, esc, 6, err);
		} else {
			rc = ck_buf_put_u8(out, c, err);
		}
	}
	if (!rc)
		rc = ck_buf_put_u8(out, '"', err);
	return rc;
}

static void number_value(struct ck_json_value *v, char *text, size_t size,
			 int64_t n)
{
	int len = snprintf(text, size, "%lld", (long long)n);

	v->kind = CK_JSON_NUMBER;
	v->p = text;
	v->len = len > 0 ? (size_t)len : 0;
	v->escaped = false;
}

/* A Debezium op as a JSON string value (static text, no escapes). */
static struct ck_json_value op_value(char op)
{
	static const char text[] = "\"c\"\"u\"\"d\"\"r\"\"t\"";
	const char *at = strchr("cudrt", op);
	size_t i = at && op ? (size_t)(at - "cudrt") : 0;

	return (struct ck_json_value){CK_JSON_STRING, text + 3 * i, 3, false};
}

/*
 * Puts this row's metadata values into vals/seen, as JSON values so the
 * column types' usual conversion rules apply. Without a record the columns
 * are left unseen: they get their defaults.
 */
static int meta_values(struct ck_row_encoder *enc, struct ck_err *err)
{
	static const struct ck_json_value null_value = {CK_JSON_NULL, "null",
							4, false};
	const struct ck_row_meta *m = enc->has_meta ? &enc->meta : NULL;
	size_t topic_at = SIZE_MAX, topic_end = 0, key_at = SIZE_MAX,
	       key_end = 0;
	int rc = CK_OK;

	ck_buf_reset(&enc->metatext);
	/* The text first: the buffer may move while it grows. */
	for (size_t i = 0; m && !rc && i < enc->ncols; i++) {
		if (enc->cols[i].meta == CK_META_TOPIC && topic_at == SIZE_MAX) {
			topic_at = enc->metatext.len;
			rc = put_json_string(&enc->metatext, m->topic,
					     m->topic_len, err);
			topic_end = enc->metatext.len;
		} else if (enc->cols[i].meta == CK_META_KEY && m->key &&
			   key_at == SIZE_MAX) {
			key_at = enc->metatext.len;
			rc = put_json_string(&enc->metatext, m->key, m->key_len,
					     err);
			key_end = enc->metatext.len;
		}
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < enc->ncols; i++) {
		struct ck_json_value *v = &enc->vals[i];
		const char *text = (const char *)enc->metatext.data;

		if (enc->cols[i].meta == CK_META_NONE)
			continue;
		enc->seen[i] = m != NULL;
		if (!m)
			continue;
		switch (enc->cols[i].meta) {
		case CK_META_TOPIC:
			*v = (struct ck_json_value){CK_JSON_STRING,
						    text + topic_at,
						    topic_end - topic_at, true};
			break;
		case CK_META_KEY:
			if (key_at == SIZE_MAX)
				*v = null_value;
			else
				*v = (struct ck_json_value){
					CK_JSON_STRING, text + key_at,
					key_end - key_at, true};
			break;
		case CK_META_PARTITION:
			number_value(v, enc->num[0], sizeof(enc->num[0]),
				     m->partition);
			break;
		case CK_META_OFFSET:
			number_value(v, enc->num[1], sizeof(enc->num[1]),
				     m->offset);
			break;
		case CK_META_TIMESTAMP:
			if (m->timestamp_ms < 0)
				*v = null_value;
			else
				number_value(v, enc->num[2],
					     sizeof(enc->num[2]),
					     m->timestamp_ms);
			break;
		case CK_META_OP:
			*v = m->op ? op_value(m->op) : null_value;
			break;
		case CK_META_DELETED:
			if (!m->op)
				*v = null_value;
			else
				*v = (struct ck_json_value){
					CK_JSON_NUMBER, m->deleted ? "1" : "0",
					1, false};
			break;
		case CK_META_SOURCE_TS:
			if (!m->op || m->source_ts_ms < 0)
				*v = null_value;
			else
				number_value(v, enc->num[3],
					     sizeof(enc->num[3]),
					     m->source_ts_ms);
			break;
		case CK_META_EVENT_TS:
			if (!m->op || m->event_ts_ms < 0)
				*v = null_value;
			else
				number_value(v, enc->num[4],
					     sizeof(enc->num[4]),
					     m->event_ts_ms);
			break;
		case CK_META_VERSION:
			if (!m->op || m->version < 0)
				*v = null_value;
			else
				number_value(v, enc->num[5],
					     sizeof(enc->num[5]), m->version);
			break;
		case CK_META_INGEST_TIME:
			/* The server's DEFAULT fills it. */
			enc->seen[i] = false;
			break;
		case CK_META_NONE:
			break;
		}
	}
	return CK_OK;
}

/*
 * The inserted column a member name refers to, or CK_SCHEMA_NO_COLUMN.
 * *next is the column expected next (see the file comment).
 */
static size_t find_column(struct ck_row_encoder *enc,
			  const struct ck_json_value *key, size_t *next)
{
	const struct ck_schema_column *col;
	const char *name;
	size_t len, i;

	if (key->escaped) {
		ck_buf_reset(&enc->key);
		/* Too long, or not decodable: no column has such a name. */
		if (ck_json_string_decode(key, &enc->key, NULL))
			return CK_SCHEMA_NO_COLUMN;
		name = (const char *)enc->key.data;
		len = enc->key.len;
	} else {
		name = ck_json_str_raw(key, &len);
	}
	i = *next;
	if (i < enc->ncols) {
		col = &enc->cols[i];
		if (col->name_len == len && !memcmp(col->name, name, len)) {
			*next = i + 1;
			return i;
		}
	}
	i = ck_schema_lookup(enc->schema, name, len);
	if (i != CK_SCHEMA_NO_COLUMN)
		*next = i + 1;
	return i;
}

/*
 * Words the failure of ck_json_object_begin() for the user. Only on this
 * error path is the message parsed as a whole: valid JSON of another kind
 * is named ("got an array"), anything else gets the parser's own error.
 */
static int not_object(const char *msg, size_t len, int rc, struct ck_err *err)
{
	static const char *const kinds[] = {
		[CK_JSON_NULL] = "null",	[CK_JSON_FALSE] = "a boolean",
		[CK_JSON_TRUE] = "a boolean",	[CK_JSON_NUMBER] = "a number",
		[CK_JSON_STRING] = "a string",	[CK_JSON_ARRAY] = "an array",
		[CK_JSON_OBJECT] = "an object",
	};
	struct ck_json_value whole;
	size_t i = 0;

	if (rc != CK_ERR_PARSE)
		return rc;
	while (i < len && (msg[i] == ' ' || msg[i] == '\t' || msg[i] == '\n' ||
			   msg[i] == '\r'))
		i++;
	if (i == len)
		return ck_err_set(err, CK_ERR_PARSE,
				  "message is not a JSON object: it is empty");
	rc = ck_json_parse(msg, len, &whole, err);
	if (rc == CK_OK)
		return ck_err_set(err, CK_ERR_PARSE,
				  "message is not a JSON object: got %s",
				  kinds[whole.kind]);
	ck_err_prefix(err, "message is not valid JSON: ");
	return rc;
}

const char *ck_row_divert_suffix(const struct ck_json_value *v)
{
	switch (v->kind) {
	case CK_JSON_STRING:
		return "str";
	case CK_JSON_NUMBER:
		return memchr(v->p, '.', v->len) || memchr(v->p, 'e', v->len) ||
				       memchr(v->p, 'E', v->len)
			       ? "float"
			       : "int";
	case CK_JSON_TRUE:
	case CK_JSON_FALSE:
		return "bool";
	default:
		return "json";
	}
}

/*
 * A value column i cannot take: with evolution on, it goes to the column
 * "<name>_<suffix>" (suffix by the value's kind) when the table has that
 * column after i and the row does not fill it otherwise, and column i gets
 * its default. Without that column, the need is recorded for the caller
 * (ck_row_diverted()) and the row fails as before.
 */
static bool divert(struct ck_row_encoder *enc, size_t i,
		   const struct ck_json_value *v)
{
	const struct ck_schema_column *col = &enc->cols[i];
	const char *suffix = ck_row_divert_suffix(v);
	char name[CK_ROW_NAME_MAX];
	int len;
	size_t alt;

	if (col->meta != CK_META_NONE)
		return false;
	len = snprintf(name, sizeof(name), "%s_%s", col->name, suffix);
	if (len <= 0 || (size_t)len >= sizeof(name))
		return false;
	alt = ck_schema_lookup(enc->schema, name, (size_t)len);
	if (alt == CK_SCHEMA_NO_COLUMN) {
		enc->diverted_col = i;
		enc->diverted = *v;
		enc->has_diverted = true;
		return false;
	}
	if (alt <= i || enc->seen[alt] || enc->cols[alt].meta != CK_META_NONE)
		return false;
	enc->vals[alt] = *v;
	enc->seen[alt] = 1;
	return true;
}

/* Rewinds out to mark and writes column col's default instead. */
static int encode_default(struct ck_row_encoder *enc,
			  const struct ck_schema_column *col,
			  struct ck_buf *out, size_t mark, struct ck_err *err)
{
	int rc = CK_OK;

	out->len = mark;
	if (col->server_default)
		return ck_buf_put_u8(out, 1, err);
	if (enc->with_defaults)
		rc = ck_buf_put_u8(out, 0, err);
	return rc ? rc : ck_rowbinary_default(col->type, out, err);
}

int ck_row_encode_json(struct ck_row_encoder *enc, const char *msg,
		       size_t len, struct ck_buf *out,
		       struct ck_row_stats *stats, struct ck_err *err)
{
	const struct ck_schema_column *col;
	struct ck_json_value key, val;
	struct ck_json_iter it;
	uint64_t unknown = 0, missing = 0, nulls = 0;
	size_t start = out->len, next = 0, i;
	int rc;

	memset(enc->seen, 0, enc->ncols);
	enc->nunknown = 0;
	enc->has_diverted = false;
	rc = ck_json_object_begin(msg, len, &it, err);
	if (rc) {
		rc = not_object(msg, len, rc, err);
		goto out;
	}
	while ((rc = ck_json_object_next(&it, &key, &val, err)) == CK_OK) {
		i = find_column(enc, &key, &next);
		if (i == CK_SCHEMA_NO_COLUMN) {
			unknown++;
			if (enc->track_unknown &&
			    enc->nunknown < CK_ROW_UNKNOWN_MAX)
				enc->unknown[enc->nunknown++] =
					(struct ck_row_member){key, val};
			continue;
		}
		enc->vals[i] = val;
		enc->seen[i] = 1;
	}
	if (rc != CK_JSON_END) {
		if (rc == CK_ERR_PARSE)
			ck_err_prefix(err, "message is not valid JSON: ");
		goto out;
	}

	rc = enc->any_meta ? meta_values(enc, err) : CK_OK;
	for (i = 0; i < enc->ncols && !rc; i++) {
		const struct ck_json_value *v = &enc->vals[i];

		col = &enc->cols[i];
		if (!enc->seen[i] || (v->kind == CK_JSON_NULL &&
				      !ck_type_nullable(col->type))) {
			if (!enc->seen[i])
				missing++;
			else
				nulls++;
			rc = encode_default(enc, col, out, out->len, err);
		} else {
			size_t mark = out->len;
			if (enc->with_defaults)
				rc = ck_buf_put_u8(out, 0, err);
			if (!rc)
				rc = ck_rowbinary_encode(col->type, v, out,
							 &nulls, err);
			if ((rc == CK_ERR_CONVERT || rc == CK_ERR_PARSE) &&
			    enc->track_unknown && divert(enc, i, v))
				rc = encode_default(enc, col, out, mark, err);
		}
		if (rc)
			ck_err_prefix(err, "column '%s' (%s): ", col->name,
				      col->type_text);
	}
	if (rc)
		goto out;
	if (stats) {
		stats->unknown_fields += unknown;
		stats->missing_fields += missing;
		stats->null_defaults += nulls;
	}
out:
	if (rc)
		out->len = start;
	return rc;
}

void ck_row_encoder_track_unknown(struct ck_row_encoder *enc, bool on)
{
	enc->track_unknown = on;
	enc->nunknown = 0;
}

size_t ck_row_unknown(const struct ck_row_encoder *enc,
		      const struct ck_row_member **members)
{
	*members = enc->unknown;
	return enc->nunknown;
}

bool ck_row_diverted(const struct ck_row_encoder *enc, const char **column,
		     const struct ck_json_value **value)
{
	if (!enc->has_diverted)
		return false;
	*column = enc->cols[enc->diverted_col].name;
	*value = &enc->diverted;
	return true;
}

int ck_row_encode_value(struct ck_row_encoder *enc,
			const struct ck_json_value *v, struct ck_buf *out,
			struct ck_row_stats *stats, struct ck_err *err)
{
	int rc;

	if (v->kind != CK_JSON_STRING)
		return ck_row_encode_json(enc, v->p, v->len, out, stats, err);
	ck_buf_reset(&enc->doc);
	rc = ck_json_string_decode(v, &enc->doc, err);
	if (!rc)
		rc = ck_row_encode_json(enc, (const char *)enc->doc.data,
					enc->doc.len, out, stats, err);
	if (rc)
		ck_err_prefix(err, "row string: ");
	return rc;
}
