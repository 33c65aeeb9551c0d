/*
 * type.h — ClickHouse column types, parsed from the text the server prints
 * in DESCRIBE TABLE ("Array(Nullable(String))", "DateTime('Europe/Oslo')").
 *
 * A type is a small tree of struct ck_type nodes. Every node has a kind;
 * parameterised kinds keep their parameters in the node and wrapped types
 * in child[]:
 *
 *   KIND                 PARAMETERS            CHILDREN
 *   Int8 .. UInt64       -                     -
 *   Float32, Float64     -                     -
 *   Bool                 -                     -
 *   String               -                     -
 *   FixedString(N)       size = N              -
 *   Date                 -                     -
 *   DateTime[('tz')]     tz (NULL if absent)   -
 *   Nullable(T)          -                     child[0] = T
 *   Array(T)             -                     child[0] = T
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
 * Adding a type (the full type set is planned: Int128/256, Decimal, Date32,
 * DateTime64, UUID, IPv4/6, Enum, LowCardinality, Tuple, Map, ...):
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
};

/* Nesting limit of parsed types (Array(Array(...)) ...). */
#define CK_TYPE_MAX_DEPTH 32

/* ClickHouse's own limit on FixedString(N). */
#define CK_TYPE_FIXED_STRING_MAX 0xFFFFFFu

struct ck_type {
	enum ck_type_kind kind;
	uint32_t size;           /* FixedString(N): N, 1..FIXED_STRING_MAX */
	char *tz;                /* DateTime('tz'): the zone; NULL if none */
	size_t nchild;
	struct ck_type **child;  /* Nullable, Array: one */
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

/* The bare name of a kind ("UInt8", "FixedString"), for messages. */
const char *ck_type_kind_name(enum ck_type_kind kind);

#endif
