/*
 * engine_cleanup.c — removing old stopped tasks (Foreman's cleanup): on
 * request (MSG_TASK_CLEANUP, with --noop to only count) and on a schedule
 * from each task type's cleanup_after (else [tasks] cleanup_after). Only
 * stopped tasks are ever deleted: everything else lives in the engine's
 * memory. Deletes go into the group transaction like any other write.
 */
#define ENGINE_INTERNAL 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"

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

long engine_cleanup(struct engine *e, const char *search, long long after_s, bool noop, json_t *ids,
		    char *err, size_t errlen)
{
	struct cleanup_rows x = {.e = e};
	const char *user = search != NULL && *search != '\0' ? search : NULL;
	char *q = NULL, age[48] = "";
	long n;

	if (after_s > 0)
		snprintf(age, sizeof(age), " and started_at < %llds", after_s);
	if (asprintf(&q, "state = stopped%s%s%s%s", age, user != NULL ? " and (" : "",
		     user != NULL ? user : "", user != NULL ? ")" : "") < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (e->ops->task_list(e->b, q, "created_at asc", 0, engine_now(), cleanup_collect, &x, err, errlen) <
	    0) {
		free(q);
		free(x.rowids);
		free(x.ids);
		return -1;
	}
	free(q);
	for (size_t i = 0; i < x.n; i++) {
		if (ids != NULL)
			json_array_append_new(ids, json_string(x.ids[i]));
		if (noop)
			continue;
		if (engine_tx(e) < 0 || e->ops->task_delete(e->b, x.rowids[i]) < 0) {
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

/* The scheduled run: each type's cleanup_after, else the global one. */
void engine_cleanup_scheduled(struct engine *e)
{
	const struct conf *c = e->d->conf;
	char err[512], search[300];

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ntasks; i++) {
		long long after =
		    c->tasks[i].cleanup_after > 0 ? c->tasks[i].cleanup_after : c->tasks_cleanup_after;
		long n;

		if (after <= 0 || strchr(c->tasks[i].label, '"') != NULL)
			continue;
		snprintf(search, sizeof(search), "label = \"%s\"", c->tasks[i].label);
		n = engine_cleanup(e, search, after, false, NULL, err, sizeof(err));
		if (n < 0)
			log_warnx("engine: cleanup of %s: %s", c->tasks[i].label, err);
		else if (n > 0)
			log_info("engine: cleanup: %ld %s tasks older than %llds deleted", n,
				 c->tasks[i].label, after);
	}
}
