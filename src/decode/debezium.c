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

static int source_ts(const struct envelope *env, int64_t *out,
		     struct ck_err *err)
{
	struct ck_json_value key, val, ts = {CK_JSON_NULL, "null", 4, false};
	struct ck_json_iter it;
	bool has_ts = false;

	*out = -1;
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
		}
	}
	return get_ts(&ts, has_ts, "source.ts_ms", out, err);
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
	out->ts_ms = out->source_ts_ms = -1;
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
		rc = source_ts(&env, &out->source_ts_ms, err);
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
