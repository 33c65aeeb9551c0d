/*
 * rowbinary.c — JSON value → RowBinary bytes. The layouts and conversion
 * rules are in rowbinary.h.
 *
 * Dispatch is one switch on the column's kind (encode_value) and one for
 * defaults (ck_rowbinary_default). Values are converted straight from their
 * JSON text; nothing is allocated except by growing the output buffer.
 *
 * Two length prefixes are unknown until their payload is written: the byte
 * count of a String whose text has to be transformed (escapes decoded,
 * JSON compacted) and the element count of an Array. Both are varints, so
 * the prefix is given its largest possible size (from the raw length) or one
 * byte (arrays) up front, and the payload is moved in the rare case the
 * actual varint is a different size. The common cases (plain strings,
 * arrays of fewer than 128 elements) never move.
 *
 * Dates are computed with integer arithmetic only (no timegm/mktime, no
 * locale or TZ), using the days-from-civil algorithm of Howard Hinnant's
 * "chrono-Compatible Low-Level Date Algorithms".
 */
#include "encode/rowbinary.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* How many bytes of an offending value an error message quotes. */
#define QUOTE_MAX 40

/* Room for a numeric string that needs unescaping ("\u0031" → "1"). */
#define NUMTEXT_MAX 64

/* The last day a Date can hold: 2149-06-06. */
#define DATE_MAX 65535

/* A prefix of a value's JSON text that is short enough to quote. */
struct quote {
	int len;
	const char *more; /* "..." when cut */
};

static struct quote quote(const struct ck_json_value *v)
{
	struct quote q = { (int)v->len, "" };
	size_t n = v->len;

	if (n > QUOTE_MAX) {
		n = QUOTE_MAX;
		/* Do not cut a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)v->p[n] & 0xC0) == 0x80)
			n--;
		q.len = (int)n;
		q.more = "...";
	}
	return q;
}

/* "got ..." in "expected an integer, got an object". */
static const char *kind_phrase(enum ck_json_kind kind)
{
	switch (kind) {
	case CK_JSON_NULL: return "null";
	case CK_JSON_FALSE: return "false";
	case CK_JSON_TRUE: return "true";
	case CK_JSON_NUMBER: return "a number";
	case CK_JSON_STRING: return "a string";
	case CK_JSON_ARRAY: return "an array";
	case CK_JSON_OBJECT: return "an object";
	}
	return "a value";
}

static int fail_expected(const char *what, const struct ck_json_value *v,
			 struct ck_err *err)
{
	return ck_err_set(err, CK_ERR_CONVERT, "expected %s, got %s", what,
			  kind_phrase(v->kind));
}

static int fail_range(const struct ck_json_value *v, const char *type_name,
		      struct ck_err *err)
{
	struct quote q = quote(v);

	return ck_err_set(err, CK_ERR_CONVERT, "%.*s%s is out of range for %s",
			  q.len, v->p, q.more, type_name);
}

static int fail_not(const struct ck_json_value *v, const char *what,
		    const char *detail, struct ck_err *err)
{
	struct quote q = quote(v);

	return ck_err_set(err, CK_ERR_CONVERT, "%.*s%s is not %s%s%s%s", q.len,
			  v->p, q.more, what, *detail ? " (" : "", detail,
			  *detail ? ")" : "");
}

enum num_class { NUM_INVALID, NUM_FRACTION, NUM_INTEGER };

/*
 * Is [p, p+len) JSON number text, and is its value an integer? Only used
 * to word an error after a conversion failed, so speed does not matter.
 */
static enum num_class classify_number(const char *p, size_t len)
{
	size_t i = 0, frac = 0, zeros = 0;
	bool nonzero = false, neg_exp = false;
	long exp = 0;

	if (i < len && p[i] == '-')
		i++;
	if (i == len || p[i] < '0' || p[i] > '9')
		return NUM_INVALID;
	if (p[i] == '0' && i + 1 < len && p[i + 1] >= '0' && p[i + 1] <= '9')
		return NUM_INVALID;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		zeros = p[i] == '0' ? zeros + 1 : 0;
		nonzero |= p[i] != '0';
	}
	if (i < len && p[i] == '.') {
		size_t start = ++i;
		for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
			zeros = p[i] == '0' ? zeros + 1 : 0;
			nonzero |= p[i] != '0';
		}
		frac = i - start;
		if (!frac)
			return NUM_INVALID;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		size_t start;
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			neg_exp = p[i++] == '-';
		start = i;
		for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (exp < 1000000)
				exp = exp * 10 + (p[i] - '0');
		if (i == start)
			return NUM_INVALID;
	}
	if (i != len)
		return NUM_INVALID;
	if (!nonzero)
		return NUM_INTEGER;
	/* value = digits * 10^(exp - frac): integral if enough trailing zeros */
	{
		long scale = (long)frac + (neg_exp ? exp : -exp);
		return scale <= 0 || (long)zeros >= scale ? NUM_INTEGER
							  : NUM_FRACTION;
	}
}

/*
 * The text a numeric conversion reads from a string value: its raw
 * contents, or, for the rare string with escapes, its contents decoded into
 * tmp. False if it does not fit tmp (then it is not a sensible number).
 */
static bool string_text(const struct ck_json_value *v,
			char tmp[NUMTEXT_MAX], const char **p, size_t *len)
{
	struct ck_buf buf;

	if (!v->escaped) {
		*p = ck_json_str_raw(v, len);
		return true;
	}
	/* A buffer over tmp: cap == max, so it fails rather than reallocate. */
	buf.data = (uint8_t *)tmp;
	buf.len = 0;
	buf.cap = NUMTEXT_MAX;
	buf.max = NUMTEXT_MAX;
	if (ck_json_string_decode(v, &buf, NULL))
		return false;
	*p = tmp;
	*len = buf.len;
	return true;
}

/* Words the failure to read an integer from number text [p, p+len). */
static int fail_number(const struct ck_json_value *v, const char *p,
		       size_t len, const char *type_name, struct ck_err *err)
{
	if (classify_number(p, len) == NUM_INTEGER)
		return fail_range(v, type_name, err);
	return fail_not(v, "an integer", "", err);
}

/*
 * Reads an integer in [min, max] from number text [p, p+len) that came from
 * v, wording errors for v.
 */
static int text_i64(const struct ck_json_value *v, const char *p, size_t len,
		    int64_t min, int64_t max, const char *type_name,
		    int64_t *out, struct ck_err *err)
{
	int64_t i = 0;

	if (ck_json_text_i64(p, len, &i, NULL) != CK_OK)
		return fail_number(v, p, len, type_name, err);
	if (i < min || i > max)
		return fail_range(v, type_name, err);
	*out = i;
	return CK_OK;
}

static int text_u64(const struct ck_json_value *v, const char *p, size_t len,
		    uint64_t max, const char *type_name, uint64_t *out,
		    struct ck_err *err)
{
	uint64_t u = 0;

	if (ck_json_text_u64(p, len, &u, NULL) != CK_OK)
		return fail_number(v, p, len, type_name, err);
	if (u > max)
		return fail_range(v, type_name, err);
	*out = u;
	return CK_OK;
}

/*
 * The number text of an integer-like value (number or string). Returns
 * false if v is neither; then the caller says what it expected.
 */
static bool number_text(const struct ck_json_value *v, char tmp[NUMTEXT_MAX],
			const char **p, size_t *len)
{
	if (v->kind == CK_JSON_NUMBER) {
		*p = v->p;
		*len = v->len;
		return true;
	}
	if (v->kind != CK_JSON_STRING)
		return false;
	if (!string_text(v, tmp, p, len)) {
		/* Too long to be a number: let the parser refuse it. */
		*p = "";
		*len = 0;
	}
	return true;
}

static bool takes_bool(enum ck_type_kind kind)
{
	return kind == CK_TYPE_INT8 || kind == CK_TYPE_UINT8 ||
	       kind == CK_TYPE_BOOL;
}

static int put_signed(const struct ck_type *t, const struct ck_json_value *v,
		      size_t size, int64_t min, int64_t max,
		      struct ck_buf *out, struct ck_err *err)
{
	char tmp[NUMTEXT_MAX];
	const char *p;
	size_t len;
	int64_t i = 0;
	int rc;

	if ((v->kind == CK_JSON_TRUE || v->kind == CK_JSON_FALSE) &&
	    takes_bool(t->kind))
		return ck_buf_put_u8(out, v->kind == CK_JSON_TRUE, err);
	if (!number_text(v, tmp, &p, &len))
		return fail_expected("an integer", v, err);
	rc = text_i64(v, p, len, min, max, ck_type_kind_name(t->kind), &i,
		      err);
	if (rc)
		return rc;
	return ck_buf_put_le(out, (uint64_t)i, size, err);
}

static bool ascii_ieq(const char *p, size_t len, const char *lower)
{
	size_t n = strlen(lower);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[i])
			return false;
	}
	return true;
}

static int put_unsigned(const struct ck_type *t,
			const struct ck_json_value *v, size_t size,
			uint64_t max, struct ck_buf *out, struct ck_err *err)
{
	char tmp[NUMTEXT_MAX];
	const char *p;
	size_t len;
	uint64_t u = 0;
	int rc;

	if ((v->kind == CK_JSON_TRUE || v->kind == CK_JSON_FALSE) &&
	    takes_bool(t->kind))
		return ck_buf_put_u8(out, v->kind == CK_JSON_TRUE, err);
	if (!number_text(v, tmp, &p, &len))
		return fail_expected(t->kind == CK_TYPE_BOOL ? "a boolean"
							     : "an integer",
				     v, err);
	if (t->kind == CK_TYPE_BOOL) {
		if (v->kind == CK_JSON_STRING && ascii_ieq(p, len, "true"))
			u = 1;
		else if (v->kind == CK_JSON_STRING && ascii_ieq(p, len, "false"))
			u = 0;
		else if (ck_json_text_u64(p, len, &u, NULL) || u > 1)
			return fail_not(v, "a boolean", "", err);
		return ck_buf_put_u8(out, (uint8_t)u, err);
	}
	rc = text_u64(v, p, len, max, ck_type_kind_name(t->kind), &u, err);
	if (rc)
		return rc;
	return ck_buf_put_le(out, u, size, err);
}

static int put_float(const struct ck_type *t, const struct ck_json_value *v,
		     struct ck_buf *out, struct ck_err *err)
{
	char tmp[NUMTEXT_MAX];
	const char *p;
	size_t len;
	double d;

	if (!number_text(v, tmp, &p, &len))
		return fail_expected("a number", v, err);
	if (ck_json_text_double(p, len, v->kind == CK_JSON_STRING, &d,
				NULL) != CK_OK) {
		if (classify_number(p, len) != NUM_INVALID)
			return fail_range(v, ck_type_kind_name(t->kind), err);
		return fail_not(v, "a number", "", err);
	}
	if (v->kind == CK_JSON_NUMBER && !isfinite(d))
		return fail_range(v, ck_type_kind_name(t->kind), err);
	if (t->kind == CK_TYPE_FLOAT32) {
		float f;
		uint32_t bits;
		/* Converting a finite double beyond float's range is UB. */
		if (isfinite(d) && (d > FLT_MAX || d < -FLT_MAX))
			return fail_range(v, ck_type_kind_name(t->kind), err);
		f = (float)d;
		memcpy(&bits, &f, sizeof(bits));
		return ck_buf_put_le(out, bits, 4, err);
	} else {
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		return ck_buf_put_le(out, bits, 8, err);
	}
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void varint_write(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p = (uint8_t)v;
}

/*
 * Writes already validated JSON text without the whitespace outside
 * strings to dst (room for len bytes); returns the length written.
 */
static size_t compact_json(const char *p, size_t len, uint8_t *dst)
{
	bool in_str = false;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_str) {
			dst[n++] = (uint8_t)c;
			if (c == '\\')
				dst[n++] = (uint8_t)p[++i];
			else if (c == '"')
				in_str = false;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			dst[n++] = (uint8_t)c;
			in_str = c == '"';
		}
	}
	return n;
}

/*
 * Appends the string form of v (no length prefix): decoded string bytes,
 * the text of a number or boolean, compacted JSON of an object or array.
 * Never longer than v->len.
 */
static int append_text(const struct ck_json_value *v, struct ck_buf *out,
		       struct ck_err *err)
{
	const char *p;
	size_t len;
	int rc;

	switch (v->kind) {
	case CK_JSON_STRING:
		if (v->escaped)
			return ck_json_string_decode(v, out, err);
		p = ck_json_str_raw(v, &len);
		return ck_buf_append(out, p, len, err);
	case CK_JSON_OBJECT:
	case CK_JSON_ARRAY:
		rc = ck_buf_reserve(out, v->len, err);
		if (rc)
			return rc;
		out->len += compact_json(v->p, v->len, out->data + out->len);
		return CK_OK;
	case CK_JSON_NULL:
	case CK_JSON_FALSE:
	case CK_JSON_TRUE:
	case CK_JSON_NUMBER:
		break;
	}
	return ck_buf_append(out, v->p, v->len, err);
}

static int put_string(const struct ck_json_value *v, struct ck_buf *out,
		      struct ck_err *err)
{
	size_t at, pre, n, need;
	const char *p;
	int rc;

	if ((v->kind == CK_JSON_STRING && !v->escaped) ||
	    v->kind == CK_JSON_NUMBER || v->kind == CK_JSON_TRUE ||
	    v->kind == CK_JSON_FALSE) {
		if (v->kind == CK_JSON_STRING) {
			p = ck_json_str_raw(v, &n);
		} else {
			p = v->p;
			n = v->len;
		}
		rc = ck_buf_reserve(out, varint_size(n) + n, err);
		if (rc)
			return rc;
		varint_write(out->data + out->len, n);
		out->len += varint_size(n);
		memcpy(out->data + out->len, p, n);
		out->len += n;
		return CK_OK;
	}
	/* v->len bounds the text, so its varint bounds the prefix. */
	pre = varint_size(v->len);
	rc = ck_buf_reserve(out, pre, err);
	if (rc)
		return rc;
	at = out->len;
	out->len += pre;
	rc = append_text(v, out, err);
	if (rc)
		return rc;
	n = out->len - at - pre;
	need = varint_size(n);
	if (need < pre) {
		memmove(out->data + at + need, out->data + at + pre, n);
		out->len -= pre - need;
	}
	varint_write(out->data + at, n);
	return CK_OK;
}

static int put_fixed_string(const struct ck_type *t,
			    const struct ck_json_value *v, struct ck_buf *out,
			    struct ck_err *err)
{
	size_t at = out->len, n;
	int rc;

	rc = append_text(v, out, err);
	if (rc)
		return rc;
	n = out->len - at;
	if (n > t->size) {
		struct quote q = quote(v);
		out->len = at;
		return ck_err_set(err, CK_ERR_CONVERT,
				  "%.*s%s is %zu bytes, longer than "
				  "FixedString(%u)",
				  q.len, v->p, q.more, n, (unsigned)t->size);
	}
	rc = ck_buf_reserve(out, t->size - n, err);
	if (rc)
		return rc;
	memset(out->data + out->len, 0, t->size - n);
	out->len += t->size - n;
	return CK_OK;
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30,
						 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* The value of n decimal digits at s, or -1. */
static int digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

struct civil {
	int64_t days; /* the date as written, days since 1970-01-01 */
	int64_t secs; /* the instant, seconds since the epoch */
};

/*
 * Parses "YYYY-MM-DD" or "YYYY-MM-DD[Tt ]HH:MM:SS[.f{1,9}][Zz|±HH:MM|±HHMM]".
 * On failure writes why (for "is not a date (why)") and returns false.
 */
static bool parse_iso(const char *s, size_t n, struct civil *out, char *why,
		      size_t whysz)
{
	int y, mo, d, h, mi, sec, zh = 0, zm = 0, zsign = 0;
	size_t i;

	if (n < 10 || s[4] != '-' || s[7] != '-' || (y = digits(s, 4)) < 0 ||
	    (mo = digits(s + 5, 2)) < 0 || (d = digits(s + 8, 2)) < 0) {
		snprintf(why, whysz, "expected YYYY-MM-DD");
		return false;
	}
	if (mo < 1 || mo > 12) {
		snprintf(why, whysz, "month %d", mo);
		return false;
	}
	if (d < 1 || (unsigned)d > days_in_month((unsigned)y, (unsigned)mo)) {
		snprintf(why, whysz, "day %d of %04d-%02d", d, y, mo);
		return false;
	}
	out->days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	out->secs = out->days * 86400;
	if (n == 10)
		return true;

	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 19 ||
	    s[13] != ':' || s[16] != ':' || (h = digits(s + 11, 2)) < 0 ||
	    (mi = digits(s + 14, 2)) < 0 || (sec = digits(s + 17, 2)) < 0) {
		snprintf(why, whysz, "expected HH:MM:SS after the date");
		return false;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		if (h > 23)
			snprintf(why, whysz, "hour %d", h);
		else if (mi > 59)
			snprintf(why, whysz, "minute %d", mi);
		else
			snprintf(why, whysz, "second %d", sec);
		return false;
	}
	i = 19;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i - start > 9) {
			snprintf(why, whysz, "expected 1 to 9 fraction digits");
			return false;
		}
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		zsign = s[i] == '-' ? -1 : 1;
		if (n - i == 6 && s[i + 3] == ':') {
			zh = digits(s + i + 1, 2);
			zm = digits(s + i + 4, 2);
		} else if (n - i == 5) {
			zh = digits(s + i + 1, 2);
			zm = digits(s + i + 3, 2);
		} else {
			zh = -1;
		}
		if (zh < 0 || zm < 0 || zh > 23 || zm > 59) {
			snprintf(why, whysz, "bad zone offset");
			return false;
		}
		i = n;
	}
	if (i != n) {
		snprintf(why, whysz, "unexpected text after the time");
		return false;
	}
	out->secs += (int64_t)h * 3600 + mi * 60 + sec -
		     (int64_t)zsign * (zh * 3600 + zm * 60);
	return true;
}

/*
 * Date and DateTime: a number or numeric string is the raw count (days,
 * seconds); other strings are ISO text.
 */
static int put_time(const struct ck_type *t, const struct ck_json_value *v,
		    struct ck_buf *out, struct ck_err *err)
{
	bool is_date = t->kind == CK_TYPE_DATE;
	int64_t max = is_date ? DATE_MAX : (int64_t)UINT32_MAX;
	const char *name = ck_type_kind_name(t->kind);
	const char *what = is_date ? "a date" : "a date-time";
	char tmp[NUMTEXT_MAX], why[48];
	struct civil c;
	const char *p;
	size_t len;
	int64_t i = 0;
	int rc;

	if (v->kind == CK_JSON_NUMBER) {
		p = v->p;
		len = v->len;
	} else if (v->kind != CK_JSON_STRING) {
		return fail_expected(what, v, err);
	} else if (!string_text(v, tmp, &p, &len)) {
		return fail_not(v, what, "expected YYYY-MM-DD", err);
	}
	/* "YYYY-..." is never number text: skip classifying the usual case. */
	if (v->kind == CK_JSON_NUMBER ||
	    ((len < 5 || p[4] != '-') &&
	     classify_number(p, len) != NUM_INVALID)) {
		rc = text_i64(v, p, len, 0, max, name, &i, err);
		if (rc)
			return rc;
	} else {
		if (!parse_iso(p, len, &c, why, sizeof(why)))
			return fail_not(v, what, why, err);
		i = is_date ? c.days : c.secs;
		if (i < 0 || i > max)
			return fail_range(v, name, err);
	}
	return ck_buf_put_le(out, (uint64_t)i, is_date ? 2 : 4, err);
}

static int encode_value(const struct ck_type *t,
			const struct ck_json_value *v, struct ck_buf *out,
			uint64_t *null_defaults, struct ck_err *err);

static int put_array(const struct ck_type *t, const struct ck_json_value *v,
		     struct ck_buf *out, uint64_t *null_defaults,
		     struct ck_err *err)
{
	struct ck_json_value elem;
	struct ck_json_iter it;
	size_t at, count = 0, need;
	int rc;

	if (v->kind != CK_JSON_ARRAY)
		return fail_expected("an array", v, err);
	rc = ck_buf_reserve(out, 1, err);
	if (rc)
		return rc;
	at = out->len++;
	ck_json_array_iter(v, &it);
	while ((rc = ck_json_array_next(&it, &elem, err)) == CK_OK) {
		rc = encode_value(t->child[0], &elem, out, null_defaults, err);
		if (rc) {
			ck_err_prefix(err, "element %zu: ", count);
			return rc;
		}
		count++;
	}
	if (rc != CK_JSON_END)
		return rc;
	need = varint_size(count);
	if (need > 1) {
		rc = ck_buf_reserve(out, need - 1, err);
		if (rc)
			return rc;
		memmove(out->data + at + need, out->data + at + 1,
			out->len - at - 1);
		out->len += need - 1;
	}
	varint_write(out->data + at, count);
	return CK_OK;
}

static int encode_value(const struct ck_type *t,
			const struct ck_json_value *v, struct ck_buf *out,
			uint64_t *null_defaults, struct ck_err *err)
{
	int rc;

	if (v->kind == CK_JSON_NULL && t->kind != CK_TYPE_NULLABLE) {
		if (null_defaults)
			(*null_defaults)++;
		return ck_rowbinary_default(t, out, err);
	}
	switch (t->kind) {
	case CK_TYPE_INT8:
		return put_signed(t, v, 1, INT8_MIN, INT8_MAX, out, err);
	case CK_TYPE_INT16:
		return put_signed(t, v, 2, INT16_MIN, INT16_MAX, out, err);
	case CK_TYPE_INT32:
		return put_signed(t, v, 4, INT32_MIN, INT32_MAX, out, err);
	case CK_TYPE_INT64:
		return put_signed(t, v, 8, INT64_MIN, INT64_MAX, out, err);
	case CK_TYPE_UINT8:
		return put_unsigned(t, v, 1, UINT8_MAX, out, err);
	case CK_TYPE_UINT16:
		return put_unsigned(t, v, 2, UINT16_MAX, out, err);
	case CK_TYPE_UINT32:
		return put_unsigned(t, v, 4, UINT32_MAX, out, err);
	case CK_TYPE_UINT64:
		return put_unsigned(t, v, 8, UINT64_MAX, out, err);
	case CK_TYPE_BOOL:
		return put_unsigned(t, v, 1, 1, out, err);
	case CK_TYPE_FLOAT32:
	case CK_TYPE_FLOAT64:
		return put_float(t, v, out, err);
	case CK_TYPE_STRING:
		return put_string(v, out, err);
	case CK_TYPE_FIXED_STRING:
		return put_fixed_string(t, v, out, err);
	case CK_TYPE_DATE:
	case CK_TYPE_DATETIME:
		return put_time(t, v, out, err);
	case CK_TYPE_NULLABLE:
		if (v->kind == CK_JSON_NULL)
			return ck_buf_put_u8(out, 1, err);
		rc = ck_buf_put_u8(out, 0, err);
		if (rc)
			return rc;
		return encode_value(t->child[0], v, out, null_defaults, err);
	case CK_TYPE_ARRAY:
		return put_array(t, v, out, null_defaults, err);
	}
	return ck_err_set(err, CK_ERR_UNSUPPORTED, "no encoder for type %s",
			  ck_type_kind_name(t->kind));
}

int ck_rowbinary_encode(const struct ck_type *type,
			const struct ck_json_value *val, struct ck_buf *out,
			uint64_t *null_defaults, struct ck_err *err)
{
	size_t start = out->len;
	uint64_t nulls = 0;
	int rc;

	rc = encode_value(type, val, out, &nulls, err);
	if (rc) {
		out->len = start;
		return rc;
	}
	if (null_defaults)
		*null_defaults += nulls;
	return CK_OK;
}

static int put_zeros(struct ck_buf *out, size_t n, struct ck_err *err)
{
	int rc = ck_buf_reserve(out, n, err);

	if (rc)
		return rc;
	memset(out->data + out->len, 0, n);
	out->len += n;
	return CK_OK;
}

int ck_rowbinary_default(const struct ck_type *type, struct ck_buf *out,
			 struct ck_err *err)
{
	switch (type->kind) {
	case CK_TYPE_INT8:
	case CK_TYPE_UINT8:
	case CK_TYPE_BOOL:
	case CK_TYPE_STRING: /* varint 0: empty */
	case CK_TYPE_ARRAY:  /* varint 0: no elements */
		return ck_buf_put_u8(out, 0, err);
	case CK_TYPE_INT16:
	case CK_TYPE_UINT16:
	case CK_TYPE_DATE:
		return put_zeros(out, 2, err);
	case CK_TYPE_INT32:
	case CK_TYPE_UINT32:
	case CK_TYPE_FLOAT32:
	case CK_TYPE_DATETIME:
		return put_zeros(out, 4, err);
	case CK_TYPE_INT64:
	case CK_TYPE_UINT64:
	case CK_TYPE_FLOAT64:
		return put_zeros(out, 8, err);
	case CK_TYPE_FIXED_STRING:
		return put_zeros(out, type->size, err);
	case CK_TYPE_NULLABLE:
		return ck_buf_put_u8(out, 1, err);
	}
	return ck_err_set(err, CK_ERR_UNSUPPORTED, "no default for type %s",
			  ck_type_kind_name(type->kind));
}
