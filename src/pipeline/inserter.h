/*
 * inserter.h — the insert workers: threads that take closed batches and
 * insert them into ClickHouse, synchronously, retrying until acknowledged.
 *
 * The pipeline thread submits a batch and goes on filling the next one; a
 * worker sends it and, on failure, retries the identical body with capped
 * exponential backoff (with jitter) for as long as it takes. A batch comes
 * back through the done queue only when ClickHouse acknowledged it
 * (CK_BATCH_INSERTED) or when shutdown abandoned it (CK_BATCH_ABANDONED);
 * it is never dropped. Ordering per partition is the pipeline's job: it
 * never has two batches of one partition in the inserter at once.
 *
 * Each worker owns one ClickHouse client (one keep-alive connection).
 */
#ifndef CK_INSERTER_H
#define CK_INSERTER_H

#include <stddef.h>
#include <stdint.h>

#include "clickhouse/client.h"
#include "common/err.h"
#include "pipeline/batch.h"

struct ck_inserter_route {
	const char *sql;   /* INSERT INTO ... FORMAT ... (borrowed) */
	const char *params; /* "&setting=value..." for its inserts (borrowed) */
	const char *table; /* "db.table" for logs (borrowed) */
	/*
	 * Exactly-once with nothing on the server that drops a re-sent batch
	 * (no token, or a token on a table with no deduplication window): an
	 * insert whose outcome is unknown comes back for a replay with the
	 * offset check instead of being re-sent.
	 */
	bool replay_unknown;
};

struct ck_inserter_opts {
	const struct ck_ch_opts *ch;
	int workers;
	int64_t initial_backoff_ms;
	int64_t max_backoff_ms;
	const struct ck_inserter_route *routes; /* indexed by batch->route */
	size_t nroutes;
	/* Called from a worker thread after a batch was put on the done queue. */
	void (*notify)(void *arg);
	void *notify_arg;
};

struct ck_inserter;

/* Starts the workers. The caller owns *out. opts' pointers are borrowed. */
int ck_inserter_new(const struct ck_inserter_opts *opts,
		    struct ck_inserter **out, struct ck_err *err);

/*
 * Queues batch for insertion; takes ownership. Batches linked through
 * ->group go in one insert, and come back one by one. Pipeline thread.
 */
void ck_inserter_submit(struct ck_inserter *ins, struct ck_batch *batch);

/*
 * Returns a finished batch (ownership back to the caller) or NULL if none
 * is ready. Never blocks.
 */
struct ck_batch *ck_inserter_take_done(struct ck_inserter *ins);

/* Blocks until a finished batch is ready or timeout_ms passed. */
void ck_inserter_wait_done(struct ck_inserter *ins, int64_t timeout_ms);

/* Batches submitted and not yet taken back. */
size_t ck_inserter_outstanding(struct ck_inserter *ins);

/*
 * Stops retrying and cancels transfers in progress: every outstanding batch
 * comes back promptly, CK_BATCH_ABANDONED unless it was already acknowledged.
 */
void ck_inserter_abort(struct ck_inserter *ins);

/*
 * Aborts and joins the workers. Afterwards no worker runs and the notify
 * hook is never called again (librdkafka must not be woken while the
 * consumer closes); batches already done can still be taken back.
 */
void ck_inserter_stop(struct ck_inserter *ins);

/* Stops (if not yet), frees; batches not taken back are freed. */
void ck_inserter_destroy(struct ck_inserter *ins);

#endif
