/*
 * schema.c — a table's inserted columns and the name → column lookup.
 * See schema.h for what is inserted and why.
 *
 * Every column's default_kind decides its fate:
 *
 *   default_kind      WITH_DEFAULTS          WITHOUT
 *   ""                inserted               inserted
 *   DEFAULT           inserted               skipped (listed for the warning)
 *   EPHEMERAL         inserted               skipped (listed for the warning)
 *   MATERIALIZED      left out               left out
 *   ALIAS             left out               left out
 *   anything else     CK_ERR_SCHEMA          CK_ERR_SCHEMA
 *
 * EPHEMERAL (a column that exists only to feed other columns' defaults)
 * behaves like DEFAULT: it may be inserted and has a default. Types of
 * columns that are not inserted are never parsed, so a MATERIALIZED column
 * of an unsupported type does not stop chute from serving the table. A
 * message field named like a column that is not inserted counts as unknown.
 *
 * All strings live in one allocation. Lookup is an open-addressing hash
 * table with linear probing, sized to a power of two at least twice the
 * column count; each slot is 8 bytes (the name's hash and the column
 * index + 1, 0 marking an empty slot), so a probe touches one cache line
 * and compares names only when the full 32-bit hashes are equal.
 */
#include "map/schema_internal.h"

#include <stdlib.h>
#include <string.h>

struct name_slot {
	uint32_t hash;
	uint32_t index; /* column index + 1; 0 = empty */
};

struct ck_schema {
	bool with_defaults;
	size_t ncols;
	struct ck_schema_column *cols;
	size_t max_name_len;
	struct name_slot *slots;
	uint32_t mask;            /* slot count - 1 */
	size_t nskipped;
	const char **skipped;
	char *strings;            /* names and type texts, NUL-terminated */
};

enum column_fate { FATE_INSERT, FATE_SKIP_DEFAULT, FATE_LEAVE_OUT };

/*
 * A hash over whole words rather than bytes (FNV-1a would take a multiply
 * per byte, and this runs once per message field). The last 1..8 bytes are
 * read as two overlapping fixed-size loads, as wyhash does, so there is no
 * byte loop and no variable-length copy; the length is mixed in first, so
 * the overlap cannot make two names of different lengths collide more.
 */
static uint32_t name_hash(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t h = 0x9E3779B97F4A7C15u ^ len, w;
	uint32_t a, b;

	for (; len > 8; u += 8, len -= 8) {
		memcpy(&w, u, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDu;
		h ^= h >> 32;
	}
	if (len >= 4) {
		memcpy(&a, u, 4);
		memcpy(&b, u + len - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else if (len) {
		w = (uint64_t)u[0] << 16 | (uint64_t)u[len / 2] << 8 |
		    u[len - 1];
	} else {
		w = 0;
	}
	h = (h ^ w) * 0xFF51AFD7ED558CCDu;
	h ^= h >> 29;
	h *= 0xC4CEB9FE1A85EC53u;
	h ^= h >> 32;
	return (uint32_t)h;
}

static int column_fate(const struct ck_column_desc *col, bool with_defaults,
		       enum column_fate *fate, struct ck_err *err)
{
	const char *k = col->default_kind ? col->default_kind : "";

	if (!*k)
		*fate = FATE_INSERT;
	else if (!strcmp(k, "DEFAULT") || !strcmp(k, "EPHEMERAL"))
		*fate = with_defaults ? FATE_INSERT : FATE_SKIP_DEFAULT;
	else if (!strcmp(k, "MATERIALIZED") || !strcmp(k, "ALIAS"))
		*fate = FATE_LEAVE_OUT;
	else
		return ck_err_set(err, CK_ERR_SCHEMA,
				  "column '%s': unknown default kind '%s'",
				  col->name, k);
	return CK_OK;
}

static char *copy_string(char **arena, const char *s, size_t len)
{
	char *p = *arena;

	memcpy(p, s, len);
	p[len] = '\0';
	*arena += len + 1;
	return p;
}

/* Inserts column i; CK_ERR_SCHEMA if its name is already present. */
static int table_insert(struct ck_schema *schema, size_t i,
			struct ck_err *err)
{
	const struct ck_schema_column *col = &schema->cols[i];
	uint32_t h = name_hash(col->name, col->name_len);

	for (uint32_t s = h & schema->mask;; s = (s + 1) & schema->mask) {
		struct name_slot *slot = &schema->slots[s];
		if (!slot->index) {
			slot->hash = h;
			slot->index = (uint32_t)i + 1;
			return CK_OK;
		}
		if (slot->hash == h &&
		    schema->cols[slot->index - 1].name_len == col->name_len &&
		    !memcmp(schema->cols[slot->index - 1].name, col->name,
			    col->name_len))
			return ck_err_set(err, CK_ERR_SCHEMA,
					  "duplicate column '%s'", col->name);
	}
}

static int build_table(struct ck_schema *schema, struct ck_err *err)
{
	size_t nslots = 8;
	int rc;

	while (nslots < 2 * schema->ncols)
		nslots *= 2;
	if (nslots > UINT32_MAX)
		return ck_err_set(err, CK_ERR_SCHEMA, "too many columns (%zu)",
				  schema->ncols);
	schema->slots = calloc(nslots, sizeof(*schema->slots));
	if (!schema->slots)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	schema->mask = (uint32_t)(nslots - 1);
	for (size_t i = 0; i < schema->ncols; i++) {
		rc = table_insert(schema, i, err);
		if (rc)
			return rc;
	}
	return CK_OK;
}

/* Sets a column's options on every node of its type tree. */
static void apply_opts(struct ck_type *t, const struct ck_column_opts *o)
{
	t->unit = o->unit;
	t->base64 = o->bytes_base64;
	for (size_t i = 0; i < t->nchild; i++)
		apply_opts(t->child[i], o);
}

/* A DEFAULT column left out of the INSERT (servers without WithDefaults). */
static bool skipped_name(const struct ck_schema *schema, const char *name)
{
	for (size_t i = 0; i < schema->nskipped; i++)
		if (strcmp(schema->skipped[i], name) == 0)
			return true;
	return false;
}

int ck_schema_new(const struct ck_column_desc *cols, size_t ncols,
		  const struct ck_schema_opts *opts, struct ck_schema **out,
		  struct ck_err *err)
{
	bool with_defaults = opts && opts->with_defaults;
	struct ck_schema *schema = NULL;
	size_t ninsert = 0, nskip = 0, bytes = 0;
	enum column_fate fate;
	char *arena;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < ncols; i++) {
		rc = column_fate(&cols[i], with_defaults, &fate, err);
		if (rc)
			goto out;
		if (fate == FATE_INSERT) {
			ninsert++;
			bytes += strlen(cols[i].name) + strlen(cols[i].type) + 2;
		} else if (fate == FATE_SKIP_DEFAULT) {
			nskip++;
			bytes += strlen(cols[i].name) + 1;
		}
	}
	if (!ninsert) {
		rc = ck_err_set(err, CK_ERR_SCHEMA,
				"no column can be inserted (the table has %zu, "
				"all MATERIALIZED, ALIAS or DEFAULT)", ncols);
		goto out;
	}

	schema = calloc(1, sizeof(*schema));
	if (!schema ||
	    !(schema->cols = calloc(ninsert, sizeof(*schema->cols))) ||
	    (nskip && !(schema->skipped = calloc(nskip, sizeof(char *)))) ||
	    !(schema->strings = malloc(bytes))) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	schema->with_defaults = with_defaults;
	arena = schema->strings;
	for (size_t i = 0; i < ncols; i++) {
		struct ck_schema_column *col;
		size_t len = strlen(cols[i].name);

		column_fate(&cols[i], with_defaults, &fate, NULL);
		if (fate == FATE_SKIP_DEFAULT) {
			schema->skipped[schema->nskipped++] =
				copy_string(&arena, cols[i].name, len);
			continue;
		}
		if (fate != FATE_INSERT)
			continue;
		col = &schema->cols[schema->ncols++];
		col->name = copy_string(&arena, cols[i].name, len);
		col->name_len = len;
		col->server_default = with_defaults && cols[i].default_kind &&
				      cols[i].default_kind[0];
		col->type_text = copy_string(&arena, cols[i].type,
					     strlen(cols[i].type));
		if (len > schema->max_name_len)
			schema->max_name_len = len;
		rc = ck_type_parse(col->type_text, &col->type, err);
		if (rc) {
			ck_err_prefix(err, "column '%s': ", col->name);
			goto out;
		}
	}
	rc = build_table(schema, err);
	if (rc)
		goto out;
	for (size_t i = 0; opts && i < opts->ncolumns; i++) {
		const char *name = opts->columns[i].name;
		size_t c = ck_schema_lookup(schema, name, strlen(name));
		/* Left out of the INSERT, the server fills it anyway. */
		if (c == CK_SCHEMA_NO_COLUMN &&
		    opts->columns[i].meta == CK_META_INGEST_TIME &&
		    skipped_name(schema, name))
			continue;
		if (c == CK_SCHEMA_NO_COLUMN) {
			/* A config mistake: the options came from the config. */
			rc = ck_err_set(err, CK_ERR_CONFIG,
					"options for column '%s': no such "
					"inserted column", name);
			goto out;
		}
		apply_opts(schema->cols[c].type, &opts->columns[i]);
		schema->cols[c].meta = opts->columns[i].meta;
		/* Kafka and Debezium timestamps are epoch milliseconds. */
		if ((opts->columns[i].meta == CK_META_TIMESTAMP ||
		     opts->columns[i].meta == CK_META_SOURCE_TS ||
		     opts->columns[i].meta == CK_META_EVENT_TS) &&
		    opts->columns[i].unit == CK_EPOCH_AUTO) {
			struct ck_column_opts ms = opts->columns[i];
			ms.unit = CK_EPOCH_MILLIS;
			apply_opts(schema->cols[c].type, &ms);
		}
	}
	*out = schema;
	schema = NULL;
out:
	ck_schema_destroy(schema);
	return rc;
}

void ck_schema_destroy(struct ck_schema *schema)
{
	if (!schema)
		return;
	for (size_t i = 0; i < schema->ncols; i++)
		ck_type_destroy(schema->cols[i].type);
	free(schema->cols);
	free(schema->slots);
	free(schema->skipped);
	free(schema->strings);
	free(schema);
}

const char *ck_schema_format(const struct ck_schema *schema)
{
	return schema->with_defaults ? "RowBinaryWithDefaults" : "RowBinary";
}

static bool type_has_json(const struct ck_type *type)
{
	if (type->kind == CK_TYPE_JSON)
		return true;
	for (size_t i = 0; i < type->nchild; i++) {
		if (type_has_json(type->child[i]))
			return true;
	}
	return false;
}

bool ck_schema_has_json(const struct ck_schema *schema)
{
	for (size_t i = 0; i < schema->ncols; i++) {
		if (type_has_json(schema->cols[i].type))
			return true;
	}
	return false;
}

size_t ck_schema_insert_count(const struct ck_schema *schema)
{
	return schema->ncols;
}

const char *ck_schema_insert_name(const struct ck_schema *schema, size_t i)
{
	return schema->cols[i].name;
}

const char *ck_schema_insert_type(const struct ck_schema *schema, size_t i)
{
	return schema->cols[i].type_text;
}

size_t ck_schema_skipped_defaults(const struct ck_schema *schema,
				  const char *const **names)
{
	*names = schema->skipped;
	return schema->nskipped;
}

const struct ck_schema_column *ck_schema_columns(const struct ck_schema *schema)
{
	return schema->cols;
}

size_t ck_schema_lookup(const struct ck_schema *schema, const char *name,
			size_t len)
{
	uint32_t h;

	if (len > schema->max_name_len)
		return CK_SCHEMA_NO_COLUMN;
	h = name_hash(name, len);
	for (uint32_t s = h & schema->mask;; s = (s + 1) & schema->mask) {
		const struct name_slot *slot = &schema->slots[s];
		const struct ck_schema_column *col;
		if (!slot->index)
			return CK_SCHEMA_NO_COLUMN;
		if (slot->hash != h)
			continue;
		col = &schema->cols[slot->index - 1];
		if (col->name_len == len && !memcmp(col->name, name, len))
			return slot->index - 1;
	}
}

size_t ck_schema_max_name_len(const struct ck_schema *schema)
{
	return schema->max_name_len;
}

bool ck_schema_with_defaults(const struct ck_schema *schema)
{
	return schema->with_defaults;
}

bool ck_schema_has_column(const struct ck_schema *schema, const char *name,
			  size_t len)
{
	if (ck_schema_lookup(schema, name, len) != CK_SCHEMA_NO_COLUMN)
		return true;
	for (size_t i = 0; i < schema->nskipped; i++)
		if (strlen(schema->skipped[i]) == len &&
		    !memcmp(schema->skipped[i], name, len))
			return true;
	return false;
}
