/*
 * schema_internal.h — the parts of a schema the row encoder reads on its
 * hot path. Only src/map/ includes this; everyone else uses schema.h.
 *
 * A schema is immutable after ck_schema_new(), so everything here may be
 * called from any number of threads at once.
 */
#ifndef CK_SCHEMA_INTERNAL_H
#define CK_SCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map/schema.h"
#include "map/type.h"

/* One inserted column; strings are NUL-terminated and owned by the schema. */
struct ck_schema_column {
	const char *name;
	size_t name_len;
	const char *type_text;   /* as the server wrote it */
	struct ck_type *type;
	enum ck_meta_field meta; /* CK_META_NONE: from the message */
	/*
	 * A DEFAULT (or EPHEMERAL) expression the server computes when the
	 * row says "default" (RowBinaryWithDefaults). Any other column gets
	 * chute's own type default: 26.9 fills a plain Enum column told
	 * "default" with 0 even where 0 is no element, which no read of the
	 * table then accepts.
	 */
	bool server_default;
};

/* Returned by ck_schema_lookup() for a name that is not an inserted column. */
#define CK_SCHEMA_NO_COLUMN SIZE_MAX

/*
 * The inserted columns, an array of ck_schema_insert_count() in INSERT
 * order, borrowed for the schema's lifetime.
 */
const struct ck_schema_column *ck_schema_columns(const struct ck_schema *schema);

/*
 * Index of the inserted column named exactly [name, name+len) (any bytes,
 * no NUL needed), or CK_SCHEMA_NO_COLUMN.
 */
size_t ck_schema_lookup(const struct ck_schema *schema, const char *name,
			size_t len);

/* Length of the longest inserted column name. */
size_t ck_schema_max_name_len(const struct ck_schema *schema);

/* Rows carry the RowBinaryWithDefaults per-column prefix byte. */
bool ck_schema_with_defaults(const struct ck_schema *schema);

#endif
