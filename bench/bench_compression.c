/*
 * bench_compression.c — what clickhouse.compression costs and saves on one
 * 16 MiB RowBinary batch of narrow event rows, sent to a real server.
 *
 *   bench_compression <clickhouse-url> [server-pid]
 *
 * Creates default.chute_bench_z (MergeTree), then for each compression
 * inserts the same batch 5 times and prints the medians of: bytes sent,
 * client CPU (this thread: compression + sending), insert wall time, and
 * server CPU (utime+stime of server-pid from /proc, if given). A server that
 * refuses a Content-Encoding (89) still shows the client-side numbers.
 *
 * Row (33-40 bytes):  id UInt64 (sequential), ts DateTime (one second per
 * 100 rows), user_id UInt32 (pseudo-random below 100000), kind String (one
 * of 8 words), value Float64 (pseudo-random with 2 decimals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse/client.h"

#define RUNS 5
#define BATCH_BYTES (16u << 20)

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double proc_cpu_s(const char *pid)
{
	char path[64], line[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(line, ')');
	/* fields after ")": state(3) ... utime(14) stime(15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				"%lu %lu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / 100.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

static void build_batch(struct ck_buf *rows, size_t *nrows)
{
	static const char *const kinds[] = {"click", "view",  "purchase",
					    "login", "logout", "search",
					    "scroll", "share"};
	uint32_t seed = 12345;

	*nrows = 0;
	while (rows->len + 64 < BATCH_BYTES) {
		uint64_t id = *nrows;
		uint32_t ts = 1700000000u + (uint32_t)(id / 100);
		const char *kind;
		double value;

		seed = seed * 1103515245u + 12345u;
		uint32_t user = (seed >> 8) % 100000u;
		seed = seed * 1103515245u + 12345u;
		kind = kinds[(seed >> 16) % 8];
		seed = seed * 1103515245u + 12345u;
		value = (double)((seed >> 8) % 100000u) / 100.0;
		ck_buf_put_le(rows, id, 8, NULL);
		ck_buf_put_le(rows, ts, 4, NULL);
		ck_buf_put_le(rows, user, 4, NULL);
		ck_buf_put_u8(rows, (uint8_t)strlen(kind), NULL);
		ck_buf_append(rows, kind, strlen(kind), NULL);
		{
			uint64_t bits;
			memcpy(&bits, &value, 8);
			ck_buf_put_le(rows, bits, 8, NULL);
		}
		(*nrows)++;
	}
}

int main(int argc, char **argv)
{
	const char *pid = argc > 2 ? argv[2] : NULL;
	struct ck_buf rows, out;
	struct ck_err err;
	size_t nrows;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_compression URL [server-pid]\n");
		return 2;
	}
	ck_ch_global_init(&err);
	ck_buf_init(&rows, BATCH_BYTES);
	ck_buf_init(&out, 1u << 20);
	build_batch(&rows, &nrows);
	printf("batch: %zu rows, %zu bytes RowBinary\n", nrows, rows.len);
	printf("%-6s %12s %7s %14s %12s %14s  %s\n", "codec", "sent bytes",
	       "ratio", "client CPU ms", "insert ms", "server CPU ms",
	       "result");
	for (int c = CK_COMPRESSION_NONE; c <= CK_COMPRESSION_LZ4; c++) {
		struct ck_ch_opts opts = {
			.url = argv[1],
			.database = "default",
			.user = "default",
			.password = "",
			.connect_timeout_ms = 5000,
			.request_timeout_ms = 120000,
			.compression = (enum ck_compression)c,
		};
		struct ck_ch_client *client = ck_ch_client_new(&opts, &err);
		double cpu[RUNS], wall[RUNS], srv[RUNS];
		int rc = CK_OK;

		if (!client)
			return 1;
		if (c == CK_COMPRESSION_NONE) {
			ck_ch_query(client,
				    "DROP TABLE IF EXISTS chute_bench_z", &out,
				    NULL);
			if (ck_ch_query(client,
					"CREATE TABLE chute_bench_z (id UInt64, "
					"ts DateTime, user_id UInt32, kind "
					"String, value Float64) ENGINE = "
					"MergeTree ORDER BY id",
					&out, &err)) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
		}
		for (int r = 0; r < RUNS; r++) {
			double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
			double w0 = now_s(CLOCK_MONOTONIC);
			double s0 = proc_cpu_s(pid);

			rc = ck_ch_insert(client,
					  "INSERT INTO chute_bench_z FORMAT "
					  "RowBinary",
					  NULL, NULL, rows.data, rows.len, &err);
			cpu[r] = (now_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3;
			wall[r] = (now_s(CLOCK_MONOTONIC) - w0) * 1e3;
			srv[r] = (proc_cpu_s(pid) - s0) * 1e3;
		}
		printf("%-6s %12zu %7.2f %14.1f %12.1f %14.1f  %s\n",
		       ck_config_compression_name((enum ck_compression)c),
		       ck_ch_last_sent_bytes(client),
		       (double)rows.len / (double)ck_ch_last_sent_bytes(client),
		       median(cpu), median(wall), pid ? median(srv) : 0.0,
		       rc ? err.msg : "ok");
		ck_ch_client_destroy(client);
	}
	ck_buf_free(&rows);
	ck_buf_free(&out);
	ck_ch_global_cleanup();
	return 0;
}
