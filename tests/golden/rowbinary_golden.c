/*
 * rowbinary_golden.c — test-only program for the golden RowBinary tests
 * (tests/golden/test_golden.py). Not installed, not part of chute.
 *
 *   rowbinary_golden CASE.jsonl OUT.bin
 *
 * CASE.jsonl: line 1 is the table,
 *   {"columns": [["name", "Type"], ["d", "UInt8", "DEFAULT", "7"], ...],
 *    "with_defaults": false}
 * (a column is [name, type] or [name, type, default_kind, default_expr]);
 * every following line is one Kafka message, encoded with the same
 * ck_schema_new / ck_row_encode_json path chute uses. The rows that encode
 * are written to OUT.bin, concatenated (exactly the body of an INSERT).
 *
 * stdout (compared with tests/golden/expected/<case>.errors):
 *   format: RowBinary|RowBinaryWithDefaults
 *   insert: ["name", ...]            the INSERT's columns, in order
 *   line N: <error message>          one per message that failed (N is the
 *                                    line number in CASE.jsonl, from 1)
 *   rows: ok=.. bad=.. unknown_fields=.. missing_fields=.. null_defaults=..
 *
 * Exit status: 0 done (also when some messages failed), 3 the schema was
 * refused as unsupported (message on stdout: "unsupported: ..."), 2 usage,
 * I/O or a malformed header, 1 any other schema error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"
#include "decode/json.h"
#include "map/row.h"
#include "map/schema.h"

#define MAX_COLS 1024
#define OUT_MAX ((size_t)1 << 30)

static int die(const char *what, const struct ck_err *err)
{
	fprintf(stderr, "rowbinary_golden: %s%s%s\n", what, err ? ": " : "",
		err ? err->msg : "");
	return 2;
}

/* A JSON string value decoded into a fresh NUL-terminated heap string. */
static char *json_str(const struct ck_json_value *v)
{
	struct ck_buf b;
	struct ck_err err;
	char *s;

	if (v->kind != CK_JSON_STRING)
		return NULL;
	ck_buf_init(&b, 1 << 20);
	if (ck_json_string_decode(v, &b, &err) ||
	    ck_buf_append(&b, "", 1, &err)) {
		ck_buf_free(&b);
		return NULL;
	}
	s = (char *)b.data; /* ownership moves to the caller */
	return s;
}

struct header {
	struct ck_column_desc cols[MAX_COLS];
	size_t ncols;
	bool with_defaults;
};

static int parse_column(const struct ck_json_value *v,
			struct ck_column_desc *c)
{
	struct ck_json_iter it;
	struct ck_json_value e;
	char *parts[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0;

	if (v->kind != CK_JSON_ARRAY)
		return -1;
	ck_json_array_iter(v, &it);
	while (ck_json_array_next(&it, &e, NULL) == CK_OK) {
		if (n == 4 || !(parts[n] = json_str(&e)))
			return -1;
		n++;
	}
	if (n != 2 && n != 4)
		return -1;
	c->name = parts[0];
	c->type = parts[1];
	c->default_kind = n == 4 ? parts[2] : "";
	c->default_expr = n == 4 ? parts[3] : "";
	return 0;
}

static int parse_header(const char *p, size_t len, struct header *h,
			struct ck_err *err)
{
	struct ck_json_iter it;
	struct ck_json_value k, v;
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = ck_json_object_begin(p, len, &it, err)))
		return rc;
	while ((rc = ck_json_object_next(&it, &k, &v, err)) == CK_OK) {
		size_t kl;
		const char *ks = ck_json_str_raw(&k, &kl);

		if (kl == 7 && !memcmp(ks, "columns", 7)) {
			struct ck_json_iter ci;
			struct ck_json_value c;

			if (v.kind != CK_JSON_ARRAY)
				return ck_err_set(err, CK_ERR_PARSE, "columns: not an array");
			ck_json_array_iter(&v, &ci);
			while (ck_json_array_next(&ci, &c, NULL) == CK_OK) {
				if (h->ncols == MAX_COLS ||
				    parse_column(&c, &h->cols[h->ncols]))
					return ck_err_set(err, CK_ERR_PARSE,
							  "column %zu: expected [name, type] or [name, type, kind, expr]",
							  h->ncols);
				h->ncols++;
			}
		} else if (kl == 13 && !memcmp(ks, "with_defaults", 13)) {
			if (v.kind != CK_JSON_TRUE && v.kind != CK_JSON_FALSE)
				return ck_err_set(err, CK_ERR_PARSE, "with_defaults: not a boolean");
			h->with_defaults = v.kind == CK_JSON_TRUE;
		} else {
			return ck_err_set(err, CK_ERR_PARSE, "unknown header key '%.*s'",
					  (int)kl, ks);
		}
	}
	return rc == CK_JSON_END ? CK_OK : rc;
}

/* "insert: [\"a\", \"b\"]": the INSERT's columns, a JSON array of names. */
static void print_insert(const struct ck_schema *schema)
{
	size_t n = ck_schema_insert_count(schema);

	fputs("insert: [", stdout);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *c =
			(const unsigned char *)ck_schema_insert_name(schema, i);

		fputs(i ? ", \"" : "\"", stdout);
		for (; *c; c++) {
			if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else if (*c < 0x20)
				printf("\\u%04x", *c);
			else
				putchar(*c);
		}
		putchar('"');
	}
	puts("]");
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	static struct header h;
	struct ck_schema_opts opts = {0};
	struct ck_schema *schema = NULL;
	struct ck_row_encoder *enc;
	struct ck_row_stats stats = { 0, 0, 0 };
	struct ck_buf buf;
	struct ck_err err;
	unsigned long ok = 0, bad = 0;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: rowbinary_golden CASE.jsonl OUT.bin\n");
		return 2;
	}
	if (!(in = fopen(argv[1], "rb")))
		return die(strerror(errno), NULL);
	if ((n = getline(&line, &cap, in)) <= 0)
		return die("empty case file (line 1 must be the header)", NULL);
	lineno = 1;
	ck_err_clear(&err);
	if (parse_header(line, (size_t)n, &h, &err))
		return die("line 1 (header)", &err);

	opts.with_defaults = h.with_defaults;
	rc = ck_schema_new(h.cols, h.ncols, &opts, &schema, &err);
	if (rc == CK_ERR_UNSUPPORTED) {
		printf("unsupported: %s\n", err.msg);
		return 3;
	}
	if (rc) {
		printf("schema error (%s): %s\n", ck_err_code_name(rc), err.msg);
		return 1;
	}
	if (!(enc = ck_row_encoder_new(schema)))
		return die("out of memory", NULL);
	ck_buf_init(&buf, OUT_MAX);
	printf("format: %s\n", ck_schema_format(schema));
	print_insert(schema);

	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		if (len && line[len - 1] == '\n')
			len--;
		ck_err_clear(&err);
		rc = ck_row_encode_json(enc, line, len, &buf, &stats, &err);
		if (rc) {
			printf("line %lu: %s\n", lineno, err.msg);
			bad++;
		} else {
			ok++;
		}
	}
	if (ferror(in))
		return die("reading the case file", NULL);
	fclose(in);
	free(line);

	if (!(out = fopen(argv[2], "wb")))
		return die(strerror(errno), NULL);
	if ((buf.len && fwrite(buf.data, 1, buf.len, out) != buf.len) ||
	    fclose(out))
		return die("writing the output", NULL);
	printf("rows: ok=%lu bad=%lu unknown_fields=%llu missing_fields=%llu null_defaults=%llu\n",
	       ok, bad, (unsigned long long)stats.unknown_fields,
	       (unsigned long long)stats.missing_fields,
	       (unsigned long long)stats.null_defaults);

	ck_buf_free(&buf);
	ck_row_encoder_destroy(enc);
	ck_schema_destroy(schema);
	return 0;
}
