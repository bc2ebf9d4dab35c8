/*
 * engine_journal.c — what a failed commit undoes (DESIGN.md, promise 1:
 * nothing is visible before it is durable).
 *
 * The engine changes its memory as requests arrive and writes the changes
 * into the open group transaction; replies, STEP and CANCEL messages wait for
 * the commit (engine.c). When the commit fails (disk full, read-only file,
 * I/O error, a write refused inside the group), engine_commit() turns the
 * group's acknowledgements into errors and drops its outgoing messages, and
 * engine_resync() here makes memory equal the store again: every task is
 * reloaded, each worker holds exactly the steps the store says it holds (a
 * slot whose STEP message never left is freed), waiters and chord counters
 * are carried over. What clients asked is gone (they were told); what
 * workers said (a step done, failed, its progress, a spawn) and what the
 * daemon saw (a worker died holding a step) cannot be asked again, so it is
 * kept in a journal and replayed onto the reloaded memory. The journal is
 * forgotten once a group commits.
 *
 * After a failure no commit is tried for a while (100 ms, doubling to 5 s):
 * task changes asked meanwhile are refused at once with the reason
 * (engine_writable), workers' messages are applied and journaled, and no
 * step is handed out. It never touches the socket itself beyond the
 * replies it queues.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

#define JOURNAL_RETRY_FIRST_MS 100
#define JOURNAL_RETRY_MAX_MS 5000
#define JOURNAL_MAX_PROGRESS 65536 /* entries beyond which progress is not kept */

/* ---- the journal ---- */

static struct journal_entry *journal_add(struct engine *e, enum journal_kind kind, const struct worker *w,
					 const char *step_id)
{
	struct journal_entry *j;

	if (e->replaying)
		return NULL; /* already in it */
	if (kind == JOURNAL_PROGRESS && e->njournal >= JOURNAL_MAX_PROGRESS) {
		/* a long failure with chatty workers: later progress replaces it anyway */
		if (e->njournal == JOURNAL_MAX_PROGRESS)
			log_warnx("engine: journal holds %zu entries: progress messages are dropped until "
				  "the database takes writes again",
				  e->njournal);
		return NULL;
	}
	if (e->njournal == e->cjournal) {
		size_t n = e->cjournal != 0 ? e->cjournal * 2 : 64;
		struct journal_entry *nj = xreallocarray(e->journal, n, sizeof(*nj));

		e->journal = nj;
		e->cjournal = n;
	}
	j = &e->journal[e->njournal++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->worker_id = w != NULL ? w->id : 0;
	if (step_id != NULL)
		snprintf(j->step_id, sizeof(j->step_id), "%s", step_id);
	return j;
}

static char *journal_strdup(const char *s)
{
	char *d = s != NULL ? xstrdup(s) : NULL;

	return d;
}

void engine_journal_clear(struct engine *e)
{
	for (size_t i = 0; i < e->njournal; i++) {
		struct journal_entry *j = &e->journal[i];

		json_decref(j->a);
		json_decref(j->b);
		free(j->text);
		free(j->tail);
	}
	e->njournal = 0;
	if (e->cjournal > 4096) { /* a long failure grew it: give the memory back */
		free(e->journal);
		e->journal = NULL;
		e->cjournal = 0;
	}
}

void engine_journal_lost(struct engine *e, const struct estep *s, const char *cause)
{
	char id[40];
	struct journal_entry *j;

	snprintf(id, sizeof(id), "%lld.%d", (long long)s->row.rowid, s->row.attempts);
	if ((j = journal_add(e, JOURNAL_LOST, NULL, id)) != NULL)
		j->text = journal_strdup(cause);
}

/* ---- what workers say ---- */

/* The slot of step_id in w; NULL (logged) when w does not hold it (stale, or never handed out). */
static struct held *journal_held(struct worker *w, const char *step_id)
{
	struct held *h = engine_worker_held(w, step_id);

	if (h == NULL)
		log_debug("engine: worker %s: unknown step %s", w->name, step_id != NULL ? step_id : "-");
	return h;
}

void engine_worker_done(struct engine *e, struct worker *w, const char *step_id, json_t *output)
{
	struct held *h = journal_held(w, step_id);
	struct journal_entry *j;
	struct estep *s;

	if (h == NULL)
		return;
	engine_worker_count(e, w, h, true); /* engine_worker.c: not again at a replay */
	if ((j = journal_add(e, JOURNAL_DONE, w, step_id)) != NULL)
		j->a = json_incref(output);
	if (e->failing && !e->replaying)
		return; /* applied at the retry (the slot stays taken meanwhile) */
	s = h->s;
	engine_worker_release(w, h);
	if (s != NULL)
		engine_step_done(e, s, output);
}

void engine_worker_fail(struct engine *e, struct worker *w, const char *step_id, const char *msg,
			const char *tail)
{
	struct held *h = journal_held(w, step_id);
	struct journal_entry *j;
	struct estep *s;

	if (h == NULL)
		return;
	engine_worker_count(e, w, h, false);
	if ((j = journal_add(e, JOURNAL_FAIL, w, step_id)) != NULL) {
		j->text = journal_strdup(msg);
		j->tail = journal_strdup(tail);
	}
	if (e->failing && !e->replaying)
		return;
	s = h->s;
	engine_worker_release(w, h);
	if (s != NULL)
		engine_step_fail(e, s, msg, tail);
}

void engine_worker_progress(struct engine *e, struct worker *w, const char *step_id, json_t *progress,
			    json_t *output)
{
	struct held *h = engine_worker_held(w, step_id);
	struct journal_entry *j;

	w->last_seen = engine_now();
	if (h == NULL) {
		/* no step named (or one it no longer holds): a heartbeat for everything it holds;
		 * leases live in memory only, so there is nothing to replay */
		for (int i = 0; i < w->nheld; i++)
			if (w->held[i].s != NULL)
				engine_step_progress(e, w->held[i].s, NULL, NULL);
		return;
	}
	if (h->s == NULL)
		return;
	if ((json_object_size(progress) > 0 || json_object_size(output) > 0) &&
	    (j = journal_add(e, json_object_size(output) > 0 ? JOURNAL_OUTPUT : JOURNAL_PROGRESS, w,
			     step_id)) != NULL) {
		j->a = json_incref(progress);
		j->b = json_incref(output);
	}
	if (e->failing && !e->replaying) {
		engine_step_progress(e, h->s, NULL, NULL); /* the lease only (memory) */
		return;
	}
	engine_step_progress(e, h->s, progress, output);
}

static void journal_spawn(struct engine *e, struct estep *s, json_t *label, json_t *input);

void engine_worker_spawn(struct engine *e, struct worker *w, const char *step_id, json_t *label,
			 json_t *input)
{
	struct held *h = engine_worker_held(w, step_id);
	struct journal_entry *j;

	w->last_seen = engine_now();
	if (h == NULL || h->s == NULL)
		return;
	if ((j = journal_add(e, JOURNAL_SPAWN, w, step_id)) != NULL) {
		j->a = json_incref(label);
		j->b = json_incref(input);
	}
	if (e->failing && !e->replaying)
		return;
	journal_spawn(e, h->s, label, input);
}

/* A spawn onto step s: its child, planned or found again (its failure fails the chord). */
static void journal_spawn(struct engine *e, struct estep *s, json_t *label, json_t *input)
{
	json_t *sub;
	char err[1400];

	sub = json_pack("{s:O?, s:O?}", "label", label, "input", input);
	if (engine_chord_spawn(e, s, sub, err, sizeof(err)) < 0) {
		char msg[1500];

		snprintf(msg, sizeof(msg), "spawn: %s", err);
		engine_error(e, s->t, s->row.idx, msg, NULL);
		s->child_failed = true;
	}
	json_decref(sub);
}

/* ---- making memory equal the store ---- */

struct resync_waiter {
	char id[Q_ID_LEN];
	struct waiter *w;
};

struct resync_chord {
	char id[Q_ID_LEN];
	int idx;
};

/* Who held a step before the reload (its slot, or its DONE/FAIL in the journal). */
struct resync_holder {
	char step_id[40];
	int worker_id;
};

struct resync {
	struct resync_holder *holders;
	size_t nholders, cholders;
	struct resync_waiter *waiters;
	size_t nwaiters, cwaiters;
	struct resync_chord *chords;
	size_t nchords, cchords;
	struct estep **running; /* the steps the store says are running, by rowid */
	size_t nrunning, crunning;
};

#define RESYNC_PUSH(arr, n, cap)                                                                             \
	do {                                                                                                 \
		if ((n) == (cap)) {                                                                          \
			size_t nc_ = (cap) != 0 ? (cap)*2 : 16;                                              \
			void *np_ = xreallocarray((arr), nc_, sizeof(*(arr)));                               \
			(arr) = np_;                                                                         \
			(cap) = nc_;                                                                         \
		}                                                                                            \
	} while (0)

/* resync_forget, for each task: detach its waiters, note which of its steps had children. */
static void resync_forget_task(struct engine *e, struct etask *t, void *arg)
{
	struct resync *x = arg;

	(void)e;
	for (struct waiter *w = t->waiters, *wn; w != NULL; w = wn) {
		wn = w->next;
		RESYNC_PUSH(x->waiters, x->nwaiters, x->cwaiters);
		memcpy(x->waiters[x->nwaiters].id, t->row.id, Q_ID_LEN);
		x->waiters[x->nwaiters++].w = w;
		w->next = NULL;
	}
	t->waiters = NULL;
	for (size_t k = 0; k < t->nsteps; k++)
		if (t->steps[k].children_total > 0 || t->steps[k].children_open > 0) {
			RESYNC_PUSH(x->chords, x->nchords, x->cchords);
			memcpy(x->chords[x->nchords].id, t->row.id, Q_ID_LEN);
			x->chords[x->nchords++].idx = (int)k;
		}
}

/* Before the reload: detach waiters, note which steps had children, free every task. */
static void resync_forget(struct engine *e, struct resync *x)
{
	engine_tasks_free(e, resync_forget_task, x);
	e->ntasks = 0;
	e->dirty = e->late = e->unsaved = e->stopped = NULL;
	e->nnotify = 0;
	e->ntimed = 0;
	e->due_at = 0;
	if (e->loop != NULL) {
		ev_timer_stop(e->loop, &e->late_w);
		ev_timer_stop(e->loop, &e->due);
	}
	for (struct equeue *q = e->queues; q != NULL; q = q->next) {
		q->head = q->tail = NULL;
		q->nready = 0;
	}
	/* A slot whose STEP left in a committed group and was since let go (cancel, force-unlock,
	 * a lease that expired) stays taken until the worker answers; a slot handed out in the
	 * failed group never reached the worker: freed. Live slots come back from the store. */
	for (struct worker *w = e->workers; w != NULL; w = w->next) {
		int k = 0;

		for (int i = 0; i < w->nheld; i++) {
			if (w->held[i].s != NULL) {
				RESYNC_PUSH(x->holders, x->nholders, x->cholders);
				memcpy(x->holders[x->nholders].step_id, w->held[i].step_id, 40);
				x->holders[x->nholders++].worker_id = w->id;
			}
			if (w->held[i].s == NULL && w->held[i].gen != e->n_commits)
				w->held[k++] = w->held[i];
		}
		w->nheld = k;
	}
	for (size_t i = 0; i < e->njournal; i++)
		if (e->journal[i].kind != JOURNAL_LOST && e->journal[i].step_id[0] != '\0') {
			RESYNC_PUSH(x->holders, x->nholders, x->cholders);
			memcpy(x->holders[x->nholders].step_id, e->journal[i].step_id, 40);
			x->holders[x->nholders++].worker_id = e->journal[i].worker_id;
		}
}

static int resync_cmp_rowid(const void *a, const void *b)
{
	int64_t x = (*(struct estep *const *)a)->row.rowid, y = (*(struct estep *const *)b)->row.rowid;

	return x < y ? -1 : x > y;
}

static struct estep *resync_running(struct resync *x, const char *step_id, int *attempt)
{
	long long rowid;
	size_t lo = 0, hi = x->nrunning;

	if (sscanf(step_id, "%lld.%d", &rowid, attempt) != 2)
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x->running[mid]->row.rowid < rowid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->nrunning && x->running[lo]->row.rowid == rowid ? x->running[lo] : NULL;
}

/* The worker that held the step before the reload, else the one the store names (name, pid). */
static struct worker *resync_holder_of(struct engine *e, struct resync *x, const struct estep *s,
				       const char *id)
{
	for (size_t i = 0; i < x->nholders; i++)
		if (strcmp(x->holders[i].step_id, id) == 0)
			for (struct worker *w = e->workers; w != NULL; w = w->next)
				if (w->id == x->holders[i].worker_id)
					return w;
	for (struct worker *w = e->workers; w != NULL; w = w->next)
		if (s->row.worker != NULL && strcmp(s->row.worker, w->name) == 0 && s->row.pid == w->pid)
			return w;
	return NULL;
}

/* Each worker holds the steps the store says it holds. */
static void resync_holds(struct engine *e, struct resync *x)
{
	int64_t now = engine_now();

	for (size_t i = 0; i < x->nrunning; i++) {
		struct estep *s = x->running[i];
		struct held *h = NULL;
		struct worker *w;
		char id[40];

		snprintf(id, sizeof(id), "%lld.%d", (long long)s->row.rowid, s->row.attempts);
		if ((w = resync_holder_of(e, x, s, id)) == NULL)
			continue; /* lost: the journal or resync's last pass rescues it */
		{
			h = engine_worker_held(w, id); /* let go in the failed group: it is held again */
			if (h == NULL) {
				if (w->nheld >= w->prefetch) {
					struct held *nh =
					    xreallocarray(w->held, (size_t)w->nheld + 1, sizeof(*nh));

					w->held = nh;
				}
				h = &w->held[w->nheld++];
				memset(h, 0, sizeof(*h));
				snprintf(h->step_id, sizeof(h->step_id), "%s", id);
			}
			h->s = s;
			h->gen = (unsigned long long)-1; /* its STEP left long ago */
			s->w = w;
			if (!w->supervised && s->row.lease_until != 0 &&
			    s->row.lease_until < now + e->lease_ms)
				s->row.lease_until = now + e->lease_ms;
		}
	}
}

/* The cleanups in progress stop: their batches of the failed group are not in the store. */
static void resync_cleanups(struct engine *e, const char *why)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "cleanup stopped: database commit failed: %s", why);
	engine_cleanup_abort(e, msg);
}

/* Every step the store says is running, by rowid (for the journal's replay). */
static void resync_index_running(struct engine *e, struct resync *x)
{
	x->nrunning = 0;
	for (size_t i = 0; i < e->hash_size; i++)
		for (struct etask *t = e->hash[i]; t != NULL; t = t->hnext)
			for (size_t k = 0; k < t->nsteps; k++)
				if (t->steps[k].row.state == QS_RUNNING) {
					RESYNC_PUSH(x->running, x->nrunning, x->crunning);
					x->running[x->nrunning++] = &t->steps[k];
				}
	if (x->nrunning > 1)
		qsort(x->running, x->nrunning, sizeof(*x->running), resync_cmp_rowid);
}

/* An entry whose worker is gone since: applied to its step directly, if that still runs. */
static void replay_orphan(struct engine *e, struct resync *x, struct journal_entry *j)
{
	int attempt = 0;
	struct estep *s = resync_running(x, j->step_id, &attempt);

	if (s == NULL || s->row.state != QS_RUNNING || s->row.attempts != attempt)
		return;
	switch (j->kind) {
	case JOURNAL_DONE:
		engine_step_done(e, s, j->a);
		break;
	case JOURNAL_FAIL:
		engine_step_fail(e, s, j->text, j->tail);
		break;
	case JOURNAL_PROGRESS:
	case JOURNAL_OUTPUT:
		engine_step_progress(e, s, j->a, j->b);
		break;
	case JOURNAL_SPAWN:
		journal_spawn(e, s, j->a, j->b);
		break;
	case JOURNAL_LOST:
		if (s->w != NULL) { /* its slot stays taken until the worker answers, as before */
			struct held *h = engine_worker_held(s->w, j->step_id);

			if (h != NULL)
				h->s = NULL;
		}
		engine_step_lost(e, s, j->text);
		break;
	}
}

void engine_journal_replay(struct engine *e)
{
	struct resync x;
	size_t n = e->njournal, lost = 0;

	if (n == 0)
		return;
	memset(&x, 0, sizeof(x));
	resync_index_running(e, &x);
	e->replaying = true;
	for (size_t i = 0; i < e->njournal; i++) {
		struct journal_entry *j = &e->journal[i];
		struct worker *w = NULL;

		if (j->kind != JOURNAL_LOST)
			for (w = e->workers; w != NULL && w->id != j->worker_id; w = w->next)
				;
		if (w == NULL) {
			replay_orphan(e, &x, j);
			continue;
		}
		switch (j->kind) {
		case JOURNAL_DONE:
			engine_worker_done(e, w, j->step_id, j->a);
			break;
		case JOURNAL_FAIL:
			engine_worker_fail(e, w, j->step_id, j->text, j->tail);
			break;
		case JOURNAL_PROGRESS:
		case JOURNAL_OUTPUT:
			engine_worker_progress(e, w, j->step_id, j->a, j->b);
			break;
		case JOURNAL_SPAWN:
			engine_worker_spawn(e, w, j->step_id, j->a, j->b);
			break;
		case JOURNAL_LOST:
			break;
		}
	}
	/* running in the store, held by no worker we know: lost while the database refused writes */
	for (size_t i = 0; i < x.nrunning; i++) {
		struct estep *s = x.running[i];
		char cause[256];

		if (s->row.state != QS_RUNNING || s->w != NULL)
			continue;
		snprintf(cause, sizeof(cause), "worker %s pid %ld lost while the database refused writes",
			 s->row.worker != NULL ? s->row.worker : "?", (long)s->row.pid);
		engine_step_lost(e, s, cause);
		lost++;
	}
	e->replaying = false;
	log_info("engine: %zu journal entries replayed%s", n,
		 lost > 0 ? ", steps of lost workers rescued" : "");
	free(x.running);
}

void engine_resync(struct engine *e, const char *why)
{
	struct resync x;
	int64_t now = engine_now();

	memset(&x, 0, sizeof(x));
	resync_forget(e, &x);
	resync_cleanups(e, why);
	engine_recurring_free(e);

	if (e->ops->tasks_active(e->b, engine_load_active, e) < 0)
		log_warnx("engine: reloading tasks: %s", e->ops->error(e->b));
	engine_recurring_load(e);
	e->sync_pending = true; /* [recurring:] sections against the store, at the retry */

	for (size_t i = 0; i < e->hash_size; i++)
		for (struct etask *t = e->hash[i]; t != NULL; t = t->hnext)
			for (size_t k = 0; k < t->nsteps; k++) {
				struct estep *s = &t->steps[k];

				if (s->row.state == QS_RUNNING) {
					RESYNC_PUSH(x.running, x.nrunning, x.crunning);
					x.running[x.nrunning++] = s;
				}
				/* a claimed task whose row had not followed yet (etask.row_write) */
				if (t->row.state == QT_PLANNED && s->row.state != QS_PENDING &&
				    s->row.state != QS_READY) {
					(void)engine_state_task(e, t, QT_RUNNING,
								"claimed before the failed commit");
					if (t->row.started_at == 0 ||
					    (s->row.started_at != 0 && s->row.started_at < t->row.started_at))
						t->row.started_at = s->row.started_at;
					t->row_write = true;
				}
			}
	if (x.nrunning > 1)
		qsort(x.running, x.nrunning, sizeof(*x.running), resync_cmp_rowid);
	resync_holds(e, &x);

	for (size_t i = 0; i < x.nchords; i++) {
		struct etask *t = engine_task_get(e, x.chords[i].id);
		struct engine_chord c;
		struct estep *s;

		if (t == NULL || (size_t)x.chords[i].idx >= t->nsteps)
			continue;
		s = &t->steps[x.chords[i].idx];
		memset(&c, 0, sizeof(c));
		engine_chord_count(e, t, s->row.idx, &c);
		s->children_total = c.total;
		s->children_open = c.open;
		s->child_failed = c.failed > 0;
		s->child_paused = s->row.state == QS_RUNNING && c.paused > 0;
	}

	for (size_t i = 0; i < x.nwaiters; i++) {
		struct waiter *w = x.waiters[i].w;
		struct etask *t = engine_task_get(e, x.waiters[i].id);
		struct q_task row;

		if (t != NULL) {
			w->t = t;
			w->next = t->waiters;
			t->waiters = w;
			continue;
		}
		/* stopped in the store after all: the wait is over */
		memset(&row, 0, sizeof(row));
		if (e->ops->task_find(e->b, x.waiters[i].id, &row) == 0)
			engine_reply_task_read(e, w->c, row.rowid, true);
		q_task_clear(&row);
		e->hooks.on_close(w->c, NULL, NULL);
		e->hooks.release(w->c);
		free(w);
	}

	if (!e->failing && e->retry_ms == 0)
		e->failing_since = now;
	e->failing = true;
	snprintf(e->failing_why, sizeof(e->failing_why), "%s", why);
	e->retry_ms = e->retry_ms == 0			       ? JOURNAL_RETRY_FIRST_MS
		      : e->retry_ms * 2 > JOURNAL_RETRY_MAX_MS ? JOURNAL_RETRY_MAX_MS
							       : e->retry_ms * 2;
	e->retry_at = now + e->retry_ms;
	if (e->loop != NULL) {
		ev_timer_stop(e->loop, &e->retry_w);
		ev_timer_set(&e->retry_w, (double)e->retry_ms / 1000.0, 0);
		ev_timer_start(e->loop, &e->retry_w);
	}

	log_warnx("engine: memory reloaded from the database (%zu unfinished tasks, %zu journal entries "
		  "kept for the retry); task changes refused for %.1f s",
		  e->ntasks, e->njournal, (double)e->retry_ms / 1000.0);
	free(x.holders);
	free(x.waiters);
	free(x.chords);
	free(x.running);
}

int engine_writable(struct engine *e, char *err, size_t errlen)
{
	double in;

	if (!e->failing)
		return 0;
	in = (double)(e->retry_at - engine_now()) / 1000.0;
	snprintf(err, errlen,
		 "task database: %s; task changes are refused until it takes writes again (next try in "
		 "%.1f s)",
		 e->failing_why, in > 0 ? in : 0.0);
	return -1;
}
