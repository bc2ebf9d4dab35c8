/*
 * engine_drain.c — workers whose process is being stopped (README "Draining
 * workers"). The daemon asks (engine_worker_drain) when the supervisor stops a
 * worker's program: from then on the worker gets no step, is told
 * MSG_WORKER_DRAIN, and the daemon hears (hooks.drained) once it holds no
 * step, to send the stop signal without waiting for the deadline. At the
 * deadline the steps still held are lost with a cause naming the operator's
 * command, never with the worker's exit status ("exited 0" read as success).
 *
 * It never signals a process itself: the supervisor does, through the daemon.
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

#define DRAIN_EXIT_GRACE_S 1.0 /* a reaped draining worker's last results: how long to wait */

/* Does w still hold a step that runs (not cancelled, not given up)? */
static bool drain_holds(const struct worker *w)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s != NULL)
			return true;
	return false;
}

int engine_worker_drain(struct engine *e, pid_t pid, int timeout_s, const char *by)
{
	int held = -1;

	if (e == NULL || pid <= 0)
		return -1;
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		if (w->pid != pid || w->gone)
			continue;
		if (held < 0)
			held = 0;
		for (int i = 0; i < w->nheld; i++)
			if (w->held[i].s != NULL)
				held++;
		if (w->draining)
			continue;
		w->draining = true;
		free(w->drain_by);
		w->drain_by = xstrdup(by != NULL ? by : "stop");
		log_info("engine: worker %s (pid %ld) drains: %d step(s) held, at most %d s", w->name,
			 (long)pid, w->nheld, timeout_s);
		engine_worker_send(w, MSG_WORKER_DRAIN, json_pack("{s:i}", "timeout", timeout_s));
	}
	return held;
}

void engine_worker_drain_expired(struct engine *e, pid_t pid, const char *by)
{
	char cause[256];

	if (e == NULL || pid <= 0)
		return;
	snprintf(cause, sizeof(cause), "stopped by \"%s\" before the step finished",
		 by != NULL ? by : "stop");
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		if (w->pid != pid || !w->draining)
			continue;
		for (int i = 0; i < w->nheld; i++) {
			struct estep *s = w->held[i].s;

			if (s == NULL)
				continue;
			log_warnx("engine: worker %s pid %ld: step %s %s", w->name, (long)pid,
				  w->held[i].step_id, cause);
			w->held[i].s = NULL; /* its late DONE/FAIL frees the slot and is ignored */
			if (s->w == w)
				engine_step_lost(e, s, cause);
		}
	}
}

static void drain_exit_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	(void)loop;
	(void)revents;
	engine_drain_exit_lost(w->e, w);
	w->prefetch = 0; /* dead: nothing more until its connection closes */
}

/*
 * The process of a draining worker was reaped. A worker that finished its steps and exited at
 * once (exec-worker) may have its DONE still unread in the socket, and the child watcher can run
 * before the socket's: read it first (until the connection closes, at most DRAIN_EXIT_GRACE_S).
 */
bool engine_drain_exited(struct engine *e, struct worker *w, const char *why)
{
	if (!w->draining || w->gone || w->c == NULL || e->loop == NULL || !drain_holds(w))
		return false;
	snprintf(w->exit_why, sizeof(w->exit_why), "%s", why);
	w->prefetch = 0;
	ev_timer_init(&w->grace, drain_exit_cb, DRAIN_EXIT_GRACE_S, 0);
	w->grace.data = w;
	ev_timer_start(e->loop, &w->grace);
	return true;
}

void engine_drain_exit_lost(struct engine *e, struct worker *w)
{
	char cause[320];

	snprintf(cause, sizeof(cause), "stopped by \"%s\" before the step finished (worker %s pid %ld %s)",
		 w->drain_by != NULL ? w->drain_by : "stop", w->name, (long)w->pid, w->exit_why);
	for (int i = 0; i < w->nheld; i++) {
		struct estep *s = w->held[i].s;

		w->held[i].s = NULL;
		if (s != NULL && s->w == w)
			engine_step_lost(e, s, cause);
	}
	w->nheld = 0;
}

bool engine_worker_draining(const struct worker *w)
{
	return w->draining;
}

void engine_drain_check(struct worker *w)
{
	struct engine *e = w->e;

	if (!w->draining || w->gone || drain_holds(w) || e->hooks.drained == NULL)
		return;
	log_info("engine: worker %s (pid %ld) drained", w->name, (long)w->pid);
	e->hooks.drained(e->hooks.arg, w->pid);
}
