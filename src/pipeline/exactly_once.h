/*
 * exactly_once.h — the pieces of exactly-once delivery that are pure logic
 * (docs/delivery.md#exactly-once-mode): the pending-range record kept in
 * Kafka commit metadata, the deduplication token, and the start-up verdict
 * on whether a table can be served exactly once.
 *
 * The record is the metadata of the partition's committed offset:
 *
 *   chute1 e=<epoch, 16 hex digits>                 nothing pending
 *   chute1 e=<epoch> p=<first>-<last>               [first, last] may have
 *                                                   been sent to ClickHouse
 *
 * The committed offset is then `first`: whoever owns the partition next
 * rebuilds exactly [first, last] and inserts it with the same token.
 * Metadata comes from the broker, and any client of the group can write
 * it: the parser treats it as untrusted input (fuzz/fuzz_eo.c).
 */
#ifndef CK_EXACTLY_ONCE_H
#define CK_EXACTLY_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct ck_eo_record {
	bool found;       /* the metadata is a chute record */
	uint64_t epoch;   /* random per partition lifetime; see delivery.md */
	bool pending;     /* [first, last] below is recorded */
	int64_t first;
	int64_t last;
};

/* Room for any record: "chute1 e=" 16 hex, " p=" two 19-digit numbers. */
#define CK_EO_META_MAX 96

/* Formats rec into out (CK_EO_META_MAX bytes); returns its length. */
size_t ck_eo_meta_format(char *out, const struct ck_eo_record *rec);

/*
 * Parses metadata [meta, meta+len). CK_OK fills rec; rec->found is false
 * when the metadata is empty or not chute's (another tool, or chute in
 * at-least-once mode, committed it: no epoch, nothing pending).
 * CK_ERR_PARSE with a reason when it starts with "chute1 " but is
 * malformed (a range with last < first, a bad number...).
 */
int ck_eo_meta_parse(const char *meta, size_t len, struct ck_eo_record *rec,
		     struct ck_err *err);

/*
 * The insert_deduplication_token of a range:
 * chute1:<epoch hex>:<topic>:<partition>:<first>-<last>. Returns the
 * length, or 0 if it does not fit in cap.
 */
size_t ck_eo_token(char *out, size_t cap, uint64_t epoch, const char *topic,
		   int32_t partition, int64_t first, int64_t last);

/* What chute knows at start-up about one route's table and server. */
struct ck_eo_target {
	const char *topic;
	const char *table;       /* db.table */
	const char *version;     /* the server's version() */
	bool token;              /* the server has insert_deduplication_token */
	const char *engine;      /* system.tables engine name */
	/* non_replicated_deduplication_window of the table; -1 unknown */
	int64_t window;
	bool offset_columns;     /* topic, partition and offset are mapped */
};

enum ck_eo_verdict {
	CK_EO_SERVE,  /* exactly once */
	CK_EO_WARN,   /* exactly once with a stated limit; note says which */
	CK_EO_REFUSE, /* cannot: note says why and what to change */
};

/* How the pipeline makes a route's inserts exactly once. */
struct ck_eo_plan {
	bool send_token;    /* insert_deduplication_token on every insert */
	/*
	 * The server drops a re-sent token: a replicated table, or a
	 * non-replicated one with a deduplication window. Without it (window
	 * 0) the token is sent but stops nothing, and an insert whose outcome
	 * is unknown must be replayed with the offset check, not re-sent.
	 */
	bool token_dedups;
	bool check_offsets; /* recovery reads the offsets already in the table */
};

/*
 * Decides, from docs/delivery.md's table, whether exactly-once can be kept
 * for t; fills plan, and note with a one-line message for WARN and REFUSE
 * (E1-E3 of the design).
 */
enum ck_eo_verdict ck_eo_decide(const struct ck_eo_target *t,
				struct ck_eo_plan *plan, struct ck_err *note);

#endif
