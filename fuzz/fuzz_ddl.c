/*
 * fuzz_ddl.c — libFuzzer harness for table creation from Debezium schemas
 * (src/map/ddl.c).
 *
 * Each input is a Kafka message value (and, read the other way, a message
 * key). It is mapped for an old (18.16) and a modern (26.9) server; besides
 * ASan/UBSan findings, broken invariants abort():
 *   - errors are parse/schema/unsupported/limit (or out of memory) with a
 *     message starting "ddl: ", and leave the row empty;
 *   - whatever the JSON scanner rejects, mapping rejects;
 *   - a mapped row has columns with non-empty, distinct names, and every
 *     type is one chute itself parses (so a table ddl creates is one chute
 *     can write), with no Nullable around Array, Map, Tuple or
 *     LowCardinality;
 *   - CREATE TABLE of the row (append, and upsert keyed by its first
 *     column) succeeds or fills the bounded buffer, which then holds what
 *     it held before;
 *   - key names are non-empty, or the call fails with no names.
 *
 * The input is copied into an exact-size heap buffer so that reading even
 * one byte past the message is an ASan report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/ddl.h"
#include "map/type.h"

#include "fuzz.h"

#define SQL_MAX 8192

static void check_type(const char *text)
{
	struct ck_type *type = NULL;
	struct ck_err err;

	CHECK(ck_type_parse(text, &type, &err) == CK_OK);
	ck_type_destroy(type);
	CHECK(!strstr(text, "Nullable(Array") && !strstr(text, "Nullable(Map") &&
	      !strstr(text, "Nullable(Tuple") &&
	      !strstr(text, "Nullable(LowCardinality"));
}

static void check_create(const struct ck_ddl_row *row,
			 const struct ck_ddl_caps *caps)
{
	const char *keys[1] = {row->cols[0].name};
	const struct ck_ddl_extra extra[] = {
		{"_topic", ck_ddl_meta_type(CK_META_TOPIC, caps), NULL},
		{"_ingested", ck_ddl_meta_type(CK_META_INGEST_TIME, caps),
		 ck_ddl_meta_default(CK_META_INGEST_TIME, caps)},
	};
	struct ck_ddl_create opts = {
		.database = "d", .table = "t`x", .version_column = "_v",
		.deleted_column = "_d", .keys = keys, .extra = extra,
		.nextra = 2,
	};
	struct ck_buf sql;
	struct ck_err err;
	int rc;

	ck_buf_init(&sql, SQL_MAX);
	for (int upsert = 0; upsert < 2; upsert++) {
		opts.upsert = upsert;
		opts.nkeys = (size_t)upsert;
		ck_buf_reset(&sql);
		rc = ck_ddl_create_table(row, &opts, caps, &sql, &err);
		if (rc == CK_ERR_SCHEMA) {
			/* the row has a column named like a metadata one */
			CHECK(strstr(err.msg, "appears twice"));
			continue;
		}
		CHECK(rc == CK_OK || rc == CK_ERR_LIMIT);
		if (rc) {
			CHECK(sql.len == 0);
			CHECK(strncmp(err.msg, "ddl: ", 5) == 0);
		} else {
			CHECK(sql.len > 0 && sql.len <= SQL_MAX);
			CHECK(memchr(sql.data, 0, sql.len) == NULL);
		}
	}
	ck_buf_free(&sql);
}

static void check_row(const char *msg, size_t size, int prc,
		      const struct ck_ddl_caps *caps)
{
	struct ck_ddl_row row;
	struct ck_err err;
	int rc = ck_ddl_row_from_message(size ? msg : NULL, size, caps, &row,
					 &err);

	if (rc) {
		CHECK(rc == CK_ERR_PARSE || rc == CK_ERR_SCHEMA ||
		      rc == CK_ERR_UNSUPPORTED || rc == CK_ERR_LIMIT ||
		      rc == CK_ERR_NOMEM);
		CHECK(strncmp(err.msg, "ddl: ", 5) == 0);
		CHECK(row.cols == NULL && row.ncols == 0);
		return;
	}
	CHECK(prc == CK_OK);
	CHECK(row.ncols > 0 && row.ncols <= CK_DDL_MAX_COLUMNS);
	for (size_t i = 0; i < row.ncols; i++) {
		const struct ck_ddl_column *col = &row.cols[i];
		CHECK(col->name && *col->name && col->type);
		CHECK(strlen(col->name) < CK_DDL_NAME_MAX);
		CHECK(strlen(col->type) < CK_DDL_TYPE_MAX);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(row.cols[j].name, col->name) != 0);
		check_type(col->type);
	}
	check_create(&row, caps);
	ck_ddl_row_free(&row);
	CHECK(row.cols == NULL && row.ncols == 0);
}

static void check_keys(const char *msg, size_t size, int prc)
{
	char **names;
	size_t n;
	struct ck_err err;
	int rc = ck_ddl_key_names(size ? msg : NULL, size, &names, &n, &err);

	if (rc) {
		CHECK(rc == CK_ERR_PARSE || rc == CK_ERR_SCHEMA ||
		      rc == CK_ERR_LIMIT || rc == CK_ERR_NOMEM);
		CHECK(strncmp(err.msg, "ddl: ", 5) == 0);
		CHECK(names == NULL && n == 0);
		return;
	}
	CHECK(prc == CK_OK);
	CHECK(n > 0 && names);
	for (size_t i = 0; i < n; i++)
		CHECK(names[i] && *names[i]);
	ck_ddl_names_free(names, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_ddl_caps old, modern;
	struct ck_json_value whole;
	char *msg = malloc(size ? size : 1);
	int prc;

	if (!msg)
		return 0;
	if (size)
		memcpy(msg, data, size);
	ck_ddl_caps_for_version(18, 16, &old);
	ck_ddl_caps_for_version(26, 9, &modern);
	prc = ck_json_parse(size ? msg : NULL, size, &whole, NULL);
	check_row(msg, size, prc, &old);
	check_row(msg, size, prc, &modern);
	check_keys(msg, size, prc);
	free(msg);
	return 0;
}
