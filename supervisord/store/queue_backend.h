/*
 * queue_backend.h — the narrow storage interface of the task engine.
 *
 * One backend = one file (queue_sqlite.c today; a PostgreSQL one later) that
 * fills a struct queue_ops. The engine never sees SQL: it writes rows and
 * reads them back through these calls, inside transactions it opens and
 * commits itself (group commit: many writes per transaction), with
 * savepoints so one request's writes are all or none.
 *
 * Rows use 0 for "unset" times (NULL in the store) and milliseconds since the
 * epoch for set ones. Strings in rows read back are malloc'd and freed with
 * q_task_clear()/q_step_clear(); rows passed in are borrowed.
 *
 * Never carry a backend handle across fork(): open it in the process that uses it.
 *
 * A backend never changes a state on its own. task_update, step_update and
 * recurring_update persist what the engine decided through its transition
 * functions (supervisord/engine_state.c); recovery at start-up (steps whose
 * workers are gone, a planned task whose step was claimed, a chord left
 * waiting), the rescue of lost steps and the start_before expiry are the
 * engine's, through the same functions (engine_rescue.c, engine.c); cleanup
 * only deletes stopped tasks; rows read back carry the stored state as is.
 */
#ifndef TV_QUEUE_BACKEND_H
#define TV_QUEUE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/* Foreman's task states and results; Dynflow's step states. Values are stored as text. */
enum q_task_state { QT_PLANNING = 0, QT_PLANNED, QT_RUNNING, QT_PAUSED, QT_STOPPED };
enum q_result { QR_PENDING = 0, QR_SUCCESS, QR_ERROR, QR_WARNING, QR_CANCELLED };
enum q_step_state {
	QS_PENDING = 0,
	QS_READY,
	QS_RUNNING,
	QS_SUCCESS,
	QS_SUSPENDED,
	QS_SKIPPED,
	QS_ERROR,
	QS_CANCELLED,
};
/* Foreman's recurring logic states (no `disabled`: nothing would set it). */
enum q_rec_state { QREC_ACTIVE = 0, QREC_FINISHED, QREC_CANCELLED, QREC_FAILED };

/* tasks.flags */
#define QF_CANCELLABLE 0x1
#define QF_UNLOCKED 0x2 /* stopped by `task unlock`: still resumable */

#define Q_ID_LEN 37

struct q_task {
	int64_t rowid;
	char id[Q_ID_LEN];
	char *label, *name, *queue;
	char *input, *output, *progress; /* JSON object text */
	enum q_task_state state;
	enum q_result result;
	char *triggered_by;   /* may be NULL */
	char *parent_task_id; /* uuid or NULL */
	int parent_step;      /* index of the parent's step that spawned it; -1 none */
	int64_t recurring_id; /* 0 none */
	int64_t start_at, start_before, created_at, started_at, ended_at;
	int steps_total, steps_done;
	int flags;		     /* QF_* */
	enum conf_on_error on_error; /* pause | stop | skip */
	int retry_on_worker_loss;
	/* the i-th spawn (0, 1, ...) of the parent's step: with parent_task_id and parent_step, the
	 * child's identity (unique); -1 none (no parent, or a child submitted by hand) */
	int spawn_index;
};

struct q_step {
	int64_t rowid;
	int64_t task; /* tasks.rowid */
	int idx;
	char *name, *command, *handler; /* one of command/handler */
	char *argv;			/* with command: what runs, a JSON array of strings; NULL in
					   rows older than schema 4 (run as /bin/sh -c command) */
	enum q_step_state state;
	char *worker; /* name of the worker that holds/held it, or NULL */
	pid_t pid;
	int64_t lease_until;
	int attempts;
	int64_t started_at, ended_at;
	int spawned; /* children spawned by its current attempt (the next one gets this index) */
};

/* A recurring logic: a task type submitted on a cron line. */
struct q_recurring {
	int64_t rowid;
	char id[Q_ID_LEN];
	char *label, *cron, *input, *triggered_by;
	int iteration, iterations; /* iterations 0 = unlimited */
	int64_t until, last_at, next_at, created_at;
	enum q_rec_state state; /* changed only by engine_state_recurring() */
	char *name;		/* [recurring:NAME] of the configuration, or NULL (task schedule) */
};

struct q_error {
	int64_t task;
	int idx; /* step index, -1 = the task itself */
	const char *message, *output_tail;
	int64_t at;
};

/* A step's own output (migration 6): the tails its worker kept of one attempt. */
struct q_steplog {
	int idx;			       /* step index (read back) */
	int attempt;			       /* the attempt that printed it */
	const char *stdout_tail, *stderr_tail; /* the last bytes of each stream, or NULL */
	int64_t stdout_bytes, stderr_bytes;    /* bytes each stream had in all (> tail: cut) */
	int64_t dropped;		       /* lines not sent live (rate cap) */
};

struct qb; /* a backend's open handle */

typedef int (*q_task_fn)(void *arg, struct q_task *t); /* row valid during the call; non-0 stops */
typedef int (*q_step_fn)(void *arg, struct q_step *s);
typedef int (*q_error_fn)(void *arg, const struct q_error *er);
typedef int (*q_steplog_fn)(void *arg, const struct q_steplog *l); /* valid during the call */
typedef int (*q_recurring_fn)(void *arg, struct q_recurring *r);   /* row valid during the call */
typedef int (*q_lock_fn)(void *arg, const char *resource, bool exclusive, const char *task_id);

struct queue_ops {
	const char *name;
	/* Open (create, migrate) the store. NULL + err on failure. */
	struct qb *(*open)(const char *path, enum conf_durability dur, char *err, size_t errlen);
	void (*close)(struct qb *b);
	/* The last error's text, for clients: "PATH: database is read-only" (the cause in words:
	 * read-only, disk full, locked, I/O error, not a database, corrupt), never SQL. */
	const char *(*error)(struct qb *b);
	/* Where the details of each failure go (statement, the store's own message): the debug
	 * log. May be NULL in a backend. */
	void (*set_debug)(struct qb *b, void (*fn)(void *arg, const char *detail), void *arg);

	int (*begin)(struct qb *b); /* 0 / -1 */
	int (*commit)(struct qb *b);
	int (*rollback)(struct qb *b);
	int (*savepoint)(struct qb *b);	  /* nested: one request's writes */
	int (*release)(struct qb *b);	  /* keep them */
	int (*rollback_to)(struct qb *b); /* drop them (then release) */
	/* Move the log into the store: truncate=false is PASSIVE, true is TRUNCATE (idle). */
	int (*checkpoint)(struct qb *b, bool truncate);
	/* Pages in the write-ahead log after the last commit (0 when unknown). */
	int (*wal_pages)(struct qb *b);

	int (*task_insert)(struct qb *b, struct q_task *t); /* t->rowid 0: sets it; else inserts with it */
	/* Many rows at once, each with the rowid the caller gave it (the engine numbers its rows). */
	int (*task_insert_many)(struct qb *b, struct q_task *const *rows, size_t n);
	int (*step_insert_many)(struct qb *b, struct q_step *const *rows, size_t n);
	/* The largest task and step rowids in the store (0: none). */
	int (*max_rowids)(struct qb *b, int64_t *task, int64_t *step);
	/* state, result, started_at, ended_at, steps_done, progress, output, flags */
	int (*task_update)(struct qb *b, const struct q_task *t);
	int (*step_insert)(struct qb *b, struct q_step *s); /* as task_insert */
	/* state, worker, pid, lease_until, attempts, started_at, ended_at */
	int (*step_update)(struct qb *b, const struct q_step *s);
	int (*error_insert)(struct qb *b, const struct q_error *er);

	/* Exclusive locks held on resource: fn per holder (the caller skips its own parents). */
	int (*lock_holders)(struct qb *b, const char *resource, q_lock_fn fn, void *arg);
	/* -1 also when the unique exclusive index refuses it. */
	int (*lock_insert)(struct qb *b, int64_t task, const char *resource, bool exclusive);
	int (*locks_release)(struct qb *b, int64_t task);
	int (*locks_of)(struct qb *b, int64_t task, q_lock_fn fn, void *arg);
	/* Every lock and link on resource (exclusive or not); resource NULL: all of them. */
	int (*locks_on)(struct qb *b, const char *resource, q_lock_fn fn, void *arg);
	/* Delete a task with its steps, errors and locks (cleanup). */
	int (*task_delete)(struct qb *b, int64_t task);

	/* Find a task by id or unique id prefix: 0 found (*out filled), 1 none, 2 ambiguous, -1 error. */
	int (*task_find)(struct qb *b, const char *id, struct q_task *out);
	int (*task_get)(struct qb *b, int64_t rowid, struct q_task *out); /* 0, 1 none, -1 */
	/* Every task not stopped, by rowid. */
	int (*tasks_active)(struct qb *b, q_task_fn fn, void *arg);
	/* Tasks matching a search query (search.h syntax, NULL = all), ordered, limited (0 = all).
	 * -1 with the reason in err for a bad query or order. */
	int (*task_list)(struct qb *b, const char *search, const char *order, long limit, int64_t now_ms,
			 q_task_fn fn, void *arg, char *err, size_t errlen);
	/* The row numbers of the tasks task_list would walk, in its order (a malloc'd array in *out;
	 * 8 bytes a task: lists and exports are streamed from it). -1 with the reason in err. */
	int (*task_nums)(struct qb *b, const char *search, const char *order, long limit, int64_t now_ms,
			 int64_t **out, size_t *n, char *err, size_t errlen);
	int (*children_of)(struct qb *b, const char *id, q_task_fn fn, void *arg);
	/* The child that step `step` of task parent_id spawned as its spawn_index-th: 0 found (*out
	 * filled), 1 none, -1 error. */
	int (*child_find)(struct qb *b, const char *parent_id, int step, int spawn_index, struct q_task *out);
	int (*steps_of)(struct qb *b, int64_t task, q_step_fn fn, void *arg);
	int (*errors_of)(struct qb *b, int64_t task, q_error_fn fn, void *arg);
	/* A step's output tails (replacing an earlier attempt's), and the steps of task that have
	 * some, by index. */
	int (*step_log_set)(struct qb *b, int64_t step, const struct q_steplog *l);
	int (*step_logs_of)(struct qb *b, int64_t task, q_steplog_fn fn, void *arg);

	int (*recurring_insert)(struct qb *b, struct q_recurring *r); /* sets r->rowid */
	/* iteration, last_at, next_at, state */
	int (*recurring_update)(struct qb *b, const struct q_recurring *r);
	/* All of them (active_only: state active), oldest first. */
	int (*recurring_list)(struct qb *b, bool active_only, q_recurring_fn fn, void *arg);
	/* By id or unique prefix: 0 found (*out filled, free with q_recurring_clear), 1 none, 2 ambiguous,
	 * -1. */
	int (*recurring_find)(struct qb *b, const char *id, struct q_recurring *out);
	/* The newest logic with this configuration name: 0 found, 1 none, -1. */
	int (*recurring_by_name)(struct qb *b, const char *name, struct q_recurring *out);

	/* A write and a read (ping): 0 or -1 with text in msg. */
	int (*ping)(struct qb *b, char *msg, size_t len);
};

extern const struct queue_ops queue_sqlite_ops;

/*
 * The backend by name (NULL = "sqlite"), loaded on first use from
 * LIBDIR/taskvisor/ (installed) or $exe_dir/../lib/taskvisor/queue-NAME.so (lib/paths.c)
 * unless linked into the program
 * (store/queue.c). NULL with a message in err.
 */
const struct queue_ops *queue_backend_load(const char *name, char *err, size_t errlen);
/* The index of s in names[n], or -1. */
int q_name_index(const char *const *names, size_t n, const char *s);

const char *q_task_state_name(enum q_task_state s);
const char *q_result_name(enum q_result r);
const char *q_step_state_name(enum q_step_state s);
int q_task_state_parse(const char *s); /* -1 unknown */
int q_result_parse(const char *s);
int q_step_state_parse(const char *s);
const char *q_rec_state_name(enum q_rec_state s);
int q_rec_state_parse(const char *s); /* -1 unknown */
const char *q_on_error_name(enum conf_on_error e);
int q_on_error_parse(const char *s); /* -1 unknown */

/* Free a row's strings (the struct itself is the caller's) and zero it. */
void q_task_clear(struct q_task *t);
void q_step_clear(struct q_step *s);
void q_recurring_clear(struct q_recurring *r);

/* The current wall clock in milliseconds (replaceable by tests: q_now_override). */
int64_t q_now_ms(void);
/* A test seam, the one writable global: non-0 makes q_now_ms() return it. */
extern int64_t q_now_override;

#endif
