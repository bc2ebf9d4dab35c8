/*
 * engine_worker.c — what each connected worker holds and did, for the
 * operator: `worker list` and `worker show NAME` (name, pid, program, queue,
 * handlers, prefetch, the steps it holds and since when, steps done and
 * failed since it said hello, when it connected, when it was last heard).
 * A slot whose step was cancelled or force-unlocked while the worker still
 * runs it is shown too: nothing a worker runs is unseen.
 *
 * The counters are kept in memory as each answer comes (engine_worker_count,
 * a few additions per step); the requests read memory only, never the store.
 */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"
#include "proto.h"

void engine_worker_count(struct engine *e, struct worker *w, const struct held *h, bool ok)
{
	int64_t now = engine_now();

	w->last_seen = now;
	if (e->replaying)
		return; /* counted when it was first told (engine_journal.c) */
	if (ok)
		w->done++;
	else
		w->failed++;
	engine_queue_count(w->q, ok, h->since > 0 ? now - h->since : 0, now);
}

static json_t *engine_worker_time(int64_t ms)
{
	return ms != 0 ? json_real((double)ms / 1000.0) : json_null();
}

/* The steps w holds: {"step_id","task_id","label","step","index","since"}; a slot whose step
 * was taken from it (cancelled, force-unlocked, lease expired) has "task_id": null and "note". */
static json_t *engine_worker_held_json(const struct worker *w)
{
	json_t *arr = json_array();

	for (int i = 0; i < w->nheld; i++) {
		const struct held *h = &w->held[i];
		const struct estep *s = h->s;
		json_t *j = json_pack("{s:s}", "step_id", h->step_id);

		json_object_set_new(j, "since", engine_worker_time(h->since));
		if (s != NULL) {
			json_object_set_new(j, "task_id", json_string(s->t->row.id));
			json_object_set_new(j, "label",
					    json_string(s->t->row.label != NULL ? s->t->row.label : ""));
			json_object_set_new(j, "step", json_string(s->row.name != NULL ? s->row.name : ""));
			json_object_set_new(j, "index", json_integer(s->row.idx));
		} else {
			json_object_set_new(j, "task_id", json_null());
			json_object_set_new(j, "note",
					    json_string("no longer the task's (cancelled, unlocked or "
							"lease expired): still running at the worker"));
		}
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *engine_worker_full_json(const struct worker *w)
{
	json_t *j = json_object(), *handlers = json_array();

	if (w->commands)
		json_array_append_new(handlers, json_string("*"));
	for (size_t i = 0; i < w->nhandlers; i++)
		json_array_append_new(handlers, json_string(w->handlers[i]));
	json_object_set_new(j, "id", json_integer(w->id));
	json_object_set_new(j, "name", json_string(w->name));
	json_object_set_new(j, "pid", w->pid > 0 ? json_integer(w->pid) : json_null());
	json_object_set_new(j, "program", w->program != NULL ? json_string(w->program) : json_null());
	json_object_set_new(j, "supervised", json_boolean(w->supervised));
	json_object_set_new(j, "queue", json_string(w->q->name));
	json_object_set_new(j, "handlers", handlers);
	json_object_set_new(j, "prefetch", json_integer(w->prefetch));
	json_object_set_new(j, "held", engine_worker_held_json(w));
	json_object_set_new(j, "done", json_integer((json_int_t)w->done));
	json_object_set_new(j, "failed", json_integer((json_int_t)w->failed));
	json_object_set_new(j, "connected_at", engine_worker_time(w->connected_at));
	json_object_set_new(j, "last_seen", engine_worker_time(w->last_seen));
	json_object_set_new(j, "gone", json_boolean(w->gone));
	return j;
}

void engine_worker_list(struct engine *e, struct conn *c, json_t *req)
{
	json_t *arr = json_array();
	size_t n = 0;

	(void)req;
	for (const struct worker *w = e->workers; w != NULL; w = w->next)
		n++;
	/* e->workers is newest first: list them in the order they connected */
	for (size_t k = n; k > 0; k--) {
		const struct worker *w = e->workers;

		for (size_t i = 1; i < k; i++)
			w = w->next;
		json_array_append_new(arr, engine_worker_full_json(w));
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "workers", arr));
}

void engine_worker_show(struct engine *e, struct conn *c, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	const struct worker *found = NULL;

	if (name == NULL || *name == '\0') {
		engine_reply_read(e, c, MSG_ERROR,
				  json_pack("{s:s, s:i}", "error", "missing worker name", "code", 2));
		return;
	}
	/* its name, its program's "group:name", or its pid */
	for (const struct worker *w = e->workers; w != NULL; w = w->next) {
		char pid[24];

		snprintf(pid, sizeof(pid), "%ld", (long)w->pid);
		if (strcmp(w->name, name) == 0 || (w->program != NULL && strcmp(w->program, name) == 0) ||
		    (w->pid > 0 && strcmp(pid, name) == 0))
			found = w; /* the oldest such: the list is newest first */
	}
	if (found == NULL) {
		engine_reply_read(e, c, MSG_ERROR,
				  json_pack("{s:s+, s:i}", "error", "no such worker: ", name, "code", 1));
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "worker", engine_worker_full_json(found)));
}
