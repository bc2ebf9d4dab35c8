/*
 * engine_steplog.c — a step's own output (README "A step's output"): the
 * lines a worker sends while a step runs (MSG_WORKER_LOG) go to the step's
 * followers (`task tail -f`, MSG_TASK_TAIL) and into a small ring of the
 * latest ones (`task tail` of a running step); the tails the worker kept come
 * with the DONE/FAIL that ends the step and are stored with it (migration 6).
 *
 * Nothing here exists for a step that prints nothing and has no follower: a
 * struct steplive is made by the first line or follower, and freed after the
 * commit that ends its attempt, when its followers get their final OK.
 * Memory is bounded: the ring keeps STEPLIVE_BYTES, a follower that reads
 * too slowly (more than STEPLIVE_UNSENT bytes unsent) misses lines, which it
 * is told ({"skipped":N}); lines a worker's rate cap kept back are said too
 * ({"dropped":N}). The stored tails are not journaled: a group whose commit
 * fails loses the tails of the steps it ended (their results are replayed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

#define STEPLIVE_BYTES (64 * 1024) /* the latest lines of a running step kept for `task tail` */
#define STEPLIVE_LINES 2000
#define STEPLIVE_UNSENT (256 * 1024) /* a follower with more unsent misses lines */

struct stepfollow {
	struct steplive *l;
	struct engine *e;
	struct conn *c;
	long long skipped; /* lines it missed since the last it got */
	struct stepfollow *next;
};

struct steplive {
	int64_t step; /* steps.rowid */
	char task_id[Q_ID_LEN];
	int idx, attempt;
	bool started;  /* seen running (a follower may wait for a step that has not started) */
	json_t *lines; /* [["stdout","text"],...], the latest */
	size_t bytes;
	long long dropped; /* lines the worker did not send (its rate cap) */
	struct stepfollow *followers;
	struct steplive *next;
};

static struct steplive *steplog_find(struct engine *e, int64_t step)
{
	for (struct steplive *l = e->steplogs; l != NULL; l = l->next)
		if (l->step == step)
			return l;
	return NULL;
}

static struct steplive *steplog_new(struct engine *e, const struct estep *s)
{
	struct steplive *l = xcalloc(1, sizeof(*l));

	l->step = s->row.rowid;
	snprintf(l->task_id, sizeof(l->task_id), "%s", s->t->row.id);
	l->idx = s->row.idx;
	l->attempt = s->row.attempts;
	l->started = s->row.state == QS_RUNNING;
	l->lines = json_array();
	l->next = e->steplogs;
	e->steplogs = l;
	return l;
}

/* The step of a live log, as memory has it now; NULL once its task is not in memory. */
static struct estep *steplog_step(struct engine *e, const struct steplive *l)
{
	struct etask *t = engine_task_get(e, l->task_id);

	if (t == NULL || (size_t)l->idx >= t->nsteps || t->steps[l->idx].row.rowid != l->step)
		return NULL;
	return &t->steps[l->idx];
}

static void steplog_follower_closed(void *arg, struct conn *c)
{
	struct stepfollow *f = arg, **pp;

	(void)c;
	for (pp = &f->l->followers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->e->hooks.release(f->c);
	free(f);
}

/* Send lines (borrowed) to each follower that keeps up; count them for the others. */
static void steplog_fan_out(struct engine *e, struct steplive *l, json_t *lines, long long dropped)
{
	struct stepfollow *f, *next;

	/* next first: a send that fails closes the peer, whose on_close frees its follower */
	for (f = l->followers; f != NULL; f = next) {
		json_t *body;

		next = f->next;
		if (e->hooks.closed(f->c))
			continue;
		if (e->hooks.unsent(f->c) > STEPLIVE_UNSENT) {
			f->skipped += (long long)json_array_size(lines);
			continue;
		}
		body = json_pack("{s:O}", "lines", lines);
		if (f->skipped > 0)
			json_object_set_new(body, "skipped", json_integer(f->skipped));
		if (dropped > 0)
			json_object_set_new(body, "dropped", json_integer(dropped));
		f->skipped = 0;
		e->hooks.send(f->c, MSG_DATA, body);
	}
}

/* The step of step_id ("ROWID.ATTEMPT") that w holds: its rowid; -1 when w does not hold it. */
static int64_t steplog_held(struct worker *w, const char *step_id, struct held **hp)
{
	struct held *h = step_id != NULL ? engine_worker_held(w, step_id) : NULL;

	*hp = h;
	return h != NULL ? strtoll(step_id, NULL, 10) : -1;
}

void engine_worker_log(struct engine *e, struct worker *w, const char *step_id, json_t *req)
{
	json_t *lines = json_object_get(req, "lines"), *dj = json_object_get(req, "dropped"), *v, *keep;
	long long dropped = json_is_integer(dj) && json_integer_value(dj) > 0 ? json_integer_value(dj) : 0;
	struct steplive *l;
	struct held *h;
	int64_t step = steplog_held(w, step_id, &h);
	size_t i;

	if (step < 0 || !json_is_array(lines))
		return;
	l = steplog_find(e, step);
	if (l == NULL) {
		if (h->s == NULL)
			return; /* cancelled or force-unlocked, and nobody follows it */
		l = steplog_new(e, h->s);
	}
	l->dropped += dropped;
	keep = json_array();
	json_array_foreach(lines, i, v)
	{
		const char *stream = json_string_value(json_array_get(v, 0));
		json_t *text = json_array_get(v, 1);

		if (stream == NULL || !json_is_string(text) ||
		    (strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0))
			continue; /* malformed: dropped */
		json_array_append(keep, v);
		json_array_append(l->lines, v);
		l->bytes += json_string_length(text) + 16;
	}
	while (json_array_size(l->lines) > 0 &&
	       (l->bytes > STEPLIVE_BYTES || json_array_size(l->lines) > STEPLIVE_LINES)) {
		l->bytes -= json_string_length(json_array_get(json_array_get(l->lines, 0), 1)) + 16;
		json_array_remove(l->lines, 0);
	}
	if (json_array_size(keep) > 0 || dropped > 0)
		steplog_fan_out(e, l, keep, dropped);
	json_decref(keep);
}

void engine_worker_log_end(struct engine *e, struct worker *w, const char *step_id, json_t *log)
{
	struct q_steplog row;
	struct held *h;
	int64_t step = steplog_held(w, step_id, &h);
	const char *dot = step_id != NULL ? strchr(step_id, '.') : NULL;

	if (step < 0 || !json_is_object(log) || e->failing || e->replaying)
		return;
	memset(&row, 0, sizeof(row));
	row.attempt = dot != NULL ? atoi(dot + 1) : 0;
	row.stdout_tail = json_string_value(json_object_get(log, "stdout"));
	row.stderr_tail = json_string_value(json_object_get(log, "stderr"));
	row.stdout_bytes = json_integer_value(json_object_get(log, "stdout_bytes"));
	row.stderr_bytes = json_integer_value(json_object_get(log, "stderr_bytes"));
	row.dropped = json_integer_value(json_object_get(log, "dropped"));
	if (row.stdout_tail == NULL && row.stderr_tail == NULL)
		return;
	if (engine_tx_open(e) < 0)
		return;
	if (e->ops->step_log_set(e->b, step, &row) < 0)
		log_warnx("engine: worker %s: step %s: its output tails: %s", w->name, step_id,
			  e->ops->error(e->b));
}

/* End l: its followers get OK {"state","dropped"} (unless !say: the engine closes); l is freed. */
static void steplog_end(struct engine *e, struct steplive *l, const struct estep *s, bool say)
{
	struct stepfollow *f;

	while ((f = l->followers) != NULL) {
		l->followers = f->next;
		e->hooks.on_close(f->c, NULL, NULL);
		if (say && !e->hooks.closed(f->c)) {
			json_t *body = json_pack("{s:s, s:I}", "state",
						 s != NULL ? q_step_state_name(s->row.state) : "gone",
						 "dropped", (json_int_t)l->dropped);
			if (f->skipped > 0)
				json_object_set_new(body, "skipped", json_integer(f->skipped));
			e->hooks.send(f->c, MSG_OK, body);
		}
		e->hooks.release(f->c);
		free(f);
	}
	json_decref(l->lines);
	free(l);
}

void engine_steplog_sweep(struct engine *e)
{
	struct steplive **pp = &e->steplogs, *l;

	while ((l = *pp) != NULL) {
		struct estep *s = steplog_step(e, l);

		if (s != NULL && s->row.state == QS_RUNNING && s->row.attempts == l->attempt) {
			l->started = true;
			pp = &l->next;
			continue;
		}
		if (s != NULL && !l->started &&
		    (s->row.state == QS_PENDING || s->row.state == QS_READY || s->row.state == QS_RUNNING)) {
			l->attempt = s->row.attempts; /* waiting for its (next) attempt */
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		steplog_end(e, l, s, true);
	}
}

void engine_steplog_free(struct engine *e)
{
	struct steplive *l;

	while ((l = e->steplogs) != NULL) {
		e->steplogs = l->next;
		steplog_end(e, l, NULL, false);
	}
}

/* ---- MSG_TASK_TAIL ---- */

struct steplog_pick {
	json_t *want;	   /* "step": a name or an index, or NULL */
	int idx, attempts; /* the step chosen, -1 none */
	char state[16];
	char *name;
	int running, last_any; /* the first running step, the last one not pending */
};

static int steplog_pick_row(void *arg, struct q_step *s)
{
	struct steplog_pick *p = arg;
	bool match = false;

	if (p->want != NULL)
		match = json_is_integer(p->want) ? json_integer_value(p->want) == s->idx
						 : (json_string_value(p->want) != NULL && s->name != NULL &&
						    strcmp(json_string_value(p->want), s->name) == 0);
	else if (s->state == QS_RUNNING && p->running < 0)
		match = true, p->running = s->idx;
	else if (p->running < 0 && s->state != QS_PENDING && s->state != QS_READY)
		match = true; /* the last one that ran, until a running one is found */
	if (!match || (p->want != NULL && p->idx >= 0))
		return 0;
	p->idx = s->idx;
	p->attempts = s->attempts;
	snprintf(p->state, sizeof(p->state), "%s", q_step_state_name(s->state));
	free(p->name);
	p->name = xstrdup(s->name != NULL ? s->name : "?");
	return 0;
}

struct steplog_stored {
	int idx;
	json_t *out;
};

static int steplog_stored_row(void *arg, const struct q_steplog *l)
{
	struct steplog_stored *x = arg;

	if (l->idx != x->idx)
		return 0;
	json_object_set_new(x->out, "stdout",
			    l->stdout_tail != NULL ? json_string(l->stdout_tail) : json_null());
	json_object_set_new(x->out, "stderr",
			    l->stderr_tail != NULL ? json_string(l->stderr_tail) : json_null());
	json_object_set_new(x->out, "stdout_bytes", json_integer(l->stdout_bytes));
	json_object_set_new(x->out, "stderr_bytes", json_integer(l->stderr_bytes));
	json_object_set_new(x->out, "dropped", json_integer(l->dropped));
	json_object_set_new(x->out, "attempt", json_integer(l->attempt));
	return 1;
}

static void steplog_tail_error(struct engine *e, struct conn *c, int code, const char *msg)
{
	engine_reply_read(e, c, MSG_ERROR, json_pack("{s:s, s:i}", "error", msg, "code", code));
}

void engine_request_tail(struct engine *e, struct conn *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	bool follow = json_is_true(json_object_get(req, "follow"));
	struct steplog_pick p = {.want = json_object_get(req, "step"), .idx = -1, .running = -1};
	char msg[256];
	struct q_task row;
	struct etask *t;
	struct estep *s = NULL;
	json_t *out;
	int r;

	if (p.want != NULL && !json_is_integer(p.want) && !json_is_string(p.want))
		p.want = NULL;
	if (id == NULL || *id == '\0') {
		steplog_tail_error(e, c, 2, "missing task id");
		return;
	}
	memset(&row, 0, sizeof(row));
	r = e->ops->task_find(e->b, id, &row);
	if (r != 0) {
		snprintf(msg, sizeof(msg), "%s%s",
			 r == 2	  ? "ambiguous task id prefix: "
			 : r == 1 ? "no such task: "
				  : "database: ",
			 r < 0 ? e->ops->error(e->b) : id);
		steplog_tail_error(e, c, 1, msg);
		return;
	}
	if (e->ops->steps_of(e->b, row.rowid, steplog_pick_row, &p) < 0 || p.idx < 0) {
		if (p.want != NULL && json_is_string(p.want))
			snprintf(msg, sizeof(msg), "task %s has no step \"%.64s\"", row.id,
				 json_string_value(p.want));
		else if (p.want != NULL)
			snprintf(msg, sizeof(msg), "task %s has no step %lld", row.id,
				 (long long)json_integer_value(p.want));
		else
			snprintf(msg, sizeof(msg),
				 "task %s: no step has started yet (name one: task tail ID STEP)", row.id);
		steplog_tail_error(e, c, 1, msg);
		free(p.name);
		q_task_clear(&row);
		return;
	}
	t = engine_task_get(e, row.id);
	if (t != NULL && (size_t)p.idx < t->nsteps)
		s = &t->steps[p.idx]; /* memory is newer than the store */
	out = json_pack("{s:s, s:s, s:i, s:s, s:i}", "task_id", row.id, "step", p.name, "index", p.idx,
			"state", s != NULL ? q_step_state_name(s->row.state) : p.state, "attempt",
			s != NULL ? s->row.attempts : p.attempts);
	free(p.name);
	if (s != NULL && (s->row.state == QS_RUNNING ||
			  (follow && (s->row.state == QS_PENDING || s->row.state == QS_READY)))) {
		struct steplive *l = steplog_find(e, s->row.rowid);
		struct stepfollow *f;

		if (!follow) {
			json_object_set_new(out, "running", json_true());
			json_object_set_new(out, "lines", l != NULL ? json_copy(l->lines) : json_array());
			json_object_set_new(out, "dropped", json_integer(l != NULL ? l->dropped : 0));
			engine_reply_read(e, c, MSG_OK, out);
			q_task_clear(&row);
			return;
		}
		if (l == NULL)
			l = steplog_new(e, s);
		f = xcalloc(1, sizeof(*f));
		f->l = l;
		f->e = e;
		f->c = c;
		f->next = l->followers;
		l->followers = f;
		e->hooks.hold(c);
		e->hooks.on_close(c, steplog_follower_closed, f);
		json_object_set_new(out, "running", json_boolean(s->row.state == QS_RUNNING));
		json_object_set(out, "lines", l->lines);
		e->hooks.send(c, MSG_DATA, out);
		q_task_clear(&row);
		return;
	}
	{
		struct steplog_stored x = {p.idx, out};

		json_object_set_new(out, "running", json_false());
		if (e->ops->step_logs_of(e->b, row.rowid, steplog_stored_row, &x) < 0) {
			json_decref(out);
			snprintf(msg, sizeof(msg), "database: %s", e->ops->error(e->b));
			steplog_tail_error(e, c, 1, msg);
			q_task_clear(&row);
			return;
		}
	}
	engine_reply_read(e, c, MSG_OK, out);
	q_task_clear(&row);
}
