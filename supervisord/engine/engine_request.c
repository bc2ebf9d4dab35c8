/*
 * engine_request.c — the engine's side of the task requests (the 200 block of
 * proto.h) that read or change its tasks and recurring logics: find a task by
 * id or prefix, act through the engine, queue the reply with engine_reply*()
 * so it leaves only after the group commit that recorded what it
 * acknowledges. Each is an entry of handlers_task.c's table, which control.c
 * calls with the engine; this file reaches the socket only through the
 * engine's hooks (engine_hooks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "proto.h"

#define REQUEST_LIST_DEFAULT 100
#define REQUEST_CANDIDATES 10 /* the ids an ambiguous prefix names */

void engine_request_error(struct engine *e, struct conn *c, const char *msg)
{
	engine_reply(e, c, MSG_ERROR, json_pack("{s:s, s:i}", "error", msg, "code", 1));
}

/* The tasks whose id starts with an ambiguous prefix, for the error that names them. */
struct request_candidates {
	const char *prefix;
	size_t n;
	char text[REQUEST_CANDIDATES * (Q_ID_LEN + 2) + 64];
};

static int request_candidate(void *arg, struct q_task *t)
{
	struct request_candidates *x = arg;
	size_t l = strlen(x->text);

	if (strncmp(t->id, x->prefix, strlen(x->prefix)) != 0)
		return 0;
	if (x->n < REQUEST_CANDIDATES)
		snprintf(x->text + l, sizeof(x->text) - l, "%s%s", x->n > 0 ? ", " : "", t->id);
	x->n++;
	return 0;
}

/* "ambiguous task id prefix: ab (matches: ID, ID, ... and N more)": up to REQUEST_CANDIDATES. */
static json_t *request_ambiguous(struct engine *e, const char *id)
{
	struct request_candidates x = {.prefix = id};
	char q[128], err[256];
	json_t *j;

	if (strlen(id) < 40 && strspn(id, "0123456789abcdefABCDEF-") == strlen(id)) {
		snprintf(q, sizeof(q), "id ~ \"%s\"", id);
		if (e->ops->task_list(e->b, q, "id asc", 0, engine_now(), request_candidate, &x, err,
				      sizeof(err)) < 0)
			x.n = 0;
	}
	if (x.n == 0)
		return json_pack("{s:s+, s:i}", "error", "ambiguous task id prefix: ", id, "code", 1);
	j = json_pack("{s:s++++, s:i}", "error", "ambiguous task id prefix: ", id, " (matches: ", x.text,
		      x.n > REQUEST_CANDIDATES ? "" : ")", "code", 1);
	if (j != NULL && x.n > REQUEST_CANDIDATES) {
		char more[64];
		snprintf(more, sizeof(more), " and %zu more)", x.n - REQUEST_CANDIDATES);
		json_object_set_new(
		    j, "error", json_pack("s++", json_string_value(json_object_get(j, "error")), more, ""));
	}
	return j;
}

/* Find a task by id or unique prefix; on failure reply the error and return -1. */
static int request_find(struct engine *e, struct conn *c, json_t *req, struct q_task *row)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	int r;

	memset(row, 0, sizeof(*row));
	if (id == NULL || *id == '\0') {
		engine_reply(e, c, MSG_ERROR, json_pack("{s:s, s:i}", "error", "missing task id", "code", 2));
		return -1;
	}
	r = e->ops->task_find(e->b, id, row);
	if (r == 0)
		return 0;
	if (r == 2)
		engine_reply(e, c, MSG_ERROR, request_ambiguous(e, id));
	else if (r == 1)
		engine_reply(e, c, MSG_ERROR,
			     json_pack("{s:s+, s:i}", "error", "no such task: ", id, "code", 1));
	else
		engine_reply(e, c, MSG_ERROR,
			     json_pack("{s:s+, s:i}", "error", "database: ", e->ops->error(e->b), "code", 1));
	return -1;
}

bool engine_request_writable(struct engine *e, struct conn *c)
{
	char err[512];

	if (engine_writable(e, err, sizeof(err)) == 0)
		return true;
	engine_request_error(e, c, err);
	return false;
}

void engine_request_submit(struct engine *e, struct conn *c, json_t *req)
{
	const char *user = e->hooks.user(c);
	json_t *tasks = json_object_get(req, "tasks");
	char err[1400];
	size_t i;
	json_t *v, *ids, *errors;

	if (!engine_request_writable(e, c))
		return;
	if (tasks == NULL) {
		struct etask *t = engine_plan(e, req, user, NULL, -1, err, sizeof(err));

		char warn[256];

		if (t == NULL)
			engine_request_error(e, c, err);
		else if (t->row.state == QT_STOPPED) /* a lock conflict: the task exists, say which */
			engine_reply(e, c, MSG_ERROR,
				     json_pack("{s:s, s:i, s:s}", "error", err, "code", 1, "id", t->row.id));
		else if (engine_queue_unserved(t->q, warn, sizeof(warn))) /* engine_queue.c */
			engine_reply(e, c, MSG_OK, json_pack("{s:s, s:s}", "id", t->row.id, "warning", warn));
		else
			engine_reply(e, c, MSG_OK, json_pack("{s:s}", "id", t->row.id));
		return;
	}
	if (!json_is_array(tasks)) {
		engine_request_error(e, c, "tasks must be an array");
		return;
	}
	json_array_foreach(tasks, i, v)
	{
		char why[1024];

		if (engine_plan_check(e, v, why, sizeof(why)) < 0) {
			snprintf(err, sizeof(err), "task %zu: %s", i + 1, why);
			engine_request_error(e, c, err);
			return;
		}
	}
	ids = json_array();
	errors = json_array();
	json_array_foreach(tasks, i, v)
	{
		struct etask *t = engine_plan(e, v, user, NULL, -1, err, sizeof(err));

		if (t == NULL) {
			json_array_append_new(
			    errors, json_pack("{s:i, s:n, s:s}", "index", (int)i, "id", "error", err));
			json_array_append_new(ids, json_null());
			continue;
		}
		json_array_append_new(ids, json_string(t->row.id));
		if (t->row.state == QT_STOPPED)
			json_array_append_new(errors, json_pack("{s:i, s:s, s:s}", "index", (int)i, "id",
								t->row.id, "error", err));
	}
	if (json_array_size(errors) > 0)
		engine_reply(e, c, MSG_OK, json_pack("{s:o, s:o}", "ids", ids, "errors", errors));
	else {
		json_decref(errors);
		engine_reply(e, c, MSG_OK, json_pack("{s:o}", "ids", ids));
	}
}

struct request_list {
	json_t *arr;
	struct engine *e;
	bool stuck;
};

static int request_list_row(void *arg, struct q_task *t)
{
	struct request_list *x = arg;

	if (x->stuck) {
		struct etask *et = engine_task_get(x->e, t->id);
		char why[256];
		json_t *j;

		if (et == NULL || !engine_task_stuck_why(x->e, et, why, sizeof(why)))
			return 0;
		j = engine_row_json(t, false);
		json_object_set_new(j, "stuck_reason", json_string(why));
		json_array_append_new(x->arr, j);
		return 0;
	}
	json_array_append_new(x->arr, engine_row_json(t, false));
	return 0;
}

void engine_request_list(struct engine *e, struct conn *c, json_t *req)
{
	struct request_list x = {.arr = json_array(), .e = e};
	json_t *lim = json_object_get(req, "limit");
	long limit = json_is_integer(lim) ? (long)json_integer_value(lim) : REQUEST_LIST_DEFAULT;
	const char *search = json_string_value(json_object_get(req, "search"));
	char err[512];
	int r;

	x.stuck = json_is_true(json_object_get(req, "stuck"));
	if (!x.stuck && json_is_true(json_object_get(req, "stream"))) {
		/* pages of DATA frames and a final OK: any number of tasks (engine_list.c) */
		json_decref(x.arr);
		if (engine_list_start(e, c, search, json_string_value(json_object_get(req, "order")), limit,
				      false, err, sizeof(err)) < 0)
			engine_request_error(e, c, err);
		return;
	}
	if (x.stuck) /* planned: a step waiting past its timeout for a worker is stuck too */
		r = e->ops->task_list(e->b, "state = running or state = planned",
				      json_string_value(json_object_get(req, "order")), 0, engine_now(),
				      request_list_row, &x, err, sizeof(err));
	else
		r = e->ops->task_list(e->b, search, json_string_value(json_object_get(req, "order")), limit,
				      engine_now(), request_list_row, &x, err, sizeof(err));
	if (r < 0) {
		json_decref(x.arr);
		engine_request_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "tasks", x.arr));
}

void engine_request_show(struct engine *e, struct conn *c, json_t *req)
{
	struct q_task row;

	if (request_find(e, c, req, &row) < 0)
		return;
	engine_reply_task_read(e, c, row.rowid, true);
	q_task_clear(&row);
}

typedef int (*request_action_fn)(struct engine *e, struct etask *t, char *err, size_t errlen);

static void request_action(struct engine *e, struct conn *c, json_t *req, request_action_fn fn,
			   const char *verb)
{
	struct q_task row;
	struct etask *t;
	char err[512];

	if (!engine_request_writable(e, c) || request_find(e, c, req, &row) < 0)
		return;
	t = engine_task_get(e, row.id);
	if (t == NULL && fn == engine_task_resume && row.state == QT_STOPPED && (row.flags & QF_UNLOCKED)) {
		/* unlocked (stopped, locks released) but resumable: re-take its locks (or refuse with
		 * the conflict, changing nothing), then back into memory as paused */
		int64_t rowid = row.rowid;

		if (engine_plan_relock(e, &row, err, sizeof(err)) < 0) {
			engine_request_error(e, c, err);
			q_task_clear(&row);
			return;
		}

		t = engine_task_load(e, &row); /* takes row's strings */
		row.rowid = rowid;
		/* stopped -> paused: the table allows it while QF_UNLOCKED is set; refused, t stays
		 * stopped and is answered as such below */
		if (t != NULL && engine_state_task(e, t, QT_PAUSED, "unlocked task resumed") == 0) {
			t->row.flags &= ~QF_UNLOCKED;
			t->row.ended_at = 0;
			engine_task_dirty(e, t);
		}
	}
	if (t == NULL || t->row.state == QT_STOPPED) {
		if (strcmp(verb, "cancel") == 0)
			snprintf(err, sizeof(err), "task %s is already stopped", row.id);
		else
			snprintf(err, sizeof(err), "task %s is stopped, not paused", row.id);
		engine_request_error(e, c, err);
	} else if (fn(e, t, err, sizeof(err)) < 0) {
		if (strncmp(err, "Cancel Not Implemented", 22) == 0) /* no dead end: what can be done */
			snprintf(
			    err + strlen(err), sizeof(err) - strlen(err),
			    ". Its type is not cancellable while a step runs: let it finish (task show %s), "
			    "or stop it with task force-unlock %s (allow_dangerous_actions; its running "
			    "step is cancelled at its worker)",
			    row.id, row.id);
		engine_request_error(e, c, err);
	} else {
		engine_reply_task(e, c, MSG_OK, row.rowid, true);
	}
	q_task_clear(&row);
}

void engine_request_resume(struct engine *e, struct conn *c, json_t *req)
{
	request_action(e, c, req, engine_task_resume, "resume");
}

void engine_request_skip(struct engine *e, struct conn *c, json_t *req)
{
	request_action(e, c, req, engine_task_skip, "skip");
}

void engine_request_cancel(struct engine *e, struct conn *c, json_t *req)
{
	request_action(e, c, req, engine_task_cancel, "cancel");
}

static void request_unlock(struct engine *e, struct conn *c, json_t *req, bool force)
{
	struct q_task row;
	struct etask *t;
	char err[512];

	if (e->conf == NULL || !e->conf->allow_dangerous_actions) {
		engine_request_error(
		    e, c,
		    "dangerous actions are disabled: set allow_dangerous_actions = true in [taskvisord]");
		return;
	}
	if (!engine_request_writable(e, c) || request_find(e, c, req, &row) < 0)
		return;
	t = engine_task_get(e, row.id);
	if (t == NULL) {
		snprintf(err, sizeof(err), "task %s is already stopped", row.id);
		engine_request_error(e, c, err);
	} else if (engine_task_unlock(e, t, force, e->hooks.user(c), err, sizeof(err)) < 0) {
		engine_request_error(e, c, err);
	} else {
		engine_reply_task(e, c, MSG_OK, row.rowid, true);
	}
	q_task_clear(&row);
}

void engine_request_unlock(struct engine *e, struct conn *c, json_t *req)
{
	request_unlock(e, c, req, false);
}

void engine_request_force_unlock(struct engine *e, struct conn *c, json_t *req)
{
	request_unlock(e, c, req, true);
}

static int request_lock_row(void *arg, const char *resource, bool exclusive, const char *task_id)
{
	json_array_append_new(arg, json_pack("{s:s, s:b, s:s}", "resource", resource, "exclusive", exclusive,
					     "task_id", task_id));
	return 0;
}

void engine_request_locks(struct engine *e, struct conn *c, json_t *req)
{
	const char *resource = json_string_value(json_object_get(req, "resource"));
	json_t *locks = json_array();

	/* no resource: every lock and link held, by whom */
	e->ops->locks_on(e->b, resource, request_lock_row, locks);
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "locks", locks));
}

struct request_export {
	struct engine *e;
	json_t *tasks;
};

static int request_export_row(void *arg, struct q_task *t)
{
	struct request_export *x = arg;
	json_t *j = engine_task_json(x->e, t->rowid, true);

	if (j != NULL)
		json_array_append_new(x->tasks, j);
	return 0;
}

void engine_request_export(struct engine *e, struct conn *c, const char *search, bool stream, bool rows)
{
	struct request_export x = {.e = e};
	char err[512];
	int r;

	if (stream) {
		/* "rows": the task rows only (a CSV export needs no steps, errors or locks) */
		/* creation order: the rows come off the index as they are, no sort of every row */
		if (engine_list_start(e, c, search, "num asc", 0, !rows, err, sizeof(err)) < 0)
			engine_request_error(e, c, err);
		return;
	}
	x.tasks = json_array();
	r = e->ops->task_list(e->b, search, "started_at asc", 0, engine_now(), request_export_row, &x, err,
			      sizeof(err));
	if (r < 0) {
		json_decref(x.tasks);
		engine_request_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "tasks", x.tasks));
}

void engine_request_schedule(struct engine *e, struct conn *c, json_t *req)
{
	char err[1400];
	struct erec *r;

	if (!engine_request_writable(e, c))
		return;
	r = engine_recurring_schedule(e, req, e->hooks.user(c), NULL, err, sizeof(err));
	if (r == NULL) {
		engine_request_error(e, c, err);
		return;
	}
	engine_reply(e, c, MSG_OK,
		     json_pack("{s:s, s:o}", "id", r->row.id, "recurring", engine_recurring_json(&r->row)));
}

static int request_recurring_row(void *arg, struct q_recurring *r)
{
	json_array_append_new(arg, engine_recurring_json(r));
	return 0;
}

void engine_request_recurring_list(struct engine *e, struct conn *c, json_t *req)
{
	json_t *arr = json_array();

	(void)req;
	if (e->ops->recurring_list(e->b, false, request_recurring_row, arr) < 0) {
		json_decref(arr);
		engine_request_error(e, c, e->ops->error(e->b));
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "recurring", arr));
}

void engine_request_recurring_show(struct engine *e, struct conn *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct q_recurring row;
	char err[256];
	int rc;

	memset(&row, 0, sizeof(row));
	rc = e->ops->recurring_find(e->b, id, &row);
	if (rc != 0) {
		snprintf(err, sizeof(err),
			 rc == 2 ? "ambiguous recurring logic id prefix: %s" : "no such recurring logic: %s",
			 id != NULL ? id : "");
		engine_request_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "recurring", engine_recurring_json(&row)));
	q_recurring_clear(&row);
}

void engine_request_recurring_cancel(struct engine *e, struct conn *c, json_t *req)
{
	struct q_recurring row;
	char err[256];

	if (!engine_request_writable(e, c))
		return;
	memset(&row, 0, sizeof(row));
	if (engine_recurring_cancel(e, json_string_value(json_object_get(req, "id")), &row, err,
				    sizeof(err)) < 0) {
		engine_request_error(e, c, err);
		return;
	}
	engine_reply(e, c, MSG_OK, json_pack("{s:o}", "recurring", engine_recurring_json(&row)));
	q_recurring_clear(&row);
}

static void request_waiter_closed(void *arg, struct conn *c)
{
	struct waiter *w = arg, **pp;

	(void)c;
	for (pp = &w->t->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->e->hooks.release(w->c);
	free(w);
}

void engine_request_wait(struct engine *e, struct conn *c, json_t *req)
{
	struct q_task row;
	struct etask *t;
	struct waiter *w;

	if (request_find(e, c, req, &row) < 0)
		return;
	t = engine_task_get(e, row.id);
	if (t == NULL || t->row.state == QT_STOPPED || (w = calloc(1, sizeof(*w))) == NULL) {
		engine_reply_task_read(e, c, row.rowid, true);
		q_task_clear(&row);
		return;
	}
	w->e = e;
	w->c = c;
	w->t = t;
	w->next = t->waiters;
	t->waiters = w;
	e->hooks.hold(c);
	e->hooks.on_close(c, request_waiter_closed, w);
	q_task_clear(&row);
}
