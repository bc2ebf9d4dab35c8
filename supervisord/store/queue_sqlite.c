/*
 * queue_sqlite.c — the SQLite backend of queue_backend.h.
 *
 * One database file in WAL mode. The schema is a list of numbered migrations
 * applied in order on open (schema_version remembers the last one); a
 * migration is never edited once released: add the next one. Every fixed
 * statement is prepared once at open. Automatic checkpoints are off: the
 * engine checkpoints deliberately (PASSIVE when the log grew, TRUNCATE when
 * idle), so a long-lived reader cannot make the log grow without bound
 * unnoticed and no commit pays for a checkpoint at random.
 *
 * Times are INTEGER milliseconds since the epoch, NULL when unset; supervisord/store/search.c
 * compiles queries against the tasks columns by these names.
 *
 * No statement here changes a state by itself: the UPDATEs write the states
 * the engine's transition functions set (queue_backend.h), DELETE removes
 * stopped tasks (cleanup), and qs_read_row loads what is stored.
 *
 * Each row type is a table of its columns (qs_task_cols, qs_step_cols, ...: the
 * member, how it is stored, whether the UPDATE writes it): qs_bind_row and
 * qs_read_row serve every type, as do one walk (qs_each), one single-row read
 * (qs_first), one id-prefix lookup, one insert, batch insert and update.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "queue_backend.h"

#define QS_HAVE_SEARCH 1
#include "search.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define qs_parse q_name_index

/* ---- schema ---- */

/* Numbered migrations: index i brings the schema to version i + 1. Append only. */
static const char *const qs_migrations[] = {
    /* 1: tasks, steps, errors, locks, recurring logics. */
    "CREATE TABLE tasks ("
    " num INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " label TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " queue TEXT NOT NULL,"
    " input TEXT NOT NULL DEFAULT '{}',"
    " output TEXT NOT NULL DEFAULT '{}',"
    " state TEXT NOT NULL,"
    " result TEXT NOT NULL,"
    " triggered_by TEXT,"
    " parent_task_id TEXT,"
    " parent_step INTEGER,"
    " recurring_id INTEGER,"
    " start_at INTEGER,"
    " start_before INTEGER,"
    " created_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " ended_at INTEGER,"
    " steps_total INTEGER NOT NULL DEFAULT 0,"
    " steps_done INTEGER NOT NULL DEFAULT 0,"
    " progress TEXT NOT NULL DEFAULT '{}',"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " on_error TEXT NOT NULL DEFAULT 'pause',"
    " retry_on_worker_loss INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tasks_state_result ON tasks(state, result);"
    "CREATE INDEX tasks_label ON tasks(label);"
    "CREATE INDEX tasks_started_at ON tasks(started_at);"
    "CREATE INDEX tasks_ended_at ON tasks(ended_at);"
    "CREATE INDEX tasks_parent ON tasks(parent_task_id) WHERE parent_task_id IS NOT NULL;"
    "CREATE INDEX tasks_created_at ON tasks(created_at);"
    "CREATE INDEX tasks_recurring ON tasks(recurring_id) WHERE recurring_id IS NOT NULL;"
    "CREATE TABLE steps ("
    " num INTEGER PRIMARY KEY,"
    " task INTEGER NOT NULL REFERENCES tasks(num) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " command TEXT,"
    " handler TEXT,"
    " state TEXT NOT NULL,"
    " worker TEXT,"
    " worker_pid INTEGER,"
    " lease_until INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " started_at INTEGER,"
    " ended_at INTEGER,"
    " UNIQUE (task, idx));"
    "CREATE INDEX steps_active ON steps(state) WHERE state IN ('ready', 'running');"
    "CREATE TABLE errors ("
    " num INTEGER PRIMARY KEY,"
    " task INTEGER NOT NULL REFERENCES tasks(num) ON DELETE CASCADE,"
    " step INTEGER,"
    " message TEXT NOT NULL,"
    " output_tail TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX errors_task ON errors(task);"
    "CREATE TABLE locks ("
    " num INTEGER PRIMARY KEY,"
    " resource TEXT NOT NULL,"
    " task INTEGER NOT NULL REFERENCES tasks(num) ON DELETE CASCADE,"
    " exclusive INTEGER NOT NULL DEFAULT 1);"
    "CREATE UNIQUE INDEX locks_exclusive ON locks(resource) WHERE exclusive;"
    "CREATE INDEX locks_resource ON locks(resource);"
    "CREATE INDEX locks_task ON locks(task);"
    "CREATE TABLE recurring ("
    " num INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " label TEXT NOT NULL,"
    " cron TEXT NOT NULL,"
    " input TEXT NOT NULL DEFAULT '{}',"
    " triggered_by TEXT,"
    " iteration INTEGER NOT NULL DEFAULT 0,"
    " iterations INTEGER NOT NULL DEFAULT 0,"
    " until INTEGER,"
    " last_at INTEGER,"
    " next_at INTEGER,"
    " state TEXT NOT NULL DEFAULT 'active',"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX recurring_next ON recurring(next_at) WHERE state = 'active';",
    /* 2: recurring logics declared in the configuration ([recurring:NAME]) keep their name. */
    "ALTER TABLE recurring ADD COLUMN name TEXT;"
    "CREATE INDEX recurring_name ON recurring(name) WHERE name IS NOT NULL;",
    /*
     * 3: fewer index writes per task. steps_active served no query (active
     * steps are read through their tasks); the date indexes leave out the
     * NULLs of tasks not yet started or ended, which every insert added and
     * every start and end moved. A search on a date (started_at > X) implies
     * NOT NULL, so it still uses them.
     */
    "DROP INDEX steps_active;"
    "DROP INDEX tasks_started_at;"
    "DROP INDEX tasks_ended_at;"
    "CREATE INDEX tasks_started_at ON tasks(started_at) WHERE started_at IS NOT NULL;"
    "CREATE INDEX tasks_ended_at ON tasks(ended_at) WHERE ended_at IS NOT NULL;",
    /*
     * 4: what a command step runs, as a JSON array of argv strings: an input
     * value is one element, never text a shell parses (DESIGN.md promise 2).
     * steps.command stays the display text.
     */
    "ALTER TABLE steps ADD COLUMN argv TEXT;",
    /*
     * 5: a child's identity (parent task, step, spawn index): the i-th spawn
     * of a step's attempt. A re-run of the step (worker lost, resume) spawns
     * index 0, 1, ... again and gets the children it already has: never a
     * second child for one index. steps.spawned counts the spawns of the
     * current attempt. Children submitted by hand (--parent) have no index.
     */
    "ALTER TABLE tasks ADD COLUMN spawn_index INTEGER;"
    "ALTER TABLE steps ADD COLUMN spawned INTEGER NOT NULL DEFAULT 0;"
    "CREATE UNIQUE INDEX tasks_spawn ON tasks(parent_task_id, parent_step, spawn_index)"
    " WHERE spawn_index IS NOT NULL;",
    /*
     * 6: a step's own output (README "A step's output"): the last bytes of its
     * stdout and stderr as its worker kept them, how many bytes each stream
     * had in all (more than the tail: it was cut), the lines its worker did
     * not send live (rate cap), and the attempt they belong to. Written once
     * per attempt that printed something; NULL for a step that printed nothing.
     */
    "ALTER TABLE steps ADD COLUMN stdout_tail TEXT;"
    "ALTER TABLE steps ADD COLUMN stderr_tail TEXT;"
    "ALTER TABLE steps ADD COLUMN stdout_bytes INTEGER;"
    "ALTER TABLE steps ADD COLUMN stderr_bytes INTEGER;"
    "ALTER TABLE steps ADD COLUMN log_dropped INTEGER;"
    "ALTER TABLE steps ADD COLUMN log_attempt INTEGER;",
};

#define TASK_COLS                                                                                            \
	"num, id, label, name, queue, input, output, progress, state, result, triggered_by, "                \
	"parent_task_id, parent_step, recurring_id, start_at, start_before, created_at, started_at, "        \
	"ended_at, steps_total, steps_done, flags, on_error, retry_on_worker_loss, spawn_index"
#define STEP_COLS                                                                                            \
	"num, task, idx, name, command, handler, state, worker, worker_pid, lease_until, attempts, "         \
	"started_at, ended_at, argv, spawned"

#define REC_COLS                                                                                             \
	"num, id, label, cron, input, triggered_by, iteration, iterations, until, last_at, next_at, state, " \
	"created_at, name"
#define ERROR_COLS "task, step, message, output_tail, at"
#define LOCK_COLS "l.resource, l.exclusive, t.id"

/* One row's parameters: an INSERT names the columns of the SELECTs, in their order (qs_bind_row). */
#define QS_TASK_ROW "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define QS_STEP_ROW "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define QS_REC_ROW "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
/* Rows per multi-row INSERT: one statement's overhead shared (4.8 -> 2.9 us a task row here). */
#define QS_BATCH 32

enum qs_stmt {
	QS_BEGIN,
	QS_COMMIT,
	QS_ROLLBACK,
	QS_SAVEPOINT,
	QS_RELEASE,
	QS_ROLLBACK_TO,
	QS_TASK_INSERT,
	QS_TASK_UPDATE,
	QS_STEP_INSERT,
	QS_STEP_UPDATE,
	QS_ERROR_INSERT,
	QS_LOCK_HOLDERS,
	QS_LOCK_INSERT,
	QS_LOCKS_RELEASE,
	QS_LOCKS_OF,
	QS_LOCKS_ON,
	QS_TASK_DELETE,
	QS_TASK_FIND,
	QS_TASK_GET,
	QS_TASKS_ACTIVE,
	QS_CHILDREN_OF,
	QS_CHILD_FIND,
	QS_STEPS_OF,
	QS_ERRORS_OF,
	QS_STEP_LOG_SET,
	QS_STEP_LOGS_OF,
	QS_REC_INSERT,
	QS_REC_UPDATE,
	QS_REC_ALL,
	QS_REC_ACTIVE,
	QS_REC_FIND,
	QS_REC_BY_NAME,
	QS_PING_WRITE,
	QS_PING_READ,
	QS_NSTMT
};

static const char *const qs_sql[QS_NSTMT] = {
    [QS_BEGIN] = "BEGIN IMMEDIATE",
    [QS_COMMIT] = "COMMIT",
    [QS_ROLLBACK] = "ROLLBACK",
    [QS_SAVEPOINT] = "SAVEPOINT req",
    [QS_RELEASE] = "RELEASE req",
    [QS_ROLLBACK_TO] = "ROLLBACK TO req",
    /*
     * The hot rows are written OR FAIL: one row each, whose constraints are all
     * checked before anything is written, so a failure changes nothing and
     * SQLite need not copy every page the statement touches into a statement
     * journal first (the copies and their malloc()s were a third of the
     * daemon's CPU per task). An I/O error or a full disk still rolls back the
     * whole transaction: qs_run then refuses every statement until the commit,
     * which fails, so nothing is acknowledged that was not stored.
     */
    /*
     * num NULL: SQLite picks the rowid; the engine gives its own (engine.next_task).
     * An UPDATE's parameters: ?1 the key (num), then the columns it writes, in the
     * order of the row's table (qs_task_cols, qs_step_cols, qs_rec_cols: `updated`).
     */
    [QS_TASK_INSERT] = "INSERT OR FAIL INTO tasks (" TASK_COLS ") VALUES (" QS_TASK_ROW ")",
    [QS_TASK_UPDATE] = "UPDATE OR FAIL tasks SET output = ?2, progress = ?3, state = ?4, result = ?5, "
		       "started_at = ?6, ended_at = ?7, steps_done = ?8, flags = ?9 WHERE num = ?1",
    [QS_STEP_INSERT] = "INSERT OR FAIL INTO steps (" STEP_COLS ") VALUES (" QS_STEP_ROW ")",
    [QS_STEP_UPDATE] = "UPDATE OR FAIL steps SET state = ?2, worker = ?3, worker_pid = ?4, lease_until = ?5, "
		       "attempts = ?6, started_at = ?7, ended_at = ?8, spawned = ?9 WHERE num = ?1",
    [QS_ERROR_INSERT] = "INSERT INTO errors (" ERROR_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    [QS_LOCK_HOLDERS] = "SELECT " LOCK_COLS " FROM locks l JOIN tasks t ON t.num = l.task "
			"WHERE l.resource = ?1 AND l.exclusive",
    [QS_LOCK_INSERT] = "INSERT INTO locks (task, resource, exclusive) VALUES (?1, ?2, ?3)",
    [QS_LOCKS_RELEASE] = "DELETE FROM locks WHERE task = ?1",
    [QS_LOCKS_OF] = "SELECT " LOCK_COLS " FROM locks l JOIN tasks t ON t.num = l.task "
		    "WHERE l.task = ?1 ORDER BY l.num",
    /* ?1 NULL: every lock (the table holds only what live tasks hold, so a scan is small) */
    [QS_LOCKS_ON] = "SELECT " LOCK_COLS " FROM locks l JOIN tasks t ON t.num = l.task "
		    "WHERE ?1 IS NULL OR l.resource = ?1 ORDER BY l.resource, l.num",
    [QS_TASK_DELETE] = "DELETE FROM tasks WHERE num = ?1",
    /* A prefix range on the unique index: ids are lowercase hex and '-', all below '~'. */
    [QS_TASK_FIND] = "SELECT " TASK_COLS " FROM tasks WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT 2",
    [QS_TASK_GET] = "SELECT " TASK_COLS " FROM tasks WHERE num = ?1",
    [QS_TASKS_ACTIVE] = "SELECT " TASK_COLS " FROM tasks WHERE state IN ('planning', 'planned', 'running', "
			"'paused') ORDER BY num",
    [QS_CHILDREN_OF] = "SELECT " TASK_COLS " FROM tasks WHERE parent_task_id = ?1 ORDER BY num",
    [QS_CHILD_FIND] = "SELECT " TASK_COLS " FROM tasks WHERE parent_task_id = ?1 AND parent_step = ?2 AND "
		      "spawn_index = ?3",
    [QS_STEPS_OF] = "SELECT " STEP_COLS " FROM steps WHERE task = ?1 ORDER BY idx",
    [QS_ERRORS_OF] = "SELECT " ERROR_COLS " FROM errors WHERE task = ?1 ORDER BY num",
    [QS_STEP_LOG_SET] = "UPDATE OR FAIL steps SET stdout_tail = ?2, stderr_tail = ?3, stdout_bytes = ?4, "
			"stderr_bytes = ?5, log_dropped = ?6, log_attempt = ?7 WHERE num = ?1",
    [QS_STEP_LOGS_OF] = "SELECT idx, log_attempt, stdout_tail, stderr_tail, stdout_bytes, stderr_bytes, "
			"log_dropped FROM steps WHERE task = ?1 AND log_attempt IS NOT NULL ORDER BY idx",
    [QS_REC_INSERT] = "INSERT INTO recurring (" REC_COLS ") VALUES (" QS_REC_ROW ")",
    [QS_REC_UPDATE] =
	"UPDATE recurring SET iteration = ?2, last_at = ?3, next_at = ?4, state = ?5 WHERE num = ?1",
    [QS_REC_ALL] = "SELECT " REC_COLS " FROM recurring ORDER BY num",
    [QS_REC_ACTIVE] = "SELECT " REC_COLS " FROM recurring WHERE state = 'active' ORDER BY num",
    [QS_REC_BY_NAME] = "SELECT " REC_COLS " FROM recurring WHERE name = ?1 ORDER BY num DESC LIMIT 1",
    [QS_REC_FIND] =
	"SELECT " REC_COLS " FROM recurring WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT 2",
    [QS_PING_WRITE] = "INSERT OR REPLACE INTO schema_version (rowid, version) SELECT rowid, version FROM "
		      "schema_version LIMIT 1",
    [QS_PING_READ] = "SELECT count(*) FROM tasks WHERE state IN ('running', 'paused')",
};

/* ---- rows: one table per row type ---- */

/* How a member of a row struct is stored in its column. */
enum qs_kind {
	QK_TEXT,  /* char *: malloc'd on read */
	QK_VIEW,  /* const char *: on read, it points into the statement's row (valid during a walk's call) */
	QK_ID,	  /* char[Q_ID_LEN] */
	QK_INT,	  /* int */
	QK_INT64, /* int64_t */
	QK_OPT,	  /* int64_t, 0 (unset) stored as NULL: times, a rowid SQLite is to pick */
	QK_PID,	  /* pid_t, 0 stored as NULL */
	QK_INDEX, /* int, negative (none) stored as NULL, read as -1 */
	QK_SPAWN, /* a task's spawn_index: as QK_INDEX, stored only with its parent and step */
	QK_TASK_STATE, /* the enums are stored by name */
	QK_RESULT,
	QK_ON_ERROR, /* a name this version does not know reads as pause */
	QK_STEP_STATE,
	QK_REC_STATE, /* ... as failed */
};

struct qs_col {
	enum qs_kind kind;
	size_t off;	       /* of the member in the row struct */
	const char *null_text; /* QK_TEXT, QK_VIEW: what a NULL member is stored as (NULL: NULL) */
	bool updated;	       /* written by the row type's UPDATE */
};

/* A lock row as a walk reads it. */
struct qs_lock {
	const char *resource;
	int exclusive;
	const char *task_id;
};

/* Any row a walk reads. */
union qs_row {
	struct q_task task;
	struct q_step step;
	struct q_recurring rec;
	struct q_error error;
	struct qs_lock lock;
};

/* The caller's function of a walk, of the row type's kind, and its argument. */
struct qs_visit {
	union {
		q_task_fn task;
		q_step_fn step;
		q_error_fn error;
		q_recurring_fn rec;
		q_lock_fn lock;
	} fn;
	void *arg;
};

/*
 * A row type: its table and columns (names: the column list of its SELECTs and
 * INSERT, in the order of cols), the statements that read (checked against cols
 * at open), insert and update its rows, and how a walk hands a row to the
 * caller's function and frees it.
 */
struct qs_type {
	const char *table, *names;
	const struct qs_col *cols; /* cols[0] the key (num) of tasks, steps and recurring logics */
	size_t ncols, size;
	size_t id_off;			     /* the QK_ID member: found by id prefix */
	enum qs_stmt select, insert, update; /* QS_NSTMT: none */
	int (*call)(const struct qs_visit *v, union qs_row *row);
	void (*clear)(union qs_row *row); /* frees what a read allocated; NULL: nothing */
	const char *what;		  /* the rows, in debug lines: "tasks" */
};

static int qs_call_task(const struct qs_visit *v, union qs_row *row)
{
	return v->fn.task(v->arg, &row->task);
}
static void qs_clear_task(union qs_row *row)
{
	q_task_clear(&row->task);
}

#define QT(m) offsetof(struct q_task, m)
static const struct qs_col qs_task_cols[] = {
    {QK_OPT, QT(rowid), NULL, false},	      {QK_ID, QT(id), NULL, false},
    {QK_TEXT, QT(label), NULL, false},	      {QK_TEXT, QT(name), NULL, false},
    {QK_TEXT, QT(queue), NULL, false},	      {QK_TEXT, QT(input), "{}", false},
    {QK_TEXT, QT(output), "{}", true},	      {QK_TEXT, QT(progress), "{}", true},
    {QK_TASK_STATE, QT(state), NULL, true},   {QK_RESULT, QT(result), NULL, true},
    {QK_TEXT, QT(triggered_by), NULL, false}, {QK_TEXT, QT(parent_task_id), NULL, false},
    {QK_INDEX, QT(parent_step), NULL, false}, {QK_OPT, QT(recurring_id), NULL, false},
    {QK_OPT, QT(start_at), NULL, false},      {QK_OPT, QT(start_before), NULL, false},
    {QK_INT64, QT(created_at), NULL, false},  {QK_OPT, QT(started_at), NULL, true},
    {QK_OPT, QT(ended_at), NULL, true},	      {QK_INT, QT(steps_total), NULL, false},
    {QK_INT, QT(steps_done), NULL, true},     {QK_INT, QT(flags), NULL, true},
    {QK_ON_ERROR, QT(on_error), NULL, false}, {QK_INT, QT(retry_on_worker_loss), NULL, false},
    {QK_SPAWN, QT(spawn_index), NULL, false},
};
static const struct qs_type qs_task_type = {.table = "tasks",
					    .names = TASK_COLS,
					    .cols = qs_task_cols,
					    .ncols = NELEM(qs_task_cols),
					    .size = sizeof(struct q_task),
					    .id_off = QT(id),
					    .select = QS_TASK_GET,
					    .insert = QS_TASK_INSERT,
					    .update = QS_TASK_UPDATE,
					    .call = qs_call_task,
					    .clear = qs_clear_task,
					    .what = "tasks"};

static int qs_call_step(const struct qs_visit *v, union qs_row *row)
{
	return v->fn.step(v->arg, &row->step);
}
static void qs_clear_step(union qs_row *row)
{
	q_step_clear(&row->step);
}

#define QST(m) offsetof(struct q_step, m)
static const struct qs_col qs_step_cols[] = {
    {QK_OPT, QST(rowid), NULL, false},	     {QK_INT64, QST(task), NULL, false},
    {QK_INT, QST(idx), NULL, false},	     {QK_TEXT, QST(name), NULL, false},
    {QK_TEXT, QST(command), NULL, false},    {QK_TEXT, QST(handler), NULL, false},
    {QK_STEP_STATE, QST(state), NULL, true}, {QK_TEXT, QST(worker), NULL, true},
    {QK_PID, QST(pid), NULL, true},	     {QK_OPT, QST(lease_until), NULL, true},
    {QK_INT, QST(attempts), NULL, true},     {QK_OPT, QST(started_at), NULL, true},
    {QK_OPT, QST(ended_at), NULL, true},     {QK_TEXT, QST(argv), NULL, false},
    {QK_INT, QST(spawned), NULL, true},
};
static const struct qs_type qs_step_type = {.table = "steps",
					    .names = STEP_COLS,
					    .cols = qs_step_cols,
					    .ncols = NELEM(qs_step_cols),
					    .size = sizeof(struct q_step),
					    .id_off = 0,
					    .select = QS_STEPS_OF,
					    .insert = QS_STEP_INSERT,
					    .update = QS_STEP_UPDATE,
					    .call = qs_call_step,
					    .clear = qs_clear_step,
					    .what = "steps"};

static int qs_call_rec(const struct qs_visit *v, union qs_row *row)
{
	return v->fn.rec(v->arg, &row->rec);
}
static void qs_clear_rec(union qs_row *row)
{
	q_recurring_clear(&row->rec);
}

#define QR(m) offsetof(struct q_recurring, m)
static const struct qs_col qs_rec_cols[] = {
    {QK_OPT, QR(rowid), NULL, false},	     {QK_ID, QR(id), NULL, false},
    {QK_TEXT, QR(label), NULL, false},	     {QK_TEXT, QR(cron), NULL, false},
    {QK_TEXT, QR(input), "{}", false},	     {QK_TEXT, QR(triggered_by), NULL, false},
    {QK_INT, QR(iteration), NULL, true},     {QK_INT, QR(iterations), NULL, false},
    {QK_OPT, QR(until), NULL, false},	     {QK_OPT, QR(last_at), NULL, true},
    {QK_OPT, QR(next_at), NULL, true},	     {QK_REC_STATE, QR(state), NULL, true},
    {QK_INT64, QR(created_at), NULL, false}, {QK_TEXT, QR(name), NULL, false},
};
static const struct qs_type qs_rec_type = {.table = "recurring",
					   .names = REC_COLS,
					   .cols = qs_rec_cols,
					   .ncols = NELEM(qs_rec_cols),
					   .size = sizeof(struct q_recurring),
					   .id_off = QR(id),
					   .select = QS_REC_ALL,
					   .insert = QS_REC_INSERT,
					   .update = QS_REC_UPDATE,
					   .call = qs_call_rec,
					   .clear = qs_clear_rec,
					   .what = "recurring logics"};

static int qs_call_error(const struct qs_visit *v, union qs_row *row)
{
	return v->fn.error(v->arg, &row->error);
}

#define QE(m) offsetof(struct q_error, m)
static const struct qs_col qs_error_cols[] = {
    {QK_INT64, QE(task), NULL, false}, {QK_INDEX, QE(idx), NULL, false},
    {QK_VIEW, QE(message), "", false}, {QK_VIEW, QE(output_tail), NULL, false},
    {QK_INT64, QE(at), NULL, false},
};
static const struct qs_type qs_error_type = {.table = "errors",
					     .names = ERROR_COLS,
					     .cols = qs_error_cols,
					     .ncols = NELEM(qs_error_cols),
					     .size = sizeof(struct q_error),
					     .id_off = 0,
					     .select = QS_ERRORS_OF,
					     .insert = QS_ERROR_INSERT,
					     .update = QS_NSTMT,
					     .call = qs_call_error,
					     .clear = NULL,
					     .what = "errors"};

static int qs_call_lock(const struct qs_visit *v, union qs_row *row)
{
	return v->fn.lock(v->arg, row->lock.resource, row->lock.exclusive != 0, row->lock.task_id);
}

#define QL(m) offsetof(struct qs_lock, m)
static const struct qs_col qs_lock_cols[] = {
    {QK_VIEW, QL(resource), NULL, false},
    {QK_INT, QL(exclusive), NULL, false},
    {QK_VIEW, QL(task_id), NULL, false},
};
static const struct qs_type qs_lock_type = {.table = "locks",
					    .names = LOCK_COLS,
					    .cols = qs_lock_cols,
					    .ncols = NELEM(qs_lock_cols),
					    .size = sizeof(struct qs_lock),
					    .id_off = 0,
					    .select = QS_LOCKS_OF,
					    .insert = QS_NSTMT,
					    .update = QS_NSTMT,
					    .call = qs_call_lock,
					    .clear = NULL,
					    .what = "locks"};

static const struct qs_type *const qs_types[] = {&qs_task_type, &qs_step_type, &qs_rec_type, &qs_error_type,
						 &qs_lock_type};

struct qb {
	sqlite3 *db;
	sqlite3_stmt *st[QS_NSTMT];
	sqlite3_stmt *task_many, *step_many; /* QS_BATCH rows each */
	int wal_pages;
	bool in_tx; /* between BEGIN and COMMIT/ROLLBACK */
	/*
	 * A write that failed inside the transaction (read-only file, full disk,
	 * I/O error) poisons it: its COMMIT is refused, so a group in which any
	 * write was lost never commits the others (nothing half-recorded). A
	 * savepoint rolled back takes its own failures with it.
	 */
	bool poisoned, sp_poisoned;
	char poison[512];
	char *path;
	char err[512]; /* "PATH: database is read-only": what a client may see */
	void (*debug)(void *arg, const char *detail); /* the statement and SQLite's text, or NULL */
	void *debug_arg;
};

/* SQLite's primary result codes that say it all in a few words. */
static const struct {
	int rc;
	const char *words;
} qs_plain_words[] = {
    {SQLITE_READONLY, "database is read-only"}, {SQLITE_FULL, "disk full"},
    {SQLITE_BUSY, "database is locked"},	{SQLITE_LOCKED, "database is locked"},
    {SQLITE_NOTADB, "file is not a database"},	{SQLITE_CORRUPT, "database is corrupt"},
    {SQLITE_PERM, "permission denied"},		{SQLITE_AUTH, "permission denied"},
};

/* SQLite's result code in an operator's words (never SQL text). */
static void qs_words(sqlite3 *db, int rc, char *buf, size_t len)
{
	int sys = db != NULL ? sqlite3_system_errno(db) : 0;

	for (size_t i = 0; i < NELEM(qs_plain_words); i++) {
		if ((rc & 0xff) == qs_plain_words[i].rc) {
			snprintf(buf, len, "%s", qs_plain_words[i].words);
			return;
		}
	}
	switch (rc & 0xff) {
	case SQLITE_IOERR:
		if (sys == ENOSPC || sys == EDQUOT)
			snprintf(buf, len, "disk full");
		else if (sys == EROFS)
			snprintf(buf, len, "database is read-only (%s)", strerror(sys));
		else if (sys != 0)
			snprintf(buf, len, "I/O error (%s)", strerror(sys));
		else
			snprintf(buf, len, "I/O error");
		break;
	case SQLITE_CANTOPEN:
		if (sys != 0)
			snprintf(buf, len, "unable to open the database file (%s)", strerror(sys));
		else
			snprintf(buf, len, "unable to open the database file");
		break;
	case SQLITE_CONSTRAINT: /* "UNIQUE constraint failed: tasks.id": words, no statement */
		snprintf(buf, len, "%s", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		break;
	default:
		snprintf(buf, len, "%s", sqlite3_errstr(rc));
	}
}

/* The last failure as "PATH: words" in b->err; what failed (a label or the statement) and
 * SQLite's own text go to the debug hook only. */
static int qs_fail_rc(struct qb *b, int rc, const char *what, const char *sqlmsg)
{
	char words[256];

	qs_words(b->db, rc, words, sizeof(words));
	/* a file system mounted read-only shows as "unable to open" (the -shm cannot be made) */
	if ((rc & 0xff) == SQLITE_CANTOPEN && b->path != NULL && access(b->path, W_OK) < 0 && errno == EROFS)
		snprintf(words, sizeof(words), "database is read-only (%s)", strerror(EROFS));
	snprintf(b->err, sizeof(b->err), "%s: %s", b->path != NULL ? b->path : "database", words);
	if (b->debug != NULL) {
		char detail[1200];

		snprintf(detail, sizeof(detail), "%.511s: %.300s: %.300s", b->err, what, sqlmsg);
		b->debug(b->debug_arg, detail);
	}
	return -1;
}

static int qs_fail(struct qb *b, const char *what)
{
	return qs_fail_rc(b, sqlite3_extended_errcode(b->db), what, sqlite3_errmsg(b->db));
}

/* Record the log size after each commit (the engine decides when to checkpoint). */
static int qs_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	((struct qb *)arg)->wal_pages = pages;
	return SQLITE_OK;
}

static int qs_exec(struct qb *b, const char *sql)
{
	char *msg = NULL;

	int rc = sqlite3_exec(b->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		qs_fail_rc(b, sqlite3_extended_errcode(b->db), sql,
			   msg != NULL ? msg : sqlite3_errmsg(b->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Bring the schema to the newest version, one transaction per migration. */
static int qs_migrate(struct qb *b)
{
	sqlite3_stmt *st;
	int version = 0;

	if (qs_exec(b, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") < 0)
		return -1;
	if (sqlite3_prepare_v2(b->db, "SELECT version FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return qs_fail(b, "schema_version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)NELEM(qs_migrations)) {
		snprintf(b->err, sizeof(b->err),
			 "%s: database schema version %d is newer than this taskvisord (%zu)", b->path,
			 version, NELEM(qs_migrations));
		return -1;
	}
	for (size_t i = (size_t)version; i < NELEM(qs_migrations); i++) {
		char sql[128];

		if (qs_exec(b, "BEGIN IMMEDIATE") < 0)
			return -1;
		snprintf(sql, sizeof(sql),
			 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%zu)", i + 1);
		if (qs_exec(b, qs_migrations[i]) < 0 || qs_exec(b, sql) < 0) {
			char why[sizeof(b->err)];

			snprintf(why, sizeof(why), "%s", b->err);
			sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
			snprintf(b->err, sizeof(b->err), "%.440s (migration %zu)", why, i + 1);
			return -1;
		}
		if (qs_exec(b, "COMMIT") < 0)
			return -1;
	}
	return 0;
}

/* INSERT OR FAIL INTO table (cols) VALUES (?, ...), ... QS_BATCH rows. */
static int qs_prepare_many(struct qb *b, const struct qs_type *type, sqlite3_stmt **st)
{
	size_t cap = strlen(type->names) + 64 + (type->ncols * 3 + 4) * QS_BATCH, n;
	char *sql = malloc(cap);
	int rc;

	if (sql == NULL)
		return -1;
	n = (size_t)snprintf(sql, cap, "INSERT OR FAIL INTO %s (%s) VALUES ", type->table, type->names);
	for (int i = 0; i < QS_BATCH; i++)
		for (size_t c = 0; c < type->ncols; c++)
			n += (size_t)snprintf(sql + n, cap - n, "%s?%s",
					      c > 0   ? ", "
					      : i > 0 ? ", ("
						      : "(",
					      c + 1 == type->ncols ? ")" : "");
	rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Each row table against its statements (a column added to a statement and not
 * to the table, or the other way): the SELECT yields a column per entry, the
 * INSERT takes a parameter per entry, the UPDATE the key and the updated ones.
 */
static int qs_check_types(struct qb *b)
{
	for (size_t i = 0; i < NELEM(qs_types); i++) {
		const struct qs_type *t = qs_types[i];
		int updated = 1;

		for (size_t c = 0; c < t->ncols; c++)
			updated += t->cols[c].updated;
		if ((size_t)sqlite3_column_count(b->st[t->select]) != t->ncols ||
		    (t->insert != QS_NSTMT &&
		     (size_t)sqlite3_bind_parameter_count(b->st[t->insert]) != t->ncols) ||
		    (t->update != QS_NSTMT && sqlite3_bind_parameter_count(b->st[t->update]) != updated)) {
			snprintf(b->err, sizeof(b->err), "%s: the %s statements do not match their row table",
				 b->path, t->table);
			return -1;
		}
	}
	return 0;
}

static void qs_close(struct qb *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < QS_NSTMT; i++)
		sqlite3_finalize(b->st[i]);
	sqlite3_finalize(b->task_many);
	sqlite3_finalize(b->step_many);
	sqlite3_close(b->db);
	free(b->path);
	free(b);
}

static struct qb *qs_open(const char *path, enum conf_durability dur, char *err, size_t errlen)
{
	struct qb *b = calloc(1, sizeof(*b));
	char pragmas[256];

	int rc;

	if (b == NULL || (b->path = strdup(path)) == NULL) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		qs_fail_rc(b, b->db != NULL ? sqlite3_extended_errcode(b->db) : rc, "open",
			   sqlite3_errstr(rc));
		snprintf(err, errlen, "%s", b->err);
		qs_close(b);
		return NULL;
	}
	sqlite3_busy_timeout(b->db, 5000);
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = ON;"
		 " PRAGMA wal_autocheckpoint = 0; PRAGMA temp_store = MEMORY;",
		 dur == DURABILITY_NORMAL ? "NORMAL" : "FULL");
	if (qs_exec(b, pragmas) < 0 || qs_migrate(b) < 0) {
		snprintf(err, errlen, "%s", b->err);
		qs_close(b);
		return NULL;
	}
	for (int i = 0; i < QS_NSTMT; i++) {
		if (sqlite3_prepare_v3(b->db, qs_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL) !=
		    SQLITE_OK) {
			qs_fail(b, qs_sql[i]);
			snprintf(err, errlen, "%s", b->err);
			qs_close(b);
			return NULL;
		}
	}
	if (qs_check_types(b) < 0) {
		snprintf(err, errlen, "%s", b->err);
		qs_close(b);
		return NULL;
	}
	if (qs_prepare_many(b, &qs_task_type, &b->task_many) < 0 ||
	    qs_prepare_many(b, &qs_step_type, &b->step_many) < 0) {
		qs_fail(b, "preparing the batch inserts");
		snprintf(err, errlen, "%s", b->err);
		qs_close(b);
		return NULL;
	}
	sqlite3_wal_hook(b->db, qs_wal_hook, b);
	return b;
}

static const char *qs_error(struct qb *b)
{
	return b->err;
}

static void qs_set_debug(struct qb *b, void (*fn)(void *arg, const char *detail), void *arg)
{
	b->debug = fn;
	b->debug_arg = arg;
}

/* Run a statement that returns no rows. */
static int qs_run_stmt(struct qb *b, sqlite3_stmt *st, const char *what, bool rollback)
{
	int rc;

	if (!b->in_tx && !rollback && st != b->st[QS_BEGIN] && st != b->st[QS_PING_WRITE]) {
		/* every write belongs to the engine's group transaction: none commits on its own */
		if (b->debug != NULL)
			b->debug(b->debug_arg, what);
		snprintf(b->err, sizeof(b->err), "%s: a write outside a transaction", b->path);
		return -1;
	}
	if (b->in_tx && !rollback && sqlite3_get_autocommit(b->db)) {
		/* SQLite rolled the transaction back (I/O error, full disk): write nothing on its own */
		(void)what;
		snprintf(b->err, sizeof(b->err), "%s: the transaction was rolled back by an earlier error",
			 b->path);
		if (!b->poisoned) {
			b->poisoned = true;
			snprintf(b->poison, sizeof(b->poison), "%s", b->err);
		}
		return -1;
	}
	rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		qs_fail(b, what);
		if (b->in_tx && !rollback && !b->poisoned) {
			b->poisoned = true;
			snprintf(b->poison, sizeof(b->poison), "%s", b->err);
		}
		return -1;
	}
	return 0;
}

static int qs_run(struct qb *b, enum qs_stmt which)
{
	return qs_run_stmt(b, b->st[which], qs_sql[which], which == QS_ROLLBACK);
}

static int qs_begin(struct qb *b)
{
	if (qs_run(b, QS_BEGIN) < 0)
		return -1;
	b->in_tx = true;
	b->poisoned = b->sp_poisoned = false;
	return 0;
}
static int qs_commit(struct qb *b)
{
	if (b->poisoned) { /* a write of this transaction failed: the caller rolls back */
		snprintf(b->err, sizeof(b->err), "%s", b->poison);
		return -1;
	}
	if (qs_run(b, QS_COMMIT) < 0)
		return -1; /* still in the transaction: the caller rolls back */
	b->in_tx = false;
	return 0;
}
static int qs_rollback(struct qb *b)
{
	b->in_tx = false;
	b->poisoned = false;
	if (sqlite3_get_autocommit(b->db))
		return 0; /* already rolled back by SQLite */
	return qs_run(b, QS_ROLLBACK);
}
static int qs_savepoint(struct qb *b)
{
	b->sp_poisoned = b->poisoned;
	return qs_run(b, QS_SAVEPOINT);
}
static int qs_release(struct qb *b)
{
	return qs_run(b, QS_RELEASE);
}
static int qs_rollback_to(struct qb *b)
{
	if (qs_run(b, QS_ROLLBACK_TO) < 0)
		return -1;
	b->poisoned = b->sp_poisoned; /* its failures went with it */
	return qs_run(b, QS_RELEASE);
}

static int qs_checkpoint(struct qb *b, bool truncate)
{
	int logged = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(
	    b->db, NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &logged, &done);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return qs_fail(b, "checkpoint");
	if (rc == SQLITE_OK && truncate)
		b->wal_pages = 0;
	else if (logged >= 0 && done >= 0)
		b->wal_pages = logged - done; /* still in the log, not yet in the database */
	return 0;
}

static int qs_wal_pages(struct qb *b)
{
	return b->wal_pages;
}

/* ---- binding and reading rows (the tables above) ---- */

static void qs_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* v, or NULL when it is not set */
static void qs_bind_opt(sqlite3_stmt *st, int i, int64_t v, bool set)
{
	if (set)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline void qs_bind_col(sqlite3_stmt *st, int i, const struct qs_col *c, const void *row)
{
	const void *m = (const char *)row + c->off;
	const char *s;
	int v;

	switch (c->kind) {
	case QK_TEXT:
		s = *(char *const *)m;
		qs_bind_text(st, i, s != NULL ? s : c->null_text);
		break;
	case QK_VIEW:
		s = *(const char *const *)m;
		qs_bind_text(st, i, s != NULL ? s : c->null_text);
		break;
	case QK_ID:
		qs_bind_text(st, i, m);
		break;
	case QK_INT:
		sqlite3_bind_int(st, i, *(const int *)m);
		break;
	case QK_INT64:
		sqlite3_bind_int64(st, i, *(const int64_t *)m);
		break;
	case QK_OPT:
		qs_bind_opt(st, i, *(const int64_t *)m, *(const int64_t *)m != 0);
		break;
	case QK_PID:
		qs_bind_opt(st, i, *(const pid_t *)m, *(const pid_t *)m != 0);
		break;
	case QK_INDEX:
		qs_bind_opt(st, i, *(const int *)m, *(const int *)m >= 0);
		break;
	case QK_SPAWN: {
		const struct q_task *t = row;

		v = *(const int *)m;
		qs_bind_opt(st, i, v, v >= 0 && t->parent_task_id != NULL && t->parent_step >= 0);
		break;
	}
	case QK_TASK_STATE:
		qs_bind_text(st, i, q_task_state_name(*(const enum q_task_state *)m));
		break;
	case QK_RESULT:
		qs_bind_text(st, i, q_result_name(*(const enum q_result *)m));
		break;
	case QK_ON_ERROR:
		qs_bind_text(st, i, q_on_error_name(*(const enum conf_on_error *)m));
		break;
	case QK_STEP_STATE:
		qs_bind_text(st, i, q_step_state_name(*(const enum q_step_state *)m));
		break;
	case QK_REC_STATE:
		qs_bind_text(st, i, q_rec_state_name(*(const enum q_rec_state *)m));
		break;
	}
}

/* row as parameters o + 1, ...: every column (INSERT), or the key and the updated ones (UPDATE). */
static void qs_bind_row(sqlite3_stmt *st, int o, const struct qs_type *type, const void *row, bool update)
{
	for (size_t c = 0; c < type->ncols; c++)
		if (!update || c == 0 || type->cols[c].updated)
			qs_bind_col(st, ++o, &type->cols[c], row);
}

static char *qs_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? strdup((const char *)s) : NULL;
}

static inline void qs_read_col(sqlite3_stmt *st, int i, const struct qs_col *c, void *row)
{
	void *m = (char *)row + c->off;
	const char *s;
	int v;

	switch (c->kind) {
	case QK_TEXT:
		*(char **)m = qs_col_text(st, i);
		break;
	case QK_VIEW:
		*(const char **)m = (const char *)sqlite3_column_text(st, i);
		break;
	case QK_ID:
		s = (const char *)sqlite3_column_text(st, i);
		snprintf(m, Q_ID_LEN, "%s", s != NULL ? s : "");
		break;
	case QK_INT:
		*(int *)m = sqlite3_column_int(st, i);
		break;
	case QK_INT64:
	case QK_OPT:
		*(int64_t *)m = sqlite3_column_int64(st, i);
		break;
	case QK_PID:
		*(pid_t *)m = (pid_t)sqlite3_column_int(st, i);
		break;
	case QK_INDEX:
	case QK_SPAWN:
		*(int *)m = sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int(st, i);
		break;
	case QK_TASK_STATE:
		*(enum q_task_state *)m =
		    (enum q_task_state)q_task_state_parse((const char *)sqlite3_column_text(st, i));
		break;
	case QK_RESULT:
		*(enum q_result *)m = (enum q_result)q_result_parse((const char *)sqlite3_column_text(st, i));
		break;
	case QK_ON_ERROR:
		v = q_on_error_parse((const char *)sqlite3_column_text(st, i));
		*(enum conf_on_error *)m = v < 0 ? ON_ERROR_PAUSE : (enum conf_on_error)v;
		break;
	case QK_STEP_STATE:
		*(enum q_step_state *)m =
		    (enum q_step_state)q_step_state_parse((const char *)sqlite3_column_text(st, i));
		break;
	case QK_REC_STATE: /* read from the store, not a transition */
		v = q_rec_state_parse((const char *)sqlite3_column_text(st, i));
		*(enum q_rec_state *)m = v < 0 ? QREC_FAILED : (enum q_rec_state)v;
		break;
	}
}

static void qs_read_row(sqlite3_stmt *st, const struct qs_type *type, void *row)
{
	memset(row, 0, type->size);
	for (size_t c = 0; c < type->ncols; c++)
		qs_read_col(st, (int)c, &type->cols[c], row);
}

static void qs_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* ---- writes ---- */

/* One row; its key 0: SQLite picks it, and the row gets it. */
static int qs_insert(struct qb *b, const struct qs_type *type, void *row)
{
	qs_bind_row(b->st[type->insert], 0, type, row, false);
	if (qs_run(b, type->insert) < 0)
		return -1;
	*(int64_t *)(void *)((char *)row + type->cols[0].off) = sqlite3_last_insert_rowid(b->db);
	return 0;
}

/* Rows whose rowid the caller chose, QS_BATCH per statement (many), the rest one by one. */
static int qs_insert_many(struct qb *b, const struct qs_type *type, sqlite3_stmt *many, void *const *rows,
			  size_t n)
{
	size_t i = 0;

	for (; n - i >= QS_BATCH; i += QS_BATCH) {
		for (int k = 0; k < QS_BATCH; k++)
			qs_bind_row(many, k * (int)type->ncols, type, rows[i + (size_t)k], false);
		if (qs_run_stmt(b, many, type->what, false) < 0)
			return -1;
	}
	for (; i < n; i++)
		if (qs_insert(b, type, rows[i]) < 0)
			return -1;
	return 0;
}

static int qs_update(struct qb *b, const struct qs_type *type, const void *row)
{
	qs_bind_row(b->st[type->update], 0, type, row, true);
	return qs_run(b, type->update);
}

static int qs_task_insert(struct qb *b, struct q_task *t)
{
	return qs_insert(b, &qs_task_type, t);
}

static int qs_task_insert_many(struct qb *b, struct q_task *const *rows, size_t n)
{
	return qs_insert_many(b, &qs_task_type, b->task_many, (void *const *)rows, n);
}

static int qs_step_insert_many(struct qb *b, struct q_step *const *rows, size_t n)
{
	return qs_insert_many(b, &qs_step_type, b->step_many, (void *const *)rows, n);
}

static int qs_max_rowids(struct qb *b, int64_t *task, int64_t *step)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    b->db, "SELECT (SELECT max(num) FROM tasks), (SELECT max(num) FROM steps)", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return qs_fail(b, "max rowids");
	rc = sqlite3_step(st);
	*task = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	*step = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return qs_fail(b, "max rowids");
	return 0;
}

/* One statement, a scan of the tasks table (the engine caches its answer). */
static int qs_task_counts(struct qb *b, size_t limit, q_count_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(b->db,
				    "SELECT state, result, label, count(*) AS n FROM tasks GROUP BY state, "
				    "result, label ORDER BY n DESC LIMIT ?",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return qs_fail(b, "task counts");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
		       sqlite3_column_int64(st, 3)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return qs_fail(b, "task counts");
	return 0;
}

static int qs_task_update(struct qb *b, const struct q_task *t)
{
	return qs_update(b, &qs_task_type, t);
}

static int qs_step_insert(struct qb *b, struct q_step *s)
{
	return qs_insert(b, &qs_step_type, s);
}

static int qs_step_update(struct qb *b, const struct q_step *s)
{
	return qs_update(b, &qs_step_type, s);
}

static int qs_error_insert(struct qb *b, const struct q_error *er)
{
	qs_bind_row(b->st[QS_ERROR_INSERT], 0, &qs_error_type, er, false);
	return qs_run(b, QS_ERROR_INSERT);
}

static int qs_lock_insert(struct qb *b, int64_t task, const char *resource, bool exclusive)
{
	sqlite3_stmt *st = b->st[QS_LOCK_INSERT];

	sqlite3_bind_int64(st, 1, task);
	qs_bind_text(st, 2, resource);
	sqlite3_bind_int(st, 3, exclusive ? 1 : 0);
	return qs_run(b, QS_LOCK_INSERT);
}

static int qs_locks_release(struct qb *b, int64_t task)
{
	sqlite3_bind_int64(b->st[QS_LOCKS_RELEASE], 1, task);
	return qs_run(b, QS_LOCKS_RELEASE);
}

/* Steps, errors and locks go with it (ON DELETE CASCADE). */
static int qs_task_delete(struct qb *b, int64_t task)
{
	sqlite3_bind_int64(b->st[QS_TASK_DELETE], 1, task);
	return qs_run(b, QS_TASK_DELETE);
}

/* ---- reads ---- */

/* Walk the rows of st (bound): each is read, handed to v's function (non-0 stops) and freed. */
static int qs_each(struct qb *b, sqlite3_stmt *st, const struct qs_type *type, const struct qs_visit *v)
{
	union qs_row row;
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		qs_read_row(st, type, &row);
		stop = type->call(v, &row);
		if (type->clear != NULL)
			type->clear(&row);
	}
	if (!stop && rc != SQLITE_DONE)
		qs_fail(b, type->what);
	qs_reset(st);
	return !stop && rc != SQLITE_DONE ? -1 : 0;
}

/* The first row of st (bound) into out: 0, 1 none, -1 error. */
static int qs_first(struct qb *b, sqlite3_stmt *st, const struct qs_type *type, void *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		qs_read_row(st, type, out);
	else if (rc != SQLITE_DONE)
		qs_fail(b, type->what);
	qs_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/*
 * The one row whose id is id or starts with it (st yields rows in id order, so an exact match
 * sorts first; a second row means ambiguous): 0 found (read into out), 1 none, 2 ambiguous,
 * -1 error.
 */
static int qs_find_prefix(struct qb *b, sqlite3_stmt *st, const struct qs_type *type, const char *id,
			  void *out)
{
	int rc, n = 0;
	bool failed;

	if (id == NULL || *id == '\0')
		return 1;
	qs_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ++n == 1) {
		qs_read_row(st, type, out);
		if (strcmp((const char *)out + type->id_off, id) == 0)
			break;
	}
	failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	if (failed)
		qs_fail(b, type->what);
	qs_reset(st);
	if (n > 0 && (failed || n == 2))
		type->clear(out);
	return failed ? -1 : n == 2 ? 2 : n == 1 ? 0 : 1;
}

static int qs_lock_rows(struct qb *b, enum qs_stmt which, q_lock_fn fn, void *arg)
{
	struct qs_visit v = {.fn.lock = fn, .arg = arg};

	return qs_each(b, b->st[which], &qs_lock_type, &v);
}

static int qs_lock_holders(struct qb *b, const char *resource, q_lock_fn fn, void *arg)
{
	qs_bind_text(b->st[QS_LOCK_HOLDERS], 1, resource);
	return qs_lock_rows(b, QS_LOCK_HOLDERS, fn, arg);
}

static int qs_locks_of(struct qb *b, int64_t task, q_lock_fn fn, void *arg)
{
	sqlite3_bind_int64(b->st[QS_LOCKS_OF], 1, task);
	return qs_lock_rows(b, QS_LOCKS_OF, fn, arg);
}

static int qs_locks_on(struct qb *b, const char *resource, q_lock_fn fn, void *arg)
{
	qs_bind_text(b->st[QS_LOCKS_ON], 1, resource);
	return qs_lock_rows(b, QS_LOCKS_ON, fn, arg);
}

static int qs_task_rows(struct qb *b, sqlite3_stmt *st, q_task_fn fn, void *arg)
{
	struct qs_visit v = {.fn.task = fn, .arg = arg};

	return qs_each(b, st, &qs_task_type, &v);
}

static int qs_task_find(struct qb *b, const char *id, struct q_task *out)
{
	return qs_find_prefix(b, b->st[QS_TASK_FIND], &qs_task_type, id, out);
}

static int qs_task_get(struct qb *b, int64_t rowid, struct q_task *out)
{
	sqlite3_bind_int64(b->st[QS_TASK_GET], 1, rowid);
	return qs_first(b, b->st[QS_TASK_GET], &qs_task_type, out);
}

static int qs_tasks_active(struct qb *b, q_task_fn fn, void *arg)
{
	return qs_task_rows(b, b->st[QS_TASKS_ACTIVE], fn, arg);
}

static int qs_children_of(struct qb *b, const char *id, q_task_fn fn, void *arg)
{
	qs_bind_text(b->st[QS_CHILDREN_OF], 1, id);
	return qs_task_rows(b, b->st[QS_CHILDREN_OF], fn, arg);
}

static int qs_child_find(struct qb *b, const char *parent_id, int step, int spawn_index, struct q_task *out)
{
	sqlite3_stmt *st = b->st[QS_CHILD_FIND];

	qs_bind_text(st, 1, parent_id);
	sqlite3_bind_int(st, 2, step);
	sqlite3_bind_int(st, 3, spawn_index);
	return qs_first(b, st, &qs_task_type, out);
}

/* Check an ORDER BY text against the searchable columns: "col [asc|desc]". */
static int qs_order(const char *order, char *out, size_t len)
{
	static const char *const cols[] = {"id",	 "label",	 "name",	   "state",
					   "result",	 "triggered_by", "parent_task_id", "start_at",
					   "started_at", "ended_at",	 "created_at",	   "queue"};
	char col[32] = "", dir[8] = "";
	int n;

	if (order == NULL || *order == '\0') {
		snprintf(out, len, "num DESC");
		return 0;
	}
	n = sscanf(order, "%31s %7s", col, dir);
	if (n >= 1 && strcmp(col, "num") == 0) { /* creation order, no sort (streamed exports) */
		snprintf(out, len, "num %s", n == 2 && strcasecmp(dir, "desc") == 0 ? "DESC" : "ASC");
		return 0;
	}
	if (n < 1 || qs_parse(cols, NELEM(cols), col) < 0)
		return -1;
	if (n == 2 && strcasecmp(dir, "asc") != 0 && strcasecmp(dir, "desc") != 0)
		return -1;
	snprintf(out, len, "%s %s, num %s", col, n == 2 ? dir : "asc", n == 2 ? dir : "asc");
	return 0;
}

/* The statement of a search: SELECT cols FROM tasks [WHERE search] ORDER BY order LIMIT limit. */
static sqlite3_stmt *qs_search_stmt(struct qb *b, const char *cols, const char *search, const char *order,
				    long limit, int64_t now_ms, char *err, size_t errlen)
{
	char ord[80], *sql = NULL;
	const char *where = NULL;
	sqlite3_stmt *st;
	int rc;
#ifdef QS_HAVE_SEARCH
	struct search_sql ssql;
	bool have = false;
#endif

	(void)now_ms;
	if (qs_order(order, ord, sizeof(ord)) < 0) {
		snprintf(err, errlen,
			 "bad order '%s': use a column (created_at, started_at, ended_at, label, name, "
			 "state, result, id) and asc or desc",
			 order);
		return NULL;
	}
	if (search != NULL && *search != '\0') {
#ifdef QS_HAVE_SEARCH
		if (search_compile(search, now_ms / 1000, &ssql, err, errlen) < 0)
			return NULL;
		have = true;
		where = ssql.where;
#else
		snprintf(err, errlen, "search is not available in this build");
		return NULL;
#endif
	}
	if (asprintf(&sql, "SELECT %s FROM tasks%s%s ORDER BY %s LIMIT %ld", cols,
		     where != NULL ? " WHERE " : "", where != NULL ? where : "", ord,
		     limit > 0 ? limit : -1L) < 0) {
		snprintf(err, errlen, "out of memory");
#ifdef QS_HAVE_SEARCH
		if (have)
			search_sql_free(&ssql);
#endif
		return NULL;
	}
	rc = sqlite3_prepare_v2(b->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		qs_fail(b, "preparing a search");
		snprintf(err, errlen, "%s", b->err);
#ifdef QS_HAVE_SEARCH
		if (have)
			search_sql_free(&ssql);
#endif
		return NULL;
	}
#ifdef QS_HAVE_SEARCH
	if (have) {
		search_bind(st, 1, &ssql);
		search_sql_free(&ssql);
	}
#endif
	return st;
}

static int qs_task_list(struct qb *b, const char *search, const char *order, long limit, int64_t now_ms,
			q_task_fn fn, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = qs_search_stmt(b, TASK_COLS, search, order, limit, now_ms, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	rc = qs_task_rows(b, st, fn, arg);
	sqlite3_finalize(st);
	if (rc < 0)
		snprintf(err, errlen, "%s", b->err);
	return rc;
}

static int qs_task_nums(struct qb *b, const char *search, const char *order, long limit, int64_t now_ms,
			int64_t **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = qs_search_stmt(b, "num", search, order, limit, now_ms, err, errlen);
	int64_t *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *nv;

			cap = cap != 0 ? cap * 2 : 1024;
			if ((nv = realloc(v, cap * sizeof(*nv))) == NULL) {
				free(v);
				sqlite3_finalize(st);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			v = nv;
		}
		v[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		qs_fail(b, "listing tasks");
		snprintf(err, errlen, "%s", b->err);
		free(v);
		*n = 0;
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	*out = v;
	return 0;
}

static int qs_steps_of(struct qb *b, int64_t task, q_step_fn fn, void *arg)
{
	struct qs_visit v = {.fn.step = fn, .arg = arg};

	sqlite3_bind_int64(b->st[QS_STEPS_OF], 1, task);
	return qs_each(b, b->st[QS_STEPS_OF], &qs_step_type, &v);
}

static int qs_step_log_set(struct qb *b, int64_t step, const struct q_steplog *l)
{
	sqlite3_stmt *st = b->st[QS_STEP_LOG_SET];

	sqlite3_bind_int64(st, 1, step);
	qs_bind_text(st, 2, l->stdout_tail);
	qs_bind_text(st, 3, l->stderr_tail);
	sqlite3_bind_int64(st, 4, l->stdout_bytes);
	sqlite3_bind_int64(st, 5, l->stderr_bytes);
	sqlite3_bind_int64(st, 6, l->dropped);
	sqlite3_bind_int(st, 7, l->attempt);
	return qs_run(b, QS_STEP_LOG_SET);
}

static int qs_step_logs_of(struct qb *b, int64_t task, q_steplog_fn fn, void *arg)
{
	sqlite3_stmt *st = b->st[QS_STEP_LOGS_OF];
	struct q_steplog l;
	int rc, stop = 0;

	sqlite3_bind_int64(st, 1, task);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		l.idx = sqlite3_column_int(st, 0);
		l.attempt = sqlite3_column_int(st, 1);
		l.stdout_tail = (const char *)sqlite3_column_text(st, 2);
		l.stderr_tail = (const char *)sqlite3_column_text(st, 3);
		l.stdout_bytes = sqlite3_column_int64(st, 4);
		l.stderr_bytes = sqlite3_column_int64(st, 5);
		l.dropped = sqlite3_column_int64(st, 6);
		stop = fn(arg, &l);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!stop && rc != SQLITE_DONE)
		return qs_fail(b, "reading step output");
	return 0;
}

static int qs_errors_of(struct qb *b, int64_t task, q_error_fn fn, void *arg)
{
	struct qs_visit v = {.fn.error = fn, .arg = arg};

	sqlite3_bind_int64(b->st[QS_ERRORS_OF], 1, task);
	return qs_each(b, b->st[QS_ERRORS_OF], &qs_error_type, &v);
}

/* ---- recurring logics ---- */

static int qs_rec_insert(struct qb *b, struct q_recurring *r)
{
	return qs_insert(b, &qs_rec_type, r);
}

static int qs_rec_update(struct qb *b, const struct q_recurring *r)
{
	return qs_update(b, &qs_rec_type, r);
}

static int qs_rec_list(struct qb *b, bool active_only, q_recurring_fn fn, void *arg)
{
	struct qs_visit v = {.fn.rec = fn, .arg = arg};

	return qs_each(b, b->st[active_only ? QS_REC_ACTIVE : QS_REC_ALL], &qs_rec_type, &v);
}

static int qs_rec_find(struct qb *b, const char *id, struct q_recurring *out)
{
	return qs_find_prefix(b, b->st[QS_REC_FIND], &qs_rec_type, id, out);
}

static int qs_rec_by_name(struct qb *b, const char *name, struct q_recurring *out)
{
	qs_bind_text(b->st[QS_REC_BY_NAME], 1, name);
	return qs_first(b, b->st[QS_REC_BY_NAME], &qs_rec_type, out);
}

/* sqlite3_progress_handler: non-zero interrupts the statement (the budget is spent). */
static int qs_info_budget(void *arg)
{
	const struct timespec *until = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > until->tv_sec || (now.tv_sec == until->tv_sec && now.tv_nsec >= until->tv_nsec);
}

static int64_t qs_file_bytes(const char *path, const char *suffix)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* Schema version, sizes, and PRAGMA quick_check within budget_ms (a progress handler stops it). */
static int qs_info(struct qb *b, int budget_ms, struct q_info *out)
{
	sqlite3_stmt *st = NULL;
	struct timespec until;
	size_t used = 0;
	int rc, rows = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->engine_version, sizeof(out->engine_version), "SQLite %s", sqlite3_libversion());
	out->db_bytes = qs_file_bytes(b->path, "");
	out->wal_bytes = qs_file_bytes(b->path, "-wal");
	out->schema_version = -1;
	if (sqlite3_prepare_v2(b->db, "SELECT version FROM schema_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		out->schema_version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += budget_ms / 1000;
	until.tv_nsec += (long)(budget_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	if (sqlite3_prepare_v2(b->db, "PRAGMA quick_check(20)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(out->integrity, sizeof(out->integrity), "not checked: %s", sqlite3_errmsg(b->db));
		return -1;
	}
	sqlite3_progress_handler(b->db, 1000, qs_info_budget, &until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);

		if (used < sizeof(out->integrity))
			used += (size_t)snprintf(out->integrity + used, sizeof(out->integrity) - used, "%s%s",
						 rows++ ? "; " : "", line ? line : "?");
	}
	sqlite3_progress_handler(b->db, 0, NULL, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_INTERRUPT) {
		snprintf(out->integrity, sizeof(out->integrity),
			 "not finished within %d ms (a large file): check it offline with sqlite3 %s "
			 "'PRAGMA integrity_check'",
			 budget_ms, b->path);
		return 0;
	}
	if (rc != SQLITE_DONE) {
		snprintf(out->integrity, sizeof(out->integrity), "not checked: %s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* A write and a read in a savepoint that is rolled back: proves both work, changes nothing. */
static int qs_ping(struct qb *b, char *msg, size_t len)
{
	int active = -1, rc;
	bool ok, poisoned = b->poisoned;

	ok = sqlite3_exec(b->db, "SAVEPOINT ping", NULL, NULL, NULL) == SQLITE_OK;
	ok = ok && qs_run(b, QS_PING_WRITE) == 0;
	if (ok) {
		rc = sqlite3_step(b->st[QS_PING_READ]);
		if (rc == SQLITE_ROW)
			active = sqlite3_column_int(b->st[QS_PING_READ], 0);
		else
			ok = false, qs_fail(b, "ping read");
		sqlite3_reset(b->st[QS_PING_READ]);
	}
	sqlite3_exec(b->db, "ROLLBACK TO ping; RELEASE ping", NULL, NULL, NULL);
	b->poisoned = poisoned; /* the probe is not the open group's business */
	if (!ok) {
		snprintf(msg, len, "database: %s", b->err);
		return -1;
	}
	snprintf(msg, len, "database ok (%d running or paused tasks)", active);
	return 0;
}

const struct queue_ops queue_sqlite_ops = {
    .name = "sqlite",
    .open = qs_open,
    .close = qs_close,
    .error = qs_error,
    .set_debug = qs_set_debug,
    .begin = qs_begin,
    .commit = qs_commit,
    .rollback = qs_rollback,
    .savepoint = qs_savepoint,
    .release = qs_release,
    .rollback_to = qs_rollback_to,
    .checkpoint = qs_checkpoint,
    .wal_pages = qs_wal_pages,
    .task_insert = qs_task_insert,
    .task_insert_many = qs_task_insert_many,
    .step_insert_many = qs_step_insert_many,
    .max_rowids = qs_max_rowids,
    .task_update = qs_task_update,
    .step_insert = qs_step_insert,
    .step_update = qs_step_update,
    .error_insert = qs_error_insert,
    .lock_holders = qs_lock_holders,
    .lock_insert = qs_lock_insert,
    .locks_release = qs_locks_release,
    .locks_of = qs_locks_of,
    .locks_on = qs_locks_on,
    .task_delete = qs_task_delete,
    .task_find = qs_task_find,
    .task_get = qs_task_get,
    .tasks_active = qs_tasks_active,
    .task_list = qs_task_list,
    .children_of = qs_children_of,
    .child_find = qs_child_find,
    .task_nums = qs_task_nums,
    .steps_of = qs_steps_of,
    .errors_of = qs_errors_of,
    .step_log_set = qs_step_log_set,
    .step_logs_of = qs_step_logs_of,
    .recurring_insert = qs_rec_insert,
    .recurring_update = qs_rec_update,
    .recurring_list = qs_rec_list,
    .recurring_find = qs_rec_find,
    .recurring_by_name = qs_rec_by_name,
    .ping = qs_ping,
    .info = qs_info,
    .task_counts = qs_task_counts,
};
