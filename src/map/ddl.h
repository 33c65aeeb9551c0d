/*
 * ddl.h — a ClickHouse table for a Debezium topic, derived from the schema
 * that Kafka Connect's JsonConverter embeds in every message
 * (schemas.enable=true).
 *
 * A message is {"schema": S, "payload": {...}}. S describes the envelope:
 * a struct whose fields "before" and "after" are structs describing the
 * row. Each row field is a Kafka Connect schema,
 *
 *   {"type": "int64", "optional": true, "field": "created",
 *    "name": "io.debezium.time.MicroTimestamp", "parameters": {...}}
 *
 * where "type" is the physical type (int8..int64, float32/64, boolean,
 * string, bytes, array, map, struct) and the optional "name" a logical
 * type that gives it a meaning (a timestamp, a decimal, a UUID). Each field
 * becomes one column; docs/cdc.md has the full mapping table, which the
 * table in ddl.c follows row for row.
 *
 * Besides the type, a column carries the two per-column options of
 * schema.h that chute needs to read Debezium's value correctly: the epoch
 * unit of numeric times and whether strings are base64 bytes. Those apply
 * to a column's whole type tree, so a nested value (struct, array, map)
 * whose parts would need different options is stored as String holding its
 * JSON text instead, which is lossless.
 *
 * What the server offers depends on its version (struct ck_ddl_caps);
 * older servers get the closest type they have.
 *
 * Input is untrusted (it is a Kafka message): everything is bounds-checked,
 * nesting is limited and every name and type is bounded in length. Errors
 * start with "ddl: " and name the field path ("ddl: field after.price:
 * ..."). Nothing here is on the hot path: it runs once per table, and
 * again for a message whose schema brought new fields. All functions are
 * reentrant.
 */
#ifndef CK_DDL_H
#define CK_DDL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "decode/json.h"
#include "map/schema.h"
#include "map/type.h"

/* Longest column name (decoded bytes) and longest type text. */
#define CK_DDL_NAME_MAX 1024
#define CK_DDL_TYPE_MAX 65536
/* Most columns in a row, names in a key. */
#define CK_DDL_MAX_COLUMNS 10000
/*
 * Deepest nesting of array/map/struct types written as such; deeper
 * values are written as String holding their JSON text. Well below
 * CK_TYPE_MAX_DEPTH, so chute can always parse the types it created.
 */
#define CK_DDL_MAX_NESTING 8

/*
 * What the server supports (ck_ddl_caps_for_version() has the versions and
 * where they come from):
 *   bool_type        Bool
 *   date32           Date32
 *   datetime64       DateTime64(P, 'tz')
 *   map              Map(K, V) without an experimental setting
 *   low_cardinality  LowCardinality(T) without an experimental setting
 *   named_tuple      Tuple(a T, ...) anywhere in a type, also inside
 *                    Array; Array(Tuple(...)) is no longer flattened into
 *                    Nested columns
 *   is_deleted       ReplacingMergeTree(version, is_deleted)
 *   decimal256       Decimal(P, S) with P from 39 to 76
 */
struct ck_ddl_caps {
	bool bool_type, date32, datetime64, map, low_cardinality, named_tuple,
		is_deleted, decimal256;
};

/* The capabilities of ClickHouse major.minor (18.16 → 18, 16). */
void ck_ddl_caps_for_version(int major, int minor, struct ck_ddl_caps *caps);

/*
 * One column derived from a Debezium field schema. name and type are owned
 * (two allocations); free with ck_ddl_column_free().
 *   type          ClickHouse type text in the spelling DESCRIBE prints,
 *                 e.g. "Nullable(DateTime64(6, 'UTC'))"
 *   unit          what a JSON number means in the column's time types;
 *                 CK_EPOCH_AUTO when it does not matter
 *   bytes_base64  the column's JSON strings are base64 (BYTES, Decimal,
 *                 Bits): the column option of the same name must be set
 */
struct ck_ddl_column {
	char *name;
	char *type;
	enum ck_epoch_unit unit;
	bool bytes_base64;
};

struct ck_ddl_row {
	struct ck_ddl_column *cols;
	size_t ncols;
};

/* Frees a column's strings; the struct is zeroed. NULL is a no-op. */
void ck_ddl_column_free(struct ck_ddl_column *col);

/* Frees every column and the array; the row is empty afterwards. */
void ck_ddl_row_free(struct ck_ddl_row *row);

/*
 * Maps the row schema of a whole message [msg, msg+len) to columns, in the
 * order of the schema's fields. The row schema is the envelope's field
 * "after", else "before"; a schema with neither (a message that
 * ExtractNewRecordState already unwrapped) is the row itself.
 *
 * Errors, with *out empty:
 *   CK_ERR_SCHEMA  "ddl: message carries no schema (JsonConverter
 *                  schemas.enable=false)"; also a row that is a JSON
 *                  string (MongoDB), which has no column schema
 *   CK_ERR_PARSE   malformed JSON, or a schema chute cannot read, naming
 *                  the field path: "ddl: field after.price: Decimal without
 *                  parameters.scale"
 *   CK_ERR_UNSUPPORTED  a type the server cannot hold (a Decimal scale
 *                  above its widest precision)
 *   CK_ERR_LIMIT, CK_ERR_NOMEM
 * Borrows msg. The caller owns *out (ck_ddl_row_free()).
 */
int ck_ddl_row_from_message(const char *msg, size_t len,
			    const struct ck_ddl_caps *caps,
			    struct ck_ddl_row *out, struct ck_err *err);

/*
 * Maps one field schema, an object obtained from json.h such as
 * {"type":"int32","optional":true,"field":"x"}, for schema evolution of
 * single new fields. Errors as above, the path being the field's name.
 * Borrows field; the caller owns *out (ck_ddl_column_free()).
 */
int ck_ddl_column_from_field(const struct ck_json_value *field,
			     const struct ck_ddl_caps *caps,
			     struct ck_ddl_column *out, struct ck_err *err);

/*
 * The key column names of a Kafka message key, in order: the payload's
 * member names of {"schema": {...}, "payload": {"id": 1}}, or the member
 * names of a plain {"id": 1}. CK_ERR_SCHEMA if the key is not an object
 * (or has no members), CK_ERR_PARSE on malformed JSON. On success the
 * caller owns *names (free with ck_ddl_names_free()); on error *names is
 * NULL and *n 0.
 */
int ck_ddl_key_names(const char *key, size_t len, char ***names, size_t *n,
		     struct ck_err *err);

/* Frees names from ck_ddl_key_names(). NULL is a no-op. */
void ck_ddl_names_free(char **names, size_t n);

/* A column added after the row's (metadata); borrowed strings. */
struct ck_ddl_extra {
	const char *name;
	const char *type;
	const char *default_expr; /* NULL: none */
};

/*
 * What to create. Strings are borrowed.
 *   database        NULL: the table name alone
 *   upsert          ReplacingMergeTree; else MergeTree (append only)
 *   version_column  upsert: a UInt64 column ddl creates, the engine's
 *                   version; required
 *   deleted_column  upsert: a UInt8 column ddl creates (NULL: none); the
 *                   engine's is_deleted argument when caps->is_deleted,
 *                   else a plain column that queries filter on
 *   keys            ORDER BY; nkeys 0 → ORDER BY tuple() (append only;
 *                   upsert without keys is CK_ERR_CONFIG)
 *   extra           metadata columns, added after the row's columns and
 *                   the version and deleted columns
 */
struct ck_ddl_create {
	const char *database, *table;
	bool upsert;
	const char *version_column;
	const char *deleted_column;
	const char *const *keys;
	size_t nkeys;
	const struct ck_ddl_extra *extra;
	size_t nextra;
};

/*
 * Appends CREATE TABLE IF NOT EXISTS `db`.`table` (...) ENGINE = ...
 * ORDER BY (...) to sql. Identifiers are back-quoted and escaped. Key
 * columns must be columns of row; as ClickHouse refuses Nullable sorting
 * keys, their Nullable is dropped (a NULL key is then written as the
 * type's default). CK_ERR_CONFIG for options that make no table (upsert
 * without keys or version column, an empty name), CK_ERR_SCHEMA for a key
 * that is no column or a name used twice, CK_ERR_LIMIT when sql is full.
 * On error sql->len is unchanged. Borrows everything.
 */
int ck_ddl_create_table(const struct ck_ddl_row *row,
			const struct ck_ddl_create *opts,
			const struct ck_ddl_caps *caps, struct ck_buf *sql,
			struct ck_err *err);

/*
 * The ClickHouse type of a metadata column (schema.h), a static string:
 *   topic, op        LowCardinality(String) (String without LowCardinality)
 *   partition        Int32
 *   offset           Int64
 *   timestamp, source_ts, event_ts
 *                    DateTime64(3, 'UTC') (DateTime('UTC') without
 *                    DateTime64: whole seconds)
 *   key              String
 *   deleted          UInt8
 *   version          UInt64
 *   ingest_time      as timestamp, filled by the server's DEFAULT
 *                    (ck_ddl_meta_default())
 * NULL for CK_META_NONE and values it does not know.
 */
const char *ck_ddl_meta_type(enum ck_meta_field field,
			     const struct ck_ddl_caps *caps);

/*
 * The DEFAULT expression a metadata column is created with, or NULL:
 * ingest_time gets now64(3) (now() without DateTime64).
 */
const char *ck_ddl_meta_default(enum ck_meta_field field,
				const struct ck_ddl_caps *caps);

#endif
