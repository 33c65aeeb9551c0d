/*
 * type.h — ClickHouse column types, parsed from the text the server prints
 * in DESCRIBE TABLE ("Array(Nullable(String))", "DateTime('Europe/Oslo')").
 *
 * A type is a small tree of struct ck_type nodes. Every node has a kind;
 * parameterised kinds keep their parameters in the node and wrapped types
 * in child[]:
 *
 *   KIND                 PARAMETERS            CHILDREN
 *   Int8 .. UInt256      -                     -
 *   Float32, Float64     -                     -
 *   Bool                 -                     -
 *   String               -                     -
 *   FixedString(N)       size = N              -
 *   Date, Date32         -                     -
 *   DateTime[('tz')]     tz (NULL if absent)   -
 *   DateTime64(P[,'tz']) scale = P (0..9), tz  -
 *   Decimal(P, S)        precision = P (1..76) -
 *                        scale = S (0..P)
 *   Decimal32(S) ..      read as Decimal(9|18|38|76, S); formatted that
 *   Decimal256(S)        way, as DESCRIBE prints them
 *   UUID, IPv4, IPv6     -                     -
 *   Enum8/Enum16(...)    enums[nenum]          -
 *   JSON[(...)],         raw = the type text   -
 *   Object('json')       as written
 *   Nullable(T)          -                     child[0] = T
 *   Array(T)             -                     child[0] = T
 *   LowCardinality(T)    -                     child[0] = T
 *   Tuple(T, ...)        names[i] = element    child[i] = element type
 *                        name, NULL if unnamed
 *   Map(K, V)            -                     child[0] = K, child[1] = V
 *   SimpleAggregate-     raw = function text   child[0] = T
 *   Function(f, T)
 *
 * The grammar the parser knows is ClickHouse's, not just the part chute can
 * write: a type is a name optionally followed by a parenthesised,
 * comma-separated parameter list whose items may be types, numbers, quoted
 * strings ('...' with backslash escapes or doubled quotes, `...`, "...") or
 * anything else balanced ("Enum8('a' = 1)", "Tuple(a UInt8)",
 * "AggregateFunction(quantiles(0.5), UInt64)"). So a well-formed type chute
 * does not support is told apart from a malformed string: the first is
 * CK_ERR_UNSUPPORTED "unsupported type 'Decimal(10, 2)'" (naming the
 * innermost unsupported part), the second CK_ERR_PARSE. Whitespace between
 * tokens is allowed. Names are case-sensitive, as DESCRIBE prints them.
 *
 * Adding a type:
 *   1. add its kind to enum ck_type_kind (and any parameter field it needs
 *      to struct ck_type: precision/scale, enum values, element names);
 *   2. add its row to the kind table in type.c, naming the parameter shape
 *      (an existing shape, or a new one with a case in the parameter parser
 *      and the formatter);
 *   3. add its case to the two switches in encode/rowbinary.c (value and
 *      default). The switches have no default label, so -Wswitch points at
 *      every place a new kind still needs handling.
 *
 * Types are built at start-up (schema creation) and are immutable after,
 * so a tree may be read by any number of threads.
 */
#ifndef CK_TYPE_H
#define CK_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum ck_type_kind {
	CK_TYPE_INT8,
	CK_TYPE_INT16,
	CK_TYPE_INT32,
	CK_TYPE_INT64,
	CK_TYPE_UINT8,
	CK_TYPE_UINT16,
	CK_TYPE_UINT32,
	CK_TYPE_UINT64,
	CK_TYPE_FLOAT32,
	CK_TYPE_FLOAT64,
	CK_TYPE_BOOL,
	CK_TYPE_STRING,
	CK_TYPE_FIXED_STRING,
	CK_TYPE_DATE,
	CK_TYPE_DATETIME,
	CK_TYPE_NULLABLE,
	CK_TYPE_ARRAY,
	CK_TYPE_INT128,
	CK_TYPE_INT256,
	CK_TYPE_UINT128,
	CK_TYPE_UINT256,
	CK_TYPE_DATE32,
	CK_TYPE_DATETIME64,
	CK_TYPE_DECIMAL,
	CK_TYPE_UUID,
	CK_TYPE_IPV4,
	CK_TYPE_IPV6,
	CK_TYPE_ENUM8,
	CK_TYPE_ENUM16,
	CK_TYPE_LOW_CARDINALITY,
	CK_TYPE_TUPLE,
	CK_TYPE_MAP,
	CK_TYPE_SIMPLE_AGG,
	CK_TYPE_JSON,
};

/*
 * What a JSON number means in a time column (a per-column option, see
 * schema.h). AUTO reads Date/Date32 numbers as days and DateTime/DateTime64
 * numbers by magnitude: |n| < 10^11 seconds, < 10^14 milliseconds,
 * < 10^17 microseconds, else nanoseconds.
 */
enum ck_epoch_unit {
	CK_EPOCH_AUTO,
	CK_EPOCH_DAYS,
	CK_EPOCH_SECONDS,
	CK_EPOCH_MILLIS,
	CK_EPOCH_MICROS,
	CK_EPOCH_NANOS,
};

/* Largest Decimal precision (Decimal256). */
#define CK_TYPE_DECIMAL_MAX 76

/* Largest DateTime64 precision (nanoseconds). */
#define CK_TYPE_DATETIME64_MAX 9

/* Most elements of a Tuple, values of an Enum. */
#define CK_TYPE_MAX_ITEMS 65536

struct ck_enum_value {
	char *name;
	int32_t value;
};

/* Nesting limit of parsed types (Array(Array(...)) ...). */
#define CK_TYPE_MAX_DEPTH 32

/* ClickHouse's own limit on FixedString(N). */
#define CK_TYPE_FIXED_STRING_MAX 0xFFFFFFu

struct ck_type {
	enum ck_type_kind kind;
	uint32_t size;           /* FixedString(N): N, 1..FIXED_STRING_MAX */
	char *tz;                /* DateTime('tz'): the zone; NULL if none */
	uint32_t precision;      /* Decimal: P */
	uint32_t scale;          /* Decimal: S; DateTime64: P */
	char *raw;               /* JSON: type text; SimpleAggregateFunction: f */
	size_t nenum;
	struct ck_enum_value *enums; /* Enum8/16, in declaration order */
	char **names;            /* Tuple: nchild names, or NULL if unnamed */
	size_t nchild;
	struct ck_type **child;  /* see the table above */
	/* Per-column options (schema.h), set on every node of a column's tree. */
	enum ck_epoch_unit unit;
	bool base64;             /* String/FixedString: JSON strings are base64 */
};

/*
 * Parses a NUL-terminated type string into *out (owned by the caller; free
 * with ck_type_destroy). CK_ERR_PARSE for a malformed string,
 * CK_ERR_UNSUPPORTED for a well-formed type chute cannot write, CK_ERR_LIMIT
 * when nested deeper than CK_TYPE_MAX_DEPTH, CK_ERR_NOMEM. *out is NULL on
 * error. Not for hot paths.
 */
int ck_type_parse(const char *text, struct ck_type **out, struct ck_err *err);

/* Frees a type tree; NULL is a no-op. */
void ck_type_destroy(struct ck_type *type);

/*
 * Appends the canonical text of type to out ("Array(Nullable(String))",
 * "DateTime('UTC')"), which ck_type_parse() reads back to an equal tree.
 * Borrows type. CK_ERR_LIMIT/CK_ERR_NOMEM from the buffer.
 */
int ck_type_format(const struct ck_type *type, struct ck_buf *out,
		   struct ck_err *err);

/*
 * Whether a JSON null is NULL in type rather than its default: Nullable(T),
 * also under LowCardinality or SimpleAggregateFunction.
 */
static inline bool ck_type_nullable(const struct ck_type *type)
{
	while (type->kind == CK_TYPE_LOW_CARDINALITY ||
	       type->kind == CK_TYPE_SIMPLE_AGG)
		type = type->child[0];
	return type->kind == CK_TYPE_NULLABLE;
}

/* The bare name of a kind ("UInt8", "FixedString"), for messages. */
const char *ck_type_kind_name(enum ck_type_kind kind);

#endif
