/*
 * schema.h — a target table as chute sees it: its columns, their parsed
 * types, which ones an INSERT fills, and a name → column lookup.
 *
 * Built once per table at start-up from the server's DESCRIBE TABLE output.
 * Every type is parsed then, so an unsupported type is refused at start-up
 * with the column's name, never at row 1,000,000. After creation a schema is
 * immutable and may be shared read-only by any number of threads.
 *
 * Columns that an INSERT must not or need not fill:
 *   MATERIALIZED, ALIAS     never inserted (the server computes them).
 *   DEFAULT expr            with RowBinaryWithDefaults (modern servers) the
 *                           column is inserted and a missing field means
 *                           "use the server's default"; on servers without
 *                           that format the column is left out of the INSERT
 *                           so the server computes it, and a message field of
 *                           that name is ignored (logged once at start-up).
 */
#ifndef CK_SCHEMA_H
#define CK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "map/type.h"

/* One row of DESCRIBE TABLE; borrowed strings, NUL-terminated. */
struct ck_column_desc {
	const char *name;
	const char *type;         /* e.g. "Nullable(DateTime('UTC'))" */
	const char *default_kind; /* "", "DEFAULT", "MATERIALIZED", "ALIAS" */
	const char *default_expr; /* "" when default_kind is "" */
};

/*
 * Per-column conversion options (see docs/types.md). A zero struct is the
 * default: unit CK_EPOCH_AUTO, strings are text.
 *   unit          what a JSON number means in a Date/Date32/DateTime/
 *                 DateTime64 column (also inside Nullable, Array, ...)
 *   bytes_base64  JSON strings are base64 bytes: decoded into String and
 *                 FixedString, read as Debezium's big-endian unscaled value
 *                 (at the column's scale) into Decimal
 */
/*
 * Where a column's value comes from when not from the message's JSON: the
 * Kafka record itself. The value is converted by the column type's usual
 * rules, as if it were a JSON value: the topic and key as strings (a
 * missing key as null), partition and offset as numbers, the timestamp as
 * epoch milliseconds (a time column's unit defaults to ms for it).
 *
 * Debezium routes (format debezium) add the change event's fields: op as
 * the string "c", "u", "d" or "r"; deleted as the number 1 for a delete,
 * else 0; source_ts (source.ts_ms) and event_ts (the envelope's ts_ms) as
 * epoch milliseconds, like the timestamp. On other routes, or when the
 * event lacks a timestamp, they are null (so the column default).
 */
enum ck_meta_field {
	CK_META_NONE,
	CK_META_TOPIC,
	CK_META_PARTITION,
	CK_META_OFFSET,
	CK_META_TIMESTAMP,
	CK_META_KEY,
	CK_META_OP,
	CK_META_DELETED,
	CK_META_SOURCE_TS,
	CK_META_EVENT_TS,
	CK_META_VERSION,     /* upsert: the change's order (decode/debezium.h) */
	CK_META_INGEST_TIME, /* filled by the server's DEFAULT; not inserted */
};

struct ck_column_opts {
	const char *name;
	enum ck_epoch_unit unit;
	bool bytes_base64;
	enum ck_meta_field meta;
};

struct ck_schema_opts {
	/* The server accepts FORMAT RowBinaryWithDefaults. */
	bool with_defaults;
	/* Options of named columns, borrowed; each must name an inserted one. */
	const struct ck_column_opts *columns;
	size_t ncolumns;
};

struct ck_schema;

/*
 * Builds a schema. Copies what it needs from cols and opts. CK_ERR_UNSUPPORTED
 * naming the column and type for a type chute cannot write, CK_ERR_SCHEMA if
 * no column would be inserted, CK_ERR_CONFIG if a column option names no
 * inserted column. The caller owns *out.
 */
int ck_schema_new(const struct ck_column_desc *cols, size_t ncols,
		  const struct ck_schema_opts *opts, struct ck_schema **out,
		  struct ck_err *err);

/* Frees a schema; NULL is a no-op. */
void ck_schema_destroy(struct ck_schema *schema);

/* "RowBinary" or "RowBinaryWithDefaults": the FORMAT of the INSERT. */
const char *ck_schema_format(const struct ck_schema *schema);

/*
 * True when an inserted column is or contains a JSON/Object column. chute
 * writes those as JSON text, which the server reads only with
 * input_format_binary_read_json_as_string = 1 in the INSERT.
 */
bool ck_schema_has_json(const struct ck_schema *schema);

/* Number of columns the INSERT lists, in RowBinary order. */
size_t ck_schema_insert_count(const struct ck_schema *schema);

/* Name of the i-th inserted column (0 <= i < ck_schema_insert_count). */
const char *ck_schema_insert_name(const struct ck_schema *schema, size_t i);

/* Type text of the i-th inserted column, as the server wrote it. */
const char *ck_schema_insert_type(const struct ck_schema *schema, size_t i);

/*
 * True when the table has a column called [name, name+len): inserted, or
 * a DEFAULT column left out of the INSERT.
 */
bool ck_schema_has_column(const struct ck_schema *schema, const char *name,
			  size_t len);

/*
 * Names of DEFAULT columns left out of the INSERT (only on servers without
 * RowBinaryWithDefaults), for the start-up warning. Returns the count; *names
 * is borrowed.
 */
size_t ck_schema_skipped_defaults(const struct ck_schema *schema,
				  const char *const **names);

#endif
