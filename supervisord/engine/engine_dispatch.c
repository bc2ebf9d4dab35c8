/*
 * engine_dispatch.c — workers and steps: the ready FIFO of each queue, the
 * fair hand-out (round-robin over the queue's workers that have a free
 * prefetch slot and serve the step's handler), step results (done, failed,
 * progress), the rescue strategy of a failed step (pause, stop, skip), the
 * result of a finished task (Dynflow's rule) and the operator's resume, skip
 * and cancel. Everything is written in the open group transaction; messages
 * to workers wait in each worker's outbox until the commit (engine.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"
#include "proto.h"

#define DISPATCH_MAX_SKIP 4096 /* ready steps looked past per round when no worker serves them */

/* ---- the ready FIFO ---- */

void engine_fifo_push(struct estep *s, bool front)
{
	struct equeue *q = s->t->q;

	if (s->queued)
		return;
	s->queued = true;
	q->nready++;
	if (front) {
		s->qprev = NULL;
		s->qnext = q->head;
		if (q->head != NULL)
			q->head->qprev = s;
		else
			q->tail = s;
		q->head = s;
	} else {
		s->qnext = NULL;
		s->qprev = q->tail;
		if (q->tail != NULL)
			q->tail->qnext = s;
		else
			q->head = s;
		q->tail = s;
	}
}

void engine_fifo_remove(struct estep *s)
{
	struct equeue *q = s->t->q;

	if (!s->queued)
		return;
	if (s->qprev != NULL)
		s->qprev->qnext = s->qnext;
	else
		q->head = s->qnext;
	if (s->qnext != NULL)
		s->qnext->qprev = s->qprev;
	else
		q->tail = s->qprev;
	s->qprev = s->qnext = NULL;
	s->queued = false;
	q->nready--;
}

/* ---- workers ---- */

void engine_worker_send(struct worker *w, uint32_t type, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL || proto_wbuf_add(&w->outbox, type, text, strlen(text)) < 0)
		xmalloc_failed(text != NULL ? strlen(text) : 0);
	free(text);
	engine_kick(w->e);
}

/*
 * The STEP message is the one every task gets, so it is written as text
 * straight into the outbox: building it as a jansson object and dumping it
 * was a tenth of the daemon's time per task. ob_* append to the outbox; an
 * allocation failure there follows README "Errors" (xmalloc.h).
 */
static void ob_raw(struct proto_wbuf *b, const char *s, size_t n)
{
	if (proto_wbuf_reserve(b, b->len + n) < 0)
		xmalloc_failed(b->len + n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

/* s as a JSON string (RFC 8259: quote, backslash and control characters escaped; UTF-8 as is). */
static void ob_str(struct proto_wbuf *b, const char *s)
{
	const char *run = s;
	char esc[8];

	ob_raw(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		ob_raw(b, run, (size_t)(s - run));
		if (ch == '"' || ch == '\\')
			snprintf(esc, sizeof(esc), "\\%c", ch);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
		ob_raw(b, esc, strlen(esc));
		run = s + 1;
	}
	ob_raw(b, run, (size_t)(s - run));
	ob_raw(b, "\"", 1);
}

static void ob_key_str(struct proto_wbuf *b, const char *key, const char *s)
{
	ob_raw(b, key, strlen(key));
	ob_str(b, s != NULL ? s : "");
}

static void ob_key_int(struct proto_wbuf *b, const char *key, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	ob_raw(b, key, strlen(key));
	ob_raw(b, num, (size_t)n);
}

/* false (nothing queued) when the message would pass the protocol's frame size */
static bool step_message(struct engine *e, struct worker *w, struct estep *s, const char *step_id,
			 const char *children)
{
	struct etask *t = s->t;
	struct proto_wbuf *b = &w->outbox;
	size_t start = b->len;
	struct proto_hdr h = {PROTO_VERSION, MSG_WORKER_STEP, 0};
	char lease[48];
	int n;

	ob_raw(b, (const char *)&h, sizeof(h));
	ob_key_str(b, "{\"step_id\":", step_id);
	ob_key_str(b, ",\"task_id\":", t->row.id);
	ob_key_str(b, ",\"label\":", t->row.label);
	ob_key_str(b, ",\"name\":", t->row.name);
	ob_key_str(b, ",\"step\":", s->row.name);
	ob_key_int(b, ",\"index\":", s->row.idx);
	ob_raw(b, ",\"input\":", 9);
	ob_raw(b, t->row.input != NULL ? t->row.input : "{}",
	       t->row.input != NULL ? strlen(t->row.input) : 2);
	ob_key_int(b, ",\"attempt\":", s->row.attempts);
	n = snprintf(lease, sizeof(lease), ",\"lease\":%.3f",
		     w->supervised ? 0.0 : (double)e->lease_ms / 1000.0);
	ob_raw(b, lease, (size_t)n);
	if (s->row.command != NULL && s->row.argv != NULL) {
		ob_key_str(b, ",\"command\":", s->row.command);
		ob_raw(b, ",\"argv\":", 8);
		ob_raw(b, s->row.argv, strlen(s->row.argv));
	} else if (s->row.command != NULL) {
		/* a row planned before schema 4: its command was written for /bin/sh -c */
		ob_key_str(b, ",\"command\":", s->row.command);
		ob_key_str(b, ",\"argv\":[\"/bin/sh\",\"-c\",", s->row.command);
		ob_raw(b, "]", 1);
	} else
		ob_key_str(b, ",\"handler\":", s->row.handler);
	if (children != NULL) { /* a chord's callback: the children's outputs, JSON text */
		ob_raw(b, ",\"children\":", 12);
		ob_raw(b, children, strlen(children));
	}
	ob_raw(b, "}", 1);
	if (b->len - start - sizeof(h) > PROTO_MAX_PAYLOAD) {
		b->len = start;
		return false;
	}
	h.len = (uint32_t)(b->len - start - sizeof(h));
	memcpy(b->buf + start, &h, sizeof(h));
	engine_kick(e);
	return true;
}

static bool worker_serves(const struct worker *w, const struct estep *s)
{
	if (w->gone || w->draining || w->nheld >= w->prefetch)
		return false;
	if (s->row.handler == NULL)
		return w->commands;
	for (size_t i = 0; i < w->nhandlers; i++)
		if (strcmp(w->handlers[i], s->row.handler) == 0)
			return true;
	return false;
}

/* Give step s to worker w: running, recorded, message queued for after the commit. */
static void dispatch_claim(struct engine *e, struct worker *w, struct estep *s)
{
	struct etask *t = s->t;
	int64_t now = engine_now();
	struct held *h = &w->held[w->nheld++];
	char *children = NULL;
	bool ok;

	engine_fifo_remove(s);
	if (engine_state_step(e, s, QS_RUNNING, w->name) < 0) {
		w->nheld--; /* the slot taken above */
		return;
	}
	free(s->row.worker);
	s->row.worker = xstrdup(w->name);
	s->row.pid = w->pid;
	s->row.attempts++;
	s->row.spawned = 0; /* a re-run spawns index 0, 1, ... again: the same children */
	if (s->row.attempts > 1)
		engine_chord_rerun(e, s);
	s->row.started_at = now;
	s->row.ended_at = 0;
	s->row.lease_until = w->supervised ? 0 : now + e->lease_ms;
	s->w = w;
	snprintf(h->step_id, sizeof(h->step_id), "%lld.%d", (long long)s->row.rowid, s->row.attempts);
	h->s = s;
	h->gen = e->n_commits;
	h->since = now;
	if (t->row.state == QT_PLANNED)
		(void)engine_state_task(e, t, QT_RUNNING, "a step was claimed"); /* allowed from planned */
	if (t->row.started_at == 0)
		t->row.started_at = now;
	engine_step_claimed(e, s);
	e->n_claims++;

	if (s->row.idx > 0 && json_object_size(json_object_get(t->output, "children")) > 0) {
		/* a chord's callback also gets the children's outputs in spawn order */
		json_t *outs = engine_chord_outputs(e, t, s->row.idx - 1);

		children = outs != NULL ? json_dumps(outs, JSON_COMPACT) : NULL;
		json_decref(outs);
	}
	ok = step_message(e, w, s, h->step_id, children);
	free(children);
	if (!ok) {
		engine_worker_release(w, h);
		engine_step_fail(e, s, "the step message passes the 16 MiB frame limit", NULL);
	}
}

/* A ready step whose task's start_before passed is not handed out: the task stops in error. */
static bool dispatch_expired(struct engine *e, struct estep *s, int64_t now)
{
	struct etask *t = s->t;

	if (t->row.start_before == 0 || t->row.started_at != 0 || now <= t->row.start_before)
		return false;
	engine_fifo_remove(s);
	engine_tx(e);
	engine_error(e, t, -1, "start_before passed", NULL);
	engine_task_stop_why(e, t, QR_ERROR, "start_before passed");
	return true;
}

static void dispatch_queue(struct engine *e, struct equeue *q)
{
	struct estep *s, *next;
	size_t skipped = 0;
	int64_t now = engine_now();

	if (q->head == NULL || q->nworkers == 0)
		return;
	for (s = q->head; s != NULL && skipped < DISPATCH_MAX_SKIP; s = next) {
		struct worker *w = NULL;
		bool any_free = false;

		next = s->qnext;
		if (dispatch_expired(e, s, now))
			continue;
		for (size_t k = 0; k < q->nworkers; k++) {
			struct worker *c = q->workers[(q->rr + k) % q->nworkers];

			if (!c->gone && !c->draining && c->nheld < c->prefetch)
				any_free = true;
			if (worker_serves(c, s)) {
				w = c;
				q->rr = (q->rr + k + 1) % q->nworkers;
				break;
			}
		}
		if (!any_free)
			break;
		if (w == NULL) {
			skipped++;
			continue;
		}
		if (engine_tx_open(e) < 0)
			return;
		dispatch_claim(e, w, s);
	}
}

void engine_dispatch(struct engine *e)
{
	if (e->failing)
		return; /* nothing could be recorded, so nothing is handed out (engine_journal.c) */
	for (struct equeue *q = e->queues; q != NULL; q = q->next)
		dispatch_queue(e, q);
}

struct worker *engine_worker_hello(struct engine *e, struct conn *c, json_t *req, char *err, size_t errlen)
{
	struct worker *w;
	const char *queue = json_string_value(json_object_get(req, "queue"));
	json_t *handlers = json_object_get(req, "handlers"), *v;
	json_int_t prefetch = json_integer_value(json_object_get(req, "prefetch"));
	pid_t pid = c != NULL ? e->hooks.pid(c) : 0;
	const char *program = NULL, *fullname = NULL;
	size_t i;

	if (queue == NULL || *queue == '\0')
		queue = "default";
	if (pid <= 0)
		pid = (pid_t)json_integer_value(json_object_get(req, "pid"));
	if (prefetch < 1)
		prefetch = 1;
	if (prefetch > 10000)
		prefetch = 10000;
	if (handlers != NULL && !json_is_array(handlers)) {
		snprintf(err, errlen, "handlers must be an array of names");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->e = e;
	w->c = c;
	w->id = e->next_worker_id++;
	w->pid = pid;
	w->prefetch = (int)prefetch;
	w->held = xcalloc((size_t)prefetch, sizeof(*w->held));
	w->handlers = xcalloc(json_array_size(handlers) + 1, sizeof(char *));
	proto_wbuf_init(&w->outbox);
	json_array_foreach(handlers, i, v)
	{
		const char *h = json_string_value(v);

		if (h == NULL)
			continue;
		if (strcmp(h, "*") == 0)
			w->commands = true;
		else
			w->handlers[w->nhandlers++] = xstrdup(h);
	}
	if (json_array_size(handlers) == 0)
		w->commands = true;
	if (pid > 0)
		program = e->hooks.program(e->hooks.arg, pid, &fullname);
	w->supervised = program != NULL;
	w->connected_at = w->last_seen = engine_now();
	if (program != NULL) {
		engine_worker_seen_add(e, fullname); /* `ping` reports this program from now on */
		w->program = fullname != NULL ? xstrdup(fullname) : NULL;
		w->name = xstrdup(program);
	} else if (json_string_value(json_object_get(req, "name")) != NULL) {
		w->name = xstrdup(json_string_value(json_object_get(req, "name")));
	} else {
		char buf[32];

		snprintf(buf, sizeof(buf), "pid-%ld", (long)pid);
		w->name = xstrdup(buf);
	}
	w->q = engine_queue(e, queue);
	w->q->unserved_logged = false; /* served again: a later lack is logged again */
	{
		struct worker **nw = xreallocarray(w->q->workers, w->q->nworkers + 1, sizeof(*nw));

		w->q->workers = nw;
		nw[w->q->nworkers++] = w;
	}
	w->next = e->workers;
	e->workers = w;
	if (c != NULL) {
		e->hooks.set_data(c, w);
		e->hooks.on_close(c, engine_worker_closed, w);
	}
	log_info("engine: worker %s (pid %ld, %s) serves queue %s, prefetch %d", w->name, (long)pid,
		 w->supervised ? "supervised" : "unsupervised", queue, w->prefetch);
	engine_kick(e);
	return w;
}

/* Forget a worker (its held steps must have been dealt with). */
void engine_worker_free(struct worker *w)
{
	struct engine *e = w->e;
	struct worker **pp;

	for (pp = &e->workers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	for (size_t i = 0; i < w->q->nworkers; i++)
		if (w->q->workers[i] == w) {
			memmove(&w->q->workers[i], &w->q->workers[i + 1],
				(w->q->nworkers - i - 1) * sizeof(w));
			w->q->nworkers--;
			if (w->q->rr >= w->q->nworkers)
				w->q->rr = 0;
			break;
		}
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s != NULL)
			w->held[i].s->w = NULL;
	if (e->loop != NULL)
		ev_timer_stop(e->loop, &w->grace);
	if (w->c != NULL) {
		e->hooks.on_close(w->c, NULL, NULL);
		e->hooks.set_data(w->c, NULL);
	}
	for (size_t i = 0; i < w->nhandlers; i++)
		free(w->handlers[i]);
	free(w->handlers);
	free(w->drain_by);
	free(w->held);
	free(w->name);
	free(w->program);
	proto_wbuf_free(&w->outbox);
	free(w);
}

struct held *engine_worker_held(struct worker *w, const char *step_id)
{
	if (step_id == NULL)
		return NULL;
	for (int i = 0; i < w->nheld; i++)
		if (strcmp(w->held[i].step_id, step_id) == 0)
			return &w->held[i];
	return NULL;
}

void engine_worker_release(struct worker *w, struct held *h)
{
	int i = (int)(h - w->held);

	if (h->s != NULL && h->s->w == w)
		h->s->w = NULL;
	w->held[i] = w->held[--w->nheld];
	engine_drain_check(w);
	engine_kick(w->e); /* a free slot: hand out more */
}

/* ---- results ---- */

enum q_result engine_derive_result(const struct etask *t)
{
	bool error = false, skipped = false;

	for (size_t i = 0; i < t->nsteps; i++) {
		switch (t->steps[i].row.state) {
		case QS_CANCELLED:
			return QR_CANCELLED;
		case QS_ERROR:
			error = true;
			break;
		case QS_SKIPPED:
			skipped = true;
			break;
		default:
			break;
		}
	}
	return error ? QR_ERROR : skipped ? QR_WARNING : QR_SUCCESS;
}

static void engine_child_stopped(struct engine *e, struct etask *child);
static void engine_child_paused(struct engine *e, struct etask *child, struct estep *cs);

int engine_task_stop(struct engine *e, struct etask *t, enum q_result result)
{
	return engine_task_stop_why(e, t, result, NULL);
}

int engine_task_stop_why(struct engine *e, struct etask *t, enum q_result result, const char *why)
{
	enum q_result was = t->row.result;

	engine_tx(e);
	t->row.result = result; /* before the move: its log line depends on it */
	if (engine_state_task(e, t, QT_STOPPED, why) < 0) {
		t->row.result = was;
		return -1;
	}
	t->row.ended_at = engine_now();
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].queued)
			engine_fifo_remove(&t->steps[i]);
	if (e->ops->locks_release(e->b, t->row.rowid) < 0)
		log_warnx("engine: task %s: releasing locks: %s", t->row.id, e->ops->error(e->b));
	engine_task_dirty(e, t);
	e->n_done++;
	if (t->row.parent_task_id != NULL && t->row.parent_step >= 0)
		engine_child_stopped(e, t);
	return 0;
}

/* Make the next pending step ready, or finish the task. */
void engine_task_advance(struct engine *e, struct etask *t)
{
	for (size_t i = 0; i < t->nsteps; i++) {
		struct estep *s = &t->steps[i];

		switch (s->row.state) {
		case QS_SUCCESS:
		case QS_SKIPPED:
			continue;
		case QS_PENDING:
			if (engine_state_step(e, s, QS_READY, "next in order") < 0)
				return;
			engine_step_dirty(e, s);
			engine_fifo_push(s, false);
			/* a refusal (from stopped: a bug) is logged; the step goes on regardless */
			if (t->row.state != QT_RUNNING && t->row.started_at != 0)
				(void)engine_state_task(e, t, QT_RUNNING, "next step ready");
			engine_task_dirty(e, t);
			return;
		default:
			return; /* ready, running, suspended, error: not our turn */
		}
	}
	engine_task_stop(e, t, engine_derive_result(t));
}

/* The step failed: record it and apply the type's rescue strategy. */
void engine_step_fail(struct engine *e, struct estep *s, const char *msg, const char *tail)
{
	struct etask *t = s->t;
	char why[160];

	engine_tx(e);
	if (engine_state_step(e, s, QS_ERROR, msg != NULL && *msg != '\0' ? msg : "step failed") < 0)
		return; /* not running nor waiting: nothing to fail (logged as a bug) */
	if (s->queued)
		engine_fifo_remove(s);
	engine_error(e, t, s->row.idx, msg != NULL && *msg != '\0' ? msg : "step failed", tail);
	s->row.ended_at = engine_now();
	s->w = NULL;
	engine_step_dirty(e, s);
	snprintf(why, sizeof(why), "step %s failed", s->row.name != NULL ? s->row.name : "?");
	switch (t->row.on_error) {
	case ON_ERROR_SKIP:
		if (engine_state_step(e, s, QS_SKIPPED, "on_error = skip") == 0) {
			engine_chord_skipped(e, s);
			engine_task_advance(e, t);
		}
		break;
	case ON_ERROR_STOP:
		engine_task_stop_why(e, t, QR_ERROR, why);
		break;
	case ON_ERROR_PAUSE:
	default:
		if (engine_state_task(e, t, QT_PAUSED, why) < 0)
			break;
		t->row.result = QR_ERROR;
		engine_task_dirty(e, t);
		engine_child_paused(e, t, s);
		break;
	}
}

/* A child paused in error: its parent pauses too (its waiting step is in error until resumed). */
static void engine_child_paused(struct engine *e, struct etask *child, struct estep *cs)
{
	struct etask *p;
	struct estep *s;
	char msg[256];

	if (child->row.parent_task_id == NULL || child->row.parent_step < 0)
		return;
	p = engine_task_get(e, child->row.parent_task_id);
	if (p == NULL || p->row.state == QT_STOPPED || (size_t)child->row.parent_step >= p->nsteps)
		return;
	s = &p->steps[child->row.parent_step];
	if (s->row.state == QS_RUNNING)
		s->child_paused = true; /* decided when the step is done */
	if (s->row.state != QS_SUSPENDED)
		return;
	snprintf(msg, sizeof(msg), "child task %s paused: step %s failed", child->row.id, cs->row.name);
	if (engine_state_step(e, s, QS_ERROR, msg) < 0) /* from suspended: in the table */
		return;
	engine_error(e, p, s->row.idx, msg, NULL);
	engine_step_dirty(e, s);
	if (engine_state_task(e, p, QT_PAUSED, msg) == 0)
		p->row.result = QR_ERROR;
	engine_task_dirty(e, p);
	engine_child_paused(e, p, s);
}

void engine_step_done(struct engine *e, struct estep *s, json_t *output)
{
	struct etask *t = s->t;

	engine_tx(e);
	if (json_is_object(output) && json_object_size(output) > 0) {
		json_object_update(engine_task_output(t), output);
		t->json_dirty = true;
	}
	s->w = NULL;
	s->row.ended_at = engine_now();
	if (s->children_open > 0) {
		/* waits for its children (engine_child_stopped) */
		if (engine_state_step(e, s, QS_SUSPENDED, "waits for its children") < 0)
			return;
		engine_step_dirty(e, s);
		if (s->child_paused) {
			struct engine_chord c;
			char msg[160];

			s->child_paused = false;
			engine_chord_count(e, t, s->row.idx, &c);
			snprintf(msg, sizeof(msg), "child task %s paused in error",
				 c.paused_id[0] != '\0' ? c.paused_id : "?");
			engine_error(e, t, s->row.idx, msg, NULL);
			if (engine_state_step(e, s, QS_ERROR, msg) == 0 &&
			    engine_state_task(e, t, QT_PAUSED, msg) == 0)
				t->row.result = QR_ERROR;
			engine_task_dirty(e, t);
		}
		return;
	}
	if (s->child_failed) {
		struct engine_chord c;
		char msg[160];

		engine_chord_count(e, t, s->row.idx, &c);
		snprintf(msg, sizeof(msg), "child task %s failed",
			 c.failed_id[0] != '\0' ? c.failed_id : "?");
		engine_step_fail(e, s, msg, NULL);
		return;
	}
	if (engine_state_step(e, s, QS_SUCCESS, "done") < 0)
		return;
	engine_step_dirty(e, s);
	engine_task_advance(e, t);
}

/* A child stopped: collect its output; the last one lets the parent's step go on. */
static void engine_child_stopped(struct engine *e, struct etask *child)
{
	struct etask *p = engine_task_get(e, child->row.parent_task_id);
	struct estep *s;
	json_t *children;

	if (p == NULL || p->row.state == QT_STOPPED || (size_t)child->row.parent_step >= p->nsteps)
		return;
	s = &p->steps[child->row.parent_step];
	children = json_object_get(p->output, "children");
	if (!json_is_object(children)) {
		children = json_object();
		json_object_set_new(engine_task_output(p), "children", children);
	}
	if (json_object_get(children, child->row.id) == NULL) {
		engine_chord_stopped(e, p); /* marks p's json dirty */
	} else {
		p->json_dirty = true; /* stopped before (unlocked, then resumed): counted once */
		engine_task_dirty(e, p);
	}
	json_object_set(children, child->row.id, engine_task_output(child));
	if (child->row.result == QR_ERROR || child->row.result == QR_CANCELLED)
		s->child_failed = true;
	if (s->children_open > 0)
		s->children_open--;
	if (s->children_open > 0 || s->row.state != QS_SUSPENDED)
		return;
	if (s->child_failed) {
		struct engine_chord c;
		char msg[128];

		engine_chord_count(e, p, s->row.idx, &c); /* the child that failed, not the last one */
		snprintf(msg, sizeof(msg), "child task %s ended in error or cancelled",
			 c.failed_id[0] != '\0' ? c.failed_id : child->row.id);
		engine_step_fail(e, s, msg, NULL);
		return;
	}
	if (engine_state_step(e, s, QS_SUCCESS, "its children stopped") < 0)
		return;
	engine_step_dirty(e, s);
	engine_task_advance(e, p);
}

void engine_step_progress(struct engine *e, struct estep *s, json_t *progress, json_t *output)
{
	struct etask *t = s->t;

	if (s->w != NULL && !s->w->supervised)
		s->row.lease_until = engine_now() + e->lease_ms; /* in memory: only this daemon checks it */
	if (json_is_object(progress) && json_object_size(progress) > 0) {
		json_object_update(engine_task_progress(t), progress);
		t->json_dirty = true;
		engine_task_dirty(e, t);
	}
	if (json_is_object(output) && json_object_size(output) > 0) {
		json_object_update(engine_task_output(t), output);
		t->json_dirty = true;
		engine_task_dirty(e, t);
	}
}

/* ---- operator actions ---- */

static struct estep *engine_error_step(struct etask *t)
{
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].row.state == QS_ERROR)
			return &t->steps[i];
	return NULL;
}

static int engine_need_paused(struct etask *t, char *err, size_t errlen)
{
	if (t->row.state == QT_PAUSED)
		return 0;
	snprintf(err, errlen, "task %s is %s, not paused", t->row.id, q_task_state_name(t->row.state));
	return -1;
}

int engine_task_resume(struct engine *e, struct etask *t, char *err, size_t errlen)
{
	struct estep *s;
	struct engine_chord c;
	enum q_step_state to;

	if (engine_need_paused(t, err, errlen) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	s = engine_error_step(t);
	/* a child stopped in error: a re-run would collect it again; refused with what to do */
	if (s != NULL && engine_chord_resume_check(e, t, s, &c, err, errlen) < 0)
		return -1;
	engine_tx(e);
	/* the step first: refused (a bug, logged), nothing has changed */
	if (s != NULL) {
		/* a paused child: wait for the children again (resume or skip the paused one); else the
		 * step's own run failed: run it again, its spawns get the children it has */
		to = c.paused > 0 ? QS_SUSPENDED : QS_READY;
		if (engine_state_step(e, s, to,
				      to == QS_SUSPENDED ? "resumed: waits for its children again"
							 : "resumed") < 0) {
			snprintf(err, errlen, "task %s: step %s cannot be resumed", t->row.id, s->row.name);
			return -1;
		}
		if (c.total > 0) { /* recount: the counters may predate a restart */
			s->children_open = c.open;
			s->children_total = c.total > s->children_total ? c.total : s->children_total;
			s->child_failed = false;
		}
	}
	/* from paused (checked above): in the table */
	(void)engine_state_task(e, t, QT_RUNNING, "resumed");
	t->row.result = QR_PENDING;
	if (s == NULL) {
		engine_task_advance(e, t);
	} else if (s->row.state == QS_SUSPENDED) {
		s->child_paused = false;
		engine_step_dirty(e, s);
	} else {
		s->child_failed = false;
		s->row.ended_at = 0;
		engine_step_dirty(e, s);
		engine_fifo_push(s, false);
	}
	engine_task_dirty(e, t);
	engine_chord_child_resumed(e, t);
	return 0;
}

int engine_task_skip(struct engine *e, struct etask *t, char *err, size_t errlen)
{
	struct estep *s;

	if (engine_need_paused(t, err, errlen) < 0)
		return -1;
	s = engine_error_step(t);
	if (s == NULL) {
		snprintf(err, errlen, "task %s has no step in error to skip", t->row.id);
		return -1;
	}
	engine_tx(e);
	if (engine_state_step(e, s, QS_SKIPPED, "task skip") < 0 ||
	    engine_state_task(e, t, QT_RUNNING, "its failed step skipped") < 0) {
		snprintf(err, errlen, "task %s: its step cannot be skipped", t->row.id);
		return -1; /* cannot happen from paused with a step in error (logged as a bug) */
	}
	engine_step_dirty(e, s);
	t->row.result = QR_PENDING;
	engine_task_dirty(e, t);
	engine_chord_skipped(e, s);
	engine_task_advance(e, t);
	engine_chord_child_resumed(e, t);
	return 0;
}

int engine_task_cancel(struct engine *e, struct etask *t, char *err, size_t errlen)
{
	bool running = false;

	if (t->row.state == QT_STOPPED) {
		snprintf(err, errlen, "task %s is already stopped", t->row.id);
		return -1;
	}
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].row.state == QS_RUNNING || t->steps[i].row.state == QS_SUSPENDED)
			running = true;
	if ((running || t->row.state == QT_RUNNING) && !(t->row.flags & QF_CANCELLABLE)) {
		snprintf(err, errlen, "Cancel Not Implemented for Task: %s", t->row.id);
		return -1;
	}
	if (engine_chord_cancel_check(e, t, err, errlen, 0) < 0)
		return -1; /* all or nothing: a child that cannot be cancelled keeps its parent */
	engine_tx(e);
	for (size_t i = 0; i < t->nsteps; i++) {
		struct estep *s = &t->steps[i];

		switch (s->row.state) {
		case QS_RUNNING:
			if (s->w != NULL) {
				struct held *h = NULL;

				for (int k = 0; k < s->w->nheld; k++)
					if (s->w->held[k].s == s)
						h = &s->w->held[k];
				if (h != NULL) {
					engine_worker_send(s->w, MSG_WORKER_CANCEL,
							   json_pack("{s:s}", "step_id", h->step_id));
					h->s = NULL; /* the slot stays taken until the worker answers */
				}
				s->w = NULL;
			}
			/* fall through */
		case QS_PENDING:
		case QS_READY:
		case QS_SUSPENDED:
			if (s->queued)
				engine_fifo_remove(s);
			(void)engine_state_step(e, s, QS_CANCELLED, "task cancel"); /* from these: allowed */
			s->row.ended_at = engine_now();
			engine_step_dirty(e, s);
			break;
		default:
			break;
		}
	}
	engine_task_stop_why(e, t, QR_CANCELLED, "cancelled");
	engine_chord_cancel_children(e, t); /* after its stop: they do not pause it on the way */
	return 0;
}

/*
 * `task unlock` (paused -> stopped, locks freed, still resumable) and
 * `task force-unlock` (any state but stopped -> stopped in error, locks freed).
 * A running step is cancelled at its worker (MSG_WORKER_CANCEL: the exec
 * worker sends SIGTERM to its process group, SIGKILL --kill-after later):
 * unlike Foreman, where it ran on unseen while another task could take the
 * locks it worked under. Its slot stays taken until the worker answers; that
 * answer's result is dropped, its output tails are stored. The caller checks
 * allow_dangerous_actions.
 */
int engine_task_unlock(struct engine *e, struct etask *t, bool force, const char *user, char *err,
		       size_t errlen)
{
	char msg[256], killed[160] = "";

	if (t->row.state == QT_STOPPED) {
		snprintf(err, errlen, "task %s is already stopped", t->row.id);
		return -1;
	}
	if (!force && t->row.state != QT_PAUSED) {
		snprintf(err, errlen, "task %s is %s, not paused (force-unlock stops it anyway)", t->row.id,
			 q_task_state_name(t->row.state));
		return -1;
	}
	engine_tx(e);
	for (size_t i = 0; i < t->nsteps; i++) {
		struct estep *s = &t->steps[i];

		if (s->queued) {
			engine_fifo_remove(s);
			(void)engine_state_step(e, s, QS_PENDING, "task unlock"); /* queued: ready */
			engine_step_dirty(e, s);
		}
		if (s->row.state == QS_RUNNING && s->w != NULL) {
			for (int k = 0; k < s->w->nheld; k++)
				if (s->w->held[k].s == s) {
					engine_worker_send(
					    s->w, MSG_WORKER_CANCEL,
					    json_pack("{s:s}", "step_id", s->w->held[k].step_id));
					s->w->held[k].s = NULL; /* the slot stays taken until it answers */
				}
			log_info("task %s: step %s cancelled at worker %s (force-unlock)", t->row.id,
				 s->row.name != NULL ? s->row.name : "?", s->w->name);
			snprintf(killed + strlen(killed), sizeof(killed) - strlen(killed),
				 "; running step %.40s cancelled at worker %.40s",
				 s->row.name != NULL ? s->row.name : "?", s->w->name);
			s->w = NULL;
			(void)engine_state_step(e, s, QS_ERROR, "task force-unlock"); /* from running */
			s->row.ended_at = engine_now();
			engine_step_dirty(e, s);
		}
	}
	snprintf(msg, sizeof(msg), "%s by %s: locks released%s", force ? "force-unlocked" : "unlocked",
		 user != NULL ? user : "?", killed);
	engine_error(e, t, -1, msg, NULL);
	if (!force)
		t->row.flags |= QF_UNLOCKED;
	engine_task_stop_why(e, t, QR_ERROR, msg);
	return 0;
}

void engine_worker_seen_add(struct engine *e, const char *fullname)
{
	char **n;

	if (fullname == NULL || engine_worker_seen(e, fullname))
		return;
	n = xreallocarray(e->seen, e->nseen + 1, sizeof(*n));
	n[e->nseen] = xstrdup(fullname);
	e->seen = n;
	e->nseen++;
}

bool engine_worker_seen(const struct engine *e, const char *fullname)
{
	for (size_t i = 0; e != NULL && i < e->nseen; i++)
		if (strcmp(e->seen[i], fullname) == 0)
			return true;
	return false;
}

json_t *engine_worker_json(const struct engine *e, const struct worker *w)
{
	return json_pack("{s:i, s:s, s:f}", "worker_id", w->id, "name", w->name, "lease",
			 w->supervised ? 0.0 : (double)e->lease_ms / 1000.0);
}

pid_t engine_worker_pid(const struct worker *w)
{
	return w->supervised ? w->pid : 0;
}

void engine_worker_output(struct engine *e, struct worker *w, const char *step_id, json_t *output)
{
	if (engine_worker_held(w, step_id) != NULL)
		engine_worker_progress(e, w, step_id, NULL, output);
}
