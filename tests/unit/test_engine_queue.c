/*
 * test_engine_queue.c — the per-queue counters of engine_queue.c (`queue
 * list`): steps done and failed in the last minute (by second) and the last
 * hour (by minute), their run time, totals; buckets that went stale are not
 * counted and are reused. Plain memory: no engine, no store, a clock the test
 * chooses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_int.h"

#define T0 (INT64_C(1796000000) * 1000) /* ms, any time */

static void test_counts_and_windows(void **state)
{
	struct equeue q;
	struct equeue_sums s;

	(void)state;
	memset(&q, 0, sizeof(q));
	engine_queue_count(&q, true, 1500, T0);
	engine_queue_count(&q, true, 500, T0 + 200);
	engine_queue_count(&q, false, 1000, T0 + 30000);
	engine_queue_sums(&q, T0 + 30000, &s);
	assert_int_equal(s.done_1m, 2);
	assert_int_equal(s.failed_1m, 1);
	assert_int_equal(s.done_1h, 2);
	assert_int_equal(s.failed_1h, 1);
	assert_int_equal(s.run_ms_1h, 3000);
	/* 70 s later: out of the last minute, still in the last hour */
	engine_queue_sums(&q, T0 + 100000, &s);
	assert_int_equal(s.done_1m, 0);
	assert_int_equal(s.failed_1m, 0);
	assert_int_equal(s.done_1h, 2);
	assert_int_equal(s.failed_1h, 1);
	/* an hour and more later: nothing in either window; the totals stay */
	engine_queue_sums(&q, T0 + 3700000, &s);
	assert_int_equal(s.done_1h + s.failed_1h + s.done_1m + s.failed_1m, 0);
	assert_int_equal(s.run_ms_1h, 0);
	assert_int_equal(q.done, 2);
	assert_int_equal(q.failed, 1);
}

/* A bucket reused a minute (or an hour) later starts from zero. */
static void test_bucket_reuse(void **state)
{
	struct equeue q;
	struct equeue_sums s;

	(void)state;
	memset(&q, 0, sizeof(q));
	for (int i = 0; i < 5; i++)
		engine_queue_count(&q, true, 10, T0);
	engine_queue_count(&q, false, -5, T0 + 60000); /* the same second slot; a clock step back: 0 */
	engine_queue_sums(&q, T0 + 60000, &s);
	assert_int_equal(s.done_1m, 0);
	assert_int_equal(s.failed_1m, 1);
	assert_int_equal(s.done_1h, 5);
	assert_int_equal(s.run_ms_1h, 50);
	engine_queue_count(&q, true, 10, T0 + 3600000); /* the same minute slot, an hour on */
	engine_queue_sums(&q, T0 + 3600000, &s);
	assert_int_equal(s.done_1h, 1);	  /* the first minute's 5 went with its bucket */
	assert_int_equal(s.failed_1h, 1); /* the second minute's one is still within the hour */
	assert_int_equal(s.run_ms_1h, 10);
	assert_int_equal(q.done, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts_and_windows),
	    cmocka_unit_test(test_bucket_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
