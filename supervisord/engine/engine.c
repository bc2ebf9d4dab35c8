/*
 * engine.c — the task engine's context: the database handle, the in-memory
 * cache of tasks that are not stopped, the group commit, the timers and the
 * rendering of tasks for replies. It never blocks the loop on anything but
 * SQLite's own writes, and it never lets a reply or a step hand-out leave
 * before the transaction that recorded it has committed.
 *
 * Why group commit in the daemon (DESIGN.md "Facts that shape the design"):
 * SQLite commits cost an fsync each (6-7k/s at synchronous=FULL, 38-47k/s at
 * NORMAL on the target machines) and several processes writing one database
 * serialise on its write lock and starve each other (8 writers: three never
 * got the lock). So workers never write the database: they talk to the
 * daemon, which applies everything that arrived in one loop iteration (submits,
 * claims, completions, progress) inside ONE transaction and commits it from an
 * ev_prepare watcher, just before the loop would block again. The cost of a
 * commit is then shared by every message of the iteration: under load the
 * batches grow by themselves, idle the latency is one iteration. Hand-outs
 * are fair (round-robin over idle workers of the queue, up to each worker's
 * prefetch) and need no polling: a step reaches an idle worker in the same
 * iteration it became ready. Measured figures: see the end of this comment.
 *
 * Measured on the 2-vCPU development VM (taskvisord with 4 noop-workers,
 * one-step tasks; 30000 tasks submitted first in batches of 1000 over the
 * socket, then the workers started; run rate = tasks / (last ended_at -
 * first started_at) as the database recorded them):
 *     durability   prefetch 16    prefetch 64    prefetch 256
 *     normal       31k tasks/s    31k tasks/s    31k tasks/s
 *     full         25k tasks/s    28k tasks/s    26k tasks/s
 * and submitting ran at 27-40k tasks/s (one transaction per request).
 * FULL costs little because one fsync covers every claim and completion of
 * an iteration; per-message commits would cap FULL at the 6-7k commits/s
 * measured above, and several writing processes at less (the starvation
 * above). In process (tests/unit/test_engine.c, no socket, full) the engine
 * plans 53k tasks/s and plans + runs 25k tasks/s with batches of 256.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"
#include "proto.h"

#define ENGINE_TICK_S 5.0	     /* fallback re-check of delays, deadlines, leases */
#define ENGINE_LEASE_MS 60000	     /* an unsupervised worker's lease on a step */
#define ENGINE_CKPT_PAGES 4000	     /* PASSIVE checkpoint once the log holds this many pages */
#define ENGINE_IDLE_TRUNCATE_MS 2000 /* TRUNCATE the log after this long without commits */

int64_t engine_now(void)
{
	return q_now_ms();
}

/* ---- the task cache ---- */

static size_t engine_hash_of(const char *id, size_t size)
{
	size_t h = 5381;

	for (; *id != '\0'; id++)
		h = h * 33 + (unsigned char)*id;
	return h & (size - 1);
}

static void engine_hash_grow(struct engine *e)
{
	size_t nsize = e->hash_size != 0 ? e->hash_size * 2 : 1024;
	struct etask **nh = calloc(nsize, sizeof(*nh));

	if (nh == NULL)
		return; /* keep the longer chains */
	for (size_t i = 0; i < e->hash_size; i++) {
		struct etask *t = e->hash[i], *next;

		for (; t != NULL; t = next) {
			size_t k = engine_hash_of(t->row.id, nsize);

			next = t->hnext;
			t->hnext = nh[k];
			nh[k] = t;
		}
	}
	free(e->hash);
	e->hash = nh;
	e->hash_size = nsize;
}

struct etask *engine_task_get(struct engine *e, const char *id)
{
	struct etask *t;

	if (e->hash_size == 0 || id == NULL)
		return NULL;
	for (t = e->hash[engine_hash_of(id, e->hash_size)]; t != NULL; t = t->hnext)
		if (strcmp(t->row.id, id) == 0)
			return t;
	return NULL;
}

void engine_task_add(struct engine *e, struct etask *t)
{
	size_t k;

	if (e->ntasks + 1 > e->hash_size / 2)
		engine_hash_grow(e);
	k = engine_hash_of(t->row.id, e->hash_size);
	t->hnext = e->hash[k];
	e->hash[k] = t;
	e->ntasks++;
}

static void engine_task_remove(struct engine *e, struct etask *t)
{
	struct etask **pp;

	if (e->hash_size == 0)
		return;
	for (pp = &e->hash[engine_hash_of(t->row.id, e->hash_size)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			e->ntasks--;
			return;
		}
}

json_t *engine_task_output(struct etask *t)
{
	if (t->output == NULL)
		t->output = json_object(); /* xmalloc_json: never NULL */
	return t->output;
}

json_t *engine_task_progress(struct etask *t)
{
	if (t->progress == NULL)
		t->progress = json_object();
	return t->progress;
}

void engine_task_free(struct etask *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nsteps; i++)
		q_step_clear(&t->steps[i].row);
	free(t->steps);
	json_decref(t->output);
	json_decref(t->progress);
	q_task_clear(&t->row);
	free(t);
}

struct equeue *engine_queue(struct engine *e, const char *name)
{
	struct equeue *q;

	for (q = e->queues; q != NULL; q = q->next)
		if (strcmp(q->name, name) == 0)
			return q;
	q = xcalloc(1, sizeof(*q));
	q->name = xstrdup(name);
	q->next = e->queues;
	e->queues = q;
	return q;
}

/* ---- the group transaction ---- */

void engine_kick(struct engine *e)
{
	if (e->loop != NULL && !ev_is_active(&e->kick))
		ev_idle_start(e->loop, &e->kick);
}

int engine_tx_open(struct engine *e)
{
	if (e->in_tx)
		return 0;
	if (e->ops->begin(e->b) < 0) {
		/* memory may change all the same: the group counts as failed (engine_commit) */
		if (e->flush_error[0] == '\0')
			snprintf(e->flush_error, sizeof(e->flush_error), "%s", e->ops->error(e->b));
		log_warnx("engine: begin: %s", e->ops->error(e->b));
		engine_kick(e);
		return -1;
	}
	e->in_tx = true;
	engine_kick(e);
	return 0;
}

void engine_tx(struct engine *e)
{
	if (engine_tx_open(e) < 0)
		return; /* the group counts as failed: engine_commit reloads memory from the store */
}

/* Put t on this group's dirty list; row says its task row must be written too. */
static void engine_dirty_add(struct engine *e, struct etask *t, bool row)
{
	if (row)
		t->row_write = true;
	if (!t->in_dirty) {
		t->in_dirty = true;
		t->dnext = e->dirty;
		e->dirty = t;
	}
	engine_kick(e);
}

void engine_task_dirty(struct engine *e, struct etask *t)
{
	t->changed = true;
	engine_dirty_add(e, t, true);
}

void engine_step_claimed(struct engine *e, struct estep *s)
{
	s->dirty = true;
	s->t->changed = true; /* waiters hear of it when the row is written */
	engine_dirty_add(e, s->t, false);
}

void engine_step_dirty(struct engine *e, struct estep *s)
{
	s->dirty = true;
	engine_task_dirty(e, s->t);
}

void engine_error(struct engine *e, struct etask *t, int idx, const char *msg, const char *tail)
{
	struct q_error er = {
	    .task = t->row.rowid, .idx = idx, .message = msg, .output_tail = tail, .at = engine_now()};

	if (engine_tx_open(e) < 0 || engine_task_save(e, t) < 0 || e->ops->error_insert(e->b, &er) < 0)
		log_warnx("engine: task %s: recording error \"%s\": %s", t->row.id, msg, e->ops->error(e->b));
	if (idx >= 0 && (size_t)idx < t->nsteps)
		log_info("task %s (%s): step %s: %s", t->row.id, t->row.label, t->steps[idx].row.name, msg);
	else
		log_info("task %s (%s): %s", t->row.id, t->row.label, msg);
}

struct reply *engine_reply_add(struct engine *e, struct conn *c, uint32_t type, json_t *body, bool read)
{
	struct reply *r = xcalloc(1, sizeof(*r));

	r->c = c;
	r->type = type;
	r->body = body;
	r->read = read;
	if (c != NULL)
		e->hooks.hold(c);
	*e->replies_tail = r;
	e->replies_tail = &r->next;
	engine_kick(e);
	return r;
}

void engine_reply(struct engine *e, struct conn *c, uint32_t type, json_t *body)
{
	engine_reply_add(e, c, type, body, false);
}

void engine_reply_read(struct engine *e, struct conn *c, uint32_t type, json_t *body)
{
	engine_reply_add(e, c, type, body, true);
}

void engine_reply_task(struct engine *e, struct conn *c, uint32_t type, int64_t rowid, bool full)
{
	struct reply *r = engine_reply_add(e, c, type, NULL, false);

	r->task_rowid = rowid;
	r->full = full;
}

void engine_reply_task_read(struct engine *e, struct conn *c, int64_t rowid, bool full)
{
	struct reply *r = engine_reply_add(e, c, MSG_OK, NULL, true);

	r->task_rowid = rowid;
	r->full = full;
}

int engine_task_save(struct engine *e, struct etask *t)
{
	if (!t->unsaved)
		return 0;
	if (e->ops->task_insert(e->b, &t->row) < 0)
		return -1;
	for (size_t i = 0; i < t->nsteps; i++)
		if (e->ops->step_insert(e->b, &t->steps[i].row) < 0)
			return -1;
	t->unsaved = false; /* it stays on engine.unsaved; the flush skips it */
	return 0;
}

/*
 * Insert the tasks planned this group, as they are now (a step may already be
 * claimed), many rows per statement: a task's INSERT is its most expensive
 * statement, and most of that is per statement, not per row.
 */
static void engine_save_planned(struct engine *e)
{
	struct q_task **tasks;
	struct q_step **steps;
	size_t nt = 0, ns = 0, mt = 0, ms = 0;
	struct etask *t, *next;

	for (t = e->unsaved; t != NULL; t = t->unext)
		if (t->unsaved) {
			mt++;
			ms += t->nsteps;
		}
	tasks = xcalloc(mt + 1, sizeof(*tasks));
	steps = xcalloc(ms + 1, sizeof(*steps));
	for (t = e->unsaved; t != NULL; t = next) {
		next = t->unext;
		t->unext = NULL;
		if (!t->unsaved)
			continue;
		t->unsaved = false;
		t->saved_now = t->in_dirty; /* the dirty walk below then writes nothing more for it */
		tasks[nt++] = &t->row;
		for (size_t i = 0; i < t->nsteps; i++) {
			steps[ns++] = &t->steps[i].row;
			t->steps[i].dirty = false;
		}
	}
	e->unsaved = NULL;
	if (e->ops->task_insert_many(e->b, tasks, nt) < 0 || e->ops->step_insert_many(e->b, steps, ns) < 0) {
		/* their submits were answered OK only if this group commits: roll it back instead */
		snprintf(e->flush_error, sizeof(e->flush_error), "inserting %zu planned tasks: %s", nt,
			 e->ops->error(e->b));
		log_error("engine: %s", e->flush_error);
	}
	free(tasks);
	free(steps);
}

/* Write every changed task and step of this iteration. */
static void engine_flush(struct engine *e)
{
	struct etask *t, *next;

	if (e->unsaved != NULL)
		engine_save_planned(e);

	for (t = e->dirty; t != NULL; t = next) {
		next = t->dnext;
		t->in_dirty = false;
		t->dnext = NULL;
		if (t->json_dirty) {
			free(t->row.output);
			free(t->row.progress);
			/* NULL is written as {} */
			t->row.output = t->output != NULL ? json_dumps(t->output, JSON_COMPACT) : NULL;
			t->row.progress = t->progress != NULL ? json_dumps(t->progress, JSON_COMPACT) : NULL;
			t->json_dirty = false;
		}
		if (t->saved_now) { /* inserted above with what it is now */
			t->saved_now = false;
			t->row_write = true; /* nothing late: the bookkeeping below as for a written row */
			goto written;
		}
		t->row.steps_done = 0;
		for (size_t i = 0; i < t->nsteps; i++) {
			struct estep *s = &t->steps[i];

			if (s->row.state == QS_SUCCESS || s->row.state == QS_SKIPPED)
				t->row.steps_done++;
			if (s->dirty && e->ops->step_update(e->b, &s->row) < 0)
				log_warnx("engine: step %s/%s: %s", t->row.id, s->row.name,
					  e->ops->error(e->b));
			s->dirty = false;
		}
		if (!t->row_write) { /* claimed only: the row follows with its next change */
			if (!t->in_late) {
				t->in_late = true;
				t->late_since = engine_now();
				t->lnext = e->late;
				e->late = t;
			}
			continue;
		}
		t->late_written = t->in_late; /* leaves the late list at the next commit */
		if (e->ops->task_update(e->b, &t->row) < 0)
			log_warnx("engine: task %s: %s", t->row.id, e->ops->error(e->b));
	written:
		t->row_write = false;
		if (t->changed && t->waiters != NULL && !t->notify) {
			if (e->nnotify == e->cnotify) {
				size_t n = e->cnotify != 0 ? e->cnotify * 2 : 64;
				struct etask **nn = xreallocarray(e->notify, n, sizeof(*nn));

				e->notify = nn;
				e->cnotify = n;
			}
			t->notify = true;
			e->notify[e->nnotify++] = t;
		}
		t->changed = false;
		if (t->row.state == QT_STOPPED && !t->in_stopped) {
			t->in_stopped = true;
			t->snext = e->stopped;
			e->stopped = t;
		}
	}
	e->dirty = NULL;
}

/*
 * The late list: tasks whose row was written since (with a later change) leave
 * it; with due, rows that waited ENGINE_LATE_MS (all: every one, when
 * closing) join this group to be written.
 */
static void engine_late_sweep(struct engine *e, bool due, bool all)
{
	int64_t now = engine_now();
	struct etask **pp = &e->late, *t;

	while ((t = *pp) != NULL) {
		if (!t->late_written && (!due || (!all && now - t->late_since < ENGINE_LATE_MS))) {
			pp = &t->lnext;
			continue;
		}
		*pp = t->lnext;
		t->in_late = false;
		if (!t->late_written)
			engine_dirty_add(e, t, true);
		t->late_written = false;
	}
}

/* Checkpoint deliberately: PASSIVE when the log grew, TRUNCATE once idle. */
static void engine_checkpoint(struct engine *e, bool idle)
{
	if (idle) {
		if (!e->truncated_idle && e->ops->checkpoint(e->b, true) == 0)
			e->truncated_idle = true;
		return;
	}
	e->truncated_idle = false;
	if (e->ops->wal_pages(e->b) >= ENGINE_CKPT_PAGES && e->ops->checkpoint(e->b, false) < 0)
		log_warnx("engine: checkpoint: %s", e->ops->error(e->b));
}

/* Send the queued replies; after a failed commit an OK becomes an error (nothing acknowledged is lost). */
static void engine_send_replies(struct engine *e, const char *failed)
{
	struct reply *r;

	while ((r = e->replies) != NULL) {
		e->replies = r->next;
		if (e->replies == NULL)
			e->replies_tail = &e->replies;
		if (r->c != NULL && !e->hooks.closed(r->c) && failed != NULL && r->type == MSG_OK &&
		    !r->read) {
			json_decref(r->body);
			e->hooks.send(r->c, MSG_ERROR,
				      json_pack("{s:s+, s:i}", "error",
						"database commit failed, nothing was recorded: ", failed,
						"code", 1));
		} else if (r->c != NULL && !e->hooks.closed(r->c)) {
			json_t *body = r->body;

			if (body == NULL) {
				json_t *tj = engine_task_json(e, r->task_rowid, r->full);

				body = json_pack("{s:o*}", "task", tj);
			}
			e->hooks.send(r->c, r->type, body);
		} else {
			json_decref(r->body);
		}
		if (r->c != NULL)
			e->hooks.release(r->c);
		free(r);
	}
}

/* Tell each waiter of a changed task: DATA, or the final OK once it stopped. */
/*
 * Sending may close a connection (a write error), and closing runs its
 * on_close callback at once: a waiter or a worker can be freed in the middle
 * of these loops. So each loop holds the connections it writes to and never
 * touches a waiter or worker after a send.
 */

/* Tell each waiter of a changed task: DATA, or the final OK once it stopped. */
static void engine_notify_waiters(struct engine *e)
{
	for (size_t i = 0; i < e->nnotify; i++) {
		struct etask *t = e->notify[i];
		bool stopped = t->row.state == QT_STOPPED;
		json_t *tj = engine_task_json(e, t->row.rowid, stopped);
		struct waiter *w, *next;
		struct conn **conns;
		size_t n = 0, k;

		t->notify = false;
		for (w = t->waiters; w != NULL; w = w->next)
			n++;
		conns = xcalloc(n + 1, sizeof(*conns));
		for (w = t->waiters, k = 0; w != NULL; w = next) {
			next = w->next;
			conns[k++] = w->c;
			e->hooks.hold(w->c);
			if (stopped) { /* the wait is over: forget the waiter before anything is sent */
				e->hooks.on_close(w->c, NULL, NULL);
				e->hooks.release(w->c); /* its own hold; ours keeps the conn until sent */
				free(w);
			}
		}
		if (stopped)
			t->waiters = NULL;
		for (k = 0; k < n; k++) {
			if (!e->hooks.closed(conns[k]))
				e->hooks.send(conns[k], stopped ? MSG_OK : MSG_DATA,
					      json_pack("{s:O}", "task", tj));
			e->hooks.release(conns[k]);
		}
		free(conns);
		json_decref(tj);
	}
	e->nnotify = 0;
}

/* Hand each worker the messages of this group (hooks.send_frames copies them and never closes
 * at once, so the worker and its outbox, kept for the next group, stay valid). */
static void engine_send_outboxes(struct engine *e)
{
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		if (w->outbox.len == w->outbox.off)
			continue;
		if (w->c != NULL && !e->hooks.closed(w->c))
			e->hooks.send_frames(w->c, w->outbox.buf + w->outbox.off,
					     w->outbox.len - w->outbox.off);
		w->outbox.off = w->outbox.len = 0;
	}
}

static void engine_free_stopped(struct engine *e)
{
	struct etask *t;

	while ((t = e->stopped) != NULL) {
		e->stopped = t->snext;
		if (t->in_dirty || t->notify || t->in_late) {
			/* changed again after the commit, or still on the late list: one more round */
			t->in_stopped = false;
			continue;
		}
		engine_task_remove(e, t);
		engine_task_free(t);
	}
}

void engine_commit(struct engine *e)
{
	char failed[256];

	if (e->failing) {
		if (engine_now() < e->retry_at) {
			/* the store refused the last group: nothing is tried before retry_at; what
			 * was asked meanwhile (reads, refusals) is answered */
			engine_send_replies(e, e->failing_why);
			return;
		}
		e->failing = false; /* try again: the next group tells */
		log_info("engine: trying the database again (refusing writes since %.0f s: %s)",
			 (double)(engine_now() - e->failing_since) / 1000.0, e->failing_why);
		engine_journal_replay(e); /* what workers said meanwhile */
		if (e->sync_pending) {
			e->sync_pending = false;
			engine_recurring_sync(e);
		}
	}
	engine_dispatch(e);
	engine_late_sweep(e, true, false);
	if ((e->dirty != NULL || e->unsaved != NULL) && engine_tx_open(e) == 0)
		engine_flush(e);
	if (e->in_tx || e->flush_error[0] != '\0') {
		bool was_tx = e->in_tx;
		double t0 = engine_metrics_clock();
		int rc;

		e->in_tx = false;
		rc = e->flush_error[0] != '\0' ? -1 : e->ops->commit(e->b);
		if (rc == 0)
			engine_metrics_commit(e, engine_metrics_clock() - t0);
		if (rc < 0) {
			/*
			 * Disk full, a read-only file, an I/O error: nothing of this group is
			 * in the store. Nothing of it may be seen either (DESIGN.md, promise
			 * 1): the acknowledgements become errors, the STEP and CANCEL messages
			 * of the group are dropped, waiters hear nothing, and engine_resync()
			 * reloads memory from the store and replays what workers said.
			 */
			snprintf(failed, sizeof(failed), "%s",
				 e->flush_error[0] != '\0' ? e->flush_error : e->ops->error(e->b));
			e->flush_error[0] = '\0';
			log_error("engine: commit: %s", failed);
			if (was_tx)
				e->ops->rollback(e->b);
			/* a log that grew until the disk filled is moved into the store, so that the
			 * next group can write the log from its start again */
			if (e->ops->checkpoint(e->b, true) < 0)
				log_debug("engine: checkpoint after the failed commit: %s",
					  e->ops->error(e->b));
			for (struct worker *w = e->workers; w != NULL; w = w->next)
				w->outbox.off = w->outbox.len = 0;
			engine_state_events_flush(e, false); /* undone: nobody hears of them */
			engine_metrics_settle(e, false);     /* nor counts them */
			engine_send_replies(e, failed);
			if (!e->closing)
				engine_resync(e, failed);
			return;
		}
		e->n_commits++;
		e->last_commit_ms = engine_now();
		engine_checkpoint(e, false);
		if (e->retry_ms != 0) {
			log_info("engine: the database takes writes again");
			e->retry_ms = 0;
		}
	}
	engine_journal_clear(e); /* recorded, or nothing to record */
	engine_send_replies(e, NULL);
	engine_state_events_flush(e, true);
	engine_metrics_settle(e, true);
	engine_notify_waiters(e);
	if (e->steplogs != NULL)
		engine_steplog_sweep(e);
	engine_send_outboxes(e);
	engine_late_sweep(e, false, false);
	engine_free_stopped(e);
	if (e->in_tx || e->dirty != NULL || e->unsaved != NULL || e->replies != NULL)
		engine_kick(e);
	if (e->late != NULL && e->loop != NULL && !ev_is_active(&e->late_w)) {
		ev_timer_set(&e->late_w, ENGINE_LATE_MS / 1000.0, 0);
		ev_timer_start(e->loop, &e->late_w);
	}
}

static void engine_late_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	engine_kick(w->data); /* the next prepare's commit writes the rows now due */
}

static void engine_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	engine_commit(w->data);
}

static void engine_kick_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	ev_idle_stop(loop, w); /* its only job: make this iteration not block, so prepare runs again */
}

/* ---- timers: delayed starts, deadlines, leases ---- */

/* Make sure the due timer fires by at (ms). */
void engine_arm_due(struct engine *e, int64_t at)
{
	double after;

	if (at == 0 || e->loop == NULL || (e->due_at != 0 && e->due_at <= at))
		return;
	after = (double)(at - engine_now()) / 1000.0;
	e->due_at = at;
	ev_timer_stop(e->loop, &e->due);
	ev_timer_set(&e->due, after > 0 ? after + 0.001 : 0, 0);
	ev_timer_start(e->loop, &e->due);
}

void engine_timed(struct engine *e, struct etask *t)
{
	int64_t at = 0;

	if (!t->timed) {
		t->timed = true;
		e->ntimed++;
	}
	if (t->row.start_at != 0 && t->row.started_at == 0)
		at = t->row.start_at;
	if (t->row.start_before != 0 && t->row.started_at == 0 && (at == 0 || t->row.start_before < at))
		at = t->row.start_before;
	engine_arm_due(e, at);
}

/* Start delayed tasks that are due and stop those whose start_before passed. */
static void engine_check_times(struct engine *e)
{
	int64_t now, next;

	if (e->failing) { /* nothing starts, stops or recurs while the database refuses writes */
		engine_arm_due(e, e->retry_at + 1);
		return;
	}
	now = engine_now();
	next = engine_recurring_run(e, now);

	for (size_t i = 0; e->ntimed > 0 && i < e->hash_size; i++) {
		for (struct etask *t = e->hash[i]; t != NULL; t = t->hnext) {
			if (!t->timed)
				continue;
			if (t->row.state != QT_PLANNED || t->row.started_at != 0) {
				t->timed = false;
				e->ntimed--;
				continue;
			}
			if (t->row.start_before != 0 && now > t->row.start_before) {
				engine_tx(e);
				engine_error(e, t, -1, "start_before passed", NULL);
				for (size_t k = 0; k < t->nsteps; k++)
					if (t->steps[k].queued)
						engine_fifo_remove(&t->steps[k]);
				engine_task_stop_why(e, t, QR_ERROR, "start_before passed");
				t->timed = false;
				e->ntimed--;
				continue;
			}
			if (t->row.start_at != 0 && t->row.start_at <= now && t->nsteps > 0 &&
			    t->steps[0].row.state == QS_PENDING) {
				engine_tx(e);
				if (engine_state_step(e, &t->steps[0], QS_READY, "start_at reached") == 0) {
					engine_step_dirty(e, &t->steps[0]);
					engine_fifo_push(&t->steps[0], false);
				}
			}
			if (t->row.start_at > now && (next == 0 || t->row.start_at < next))
				next = t->row.start_at;
			if (t->row.start_before != 0 && (next == 0 || t->row.start_before < next))
				next = t->row.start_before;
		}
	}
	e->due_at = 0;
	if (e->loop == NULL)
		return;
	ev_timer_stop(e->loop, &e->due);
	if (next != 0) {
		double after = (double)(next - now) / 1000.0;

		e->due_at = next;
		ev_timer_set(&e->due, after > 0 ? after + 0.001 : 0, 0);
		ev_timer_start(e->loop, &e->due);
	}
}

static void engine_due_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	engine_check_times(w->data);
}

static void engine_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct engine *e = w->data;
	int64_t now = engine_now();

	(void)loop;
	(void)revents;
	engine_check_times(e);
	engine_rescue_leases(e, now);
	if (now >= e->next_cleanup_ms && !e->failing) {
		e->next_cleanup_ms = now + engine_cleanup_every_ms(e);
		engine_cleanup_scheduled(e);
	}
	if (!e->in_tx && e->dirty == NULL && e->last_commit_ms != 0 &&
	    now - e->last_commit_ms > ENGINE_IDLE_TRUNCATE_MS)
		engine_checkpoint(e, true);
}

/* ---- loading ---- */

static int engine_load_step(void *arg, struct q_step *s)
{
	struct etask *t = arg;

	if (s->idx < 0 || (size_t)s->idx >= t->nsteps)
		return 0;
	t->steps[s->idx].row = *s;
	memset(s, 0, sizeof(*s)); /* moved */
	return 0;
}

static json_t *engine_json_object(const char *text)
{
	json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

struct etask *engine_task_load(struct engine *e, struct q_task *row)
{
	struct etask *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->row = *row;
	memset(row, 0, sizeof(*row)); /* moved */
	t->nsteps = t->row.steps_total > 0 ? (size_t)t->row.steps_total : 0;
	t->steps = calloc(t->nsteps != 0 ? t->nsteps : 1, sizeof(*t->steps));
	if (t->steps == NULL) {
		engine_task_free(t);
		return NULL;
	}
	for (size_t i = 0; i < t->nsteps; i++)
		t->steps[i].t = t;
	if (e->ops->steps_of(e->b, t->row.rowid, engine_load_step, t) < 0)
		log_warnx("engine: loading steps of %s: %s", t->row.id, e->ops->error(e->b));
	{ /* the text is handed to workers as it is: make sure it is a JSON object */
		json_t *in = engine_json_object(t->row.input);

		free(t->row.input);
		t->row.input = json_dumps(in, JSON_COMPACT);
		json_decref(in);
	}
	t->output = engine_json_object(t->row.output);
	t->progress = engine_json_object(t->row.progress);
	t->q = engine_queue(e, t->row.queue != NULL ? t->row.queue : "default");
	engine_task_add(e, t);
	return t;
}

int engine_load_active(void *arg, struct q_task *row)
{
	struct engine *e = arg;
	struct etask *t = engine_task_load(e, row);

	if (t == NULL)
		return 1;
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].row.state == QS_READY)
			engine_fifo_push(&t->steps[i], false);
	if (t->row.state == QT_PLANNED && (t->row.start_at != 0 || t->row.start_before != 0))
		engine_timed(e, t);
	return 0;
}

/* ---- rendering ---- */

static json_t *engine_time_json(int64_t ms)
{
	return ms != 0 ? json_real((double)ms / 1000.0) : json_null();
}

json_t *engine_row_json(const struct q_task *row, bool with_io)
{
	json_t *j = json_object();
	int64_t now = engine_now();

	json_object_set_new(j, "id", json_string(row->id));
	json_object_set_new(j, "label", json_string(row->label != NULL ? row->label : ""));
	json_object_set_new(j, "name", json_string(row->name != NULL ? row->name : ""));
	json_object_set_new(j, "queue", json_string(row->queue != NULL ? row->queue : ""));
	json_object_set_new(j, "state", json_string(q_task_state_name(row->state)));
	json_object_set_new(j, "result", json_string(q_result_name(row->result)));
	json_object_set_new(j, "triggered_by",
			    row->triggered_by != NULL ? json_string(row->triggered_by) : json_null());
	json_object_set_new(j, "parent_task_id",
			    row->parent_task_id != NULL ? json_string(row->parent_task_id) : json_null());
	if (row->parent_task_id != NULL && row->parent_step >= 0 && row->spawn_index >= 0)
		json_object_set_new(j, "spawn_index", json_integer(row->spawn_index));
	json_object_set_new(j, "start_at", engine_time_json(row->start_at));
	json_object_set_new(j, "start_before", engine_time_json(row->start_before));
	json_object_set_new(j, "created_at", engine_time_json(row->created_at));
	json_object_set_new(j, "started_at", engine_time_json(row->started_at));
	json_object_set_new(j, "ended_at", engine_time_json(row->ended_at));
	json_object_set_new(j, "steps_total", json_integer(row->steps_total));
	json_object_set_new(j, "steps_done", json_integer(row->steps_done));
	json_object_set_new(j, "progress", engine_json_object(row->progress));
	json_object_set_new(j, "cancellable", json_boolean(row->flags & QF_CANCELLABLE));
	json_object_set_new(j, "on_error", json_string(q_on_error_name(row->on_error)));
	json_object_set_new(j, "delayed", json_boolean(row->state == QT_PLANNED && row->start_at > now));
	if (with_io) {
		json_object_set_new(j, "input", engine_json_object(row->input));
		json_object_set_new(j, "output", engine_json_object(row->output));
	}
	return j;
}

static int engine_step_json(void *arg, struct q_step *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "index", json_integer(s->idx));
	json_object_set_new(j, "name", json_string(s->name != NULL ? s->name : ""));
	if (s->command != NULL)
		json_object_set_new(j, "command", json_string(s->command));
	if (s->argv != NULL) {
		json_t *a = json_loads(s->argv, 0, NULL);
		if (a != NULL)
			json_object_set_new(j, "argv", a);
	}
	if (s->handler != NULL)
		json_object_set_new(j, "handler", json_string(s->handler));
	json_object_set_new(j, "state", json_string(q_step_state_name(s->state)));
	json_object_set_new(j, "worker", s->worker != NULL ? json_string(s->worker) : json_null());
	json_object_set_new(j, "pid", s->pid != 0 ? json_integer(s->pid) : json_null());
	json_object_set_new(j, "attempts", json_integer(s->attempts));
	json_object_set_new(j, "started_at", engine_time_json(s->started_at));
	json_object_set_new(j, "ended_at", engine_time_json(s->ended_at));
	json_array_append_new(arg, j);
	return 0;
}

struct engine_err_ctx {
	json_t *arr, *steps;
};

static int engine_error_json(void *arg, const struct q_error *er)
{
	struct engine_err_ctx *x = arg;
	json_t *j = json_object();
	json_t *st = er->idx >= 0 ? json_array_get(x->steps, (size_t)er->idx) : NULL;

	json_object_set_new(j, "step", st != NULL ? json_incref(json_object_get(st, "name")) : json_null());
	json_object_set_new(j, "index", er->idx >= 0 ? json_integer(er->idx) : json_null());
	json_object_set_new(j, "message", json_string(er->message != NULL ? er->message : ""));
	json_object_set_new(j, "output_tail",
			    er->output_tail != NULL ? json_string(er->output_tail) : json_null());
	json_object_set_new(j, "at", engine_time_json(er->at));
	json_array_append_new(x->arr, j);
	return 0;
}

static int engine_lock_json(void *arg, const char *resource, bool exclusive, const char *task_id)
{
	(void)task_id;
	json_array_append_new(arg, json_pack("{s:s, s:b}", "resource", resource, "exclusive", exclusive));
	return 0;
}

static int engine_child_json(void *arg, struct q_task *t)
{
	json_array_append_new(arg, json_string(t->id));
	return 0;
}

/* The recurring logic that made a task: its id for `task show` ("recurring_id"). */
struct engine_rec_find {
	int64_t rowid;
	char id[Q_ID_LEN];
};

static int engine_rec_find(void *arg, struct q_recurring *r)
{
	struct engine_rec_find *x = arg;

	if (r->rowid != x->rowid)
		return 0;
	snprintf(x->id, sizeof(x->id), "%s", r->id);
	return 1;
}

/* Why a planned or running task waits for a worker (engine_queue.c): "waiting" in j. */
static void engine_task_json_waiting(struct engine *e, const struct q_task *row, json_t *j)
{
	const struct etask *t = engine_task_get(e, row->id);
	char why[256];

	if (t != NULL && engine_queue_waiting(e, t, why, sizeof(why)))
		json_object_set_new(j, "waiting", json_string(why));
}

/* A step's stored output (engine_steplog.c) into its object of steps: "stdout", "stderr" (the
 * tails), "stdout_bytes", "stderr_bytes" (all it printed), "output_dropped", "output_attempt". */
static int engine_steplog_json(void *arg, const struct q_steplog *l)
{
	json_t *steps = arg, *st;
	size_t i;

	json_array_foreach(steps, i, st)
	{
		if (json_integer_value(json_object_get(st, "index")) != l->idx)
			continue;
		json_object_set_new(st, "stdout",
				    l->stdout_tail != NULL ? json_string(l->stdout_tail) : json_null());
		json_object_set_new(st, "stderr",
				    l->stderr_tail != NULL ? json_string(l->stderr_tail) : json_null());
		json_object_set_new(st, "stdout_bytes", json_integer(l->stdout_bytes));
		json_object_set_new(st, "stderr_bytes", json_integer(l->stderr_bytes));
		json_object_set_new(st, "output_dropped", json_integer(l->dropped));
		json_object_set_new(st, "output_attempt", json_integer(l->attempt));
		break;
	}
	return 0;
}

json_t *engine_task_json(struct engine *e, int64_t rowid, bool full)
{
	struct q_task row;
	json_t *j, *steps, *errors, *locks, *children;
	struct engine_err_ctx x;

	memset(&row, 0, sizeof(row));
	if (e->ops->task_get(e->b, rowid, &row) != 0)
		return NULL;
	j = engine_row_json(&row, true);
	if (full) {
		steps = json_array();
		errors = json_array();
		locks = json_array();
		children = json_array();
		e->ops->steps_of(e->b, rowid, engine_step_json, steps);
		e->ops->step_logs_of(e->b, rowid, engine_steplog_json, steps);
		x.arr = errors;
		x.steps = steps;
		e->ops->errors_of(e->b, rowid, engine_error_json, &x);
		e->ops->locks_of(e->b, rowid, engine_lock_json, locks);
		e->ops->children_of(e->b, row.id, engine_child_json, children);
		json_object_set_new(j, "steps", steps);
		json_object_set_new(j, "errors", errors);
		json_object_set_new(j, "locks", locks);
		json_object_set_new(j, "children", children);
		if (row.recurring_id != 0) {
			struct engine_rec_find rf = {.rowid = row.recurring_id};
			(void)e->ops->recurring_list(e->b, false, engine_rec_find, &rf);
			json_object_set_new(j, "recurring_id",
					    rf.id[0] != 0 ? json_string(rf.id) : json_null());
		}
		engine_task_json_waiting(e, &row, j);
	}
	q_task_clear(&row);
	return j;
}

/* ---- life cycle ---- */

const char *engine_db_path(const struct conf *c)
{
	return c != NULL && c->database != NULL ? c->database : "taskvisor.db";
}

/* The store's details of a failure (the statement, its own message): debug log only, the
 * words of e->ops->error() are what operators and clients see. */
static void engine_db_debug(void *arg, const char *detail)
{
	(void)arg;
	log_debug("engine: database: %s", detail);
}

struct engine *engine_new(struct ev_loop *loop, const struct conf *conf, const struct engine_hooks *hooks,
			  char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	const char *path = engine_db_path(conf);

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->conf = conf;
	e->hooks = *hooks;
	e->loop = loop;
	e->ops = queue_backend_load("sqlite", err, errlen);
	if (e->ops == NULL) {
		free(e);
		return NULL;
	}
	e->replies_tail = &e->replies;
	e->lease_ms = ENGINE_LEASE_MS;
	e->next_worker_id = 1;
	/* first run a minute after start, or sooner when cleanup_after is that short */
	e->next_cleanup_ms =
	    engine_now() + (engine_cleanup_every_ms(e) < 60 * 1000 ? engine_cleanup_every_ms(e) : 60 * 1000);
	e->b = e->ops->open(path, conf != NULL ? conf->durability : DURABILITY_FULL, err, errlen);
	if (e->b == NULL) {
		free(e);
		return NULL;
	}
	if (e->ops->set_debug != NULL)
		e->ops->set_debug(e->b, engine_db_debug, e);
	if (e->ops->max_rowids(e->b, &e->next_task, &e->next_step) < 0) {
		snprintf(err, errlen, "%s", e->ops->error(e->b)); /* "PATH: words" */
		e->ops->close(e->b);
		free(e);
		return NULL;
	}
	e->next_task++;
	e->next_step++;
	engine_hash_grow(e);
	if (e->loop != NULL) {
		ev_prepare_init(&e->prepare, engine_prepare_cb);
		e->prepare.data = e;
		ev_prepare_start(e->loop, &e->prepare);
		ev_idle_init(&e->kick, engine_kick_cb);
		e->kick.data = e;
		ev_timer_init(&e->tick, engine_tick_cb, ENGINE_TICK_S, ENGINE_TICK_S);
		e->tick.data = e;
		ev_timer_start(e->loop, &e->tick);
		ev_unref(e->loop); /* the tick alone does not keep the loop alive */
		ev_timer_init(&e->due, engine_due_cb, 0, 0);
		e->due.data = e;
		ev_timer_init(&e->late_w, engine_late_cb, 0, 0);
		e->late_w.data = e;
		ev_timer_init(&e->retry_w, engine_late_cb, 0, 0); /* a kick: the next commit retries */
		e->retry_w.data = e;
	}
	if (e->ops->tasks_active(e->b, engine_load_active, e) < 0) {
		snprintf(err, errlen, "%s", e->ops->error(e->b));
		engine_free(e);
		return NULL;
	}
	engine_recover(e);
	engine_recurring_load(e);
	engine_recurring_sync(e);
	engine_check_times(e);
	engine_commit(e);
	log_info("engine: %s open, %zu unfinished tasks", path, e->ntasks);
	return e;
}

void engine_tasks_free(struct engine *e, void (*each)(struct engine *e, struct etask *t, void *arg),
		       void *arg)
{
	for (size_t i = 0; i < e->hash_size; i++) {
		struct etask *t, *next;

		for (t = e->hash[i]; t != NULL; t = next) {
			next = t->hnext;
			if (each != NULL)
				each(e, t, arg);
			engine_task_free(t);
		}
		e->hash[i] = NULL;
	}
}

/* engine_free: the task's waiters are let go (their connections stay open). */
static void engine_free_waiters(struct engine *e, struct etask *t, void *arg)
{
	(void)arg;
	for (struct waiter *w = t->waiters, *wn; w != NULL; w = wn) {
		wn = w->next;
		if (w->c != NULL) {
			e->hooks.on_close(w->c, NULL, NULL);
			e->hooks.release(w->c);
		}
		free(w);
	}
	t->waiters = NULL;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	while (e->workers != NULL)
		engine_worker_free(e->workers);
	engine_cleanup_free(e);
	engine_list_free(e);
	engine_steplog_free(e);
	engine_late_sweep(e, true, true);
	e->retry_at = 0; /* a last try, whatever the database said before */
	e->closing = true;
	engine_commit(e);
	if (e->loop != NULL) {
		ev_prepare_stop(e->loop, &e->prepare);
		ev_idle_stop(e->loop, &e->kick);
		ev_ref(e->loop);
		ev_timer_stop(e->loop, &e->tick);
		ev_timer_stop(e->loop, &e->late_w);
		ev_timer_stop(e->loop, &e->due);
		ev_timer_stop(e->loop, &e->retry_w);
	}
	engine_journal_clear(e);
	free(e->journal);
	engine_metrics_free(e);
	engine_state_events_flush(e, false);
	engine_tasks_free(e, engine_free_waiters, NULL);
	engine_recurring_free(e);
	for (size_t i = 0; i < e->nseen; i++)
		free(e->seen[i]);
	free(e->seen);
	free(e->hash);
	free(e->notify);
	while (e->queues != NULL) {
		struct equeue *q = e->queues;

		e->queues = q->next;
		free(q->workers);
		free(q->name);
		free(q);
	}
	if (e->b != NULL) {
		e->ops->checkpoint(e->b, true);
		e->ops->close(e->b);
	}
	free(e);
}

void engine_config_changed(struct engine *e, const struct conf *conf)
{
	e->conf = conf;
	/* Tasks carry what they need (commands expanded, on_error, cancellable) from planning:
	 * a changed type applies to new submits only. [recurring:NAME] sections may have changed. */
	if (e->failing) {
		e->sync_pending = true; /* written once the database takes writes again */
		return;
	}
	engine_recurring_sync(e);
}

int engine_ping_db(struct engine *e, char *msg, size_t len)
{
	if (e == NULL || e->b == NULL) {
		snprintf(msg, len, "database not open");
		return -1;
	}
	if (e->failing || e->retry_ms != 0) { /* retry_ms: no write has succeeded since */
		snprintf(msg, len, "database refusing writes for %.0f s: %s",
			 (double)(engine_now() - e->failing_since) / 1000.0, e->failing_why);
		return -1;
	}
	return e->ops->ping(e->b, msg, len);
}

void engine_store_info(struct engine *e, int budget_ms, json_t *out)
{
	struct q_info qi;

	if (e == NULL || e->b == NULL || e->ops->info == NULL) {
		json_object_set_new(out, "integrity", json_string("database not open"));
		return;
	}
	int rc = e->ops->info(e->b, budget_ms, &qi);
	json_object_set_new(out, "schema_version", json_integer(qi.schema_version));
	json_object_set_new(out, "engine", json_string(qi.engine_version));
	json_object_set_new(out, "bytes", json_integer(qi.db_bytes));
	json_object_set_new(out, "wal_bytes", json_integer(qi.wal_bytes));
	json_object_set_new(out, "integrity", json_string(qi.integrity));
	json_object_set_new(out, "ok", json_boolean(rc == 0 && strcmp(qi.integrity, "ok") == 0));
}

void engine_ping_checks(struct engine *e, json_t *checks)
{
	char msg[256];
	int ok = engine_ping_db(e, msg, sizeof(msg));
	size_t nworkers = 0, busy = 0, ready = 0;

	json_array_append_new(
	    checks, json_pack("{s:s, s:b, s:s}", "name", "database", "ok", ok == 0, "message", msg));
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		if (w->gone)
			continue;
		nworkers++;
		busy += (size_t)w->nheld;
	}
	for (struct equeue *q = e->queues; q != NULL; q = q->next)
		ready += q->nready;
	snprintf(msg, sizeof(msg), "%zu workers connected, %zu steps running, %zu ready", nworkers, busy,
		 ready);
	json_array_append_new(checks,
			      json_pack("{s:s, s:b, s:s}", "name", "workers", "ok", 1, "message", msg));
}
