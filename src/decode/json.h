/*
 * json.h — a validating, allocation-free JSON scanner (RFC 8259).
 *
 * chute never builds a DOM. A message is scanned once: the caller iterates
 * the members of the top-level object and gets each value as a span of the
 * input (struct ck_json_value), already validated. Values are converted
 * straight from their text into the output format by the encoders, so the
 * only copies are the ones the output format needs.
 *
 * Input is untrusted: every function is bounds-checked against the span it
 * was given (no NUL terminator is needed or read), nesting is limited to
 * CK_JSON_MAX_DEPTH, and errors say what was wrong and at which byte offset
 * of the message.
 *
 * Iterators validate as they go, so scanning the top-level object validates
 * the whole message, and iterating a nested value obtained from it cannot
 * fail on syntax (it is cheap: the span is already known to be good).
 *
 * All functions are reentrant; nothing here allocates except
 * ck_json_string_decode(), which appends to a caller-owned bounded buffer.
 * A zero-length input may be passed as (NULL, 0).
 *
 * Two deliberate leniencies (reasons in json.c): bytes >= 0x80 in strings
 * are passed through without UTF-8 validation, and the scanner checks only
 * the grammar of \uXXXX escapes; a lone surrogate fails when the string is
 * decoded, not when the message is scanned.
 */
#ifndef CK_JSON_H
#define CK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define CK_JSON_MAX_DEPTH 64

/* Returned by the iterators when the object/array has no more items. */
#define CK_JSON_END (-1)

enum ck_json_kind {
	CK_JSON_NULL,
	CK_JSON_FALSE,
	CK_JSON_TRUE,
	CK_JSON_NUMBER,
	CK_JSON_STRING,
	CK_JSON_ARRAY,
	CK_JSON_OBJECT,
};

/*
 * A validated JSON value: a borrowed span of the input.
 *   p, len   the value's text: for strings including the quotes, for
 *            arrays/objects from the opening to the closing bracket.
 *   escaped  strings only: the text contains backslash escapes, so the raw
 *            bytes between the quotes are not the string's value.
 */
struct ck_json_value {
	enum ck_json_kind kind;
	const char *p;
	size_t len;
	bool escaped;
};

/* Iterator over the members of an object or the elements of an array. */
struct ck_json_iter {
	const char *p;     /* next byte to scan */
	const char *end;   /* end of the container's span */
	const char *base;  /* start of the whole message, for error offsets */
	int depth;         /* nesting depth of the container */
	bool first;        /* no item returned yet */
};

/*
 * Validates that [p, p+len) is exactly one JSON value with optional
 * surrounding whitespace and describes it in *out. CK_ERR_PARSE with
 * "at byte N: ..." on malformed input, CK_ERR_LIMIT when nested deeper than
 * CK_JSON_MAX_DEPTH.
 */
int ck_json_parse(const char *p, size_t len, struct ck_json_value *out,
		  struct ck_err *err);

/*
 * Starts iterating the top-level object of a message [p, p+len) without a
 * separate validation pass. Leading whitespace is skipped; CK_ERR_PARSE if
 * the message is not an object. ck_json_object_next() then validates each
 * member; after CK_JSON_END it has also checked that only whitespace follows
 * the closing brace.
 */
int ck_json_object_begin(const char *p, size_t len, struct ck_json_iter *it,
			 struct ck_err *err);

/*
 * Starts iterating a value of kind CK_JSON_OBJECT obtained from this API.
 * The value is already validated, so its iteration cannot fail; if it
 * were misused on other text, error offsets count from the value's start.
 */
void ck_json_object_iter(const struct ck_json_value *obj,
			 struct ck_json_iter *it);

/* Starts iterating a value of kind CK_JSON_ARRAY obtained from this API. */
void ck_json_array_iter(const struct ck_json_value *arr,
			struct ck_json_iter *it);

/*
 * Next member: *key (kind CK_JSON_STRING) and *val. Returns CK_OK, or
 * CK_JSON_END when the object is finished (and again on any later call),
 * or an error code (after which the iterator must not be used again).
 */
int ck_json_object_next(struct ck_json_iter *it, struct ck_json_value *key,
			struct ck_json_value *val, struct ck_err *err);

/* Next element. Returns CK_OK, CK_JSON_END or an error code. */
int ck_json_array_next(struct ck_json_iter *it, struct ck_json_value *val,
		       struct ck_err *err);

/* The raw bytes between a string value's quotes. */
static inline const char *ck_json_str_raw(const struct ck_json_value *s,
					  size_t *len)
{
	*len = s->len - 2;
	return s->p + 1;
}

/*
 * Appends a string value's decoded bytes (escapes resolved, \uXXXX and
 * surrogate pairs as UTF-8) to out. CK_ERR_PARSE on a lone surrogate,
 * CK_ERR_LIMIT if out is full; on error out->len is unchanged. Messages
 * give offsets from the string's opening quote.
 */
int ck_json_string_decode(const struct ck_json_value *s, struct ck_buf *out,
			  struct ck_err *err);

/*
 * A JSON number split into its parts, spans of the text: the value is
 * (-1)^neg × digits(ip..ie ‖ fp..fe) × 10^(exp − (fe − fp)). exp saturates
 * far beyond any length, so decisions made with it stay exact.
 */
struct ck_json_number {
	bool neg;
	const char *ip, *ie; /* integer digits */
	const char *fp, *fe; /* fraction digits (empty when there are none) */
	int64_t exp;
};

/* Splits exactly [p, p+len) as a strict JSON number; false if it is not one. */
bool ck_json_number_split(const char *p, size_t len,
			  struct ck_json_number *n);

/* True when the number's value is an integer (1.0, 1e3, 0; not 1.5, 1e-1). */
bool ck_json_number_is_integer(const struct ck_json_number *n);

/*
 * Number text → integer, exactly. Accepts JSON number syntax
 * ("-12", "1.0", "1e3", "12.50e1") and yields the value only if it is an
 * exact integer within range: "1.5" → CK_ERR_CONVERT "not an integer",
 * "300" for uint8 via the caller's range check, "1e30" → CK_ERR_CONVERT
 * "out of range". Never goes through floating point. Leading/trailing
 * whitespace is not accepted. Works on any text (also the contents of a
 * JSON string such as "42"), so it takes a plain byte span.
 */
int ck_json_text_i64(const char *p, size_t len, int64_t *out,
		     struct ck_err *err);
int ck_json_text_u64(const char *p, size_t len, uint64_t *out,
		     struct ck_err *err);

/*
 * Number text → double (correctly rounded, locale-independent). Also
 * accepts, case-insensitively and with an optional sign, "nan", "inf"
 * and "infinity" when allow_special is true (a sign on "nan" sets the
 * NaN's sign bit) (for numeric strings;
 * bare JSON numbers cannot be those). CK_ERR_CONVERT on anything else,
 * including a finite number beyond the double range ("1e999" is "out of
 * range", never ±inf); a number text over 1024 bytes may be refused as
 * "too long". Underflow gives the nearest double, possibly ±0.
 */
int ck_json_text_double(const char *p, size_t len, bool allow_special,
			double *out, struct ck_err *err);

/*
 * Short name of a kind for error messages: "null", "boolean" (true and
 * false), "number", "string", "array", "object".
 */
const char *ck_json_kind_name(enum ck_json_kind kind);

#endif
