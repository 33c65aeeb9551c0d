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
	free(batch->index);
	free(batch->rejects);
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
	batch->sealed_ms = 0;
	batch->sealed_by = "";
	batch->started_ms = 0;
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
	batch->nrejects = 0;
	batch->rejects_done = 0;
	batch->group = NULL;
	batch->counted_rows = 0;
	batch->counted_bytes = 0;
	ck_err_clear(&batch->err);
	batch->next = NULL;
}

/*
 * Returns array grown to hold need items of elem bytes (*cap of them fit
 * now), or NULL when it cannot grow (array is still valid then).
 */
static void *grow_array(void *array, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return array;
	while (n < need)
		n *= 2;
	p = realloc(array, n * elem);
	if (p)
		*cap = n;
	return p;
}

int ck_batch_index_row(struct ck_batch *batch, int64_t offset)
{
	size_t i = (size_t)batch->nrows - 1;
	struct ck_batch_row *index = grow_array(
		batch->index, &batch->index_cap, i + 1, sizeof(*index));

	if (!index)
		return CK_ERR_NOMEM;
	batch->index = index;
	index[i] = (struct ck_batch_row){offset, batch->rows.len};
	return CK_OK;
}

struct ck_slice ck_batch_rows_slice(const struct ck_batch *batch, size_t lo,
				    size_t hi)
{
	size_t start = lo ? batch->index[lo - 1].end : 0;
	size_t end = hi ? batch->index[hi - 1].end : 0;

	return (struct ck_slice){batch->rows.data + start, end - start};
}

int ck_batch_add_reject(struct ck_batch *batch, int64_t offset, int code,
			const char *msg)
{
	struct ck_batch_reject *r = grow_array(batch->rejects,
					       &batch->rejects_cap,
					       batch->nrejects + 1, sizeof(*r));

	if (!r)
		return CK_ERR_NOMEM;
	batch->rejects = r;
	r = &batch->rejects[batch->nrejects++];
	r->offset = offset;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	return CK_OK;
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
