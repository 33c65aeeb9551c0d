/*
 * json.c — the validating JSON scanner behind json.h.
 *
 * Every Kafka message goes through here once, so the scanner is written for
 * the hot path: no allocation, no recursion, no NUL terminator, and each
 * byte of a message is looked at about once.
 *
 * Shape of the scanner
 *
 *   ck_json_object_next()   scans one member of the top-level object: the
 *                           key, the ':', and the value. A scalar value is
 *                           scanned directly; a nested array or object is
 *                           validated to its closing bracket by
 *                           scan_container(), which keeps its open brackets
 *                           in a 64-bit stack (one bit per level: object or
 *                           array) instead of recursing. CK_JSON_MAX_DEPTH is
 *                           64, so one uint64_t always suffices.
 *   ck_json_parse()         the same scan for a single value of any kind.
 *   nested iterators        run the same code over a span that was already
 *                           validated; they re-check it (it costs about the
 *                           same as a non-validating skip) so there is one
 *                           code path, and they cannot fail on such a span.
 *
 * Strings are the bulk of a message. Their fast path looks for the three
 * byte classes that end it — '"', '\\' and control bytes below 0x20 — 16
 * bytes at a time with SSE2 where the compiler targets it (every x86-64),
 * else 8 at a time with the "has zero byte" bit trick, and a 256-entry
 * table for the last few bytes of a message. Digit runs use the same bit
 * trick. The hot helpers are forced inline into the iterators, and the
 * compact-JSON path (",\"key\":value") never calls the whitespace skipper.
 * A ~200-byte, 10-member event costs about 1,550 instructions (callgrind,
 * gcc -O2, x86-64). CK_JSON_PORTABLE compiles the plain-C table path only,
 * so it can be tested on any machine.
 *
 * Choices
 *
 *   UTF-8      Bytes >= 0x80 are passed through unchecked. RFC 8259 asks for
 *              UTF-8, but ClickHouse's String is a byte string, ClickHouse's
 *              own JSON input formats store such bytes as they are, and
 *              every JSON structural character is ASCII, so an invalid
 *              sequence can never make the scanner misread the structure.
 *              Rejecting it would send a row to the dead-letter topic that
 *              the destination can store faithfully. \u escapes always
 *              decode to valid UTF-8.
 *   \u escapes The scanner checks the RFC grammar: '\u' and four hex digits.
 *              Whether surrogates pair up is checked when the string is
 *              decoded (ck_json_string_decode() fails on a lone one), so a
 *              broken string in a field no column uses does not fail a row.
 *   numbers    Strict RFC grammar: no '+', no leading zeros, no ".5", "1.",
 *              "1e", NaN or Infinity as bare numbers.
 *   integers   ck_json_text_i64/u64 work on the decimal digits, never in
 *              floating point: "1.50e1" is 15, "1.5" is not an integer,
 *              "1e999999999999" is out of range after looking at each byte
 *              once (the exponent saturates instead of overflowing).
 *   doubles    Numbers with at most 19 significant digits and a power of ten
 *              within 1e±22 are converted exactly with one rounding
 *              (Clinger's fast path); the rest go through strtod() on a
 *              bounded stack copy (the C locale applies: chute never calls
 *              setlocale). A finite number too large for a double ("1e999")
 *              is CK_ERR_CONVERT "out of range" rather than ±inf: the row
 *              would otherwise silently store a value the producer did not
 *              send. Underflow rounds to the nearest double (possibly 0),
 *              which is what the correctly rounded value is.
 */
#include "decode/json.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ascii.h"

/* Longest number ck_json_text_double() copies for strtod(). */
#define NUM_COPY_MAX 1024

/* Input bytes quoted in conversion error messages. */
#define EXCERPT_MAX 40
#define EXCERPT_SIZE (EXCERPT_MAX * 4 + 8)

/* The exponent stops accumulating here; see ck_json_number_split(). */
#define EXP_SAT INT64_C(100000000000000000)

/* GCC and clang, like the __attribute__ in err.h. */
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define COLD        __attribute__((cold, noinline))
#define HOT_INLINE  inline __attribute__((always_inline))

/* Whitespace as RFC 8259 defines it: space, tab, LF, CR. */
static const uint8_t ws_class[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

/* Bytes that end the fast path of a string: controls, '"' and '\\'. */
static const uint8_t str_class[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1,
	[0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1,
	[0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
	[0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
	[0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t swar_has_zero(uint64_t x)
{
	return (x - ONES) & ~x & HIGHS;
}

/*
 * High bit set in each byte of x that is '"', '\\' or below 0x20. The
 * "less than" form is exact for thresholds up to 0x80. Borrows can flag a
 * byte above a real hit, never below one, so the lowest flag is exact.
 */
static inline uint64_t swar_string_special(uint64_t x)
{
	return swar_has_zero(x ^ (ONES * '"')) |
	       swar_has_zero(x ^ (ONES * '\\')) |
	       ((x - ONES * 0x20) & ~x & HIGHS);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
	!defined(CK_JSON_PORTABLE)
#define SWAR_LOCATE 1
#else
#define SWAR_LOCATE 0
#endif

#if SWAR_LOCATE && defined(__SSE2__)
#include <emmintrin.h>
#define SSE2_LOCATE 1
#else
#define SSE2_LOCATE 0
#endif

/*
 * First byte in [q, end) that is '"', '\\' or a control byte, or end.
 * 16 or 8 bytes per step; on little-endian targets the first hit is the
 * lowest flag (one count-trailing-zeros), elsewhere the table pins it. The wide loads never pass end: they run only while 16 (8) bytes are
 * left.
 */
static inline const char *find_string_special(const char *q, const char *end)
{
#if SSE2_LOCATE
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i ctrl_max = _mm_set1_epi8(0x1f);

	while (end - q >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
		/* max(x, 0x1f) == 0x1f exactly when x <= 0x1f, unsigned. */
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, quote),
				     _mm_cmpeq_epi8(x, bslash)),
			_mm_cmpeq_epi8(_mm_max_epu8(x, ctrl_max), ctrl_max));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);

		if (mask)
			return q + __builtin_ctz(mask);
		q += 16;
	}
#endif
	while (end - q >= 8) {
		uint64_t x, hit;

		memcpy(&x, q, sizeof(x));
		hit = swar_string_special(x);
		if (hit) {
#if SWAR_LOCATE
			return q + (__builtin_ctzll(hit) >> 3);
#else
			break;
#endif
		}
		q += 8;
	}
	while (q < end && !str_class[(uint8_t)*q])
		q++;
	return q;
}

/* Most messages have no whitespace: one compare settles the usual case. */
static inline const char *skip_ws(const char *q, const char *end)
{
	while (q < end && (uint8_t)*q <= ' ' && ws_class[(uint8_t)*q])
		q++;
	return q;
}

static inline bool is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

/*
 * Steps over a run of ASCII digits, eight at a time where the SWAR locate
 * works: a byte is a digit iff its high nibble is 3 and stays 3 when 6 is
 * added. A carry out of a byte >= 0xfa only disturbs the bytes above it,
 * and that byte is already flagged, so the lowest flag is exact.
 */
static inline const char *skip_digits(const char *q, const char *end)
{
#if SWAR_LOCATE
	const uint64_t hi = ONES * 0xf0, threes = ONES * 0x30;

	while (end - q >= 8) {
		uint64_t x, other;

		memcpy(&x, q, sizeof(x));
		other = ((x & hi) ^ threes) | (((x + ONES * 6) & hi) ^ threes);
		if (other)
			return q + (__builtin_ctzll(other) >> 3);
		q += 8;
	}
#endif
	while (q < end && is_digit(*q))
		q++;
	return q;
}

/* Reads four hex digits at q (the caller checked that they exist). */
static long hex4(const char *q)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = ck_hex_value(q[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* ---- error messages ----------------------------------------------------- */

/* "end of input", "'x'" or "byte 0x01": what was found at q. */
static const char *describe_byte(const char *q, const char *end, char *buf,
				 size_t size)
{
	uint8_t c;

	if (q >= end)
		return "end of input";
	c = (uint8_t)*q;
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

/*
 * Writes a short quoted excerpt of untrusted text for a message: at most
 * EXCERPT_MAX bytes, '"', '\\' and non-printable bytes escaped, "..." when
 * cut. Returns buf.
 */
static const char *excerpt(const char *p, size_t len, char *buf, size_t size)
{
	size_t n = len < EXCERPT_MAX ? len : EXCERPT_MAX;
	size_t o = 0;

	assert(size >= EXCERPT_SIZE);
	buf[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int fail_convert(const char *p, size_t len, const char *what,
			struct ck_err *err)
{
	char quoted[EXCERPT_SIZE];

	return ck_err_set(err, CK_ERR_CONVERT, "%s %s",
			  excerpt(p, len, quoted, sizeof(quoted)), what);
}

/* ---- scanning ----------------------------------------------------------- */

/*
 * What the scanning helpers share. They return the position after what
 * they scanned, or NULL once an error is recorded in rc (and err): keeping
 * the cursor in the return value lets it live in a register through the
 * inlined fast paths.
 */
struct scanner {
	const char *end;
	const char *base; /* start of the message, for offsets */
	struct ck_err *err;
	int rc;
};

COLD __attribute__((format(printf, 4, 5)))
static const char *fail_at(struct scanner *s, int code, const char *q,
			   const char *fmt, ...)
{
	char what[CK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	s->rc = ck_err_set(s->err, code, "at byte %zu: %s",
			   (size_t)(q - s->base), what);
	return NULL;
}

COLD static const char *fail_expect(struct scanner *s, const char *q,
				    const char *what)
{
	char got[16];

	return fail_at(s, CK_ERR_PARSE, q, "expected %s, got %s", what,
		       describe_byte(q, s->end, got, sizeof(got)));
}

/* Checks the escape whose backslash is at q and steps over it. */
static const char *scan_escape(struct scanner *s, const char *q)
{
	const char *c = q + 1;

	if (c == s->end)
		return fail_expect(s, c, "an escape character after '\\'");
	switch (*c) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return c + 1;
	case 'u':
		for (int i = 1; i <= 4; i++)
			if (c + i == s->end || ck_hex_value(c[i]) < 0)
				return fail_expect(s, c + i,
						   "four hex digits after '\\u'");
		return c + 5;
	}
	return fail_at(s, CK_ERR_PARSE, q, "invalid escape '\\%c'",
		       (uint8_t)*c > 0x20 && (uint8_t)*c < 0x7f ? *c : '?');
}

/*
 * The rest of a string after its fast path stopped at q (a special byte
 * other than the closing quote, or the end): escapes and errors.
 */
static const char *scan_string_rest(struct scanner *s, const char *open,
				    const char *q, bool *escaped)
{
	for (;;) {
		if (q == s->end)
			return fail_at(s, CK_ERR_PARSE, q,
				       "unterminated string (opened at byte %zu)",
				       (size_t)(open - s->base));
		if (*q == '"')
			return q + 1;
		if (*q != '\\')
			return fail_at(s, CK_ERR_PARSE, q,
				       "control character 0x%02x in a string must be escaped",
				       (uint8_t)*q);
		*escaped = true;
		q = scan_escape(s, q);
		if (!q)
			return NULL;
		q = find_string_special(q, s->end);
	}
}

/* Scans the string whose opening quote is at q. */
static HOT_INLINE const char *scan_string(struct scanner *s, const char *q,
					  bool *escaped)
{
	const char *open = q;

	q = find_string_special(q + 1, s->end);
	*escaped = false;
	if (LIKELY(q < s->end && *q == '"'))
		return q + 1;
	return scan_string_rest(s, open, q, escaped);
}

/* Scans a number (strict RFC 8259 grammar); q is at '-' or a digit. */
static HOT_INLINE const char *scan_number(struct scanner *s, const char *q)
{
	const char *end = s->end;

	if (*q == '-' && (++q == end || !is_digit(*q)))
		return fail_expect(s, q, "a digit after '-'");
	if (*q == '0') {
		if (++q < end && is_digit(*q))
			return fail_at(s, CK_ERR_PARSE, q - 1,
				       "leading zero in a number");
	} else {
		q = skip_digits(q + 1, end);
	}
	if (q < end && *q == '.') {
		if (++q == end || !is_digit(*q))
			return fail_expect(s, q, "a digit after the decimal point");
		q = skip_digits(q + 1, end);
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		if (++q < end && (*q == '+' || *q == '-'))
			q++;
		if (q == end || !is_digit(*q))
			return fail_expect(s, q, "a digit in the exponent");
		q = skip_digits(q + 1, end);
	}
	return q;
}

static HOT_INLINE const char *scan_literal(struct scanner *s, const char *q,
					   const char *word, size_t n)
{
	if (UNLIKELY((size_t)(s->end - q) < n || memcmp(q, word, n) != 0))
		return fail_at(s, CK_ERR_PARSE, q,
			       "invalid literal, expected '%s'", word);
	return q + n;
}

static const char *scan_container(struct scanner *s, const char *q,
				  int depth);

/*
 * Scans the value at q (no leading whitespace) into *out; a container
 * nested at `depth`. scan_container() opens brackets itself and passes
 * containers = false, so there a bracket never reaches this dispatch. The
 * flag is a constant at every call site: each inlined copy keeps one
 * dispatch on the first byte, the hottest branch of the scanner.
 */
static HOT_INLINE const char *scan_value(struct scanner *s, const char *q,
					 int depth, bool containers,
					 struct ck_json_value *out)
{
	const char *start = q;

	if (UNLIKELY(q == s->end))
		return fail_expect(s, q, "a value");
	out->escaped = false;
	/* Strings and numbers first: most values are one or the other. */
	if (*q == '"') {
		out->kind = CK_JSON_STRING;
		q = scan_string(s, q, &out->escaped);
	} else if (*q == '-' || is_digit(*q)) {
		out->kind = CK_JSON_NUMBER;
		q = scan_number(s, q);
	} else if (*q == 't') {
		out->kind = CK_JSON_TRUE;
		q = scan_literal(s, q, "true", 4);
	} else if (*q == 'f') {
		out->kind = CK_JSON_FALSE;
		q = scan_literal(s, q, "false", 5);
	} else if (*q == 'n') {
		out->kind = CK_JSON_NULL;
		q = scan_literal(s, q, "null", 4);
	} else if (containers && (*q == '{' || *q == '[')) {
		out->kind = *q == '{' ? CK_JSON_OBJECT : CK_JSON_ARRAY;
		q = scan_container(s, q, depth);
	} else {
		return fail_expect(s, q, "a value");
	}
	if (LIKELY(q != NULL)) {
		out->p = start;
		out->len = (size_t)(q - start);
	}
	return q;
}

/* After an object's '{' or ',': the key, the ':', and up to the value. */
static HOT_INLINE const char *scan_key_colon(struct scanner *s, const char *q,
					     struct ck_json_value *key)
{
	if (UNLIKELY(q == s->end || *q != '"'))
		return fail_expect(s, q, "a string key");
	key->kind = CK_JSON_STRING;
	key->p = q;
	q = scan_string(s, q, &key->escaped);
	if (UNLIKELY(!q))
		return NULL;
	key->len = (size_t)(q - key->p);
	if (UNLIKELY(q == s->end || *q != ':')) {
		q = skip_ws(q, s->end);
		if (q == s->end || *q != ':')
			return fail_expect(s, q, "':' after object key");
	}
	return skip_ws(q + 1, s->end);
}

/*
 * Validates the array or object whose bracket is at q, nested at `depth`
 * (1 for a top-level value), and returns the position after its closing
 * bracket. Iterative: bit L of `objects` says whether the container open
 * at level L is an object, so the closing bracket and the separator rules
 * are checked without a call stack.
 */
static const char *scan_container(struct scanner *s, const char *q,
				  int depth)
{
	const char *end = s->end;
	uint64_t objects = 0;
	int level = -1;
	struct ck_json_value scratch;

	for (;;) {
		/* q is at a value inside the innermost open container. */
		if (q < end && (*q == '{' || *q == '[')) {
			char closer = *q == '{' ? '}' : ']';

			if (depth + level + 1 > CK_JSON_MAX_DEPTH)
				return fail_at(s, CK_ERR_LIMIT, q,
					       "nested deeper than %d levels",
					       CK_JSON_MAX_DEPTH);
			level++;
			if (*q == '{')
				objects |= UINT64_C(1) << level;
			else
				objects &= ~(UINT64_C(1) << level);
			q = skip_ws(q + 1, end);
			if (q == end || *q != closer) {
				if ((objects >> level) & 1)
					q = scan_key_colon(s, q, &scratch);
				if (!q)
					return NULL;
				continue;
			}
			/* Empty: the closing logic below takes the closer. */
		} else {
			q = scan_value(s, q, 0, false, &scratch);
			if (!q)
				return NULL;
			q = skip_ws(q, end);
		}

		/* After a complete value: ',' or the innermost closer. */
		for (;;) {
			bool is_object = (objects >> level) & 1;

			if (q < end && *q == ',') {
				q = skip_ws(q + 1, end);
				if (is_object)
					q = scan_key_colon(s, q, &scratch);
				if (!q)
					return NULL;
				break;
			}
			if (q < end && *q == (is_object ? '}' : ']')) {
				if (level-- == 0)
					return q + 1;
				q = skip_ws(q + 1, end);
				continue;
			}
			return fail_expect(s, q, is_object ?
					   "',' or '}' after object member" :
					   "',' or ']' after array element");
		}
	}
}

int ck_json_parse(const char *p, size_t len, struct ck_json_value *out,
		  struct ck_err *err)
{
	struct scanner s = { .base = p, .err = err, .rc = CK_OK };
	const char *q;

	/* An empty Kafka payload arrives as (NULL, 0): no arithmetic on p. */
	if (len == 0)
		return ck_err_set(err, CK_ERR_PARSE,
				  "at byte 0: expected a value, got end of input");
	s.end = p + len;
	q = scan_value(&s, skip_ws(p, s.end), 1, true, out);
	if (!q)
		return s.rc;
	q = skip_ws(q, s.end);
	if (q != s.end) {
		fail_expect(&s, q, "end of input after the value");
		return s.rc;
	}
	return CK_OK;
}

/* ---- iteration ---------------------------------------------------------- */

int ck_json_object_begin(const char *p, size_t len, struct ck_json_iter *it,
			 struct ck_err *err)
{
	struct scanner s = { .base = p, .err = err, .rc = CK_OK };
	const char *q;

	if (len == 0)
		return ck_err_set(err, CK_ERR_PARSE,
				  "at byte 0: expected '{' (a JSON object), got end of input");
	s.end = p + len;
	q = skip_ws(p, s.end);
	if (q == s.end || *q != '{') {
		fail_expect(&s, q, "'{' (a JSON object)");
		return s.rc;
	}
	it->p = q + 1;
	it->end = s.end;
	it->base = p;
	it->depth = 1;
	it->first = true;
	return CK_OK;
}

void ck_json_object_iter(const struct ck_json_value *obj,
			 struct ck_json_iter *it)
{
	assert(obj->kind == CK_JSON_OBJECT && obj->len >= 2);
	it->p = obj->p + 1;
	it->end = obj->p + obj->len;
	it->base = obj->p;
	it->depth = 1;
	it->first = true;
}

void ck_json_array_iter(const struct ck_json_value *arr,
			struct ck_json_iter *it)
{
	assert(arr->kind == CK_JSON_ARRAY && arr->len >= 2);
	it->p = arr->p + 1;
	it->end = arr->p + arr->len;
	it->base = arr->p;
	it->depth = 1;
	it->first = true;
}

/*
 * The closer is at q: checks that only whitespace follows it (only ever
 * false for the top-level object, whose span is the whole message) and
 * marks the iterator finished.
 */
static int iter_finish(struct ck_json_iter *it, struct scanner *s,
		       const char *q)
{
	q = skip_ws(q + 1, s->end);
	if (q != s->end) {
		fail_expect(s, q, "end of input after the closing bracket");
		return s->rc;
	}
	it->p = NULL;
	return CK_JSON_END;
}

int ck_json_object_next(struct ck_json_iter *it, struct ck_json_value *key,
			struct ck_json_value *val, struct ck_err *err)
{
	struct scanner s = { it->end, it->base, err, CK_OK };
	const char *q = it->p;

	if (UNLIKELY(!q))
		return CK_JSON_END;
	/* Compact JSON (",\"key\":") takes the first branch and no skip_ws. */
	if (LIKELY(!it->first && q < s.end && *q == ',')) {
		q++;
	} else {
		q = skip_ws(q, s.end);
		if (q < s.end && *q == '}')
			return iter_finish(it, &s, q);
		if (!it->first) {
			if (q == s.end || *q != ',') {
				fail_expect(&s, q,
					    "',' or '}' after object member");
				return s.rc;
			}
			q++;
		}
	}
	if (UNLIKELY(q == s.end || *q != '"'))
		q = skip_ws(q, s.end);
	q = scan_key_colon(&s, q, key);
	if (LIKELY(q != NULL))
		q = scan_value(&s, q, it->depth + 1, true, val);
	if (UNLIKELY(!q))
		return s.rc;
	it->p = q;
	it->first = false;
	return CK_OK;
}

int ck_json_array_next(struct ck_json_iter *it, struct ck_json_value *val,
		       struct ck_err *err)
{
	struct scanner s = { it->end, it->base, err, CK_OK };
	const char *q = it->p;

	if (UNLIKELY(!q))
		return CK_JSON_END;
	q = skip_ws(q, s.end);
	if (!it->first) {
		if (LIKELY(q < s.end && *q == ',')) {
			q = skip_ws(q + 1, s.end);
		} else if (q < s.end && *q == ']') {
			return iter_finish(it, &s, q);
		} else {
			fail_expect(&s, q, "',' or ']' after array element");
			return s.rc;
		}
	} else if (q < s.end && *q == ']') {
		return iter_finish(it, &s, q);
	}
	q = scan_value(&s, q, it->depth + 1, true, val);
	if (UNLIKELY(!q))
		return s.rc;
	it->p = q;
	it->first = false;
	return CK_OK;
}

/* ---- string decoding ---------------------------------------------------- */

static size_t utf8_encode(uint32_t cp, uint8_t *o)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the escape whose backslash is at *pq into out and steps over it.
 * Offsets in messages count from the string's opening quote, since a
 * value does not know where its message starts.
 */
static int decode_escape(const char **pq, const char *end, const char *open,
			 struct ck_buf *out, struct ck_err *err)
{
	const char *q = *pq;
	uint8_t utf8[4];
	size_t n = 1;
	long cp, lo;

	if (end - q < 2)
		return ck_err_set(err, CK_ERR_PARSE,
				  "truncated escape at byte %zu of the string",
				  (size_t)(q - open));
	switch (q[1]) {
	case '"': utf8[0] = '"'; break;
	case '\\': utf8[0] = '\\'; break;
	case '/': utf8[0] = '/'; break;
	case 'b': utf8[0] = '\b'; break;
	case 'f': utf8[0] = '\f'; break;
	case 'n': utf8[0] = '\n'; break;
	case 'r': utf8[0] = '\r'; break;
	case 't': utf8[0] = '\t'; break;
	case 'u':
		cp = end - q >= 6 ? hex4(q + 2) : -1;
		if (cp < 0)
			return ck_err_set(err, CK_ERR_PARSE,
					  "invalid \\u escape at byte %zu of the string",
					  (size_t)(q - open));
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return ck_err_set(err, CK_ERR_PARSE,
					  "lone surrogate \\u%04lx at byte %zu of the string",
					  cp, (size_t)(q - open));
		if (cp >= 0xd800 && cp <= 0xdbff) {
			lo = end - q >= 12 && q[6] == '\\' && q[7] == 'u' ?
			     hex4(q + 8) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return ck_err_set(err, CK_ERR_PARSE,
						  "lone surrogate \\u%04lx at byte %zu of the string",
						  cp, (size_t)(q - open));
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			q += 6;
		}
		n = utf8_encode((uint32_t)cp, utf8);
		q += 4;
		break;
	default:
		return ck_err_set(err, CK_ERR_PARSE,
				  "invalid escape at byte %zu of the string",
				  (size_t)(q - open));
	}
	*pq = q + 2;
	return ck_buf_append(out, utf8, n, err);
}

int ck_json_string_decode(const struct ck_json_value *s, struct ck_buf *out,
			  struct ck_err *err)
{
	size_t start = out->len;
	size_t len;
	const char *q, *end;
	int rc = CK_OK;

	assert(s->kind == CK_JSON_STRING && s->len >= 2);
	q = ck_json_str_raw(s, &len);
	end = q + len;
	if (!s->escaped)
		return ck_buf_append(out, q, len, err);
	while (q < end) {
		const char *bs = memchr(q, '\\', (size_t)(end - q));
		if (!bs)
			bs = end;
		rc = ck_buf_append(out, q, (size_t)(bs - q), err);
		if (rc || bs == end)
			goto out;
		q = bs;
		rc = decode_escape(&q, end, s->p, out, err);
		if (rc)
			goto out;
	}
out:
	if (rc)
		out->len = start;
	return rc;
}

/* ---- number conversions ------------------------------------------------- */

/*
 * Parses exactly [p, p+len) as a strict JSON number. The exponent stops
 * growing once it passes EXP_SAT: every later decision compares it with
 * quantities bounded by len (far below 1e17), so a saturated exponent leads
 * to the same answer as the true one, and "1e999999999999" costs one pass.
 */
bool ck_json_number_split(const char *p, size_t len,
			  struct ck_json_number *n)
{
	const char *q = p, *end = p + len;
	bool exp_neg = false;

	n->neg = q < end && *q == '-';
	if (n->neg)
		q++;
	n->ip = q;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		while (++q < end && is_digit(*q))
			;
	else
		return false;
	n->ie = q;
	n->fp = n->fe = q;
	n->exp = 0;
	if (q < end && *q == '.') {
		n->fp = ++q;
		if (q == end || !is_digit(*q))
			return false;
		while (++q < end && is_digit(*q))
			;
		n->fe = q;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		if (++q < end && (*q == '+' || *q == '-'))
			exp_neg = *q++ == '-';
		if (q == end || !is_digit(*q))
			return false;
		for (; q < end && is_digit(*q); q++)
			if (n->exp < EXP_SAT)
				n->exp = n->exp * 10 + (*q - '0');
		if (exp_neg)
			n->exp = -n->exp;
	}
	return q == end;
}

/* The i-th digit of int ‖ frac. */
static inline int num_digit(const struct ck_json_number *n, int64_t i)
{
	int64_t ni = n->ie - n->ip;

	return (i < ni ? n->ip[i] : n->fp[i - ni]) - '0';
}

enum { NUM_OK, NUM_FRACTION, NUM_RANGE };

/*
 * |value| as an exact uint64. Only the significant digits matter: with a the
 * first and b the last non-zero digit, digit i has place value
 * 10^(|int| − 1 − i + exp), so the value is an integer iff b's place is
 * >= 0 and fits in 20 decimal digits only if a's place is <= 19.
 */
static int num_magnitude(const struct ck_json_number *n, uint64_t *out)
{
	int64_t ni = n->ie - n->ip;
	int64_t nd = ni + (n->fe - n->fp);
	int64_t a = 0, b = nd - 1, place_a, place_b;
	uint64_t v = 0;

	while (a < nd && num_digit(n, a) == 0)
		a++;
	if (a == nd) {
		*out = 0;
		return NUM_OK;
	}
	while (num_digit(n, b) == 0)
		b--;
	place_a = ni - 1 - a + n->exp;
	place_b = ni - 1 - b + n->exp;
	if (place_a > 19)
		return NUM_RANGE;
	if (place_b < 0)
		return NUM_FRACTION;
	/* From here on b − a <= 19 and place_b <= 19: short loops. */
	for (int64_t i = a; i <= b + place_b; i++) {
		unsigned d = i <= b ? (unsigned)num_digit(n, i) : 0;
		if (v > (UINT64_MAX - d) / 10)
			return NUM_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return NUM_OK;
}

bool ck_json_number_is_integer(const struct ck_json_number *n)
{
	int64_t ni = n->ie - n->ip;
	int64_t b = ni + (n->fe - n->fp) - 1;

	while (b >= 0 && num_digit(n, b) == 0)
		b--;
	/* Zero, or the last non-zero digit's place is the units or above. */
	return b < 0 || ni - 1 - b + n->exp >= 0;
}

/*
 * The common case, a plain integer of at most 19 digits, without the
 * general machinery. False if the text is anything else.
 */
static inline bool plain_u64(const char *q, const char *end, uint64_t *out)
{
	size_t n = (size_t)(end - q);
	uint64_t v = 0;

	if (n == 0 || n > 19 || (*q == '0' && n > 1))
		return false;
	for (; q < end; q++) {
		if (!is_digit(*q))
			return false;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	*out = v;
	return true;
}

/* Magnitude and sign of an integer text, or a CK_ERR_CONVERT. */
static int text_integer(const char *p, size_t len, const char *type,
			bool *neg, uint64_t *mag, struct ck_err *err)
{
	struct ck_json_number n;
	char what[48];

	if (len == 0)
		return fail_convert(p, len, "is not a number", err);
	*neg = *p == '-';
	if (plain_u64(p + (*neg ? 1 : 0), p + len, mag))
		return CK_OK;
	if (!ck_json_number_split(p, len, &n))
		return fail_convert(p, len, "is not a number", err);
	switch (num_magnitude(&n, mag)) {
	case NUM_FRACTION:
		return fail_convert(p, len, "is not an integer", err);
	case NUM_RANGE:
		snprintf(what, sizeof(what), "is out of range for %s", type);
		return fail_convert(p, len, what, err);
	}
	return CK_OK;
}

int ck_json_text_i64(const char *p, size_t len, int64_t *out,
		     struct ck_err *err)
{
	bool neg;
	uint64_t mag;
	int rc = text_integer(p, len, "Int64", &neg, &mag, err);

	if (rc)
		return rc;
	if (!neg && mag <= INT64_MAX)
		*out = (int64_t)mag;
	else if (neg && mag <= (uint64_t)INT64_MAX + 1)
		*out = mag ? -(int64_t)(mag - 1) - 1 : 0;
	else
		return fail_convert(p, len, "is out of range for Int64", err);
	return CK_OK;
}

int ck_json_text_u64(const char *p, size_t len, uint64_t *out,
		     struct ck_err *err)
{
	bool neg;
	uint64_t mag;
	int rc = text_integer(p, len, "UInt64", &neg, &mag, err);

	if (rc)
		return rc;
	if (neg && mag)
		return fail_convert(p, len, "is out of range for UInt64", err);
	*out = mag;
	return CK_OK;
}

/* Case-insensitive equality of [p, p+len) with the lower-case word. */
static bool equals_lower(const char *p, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len && word[i]; i++)
		if ((p[i] | 0x20) != word[i])
			return false;
	return i == len && !word[i];
}

/* The allow_special spellings; len > 0. */
static bool text_special(const char *p, size_t len, double *out)
{
	bool neg = *p == '-';
	size_t sign = *p == '-' || *p == '+' ? 1 : 0;

	if (equals_lower(p + sign, len - sign, "nan")) {
		*out = neg ? -NAN : NAN;
		return true;
	}
	if (equals_lower(p + sign, len - sign, "inf") ||
	    equals_lower(p + sign, len - sign, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	return false;
}

/* Exactly representable powers of ten, for the fast path. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Clinger's fast path: a mantissa of at most 2^53 and a power of ten up to
 * 1e22 are both exact doubles, so one multiplication or division rounds
 * once and gives the correctly rounded result. Needs arithmetic in plain
 * double precision (FLT_EVAL_METHOD 0), i.e. not x87.
 */
static bool fast_double(const struct ck_json_number *n, double *out)
{
	int64_t nd = (n->ie - n->ip) + (n->fe - n->fp);
	int64_t e10 = n->exp - (n->fe - n->fp);
	int64_t i = 0;
	uint64_t m = 0;

	if (FLT_EVAL_METHOD != 0 || e10 < -22 || e10 > 22)
		return false;
	while (i < nd && num_digit(n, i) == 0)
		i++;
	if (nd - i > 19)
		return false;
	for (; i < nd; i++)
		m = m * 10 + (uint64_t)num_digit(n, i);
	if (m > UINT64_C(1) << 53)
		return false;
	*out = e10 >= 0 ? (double)m * pow10_exact[e10] :
			  (double)m / pow10_exact[-e10];
	if (n->neg)
		*out = -*out;
	return true;
}

int ck_json_text_double(const char *p, size_t len, bool allow_special,
			double *out, struct ck_err *err)
{
	char copy[NUM_COPY_MAX + 1];
	struct ck_json_number n;
	double d;

	if (len == 0)
		return fail_convert(p, len, "is not a number", err);
	if (!ck_json_number_split(p, len, &n)) {
		if (allow_special && text_special(p, len, out))
			return CK_OK;
		return fail_convert(p, len, "is not a number", err);
	}
	if (fast_double(&n, out))
		return CK_OK;
	if (len > NUM_COPY_MAX)
		return fail_convert(p, len, "is too long for a Float64", err);
	memcpy(copy, p, len);
	copy[len] = '\0';
	errno = 0;
	d = strtod(copy, NULL);
	if (errno == ERANGE && isinf(d))
		return fail_convert(p, len, "is out of range for Float64", err);
	*out = d;
	return CK_OK;
}

const char *ck_json_kind_name(enum ck_json_kind kind)
{
	switch (kind) {
	case CK_JSON_NULL: return "null";
	case CK_JSON_FALSE: return "boolean";
	case CK_JSON_TRUE: return "boolean";
	case CK_JSON_NUMBER: return "number";
	case CK_JSON_STRING: return "string";
	case CK_JSON_ARRAY: return "array";
	case CK_JSON_OBJECT: return "object";
	}
	return "unknown";
}
