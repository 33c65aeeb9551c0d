/*
 * test_batch.c — the batching policy (rows, bytes, age), offset coverage,
 * reuse and the batch queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipeline/batch.h"

static const struct ck_batch_policy policy = {
	.max_rows = 3,
	.max_bytes = 100,
	.max_wait_ms = 1000,
};

static void add_row(struct ck_batch *b, int64_t offset, int64_t now,
		    size_t bytes)
{
	static const uint8_t zeros[64];
	assert_int_equal(ck_buf_append(&b->rows, zeros, bytes, NULL), CK_OK);
	b->nrows++;
	ck_batch_cover(b, offset, now, 0);
}

static void test_empty_batch_never_due(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	(void)state;

	ck_batch_reset(b, 0, 0, 1);
	assert_false(ck_batch_due(b, &policy, 0));
	assert_false(ck_batch_due(b, &policy, 1000000));
	assert_int_equal(ck_batch_wait_ms(b, &policy, 5), -1);
	ck_batch_destroy(b);
}

static void test_due_by_rows(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	(void)state;

	ck_batch_reset(b, 0, 7, 1);
	add_row(b, 10, 0, 1);
	add_row(b, 11, 0, 1);
	assert_false(ck_batch_due(b, &policy, 0));
	assert_false(ck_batch_full(b, &policy));
	add_row(b, 12, 0, 1);
	assert_true(ck_batch_full(b, &policy));
	assert_true(ck_batch_due(b, &policy, 0));
	assert_int_equal(b->first_offset, 10);
	assert_int_equal(b->last_offset, 12);
	assert_int_equal(b->nmessages, 3);
	assert_int_equal(b->partition, 7);
	ck_batch_destroy(b);
}

static void test_due_by_bytes(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	(void)state;

	ck_batch_reset(b, 0, 0, 1);
	add_row(b, 0, 0, 60);
	assert_false(ck_batch_due(b, &policy, 0));
	add_row(b, 1, 0, 40);
	assert_true(ck_batch_full(b, &policy));
	assert_true(ck_batch_due(b, &policy, 0));
	ck_batch_destroy(b);
}

static void test_due_by_age(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	(void)state;

	ck_batch_reset(b, 0, 0, 1);
	add_row(b, 0, 5000, 1);
	add_row(b, 1, 5900, 1); /* age counts from the first message */
	assert_int_equal(ck_batch_wait_ms(b, &policy, 5000), 1000);
	assert_int_equal(ck_batch_wait_ms(b, &policy, 5900), 100);
	assert_false(ck_batch_due(b, &policy, 5999));
	assert_true(ck_batch_due(b, &policy, 6000));
	assert_int_equal(ck_batch_wait_ms(b, &policy, 7000), 0);
	ck_batch_destroy(b);
}

static void test_skipped_messages_are_covered(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	(void)state;

	/* Bad messages advance the range without adding rows. */
	ck_batch_reset(b, 0, 0, 1);
	ck_batch_cover(b, 40, 100, 0);
	ck_batch_cover(b, 41, 100, 0);
	assert_int_equal(b->nrows, 0);
	assert_int_equal(b->nmessages, 2);
	assert_int_equal(b->first_offset, 40);
	assert_int_equal(b->last_offset, 41);
	assert_true(ck_batch_due(b, &policy, 1100));
	ck_batch_destroy(b);
}

static void test_reset_keeps_allocation(void **state)
{
	struct ck_batch *b = ck_batch_new(1000);
	uint8_t *data;
	(void)state;

	ck_batch_reset(b, 0, 0, 1);
	add_row(b, 0, 0, 50);
	data = b->rows.data;
	ck_batch_reset(b, 1, 2, 3);
	assert_int_equal(b->rows.len, 0);
	assert_ptr_equal(b->rows.data, data);
	assert_int_equal(b->nrows, 0);
	assert_int_equal(b->nmessages, 0);
	assert_int_equal(b->first_offset, -1);
	assert_int_equal(b->route, 1);
	assert_int_equal(b->epoch, 3);
	assert_int_equal(b->status, CK_BATCH_FILLING);
	ck_batch_destroy(b);
	ck_batch_destroy(NULL);
}

static void test_queue_fifo(void **state)
{
	struct ck_batch_queue q = {0};
	struct ck_batch *a = ck_batch_new(10), *b = ck_batch_new(10);
	(void)state;

	assert_null(ck_batch_queue_pop(&q));
	ck_batch_queue_push(&q, a);
	ck_batch_queue_push(&q, b);
	assert_int_equal(q.len, 2);
	assert_ptr_equal(ck_batch_queue_pop(&q), a);
	assert_ptr_equal(ck_batch_queue_pop(&q), b);
	assert_null(ck_batch_queue_pop(&q));
	assert_int_equal(q.len, 0);
	ck_batch_destroy(a);
	ck_batch_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_batch_never_due),
		cmocka_unit_test(test_due_by_rows),
		cmocka_unit_test(test_due_by_bytes),
		cmocka_unit_test(test_due_by_age),
		cmocka_unit_test(test_skipped_messages_are_covered),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_queue_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
