/*
 * inserter.c — insert worker threads. See inserter.h.
 *
 * Synchronisation: one mutex guards both queues and the counters; `work`
 * wakes workers, `done` wakes a pipeline thread blocked in wait_done. The
 * abort flag is atomic so that curl's progress callback can read it without
 * the lock and cut a transfer short.
 */
#include "pipeline/inserter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/failpoint.h"
#include "common/log.h"

struct worker {
	struct ck_inserter *ins;
	struct ck_ch_client *client;
	pthread_t thread;
	bool started;
	unsigned seed;
};

struct ck_inserter {
	struct ck_inserter_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t done_cond;
	struct ck_batch_queue todo;
	struct ck_batch_queue done;
	size_t outstanding;
	bool stopping;
	atomic_bool abort;
	struct worker *workers;
	int nworkers;
};

static void timespec_after_ms(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Sleeps up to ms unless aborted. Returns false if aborted. */
static bool backoff_sleep(struct ck_inserter *ins, int64_t ms)
{
	struct timespec until;
	bool aborted;

	timespec_after_ms(&until, ms);
	pthread_mutex_lock(&ins->lock);
	while (!atomic_load(&ins->abort)) {
		if (pthread_cond_timedwait(&ins->work, &ins->lock, &until) != 0)
			break;
	}
	aborted = atomic_load(&ins->abort);
	pthread_mutex_unlock(&ins->lock);
	return !aborted;
}

/*
 * Waits before the next attempt, between half and all of *backoff (full
 * jitter in the upper half keeps workers from lockstep), then doubles
 * *backoff up to max_backoff. Returns false if aborted.
 */
static bool retry_wait(struct worker *w, int64_t *backoff)
{
	int64_t max = w->ins->opts.max_backoff_ms;
	int64_t sleep_ms = *backoff / 2 +
			   (int64_t)((unsigned)rand_r(&w->seed) %
				     (unsigned)(*backoff / 2 + 1));

	if (!backoff_sleep(w->ins, sleep_ms))
		return false;
	*backoff = *backoff * 2 > max ? max : *backoff * 2;
	return true;
}

/*
 * Splitting a batch the server refuses as bad data (docs/dlq.md): both
 * halves of a refused part are tried, then the refused halves are split
 * again, until each refused row stands alone. A row is taken as refused
 * only once another part of the batch was accepted, which shows the table
 * takes rows at all; if every part down to a single row was refused, the
 * table refuses the rows themselves (it changed), and the batch is retried
 * whole like any other refusal. After SPLIT_MAX_REJECTS refused rows the
 * rest is not split further either.
 */
#define SPLIT_MAX_REJECTS 1000

enum slice_result {
	SLICE_OK,      /* acknowledged */
	SLICE_BAD,     /* refused as bad data (only when asked to return it) */
	SLICE_UNKNOWN, /* exactly-once, nothing drops a re-send: outcome unknown */
	SLICE_STOP,    /* chute is stopping, or the partition was revoked */
	SLICE_WHOLE,   /* every part was refused: retry the batch whole */
};

struct split {
	const char *params; /* the batch's URL settings, without the token */
	char query_id[512]; /* the whole batch's */
	size_t good;        /* parts acknowledged */
	bool gave_up;       /* SPLIT_MAX_REJECTS: parts are retried as they are */
};

/*
 * Whether a refusal can be about some rows only. 32 and 33 mean the server
 * read the body with another layout than chute encoded (a column's type
 * changed): every row is "bad" then, and splitting would only dead-letter
 * good rows.
 */
static bool refusal_is_per_row(int code)
{
	return code != 32 && code != 33;
}

/* What a failed insert's log line tells the operator to check. */
static const char *class_hint(enum ck_ch_class cls)
{
	if (cls == CK_CH_CLASS_BAD_DATA)
		return ": the server refused the rows; check the table's "
		       "column types";
	if (cls == CK_CH_CLASS_CONFIG)
		return ": check the table and credentials";
	return "";
}

/*
 * Inserts rows [lo, hi) of batch until the server acknowledges them. A
 * part of a batch (not [0, nrows)) has its own query_id and token, derived
 * from its first and last offsets, so a replay that splits the same way
 * is deduplicated part by part. Bad data returns SLICE_BAD when bad_returns,
 * else it is retried like every other failure.
 */
static enum slice_result insert_slice(struct worker *w, struct ck_batch *batch,
				      size_t lo, size_t hi,
				      const struct split *sp, bool bad_returns)
{
	struct ck_inserter *ins = w->ins;
	const struct ck_inserter_route *route = &ins->opts.routes[batch->route];
	bool eo = batch->eo_last >= 0;
	bool whole = lo == 0 && hi == batch->nrows;
	int64_t backoff = ins->opts.initial_backoff_ms;
	int64_t first = whole ? batch->first_offset : batch->index[lo].offset;
	int64_t last = whole ? batch->last_offset : batch->index[hi - 1].offset;
	struct ck_slice body = whole ? (struct ck_slice){batch->rows.data,
							 batch->rows.len}
				     : ck_batch_rows_slice(batch, lo, hi);
	char query_id[600];
	char params[1024];

	snprintf(query_id, sizeof(query_id), "%s", sp->query_id);
	if (!whole)
		snprintf(query_id, sizeof(query_id), "%s~%lld-%lld",
			 sp->query_id, (long long)first, (long long)last);
	snprintf(params, sizeof(params), "%s", sp->params ? sp->params : "");
	if (batch->token[0]) {
		/* Kafka topic names are [a-zA-Z0-9._-]: nothing to escape. */
		/*
		 * One block per insert: a server that split it would give
		 * each block a sub-token, and a replay could split it
		 * differently (docs/delivery.md).
		 */
		char part[64] = "";
		if (!whole)
			snprintf(part, sizeof(part), ":%lld-%lld",
				 (long long)first, (long long)last);
		snprintf(params, sizeof(params),
			 "%s&insert_deduplication_token=%s%s"
			 "&max_insert_block_size=%llu",
			 sp->params ? sp->params : "", batch->token, part,
			 (unsigned long long)(batch->nrows > 1048576
						      ? batch->nrows
						      : 1048576));
	}
	for (;;) {
		int rc;

		if (atomic_load(&ins->abort) ||
		    atomic_load(&batch->cancelled))
			return SLICE_STOP;
		batch->attempts++;
		rc = ck_ch_insert(w->client, batch->sql ? batch->sql : route->sql,
				  query_id, params, body.p, body.len,
				  &batch->err);
		if (rc == CK_OK)
			return SLICE_OK;
		if (rc == CK_ERR_STOPPED)
			return SLICE_STOP;
		if (eo && (route->replay_unknown || !batch->token[0]) &&
		    ck_ch_last_outcome_unknown(w->client)) {
			/* The server may hold some of the rows; nothing
			 * tells a re-sent batch apart from them. */
			ck_log_warn("insert of %zu rows into %s failed "
				    "(partition %d, offsets %lld..%lld): %s; "
				    "the range is replayed with the offset "
				    "check",
				    hi - lo, route->table,
				    (int)batch->partition,
				    (long long)batch->eo_first,
				    (long long)batch->eo_last, batch->err.msg);
			return SLICE_UNKNOWN;
		}
		enum ck_ch_class cls = ck_ch_last_class(w->client);
		if (cls == CK_CH_CLASS_BAD_DATA && bad_returns &&
		    refusal_is_per_row(ck_ch_last_exception_code(w->client)))
			return SLICE_BAD;
		/*
		 * Every other failure is retried: a batch is never dropped.
		 * Rows the server refuses ("bad data") that splitting did not
		 * isolate, or cannot place ("configuration"), mean the table
		 * or the credentials changed under chute; the operator sees
		 * an ERROR line per attempt until someone fixes it.
		 */
		ck_log(cls == CK_CH_CLASS_RETRIABLE ? CK_LOG_WARN : CK_LOG_ERROR,
		       "insert of %zu rows into %s failed (attempt %d, "
		       "partition %d, offsets %lld..%lld, class %s%s): %s; "
		       "%s in %lld ms",
		       hi - lo, route->table, batch->attempts,
		       (int)batch->partition, (long long)first,
		       (long long)last, ck_ch_class_name(cls),
		       class_hint(cls), batch->err.msg,
		       ck_ch_last_outcome_unknown(w->client)
			       ? "re-sending the identical batch"
			       : "retrying",
		       (long long)backoff);
		if (!retry_wait(w, &backoff))
			return SLICE_STOP;
	}
}

/* Rows [lo, hi) were refused as bad data: isolates the refused rows. */
static enum slice_result split_rows(struct worker *w, struct ck_batch *batch,
				    size_t lo, size_t hi, struct split *sp)
{
	const struct ck_inserter_route *route =
		&w->ins->opts.routes[batch->route];
	size_t mid = lo + (hi - lo) / 2;
	size_t half[2][2] = {{lo, mid}, {mid, hi}};
	enum slice_result r[2];
	int code[2] = {0, 0};
	char msg[2][sizeof(batch->rejects->msg)];

	if (hi - lo == 1)
		return SLICE_WHOLE; /* a batch of one row: nothing to compare */
	if (!sp->gave_up && batch->nrejects >= SPLIT_MAX_REJECTS) {
		sp->gave_up = true;
		ck_log_error("insert into %s (partition %d, offsets "
			     "%lld..%lld): %d rows refused; not splitting "
			     "further: the rest is retried as it is",
			     route->table, (int)batch->partition,
			     (long long)batch->first_offset,
			     (long long)batch->last_offset, SPLIT_MAX_REJECTS);
	}
	for (int i = 0; i < 2; i++) {
		r[i] = insert_slice(w, batch, half[i][0], half[i][1], sp,
				    !sp->gave_up);
		if (r[i] == SLICE_OK) {
			sp->good++;
		} else if (r[i] == SLICE_BAD) {
			code[i] = ck_ch_last_exception_code(w->client);
			snprintf(msg[i], sizeof(msg[i]), "%.*s",
				 (int)sizeof(msg[i]) - 1, batch->err.msg);
		} else {
			return r[i];
		}
	}
	for (int i = 0; i < 2; i++) {
		size_t a = half[i][0], b = half[i][1];
		enum slice_result sub;

		if (r[i] != SLICE_BAD)
			continue;
		if (b - a > 1) {
			sub = split_rows(w, batch, a, b, sp);
			if (sub != SLICE_OK)
				return sub;
			continue;
		}
		if (sp->good == 0)
			return SLICE_WHOLE;
		if (ck_batch_add_reject(batch, batch->index[a].offset, code[i],
					msg[i]) == CK_OK)
			continue;
		ck_log_error("out of memory noting a refused row of %s[%d]; "
			     "retrying it",
			     route->table, (int)batch->partition);
		sub = insert_slice(w, batch, a, b, sp, false);
		if (sub != SLICE_OK)
			return sub;
	}
	return SLICE_OK;
}

static void insert_batch(struct worker *w, struct ck_batch *batch)
{
	struct ck_inserter *ins = w->ins;
	const struct ck_inserter_route *route = &ins->opts.routes[batch->route];
	int64_t start = ck_clock_mono_ms();
	bool eo = batch->eo_last >= 0;
	struct split sp = {
		.params = batch->sql ? batch->params : route->params,
	};
	enum slice_result r;

	batch->started_ms = start;
	/*
	 * One id per range, the same on every attempt: system.query_log
	 * shows each try of a range, and a retry that races a first attempt
	 * still running on the server is refused (216, retriable) instead
	 * of inserting the rows twice.
	 */
	ck_batch_query_id(sp.query_id, sizeof(sp.query_id), route->table,
			  batch->partition,
			  eo ? batch->eo_first : batch->first_offset,
			  eo ? batch->eo_last : batch->last_offset);
	if (batch->nrows == 0) {
		batch->status = CK_BATCH_INSERTED;
		return;
	}
	/* An insert only the offset check can repeat is never re-sent by
	 * libcurl on its own (ck_ch_client_set_reuse). */
	ck_ch_client_set_reuse(w->client, !(eo && !batch->token[0]));
	batch->nrejects = 0;
	r = insert_slice(w, batch, 0, batch->nrows, &sp, true);
	if (r == SLICE_BAD) {
		ck_log_warn("insert of %llu rows into %s (partition %d, "
			    "offsets %lld..%lld) refused as bad data: %s; "
			    "splitting it to find the refused rows",
			    (unsigned long long)batch->nrows, route->table,
			    (int)batch->partition,
			    (long long)batch->first_offset,
			    (long long)batch->last_offset, batch->err.msg);
		r = split_rows(w, batch, 0, batch->nrows, &sp);
	}
	if (r == SLICE_WHOLE) {
		/* Nothing was inserted and no row taken as refused. */
		ck_log_error("insert into %s (partition %d, offsets %lld..%lld): "
			     "every part of the batch was refused, down to "
			     "single rows: the table refuses these rows as "
			     "such; retrying the batch until the table is "
			     "fixed",
			     route->table, (int)batch->partition,
			     (long long)batch->first_offset,
			     (long long)batch->last_offset);
		r = insert_slice(w, batch, 0, batch->nrows, &sp, false);
	}
	if (r == SLICE_OK) {
		CK_FAILPOINT("insert.acked");
		batch->status = CK_BATCH_INSERTED;
		batch->insert_ms = ck_clock_mono_ms() - start;
		if (batch->attempts > 1)
			ck_log_info("insert into %s succeeded after %d "
				    "attempts (partition %d, offsets "
				    "%lld..%lld)%s",
				    route->table, batch->attempts,
				    (int)batch->partition,
				    (long long)batch->first_offset,
				    (long long)batch->last_offset,
				    batch->nrejects ? ", without the rows it "
						      "refused"
						    : "");
		return;
	}
	batch->status = r == SLICE_UNKNOWN ? CK_BATCH_UNKNOWN
					   : CK_BATCH_ABANDONED;
}

/* Hands a finished batch back to the pipeline. */
static void give_back(struct ck_inserter *ins, struct ck_batch *batch)
{
	batch->group = NULL;
	pthread_mutex_lock(&ins->lock);
	ck_batch_queue_push(&ins->done, batch);
	pthread_cond_broadcast(&ins->done_cond);
	pthread_mutex_unlock(&ins->lock);
	if (ins->opts.notify)
		ins->opts.notify(ins->opts.notify_arg);
}

/*
 * Drops the members of a group whose partition was revoked (they go back
 * at once, abandoned: the new owner inserts their rows). Returns the
 * members left, compacted at the front of members.
 */
static size_t group_drop_cancelled(struct ck_inserter *ins,
				   struct ck_batch **members, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (atomic_load(&members[i]->cancelled)) {
			ck_log_info("insert into %s: partition %d was "
				    "revoked; its rows (offsets %lld..%lld) "
				    "are left to its new owner",
				    ins->opts.routes[members[i]->route].table,
				    (int)members[i]->partition,
				    (long long)members[i]->first_offset,
				    (long long)members[i]->last_offset);
			members[i]->status = CK_BATCH_ABANDONED;
			give_back(ins, members[i]);
		} else {
			members[kept++] = members[i];
		}
	}
	return kept;
}

/*
 * batch.scope table: the batches of several partitions in one insert,
 * retried whole like a single batch. If the server refuses the rows as
 * bad data, each batch is inserted on its own, so that splitting can find
 * the rows it refuses. Every member goes back through give_back().
 */
static void insert_group(struct worker *w, struct ck_batch *head)
{
	struct ck_inserter *ins = w->ins;
	const struct ck_inserter_route *route = &ins->opts.routes[head->route];
	/*
	 * The route keeps every INSERT text while batches use it; head itself
	 * may go back to the pipeline (revoked) before the group is done.
	 */
	const char *sql = head->sql ? head->sql : route->sql;
	const char *params = head->sql ? head->params : route->params;
	int64_t start = ck_clock_mono_ms();
	int64_t backoff = ins->opts.initial_backoff_ms;
	struct ck_batch **members;
	struct ck_slice *body;
	char query_id[600], id[512];
	size_t n = 0, rows;
	int attempts = 0;
	int rc;

	for (struct ck_batch *b = head; b; b = b->group)
		n++;
	members = calloc(n, sizeof(*members));
	body = calloc(n, sizeof(*body));
	if (!members || !body) {
		/* One at a time needs no memory. */
		free(members);
		free(body);
		for (struct ck_batch *b = head, *next; b; b = next) {
			next = b->group;
			insert_batch(w, b);
			give_back(ins, b);
		}
		return;
	}
	n = 0;
	for (struct ck_batch *b = head; b; b = b->group) {
		b->started_ms = start;
		members[n++] = b;
	}
	/* One id for every attempt, as for a single batch. */
	ck_batch_query_id(id, sizeof(id), route->table, head->partition,
			  head->first_offset, head->last_offset);
	snprintf(query_id, sizeof(query_id), "%s+%zu", id, n - 1);
	ck_ch_client_set_reuse(w->client, true);
	for (;;) {
		n = atomic_load(&ins->abort) ? n
					      : group_drop_cancelled(ins, members,
								     n);
		if (n == 0 || atomic_load(&ins->abort)) {
			rc = CK_ERR_STOPPED;
			break;
		}
		rows = 0;
		for (size_t i = 0; i < n; i++) {
			body[i] = (struct ck_slice){members[i]->rows.data,
						    members[i]->rows.len};
			rows += members[i]->nrows;
		}
		attempts++;
		rc = ck_ch_insert_parts(w->client, sql, query_id, params, body,
					n, &members[0]->err);
		if (rc == CK_OK || rc == CK_ERR_STOPPED)
			break;
		enum ck_ch_class cls = ck_ch_last_class(w->client);
		if (cls == CK_CH_CLASS_BAD_DATA &&
		    refusal_is_per_row(ck_ch_last_exception_code(w->client))) {
			ck_log_warn("insert of %zu rows into %s (%zu "
				    "partitions) refused as bad data: %s; "
				    "inserting each partition's batch on its "
				    "own to find the refused rows",
				    rows, route->table, n,
				    members[0]->err.msg);
			for (size_t i = 0; i < n; i++) {
				members[i]->attempts = attempts;
				insert_batch(w, members[i]);
				give_back(ins, members[i]);
			}
			goto out;
		}
		ck_log(cls == CK_CH_CLASS_RETRIABLE ? CK_LOG_WARN : CK_LOG_ERROR,
		       "insert of %zu rows into %s failed (attempt %d, %zu "
		       "partitions, class %s%s): %s; %s in %lld ms",
		       rows, route->table, attempts, n, ck_ch_class_name(cls),
		       class_hint(cls), members[0]->err.msg,
		       ck_ch_last_outcome_unknown(w->client)
			       ? "re-sending the identical rows"
			       : "retrying",
		       (long long)backoff);
		if (!retry_wait(w, &backoff)) {
			rc = CK_ERR_STOPPED;
			break;
		}
	}
	if (rc == CK_OK) {
		CK_FAILPOINT("insert.acked");
		if (attempts > 1)
			ck_log_info("insert into %s succeeded after %d "
				    "attempts (%zu rows, %zu partitions)",
				    route->table, attempts, rows, n);
	}
	for (size_t i = 0; i < n; i++) {
		members[i]->attempts = attempts;
		members[i]->insert_ms = ck_clock_mono_ms() - start;
		members[i]->status = rc == CK_OK ? CK_BATCH_INSERTED
						 : CK_BATCH_ABANDONED;
		if (i > 0)
			members[i]->err = members[0]->err;
		give_back(ins, members[i]);
	}
out:
	free(members);
	free(body);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ck_inserter *ins = w->ins;

	for (;;) {
		struct ck_batch *batch;

		pthread_mutex_lock(&ins->lock);
		while (!ins->stopping && ins->todo.len == 0)
			pthread_cond_wait(&ins->work, &ins->lock);
		batch = ck_batch_queue_pop(&ins->todo);
		pthread_mutex_unlock(&ins->lock);
		if (!batch)
			break; /* stopping and nothing left */

		if (batch->group) {
			insert_group(w, batch);
			continue;
		}
		insert_batch(w, batch);
		give_back(ins, batch);
	}
	return NULL;
}

int ck_inserter_new(const struct ck_inserter_opts *opts,
		    struct ck_inserter **out, struct ck_err *err)
{
	struct ck_inserter *ins = calloc(1, sizeof(*ins));
	int rc = CK_OK;

	if (!ins)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	ins->opts = *opts;
	pthread_mutex_init(&ins->lock, NULL);
	pthread_cond_init(&ins->work, NULL);
	pthread_cond_init(&ins->done_cond, NULL);
	atomic_init(&ins->abort, false);
	ins->workers = calloc((size_t)opts->workers, sizeof(*ins->workers));
	if (!ins->workers) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < opts->workers; i++) {
		struct worker *w = &ins->workers[i];
		w->ins = ins;
		w->seed = (unsigned)(time(NULL) ^ (i * 7919));
		w->client = ck_ch_client_new(opts->ch, err);
		if (!w->client) {
			rc = err ? err->code : CK_ERR_NOMEM;
			goto out;
		}
		ck_ch_client_set_cancel(w->client, &ins->abort);
		ins->nworkers++;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			rc = ck_err_set(err, CK_ERR_NOMEM,
					"cannot start insert thread");
			goto out;
		}
		w->started = true;
	}
out:
	if (rc) {
		ck_inserter_destroy(ins);
		return rc;
	}
	*out = ins;
	return CK_OK;
}

void ck_inserter_submit(struct ck_inserter *ins, struct ck_batch *batch)
{
	pthread_mutex_lock(&ins->lock);
	ck_batch_queue_push(&ins->todo, batch);
	for (struct ck_batch *b = batch; b; b = b->group)
		ins->outstanding++;
	pthread_cond_signal(&ins->work);
	pthread_mutex_unlock(&ins->lock);
}

struct ck_batch *ck_inserter_take_done(struct ck_inserter *ins)
{
	struct ck_batch *batch;

	pthread_mutex_lock(&ins->lock);
	batch = ck_batch_queue_pop(&ins->done);
	if (batch)
		ins->outstanding--;
	pthread_mutex_unlock(&ins->lock);
	return batch;
}

void ck_inserter_wait_done(struct ck_inserter *ins, int64_t timeout_ms)
{
	struct timespec until;

	timespec_after_ms(&until, timeout_ms);
	pthread_mutex_lock(&ins->lock);
	while (ins->done.len == 0 && ins->outstanding > 0) {
		if (pthread_cond_timedwait(&ins->done_cond, &ins->lock,
					   &until) != 0)
			break;
	}
	pthread_mutex_unlock(&ins->lock);
}

size_t ck_inserter_outstanding(struct ck_inserter *ins)
{
	size_t n;

	pthread_mutex_lock(&ins->lock);
	n = ins->outstanding;
	pthread_mutex_unlock(&ins->lock);
	return n;
}

void ck_inserter_abort(struct ck_inserter *ins)
{
	pthread_mutex_lock(&ins->lock);
	atomic_store(&ins->abort, true);
	/* Queued batches never reach a worker's insert loop... */
	for (struct ck_batch *b; (b = ck_batch_queue_pop(&ins->todo));) {
		while (b) {
			struct ck_batch *member = b->group;
			b->group = NULL;
			b->status = CK_BATCH_ABANDONED;
			ck_batch_queue_push(&ins->done, b);
			b = member;
		}
	}
	/* ...and sleeping workers wake up and give theirs back. */
	pthread_cond_broadcast(&ins->work);
	pthread_cond_broadcast(&ins->done_cond);
	pthread_mutex_unlock(&ins->lock);
}

void ck_inserter_stop(struct ck_inserter *ins)
{
	ck_inserter_abort(ins);
	pthread_mutex_lock(&ins->lock);
	ins->stopping = true;
	pthread_cond_broadcast(&ins->work);
	pthread_mutex_unlock(&ins->lock);
	for (int i = 0; i < ins->nworkers; i++) {
		if (ins->workers[i].started)
			pthread_join(ins->workers[i].thread, NULL);
		ins->workers[i].started = false;
	}
}

void ck_inserter_destroy(struct ck_inserter *ins)
{
	if (!ins)
		return;
	ck_inserter_stop(ins);
	for (int i = 0; i < ins->nworkers; i++)
		ck_ch_client_destroy(ins->workers[i].client);
	for (struct ck_batch *b; (b = ck_batch_queue_pop(&ins->done));)
		ck_batch_destroy(b);
	free(ins->workers);
	pthread_cond_destroy(&ins->work);
	pthread_cond_destroy(&ins->done_cond);
	pthread_mutex_destroy(&ins->lock);
	free(ins);
}
