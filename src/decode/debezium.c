/*
 * debezium.c — Debezium change event → row span. See debezium.h.
 *
 * Two levels are scanned with the JSON iterators: the top-level object,
 * and, for the schema envelope, "payload". A top level without "op" but
 * with "payload" is the schema envelope; one with "op" is the envelope
 * itself (a table may have a column called "payload", but an envelope
 * always has "op"). The top-level scan validates the whole message, so
 * iterating "payload" and "source" afterwards cannot fail on syntax.
 *
 * Member names are compared as raw bytes: Debezium never escapes them, so
 * a name written with escapes ("\u006fp") is not the member it spells.
 * Repeated members: the last one wins, as in map/row.c.
 */
#include "decode/debezium.h"

#include <string.h>

struct envelope {
	struct ck_json_value before, after, op, source, ts_ms;
	bool has_before, has_after, has_op, has_source, has_ts_ms;
	/* ExtractNewRecordState's added fields (the unwrapped shape). */
	struct ck_json_value u_op, u_deleted, u_ts_ms, u_source_ts_ms, u_lsn;
	bool has_u_op, has_u_deleted, has_u_ts_ms, has_u_source_ts_ms,
		has_u_lsn;
};

static bool name_is(const struct ck_json_value *key, const char *name)
{
	size_t len;
	const char *raw = ck_json_str_raw(key, &len);

	return !key->escaped && len == strlen(name) && !memcmp(raw, name, len);
}

/* "a string", "an object", ... for error messages. */
static const char *kind_article(enum ck_json_kind kind)
{
	return kind == CK_JSON_ARRAY || kind == CK_JSON_OBJECT ? "an" : "a";
}

/* Records the envelope members of one object. */
static void take_member(struct envelope *env, const struct ck_json_value *key,
			const struct ck_json_value *val)
{
	if (name_is(key, "before")) {
		env->before = *val;
		env->has_before = true;
	} else if (name_is(key, "after")) {
		env->after = *val;
		env->has_after = true;
	} else if (name_is(key, "op")) {
		env->op = *val;
		env->has_op = true;
	} else if (name_is(key, "source")) {
		env->source = *val;
		env->has_source = true;
	} else if (name_is(key, "ts_ms")) {
		env->ts_ms = *val;
		env->has_ts_ms = true;
	} else if (name_is(key, "__op")) {
		env->u_op = *val;
		env->has_u_op = true;
	} else if (name_is(key, "__deleted")) {
		env->u_deleted = *val;
		env->has_u_deleted = true;
	} else if (name_is(key, "__ts_ms")) {
		env->u_ts_ms = *val;
		env->has_u_ts_ms = true;
	} else if (name_is(key, "__source_ts_ms")) {
		env->u_source_ts_ms = *val;
		env->has_u_source_ts_ms = true;
	} else if (name_is(key, "__lsn")) {
		env->u_lsn = *val;
		env->has_u_lsn = true;
	}
}

/* An optional epoch-ms member: -1 when absent, null or negative. */
static int get_ts(const struct ck_json_value *v, bool present,
		  const char *name, int64_t *out, struct ck_err *err)
{
	*out = -1;
	if (!present || v->kind == CK_JSON_NULL)
		return CK_OK;
	if (v->kind != CK_JSON_NUMBER ||
	    ck_json_text_i64(v->p, v->len, out, NULL) != CK_OK)
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: \"%s\" is not an integer (got "
				  "%.*s%s)",
				  name,
				  v->kind == CK_JSON_NUMBER
					  ? (int)(v->len < 32 ? v->len : 32)
					  : 0,
				  v->p,
				  v->kind == CK_JSON_NUMBER
					  ? ""
					  : ck_json_kind_name(v->kind));
	/* Debezium's times are after 1970; a negative one is treated as none. */
	if (*out < 0)
		*out = -1;
	return CK_OK;
}

/*
 * A MySQL binlog file name's sequence number: "mysql-bin.000003" → 3.
 * false when the name does not end in digits or the number is too large
 * for the position's 23 bits.
 */
static bool binlog_number(const struct ck_json_value *file, int64_t *out)
{
	size_t len, i;
	const char *raw = ck_json_str_raw(file, &len);
	int64_t n = 0;

	if (file->kind != CK_JSON_STRING || file->escaped)
		return false;
	for (i = len; i > 0 && raw[i - 1] >= '0' && raw[i - 1] <= '9'; i--)
		;
	if (i == len || len - i > 7)
		return false;
	for (; i < len; i++)
		n = n * 10 + (raw[i] - '0');
	*out = n;
	return true;
}

/* A non-negative integer member, or false. */
static bool member_u63(const struct ck_json_value *v, int64_t max,
		       int64_t *out)
{
	return v->kind == CK_JSON_NUMBER &&
	       ck_json_text_i64(v->p, v->len, out, NULL) == CK_OK &&
	       *out >= 0 && *out <= max;
}

/*
 * source.ts_ms, and the change's position in the source's log when the
 * connector gives one (see debezium.h). Members that are not usable as a
 * position leave it at -1: the caller falls back to the Kafka offset.
 */
static int source_members(const struct envelope *env, int64_t *ts_out,
			  int64_t *pos_out, struct ck_err *err)
{
	static const struct ck_json_value none = {CK_JSON_NULL, "null", 4,
						  false};
	struct ck_json_value key, val, ts = none, lsn = none, file = none,
				       pos = none, row = none, ord = none;
	struct ck_json_iter it;
	bool has_ts = false, has_lsn = false, has_file = false,
	     has_pos = false, has_row = false, has_ord = false;
	int64_t a, b, c = 0;
	int rc;

	*ts_out = *pos_out = -1;
	if (!env->has_source || env->source.kind == CK_JSON_NULL)
		return CK_OK;
	if (env->source.kind != CK_JSON_OBJECT)
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: \"source\" is not an object (got "
				  "%s %s)",
				  kind_article(env->source.kind),
				  ck_json_kind_name(env->source.kind));
	ck_json_object_iter(&env->source, &it);
	while (ck_json_object_next(&it, &key, &val, NULL) == CK_OK) {
		if (name_is(&key, "ts_ms")) {
			ts = val;
			has_ts = true;
		} else if (name_is(&key, "lsn")) {
			lsn = val;
			has_lsn = true;
		} else if (name_is(&key, "file")) {
			file = val;
			has_file = true;
		} else if (name_is(&key, "pos")) {
			pos = val;
			has_pos = true;
		} else if (name_is(&key, "row")) {
			row = val;
			has_row = true;
		} else if (name_is(&key, "ord")) {
			ord = val;
			has_ord = true;
		}
	}
	rc = get_ts(&ts, has_ts, "source.ts_ms", ts_out, err);
	if (rc)
		return rc;
	if (has_lsn && member_u63(&lsn, INT64_MAX, &a)) {
		/* PostgreSQL: the change's WAL position. */
		*pos_out = a;
	} else if (has_file && has_pos && binlog_number(&file, &a) &&
		   member_u63(&pos, 0xffffffffLL, &b) &&
		   (!has_row || member_u63(&row, 255, &c))) {
		/* MySQL: binlog file number, offset in it, row in the event. */
		*pos_out = a << 40 | b << 8 | c;
	} else if (has_ord && *ts_out >= 0 &&
		   member_u63(&ord, 0xffffffffLL, &b)) {
		/* MongoDB: the oplog's (seconds, ordinal). */
		*pos_out = (*ts_out / 1000) << 32 | b;
	}
	return CK_OK;
}

/* The unwrapped shape's "__deleted": "true"/"false" or a boolean. */
static bool unwrapped_deleted(const struct envelope *env)
{
	size_t len;
	const char *raw;

	if (!env->has_u_deleted)
		return false;
	raw = ck_json_str_raw(&env->u_deleted, &len);
	if (env->u_deleted.kind == CK_JSON_STRING)
		return len == 4 && !memcmp(raw, "true", 4);
	return env->u_deleted.kind == CK_JSON_TRUE;
}

/*
 * A row that ExtractNewRecordState already unwrapped: the object itself,
 * with "__deleted" (delete.handling.mode rewrite) and the fields its
 * add.fields option names ("__op", "__ts_ms", "__source_ts_ms", "__lsn").
 */
static int unwrapped(const struct envelope *env,
		     const struct ck_json_value *row, struct ck_debezium *out,
		     struct ck_err *err)
{
	size_t len;
	const char *raw;
	int rc;

	out->deleted = unwrapped_deleted(env);
	out->op = out->deleted ? 'd' : 'u';
	if (env->has_u_op && env->u_op.kind == CK_JSON_STRING) {
		raw = ck_json_str_raw(&env->u_op, &len);
		if (env->u_op.escaped || len != 1 || !strchr("cudr", raw[0]))
			return ck_err_set(err, CK_ERR_PARSE,
					  "debezium: __op \"%.*s\" is not one "
					  "of c, u, d, r",
					  (int)(len > 16 ? 16 : len), raw);
		out->op = raw[0];
		out->deleted |= out->op == 'd';
	}
	rc = get_ts(&env->u_ts_ms, env->has_u_ts_ms, "__ts_ms", &out->ts_ms,
		    err);
	if (!rc)
		rc = get_ts(&env->u_source_ts_ms, env->has_u_source_ts_ms,
			    "__source_ts_ms", &out->source_ts_ms, err);
	if (!rc && env->has_u_lsn)
		rc = get_ts(&env->u_lsn, true, "__lsn", &out->position, err);
	if (rc)
		return rc;
	out->kind = CK_DEBEZIUM_ROW;
	out->unwrapped = true;
	out->row = *row;
	return CK_OK;
}

/* The row member an op needs: present, and an object or a JSON string. */
static int row_member(const struct ck_json_value *v, bool present,
		      const char *what, const char *name,
		      struct ck_json_value *row, struct ck_err *err)
{
	if (!present || v->kind == CK_JSON_NULL)
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: %s without \"%s\"", what, name);
	if (v->kind != CK_JSON_OBJECT && v->kind != CK_JSON_STRING)
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: \"%s\" is not an object or a "
				  "JSON string (got %s %s)",
				  name, kind_article(v->kind),
				  ck_json_kind_name(v->kind));
	*row = *v;
	return CK_OK;
}

/* Index of the first non-whitespace byte, len if none. */
static size_t skip_space(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
			   p[i] == '\r'))
		i++;
	return i;
}

int ck_debezium_unwrap(const char *msg, size_t len, struct ck_debezium *out,
		       struct ck_err *err)
{
	struct envelope env;
	struct ck_json_value key, val;
	struct ck_json_value payload = {CK_JSON_NULL, "null", 4, false};
	struct ck_json_iter it;
	bool has_payload = false;
	const char *raw;
	size_t raw_len, first = skip_space(msg, len);
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&env, 0, sizeof(env));
	out->ts_ms = out->source_ts_ms = out->position = -1;
	/* Only a message starting with 'n' is worth a second parse. */
	if (first == len ||
	    (msg[first] == 'n' && ck_json_parse(msg, len, &val, NULL) == CK_OK &&
	     val.kind == CK_JSON_NULL)) {
		out->kind = CK_DEBEZIUM_TOMBSTONE;
		return CK_OK;
	}
	rc = ck_json_object_begin(msg, len, &it, err);
	while (!rc && (rc = ck_json_object_next(&it, &key, &val, err)) ==
			      CK_OK) {
		if (name_is(&key, "payload")) {
			payload = val;
			has_payload = true;
		}
		take_member(&env, &key, &val);
	}
	if (rc != CK_JSON_END) {
		ck_err_prefix(err, "debezium: ");
		return rc;
	}

	if (!env.has_op && has_payload) {
		if (payload.kind == CK_JSON_NULL) {
			out->kind = CK_DEBEZIUM_TOMBSTONE;
			return CK_OK;
		}
		if (payload.kind != CK_JSON_OBJECT)
			return ck_err_set(err, CK_ERR_PARSE,
					  "debezium: \"payload\" is not an "
					  "object (got %s %s)",
					  kind_article(payload.kind),
					  ck_json_kind_name(payload.kind));
		ck_json_object_iter(&payload, &it);
		while (ck_json_object_next(&it, &key, &val, NULL) == CK_OK)
			take_member(&env, &key, &val);
	}

	if (!env.has_op && (env.has_u_op || env.has_u_deleted)) {
		struct ck_json_value top = {CK_JSON_OBJECT, msg + first,
					    len - first, false};
		/* Validated: only whitespace follows the closing brace. */
		while (top.len > 1 && top.p[top.len - 1] != '}')
			top.len--;
		return unwrapped(&env, has_payload ? &payload : &top, out,
				 err);
	}
	if (!env.has_op)
		return ck_err_set(err, CK_ERR_PARSE, "debezium: missing \"op\"");
	if (env.op.kind != CK_JSON_STRING)
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: \"op\" is not a string (got %s "
				  "%s)",
				  kind_article(env.op.kind),
				  ck_json_kind_name(env.op.kind));
	raw = ck_json_str_raw(&env.op, &raw_len);
	if (env.op.escaped || raw_len != 1 || !strchr("cudrt", raw[0]))
		return ck_err_set(err, CK_ERR_PARSE,
				  "debezium: op \"%.*s\" is not one of c, u, "
				  "d, r, t",
				  (int)(raw_len > 16 ? 16 : raw_len), raw);
	out->op = raw[0];
	out->deleted = out->op == 'd';

	rc = get_ts(&env.ts_ms, env.has_ts_ms, "ts_ms", &out->ts_ms, err);
	if (!rc)
		rc = source_members(&env, &out->source_ts_ms, &out->position,
				    err);
	if (rc)
		return rc;

	switch (out->op) {
	case 't':
		out->kind = CK_DEBEZIUM_TRUNCATE;
		return CK_OK;
	case 'd':
		rc = row_member(&env.before, env.has_before, "delete",
				"before", &out->row, err);
		break;
	case 'c':
		rc = row_member(&env.after, env.has_after, "create", "after",
				&out->row, err);
		break;
	case 'u':
		rc = row_member(&env.after, env.has_after, "update", "after",
				&out->row, err);
		break;
	default:
		rc = row_member(&env.after, env.has_after, "snapshot read",
				"after", &out->row, err);
		break;
	}
	out->kind = CK_DEBEZIUM_ROW;
	return rc;
}
