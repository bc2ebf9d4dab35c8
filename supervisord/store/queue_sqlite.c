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
 * stopped tasks (cleanup), and the qs_read_* functions load what is stored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Insert columns in bind order (qs_bind_task, qs_bind_step); one row's parameters. */
#define QS_TASK_INSERT_COLS                                                                                  \
	"id, label, name, queue, input, output, progress, state, result, triggered_by, parent_task_id, "     \
	"parent_step, recurring_id, start_at, start_before, created_at, started_at, ended_at, steps_total, " \
	"steps_done, flags, on_error, retry_on_worker_loss, num, spawn_index"
#define QS_TASK_NPARAM 25
#define QS_TASK_ROW "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define QS_STEP_INSERT_COLS                                                                                  \
	"task, idx, name, command, handler, state, worker, worker_pid, lease_until, attempts, started_at, "  \
	"ended_at, argv, num, spawned"
#define QS_STEP_NPARAM 15
#define QS_STEP_ROW "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
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
    /* num (?24) NULL: SQLite picks the rowid; the engine gives its own (engine.next_task) */
    [QS_TASK_INSERT] = "INSERT OR FAIL INTO tasks (" QS_TASK_INSERT_COLS ") VALUES (" QS_TASK_ROW ")",
    [QS_TASK_UPDATE] = "UPDATE OR FAIL tasks SET state = ?2, result = ?3, started_at = ?4, ended_at = ?5, "
		       "steps_done = ?6, progress = ?7, output = ?8, flags = ?9 WHERE num = ?1",
    [QS_STEP_INSERT] = "INSERT OR FAIL INTO steps (" QS_STEP_INSERT_COLS ") VALUES (" QS_STEP_ROW ")",
    [QS_STEP_UPDATE] = "UPDATE OR FAIL steps SET state = ?2, worker = ?3, worker_pid = ?4, lease_until = ?5, "
		       "attempts = ?6, started_at = ?7, ended_at = ?8, spawned = ?9 WHERE num = ?1",
    [QS_ERROR_INSERT] =
	"INSERT INTO errors (task, step, message, output_tail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [QS_LOCK_HOLDERS] = "SELECT l.resource, l.exclusive, t.id FROM locks l JOIN tasks t ON t.num = l.task "
			"WHERE l.resource = ?1 AND l.exclusive",
    [QS_LOCK_INSERT] = "INSERT INTO locks (task, resource, exclusive) VALUES (?1, ?2, ?3)",
    [QS_LOCKS_RELEASE] = "DELETE FROM locks WHERE task = ?1",
    [QS_LOCKS_OF] = "SELECT l.resource, l.exclusive, t.id FROM locks l JOIN tasks t ON t.num = l.task "
		    "WHERE l.task = ?1 ORDER BY l.num",
    /* ?1 NULL: every lock (the table holds only what live tasks hold, so a scan is small) */
    [QS_LOCKS_ON] = "SELECT l.resource, l.exclusive, t.id FROM locks l JOIN tasks t ON t.num = l.task "
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
    [QS_ERRORS_OF] = "SELECT task, step, message, output_tail, at FROM errors WHERE task = ?1 ORDER BY num",
    [QS_STEP_LOG_SET] = "UPDATE OR FAIL steps SET stdout_tail = ?2, stderr_tail = ?3, stdout_bytes = ?4, "
			"stderr_bytes = ?5, log_dropped = ?6, log_attempt = ?7 WHERE num = ?1",
    [QS_STEP_LOGS_OF] = "SELECT idx, log_attempt, stdout_tail, stderr_tail, stdout_bytes, stderr_bytes, "
			"log_dropped FROM steps WHERE task = ?1 AND log_attempt IS NOT NULL ORDER BY idx",
    [QS_REC_INSERT] =
	"INSERT INTO recurring (id, label, cron, input, triggered_by, iteration, iterations, until, "
	"last_at, next_at, state, created_at, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	"?12, ?13)",
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

/* SQLite's result code in an operator's words (never SQL text). */
static void qs_words(sqlite3 *db, int rc, char *buf, size_t len)
{
	int sys = db != NULL ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_READONLY:
		snprintf(buf, len, "database is read-only");
		break;
	case SQLITE_FULL:
		snprintf(buf, len, "disk full");
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(buf, len, "database is locked");
		break;
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
	case SQLITE_NOTADB:
		snprintf(buf, len, "file is not a database");
		break;
	case SQLITE_CORRUPT:
		snprintf(buf, len, "database is corrupt");
		break;
	case SQLITE_CANTOPEN:
		if (sys != 0)
			snprintf(buf, len, "unable to open the database file (%s)", strerror(sys));
		else
			snprintf(buf, len, "unable to open the database file");
		break;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		snprintf(buf, len, "permission denied");
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

/* INSERT OR FAIL INTO table (cols) VALUES (row), ... QS_BATCH times. */
static int qs_prepare_many(struct qb *b, const char *table, const char *cols, const char *row,
			   sqlite3_stmt **st)
{
	size_t cap = strlen(cols) + 64 + (strlen(row) + 4) * QS_BATCH, n;
	char *sql = malloc(cap);
	int rc;

	if (sql == NULL)
		return -1;
	n = (size_t)snprintf(sql, cap, "INSERT OR FAIL INTO %s (%s) VALUES ", table, cols);
	for (int i = 0; i < QS_BATCH; i++)
		n += (size_t)snprintf(sql + n, cap - n, "%s(%s)", i > 0 ? ", " : "", row);
	rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
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
	if (qs_prepare_many(b, "tasks", QS_TASK_INSERT_COLS, QS_TASK_ROW, &b->task_many) < 0 ||
	    qs_prepare_many(b, "steps", QS_STEP_INSERT_COLS, QS_STEP_ROW, &b->step_many) < 0) {
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

/* ---- binding helpers ---- */

static void qs_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void qs_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static char *qs_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? strdup((const char *)s) : NULL;
}

static void qs_read_task(sqlite3_stmt *st, struct q_task *t)
{
	const unsigned char *id = sqlite3_column_text(st, 1);

	memset(t, 0, sizeof(*t));
	t->rowid = sqlite3_column_int64(st, 0);
	snprintf(t->id, sizeof(t->id), "%s", id != NULL ? (const char *)id : "");
	t->label = qs_col_text(st, 2);
	t->name = qs_col_text(st, 3);
	t->queue = qs_col_text(st, 4);
	t->input = qs_col_text(st, 5);
	t->output = qs_col_text(st, 6);
	t->progress = qs_col_text(st, 7);
	t->state = (enum q_task_state)q_task_state_parse((const char *)sqlite3_column_text(st, 8));
	t->result = (enum q_result)q_result_parse((const char *)sqlite3_column_text(st, 9));
	t->triggered_by = qs_col_text(st, 10);
	t->parent_task_id = qs_col_text(st, 11);
	t->parent_step = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 12);
	t->recurring_id = sqlite3_column_int64(st, 13);
	t->start_at = sqlite3_column_int64(st, 14);
	t->start_before = sqlite3_column_int64(st, 15);
	t->created_at = sqlite3_column_int64(st, 16);
	t->started_at = sqlite3_column_int64(st, 17);
	t->ended_at = sqlite3_column_int64(st, 18);
	t->steps_total = sqlite3_column_int(st, 19);
	t->steps_done = sqlite3_column_int(st, 20);
	t->flags = sqlite3_column_int(st, 21);
	{
		int oe = q_on_error_parse((const char *)sqlite3_column_text(st, 22));
		t->on_error = oe < 0 ? ON_ERROR_PAUSE : (enum conf_on_error)oe;
	}
	t->retry_on_worker_loss = sqlite3_column_int(st, 23);
	t->spawn_index = sqlite3_column_type(st, 24) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 24);
}

static void qs_read_step(sqlite3_stmt *st, struct q_step *s)
{
	memset(s, 0, sizeof(*s));
	s->rowid = sqlite3_column_int64(st, 0);
	s->task = sqlite3_column_int64(st, 1);
	s->idx = sqlite3_column_int(st, 2);
	s->name = qs_col_text(st, 3);
	s->command = qs_col_text(st, 4);
	s->handler = qs_col_text(st, 5);
	s->state = (enum q_step_state)q_step_state_parse((const char *)sqlite3_column_text(st, 6));
	s->worker = qs_col_text(st, 7);
	s->pid = (pid_t)sqlite3_column_int(st, 8);
	s->lease_until = sqlite3_column_int64(st, 9);
	s->attempts = sqlite3_column_int(st, 10);
	s->started_at = sqlite3_column_int64(st, 11);
	s->ended_at = sqlite3_column_int64(st, 12);
	s->argv = qs_col_text(st, 13);
	s->spawned = sqlite3_column_int(st, 14);
}

/* ---- writes ---- */

/* t's insert parameters, o + 1 .. o + QS_TASK_NPARAM (num NULL when t->rowid is 0). */
static void qs_bind_task(sqlite3_stmt *st, int o, const struct q_task *t)
{
	qs_bind_text(st, o + 1, t->id);
	qs_bind_text(st, o + 2, t->label);
	qs_bind_text(st, o + 3, t->name);
	qs_bind_text(st, o + 4, t->queue);
	qs_bind_text(st, o + 5, t->input != NULL ? t->input : "{}");
	qs_bind_text(st, o + 6, t->output != NULL ? t->output : "{}");
	qs_bind_text(st, o + 7, t->progress != NULL ? t->progress : "{}");
	qs_bind_text(st, o + 8, q_task_state_name(t->state));
	qs_bind_text(st, o + 9, q_result_name(t->result));
	qs_bind_text(st, o + 10, t->triggered_by);
	qs_bind_text(st, o + 11, t->parent_task_id);
	if (t->parent_step >= 0)
		sqlite3_bind_int(st, o + 12, t->parent_step);
	else
		sqlite3_bind_null(st, o + 12);
	qs_bind_time(st, o + 13, t->recurring_id);
	qs_bind_time(st, o + 14, t->start_at);
	qs_bind_time(st, o + 15, t->start_before);
	sqlite3_bind_int64(st, o + 16, t->created_at);
	qs_bind_time(st, o + 17, t->started_at);
	qs_bind_time(st, o + 18, t->ended_at);
	sqlite3_bind_int(st, o + 19, t->steps_total);
	sqlite3_bind_int(st, o + 20, t->steps_done);
	sqlite3_bind_int(st, o + 21, t->flags);
	qs_bind_text(st, o + 22, q_on_error_name(t->on_error));
	sqlite3_bind_int(st, o + 23, t->retry_on_worker_loss);
	qs_bind_time(st, o + 24, t->rowid);
	if (t->parent_task_id != NULL && t->parent_step >= 0 && t->spawn_index >= 0)
		sqlite3_bind_int(st, o + 25, t->spawn_index);
	else
		sqlite3_bind_null(st, o + 25);
}

static void qs_bind_step(sqlite3_stmt *st, int o, const struct q_step *s)
{
	sqlite3_bind_int64(st, o + 1, s->task);
	sqlite3_bind_int(st, o + 2, s->idx);
	qs_bind_text(st, o + 3, s->name);
	qs_bind_text(st, o + 4, s->command);
	qs_bind_text(st, o + 5, s->handler);
	qs_bind_text(st, o + 6, q_step_state_name(s->state));
	qs_bind_text(st, o + 7, s->worker);
	qs_bind_time(st, o + 8, s->pid);
	qs_bind_time(st, o + 9, s->lease_until);
	sqlite3_bind_int(st, o + 10, s->attempts);
	qs_bind_time(st, o + 11, s->started_at);
	qs_bind_time(st, o + 12, s->ended_at);
	qs_bind_text(st, o + 13, s->argv);
	qs_bind_time(st, o + 14, s->rowid);
	sqlite3_bind_int(st, o + 15, s->spawned);
}

static int qs_task_insert(struct qb *b, struct q_task *t)
{
	qs_bind_task(b->st[QS_TASK_INSERT], 0, t);
	if (qs_run(b, QS_TASK_INSERT) < 0)
		return -1;
	t->rowid = sqlite3_last_insert_rowid(b->db);
	return 0;
}

/* Rows whose rowid the caller chose, QS_BATCH per statement, the rest one by one. */
static int qs_task_insert_many(struct qb *b, struct q_task *const *rows, size_t n)
{
	size_t i = 0;

	for (; n - i >= QS_BATCH; i += QS_BATCH) {
		for (int k = 0; k < QS_BATCH; k++)
			qs_bind_task(b->task_many, k * QS_TASK_NPARAM, rows[i + (size_t)k]);
		if (qs_run_stmt(b, b->task_many, "INSERT INTO tasks (batch)", false) < 0)
			return -1;
	}
	for (; i < n; i++)
		if (qs_task_insert(b, rows[i]) < 0)
			return -1;
	return 0;
}

static int qs_step_insert_many(struct qb *b, struct q_step *const *rows, size_t n)
{
	size_t i = 0;

	for (; n - i >= QS_BATCH; i += QS_BATCH) {
		for (int k = 0; k < QS_BATCH; k++)
			qs_bind_step(b->step_many, k * QS_STEP_NPARAM, rows[i + (size_t)k]);
		if (qs_run_stmt(b, b->step_many, "INSERT INTO steps (batch)", false) < 0)
			return -1;
	}
	for (; i < n; i++) {
		qs_bind_step(b->st[QS_STEP_INSERT], 0, rows[i]);
		if (qs_run(b, QS_STEP_INSERT) < 0)
			return -1;
	}
	return 0;
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

static int qs_task_update(struct qb *b, const struct q_task *t)
{
	sqlite3_stmt *st = b->st[QS_TASK_UPDATE];

	sqlite3_bind_int64(st, 1, t->rowid);
	qs_bind_text(st, 2, q_task_state_name(t->state));
	qs_bind_text(st, 3, q_result_name(t->result));
	qs_bind_time(st, 4, t->started_at);
	qs_bind_time(st, 5, t->ended_at);
	sqlite3_bind_int(st, 6, t->steps_done);
	qs_bind_text(st, 7, t->progress != NULL ? t->progress : "{}");
	qs_bind_text(st, 8, t->output != NULL ? t->output : "{}");
	sqlite3_bind_int(st, 9, t->flags);
	return qs_run(b, QS_TASK_UPDATE);
}

static int qs_step_insert(struct qb *b, struct q_step *s)
{
	qs_bind_step(b->st[QS_STEP_INSERT], 0, s);
	if (qs_run(b, QS_STEP_INSERT) < 0)
		return -1;
	s->rowid = sqlite3_last_insert_rowid(b->db);
	return 0;
}

static int qs_step_update(struct qb *b, const struct q_step *s)
{
	sqlite3_stmt *st = b->st[QS_STEP_UPDATE];

	sqlite3_bind_int64(st, 1, s->rowid);
	qs_bind_text(st, 2, q_step_state_name(s->state));
	qs_bind_text(st, 3, s->worker);
	qs_bind_time(st, 4, s->pid);
	qs_bind_time(st, 5, s->lease_until);
	sqlite3_bind_int(st, 6, s->attempts);
	qs_bind_time(st, 7, s->started_at);
	qs_bind_time(st, 8, s->ended_at);
	sqlite3_bind_int(st, 9, s->spawned);
	return qs_run(b, QS_STEP_UPDATE);
}

static int qs_error_insert(struct qb *b, const struct q_error *er)
{
	sqlite3_stmt *st = b->st[QS_ERROR_INSERT];

	sqlite3_bind_int64(st, 1, er->task);
	if (er->idx >= 0)
		sqlite3_bind_int(st, 2, er->idx);
	else
		sqlite3_bind_null(st, 2);
	qs_bind_text(st, 3, er->message != NULL ? er->message : "");
	qs_bind_text(st, 4, er->output_tail);
	sqlite3_bind_int64(st, 5, er->at);
	return qs_run(b, QS_ERROR_INSERT);
}

/* Walk the rows of a lock query. */
static int qs_lock_rows(struct qb *b, enum qs_stmt which, q_lock_fn fn, void *arg)
{
	sqlite3_stmt *st = b->st[which];
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1) != 0,
			  (const char *)sqlite3_column_text(st, 2));
	if (!stop && rc != SQLITE_DONE) {
		qs_fail(b, qs_sql[which]);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

static int qs_lock_holders(struct qb *b, const char *resource, q_lock_fn fn, void *arg)
{
	qs_bind_text(b->st[QS_LOCK_HOLDERS], 1, resource);
	return qs_lock_rows(b, QS_LOCK_HOLDERS, fn, arg);
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

/* Steps, errors and locks go with it (ON DELETE CASCADE). */
static int qs_task_delete(struct qb *b, int64_t task)
{
	sqlite3_bind_int64(b->st[QS_TASK_DELETE], 1, task);
	return qs_run(b, QS_TASK_DELETE);
}

/* ---- reads ---- */

/* Walk task rows of st (already bound); the row is cleared after each call. */
static int qs_task_rows(struct qb *b, sqlite3_stmt *st, q_task_fn fn, void *arg)
{
	int rc, stop = 0;
	struct q_task t;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		qs_read_task(st, &t);
		stop = fn(arg, &t);
		q_task_clear(&t);
	}
	if (!stop && rc != SQLITE_DONE) {
		qs_fail(b, "reading tasks");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

/*
 * Find the one row whose id is id or starts with it (st yields rows in id order, so an exact
 * match sorts first; a second row means ambiguous): 0 found (read into out), 1 none,
 * 2 ambiguous, -1 error. read/clear/id_of are the row type's; what names it in errors.
 */
static int qs_find_prefix(struct qb *b, sqlite3_stmt *st, const char *id, void *out,
			  void (*read)(sqlite3_stmt *, void *), void (*clear)(void *),
			  const char *(*id_of)(const void *), const char *what)
{
	int rc, n = 0;

	if (id == NULL || *id == '\0')
		return 1;
	qs_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n == 1) {
			read(st, out);
			if (strcmp(id_of(out), id) == 0)
				break;
		} else {
			clear(out);
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return 2;
		}
	}
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		if (n > 0)
			clear(out);
		return qs_fail(b, what);
	}
	return n > 0 ? 0 : 1;
}

static void qs_read_task_any(sqlite3_stmt *st, void *t)
{
	qs_read_task(st, t);
}
static void qs_clear_task_any(void *t)
{
	q_task_clear(t);
}
static const char *qs_task_id_of(const void *t)
{
	return ((const struct q_task *)t)->id;
}

static int qs_task_find(struct qb *b, const char *id, struct q_task *out)
{
	return qs_find_prefix(b, b->st[QS_TASK_FIND], id, out, qs_read_task_any, qs_clear_task_any,
			      qs_task_id_of, "finding a task");
}

static int qs_task_get(struct qb *b, int64_t rowid, struct q_task *out)
{
	sqlite3_stmt *st = b->st[QS_TASK_GET];
	int rc;

	sqlite3_bind_int64(st, 1, rowid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		qs_read_task(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : qs_fail(b, "reading a task");
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
	int rc;

	qs_bind_text(st, 1, parent_id);
	sqlite3_bind_int(st, 2, step);
	sqlite3_bind_int(st, 3, spawn_index);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		qs_read_task(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : qs_fail(b, "finding a spawned task");
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
	sqlite3_stmt *st = b->st[QS_STEPS_OF];
	struct q_step s;
	int rc, stop = 0;

	sqlite3_bind_int64(st, 1, task);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		qs_read_step(st, &s);
		stop = fn(arg, &s);
		q_step_clear(&s);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!stop && rc != SQLITE_DONE)
		return qs_fail(b, "reading steps");
	return 0;
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
	sqlite3_stmt *st = b->st[QS_ERRORS_OF];
	struct q_error er;
	int rc, stop = 0;

	sqlite3_bind_int64(st, 1, task);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		er.task = sqlite3_column_int64(st, 0);
		er.idx = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
		er.message = (const char *)sqlite3_column_text(st, 2);
		er.output_tail = (const char *)sqlite3_column_text(st, 3);
		er.at = sqlite3_column_int64(st, 4);
		stop = fn(arg, &er);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!stop && rc != SQLITE_DONE)
		return qs_fail(b, "reading errors");
	return 0;
}

/* ---- recurring logics ---- */

static void qs_read_rec(sqlite3_stmt *st, struct q_recurring *r)
{
	const unsigned char *id = sqlite3_column_text(st, 1);

	memset(r, 0, sizeof(*r));
	r->rowid = sqlite3_column_int64(st, 0);
	snprintf(r->id, sizeof(r->id), "%s", id != NULL ? (const char *)id : "");
	r->label = qs_col_text(st, 2);
	r->cron = qs_col_text(st, 3);
	r->input = qs_col_text(st, 4);
	r->triggered_by = qs_col_text(st, 5);
	r->iteration = sqlite3_column_int(st, 6);
	r->iterations = sqlite3_column_int(st, 7);
	r->until = sqlite3_column_int64(st, 8);
	r->last_at = sqlite3_column_int64(st, 9);
	r->next_at = sqlite3_column_int64(st, 10);
	{ /* read from the store, not a transition; a state this version does not know: failed */
		int rs = q_rec_state_parse((const char *)sqlite3_column_text(st, 11));

		r->state = rs < 0 ? QREC_FAILED : (enum q_rec_state)rs;
	}
	r->created_at = sqlite3_column_int64(st, 12);
	r->name = qs_col_text(st, 13);
}

static int qs_rec_insert(struct qb *b, struct q_recurring *r)
{
	sqlite3_stmt *st = b->st[QS_REC_INSERT];

	qs_bind_text(st, 1, r->id);
	qs_bind_text(st, 2, r->label);
	qs_bind_text(st, 3, r->cron);
	qs_bind_text(st, 4, r->input != NULL ? r->input : "{}");
	qs_bind_text(st, 5, r->triggered_by);
	sqlite3_bind_int(st, 6, r->iteration);
	sqlite3_bind_int(st, 7, r->iterations);
	qs_bind_time(st, 8, r->until);
	qs_bind_time(st, 9, r->last_at);
	qs_bind_time(st, 10, r->next_at);
	qs_bind_text(st, 11, q_rec_state_name(r->state));
	sqlite3_bind_int64(st, 12, r->created_at);
	qs_bind_text(st, 13, r->name);
	if (qs_run(b, QS_REC_INSERT) < 0)
		return -1;
	r->rowid = sqlite3_last_insert_rowid(b->db);
	return 0;
}

static int qs_rec_update(struct qb *b, const struct q_recurring *r)
{
	sqlite3_stmt *st = b->st[QS_REC_UPDATE];

	sqlite3_bind_int64(st, 1, r->rowid);
	sqlite3_bind_int(st, 2, r->iteration);
	qs_bind_time(st, 3, r->last_at);
	qs_bind_time(st, 4, r->next_at);
	qs_bind_text(st, 5, q_rec_state_name(r->state));
	return qs_run(b, QS_REC_UPDATE);
}

static int qs_rec_list(struct qb *b, bool active_only, q_recurring_fn fn, void *arg)
{
	sqlite3_stmt *st = b->st[active_only ? QS_REC_ACTIVE : QS_REC_ALL];
	struct q_recurring r;
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		qs_read_rec(st, &r);
		stop = fn(arg, &r);
		q_recurring_clear(&r);
	}
	sqlite3_reset(st);
	if (!stop && rc != SQLITE_DONE)
		return qs_fail(b, "reading recurring logics");
	return 0;
}

static void qs_read_rec_any(sqlite3_stmt *st, void *r)
{
	qs_read_rec(st, r);
}
static void qs_clear_rec_any(void *r)
{
	q_recurring_clear(r);
}
static const char *qs_rec_id_of(const void *r)
{
	return ((const struct q_recurring *)r)->id;
}

static int qs_rec_find(struct qb *b, const char *id, struct q_recurring *out)
{
	return qs_find_prefix(b, b->st[QS_REC_FIND], id, out, qs_read_rec_any, qs_clear_rec_any, qs_rec_id_of,
			      "finding a recurring logic");
}

static int qs_rec_by_name(struct qb *b, const char *name, struct q_recurring *out)
{
	sqlite3_stmt *st = b->st[QS_REC_BY_NAME];
	int rc;

	qs_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		qs_read_rec(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : qs_fail(b, "finding a recurring logic by name");
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
};
