/*
 * test_engine_metrics.c — the engine's counters for GET /metrics
 * (supervisord/engine/engine_metrics.c): the state doors count submitted and
 * finished tasks and step run times into the right buckets; the label x step
 * series stop at 256, the rest counted under "_other"; the tasks by state come
 * from the store once and are kept for two seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static int test_counts_calls;

static int test_counts(struct qb *b, size_t limit, q_count_fn fn, void *arg)
{
	(void)b;
	assert_true(limit > 0);
	test_counts_calls++;
	fn(arg, "stopped", "success", "sync", 7);
	return 0;
}

static const char *test_error(struct qb *b)
{
	(void)b;
	return "no error";
}

static json_t *test_find(json_t *arr, const char *k1, const char *v1, const char *k2, const char *v2)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		if (strcmp(json_string_value(json_object_get(o, k1)), v1) == 0 &&
		    (k2 == NULL || strcmp(json_string_value(json_object_get(o, k2)), v2) == 0))
			return o;
	}
	return NULL;
}

static void test_doors_and_buckets(void **state)
{
	struct queue_ops ops = {.task_counts = test_counts, .error = test_error};
	struct engine e = {.ops = &ops};
	struct etask t = {0};
	struct estep s = {0};
	json_t *m, *h, *counts;

	(void)state;
	t.row.label = "sync";
	t.row.state = QT_PLANNING;
	assert_int_equal(engine_state_task(&e, &t, QT_PLANNED, "submitted"), 0);
	assert_int_equal(engine_state_task(&e, &t, QT_RUNNING, NULL), 0);
	s.t = &t;
	s.row.name = "fetch";
	s.row.state = QS_RUNNING;
	s.row.started_at = engine_now() - 200; /* ran 0.2 s */
	assert_int_equal(engine_state_step(&e, &s, QS_SUCCESS, "done"), 0);
	t.row.result = QR_SUCCESS;
	assert_int_equal(engine_state_task(&e, &t, QT_STOPPED, NULL), 0);

	/* counted once the group commits: a failed group counts nothing (its replay counts) */
	engine_metrics_settle(&e, false);
	t.row.state = QT_PLANNING;
	t.row.result = QR_PENDING;
	s.row.state = QS_RUNNING;
	assert_int_equal(engine_state_task(&e, &t, QT_PLANNED, "submitted"), 0);
	assert_int_equal(engine_state_task(&e, &t, QT_RUNNING, NULL), 0);
	assert_int_equal(engine_state_step(&e, &s, QS_SUCCESS, "done"), 0);
	t.row.result = QR_SUCCESS;
	assert_int_equal(engine_state_task(&e, &t, QT_STOPPED, NULL), 0);
	engine_metrics_settle(&e, true);

	m = engine_metrics_json(&e);
	assert_int_equal(
	    json_integer_value(json_object_get(
		test_find(json_object_get(m, "submitted"), "label", "sync", NULL, NULL), "count")),
	    1);
	assert_int_equal(
	    json_integer_value(json_object_get(
		test_find(json_object_get(m, "finished"), "label", "sync", "result", "success"), "count")),
	    1);
	h = test_find(json_object_get(m, "steps"), "label", "sync", "step", "fetch");
	assert_non_null(h);
	assert_int_equal(json_integer_value(json_object_get(h, "count")), 1);
	counts = json_object_get(h, "counts");
	/* le 0.005 0.01 0.05 0.1 0.5 ...: 0.2 s is in the 0.5 bucket, cumulative from there */
	assert_int_equal(json_integer_value(json_array_get(counts, 3)), 0);
	assert_int_equal(json_integer_value(json_array_get(counts, 4)), 1);
	assert_int_equal(json_integer_value(json_array_get(counts, json_array_size(counts) - 1)), 1);
	assert_int_equal(json_array_size(counts), json_array_size(json_object_get(h, "le")) + 1);
	assert_int_equal(json_integer_value(json_object_get(
			     test_find(json_object_get(m, "tasks"), "label", "sync", NULL, NULL), "count")),
			 7);
	json_decref(m);
	m = engine_metrics_json(&e); /* within 2 s: the store is not asked again */
	assert_int_equal(test_counts_calls, 1);
	json_decref(m);
	engine_metrics_free(&e);
}

static void test_cap(void **state)
{
	struct queue_ops ops = {.task_counts = test_counts, .error = test_error};
	struct engine e = {.ops = &ops};
	char step[32];
	json_t *m, *steps, *other;

	(void)state;
	for (int i = 0; i < 300; i++) {
		snprintf(step, sizeof(step), "s%d", i);
		engine_metrics_step(&e, "big", step, 1.0);
	}
	engine_metrics_step(&e, "big", "s0", 1.0); /* a series kept goes on counting */
	engine_metrics_settle(&e, true);
	m = engine_metrics_json(&e);
	steps = json_object_get(m, "steps");
	assert_int_equal(json_array_size(steps), 256);
	other = test_find(steps, "label", "_other", "step", "_other");
	assert_non_null(other);
	assert_int_equal(json_integer_value(json_object_get(other, "count")), 300 - 255);
	assert_int_equal(
	    json_integer_value(json_object_get(test_find(steps, "label", "big", "step", "s0"), "count")), 2);
	json_decref(m);
	engine_metrics_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doors_and_buckets),
	    cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
