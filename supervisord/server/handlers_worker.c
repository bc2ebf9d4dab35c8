/*
 * handlers_worker.c — the worker messages (the 300 block of proto.h): hello
 * (only from a process the daemon supervises, or an admin's), then progress,
 * output, done, fail and spawn, each passed on to the engine with the worker
 * the connection said hello as (the engine keeps it in the connection's slot).
 * The DONE every task ends with is read without building a JSON object.
 * Also the operator's worker list, worker show and queue list, which go
 * straight to the engine.
 */
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "proc.h"
#include "proto.h"

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
	conn_reply_ok(c, engine_worker_json(e, w));
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

	if (w != NULL)
		engine_worker_output(d->engine, w, handlers_step_id(req), json_object_get(req, "output"));
}

static void handlers_worker_done(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	if (w != NULL && json_object_get(req, "log") != NULL)
		engine_worker_log_end(d->engine, w, handlers_step_id(req), json_object_get(req, "log"));
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
	pid_t pid;

	if (w == NULL)
		return;
	/* A step's command SIGKILLed while its supervised worker's cgroup counted an OOM kill:
	 * the OOM killer took it (the worker itself survived), so the step's error says so. */
	if (msg != NULL && strcmp(msg, "killed by signal 9") == 0 && (pid = engine_worker_pid(w)) > 0 &&
	    d->sv != NULL && (p = sv_find_pid(d->sv, pid)) != NULL && proc_oom_since(p)) {
		snprintf(oom, sizeof(oom), "%s (OOM killed: memory_limit of %s)", msg, p->fullname);
		msg = oom;
	}
	if (json_object_get(req, "log") != NULL)
		engine_worker_log_end(d->engine, w, handlers_step_id(req), json_object_get(req, "log"));
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

static void handlers_worker_log(struct daemon *d, struct conn *c, json_t *req)
{
	struct worker *w = handlers_worker(c);

	if (w != NULL)
		engine_worker_log(d->engine, w, handlers_step_id(req), req);
}

const struct control_handler worker_handlers[] = {
    /* Workers may run as any user the configuration names (user=): not admin-only. */
    {.type = MSG_WORKER_HELLO, .handle = handlers_worker_hello},
    {.type = MSG_WORKER_PROGRESS, .handle = handlers_worker_progress},
    {.type = MSG_WORKER_OUTPUT, .handle = handlers_worker_output},
    {.type = MSG_WORKER_DONE, .handle = handlers_worker_done, .raw = handlers_worker_done_raw},
    {.type = MSG_WORKER_FAIL, .handle = handlers_worker_fail},
    {.type = MSG_WORKER_SPAWN, .handle = handlers_worker_spawn},
    /* For the operator, read-only users too: answered from the engine's memory (engine_worker.c,
     * engine_queue.c). */
    {.type = MSG_WORKER_LIST, .engine = engine_worker_list},
    {.type = MSG_WORKER_SHOW, .engine = engine_worker_show},
    {.type = MSG_QUEUE_LIST, .engine = engine_queue_list},
    {.type = MSG_WORKER_LOG, .handle = handlers_worker_log},
    {.type = 0},
};
