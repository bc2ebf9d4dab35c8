/*
 * engine_cleanup.c — removing old stopped tasks (Foreman's cleanup): on
 * request (MSG_TASK_CLEANUP, with --noop to only count) and on a schedule
 * from each task type's cleanup_after (else [tasks] cleanup_after). Only
 * stopped tasks are ever deleted: everything else lives in the engine's
 * memory. Deletes go into the group transaction like any other write, one
 * batch per loop iteration (a zero timer), so each commit holds the write
 * lock only for one batch and workers are served between batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "log.h"
#include "proto.h"

#define CLEANUP_BATCH_DEFAULT 1000
/* A batch ends early after this long: the write lock is held until its commit, and other writers wait. */
#define CLEANUP_BATCH_MAX_US 8000
#define CLEANUP_PAUSE_S 0.005 /* between batches: room for other writers (workers, clients) */

/* A cleanup in progress: the rows found, deleted batch by batch. */
struct cleanup_job {
	struct engine *e;
	ev_timer w;
	struct conn *c; /* held until the reply; NULL for the scheduled run */
	int64_t *rowids;
	json_t *ids; /* the ids, for the reply (NULL: not asked) */
	size_t n, next, batch;
	char what[64]; /* for the log */
	long long worst_us;
	struct cleanup_job *jnext;
};

struct cleanup_rows {
	struct engine *e;
	int64_t *rowids;
	char (*ids)[Q_ID_LEN];
	size_t n, cap;
};

static int cleanup_collect(void *arg, struct q_task *t)
{
	struct cleanup_rows *x = arg;

	if (t->state != QT_STOPPED || engine_task_get(x->e, t->id) != NULL)
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap != 0 ? x->cap * 2 : 256;
		int64_t *r = realloc(x->rowids, cap * sizeof(*r));
		char(*ids)[Q_ID_LEN];

		if (r == NULL)
			return 1;
		x->rowids = r;
		ids = realloc(x->ids, cap * sizeof(*ids));
		if (ids == NULL)
			return 1;
		x->ids = ids;
		x->cap = cap;
	}
	x->rowids[x->n] = t->rowid;
	memcpy(x->ids[x->n], t->id, Q_ID_LEN);
	x->n++;
	return 0;
}

/* The stopped tasks matching search that started more than after_s ago (0: any time); one that
 * never started (a lock conflict, cancelled while waiting) counts from its end. */
static int cleanup_find(struct engine *e, const char *search, long long after_s, struct cleanup_rows *xp,
			char *err, size_t errlen)
{
	struct cleanup_rows x = {.e = e};
	const char *user = search != NULL && *search != '\0' ? search : NULL;
	char *q = NULL, age[96] = "";

	if (after_s > 0)
		snprintf(age, sizeof(age), " and (started_at < %llds or ended_at < %llds)", after_s, after_s);
	if (asprintf(&q, "state = stopped%s%s%s%s", age, user != NULL ? " and (" : "",
		     user != NULL ? user : "", user != NULL ? ")" : "") < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (e->ops->task_list(e->b, q, NULL, 0, engine_now(), cleanup_collect, &x, err, errlen) < 0) {
		free(q);
		free(x.rowids);
		free(x.ids);
		return -1;
	}
	free(q);
	*xp = x;
	return 0;
}

long engine_cleanup(struct engine *e, const char *search, long long after_s, bool noop, json_t *ids,
		    char *err, size_t errlen)
{
	struct cleanup_rows x;
	long n;

	if (cleanup_find(e, search, after_s, &x, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < x.n; i++) {
		if (ids != NULL)
			json_array_append_new(ids, json_string(x.ids[i]));
		if (noop)
			continue;
		if (engine_tx_open(e) < 0 || e->ops->task_delete(e->b, x.rowids[i]) < 0) {
			snprintf(err, errlen, "database: %s", e->ops->error(e->b));
			free(x.rowids);
			free(x.ids);
			return -1;
		}
	}
	n = (long)x.n;
	free(x.rowids);
	free(x.ids);
	return n;
}

static void cleanup_job_free(struct cleanup_job *j)
{
	struct cleanup_job **pp;

	for (pp = &j->e->cleanups; *pp != NULL; pp = &(*pp)->jnext)
		if (*pp == j) {
			*pp = j->jnext;
			break;
		}
	if (j->e->loop != NULL)
		ev_timer_stop(j->e->loop, &j->w);
	if (j->c != NULL)
		j->e->hooks.release(j->c);
	json_decref(j->ids);
	free(j->rowids);
	free(j);
}

/* One batch into the group transaction (committed before the loop polls again); the reply after the last. */
static void cleanup_job_step(struct engine *e, struct cleanup_job *j)
{
	struct timespec t0, t1;
	size_t end = j->next + j->batch < j->n ? j->next + j->batch : j->n, first = j->next;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t done = 0; j->next < end; j->next++, done++) {
		if (done > 0 && done % 8 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if ((t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000 >
			    CLEANUP_BATCH_MAX_US)
				break; /* a slow disk or a loaded machine: the rest in the next batch */
		}
		if (engine_tx_open(e) < 0 || e->ops->task_delete(e->b, j->rowids[j->next]) < 0) {
			char err[300];

			snprintf(err, sizeof(err), "database: %s", e->ops->error(e->b));
			log_warnx("engine: cleanup %s: %s", j->what, err);
			if (j->c != NULL)
				engine_reply(e, j->c, MSG_ERROR,
					     json_pack("{s:s, s:i}", "error", err, "code", 1));
			cleanup_job_free(j);
			return;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (us > j->worst_us)
		j->worst_us = us;
	log_debug("engine: cleanup %s: batch of %zu deleted in %lld us (%zu/%zu)", j->what, j->next - first,
		  us, j->next, j->n);
	if (j->next < j->n && e->loop != NULL) {
		ev_now_update(e->loop); /* the pause counts from now, not from before the batch */
		ev_timer_set(&j->w, CLEANUP_PAUSE_S, 0.);
		ev_timer_start(e->loop, &j->w);
		return;
	}
	if (j->next < j->n) { /* no loop (unit tests): the rest at once */
		cleanup_job_step(e, j);
		return;
	}
	if (j->n > 0)
		log_info("engine: cleanup %s: %zu tasks deleted in batches of %zu (longest batch %lld ms)",
			 j->what, j->n, j->batch, j->worst_us / 1000);
	if (j->c != NULL)
		engine_reply(e, j->c, MSG_OK,
			     json_pack("{s:I, s:I, s:b, s:o}", "deleted", (json_int_t)j->n, "matched",
				       (json_int_t)j->n, "noop", 0, "ids",
				       j->ids != NULL ? json_incref(j->ids) : json_array()));
	cleanup_job_free(j);
}

static void cleanup_job_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cleanup_job *j = w->data;

	(void)loop;
	(void)revents;
	cleanup_job_step(j->e, j);
}

int engine_cleanup_start(struct engine *e, const char *search, long long after_s, size_t batch,
			 struct conn *c, bool want_ids, char *err, size_t errlen)
{
	struct cleanup_rows x;
	struct cleanup_job *j;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cleanup_find(e, search, after_s, &x, err, errlen) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("engine: cleanup %.60s: %zu tasks found in %lld ms", search != NULL ? search : "(all)", x.n,
		  (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		free(x.rowids);
		free(x.ids);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->e = e;
	j->rowids = x.rowids;
	j->n = x.n;
	j->batch = batch > 0 ? batch : CLEANUP_BATCH_DEFAULT;
	snprintf(j->what, sizeof(j->what), "%.60s", search != NULL && *search != '\0' ? search : "(all)");
	if (want_ids) {
		j->ids = json_array();
		for (size_t i = 0; i < x.n; i++)
			json_array_append_new(j->ids, json_string(x.ids[i]));
	}
	free(x.ids);
	if (c != NULL) {
		e->hooks.hold(c);
		j->c = c;
	}
	ev_timer_init(&j->w, cleanup_job_cb, 0., 0.);
	j->w.data = j;
	j->jnext = e->cleanups;
	e->cleanups = j;
	cleanup_job_step(e, j);
	return 0;
}

void engine_cleanup_abort(struct engine *e, const char *msg)
{
	while (e->cleanups != NULL) {
		struct cleanup_job *j = e->cleanups;

		log_warnx("engine: cleanup %s: %s", j->what, msg);
		if (j->c != NULL)
			engine_reply(e, j->c, MSG_ERROR, json_pack("{s:s, s:i}", "error", msg, "code", 1));
		cleanup_job_free(j);
	}
}

void engine_cleanup_free(struct engine *e)
{
	while (e->cleanups != NULL)
		cleanup_job_free(e->cleanups);
}

int64_t engine_cleanup_every_ms(const struct engine *e)
{
	const struct conf *c = e->conf;
	int64_t every = 3600 * 1000;

	for (size_t i = 0; c != NULL && i < c->ntasks; i++) {
		long long after =
		    c->tasks[i].cleanup_after > 0 ? c->tasks[i].cleanup_after : c->tasks_cleanup_after;

		if (after > 0 && after * 1000 / 4 < every)
			every = after * 1000 / 4;
	}
	return every < 1000 ? 1000 : every;
}

/* The scheduled run: each type's cleanup_after, else the global one. */
void engine_cleanup_scheduled(struct engine *e)
{
	const struct conf *c = e->conf;
	char err[512], search[300];

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ntasks; i++) {
		long long after =
		    c->tasks[i].cleanup_after > 0 ? c->tasks[i].cleanup_after : c->tasks_cleanup_after;

		if (after <= 0 || strchr(c->tasks[i].label, '"') != NULL)
			continue;
		snprintf(search, sizeof(search), "label = \"%s\"", c->tasks[i].label);
		if (engine_cleanup_start(e, search, after, 0, NULL, false, err, sizeof(err)) < 0)
			log_warnx("engine: cleanup of %s: %s", c->tasks[i].label, err);
	}
}
