/*
 * handlers_proc.c — the daemon's answers to process-control requests (the
 * 100 block of proto.h): status, start/stop/restart (held until the process
 * reaches its state), signal, pid, tail (-f streams as the log grows), avail,
 * reread, update, stdin (sendProcessStdin). The whole daemon's (reload, shutdown,
 * ping, version, reopen-logs) are in handlers_daemon.c, `check` in handlers_check.c.
 *
 * It turns names ("web", "grp:web", "grp:*", "all") into processes and
 * sv_result codes into supervisorctl's words; the client only prints them.
 * It never changes a process except through proc.h, and never blocks.
 *
 * A result is {"name", "status", "message"}: status is one of ok,
 * already_started, not_running, no_such_process, no_such_group, spawn_error,
 * bad_signal, abnormal_termination; message is the text after "NAME: "
 * ("started", "ERROR (spawn error)").
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utf8.h"
#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "xmalloc.h"
#include "proc.h"
#include "proto.h"

/* ---- names and results ---- */

static bool proc_is_running(const struct proc *p)
{
	return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF;
}

static json_t *handlers_result(const char *name, const char *status, const char *message)
{
	return json_pack("{s:s, s:s, s:s}", "name", name, "status", status, "message", message);
}

/* The error words for an sv_result, as supervisorctl prints them. */
static void handlers_sv_words(enum sv_result r, const char **status, const char **message)
{
	switch (r) {
	case SV_OK:
		*status = "ok";
		*message = "ok";
		break;
	case SV_ALREADY_STARTED:
		*status = "already_started";
		*message = "ERROR (already started)";
		break;
	case SV_NOT_RUNNING:
		*status = "not_running";
		*message = "ERROR (not running)";
		break;
	case SV_NO_SUCH_PROCESS:
		*status = "no_such_process";
		*message = "ERROR (no such process)";
		break;
	case SV_NO_SUCH_GROUP:
		*status = "no_such_group";
		*message = "ERROR (no such group)";
		break;
	case SV_SPAWN_ERROR:
		*status = "spawn_error";
		*message = "ERROR (spawn error)";
		break;
	case SV_BAD_SIGNAL:
		*status = "bad_signal";
		*message = "ERROR (bad signal name)";
		break;
	case SV_NO_FILE: /* proc_start: the command is not found */
		*status = "no_file";
		*message = "ERROR (no such file)";
		break;
	case SV_NOT_EXECUTABLE:
		*status = "not_executable";
		*message = "ERROR (file is not executable)";
		break;
	case SV_STILL_RUNNING:
		*status = "still_running";
		*message = "ERROR (still running)";
		break;
	default:
		*status = "failed";
		*message = "ERROR (failed)";
		break;
	}
}

/* The strings of req[key] (an array), NULL-terminated, borrowed from req. */
static const char **handlers_names(json_t *req, const char *key, size_t *n)
{
	json_t *arr = json_object_get(req, key), *v;
	const char **names;
	size_t i, k = 0;

	names = calloc((json_is_array(arr) ? json_array_size(arr) : 0) + 1, sizeof(*names));
	if (names == NULL)
		return NULL;
	if (json_is_array(arr))
		json_array_foreach(arr, i, v) if (json_is_string(v)) names[k++] = json_string_value(v);
	*n = k;
	return names;
}

static bool handlers_has_all(const char **names)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], "all") == 0)
			return true;
	return false;
}

/* "grp:*" or "grp:" names a group: copy its name to buf and return true. */
static bool handlers_group_spec(const char *name, char *buf, size_t len)
{
	const char *colon = strchr(name, ':');
	size_t n = strlen(name);

	if (colon == NULL || !(colon[1] == '\0' || strcmp(colon + 1, "*") == 0))
		return false;
	(void)n;
	snprintf(buf, len, "%.*s", (int)(colon - name), name);
	return true;
}

/* ---- status, pid ---- */

static json_t *handlers_proc_json(const struct proc *p, time_t now)
{
	char desc[512];
	json_t *o;

	proc_describe(p, now, desc, sizeof(desc));
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:s, s:i, s:b, s:i, s:s, s:s}", "name",
		      p->name, "group", p->group, "fullname", p->fullname, "statename",
		      proc_state_name(p->state), "state", (int)p->state, "pid", (json_int_t)p->pid, "start",
		      (json_int_t)p->start_time, "stop", (json_int_t)p->stop_time, "now", (json_int_t)now,
		      "description", desc, "restarts", (int)p->restarts, "oom_killed", p->oom_killed,
		      "oom_kills", (int)p->oom_kills, "spawnerr", p->spawn_err, "status_text",
		      p->status_text);
	if (o != NULL) { /* crash loops and restart_cron (README "Crash loops and stuck tasks") */
		time_t next = proc_next_cron(p);
		json_object_set_new(o, "last_restart",
				    p->last_restart != 0 ? json_integer((json_int_t)p->last_restart)
							 : json_null());
		json_object_set_new(o, "last_cause", json_string(p->last_cause));
		json_object_set_new(o, "next_restart",
				    next != 0 ? json_integer((json_int_t)next) : json_null());
	}
	if (o != NULL && p->exited_once) {
		if (WIFEXITED(p->last_wstatus))
			json_object_set_new(o, "exitstatus", json_integer(WEXITSTATUS(p->last_wstatus)));
		else if (WIFSIGNALED(p->last_wstatus))
			json_object_set_new(o, "signal", json_integer(WTERMSIG(p->last_wstatus)));
	}
	return o;
}

/* "memory": true (the web page) adds each process's memory in bytes (proc_memory, measured for all
 * at once: one pass over /proc), null when unknown; without it nothing is read. mem: NULL or the
 * memory of procs[i] at i. */
static json_t *handlers_status_proc(const struct proc *p, time_t now, const long long *mem, size_t i)
{
	json_t *o = handlers_proc_json(p, now);

	if (o != NULL && mem != NULL)
		json_object_set_new(o, "memory",
				    mem[i] >= 0 ? json_integer((json_int_t)mem[i]) : json_null());
	return o;
}

/* {"names": [...], "memory": bool} -> {"processes": [proc...], "errors": [{"name","message"}]}.
 * Matching is supervisorctl's: "g:*" a group, "g:n" one process, "n" = "n:n". */
static void handlers_status(struct daemon *d, struct conn *c, json_t *req)
{
	size_t nn, np;
	const char **names = handlers_names(req, "names", &nn);
	struct proc **procs = sv_procs(d->sv, &np);
	json_t *out = json_array(), *errs = json_array();
	time_t now = time(NULL);
	long long *mem = NULL;

	if (names == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	if (json_is_true(json_object_get(req, "memory")) &&
	    (mem = calloc(np > 0 ? np : 1, sizeof(*mem))) != NULL)
		proc_memory_many(procs, np, mem);
	if (nn == 0 || handlers_has_all(names)) {
		for (size_t i = 0; i < np; i++)
			json_array_append_new(out, handlers_status_proc(procs[i], now, mem, i));
	} else {
		for (size_t k = 0; k < nn; k++) {
			char group[256], pname[256];
			const char *colon = strchr(names[k], ':');
			bool whole_group = false, found = false;

			if (colon == NULL) {
				snprintf(group, sizeof(group), "%s", names[k]);
				snprintf(pname, sizeof(pname), "%s", names[k]);
			} else {
				snprintf(group, sizeof(group), "%.*s", (int)(colon - names[k]), names[k]);
				snprintf(pname, sizeof(pname), "%s", colon + 1);
				whole_group = pname[0] == '\0' || strcmp(pname, "*") == 0;
			}
			for (size_t i = 0; i < np; i++) {
				if (strcmp(procs[i]->group, group) != 0)
					continue;
				if (!whole_group && strcmp(procs[i]->name, pname) != 0)
					continue;
				found = true;
				json_array_append_new(out, handlers_status_proc(procs[i], now, mem, i));
			}
			if (!found) {
				char msg[600];
				if (whole_group)
					snprintf(msg, sizeof(msg), "%s: ERROR (no such group)", group);
				else
					snprintf(msg, sizeof(msg), "%s: ERROR (no such process)", names[k]);
				json_array_append_new(
				    errs, json_pack("{s:s, s:s}", "name", names[k], "message", msg));
			}
		}
	}
	free(names);
	free(mem);
	conn_reply_ok(c, json_pack("{s:o, s:o}", "processes", out, "errors", errs));
}

/* {} -> {"pid": daemon pid}; {"names": [...]} -> {"processes": [{"name","pid"} | {"name","error"}]} */
static void handlers_pid(struct daemon *d, struct conn *c, json_t *req)
{
	size_t nn, np;
	const char **names = handlers_names(req, "names", &nn);
	json_t *out;

	if (names == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	if (nn == 0) {
		free(names);
		conn_reply_ok(c, json_pack("{s:I}", "pid", (json_int_t)getpid()));
		return;
	}
	out = json_array();
	if (handlers_has_all(names)) {
		struct proc **procs = sv_procs(d->sv, &np);
		for (size_t i = 0; i < np; i++)
			json_array_append_new(out, json_pack("{s:s, s:I}", "name", procs[i]->fullname, "pid",
							     (json_int_t)procs[i]->pid));
	} else {
		for (size_t k = 0; k < nn; k++) {
			struct proc *p = sv_find(d->sv, names[k]);
			if (p == NULL)
				json_array_append_new(out, json_pack("{s:s, s:s}", "name", names[k], "error",
								     "no_such_process"));
			else
				json_array_append_new(out, json_pack("{s:s, s:I}", "name", p->fullname, "pid",
								     (json_int_t)p->pid));
		}
	}
	free(names);
	conn_reply_ok(c, json_pack("{s:o}", "processes", out));
}

/* ---- start, stop, restart: held until every process got where it was sent ---- */

/*
 * A restart stops every named process, then starts them again. Worker programs (a process of
 * theirs said WORKER_HELLO) are left out of both phases and restarted after them one at a
 * time, each drained, stopped and started before the next is touched (WAIT_ROLL): the queue
 * keeps being served while a deploy restarts its workers (README "Draining workers").
 */
enum wait_phase { WAIT_STOP, WAIT_START, WAIT_ROLL };

struct proc_wait_item {
	struct proc *p;
	size_t slot;	       /* index in results */
	bool waiting;	       /* still waiting for a state */
	enum wait_phase phase; /* what it waits for: WAIT_STOP or WAIT_START */
};

struct proc_wait {
	struct proc_wait *next;
	struct daemon *d;
	struct conn *c;
	json_t *names;	 /* the request's names (restart starts them again) */
	json_t *results; /* in supervisorctl's order; waiting slots are filled later */
	bool restart;	 /* stop phase, then a start phase */
	enum wait_phase phase;
	struct proc_wait_item *items;
	size_t nitems, cap, npending;
	ev_timer later;	    /* restart: the start phase runs from the loop, not inside a state hook */
	char by[160];	    /* the operator's command, for steps a drained worker loses */
	struct proc **roll; /* restart: the worker processes, restarted one by one at the end */
	size_t nroll, roll_i;
	bool roll_started; /* roll[roll_i] was stopped: start it next */
};

static void handlers_wait_item_add(struct proc_wait *w, struct proc *p, json_t *result, bool waiting)
{
	if (w->nitems == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct proc_wait_item *ni = xreallocarray(w->items, ncap, sizeof(*ni));
		w->items = ni;
		w->cap = ncap;
	}
	w->items[w->nitems].p = p;
	w->items[w->nitems].slot = json_array_size(w->results);
	w->items[w->nitems].waiting = waiting;
	w->items[w->nitems].phase = w->phase;
	w->nitems++;
	if (waiting)
		w->npending++;
	json_array_append_new(w->results, result);
}

/* Has p reached where this phase sent it? Fills the result when it has. */
static bool handlers_wait_check(struct proc_wait *w, struct proc_wait_item *it, enum proc_state st)
{
	const char *status = NULL, *message = NULL;

	if (it->phase == WAIT_START) {
		if (st == PROC_RUNNING) {
			status = "ok";
			message = "started";
		} else if (st == PROC_BACKOFF || st == PROC_FATAL || st == PROC_EXITED ||
			   st == PROC_STOPPED) {
			status = "spawn_error";
			message = "ERROR (spawn error)";
		} else if (st == PROC_STOPPING || st == PROC_UNKNOWN) {
			status = "abnormal_termination";
			message = "ERROR (abnormal termination)";
		}
	} else if (st == PROC_STOPPED || st == PROC_EXITED || st == PROC_FATAL) {
		status = "ok";
		message = "stopped";
	}
	if (status == NULL)
		return false;
	json_array_set_new(w->results, it->slot, handlers_result(it->p->fullname, status, message));
	it->waiting = false;
	w->npending--;
	return true;
}

static void handlers_wait_phase(struct proc_wait *w);

/* Send the reply, unlink and free w. */
static void handlers_wait_finish(struct proc_wait *w)
{
	struct proc_wait **pp;

	for (pp = &w->d->waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	ev_timer_stop(w->d->loop, &w->later);
	conn_reply_ok(w->c, json_pack("{s:O}", "results", w->results));
	conn_release(w->c);
	json_decref(w->results);
	json_decref(w->names);
	free(w->items);
	free(w->roll);
	free(w);
}

static void handlers_wait_start_phase(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct proc_wait *w = t->data;

	(void)loop;
	(void)revents;
	handlers_wait_phase(w);
}

static void handlers_roll_step(struct ev_loop *loop, ev_timer *t, int revents);

/* A phase ended: a restart goes on to start (from the loop), then restarts its workers one by
 * one (WAIT_ROLL); anything else replies. */
static void handlers_wait_next(struct proc_wait *w)
{
	if (w->npending > 0)
		return;
	if (w->restart && w->phase == WAIT_STOP) {
		w->phase = WAIT_START;
		w->nitems = 0;
		w->npending = 1; /* nothing settles or finishes until the phase has run */
		ev_timer_init(&w->later, handlers_wait_start_phase, 0., 0.);
		w->later.data = w;
		ev_timer_start(w->d->loop, &w->later);
		return;
	}
	if (w->roll_i < w->nroll) {
		w->phase = WAIT_ROLL;
		w->nitems = 0;
		w->npending = 1;
		ev_timer_init(&w->later, handlers_roll_step, 0., 0.);
		w->later.data = w;
		ev_timer_start(w->d->loop, &w->later);
		return;
	}
	handlers_wait_finish(w);
}

/* A worker program's process (drained before it stops): a restart rolls it. */
static bool handlers_is_worker(struct proc_wait *w, const struct proc *p)
{
	return w->d->engine != NULL && engine_worker_seen(w->d->engine, p->fullname) &&
	       (p->state == PROC_STARTING || p->state == PROC_RUNNING);
}

static bool handlers_in_roll(const struct proc_wait *w, const struct proc *p)
{
	for (size_t i = 0; i < w->nroll; i++)
		if (w->roll[i] == p)
			return true;
	return false;
}

/* Start or stop p (phase) and wait for its state; report an immediate error. */
static void handlers_wait_act(struct proc_wait *w, struct proc *p, enum wait_phase phase)
{
	const char *status, *message;
	enum sv_result r;
	size_t idx;

	handlers_wait_item_add(w, p, json_null(), true);
	idx = w->nitems - 1;
	w->items[idx].phase = phase;
	r = phase == WAIT_START ? proc_start(p) : proc_stop_by(p, w->by);
	if (!w->items[idx].waiting)
		return; /* a hook already settled it */
	if (r == SV_OK) {
		handlers_wait_check(w, &w->items[idx], p->state);
		return;
	}
	handlers_sv_words(r, &status, &message);
	json_t *res = handlers_result(p->fullname, status, message);
	if (r == SV_NO_FILE || r == SV_NOT_EXECUTABLE) /* the XML-RPC fault's text */
		json_object_set_new(res, "why", json_string(p->start_refused));
	json_array_set_new(w->results, w->items[idx].slot, res);
	w->items[idx].waiting = false;
	w->npending--;
}

/* Act on one process for this phase. explicit: named directly (errors are reported). */
static void handlers_wait_one(struct proc_wait *w, struct proc *p, bool explicit)
{
	if (w->restart && w->phase == WAIT_STOP && handlers_is_worker(w, p)) {
		if (!handlers_in_roll(w, p)) {
			w->roll = xreallocarray(w->roll, w->nroll + 1, sizeof(*w->roll));
			w->roll[w->nroll++] = p;
		}
		return; /* restarted alone, after the others (handlers_roll_step) */
	}
	if (w->phase == WAIT_START && handlers_in_roll(w, p))
		return;
	if (!explicit && (w->phase == WAIT_START) == proc_is_running(p))
		return; /* "all" and "grp:*" only touch those that need it, as supervisord does */
	handlers_wait_act(w, p, w->phase);
}

/* The next move of a rolling restart: stop the current worker (it drains), or start it again
 * once stopped; the next worker waits until this one is RUNNING (or failed to start). */
static void handlers_roll_step(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct proc_wait *w = t->data;
	struct proc *p = w->roll[w->roll_i];

	(void)loop;
	(void)revents;
	w->npending = 1; /* held while acting */
	if (!w->roll_started) {
		w->roll_started = true;
		log_info("%s: rolling restart (%zu of %zu): drain and stop", p->fullname, w->roll_i + 1,
			 w->nroll);
		handlers_wait_act(w, p, WAIT_STOP);
	} else {
		w->roll_started = false;
		w->roll_i++;
		handlers_wait_act(w, p, WAIT_START);
	}
	w->npending--;
	handlers_wait_next(w);
}

/* Start (or stop) every name of the request; results in request order. */
static void handlers_wait_phase(struct proc_wait *w)
{
	struct supervisor *sv = w->d->sv;
	size_t i, np;
	json_t *v;

	if (w->phase == WAIT_START && w->restart)
		w->npending = 0; /* drop the hold set when the stop phase ended */
	w->npending++;		 /* hold the phase open while we walk the names */
	json_array_foreach(w->names, i, v)
	{
		const char *name = json_string_value(v);
		char group[256];

		if (name == NULL)
			continue;
		if (strcmp(name, "all") == 0) {
			struct proc **procs = sv_procs(sv, &np);
			struct proc **copy = xreallocarray(NULL, np + 1, sizeof(*copy));
			memcpy(copy, procs, np * sizeof(*copy));
			for (size_t k = 0; k < np; k++)
				handlers_wait_one(w, copy[k], false);
			free(copy);
		} else if (handlers_group_spec(name, group, sizeof(group))) {
			struct proc **members = sv_group(sv, group, &np);
			if (members == NULL || np == 0) {
				json_array_append_new(w->results, handlers_result(group, "no_such_group",
										  "ERROR (no such group)"));
				continue;
			}
			struct proc **copy = xreallocarray(NULL, np + 1, sizeof(*copy));
			memcpy(copy, members, np * sizeof(*copy));
			for (size_t k = 0; k < np; k++)
				handlers_wait_one(w, copy[k], false);
			free(copy);
		} else {
			struct proc *p = sv_find(sv, name);
			if (p == NULL)
				json_array_append_new(w->results, handlers_result(name, "no_such_process",
										  "ERROR (no such process)"));
			else
				handlers_wait_one(w, p, true);
		}
	}
	w->npending--;
	handlers_wait_next(w);
}

static void handlers_startstop(struct daemon *d, struct conn *c, json_t *req, enum wait_phase phase,
			       bool restart)
{
	json_t *names = json_object_get(req, "names");
	struct proc_wait *w;

	if (!json_is_array(names) || json_array_size(names) == 0) {
		conn_reply_error(c, 2, "a process name is required");
		return;
	}
	if (d->shutting_down) {
		conn_reply_error(c, 1, "shutting down");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	w->d = d;
	w->c = c;
	conn_hold(c);
	w->names = json_incref(names);
	w->results = json_array();
	w->restart = restart;
	w->phase = phase;
	{ /* "restart exec-worker:*": named in the cause of steps a drained worker loses */
		size_t i, len;
		json_t *v;

		snprintf(w->by, sizeof(w->by), "%s",
			 restart	       ? "restart"
			 : phase == WAIT_START ? "start"
					       : "stop");
		json_array_foreach(names, i, v)
		{
			len = strlen(w->by);
			if (json_is_string(v))
				snprintf(w->by + len, sizeof(w->by) - len, " %s", json_string_value(v));
		}
	}
	w->next = d->waits;
	d->waits = w;
	handlers_wait_phase(w);
}

static void handlers_start(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_startstop(d, c, req, WAIT_START, false);
}

static void handlers_stop(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_startstop(d, c, req, WAIT_STOP, false);
}

static void handlers_restart(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_startstop(d, c, req, WAIT_STOP, true);
}

void handlers_proc_state(struct daemon *d, struct proc *p, int from, int to)
{
	struct proc_wait *w;

	(void)from;
	(void)to; /* p->state is newer when hooks nested; judge by it */
		  /*
		   * Finishing a wait (or a restart going on to start) can run hooks again and
		   * free other waits, so walk again from the head after each hit; every hit
		   * settles an item for good, so this ends. Inside a phase walk npending is
		   * held above zero, so no wait finishes before all its names were acted on.
		   */
again:
	for (w = d->waits; w != NULL; w = w->next) {
		bool hit = false;
		for (size_t i = 0; i < w->nitems; i++)
			if (w->items[i].waiting && w->items[i].p == p &&
			    handlers_wait_check(w, &w->items[i], p->state))
				hit = true;
		if (hit) {
			handlers_wait_next(w);
			goto again;
		}
	}
}

void handlers_proc_abort(struct daemon *d)
{
	while (d->waits != NULL) {
		struct proc_wait *w = d->waits;
		for (size_t i = 0; i < w->nitems; i++)
			if (w->items[i].waiting)
				json_array_set_new(w->results, w->items[i].slot,
						   handlers_result(w->items[i].p->fullname,
								   "abnormal_termination",
								   "ERROR (abnormal termination)"));
		w->npending = 0;
		w->restart = false;
		w->nitems = 0;
		handlers_wait_finish(w);
	}
}

/* ---- signal ---- */

static int handlers_signal_parse(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
	    {"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT},   {"KILL", SIGKILL},
	    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},   {"STOP", SIGSTOP},
	    {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}, {"TSTP", SIGTSTP},
	    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"ABRT", SIGABRT},   {"PIPE", SIGPIPE},
	};
	char *end;
	long n;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && n > 0 && n < NSIG)
		return (int)n;
	return -1;
}

static void handlers_signal_one(json_t *results, struct proc *p, void *arg)
{
	int sig = *(const int *)arg;

	const char *status, *message;
	enum sv_result r = sig < 0 ? SV_BAD_SIGNAL : proc_signal(p, sig);

	handlers_sv_words(r, &status, &message);
	json_array_append_new(results,
			      handlers_result(p->fullname, status, r == SV_OK ? "signalled" : message));
}

/*
 * The processes req's "names" name, as supervisord resolves them: "all", a process, and where
 * groups is set "grp:*" or a group's name. fn(results, p, arg) for each (in "all" and in a group
 * only the running ones when running_only); an unknown name is its own result. Replies
 * {"results": [...]}; no names at all: `missing`, exit code 2.
 */
static void handlers_each_named(struct daemon *d, struct conn *c, json_t *req, const char *missing,
				bool groups, bool running_only,
				void (*fn)(json_t *results, struct proc *p, void *arg), void *arg)
{
	json_t *names = json_object_get(req, "names"), *v, *results;
	size_t i, np;

	if (!json_is_array(names) || json_array_size(names) == 0) {
		conn_reply_error(c, 2, "%s", missing);
		return;
	}
	results = json_array();
	json_array_foreach(names, i, v)
	{
		const char *name = json_string_value(v);
		char group[256];
		struct proc **procs, *p;

		if (name == NULL)
			continue;
		if (strcmp(name, "all") == 0 || (groups && handlers_group_spec(name, group, sizeof(group)))) {
			procs = strcmp(name, "all") == 0 ? sv_procs(d->sv, &np) : sv_group(d->sv, group, &np);
			if ((procs == NULL || np == 0) && strcmp(name, "all") != 0)
				json_array_append_new(results, handlers_result(group, "no_such_group",
									       "ERROR (no such group)"));
			for (size_t k = 0; procs != NULL && k < np; k++)
				if (!running_only || proc_is_running(procs[k]))
					fn(results, procs[k], arg);
			continue;
		}
		p = !groups && strchr(name, '*') != NULL ? NULL : sv_find(d->sv, name);
		if (p == NULL)
			json_array_append_new(
			    results, handlers_result(name, "no_such_process", "ERROR (no such process)"));
		else
			fn(results, p, arg);
	}
	conn_reply_ok(c, json_pack("{s:o}", "results", results));
}

/* {"signal": "HUP", "names": [...]} -> {"results": [...]} */
static void handlers_signal(struct daemon *d, struct conn *c, json_t *req)
{
	const char *signame = json_string_value(json_object_get(req, "signal"));
	int sig = signame != NULL ? handlers_signal_parse(signame) : -1;

	handlers_each_named(d, c, req, "a signal name and a process name are required", true, true,
			    handlers_signal_one, &sig);
}

/* ---- tail ---- */

struct proc_tail {
	struct daemon *d;
	struct conn *c;
	char *path;
	off_t offset; /* bytes already sent */
	ev_stat st;
};

/* At most this much of a log per reply (JSON escaping may grow it 6 times: far below a frame). */
#define TAIL_MAX (1 << 20)

/*
 * A log's bytes as a JSON string: a program may write anything, and JSON text is UTF-8, so an
 * invalid byte becomes U+FFFD. With more to come (partial), a sequence cut short by the end is
 * left for the next read; *used says how many bytes were taken.
 */
static json_t *handlers_log_text(const char *buf, size_t n, bool partial, size_t *used)
{
	const unsigned char *p = (const unsigned char *)buf;
	char *out = malloc(n * 3 + 1);
	size_t i = 0, o = 0;
	json_t *s;

	if (out == NULL) {
		*used = n;
		return json_string("");
	}
	while (i < n) {
		int len = utf8_len(p + i, n - i);

		if (len < 0 && partial)
			break;
		if (len <= 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, (size_t)len);
		o += (size_t)len;
		i += (size_t)len;
	}
	*used = i;
	s = json_stringn(out, o);
	free(out);
	return s != NULL ? s : json_string("");
}

/* Send what was appended to the file since the last time (from 0 if it shrank: rotated). A follower
 * more than TAIL_MAX behind skips to the last TAIL_MAX bytes, and is told so. */
static void handlers_tail_pump(struct proc_tail *t)
{
	char buf[65536];
	struct stat sb;
	int fd;

	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0) {
		if (sb.st_size < t->offset)
			t->offset = 0;
		if (sb.st_size - t->offset > TAIL_MAX) {
			char note[96];

			snprintf(note, sizeof(note), "\n[taskvisord: %lld bytes of the log skipped]\n",
				 (long long)(sb.st_size - TAIL_MAX - t->offset));
			conn_send_data(t->c, json_pack("{s:s}", "text", note));
			t->offset = sb.st_size - TAIL_MAX;
		}
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), t->offset);
		size_t used;
		json_t *text;

		if (n <= 0)
			break;
		text = handlers_log_text(buf, (size_t)n, true, &used);
		if (used == 0 && n < 4) { /* a character cut short: its end comes with the next write */
			json_decref(text);
			break;
		}
		if (used == 0)
			used = (size_t)n;
		t->offset += (off_t)used;
		conn_send_data(t->c, json_pack("{s:o}", "text", text));
		if (conn_closed(t->c) || (size_t)n < sizeof(buf))
			break;
	}
	close(fd);
}

static void handlers_tail_changed(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop;
	(void)revents;
	handlers_tail_pump(w->data);
}

static void handlers_tail_closed(void *arg, struct conn *c)
{
	struct proc_tail *t = arg;

	ev_stat_stop(t->d->loop, &t->st);
	free(t->path);
	free(t);
	conn_release(c);
}

/* The last `bytes` of path as a JSON string (an absent file reads as ""); its size in *size. */
static json_t *handlers_tail_read(const char *path, long long bytes, off_t *size)
{
	struct stat sb;
	char *buf;
	json_t *s;
	ssize_t n;
	off_t from;
	size_t used;
	int fd;

	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		return json_string("");
	}
	if (bytes > TAIL_MAX)
		bytes = TAIL_MAX;
	from = sb.st_size > bytes ? sb.st_size - bytes : 0;
	buf = malloc((size_t)(sb.st_size - from) + 1);
	if (buf == NULL) {
		close(fd);
		return json_string("");
	}
	n = pread(fd, buf, (size_t)(sb.st_size - from), from);
	close(fd);
	if (n < 0)
		n = 0;
	*size = from + n;
	s = handlers_log_text(buf, (size_t)n, false, &used);
	free(buf);
	return s;
}

static void handlers_tail_file(struct daemon *d, struct conn *c, const char *path, long long bytes,
			       bool follow);

/* {"name", "stream": "stdout|stderr", "bytes": 1600, "follow": false}
 *   -> {"text"}; with follow: DATA {"text"} now and whenever the log grows, until the client leaves. */
static void handlers_tail(struct daemon *d, struct conn *c, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	const char *stream = json_string_value(json_object_get(req, "stream"));
	json_t *jb = json_object_get(req, "bytes");
	long long bytes = json_is_integer(jb) ? json_integer_value(jb) : 1600;
	bool follow = json_is_true(json_object_get(req, "follow"));
	const char *path;
	struct proc *p;

	if (name == NULL) {
		conn_reply_error(c, 2, "tail requires process name");
		return;
	}
	p = sv_find(d->sv, name);
	if (p == NULL) {
		conn_reply_error(c, 1, "no such process name");
		return;
	}
	if (stream != NULL && strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0) {
		conn_reply_error(c, 2, "bad channel '%s'", stream);
		return;
	}
	path = proc_log_path(p, stream != NULL && strcmp(stream, "stderr") == 0 ? 2 : 1);
	handlers_tail_file(d, c, path, bytes, follow);
}

/* The last bytes of path as the reply, or with follow as DATA now and whenever it grows. */
static void handlers_tail_file(struct daemon *d, struct conn *c, const char *path, long long bytes,
			       bool follow)
{
	struct proc_tail *t;
	json_t *text;
	off_t size;

	if (path == NULL) {
		conn_reply_error(c, 1, "no log file");
		return;
	}
	if (bytes < 0)
		bytes = 0;
	text = handlers_tail_read(path, bytes, &size);
	if (!follow) {
		conn_reply_ok(c, json_pack("{s:o}", "text", text));
		return;
	}
	if (conn_watched(c)) { /* one follower per connection: a second would orphan the first */
		json_decref(text);
		conn_reply_error(c, 1, "this connection already follows (one tail -f per connection)");
		return;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->path = strdup(path)) == NULL) {
		free(t);
		json_decref(text);
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	t->d = d;
	t->c = c;
	t->offset = size;
	conn_hold(c);
	conn_on_close(c, handlers_tail_closed, t);
	conn_send_data(c, json_pack("{s:o}", "text", text));
	/* inotify where libev has it; a 0.5 s stat as the fallback. */
	ev_stat_init(&t->st, handlers_tail_changed, t->path, 0.5);
	t->st.data = t;
	ev_stat_start(d->loop, &t->st);
}

/* {"bytes": 1600, "follow": false} -> {"text"}: the daemon's own log file ([taskvisord] logfile),
 * as tail does a program's; "no log file" when the daemon logs to stderr. */
static void handlers_maintail(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *jb = json_object_get(req, "bytes");

	handlers_tail_file(d, c, d->conf->logfile, json_is_integer(jb) ? json_integer_value(jb) : 1600,
			   json_is_true(json_object_get(req, "follow")));
}

/* ---- clear ---- */

static void handlers_clear_one(json_t *results, struct proc *p, void *arg)
{
	(void)arg;

	const char *status, *message;
	enum sv_result r = proc_clear_logs(p);

	handlers_sv_words(r, &status, &message);
	json_array_append_new(results,
			      handlers_result(p->fullname, status, r == SV_OK ? "cleared" : message));
}

/* {"names": [NAME...|"all"]} -> {"results": [...]}: each process's stdout and stderr logs emptied
 * ("cleared"). As supervisord's clearProcessLogs, a name is one process ("grp:*" is not). */
static void handlers_clear(struct daemon *d, struct conn *c, json_t *req)
{
	handlers_each_named(d, c, req, "clear requires a process name", false, false, handlers_clear_one,
			    NULL);
}

/* ---- stdin ---- */

/* {"name", "chars"} -> {}: chars to the program's stdin (supervisord's sendProcessStdin, its
 * fault words). Never blocks: proc_send_stdin queues what the pipe does not take, up to a cap. */
static void handlers_stdin(struct daemon *d, struct conn *c, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	json_t *jc = json_object_get(req, "chars");
	struct proc *p;

	if (name == NULL || !json_is_string(jc)) {
		conn_reply_error(c, 2, "INCORRECT_PARAMETERS: %s", name == NULL ? "name" : "chars");
		return;
	}
	p = strchr(name, '*') != NULL ? NULL : sv_find(d->sv, name);
	if (p == NULL) {
		conn_reply_error(c, 1, "BAD_NAME: %s", name);
		return;
	}
	switch (proc_send_stdin(p, json_string_value(jc), json_string_length(jc))) {
	case SV_OK:
		conn_reply_ok(c, json_object());
		break;
	case SV_NOT_RUNNING:
		conn_reply_error(c, 3, "NOT_RUNNING: %s", name);
		break;
	case SV_NO_FILE:
		conn_reply_error(c, 1, "NO_FILE: %s", name);
		break;
	case SV_STDIN_FULL:
		conn_reply_error(c, 1,
				 "FAILED: %s: stdin full (at most %d bytes may wait for the program to "
				 "read): nothing sent",
				 name, PROC_STDIN_CAP);
		break;
	default:
		conn_reply_error(c, 1, "FAILED: %s: stdin: %s", name, strerror(errno));
		break;
	}
}

/* ---- configuration: avail, reread, update, reload ---- */

static struct conf *handlers_conf_load(struct daemon *d, struct conn *c)
{
	char err[1024];
	struct conf *nc = conf_load(d->conf_path, err, sizeof(err));

	if (nc == NULL)
		conn_reply_error(c, 1, "CANT_REREAD: %s", err);
	return nc;
}

static int handlers_avail_cmp(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	return strcmp(json_string_value(json_object_get(*x, "name")),
		      json_string_value(json_object_get(*y, "name")));
}

/* {} -> {"programs": [{"name","group","in_use","autostart","group_priority","priority"}]} (config on disk) */
static void handlers_avail(struct daemon *d, struct conn *c, json_t *req)
{
	char err[1024];
	struct conf *nc = conf_load(d->conf_path, err, sizeof(err));
	const struct conf *cf = nc != NULL ? nc : d->conf;
	json_t **rows, *out = json_array();
	size_t nrows = 0, total = 0;

	(void)req;
	for (size_t i = 0; i < cf->nprograms; i++)
		total += cf->programs[i].nprocs;
	rows = calloc(total + 1, sizeof(*rows));
	for (size_t i = 0; rows != NULL && i < cf->nprograms; i++) {
		const struct conf_program *pg = &cf->programs[i];
		int gprio = pg->listener ? pg->pool_priority : pg->priority; /* [eventlistener:x] */
		for (size_t g = 0; g < cf->ngroups; g++)
			if (strcmp(cf->groups[g].name, pg->group) == 0)
				gprio = cf->groups[g].priority;
		for (size_t k = 0; k < pg->nprocs; k++) {
			char spec[512];
			const char *pn = pg->procs[k].name;
			if (strcmp(pg->group, pn) == 0)
				snprintf(spec, sizeof(spec), "%s", pn);
			else
				snprintf(spec, sizeof(spec), "%s:%s", pg->group, pn);
			rows[nrows++] =
			    json_pack("{s:s, s:s, s:s, s:b, s:b, s:i, s:i}", "name", spec, "group", pg->group,
				      "process", pn, "in_use", sv_find(d->sv, spec) != NULL, "autostart",
				      pg->autostart, "group_priority", gprio, "priority", pg->priority);
		}
	}
	if (rows != NULL) {
		qsort(rows, nrows, sizeof(*rows), handlers_avail_cmp);
		for (size_t i = 0; i < nrows; i++)
			json_array_append_new(out, rows[i]);
	}
	free(rows);
	conf_free(nc);
	conn_reply_ok(c, json_pack("{s:o}", "programs", out));
}

static json_t *handlers_strv(char **v)
{
	json_t *a = json_array();
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* {} -> {"added": [], "changed": [], "removed": []}, or CANT_REREAD with the config error */
static void handlers_reread(struct daemon *d, struct conn *c, json_t *req)
{
	struct conf *nc = handlers_conf_load(d, c);
	struct sv_diff diff;

	(void)req;
	if (nc == NULL)
		return;
	memset(&diff, 0, sizeof(diff));
	sv_diff(d->sv, nc, &diff);
	conn_reply_ok(c, json_pack("{s:o, s:o, s:o}", "added", handlers_strv(diff.added), "changed",
				   handlers_strv(diff.changed), "removed", handlers_strv(diff.removed)));
	sv_diff_free(&diff);
	conf_free(nc);
}

static int handlers_strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* supervisorctl lists each kind of change in name order. */
static void handlers_diff_sort(struct sv_diff *diff)
{
	char **lists[] = {diff->added, diff->changed, diff->removed};

	for (size_t k = 0; k < 3; k++) {
		size_t n = 0;
		while (lists[k] != NULL && lists[k][n] != NULL)
			n++;
		if (n > 1)
			qsort(lists[k], n, sizeof(char *), handlers_strv_cmp);
	}
}

static bool handlers_strv_has(char **v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* {"names": [...]} (none or "all" = every group) -> {"results": [{"name","status","message"}]}:
 * removed groups stop and go, changed ones stop and come back (only the processes whose own
 * settings changed restart), added ones start; unchanged processes are not touched. */
static void handlers_update(struct daemon *d, struct conn *c, json_t *req)
{
	struct conf *nc;
	struct sv_diff diff;
	size_t nn, np;
	const char **names = handlers_names(req, "names", &nn);
	json_t *results;
	struct proc **procs;
	char **filter = NULL;

	if (names == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	if (handlers_has_all(names))
		nn = 0;
	nc = handlers_conf_load(d, c);
	if (nc == NULL) {
		free(names);
		return;
	}
	memset(&diff, 0, sizeof(diff));
	sv_diff(d->sv, nc, &diff);
	handlers_diff_sort(&diff);
	results = json_array();
	if (nn > 0) {
		procs = sv_procs(d->sv, &np);
		filter = calloc(nn + 1, sizeof(*filter));
		for (size_t k = 0; filter != NULL && k < nn; k++) {
			bool known = handlers_strv_has(diff.added, names[k]);
			for (size_t i = 0; !known && i < np; i++)
				known = strcmp(procs[i]->group, names[k]) == 0;
			if (!known)
				json_array_append_new(results, handlers_result(names[k], "no_such_group",
									       "ERROR: no such group"));
			filter[k] = (char *)names[k];
		}
	}
#define WANTED(g) (nn == 0 || handlers_strv_has(filter, (g)))
	for (size_t i = 0; diff.removed != NULL && diff.removed[i] != NULL; i++)
		if (WANTED(diff.removed[i])) {
			json_array_append_new(results, handlers_result(diff.removed[i], "ok", "stopped"));
			json_array_append_new(
			    results, handlers_result(diff.removed[i], "ok", "removed process group"));
		}
	for (size_t i = 0; diff.changed != NULL && diff.changed[i] != NULL; i++)
		if (WANTED(diff.changed[i])) {
			json_array_append_new(results, handlers_result(diff.changed[i], "ok", "stopped"));
			json_array_append_new(
			    results, handlers_result(diff.changed[i], "ok", "updated process group"));
		}
	for (size_t i = 0; diff.added != NULL && diff.added[i] != NULL; i++)
		if (WANTED(diff.added[i]))
			json_array_append_new(results,
					      handlers_result(diff.added[i], "ok", "added process group"));
#undef WANTED
	sv_diff_free(&diff);
	daemon_update(d, nc, nn > 0 ? filter : NULL);
	free(filter);
	free(names);
	conn_reply_ok(c, json_pack("{s:o}", "results", results));
}

/* ---- add, remove (supervisorctl's addProcessGroup, removeProcessGroup) ---- */

/* {"names": [GROUP...]} -> {"results": [result...]}: each group of the configuration on disk that
 * is not running yet becomes active (its autostart processes start); status ok ("added process
 * group"), already_added (running already), no_such_group (not in the config), shutting_down. */
static void handlers_add(struct daemon *d, struct conn *c, json_t *req)
{
	size_t nn, np, nadd = 0;
	const char **names = handlers_names(req, "names", &nn);
	struct sv_diff diff;
	struct conf *nc;
	char **add;
	json_t *results;

	if (names == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	if (d->shutting_down) {
		results = json_array();
		for (size_t k = 0; k < nn; k++)
			json_array_append_new(
			    results, handlers_result(names[k], "shutting_down", "ERROR: shutting down"));
		free(names);
		conn_reply_ok(c, json_pack("{s:o}", "results", results));
		return;
	}
	nc = handlers_conf_load(d, c);
	if (nc == NULL) {
		free(names);
		return;
	}
	memset(&diff, 0, sizeof(diff));
	sv_diff(d->sv, nc, &diff);
	add = xcalloc(nn + 1, sizeof(*add));
	results = json_array();
	for (size_t k = 0; k < nn; k++) {
		if (sv_group(d->sv, names[k], &np) != NULL && np > 0)
			json_array_append_new(results,
					      handlers_result(names[k], "already_added",
							      "ERROR: process group already active"));
		else if (!handlers_strv_has(diff.added, names[k]))
			json_array_append_new(results, handlers_result(names[k], "no_such_group",
								       "ERROR: no such process/group"));
		else {
			if (!handlers_strv_has(add, names[k]))
				add[nadd++] = (char *)names[k];
			json_array_append_new(results,
					      handlers_result(names[k], "ok", "added process group"));
		}
	}
	sv_diff_free(&diff);
	if (nadd > 0)
		daemon_update(d, nc, add); /* takes nc */
	else
		conf_free(nc);
	free(add);
	free(names);
	conn_reply_ok(c, json_pack("{s:o}", "results", results));
}

/* {"names": [GROUP...]} -> {"results": [result...]}: each stopped group leaves the running set
 * (the configuration keeps it: `add` or `update` brings it back); status ok ("removed process
 * group"), still_running, no_such_group. */
static void handlers_remove(struct daemon *d, struct conn *c, json_t *req)
{
	size_t nn;
	const char **names = handlers_names(req, "names", &nn);
	json_t *results;

	if (names == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	results = json_array();
	for (size_t k = 0; k < nn; k++) {
		enum sv_result r = sv_remove_group(d->sv, names[k]);
		const char *status, *message;

		if (r == SV_OK) /* [eventlistener:x] */
			daemon_group_event(d, names[k], false);

		handlers_sv_words(r, &status, &message);
		json_array_append_new(
		    results,
		    handlers_result(names[k], status, r == SV_OK ? "removed process group" : message));
	}
	free(names);
	conn_reply_ok(c, json_pack("{s:o}", "results", results));
}

const struct control_handler proc_handlers[] = {
    {.type = MSG_STATUS, .handle = handlers_status},
    {.type = MSG_START, .admin = true, .handle = handlers_start},
    {.type = MSG_STOP, .admin = true, .handle = handlers_stop},
    {.type = MSG_RESTART, .admin = true, .handle = handlers_restart},
    {.type = MSG_SIGNAL, .admin = true, .handle = handlers_signal},
    {.type = MSG_PID, .handle = handlers_pid},
    {.type = MSG_TAIL, .handle = handlers_tail},
    {.type = MSG_AVAIL, .handle = handlers_avail},
    {.type = MSG_REREAD, .handle = handlers_reread},
    {.type = MSG_UPDATE, .admin = true, .handle = handlers_update},
    {.type = MSG_MAINTAIL, .handle = handlers_maintail},
    {.type = MSG_CLEAR_LOG, .admin = true, .handle = handlers_clear},
    {.type = MSG_ADD_GROUP, .admin = true, .handle = handlers_add},
    {.type = MSG_REMOVE_GROUP, .admin = true, .handle = handlers_remove},
    {.type = MSG_PROC_STDIN, .admin = true, .handle = handlers_stdin},
    {.type = 0},
};
