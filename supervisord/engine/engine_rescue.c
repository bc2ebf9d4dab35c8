/*
 * engine_rescue.c — steps whose worker is gone. The daemon reaps its own
 * workers, so it learns at once that one died holding steps and why (signal,
 * OOM kill, exit status): each such step fails with that cause and the task's
 * rescue strategy applies, unless the type allows re-queueing it
 * (retry_on_worker_loss). A worker's connection may close before or after its
 * reap: when it closes first, a short grace timer waits for the reap to learn
 * the cause. Unsupervised workers (not our children) are rescued when their
 * connection closes or their lease expires; after a daemon restart every step
 * still recorded as running has lost its worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "engine_int.h"
#include "log.h"

#define RESCUE_GRACE_S 1.0 /* how long a closed worker's steps wait for its exit status */

void engine_step_lost(struct engine *e, struct estep *s, const char *cause)
{
	struct etask *t = s->t;

	if (e->failing && !e->replaying) { /* the database refuses writes: rescued at the retry */
		if (s->row.state == QS_RUNNING && t->row.state != QT_STOPPED)
			engine_journal_lost(e, s, cause);
		s->w = NULL;
		return;
	}
	engine_tx(e);
	s->w = NULL;
	if (t->row.state == QT_STOPPED || s->row.state != QS_RUNNING)
		return;
	engine_journal_lost(e, s, cause); /* told again if this group's commit fails */
	if (s->row.attempts <= t->row.retry_on_worker_loss) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s (re-queued: attempt %d of %d)", cause, s->row.attempts + 1,
			 t->row.retry_on_worker_loss + 1);
		if (engine_state_step(e, s, QS_READY, msg) < 0) /* from running: in the table */
			return;
		engine_error(e, t, s->row.idx, msg, NULL);
		s->row.ended_at = 0;
		s->row.lease_until = 0;
		engine_step_dirty(e, s);
		engine_fifo_push(s, true);
		return;
	}
	engine_step_fail(e, s, cause, NULL);
}

/* Every step w still holds is lost with cause "worker NAME pid N <why>". */
static void rescue_worker_steps(struct engine *e, struct worker *w, const char *why)
{
	char cause[256];

	snprintf(cause, sizeof(cause), "worker %s pid %ld %s", w->name, (long)w->pid, why);
	for (int i = 0; i < w->nheld; i++) {
		struct estep *s = w->held[i].s;

		if (s != NULL)
			engine_worker_count(e, w, &w->held[i], false); /* a lost step: failed on its queue */
		w->held[i].s = NULL;
		if (s != NULL && s->w == w)
			engine_step_lost(e, s, cause);
	}
	w->nheld = 0;
}

static bool rescue_holds_steps(const struct worker *w)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s != NULL)
			return true;
	return false;
}

static void rescue_grace_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	(void)loop;
	(void)revents;
	rescue_worker_steps(w->e, w, "disconnected");
	engine_worker_free(w);
}

void engine_worker_closed(void *arg, struct conn *c)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	bool alive_child;

	(void)c;
	w->c = NULL;
	w->gone = true;
	w->outbox.off = w->outbox.len = 0;
	if (w->exit_why[0] != '\0' && rescue_holds_steps(w)) { /* reaped while draining */
		engine_drain_exit_lost(e, w);
		engine_worker_free(w);
		return;
	}
	if (!rescue_holds_steps(w)) {
		log_info("engine: worker %s (pid %ld) disconnected", w->name, (long)w->pid);
		engine_worker_free(w);
		return;
	}
	/* Our child, not reaped yet: its exit status is probably on its way. */
	alive_child = w->supervised && w->pid > 0 && e->hooks.program(e->hooks.arg, w->pid, NULL) != NULL;
	if (alive_child && e->loop != NULL) {
		ev_timer_init(&w->grace, rescue_grace_cb, RESCUE_GRACE_S, 0);
		w->grace.data = w;
		ev_timer_start(e->loop, &w->grace);
		return;
	}
	rescue_worker_steps(e, w, "disconnected");
	engine_worker_free(w);
}

void engine_proc_exit(struct engine *e, pid_t pid, int wstatus, bool oom_killed)
{
	struct worker *w, *next;
	char why[96];

	if (e == NULL)
		return;
	if (oom_killed)
		snprintf(why, sizeof(why), "was killed by the OOM killer");
	else if (WIFSIGNALED(wstatus))
		snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(wstatus));
	else if (WIFEXITED(wstatus))
		snprintf(why, sizeof(why), "exited %d", WEXITSTATUS(wstatus));
	else
		snprintf(why, sizeof(why), "ended (status 0x%x)", (unsigned)wstatus);
	for (w = e->workers; w != NULL; w = next) {
		next = w->next;
		if (w->pid != pid)
			continue;
		if (engine_drain_exited(e, w, why))
			continue; /* its last DONE/FAIL may still be in the socket */
		if (rescue_holds_steps(w))
			log_info("engine: worker %s pid %ld %s holding steps", w->name, (long)pid, why);
		rescue_worker_steps(e, w, why);
		if (w->gone) {
			engine_worker_free(w); /* its connection closed first */
		} else {
			w->prefetch = 0; /* dead: give it nothing more until its connection closes */
		}
	}
}

void engine_rescue_leases(struct engine *e, int64_t now)
{
	if (e->failing)
		return; /* leases are looked at again once the database takes writes */
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		if (w->supervised)
			continue;
		for (int i = 0; i < w->nheld; i++) {
			struct estep *s = w->held[i].s;
			char cause[256];

			if (s == NULL || s->row.lease_until == 0 || now <= s->row.lease_until)
				continue;
			snprintf(cause, sizeof(cause), "worker %s pid %ld lease expired", w->name,
				 (long)w->pid);
			/* the worker may only be slow: it stops the step when it reads this, rather than
			 * run it on unseen beside its re-run (README "A step's output") */
			engine_worker_send(w, MSG_WORKER_CANCEL,
					   json_pack("{s:s}", "step_id", w->held[i].step_id));
			w->held[i].s = NULL; /* a late answer frees the slot and is ignored */
			if (s->w == w)
				engine_step_lost(e, s, cause);
		}
	}
}

struct rescue_children {
	int idx;
	int open;
	bool failed;
	char failed_id[Q_ID_LEN];
};

static int rescue_count_child(void *arg, struct q_task *c)
{
	struct rescue_children *x = arg;

	if (c->parent_step != x->idx)
		return 0;
	if (c->state != QT_STOPPED)
		x->open++;
	else if ((c->result == QR_ERROR || c->result == QR_CANCELLED) && !x->failed) {
		x->failed = true;
		memcpy(x->failed_id, c->id, Q_ID_LEN);
	}
	return 0;
}

void engine_recover(struct engine *e)
{
	struct etask **all;
	size_t n = 0;

	/* Collect first: rescuing may stop tasks, which must not disturb the walk. */
	all = calloc(e->ntasks + 1, sizeof(*all));
	if (all == NULL)
		return;
	for (size_t i = 0; i < e->hash_size; i++)
		for (struct etask *t = e->hash[i]; t != NULL; t = t->hnext)
			all[n++] = t;
	for (size_t k = 0; k < n; k++) {
		struct etask *t = all[k];

		/* a claimed task whose row had not followed when the daemon stopped (etask.row_write):
		 * it was running (its lost step pauses or stops it from there) */
		for (size_t i = 0; t->row.state == QT_PLANNED && i < t->nsteps; i++) {
			const struct estep *s = &t->steps[i];

			if (s->row.state == QS_PENDING || s->row.state == QS_READY)
				continue;
			engine_tx(e);
			(void)engine_state_task(e, t, QT_RUNNING, "claimed before the restart");
			if (t->row.started_at == 0)
				t->row.started_at = s->row.started_at;
			engine_task_dirty(e, t);
		}
		for (size_t i = 0; i < t->nsteps; i++) {
			struct estep *s = &t->steps[i];

			if (s->row.state == QS_RUNNING) {
				char cause[256];

				snprintf(cause, sizeof(cause), "worker %s pid %ld lost: daemon restarted",
					 s->row.worker != NULL ? s->row.worker : "?", (long)s->row.pid);
				engine_step_lost(e, s, cause);
			} else if (s->row.state == QS_SUSPENDED) {
				struct rescue_children x = {.idx = (int)i};

				e->ops->children_of(e->b, t->row.id, rescue_count_child, &x);
				s->children_open = x.open;
				s->child_failed = x.failed;
				if (x.open == 0) {
					/* cannot happen (the last child's stop moves the step on in its own
					 * transaction): a store written by something else; repair it */
					log_warnx("engine: task %s: step %s waited for children that had all "
						  "stopped: going on",
						  t->row.id, s->row.name);
					engine_tx(e);
					if (x.failed) {
						char msg[128];

						snprintf(msg, sizeof(msg),
							 "child task %s ended in error or cancelled",
							 x.failed_id);
						engine_step_fail(e, s, msg, NULL);
					} else if (engine_state_step(e, s, QS_SUCCESS,
								     "its children had all stopped") == 0) {
						engine_step_dirty(e, s);
						engine_task_advance(e, t);
					}
				}
			}
		}
	}
	free(all);
}
