/*
 * rowbinary.h — one JSON value → the RowBinary bytes of one column value.
 *
 * RowBinary is ClickHouse's row-oriented binary input format: a row is its
 * columns' values back to back, in the order the INSERT lists them, with no
 * framing. A value's layout depends only on its type (integers are
 * little-endian, "varint" is unsigned LEB128):
 *
 *   TYPE              SIZE          MEANING
 *   Int8, UInt8       1             two's complement / unsigned
 *   Int16, UInt16     2
 *   Int32, UInt32     4
 *   Int64, UInt64     8
 *   Bool              1             0x00 false, 0x01 true
 *   Float32           4             IEEE 754 binary32
 *   Float64           8             IEEE 754 binary64
 *   String            varint + n    byte count n, then the bytes
 *   FixedString(N)    N             the bytes, right-padded with 0x00
 *   Date              2             days since 1970-01-01 (UInt16)
 *   DateTime          4             seconds since 1970-01-01 00:00:00 UTC
 *   Nullable(T)       1 [+ T]       0x01 NULL (nothing follows), or 0x00 + T
 *   Array(T)          varint + ...  element count, then each element as T
 *
 * How JSON becomes each type (anything not listed is a CK_ERR_CONVERT):
 *
 *   COLUMN          JSON                       WRITTEN
 *   Int*, UInt*     number, or a string        the exact integer, if within the
 *                   holding JSON number text   type's range; "1e3" and 2.0 are
 *                   ("42", "-1", "1e3")        integers, 1.5 is an error
 *   Int8, UInt8     true / false               1 / 0 (not into wider integers:
 *                                              there a boolean is a mistake)
 *   Bool            true / false, 0 / 1,       1 / 0
 *                   "true"/"false" (any case),
 *                   "0" / "1"
 *   Float32/64      number                     nearest value; beyond ±FLT_MAX
 *                                              for Float32 is an error
 *                   string                     number text, or nan, inf,
 *                                              infinity (any case, optional sign)
 *   String          string                     its decoded bytes
 *                   number, true, false        the JSON text as written ("1.50")
 *                   object, array              compact JSON text: the input with
 *                                              whitespace outside strings removed
 *   FixedString(N)  as String                  padded with 0x00 to N; more than
 *                                              N bytes is an error
 *   Date            number, numeric string     days since 1970-01-01
 *                   "YYYY-MM-DD", or any       the calendar date as written; a
 *                   DateTime text below        time and zone must be valid and
 *                                              are then ignored
 *                   must lie in 1970-01-01 .. 2149-06-06 (0 .. 65535)
 *   DateTime        number, numeric string     seconds since the epoch
 *                   "YYYY-MM-DD", or           no zone means UTC; a fraction
 *                   "YYYY-MM-DD[T ]HH:MM:SS    (1..9 digits) is truncated; T and
 *                   [.fffffffff]               Z may be lower case
 *                   [Z|±HH:MM|±HHMM]"
 *                   must lie in 0 .. 4294967295 (1970 .. 2106-02-07 06:28:15)
 *   Nullable(T)     null                       NULL
 *                   anything else              0x00 then as T
 *   Array(T)        array                      each element as T
 *   non-Nullable    null                       the type's default (below),
 *                                              counted in *null_defaults
 *
 * Numeric strings must be JSON number text exactly: no whitespace, no '+',
 * no leading zeros. Column time zones (DateTime('Asia/Tokyo')) are not yet
 * applied: text without a zone is read as UTC whatever the column's zone.
 *
 * Defaults ("zero" values): 0 for numbers and Bool, "" for String, N zero
 * bytes for FixedString(N), 1970-01-01 (00:00:00) for Date and DateTime,
 * NULL for Nullable, [] for Array.
 *
 * Error messages say what was wrong with the value, quoting at most 40
 * bytes of its JSON text ("300 is out of range for UInt8", "expected an
 * integer, got an object", "\"2024-13-01\" is not a date (month 13)");
 * array elements are named by 0-based index ("element 3: ..."). They never
 * name the column: the row encoder prepends that.
 *
 * All functions are reentrant; they allocate only by growing out.
 */
#ifndef CK_ROWBINARY_H
#define CK_ROWBINARY_H

#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "decode/json.h"
#include "map/type.h"

/*
 * Appends val (borrowed, from the JSON scanner) converted to type. Each
 * null written as a default adds 1 to *null_defaults (may be NULL). On error
 * out->len is unchanged: CK_ERR_CONVERT for a value that cannot become the
 * type, CK_ERR_LIMIT/CK_ERR_NOMEM from out.
 */
int ck_rowbinary_encode(const struct ck_type *type,
			const struct ck_json_value *val, struct ck_buf *out,
			uint64_t *null_defaults, struct ck_err *err);

/* Appends the default value of type (see above). */
int ck_rowbinary_default(const struct ck_type *type, struct ck_buf *out,
			 struct ck_err *err);

#endif
