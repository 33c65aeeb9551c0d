/*
 * batch.h — a batch: the encoded rows of one contiguous offset range of one
 * partition, on its way to one table.
 *
 * A batch covers every message in [first_offset, last_offset], including
 * messages that were skipped as bad input: committing last_offset + 1 after
 * the insert therefore never re-reads a poison message and never skips a
 * good one. A batch can hold zero rows (every message was bad); it still
 * moves the committed offset, in order, without an insert.
 *
 * Batches are recycled: a batch's buffer keeps its allocation between uses,
 * so steady-state batching allocates nothing.
 *
 * Thread context: a batch is owned by the pipeline thread while it fills,
 * then by exactly one inserter thread, then by the pipeline thread again.
 * The queues that move it carry the ownership.
 */
#ifndef CK_BATCH_H
#define CK_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"
#include "dlq/dlq.h"

enum ck_batch_status {
	CK_BATCH_FILLING,
	CK_BATCH_INSERTED, /* acknowledged by ClickHouse (or had no rows) */
	CK_BATCH_ABANDONED, /* not inserted; its offsets must not be committed */
	/*
	 * Exactly-once without a deduplication token: the insert's outcome is
	 * unknown (the connection ended after the body left, or 319). The
	 * identical batch must not be sent again; the pipeline replays the
	 * range with the offset check, as a new owner would.
	 */
	CK_BATCH_UNKNOWN,
};

/* Where a row of a batch ends in its buffer, and the message it came from. */
struct ck_batch_row {
	int64_t offset;
	size_t end;
};

/* A row the server refused as bad data when the batch was split. */
struct ck_batch_reject {
	int64_t offset;
	int code;      /* ClickHouse error code (0: none) */
	char msg[256]; /* the server's message */
};

struct ck_batch {
	struct ck_buf rows;  /* encoded rows */
	/*
	 * One entry per row, in order: a batch the server refuses as bad
	 * data is split along these to isolate the rows it refuses
	 * (inserter.c), which end up in rejects.
	 */
	struct ck_batch_row *index;
	size_t index_cap;
	struct ck_batch_reject *rejects;
	size_t nrejects;
	size_t rejects_cap;
	size_t rejects_done; /* how many of them the pipeline has handled */
	/*
	 * The most bytes rows ever held since its storage was allocated: what
	 * the pipeline counts against memory_budget (the pages touched).
	 */
	size_t mem;
	uint64_t nrows;
	uint64_t nmessages;  /* messages covered, rows + skipped */
	int64_t first_offset;
	int64_t last_offset;
	int64_t opened_ms;   /* monotonic time of the first message */
	int64_t first_ts_ms; /* Kafka timestamp of the first message */
	/* Stage times (monotonic) for the per-batch debug line. */
	int64_t sealed_ms;   /* closed */
	const char *sealed_by; /* "rows", "bytes", "max_wait", ... */
	int64_t started_ms;  /* an insert worker took it */

	size_t route;        /* index into the config's routes */
	/*
	 * The INSERT the rows were encoded for, and its URL settings
	 * (borrowed from the route, which keeps every version it had: schema
	 * evolution changes the column list while older batches are still
	 * on their way).
	 */
	const char *sql;
	const char *params;
	int32_t partition;
	uint64_t epoch;      /* assignment epoch of the partition */
	/*
	 * Exactly-once (docs/delivery.md): the recorded range this batch
	 * stands for (eo_last -1: at-least-once) and its
	 * insert_deduplication_token ("" when the server has none). A
	 * recovered range can hold fewer messages than it names, when
	 * retention or the offset check removed some.
	 */
	int64_t eo_first;
	int64_t eo_last;
	char token[320];
	bool recorded;       /* the range is in the Kafka commit */
	/*
	 * Set by the pipeline when the partition was revoked or lost: the
	 * insert worker stops retrying, so an old owner does not insert a
	 * range that the new owner is replaying.
	 */
	atomic_bool cancelled;
	/*
	 * The batch's bad records sent to the dead-letter topic: its offsets
	 * are committed only once the broker acknowledged them all
	 * (dlq_ticket.pending == 0). dlq_waiting: inserted, waiting for that.
	 */
	struct ck_dlq_ticket dlq_ticket;
	bool dlq_waiting;

	enum ck_batch_status status;
	int attempts;        /* insert attempts made */
	int64_t insert_ms;   /* time from first attempt to acknowledgement */
	struct ck_err err;   /* last insert error, for logs */

	/*
	 * batch.scope table: the next batch (of another partition) sent in
	 * the same insert. The pipeline links a group and submits its first
	 * batch; every member comes back through the done queue on its own.
	 */
	struct ck_batch *group;
	/* What of it the route's open totals count (pipeline.c). */
	uint64_t counted_rows;
	size_t counted_bytes;

	struct ck_batch *next; /* queue link */
};

/*
 * Allocates an empty batch whose buffer may grow to max_bytes. Returns NULL
 * on allocation failure.
 */
struct ck_batch *ck_batch_new(size_t max_bytes);

/* Frees a batch; NULL is a no-op. */
void ck_batch_destroy(struct ck_batch *batch);

/* Makes a batch empty for reuse, keeping its buffer's allocation. */
void ck_batch_reset(struct ck_batch *batch, size_t route, int32_t partition,
		    uint64_t epoch);

/*
 * Notes that the row just appended to batch->rows came from the message at
 * offset (call after nrows++). CK_ERR_NOMEM if the index cannot grow.
 */
int ck_batch_index_row(struct ck_batch *batch, int64_t offset);

/* The bytes of rows [lo, hi) of batch, as indexed. */
struct ck_slice ck_batch_rows_slice(const struct ck_batch *batch, size_t lo,
				    size_t hi);

/*
 * Adds a refused row to batch->rejects. CK_ERR_NOMEM if the list cannot
 * grow.
 */
int ck_batch_add_reject(struct ck_batch *batch, int64_t offset, int code,
			const char *msg);

/*
 * The query_id of a batch's inserts: the same for every attempt at one
 * range, by any owner, so that two inserts of a range never run at once
 * (the server refuses the second with 216) and a new owner can see an old
 * owner's insert in system.processes. Returns false if it does not fit.
 */
bool ck_batch_query_id(char *out, size_t cap, const char *table,
		       int32_t partition, int64_t first, int64_t last);

/* Records that the message at offset is covered by the batch. */
void ck_batch_cover(struct ck_batch *batch, int64_t offset, int64_t now_ms,
		    int64_t kafka_ts_ms);

/*
 * The batching policy: true when the batch must be closed now — it reached
 * max_rows or max_bytes, or its first message is max_wait old. An empty
 * batch is never due.
 */
bool ck_batch_due(const struct ck_batch *batch,
		  const struct ck_batch_policy *policy, int64_t now_ms);

/* True when the batch reached max_rows or max_bytes. */
bool ck_batch_full(const struct ck_batch *batch,
		   const struct ck_batch_policy *policy);

/*
 * Milliseconds until the batch becomes due by age (0 if due now), or -1 if
 * it is empty. The pipeline sleeps at most this long.
 */
int64_t ck_batch_wait_ms(const struct ck_batch *batch,
			 const struct ck_batch_policy *policy, int64_t now_ms);

/* A FIFO of batches linked through ->next. Not synchronised. */
struct ck_batch_queue {
	struct ck_batch *head;
	struct ck_batch *tail;
	size_t len;
};

void ck_batch_queue_push(struct ck_batch_queue *queue, struct ck_batch *batch);
struct ck_batch *ck_batch_queue_pop(struct ck_batch_queue *queue);

#endif
