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

#include "common/ascii.h"

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
	struct ck_json_number n;

	if (!ck_json_number_split(p, len, &n))
		return NUM_INVALID;
	return ck_json_number_is_integer(&n) ? NUM_INTEGER : NUM_FRACTION;
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
		/*
		 * Converting a finite double beyond float's range is UB. Up to
		 * half an ulp above FLT_MAX still rounds to FLT_MAX (the
		 * midpoint itself rounds to even, which is infinity).
		 */
		const double limit = (double)FLT_MAX + ldexp(1.0, 103);
		if (isfinite(d) && (d >= limit || d <= -limit))
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

/*
 * Exact decimal arithmetic for Int128/256, Decimal and DateTime64: number
 * text is read digit by digit into a 256-bit magnitude (eight 32-bit limbs,
 * least significant first), never through floating point.
 */
#define WIDE_LIMBS 8

/* Most significant digits a 256-bit magnitude can take (2^256 ~ 1.2e77). */
#define WIDE_DIGITS 78

enum exact_rc { EXACT_OK, EXACT_INVALID, EXACT_FRACTION, EXACT_OVERFLOW };

struct exact {
	uint32_t w[WIDE_LIMBS]; /* magnitude */
	bool neg;
	bool inexact; /* nonzero digits were dropped (truncating mode) */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* w = w * 10 + d; true on overflow. */
static bool wide_mul10_add(uint32_t w[WIDE_LIMBS], unsigned d)
{
	uint64_t carry = d;

	for (size_t i = 0; i < WIDE_LIMBS; i++) {
		uint64_t t = (uint64_t)w[i] * 10 + carry;
		w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	return carry != 0;
}

/* w = w / 10; returns the remainder. */
static unsigned wide_div10(uint32_t w[WIDE_LIMBS])
{
	uint64_t rem = 0;

	for (size_t i = WIDE_LIMBS; i-- > 0;) {
		uint64_t cur = rem << 32 | w[i];
		w[i] = (uint32_t)(cur / 10);
		rem = cur % 10;
	}
	return (unsigned)rem;
}

static bool wide_is_zero(const uint32_t w[WIDE_LIMBS])
{
	for (size_t i = 0; i < WIDE_LIMBS; i++)
		if (w[i])
			return false;
	return true;
}

/* Number of significant bits of the magnitude. */
static unsigned wide_bits(const uint32_t w[WIDE_LIMBS])
{
	for (size_t i = WIDE_LIMBS; i-- > 0;) {
		if (w[i]) {
			unsigned b = 0;
			for (uint32_t v = w[i]; v; v >>= 1)
				b++;
			return (unsigned)(i * 32) + b;
		}
	}
	return 0;
}

/* Adds 1 to the magnitude (cannot overflow after a successful parse). */
static void wide_inc(uint32_t w[WIDE_LIMBS])
{
	for (size_t i = 0; i < WIDE_LIMBS && ++w[i] == 0; i++)
		;
}

/*
 * Does the signed value fit a (signed ? two's complement : unsigned)
 * integer of bits bits?
 */
static bool exact_fits(const struct exact *x, unsigned bits, bool is_signed)
{
	unsigned b = wide_bits(x->w);

	if (!is_signed)
		return !(x->neg && b) && b <= bits;
	if (b < bits)
		return true;
	if (b > bits || !x->neg)
		return false;
	/* -2^(bits-1) is the one value of that bit length that fits. */
	for (unsigned i = 0; i + 1 < bits; i++)
		if (x->w[i / 32] >> (i % 32) & 1)
			return false;
	return true;
}

/* The value as int64_t, if it fits. */
static bool exact_i64(const struct exact *x, int64_t *out)
{
	uint64_t m;

	if (!exact_fits(x, 64, true))
		return false;
	m = (uint64_t)x->w[1] << 32 | x->w[0];
	*out = x->neg ? (int64_t)(0 - m) : (int64_t)m;
	return true;
}

/* Appends the value as a size-byte little-endian two's complement integer. */
static int put_exact(const struct exact *x, size_t size, struct ck_buf *out,
		     struct ck_err *err)
{
	uint32_t carry = x->neg;
	int rc = ck_buf_reserve(out, size, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < size; i++) {
		uint32_t limb = x->w[i / 4];
		uint8_t b;
		if (x->neg) {
			/* ~w + 1, a byte at a time */
			uint32_t v = (uint8_t)~(limb >> (8 * (i % 4))) + carry;
			b = (uint8_t)v;
			carry = v >> 8;
		} else {
			b = (uint8_t)(limb >> (8 * (i % 4)));
		}
		out->data[out->len + i] = b;
	}
	out->len += size;
	return CK_OK;
}

/*
 * Reads JSON number text [p, p+len) as the integer value * 10^shift.
 * Digits that fall below the units place must be zero (EXACT_FRACTION)
 * unless trunc, which drops them (setting inexact). More than max_digits
 * significant digits is EXACT_OVERFLOW.
 */
static enum exact_rc parse_exact(const char *p, size_t len, long shift,
				 bool trunc, unsigned max_digits,
				 struct exact *x)
{
	struct ck_json_number n;
	long int_len, keep, nd;
	unsigned sig = 0;

	memset(x, 0, sizeof(*x));
	if (!ck_json_number_split(p, len, &n))
		return EXACT_INVALID;
	x->neg = n.neg;
	int_len = (long)(n.ie - n.ip);
	nd = int_len + (long)(n.fe - n.fp);
	/* The digit stream's first keep digits are the integer part. */
	keep = int_len + (long)n.exp + shift;
	for (long k = 0; k < nd; k++) {
		char c = k < int_len ? n.ip[k] : n.fp[k - int_len];
		if (k >= keep) {
			if (c != '0') {
				if (!trunc)
					return EXACT_FRACTION;
				x->inexact = true;
			}
			continue;
		}
		if (!sig && c == '0')
			continue;
		if (++sig > max_digits || wide_mul10_add(x->w, (unsigned)(c - '0')))
			return EXACT_OVERFLOW;
	}
	for (long k = nd; sig && k < keep; k++)
		if (++sig > max_digits || wide_mul10_add(x->w, 0))
			return EXACT_OVERFLOW;
	if (x->neg && x->inexact)
		wide_inc(x->w); /* truncation rounds toward -infinity */
	if (wide_is_zero(x->w))
		x->neg = false;
	return EXACT_OK;
}

/* Int128, Int256, UInt128, UInt256. */
static int put_wide_int(const struct ck_type *t, const struct ck_json_value *v,
			struct ck_buf *out, struct ck_err *err)
{
	bool is_signed = t->kind == CK_TYPE_INT128 || t->kind == CK_TYPE_INT256;
	unsigned bits = t->kind == CK_TYPE_INT128 || t->kind == CK_TYPE_UINT128
				? 128
				: 256;
	const char *name = ck_type_kind_name(t->kind);
	char tmp[NUMTEXT_MAX];
	struct exact x;
	const char *p;
	size_t len;

	if (!number_text(v, tmp, &p, &len))
		return fail_expected("an integer", v, err);
	switch (parse_exact(p, len, 0, false, WIDE_DIGITS, &x)) {
	case EXACT_OK:
		if (!exact_fits(&x, bits, is_signed))
			return fail_range(v, name, err);
		return put_exact(&x, bits / 8, out, err);
	case EXACT_OVERFLOW:
		return fail_range(v, name, err);
	case EXACT_INVALID:
	case EXACT_FRACTION:
		break;
	}
	return fail_not(v, "an integer", "", err);
}

/* Bytes of a Decimal(P, S) value. */
static size_t decimal_size(uint32_t precision)
{
	return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
}

/*
 * Standard base64 (RFC 4648 §4, '=' padding optional) of [p, p+n) into dst
 * (room for n * 3 / 4 bytes; NULL to only validate). False if malformed.
 */
static bool base64_decode(const char *p, size_t n, uint8_t *dst,
			  size_t *out_len)
{
	uint32_t acc = 0;
	size_t bits = 0, w = 0;

	while (n && p[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		uint32_t d;
		if (c >= 'A' && c <= 'Z')
			d = (uint32_t)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			d = (uint32_t)(c - 'a' + 26);
		else if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0' + 52);
		else if (c == '+')
			d = 62;
		else if (c == '/')
			d = 63;
		else
			return false;
		acc = acc << 6 | d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (dst)
				dst[w] = (uint8_t)(acc >> bits);
			w++;
		}
	}
	*out_len = w;
	return true;
}

/* Most bytes of a Debezium unscaled decimal (Decimal256 plus a sign byte). */
#define UNSCALED_MAX 33

/*
 * Debezium's unscaled value: big-endian two's complement bytes in base64
 * [p, p+n), at scale `scale`, rewritten as decimal text into txt for
 * parse_exact. False if not base64 or too long.
 */
static bool unscaled_text(const char *p, size_t n, char *txt, size_t txtsz,
			  size_t *txt_len)
{
	uint8_t bytes[UNSCALED_MAX];
	uint32_t w[WIDE_LIMBS] = { 0 };
	size_t nb, k = 0;
	bool neg;
	char rev[WIDE_DIGITS + 2];

	if (n > (UNSCALED_MAX + 2) / 3 * 4 || !base64_decode(p, n, bytes, &nb) ||
	    !nb)
		return false;
	neg = bytes[0] & 0x80;
	for (size_t i = 0; i < nb; i++) {
		size_t bit = (nb - 1 - i) * 8;
		uint8_t b = neg ? (uint8_t)~bytes[i] : bytes[i];
		if (bit >= WIDE_LIMBS * 32) {
			if (b)
				return false;
			continue;
		}
		w[bit / 32] |= (uint32_t)b << (bit % 32);
	}
	if (neg)
		wide_inc(w); /* |x| = ~x + 1 */
	do
		rev[k++] = (char)('0' + wide_div10(w));
	while (!wide_is_zero(w) && k < sizeof(rev));
	if (k + 1 > txtsz)
		return false;
	*txt_len = 0;
	if (neg)
		txt[(*txt_len)++] = '-';
	while (k)
		txt[(*txt_len)++] = rev[--k];
	return true;
}

static int put_decimal(const struct ck_type *t, const struct ck_json_value *v,
		       struct ck_buf *out, struct ck_err *err)
{
	char name[32], tmp[NUMTEXT_MAX], num[WIDE_DIGITS + 2];
	const char *p;
	size_t len;
	long shift = (long)t->scale;
	struct exact x;

	snprintf(name, sizeof(name), "Decimal(%u, %u)", (unsigned)t->precision,
		 (unsigned)t->scale);
	if (v->kind == CK_JSON_OBJECT) {
		/* Debezium: {"scale": 2, "value": "AeI="} */
		struct ck_json_value key, val, sv = { CK_JSON_NULL, "", 0, false },
					     vv = sv;
		struct ck_json_iter it;
		int64_t scale;
		const char *k;
		size_t kl;

		ck_json_object_iter(v, &it);
		while (ck_json_object_next(&it, &key, &val, NULL) == CK_OK) {
			k = ck_json_str_raw(&key, &kl);
			if (kl == 5 && !memcmp(k, "scale", 5))
				sv = val;
			else if (kl == 5 && !memcmp(k, "value", 5))
				vv = val;
		}
		if (sv.kind != CK_JSON_NUMBER || vv.kind != CK_JSON_STRING ||
		    vv.escaped ||
		    ck_json_text_i64(sv.p, sv.len, &scale, NULL) ||
		    scale < 0 || scale > CK_TYPE_DECIMAL_MAX)
			return fail_not(v, "a decimal",
					"expected {\"scale\": N, \"value\": "
					"\"base64\"}",
					err);
		p = ck_json_str_raw(&vv, &len);
		if (!unscaled_text(p, len, num, sizeof(num), &len))
			return fail_not(v, "a decimal", "bad base64 value", err);
		p = num;
		shift -= (long)scale;
	} else if (v->kind == CK_JSON_STRING && t->base64) {
		p = ck_json_str_raw(v, &len);
		if (v->escaped || !unscaled_text(p, len, num, sizeof(num), &len))
			return fail_not(v, "base64", "", err);
		p = num;
		shift = 0;
	} else if (!number_text(v, tmp, &p, &len)) {
		return fail_expected("a decimal", v, err);
	}
	switch (parse_exact(p, len, shift, false, t->precision, &x)) {
	case EXACT_OK:
		return put_exact(&x, decimal_size(t->precision), out, err);
	case EXACT_OVERFLOW:
		return fail_range(v, name, err);
	case EXACT_FRACTION: {
		struct quote q = quote(v);
		return ck_err_set(err, CK_ERR_CONVERT,
				  "%.*s%s has more fractional digits than %s "
				  "holds",
				  q.len, v->p, q.more, name);
	}
	case EXACT_INVALID:
		break;
	}
	return fail_not(v, "a decimal", "", err);
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
	int64_t days;  /* the date as written, days since 1970-01-01 */
	int64_t secs;  /* the instant, seconds since the epoch */
	int64_t nanos; /* the fraction, 0 .. 999999999 */
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
	out->nanos = 0;
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
		for (size_t k = 0; k < 9; k++)
			out->nanos = out->nanos * 10 +
				     (start + k < i ? s[start + k] - '0' : 0);
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

/* Finds member name (plain, no escapes) of an object value. */
static bool member(const struct ck_json_value *obj, const char *name,
		   struct ck_json_value *out)
{
	struct ck_json_value key, val;
	struct ck_json_iter it;
	size_t n = strlen(name), kl;
	bool found = false;

	ck_json_object_iter(obj, &it);
	while (ck_json_object_next(&it, &key, &val, NULL) == CK_OK) {
		const char *k = ck_json_str_raw(&key, &kl);
		if (kl == n && !memcmp(k, name, n)) {
			*out = val;
			found = true; /* last wins, as for top-level fields */
		}
	}
	return found;
}

static const int64_t pow10_table[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

/* Floor division (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b < 0) ? q - 1 : q;
}

/* First/last second DateTime64 holds: 1900-01-01, 2299-12-31 23:59:59. */
#define DT64_MIN_SECS (-2208988800LL)
#define DT64_MAX_SECS 10413791999LL

/* First/last day of Date32: 1900-01-01, 2299-12-31. */
#define DATE32_MIN (-25567)
#define DATE32_MAX 120529

/* AUTO for an epoch number: the unit its magnitude suggests. */
static enum ck_epoch_unit auto_unit(const struct exact *x)
{
	static const uint64_t limits[] = { 100000000000u, 100000000000000u,
					   100000000000000000u };
	uint64_t m;

	if (wide_bits(x->w) > 64)
		return CK_EPOCH_NANOS;
	m = (uint64_t)x->w[1] << 32 | x->w[0];
	return m < limits[0]   ? CK_EPOCH_SECONDS
	       : m < limits[1] ? CK_EPOCH_MILLIS
	       : m < limits[2] ? CK_EPOCH_MICROS
			       : CK_EPOCH_NANOS;
}

/*
 * An epoch number [p, p+len) → *out in the column's unit: days for date
 * kinds, 10^-prec seconds for date-time kinds. Sub-unit digits are
 * truncated toward -infinity; days into a date must be whole.
 */
static int epoch_value(const struct ck_type *t, const struct ck_json_value *v,
		       const char *p, size_t len, enum ck_epoch_unit unit,
		       bool is_date, unsigned prec, int64_t *out,
		       struct ck_err *err)
{
	const char *name = ck_type_kind_name(t->kind);
	struct exact x;
	int64_t n;
	long shift;

	if (unit == CK_EPOCH_AUTO) {
		if (is_date) {
			unit = CK_EPOCH_DAYS;
		} else {
			if (parse_exact(p, len, 0, true, WIDE_DIGITS, &x))
				return fail_not(v, "an integer", "", err);
			unit = auto_unit(&x);
		}
	}
	if (unit == CK_EPOCH_DAYS) {
		switch (parse_exact(p, len, 0, false, WIDE_DIGITS, &x)) {
		case EXACT_OK:
			break;
		case EXACT_OVERFLOW:
			return fail_range(v, name, err);
		case EXACT_INVALID:
		case EXACT_FRACTION:
			return fail_not(v, "an integer", "", err);
		}
		if (!exact_i64(&x, &n) || n < -(INT64_MAX / 86400 / 1000000000) ||
		    n > INT64_MAX / 86400 / 1000000000)
			return fail_range(v, name, err);
		*out = is_date ? n : n * 86400 * pow10_table[prec];
		return CK_OK;
	}
	/* seconds 0, millis 3, micros 6, nanos 9 */
	shift = 3 * (long)(unit - CK_EPOCH_SECONDS);
	shift = (is_date ? 0 : (long)prec) - shift;
	switch (parse_exact(p, len, shift, true, WIDE_DIGITS, &x)) {
	case EXACT_OK:
		break;
	case EXACT_OVERFLOW:
		return fail_range(v, name, err);
	case EXACT_INVALID:
	case EXACT_FRACTION:
		return fail_not(v, "a number", "", err);
	}
	if (!exact_i64(&x, &n))
		return fail_range(v, name, err);
	*out = is_date ? floor_div(n, 86400) : n;
	return CK_OK;
}

/*
 * Date, Date32, DateTime, DateTime64: a number or numeric string is an
 * epoch count (see epoch_value); an object is MongoDB's {"$date": ...};
 * other strings are ISO text.
 */
static int put_time(const struct ck_type *t, const struct ck_json_value *v,
		    struct ck_buf *out, struct ck_err *err)
{
	bool is_date = t->kind == CK_TYPE_DATE || t->kind == CK_TYPE_DATE32;
	unsigned prec = t->kind == CK_TYPE_DATETIME64 ? t->scale : 0;
	const char *name = ck_type_kind_name(t->kind);
	const char *what = is_date ? "a date" : "a date-time";
	enum ck_epoch_unit unit = t->unit;
	const struct ck_json_value *src = v;
	struct ck_json_value d, nl;
	char tmp[NUMTEXT_MAX], why[48];
	int64_t i = 0, lo, hi;
	struct civil c;
	const char *p;
	size_t len;
	int rc;

	switch (t->kind) {
	case CK_TYPE_DATE:
		lo = 0;
		hi = DATE_MAX;
		break;
	case CK_TYPE_DATE32:
		lo = DATE32_MIN;
		hi = DATE32_MAX;
		break;
	case CK_TYPE_DATETIME:
		lo = 0;
		hi = UINT32_MAX;
		break;
	default:
		lo = DT64_MIN_SECS * pow10_table[prec];
		hi = DT64_MAX_SECS > INT64_MAX / pow10_table[prec]
			     ? INT64_MAX
			     : (DT64_MAX_SECS + 1) * pow10_table[prec] - 1;
		break;
	}
	if (v->kind == CK_JSON_OBJECT) {
		/* {"$date": "ISO"}, {"$date": ms}, {"$date": {"$numberLong": "ms"}} */
		if (!member(v, "$date", &d))
			return fail_not(v, what, "expected {\"$date\": ...}", err);
		if (d.kind == CK_JSON_OBJECT) {
			if (!member(&d, "$numberLong", &nl) ||
			    nl.kind != CK_JSON_STRING)
				return fail_not(v, what,
						"expected {\"$numberLong\": \"ms\"}",
						err);
			d = nl;
			unit = CK_EPOCH_MILLIS;
		} else if (d.kind == CK_JSON_NUMBER) {
			unit = CK_EPOCH_MILLIS;
		} else if (d.kind != CK_JSON_STRING) {
			return fail_not(v, what, "expected {\"$date\": ...}", err);
		}
		src = &d;
	}
	if (src->kind == CK_JSON_NUMBER) {
		p = src->p;
		len = src->len;
	} else if (src->kind != CK_JSON_STRING) {
		return fail_expected(what, v, err);
	} else if (!string_text(src, tmp, &p, &len)) {
		return fail_not(v, what, "expected YYYY-MM-DD", err);
	}
	/* "YYYY-..." is never number text: skip classifying the usual case. */
	if (src->kind == CK_JSON_NUMBER ||
	    ((len < 5 || p[4] != '-') &&
	     classify_number(p, len) != NUM_INVALID)) {
		rc = epoch_value(t, v, p, len, unit, is_date, prec, &i, err);
		if (rc)
			return rc;
	} else {
		if (!parse_iso(p, len, &c, why, sizeof(why)))
			return fail_not(v, what, why, err);
		if (is_date)
			i = floor_div(c.secs, 86400);
		else if (c.secs < DT64_MIN_SECS || c.secs > DT64_MAX_SECS ||
			 __builtin_mul_overflow(c.secs, pow10_table[prec], &i) ||
			 __builtin_add_overflow(i, c.nanos / pow10_table[9 - prec],
						&i))
			return fail_range(v, name, err);
	}
	if (i < lo || i > hi)
		return fail_range(v, name, err);
	switch (t->kind) {
	case CK_TYPE_DATE:
		return ck_buf_put_le(out, (uint64_t)i, 2, err);
	case CK_TYPE_DATE32:
	case CK_TYPE_DATETIME:
		return ck_buf_put_le(out, (uint64_t)i, 4, err);
	default:
		return ck_buf_put_le(out, (uint64_t)i, 8, err);
	}
}

/*
 * UUID: canonical text, 8-4-4-4-12 hex digits (either case). Written as
 * ClickHouse stores it, a UInt128 whose high half is the first 8 bytes:
 * high UInt64 then low UInt64, each little-endian.
 */
static int put_uuid(const struct ck_json_value *v, struct ck_buf *out,
		    struct ck_err *err)
{
	uint8_t b[16];
	const char *p;
	size_t len, k = 0;
	int rc;

	if (v->kind != CK_JSON_STRING)
		return fail_expected("a UUID", v, err);
	p = ck_json_str_raw(v, &len);
	if (v->escaped || len != 36)
		return fail_not(v, "a UUID", "", err);
	for (size_t i = 0; i < 36; i++) {
		int hi, lo;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return fail_not(v, "a UUID", "", err);
			continue;
		}
		hi = ck_hex_value(p[i]);
		lo = ck_hex_value(p[++i]);
		if (hi < 0 || lo < 0)
			return fail_not(v, "a UUID", "", err);
		b[k++] = (uint8_t)(hi << 4 | lo);
	}
	rc = ck_buf_reserve(out, 16, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < 8; i++) {
		out->data[out->len + i] = b[7 - i];
		out->data[out->len + 8 + i] = b[15 - i];
	}
	out->len += 16;
	return CK_OK;
}

/* Dotted-quad text → host-order value; no leading zeros, each 0..255. */
static bool parse_ipv4(const char *p, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0;
		size_t start = i;
		if (part && (i == len || p[i++] != '.'))
			return false;
		start = i;
		while (i < len && is_digit(p[i]) && i - start < 3)
			n = n * 10 + (unsigned)(p[i++] - '0');
		if (i == start || n > 255 || (p[start] == '0' && i - start > 1))
			return false;
		v = v << 8 | n;
	}
	*out = v;
	return i == len;
}

static int put_ipv4(const struct ck_type *t, const struct ck_json_value *v,
		    struct ck_buf *out, struct ck_err *err)
{
	const char *p;
	size_t len;
	uint32_t a;

	if (v->kind == CK_JSON_NUMBER)
		return put_unsigned(t, v, 4, UINT32_MAX, out, err);
	if (v->kind != CK_JSON_STRING)
		return fail_expected("an IPv4 address", v, err);
	p = ck_json_str_raw(v, &len);
	if (v->escaped || !parse_ipv4(p, len, &a)) {
		if (!v->escaped && classify_number(p, len) != NUM_INVALID)
			return put_unsigned(t, v, 4, UINT32_MAX, out, err);
		return fail_not(v, "an IPv4 address", "", err);
	}
	return ck_buf_put_le(out, a, 4, err);
}

/*
 * RFC 4291 text: eight groups of 1..4 hex digits, one "::" for a run of
 * zero groups, optionally ending in a dotted IPv4 address; a bare IPv4
 * address is read as ::ffff:a.b.c.d (as ClickHouse does).
 */
static bool parse_ipv6(const char *p, size_t len, uint8_t b[16])
{
	size_t i = 0, n = 0, gap = SIZE_MAX;
	uint32_t a;

	memset(b, 0, 16);
	if (parse_ipv4(p, len, &a)) {
		b[10] = b[11] = 0xFF;
		for (int k = 0; k < 4; k++)
			b[12 + k] = (uint8_t)(a >> (24 - 8 * k));
		return true;
	}
	if (len >= 2 && p[0] == ':' && p[1] == ':') {
		gap = 0;
		i = 2;
	} else if (len && p[0] == ':') {
		return false;
	}
	while (i < len) {
		size_t start = i;
		unsigned g = 0;
		while (i < len && ck_hex_value(p[i]) >= 0 && i - start < 4)
			g = g << 4 | (unsigned)ck_hex_value(p[i++]);
		if (i < len && p[i] == '.') {
			/* trailing IPv4: needs room for two groups */
			if (n > 12 || !parse_ipv4(p + start, len - start, &a))
				return false;
			for (int k = 0; k < 4; k++)
				b[n++] = (uint8_t)(a >> (24 - 8 * k));
			i = len;
			break;
		}
		if (i == start || n > 14)
			return false;
		b[n++] = (uint8_t)(g >> 8);
		b[n++] = (uint8_t)g;
		if (i == len)
			break;
		if (p[i] != ':')
			return false;
		i++;
		if (i < len && p[i] == ':') {
			if (gap != SIZE_MAX)
				return false;
			gap = n;
			i++;
		} else if (i == len) {
			return false;
		}
	}
	if (gap == SIZE_MAX)
		return n == 16;
	if (n > 14)
		return false;
	memmove(b + 16 - (n - gap), b + gap, n - gap);
	memset(b + gap, 0, 16 - n);
	return true;
}

static int put_ipv6(const struct ck_json_value *v, struct ck_buf *out,
		    struct ck_err *err)
{
	uint8_t b[16];
	const char *p;
	size_t len;

	if (v->kind != CK_JSON_STRING)
		return fail_expected("an IPv6 address", v, err);
	p = ck_json_str_raw(v, &len);
	if (v->escaped || !parse_ipv6(p, len, b))
		return fail_not(v, "an IPv6 address", "", err);
	return ck_buf_append(out, b, 16, err);
}

/*
 * Reserves one byte at *at for a varint count that patch_count() writes
 * once the elements are out (most counts fit one byte).
 */
static int open_count(struct ck_buf *out, size_t *at, struct ck_err *err)
{
	int rc = ck_buf_reserve(out, 1, err);

	if (rc)
		return rc;
	*at = out->len++;
	return CK_OK;
}

/* Writes the varint count at `at`, where one byte was reserved. */
static int patch_count(struct ck_buf *out, size_t at, size_t count,
		       struct ck_err *err)
{
	size_t need = varint_size(count);
	int rc;

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

/* Enum8/Enum16: an element's name, or a number that is a defined value. */
static int put_enum(const struct ck_type *t, const struct ck_json_value *v,
		    struct ck_buf *out, struct ck_err *err)
{
	size_t size = t->kind == CK_TYPE_ENUM8 ? 1 : 2;
	char tmp[NUMTEXT_MAX];
	const char *p;
	size_t len;
	int64_t n;

	if (v->kind == CK_JSON_STRING) {
		if (!string_text(v, tmp, &p, &len))
			return fail_not(v, "an element of the enum", "", err);
		for (size_t i = 0; i < t->nenum; i++)
			if (strlen(t->enums[i].name) == len &&
			    !memcmp(t->enums[i].name, p, len))
				return ck_buf_put_le(
					out, (uint64_t)(int64_t)t->enums[i].value,
					size, err);
	} else if (v->kind == CK_JSON_NUMBER) {
		p = v->p;
		len = v->len;
	} else {
		return fail_expected("an enum name or value", v, err);
	}
	if (ck_json_text_i64(p, len, &n, NULL) == CK_OK)
		for (size_t i = 0; i < t->nenum; i++)
			if (t->enums[i].value == n)
				return ck_buf_put_le(out, (uint64_t)n, size, err);
	return fail_not(v, "an element of the enum", "", err);
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
	size_t at, count = 0;
	int rc;

	if (v->kind != CK_JSON_ARRAY)
		return fail_expected("an array", v, err);
	rc = open_count(out, &at, err);
	if (rc)
		return rc;
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
	return patch_count(out, at, count, err);
}

/*
 * Tuple: a JSON array, element by element; a named Tuple also from an
 * object, by element name (a missing element gets its default and is
 * counted like a null; other members are ignored).
 */
static int put_tuple(const struct ck_type *t, const struct ck_json_value *v,
		     struct ck_buf *out, uint64_t *null_defaults,
		     struct ck_err *err)
{
	struct ck_json_value elem;
	struct ck_json_iter it;
	size_t i = 0;
	int rc;

	if (v->kind == CK_JSON_OBJECT && t->names) {
		for (i = 0; i < t->nchild; i++) {
			if (!member(v, t->names[i], &elem)) {
				if (null_defaults)
					(*null_defaults)++;
				rc = ck_rowbinary_default(t->child[i], out, err);
			} else {
				rc = encode_value(t->child[i], &elem, out,
						  null_defaults, err);
			}
			if (rc) {
				ck_err_prefix(err, "element '%s': ", t->names[i]);
				return rc;
			}
		}
		return CK_OK;
	}
	if (v->kind != CK_JSON_ARRAY)
		return fail_expected(t->names ? "an array or object"
					      : "an array",
				     v, err);
	ck_json_array_iter(v, &it);
	while ((rc = ck_json_array_next(&it, &elem, err)) == CK_OK) {
		if (i == t->nchild)
			break;
		rc = encode_value(t->child[i], &elem, out, null_defaults, err);
		if (rc) {
			ck_err_prefix(err, "element %zu: ", i);
			return rc;
		}
		i++;
	}
	if (rc == CK_OK || (rc == CK_JSON_END && i != t->nchild)) {
		size_t n = i;
		if (rc == CK_OK)
			for (n++; ck_json_array_next(&it, &elem, NULL) == CK_OK;)
				n++;
		return ck_err_set(err, CK_ERR_CONVERT,
				  "expected %zu elements, got %zu", t->nchild, n);
	}
	return rc == CK_JSON_END ? CK_OK : rc;
}

/*
 * Map(K, V): a JSON object; each member name is converted to K as a JSON
 * string would be, its value to V.
 */
static int put_map(const struct ck_type *t, const struct ck_json_value *v,
		   struct ck_buf *out, uint64_t *null_defaults,
		   struct ck_err *err)
{
	struct ck_json_value key, val;
	struct ck_json_iter it;
	size_t at, count = 0;
	int rc;

	if (v->kind != CK_JSON_OBJECT)
		return fail_expected("an object", v, err);
	rc = open_count(out, &at, err);
	if (rc)
		return rc;
	ck_json_object_iter(v, &it);
	while ((rc = ck_json_object_next(&it, &key, &val, err)) == CK_OK) {
		struct quote q = quote(&key);
		rc = encode_value(t->child[0], &key, out, null_defaults, err);
		if (rc) {
			ck_err_prefix(err, "key %.*s%s: ", q.len, key.p, q.more);
			return rc;
		}
		rc = encode_value(t->child[1], &val, out, null_defaults, err);
		if (rc) {
			ck_err_prefix(err, "value of %.*s%s: ", q.len, key.p,
				      q.more);
			return rc;
		}
		count++;
	}
	if (rc != CK_JSON_END)
		return rc;
	return patch_count(out, at, count, err);
}

/*
 * JSON / Object('json'): a String holding JSON text (what the server reads
 * with input_format_binary_read_json_as_string=1). An object or array is
 * written as compact text; a string is taken to hold JSON text already
 * (Debezium's io.debezium.data.Json) and written as its decoded bytes.
 */
static int put_json(const struct ck_json_value *v, struct ck_buf *out,
		    struct ck_err *err)
{
	if (v->kind != CK_JSON_OBJECT && v->kind != CK_JSON_STRING)
		return fail_expected("an object", v, err);
	return put_string(v, out, err);
}

/* String/FixedString with the base64 option: the decoded bytes. */
static int put_base64(const struct ck_type *t, const struct ck_json_value *v,
		      struct ck_buf *out, struct ck_err *err)
{
	const char *p;
	size_t len, n;
	int rc;

	p = ck_json_str_raw(v, &len);
	if (v->escaped || !base64_decode(p, len, NULL, &n))
		return fail_not(v, "base64", "", err);
	if (t->kind == CK_TYPE_FIXED_STRING && n > t->size) {
		struct quote q = quote(v);
		return ck_err_set(err, CK_ERR_CONVERT,
				  "%.*s%s is %zu bytes, longer than "
				  "FixedString(%u)",
				  q.len, v->p, q.more, n, (unsigned)t->size);
	}
	rc = ck_buf_reserve(out, varint_size(n) + (t->size > n ? t->size : n),
			    err);
	if (rc)
		return rc;
	if (t->kind == CK_TYPE_STRING) {
		varint_write(out->data + out->len, n);
		out->len += varint_size(n);
	}
	base64_decode(p, len, out->data + out->len, &n);
	out->len += n;
	if (t->kind == CK_TYPE_FIXED_STRING) {
		memset(out->data + out->len, 0, t->size - n);
		out->len += t->size - n;
	}
	return CK_OK;
}

static int encode_value(const struct ck_type *t,
			const struct ck_json_value *v, struct ck_buf *out,
			uint64_t *null_defaults, struct ck_err *err)
{
	int rc;

	if (v->kind == CK_JSON_NULL && !ck_type_nullable(t)) {
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
		if (t->base64 && v->kind == CK_JSON_STRING)
			return put_base64(t, v, out, err);
		return put_string(v, out, err);
	case CK_TYPE_FIXED_STRING:
		if (t->base64 && v->kind == CK_JSON_STRING)
			return put_base64(t, v, out, err);
		return put_fixed_string(t, v, out, err);
	case CK_TYPE_DATE:
	case CK_TYPE_DATE32:
	case CK_TYPE_DATETIME:
	case CK_TYPE_DATETIME64:
		return put_time(t, v, out, err);
	case CK_TYPE_INT128:
	case CK_TYPE_INT256:
	case CK_TYPE_UINT128:
	case CK_TYPE_UINT256:
		return put_wide_int(t, v, out, err);
	case CK_TYPE_DECIMAL:
		return put_decimal(t, v, out, err);
	case CK_TYPE_UUID:
		return put_uuid(v, out, err);
	case CK_TYPE_IPV4:
		return put_ipv4(t, v, out, err);
	case CK_TYPE_IPV6:
		return put_ipv6(v, out, err);
	case CK_TYPE_ENUM8:
	case CK_TYPE_ENUM16:
		return put_enum(t, v, out, err);
	case CK_TYPE_LOW_CARDINALITY: /* same bytes as T in RowBinary */
	case CK_TYPE_SIMPLE_AGG:
		return encode_value(t->child[0], v, out, null_defaults, err);
	case CK_TYPE_TUPLE:
		return put_tuple(t, v, out, null_defaults, err);
	case CK_TYPE_MAP:
		return put_map(t, v, out, null_defaults, err);
	case CK_TYPE_JSON:
		return put_json(v, out, err);
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
	case CK_TYPE_MAP:
		return ck_buf_put_u8(out, 0, err);
	case CK_TYPE_INT16:
	case CK_TYPE_UINT16:
	case CK_TYPE_DATE:
		return put_zeros(out, 2, err);
	case CK_TYPE_INT32:
	case CK_TYPE_UINT32:
	case CK_TYPE_FLOAT32:
	case CK_TYPE_DATETIME:
	case CK_TYPE_DATE32:
	case CK_TYPE_IPV4:
		return put_zeros(out, 4, err);
	case CK_TYPE_INT64:
	case CK_TYPE_UINT64:
	case CK_TYPE_FLOAT64:
	case CK_TYPE_DATETIME64:
		return put_zeros(out, 8, err);
	case CK_TYPE_INT128:
	case CK_TYPE_UINT128:
	case CK_TYPE_UUID:
	case CK_TYPE_IPV6:
		return put_zeros(out, 16, err);
	case CK_TYPE_INT256:
	case CK_TYPE_UINT256:
		return put_zeros(out, 32, err);
	case CK_TYPE_DECIMAL:
		return put_zeros(out, decimal_size(type->precision), err);
	case CK_TYPE_ENUM8:
	case CK_TYPE_ENUM16:
		/* ClickHouse's default: the first element (by declaration) */
		return ck_buf_put_le(out, (uint64_t)(int64_t)type->enums[0].value,
				     type->kind == CK_TYPE_ENUM8 ? 1 : 2, err);
	case CK_TYPE_JSON: /* "{}" */
		return ck_buf_append(out, "\x02{}", 3, err);
	case CK_TYPE_LOW_CARDINALITY:
	case CK_TYPE_SIMPLE_AGG:
		return ck_rowbinary_default(type->child[0], out, err);
	case CK_TYPE_TUPLE:
		for (size_t i = 0; i < type->nchild; i++) {
			int rc = ck_rowbinary_default(type->child[i], out, err);
			if (rc)
				return rc;
		}
		return CK_OK;
	case CK_TYPE_FIXED_STRING:
		return put_zeros(out, type->size, err);
	case CK_TYPE_NULLABLE:
		return ck_buf_put_u8(out, 1, err);
	}
	return ck_err_set(err, CK_ERR_UNSUPPORTED, "no default for type %s",
			  ck_type_kind_name(type->kind));
}
