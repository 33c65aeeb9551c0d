/*
 * batch.c — batch lifecycle and the batching policy. See batch.h.
 */
#include "pipeline/batch.h"

#include <stdio.h>
#include <stdlib.h>

struct ck_batch *ck_batch_new(size_t max_bytes)
{
	struct ck_batch *batch = calloc(1, sizeof(*batch));

	if (!batch)
		return NULL;
	ck_buf_init(&batch->rows, max_bytes);
	return batch;
}

void ck_batch_destroy(struct ck_batch *batch)
{
	if (!batch)
		return;
	ck_buf_free(&batch->rows);
	free(batch);
}

void ck_batch_reset(struct ck_batch *batch, size_t route, int32_t partition,
		    uint64_t epoch)
{
	ck_buf_reset(&batch->rows);
	batch->nrows = 0;
	batch->nmessages = 0;
	batch->first_offset = -1;
	batch->last_offset = -1;
	batch->opened_ms = 0;
	batch->first_ts_ms = 0;
	batch->route = route;
	batch->partition = partition;
	batch->epoch = epoch;
	batch->status = CK_BATCH_FILLING;
	batch->attempts = 0;
	batch->insert_ms = 0;
	batch->sql = NULL;
	batch->params = NULL;
	batch->eo_first = -1;
	batch->eo_last = -1;
	batch->token[0] = '\0';
	batch->recorded = false;
	atomic_store(&batch->cancelled, false);
	batch->dlq_ticket = (struct ck_dlq_ticket){0};
	batch->dlq_waiting = false;
	ck_err_clear(&batch->err);
	batch->next = NULL;
}

bool ck_batch_query_id(char *out, size_t cap, const char *table,
		       int32_t partition, int64_t first, int64_t last)
{
	int n = snprintf(out, cap, "chute-%s-%d-%lld-%lld", table,
			 (int)partition, (long long)first, (long long)last);

	return n > 0 && (size_t)n < cap;
}

void ck_batch_cover(struct ck_batch *batch, int64_t offset, int64_t now_ms,
		    int64_t kafka_ts_ms)
{
	if (batch->nmessages == 0) {
		batch->first_offset = offset;
		batch->opened_ms = now_ms;
		batch->first_ts_ms = kafka_ts_ms;
	}
	batch->last_offset = offset;
	batch->nmessages++;
}

bool ck_batch_full(const struct ck_batch *batch,
		   const struct ck_batch_policy *policy)
{
	return batch->nrows >= policy->max_rows ||
	       batch->rows.len >= policy->max_bytes;
}

bool ck_batch_due(const struct ck_batch *batch,
		  const struct ck_batch_policy *policy, int64_t now_ms)
{
	if (batch->nmessages == 0)
		return false;
	return ck_batch_full(batch, policy) ||
	       now_ms - batch->opened_ms >= policy->max_wait_ms;
}

int64_t ck_batch_wait_ms(const struct ck_batch *batch,
			 const struct ck_batch_policy *policy, int64_t now_ms)
{
	int64_t left;

	if (batch->nmessages == 0)
		return -1;
	left = batch->opened_ms + policy->max_wait_ms - now_ms;
	return left > 0 ? left : 0;
}

void ck_batch_queue_push(struct ck_batch_queue *queue, struct ck_batch *batch)
{
	batch->next = NULL;
	if (queue->tail)
		queue->tail->next = batch;
	else
		queue->head = batch;
	queue->tail = batch;
	queue->len++;
}

struct ck_batch *ck_batch_queue_pop(struct ck_batch_queue *queue)
{
	struct ck_batch *batch = queue->head;

	if (!batch)
		return NULL;
	queue->head = batch->next;
	if (!queue->head)
		queue->tail = NULL;
	queue->len--;
	batch->next = NULL;
	return batch;
}
