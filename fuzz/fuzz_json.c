/*
 * fuzz_json.c — libFuzzer harness for the JSON scanner (src/decode/json.c).
 *
 * Each input is treated as a Kafka message and driven through everything
 * the row encoder does with one: ck_json_parse(), the top-level
 * ck_json_object_begin()/next() loop, recursive iteration of every nested
 * value, ck_json_string_decode() into a small bounded buffer, and the text
 * conversions on every number and string. The input is also fed whole to
 * the text conversions, which must agree with the scanner on what a JSON
 * number is.
 *
 * Besides ASan/UBSan findings, broken invariants abort():
 *   - the one-shot parse and the iterator agree: both accept, or both fail
 *     with the same code at the same byte offset;
 *   - iterating a value the scanner accepted never fails, and the two ways
 *     of reaching a member (iterator, nested iteration of the parse result)
 *     give identical spans;
 *   - decoding a validated string fails only on a lone surrogate or a full
 *     buffer, leaves the buffer as it was when it fails, and never yields
 *     more bytes than the raw text;
 *   - a validated number is always a number to the conversions, and the
 *     integer and double conversions agree with each other.
 *
 * The input is copied into an exact-size heap buffer so that reading even
 * one byte past the message is an ASan report.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/json.h"

#include "fuzz.h"

#define DECODE_MAX 96

struct ctx {
	const char *msg;
	size_t size;
	struct ck_buf buf;
};

/* The N of "at byte N: ..." (scanner errors always start that way). */
static size_t error_offset(const struct ck_err *err)
{
	unsigned long long n;

	CHECK(sscanf(err->msg, "at byte %llu:", &n) == 1);
	return (size_t)n;
}

static bool inside(const struct ctx *c, const char *p, size_t len)
{
	return p >= c->msg && len <= c->size &&
	       (size_t)(p - c->msg) <= c->size - len;
}

static bool is_range_error(const struct ck_err *err)
{
	return strstr(err->msg, "out of range") ||
	       strstr(err->msg, "too long");
}

/* The integer and double conversions of the same text must agree. */
static void check_numeric_text(const char *p, size_t len, bool grammar_ok)
{
	struct ck_err err;
	int64_t i = 0;
	uint64_t u = 0;
	double d = 0;
	int irc = ck_json_text_i64(p, len, &i, &err);
	int urc, drc;

	CHECK(irc == CK_OK || irc == CK_ERR_CONVERT);
	if (grammar_ok && irc)
		CHECK(!strstr(err.msg, "is not a number"));
	urc = ck_json_text_u64(p, len, &u, &err);
	CHECK(urc == CK_OK || urc == CK_ERR_CONVERT);
	drc = ck_json_text_double(p, len, false, &d, &err);
	CHECK(drc == CK_OK || drc == CK_ERR_CONVERT);
	if (grammar_ok && drc)
		CHECK(is_range_error(&err));
	/* Integers are exact; the double is the same real, rounded once. */
	if (irc == CK_OK && i >= 0)
		CHECK(urc == CK_OK && u == (uint64_t)i);
	if (urc == CK_OK && u <= INT64_MAX)
		CHECK(irc == CK_OK && (uint64_t)i == u);
	if (irc == CK_OK && drc == CK_OK)
		CHECK(d == (double)i);
	if (urc == CK_OK && drc == CK_OK)
		CHECK(d == (double)u);
	if (irc == CK_OK || urc == CK_OK)
		CHECK(drc == CK_OK || strstr(err.msg, "too long"));
	/* Plain JSON numbers never become a NaN or an infinity. */
	if (drc == CK_OK)
		CHECK(isfinite(d));
	drc = ck_json_text_double(p, len, true, &d, &err);
	CHECK(drc == CK_OK || drc == CK_ERR_CONVERT);
}

static void check_string(struct ctx *c, const struct ck_json_value *s)
{
	struct ck_err err;
	size_t raw_len, before;
	const char *raw = ck_json_str_raw(s, &raw_len);
	int rc;

	CHECK(s->len >= 2 && s->p[0] == '"' && s->p[s->len - 1] == '"');
	ck_buf_reset(&c->buf);
	/* Something already in the buffer must survive a failed decode. */
	CHECK(ck_buf_append(&c->buf, "x", 1, NULL) == CK_OK);
	before = c->buf.len;
	rc = ck_json_string_decode(s, &c->buf, &err);
	if (rc) {
		CHECK(c->buf.len == before);
		CHECK(rc == CK_ERR_LIMIT ||
		      (rc == CK_ERR_PARSE && strstr(err.msg, "lone surrogate")));
		if (rc == CK_ERR_LIMIT)
			CHECK(raw_len > DECODE_MAX - before);
		return;
	}
	/* Escapes only ever shrink the text. */
	CHECK(c->buf.len - before <= raw_len);
	if (!s->escaped)
		CHECK(c->buf.len - before == raw_len &&
		      memcmp(c->buf.data + before, raw, raw_len) == 0);
	else
		CHECK(memchr(raw, '\\', raw_len) != NULL);
	/* A numeric string ("42") goes through the same conversions. */
	check_numeric_text((const char *)c->buf.data + before,
			   c->buf.len - before, false);
}

static void walk(struct ctx *c, const struct ck_json_value *v, int depth)
{
	struct ck_json_iter it;
	struct ck_json_value key, val;
	int rc;

	/* depth is v's nesting level, which only matters for containers. */
	CHECK(v->len > 0 && inside(c, v->p, v->len));
	switch (v->kind) {
	case CK_JSON_NULL:
		CHECK(v->len == 4 && memcmp(v->p, "null", 4) == 0);
		break;
	case CK_JSON_TRUE:
		CHECK(v->len == 4 && memcmp(v->p, "true", 4) == 0);
		break;
	case CK_JSON_FALSE:
		CHECK(v->len == 5 && memcmp(v->p, "false", 5) == 0);
		break;
	case CK_JSON_NUMBER:
		check_numeric_text(v->p, v->len, true);
		break;
	case CK_JSON_STRING:
		check_string(c, v);
		break;
	case CK_JSON_OBJECT:
		CHECK(depth <= CK_JSON_MAX_DEPTH);
		ck_json_object_iter(v, &it);
		while ((rc = ck_json_object_next(&it, &key, &val, NULL)) ==
		       CK_OK) {
			CHECK(key.kind == CK_JSON_STRING);
			check_string(c, &key);
			walk(c, &val, depth + 1);
		}
		CHECK(rc == CK_JSON_END);
		break;
	case CK_JSON_ARRAY:
		CHECK(depth <= CK_JSON_MAX_DEPTH);
		ck_json_array_iter(v, &it);
		while ((rc = ck_json_array_next(&it, &val, NULL)) == CK_OK)
			walk(c, &val, depth + 1);
		CHECK(rc == CK_JSON_END);
		break;
	}
	CHECK(strcmp(ck_json_kind_name(v->kind), "unknown") != 0);
}

static bool starts_with_brace(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
			   p[i] == '\r'))
		i++;
	return i < len && p[i] == '{';
}

static bool same_value(const struct ck_json_value *a,
		       const struct ck_json_value *b)
{
	return a->kind == b->kind && a->p == b->p && a->len == b->len &&
	       a->escaped == b->escaped;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;
	struct ck_json_value top, key, val, key2, val2;
	struct ck_json_iter it, it2;
	struct ck_err perr, ierr;
	char *msg = malloc(size ? size : 1);
	int prc, irc;

	if (!msg)
		return 0;
	if (size)
		memcpy(msg, data, size);
	c.msg = msg;
	c.size = size;
	ck_buf_init(&c.buf, DECODE_MAX);

	prc = ck_json_parse(msg, size, &top, &perr);
	CHECK(prc == CK_OK || prc == CK_ERR_PARSE || prc == CK_ERR_LIMIT);
	if (prc == CK_OK)
		walk(&c, &top, 1);
	else
		CHECK(error_offset(&perr) <= size);

	/* The message path: top-level iteration validates as it goes. */
	irc = ck_json_object_begin(msg, size, &it, &ierr);
	if (irc == CK_OK) {
		bool lockstep = prc == CK_OK && top.kind == CK_JSON_OBJECT;
		if (lockstep)
			ck_json_object_iter(&top, &it2);
		while ((irc = ck_json_object_next(&it, &key, &val, &ierr)) ==
		       CK_OK) {
			check_string(&c, &key);
			walk(&c, &val, 2);
			if (lockstep) {
				CHECK(ck_json_object_next(&it2, &key2, &val2,
							  NULL) == CK_OK);
				CHECK(same_value(&key, &key2));
				CHECK(same_value(&val, &val2));
			}
		}
		if (lockstep)
			CHECK(ck_json_object_next(&it2, &key2, &val2, NULL) ==
			      CK_JSON_END);
		if (irc == CK_JSON_END) {
			irc = CK_OK;
			/* Finished stays finished. */
			CHECK(ck_json_object_next(&it, &key, &val, NULL) ==
			      CK_JSON_END);
		}
	}
	if (irc == CK_OK) {
		CHECK(prc == CK_OK && top.kind == CK_JSON_OBJECT);
	} else {
		CHECK(irc == CK_ERR_PARSE || irc == CK_ERR_LIMIT);
		CHECK(error_offset(&ierr) <= size);
		/* Same first error, whichever way an object was read. */
		if (prc == CK_OK)
			CHECK(top.kind != CK_JSON_OBJECT);
		else if (starts_with_brace(msg, size))
			CHECK(irc == prc &&
			      error_offset(&ierr) == error_offset(&perr));
	}

	/*
	 * The whole input as text: a conversion accepts exactly the numbers
	 * the scanner accepts as a bare value without surrounding whitespace.
	 */
	{
		bool is_number = prc == CK_OK && top.kind == CK_JSON_NUMBER &&
				 top.p == msg && top.len == size;
		int64_t i;
		double d;
		int rc = ck_json_text_i64(msg, size, &i, &perr);
		if (rc == CK_OK)
			CHECK(is_number);
		else if (!is_number)
			CHECK(strstr(perr.msg, "is not a number"));
		rc = ck_json_text_double(msg, size, false, &d, &perr);
		if (rc == CK_OK)
			CHECK(is_number);
		else if (is_number)
			CHECK(is_range_error(&perr));
		check_numeric_text(msg, size, is_number);
	}

	ck_buf_free(&c.buf);
	free(msg);
	return 0;
}
