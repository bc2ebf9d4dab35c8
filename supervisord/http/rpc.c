/*
 * rpc.c — see rpc.h. Each method checks what supervisord checks before it
 * acts (names, states, parameters), in the same order, then acts through the
 * daemon's own handlers (http_ops.call: the native requests MSG_START,
 * MSG_STOP, MSG_SIGNAL, MSG_REREAD, MSG_UPDATE, MSG_RELOAD, MSG_SHUTDOWN) and
 * words their results as supervisord's faults and result structs.
 *
 * Replies of native requests are taken on the next loop iteration (a zero
 * timer), never inside the handler that sent them; so a chain of requests
 * (addProcessGroup: re-read, then update) and system.multicall never run one
 * handler inside another. A call owns the native handle; multicall's sub-calls
 * borrow their root's and are freed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"
#include "rpc.h"
#include "xmlrpc.h"

#define RPC_READ_MAX (16u * 1024u * 1024u) /* the most one readLog returns */

struct rpc_call;
typedef void rpc_next_fn(struct rpc_call *c, uint32_t type, json_t *body);

struct rpc_call {
	struct rpc_env *env;
	const struct http_ops *ops;
	enum http_role role;
	rpc_done_fn *done;
	void *arg;
	struct rpc_call *root;	 /* the request this belongs to (itself, or a multicall) */
	struct rpc_call *subs;	 /* root: multicall's sub-calls, freed with it */
	struct rpc_call *snext;	 /* in root->subs */
	struct rpc_call *parent; /* a multicall sub-call: the multicall */
	bool finished;

	/* root only: the native handle and the reply being waited for */
	void *native;
	struct rpc_call *waiting; /* whose next() gets the reply */
	rpc_next_fn *next;
	uint32_t rtype;
	json_t *rbody;
	ev_timer later; /* delivers the reply (or runs a step) on the next iteration */
	void (*later_fn)(struct rpc_call *c);
	struct rpc_call *later_for;

	/* the method's own state */
	char name[512]; /* the name parameter as given */
	bool wait;
	struct http_proc *list; /* group operations: the processes acted on, in order */
	size_t nlist;
	json_t *results; /* group operations: the result structs so far */
	int op;		 /* 'b' start, 'e' stop, 's' signal */
	json_t *calls;	 /* multicall: the calls; mc_i the next one */
	size_t mc_i;
	const struct rpc_tv_method *tv; /* a taskvisor.* method (rpc_taskvisor.c) */
	json_t *tv_params;		/* its parameters, for its answer */
};

static void rpc_finish(struct rpc_call *c, json_t *value, int code, const char *text);

/* ---- names ---- */

static const struct {
	int code;
	const char *name;
} rpc_faults[] = {{RPC_UNKNOWN_METHOD, "UNKNOWN_METHOD"},
		  {RPC_INCORRECT_PARAMETERS, "INCORRECT_PARAMETERS"},
		  {RPC_BAD_ARGUMENTS, "BAD_ARGUMENTS"},
		  {RPC_SIGNATURE_UNSUPPORTED, "SIGNATURE_UNSUPPORTED"},
		  {RPC_SHUTDOWN_STATE, "SHUTDOWN_STATE"},
		  {RPC_BAD_NAME, "BAD_NAME"},
		  {RPC_BAD_SIGNAL, "BAD_SIGNAL"},
		  {RPC_NO_FILE, "NO_FILE"},
		  {RPC_NOT_EXECUTABLE, "NOT_EXECUTABLE"},
		  {RPC_FAILED, "FAILED"},
		  {RPC_ABNORMAL_TERMINATION, "ABNORMAL_TERMINATION"},
		  {RPC_SPAWN_ERROR, "SPAWN_ERROR"},
		  {RPC_ALREADY_STARTED, "ALREADY_STARTED"},
		  {RPC_NOT_RUNNING, "NOT_RUNNING"},
		  {RPC_SUCCESS, "SUCCESS"},
		  {RPC_ALREADY_ADDED, "ALREADY_ADDED"},
		  {RPC_STILL_RUNNING, "STILL_RUNNING"},
		  {RPC_CANT_REREAD, "CANT_REREAD"}};

const char *rpc_fault_name(int code)
{
	for (size_t i = 0; i < sizeof(rpc_faults) / sizeof(rpc_faults[0]); i++)
		if (rpc_faults[i].code == code)
			return rpc_faults[i].name;
	return "UNKNOWN";
}

/* supervisord's RPCError(code, extra): "NAME" or "NAME: extra". */
static void rpc_fault(struct rpc_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rpc_fault(struct rpc_call *c, int code, const char *fmt, ...)
{
	char extra[1024], text[1100];
	va_list ap;

	if (fmt == NULL) {
		rpc_finish(c, NULL, code, rpc_fault_name(code));
		return;
	}
	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "%s: %s", rpc_fault_name(code), extra);
	rpc_finish(c, NULL, code, text);
}

/* A native result status ("spawn_error") as a fault code. */
static int rpc_status_code(const char *status)
{
	static const struct {
		const char *status;
		int code;
	} map[] = {{"ok", RPC_SUCCESS},
		   {"already_started", RPC_ALREADY_STARTED},
		   {"not_running", RPC_NOT_RUNNING},
		   {"no_such_process", RPC_BAD_NAME},
		   {"no_such_group", RPC_BAD_NAME},
		   {"spawn_error", RPC_SPAWN_ERROR},
		   {"bad_signal", RPC_BAD_SIGNAL},
		   {"abnormal_termination", RPC_ABNORMAL_TERMINATION},
		   {"no_file", RPC_NO_FILE},
		   {"not_executable", RPC_NOT_EXECUTABLE}};

	for (size_t i = 0; status != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].status, status) == 0)
			return map[i].code;
	return RPC_FAILED;
}

static bool rpc_is_running(int state) /* RUNNING_STATES */
{
	return state == 10 || state == 20 || state == 30;
}

static bool rpc_is_signallable(int state) /* SIGNALLABLE_STATES */
{
	return state == 10 || state == 20 || state == 40;
}

/* split_namespec: "g:n" -> g, n; "g:" or "g:*" -> g, NULL; "n" -> n, n. */
static void rpc_split(const char *spec, char *group, size_t glen, char *name, size_t nlen, bool *whole)
{
	const char *colon = strchr(spec, ':');

	*whole = false;
	if (colon == NULL) {
		snprintf(group, glen, "%s", spec);
		snprintf(name, nlen, "%s", spec);
		return;
	}
	snprintf(group, glen, "%.*s", (int)(colon - spec), spec);
	snprintf(name, nlen, "%s", colon + 1);
	*whole = name[0] == '\0' || strcmp(name, "*") == 0;
}

/* ---- finishing, native requests, the loop ---- */

static void rpc_later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rpc_call *root = w->data;
	void (*fn)(struct rpc_call *) = root->later_fn;
	struct rpc_call *c = root->later_for;

	(void)loop;
	(void)revents;
	root->later_fn = NULL;
	root->later_for = NULL;
	if (fn != NULL)
		fn(c);
}

/* Run fn(c) on the next loop iteration (one pending step per request at a time). */
static void rpc_later(struct rpc_call *c, void (*fn)(struct rpc_call *c), double after)
{
	struct rpc_call *root = c->root;

	root->later_fn = fn;
	root->later_for = c;
	ev_timer_stop(c->ops->loop, &root->later);
	ev_timer_set(&root->later, after, 0.);
	ev_timer_start(c->ops->loop, &root->later);
}

static void rpc_deliver(struct rpc_call *root)
{
	struct rpc_call *w = root->waiting;
	rpc_next_fn *next = root->next;
	json_t *body = root->rbody;

	root->waiting = NULL;
	root->next = NULL;
	root->rbody = NULL;
	if (w != NULL && next != NULL)
		next(w, root->rtype, body);
	json_decref(body);
}

static void rpc_sink(void *sarg, uint32_t type, json_t *body)
{
	struct rpc_call *root = sarg;

	if (type == MSG_DATA || root->waiting == NULL || root->rbody != NULL)
		return;
	root->rtype = type;
	root->rbody = json_incref(body);
	rpc_later(root, rpc_deliver, 0.);
}

/* Send a native request (req taken); next(c, MSG_OK|MSG_ERROR, body) gets its reply. */
static void rpc_native(struct rpc_call *c, uint32_t type, json_t *req, rpc_next_fn *next)
{
	struct rpc_call *root = c->root;

	if (root->native == NULL)
		root->native = c->ops->call_open(c->ops->arg, c->role, rpc_sink, root);
	if (root->native == NULL || req == NULL) {
		json_decref(req);
		rpc_fault(c, RPC_FAILED, "out of memory");
		return;
	}
	root->waiting = c;
	root->next = next;
	c->ops->call(root->native, type, req);
}

/* The error text of a native MSG_ERROR. */
static const char *rpc_native_error(json_t *body)
{
	const char *e = json_string_value(json_object_get(body, "error"));
	return e != NULL ? e : "failed";
}

static void rpc_multicall_next(struct rpc_call *mc);

static void rpc_finish(struct rpc_call *c, json_t *value, int code, const char *text)
{
	char *xml;
	size_t len = 0;

	if (c->finished) {
		json_decref(value);
		return;
	}
	c->finished = true;
	if (c->parent != NULL) { /* a multicall's sub-call: the value (not [value], whatever the
				  * docstring says) or {faultCode, faultString}, as supervisord answers */
		json_t *r =
		    value != NULL ? value : json_pack("{s:i, s:s}", "faultCode", code, "faultString", text);
		json_array_append_new(c->parent->results, r);
		rpc_later(c->parent, rpc_multicall_next, 0.);
		return;
	}
	if (value != NULL) {
		xml = xmlrpc_response(value, &len);
		json_decref(value);
	} else if (code == 0)
		xml = NULL; /* HTTP 500, where supervisord's Python raises */
	else
		xml = xmlrpc_fault(code, text, &len);
	c->done(c->arg, xml, len);
}

static void rpc_return(struct rpc_call *c, json_t *value)
{
	if (value == NULL) {
		rpc_fault(c, RPC_FAILED, "out of memory");
		return;
	}
	rpc_finish(c, value, 0, NULL);
}

/* ---- parameters ---- */

static const char *rpc_str(json_t *params, size_t i)
{
	return json_string_value(json_array_get(params, i));
}

/* An int parameter (xmlrpclib also sends whole doubles, and strings of digits reach int()). */
static bool rpc_int(json_t *params, size_t i, long long *out)
{
	json_t *v = json_array_get(params, i);
	char *end;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		*out = strtoll(json_string_value(v), &end, 10);
		return *end == '\0' && end != json_string_value(v);
	}
	return false;
}

/* The optional wait parameter: true unless a false boolean (or 0) was sent. */
static bool rpc_wait_param(json_t *params, size_t i)
{
	json_t *v = json_array_get(params, i);

	if (v == NULL)
		return true;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return !json_is_false(v);
}

/* ---- supervisor.* : the daemon ---- */

static void rpc_get_api_version(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_string("3.0"));
}

static void rpc_get_supervisor_version(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_string(c->env->version));
}

static void rpc_get_identification(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_string(c->env->identifier));
}

static void rpc_get_state(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_pack("{s:i, s:s}", "statecode", 1, "statename", "RUNNING"));
}

static void rpc_get_pid(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_integer((json_int_t)getpid()));
}

/* supervisor.options.readFile: offset < 0 = that many bytes from the end (length must be 0). */
static void rpc_read_file(struct rpc_call *c, const char *path, long long offset, long long length)
{
	struct stat st;
	long long from, n;
	char *buf;
	ssize_t got;
	int fd;

	if ((offset < 0 && length != 0) || (offset >= 0 && length < 0)) {
		rpc_fault(c, RPC_BAD_ARGUMENTS, NULL);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		rpc_fault(c, RPC_FAILED, NULL);
		return;
	}
	if (offset < 0) {
		from = st.st_size + offset;
		if (from < 0)
			from = 0;
		n = -offset;
	} else {
		from = offset;
		n = length == 0 ? st.st_size - from : length;
	}
	if (n > st.st_size - from)
		n = st.st_size - from;
	if (n < 0)
		n = 0;
	if (n > (long long)RPC_READ_MAX)
		n = RPC_READ_MAX;
	buf = malloc((size_t)n + 1);
	got = buf != NULL ? pread(fd, buf, (size_t)n, from) : -1;
	close(fd);
	if (got < 0) {
		free(buf);
		rpc_fault(c, RPC_FAILED, NULL);
		return;
	}
	rpc_return(c, xmlrpc_text(buf, (size_t)got));
	free(buf);
}

static void rpc_read_log(struct rpc_call *c, json_t *params)
{
	const char *path = c->ops->main_log(c->ops->arg);
	long long offset, length;

	if (!rpc_int(params, 0, &offset) || !rpc_int(params, 1, &length)) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (path == NULL || access(path, F_OK) != 0) {
		rpc_fault(c, RPC_NO_FILE, "%s", path != NULL ? path : "None");
		return;
	}
	rpc_read_file(c, path, offset, length);
}

static void rpc_clear_log(struct rpc_call *c, json_t *params)
{
	const char *path = c->ops->main_log(c->ops->arg);

	(void)params;
	if (path == NULL || access(path, F_OK) != 0) {
		rpc_fault(c, RPC_NO_FILE, NULL);
		return;
	}
	if (truncate(path, 0) < 0) {
		rpc_fault(c, RPC_FAILED, NULL);
		return;
	}
	rpc_return(c, json_true());
}

static void rpc_true_after_native(struct rpc_call *c, uint32_t type, json_t *body)
{
	if (type == MSG_ERROR) {
		const char *e = rpc_native_error(body);
		if (strncmp(e, "CANT_REREAD: ", 13) == 0)
			rpc_finish(c, NULL, RPC_CANT_REREAD, e);
		else if (strcmp(e, "already shutting down") == 0)
			rpc_fault(c, RPC_SHUTDOWN_STATE, NULL);
		else
			rpc_fault(c, RPC_FAILED, "%s", e);
		return;
	}
	rpc_return(c, json_true());
}

/* The reply goes out before the daemon starts to stop everything (and may leave at once). */
static void rpc_shutdown(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, json_true());
	c->env->defer(c->env->darg, MSG_SHUTDOWN);
}

static void rpc_restart(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_native(c, MSG_RELOAD, json_object(), rpc_true_after_native);
}

/* ---- supervisor.* : configuration ---- */

static void rpc_reload_config_done(struct rpc_call *c, uint32_t type, json_t *body)
{
	if (type == MSG_ERROR) {
		rpc_finish(c, NULL, RPC_CANT_REREAD, rpc_native_error(body));
		return;
	}
	json_decref(c->env->reread_changed);
	json_decref(c->env->reread_removed);
	c->env->reread_changed = json_copy(json_object_get(body, "changed"));
	c->env->reread_removed = json_copy(json_object_get(body, "removed"));
	rpc_return(c, json_pack("[[O,O,O]]", json_object_get(body, "added"), json_object_get(body, "changed"),
				json_object_get(body, "removed")));
}

static void rpc_reload_config(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_native(c, MSG_REREAD, json_object(), rpc_reload_config_done);
}

static bool rpc_in(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i,
			   v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static void rpc_list_remove(json_t *list, const char *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_is_string(json_array_get(list, i)) &&
		    strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			json_array_remove(list, i--);
}

static void rpc_update_done(struct rpc_call *c, uint32_t type, json_t *body)
{
	if (type == MSG_ERROR) {
		rpc_fault(c, RPC_FAILED, "%s", rpc_native_error(body));
		return;
	}
	rpc_return(c, json_true());
}

static void rpc_group_update(struct rpc_call *c)
{
	rpc_native(c, MSG_UPDATE, json_pack("{s:[s]}", "names", c->name), rpc_update_done);
}

/* addProcessGroup: a group added or changed in the file is brought in (update); one running as
 * configured is ALREADY_ADDED; anything else BAD_NAME. */
static void rpc_add_group_diff(struct rpc_call *c, uint32_t type, json_t *body)
{
	size_t n = 0;
	struct http_proc *members;

	if (type == MSG_ERROR) {
		rpc_finish(c, NULL, RPC_CANT_REREAD, rpc_native_error(body));
		return;
	}
	if (rpc_in(json_object_get(body, "added"), c->name) ||
	    rpc_in(json_object_get(body, "changed"), c->name)) {
		rpc_list_remove(c->env->reread_changed, c->name);
		rpc_group_update(c);
		return;
	}
	members = c->ops->procs(c->ops->arg, c->name, &n);
	if (members != NULL &&
	    (rpc_in(c->env->reread_changed, c->name) || rpc_in(c->env->taken_out, c->name))) {
		/* re-read as changed, and already adopted by an update of another group (which takes the
		 * whole file), or taken out by removeProcessGroup: bring it up as supervisord's new group
		 * would come up */
		rpc_list_remove(c->env->reread_changed, c->name);
		rpc_list_remove(c->env->taken_out, c->name);
		for (size_t i = 0; i < n; i++) {
			const char *why;
			if (members[i].autostart && !rpc_is_running(members[i].state))
				(void)c->ops->act_nowait(c->ops->arg, members[i].fullname, 'b', &why);
		}
		free(members);
		rpc_return(c, json_true());
		return;
	}
	free(members);
	if (members != NULL)
		rpc_fault(c, RPC_ALREADY_ADDED, "%s", c->name);
	else
		rpc_fault(c, RPC_BAD_NAME, "%s", c->name);
}

static void rpc_add_process_group(struct rpc_call *c, json_t *params)
{
	if (rpc_str(params, 0) == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", rpc_str(params, 0));
	rpc_native(c, MSG_REREAD, json_object(), rpc_add_group_diff);
}

/* removeProcessGroup: removed from the file = gone now; changed = replaced at addProcessGroup;
 * unchanged = stays listed (it is still configured). */
static void rpc_remove_group_diff(struct rpc_call *c, uint32_t type, json_t *body)
{
	if (type == MSG_OK && rpc_in(json_object_get(body, "removed"), c->name)) {
		rpc_group_update(c);
		return;
	}
	if (type == MSG_OK && !rpc_in(json_object_get(body, "changed"), c->name) &&
	    !rpc_in(c->env->taken_out, c->name)) {
		if (c->env->taken_out == NULL)
			c->env->taken_out = json_array();
		json_array_append_new(c->env->taken_out, json_string(c->name));
	}
	rpc_return(c, json_true());
}

static void rpc_remove_process_group(struct rpc_call *c, json_t *params)
{
	size_t n = 0;
	struct http_proc *members;

	if (rpc_str(params, 0) == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", rpc_str(params, 0));
	members = c->ops->procs(c->ops->arg, c->name, &n);
	if (members == NULL && rpc_in(c->env->reread_removed, c->name)) {
		rpc_list_remove(c->env->reread_removed, c->name); /* an earlier update took it out */
		rpc_return(c, json_true());
		return;
	}
	if (members == NULL) {
		rpc_fault(c, RPC_BAD_NAME, "%s", c->name);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (members[i].state != 0 && members[i].state != 100 && members[i].state != 200 &&
		    members[i].state != 1000) {
			free(members);
			rpc_fault(c, RPC_STILL_RUNNING, "%s", c->name);
			return;
		}
	free(members);
	rpc_native(c, MSG_REREAD, json_object(), rpc_remove_group_diff);
}

/* ---- supervisor.* : start, stop, signal ---- */

/* One process's native result as supervisord's result struct. */
static json_t *rpc_result(const struct http_proc *p, int code, const char *description)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "name", p->name, "group", p->group, "status", code,
			 "description", description);
}

/* A native result as a fault text: "SPAWN_ERROR: name" (BAD_SIGNAL names the signal). */
static void rpc_result_text(int code, const char *name, const char *sig, char *buf, size_t len)
{
	if (code == RPC_SUCCESS)
		snprintf(buf, len, "OK");
	else
		snprintf(buf, len, "%s: %s", rpc_fault_name(code),
			 code == RPC_BAD_SIGNAL && sig ? sig : name);
}

static const char *rpc_signal_text(json_t *params, size_t i, char *buf, size_t len)
{
	json_t *v = json_array_get(params, i);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
}

/* The one-process methods: the native results of one name. */
static void rpc_single_done(struct rpc_call *c, uint32_t type, json_t *body)
{
	json_t *r = json_array_get(json_object_get(body, "results"), 0);
	const char *status = json_string_value(json_object_get(r, "status"));
	int code;

	if (type == MSG_ERROR) {
		rpc_fault(c, RPC_FAILED, "%s", rpc_native_error(body));
		return;
	}
	code = rpc_status_code(status);
	if (code == RPC_SUCCESS) {
		rpc_return(c, json_true());
		return;
	}
	if (code == RPC_BAD_SIGNAL)
		rpc_fault(c, code, "%s", json_string_value(json_array_get(c->results, 0)));
	else if (json_is_string(json_object_get(r, "why"))) /* NO_FILE, NOT_EXECUTABLE */
		rpc_fault(c, code, "%s", json_string_value(json_object_get(r, "why")));
	else
		rpc_fault(c, code, "%s", c->name);
}

/* The group methods: one result struct per process acted on, in order. */
static void rpc_group_done(struct rpc_call *c, uint32_t type, json_t *body)
{
	json_t *res = json_object_get(body, "results");
	const char *sig = json_string_value(json_array_get(c->results, 0));
	json_t *out = json_array();
	char text[700];

	if (type == MSG_ERROR) {
		json_decref(out);
		rpc_fault(c, RPC_FAILED, "%s", rpc_native_error(body));
		return;
	}
	for (size_t i = 0; i < c->nlist; i++) {
		json_t *r = json_array_get(res, i);
		int code = rpc_status_code(json_string_value(json_object_get(r, "status")));
		rpc_result_text(code, c->list[i].fullname, sig, text, sizeof(text));
		json_array_append_new(out, rpc_result(&c->list[i], code, text));
	}
	rpc_return(c, out);
}

/* Act on c->list: wait = through the native request (held until each got there), else at once. */
static void rpc_group_act(struct rpc_call *c, const char *sig)
{
	json_t *names;
	uint32_t type = c->op == 'b' ? MSG_START : c->op == 'e' ? MSG_STOP : MSG_SIGNAL;

	c->results = json_pack("[s?]", sig); /* the signal as given, for the fault texts */
	if (c->nlist == 0) {
		rpc_return(c, json_array());
		return;
	}
	if (!c->wait && c->op != 's') {
		json_t *out = json_array();
		char text[700];
		for (size_t i = 0; i < c->nlist; i++) {
			const char *why = NULL;
			int code = c->ops->act_nowait(c->ops->arg, c->list[i].fullname, c->op, &why) == 0
				       ? RPC_SUCCESS
				       : rpc_status_code(why);
			rpc_result_text(code, c->list[i].fullname, NULL, text, sizeof(text));
			json_array_append_new(out, rpc_result(&c->list[i], code, text));
		}
		rpc_return(c, out);
		return;
	}
	names = json_array();
	for (size_t i = 0; i < c->nlist; i++)
		json_array_append_new(names, json_string(c->list[i].fullname));
	if (c->op == 's')
		rpc_native(c, type, json_pack("{s:s, s:o}", "signal", sig, "names", names), rpc_group_done);
	else
		rpc_native(c, type, json_pack("{s:o}", "names", names), rpc_group_done);
}

/* startProcessGroup & co: the members (all processes for group NULL) that the predicate picks. */
static void rpc_group_op(struct rpc_call *c, const char *group, int op, bool wait, const char *sig)
{
	struct http_proc *all;
	size_t n = 0, k = 0;

	c->op = op;
	c->wait = wait;
	all = c->ops->procs(c->ops->arg, group, &n);
	if (all == NULL && group != NULL) {
		rpc_fault(c, RPC_BAD_NAME, "%s", group);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool pick = op == 'b'	? !rpc_is_running(all[i].state)
			    : op == 'e' ? rpc_is_running(all[i].state)
					: rpc_is_signallable(all[i].state);
		if (pick)
			all[k++] = all[i];
	}
	c->list = all;
	c->nlist = k;
	rpc_group_act(c, sig);
}

/* The one-process methods; a group name ("g:*") goes to the group method. */
static void rpc_one_op(struct rpc_call *c, json_t *params, int op)
{
	char group[256], pname[256], sigbuf[32];
	const char *name = rpc_str(params, 0), *sig = NULL, *why = NULL;
	struct http_proc p;
	bool whole, wait = true;
	int r;

	if (name == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (op == 's') {
		sig = rpc_signal_text(params, 1, sigbuf, sizeof(sigbuf));
		if (sig == NULL) {
			rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
			return;
		}
	} else
		wait = rpc_wait_param(params, 1);
	snprintf(c->name, sizeof(c->name), "%s", name);
	rpc_split(name, group, sizeof(group), pname, sizeof(pname), &whole);
	if (whole) {
		size_t n = 0;
		struct http_proc *m = c->ops->procs(c->ops->arg, group, &n);
		free(m);
		if (m == NULL) {
			rpc_fault(c, RPC_BAD_NAME, "%s", name);
			return;
		}
		rpc_group_op(c, group, op, wait, sig);
		return;
	}
	if (!c->ops->proc(c->ops->arg, name, &p)) {
		rpc_fault(c, RPC_BAD_NAME, "%s", name);
		return;
	}
	if (op == 'b' && rpc_is_running(p.state)) {
		rpc_fault(c, RPC_ALREADY_STARTED, "%s", name);
		return;
	}
	if (op == 'b' && p.state == 1000) {
		rpc_fault(c, RPC_FAILED, "%s is in an unknown process state", name);
		return;
	}
	if (op == 'e' && !rpc_is_running(p.state)) {
		rpc_fault(c, RPC_NOT_RUNNING, "%s", name);
		return;
	}
	if (op == 's') {
		c->results = json_pack("[s]", sig);
		rpc_native(c, MSG_SIGNAL, json_pack("{s:s, s:[s]}", "signal", sig, "names", p.fullname),
			   rpc_single_done);
		return;
	}
	if (!wait) {
		r = c->ops->act_nowait(c->ops->arg, p.fullname, op, &why);
		if (r == 0)
			rpc_return(c, json_true());
		else
			rpc_fault(c, rpc_status_code(why), "%s", name);
		return;
	}
	rpc_native(c, op == 'b' ? MSG_START : MSG_STOP, json_pack("{s:[s]}", "names", p.fullname),
		   rpc_single_done);
}

static void rpc_start_process(struct rpc_call *c, json_t *params)
{
	rpc_one_op(c, params, 'b');
}

static void rpc_stop_process(struct rpc_call *c, json_t *params)
{
	rpc_one_op(c, params, 'e');
}

static void rpc_signal_process(struct rpc_call *c, json_t *params)
{
	rpc_one_op(c, params, 's');
}

static void rpc_group_method(struct rpc_call *c, json_t *params, int op)
{
	char sigbuf[32];
	const char *name = rpc_str(params, 0), *sig = NULL;

	if (name == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (op == 's' && (sig = rpc_signal_text(params, 1, sigbuf, sizeof(sigbuf))) == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	rpc_group_op(c, name, op, op == 's' || rpc_wait_param(params, 1), sig);
}

static void rpc_start_process_group(struct rpc_call *c, json_t *params)
{
	rpc_group_method(c, params, 'b');
}

static void rpc_stop_process_group(struct rpc_call *c, json_t *params)
{
	rpc_group_method(c, params, 'e');
}

static void rpc_signal_process_group(struct rpc_call *c, json_t *params)
{
	rpc_group_method(c, params, 's');
}

static void rpc_start_all(struct rpc_call *c, json_t *params)
{
	rpc_group_op(c, NULL, 'b', rpc_wait_param(params, 0), NULL);
}

static void rpc_stop_all(struct rpc_call *c, json_t *params)
{
	rpc_group_op(c, NULL, 'e', rpc_wait_param(params, 0), NULL);
}

static void rpc_signal_all(struct rpc_call *c, json_t *params)
{
	char sigbuf[32];
	const char *sig = rpc_signal_text(params, 0, sigbuf, sizeof(sigbuf));

	if (sig == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	rpc_group_op(c, NULL, 's', true, sig);
}

/* ---- supervisor.* : information ---- */

static void rpc_get_process_info(struct rpc_call *c, json_t *params)
{
	const char *name = rpc_str(params, 0);
	json_t *info = name != NULL ? c->ops->process_info(c->ops->arg, name) : NULL;

	if (name == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (info == NULL) {
		rpc_fault(c, RPC_BAD_NAME, "%s", name);
		return;
	}
	rpc_return(c, info);
}

/* getProcessInfo's struct as members, in supervisord's order (m: 14 of them). */
#define RPC_INFO_MEMBERS 14
static void rpc_info_members(const struct http_proc_info *p, struct xmlrpc_member *m)
{
	const struct xmlrpc_member v[RPC_INFO_MEMBERS] = {
	    {"name", p->name, 0},
	    {"group", p->group, 0},
	    {"start", NULL, p->start},
	    {"stop", NULL, p->stop},
	    {"now", NULL, p->now},
	    {"state", NULL, p->state},
	    {"statename", p->statename, 0},
	    {"spawnerr", p->spawnerr, 0},
	    {"exitstatus", NULL, p->exitstatus},
	    {"logfile", p->stdout_logfile, 0},
	    {"stdout_logfile", p->stdout_logfile, 0},
	    {"stderr_logfile", p->stderr_logfile, 0},
	    {"pid", NULL, p->pid},
	    {"description", p->description, 0},
	};

	memcpy(m, v, sizeof(v));
}

/* Every process's struct written straight from the daemon's fields (bench/xmlrpc.sh: no JSON
 * values built and freed for 100 processes); inside a multicall, as JSON values. */
static bool rpc_all_process_info_fast(struct rpc_call *c)
{
	size_t n = 0, len = 0;
	struct http_proc_info *all = c->ops->all_process_info(c->ops->arg, &n);
	struct xmlrpc_member *m = calloc(n * RPC_INFO_MEMBERS + 1, sizeof(*m));
	char *xml = NULL;

	if (m == NULL) {
		free(all);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		rpc_info_members(&all[i], &m[i * RPC_INFO_MEMBERS]);
	if (c->parent != NULL) {
		json_t *out = json_array();
		for (size_t i = 0; i < n * RPC_INFO_MEMBERS; i += RPC_INFO_MEMBERS) {
			json_t *o = json_object();
			for (size_t f = 0; f < RPC_INFO_MEMBERS; f++)
				json_object_set_new(o, m[i + f].name,
						    m[i + f].s != NULL
							? xmlrpc_text(m[i + f].s, strlen(m[i + f].s))
							: json_integer(m[i + f].i));
			json_array_append_new(out, o);
		}
		free(m);
		free(all);
		rpc_return(c, out);
		return true;
	}
	xml = xmlrpc_response_structs(m, RPC_INFO_MEMBERS, n, &len);
	free(m);
	free(all);
	if (xml == NULL)
		return false;
	c->finished = true;
	c->done(c->arg, xml, len);
	return true;
}

static void rpc_get_all_process_info(struct rpc_call *c, json_t *params)
{
	size_t n = 0;
	struct http_proc *all;
	json_t *out;

	(void)params;
	if (c->ops->all_process_info != NULL) {
		if (!rpc_all_process_info_fast(c))
			rpc_fault(c, RPC_FAILED, "out of memory");
		return;
	}
	all = c->ops->procs(c->ops->arg, NULL, &n);
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *info = c->ops->process_info(c->ops->arg, all[i].fullname);
		if (info != NULL)
			json_array_append_new(out, info);
	}
	free(all);
	rpc_return(c, out);
}

static void rpc_get_all_config_info(struct rpc_call *c, json_t *params)
{
	(void)params;
	rpc_return(c, c->ops->config_info(c->ops->arg));
}

/* The log of name for stream (1, 2): 1 with the path, 0 when there is none (fault sent unless tail). */
static int rpc_log(struct rpc_call *c, const char *name, int stream, char *path, size_t len)
{
	int r = name != NULL ? c->ops->log_path(c->ops->arg, name, stream, path, len) : -2;

	if (r == -2)
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
	else if (r < 0)
		rpc_fault(c, RPC_BAD_NAME, "%s", name);
	return r;
}

static void rpc_read_process_log(struct rpc_call *c, json_t *params, int stream)
{
	char path[4096];
	long long offset, length;
	int r = rpc_log(c, rpc_str(params, 0), stream, path, sizeof(path));

	if (r < 0)
		return;
	if (!rpc_int(params, 1, &offset) || !rpc_int(params, 2, &length)) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (r == 0 || access(path, F_OK) != 0) {
		rpc_fault(c, RPC_NO_FILE, "%s", r == 0 ? "None" : path);
		return;
	}
	rpc_read_file(c, path, offset, length);
}

static void rpc_read_stdout(struct rpc_call *c, json_t *params)
{
	rpc_read_process_log(c, params, 1);
}

static void rpc_read_stderr(struct rpc_call *c, json_t *params)
{
	rpc_read_process_log(c, params, 2);
}

/* supervisor.options.tailFile: [text, next offset, overflow]. */
static void rpc_tail_process_log(struct rpc_call *c, json_t *params, int stream)
{
	char path[4096], *buf;
	long long offset, length, sz;
	bool overflow = false;
	struct stat st;
	ssize_t got = 0;
	json_t *text;
	int fd, r = rpc_log(c, rpc_str(params, 0), stream, path, sizeof(path));

	if (r < 0)
		return;
	if (!rpc_int(params, 1, &offset) || !rpc_int(params, 2, &length)) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	fd = r == 1 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		rpc_return(c, json_pack("[s, I, b]", "", (json_int_t)(r == 1 ? offset : 0), 0));
		return;
	}
	sz = st.st_size;
	if (sz > offset + length) {
		overflow = true;
		offset = sz - 1;
	}
	if (offset + length > sz) {
		if (offset > sz - 1)
			length = 0;
		offset = sz - length;
	}
	if (offset < 0)
		offset = 0;
	if (length < 0)
		length = 0;
	if (length > (long long)RPC_READ_MAX)
		length = RPC_READ_MAX;
	buf = malloc((size_t)length + 1);
	if (buf != NULL && length > 0)
		got = pread(fd, buf, (size_t)length, offset);
	close(fd);
	if (got < 0)
		got = 0;
	text = xmlrpc_text(buf != NULL ? buf : "", (size_t)got);
	free(buf);
	rpc_return(c, json_pack("[o, I, b]", text, (json_int_t)sz, overflow));
}

static void rpc_tail_stdout(struct rpc_call *c, json_t *params)
{
	rpc_tail_process_log(c, params, 1);
}

static void rpc_tail_stderr(struct rpc_call *c, json_t *params)
{
	rpc_tail_process_log(c, params, 2);
}

static void rpc_clear_process_logs(struct rpc_call *c, json_t *params)
{
	const char *name = rpc_str(params, 0);
	int r;

	if (name == NULL) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	r = c->ops->clear_logs(c->ops->arg, name);
	if (r == -1)
		rpc_fault(c, RPC_BAD_NAME, "%s", name);
	else if (r < 0)
		rpc_fault(c, RPC_FAILED, "%s", name);
	else
		rpc_return(c, json_true());
}

static void rpc_clear_all_process_logs(struct rpc_call *c, json_t *params)
{
	size_t n = 0;
	struct http_proc *all = c->ops->procs(c->ops->arg, NULL, &n);
	json_t *out = json_array();
	char text[700];

	(void)params;
	for (size_t i = 0; i < n; i++) {
		int r = c->ops->clear_logs(c->ops->arg, all[i].fullname);
		int code = r == 0 ? RPC_SUCCESS : r == -1 ? RPC_BAD_NAME : RPC_FAILED;
		rpc_result_text(code, all[i].fullname, NULL, text, sizeof(text));
		json_array_append_new(out, rpc_result(&all[i], code, text));
	}
	free(all);
	rpc_return(c, out);
}

/* supervisord's sendProcessStdin: chars to the program's stdin pipe. NO_FILE when it closed its
 * stdin; FAILED when more than the daemon queues for a program that does not read (supervisord
 * would buffer without end). */
static void rpc_send_process_stdin(struct rpc_call *c, json_t *params)
{
	const char *name = rpc_str(params, 0), *why = NULL;
	json_t *chars = json_array_get(params, 1);
	struct http_proc p;
	int r;

	if (!json_is_string(chars)) { /* supervisord: the fault names the value, as Python prints it */
		char *v = json_dumps(chars, JSON_ENCODE_ANY | JSON_COMPACT);
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, "%s",
			  json_is_true(chars)	 ? "True"
			  : json_is_false(chars) ? "False"
			  : json_is_null(chars)	 ? "None"
			  : v != NULL		 ? v
						 : "chars");
		free(v);
		return;
	}
	if (name == NULL || !c->ops->proc(c->ops->arg, name, &p)) {
		rpc_fault(c, RPC_BAD_NAME, "%s", name != NULL ? name : "None");
		return;
	}
	if (p.pid == 0 || p.state == 40) {
		rpc_fault(c, RPC_NOT_RUNNING, "%s", name);
		return;
	}
	r = c->ops->send_stdin(c->ops->arg, name, json_string_value(chars), json_string_length(chars), &why);
	if (r == 0)
		rpc_return(c, json_true());
	else if (r == -1)
		rpc_fault(c, RPC_BAD_NAME, "%s", name);
	else if (r == -2)
		rpc_fault(c, RPC_NOT_RUNNING, "%s", name);
	else if (r == -3)
		rpc_fault(c, RPC_NO_FILE, "%s", name);
	else
		rpc_fault(c, RPC_FAILED, "%s: %s", name, why != NULL ? why : "stdin");
}

/* supervisord's sendRemoteCommEvent: a REMOTE_COMMUNICATION event, "type:TYPE\nDATA". */
static void rpc_send_remote_comm_event(struct rpc_call *c, json_t *params)
{
	json_t *type = json_array_get(params, 0), *data = json_array_get(params, 1);

	if (!json_is_string(type) || !json_is_string(data)) {
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		return;
	}
	if (c->ops->remote_event != NULL)
		c->ops->remote_event(c->ops->arg, json_string_value(type), json_string_value(data),
				     json_string_length(data));
	rpc_return(c, json_true());
}

/* ---- system.* ---- */

static void rpc_list_methods(struct rpc_call *c, json_t *params)
{
	json_t *out = json_array();

	(void)params;
	for (const struct rpc_help *h = rpc_help; h->name != NULL; h++)
		json_array_append_new(out, json_string(h->name));
	for (const struct rpc_tv_method *m = rpc_taskvisor; m->name != NULL; m++)
		json_array_append_new(out, json_string(m->name));
	rpc_return(c, out);
}

/* supervisord's methods, then taskvisor.*: the method's help (its signature in *signature). */
static const char *rpc_help_find(const char *name, const char **signature)
{
	const struct rpc_tv_method *m = rpc_taskvisor_find(name);

	for (const struct rpc_help *h = rpc_help; name != NULL && h->name != NULL; h++)
		if (strcmp(h->name, name) == 0) {
			*signature = h->signature;
			return h->help;
		}
	*signature = m != NULL ? m->signature : NULL;
	return m != NULL ? m->help : NULL;
}

static void rpc_method_help(struct rpc_call *c, json_t *params)
{
	const char *sig, *help = rpc_help_find(rpc_str(params, 0), &sig);

	if (help == NULL)
		rpc_fault(c, RPC_SIGNATURE_UNSUPPORTED, NULL);
	else
		rpc_return(c, json_string(help));
}

static void rpc_method_signature(struct rpc_call *c, json_t *params)
{
	const char *sig = NULL, *help = rpc_help_find(rpc_str(params, 0), &sig);
	json_t *out;
	char buf[256], *save = NULL;

	if (help == NULL || sig == NULL || sig[0] == '\0') {
		rpc_fault(c, RPC_SIGNATURE_UNSUPPORTED, NULL);
		return;
	}
	out = json_array();
	snprintf(buf, sizeof(buf), "%s", sig);
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		json_array_append_new(out, json_string(t));
	rpc_return(c, out);
}

static void rpc_dispatch(struct rpc_call *c, const char *method, json_t *params);

/* One sub-call after the other (each from the loop); the results in order. */
static void rpc_multicall_next(struct rpc_call *mc)
{
	json_t *call, *params;
	const char *name;
	struct rpc_call *sub;

	if (mc->mc_i >= json_array_size(mc->calls)) {
		json_t *r = mc->results;
		mc->results = NULL;
		rpc_return(mc, r);
		return;
	}
	call = json_array_get(mc->calls, mc->mc_i++);
	sub = calloc(1, sizeof(*sub));
	if (sub == NULL) {
		rpc_fault(mc, RPC_FAILED, "out of memory");
		return;
	}
	*sub = (struct rpc_call){
	    .env = mc->env, .ops = mc->ops, .role = mc->role, .root = mc->root, .parent = mc};
	sub->snext = mc->root->subs;
	mc->root->subs = sub;
	name = json_string_value(json_object_get(call, "methodName"));
	params = json_object_get(call, "params");
	if (name == NULL) {
		rpc_fault(sub, RPC_INCORRECT_PARAMETERS, "No methodName");
		return;
	}
	if (strcmp(name, "system.multicall") == 0) {
		rpc_fault(sub, RPC_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
		return;
	}
	rpc_dispatch(sub, name, json_is_array(params) ? json_incref(params) : json_array());
}

static void rpc_multicall(struct rpc_call *c, json_t *params)
{
	json_t *calls = json_array_get(params, 0);
	size_t i;
	json_t *v;
	bool ok = json_is_array(calls);

	json_array_foreach(calls, i, v) ok = ok && json_is_object(v);
	if (!ok) { /* supervisord's multi() raises outside its try (AttributeError): HTTP 500 */
		rpc_finish(c, NULL, 0, NULL);
		return;
	}
	c->calls = json_incref(calls);
	c->results = json_array();
	rpc_multicall_next(c);
}

/* ---- the table ---- */

struct rpc_method {
	const char *name;
	void (*fn)(struct rpc_call *c, json_t *params);
	int nmin, nmax; /* parameters (Python's TypeError otherwise) */
	bool admin;	/* changes something: not for read-only peers */
};

static const struct rpc_method rpc_methods[] = {
    {"supervisor.getAPIVersion", rpc_get_api_version, 0, 0, false},
    {"supervisor.getVersion", rpc_get_api_version, 0, 0, false},
    {"supervisor.getSupervisorVersion", rpc_get_supervisor_version, 0, 0, false},
    {"supervisor.getIdentification", rpc_get_identification, 0, 0, false},
    {"supervisor.getState", rpc_get_state, 0, 0, false},
    {"supervisor.getPID", rpc_get_pid, 0, 0, false},
    {"supervisor.readLog", rpc_read_log, 2, 2, false},
    {"supervisor.readMainLog", rpc_read_log, 2, 2, false},
    {"supervisor.clearLog", rpc_clear_log, 0, 0, true},
    {"supervisor.shutdown", rpc_shutdown, 0, 0, true},
    {"supervisor.restart", rpc_restart, 0, 0, true},
    {"supervisor.reloadConfig", rpc_reload_config, 0, 0, false}, /* only reads, as reread */
    {"supervisor.addProcessGroup", rpc_add_process_group, 1, 1, true},
    {"supervisor.removeProcessGroup", rpc_remove_process_group, 1, 1, true},
    {"supervisor.startProcess", rpc_start_process, 1, 2, true},
    {"supervisor.startProcessGroup", rpc_start_process_group, 1, 2, true},
    {"supervisor.startAllProcesses", rpc_start_all, 0, 1, true},
    {"supervisor.stopProcess", rpc_stop_process, 1, 2, true},
    {"supervisor.stopProcessGroup", rpc_stop_process_group, 1, 2, true},
    {"supervisor.stopAllProcesses", rpc_stop_all, 0, 1, true},
    {"supervisor.signalProcess", rpc_signal_process, 2, 2, true},
    {"supervisor.signalProcessGroup", rpc_signal_process_group, 2, 2, true},
    {"supervisor.signalAllProcesses", rpc_signal_all, 1, 1, true},
    {"supervisor.getAllConfigInfo", rpc_get_all_config_info, 0, 0, false},
    {"supervisor.getProcessInfo", rpc_get_process_info, 1, 1, false},
    {"supervisor.getAllProcessInfo", rpc_get_all_process_info, 0, 0, false},
    {"supervisor.readProcessStdoutLog", rpc_read_stdout, 3, 3, false},
    {"supervisor.readProcessLog", rpc_read_stdout, 3, 3, false},
    {"supervisor.readProcessStderrLog", rpc_read_stderr, 3, 3, false},
    {"supervisor.tailProcessStdoutLog", rpc_tail_stdout, 3, 3, false},
    {"supervisor.tailProcessLog", rpc_tail_stdout, 3, 3, false},
    {"supervisor.tailProcessStderrLog", rpc_tail_stderr, 3, 3, false},
    {"supervisor.clearProcessLogs", rpc_clear_process_logs, 1, 1, true},
    {"supervisor.clearProcessLog", rpc_clear_process_logs, 1, 1, true},
    {"supervisor.clearAllProcessLogs", rpc_clear_all_process_logs, 0, 0, true},
    {"supervisor.sendProcessStdin", rpc_send_process_stdin, 2, 2, true},
    {"supervisor.sendRemoteCommEvent", rpc_send_remote_comm_event, 2, 2, true},
    {"system.listMethods", rpc_list_methods, 0, 0, false},
    {"system.methodHelp", rpc_method_help, 1, 1, false},
    {"system.methodSignature", rpc_method_signature, 1, 1, false},
    {"system.multicall", rpc_multicall, 1, 1, false},
};

/* ---- taskvisor.* (rpc_taskvisor.c): one native request each ---- */

static void rpc_tv_done(struct rpc_call *c, uint32_t type, json_t *body)
{
	char text[1100];
	int code;

	if (type == MSG_ERROR) {
		code = rpc_taskvisor_fault(rpc_native_error(body), text, sizeof(text));
		rpc_finish(c, NULL, code, text);
		return;
	}
	rpc_return(c, c->tv->answer(c->tv_params, body));
}

static void rpc_tv_call(struct rpc_call *c, const struct rpc_tv_method *tv, json_t *params)
{
	char text[512];
	int code = RPC_FAILED;
	json_t *req = tv->request(params, &code, text, sizeof(text));

	if (req == NULL) {
		rpc_finish(c, NULL, code, text);
		return;
	}
	c->tv = tv;
	c->tv_params = json_incref(params);
	rpc_native(c, tv->type, req, rpc_tv_done);
}

static void rpc_dispatch(struct rpc_call *c, const char *method, json_t *params)
{
	const struct rpc_method *m = NULL;
	const struct rpc_tv_method *tv = rpc_taskvisor_find(method);

	for (size_t i = 0; i < sizeof(rpc_methods) / sizeof(rpc_methods[0]); i++)
		if (strcmp(rpc_methods[i].name, method) == 0)
			m = &rpc_methods[i];
	if (tv != NULL) {
		if ((int)json_array_size(params) < tv->nmin || (int)json_array_size(params) > tv->nmax)
			rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
		else if (!c->ops->running(c->ops->arg))
			rpc_fault(c, RPC_SHUTDOWN_STATE, NULL);
		else if (tv->admin && c->role < HTTP_ROLE_ADMIN)
			rpc_fault(c, RPC_FAILED, "permission denied (read-only access)");
		else
			rpc_tv_call(c, tv, params);
	} else if (m == NULL)
		rpc_fault(c, RPC_UNKNOWN_METHOD, NULL);
	else if ((int)json_array_size(params) < m->nmin || (int)json_array_size(params) > m->nmax)
		rpc_fault(c, RPC_INCORRECT_PARAMETERS, NULL);
	else if (strncmp(method, "supervisor.", 11) == 0 && !c->ops->running(c->ops->arg))
		rpc_fault(c, RPC_SHUTDOWN_STATE, NULL);
	else if (m->admin && c->role < HTTP_ROLE_ADMIN)
		rpc_fault(c, RPC_FAILED, "permission denied (read-only access)");
	else
		m->fn(c, params);
	json_decref(params);
}

struct rpc_call *rpc_start(struct rpc_env *env, enum http_role role, const char *method, json_t *params,
			   rpc_done_fn *done, void *arg)
{
	struct rpc_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		json_decref(params);
		return NULL;
	}
	c->env = env;
	c->ops = env->ops;
	c->role = role;
	c->done = done;
	c->arg = arg;
	c->root = c;
	ev_init(&c->later, rpc_later_cb);
	c->later.data = c;
	rpc_dispatch(c, method, params);
	return c;
}

static void rpc_free_one(struct rpc_call *c)
{
	json_decref(c->tv_params);
	json_decref(c->results);
	json_decref(c->calls);
	free(c->list);
	free(c);
}

void rpc_free(struct rpc_call *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->ops->loop, &c->later);
	if (c->native != NULL)
		c->ops->call_close(c->native);
	json_decref(c->rbody);
	while (c->subs != NULL) {
		struct rpc_call *s = c->subs;
		c->subs = s->snext;
		rpc_free_one(s);
	}
	rpc_free_one(c);
}
