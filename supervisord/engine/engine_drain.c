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

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

/* Does w still hold a step that runs (not cancelled, not given up)? */
static bool drain_holds(const struct worker *w)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s != NULL)
			return true;
	return false;
}

int engine_worker_drain(struct engine *e, pid_t pid, int timeout_s)
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
