/*
 * fuzz_dlq.c — libFuzzer harness for reading the chute.* headers of DLQ
 * records (dlq/record.c), which `chute dlq replay` takes from whatever a
 * DLQ topic holds.
 *
 * Input: one header per line, "name=value"; a line without '=' is a
 * header with a null value. Invariants: a parse either fails with
 * CK_ERR_PARSE and a message, or gives a legal topic name and
 * non-negative partition and offset; a filter made from the result
 * matches it; the replay headers hold every non-chute header in order and
 * exactly one chute.* header, chute.replayed.offset, last.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlq/record.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(8), *out = NULL;
	const char *p = (const char *)data, *end = p + size;
	struct ck_dlq_meta meta;
	struct ck_dlq_filter filter;
	struct ck_err err;
	size_t plain = 0;
	int rc;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(line_end - p));

		if (eq)
			rd_kafka_header_add(hdrs, p, eq - p, eq + 1,
					    line_end - (eq + 1));
		else
			rd_kafka_header_add(hdrs, p, line_end - p, NULL, 0);
		p = nl ? nl + 1 : end;
	}
	rc = ck_dlq_meta_parse(hdrs, &meta, &err);
	if (rc) {
		CHECK(rc == CK_ERR_PARSE && err.msg[0]);
	} else {
		size_t len = strlen(meta.topic);
		CHECK(len > 0 && len <= CK_DLQ_TOPIC_MAX);
		CHECK(strspn(meta.topic, "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789._-") == len);
		CHECK(meta.partition >= 0 && meta.offset >= 0);
		CHECK(meta.timestamp_ms >= -1 && meta.clickhouse_code >= 0);
		ck_dlq_filter_init(&filter);
		filter.source_topic = meta.topic;
		filter.partition = meta.partition;
		filter.from_offset = meta.offset;
		filter.to_offset = meta.offset;
		CHECK(ck_dlq_filter_match(&filter, &meta));
	}
	for (size_t i = 0; i < rd_kafka_header_cnt(hdrs); i++) {
		const char *name;
		const void *value;
		size_t vsize;
		CHECK(!rd_kafka_header_get_all(hdrs, i, &name, &value, &vsize));
		plain += strncmp(name, "chute.", 6) != 0;
	}
	CHECK(ck_dlq_headers_for_replay(hdrs, 7, &out, &err) == CK_OK);
	CHECK(rd_kafka_header_cnt(out) == plain + 1);
	for (size_t i = 0; i < plain + 1; i++) {
		const char *name;
		const void *value;
		size_t vsize;
		CHECK(!rd_kafka_header_get_all(out, i, &name, &value, &vsize));
		CHECK((strncmp(name, "chute.", 6) == 0) == (i == plain));
	}
	rd_kafka_headers_destroy(out);
	rd_kafka_headers_destroy(hdrs);
	return 0;
}
