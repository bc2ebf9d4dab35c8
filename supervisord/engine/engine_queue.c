/*
 * engine_queue.c — what each queue holds and did, for the operator: `queue
 * list` (workers, ready, running, paused tasks, oldest wait, steps done and
 * failed in the last minute and hour, mean step time), why a task waits
 * (`task show`'s "waiting"), the warning of a submit no worker will serve,
 * `check queue` and a ready step's wait past its timeout (stuck).
 *
 * The counters live in memory only and cost a few additions per step end
 * (engine_queue_count, from engine_worker_count): nothing here reads or
 * writes the store. Everything else is computed when asked, from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

/* How far `task show` looks for a step's place in line: a task export renders every task's wait. */
#define QUEUE_POS_MAX 100

static void engine_queue_bucket(struct equeue_bucket *b, int64_t at, bool ok, int64_t run_ms)
{
	if (b->at != at) {
		b->at = at;
		b->done = b->failed = 0;
		b->run_ms = 0;
	}
	if (ok)
		b->done++;
	else
		b->failed++;
	b->run_ms += run_ms > 0 ? run_ms : 0;
}

void engine_queue_count(struct equeue *q, bool ok, int64_t run_ms, int64_t now_ms)
{
	int64_t sec = now_ms / 1000, min = sec / 60;

	engine_queue_bucket(&q->secs[sec % EQUEUE_BUCKETS], sec, ok, run_ms);
	engine_queue_bucket(&q->mins[min % EQUEUE_BUCKETS], min, ok, run_ms);
	if (ok)
		q->done++;
	else
		q->failed++;
}

void engine_queue_sums(const struct equeue *q, int64_t now_ms, struct equeue_sums *out)
{
	int64_t sec = now_ms / 1000, min = sec / 60;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < EQUEUE_BUCKETS; i++) {
		const struct equeue_bucket *s = &q->secs[i], *m = &q->mins[i];

		if (s->at > sec - EQUEUE_BUCKETS && s->at <= sec) {
			out->done_1m += s->done;
			out->failed_1m += s->failed;
		}
		if (m->at > min - EQUEUE_BUCKETS && m->at <= min) {
			out->done_1h += m->done;
			out->failed_1h += m->failed;
			out->run_ms_1h += m->run_ms;
		}
	}
}

size_t engine_queue_served(const struct equeue *q)
{
	size_t n = 0;

	for (size_t i = 0; i < q->nworkers; i++)
		if (!q->workers[i]->gone)
			n++;
	return n;
}

/* Since when a queued step has been ready (ms): the end of the step before it, else the
 * task's creation or its start_at. */
int64_t engine_queue_ready_since(const struct estep *s)
{
	const struct etask *t = s->t;
	int64_t since = t->row.start_at > t->row.created_at ? t->row.start_at : t->row.created_at;

	if (s->row.idx > 0 && (size_t)s->row.idx <= t->nsteps &&
	    t->steps[s->row.idx - 1].row.ended_at > since)
		since = t->steps[s->row.idx - 1].row.ended_at;
	return since;
}

/* Does live worker w take this kind of step (a command, or its handler)? */
static bool engine_queue_takes(const struct worker *w, const struct estep *s)
{
	if (w->gone)
		return false;
	if (s->row.handler == NULL)
		return w->commands;
	for (size_t k = 0; k < w->nhandlers; k++)
		if (strcmp(w->handlers[k], s->row.handler) == 0)
			return true;
	return false;
}

/* Why s (queued) waits: no worker, none for its kind, all of those busy, or its place in line. */
static void engine_queue_why(const struct estep *s, char *buf, size_t len)
{
	const struct equeue *q = s->t->q;
	size_t able = 0, busy = 0, pos = 1;
	const char *name = s->row.name != NULL ? s->row.name : "?";
	char place[48];

	if (engine_queue_served(q) == 0) {
		snprintf(buf, len, "no worker serves queue \"%s\"", q->name);
		return;
	}
	for (size_t i = 0; i < q->nworkers; i++) {
		const struct worker *w = q->workers[i];

		if (!engine_queue_takes(w, s))
			continue;
		able++;
		if (w->nheld >= w->prefetch)
			busy++;
	}
	if (able == 0) {
		if (s->row.handler != NULL)
			snprintf(buf, len, "no worker of queue \"%s\" serves handler \"%s\" (step %s)",
				 q->name, s->row.handler, name);
		else
			snprintf(buf, len, "no worker of queue \"%s\" runs command steps (step %s)", q->name,
				 name);
		return;
	}
	for (const struct estep *x = q->head; x != NULL && x != s && pos <= QUEUE_POS_MAX; x = x->qnext)
		pos++;
	if (pos <= QUEUE_POS_MAX)
		snprintf(place, sizeof(place), "#%zu", pos);
	else
		snprintf(place, sizeof(place), "behind %d others", QUEUE_POS_MAX);
	if (busy == able)
		snprintf(buf, len, "%zu worker%s busy; step %s is %s of %zu ready on queue \"%s\"", busy,
			 busy == 1 ? "" : "s", name, place, q->nready, q->name);
	else
		snprintf(buf, len, "step %s is %s of %zu ready on queue \"%s\"", name, place, q->nready,
			 q->name);
}

bool engine_queue_waiting(struct engine *e, const struct etask *t, char *buf, size_t len)
{
	(void)e;
	if (t->row.state != QT_PLANNED && t->row.state != QT_RUNNING)
		return false;
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].queued) {
			engine_queue_why(&t->steps[i], buf, len);
			return true;
		}
	return false;
}

bool engine_queue_unserved(struct equeue *q, char *buf, size_t len)
{
	if (engine_queue_served(q) > 0) {
		q->unserved_logged = false;
		return false;
	}
	snprintf(buf, len, "no worker serves queue \"%s\"; the task waits until one connects", q->name);
	if (!q->unserved_logged) {
		log_warnx("engine: %s", buf);
		q->unserved_logged = true;
	}
	return true;
}

bool engine_queue_stuck(struct engine *e, const struct estep *s, char *why, size_t len)
{
	const struct conf_task *type = e->conf != NULL ? conf_task_find(e->conf, s->t->row.label) : NULL;
	long long limit = type != NULL && type->timeout > 0 ? type->timeout : ENGINE_WAIT_STUCK_S;
	int64_t waited = engine_now() - engine_queue_ready_since(s);
	char reason[200];

	if (!s->queued || waited <= limit * 1000)
		return false;
	if (why != NULL) {
		engine_queue_why(s, reason, sizeof(reason));
		snprintf(why, len, "step %s: waiting %lld s (%s), over its timeout of %lld s",
			 s->row.name != NULL ? s->row.name : "?", (long long)(waited / 1000), reason, limit);
	}
	return true;
}

/* ---- queue list ---- */

static json_t *engine_queue_json(const struct equeue *q, size_t paused, int64_t now)
{
	struct equeue_sums sums;
	size_t running = 0, busy = 0;
	int64_t oldest = 0;
	json_t *j;

	for (size_t i = 0; i < q->nworkers; i++) {
		const struct worker *w = q->workers[i];

		for (int k = 0; k < w->nheld; k++)
			if (w->held[k].s != NULL)
				running++;
		if (!w->gone && w->nheld >= w->prefetch)
			busy++;
	}
	for (const struct estep *s = q->head; s != NULL; s = s->qnext) {
		int64_t w = now - engine_queue_ready_since(s);

		if (w > oldest)
			oldest = w;
	}
	engine_queue_sums(q, now, &sums);
	j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name", q->name, "workers",
		      (json_int_t)engine_queue_served(q), "busy", (json_int_t)busy, "ready",
		      (json_int_t)q->nready, "running", (json_int_t)running, "paused", (json_int_t)paused);
	json_object_set_new(j, "oldest_wait",
			    q->head != NULL ? json_real((double)oldest / 1000.0) : json_null());
	json_object_set_new(j, "done_1m", json_integer((json_int_t)sums.done_1m));
	json_object_set_new(j, "failed_1m", json_integer((json_int_t)sums.failed_1m));
	json_object_set_new(j, "done_1h", json_integer((json_int_t)sums.done_1h));
	json_object_set_new(j, "failed_1h", json_integer((json_int_t)sums.failed_1h));
	json_object_set_new(j, "done", json_integer((json_int_t)q->done));
	json_object_set_new(j, "failed", json_integer((json_int_t)q->failed));
	json_object_set_new(
	    j, "mean_step",
	    sums.done_1h + sums.failed_1h > 0
		? json_real((double)sums.run_ms_1h / 1000.0 / (double)(sums.done_1h + sums.failed_1h))
		: json_null());
	return j;
}

static int engine_queue_cmp(const void *a, const void *b)
{
	return strcmp((*(struct equeue *const *)a)->name, (*(struct equeue *const *)b)->name);
}

json_t *engine_queue_all(struct engine *e)
{
	json_t *arr = json_array();
	struct equeue **qs;
	size_t n = 0, i = 0, *paused;
	int64_t now = engine_now();

	/* the queues the task types name, even before anything was submitted to them */
	for (size_t k = 0; e->conf != NULL && k < e->conf->ntasks; k++)
		if (e->conf->tasks[k].queue != NULL)
			(void)engine_queue(e, e->conf->tasks[k].queue);
	for (struct equeue *q = e->queues; q != NULL; q = q->next)
		n++;
	qs = xcalloc(n + 1, sizeof(*qs));
	for (struct equeue *q = e->queues; q != NULL; q = q->next)
		qs[i++] = q;
	qsort(qs, n, sizeof(*qs), engine_queue_cmp);
	/* paused tasks by queue, in one pass over the tasks in memory */
	paused = xcalloc(n + 1, sizeof(*paused));
	for (size_t h = 0; h < e->hash_size; h++)
		for (const struct etask *t = e->hash[h]; t != NULL; t = t->hnext)
			if (t->row.state == QT_PAUSED) {
				struct equeue **hit = bsearch(&t->q, qs, n, sizeof(*qs), engine_queue_cmp);

				if (hit != NULL)
					paused[hit - qs]++;
			}
	for (i = 0; i < n; i++)
		json_array_append_new(arr, engine_queue_json(qs[i], paused[i], now));
	free(paused);
	free(qs);
	return arr;
}

void engine_queue_list(struct engine *e, struct conn *c, json_t *req)
{
	(void)req;
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "queues", engine_queue_all(e)));
}

/* ---- check queue ---- */

static const char *engine_queue_word(int code)
{
	return code == 2 ? "CRITICAL" : code == 1 ? "WARNING" : "OK";
}

int engine_check_queue(struct engine *e, double warn, double crit, double warn_wait, double crit_wait,
		       char *line, size_t len)
{
	double n = 0, oldest = 0, unserved = 0, first_ready = 0;
	const char *first = NULL;
	int nqueues = 0;
	int64_t now = engine_now();
	char who[160] = "", wperf[64] = "";
	int code, wcode;

	if (warn <= 0)
		warn = 100;
	if (crit <= 0)
		crit = 1000;
	for (struct equeue *q = e->queues; q != NULL; q = q->next) {
		n += (double)q->nready;
		if (q->nready > 0 && engine_queue_served(q) == 0) {
			unserved += (double)q->nready;
			nqueues++;
			if (first == NULL) {
				first = q->name;
				first_ready = (double)q->nready;
			}
		}
		for (const struct estep *s = q->head; s != NULL; s = s->qnext) {
			double w = (double)(now - engine_queue_ready_since(s)) / 1000.0;

			if (w > oldest)
				oldest = w;
		}
	}
	code = n >= crit ? 2 : n >= warn ? 1 : 0;
	wcode = crit_wait > 0 && oldest >= crit_wait ? 2 : warn_wait > 0 && oldest >= warn_wait ? 1 : 0;
	if (wcode > code)
		code = wcode;
	if (first != NULL) {
		code = 2;
		snprintf(who, sizeof(who), ", no worker serves queue \"%s\" (%.0f steps ready)%s", first,
			 first_ready, nqueues > 1 ? " and other queues" : "");
	}
	if (warn_wait > 0 || crit_wait > 0)
		snprintf(wperf, sizeof(wperf), ";%.0f;%.0f", warn_wait, crit_wait);
	snprintf(line, len,
		 "TASKS QUEUE %s - %.0f steps ready, oldest waiting %.0f s%s | queue=%.0f;%.0f;%.0f "
		 "oldest_wait=%.0fs%s unserved=%.0f",
		 engine_queue_word(code), n, oldest, who, n, warn, crit, oldest, wperf, unserved);
	return code;
}
