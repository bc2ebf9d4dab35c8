/*
 * engine_check.c — the task side of `taskvisorctl check` (Nagios plugin
 * conventions: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN and one status line with
 * perfdata) and of `task list --stuck`. Reads only the engine's memory.
 */
#define ENGINE_INTERNAL 1

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"

/* Stuck (DESIGN.md): a running step with no live worker, a step past its type's timeout,
 * a parent whose children have all stopped while its step still waits. */
bool engine_task_stuck(struct engine *e, const struct etask *t)
{
	const struct conf_task *type = e->d->conf != NULL ? conf_task_find(e->d->conf, t->row.label) : NULL;
	int64_t now = engine_now();

	for (size_t i = 0; i < t->nsteps; i++) {
		const struct estep *s = &t->steps[i];

		if (s->row.state == QS_RUNNING && (s->w == NULL || s->w->gone))
			return true;
		if (s->row.state == QS_RUNNING && type != NULL && type->timeout > 0 &&
		    now - s->row.started_at > type->timeout * 1000)
			return true;
		if (s->row.state == QS_SUSPENDED && s->children_open == 0)
			return true;
	}
	return false;
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
	if (strcmp(check, "queue") == 0) {
		what = "QUEUE";
		unit = "steps ready";
		if (warn <= 0)
			warn = 100;
		if (crit <= 0)
			crit = 1000;
		for (struct equeue *q = e->queues; q != NULL; q = q->next)
			n += (double)q->nready;
	} else if (strcmp(check, "paused") == 0 || strcmp(check, "stuck") == 0) {
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
