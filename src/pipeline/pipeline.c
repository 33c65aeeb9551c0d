/*
 * pipeline.c — the pipeline thread: consume, batch, hand off, commit.
 *
 * One thread runs everything that touches the Kafka consumer; insert
 * workers (inserter.c) only ever see closed batches. Per partition the
 * pipeline keeps at most three batches:
 *
 *     open      filling from the consumer
 *     sealed    closed, waiting for the partition's previous insert
 *     inflight  in an insert worker
 *
 * so one partition never has two inserts at once and its offsets are
 * committed strictly in order, while the next batch keeps filling during
 * an insert. When open is full and sealed is taken, the partition is paused
 * (backpressure: a slow or unavailable ClickHouse stops consumption instead
 * of growing memory); messages that librdkafka had already handed over are
 * kept, in order, in the partition's backlog and consumed first on resume.
 *
 * Offsets: after ClickHouse acknowledged a batch, last_offset + 1 becomes
 * the partition's commit offset and is committed (asynchronously while
 * running, synchronously on revoke and shutdown). Nothing else moves it. A
 * batch covers bad messages too, so they are committed past once the
 * batch's good rows are in, and never stall the partition.
 *
 * Rebalances: each assignment of a partition gets a new epoch. On revoke the
 * partition's open and sealed batches are dropped (their rows were not
 * committed and will be read by the new owner), the in-flight insert is
 * waited for up to a bound, what was inserted is committed, and the epoch
 * is retired, so a late acknowledgement can never commit for a partition
 * this member no longer owns. A lost partition commits nothing.
 */
#include "pipeline/pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse/client.h"
#include "clickhouse/table.h"
#include "common/clock.h"
#include "common/failpoint.h"
#include "common/log.h"
#include "consume/consumer.h"
#include "decode/debezium.h"
#include "dlq/dlq.h"
#include "map/ddl.h"
#include "map/row.h"
#include "map/schema.h"
#include "pipeline/batch.h"
#include "pipeline/exactly_once.h"
#include "pipeline/inserter.h"

/* Poll granularity: bounds how late a timer or a stop request is seen. */
#define PIPELINE_TICK_MS 100
/* Bad-message lines per route per stats interval before summarising. */
#define BAD_LOG_LIMIT 100
/* How long a revoke waits for an in-flight insert of a revoked partition. */
#define REVOKE_WAIT_MAX_MS 30000
/* The setting that reads JSON columns as text (ck_schema_has_json()). */
#define JSON_AS_STRING "&input_format_binary_read_json_as_string=1"
/* Exactly-once: waits between tries to read a partition's record. */
#define EO_RETRY_MS 1000
/* Exactly-once: how long a record commit may take before it is retried. */
#define EO_COMMIT_TIMEOUT_MS 10000

struct part {
	int32_t id;
	bool assigned;
	bool paused;
	bool failed;          /* a batch was abandoned: commit nothing more */
	uint64_t epoch;
	struct ck_batch *open;
	struct ck_batch *sealed;
	struct ck_batch *inflight;
	int64_t commit_offset; /* next offset to commit, -1 if none yet */
	bool commit_dirty;
	rd_kafka_message_t **backlog; /* ring of held messages, in order */
	size_t backlog_head;
	size_t backlog_len;
	size_t backlog_cap;
	/*
	 * Exactly-once (docs/delivery.md): the partition takes no message
	 * until its committed record was read (eo_ready). If that record
	 * names a pending range, the next batch is exactly that range
	 * (recovering), without the messages in present: the offsets the
	 * table already has (sorted).
	 */
	bool eo_ready;
	int64_t eo_retry_ms;
	/* Paused because the batches hold memory_budget: see mem_block(). */
	bool mem_blocked;
	uint64_t eo_epoch;
	bool recovering;
	int64_t rec_first;
	int64_t rec_last;
	int64_t *present;
	size_t npresent;
};

struct route_stats {
	uint64_t messages;
	uint64_t already_inserted; /* exactly-once recovery: in the table */
	uint64_t rows_inserted;
	uint64_t batches;
	uint64_t inserts; /* sent: a group of batches is one */
	uint64_t bad_messages;
	uint64_t dead_lettered;
	uint64_t empty_messages;
	uint64_t insert_ms;
	uint64_t insert_retries; /* attempts after a batch's first */
	struct ck_row_stats row;
};

struct route {
	const struct ck_config_route *cfg;
	size_t topic_len;
	char *table_name; /* db.table */
	char *sql;        /* INSERT INTO ... FORMAT ... */
	const char *params; /* per-insert URL settings (static text) */
	struct ck_schema *schema;
	struct ck_row_encoder *enc;
	/* The config's column options plus upsert's version and deleted. */
	struct ck_column_opts *opts;
	size_t nopts;
	struct ck_ch_engine engine; /* upsert: the table's engine */
	/*
	 * The table did not exist at start-up: it is created from the schema
	 * in the first change event (docs/cdc.md), and ddl holds the columns
	 * it was created with (their options are in opts).
	 */
	bool pending_create;
	struct ck_ddl_row ddl;
	/*
	 * Schema evolution (topics[].evolve): INSERT texts of earlier table
	 * versions, kept while batches encoded for them may be in flight;
	 * and the names chute tried to add and could not (never tried again).
	 */
	char **old_sql;
	size_t nold_sql;
	char **refused;
	size_t nrefused;
	struct part **parts; /* indexed by partition id */
	size_t nparts;
	/*
	 * The circuit breaker (dlq.max_bad_ratio, window, max_bad_run): bad
	 * records in the current window and in a row; tripped stops the
	 * topic.
	 */
	uint64_t window_seen;
	uint64_t window_bad;
	uint64_t bad_run;
	bool tripped;
	struct route_stats stats;
	struct route_stats reported;
	uint64_t bad_logged;
	uint64_t truncates; /* Debezium truncate events: logged once */
	int64_t ddl_retry_ms;   /* a failed TRUNCATE or ALTER waits until then */
	int64_t ddl_backoff_ms;
	/* Exactly-once: how, and the offset columns for the recovery check. */
	struct ck_eo_plan eo;
	const char *col_topic;
	const char *col_partition;
	const char *col_offset;
	char *eo_params; /* params with the deduplication settings */
	/*
	 * batch.scope table (at-least-once): the batches of all partitions
	 * close together, when their rows or bytes together reach the
	 * limits or the oldest is max_wait old, and go in one insert
	 * (submit_flush). open_rows and open_bytes total the open batches.
	 */
	bool by_table;
	uint64_t open_rows;
	uint64_t open_bytes;
};

struct ck_pipeline {
	const struct ck_config *config;
	struct ck_ch_client *ch;
	struct ck_ch_server_info server;
	struct ck_ch_opts ch_opts;
	struct route *routes;
	size_t nroutes;
	struct ck_inserter_route *ins_routes;
	rd_kafka_t *rk;
	rd_kafka_queue_t *rkq;
	struct ck_consumer_hooks hooks;
	struct ck_inserter *ins;
	struct ck_batch *spare; /* recycled batches, linked through ->next */
	/* Closed batches of by_table routes, grouped by submit_flush(). */
	struct ck_batch_queue to_submit;
	const char *seal_why; /* route_seal's reason, for part_seal */
	/*
	 * memory_budget: bytes the batches hold (their ->mem), the most
	 * they held, and how often partitions were paused for it.
	 */
	uint64_t mem_used;
	uint64_t mem_peak;
	uint64_t mem_pauses;
	uint64_t mem_pauses_reported;
	bool mem_over;
	/*
	 * Dropped batches whose dead-letter records are not acknowledged yet:
	 * the producer still counts on their tickets. Recycled once it is done.
	 */
	struct ck_batch *orphans;
	struct ck_dlq *dlq; /* NULL: no route has a dead-letter topic */
	/*
	 * Reads the messages of rows ClickHouse refused back from Kafka, to
	 * dead-letter them (created when first needed).
	 */
	rd_kafka_t *reader;
	int64_t reader_retry_ms;
	uint64_t next_epoch;
	bool eo;               /* delivery: exactly-once */
	bool eo_unrecorded;    /* some in-flight batch awaits its record */
	int64_t eo_record_retry_ms;
	int64_t last_stats_ms;
	uint64_t abandoned_rows;
	bool stopping;
	bool failed;           /* fatal: stop with fatal_err */
	struct ck_err fatal_err;
	bool close_failed; /* rd_kafka_destroy must not close again */
	bool subscribed;
	bool ever_assigned; /* an assignment (maybe empty) came at least once */
	/* Route lookup cache: consecutive messages mostly share a topic. */
	const rd_kafka_topic_t *last_rkt;
	size_t last_route;
};

/* ---- batches and partitions -------------------------------------------- */

static struct ck_batch *batch_get(struct ck_pipeline *p, size_t r,
				  struct part *part)
{
	struct ck_batch *batch = p->spare;
	const struct ck_batch_policy *policy = &p->routes[r].cfg->batch;

	if (batch) {
		p->spare = batch->next;
	} else {
		/*
		 * Headroom over max_bytes: the row that crosses max_bytes
		 * still fits, and so do messages librdkafka delivered after
		 * a pause took effect.
		 */
		batch = ck_batch_new(policy->max_bytes * 2 + (16u << 20));
		if (!batch)
			return NULL;
	}
	/* A recovered range is rebuilt whole, whatever its size. */
	batch->rows.max = part->recovering ? (size_t)1 << 40
					   : policy->max_bytes * 2 + (16u << 20);
	ck_batch_reset(batch, r, part->id, part->epoch);
	return batch;
}

/* ---- the memory budget ------------------------------------------------- */

/* Counts what a batch's rows and row index grew by since the last call. */
static void mem_note(struct ck_pipeline *p, struct ck_batch *batch)
{
	size_t used;

	if (!batch)
		return;
	used = batch->rows.len + (size_t)batch->nrows * sizeof(*batch->index);
	if (used <= batch->mem)
		return;
	p->mem_used += used - batch->mem;
	batch->mem = used;
	if (p->mem_used > p->mem_peak)
		p->mem_peak = p->mem_used;
}

/* Gives a batch's row storage back (the batch itself stays usable). */
static void mem_release(struct ck_pipeline *p, struct ck_batch *batch)
{
	p->mem_used -= batch->mem;
	batch->mem = 0;
	ck_buf_free(&batch->rows);
	free(batch->index);
	batch->index = NULL;
	batch->index_cap = 0;
}

static bool mem_full(const struct ck_pipeline *p)
{
	return p->mem_used >= p->config->memory_budget;
}

/*
 * The batches hold memory_budget: the partition takes no more messages
 * (they wait in its backlog, and it is paused) until inserts free memory.
 * Recycled batches keep no storage from now on, so what is left is held by
 * batches that are open, waiting or in flight, and those always move on:
 * open ones close at max_wait.
 */
static void mem_block(struct ck_pipeline *p, struct part *part)
{
	part->mem_blocked = true;
	for (struct ck_batch *b = p->spare; b; b = b->next)
		mem_release(p, b);
	if (p->mem_over)
		return;
	p->mem_over = true;
	if (p->mem_pauses++ == 0)
		ck_log_info("memory: the batches hold %" PRIu64 " MiB of the "
			    "%" PRIu64 " MiB memory_budget; partitions pause "
			    "until inserts free memory (the stats line counts "
			    "further pauses)",
			    p->mem_used >> 20,
			    p->config->memory_budget >> 20);
	else
		ck_log_debug("memory: budget reached (%" PRIu64 " bytes)",
			     p->mem_used);
}

/* Adds what an open batch grew by to its route's open totals. */
static void open_count(struct route *route, struct ck_batch *batch)
{
	route->open_rows += batch->nrows - batch->counted_rows;
	route->open_bytes += batch->rows.len - batch->counted_bytes;
	batch->counted_rows = batch->nrows;
	batch->counted_bytes = batch->rows.len;
}

/* An open batch closes or is dropped: its route's totals lose it. */
static void open_uncount(struct route *route, struct ck_batch *batch)
{
	if (!batch)
		return;
	route->open_rows -= batch->counted_rows;
	route->open_bytes -= batch->counted_bytes;
	batch->counted_rows = 0;
	batch->counted_bytes = 0;
}

/* Hands a batch (and the batches grouped with it) to the inserters. */
static void batch_send(struct ck_pipeline *p, struct ck_batch *batch)
{
	if (batch->nrows > 0)
		p->routes[batch->route].stats.inserts++;
	ck_inserter_submit(p->ins, batch);
}

static void batch_put(struct ck_pipeline *p, struct ck_batch *batch)
{
	if (!batch)
		return;
	if (batch->dlq_ticket.pending > 0) {
		/* Only its dead letters' ticket is still needed. */
		mem_release(p, batch);
		batch->next = p->orphans;
		p->orphans = batch;
		return;
	}
	if (p->mem_over)
		mem_release(p, batch);
	batch->next = p->spare;
	p->spare = batch;
}

/* Recycles orphans whose dead-letter records are all acknowledged. */
static void orphans_reap(struct ck_pipeline *p)
{
	struct ck_batch **link = &p->orphans;

	while (*link) {
		struct ck_batch *batch = *link;
		if (batch->dlq_ticket.pending > 0) {
			link = &batch->next;
			continue;
		}
		*link = batch->next;
		batch->next = p->spare;
		p->spare = batch;
	}
}

static struct part *part_get(struct route *route, int32_t id, bool create)
{
	if (id < 0)
		return NULL;
	if ((size_t)id >= route->nparts) {
		size_t n = (size_t)id + 1;
		struct part **parts;
		if (!create)
			return NULL;
		parts = realloc(route->parts, n * sizeof(*parts));
		if (!parts)
			return NULL;
		memset(parts + route->nparts, 0,
		       (n - route->nparts) * sizeof(*parts));
		route->parts = parts;
		route->nparts = n;
	}
	if (!route->parts[id] && create) {
		route->parts[id] = calloc(1, sizeof(struct part));
		if (route->parts[id]) {
			route->parts[id]->id = id;
			route->parts[id]->commit_offset = -1;
		}
	}
	return route->parts[id];
}

static void part_pause(struct ck_pipeline *p, struct route *route,
		       struct part *part, bool pause)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t code;

	if (part->paused == pause || !part->assigned)
		return;
	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, route->cfg->topic, part->id);
	code = pause ? rd_kafka_pause_partitions(p->rk, list)
		     : rd_kafka_resume_partitions(p->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (code) {
		ck_log_warn("kafka: cannot %s %s[%d]: %s",
			    pause ? "pause" : "resume", route->cfg->topic,
			    (int)part->id, rd_kafka_err2str(code));
		return;
	}
	part->paused = pause;
	ck_log_debug("%s %s[%d]", pause ? "paused" : "resumed",
		     route->cfg->topic, (int)part->id);
}

static void backlog_clear(struct part *part)
{
	while (part->backlog_len) {
		rd_kafka_message_destroy(part->backlog[part->backlog_head]);
		part->backlog_head = (part->backlog_head + 1) % part->backlog_cap;
		part->backlog_len--;
	}
	part->backlog_head = 0;
}

static bool backlog_push(struct part *part, rd_kafka_message_t *msg)
{
	if (part->backlog_len == part->backlog_cap) {
		size_t cap = part->backlog_cap ? part->backlog_cap * 2 : 64;
		rd_kafka_message_t **ring = malloc(cap * sizeof(*ring));
		if (!ring)
			return false;
		for (size_t i = 0; i < part->backlog_len; i++)
			ring[i] = part->backlog[(part->backlog_head + i) %
						part->backlog_cap];
		free(part->backlog);
		part->backlog = ring;
		part->backlog_cap = cap;
		part->backlog_head = 0;
	}
	part->backlog[(part->backlog_head + part->backlog_len) %
		      part->backlog_cap] = msg;
	part->backlog_len++;
	return true;
}

/*
 * Makes batch the partition's in-flight insert. In exactly-once mode a
 * batch with rows first waits for its range to be recorded (eo_record);
 * a batch without rows inserts nothing and needs no record.
 */
static void part_submit(struct ck_pipeline *p, struct part *part,
			struct ck_batch *batch)
{
	part->inflight = batch;
	if (!p->eo || batch->nrows == 0) {
		batch->recorded = true;
		if (p->routes[batch->route].by_table)
			ck_batch_queue_push(&p->to_submit, batch);
		else
			batch_send(p, batch);
		return;
	}
	batch->recorded = false;
	p->eo_unrecorded = true;
}

/* The recovery of a recorded range is over (done, or nothing left). */
static void eo_end_recovery(struct part *part)
{
	part->recovering = false;
	free(part->present);
	part->present = NULL;
	part->npresent = 0;
}

/*
 * Exactly-once: fixes the range a closing batch stands for, and its
 * token. A recovery batch stands for the recorded range even if some of
 * its messages are gone or were already in the table.
 */
static void eo_close(struct ck_pipeline *p, struct part *part,
		     struct ck_batch *batch)
{
	const struct route *route = &p->routes[batch->route];

	if (part->recovering) {
		batch->eo_first = part->rec_first;
		batch->eo_last = part->rec_last;
		eo_end_recovery(part);
	} else {
		batch->eo_first = batch->first_offset;
		batch->eo_last = batch->last_offset;
	}
	if (route->eo.send_token &&
	    !ck_eo_token(batch->token, sizeof(batch->token), part->eo_epoch,
			 route->cfg->topic, part->id, batch->eo_first,
			 batch->eo_last))
		batch->token[0] = '\0'; /* cannot happen: topics are short */
}

/*
 * Closes the open batch if it holds any message: straight to an insert
 * worker when the partition has none in flight, else into the sealed slot
 * (always, for a by_table route: route_kick() sends it). Returns false
 * when both are taken (the caller must wait).
 */
static bool part_seal(struct ck_pipeline *p, struct part *part)
{
	struct ck_batch *batch = part->open;

	if (!batch || batch->nmessages == 0)
		return true;
	if (part->inflight && part->sealed)
		return false;
	mem_note(p, batch);
	batch->sealed_ms = ck_clock_mono_ms();
	batch->sealed_by =
		p->stopping ? "shutdown"
		: p->seal_why ? p->seal_why
		: part->recovering ? "recorded range"
		: batch->nrows >= p->routes[batch->route].cfg->batch.max_rows
			? "max_rows"
		: batch->rows.len >= p->routes[batch->route].cfg->batch.max_bytes
			? "max_bytes"
		: ck_batch_due(batch, &p->routes[batch->route].cfg->batch,
			       batch->sealed_ms)
			? "max_wait"
			: "other"; /* a table change, a row over the buffer */
	if (p->eo)
		eo_close(p, part, batch);
	if (!part->inflight && !p->routes[batch->route].by_table) {
		part_submit(p, part, batch);
	} else if (!part->sealed) {
		/* by_table: route_kick() sends the table's batches together. */
		part->sealed = batch;
	} else {
		return false;
	}
	open_uncount(&p->routes[batch->route], batch);
	part->open = NULL;
	return true;
}

/*
 * Sends the batches closed since the last call: those of one by_table
 * route that insert with the same statement go in one insert, as long as
 * together they stay within max_rows and max_bytes (with a sixteenth of
 * slack: the row that reaches max_bytes ends in the batch that it
 * fills). Batches without rows only move offsets and go alone.
 */
static void submit_flush(struct ck_pipeline *p)
{
	struct ck_batch *batch;

	while ((batch = ck_batch_queue_pop(&p->to_submit))) {
		const struct ck_batch_policy *policy =
			&p->routes[batch->route].cfg->batch;
		struct ck_batch *tail = batch;
		struct ck_batch **link = &p->to_submit.head;
		struct ck_batch *prev = NULL;
		uint64_t rows = batch->nrows;
		size_t bytes = batch->rows.len;

		while (batch->nrows > 0 && *link) {
			struct ck_batch *b = *link;
			if (b->route != batch->route || b->nrows == 0 ||
			    b->sql != batch->sql || b->params != batch->params ||
			    rows + b->nrows > policy->max_rows ||
			    bytes + b->rows.len >
				    policy->max_bytes + policy->max_bytes / 16) {
				prev = b;
				link = &b->next;
				continue;
			}
			*link = b->next; /* unlink from to_submit */
			if (p->to_submit.tail == b)
				p->to_submit.tail = prev;
			p->to_submit.len--;
			rows += b->nrows;
			bytes += b->rows.len;
			tail->group = b;
			tail = b;
		}
		tail->group = NULL;
		batch_send(p, batch);
	}
}

/* Whether a by_table route's open batches together reached a limit. */
static bool route_full(const struct route *route)
{
	return route->open_rows >= route->cfg->batch.max_rows ||
	       route->open_bytes >= route->cfg->batch.max_bytes;
}

/*
 * A by_table route inserts one group of batches at a time: once none of
 * its partitions has an insert in flight, the batches they closed go
 * together (a partition revoked meanwhile has none).
 */
static void route_kick(struct ck_pipeline *p, size_t r)
{
	struct route *route = &p->routes[r];

	for (size_t i = 0; i < route->nparts; i++) {
		if (route->parts[i] && route->parts[i]->inflight)
			return;
	}
	for (size_t i = 0; i < route->nparts; i++) {
		struct part *part = route->parts[i];
		struct ck_batch *batch;
		if (!part || !part->assigned || part->failed || !part->sealed)
			continue;
		batch = part->sealed;
		part->sealed = NULL;
		part_submit(p, part, batch);
	}
	submit_flush(p);
}

/*
 * Closes every open batch of a route (those that can close: a partition
 * whose closed batch still waits keeps filling its open one) and sends
 * them when the route has nothing in flight.
 */
static void route_seal(struct ck_pipeline *p, size_t r, const char *why)
{
	struct route *route = &p->routes[r];

	p->seal_why = why;
	for (size_t i = 0; i < route->nparts; i++) {
		struct part *part = route->parts[i];
		if (part && part->assigned && !part->recovering)
			part_seal(p, part);
	}
	p->seal_why = NULL;
	route_kick(p, r);
}

/* Whether the partition's open batch (or its table's batches) are full. */
static bool part_full(const struct route *route, const struct part *part)
{
	if (route->by_table)
		return route_full(route);
	return ck_batch_full(part->open, &route->cfg->batch);
}

/*
 * Closes a full batch: the partition's, or every open batch of its table.
 * Returns false if the partition must wait (its batch could not close, or
 * its table's batches are still over the limits).
 */
static bool seal_full(struct ck_pipeline *p, size_t r, struct part *part)
{
	struct route *route = &p->routes[r];

	if (!route->by_table)
		return part_seal(p, part);
	route_seal(p, r, route->open_rows >= route->cfg->batch.max_rows
				 ? "max_rows"
				 : "max_bytes");
	return !route_full(route);
}

static void part_drain_backlog(struct ck_pipeline *p, size_t r,
			       struct part *part);

/*
 * by_table: the partitions of a route wait on each other (its limits are
 * the table's): once it moves, each feeds its held messages again.
 */
static void route_drain(struct ck_pipeline *p, size_t r)
{
	struct route *route = &p->routes[r];

	if (p->stopping || route_full(route))
		return;
	for (size_t i = 0; i < route->nparts; i++) {
		struct part *part = route->parts[i];
		if (part && part->assigned && !part->failed &&
		    !part->mem_blocked && part->backlog_len)
			part_drain_backlog(p, r, part);
	}
}

/* ---- messages ------------------------------------------------------------ */

/* Whether the recovery check found offset in the table. */
static bool offset_present(const struct part *part, int64_t offset)
{
	size_t lo = 0, hi = part->npresent;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (part->present[mid] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < part->npresent && part->present[lo] == offset;
}

/*
 * The circuit breaker: after each record of a route with a dead-letter
 * topic, true when the bad ones passed dlq.max_bad_ratio of a window or
 * dlq.max_bad_run in a row. Then the topic stops (route->tripped).
 */
static bool breaker_count(struct ck_pipeline *p, struct route *route,
			  bool bad)
{
	const struct ck_config *config = p->config;

	if (!route->cfg->dlq_topic || route->tripped)
		return route->tripped;
	route->window_seen++;
	route->window_bad += bad;
	route->bad_run = bad ? route->bad_run + 1 : 0;
	if (config->dlq.max_bad_run && route->bad_run >= config->dlq.max_bad_run) {
		ck_log_error("%s: %" PRIu64 " bad records in a row "
			     "(dlq.max_bad_run): stopping this topic instead of "
			     "dead-lettering everything; nothing after them is "
			     "committed. Fix the producer or the table, then "
			     "restart chute",
			     route->cfg->topic, route->bad_run);
		route->tripped = true;
	} else if (route->window_seen >= config->dlq.window) {
		if ((double)route->window_bad >
		    config->dlq.max_bad_ratio * (double)route->window_seen) {
			ck_log_error("%s: %" PRIu64 " of the last %" PRIu64
				     " records were bad (more than "
				     "dlq.max_bad_ratio %.3g): stopping this "
				     "topic instead of dead-lettering "
				     "everything; nothing after them is "
				     "committed. Fix the producer or the "
				     "table, then restart chute",
				     route->cfg->topic, route->window_bad,
				     route->window_seen,
				     config->dlq.max_bad_ratio);
			route->tripped = true;
		}
		route->window_seen = route->window_bad = 0;
	}
	return route->tripped;
}

/*
 * A record chute cannot write: counted, sent to the route's dead-letter
 * topic if it has one and msg is known (with the batch's ticket, so the
 * batch is committed only after the DLQ acknowledged it), and logged (up
 * to BAD_LOG_LIMIT lines per stats interval).
 */
static void bad_record(struct ck_pipeline *p, struct route *route,
		       struct ck_batch *batch, const rd_kafka_message_t *msg,
		       int32_t partition, int64_t offset, const char *stage,
		       const char *what, const char *text, int ch_code)
{
	bool dead_lettered = false;

	route->stats.bad_messages++;
	if (route->cfg->dlq_topic && p->dlq && msg) {
		struct ck_dlq_record rec = {
			.msg = msg,
			.topic = route->cfg->dlq_topic,
			.stage = stage,
			.error_class = "bad_data",
			.message = text,
			.clickhouse_code = ch_code,
		};
		struct ck_err derr;
		if (ck_dlq_send(p->dlq, &rec, &batch->dlq_ticket, &derr) ==
		    CK_OK) {
			dead_lettered = true;
			route->stats.dead_lettered++;
			CK_FAILPOINT("dlq.produced");
		} else {
			ck_log_error("bad message %s[%d]@%" PRId64 " cannot go "
				     "to dead-letter topic %s: %s; skipped",
				     route->cfg->topic, (int)partition, offset,
				     route->cfg->dlq_topic, derr.msg);
		}
	}
	if (route->bad_logged++ >= BAD_LOG_LIMIT)
		return;
	ck_log_warn("bad message %s[%d]@%" PRId64 " (%s): %s; %s",
		    route->cfg->topic, (int)partition, offset, what, text,
		    dead_lettered ? "sent to the dead-letter topic"
				  : "skipped, not inserted");
}

/* A message that failed to decode or convert (stage). */
static void log_bad_message(struct ck_pipeline *p, struct route *route,
			    struct ck_batch *batch,
			    const rd_kafka_message_t *msg, const char *stage,
			    const struct ck_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "%s error", ck_err_code_name(err->code));
	bad_record(p, route, batch, msg, msg->partition, msg->offset, stage,
		   what, err->msg, 0);
}

enum add_result { ADD_DONE, ADD_BLOCKED, ADD_NOMEM, ADD_FATAL };

static int route_create_table(struct ck_pipeline *p, size_t r,
			      const rd_kafka_message_t *msg,
			      struct ck_err *err);
static bool route_has_new_fields(const struct route *route);
static enum add_result route_evolve(struct ck_pipeline *p, size_t r,
				    const rd_kafka_message_t *msg,
				    int64_t now);

/* Appends "<verb>`db`.`table`" to sql, NUL-terminated (verb included). */
static int put_table_sql(struct ck_buf *sql, const char *verb,
			 const struct ck_pipeline *p, const struct route *route,
			 struct ck_err *err)
{
	int rc = ck_buf_printf(sql, err, "%s", verb);

	if (!rc)
		rc = ck_ch_quote_ident(sql, p->config->clickhouse.database,
				       err);
	if (!rc)
		rc = ck_buf_put_u8(sql, '.', err);
	if (!rc)
		rc = ck_ch_quote_ident(sql, route->cfg->table, err);
	if (!rc)
		rc = ck_buf_put_u8(sql, '\0', err);
	if (!rc)
		sql->len--; /* printable, and appendable */
	return rc;
}

/* A failed TRUNCATE or ALTER: the partition retries after the backoff. */
static int64_t ddl_retry_later(const struct ck_pipeline *p,
			       struct route *route, int64_t now)
{
	const struct ck_config *config = p->config;

	route->ddl_backoff_ms = route->ddl_backoff_ms
					? route->ddl_backoff_ms * 2
					: config->retry.initial_backoff_ms;
	if (route->ddl_backoff_ms > config->retry.max_backoff_ms)
		route->ddl_backoff_ms = config->retry.max_backoff_ms;
	route->ddl_retry_ms = now + route->ddl_backoff_ms;
	return route->ddl_backoff_ms;
}

/*
 * A truncate event with truncate: truncate. The rows before it in its
 * partition are inserted first (the partition waits, holding the event,
 * until its batches are done), then the table is emptied, then the rows
 * after it follow. The event's offset is committed with the next batch, so
 * after a crash it runs again before the rows after it are re-inserted.
 * Other partitions are not ordered with it: Kafka orders only within one.
 * A failed TRUNCATE is retried with the insert backoff; the partition waits.
 */
static enum add_result part_truncate(struct ck_pipeline *p,
				     struct route *route, struct part *part,
				     const rd_kafka_message_t *msg,
				     int64_t now)
{
	struct ck_buf sql;
	struct ck_err err;
	int rc;

	if (part->open->nmessages || part->sealed || part->inflight) {
		part_seal(p, part);
		return ADD_BLOCKED;
	}
	if (now < route->ddl_retry_ms)
		return ADD_BLOCKED;
	ck_buf_init(&sql, 4096);
	rc = put_table_sql(&sql, "TRUNCATE TABLE ", p, route, &err);
	if (!rc) {
		struct ck_buf out;
		ck_buf_init(&out, 4096);
		rc = ck_ch_query(p->ch, (const char *)sql.data, &out, &err);
		ck_buf_free(&out);
	}
	ck_buf_free(&sql);
	if (rc) {
		ck_log_error("truncate event %s[%d]@%" PRId64 ": TRUNCATE "
			     "TABLE %s failed: %s; the partition waits, "
			     "retrying in %" PRId64 " ms",
			     route->cfg->topic, (int)msg->partition,
			     msg->offset, route->table_name, err.msg,
			     ddl_retry_later(p, route, now));
		return ADD_BLOCKED;
	}
	route->ddl_backoff_ms = 0;
	route->ddl_retry_ms = 0;
	ck_log_info("truncate event %s[%d]@%" PRId64 ": emptied %s",
		    route->cfg->topic, (int)msg->partition, msg->offset,
		    route->table_name);
	return ADD_DONE;
}

/*
 * Encodes msg into the partition's open batch. ADD_BLOCKED when the
 * partition cannot take it now (the caller keeps the message).
 */
static enum add_result part_add(struct ck_pipeline *p, size_t r,
				struct part *part,
				const rd_kafka_message_t *msg, int64_t now)
{
	struct route *route = &p->routes[r];
	rd_kafka_timestamp_type_t tstype;
	struct ck_row_meta meta;
	struct ck_json_value row;
	struct ck_debezium dbz;
	struct ck_err err;
	size_t mark;
	int64_t ts;
	bool bad = false;
	int rc;

	if (p->eo && !part->eo_ready)
		return ADD_BLOCKED; /* its record is not read yet */
	if (route->tripped)
		return ADD_BLOCKED; /* the circuit breaker stopped the topic */
	if (!part->recovering && mem_full(p)) {
		/* A recovery is exempt: its range must close whole. */
		mem_block(p, part);
		return ADD_BLOCKED;
	}
	if (part->recovering && msg->offset > part->rec_last) {
		/* The range's last messages are gone (retention). */
		if (!part_seal(p, part))
			return ADD_BLOCKED;
		eo_end_recovery(part);
	}
	if (!part->recovering &&
	    (route->by_table ? route_full(route)
			     : part->open && part_full(route, part)) &&
	    !seal_full(p, r, part))
		return ADD_BLOCKED;
	if (!part->open && !(part->open = batch_get(p, r, part)))
		return ADD_NOMEM;

	ts = rd_kafka_message_timestamp(msg, &tstype);
	if (part->recovering && offset_present(part, msg->offset)) {
		/* Inserted before the crash; the offset check found it. */
		route->stats.already_inserted++;
		goto covered;
	}
	if (!msg->payload) {
		/* A tombstone carries no row (also after a Debezium delete). */
		route->stats.empty_messages++;
		goto covered;
	}
	/* The record, for metadata columns (topic, partition, offset...). */
	meta = (struct ck_row_meta){
		.topic = route->cfg->topic,
		.topic_len = route->topic_len,
		.partition = msg->partition,
		.offset = msg->offset,
		.timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1
									 : ts,
		.key = msg->key,
		.key_len = msg->key_len,
	};
	row = (struct ck_json_value){CK_JSON_OBJECT, msg->payload, msg->len,
				     false};
	if (route->cfg->format == CK_FORMAT_DEBEZIUM) {
		rc = ck_debezium_unwrap(msg->payload, msg->len, &dbz, &err);
		if (rc) {
			log_bad_message(p, route, part->open, msg, "decode",
					&err);
			bad = true;
			goto covered;
		}
		if (dbz.kind == CK_DEBEZIUM_TRUNCATE &&
		    route->cfg->truncate == CK_TRUNCATE_TABLE &&
		    !route->pending_create) {
			enum add_result res = part_truncate(p, route, part,
							    msg, now);
			if (res != ADD_DONE)
				return res;
			route->stats.empty_messages++;
			goto covered;
		}
		if (dbz.kind != CK_DEBEZIUM_ROW) {
			/* Append mode keeps rows; these events have none. */
			route->stats.empty_messages++;
			if (dbz.kind == CK_DEBEZIUM_TRUNCATE &&
			    route->truncates++ == 0)
				ck_log_info("%s: truncate events are ignored "
					    "(counted as empty; set "
					    "truncate: truncate to empty the "
					    "table)",
					    route->cfg->topic);
			goto covered;
		}
		meta.op = dbz.op;
		meta.deleted = dbz.deleted;
		meta.source_ts_ms = dbz.source_ts_ms;
		meta.event_ts_ms = dbz.ts_ms;
		/* A key always lives in one partition: offsets order it too. */
		meta.version = dbz.position >= 0 ? dbz.position : msg->offset;
		row = dbz.row;
	}
	if (route->pending_create &&
	    route_create_table(p, r, msg, &p->fatal_err) != CK_OK) {
		p->failed = true;
		return ADD_FATAL;
	}
	if (part->open->nrows == 0) {
		/* An empty batch takes the table's current INSERT. */
		part->open->sql = route->sql;
		part->open->params = route->params;
	}
	mark = part->open->rows.len;
	ck_row_encoder_set_meta(route->enc, &meta);
	rc = ck_row_encode_value(route->enc, &row, &part->open->rows,
				 &route->stats.row, &err);
	if (route->cfg->evolve && route_has_new_fields(route)) {
		/* Encode the row again once the table has the columns. */
		enum add_result res;
		part->open->rows.len = mark;
		if (part->open->nrows > 0 && !part_seal(p, part))
			return ADD_BLOCKED;
		res = route_evolve(p, r, msg, now);
		if (res != ADD_DONE)
			return res;
		if (!part->open && !(part->open = batch_get(p, r, part)))
			return ADD_NOMEM;
		part->open->sql = route->sql;
		part->open->params = route->params;
		ck_row_encoder_set_meta(route->enc, &meta);
		mark = part->open->rows.len;
		rc = ck_row_encode_value(route->enc, &row, &part->open->rows,
					 &route->stats.row, &err);
	}
	if (rc == CK_ERR_LIMIT && part->open->nrows > 0) {
		/* The batch buffer is exhausted: close it and retry once. */
		if (!part_seal(p, part))
			return ADD_BLOCKED;
		if (!(part->open = batch_get(p, r, part)))
			return ADD_NOMEM;
		mark = 0;
		rc = ck_row_encode_value(route->enc, &row, &part->open->rows,
					 &route->stats.row, &err);
	}
	if (rc == CK_ERR_NOMEM)
		return ADD_NOMEM;
	if (rc) {
		log_bad_message(p, route, part->open, msg,
				rc == CK_ERR_PARSE ? "decode" : "convert", &err);
		bad = true;
	} else {
		part->open->nrows++;
		if (ck_batch_index_row(part->open, msg->offset) != CK_OK) {
			part->open->nrows--;
			part->open->rows.len = mark;
			return ADD_NOMEM;
		}
	}
covered:
	mem_note(p, part->open);
	open_count(route, part->open);
	breaker_count(p, route, bad);
	route->stats.messages++;
	ck_batch_cover(part->open, msg->offset, now, ts);
	if (part->recovering ? msg->offset >= part->rec_last
			     : part_full(route, part))
		seal_full(p, r, part);
	return ADD_DONE;
}

/* Feeds held messages back in order; resumes the partition when drained. */
static void part_drain_backlog(struct ck_pipeline *p, size_t r,
			       struct part *part)
{
	int64_t now = ck_clock_mono_ms();

	while (part->backlog_len) {
		rd_kafka_message_t *msg = part->backlog[part->backlog_head];
		if (part_add(p, r, part, msg, now) != ADD_DONE)
			return;
		rd_kafka_message_destroy(msg);
		part->backlog_head = (part->backlog_head + 1) % part->backlog_cap;
		part->backlog_len--;
	}
	if (!p->stopping)
		part_pause(p, &p->routes[r], part, false);
}

static size_t route_index(const struct ck_pipeline *p, const char *topic);
static struct part *list_part(struct ck_pipeline *p,
			      const rd_kafka_topic_partition_t *elem,
			      bool create);

static size_t route_of(struct ck_pipeline *p, const rd_kafka_message_t *msg)
{
	size_t r;

	if (msg->rkt == p->last_rkt)
		return p->last_route;
	r = route_index(p, rd_kafka_topic_name(msg->rkt));
	if (r != SIZE_MAX) {
		p->last_rkt = msg->rkt;
		p->last_route = r;
	}
	return r;
}

/*
 * Returns CK_ERR_KAFKA for a fatal consumer error, else CK_OK. now: the
 * monotonic clock, read at most a few hundred messages ago.
 */
static int on_message(struct ck_pipeline *p, rd_kafka_message_t *msg,
		      int64_t now, struct ck_err *err)
{
	struct part *part;
	size_t r;

	if (msg->err) {
		int rc = CK_OK;
		if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
			char reason[512];
			rd_kafka_fatal_error(p->rk, reason, sizeof(reason));
			rc = ck_err_set(err, CK_ERR_KAFKA,
					"kafka: fatal consumer error: %s",
					reason);
		} else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			ck_log_warn("kafka: %s%s%s", rd_kafka_message_errstr(msg),
				    msg->rkt ? " on topic " : "",
				    msg->rkt ? rd_kafka_topic_name(msg->rkt)
					     : "");
		}
		rd_kafka_message_destroy(msg);
		return rc;
	}
	r = route_of(p, msg);
	part = r == SIZE_MAX ? NULL
			     : part_get(&p->routes[r], msg->partition, false);
	if (!part || !part->assigned || p->stopping) {
		/* Not ours (any more): not committed, so not lost. */
		rd_kafka_message_destroy(msg);
		return CK_OK;
	}
	if (part->backlog_len == 0) {
		enum add_result res =
			part_add(p, r, part, msg, now);
		if (res == ADD_DONE) {
			rd_kafka_message_destroy(msg);
			return CK_OK;
		}
		if (res == ADD_NOMEM)
			return ck_err_set(err, CK_ERR_NOMEM,
					  "out of memory batching %s[%d]",
					  p->routes[r].cfg->topic,
					  (int)msg->partition);
		if (res == ADD_FATAL) {
			rd_kafka_message_destroy(msg);
			*err = p->fatal_err;
			return err->code;
		}
	}
	if (!backlog_push(part, msg))
		return ck_err_set(err, CK_ERR_NOMEM,
				  "out of memory holding messages of %s[%d]",
				  p->routes[r].cfg->topic, (int)msg->partition);
	part_pause(p, &p->routes[r], part, true);
	return CK_OK;
}

/* ---- completions and commits --------------------------------------------- */

/*
 * Drops what a partition holds that was never sent: its open and sealed
 * batches, its held messages and a recovery in progress. Nothing of it was
 * committed, so whoever reads the partition next reads it again.
 */
static void part_drop_unsent(struct ck_pipeline *p, struct part *part)
{
	if (part->open)
		open_uncount(&p->routes[part->open->route], part->open);
	batch_put(p, part->open);
	batch_put(p, part->sealed);
	part->open = part->sealed = NULL;
	backlog_clear(part);
	eo_end_recovery(part);
}

/*
 * Exactly-once without a token: the in-flight batch's insert has an
 * unknown outcome. The partition starts over from its record, as a new
 * owner would: its later messages are dropped, the consumer goes back to
 * the range's first offset, and eo_prepare reads the record, waits for the
 * insert to leave system.processes and checks which offsets the table has.
 */
static void part_replay(struct ck_pipeline *p, struct route *route,
			struct part *part, int64_t first)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_error_t *error;

	part_drop_unsent(p, part);
	part->eo_ready = false;
	part->eo_retry_ms = 0;
	part->epoch = ++p->next_epoch;
	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, route->cfg->topic, part->id)
		->offset = first;
	error = rd_kafka_seek_partitions(p->rk, list, EO_COMMIT_TIMEOUT_MS);
	if (!error && list->elems[0].err)
		error = rd_kafka_error_new(list->elems[0].err, "%s",
					   rd_kafka_err2str(list->elems[0].err));
	rd_kafka_topic_partition_list_destroy(list);
	if (!error)
		return;
	/* The range stays recorded: a restart replays it. */
	p->failed = true;
	ck_err_set(&p->fatal_err, CK_ERR_KAFKA,
		   "kafka: cannot go back to offset %" PRId64 " of %s[%d] to "
		   "replay a range whose insert has an unknown outcome: %s; "
		   "stopping so that the restart replays it",
		   first, route->cfg->topic, (int)part->id,
		   rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
}

/* ---- rows ClickHouse refused -------------------------------------------- */

struct refused_read {
	struct ck_pipeline *p;
	struct route *route;
	struct ck_batch *batch;
};

/* The next refused row's message was not found in Kafka. */
static void refused_row_gone(const struct route *route,
			     const struct ck_batch *batch)
{
	ck_log_error("%s[%d]@%" PRId64 ": the refused row's message is no "
		     "longer in Kafka; it is not dead-lettered",
		     route->cfg->topic, (int)batch->partition,
		     batch->rejects[batch->rejects_done].offset);
}

/* One refused row is handled: counted, logged, dead-lettered if msg. */
static void refused_row(struct ck_pipeline *p, struct route *route,
			struct ck_batch *batch, const rd_kafka_message_t *msg)
{
	const struct ck_batch_reject *rej =
		&batch->rejects[batch->rejects_done++];
	char what[64];

	snprintf(what, sizeof(what), "refused by ClickHouse, code %d",
		 rej->code);
	bad_record(p, route, batch, msg, batch->partition, rej->offset,
		   "insert", what, rej->msg, rej->code);
	breaker_count(p, route, true);
}

static void on_refused_message(void *arg, const rd_kafka_message_t *msg)
{
	struct refused_read *rr = arg;
	struct ck_batch *batch = rr->batch;

	while (batch->rejects_done < batch->nrejects &&
	       batch->rejects[batch->rejects_done].offset <= msg->offset) {
		bool found = batch->rejects[batch->rejects_done].offset ==
			     msg->offset;
		if (!found)
			refused_row_gone(rr->route, batch);
		refused_row(rr->p, rr->route, batch, found ? msg : NULL);
	}
}

/*
 * The rows of an inserted batch that ClickHouse refused (the inserter split
 * the batch to find them) are bad records of stage "insert". With a
 * dead-letter topic, their messages are read back from Kafka and sent
 * there. Returns false when that must be tried again later.
 */
static bool refused_rows(struct ck_pipeline *p, struct route *route,
			 struct ck_batch *batch)
{
	struct refused_read rr = {p, route, batch};
	int64_t now = ck_clock_mono_ms();
	struct ck_err err;
	char group[300];

	if (!route->cfg->dlq_topic || !p->dlq) {
		while (batch->rejects_done < batch->nrejects)
			refused_row(p, route, batch, NULL);
		return true;
	}
	if (now < p->reader_retry_ms)
		return false;
	snprintf(group, sizeof(group), "%s.chute-reader",
		 p->config->kafka.group_id);
	if (!p->reader &&
	    !(p->reader = ck_consumer_new_reader(p->config, group, &err))) {
		ck_log_warn("%s; retrying in %d ms", err.msg, EO_RETRY_MS);
		p->reader_retry_ms = now + EO_RETRY_MS;
		return false;
	}
	if (ck_consumer_read_range(
		    p->reader, route->cfg->topic, batch->partition,
		    batch->rejects[batch->rejects_done].offset,
		    batch->rejects[batch->nrejects - 1].offset,
		    EO_COMMIT_TIMEOUT_MS, on_refused_message, &rr,
		    &err) != CK_OK) {
		ck_log_warn("%s (reading back rows ClickHouse refused, to "
			    "dead-letter them); retrying in %d ms",
			    err.msg, EO_RETRY_MS);
		p->reader_retry_ms = now + EO_RETRY_MS;
		return false;
	}
	/* The partition ended before them: they are gone. */
	while (batch->rejects_done < batch->nrejects) {
		refused_row_gone(route, batch);
		refused_row(p, route, batch, NULL);
	}
	return true;
}

static void on_batch_done(struct ck_pipeline *p, struct ck_batch *batch)
{
	struct route *route = &p->routes[batch->route];
	struct part *part = part_get(route, batch->partition, false);
	bool current = part && part->epoch == batch->epoch;

	if (batch->status == CK_BATCH_INSERTED && current &&
	    batch->rejects_done < batch->nrejects &&
	    !refused_rows(p, route, batch)) {
		batch->dlq_waiting = true; /* process_done comes back */
		return;
	}
	if (batch->status == CK_BATCH_INSERTED && current &&
	    batch->dlq_ticket.pending > 0) {
		/* Inserted; its dead letters are not acknowledged yet. */
		batch->dlq_waiting = true;
		return;
	}
	batch->dlq_waiting = false;
	if (part && part->inflight == batch)
		part->inflight = NULL;
	if (batch->status == CK_BATCH_INSERTED) {
		int64_t last = batch->eo_last > batch->last_offset
				       ? batch->eo_last
				       : batch->last_offset;
		route->stats.rows_inserted += batch->nrows - batch->nrejects;
		route->stats.batches++;
		route->stats.insert_ms += (uint64_t)batch->insert_ms;
		/* A batch of only bad messages or tombstones has 0 attempts. */
		if (batch->attempts > 1)
			route->stats.insert_retries +=
				(uint64_t)batch->attempts - 1;
		/*
		 * Stages: Kafka timestamp -> first message in the batch
		 * (fetch), -> closed (batch), -> a worker took it (queue),
		 * -> acknowledged (insert). The commit follows at once,
		 * asynchronously.
		 */
		char fetch[32] = "n/a";
		if (batch->first_ts_ms > 0)
			snprintf(fetch, sizeof(fetch), "%" PRId64 " ms",
				 batch->opened_ms + ck_clock_wall_ms() -
					 ck_clock_mono_ms() -
					 batch->first_ts_ms);
		ck_log_debug("inserted %" PRIu64 " rows into %s from %s[%d] "
			     "offsets %" PRId64 "..%" PRId64 ": fetch %s, batch "
			     "%" PRId64 " ms (closed by %s), queue %" PRId64
			     " ms, insert %" PRId64 " ms",
			     batch->nrows - batch->nrejects, route->table_name,
			     route->cfg->topic, (int)batch->partition,
			     batch->first_offset, batch->last_offset, fetch,
			     batch->sealed_ms - batch->opened_ms,
			     batch->sealed_by,
			     batch->started_ms - batch->sealed_ms,
			     batch->insert_ms);
		if (current && !part->failed) {
			part->commit_offset = last + 1;
			part->commit_dirty = true;
		}
	} else if (batch->status == CK_BATCH_UNKNOWN && current &&
		   part->assigned && !part->failed) {
		/* Replayed below. */
	} else {
		/* A revoked partition's batch is the next owner's to insert. */
		if (current) {
			p->abandoned_rows += batch->nrows;
			part->failed = true;
		}
		ck_log_warn("abandoned %" PRIu64 " rows for %s from %s[%d] "
			    "offsets %" PRId64 "..%" PRId64 " (not committed; "
			    "they are read again on restart)%s%s",
			    batch->nrows, route->table_name, route->cfg->topic,
			    (int)batch->partition, batch->first_offset,
			    batch->last_offset, batch->err.msg[0] ? ": " : "",
			    batch->err.msg);
	}
	batch_put(p, batch);
	if (route->by_table)
		route_kick(p, batch->route);
	if (!current || !part->assigned || part->failed)
		return;
	if (batch->status == CK_BATCH_UNKNOWN) {
		part_replay(p, route, part, batch->eo_first);
		return;
	}
	if (!route->by_table && part->sealed && !part->inflight) {
		struct ck_batch *next = part->sealed;
		part->sealed = NULL;
		part_submit(p, part, next);
	}
	if (!part->recovering && part->open && part_full(route, part))
		seal_full(p, batch->route, part);
	if (route->by_table)
		route_drain(p, batch->route);
	else
		part_drain_backlog(p, batch->route, part);
}

static void process_done(struct ck_pipeline *p)
{
	struct ck_batch *batch;

	while ((batch = ck_inserter_take_done(p->ins)))
		on_batch_done(p, batch);
	submit_flush(p);
	if (!p->dlq)
		return;
	/* Inserted batches whose dead letters are now acknowledged. */
	ck_dlq_poll(p->dlq, 0);
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (part && part->inflight &&
			    part->inflight->dlq_waiting &&
			    part->inflight->dlq_ticket.pending == 0)
				on_batch_done(p, part->inflight);
		}
	}
	submit_flush(p);
	orphans_reap(p);
}

/*
 * Adds partition part at offset to a commit list. In exactly-once mode the
 * commit carries the partition's record (its epoch, and the range batch
 * stands for if batch is not NULL).
 */
static void list_add_commit(const struct ck_pipeline *p,
			    rd_kafka_topic_partition_list_t *list,
			    const struct route *route, const struct part *part,
			    int64_t offset, const struct ck_batch *batch)
{
	rd_kafka_topic_partition_t *elem = rd_kafka_topic_partition_list_add(
		list, route->cfg->topic, part->id);
	struct ck_eo_record rec = {.found = true, .epoch = part->eo_epoch};
	char meta[CK_EO_META_MAX];
	size_t n;

	elem->offset = offset;
	if (!p->eo)
		return;
	if (batch) {
		rec.pending = true;
		rec.first = batch->eo_first;
		rec.last = batch->eo_last;
	}
	n = ck_eo_meta_format(meta, &rec);
	/* rd_kafka_topic_partition_list_destroy() frees it. */
	elem->metadata = malloc(n);
	if (elem->metadata) {
		memcpy(elem->metadata, meta, n);
		elem->metadata_size = n;
	}
}

/*
 * Exactly-once, step 2 of docs/delivery.md: records the range of every
 * in-flight batch that waits for it, in one synchronous commit (offset
 * eo_first, the range in the metadata), and hands each recorded batch to
 * the inserters. A partition whose commit failed keeps its batch and is
 * tried again after EO_RETRY_MS: nothing is inserted unrecorded.
 */
static void eo_record(struct ck_pipeline *p)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t code;
	int64_t now = ck_clock_mono_ms();
	bool left = false;

	if (!p->eo_unrecorded || now < p->eo_record_retry_ms)
		return;
	list = rd_kafka_topic_partition_list_new(8);
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (part && part->assigned && part->inflight &&
			    !part->inflight->recorded)
				list_add_commit(p, list, route, part,
						part->inflight->eo_first,
						part->inflight);
		}
	}
	p->eo_unrecorded = false;
	if (list->cnt == 0) {
		rd_kafka_topic_partition_list_destroy(list);
		return;
	}
	code = rd_kafka_commit(p->rk, list, 0);
	for (int i = 0; i < list->cnt; i++) {
		const rd_kafka_topic_partition_t *elem = &list->elems[i];
		rd_kafka_resp_err_t e = code ? code : elem->err;
		struct part *part = list_part(p, elem, false);
		struct ck_batch *batch;

		if (!part || !part->inflight || part->inflight->recorded)
			continue;
		batch = part->inflight;
		if (e) {
			ck_log_warn("kafka: cannot record pending range "
				    "%" PRId64 "..%" PRId64 " of %s[%d]: %s; "
				    "not inserting it until it is recorded",
				    batch->eo_first, batch->eo_last,
				    elem->topic, (int)elem->partition,
				    rd_kafka_err2str(e));
			left = true;
			continue;
		}
		CK_FAILPOINT("eo.recorded");
		batch->recorded = true;
		part->commit_dirty = false; /* the record committed eo_first */
		batch_send(p, batch);
	}
	rd_kafka_topic_partition_list_destroy(list);
	if (left) {
		p->eo_unrecorded = true;
		p->eo_record_retry_ms = now + EO_RETRY_MS;
	}
}

/*
 * Commits every assigned partition whose commit offset moved, in one
 * request. sync: wait for the broker's answer (revoke, shutdown).
 */
static void commit_dirty(struct ck_pipeline *p, bool sync)
{
	rd_kafka_topic_partition_list_t *list = NULL;
	rd_kafka_resp_err_t code;

	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (!part || !part->commit_dirty || !part->assigned)
				continue;
			if (!list)
				list = rd_kafka_topic_partition_list_new(16);
			list_add_commit(p, list, route, part,
					part->commit_offset, NULL);
			part->commit_dirty = false;
		}
	}
	if (!list)
		return;
	code = rd_kafka_commit(p->rk, list, sync ? 0 : 1);
	if (code && sync)
		ck_log_warn("kafka: offset commit failed: %s (the rows are in "
			    "ClickHouse; they will be read again)",
			    rd_kafka_err2str(code));
	rd_kafka_topic_partition_list_destroy(list);
}

/* ---- rebalance hooks (pipeline thread, inside consumer poll) ------------- */

static size_t route_index(const struct ck_pipeline *p, const char *topic)
{
	for (size_t r = 0; r < p->nroutes; r++) {
		if (strcmp(p->routes[r].cfg->topic, topic) == 0)
			return r;
	}
	return SIZE_MAX;
}

/* The state of a partition named in a rebalance list, or NULL. */
static struct part *list_part(struct ck_pipeline *p,
			      const rd_kafka_topic_partition_t *elem,
			      bool create)
{
	size_t r = route_index(p, elem->topic);

	return r == SIZE_MAX ? NULL
			     : part_get(&p->routes[r], elem->partition, create);
}

static void on_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ck_pipeline *p = arg;
	rd_kafka_topic_partition_list_t *resume =
		rd_kafka_topic_partition_list_copy(parts);

	/*
	 * librdkafka keeps a partition's pause through a revoke and a new
	 * assignment (librdkafka#1849). on_revoked resumes what chute had
	 * paused; this clears anything else, so that an assigned partition is
	 * always fetched. (Partitions librdkafka has not seen yet only get an
	 * error here.)
	 */
	rd_kafka_resume_partitions(p->rk, resume);
	rd_kafka_topic_partition_list_destroy(resume);
	p->ever_assigned = true;

	for (int i = 0; i < parts->cnt; i++) {
		struct part *part = list_part(p, &parts->elems[i], true);
		if (!part) {
			ck_log_error("cannot track assigned partition %s[%d]",
				     parts->elems[i].topic,
				     (int)parts->elems[i].partition);
			continue;
		}
		part->assigned = true;
		part->paused = false;
		part->failed = false;
		part->epoch = ++p->next_epoch;
		part->commit_offset = -1;
		part->commit_dirty = false;
		/* Exactly-once: read the record before the first message. */
		part->eo_ready = !p->eo;
		part->eo_retry_ms = 0;
		eo_end_recovery(part);
	}
	ck_log_info("kafka: assigned %d partition(s)", parts->cnt);
}

/* True while an insert of a partition in the list is in flight. */
static bool list_inflight(struct ck_pipeline *p,
			  const rd_kafka_topic_partition_list_t *parts)
{
	for (int i = 0; i < parts->cnt; i++) {
		struct part *part = list_part(p, &parts->elems[i], false);
		if (part && part->inflight)
			return true;
	}
	return false;
}

static void on_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts,
		       bool lost)
{
	struct ck_pipeline *p = arg;
	int64_t wait_ms = p->config->shutdown_timeout_ms < REVOKE_WAIT_MAX_MS
				  ? p->config->shutdown_timeout_ms
				  : REVOKE_WAIT_MAX_MS;
	int64_t deadline = ck_clock_mono_ms() + wait_ms;

	/* Closed batches are on their way: the wait below covers them. */
	submit_flush(p);
	for (int i = 0; i < parts->cnt; i++) {
		struct part *part = list_part(p, &parts->elems[i], false);
		if (!part)
			continue;
		/* Not paused for a next owner that is this member again. */
		part_pause(p, &p->routes[route_index(p, parts->elems[i].topic)],
			   part, false);
		/* Uncommitted rows: the next owner reads them again. */
		part_drop_unsent(p, part);
		if (part->inflight && !part->inflight->recorded) {
			/* Never sent: the next owner forms it again. */
			batch_put(p, part->inflight);
			part->inflight = NULL;
		}
		if (lost)
			part->commit_dirty = false;
	}
	/* Let in-flight inserts of the revoked partitions finish, bounded. */
	while (!lost && list_inflight(p, parts)) {
		CK_FAILPOINT("revoke.inflight");
		if (ck_clock_mono_ms() >= deadline) {
			ck_log_warn("kafka: revoke did not wait longer than "
				    "%" PRId64 " ms for inserts; their offsets "
				    "are not committed",
				    wait_ms);
			break;
		}
		ck_inserter_wait_done(p->ins, PIPELINE_TICK_MS);
		process_done(p);
	}
	if (!lost)
		commit_dirty(p, true);
	for (int i = 0; i < parts->cnt; i++) {
		struct part *part = list_part(p, &parts->elems[i], false);
		if (!part)
			continue;
		part->assigned = false;
		part->paused = false;
		part->commit_dirty = false;
		/*
		 * An insert still in flight stops retrying, and a late
		 * acknowledgement commits nothing.
		 */
		if (part->inflight && part->inflight->dlq_waiting)
			batch_put(p, part->inflight); /* ours, not a worker's */
		else if (part->inflight)
			atomic_store(&part->inflight->cancelled, true);
		part->inflight = NULL;
		part->epoch = ++p->next_epoch;
	}
	ck_log_info("kafka: %s %d partition(s)", lost ? "lost" : "revoked",
		    parts->cnt);
}

/* ---- exactly-once recovery ------------------------------------------------ */

static uint64_t random_epoch(void)
{
	uint64_t v = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (f) {
		if (fread(&v, sizeof(v), 1, f) != 1)
			v = 0;
		fclose(f);
	}
	if (!v) /* no /dev/urandom: the clock still makes a new value */
		v = (uint64_t)ck_clock_wall_ms() * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ck_clock_mono_ms();
	return v;
}

/* Runs a one-value query (count() ...); -1 on failure. */
static int64_t query_count(struct ck_pipeline *p, const char *sql,
			   struct ck_err *err)
{
	struct ck_buf out;
	int64_t n = -1;

	ck_buf_init(&out, 64);
	if (ck_ch_query(p->ch, sql, &out, err) == CK_OK &&
	    ck_buf_put_u8(&out, '\0', err) == CK_OK)
		n = strtoll((const char *)out.data, NULL, 10);
	ck_buf_free(&out);
	return n;
}

/*
 * The offsets of [first, last] of the partition already in the table
 * (docs/delivery.md, the offset-column check), sorted, into
 * part->present. Waits (CK_ERR_CLICKHOUSE, retriable) while an insert of
 * the range is still running on the server: an old owner's request that
 * was already sent must land before the check, not after it.
 */
static int eo_read_present(struct ck_pipeline *p, struct route *route,
			   struct part *part, struct ck_err *err)
{
	struct ck_buf sql, out;
	char qid[512];
	size_t n = 0, cap;
	int64_t running;
	int rc;

	ck_buf_init(&sql, 1u << 16);
	ck_buf_init(&out, 32u << 20);
	ck_batch_query_id(qid, sizeof(qid), route->table_name, part->id,
			  part->rec_first, part->rec_last);
	rc = ck_buf_printf(&sql, err, "SELECT count() FROM system.processes "
				      "WHERE query_id = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, qid, err);
	if (!rc)
		rc = ck_buf_put_u8(&sql, '\0', err);
	if (rc)
		goto out;
	running = query_count(p, (const char *)sql.data, err);
	if (running != 0) {
		if (running > 0)
			rc = ck_err_set(err, CK_ERR_CLICKHOUSE,
					"an insert of this range (query_id "
					"%s) is still running on the server; "
					"waiting for it",
					qid);
		else
			rc = err->code ? err->code : CK_ERR_CLICKHOUSE;
		goto out;
	}
	ck_buf_reset(&sql);
	rc = ck_buf_printf(&sql, err, "SELECT DISTINCT ");
	if (!rc)
		rc = ck_ch_quote_ident(&sql, route->col_offset, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " AS o");
	if (!rc)
		rc = put_table_sql(&sql, " FROM ", p, route, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " WHERE ");
	if (!rc)
		rc = ck_ch_quote_ident(&sql, route->col_topic, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " = ");
	if (!rc)
		rc = ck_ch_quote_string(&sql, route->cfg->topic, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " AND ");
	if (!rc)
		rc = ck_ch_quote_ident(&sql, route->col_partition, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " = %d AND ", (int)part->id);
	if (!rc)
		rc = ck_ch_quote_ident(&sql, route->col_offset, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err,
				   " BETWEEN %" PRId64 " AND %" PRId64
				   " ORDER BY o FORMAT TabSeparated",
				   part->rec_first, part->rec_last);
	if (!rc)
		rc = ck_buf_put_u8(&sql, '\0', err);
	if (!rc)
		rc = ck_ch_query(p->ch, (const char *)sql.data, &out, err);
	if (!rc)
		rc = ck_buf_put_u8(&out, '\0', err);
	if (rc)
		goto out;
	cap = 0;
	for (const char *c = (const char *)out.data; *c; c++)
		cap += *c == '\n';
	free(part->present);
	part->present = cap ? malloc(cap * sizeof(*part->present)) : NULL;
	if (cap && !part->present) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (char *c = (char *)out.data; *c && n < cap;) {
		char *end;
		part->present[n++] = strtoll(c, &end, 10);
		c = end + (*end == '\n');
	}
	part->npresent = n;
out:
	ck_buf_free(&sql);
	ck_buf_free(&out);
	return rc;
}

/*
 * Exactly-once, step 6 of docs/delivery.md, for a newly assigned
 * partition: reads its committed record; if a range is pending, the next
 * batch rebuilds exactly that range (after the offset check, where the
 * route has offset columns). On any failure the partition keeps waiting
 * (its messages are held, the partition paused) and this runs again.
 */
static void eo_prepare(struct ck_pipeline *p, size_t r, struct part *part,
		       int64_t now)
{
	struct route *route = &p->routes[r];
	rd_kafka_topic_partition_list_t *list =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_t *elem;
	struct ck_eo_record rec;
	struct ck_err err;
	rd_kafka_resp_err_t code;

	ck_err_clear(&err);
	part->eo_retry_ms = now + EO_RETRY_MS;
	elem = rd_kafka_topic_partition_list_add(list, route->cfg->topic,
						 part->id);
	code = rd_kafka_committed(p->rk, list, EO_COMMIT_TIMEOUT_MS);
	if (code || elem->err) {
		ck_log_warn("kafka: cannot read the committed offset of "
			    "%s[%d]: %s; trying again",
			    route->cfg->topic, (int)part->id,
			    rd_kafka_err2str(code ? code : elem->err));
		goto out;
	}
	if (ck_eo_meta_parse(elem->metadata, elem->metadata_size, &rec,
			     &err) != CK_OK) {
		ck_log_warn("%s[%d]: ignoring the commit's metadata (%s): no "
			    "pending range is known",
			    route->cfg->topic, (int)part->id, err.msg);
		memset(&rec, 0, sizeof(rec));
	}
	if (!rec.found) {
		/* New group, new or recreated topic, or at-least-once. */
		rec.epoch = random_epoch();
		rec.pending = false;
		ck_log_info("%s[%d]: no exactly-once record in the commit: "
			    "new epoch %016" PRIx64,
			    route->cfg->topic, (int)part->id, rec.epoch);
	}
	part->eo_epoch = rec.epoch;
	if (rec.pending && elem->offset != rec.first) {
		ck_log_warn("%s[%d]: the committed offset %" PRId64 " is not "
			    "the start of the recorded range %" PRId64
			    "..%" PRId64 " (was the group's offset reset?); "
			    "the range is not replayed",
			    route->cfg->topic, (int)part->id, elem->offset,
			    rec.first, rec.last);
		rec.pending = false;
	}
	if (rec.pending) {
		part->recovering = true;
		part->rec_first = rec.first;
		part->rec_last = rec.last;
		if (route->eo.check_offsets &&
		    eo_read_present(p, route, part, &err) != CK_OK) {
			ck_log_warn("%s[%d]: cannot check which offsets of "
				    "the recorded range %" PRId64 "..%" PRId64
				    " are in %s yet: %s; trying again",
				    route->cfg->topic, (int)part->id,
				    rec.first, rec.last, route->table_name,
				    err.msg);
			eo_end_recovery(part);
			goto out;
		}
		ck_log_info("%s[%d]: recovering: re-inserting the recorded "
			    "range %" PRId64 "..%" PRId64 "%s%zu of its "
			    "offsets already in %s%s",
			    route->cfg->topic, (int)part->id, rec.first,
			    rec.last, route->eo.check_offsets ? " (" : "",
			    part->npresent, route->table_name,
			    route->eo.check_offsets ? ")" : "");
	}
	part->eo_ready = true;
out:
	rd_kafka_topic_partition_list_destroy(list);
}

/* ---- timers and stats ------------------------------------------------------ */

/* Seals batches that reached max_wait; returns ms until the next one is due. */
static int64_t seal_due(struct ck_pipeline *p, int64_t now)
{
	int64_t next = PIPELINE_TICK_MS;

	if (p->mem_over && !mem_full(p))
		p->mem_over = false;

	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		int64_t oldest = INT64_MAX, left;
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (!part || !part->assigned)
				continue;
			if (p->eo && !part->eo_ready &&
			    now >= part->eo_retry_ms) {
				eo_prepare(p, r, part, now);
				if (part->eo_ready && !p->stopping)
					part_drain_backlog(p, r, part);
			}
			if (part->mem_blocked && !mem_full(p) &&
			    !p->stopping) {
				part->mem_blocked = false;
				part_drain_backlog(p, r, part);
			}
			if (!part->open)
				continue;
			/* Held messages wait for nothing in flight (a
			 * TRUNCATE to retry): feed them again. */
			if (part->backlog_len && !part->inflight &&
			    !part->sealed && !p->stopping)
				part_drain_backlog(p, r, part);
			if (!part->open)
				continue;
			if (part->recovering) {
				/* Closes at its recorded end only. */
				if (part->open->nmessages &&
				    part->open->last_offset >= part->rec_last)
					part_seal(p, part);
				continue;
			}
			if (route->by_table) {
				/* The table's oldest batch decides (below). */
				if (part->open->nmessages &&
				    part->open->opened_ms < oldest)
					oldest = part->open->opened_ms;
				continue;
			}
			if (ck_batch_due(part->open, &route->cfg->batch, now) &&
			    part_seal(p, part))
				continue;
			left = ck_batch_wait_ms(part->open, &route->cfg->batch,
						now);
			if (left > 0 && left < next)
				next = left;
		}
		if (route->by_table) {
			route_kick(p, r);
			route_drain(p, r);
		}
		if (oldest == INT64_MAX)
			continue;
		left = oldest + route->cfg->batch.max_wait_ms - now;
		if (left <= 0 || route_full(route))
			route_seal(p, r,
				   left <= 0 ? "max_wait"
				   : route->open_rows >= route->cfg->batch.max_rows
					   ? "max_rows"
					   : "max_bytes");
		else if (left < next)
			next = left;
	}
	submit_flush(p);
	return next;
}

static void log_stats(struct ck_pipeline *p, bool final)
{
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		struct route_stats *s = &route->stats, *o = &route->reported;
		uint64_t batches = s->batches - o->batches;

		if (!final && s->messages == o->messages &&
		    s->rows_inserted == o->rows_inserted)
			continue;
		ck_log_info("%s %s -> %s: %" PRIu64 " messages, %" PRIu64
			    " rows inserted in %" PRIu64 " batches (%" PRIu64
			    " inserts, avg insert %" PRIu64 " ms), %" PRIu64
			    " bad (%" PRIu64 " dead-lettered), %" PRIu64
			    " empty, %" PRIu64
			    " unknown fields, %" PRIu64 " missing fields, %" PRIu64
			    " nulls defaulted, %" PRIu64 " insert retries",
			    final ? "totals" : "stats", route->cfg->topic,
			    route->table_name,
			    final ? s->messages : s->messages - o->messages,
			    final ? s->rows_inserted
				  : s->rows_inserted - o->rows_inserted,
			    final ? s->batches : batches,
			    final ? s->inserts : s->inserts - o->inserts,
			    (final ? s->batches : batches)
				    ? (final ? s->insert_ms
					     : s->insert_ms - o->insert_ms) /
					      (final ? s->batches : batches)
				    : 0,
			    final ? s->bad_messages
				  : s->bad_messages - o->bad_messages,
			    final ? s->dead_lettered
				  : s->dead_lettered - o->dead_lettered,
			    final ? s->empty_messages
				  : s->empty_messages - o->empty_messages,
			    final ? s->row.unknown_fields
				  : s->row.unknown_fields -
					    o->row.unknown_fields,
			    final ? s->row.missing_fields
				  : s->row.missing_fields -
					    o->row.missing_fields,
			    final ? s->row.null_defaults
				  : s->row.null_defaults - o->row.null_defaults,
			    final ? s->insert_retries
				  : s->insert_retries - o->insert_retries);
		if (route->bad_logged > BAD_LOG_LIMIT)
			ck_log_warn("%s: %" PRIu64 " more bad messages were not "
				    "logged individually",
				    route->cfg->topic,
				    route->bad_logged - BAD_LOG_LIMIT);
		route->bad_logged = 0;
		*o = *s;
	}
	if (p->mem_pauses != p->mem_pauses_reported ||
	    (final && p->mem_pauses)) {
		ck_log_info("memory: batches held at most %" PRIu64 " MiB of "
			    "the %" PRIu64 " MiB memory_budget; partitions "
			    "paused %" PRIu64 " times for it%s",
			    p->mem_peak >> 20, p->config->memory_budget >> 20,
			    final ? p->mem_pauses
				  : p->mem_pauses - p->mem_pauses_reported,
			    final ? " in all" : " since the last stats line");
		p->mem_pauses_reported = p->mem_pauses;
	}
}

/* ---- set-up ---------------------------------------------------------------- */

/* The column the config gives meta field f, or NULL. */
static const char *opts_meta_column(const struct route *route,
				    enum ck_meta_field f)
{
	for (size_t i = 0; i < route->nopts; i++)
		if (route->opts[i].meta == f)
			return route->opts[i].name;
	return NULL;
}

/* Adds {name: {meta: f}} unless the config already has options for name. */
static int opts_add_meta(struct route *route, const char *name,
			 enum ck_meta_field f, struct ck_err *err)
{
	for (size_t i = 0; i < route->nopts; i++) {
		if (strcmp(route->opts[i].name, name) != 0)
			continue;
		if (route->opts[i].meta == f)
			return CK_OK;
		return ck_err_set(err, CK_ERR_CONFIG,
				  "topic %s: columns: %s is the table's %s "
				  "column in mode upsert; its options must "
				  "be {meta: %s} or none",
				  route->cfg->topic, name,
				  f == CK_META_VERSION ? "version" : "deleted",
				  f == CK_META_VERSION ? "version" : "deleted");
	}
	route->opts[route->nopts++] = (struct ck_column_opts){
		.name = name, .unit = CK_EPOCH_AUTO, .meta = f};
	return CK_OK;
}

/*
 * Upsert mode writes into a ReplacingMergeTree: its version parameter gets
 * each change's version, and a delete sets the deleted flag: the engine's
 * is_deleted parameter (23.2 and later), else the column the config marks
 * {meta: deleted}, else a column named _deleted (docs/cdc.md).
 */
static int route_upsert_columns(struct ck_pipeline *p, struct route *route,
				struct ck_err *err)
{
	const char *db = p->config->clickhouse.database;
	const char *table = route->cfg->table;
	const char *deleted;
	int rc;

	rc = ck_ch_table_engine(p->ch, db, table, &route->engine, err);
	if (rc)
		return rc;
	if (!route->engine.replacing)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "topic %s: mode upsert needs a "
				  "ReplacingMergeTree table, and %s.%s is %s "
				  "(use mode: append, or see docs/cdc.md)",
				  route->cfg->topic, db, table,
				  route->engine.name);
	if (!route->engine.version[0])
		return ck_err_set(err, CK_ERR_CONFIG,
				  "topic %s: mode upsert needs "
				  "ReplacingMergeTree(version[, is_deleted]); "
				  "%s.%s has no version column, so the server "
				  "would keep an arbitrary change of a key",
				  route->cfg->topic, db, table);
	rc = opts_add_meta(route, route->engine.version, CK_META_VERSION, err);
	if (rc)
		return rc;
	deleted = route->engine.is_deleted[0]
			  ? route->engine.is_deleted
			  : opts_meta_column(route, CK_META_DELETED);
	if (!deleted) {
		deleted = "_deleted";
		rc = ck_ch_column_exists(p->ch, db, table, deleted, err);
		if (rc == CK_ERR_SCHEMA)
			return ck_err_set(err, CK_ERR_CONFIG,
					  "topic %s: mode upsert needs a "
					  "deleted flag in %s.%s: "
					  "ReplacingMergeTree(version, "
					  "is_deleted) on ClickHouse 23.2 and "
					  "later, or a UInt8 column marked "
					  "{meta: deleted} in the config, or "
					  "one named _deleted",
					  route->cfg->topic, db, table);
		if (rc)
			return rc;
	}
	return opts_add_meta(route, deleted, CK_META_DELETED, err);
}

static int route_prepare(struct ck_pipeline *p, struct route *route,
			 struct ck_err *err)
{
	const struct ck_config *config = p->config;
	struct ck_buf sql;
	const char *const *skipped;
	size_t nskipped;
	int rc;

	free(route->opts);
	route->nopts = 0;
	route->opts = calloc(route->cfg->ncolumns + route->ddl.ncols + 2,
			     sizeof(*route->opts));
	if (!route->opts)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < route->cfg->ncolumns; i++)
		route->opts[route->nopts++] = route->cfg->columns[i];
	/* What the created columns need, unless the config says otherwise. */
	for (size_t i = 0; i < route->ddl.ncols; i++) {
		const struct ck_ddl_column *col = &route->ddl.cols[i];
		bool configured = false;
		if (col->unit == CK_EPOCH_AUTO && !col->bytes_base64)
			continue;
		for (size_t j = 0; j < route->cfg->ncolumns; j++)
			configured |= !strcmp(route->cfg->columns[j].name,
					      col->name);
		if (!configured)
			route->opts[route->nopts++] = (struct ck_column_opts){
				.name = col->name,
				.unit = col->unit,
				.bytes_base64 = col->bytes_base64,
			};
	}
	if (route->cfg->mode == CK_MODE_UPSERT) {
		rc = route_upsert_columns(p, route, err);
		if (rc)
			return rc;
	}
	rc = ck_ch_describe(p->ch, config->clickhouse.database,
			    route->cfg->table, &p->server, route->opts,
			    route->nopts, &route->schema, err);
	if (rc == CK_ERR_CONFIG)
		ck_err_prefix(err, "topic %s: columns: ", route->cfg->topic);
	if (rc)
		return rc;
	route->enc = ck_row_encoder_new(route->schema);
	if (!route->enc)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	ck_row_encoder_track_unknown(route->enc, route->cfg->evolve);

	ck_buf_init(&sql, 1u << 20);
	rc = put_table_sql(&sql, "INSERT INTO ", p, route, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " (");
	for (size_t i = 0; !rc && i < ck_schema_insert_count(route->schema);
	     i++) {
		if (i)
			rc = ck_buf_printf(&sql, err, ", ");
		if (!rc)
			rc = ck_ch_quote_ident(
				&sql, ck_schema_insert_name(route->schema, i),
				err);
	}
	if (!rc)
		rc = ck_buf_printf(&sql, err, ")");
	if (!rc)
		rc = ck_buf_printf(&sql, err, " FORMAT %s",
				   ck_schema_format(route->schema));
	if (!rc)
		rc = ck_buf_put_u8(&sql, '\0', err);
	if (rc) {
		ck_buf_free(&sql);
		return rc;
	}
	route->sql = (char *)sql.data;
	/*
	 * insert_deduplicate=0: in at-least-once mode a batch has no token,
	 * so block-hash dedup (Replicated tables, or a non-zero window) would
	 * store two different batches with identical bytes once and silently
	 * drop the second. A re-sent batch may then be stored twice, which
	 * at-least-once allows. JSON columns travel as text (see
	 * ck_schema_has_json()).
	 */
	route->params = ck_schema_has_json(route->schema)
				? "&insert_deduplicate=0"
				  "&input_format_binary_read_json_as_string=1"
				: "&insert_deduplicate=0";
	if (route->eo_params)
		route->params = route->eo_params +
				(ck_schema_has_json(route->schema)
					 ? 0
					 : strlen(JSON_AS_STRING));

	nskipped = ck_schema_skipped_defaults(route->schema, &skipped);
	for (size_t i = 0; i < nskipped; i++)
		ck_log_warn("%s: column %s has a DEFAULT expression and this "
			    "server (%s) lacks RowBinaryWithDefaults, so the "
			    "server always computes it; a message field %s is "
			    "ignored",
			    route->table_name, skipped[i], p->server.version,
			    skipped[i]);
	return CK_OK;
}

/* The column the config fills with meta field f, or NULL. */
static const char *cfg_meta_column(const struct ck_config_route *cfg,
				   enum ck_meta_field f)
{
	for (size_t i = 0; i < cfg->ncolumns; i++)
		if (cfg->columns[i].meta == f)
			return cfg->columns[i].name;
	return NULL;
}

/*
 * E4 (docs/delivery.md): an empty INSERT with the settings exactly-once
 * sends, a token included where the server has them. A profile or a
 * settings constraint that forbids one of them refuses it here, at
 * start-up, instead of every batch later. An empty insert writes nothing.
 */
static int eo_probe_settings(struct ck_pipeline *p, struct route *route,
			     struct ck_err *err)
{
	char params[1024];
	struct ck_err e;

	snprintf(params, sizeof(params), "%s%s",
		 route->params ? route->params : "",
		 route->eo.send_token
			 ? "&insert_deduplication_token=chute1:probe"
			 : "");
	if (ck_ch_insert(p->ch, route->sql, NULL, params, (const uint8_t *)"",
			 0, &e) == CK_OK)
		return CK_OK;
	if (ck_ch_last_class(p->ch) != CK_CH_CLASS_CONFIG) {
		ck_log_warn("delivery: exactly-once: cannot check that %s "
			    "takes exactly-once's insert settings: %s",
			    route->table_name, e.msg);
		return CK_OK;
	}
	return ck_err_set(err, CK_ERR_CONFIG,
			  "delivery: exactly-once: route %s -> %s: the server "
			  "refused an insert with the settings exactly-once "
			  "needs (insert_deduplicate=1%s): %s; allow them and "
			  "inserts for user %s, or set delivery: "
			  "at-least-once",
			  route->cfg->topic, route->table_name,
			  route->eo.send_token
				  ? ", async_insert=0, insert_deduplication_"
				    "token"
				  : "",
			  e.msg, p->config->clickhouse.user);
}

/*
 * Exactly-once: decides how the route's inserts are deduplicated, or
 * refuses the route (CK_ERR_CONFIG, exit 2) where exactly-once cannot be
 * kept (docs/delivery.md, "Guarantee per server and table kind"). Sets
 * the insert settings: insert_deduplicate=1, and with a token async
 * inserts off (the token goes on per batch, inserter.c).
 */
static int route_eo_init(struct ck_pipeline *p, struct route *route,
			 struct ck_err *err)
{
	struct ck_ch_engine engine;
	struct ck_eo_target t;
	struct ck_err note;
	enum ck_eo_verdict verdict;
	char params[256];
	int rc;

	route->col_topic = cfg_meta_column(route->cfg, CK_META_TOPIC);
	route->col_partition = cfg_meta_column(route->cfg, CK_META_PARTITION);
	route->col_offset = cfg_meta_column(route->cfg, CK_META_OFFSET);
	memset(&engine, 0, sizeof(engine));
	if (route->pending_create) {
		/* What route_create_table will create (map/ddl.c). */
		snprintf(engine.name, sizeof(engine.name), "%s",
			 route->cfg->mode == CK_MODE_UPSERT
				 ? "ReplacingMergeTree"
				 : "MergeTree");
		engine.dedup_window = -1;
	} else {
		rc = ck_ch_table_engine(p->ch, p->config->clickhouse.database,
					route->cfg->table, &engine, err);
		if (rc)
			return rc;
	}
	t = (struct ck_eo_target){
		.topic = route->cfg->topic,
		.table = route->table_name,
		.version = p->server.version,
		.token = p->server.dedup_token,
		.engine = engine.name,
		.window = engine.dedup_window >= 0 ? engine.dedup_window
						   : p->server.dedup_window,
		.offset_columns = route->col_topic && route->col_partition &&
				  route->col_offset,
	};
	verdict = ck_eo_decide(&t, &route->eo, &note);
	if (verdict == CK_EO_REFUSE)
		return ck_err_set(err, CK_ERR_CONFIG, "delivery: exactly-once: %s",
				  note.msg);
	if (verdict == CK_EO_WARN)
		ck_log_warn("delivery: exactly-once: %s", note.msg);
	ck_log_info("delivery: exactly-once for %s -> %s: %s%s%s",
		    route->cfg->topic, route->table_name,
		    route->eo.send_token ? "insert_deduplication_token" : "",
		    route->eo.send_token && route->eo.check_offsets ? " and "
								    : "",
		    route->eo.check_offsets ? "the offset check on recovery"
					    : "");
	snprintf(params, sizeof(params), "%s&insert_deduplicate=1%s",
		 JSON_AS_STRING,
		 route->eo.send_token ? "&async_insert=0" : "");
	route->eo_params = strdup(params);
	if (!route->eo_params)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	if (route->schema)
		route->params = route->eo_params +
				(ck_schema_has_json(route->schema)
					 ? 0
					 : strlen(JSON_AS_STRING));
	return route->pending_create ? CK_OK : eo_probe_settings(p, route, err);
}

/* What the inserters read of a route, once it has a table. */
static void route_publish(struct ck_pipeline *p, size_t r)
{
	p->ins_routes[r].sql = p->routes[r].sql;
	p->ins_routes[r].params = p->routes[r].params;
	p->ins_routes[r].table = p->routes[r].table_name;
	p->ins_routes[r].replay_unknown = p->eo &&
					  !p->routes[r].eo.token_dedups;
}

static int route_init(struct ck_pipeline *p, size_t r, struct ck_err *err)
{
	const struct ck_config *config = p->config;
	struct route *route = &p->routes[r];
	struct ck_ch_engine engine;
	size_t n;
	int rc;

	route->cfg = &config->routes[r];
	route->topic_len = strlen(route->cfg->topic);
	/* Exactly-once records and deduplicates per partition. */
	route->by_table =
		route->cfg->batch.scope == CK_BATCH_SCOPE_TABLE && !p->eo;
	n = strlen(config->clickhouse.database) + strlen(route->cfg->table) + 2;
	route->table_name = malloc(n);
	if (!route->table_name)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	snprintf(route->table_name, n, "%s.%s", config->clickhouse.database,
		 route->cfg->table);
	p->ins_routes[r].table = route->table_name;
	if (route->cfg->format == CK_FORMAT_DEBEZIUM) {
		rc = ck_ch_table_engine(p->ch, config->clickhouse.database,
					route->cfg->table, &engine, err);
		if (rc == CK_ERR_SCHEMA) {
			route->pending_create = true;
			ck_log_info("table %s does not exist: chute creates it "
				    "from the schema in the first change "
				    "event of %s (docs/cdc.md)",
				    route->table_name, route->cfg->topic);
			return p->eo ? route_eo_init(p, route, err) : CK_OK;
		}
		if (rc)
			return rc;
	}
	rc = route_prepare(p, route, err);
	if (!rc && p->eo)
		rc = route_eo_init(p, route, err);
	if (!rc)
		route_publish(p, r);
	return rc;
}

/*
 * The CREATE TABLE for a missing table, from the schema embedded in msg (a
 * change event with a row) and the key; route->ddl keeps the columns.
 */
static int route_ddl(struct ck_pipeline *p, struct route *route,
		     const rd_kafka_message_t *msg, struct ck_buf *sql,
		     struct ck_err *err)
{
	const struct ck_config *config = p->config;
	bool upsert = route->cfg->mode == CK_MODE_UPSERT;
	struct ck_ddl_extra *extra = NULL;
	struct ck_ddl_create create;
	struct ck_ddl_caps caps;
	char **keys = NULL;
	size_t nkeys = 0, nextra = 0;
	const char *version = NULL, *deleted = NULL;
	int rc;

	ck_ddl_caps_for_version(p->server.major, p->server.minor, &caps);
	ck_ddl_row_free(&route->ddl);
	rc = ck_ddl_row_from_message(msg->payload, msg->len, &caps,
				     &route->ddl, err);
	if (!rc && msg->key)
		rc = ck_ddl_key_names(msg->key, msg->key_len, &keys, &nkeys,
				      err);
	if (!rc && !(extra = calloc(route->cfg->ncolumns + 1,
				    sizeof(*extra))))
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < route->cfg->ncolumns; i++) {
		const struct ck_column_opts *c = &route->cfg->columns[i];
		if (upsert && c->meta == CK_META_VERSION && !version) {
			version = c->name;
		} else if (upsert && c->meta == CK_META_DELETED && !deleted) {
			deleted = c->name;
		} else if (c->meta != CK_META_NONE) {
			extra[nextra++] = (struct ck_ddl_extra){
				.name = c->name,
				.type = ck_ddl_meta_type(c->meta, &caps),
				.default_expr = ck_ddl_meta_default(c->meta,
								    &caps),
			};
		}
	}
	create = (struct ck_ddl_create){
		.database = config->clickhouse.database,
		.table = route->cfg->table,
		.upsert = upsert,
		.version_column = upsert ? (version ? version : "_version")
					 : NULL,
		.deleted_column = upsert ? (deleted ? deleted : "_deleted")
					 : NULL,
		.keys = (const char *const *)keys,
		.nkeys = nkeys,
		.extra = extra,
		.nextra = nextra,
	};
	if (!rc)
		rc = ck_ddl_create_table(&route->ddl, &create, &caps, sql, err);
	if (!rc)
		rc = ck_buf_put_u8(sql, '\0', err);
	if (rc)
		ck_err_prefix(err, "table %s does not exist and cannot be "
				   "created from the change event at %s[%d]@%"
				   PRId64 ": ",
			      route->table_name, route->cfg->topic,
			      (int)msg->partition, msg->offset);
	ck_ddl_names_free(keys, nkeys);
	free(extra);
	return rc;
}

/*
 * Creates a missing table from msg (route_ddl()) and prepares the route
 * to insert into it. Any failure is fatal: the message is not consumed,
 * and the error says what to do.
 */
static int route_create_table(struct ck_pipeline *p, size_t r,
			      const rd_kafka_message_t *msg,
			      struct ck_err *err)
{
	struct route *route = &p->routes[r];
	struct ck_buf sql, out;
	int rc;

	ck_buf_init(&sql, 1u << 20);
	ck_buf_init(&out, 4096);
	rc = route_ddl(p, route, msg, &sql, err);
	if (!rc) {
		rc = ck_ch_query(p->ch, (const char *)sql.data, &out, err);
		if (rc)
			ck_err_prefix(err, "creating table %s: ",
				      route->table_name);
	}
	if (!rc) {
		ck_log_info("created table %s from the schema of %s[%d]@%" PRId64
			    ": %s",
			    route->table_name, route->cfg->topic,
			    (int)msg->partition, msg->offset,
			    (const char *)sql.data);
		rc = route_prepare(p, route, err);
	}
	if (!rc) {
		route->pending_create = false;
		route_publish(p, r);
	}
	ck_buf_free(&sql);
	ck_buf_free(&out);
	return rc;
}

/*
 * chute check: the DDL a missing table would be created with, from a
 * recent change event with a row (one of the last 20 of each partition,
 * read with a manual assignment; nothing is committed).
 */
static int route_preview_ddl(struct ck_pipeline *p, struct route *route,
			     struct ck_err *err)
{
	const struct ck_config *config = p->config;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_topic_t *rkt;
	int64_t deadline;
	struct ck_buf sql;
	int rc = CK_OK;
	bool found = false;

	rkt = rd_kafka_topic_new(p->rk, route->cfg->topic, NULL);
	if (!rkt || rd_kafka_metadata(p->rk, 0, rkt, &md,
				      (int)config->kafka.startup_timeout_ms) ||
	    md->topic_cnt != 1 || md->topics[0].partition_cnt == 0) {
		printf("-- %s: topic %s has no partitions yet; the table is "
		       "created from its first change event\n",
		       route->table_name, route->cfg->topic);
		goto out;
	}
	parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++) {
		int64_t lo = 0, hi = 0;
		int32_t id = md->topics[0].partitions[i].id;
		if (rd_kafka_query_watermark_offsets(
			    p->rk, route->cfg->topic, id, &lo, &hi,
			    (int)config->kafka.startup_timeout_ms) ||
		    hi <= lo)
			continue;
		rd_kafka_topic_partition_list_add(parts, route->cfg->topic, id)
			->offset = hi - 20 > lo ? hi - 20 : lo;
	}
	if (parts->cnt)
		rd_kafka_assign(p->rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	ck_buf_init(&sql, 1u << 20);
	deadline = ck_clock_mono_ms() + config->kafka.startup_timeout_ms;
	while (!found && ck_clock_mono_ms() < deadline) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(p->rk, 100);
		struct ck_debezium dbz;
		struct ck_err ignored;
		if (!msg)
			continue;
		if (!msg->err && msg->payload &&
		    ck_debezium_unwrap(msg->payload, msg->len, &dbz,
				       &ignored) == CK_OK &&
		    dbz.kind == CK_DEBEZIUM_ROW) {
			found = true;
			ck_buf_reset(&sql);
			rc = route_ddl(p, route, msg, &sql, err);
			if (!rc)
				printf("-- %s does not exist; chute would "
				       "create it from %s[%d]@%" PRId64
				       ":\n%s;\n",
				       route->table_name, route->cfg->topic,
				       (int)msg->partition, msg->offset,
				       (const char *)sql.data);
		}
		rd_kafka_message_destroy(msg);
	}
	rd_kafka_assign(p->rk, NULL);
	ck_buf_free(&sql);
	if (!found)
		printf("-- %s: no change event in %s yet; the table is created "
		       "from the first one\n",
		       route->table_name, route->cfg->topic);
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	fflush(stdout);
	return rc;
}

int ck_pipeline_check_tables(struct ck_pipeline *p, struct ck_err *err)
{
	for (size_t r = 0; r < p->nroutes; r++) {
		int rc;
		if (!p->routes[r].pending_create)
			continue;
		rc = route_preview_ddl(p, &p->routes[r], err);
		if (rc)
			return rc;
	}
	return CK_OK;
}

/* ---- schema evolution ------------------------------------------------------ */

static bool route_refused(const struct route *route, const char *name,
			  size_t len)
{
	for (size_t i = 0; i < route->nrefused; i++)
		if (strlen(route->refused[i]) == len &&
		    !memcmp(route->refused[i], name, len))
			return true;
	return false;
}

/*
 * A member of the last row that the table lacks and evolution should add:
 * not a column (inserted, DEFAULT, metadata), not refused before, with a
 * plain name and a value that tells its type (null does not).
 */
static bool member_is_new(const struct route *route,
			  const struct ck_row_member *m)
{
	size_t len;
	const char *name = ck_json_str_raw(&m->key, &len);

	return !m->key.escaped && len > 0 && len < CK_DDL_NAME_MAX &&
	       m->val.kind != CK_JSON_NULL &&
	       !ck_schema_has_column(route->schema, name, len) &&
	       !route_refused(route, name, len);
}

/*
 * A value whose type changed (map/row.h): the name of the column it needs,
 * "<column>_<suffix>", into name; false if there is none or it was refused.
 */
static bool diverted_column(const struct route *route, char *name,
			    size_t size, const struct ck_json_value **value)
{
	const char *column;
	int len;

	if (!ck_row_diverted(route->enc, &column, value))
		return false;
	len = snprintf(name, size, "%s_%s", column,
		       ck_row_divert_suffix(*value));
	return len > 0 && (size_t)len < size &&
	       !route_refused(route, name, (size_t)len);
}

static bool route_has_new_fields(const struct route *route)
{
	const struct ck_row_member *members;
	const struct ck_json_value *value;
	size_t n = ck_row_unknown(route->enc, &members);
	char name[CK_DDL_NAME_MAX];

	for (size_t i = 0; i < n; i++)
		if (member_is_new(route, &members[i]))
			return true;
	return diverted_column(route, name, sizeof(name), &value);
}

/*
 * The type of a new column: from the message's embedded Debezium schema
 * when it has one (with its epoch unit and base64 options), else from the
 * JSON value: an integer is Int64, another number Float64, true/false
 * Bool (UInt8 before 21.12), a string String, an object or array String
 * holding its JSON text; all Nullable, so older rows read NULL.
 */
static int new_column_type(struct ck_pipeline *p, struct route *route,
			   const rd_kafka_message_t *msg,
			   const struct ck_row_member *m, const char *name,
			   struct ck_ddl_column *out, struct ck_err *err)
{
	struct ck_ddl_caps caps;
	struct ck_ddl_row row = {0};
	const char *type;

	ck_ddl_caps_for_version(p->server.major, p->server.minor, &caps);
	if (route->cfg->format == CK_FORMAT_DEBEZIUM &&
	    ck_ddl_row_from_message(msg->payload, msg->len, &caps, &row,
				    NULL) == CK_OK) {
		for (size_t i = 0; i < row.ncols; i++) {
			if (strcmp(row.cols[i].name, name) != 0)
				continue;
			*out = row.cols[i];
			row.cols[i] = (struct ck_ddl_column){0};
			ck_ddl_row_free(&row);
			return CK_OK;
		}
		ck_ddl_row_free(&row);
	}
	switch (m->val.kind) {
	case CK_JSON_NUMBER:
		type = memchr(m->val.p, '.', m->val.len) ||
				       memchr(m->val.p, 'e', m->val.len) ||
				       memchr(m->val.p, 'E', m->val.len)
			       ? "Nullable(Float64)"
			       : "Nullable(Int64)";
		break;
	case CK_JSON_TRUE:
	case CK_JSON_FALSE:
		type = caps.bool_type ? "Nullable(Bool)" : "Nullable(UInt8)";
		break;
	default:
		type = "Nullable(String)";
		break;
	}
	*out = (struct ck_ddl_column){.name = strdup(name),
				      .type = strdup(type),
				      .unit = CK_EPOCH_AUTO};
	if (!out->name || !out->type) {
		ck_ddl_column_free(out);
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	}
	return CK_OK;
}

/* ALTER TABLE ... ADD COLUMN; a column someone else added meanwhile is fine. */
static int add_column(struct ck_pipeline *p, struct route *route,
		      const struct ck_ddl_column *col, bool *existed,
		      struct ck_err *err)
{
	struct ck_buf sql, out;
	int rc;

	ck_buf_init(&sql, CK_DDL_TYPE_MAX + 4096);
	ck_buf_init(&out, 4096);
	/* 18.16 has no ADD COLUMN IF NOT EXISTS: "already exists" is success. */
	rc = put_table_sql(&sql, "ALTER TABLE ", p, route, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " ADD COLUMN ");
	if (!rc)
		rc = ck_ch_quote_ident(&sql, col->name, err);
	if (!rc)
		rc = ck_buf_printf(&sql, err, " %s", col->type);
	if (!rc) {
		rc = ck_ch_query(p->ch, (const char *)sql.data, &out, err);
		*existed = rc && (ck_ch_last_exception_code(p->ch) == 44 ||
				  ck_ch_last_exception_code(p->ch) == 15);
		if (*existed)
			rc = CK_OK;
	}
	ck_buf_free(&sql);
	ck_buf_free(&out);
	return rc;
}

/* Appends a column to route->ddl, which route_prepare() takes options from. */
static int ddl_append(struct route *route, struct ck_ddl_column *col,
		      struct ck_err *err)
{
	struct ck_ddl_column *cols = realloc(
		route->ddl.cols, (route->ddl.ncols + 1) * sizeof(*cols));

	if (!cols)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	route->ddl.cols = cols;
	cols[route->ddl.ncols++] = *col;
	*col = (struct ck_ddl_column){0};
	return CK_OK;
}

static int refuse(struct route *route, const char *name, struct ck_err *err)
{
	char **r = realloc(route->refused,
			   (route->nrefused + 1) * sizeof(*r));

	if (!r || !(r[route->nrefused] = strdup(name))) {
		if (r)
			route->refused = r;
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	}
	route->refused = r;
	route->nrefused++;
	return CK_OK;
}

/*
 * Adds the columns the last row brought (topics[].evolve), then reads the
 * table again: a new schema, encoder and INSERT. Batches encoded before
 * keep the INSERT they were encoded for. A failed ALTER is retried with
 * the insert backoff while the partition waits (ADD_BLOCKED); a column
 * the server refuses for its name or type is logged once and left out
 * (its values are ignored, counted as unknown fields), never retried.
 */
static enum add_result route_evolve(struct ck_pipeline *p, size_t r,
				    const rd_kafka_message_t *msg,
				    int64_t now)
{
	struct route *route = &p->routes[r];
	const struct ck_row_member *members;
	size_t n = ck_row_unknown(route->enc, &members);
	struct ck_row_member found[CK_ROW_UNKNOWN_MAX];
	size_t nfound = 0;
	struct ck_schema *old_schema = route->schema;
	struct ck_row_encoder *old_enc = route->enc;
	char **old_sql;
	struct ck_err err;
	int rc = CK_OK;

	if (now < route->ddl_retry_ms)
		return ADD_BLOCKED;
	const struct ck_json_value *value;
	char diverted[CK_DDL_NAME_MAX];
	bool divert = diverted_column(route, diverted, sizeof(diverted),
				      &value);

	/* The members are the encoder's: copy them before it is replaced. */
	for (size_t i = 0; i < n; i++)
		if (member_is_new(route, &members[i]))
			found[nfound++] = members[i];
	divert = divert && nfound < CK_ROW_UNKNOWN_MAX;
	if (divert)
		found[nfound++] = (struct ck_row_member){.val = *value};
	for (size_t i = 0; i < nfound; i++) {
		struct ck_ddl_column col = {0};
		char name[CK_DDL_NAME_MAX];
		bool existed = false;
		size_t len;

		/* The last one may be the diverted value's new column. */
		if (divert && i == nfound - 1) {
			snprintf(name, sizeof(name), "%s", diverted);
		} else {
			const char *raw = ck_json_str_raw(&found[i].key, &len);
			snprintf(name, sizeof(name), "%.*s", (int)len, raw);
		}
		rc = new_column_type(p, route, msg, &found[i], name, &col,
				     &err);
		if (!rc)
			rc = add_column(p, route, &col, &existed, &err);
		if (!rc) {
			if (existed)
				ck_log_info("schema evolution: %s already has "
					    "column %s (added by another "
					    "writer)",
					    route->table_name, col.name);
			else
				ck_log_info("schema evolution: added column %s "
					    "%s to %s (first in %s[%d]@%" PRId64
					    ")",
					    col.name, col.type,
					    route->table_name,
					    route->cfg->topic,
					    (int)msg->partition, msg->offset);
			rc = ddl_append(route, &col, &err);
		} else if (ck_ch_last_class(p->ch) == CK_CH_CLASS_BAD_DATA ||
			   ck_ch_last_class(p->ch) == CK_CH_CLASS_CONFIG) {
			ck_log_error("schema evolution: cannot add column %s "
				     "to %s: %s; its values are ignored",
				     name, route->table_name, err.msg);
			rc = refuse(route, name, &err);
		}
		ck_ddl_column_free(&col);
		if (rc)
			break;
	}
	if (!rc) {
		old_sql = realloc(route->old_sql,
				  (route->nold_sql + 1) * sizeof(*old_sql));
		if (!old_sql)
			return ADD_NOMEM;
		route->old_sql = old_sql;
		route->old_sql[route->nold_sql++] = route->sql;
		route->sql = NULL;
		route->schema = NULL;
		route->enc = NULL;
		rc = route_prepare(p, route, &err);
		if (rc) {
			/* Keep serving the version that worked. */
			ck_row_encoder_destroy(route->enc);
			ck_schema_destroy(route->schema);
			free(route->sql);
			route->sql = route->old_sql[--route->nold_sql];
			route->schema = old_schema;
			route->enc = old_enc;
		} else {
			ck_row_encoder_destroy(old_enc);
			ck_schema_destroy(old_schema);
			ck_row_encoder_track_unknown(route->enc, true);
			route_publish(p, r);
		}
	}
	if (rc == CK_ERR_NOMEM)
		return ADD_NOMEM;
	if (rc) {
		ck_log_error("schema evolution of %s for %s[%d]@%" PRId64
			     " failed: %s; the partition waits, retrying in "
			     "%" PRId64 " ms",
			     route->table_name, route->cfg->topic,
			     (int)msg->partition, msg->offset, err.msg,
			     ddl_retry_later(p, route, now));
		return ADD_BLOCKED;
	}
	route->ddl_backoff_ms = 0;
	route->ddl_retry_ms = 0;
	return ADD_DONE;
}

static void wake_pipeline(void *arg)
{
	struct ck_pipeline *p = arg;

	rd_kafka_queue_yield(p->rkq);
}

/*
 * The insert workers' clients wait for async inserts (client.h). A user
 * who configured wait_for_async_insert: 0 with async inserts on is told
 * what that costs; chute does not override a setting it was given.
 */
static void async_insert_plan(struct ck_pipeline *p)
{
	const struct ck_config *c = p->config;
	const char *wait, *on;

	p->ch_opts.wait_for_async_insert = p->server.async_insert;
	wait = ck_ch_settings_name(c->clickhouse.settings,
				   c->clickhouse.nsettings,
				   "wait_for_async_insert");
	on = ck_ch_settings_name(c->clickhouse.settings,
				 c->clickhouse.nsettings, "async_insert");
	if (wait && strcmp(wait, "0") == 0 &&
	    (on ? strcmp(on, "0") != 0 : p->server.async_insert_on))
		ck_log_warn("clickhouse.settings.wait_for_async_insert: 0 with "
			    "async inserts on: the server answers an insert "
			    "before its rows are written, chute commits their "
			    "offsets, and a server crash then loses them");
}

int ck_pipeline_new(const struct ck_config *config, struct ck_pipeline **out,
		    struct ck_err *err)
{
	struct ck_pipeline *p = calloc(1, sizeof(*p));
	struct ck_inserter_opts ins_opts;
	int rc;

	if (!p)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	p->config = config;
	p->eo = config->delivery == CK_DELIVERY_EXACTLY_ONCE;
	ck_ch_opts_from_config(&p->ch_opts, config);
	p->ch = ck_ch_client_new(&p->ch_opts, err);
	if (!p->ch) {
		rc = err ? err->code : CK_ERR_NOMEM;
		goto out;
	}
	rc = ck_ch_probe(p->ch, &p->server, err);
	if (rc) {
		ck_err_prefix(err, "cannot use ClickHouse at %s: ",
			      config->clickhouse.url);
		goto out;
	}
	async_insert_plan(p);
	p->routes = calloc(config->nroutes, sizeof(*p->routes));
	p->ins_routes = calloc(config->nroutes, sizeof(*p->ins_routes));
	if (!p->routes || !p->ins_routes) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	p->nroutes = config->nroutes;
	for (size_t r = 0; r < p->nroutes; r++) {
		rc = route_init(p, r, err);
		if (rc)
			goto out;
	}

	p->hooks = (struct ck_consumer_hooks){
		.assigned = on_assigned,
		.revoked = on_revoked,
		.arg = p,
	};
	for (size_t r = 0; r < config->nroutes && !p->dlq; r++) {
		if (!config->routes[r].dlq_topic)
			continue;
		rc = ck_dlq_new(config, &p->dlq, err);
		if (rc)
			goto out;
	}
	rc = ck_consumer_new(config, &p->hooks, &p->rk, err);
	if (rc)
		goto out;
	p->rkq = rd_kafka_queue_get_consumer(p->rk);
	rc = ck_consumer_check(p->rk, config, err);
	if (rc)
		goto out;

	ins_opts = (struct ck_inserter_opts){
		.ch = &p->ch_opts,
		.workers = config->clickhouse.insert_workers,
		.initial_backoff_ms = config->retry.initial_backoff_ms,
		.max_backoff_ms = config->retry.max_backoff_ms,
		.routes = p->ins_routes,
		.nroutes = p->nroutes,
		.notify = wake_pipeline,
		.notify_arg = p,
	};
	rc = ck_inserter_new(&ins_opts, &p->ins, err);
out:
	if (rc) {
		ck_pipeline_destroy(p);
		return rc;
	}
	*out = p;
	return CK_OK;
}

void ck_pipeline_log_plan(const struct ck_pipeline *p)
{
	const struct ck_config *config = p->config;

	for (size_t r = 0; r < p->nroutes; r++) {
		const struct route *route = &p->routes[r];
		if (route->pending_create) {
			ck_log_info("route: topic %s -> table %s (to be created "
				    "from the first change event, mode %s)",
				    route->cfg->topic, route->table_name,
				    route->cfg->mode == CK_MODE_UPSERT
					    ? "upsert"
					    : "append");
			continue;
		}
		ck_log_info("route: topic %s -> table %s (%zu columns, FORMAT "
			    "%s, batch %" PRIu64 " rows / %" PRIu64
			    " bytes / %" PRId64 " ms)",
			    route->cfg->topic, route->table_name,
			    ck_schema_insert_count(route->schema),
			    ck_schema_format(route->schema),
			    route->cfg->batch.max_rows,
			    route->cfg->batch.max_bytes,
			    route->cfg->batch.max_wait_ms);
	}
	ck_log_info("plan: consume %zu topic(s) from Kafka %s as "
		    "group %s (auto_offset_reset %s), write to ClickHouse %s "
		    "(server %s, database %s) with %d insert worker(s)",
		    p->nroutes, config->kafka.bootstrap_servers,
		    config->kafka.group_id, config->kafka.auto_offset_reset,
		    config->clickhouse.url, p->server.version,
		    config->clickhouse.database,
		    config->clickhouse.insert_workers);
}

/* True while any partition still has a batch to insert. */
static bool has_pending_batches(struct ck_pipeline *p)
{
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (part && part->assigned &&
			    ((part->open && part->open->nmessages &&
			      !part->recovering) ||
			     part->sealed || part->inflight))
				return true;
		}
	}
	return false;
}

static void shutdown_flush(struct ck_pipeline *p)
{
	int64_t deadline = ck_clock_mono_ms() + p->config->shutdown_timeout_ms;

	p->stopping = true;
	submit_flush(p);
	ck_log_info("stopping: flushing batches (up to %" PRId64 " ms)",
		    p->config->shutdown_timeout_ms);
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (!part || !part->assigned)
				continue;
			/* Held messages come after every batch: re-read later. */
			backlog_clear(part);
			part_pause(p, route, part, true);
		}
	}
	while (has_pending_batches(p) && ck_clock_mono_ms() < deadline) {
		rd_kafka_message_t *msg;

		for (size_t r = 0; r < p->nroutes; r++) {
			struct route *route = &p->routes[r];
			for (size_t i = 0; i < route->nparts; i++) {
				struct part *part = route->parts[i];
				/* A recovery closes at its recorded end only. */
				if (part && part->assigned && !part->failed &&
				    !part->recovering)
					part_seal(p, part);
			}
			if (route->by_table)
				route_kick(p, r);
		}
		submit_flush(p);
		eo_record(p);
		/* Keeps group membership alive; no new messages are taken. */
		msg = rd_kafka_consumer_poll(p->rk, 0);
		if (msg)
			rd_kafka_message_destroy(msg);
		ck_inserter_wait_done(p->ins, PIPELINE_TICK_MS);
		process_done(p);
		commit_dirty(p, false);
	}
	if (ck_inserter_outstanding(p->ins) > 0) {
		ck_log_warn("stopping: inserts did not finish within %" PRId64
			    " ms; abandoning them",
			    p->config->shutdown_timeout_ms);
		ck_inserter_abort(p->ins);
		while (ck_inserter_outstanding(p->ins) > 0) {
			ck_inserter_wait_done(p->ins, PIPELINE_TICK_MS);
			process_done(p);
		}
	}
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (part && part->open && part->open->nmessages) {
				if (part->recovering)
					ck_log_info("%s[%d]: stopping before "
						    "the recorded range was "
						    "read; it is replayed on "
						    "the next start",
						    route->cfg->topic,
						    (int)part->id);
				else
					p->abandoned_rows += part->open->nrows;
				open_uncount(route, part->open);
				batch_put(p, part->open);
				part->open = NULL;
			}
			if (part && part->inflight &&
			    !part->inflight->recorded) {
				/* Its range could not be recorded. */
				p->abandoned_rows += part->inflight->nrows;
				batch_put(p, part->inflight);
				part->inflight = NULL;
			}
		}
	}
	commit_dirty(p, true);
}

int ck_pipeline_run(struct ck_pipeline *p, const volatile sig_atomic_t *stop,
		    struct ck_err *err)
{
	int64_t timeout = PIPELINE_TICK_MS;
	rd_kafka_resp_err_t code;
	int rc = CK_OK;

	rc = ck_consumer_subscribe(p->rk, p->config, err);
	if (rc)
		return rc;
	p->subscribed = true;
	ck_pipeline_log_plan(p);
	ck_log_info("chute started");
	p->last_stats_ms = ck_clock_mono_ms();
	while (!*stop) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(p->rk,
								 (int)timeout);
		int64_t now = ck_clock_mono_ms();

		/*
		 * Take what is already there before looking at timers. The
		 * clock is read every 256 messages, not for each one (it was
		 * 3 % of chute's CPU in a drain).
		 */
		for (int n = 0; msg && n < 10000; n++) {
			if ((n & 255) == 255)
				now = ck_clock_mono_ms();
			rc = on_message(p, msg, now, err);
			if (rc)
				goto stop;
			msg = rd_kafka_consumer_poll(p->rk, 0);
		}
		if (msg) {
			rc = on_message(p, msg, now, err);
			if (rc)
				goto stop;
		}
		submit_flush(p);
		process_done(p);
		now = ck_clock_mono_ms();
		timeout = seal_due(p, now);
		eo_record(p);
		if (p->failed) {
			/* A held message failed fatally while draining. */
			*err = p->fatal_err;
			rc = err->code;
			goto stop;
		}
		commit_dirty(p, false);
		if (p->config->stats_interval_ms > 0 &&
		    now - p->last_stats_ms >= p->config->stats_interval_ms) {
			log_stats(p, false);
			p->last_stats_ms = now;
		}
	}
stop:
	shutdown_flush(p);
	/*
	 * Workers wake the pipeline with rd_kafka_queue_yield(); a yield that
	 * lands inside rd_kafka_consumer_close() cuts the close short and
	 * leaves rd_kafka_destroy() waiting forever. Nothing is in flight any
	 * more, so the workers stop before the consumer closes.
	 */
	ck_inserter_stop(p->ins);
	process_done(p);
	ck_log_info("stopping: closing the Kafka consumer");
	code = rd_kafka_consumer_close(p->rk);
	if (code) {
		ck_log_warn("kafka: closing the consumer failed: %s",
			    rd_kafka_err2str(code));
		p->close_failed = true;
	}
	log_stats(p, true);
	if (!rc && p->abandoned_rows > 0)
		rc = ck_err_set(err, CK_ERR_STOPPED,
				"%" PRIu64 " consumed rows were not inserted "
				"before the shutdown timeout; their offsets "
				"were not committed and they will be read "
				"again",
				p->abandoned_rows);
	return rc;
}

void ck_pipeline_destroy(struct ck_pipeline *p)
{
	if (!p)
		return;
	ck_inserter_destroy(p->ins);
	if (p->rkq)
		rd_kafka_queue_destroy(p->rkq);
	/*
	 * librdkafka before 2.3.0 aborts in rd_kafka_destroy() when the
	 * cooperative-sticky assignor never saw an assignment (librdkafka
	 * #4312): a member stopped while it was still joining. The consumer
	 * was closed (it left the group) and chute is exiting, so its
	 * handle is left to the process's end instead.
	 */
	if (p->rk && p->subscribed && !p->ever_assigned && !p->close_failed)
		ck_log_debug("kafka: not destroying a consumer that never had an "
			     "assignment (librdkafka #4312)");
	else if (p->rk)
		rd_kafka_destroy_flags(p->rk,
				       p->close_failed
					       ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE
					       : 0);
	for (size_t r = 0; r < p->nroutes; r++) {
		struct route *route = &p->routes[r];
		for (size_t i = 0; i < route->nparts; i++) {
			struct part *part = route->parts[i];
			if (!part)
				continue;
			backlog_clear(part);
			free(part->backlog);
			free(part->present);
			if (part->inflight && (!part->inflight->recorded ||
					       part->inflight->dlq_waiting))
				ck_batch_destroy(part->inflight);
			ck_batch_destroy(part->open);
			ck_batch_destroy(part->sealed);
			free(part);
		}
		free(route->parts);
		ck_row_encoder_destroy(route->enc);
		ck_schema_destroy(route->schema);
		free(route->opts);
		ck_ddl_row_free(&route->ddl);
		for (size_t i = 0; i < route->nold_sql; i++)
			free(route->old_sql[i]);
		free(route->old_sql);
		for (size_t i = 0; i < route->nrefused; i++)
			free(route->refused[i]);
		free(route->refused);
		free(route->sql);
		free(route->eo_params);
		free(route->table_name);
	}
	/* Closed and never sent (a run that ended before sending them). */
	for (struct ck_batch *b; (b = ck_batch_queue_pop(&p->to_submit));)
		ck_batch_destroy(b);
	while (p->spare) {
		struct ck_batch *next = p->spare->next;
		ck_batch_destroy(p->spare);
		p->spare = next;
	}
	while (p->orphans) {
		struct ck_batch *next = p->orphans->next;
		ck_batch_destroy(p->orphans);
		p->orphans = next;
	}
	ck_dlq_destroy(p->dlq);
	if (p->reader)
		rd_kafka_destroy(p->reader);
	free(p->routes);
	free(p->ins_routes);
	ck_ch_client_destroy(p->ch);
	free(p);
}
