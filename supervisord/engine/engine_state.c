/*
 * engine_state.c — the one door through which a task, a step or a recurring
 * logic changes state (STYLE.md 14; proc.c's proc_transition is the model).
 *
 * Each kind has a table of the allowed moves, Dynflow's rules for execution
 * plans and steps (README: Tasks, "State machines"). A move in the table is
 * made and logged as one line, "task ID: running -> paused (why)": log_info
 * for what an operator wants to see (a pause, a stop in error or cancelled, a
 * resume, a skip, a step in error), log_debug for the routine moves of every
 * task, formatted only when debug is on (the hot path of a no-op task makes
 * five of them). A move not in the table is a bug in the caller: it is
 * logged ("bug: task ID: refused running -> planned (why)"), nothing changes
 * and -1 is returned for the caller to handle.
 *
 * Only the state: results, times, the dirty marks and the writes stay with
 * the callers, as they were. Never assign a task's, step's or logic's state
 * anywhere else (tests/lint/state_doors.sh checks).
 */

#include <stdbool.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Tasks (Dynflow's ExecutionPlan.state_transitions without its pending and
 * scheduled: a delayed task waits as planned). A lock conflict stops a task
 * in planning. stopped -> paused is only for a task stopped by `task unlock`
 * (QF_UNLOCKED), taken back by `task resume` (Foreman keeps that plan paused
 * in Dynflow while its task shows stopped; here the one state says both).
 */
static const bool state_task_table[QT_STOPPED + 1][QT_STOPPED + 1] = {
    [QT_PLANNING] = {[QT_PLANNED] = true, [QT_STOPPED] = true},
    [QT_PLANNED] = {[QT_RUNNING] = true, [QT_STOPPED] = true},
    [QT_RUNNING] = {[QT_PAUSED] = true, [QT_STOPPED] = true},
    [QT_PAUSED] = {[QT_RUNNING] = true, [QT_STOPPED] = true},
    [QT_STOPPED] = {[QT_PAUSED] = true},
};

/*
 * Steps (Dynflow's step states; ready is a pending step queued for a worker,
 * suspended a step waiting for the child tasks it spawned). A step lost with
 * its worker is re-queued (running -> ready) while retry_on_worker_loss
 * allows; `task unlock` takes queued steps back (ready -> pending). A failed
 * step is resumed (error -> ready, or suspended / success when it spawned
 * children: still open / all stopped) or skipped (error -> skipped; Dynflow's
 * skipping is not a state here, the skip happens at once). success, skipped
 * and cancelled are final.
 */
static const bool state_step_table[QS_CANCELLED + 1][QS_CANCELLED + 1] = {
    /* pending -> skipped: a chord's callback whose spawning step was skipped (engine_chord_skipped) */
    [QS_PENDING] = {[QS_READY] = true, [QS_SKIPPED] = true, [QS_CANCELLED] = true},
    [QS_READY] = {[QS_PENDING] = true, [QS_RUNNING] = true, [QS_CANCELLED] = true},
    [QS_RUNNING] = {[QS_READY] = true,
		    [QS_SUCCESS] = true,
		    [QS_SUSPENDED] = true,
		    [QS_ERROR] = true,
		    [QS_CANCELLED] = true},
    [QS_SUSPENDED] = {[QS_SUCCESS] = true, [QS_ERROR] = true, [QS_CANCELLED] = true},
    [QS_ERROR] = {[QS_READY] = true, [QS_SUSPENDED] = true, [QS_SUCCESS] = true, [QS_SKIPPED] = true},
};

/* Recurring logics (Foreman's, without disabled): active until finished, cancelled or failed. */
static const bool state_recurring_table[QREC_FAILED + 1][QREC_FAILED + 1] = {
    [QREC_ACTIVE] = {[QREC_FINISHED] = true, [QREC_CANCELLED] = true, [QREC_FAILED] = true},
};

bool engine_state_task_allowed(enum q_task_state from, enum q_task_state to)
{
	return (unsigned)from < NELEM(state_task_table) && (unsigned)to < NELEM(state_task_table[0]) &&
	       state_task_table[from][to];
}

bool engine_state_step_allowed(enum q_step_state from, enum q_step_state to)
{
	return (unsigned)from < NELEM(state_step_table) && (unsigned)to < NELEM(state_step_table[0]) &&
	       state_step_table[from][to];
}

bool engine_state_recurring_allowed(enum q_rec_state from, enum q_rec_state to)
{
	return (unsigned)from < NELEM(state_recurring_table) &&
	       (unsigned)to < NELEM(state_recurring_table[0]) && state_recurring_table[from][to];
}

/* A move an operator wants in the log at level info. */
static bool state_task_notable(const struct etask *t, enum q_task_state from, enum q_task_state to)
{
	return to == QT_PAUSED || from == QT_PAUSED || from == QT_STOPPED ||
	       (to == QT_STOPPED && (t->row.result == QR_ERROR || t->row.result == QR_CANCELLED));
}

/* [eventlistener:x]: queue a task's stop or pause for the daemon, told after the commit. */
static void state_task_event(struct engine *e, const struct etask *t, enum q_task_state from,
			     enum q_task_state to)
{
	if (e->ntask_events == e->ctask_events) {
		e->ctask_events = e->ctask_events ? 2 * e->ctask_events : 8;
		e->task_events = xreallocarray(e->task_events, e->ctask_events, sizeof(*e->task_events));
	}
	struct engine_task_event *te = &e->task_events[e->ntask_events++];
	te->id = xstrdup(t->row.id);
	te->label = xstrdup(t->row.label != NULL ? t->row.label : "");
	te->from = q_task_state_name(from);
	te->to = q_task_state_name(to);
	te->result = q_result_name(t->row.result);
}

void engine_state_events_flush(struct engine *e, bool committed)
{
	/* the hook may not reach the engine again: take the list first */
	struct engine_task_event *list = e->task_events;
	size_t n = e->ntask_events;

	e->task_events = NULL;
	e->ntask_events = e->ctask_events = 0;
	for (size_t i = 0; i < n; i++) {
		if (committed && e->hooks.task_state != NULL)
			e->hooks.task_state(e->hooks.arg, list[i].id, list[i].label, list[i].from, list[i].to,
					    list[i].result);
		free(list[i].id);
		free(list[i].label);
	}
	free(list);
}

int engine_state_task(struct engine *e, struct etask *t, enum q_task_state to, const char *why)
{
	enum q_task_state from = t->row.state;

	if (!engine_state_task_allowed(from, to) || (from == QT_STOPPED && !(t->row.flags & QF_UNLOCKED))) {
		log_warnx("bug: task %s: refused %s -> %s (%s)", t->row.id, q_task_state_name(from),
			  q_task_state_name(to), why != NULL ? why : "no reason given");
		return -1;
	}
	t->row.state = to;
	if (e != NULL && from == QT_PLANNING)
		engine_metrics_submitted(e, t->row.label);
	if (e != NULL && to == QT_STOPPED)
		engine_metrics_finished(e, t->row.label, t->row.result);
	if ((to == QT_STOPPED || to == QT_PAUSED) && e != NULL && e->hooks.task_state != NULL)
		state_task_event(e, t, from, to);
	if (state_task_notable(t, from, to))
		log_info("task %s: %s -> %s (%s)", t->row.id, q_task_state_name(from), q_task_state_name(to),
			 why != NULL ? why : q_result_name(t->row.result));
	else if (log_get_level() >= LOG_LVL_DEBUG)
		log_debug("task %s: %s -> %s (%s)", t->row.id, q_task_state_name(from), q_task_state_name(to),
			  why != NULL ? why : q_result_name(t->row.result));
	return 0;
}

int engine_state_step(struct engine *e, struct estep *s, enum q_step_state to, const char *why)
{
	enum q_step_state from = s->row.state;
	const char *id = s->t != NULL ? s->t->row.id : "?";
	const char *name = s->row.name != NULL ? s->row.name : "?";

	if (!engine_state_step_allowed(from, to)) {
		log_warnx("bug: task %s: step %s: refused %s -> %s (%s)", id, name, q_step_state_name(from),
			  q_step_state_name(to), why != NULL ? why : "no reason given");
		return -1;
	}
	s->row.state = to;
	if (e != NULL && from == QS_RUNNING && to != QS_READY && s->row.started_at > 0)
		engine_metrics_step(e, s->t != NULL ? s->t->row.label : NULL, s->row.name,
				    (double)(engine_now() - s->row.started_at) / 1000.0);
	if (to == QS_ERROR || to == QS_SKIPPED || from == QS_ERROR)
		log_info("task %s: step %s: %s -> %s (%s)", id, name, q_step_state_name(from),
			 q_step_state_name(to), why != NULL ? why : "-");
	else if (log_get_level() >= LOG_LVL_DEBUG)
		log_debug("task %s: step %s: %s -> %s (%s)", id, name, q_step_state_name(from),
			  q_step_state_name(to), why != NULL ? why : "-");
	return 0;
}

int engine_state_recurring(struct engine *e, struct q_recurring *r, enum q_rec_state to, const char *why)
{
	enum q_rec_state from = r->state;

	(void)e;
	if (!engine_state_recurring_allowed(from, to)) {
		log_warnx("bug: recurring logic %s: refused %s -> %s (%s)", r->id, q_rec_state_name(from),
			  q_rec_state_name(to), why != NULL ? why : "no reason given");
		return -1;
	}
	r->state = to;
	log_info("recurring logic %s: %s -> %s (%s)", r->id, q_rec_state_name(from), q_rec_state_name(to),
		 why != NULL ? why : "-");
	return 0;
}
