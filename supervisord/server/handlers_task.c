/*
 * handlers_task.c — the task messages (the 200 block of proto.h) of the
 * control socket. Most are table entries that go straight to the engine
 * (engine_request.c), which queues the reply for after the group commit that
 * records what it acknowledges; the few handlers here only turn a request's
 * words into the engine's arguments (cleanup's "after", export's search) or
 * answer from the configuration (cleanup rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "proto.h"

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

	if (!noop && !engine_request_writable(e, c)) {
		json_decref(ids);
		return;
	}
	if (after < 0) {
		json_decref(ids);
		engine_request_error(e, c, "after: not a duration (e.g. 30d, 12h, 3600)");
		return;
	}
	json_array_foreach(states, i, v)
	{
		if (json_string_value(v) == NULL || strcmp(json_string_value(v), "stopped") != 0) {
			json_decref(ids);
			engine_request_error(e, c, "only stopped tasks can be cleaned up (states = stopped)");
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
			engine_request_error(e, c, err);
		return;
	}
	n = engine_cleanup(e, json_string_value(json_object_get(req, "search")), after, noop, ids, err,
			   sizeof(err));
	if (n < 0) {
		json_decref(ids);
		engine_request_error(e, c, err);
		return;
	}
	engine_reply_read(e, c, MSG_OK,
			  json_pack("{s:i, s:i, s:b, s:o}", "deleted", noop ? 0 : (int)n, "matched", (int)n,
				    "noop", noop, "ids", ids));
}

static void handlers_task_export(struct daemon *d, struct conn *c, json_t *req)
{
	struct engine *e = d->engine;
	const char *search = json_string_value(json_object_get(req, "search"));
	json_t *days = json_object_get(req, "days");
	char *q = NULL;
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
		engine_request_error(e, c, "out of memory");
		return;
	}
	engine_request_export(e, c, q, json_is_true(json_object_get(req, "stream")),
			      json_is_true(json_object_get(req, "rows")));
	free(q);
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

static void handlers_task_wait(struct daemon *d, struct conn *c, json_t *req)
{
	if (conn_watched(c)) { /* one watcher per connection: a second would take the first's place */
		engine_request_error(d->engine, c,
				     "this connection already waits (one task wait per connection)");
		return;
	}
	engine_request_wait(d->engine, c, req);
}

static void handlers_task_tail(struct daemon *d, struct conn *c, json_t *req)
{
	if (json_is_true(json_object_get(req, "follow")) && conn_watched(c)) {
		engine_request_error(d->engine, c,
				     "this connection already follows (one task tail -f per connection)");
		return;
	}
	engine_request_tail(d->engine, c, req);
}

/* Most task requests are the engine's own (engine_request.c): no handler in between. */
const struct control_handler task_handlers[] = {
    {.type = MSG_TASK_SUBMIT, .admin = true, .engine = engine_request_submit},
    {.type = MSG_TASK_LIST, .engine = engine_request_list},
    {.type = MSG_TASK_SHOW, .engine = engine_request_show},
    {.type = MSG_TASK_RESUME, .admin = true, .engine = engine_request_resume},
    {.type = MSG_TASK_SKIP, .admin = true, .engine = engine_request_skip},
    {.type = MSG_TASK_CANCEL, .admin = true, .engine = engine_request_cancel},
    {.type = MSG_TASK_UNLOCK, .admin = true, .engine = engine_request_unlock},
    {.type = MSG_TASK_FORCE_UNLOCK, .admin = true, .engine = engine_request_force_unlock},
    {.type = MSG_TASK_WAIT, .handle = handlers_task_wait},
    {.type = MSG_TASK_LOCKS, .engine = engine_request_locks},
    {.type = MSG_TASK_CLEANUP, .admin = true, .handle = handlers_task_cleanup},
    {.type = MSG_TASK_EXPORT, .handle = handlers_task_export},
    {.type = MSG_CLEANUP_CONFIG, .handle = handlers_cleanup_config},
    {.type = MSG_TASK_SCHEDULE, .admin = true, .engine = engine_request_schedule},
    {.type = MSG_RECURRING_LIST, .engine = engine_request_recurring_list},
    {.type = MSG_RECURRING_SHOW, .engine = engine_request_recurring_show},
    {.type = MSG_RECURRING_CANCEL, .admin = true, .engine = engine_request_recurring_cancel},
    {.type = MSG_TASK_TAIL, .handle = handlers_task_tail},
    {.type = 0},
};
