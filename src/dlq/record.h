/*
 * record.h — the layout of a dead-letter record: the chute.* headers that
 * say where a bad record came from and why it was refused, and their way
 * back (chute dlq replay).
 *
 * A DLQ record is the original record unchanged (key, value, timestamp,
 * headers in their order), followed by these headers. Every value is plain
 * text. Numbers are decimal digits: chute writes no sign and no leading
 * zeros, and the reader accepts 1 to 19 digits within the field's range:
 *
 *   NAME                      VALUE                          WHEN
 *   chute.source.topic        the source topic               always
 *   chute.source.partition    source partition, decimal      always
 *   chute.source.offset       source offset, decimal         always
 *   chute.source.timestamp    record timestamp, epoch ms     if it had one
 *   chute.stage               decode | convert | insert      always
 *   chute.error.class         bad_data | ...                 always
 *   chute.error.message       the error text                 always
 *   chute.clickhouse.code     ClickHouse error code          if non-zero
 *
 * A replayed record carries the original headers with every header whose
 * name starts with "chute." removed, plus chute.replayed.offset (the source
 * offset it was dead-lettered from).
 *
 * Headers read back from Kafka are untrusted input: ck_dlq_meta_parse
 * checks every value and never reads past a header's length
 * (fuzz/fuzz_dlq_headers.c). When a header appears more than once, the
 * last one counts: a record that was replayed and dead-lettered again
 * carries the newest chute.* headers last.
 *
 * Everything here is pure (no broker, no I/O) and thread-compatible.
 */
#ifndef CK_DLQ_RECORD_H
#define CK_DLQ_RECORD_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CK_DLQ_H_TOPIC "chute.source.topic"
#define CK_DLQ_H_PARTITION "chute.source.partition"
#define CK_DLQ_H_OFFSET "chute.source.offset"
#define CK_DLQ_H_TIMESTAMP "chute.source.timestamp"
#define CK_DLQ_H_STAGE "chute.stage"
#define CK_DLQ_H_CLASS "chute.error.class"
#define CK_DLQ_H_MESSAGE "chute.error.message"
#define CK_DLQ_H_CH_CODE "chute.clickhouse.code"
#define CK_DLQ_H_REPLAYED "chute.replayed.offset"

/* Kafka's longest topic name. */
#define CK_DLQ_TOPIC_MAX 249

/* Where a bad record came from (all borrowed). */
struct ck_dlq_source {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t timestamp_ms;		   /* -1: the record had none */
	const rd_kafka_headers_t *headers; /* NULL: none */
};

/* Why it was refused (all borrowed). */
struct ck_dlq_reason {
	const char *stage;	 /* "decode" | "convert" | "insert" */
	const char *error_class; /* "bad_data" | ... */
	const char *message;
	int clickhouse_code; /* 0: none */
};

/*
 * Builds the headers of a DLQ record: a copy of src->headers, then the
 * chute.* headers above. The caller owns *out (rd_kafka_headers_destroy).
 * CK_ERR_NOMEM only.
 */
int ck_dlq_headers_build(const struct ck_dlq_source *src,
			 const struct ck_dlq_reason *reason,
			 rd_kafka_headers_t **out, struct ck_err *err);

/* The chute.* headers of a DLQ record, parsed and checked. */
struct ck_dlq_meta {
	char topic[CK_DLQ_TOPIC_MAX + 1]; /* a legal topic name */
	int32_t partition;		  /* >= 0 */
	int64_t offset;			  /* >= 0 */
	int64_t timestamp_ms;		  /* -1: none */
	/* Borrowed from the headers; not NUL-terminated; NULL if absent. */
	const char *stage;
	size_t stage_len;
	const char *error_class;
	size_t error_class_len;
	int clickhouse_code; /* 0: none */
};

/*
 * Reads the chute.* headers of hdrs (borrowed; meta's stage and
 * error_class point into it). chute.source.topic, .partition and .offset
 * are required. CK_ERR_PARSE naming the header if one is missing or
 * malformed; meta is then unspecified.
 */
int ck_dlq_meta_parse(const rd_kafka_headers_t *hdrs, struct ck_dlq_meta *meta,
		      struct ck_err *err);

/* Which DLQ records to replay. Each unset field matches everything. */
struct ck_dlq_filter {
	const char *source_topic; /* NULL: any */
	int32_t partition;	  /* -1: any (the source partition) */
	int64_t from_offset;	  /* -1: no lower bound; inclusive */
	int64_t to_offset;	  /* -1: no upper bound; inclusive */
	const char *stage;	  /* NULL: any */
	const char *error_class;  /* NULL: any */
};

/* A filter that matches every record. */
void ck_dlq_filter_init(struct ck_dlq_filter *filter);

bool ck_dlq_filter_match(const struct ck_dlq_filter *filter,
			 const struct ck_dlq_meta *meta);

/*
 * The headers of a replayed record: hdrs (NULL: none) without any
 * "chute."-prefixed header, plus chute.replayed.offset = source_offset.
 * The caller owns *out. CK_ERR_NOMEM only.
 */
int ck_dlq_headers_for_replay(const rd_kafka_headers_t *hdrs,
			      int64_t source_offset, rd_kafka_headers_t **out,
			      struct ck_err *err);

#endif
