/*
 * engine_check.c — the task side of `taskvisorctl check` (Nagios plugin
 * conventions: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN and one status line with
 * perfdata) and of `task list --stuck`. Reads only the engine's memory.
 */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

/* Stuck (DESIGN.md): a running step with no live worker, a step past its type's timeout
 * (running, or ready and not handed out: engine_queue_stuck), a parent whose children have all
 * stopped while its step still waits. */
bool engine_task_stuck_why(struct engine *e, const struct etask *t, char *why, size_t len)
{
	const struct conf_task *type = e->conf != NULL ? conf_task_find(e->conf, t->row.label) : NULL;
	int64_t now = engine_now();

	for (size_t i = 0; i < t->nsteps; i++) {
		const struct estep *s = &t->steps[i];
		const char *name = s->row.name != NULL ? s->row.name : "?";

		if (s->row.state == QS_RUNNING && (s->w == NULL || s->w->gone)) {
			if (why != NULL)
				snprintf(why, len, "step %s: running with no live worker (%s%s)", name,
					 s->row.worker != NULL ? "was " : "none",
					 s->row.worker != NULL ? s->row.worker : "");
			return true;
		}
		if (s->row.state == QS_RUNNING && type != NULL && type->timeout > 0 &&
		    now - s->row.started_at > type->timeout * 1000) {
			if (why != NULL)
				snprintf(why, len, "step %s: running %lld s, over its timeout of %lld s",
					 name, (long long)((now - s->row.started_at) / 1000),
					 (long long)type->timeout);
			return true;
		}
		if (s->queued && engine_queue_stuck(e, s, why, len)) /* waits past its timeout */
			return true;
		if (s->row.state == QS_SUSPENDED && s->children_open == 0) {
			if (why != NULL)
				snprintf(why, len, "step %s: waits for children that have all stopped", name);
			return true;
		}
	}
	return false;
}

bool engine_task_stuck(struct engine *e, const struct etask *t)
{
	return engine_task_stuck_why(e, t, NULL, 0);
}

int engine_check(struct engine *e, const char *check, double warn, double crit, char *line, size_t len)
{
	const char *what, *unit;
	double n = 0;
	int code;

	if (e == NULL || check == NULL) {
		snprintf(line, len, "TASKS UNKNOWN - no task engine");
		return 3;
	}
	if (strcmp(check, "queue") == 0)
		return engine_check_queue(e, warn, crit, 0, 0, line, len); /* engine_queue.c */
	if (strcmp(check, "paused") == 0 || strcmp(check, "stuck") == 0) {
		bool stuck = check[1] == 't';

		what = stuck ? "STUCK" : "PAUSED";
		unit = stuck ? "tasks stuck" : "tasks paused";
		if (warn <= 0)
			warn = 1;
		if (crit <= 0)
			crit = stuck ? 5 : 10;
		for (size_t i = 0; i < e->hash_size; i++)
			for (struct etask *t = e->hash[i]; t != NULL; t = t->hnext)
				if (stuck ? engine_task_stuck(e, t) : t->row.state == QT_PAUSED)
					n++;
	} else {
		snprintf(line, len, "TASKS UNKNOWN - unknown check '%s' (queue, paused, stuck)", check);
		return 3;
	}
	code = n >= crit ? 2 : n >= warn ? 1 : 0;
	snprintf(line, len, "TASKS %s %s - %.0f %s | %s=%.0f;%.0f;%.0f", what,
		 code == 2   ? "CRITICAL"
		 : code == 1 ? "WARNING"
			     : "OK",
		 n, unit, check, n, warn, crit);
	return code;
}
