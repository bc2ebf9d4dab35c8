/*
 * engine_int.h — private to the engine's own files (engine*.c) and its unit
 * test: the in-memory tasks, steps, workers and queues, and the functions the
 * engine files call on each other. The daemon and the request handlers see
 * only engine.h. It never includes the socket server, the daemon or the
 * supervisor (control.h, daemon.h, proc.h): what the engine needs from them
 * comes through struct engine_hooks (engine.h).
 */
#ifndef TV_ENGINE_INT_H
#define TV_ENGINE_INT_H

#include "engine.h"
/*
 * The engine keeps every task that is not stopped in memory (struct etask, its
 * steps, a hash by id) and writes each change through the backend inside the
 * open group transaction.
 */
#include <ev.h>

#include "proto.h"
#include "conf.h"
#include "cron.h"
#include "queue_backend.h"

/* The longest a claimed task's row waits for its next change (etask.row_write), in ms. */
#define ENGINE_LATE_MS 20

struct etask;

struct estep {
	struct q_step row;
	struct etask *t;
	struct worker *w;	     /* holder while running */
	struct estep *qprev, *qnext; /* ready FIFO of the task's queue */
	bool queued;
	bool dirty;
	int children_open;  /* spawned children not yet stopped */
	int children_total; /* spawned by this step since the daemon started */
	bool child_failed;  /* one of them ended in error */
	bool child_paused;  /* one of them paused while this step still ran */
};

/* An active recurring logic and its parsed cron line. */
struct erec {
	struct q_recurring row;
	struct cron cron;
	struct erec *next;
};

struct waiter {
	struct engine *e;
	struct conn *c;
	struct etask *t;
	struct waiter *next;
};

/* Steps that ended on a queue in one second (or one minute) (engine_queue.c): counted in
 * memory as each step ends, never read back from the store. */
struct equeue_bucket {
	int64_t at; /* the second (or minute) since the epoch it counts; another: stale */
	unsigned done, failed;
	int64_t run_ms; /* the steps' run times, summed */
};
#define EQUEUE_BUCKETS 60

struct equeue {
	char *name;
	struct estep *head, *tail;
	size_t nready;
	struct worker **workers;
	size_t nworkers, rr;
	bool unserved_logged; /* "no worker serves queue" logged since its last worker left */
	/* the last minute by second, the last hour by minute; totals since the daemon started */
	struct equeue_bucket secs[EQUEUE_BUCKETS], mins[EQUEUE_BUCKETS];
	unsigned long long done, failed;
	struct equeue *next;
};

struct etask {
	struct q_task row; /* row.input/output/progress text: see the json below */
	/* output, progress: NULL until something is put in them (engine_task_output/_progress);
	 * the input is only its text, row.input, kept as the task's JSON (a million tasks
	 * waiting in memory should not each hold three jansson objects) */
	json_t *output, *progress;
	bool json_dirty; /* output/progress changed since the last write */
	struct estep *steps;
	size_t nsteps;
	struct equeue *q;
	bool dirty, changed; /* changed: waiters must hear of it after commit */
	struct etask *dnext; /* dirty list */
	struct etask *snext; /* stopped, to free after the commit */
	struct etask *hnext; /* hash chain */
	bool in_dirty, in_stopped, notify;
	/*
	 * row_write: the task row itself changed this group. A claim alone only
	 * moves the task to running: its step row (what recovery needs) is
	 * written at once, the task row waits up to ENGINE_LATE_MS for the next
	 * change (usually the step's end), so a quick step costs one task write.
	 */
	bool row_write, in_late, late_written;
	/* unsaved: planned, its rows not yet inserted (engine.unsaved, written by the flush
	 * many rows per statement); saved_now: inserted by this flush with its current state */
	bool unsaved, saved_now;
	struct etask *unext;
	int64_t late_since;
	struct etask *lnext; /* late list */
	struct waiter *waiters;
	bool timed; /* start_at / start_before to watch */
};

/* A step a worker holds: s is NULL once the step was cancelled (the slot stays until DONE/FAIL). */
struct held {
	char step_id[40];
	struct estep *s;
	/* engine.n_commits when it was handed out: equal after a failed commit means its STEP
	 * message never left (engine_journal.c drops the slot) */
	unsigned long long gen;
	int64_t since; /* handed out at (ms) */
};

struct worker {
	struct engine *e;
	struct conn *c; /* NULL once the connection closed */
	bool gone;	/* its connection closed: give it nothing */
	int id;
	char *name;
	pid_t pid;
	bool supervised;
	char *program;	   /* "group:name" when supervised, else NULL */
	bool draining;	   /* its process is being stopped: give it nothing (engine_drain.c) */
	char *drain_by;	   /* who stops it ("restart exec-worker:*"), while draining */
	char exit_why[96]; /* reaped while draining, its connection still open: "exited 0" */
	struct equeue *q;
	char **handlers;
	size_t nhandlers;
	bool commands;
	int prefetch;
	struct held *held;
	int nheld;
	struct proto_wbuf outbox; /* framed messages, sent after the commit */
	ev_timer grace;		  /* closed before its reap: wait for the exit status */
	struct worker *next;
	/* for `worker list` (engine_worker.c): hello and its last message (ms); the steps it
	 * answered since hello */
	int64_t connected_at, last_seen;
	unsigned long long done, failed;
};

struct reply {
	struct conn *c;
	uint32_t type;
	json_t *body; /* sent as is, or NULL: {"task": render(task_rowid)} */
	int64_t task_rowid;
	bool full;
	bool read; /* answers a read: sent as is even when the group's commit failed */
	struct reply *next;
};

/* What a worker told the engine in the open group, replayed if its commit fails (engine_journal.c). */
/* PROGRESS: progress details only (may be dropped in a long failure); OUTPUT: with output */
enum journal_kind {
	JOURNAL_DONE,
	JOURNAL_FAIL,
	JOURNAL_PROGRESS,
	JOURNAL_OUTPUT,
	JOURNAL_SPAWN,
	JOURNAL_LOST
};
struct journal_entry {
	enum journal_kind kind;
	int worker_id;	   /* the worker that said it (not LOST) */
	char step_id[40];  /* "ROWID.ATTEMPT"; empty: every step the worker holds (a heartbeat) */
	json_t *a, *b;	   /* DONE output; PROGRESS progress, output; SPAWN input */
	char *text, *tail; /* FAIL message, tail; SPAWN label; LOST cause */
};

struct engine {
	const struct conf *conf; /* the daemon's, handed again at each engine_config_changed */
	struct engine_hooks hooks;
	struct ev_loop *loop;
	const struct queue_ops *ops;
	struct qb *b;
	bool in_tx;

	/*
	 * A failed commit (engine_journal.c): memory is reloaded from the store,
	 * what workers said in that group is replayed from the journal, and
	 * until retry_at no commit is tried and task changes asked by clients are
	 * refused with failing_why; each failure doubles the wait (to 5 s).
	 */
	struct journal_entry *journal;
	size_t njournal, cjournal;
	bool replaying;
	bool closing; /* engine_free: a failed last commit is only logged */
	bool failing;
	bool sync_pending; /* [recurring:] sections to apply once writes work again */
	char failing_why[256];
	int64_t failing_since, retry_at, retry_ms;
	ev_timer retry_w;

	struct etask **hash;
	size_t hash_size, ntasks;
	struct etask *dirty;
	struct etask *late;	      /* claimed tasks whose row waits (see etask.row_write) */
	struct etask *unsaved;	      /* planned this group, rows not inserted yet (etask.unsaved) */
	int64_t next_task, next_step; /* the rowids the next task and step get */
	char flush_error[256];	      /* a planned task's insert failed: the group is rolled back */
	ev_timer late_w;	      /* writes the late rows when ENGINE_LATE_MS passed */
	struct equeue *queues;
	struct worker *workers;
	int next_worker_id;
	char **seen; /* "group:name" of each program that said hello as a worker (engine_worker_seen) */
	size_t nseen;
	struct reply *replies, **replies_tail;
	struct etask *stopped; /* stopped tasks to free after the commit (snext chain) */
	struct etask **notify; /* tasks whose waiters hear of the commit */
	size_t nnotify, cnotify;

	ev_prepare prepare; /* group commit, hand-out, replies */
	ev_idle kick;	    /* keeps the loop from blocking while work is pending */
	ev_timer tick;	    /* slow fallback: delays, deadlines, leases, checkpoints */
	ev_timer due;	    /* the next start_at / start_before */
	int64_t due_at;
	unsigned ntimed;
	unsigned commits_since_ckpt;
	int64_t last_commit_ms;
	bool truncated_idle;
	int lease_ms;
	int64_t next_cleanup_ms;       /* the scheduled cleanup's next run */
	struct cleanup_job *cleanups;  /* batched deletes in progress (engine_cleanup.c) */
	struct list_job *lists;	       /* lists and exports being streamed (engine_list.c) */
	struct erec *recs;	       /* active recurring logics (engine_recurring.c) */
	int64_t plan_recurring_id;     /* set around the engine_plan() of an occurrence */
	bool plan_spawn;	       /* set around the engine_plan() of a spawn (engine_chord.c): */
	int plan_spawn_index;	       /* the child's spawn index */
	unsigned char rand_pool[4097]; /* random bytes for task ids (engine_plan.c) */
	size_t rand_used;
	uint64_t id_last_ms; /* the newest task id's time and sequence (engine_plan.c) */
	unsigned id_seq;

	struct steplive *steplogs; /* running steps with output or followers (engine_steplog.c) */

	/* figures for ping/logs */
	unsigned long long n_commits, n_claims, n_done;

	struct engine_metrics *metrics; /* GET /metrics (engine_metrics.c); NULL until first counted */
	/* [eventlistener:x]: tasks stopped or paused in this group, told (hooks.task_state) once it
	 * committed, dropped if it failed (engine_state.c queues, engine_commit tells) */
	struct engine_task_event *task_events;
	size_t ntask_events, ctask_events;
};

/* One task change waiting for its commit before the daemon hears of it. */
struct engine_task_event {
	char *id, *label;
	const char *from, *to, *result; /* static names */
};
/* Tell hooks.task_state of the queued changes (committed), or drop them (commit failed). */
void engine_state_events_flush(struct engine *e, bool committed);

/* engine.c */
/* A write and a read on the database: 0 or -1, a line for `ping` in msg. */
int engine_ping_db(struct engine *e, char *msg, size_t len);
/* Make sure the group transaction is open: 0, or -1 when BEGIN failed, which also fails the
 * whole group (engine_commit then reloads memory from the store, engine_journal.c). */
int engine_tx_open(struct engine *e) __attribute__((warn_unused_result));
/* The same for a caller that goes on changing memory either way: a failed BEGIN is handled by
 * the group's failure at commit, never by the caller. */
void engine_tx(struct engine *e);
void engine_kick(struct engine *e);
/* Insert t's rows now if they wait for the flush (before anything refers to them). */
int engine_task_save(struct engine *e, struct etask *t);
/* t's output / progress details, made on first use. */
json_t *engine_task_output(struct etask *t);
json_t *engine_task_progress(struct etask *t);
/* A worker got step s: its step row is written in this group, the task row may wait. */
void engine_step_claimed(struct engine *e, struct estep *s);
struct etask *engine_task_get(struct engine *e, const char *id);
void engine_task_add(struct engine *e, struct etask *t);
void engine_task_dirty(struct engine *e, struct etask *t);
void engine_step_dirty(struct engine *e, struct estep *s);
void engine_task_free(struct etask *t);
/* Free every task in memory (engine_free, a resync); each (may be NULL) sees each one first. */
void engine_tasks_free(struct engine *e, void (*each)(struct engine *e, struct etask *t, void *arg),
		       void *arg);
void engine_reply_task(struct engine *e, struct conn *c, uint32_t type, int64_t rowid, bool full);
/* Queue a reply (read: sent even when the commit fails). */
struct reply *engine_reply_add(struct engine *e, struct conn *c, uint32_t type, json_t *body, bool read);
void engine_error(struct engine *e, struct etask *t, int idx, const char *msg, const char *tail);
void engine_timed(struct engine *e, struct etask *t);
void engine_arm_due(struct engine *e, int64_t at);
struct equeue *engine_queue(struct engine *e, const char *name);
int64_t engine_now(void);
/* Load a task (not stopped) with its steps from the store into memory. */
struct etask *engine_task_load(struct engine *e, struct q_task *row);
/* tasks_active's callback: load it, queue its ready steps, watch its times. */
int engine_load_active(void *arg, struct q_task *row);
/* Render a task from the store as the protocol shows it (full: steps, errors, locks, children). */
json_t *engine_task_json(struct engine *e, int64_t rowid, bool full);
/* A row as the protocol shows it; with_io adds input and output. */
json_t *engine_row_json(const struct q_task *row, bool with_io);
/* The flush+commit+send of one loop iteration (also called by tests). */
void engine_commit(struct engine *e);

/* engine_plan.c */
/* Parse a request time (number = epoch seconds, or text): 0 ok (*ms, 0 for null), -1. */
int engine_parse_time(json_t *v, int64_t now, int64_t *ms);
/* Plan one task from a submit object (validated, written in the open transaction).
 * parent (may be NULL) and parent_step for sub-tasks. Returns the task (NULL + err). */
struct etask *engine_plan(struct engine *e, json_t *req, const char *user, struct etask *parent,
			  int parent_step, char *err, size_t errlen);
/* Validate a submit object without writing: 0 or -1 + err. */
int engine_plan_check(struct engine *e, json_t *req, char *err, size_t errlen);
/* Re-take an unlocked task's locks before its resume (all or none; conflict: message, no change). */
int engine_plan_relock(struct engine *e, const struct q_task *row, char *err, size_t errlen);
/* A new random (version 4) uuid, lower case. */
void engine_new_id(struct engine *e, char out[Q_ID_LEN]);

/* engine_dispatch.c */
void engine_fifo_push(struct estep *s, bool front);
void engine_fifo_remove(struct estep *s);
void engine_dispatch(struct engine *e);
void engine_worker_free(struct worker *w);
/* Remember that a process of this program ("group:name") said hello as a worker. */
void engine_worker_seen_add(struct engine *e, const char *fullname);
struct held *engine_worker_held(struct worker *w, const char *step_id);
void engine_worker_release(struct worker *w, struct held *h);
void engine_step_done(struct engine *e, struct estep *s, json_t *output);
void engine_step_fail(struct engine *e, struct estep *s, const char *msg, const char *tail);
void engine_step_progress(struct engine *e, struct estep *s, json_t *progress, json_t *output);
void engine_task_advance(struct engine *e, struct etask *t);
int engine_task_stop(struct engine *e, struct etask *t, enum q_result result);
/* The same with the reason its log line gives (NULL: the result's name); -1: refused (a bug). */
int engine_task_stop_why(struct engine *e, struct etask *t, enum q_result result, const char *why);
enum q_result engine_derive_result(const struct etask *t);
/* Operator actions: 0, or -1 with the reason in err (nothing changed). */
int engine_task_resume(struct engine *e, struct etask *t, char *err, size_t errlen);
int engine_task_skip(struct engine *e, struct etask *t, char *err, size_t errlen);
int engine_task_cancel(struct engine *e, struct etask *t, char *err, size_t errlen);
void engine_worker_send(struct worker *w, uint32_t type, json_t *body);
int engine_task_unlock(struct engine *e, struct etask *t, bool force, const char *user, char *err,
		       size_t errlen);

/* engine_cleanup.c */
void engine_cleanup_scheduled(struct engine *e);
/* How often the scheduled cleanup runs: a quarter of the shortest cleanup_after, 1 s .. 1 h. */
int64_t engine_cleanup_every_ms(const struct engine *e);
/* Drop the cleanups in progress (engine_free). */
void engine_cleanup_free(struct engine *e);
/* Stop the cleanups in progress, their clients told msg (a failed commit). */
void engine_cleanup_abort(struct engine *e, const char *msg);

/* engine_list.c */
/* Stream the tasks of search (order, limit 0 = all) to c as DATA frames of {"tasks": [...]} and a
 * final OK {"count": N}; full: as `task show` renders them (export). -1 + err: a bad search. */
int engine_list_start(struct engine *e, struct conn *c, const char *search, const char *order, long limit,
		      bool full, char *err, size_t errlen);
void engine_list_free(struct engine *e);

/* engine_check.c */
bool engine_task_stuck(struct engine *e, const struct etask *t);
/* The same, writing why ("step fetch: running 75 s, over its timeout of 60 s") into why. */
bool engine_task_stuck_why(struct engine *e, const struct etask *t, char *why, size_t len);

/* engine_queue.c: what each queue holds and did (`queue list`, `task show`'s waiting, check queue) */
/* A ready step taking longer than this to be handed out is stuck when its type has no timeout. */
#define ENGINE_WAIT_STUCK_S 600
/* A step ended on q (ok: done, else failed or lost) after run_ms: the counters of now_ms. */
void engine_queue_count(struct equeue *q, bool ok, int64_t run_ms, int64_t now_ms);
/* Sums of q's counters over the last minute and hour (ms now). */
struct equeue_sums {
	unsigned long long done_1m, failed_1m, done_1h, failed_1h;
	int64_t run_ms_1h;
};
void engine_queue_sums(const struct equeue *q, int64_t now_ms, struct equeue_sums *out);
/* Workers connected to q and not gone. */
size_t engine_queue_served(const struct equeue *q);
/* Since when a queued step has been ready (ms). */
int64_t engine_queue_ready_since(const struct estep *s);
/* Why t waits, in words (`no worker serves queue "reports"`), or false when it is not waiting for
 * a worker (no step of it is ready). */
bool engine_queue_waiting(struct engine *e, const struct etask *t, char *buf, size_t len);
/* A step of q was just queued by a submit: log once that no worker serves q. The submit's warning
 * into buf (false: q is served). */
bool engine_queue_unserved(struct equeue *q, char *buf, size_t len);
/* A queued step's wait past its type's timeout (or ENGINE_WAIT_STUCK_S): true with why. */
bool engine_queue_stuck(struct engine *e, const struct estep *s, char *why, size_t len);

/* engine_worker.c: what each worker holds and did (`worker list`, `worker show`) */
/* w answered a held step: its counters and its queue's (ok: DONE, else FAIL or lost). */
void engine_worker_count(struct engine *e, struct worker *w, const struct held *h, bool ok);

/* engine_chord.c: sub-tasks beyond the hot path (see the file's header). */
struct engine_chord {
	int total, open, paused, failed; /* children of one step; paused/failed: by their state now */
	char paused_id[Q_ID_LEN], failed_id[Q_ID_LEN]; /* the first of each, for messages */
	enum q_result failed_result;		       /* the first failed one's result and flags */
	int failed_flags;
};
void engine_chord_count(struct engine *e, struct etask *p, int idx, struct engine_chord *c);
/* The outputs of step idx's children in spawn order (a new array), NULL when it spawned none. */
json_t *engine_chord_outputs(struct engine *e, struct etask *p, int idx);
/* A spawn from step s's running attempt (req: {"label","input"}): the child with its identity
 * (parent, step, spawn index) when a run of the step made it before, else a new one planned.
 * 0, or -1 + err (no child). */
int engine_chord_spawn(struct engine *e, struct estep *s, json_t *req, char *err, size_t errlen);
/* Step s runs again: its counters from the children it has (its spawns find them again and
 * count nothing; after a restart the counters start from 0). */
void engine_chord_rerun(struct engine *e, struct estep *s);
/* Before `task resume` of p whose step s is in error: its children counted into c; -1 + err
 * (what to do instead) when one of them stopped in error or cancelled: nothing changes. */
int engine_chord_resume_check(struct engine *e, struct etask *p, struct estep *s, struct engine_chord *c,
			      char *err, size_t errlen);
/* Step s was skipped: when it spawned children its callback (the next step, still pending) is
 * skipped too, never run with a partial set of outputs. */
void engine_chord_skipped(struct engine *e, struct estep *s);
/* Progress details of the parent: "children_total" / "children_stopped" counted up. */
void engine_chord_spawned(struct engine *e, struct etask *p);
void engine_chord_stopped(struct engine *e, struct etask *p);
/* child was resumed or its step skipped: its parent, paused because of it, goes on when no
 * other child holds it back (and so on up). */
void engine_chord_child_resumed(struct engine *e, struct etask *child);
/* Can every open descendant of t be cancelled with it? 0, or -1 + err naming the one that cannot. */
int engine_chord_cancel_check(struct engine *e, struct etask *t, char *err, size_t errlen, int depth);
/* Cancel every open child of t (and theirs). */
void engine_chord_cancel_children(struct engine *e, struct etask *t);

/* engine_recurring.c */
void engine_recurring_load(struct engine *e);
void engine_recurring_free(struct engine *e);
/* Submit every occurrence that is due; the next one's time (ms, 0 = none). */
int64_t engine_recurring_run(struct engine *e, int64_t now);
/* MSG_TASK_SCHEDULE: {"label","cron","input","iterations","until"}: the new logic (NULL + err). */
struct erec *engine_recurring_schedule(struct engine *e, json_t *req, const char *user, const char *name,
				       char *err, size_t errlen);
/* Make the [recurring:NAME] sections of the configuration active logics (new or changed ones
 * replace the old; removed ones are cancelled). */
void engine_recurring_sync(struct engine *e);
/* Cancel an active logic by id prefix; 0, or -1 + err. row gets its final state. */
int engine_recurring_cancel(struct engine *e, const char *id, struct q_recurring *row, char *err,
			    size_t errlen);
json_t *engine_recurring_json(const struct q_recurring *r);

/* engine_journal.c */
/* 0 when task changes may be asked now; -1 with the reason while the database refuses writes. */
int engine_writable(struct engine *e, char *err, size_t errlen);
/* A step lost its worker (engine_step_lost): remembered for a replay. */
void engine_journal_lost(struct engine *e, const struct estep *s, const char *cause);
/* The group committed: forget its journal. */
void engine_journal_clear(struct engine *e);
/* The group's commit failed (why): make memory equal the store again (the journal is kept). */
void engine_resync(struct engine *e, const char *why);
/* The retry: apply what the journal holds onto memory (in the new group). */
void engine_journal_replay(struct engine *e);
/* A read's reply: sent after the commit, whether or not it succeeded. */
void engine_reply_task_read(struct engine *e, struct conn *c, int64_t rowid, bool full);

/* engine_drain.c: a draining worker that holds no live step any more: hooks.drained. */
void engine_drain_check(struct worker *w);
/* A draining worker's process was reaped (why) while its connection may still hold the results
 * it sent last: true when its steps wait for that (grace timer, engine_drain_exit_lost). */
bool engine_drain_exited(struct engine *e, struct worker *w, const char *why);
/* Lose the steps a draining worker still holds, naming who stopped it and how it ended. */
void engine_drain_exit_lost(struct engine *e, struct worker *w);

/* engine_metrics.c: counted in memory as things happen (README "Metrics") */
/* A task was planned (submitted, spawned, a recurring occurrence) / stopped with result. */
void engine_metrics_submitted(struct engine *e, const char *label);
void engine_metrics_finished(struct engine *e, const char *label, enum q_result result);
/* A step's run ended (success, error, suspended for its children, cancelled) after seconds. */
void engine_metrics_step(struct engine *e, const char *label, const char *step, double seconds);
/* A group commit took seconds (engine_commit). */
void engine_metrics_commit(struct engine *e, double seconds);
/* The counts of the group just ended: added when it committed, dropped when it failed (its replay
 * counts them again). */
void engine_metrics_settle(struct engine *e, bool committed);
/* A monotonic clock in seconds, for timing the commit. */
double engine_metrics_clock(void);
void engine_metrics_free(struct engine *e);
/* engine_queue.c: every queue as `queue list` shows it (proto.h's queue objects), by name. */
json_t *engine_queue_all(struct engine *e);

/* engine_rescue.c */
/* The step lost its worker (cause): re-queue while attempts allow, else fail it. */
void engine_step_lost(struct engine *e, struct estep *s, const char *cause);
void engine_worker_closed(void *arg, struct conn *c);
void engine_rescue_leases(struct engine *e, int64_t now);
void engine_recover(struct engine *e);

/* engine_steplog.c: a step's own output (lines, followers, stored tails) */
/* After a commit: followers of steps whose attempt ended get their OK; those logs are freed. */
void engine_steplog_sweep(struct engine *e);
void engine_steplog_free(struct engine *e);

/* engine_state.c: the one door for task, step and recurring logic states (see the file). */
/* Move to `to` and log "task ID: from -> to (why)" (why may be NULL): 0; a move not in the
 * table is a bug: logged, nothing changed, -1. */
int engine_state_task(struct engine *e, struct etask *t, enum q_task_state to, const char *why);
int engine_state_step(struct engine *e, struct estep *s, enum q_step_state to, const char *why);
int engine_state_recurring(struct engine *e, struct q_recurring *r, enum q_rec_state to, const char *why);
/* The tables alone (stopped -> paused also needs the task's QF_UNLOCKED). */
bool engine_state_task_allowed(enum q_task_state from, enum q_task_state to);
bool engine_state_step_allowed(enum q_step_state from, enum q_step_state to);
bool engine_state_recurring_allowed(enum q_rec_state from, enum q_rec_state to);

#endif
