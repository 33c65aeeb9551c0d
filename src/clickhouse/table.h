/*
 * table.h — what chute learns from the server at start-up: its version and
 * capabilities (probed once, so only features it has are used) and the
 * schema of each target table.
 */
#ifndef CK_CLICKHOUSE_TABLE_H
#define CK_CLICKHOUSE_TABLE_H

#include <stdbool.h>

#include "clickhouse/client.h"
#include "common/err.h"
#include "map/schema.h"

struct ck_ch_server_info {
	char version[64];
	int major;
	int minor;
	/* FORMAT RowBinaryWithDefaults exists (23.x and later). */
	bool row_binary_with_defaults;
	/* The insert_deduplication_token setting exists (22.2 and later). */
	bool dedup_token;
	/* Default non_replicated_deduplication_window; -1: no such setting. */
	int64_t dedup_window;
	/* The wait_for_async_insert setting exists (21.11 and later). */
	bool async_insert;
	/* The user's profile turns async inserts on (async_insert = 1). */
	bool async_insert_on;
};

/*
 * Asks the server for its version and capabilities. A failure here is how
 * an unreachable or misconfigured server is reported at start-up.
 */
int ck_ch_probe(struct ck_ch_client *client, struct ck_ch_server_info *info,
		struct ck_err *err);

/*
 * Reads DESCRIBE TABLE `database`.`table` and builds its schema with the
 * per-column options given (borrowed); the caller owns *out. CK_ERR_SCHEMA
 * naming the table when it does not exist; CK_ERR_UNSUPPORTED naming the
 * column for a type chute cannot write; CK_ERR_CONFIG when an option names
 * a column the table does not insert.
 */
int ck_ch_describe(struct ck_ch_client *client, const char *database,
		   const char *table, const struct ck_ch_server_info *info,
		   const struct ck_column_opts *columns, size_t ncolumns,
		   struct ck_schema **out, struct ck_err *err);

/*
 * A table's engine, from system.tables.engine_full. For the
 * ReplacingMergeTree family (Replicated and Shared too) the column names
 * of its parameters: ReplacingMergeTree([version[, is_deleted]]); empty
 * when not given.
 */
struct ck_ch_engine {
	char name[64];        /* "MergeTree", "ReplacingMergeTree", ... */
	bool replacing;       /* a (Replicated|Shared)ReplacingMergeTree */
	char version[256];
	char is_deleted[256];
	char sorting_key[1024];
	/* non_replicated_deduplication_window in its SETTINGS; -1: not set */
	int64_t dedup_window;
};

/*
 * Reads the engine of `database`.`table`. CK_ERR_SCHEMA naming the table
 * when it does not exist.
 */
int ck_ch_table_engine(struct ck_ch_client *client, const char *database,
		       const char *table, struct ck_ch_engine *out,
		       struct ck_err *err);

/*
 * CK_OK when `database`.`table` has a column called name, CK_ERR_SCHEMA
 * when it has not.
 */
int ck_ch_column_exists(struct ck_ch_client *client, const char *database,
			const char *table, const char *name,
			struct ck_err *err);

/* Parses an engine_full text into out (sorting_key untouched). Exposed for
 * tests. false when the text is not NAME or NAME(...). */
bool ck_ch_parse_engine(const char *engine_full, struct ck_ch_engine *out);

/*
 * Splits one line of TabSeparated output into at most max fields, unescaping
 * each in place (\t \n \\ \' \0 ...). Returns the number of fields. Exposed
 * for tests.
 */
size_t ck_ch_tsv_split(char *line, char **fields, size_t max);

#endif
