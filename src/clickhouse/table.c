/*
 * table.c — start-up probes: server version, capabilities, table schemas.
 *
 * DESCRIBE TABLE output (TabSeparated), one line per column:
 *
 *   FIELD  MEANING
 *   0      name
 *   1      type, as the server prints it
 *   2      default kind: "", DEFAULT, MATERIALIZED, ALIAS (EPHEMERAL later)
 *   3      default expression
 *   4...   comment, codec, TTL (newer servers; ignored)
 */
#include "clickhouse/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define CH_DESCRIBE_MAX (4u << 20)
#define CH_MAX_COLUMNS 4096

size_t ck_ch_tsv_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *r = line, *w = line;

	if (max == 0)
		return 0;
	fields[n++] = w;
	for (; *r; r++) {
		if (*r == '\t') {
			*w++ = '\0';
			if (n == max)
				return n;
			fields[n++] = w;
			continue;
		}
		if (*r == '\\' && r[1]) {
			r++;
			switch (*r) {
			case 't': *w++ = '\t'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			case 'b': *w++ = '\b'; break;
			case 'f': *w++ = '\f'; break;
			case '0': *w++ = '\0'; break;
			default: *w++ = *r; break;
			}
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return n;
}

int ck_ch_probe(struct ck_ch_client *client, struct ck_ch_server_info *info,
		struct ck_err *err)
{
	struct ck_buf out;
	int rc;

	memset(info, 0, sizeof(*info));
	ck_buf_init(&out, 4096);
	rc = ck_ch_query(client, "SELECT version()", &out, err);
	if (rc)
		goto out;
	snprintf(info->version, sizeof(info->version), "%.*s",
		 (int)(out.len && out.data[out.len - 1] == '\n' ? out.len - 1
								 : out.len),
		 (const char *)out.data);
	if (sscanf(info->version, "%d.%d", &info->major, &info->minor) != 2) {
		rc = ck_err_set(err, CK_ERR_CLICKHOUSE,
				"unexpected answer to SELECT version(): \"%s\"",
				info->version);
		goto out;
	}
	/*
	 * Asking the server beats a version table: forks and backports
	 * differ. An error (old servers lack the column) means "no".
	 */
	ck_buf_reset(&out);
	if (ck_ch_query(client,
			"SELECT count() FROM system.formats WHERE name = "
			"'RowBinaryWithDefaults' AND is_input",
			&out, NULL) == CK_OK)
		info->row_binary_with_defaults = out.len > 0 && out.data[0] == '1';
	ck_buf_reset(&out);
	if (ck_ch_query(client,
			"SELECT count() FROM system.settings WHERE name = "
			"'insert_deduplication_token'",
			&out, NULL) == CK_OK)
		info->dedup_token = out.len > 0 && out.data[0] == '1';
	/* No row (before 20.x): the setting does not exist. */
	info->dedup_window = -1;
	ck_buf_reset(&out);
	if (ck_ch_query(client,
			"SELECT value FROM system.merge_tree_settings WHERE "
			"name = 'non_replicated_deduplication_window'",
			&out, NULL) == CK_OK &&
	    ck_buf_put_u8(&out, '\0', NULL) == CK_OK && out.data[0])
		info->dedup_window = strtoll((const char *)out.data, NULL, 10);
	ck_buf_reset(&out);
	if (ck_ch_query(client,
			"SELECT name, value FROM system.settings WHERE name IN "
			"('async_insert', 'wait_for_async_insert') "
			"FORMAT TabSeparated",
			&out, NULL) == CK_OK &&
	    ck_buf_put_u8(&out, '\0', NULL) == CK_OK) {
		/* One "name\tvalue" line per setting, in either order. */
		for (const char *line = (const char *)out.data; *line;) {
			const char *end = strchr(line, '\n');
			size_t len = end ? (size_t)(end - line) : strlen(line);

			if (len > 22 && !memcmp(line, "wait_for_async_insert\t", 22))
				info->async_insert = true;
			else if (len == 14 && !memcmp(line, "async_insert\t1", 14))
				info->async_insert_on = true;
			line += len + (end != NULL);
		}
	}
	rc = ck_ch_check_server(client, info->version, err);
out:
	ck_buf_free(&out);
	return rc;
}

int ck_ch_describe(struct ck_ch_client *client, const char *database,
		   const char *table, const struct ck_ch_server_info *info,
		   const struct ck_column_opts *columns, size_t ncolumns,
		   struct ck_schema **out, struct ck_err *err)
{
	struct ck_column_desc *cols = NULL;
	struct ck_schema_opts opts = {
		.with_defaults = info->row_binary_with_defaults,
		.columns = columns,
		.ncolumns = ncolumns,
	};
	struct ck_buf sql, resp;
	size_t ncols = 0;
	char *line;
	int rc;

	ck_buf_init(&sql, 4096);
	ck_buf_init(&resp, CH_DESCRIBE_MAX);
	rc = ck_buf_printf(&sql, err, "DESCRIBE TABLE ");
	if (!rc)
		rc = ck_ch_quote_ident(&sql, database, err);
	if (!rc)
		rc = ck_buf_put_u8(&sql, '.', err);
	if (!rc)
		rc = ck_ch_quote_ident(&sql, table, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " FORMAT TabSeparated");
	if (rc)
		goto out;
	rc = ck_ch_query(client, (const char *)sql.data, &resp, err);
	if (rc) {
		int code = ck_ch_last_exception_code(client);
		if (code == 60 || code == 81) /* UNKNOWN_TABLE, UNKNOWN_DATABASE */
			rc = ck_err_set(err, CK_ERR_SCHEMA,
					"table %s.%s does not exist (create it "
					"first; chute inserts into existing "
					"tables)",
					database, table);
		else
			ck_err_prefix(err, "cannot describe table %s.%s: ",
				      database, table);
		goto out;
	}
	rc = ck_buf_put_u8(&resp, '\0', err);
	if (rc)
		goto out;
	cols = calloc(CH_MAX_COLUMNS, sizeof(*cols));
	if (!cols) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	line = (char *)resp.data;
	while (*line) {
		char *nl = strchr(line, '\n');
		char *fields[5];
		size_t nf;

		if (nl)
			*nl = '\0';
		nf = ck_ch_tsv_split(line, fields, 5);
		if (nf < 2) {
			rc = ck_err_set(err, CK_ERR_CLICKHOUSE,
					"unexpected DESCRIBE TABLE output for "
					"%s.%s",
					database, table);
			goto out;
		}
		if (ncols == CH_MAX_COLUMNS) {
			rc = ck_err_set(err, CK_ERR_SCHEMA,
					"table %s.%s has more than %u columns",
					database, table, CH_MAX_COLUMNS);
			goto out;
		}
		cols[ncols].name = fields[0];
		cols[ncols].type = fields[1];
		cols[ncols].default_kind = nf > 2 ? fields[2] : "";
		cols[ncols].default_expr = nf > 3 ? fields[3] : "";
		ncols++;
		if (!nl)
			break;
		line = nl + 1;
	}
	rc = ck_schema_new(cols, ncols, &opts, out, err);
	if (rc)
		ck_err_prefix(err, "table %s.%s: ", database, table);
out:
	free(cols);
	ck_buf_free(&sql);
	ck_buf_free(&resp);
	return rc;
}

/* Copies one engine parameter, without quotes, if it is a plain name. */
static void engine_arg(const char *p, size_t len, char *out, size_t size)
{
	while (len && (*p == ' ' || *p == '\n'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\n'))
		len--;
	if (len >= 2 && (*p == '`' || *p == '"') && p[len - 1] == *p)
		p++, len -= 2;
	if (len >= size || memchr(p, '\'', len) || memchr(p, '(', len))
		len = 0; /* a literal or an expression: not a column */
	memcpy(out, p, len);
	out[len] = '\0';
}

bool ck_ch_parse_engine(const char *engine_full, struct ck_ch_engine *out)
{
	const char *p = engine_full, *open, *arg;
	char args[2][256];
	size_t nargs = 0, depth = 0;
	char quote = 0;

	memset(out->name, 0, sizeof(out->name));
	out->version[0] = out->is_deleted[0] = '\0';
	open = p + strcspn(p, "( ");
	if (open == p || (size_t)(open - p) >= sizeof(out->name))
		return false;
	memcpy(out->name, p, (size_t)(open - p));
	out->replacing = strstr(out->name, "ReplacingMergeTree") != NULL;
	if (*open != '(')
		return true;
	/* Top-level parameters; Replicated's leading path and replica are
	 * string literals and are skipped. */
	for (arg = p = open + 1; *p; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '`' || *p == '"') {
			quote = *p;
		} else if (*p == '(') {
			depth++;
		} else if ((*p == ',' || *p == ')') && depth == 0) {
			size_t len = (size_t)(p - arg);
			const char *a = arg;
			while (len && *a == ' ')
				a++, len--;
			if (len && *a != '\'' && nargs < 2) {
				engine_arg(a, len, args[nargs], sizeof(args[0]));
				nargs++;
			}
			arg = p + 1;
			if (*p == ')')
				break;
		} else if (*p == ')') {
			depth--;
		}
	}
	if (!*p)
		return false;
	if (out->replacing && nargs > 0)
		snprintf(out->version, sizeof(out->version), "%s", args[0]);
	if (out->replacing && nargs > 1)
		snprintf(out->is_deleted, sizeof(out->is_deleted), "%s",
			 args[1]);
	return true;
}

int ck_ch_table_engine(struct ck_ch_client *client, const char *database,
		       const char *table, struct ck_ch_engine *out,
		       struct ck_err *err)
{
	struct ck_buf sql, resp;
	char *fields[3];
	size_t nf;
	int rc;

	memset(out, 0, sizeof(*out));
	ck_buf_init(&sql, 4096);
	ck_buf_init(&resp, 64u << 10);
	rc = ck_buf_printf(&sql, err, "SELECT engine_full, sorting_key FROM "
				      "system.tables WHERE database = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, database, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " AND name = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, table, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " FORMAT TabSeparated");
	if (!rc)
		rc = ck_ch_query(client, (const char *)sql.data, &resp, err);
	if (!rc)
		rc = ck_buf_put_u8(&resp, '\0', err);
	if (rc) {
		ck_err_prefix(err, "cannot read the engine of %s.%s: ",
			      database, table);
		goto out;
	}
	if (resp.data[0] == '\0') {
		rc = ck_err_set(err, CK_ERR_SCHEMA,
				"table %s.%s does not exist", database, table);
		goto out;
	}
	resp.data[strcspn((char *)resp.data, "\n")] = '\0';
	nf = ck_ch_tsv_split((char *)resp.data, fields, 3);
	if (nf < 2 || !ck_ch_parse_engine(fields[0], out)) {
		rc = ck_err_set(err, CK_ERR_CLICKHOUSE,
				"unexpected engine of %s.%s: \"%.200s\"",
				database, table, fields[0]);
		goto out;
	}
	snprintf(out->sorting_key, sizeof(out->sorting_key), "%s", fields[1]);
	{
		static const char key[] = "non_replicated_deduplication_window = ";
		const char *set = strstr(fields[0], " SETTINGS ");
		const char *at = set ? strstr(set, key) : NULL;
		out->dedup_window =
			at ? strtoll(at + sizeof(key) - 1, NULL, 10) : -1;
	}
out:
	ck_buf_free(&sql);
	ck_buf_free(&resp);
	return rc;
}

int ck_ch_column_exists(struct ck_ch_client *client, const char *database,
			const char *table, const char *name,
			struct ck_err *err)
{
	struct ck_buf sql, resp;
	int rc;

	ck_buf_init(&sql, 4096);
	ck_buf_init(&resp, 64);
	rc = ck_buf_printf(&sql, err, "SELECT count() FROM system.columns "
				      "WHERE database = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, database, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " AND `table` = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, table, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " AND name = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, name, err);
	if (!rc)
		rc = ck_buf_put_u8(&sql, '\0', err);
	if (!rc)
		rc = ck_ch_query(client, (const char *)sql.data, &resp, err);
	if (rc)
		ck_err_prefix(err, "cannot read the columns of %s.%s: ",
			      database, table);
	else if (resp.len == 0 || resp.data[0] == '0')
		rc = ck_err_set(err, CK_ERR_SCHEMA,
				"table %s.%s has no column %s", database,
				table, name);
	ck_buf_free(&sql);
	ck_buf_free(&resp);
	return rc;
}
