/*
 * rpc_taskvisor.c — the taskvisor.* XML-RPC namespace (see rpc.h): the task
 * commands of taskvisorctl as methods, the way supervisor.* exposes the
 * process ones. Each method is one native request (proto.h) built from its
 * parameters and one value made of its reply; rpc.c sends it with the
 * caller's role (read-only peers are refused the changing ones before
 * anything is sent) and words the native errors as faults: BAD_NAME for a
 * task id that names no task, FAILED with the daemon's message otherwise.
 *
 * XML-RPC has no null: members that are null (a task not started yet has no
 * started_at) are left out of structs, and a null in an array is "".
 */
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "rpc.h"

#define RPC_TV_LIST_DEFAULT 100 /* listTasks without a limit */
#define RPC_TV_LIST_MAX 10000	/* the most one listTasks returns */
#define RPC_TV_NO_TASK "no such task: "

/* A copy of v with every null member of a struct left out and every null in an array "". */
static json_t *rpc_tv_clean(json_t *v)
{
	json_t *out;

	if (json_is_object(v)) {
		out = json_object();
		for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it)) {
			json_t *x = json_object_iter_value(it);
			if (!json_is_null(x))
				json_object_set_new(out, json_object_iter_key(it), rpc_tv_clean(x));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);
			json_array_append_new(out, json_is_null(x) ? json_string("") : rpc_tv_clean(x));
		}
		return out;
	}
	return v != NULL ? json_incref(v) : json_string("");
}

static json_t *rpc_tv_bad(int *code, char *text, size_t len, const char *what)
{
	*code = RPC_INCORRECT_PARAMETERS;
	snprintf(text, len, "INCORRECT_PARAMETERS: %s", what);
	return NULL;
}

/* ---- requests ---- */

static json_t *rpc_tv_req_none(json_t *params, int *code, char *text, size_t len)
{
	(void)params;
	(void)code;
	(void)text;
	(void)len;
	return json_object();
}

/* (id) -> {"id"} */
static json_t *rpc_tv_req_id(json_t *params, int *code, char *text, size_t len)
{
	const char *id = json_string_value(json_array_get(params, 0));

	if (id == NULL || id[0] == '\0')
		return rpc_tv_bad(code, text, len, "the task id must be a string");
	return json_pack("{s:s}", "id", id);
}

/* (label, input[, options]) -> {"label","input", start_at, start_before, parent} */
static json_t *rpc_tv_req_submit(json_t *params, int *code, char *text, size_t len)
{
	const char *label = json_string_value(json_array_get(params, 0));
	json_t *input = json_array_get(params, 1), *opts = json_array_get(params, 2), *req;
	static const char *const keys[] = {"start_at", "start_before", "parent"};

	if (label == NULL)
		return rpc_tv_bad(code, text, len, "label must be a string");
	if (input != NULL && !json_is_object(input))
		return rpc_tv_bad(code, text, len, "input must be a struct");
	if (opts != NULL && !json_is_object(opts))
		return rpc_tv_bad(code, text, len, "options must be a struct");
	req = json_pack("{s:s}", "label", label);
	json_object_set_new(req, "input", input != NULL ? json_incref(input) : json_object());
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(opts, keys[i]) != NULL)
			json_object_set(req, keys[i], json_object_get(opts, keys[i]));
	return req;
}

/* ([search[, limit[, offset]]]) -> {"search","limit": offset + limit} */
static json_t *rpc_tv_req_list(json_t *params, int *code, char *text, size_t len)
{
	json_t *s = json_array_get(params, 0), *l = json_array_get(params, 1), *o = json_array_get(params, 2);
	long long limit = RPC_TV_LIST_DEFAULT, offset = 0;
	json_t *req;

	if (s != NULL && !json_is_string(s))
		return rpc_tv_bad(code, text, len, "search must be a string");
	if ((l != NULL && !json_is_integer(l)) || (o != NULL && !json_is_integer(o)))
		return rpc_tv_bad(code, text, len, "limit and offset must be ints");
	if (l != NULL)
		limit = json_integer_value(l);
	if (o != NULL)
		offset = json_integer_value(o);
	if (limit <= 0 || limit > RPC_TV_LIST_MAX)
		limit = RPC_TV_LIST_MAX;
	if (offset < 0)
		return rpc_tv_bad(code, text, len, "offset must not be negative");
	req = json_pack("{s:I}", "limit", (json_int_t)(limit + offset));
	if (s != NULL && json_string_length(s) > 0)
		json_object_set(req, "search", s);
	return req;
}

/* ([resource]) -> {"resource"} */
static json_t *rpc_tv_req_locks(json_t *params, int *code, char *text, size_t len)
{
	json_t *r = json_array_get(params, 0);

	if (r != NULL && !json_is_string(r))
		return rpc_tv_bad(code, text, len, "resource must be a string");
	return r != NULL && json_string_length(r) > 0 ? json_pack("{s:O}", "resource", r) : json_object();
}

/* (name[, warn[, crit]]) -> {"check","warn","crit"} */
static json_t *rpc_tv_req_check(json_t *params, int *code, char *text, size_t len)
{
	const char *name = json_string_value(json_array_get(params, 0));
	json_t *w = json_array_get(params, 1), *c = json_array_get(params, 2), *req;

	if (name == NULL)
		return rpc_tv_bad(code, text, len, "the check's name must be a string");
	if ((w != NULL && !json_is_number(w)) || (c != NULL && !json_is_number(c)))
		return rpc_tv_bad(code, text, len, "warn and crit must be numbers");
	req = json_pack("{s:s}", "check", name);
	if (w != NULL)
		json_object_set(req, "warn", w);
	if (c != NULL)
		json_object_set(req, "crit", c);
	return req;
}

/* ---- answers ---- */

static json_t *rpc_tv_ans_id(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "id"));
}

static json_t *rpc_tv_ans_task(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "task"));
}

static json_t *rpc_tv_ans_list(json_t *params, json_t *body)
{
	json_t *tasks = json_object_get(body, "tasks"), *page = json_array();
	json_t *o = json_array_get(params, 2);
	size_t offset = json_is_integer(o) && json_integer_value(o) > 0 ? (size_t)json_integer_value(o) : 0;

	for (size_t i = offset; i < json_array_size(tasks); i++)
		json_array_append_new(page, rpc_tv_clean(json_array_get(tasks, i)));
	return page;
}

static json_t *rpc_tv_ans_locks(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "locks"));
}

static json_t *rpc_tv_ans_workers(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "workers"));
}

static json_t *rpc_tv_ans_queues(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "queues"));
}

static json_t *rpc_tv_ans_recurring(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(json_object_get(body, "recurring"));
}

static json_t *rpc_tv_ans_check(json_t *params, json_t *body)
{
	(void)params;
	return rpc_tv_clean(body);
}

/* ---- the table ---- */

#define RPC_TV_ID_PARAM "        @param string id     The task's id (or a unique prefix of it)\n"
#define RPC_TV_TASK_RETURN "        @return struct task  The task after the change, as getTask shows it\n"

const struct rpc_tv_method rpc_taskvisor[] = {
    {"taskvisor.submitTask", "string string struct struct",
     " Submit a task of a configured type ([task:LABEL])\n\n"
     "        @param string label    The task type\n"
     "        @param struct input    Its input (may be empty)\n"
     "        @param struct options  Optional: start_at, start_before (epoch seconds or text as\n"
     "                               taskvisorctl takes them), parent (a task id)\n"
     "        @return string id      The new task's id\n        ",
     MSG_TASK_SUBMIT, 1, 3, true, rpc_tv_req_submit, rpc_tv_ans_id},
    {"taskvisor.listTasks", "array string int int",
     " List tasks matching a search (taskvisorctl task list's language), newest first\n\n"
     "        @param string search  Optional: the search (\"\" = all)\n"
     "        @param int limit      Optional: at most this many (default 100, at most 10000)\n"
     "        @param int offset     Optional: skip this many first\n"
     "        @return array result  An array of task structs (no steps, input or output)\n        ",
     MSG_TASK_LIST, 0, 3, false, rpc_tv_req_list, rpc_tv_ans_list},
    {"taskvisor.getTask", "struct string",
     " Get a task with its steps, errors, locks, children, input and output\n\n" RPC_TV_ID_PARAM
     "        @return struct task\n        ",
     MSG_TASK_SHOW, 1, 1, false, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.resumeTask", "struct string",
     " Resume a paused task (its failed step runs again)\n\n" RPC_TV_ID_PARAM RPC_TV_TASK_RETURN "        ",
     MSG_TASK_RESUME, 1, 1, true, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.skipTask", "struct string",
     " Skip the failed step of a paused task and go on\n\n" RPC_TV_ID_PARAM RPC_TV_TASK_RETURN "        ",
     MSG_TASK_SKIP, 1, 1, true, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.cancelTask", "struct string",
     " Cancel a planned or paused task, or a running one of a cancellable type\n\n" RPC_TV_ID_PARAM
	 RPC_TV_TASK_RETURN "        ",
     MSG_TASK_CANCEL, 1, 1, true, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.unlockTask", "struct string",
     " Stop a paused task in error and release its locks (allow_dangerous_actions)\n\n" RPC_TV_ID_PARAM
	 RPC_TV_TASK_RETURN "        ",
     MSG_TASK_UNLOCK, 1, 1, true, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.forceUnlockTask", "struct string",
     " Stop a task in any state and release its locks (allow_dangerous_actions)\n\n" RPC_TV_ID_PARAM
	 RPC_TV_TASK_RETURN "        ",
     MSG_TASK_FORCE_UNLOCK, 1, 1, true, rpc_tv_req_id, rpc_tv_ans_task},
    {"taskvisor.taskLocks", "array string",
     " List the locks held on a resource\n\n"
     "        @param string resource  Optional: the resource (\"\" = every lock)\n"
     "        @return array result    Structs: resource, exclusive, task_id\n        ",
     MSG_TASK_LOCKS, 0, 1, false, rpc_tv_req_locks, rpc_tv_ans_locks},
    {"taskvisor.listWorkers", "array",
     " List the connected workers\n\n        @return array result  An array of worker structs\n        ",
     MSG_WORKER_LIST, 0, 0, false, rpc_tv_req_none, rpc_tv_ans_workers},
    {"taskvisor.listQueues", "array",
     " List the queues with their ready and running steps, workers and counters\n\n"
     "        @return array result  An array of queue structs\n        ",
     MSG_QUEUE_LIST, 0, 0, false, rpc_tv_req_none, rpc_tv_ans_queues},
    {"taskvisor.listRecurring", "array",
     " List the recurring logics\n\n        @return array result  An array of recurring logic structs\n"
     "        ",
     MSG_RECURRING_LIST, 0, 0, false, rpc_tv_req_none, rpc_tv_ans_recurring},
    {"taskvisor.check", "struct string double double",
     " Run a check as taskvisorctl check does (processes, memory, queue, paused, stuck)\n\n"
     "        @param string name    The check\n"
     "        @param double warn    Optional: the warning threshold (0 = the check's default)\n"
     "        @param double crit    Optional: the critical threshold\n"
     "        @return struct result code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), line\n        ",
     MSG_CHECK, 1, 3, false, rpc_tv_req_check, rpc_tv_ans_check},
    {NULL, NULL, NULL, 0, 0, 0, false, NULL, NULL},
};

const struct rpc_tv_method *rpc_taskvisor_find(const char *name)
{
	for (const struct rpc_tv_method *m = rpc_taskvisor; name != NULL && m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

int rpc_taskvisor_fault(const char *error, char *text, size_t len)
{
	if (error == NULL)
		error = "failed";
	if (strncmp(error, RPC_TV_NO_TASK, strlen(RPC_TV_NO_TASK)) == 0) {
		snprintf(text, len, "BAD_NAME: %s", error + strlen(RPC_TV_NO_TASK));
		return RPC_BAD_NAME;
	}
	snprintf(text, len, "FAILED: %s", error);
	return RPC_FAILED;
}
