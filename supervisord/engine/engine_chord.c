/*
 * engine_chord.c — sub-tasks (chords) beyond the hot path: what a parent's
 * step knows of its children, read from the store (ids, spawn order) and
 * from memory (the current state of those not yet freed); the callback's
 * input (the children's outputs in spawn order); the chord's progress in the
 * parent's progress details; a child's resume or skip letting its paused
 * parent go on; and a parent's cancel taking its children with it.
 *
 * Exactly once: a child is identified by (parent task, step, spawn index),
 * the index counting the spawns of the step's current attempt
 * (steps.spawned). A re-run of the step (its worker lost and the step
 * re-queued, or `task resume`) that spawns index i again gets the child it
 * already has: the store's unique index on the three makes a second one
 * impossible, so the callback sees each child once. A parent whose child
 * stopped in error is not re-run by `task resume` (it would collect the same
 * failed child again): the resume is refused with what to do. A skipped
 * spawning step skips its callback too: never a callback on part of the
 * outputs.
 *
 * The counters on struct estep (children_open, ...) decide the common case in
 * engine_dispatch.c inside the transaction that stops the last child; this
 * file recounts only on operator actions, on failures (to name the child) and
 * when a callback step is handed out. Never: polls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"

struct chord_walk {
	struct engine *e;
	int idx; /* the parent's step; -1 = every child */
	struct engine_chord *c;
	json_t *outputs; /* NULL: counts only */
	char (*ids)[Q_ID_LEN];
	size_t nids, cids;
};

static int chord_row(void *arg, struct q_task *row)
{
	struct chord_walk *x = arg;
	struct etask *m;
	enum q_task_state st;
	enum q_result res;

	if (x->idx >= 0 && row->parent_step != x->idx)
		return 0;
	m = engine_task_get(x->e, row->id); /* memory is newer than the store until the flush */
	st = m != NULL ? m->row.state : row->state;
	res = m != NULL ? m->row.result : row->result;
	if (x->c != NULL) {
		x->c->total++;
		if (st != QT_STOPPED) {
			x->c->open++;
			if (st == QT_PAUSED && x->c->paused++ == 0)
				snprintf(x->c->paused_id, sizeof(x->c->paused_id), "%s", row->id);
		} else if ((res == QR_ERROR || res == QR_CANCELLED) && x->c->failed++ == 0) {
			snprintf(x->c->failed_id, sizeof(x->c->failed_id), "%s", row->id);
			x->c->failed_result = res;
			x->c->failed_flags = m != NULL ? m->row.flags : row->flags;
		}
	}
	if (x->outputs != NULL) {
		json_t *o = m != NULL ? json_incref(m->output)
				      : json_loads(row->output != NULL ? row->output : "{}", 0, NULL);

		json_array_append_new(x->outputs, o != NULL ? o : json_object());
	}
	if (x->ids != NULL || x->cids == 0) {
		if (st == QT_STOPPED)
			return 0;
		if (x->nids == x->cids) {
			size_t n = x->cids != 0 ? x->cids * 2 : 16;
			char(*ni)[Q_ID_LEN] = realloc(x->ids, n * sizeof(*ni));

			if (ni == NULL)
				return 0;
			x->ids = ni;
			x->cids = n;
		}
		memcpy(x->ids[x->nids++], row->id, Q_ID_LEN);
	}
	return 0;
}

void engine_chord_count(struct engine *e, struct etask *p, int idx, struct engine_chord *c)
{
	struct chord_walk x = {.e = e, .idx = idx, .c = c, .cids = 1 /* no ids */};

	memset(c, 0, sizeof(*c));
	if (e->ops->children_of(e->b, p->row.id, chord_row, &x) < 0)
		log_warnx("engine: task %s: reading its children: %s", p->row.id, e->ops->error(e->b));
}

json_t *engine_chord_outputs(struct engine *e, struct etask *p, int idx)
{
	struct chord_walk x = {.e = e, .idx = idx, .outputs = json_array(), .cids = 1};

	if (e->ops->children_of(e->b, p->row.id, chord_row, &x) < 0)
		log_warnx("engine: task %s: reading its children: %s", p->row.id, e->ops->error(e->b));
	if (json_array_size(x.outputs) == 0) {
		json_decref(x.outputs);
		return NULL;
	}
	return x.outputs;
}

int engine_chord_spawn(struct engine *e, struct estep *s, json_t *req, char *err, size_t errlen)
{
	struct etask *p = s->t, *child;
	struct q_task row;
	int idx = s->row.spawned, rc;

	if (engine_tx_open(e) < 0) {
		snprintf(err, errlen, "database: %s", e->ops->error(e->b));
		return -1;
	}
	memset(&row, 0, sizeof(row));
	rc = e->ops->child_find(e->b, p->row.id, s->row.idx, idx, &row);
	if (rc < 0) {
		snprintf(err, errlen, "database: %s", e->ops->error(e->b));
		return -1;
	}
	s->row.spawned++; /* the index is taken, whatever becomes of the spawn */
	engine_step_dirty(e, s);
	if (rc == 0) {
		log_info("task %s (%s): step %s: spawn %d is task %s (%s), spawned by an earlier run",
			 p->row.id, p->row.label, s->row.name, idx, row.id, q_task_state_name(row.state));
		q_task_clear(&row);
		return 0;
	}
	e->plan_spawn = true;
	e->plan_spawn_index = idx;
	child = engine_plan(e, req, p->row.triggered_by, p, s->row.idx, err, errlen);
	e->plan_spawn = false;
	return child != NULL ? 0 : -1;
}

void engine_chord_rerun(struct engine *e, struct estep *s)
{
	struct engine_chord c;

	engine_chord_count(e, s->t, s->row.idx, &c);
	s->children_open = c.open;
	s->children_total = c.total;
	s->child_failed = c.failed > 0;
	s->child_paused = c.paused > 0; /* decided when the step is done */
}

int engine_chord_resume_check(struct engine *e, struct etask *p, struct estep *s, struct engine_chord *c,
			      char *err, size_t errlen)
{
	char cb[128] = "";

	engine_chord_count(e, p, s->row.idx, c);
	if (c->failed == 0)
		return 0;
	if (c->failed_result == QR_ERROR && (c->failed_flags & QF_UNLOCKED)) {
		snprintf(err, errlen,
			 "task %s: its child task %s was unlocked (stopped, resumable): `task resume %s`, "
			 "and this task goes on by itself",
			 p->row.id, c->failed_id, c->failed_id);
		return -1;
	}
	if ((size_t)s->row.idx + 1 < p->nsteps)
		snprintf(cb, sizeof(cb), " and its callback %s", p->steps[s->row.idx + 1].row.name);
	snprintf(err, errlen,
		 "task %s: its child task %s %s and cannot run again, so step %s is not resumed: "
		 "`task skip %s` goes on without the children (step %s%s skipped), `task cancel %s` "
		 "stops it",
		 p->row.id, c->failed_id,
		 c->failed_result == QR_CANCELLED ? "was cancelled" : "stopped in error", s->row.name,
		 p->row.id, s->row.name, cb, p->row.id);
	return -1;
}

void engine_chord_skipped(struct engine *e, struct estep *s)
{
	struct etask *t = s->t;
	struct engine_chord c;
	struct estep *cb;
	char msg[256];

	if ((size_t)s->row.idx + 1 >= t->nsteps)
		return;
	cb = &t->steps[s->row.idx + 1];
	if (cb->row.state != QS_PENDING)
		return;
	engine_chord_count(e, t, s->row.idx, &c);
	if (c.total == 0)
		return; /* no chord: the next step is an ordinary one */
	snprintf(msg, sizeof(msg),
		 "skipped: step %s, whose %d child task%s it would collect, was skipped (%d not stopped)",
		 s->row.name, c.total, c.total == 1 ? "" : "s", c.open);
	if (engine_state_step(e, cb, QS_SKIPPED, "its spawning step was skipped") < 0)
		return;
	engine_error(e, t, cb->row.idx, msg, NULL);
	engine_step_dirty(e, cb);
}

/* The chord's progress in the parent's progress details (shown by task show/list). */
static void chord_progress_add(struct engine *e, struct etask *p, const char *key)
{
	json_t *v = json_object_get(p->progress, key);

	json_object_set_new(engine_task_progress(p), key, json_integer(json_integer_value(v) + 1));
	p->json_dirty = true;
	engine_task_dirty(e, p);
}

void engine_chord_spawned(struct engine *e, struct etask *p)
{
	chord_progress_add(e, p, "children_total");
}

void engine_chord_stopped(struct engine *e, struct etask *p)
{
	chord_progress_add(e, p, "children_stopped");
}

void engine_chord_child_resumed(struct engine *e, struct etask *child)
{
	struct etask *p;
	struct estep *s;
	struct engine_chord c;

	if (child->row.parent_task_id == NULL || child->row.parent_step < 0)
		return;
	p = engine_task_get(e, child->row.parent_task_id);
	if (p == NULL || p->row.state != QT_PAUSED || (size_t)child->row.parent_step >= p->nsteps)
		return;
	s = &p->steps[child->row.parent_step];
	if (s->row.state != QS_ERROR)
		return;
	engine_chord_count(e, p, s->row.idx, &c);
	if (c.total == 0 || c.paused > 0 || c.failed > 0)
		return; /* another child still holds it back */
	engine_tx(e);
	s->children_open = c.open;
	if (s->children_total < c.total)
		s->children_total = c.total;
	s->child_failed = false;
	s->child_paused = false;
	if (engine_state_task(e, p, QT_RUNNING, "its child task was resumed") < 0)
		return; /* from paused: in the table */
	p->row.result = QR_PENDING;
	if (c.open > 0) {
		/* waits for the rest of its children; from error, as below: in the table */
		(void)engine_state_step(e, s, QS_SUSPENDED, "waits for the rest of its children");
		engine_step_dirty(e, s);
	} else {
		(void)engine_state_step(e, s, QS_SUCCESS, "its children stopped");
		engine_step_dirty(e, s);
		engine_task_advance(e, p);
	}
	engine_task_dirty(e, p);
	engine_chord_child_resumed(e, p); /* its own parent may wait on it */
}

/* The children of t not yet stopped (malloc'd ids; *n of them). */
static char (*chord_open_children(struct engine *e, struct etask *t, size_t *n))[Q_ID_LEN]
{
	struct chord_walk x = {.e = e, .idx = -1};

	if (e->ops->children_of(e->b, t->row.id, chord_row, &x) < 0)
		log_warnx("engine: task %s: reading its children: %s", t->row.id, e->ops->error(e->b));
	*n = x.nids;
	return x.ids;
}

static bool chord_running(const struct etask *t)
{
	if (t->row.state == QT_RUNNING)
		return true;
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].row.state == QS_RUNNING || t->steps[i].row.state == QS_SUSPENDED)
			return true;
	return false;
}

int engine_chord_cancel_check(struct engine *e, struct etask *t, char *err, size_t errlen, int depth)
{
	size_t n;
	char(*ids)[Q_ID_LEN] = chord_open_children(e, t, &n);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0 && depth < 64; i++) {
		struct etask *c = engine_task_get(e, ids[i]);

		if (c == NULL || c->row.state == QT_STOPPED)
			continue;
		if (chord_running(c) && !(c->row.flags & QF_CANCELLABLE)) {
			snprintf(err, errlen, "Cancel Not Implemented for Task: %s (a sub-task of %s)",
				 c->row.id, t->row.id);
			rc = -1;
		} else {
			rc = engine_chord_cancel_check(e, c, err, errlen, depth + 1);
		}
	}
	free(ids);
	return rc;
}

void engine_chord_cancel_children(struct engine *e, struct etask *t)
{
	size_t n;
	char(*ids)[Q_ID_LEN] = chord_open_children(e, t, &n);
	char err[256];

	for (size_t i = 0; i < n; i++) {
		struct etask *c = engine_task_get(e, ids[i]);

		if (c != NULL && c->row.state != QT_STOPPED && engine_task_cancel(e, c, err, sizeof(err)) < 0)
			log_warnx("engine: task %s: cancelling its child: %s", t->row.id, err);
	}
	free(ids);
}
