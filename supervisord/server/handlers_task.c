/*
 * handlers_task.c — the task (200) and worker (300) messages of the control
 * socket, as proto.h documents them. Each handler checks its request, asks the
 * engine to act, and queues its reply with engine_reply*(): replies leave only
 * after the group commit that recorded what they acknowledge.
 */
#define ENGINE_INTERNAL 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "proc.h"
#include "proto.h"

#define TASK_LIST_DEFAULT 100

/* Find a task by id or unique prefix; on failure reply the error and return -1. */
static int handlers_find(struct engine *e, struct conn *c, json_t *req, struct q_task *row)
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
		engine_reply(e, c, MSG_ERROR,
			     json_pack("{s:s+, s:i}", "error", "ambiguous task id prefix: ", id, "code", 1));
	else if (r == 1)
		engine_reply(e, c, MSG_ERROR,
			     json_pack("{s:s+, s:i}", "error", "no such task: ", id, "code", 1));
	else
		engine_reply(e, c, MSG_ERROR,
			     json_pack("{s:s+, s:i}", "error", "database: ", e->ops->error(e->b), "code", 1));
	return -1;
}

static void handlers_reply_error(struct engine *e, struct conn *c, const char *msg)
{
	engine_reply(e, c, MSG_ERROR, json_pack("{s:s, s:i}", "error", msg, "code", 1));
}

/* A task change may be asked: else the refusal is the reply (the database refuses writes). */
static bool handlers_writable(struct engine *e, struct conn *c)
{
	char err[512];

	if (engine_writable(e, err, sizeof(err)) == 0)
		return true;
	handlers_reply_error(e, c, err);
	return false;
}

/* ---- 200 block ---- */

static void handlers_task_submit(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	json_t *tasks = json_object_get(req, "tasks");
	const char *user = conn_user(c);
	char err[1400];
	size_t i;
	json_t *v, *ids, *errors;

	if (!handlers_writable(e, c))
		return;
	if (tasks == NULL) {
		struct etask *t = engine_plan(e, req, user, NULL, -1, err, sizeof(err));

		if (t == NULL || t->row.state == QT_STOPPED)
			handlers_reply_error(e, c, err);
		else
			engine_reply(e, c, MSG_OK, json_pack("{s:s}", "id", t->row.id));
		return;
	}
	if (!json_is_array(tasks)) {
		handlers_reply_error(e, c, "tasks must be an array");
		return;
	}
	json_array_foreach(tasks, i, v)
	{
		char why[1024];

		if (engine_plan_check(e, v, why, sizeof(why)) < 0) {
			snprintf(err, sizeof(err), "task %zu: %s", i + 1, why);
			handlers_reply_error(e, c, err);
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

struct handlers_list {
	json_t *arr;
	struct engine *e;
	bool stuck;
};

static int handlers_list_row(void *arg, struct q_task *t)
{
	struct handlers_list *x = arg;

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

static void handlers_task_list(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	struct handlers_list x = {.arr = json_array(), .e = e};
	json_t *lim = json_object_get(req, "limit");
	long limit = json_is_integer(lim) ? (long)json_integer_value(lim) : TASK_LIST_DEFAULT;
	const char *search = json_string_value(json_object_get(req, "search"));
	char err[512];
	int r;

	x.stuck = json_is_true(json_object_get(req, "stuck"));
	if (!x.stuck && json_is_true(json_object_get(req, "stream"))) {
		/* pages of DATA frames and a final OK: any number of tasks (engine_list.c) */
		json_decref(x.arr);
		if (engine_list_start(e, c, search, json_string_value(json_object_get(req, "order")), limit,
				      false, err, sizeof(err)) < 0)
			handlers_reply_error(e, c, err);
		return;
	}
	if (x.stuck)
		r = e->ops->task_list(e->b, "state = running",
				      json_string_value(json_object_get(req, "order")), 0, engine_now(),
				      handlers_list_row, &x, err, sizeof(err));
	else
		r = e->ops->task_list(e->b, search, json_string_value(json_object_get(req, "order")), limit,
				      engine_now(), handlers_list_row, &x, err, sizeof(err));
	if (r < 0) {
		json_decref(x.arr);
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "tasks", x.arr));
}

static void handlers_task_show(struct daemon *d, struct conn *c, json_t *req)
{
	struct q_task row;

	if (handlers_find(d->engine, c, req, &row) < 0)
		return;
	engine_reply_task_read(d->engine, c, row.rowid, true);
	q_task_clear(&row);
}

typedef int (*handlers_action_fn)(struct engine *e, struct etask *t, char *err, size_t errlen);

static void handlers_action(struct daemon *d, struct conn *c, json_t *req, handlers_action_fn fn,
			    const char *verb)
{
	struct engine *e = d->engine;
	struct q_task row;
	struct etask *t;
	char err[512];

	if (!handlers_writable(e, c) || handlers_find(e, c, req, &row) < 0)
		return;
	t = engine_task_get(e, row.id);
	if (t == NULL && fn == engine_task_resume && row.state == QT_STOPPED && (row.flags & QF_UNLOCKED)) {
		/* unlocked (stopped, locks released) but resumable: re-take its locks (or refuse with
		 * the conflict, changing nothing), then back into memory as paused */
		int64_t rowid = row.rowid;

		if (engine_plan_relock(e, &row, err, sizeof(err)) < 0) {
			handlers_reply_error(e, c, err);
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
		handlers_reply_error(e, c, err);
	} else if (fn(e, t, err, sizeof(err)) < 0) {
		handlers_reply_error(e, c, err);
	} else {
		engine_reply_task(e, c, MSG_OK, row.rowid, true);
	}
	q_task_clear(&row);
}

static void handlers_task_resume(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_action(d, c, req, engine_task_resume, "resume");
}

static void handlers_task_skip(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_action(d, c, req, engine_task_skip, "skip");
}

static void handlers_task_cancel(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_action(d, c, req, engine_task_cancel, "cancel");
}

static void handlers_unlock(struct daemon *d, struct conn *c, json_t *req, bool force)
{
	struct engine *e = d->engine;
	struct q_task row;
	struct etask *t;
	char err[512];

	if (d->conf == NULL || !d->conf->allow_dangerous_actions) {
		handlers_reply_error(
		    e, c,
		    "dangerous actions are disabled: set allow_dangerous_actions = true in [taskvisord]");
		return;
	}
	if (!handlers_writable(e, c) || handlers_find(e, c, req, &row) < 0)
		return;
	t = engine_task_get(e, row.id);
	if (t == NULL) {
		snprintf(err, sizeof(err), "task %s is already stopped", row.id);
		handlers_reply_error(e, c, err);
	} else if (engine_task_unlock(e, t, force, conn_user(c), err, sizeof(err)) < 0) {
		handlers_reply_error(e, c, err);
	} else {
		engine_reply_task(e, c, MSG_OK, row.rowid, true);
	}
	q_task_clear(&row);
}

static void handlers_task_unlock(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_unlock(d, c, req, false);
}
static void handlers_task_force_unlock(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_unlock(d, c, req, true);
}

static int handlers_lock_row(void *arg, const char *resource, bool exclusive, const char *task_id)
{
	json_array_append_new(arg, json_pack("{s:s, s:b, s:s}", "resource", resource, "exclusive", exclusive,
					     "task_id", task_id));
	return 0;
}

static void handlers_task_locks(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	const char *resource = json_string_value(json_object_get(req, "resource"));
	json_t *locks = json_array();

	/* no resource: every lock and link held, by whom */
	e->ops->locks_on(e->b, resource, handlers_lock_row, locks);
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "locks", locks));
}

/* "after": seconds, or text with a unit (30d, 12h, 90m, 3600s, 2w). -1 when malformed. */
static long long handlers_duration(json_t *v)
{
	const char *s;
	char *end;
	double n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v))
		return (long long)json_number_value(v);
	s = json_string_value(v);
	if (s == NULL)
		return -1;
	n = strtod(s, &end);
	if (end == s || n < 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		return (long long)n;
	case 'm':
		return (long long)(n * 60);
	case 'h':
		return (long long)(n * 3600);
	case 'd':
		return (long long)(n * 86400);
	case 'w':
		return (long long)(n * 604800);
	default:
		return -1;
	}
}

static void handlers_task_cleanup(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	json_t *states = json_object_get(req, "states"), *v, *ids = json_array();
	long long after = handlers_duration(json_object_get(req, "after"));
	bool noop = json_is_true(json_object_get(req, "noop"));
	char err[512];
	size_t i;
	long n;

	if (!noop && !handlers_writable(e, c)) {
		json_decref(ids);
		return;
	}
	if (after < 0) {
		json_decref(ids);
		handlers_reply_error(e, c, "after: not a duration (e.g. 30d, 12h, 3600)");
		return;
	}
	json_array_foreach(states, i, v)
	{
		if (json_string_value(v) == NULL || strcmp(json_string_value(v), "stopped") != 0) {
			json_decref(ids);
			handlers_reply_error(e, c, "only stopped tasks can be cleaned up (states = stopped)");
			return;
		}
	}
	if (!noop) {
		/* batched: the reply comes after the last batch */
		json_t *bs = json_object_get(req, "batch_size");

		json_decref(ids);
		if (engine_cleanup_start(e, json_string_value(json_object_get(req, "search")), after,
					 json_is_integer(bs) && json_integer_value(bs) > 0
					     ? (size_t)json_integer_value(bs)
					     : 0,
					 c, true, err, sizeof(err)) < 0)
			handlers_reply_error(e, c, err);
		return;
	}
	n = engine_cleanup(e, json_string_value(json_object_get(req, "search")), after, noop, ids, err,
			   sizeof(err));
	if (n < 0) {
		json_decref(ids);
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK,
			  json_pack("{s:i, s:i, s:b, s:o}", "deleted", noop ? 0 : (int)n, "matched", (int)n,
				    "noop", noop, "ids", ids));
}

struct handlers_export {
	struct engine *e;
	json_t *tasks;
};

static int handlers_export_row(void *arg, struct q_task *t)
{
	struct handlers_export *x = arg;
	json_t *j = engine_task_json(x->e, t->rowid, true);

	if (j != NULL)
		json_array_append_new(x->tasks, j);
	return 0;
}

static void handlers_task_export(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	const char *search = json_string_value(json_object_get(req, "search"));
	json_t *days = json_object_get(req, "days");
	struct handlers_export x = {.e = e, .tasks = json_array()};
	char *q = NULL, err[512];
	int r;

	if (json_is_integer(days) && search != NULL && *search != '\0')
		r = asprintf(&q, "(%s) and started_at > %lldd", search, (long long)json_integer_value(days));
	else if (json_is_integer(days))
		r = asprintf(&q, "started_at > %lldd", (long long)json_integer_value(days));
	else if (search != NULL && *search != '\0')
		r = asprintf(&q, "%s", search);
	else /* Foreman's default: the last 7 days, and what did not succeed in the last 60 */
		r = asprintf(&q, "started_at > 7d or (result != success and started_at > 60d)");
	if (r < 0) {
		json_decref(x.tasks);
		handlers_reply_error(e, c, "out of memory");
		return;
	}
	if (json_is_true(json_object_get(req, "stream"))) {
		json_decref(x.tasks);
		/* "rows": the task rows only (a CSV export needs no steps, errors or locks) */
		/* creation order: the rows come off the index as they are, no sort of every row */
		r = engine_list_start(e, c, q, "num asc", 0, !json_is_true(json_object_get(req, "rows")), err,
				      sizeof(err));
		free(q);
		if (r < 0)
			handlers_reply_error(e, c, err);
		return;
	}
	r = e->ops->task_list(e->b, q, "started_at asc", 0, engine_now(), handlers_export_row, &x, err,
			      sizeof(err));
	free(q);
	if (r < 0) {
		json_decref(x.tasks);
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "tasks", x.tasks));
}

static void handlers_cleanup_config(struct daemon *d, struct conn *c, json_t *req)
{
	const struct conf *cf = d->conf;
	json_t *rules = json_array();

	(void)req;
	for (size_t i = 0; cf != NULL && i < cf->ntasks; i++) {
		long long after =
		    cf->tasks[i].cleanup_after > 0 ? cf->tasks[i].cleanup_after : cf->tasks_cleanup_after;

		json_array_append_new(
		    rules, json_pack("{s:s, s:I}", "label", cf->tasks[i].label, "after", (json_int_t)after));
	}
	engine_reply_read(d->engine, c, MSG_OK, json_pack("{s:o}", "rules", rules));
}

static void handlers_task_schedule(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	char err[1400];
	struct erec *r;

	if (!handlers_writable(e, c))
		return;
	r = engine_recurring_schedule(e, req, conn_user(c), NULL, err, sizeof(err));
	if (r == NULL) {
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply(e, c, MSG_OK,
		     json_pack("{s:s, s:o}", "id", r->row.id, "recurring", engine_recurring_json(&r->row)));
}

static int handlers_recurring_row(void *arg, struct q_recurring *r)
{
	json_array_append_new(arg, engine_recurring_json(r));
	return 0;
}

static void handlers_recurring_list(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	json_t *arr = json_array();

	(void)req;
	if (e->ops->recurring_list(e->b, false, handlers_recurring_row, arr) < 0) {
		json_decref(arr);
		handlers_reply_error(e, c, e->ops->error(e->b));
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "recurring", arr));
}

static void handlers_recurring_show(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
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
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK, json_pack("{s:o}", "recurring", engine_recurring_json(&row)));
	q_recurring_clear(&row);
}

static void handlers_recurring_cancel(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	struct q_recurring row;
	char err[256];

	if (!handlers_writable(e, c))
		return;
	memset(&row, 0, sizeof(row));
	if (engine_recurring_cancel(e, json_string_value(json_object_get(req, "id")), &row, err,
				    sizeof(err)) < 0) {
		handlers_reply_error(e, c, err);
		return;
	}
	engine_reply(e, c, MSG_OK, json_pack("{s:o}", "recurring", engine_recurring_json(&row)));
	q_recurring_clear(&row);
}

/* RSS of pid in kB from /proc, 0 when unknown. */
static long handlers_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* `check processes|memory` for the supervised side. */
static int handlers_check_procs(struct daemon *d, const char *check, double warn, double crit, char *line,
				size_t len)
{
	size_t n = 0;
	struct proc **procs = d->sv != NULL ? sv_procs(d->sv, &n) : NULL;
	double value = 0;
	const char *worst = NULL;
	bool memory = strcmp(check, "memory") == 0;
	char who[200] = "";
	int code;

	for (size_t i = 0; i < n; i++) {
		struct proc *p = procs[i];

		if (memory) {
			double mb = p->pid > 0 ? (double)handlers_rss_kb(p->pid) / 1024.0 : 0;

			if (mb > value) {
				value = mb;
				worst = p->fullname;
			}
		} else if (p->state == PROC_FATAL || p->state == PROC_BACKOFF || p->state == PROC_UNKNOWN ||
			   (p->state == PROC_EXITED && !p->last_exit_expected) ||
			   ((p->state == PROC_STOPPED || p->state == PROC_EXITED) && p->prog->autostart &&
			    p->prog->autorestart != AUTORESTART_FALSE)) {
			value++;
			if (worst == NULL)
				worst = p->fullname;
		}
	}
	if (warn <= 0)
		warn = memory ? 512 : 1;
	if (crit <= 0)
		crit = memory ? 1024 : 1;
	code = value >= crit ? 2 : value >= warn ? 1 : 0;
	if (worst != NULL)
		snprintf(who, sizeof(who), memory ? " (%s)" : " (first: %s)", worst);
	if (memory)
		snprintf(line, len, "PROCESSES MEMORY %s - largest RSS %.0f MB%s | rss_mb=%.0f;%.0f;%.0f",
			 code == 2   ? "CRITICAL"
			 : code == 1 ? "WARNING"
				     : "OK",
			 value, who, value, warn, crit);
	else
		snprintf(line, len,
			 "PROCESSES %s - %.0f of %zu processes not running%s | down=%.0f;%.0f;%.0f",
			 code == 2   ? "CRITICAL"
			 : code == 1 ? "WARNING"
				     : "OK",
			 value, n, who, value, warn, crit);
	return code;
}

static void handlers_check(struct daemon *d, struct conn *c, json_t *req)
{
	const char *check = json_string_value(json_object_get(req, "check"));
	double warn = json_number_value(json_object_get(req, "warn"));
	double crit = json_number_value(json_object_get(req, "crit"));
	char line[512], err[512];
	int code;

	if (check != NULL && (strcmp(check, "processes") == 0 || strcmp(check, "memory") == 0)) {
		code = handlers_check_procs(d, check, warn, crit, line, sizeof(line));
		conn_reply_ok(c, json_pack("{s:i, s:s}", "code", code, "line", line));
		return;
	}
	if (daemon_engine(d, err, sizeof(err)) == NULL) {
		conn_reply_error(c, 1, "task database: %s", err);
		return;
	}
	code = engine_check(d->engine, check, warn, crit, line, sizeof(line));
	engine_reply_read(d->engine, c, MSG_OK, json_pack("{s:i, s:s}", "code", code, "line", line));
}

static void handlers_waiter_closed(void *arg, struct conn *c)
{
	struct waiter *w = arg, **pp;

	(void)c;
	for (pp = &w->t->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	conn_release(w->c);
	free(w);
}

static void handlers_task_wait(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	struct q_task row;
	struct etask *t;
	struct waiter *w;

	if (conn_watched(c)) { /* one watcher per connection: a second would take the first's place */
		handlers_reply_error(e, c, "this connection already waits (one task wait per connection)");
		return;
	}
	if (handlers_find(e, c, req, &row) < 0)
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
	conn_hold(c);
	conn_on_close(c, handlers_waiter_closed, w);
	q_task_clear(&row);
}

/* ---- 300 block ---- */

static void handlers_worker_hello(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	struct worker *w;
	char err[256];

	if (conn_get_data(c) != NULL) {
		conn_reply_error(c, 1, "this connection already said hello");
		return;
	}
	/* a worker gets steps (their input) and settles them: only one the daemon runs, or an admin's */
	if (!conn_is_admin(c) &&
	    (d->sv == NULL || conn_pid(c) <= 0 || sv_find_pid(d->sv, conn_pid(c)) == NULL)) {
		log_info("control: worker hello from uid %ld pid %ld: permission denied (neither supervised "
			 "nor admin)",
			 (long)conn_uid(c), (long)conn_pid(c));
		conn_reply_error(c, 1, "permission denied");
		return;
	}
	w = engine_worker_hello(e, c, req, err, sizeof(err));
	if (w == NULL) {
		conn_reply_error(c, 1, "%s", err);
		return;
	}
	conn_reply_ok(c, json_pack("{s:i, s:s, s:f}", "worker_id", w->id, "name", w->name, "lease",
				   w->supervised ? 0.0 : (double)e->lease_ms / 1000.0));
}

/* The worker this connection said hello as; NULL before hello (the sender, who may wait for an
 * answer, gets an error frame). */
static struct worker *handlers_worker(struct conn *c)
{
	struct worker *w = conn_get_data(c);

	if (w == NULL) {
		log_warnx("engine: pid %ld sent a worker message before hello", (long)conn_pid(c));
		conn_reply_error(c, 1, "send hello first");
	}
	return w;
}

static const char *handlers_step_id(json_t *req)
{
	return json_string_value(json_object_get(req, "step_id"));
}

static void handlers_worker_progress(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	if (w != NULL)
		engine_worker_progress(d->engine, w, handlers_step_id(req), json_object_get(req, "progress"),
				       NULL);
}

static void handlers_worker_output(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	/* an unknown step is no heartbeat here */
	if (w != NULL && engine_worker_held(w, handlers_step_id(req)) != NULL)
		engine_worker_progress(d->engine, w, handlers_step_id(req), NULL,
				       json_object_get(req, "output"));
}

static void handlers_worker_done(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	if (w != NULL)
		engine_worker_done(d->engine, w, handlers_step_id(req), json_object_get(req, "output"));
}

/*
 * The DONE every task ends with, {"step_id":"N.N","output":{}} exactly as
 * libtaskvisor writes it, is read without building a jansson object (a tenth
 * of the daemon's time per task went to parsing messages). Anything else goes
 * the JSON way.
 */
bool handlers_done_step_id(const char *p, size_t len, char *id, size_t idlen)
{
	static const char head[] = "{\"step_id\":\"", tail[] = "\",\"output\":{}}";
	size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1, n;

	if (len <= hl + tl || memcmp(p, head, hl) != 0 || memcmp(p + len - tl, tail, tl) != 0)
		return false;
	n = len - hl - tl;
	if (n >= idlen)
		return false;
	memcpy(id, p + hl, n);
	id[n] = '\0';
	return strspn(id, "0123456789.") == n;
}

static bool handlers_worker_done_raw(struct daemon *d, struct conn *c, const char *p, size_t len)
{
	struct worker *w;
	char id[64];

	if (!handlers_done_step_id(p, len, id, sizeof(id)))
		return false;
	if ((w = handlers_worker(c)) != NULL)
		engine_worker_done(d->engine, w, id, NULL);
	return true;
}

static void handlers_worker_fail(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);
	const char *msg = json_string_value(json_object_get(req, "message"));
	char oom[160];
	struct proc *p;

	if (w == NULL)
		return;
	/* A step's command SIGKILLed while its supervised worker's cgroup counted an OOM kill:
	 * the OOM killer took it (the worker itself survived), so the step's error says so. */
	if (msg != NULL && strcmp(msg, "killed by signal 9") == 0 && w->supervised && d->sv != NULL &&
	    (p = sv_find_pid(d->sv, w->pid)) != NULL && proc_oom_since(p)) {
		snprintf(oom, sizeof(oom), "%s (OOM killed: memory_limit of %s)", msg, p->fullname);
		msg = oom;
	}
	engine_worker_fail(d->engine, w, handlers_step_id(req), msg,
			   json_string_value(json_object_get(req, "output_tail")));
}

static void handlers_worker_spawn(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	if (w != NULL)
		engine_worker_spawn(d->engine, w, handlers_step_id(req), json_object_get(req, "label"),
				    json_object_get(req, "input"));
}

const struct control_handler task_handlers[] = {
    {MSG_TASK_SUBMIT, true, handlers_task_submit, NULL},
    {MSG_TASK_LIST, false, handlers_task_list, NULL},
    {MSG_TASK_SHOW, false, handlers_task_show, NULL},
    {MSG_TASK_RESUME, true, handlers_task_resume, NULL},
    {MSG_TASK_SKIP, true, handlers_task_skip, NULL},
    {MSG_TASK_CANCEL, true, handlers_task_cancel, NULL},
    {MSG_TASK_UNLOCK, true, handlers_task_unlock, NULL},
    {MSG_TASK_FORCE_UNLOCK, true, handlers_task_force_unlock, NULL},
    {MSG_TASK_WAIT, false, handlers_task_wait, NULL},
    {MSG_TASK_LOCKS, false, handlers_task_locks, NULL},
    {MSG_TASK_CLEANUP, true, handlers_task_cleanup, NULL},
    {MSG_TASK_EXPORT, false, handlers_task_export, NULL},
    {MSG_CLEANUP_CONFIG, false, handlers_cleanup_config, NULL},
    {MSG_TASK_SCHEDULE, true, handlers_task_schedule, NULL},
    /* MSG_CHECK is a 100-block message: answered here while handlers_proc.c has no entry for it
     * (control.c looks in proc_handlers first). */
    {MSG_CHECK, false, handlers_check, NULL},
    {MSG_RECURRING_LIST, false, handlers_recurring_list, NULL},
    {MSG_RECURRING_SHOW, false, handlers_recurring_show, NULL},
    {MSG_RECURRING_CANCEL, true, handlers_recurring_cancel, NULL},
    /* Workers may run as any user the configuration names (user=): not admin-only. */
    {MSG_WORKER_HELLO, false, handlers_worker_hello, NULL},
    {MSG_WORKER_PROGRESS, false, handlers_worker_progress, NULL},
    {MSG_WORKER_OUTPUT, false, handlers_worker_output, NULL},
    {MSG_WORKER_DONE, false, handlers_worker_done, handlers_worker_done_raw},
    {MSG_WORKER_FAIL, false, handlers_worker_fail, NULL},
    {MSG_WORKER_SPAWN, false, handlers_worker_spawn, NULL},
    {0, false, NULL, NULL},
};
