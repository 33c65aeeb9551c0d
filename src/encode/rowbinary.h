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
 *   Int128, UInt128   16            two's complement / unsigned
 *   Int256, UInt256   32
 *   Decimal(P, S)     4/8/16/32     the unscaled value (x * 10^S) as a signed
 *                                   integer: P <= 9, 18, 38, 76
 *   Date32            4             days since 1970-01-01 (Int32)
 *   DateTime64(P)     8             10^-P seconds since the epoch (Int64)
 *   UUID              16            high UInt64 then low UInt64, each LE
 *                                   (text 0011..77-8899..ff → 77..00 ff..88)
 *   IPv4              4             UInt32 LE (1.2.3.4 → 04 03 02 01)
 *   IPv6              16            network order, as in the text
 *   Enum8, Enum16     1, 2          the element's value (Int8/Int16)
 *   LowCardinality(T) as T          RowBinary does not dictionary-encode
 *   SimpleAggregate-  as T
 *   Function(f, T)
 *   JSON, Object      as String     JSON text; the server must read it with
 *                                   input_format_binary_read_json_as_string=1
 *   Nullable(T)       1 [+ T]       0x01 NULL (nothing follows), or 0x00 + T
 *   Array(T)          varint + ...  element count, then each element as T
 *   Tuple(T1, ...)    T1 T2 ...     the elements back to back
 *   Map(K, V)         varint + ...  pair count, then key as K, value as V
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
 *   Int128..UInt256 number, numeric string     the exact integer, read digit
 *                                              by digit; fraction or out of
 *                                              range is an error; no booleans
 *   Decimal(P, S)   number, numeric string     exact (never via double); more
 *                                              than S fraction digits (other
 *                                              than trailing zeros) is an
 *                                              error, not rounded; more than
 *                                              P digits is out of range
 *                   {"scale": s, "value": b64} Debezium: big-endian two's
 *                                              complement unscaled bytes at
 *                                              scale s, rescaled to S exactly
 *                   string (bytes_base64)      base64 unscaled bytes at S
 *   Date, Date32    number, numeric string     days since 1970-01-01 (unit
 *                                              auto or days); with unit
 *                                              s/ms/us/ns: the epoch instant's
 *                                              UTC day (floor)
 *                   "YYYY-MM-DD"               that calendar date
 *                   any DateTime text below    the UTC date of the instant, as
 *                                              DateTime reads it (a zone offset
 *                                              can change the day)
 *                   {"$date": ...}             as DateTime64 below
 *                   Date: 1970-01-01 .. 2149-06-06 (0 .. 65535)
 *                   Date32: 1900-01-01 .. 2299-12-31
 *   DateTime,       number, numeric string     an epoch count in the column's
 *   DateTime64(P)                              unit (schema.h); auto picks by
 *                                              magnitude |n|: < 1e11 s, < 1e14
 *                                              ms, < 1e17 us, else ns; digits
 *                                              finer than the column holds
 *                                              are truncated toward -inf
 *                   "YYYY-MM-DD", or           no zone means UTC (the column's
 *                   "YYYY-MM-DD[T ]HH:MM:SS    zone is not applied); fraction
 *                   [.fffffffff]               digits beyond P are truncated;
 *                   [Z|±HH:MM|±HHMM]"          T and Z may be lower case
 *                   {"$date": "ISO text"}      MongoDB extended JSON: as text
 *                   {"$date": n},              epoch milliseconds, whatever
 *                   {"$date": {"$numberLong":  the column's unit
 *                   "n"}}
 *                   DateTime: 0 .. 4294967295 (1970 .. 2106-02-07 06:28:15)
 *                   DateTime64: 1900-01-01 .. 2299-12-31 23:59:59.x, and
 *                   within Int64 ticks (DateTime64(9) ends 2262-04-11)
 *   UUID            "8-4-4-4-12" hex string    either case
 *   IPv4            "a.b.c.d" (no leading      the address
 *                   zeros), or an integer      the UInt32 value
 *   IPv6            RFC 4291 text, "::"        the address; bare IPv4 text is
 *                   and trailing a.b.c.d       ::ffff:a.b.c.d
 *   Enum8/16        string                     the element of that name, else
 *                                              a numeric string as a number
 *                   number                     must be a defined value
 *   LowCardinality, anything                   as T (a null is NULL when T is
 *   SimpleAgg.(f,T)                            Nullable)
 *   String,         string (bytes_base64)      the base64-decoded bytes
 *   FixedString
 *   JSON, Object    object                     compact JSON text
 *                   string                     its contents, taken as JSON text
 *   Nullable(T)     null                       NULL
 *                   anything else              0x00 then as T
 *   Array(T)        array                      each element as T
 *   Tuple(T...)     array                      element i as Ti; the count must
 *                                              match
 *   Tuple(a T, ...) array, or object           by position, or by name: a
 *                                              missing element is its default
 *                                              (counted), others are ignored
 *   Map(K, V)       object                     member name as a JSON string
 *                                              into K, its value into V
 *   non-Nullable    null                       the type's default (below),
 *                                              counted in *null_defaults
 *
 * Numeric strings must be JSON number text exactly: no whitespace, no '+',
 * no leading zeros. Column time zones (DateTime('Asia/Tokyo')) are not
 * applied: text without a zone is read as UTC whatever the column's zone
 * (doing it right needs a thread-safe tz database reader; left out).
 *
 * Defaults ("zero" values): 0 for numbers, Bool, Decimal, Date32 and
 * DateTime64 (1970-01-01), "" for String, N zero bytes for FixedString(N),
 * 1970-01-01 (00:00:00) for Date and DateTime, the nil UUID, 0.0.0.0, ::,
 * the first declared element for Enum, NULL for Nullable, [] for Array,
 * {} for Map, "{}" for JSON, each element's default for Tuple, T's for
 * LowCardinality(T) and SimpleAggregateFunction(f, T).
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
