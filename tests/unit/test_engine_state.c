/*
 * test_engine_state.c — the transition tables of tasks, steps and recurring
 * logics (supervisord/engine_state.c): every pair of states is tried; the
 * allowed ones (written out here from the README's tables, not read from the
 * code) move and log one line at the expected level, every other one is
 * refused: -1, the state unchanged, a "bug: ... refused" warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"

static char test_path[64];
static int test_serial; /* a new id per call: the log's repeat limiter never folds two lines */

/* What the log got since the last call (then emptied), in out. */
static void test_log(char *out, size_t outlen)
{
	FILE *fp;
	size_t n;

	log_flush();
	fp = fopen(test_path, "r");
	assert_non_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	fclose(fp);
	assert_int_equal(truncate(test_path, 0), 0);
}

static int test_lines(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static int test_setup(void **state)
{
	(void)state;
	snprintf(test_path, sizeof(test_path), "/tmp/test_engine_state.%ld", (long)getpid());
	unlink(test_path);
	log_init("t", LOG_LVL_DEBUG, 1);
	assert_int_equal(log_open_file(test_path), 0);
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_INFO);
	unlink(test_path);
	return 0;
}

/* ---- tasks ---- */

struct pair {
	int from, to;
};

/* README: Tasks, "State machines" (Dynflow's execution plan, with the unlock). */
static const struct pair task_allowed[] = {
    {QT_PLANNING, QT_PLANNED}, {QT_PLANNING, QT_STOPPED}, {QT_PLANNED, QT_RUNNING}, {QT_PLANNED, QT_STOPPED},
    {QT_RUNNING, QT_PAUSED},   {QT_RUNNING, QT_STOPPED},  {QT_PAUSED, QT_RUNNING},  {QT_PAUSED, QT_STOPPED},
    {QT_STOPPED, QT_PAUSED}, /* only for a task stopped by `task unlock` (QF_UNLOCKED) */
};

static const struct pair step_allowed[] = {
    {QS_PENDING, QS_READY},   {QS_PENDING, QS_SKIPPED},	    {QS_PENDING, QS_CANCELLED},
    {QS_READY, QS_PENDING},   {QS_READY, QS_RUNNING},	    {QS_READY, QS_CANCELLED},
    {QS_RUNNING, QS_READY},   {QS_RUNNING, QS_SUCCESS},	    {QS_RUNNING, QS_SUSPENDED},
    {QS_RUNNING, QS_ERROR},   {QS_RUNNING, QS_CANCELLED},   {QS_SUSPENDED, QS_SUCCESS},
    {QS_SUSPENDED, QS_ERROR}, {QS_SUSPENDED, QS_CANCELLED}, {QS_ERROR, QS_READY},
    {QS_ERROR, QS_SUSPENDED}, {QS_ERROR, QS_SUCCESS},	    {QS_ERROR, QS_SKIPPED},
};

static const struct pair rec_allowed[] = {
    {QREC_ACTIVE, QREC_FINISHED},
    {QREC_ACTIVE, QREC_CANCELLED},
    {QREC_ACTIVE, QREC_FAILED},
};

static bool test_in(const struct pair *p, size_t n, int from, int to)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].from == from && p[i].to == to)
			return true;
	return false;
}

static void test_task_table(void **state)
{
	char got[4096], want[256];
	int allowed = 0, refused = 0;

	(void)state;
	for (int from = QT_PLANNING; from <= QT_STOPPED; from++)
		for (int to = QT_PLANNING; to <= QT_STOPPED; to++) {
			struct etask t;
			bool ok =
			    test_in(task_allowed, sizeof(task_allowed) / sizeof(task_allowed[0]), from, to);

			memset(&t, 0, sizeof(t));
			snprintf(t.row.id, sizeof(t.row.id), "t%d", ++test_serial);
			t.row.state = (enum q_task_state)from;
			t.row.result = QR_ERROR;
			t.row.flags = from == QT_STOPPED ? QF_UNLOCKED : 0;
			assert_int_equal(
			    engine_state_task_allowed((enum q_task_state)from, (enum q_task_state)to), ok);
			assert_int_equal(engine_state_task(NULL, &t, (enum q_task_state)to, "why"),
					 ok ? 0 : -1);
			assert_int_equal(t.row.state, ok ? to : from);
			test_log(got, sizeof(got));
			if (ok) {
				snprintf(want, sizeof(want), "task %s: %s -> %s (why)\n", t.row.id,
					 q_task_state_name((enum q_task_state)from),
					 q_task_state_name((enum q_task_state)to));
				allowed++;
			} else {
				snprintf(want, sizeof(want), "WARN t: bug: task %s: refused %s -> %s (why)\n",
					 t.row.id, q_task_state_name((enum q_task_state)from),
					 q_task_state_name((enum q_task_state)to));
				refused++;
			}
			assert_non_null(strstr(got, want));
			assert_int_equal(test_lines(got), 1); /* one line per move, or per refusal */
		}
	assert_int_equal(allowed, 9);
	assert_int_equal(refused, 25 - 9);
}

/* stopped -> paused needs QF_UNLOCKED: a task that ended on its own stays stopped. */
static void test_task_stopped_for_good(void **state)
{
	struct etask t;
	char got[1024];

	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.row.id, sizeof(t.row.id), "t%d", ++test_serial);
	t.row.state = QT_STOPPED;
	t.row.result = QR_SUCCESS;
	assert_int_equal(engine_state_task(NULL, &t, QT_PAUSED, NULL), -1);
	assert_int_equal(t.row.state, QT_STOPPED);
	test_log(got, sizeof(got));
	assert_non_null(strstr(got, "bug: task t"));
	assert_non_null(strstr(got, ": refused stopped -> paused (no reason given)"));
}

/* Notable moves at info, routine ones at debug, and nothing formatted when debug is off. */
static void test_task_levels(void **state)
{
	static const struct {
		int from, to, result;
		const char *level;
	} cases[] = {
	    {QT_PLANNING, QT_PLANNED, QR_PENDING, "DEBG"}, {QT_PLANNED, QT_RUNNING, QR_PENDING, "DEBG"},
	    {QT_RUNNING, QT_STOPPED, QR_SUCCESS, "DEBG"},  {QT_RUNNING, QT_STOPPED, QR_WARNING, "DEBG"},
	    {QT_RUNNING, QT_PAUSED, QR_PENDING, "INFO"},   {QT_PAUSED, QT_RUNNING, QR_PENDING, "INFO"},
	    {QT_RUNNING, QT_STOPPED, QR_ERROR, "INFO"},	   {QT_PLANNED, QT_STOPPED, QR_CANCELLED, "INFO"},
	    {QT_PAUSED, QT_STOPPED, QR_ERROR, "INFO"},
	};
	char got[1024], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int debug = 0; debug <= 1; debug++) {
			struct etask t;

			log_set_level(debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
			memset(&t, 0, sizeof(t));
			snprintf(t.row.id, sizeof(t.row.id), "t%d", ++test_serial);
			t.row.state = (enum q_task_state)cases[i].from;
			t.row.result = (enum q_result)cases[i].result;
			assert_int_equal(engine_state_task(NULL, &t, (enum q_task_state)cases[i].to, NULL),
					 0);
			test_log(got, sizeof(got));
			snprintf(want, sizeof(want), "%s t: task %s: %s -> %s (%s)\n", cases[i].level,
				 t.row.id, q_task_state_name((enum q_task_state)cases[i].from),
				 q_task_state_name((enum q_task_state)cases[i].to),
				 q_result_name((enum q_result)cases[i].result));
			if (!debug && strcmp(cases[i].level, "DEBG") == 0)
				assert_string_equal(got, "");
			else
				assert_non_null(strstr(got, want));
		}
	}
	log_set_level(LOG_LVL_DEBUG);
}

/* ---- steps ---- */

static void test_step_table(void **state)
{
	char got[4096], want[256];
	int allowed = 0, refused = 0;

	(void)state;
	for (int from = QS_PENDING; from <= QS_CANCELLED; from++)
		for (int to = QS_PENDING; to <= QS_CANCELLED; to++) {
			struct etask t;
			struct estep s;
			bool ok =
			    test_in(step_allowed, sizeof(step_allowed) / sizeof(step_allowed[0]), from, to);

			memset(&t, 0, sizeof(t));
			memset(&s, 0, sizeof(s));
			snprintf(t.row.id, sizeof(t.row.id), "t%d", ++test_serial);
			s.t = &t;
			s.row.name = "fetch";
			s.row.state = (enum q_step_state)from;
			assert_int_equal(
			    engine_state_step_allowed((enum q_step_state)from, (enum q_step_state)to), ok);
			assert_int_equal(engine_state_step(NULL, &s, (enum q_step_state)to, "why"),
					 ok ? 0 : -1);
			assert_int_equal(s.row.state, ok ? to : from);
			test_log(got, sizeof(got));
			if (ok) {
				snprintf(want, sizeof(want), " t: task %s: step fetch: %s -> %s (why)\n",
					 t.row.id, q_step_state_name((enum q_step_state)from),
					 q_step_state_name((enum q_step_state)to));
				allowed++;
			} else {
				snprintf(want, sizeof(want),
					 "WARN t: bug: task %s: step fetch: refused %s -> %s (why)\n",
					 t.row.id, q_step_state_name((enum q_step_state)from),
					 q_step_state_name((enum q_step_state)to));
				refused++;
			}
			assert_non_null(strstr(got, want));
			/* notable: to error, to skipped, out of error */
			if (ok)
				assert_non_null(
				    strstr(got, to == QS_ERROR || to == QS_SKIPPED || from == QS_ERROR
						    ? " INFO t: "
						    : " DEBG t: "));
		}
	assert_int_equal(allowed, 18);
	assert_int_equal(refused, 64 - 18);
}

/* ---- recurring logics ---- */

static void test_recurring_table(void **state)
{
	char got[4096], want[256];
	int allowed = 0;

	(void)state;
	for (int from = QREC_ACTIVE; from <= QREC_FAILED; from++)
		for (int to = QREC_ACTIVE; to <= QREC_FAILED; to++) {
			struct q_recurring r;
			bool ok =
			    test_in(rec_allowed, sizeof(rec_allowed) / sizeof(rec_allowed[0]), from, to);

			memset(&r, 0, sizeof(r));
			snprintf(r.id, sizeof(r.id), "r%d", ++test_serial);
			r.state = (enum q_rec_state)from;
			assert_int_equal(
			    engine_state_recurring_allowed((enum q_rec_state)from, (enum q_rec_state)to), ok);
			assert_int_equal(engine_state_recurring(NULL, &r, (enum q_rec_state)to, "why"),
					 ok ? 0 : -1);
			assert_int_equal(r.state, ok ? to : from);
			test_log(got, sizeof(got));
			snprintf(want, sizeof(want),
				 ok ? "INFO t: recurring logic %s: %s -> %s (why)\n"
				    : "WARN t: bug: recurring logic %s: refused %s -> %s (why)\n",
				 r.id, q_rec_state_name((enum q_rec_state)from),
				 q_rec_state_name((enum q_rec_state)to));
			assert_non_null(strstr(got, want));
			allowed += ok;
		}
	assert_int_equal(allowed, 3);
	/* the names the store keeps; `disabled` is gone */
	assert_int_equal(q_rec_state_parse("active"), QREC_ACTIVE);
	assert_int_equal(q_rec_state_parse("failed"), QREC_FAILED);
	assert_int_equal(q_rec_state_parse("disabled"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_table),	    cmocka_unit_test(test_task_stopped_for_good),
	    cmocka_unit_test(test_task_levels),	    cmocka_unit_test(test_step_table),
	    cmocka_unit_test(test_recurring_table),
	};
	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
