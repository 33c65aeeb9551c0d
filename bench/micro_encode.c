/*
 * micro_encode.c — decode + encode alone, no network: how long
 * ck_row_encode_json takes per row on the narrow and wide workloads.
 *
 *   bench_encode [--workload narrow|wide|both] [--rows N] [--reps R]
 *                [--seed S]
 *   bench_encode --emit narrow|wide [--rows N] [--seed S]
 *   bench_encode --ddl narrow|wide [--table NAME]
 *
 * The default mode generates N rows (deterministic from the seed) into one
 * contiguous buffer, builds the schema with ck_schema_new from the same
 * column descriptions the benchmark's ClickHouse table uses (--ddl prints
 * that table), and times ck_row_encode_json over all rows R times. The
 * output buffer is reset every BATCH_ROWS rows, like a batch. It prints the
 * min and median ns per row, and the matching rows/s and MB/s of JSON input.
 *
 * --emit writes the same rows as JSON lines to stdout: bench/run.sh
 * produces them into Kafka, so the micro-benchmark and the end-to-end runs
 * see the same data.
 *
 * Workloads (column types all exist on ClickHouse 18.16, so every contender
 * — chute, the Kafka engine, clickhouse-client's JSONEachRow — reads them
 * the same way; the epoch-ms timestamp is a UInt64 for that reason):
 *   narrow  ~200 B: 3 ids, an epoch-ms timestamp, 3 low-cardinality
 *           strings, a float, a bool, a URL path.
 *   wide    ~1.2 KB: ids, timestamp, low-cardinality strings, an integer,
 *           floats, a bool, a ~100-character and a ~1000-character string.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "map/row.h"
#include "map/schema.h"

#define BATCH_ROWS 100000u

static const struct ck_column_desc NARROW_COLS[] = {
	{"event_id", "UInt64", "", ""},
	{"user_id", "UInt32", "", ""},
	{"session_id", "UInt64", "", ""},
	{"ts", "UInt64", "", ""},
	{"event_type", "String", "", ""},
	{"country", "String", "", ""},
	{"device", "String", "", ""},
	{"duration", "Float64", "", ""},
	{"is_mobile", "UInt8", "", ""},
	{"path", "String", "", ""},
};

static const struct ck_column_desc WIDE_COLS[] = {
	{"id", "UInt64", "", ""},
	{"account_id", "UInt32", "", ""},
	{"ts", "UInt64", "", ""},
	{"status", "String", "", ""},
	{"region", "String", "", ""},
	{"quantity", "Int32", "", ""},
	{"price", "Float64", "", ""},
	{"score", "Float32", "", ""},
	{"active", "UInt8", "", ""},
	{"title", "String", "", ""},
	{"body", "String", "", ""},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const EVENT_TYPES[] = {
	"page_view", "click", "add_to_cart", "purchase",
	"signup", "login", "logout", "search"};
static const char *const COUNTRIES[] = {
	"US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "ES",
	"IT", "NL", "SE", "PL", "MX", "KR", "CN", "RU", "ZA", "AR"};
static const char *const DEVICES[] = {"desktop", "mobile", "tablet"};
static const char *const SECTIONS[] = {
	"products", "blog", "account", "checkout", "search", "help"};
static const char *const STATUSES[] = {
	"new", "pending", "shipped", "delivered", "cancelled", "returned"};
static const char *const REGIONS[] = {
	"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"};
static const char WORDS[] =
	"lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
	"eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim "
	"ad minim veniam quis nostrud exercitation ullamco laboris nisi ut "
	"aliquip ex ea commodo consequat duis aute irure dolor in "
	"reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla "
	"pariatur excepteur sint occaecat cupidatat non proident sunt in "
	"culpa qui officia deserunt mollit anim id est laborum ";

#define PICK(arr, r) ((arr)[(r) % (sizeof(arr) / sizeof((arr)[0]))])

/* splitmix64: small, fast, deterministic on every platform. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Appends n characters of text (escape-free) starting at a random word. */
static void put_text(struct ck_buf *b, uint64_t *s, size_t n)
{
	size_t wl = sizeof(WORDS) - 1;
	size_t pos = (size_t)(rng_next(s) % wl);
	while (n > 0) {
		size_t take = wl - pos < n ? wl - pos : n;
		(void)ck_buf_append(b, WORDS + pos, take, NULL);
		n -= take;
		pos = 0;
	}
}

static void gen_narrow(struct ck_buf *b, uint64_t i, uint64_t *s)
{
	uint64_t r1 = rng_next(s), r2 = rng_next(s), r3 = rng_next(s);
	const uint64_t ts = 1700000000000ULL + i * 3 + (r1 % 3);
	(void)ck_buf_printf(
		b, NULL,
		"{\"event_id\":%llu,\"user_id\":%u,\"session_id\":%llu,"
		"\"ts\":%llu,\"event_type\":\"%s\",\"country\":\"%s\","
		"\"device\":\"%s\",\"duration\":%u.%03u,\"is_mobile\":%s,"
		"\"path\":\"/%s/category-%u/item-%u?ref=%s\"}",
		(unsigned long long)(1000000000ULL + i),
		(unsigned)(r1 % 1000000),
		(unsigned long long)(r2 % 10000000000ULL),
		(unsigned long long)ts, PICK(EVENT_TYPES, r1 >> 20),
		PICK(COUNTRIES, r2 >> 20), PICK(DEVICES, r3 >> 20),
		(unsigned)(r3 % 600), (unsigned)((r3 >> 10) % 1000),
		(r1 >> 40) & 1 ? "true" : "false", PICK(SECTIONS, r2 >> 40),
		(unsigned)((r3 >> 30) % 100), (unsigned)((r3 >> 40) % 100000),
		PICK(EVENT_TYPES, r3 >> 50));
}

static void gen_wide(struct ck_buf *b, uint64_t i, uint64_t *s)
{
	uint64_t r1 = rng_next(s), r2 = rng_next(s), r3 = rng_next(s);
	(void)ck_buf_printf(
		b, NULL,
		"{\"id\":%llu,\"account_id\":%u,\"ts\":%llu,\"status\":\"%s\","
		"\"region\":\"%s\",\"quantity\":%d,\"price\":%u.%02u,"
		"\"score\":%u.%04u,\"active\":%s,\"title\":\"",
		(unsigned long long)(5000000000ULL + i),
		(unsigned)(r1 % 100000),
		(unsigned long long)(1700000000000ULL + i * 7 + r1 % 7),
		PICK(STATUSES, r1 >> 20), PICK(REGIONS, r2 >> 20),
		(int)(r2 % 201) - 100, (unsigned)(r3 % 10000),
		(unsigned)((r3 >> 20) % 100), (unsigned)((r3 >> 30) % 100),
		(unsigned)((r3 >> 40) % 10000),
		(r1 >> 40) & 1 ? "true" : "false");
	put_text(b, s, 90 + (size_t)(r2 >> 50) % 21);
	(void)ck_buf_append(b, "\",\"body\":\"", 10, NULL);
	put_text(b, s, 950 + (size_t)(r3 >> 50) % 101);
	(void)ck_buf_append(b, "\"}", 2, NULL);
}

struct workload {
	const char *name;
	const struct ck_column_desc *cols;
	size_t ncols;
	void (*gen)(struct ck_buf *, uint64_t, uint64_t *);
};

static const struct workload WORKLOADS[] = {
	{"narrow", NARROW_COLS, NCOLS(NARROW_COLS), gen_narrow},
	{"wide", WIDE_COLS, NCOLS(WIDE_COLS), gen_wide},
};

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < NCOLS(WORKLOADS); i++)
		if (strcmp(WORKLOADS[i].name, name) == 0)
			return &WORKLOADS[i];
	fprintf(stderr, "bench_encode: unknown workload '%s'\n", name);
	exit(2);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* All rows back to back in data; row i is [off[i], off[i+1]). */
struct rows {
	struct ck_buf data;
	size_t *off;
	size_t n;
};

static void gen_rows(const struct workload *w, size_t n, uint64_t seed,
		     struct rows *rows)
{
	uint64_t s = seed;
	ck_buf_init(&rows->data, (size_t)1 << 40);
	rows->off = malloc((n + 1) * sizeof(*rows->off));
	if (!rows->off) {
		fprintf(stderr, "bench_encode: out of memory\n");
		exit(1);
	}
	rows->n = n;
	for (size_t i = 0; i < n; i++) {
		rows->off[i] = rows->data.len;
		w->gen(&rows->data, i, &s);
	}
	rows->off[n] = rows->data.len;
}

static int run_workload(const struct workload *w, size_t n, int reps,
			uint64_t seed)
{
	struct ck_schema_opts opts = {0};
	struct ck_schema *schema = NULL;
	struct ck_row_encoder *enc;
	struct ck_row_stats stats = {0};
	struct ck_err err;
	struct ck_buf out;
	struct rows rows;
	double *per_row;
	size_t out_bytes = 0;

	ck_err_clear(&err);
	if (ck_schema_new(w->cols, w->ncols, &opts, &schema, &err)) {
		fprintf(stderr, "bench_encode: schema: %s\n", err.msg);
		return 1;
	}
	enc = ck_row_encoder_new(schema);
	per_row = calloc((size_t)reps, sizeof(*per_row));
	if (!enc || !per_row) {
		fprintf(stderr, "bench_encode: out of memory\n");
		return 1;
	}
	gen_rows(w, n, seed, &rows);
	ck_buf_init(&out, (size_t)1 << 32);

	/* One untimed pass warms the caches and sizes the output buffer. */
	for (int rep = -1; rep < reps; rep++) {
		double t0 = now_ns();
		out_bytes = 0;
		ck_buf_reset(&out);
		for (size_t i = 0; i < n; i++) {
			if (ck_row_encode_json(
				    enc, (const char *)rows.data.data + rows.off[i],
				    rows.off[i + 1] - rows.off[i], &out, &stats,
				    &err)) {
				fprintf(stderr, "bench_encode: row %zu: %s\n", i,
					err.msg);
				return 1;
			}
			if ((i + 1) % BATCH_ROWS == 0) {
				out_bytes += out.len;
				ck_buf_reset(&out);
			}
		}
		out_bytes += out.len;
		if (rep >= 0)
			per_row[rep] = (now_ns() - t0) / (double)n;
	}
	qsort(per_row, (size_t)reps, sizeof(*per_row), cmp_double);

	double in_per_row = (double)rows.data.len / (double)n;
	double med = reps % 2 ? per_row[reps / 2]
			      : (per_row[reps / 2 - 1] + per_row[reps / 2]) / 2;
	double mn = per_row[0];
	printf("%-7s rows=%zu reps=%d json=%.0fB/row rowbinary=%.0fB/row  "
	       "min %.1f ns/row (%.2f M rows/s, %.0f MB/s)  "
	       "median %.1f ns/row (%.2f M rows/s, %.0f MB/s)  max %.1f\n",
	       w->name, n, reps, in_per_row, (double)out_bytes / (double)n,
	       mn, 1e3 / mn, in_per_row * 1e3 / mn, med, 1e3 / med,
	       in_per_row * 1e3 / med, per_row[reps - 1]);
	if (stats.unknown_fields || stats.missing_fields || stats.null_defaults)
		printf("        (unknown %llu, missing %llu, null defaults %llu)\n",
		       (unsigned long long)stats.unknown_fields,
		       (unsigned long long)stats.missing_fields,
		       (unsigned long long)stats.null_defaults);

	ck_buf_free(&out);
	ck_buf_free(&rows.data);
	free(rows.off);
	free(per_row);
	ck_row_encoder_destroy(enc);
	ck_schema_destroy(schema);
	return 0;
}

static int emit(const struct workload *w, size_t n, uint64_t seed)
{
	struct ck_buf b;
	uint64_t s = seed;
	ck_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < n; i++) {
		w->gen(&b, i, &s);
		(void)ck_buf_put_u8(&b, '\n', NULL);
		if (b.len > (1u << 20) || i + 1 == n) {
			if (fwrite(b.data, 1, b.len, stdout) != b.len) {
				perror("bench_encode: write");
				return 1;
			}
			ck_buf_reset(&b);
		}
	}
	ck_buf_free(&b);
	return fflush(stdout) ? 1 : 0;
}

static void ddl(const struct workload *w, const char *table)
{
	printf("CREATE TABLE %s (", table);
	for (size_t i = 0; i < w->ncols; i++)
		printf("%s%s %s", i ? ", " : "", w->cols[i].name,
		       w->cols[i].type);
	printf(") ENGINE = MergeTree ORDER BY %s\n", w->cols[0].name);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_encode [--workload narrow|wide|both] [--rows N] "
		"[--reps R] [--seed S]\n"
		"       bench_encode --emit narrow|wide [--rows N] [--seed S]\n"
		"       bench_encode --ddl narrow|wide [--table NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *workload = "both", *emit_w = NULL, *ddl_w = NULL;
	const char *table = "bench_events";
	size_t n = 200000;
	int reps = 7;
	uint64_t seed = 42;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--workload") == 0)
			workload = argv[++i];
		else if (strcmp(a, "--rows") == 0)
			n = (size_t)strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--reps") == 0)
			reps = atoi(argv[++i]);
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--emit") == 0)
			emit_w = argv[++i];
		else if (strcmp(a, "--ddl") == 0)
			ddl_w = argv[++i];
		else if (strcmp(a, "--table") == 0)
			table = argv[++i];
		else
			usage();
	}
	if (n == 0 || reps < 1)
		usage();
	if (ddl_w) {
		ddl(find_workload(ddl_w), table);
		return 0;
	}
	if (emit_w)
		return emit(find_workload(emit_w), n, seed);
	if (strcmp(workload, "both") == 0) {
		int rc = run_workload(&WORKLOADS[0], n, reps, seed);
		return rc ? rc : run_workload(&WORKLOADS[1], n / 4 ? n / 4 : 1,
					      reps, seed);
	}
	return run_workload(find_workload(workload), n, reps, seed);
}
