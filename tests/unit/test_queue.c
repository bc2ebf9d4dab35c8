/*
 * test_queue.c — the SQLite storage backend (supervisord/store/queue_sqlite.c): migrations
 * from an empty file and from older versions, rows written and read back, id
 * prefixes, the exclusive lock index, a spawned child's identity, and crash
 * consistency (a transaction never committed leaves nothing behind, even when
 * the process dies in the middle of it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "queue_backend.h"

static const struct queue_ops *ops = &queue_sqlite_ops;

static char *tmpdb(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/tv-test-queue-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void rmdb(const char *path)
{
	char p[96];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static int count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Open the database (migrating it) and close it again; the open must succeed. */
static void open_close(const char *path, enum conf_durability durability)
{
	char err[256];
	struct qb *b = ops->open(path, durability, err, sizeof(err));

	assert_non_null(b);
	ops->close(b);
}

/* Run sql on the file directly, past the backend. */
static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void fill_task(struct q_task *t, const char *id)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%.36s", id);
	t->label = "demo";
	t->name = "Demo";
	t->queue = "default";
	t->input = "{\"a\":1}";
	t->state = QT_PLANNED;
	t->result = QR_PENDING;
	t->parent_step = -1;
	t->spawn_index = -1;
	t->created_at = 1700000000000;
	t->steps_total = 2;
}

static void test_migrate_from_empty(void **state)
{
	char *path = tmpdb();

	(void)state;
	open_close(path, DURABILITY_FULL);
	assert_int_equal(count(path, "SELECT version FROM schema_version"), 6);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM pragma_table_info('recurring') WHERE name = 'name'"), 1);
	assert_int_equal(count(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
				     "('tasks','steps','errors','locks','recurring')"),
			 5);
	assert_int_equal(count(path,
			       "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
			       "('tasks_state_result','tasks_label','tasks_started_at','tasks_ended_at',"
			       "'tasks_parent','tasks_created_at','locks_exclusive')"),
			 7);
	assert_int_equal(count(path, "SELECT count(*) FROM sqlite_master WHERE name = 'steps_active'"), 0);
	/* reopening applies nothing twice */
	open_close(path, DURABILITY_NORMAL);
	assert_int_equal(count(path, "SELECT count(*) FROM schema_version"), 1);
	rmdb(path);
}

/* A version 1 database is brought to the current version on open, keeping its rows. */
static void test_migrate_from_v1(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b;
	struct q_task t;

	(void)state;
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	assert_non_null(b);
	fill_task(&t, "60000000-0000-4000-8000-000000000001");
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
	/* back to version 1's shape: no recurring name, full date indexes, steps_active, no argv */
	exec_sql(path,
		 "DROP INDEX tasks_spawn; ALTER TABLE tasks DROP COLUMN spawn_index;"
		 " ALTER TABLE steps DROP COLUMN spawned;"
		 " ALTER TABLE steps DROP COLUMN stdout_tail; ALTER TABLE steps DROP COLUMN stderr_tail;"
		 " ALTER TABLE steps DROP COLUMN stdout_bytes; ALTER TABLE steps DROP COLUMN stderr_bytes;"
		 " ALTER TABLE steps DROP COLUMN log_dropped; ALTER TABLE steps DROP COLUMN log_attempt;"
		 " DROP INDEX recurring_name; ALTER TABLE recurring DROP COLUMN name;"
		 " ALTER TABLE steps DROP COLUMN argv;"
		 " DROP INDEX tasks_started_at; DROP INDEX tasks_ended_at;"
		 " CREATE INDEX tasks_started_at ON tasks(started_at);"
		 " CREATE INDEX tasks_ended_at ON tasks(ended_at);"
		 " CREATE INDEX steps_active ON steps(state) WHERE state IN ('ready', 'running');"
		 " UPDATE schema_version SET version = 1");
	open_close(path, DURABILITY_FULL);
	assert_int_equal(count(path, "SELECT version FROM schema_version"), 6);
	assert_int_equal(count(path, "SELECT count(*) FROM sqlite_master WHERE name = 'steps_active'"), 0);
	/* the date indexes now leave out tasks not yet started or ended */
	assert_int_equal(count(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
				     "('tasks_started_at', 'tasks_ended_at') AND sql LIKE '%IS NOT NULL%'"),
			 2);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM pragma_table_info('recurring') WHERE name = 'name'"), 1);
	assert_int_equal(count(path, "SELECT count(*) FROM pragma_table_info('steps') WHERE name = 'argv'"),
			 1);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks"), 1);
	rmdb(path);
}

/* Insert a step of task (rowid) at idx, state s. */
static void add_step(struct qb *b, int64_t task, int idx, enum q_step_state st, struct q_step *s)
{
	memset(s, 0, sizeof(*s));
	s->task = task;
	s->idx = idx;
	s->name = "split";
	s->command = "/bin/true";
	s->state = st;
	assert_int_equal(ops->step_insert(b, s), 0);
}

static int spawned_cb(void *arg, struct q_step *s)
{
	*(int *)arg = s->spawned;
	return 0;
}

/*
 * Version 4 -> 5: a database with a parent and children of before (no spawn
 * index) is upgraded in place: the old children keep no index (read back as
 * -1, found by no spawn), steps count 0 spawns, and new spawned children get
 * their identity.
 */
static void test_migrate_from_v4(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b;
	struct q_task c, got;
	int spawned = -1;

	(void)state;
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	assert_non_null(b);
	/* version 4's shape, with rows written as version 4 wrote them */
	exec_sql(path,
		 "DROP INDEX tasks_spawn; ALTER TABLE tasks DROP COLUMN spawn_index;"
		 " ALTER TABLE steps DROP COLUMN spawned; UPDATE schema_version SET version = 4;"
		 " ALTER TABLE steps DROP COLUMN stdout_tail; ALTER TABLE steps DROP COLUMN stderr_tail;"
		 " ALTER TABLE steps DROP COLUMN stdout_bytes; ALTER TABLE steps DROP COLUMN stderr_bytes;"
		 " ALTER TABLE steps DROP COLUMN log_dropped; ALTER TABLE steps DROP COLUMN log_attempt;"
		 " INSERT INTO tasks (num, id, label, name, queue, state, result, created_at)"
		 " VALUES (1, 'p0000000-0000-4000-8000-000000000001', 'fan', 'Fan', 'default',"
		 " 'paused', 'error', 1);"
		 " INSERT INTO tasks (num, id, label, name, queue, state, result, created_at,"
		 " parent_task_id, parent_step) VALUES (2, 'c0000000-0000-4000-8000-000000000001',"
		 " 'leaf', 'Leaf', 'default', 'stopped', 'success', 1,"
		 " 'p0000000-0000-4000-8000-000000000001', 0);"
		 " INSERT INTO steps (num, task, idx, name, state) VALUES (1, 1, 0, 'split', 'error');");
	ops->close(b);
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(count(path, "SELECT version FROM schema_version"), 6);
	assert_int_equal(count(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
				     "name = 'tasks_spawn' AND sql LIKE '%UNIQUE%'"),
			 1);
	assert_int_equal(ops->task_get(b, 2, &got), 0);
	assert_int_equal(got.parent_step, 0);
	assert_int_equal(got.spawn_index, -1);
	q_task_clear(&got);
	assert_int_equal(ops->steps_of(b, 1, spawned_cb, &spawned), 0);
	assert_int_equal(spawned, 0);
	assert_int_equal(ops->child_find(b, "p0000000-0000-4000-8000-000000000001", 0, 0, &got), 1);
	/* a child spawned after the upgrade has its identity */
	fill_task(&c, "c0000000-0000-4000-8000-000000000002");
	c.parent_task_id = "p0000000-0000-4000-8000-000000000001";
	c.parent_step = 0;
	c.spawn_index = 0;
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &c), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->child_find(b, "p0000000-0000-4000-8000-000000000001", 0, 0, &got), 0);
	assert_string_equal(got.id, "c0000000-0000-4000-8000-000000000002");
	q_task_clear(&got);
	ops->close(b);
	rmdb(path);
}

static int steplog_cb(void *arg, const struct q_steplog *l)
{
	struct q_steplog *out = arg;

	out->idx = l->idx;
	out->attempt = l->attempt;
	out->stdout_bytes = l->stdout_bytes;
	out->stderr_bytes = l->stderr_bytes;
	out->dropped = l->dropped;
	out->stdout_tail = l->stdout_tail != NULL ? strdup(l->stdout_tail) : NULL;
	out->stderr_tail = l->stderr_tail != NULL ? strdup(l->stderr_tail) : NULL;
	return 0;
}

/*
 * Version 5 -> 6: a database of before step output (its steps, finished and
 * running) upgrades in place: the old steps have no output, the step of an old
 * task gets output tails written and read back, and a step without any is not
 * listed.
 */
static void test_migrate_from_v5(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b;
	struct q_steplog got, l = {.attempt = 2,
				   .stdout_tail = "one\ntwo\n",
				   .stderr_tail = NULL,
				   .stdout_bytes = 70000,
				   .stderr_bytes = 0,
				   .dropped = 3};

	(void)state;
	memset(&got, 0, sizeof(got));
	got.idx = -1;
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	assert_non_null(b);
	ops->close(b);
	/* version 5's shape, with rows written as version 5 wrote them */
	exec_sql(path,
		 "ALTER TABLE steps DROP COLUMN stdout_tail; ALTER TABLE steps DROP COLUMN stderr_tail;"
		 " ALTER TABLE steps DROP COLUMN stdout_bytes; ALTER TABLE steps DROP COLUMN stderr_bytes;"
		 " ALTER TABLE steps DROP COLUMN log_dropped; ALTER TABLE steps DROP COLUMN log_attempt;"
		 " UPDATE schema_version SET version = 5;"
		 " INSERT INTO tasks (num, id, label, name, queue, state, result, created_at)"
		 " VALUES (1, 'a0000000-0000-4000-8000-000000000005', 'two', 'Two', 'default',"
		 " 'running', 'pending', 1);"
		 " INSERT INTO steps (num, task, idx, name, state) VALUES (1, 1, 0, 'a', 'success');"
		 " INSERT INTO steps (num, task, idx, name, state) VALUES (2, 1, 1, 'b', 'running');");
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(count(path, "SELECT version FROM schema_version"), 6);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM steps WHERE stdout_tail IS NULL AND log_attempt IS NULL"), 2);
	assert_int_equal(ops->step_logs_of(b, 1, steplog_cb, &got), 0);
	assert_int_equal(got.idx, -1); /* none has output yet */
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->step_log_set(b, 2, &l), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->step_logs_of(b, 1, steplog_cb, &got), 0);
	assert_int_equal(got.idx, 1);
	assert_int_equal(got.attempt, 2);
	assert_string_equal(got.stdout_tail, "one\ntwo\n");
	assert_null(got.stderr_tail);
	assert_int_equal(got.stdout_bytes, 70000);
	assert_int_equal(got.dropped, 3);
	free((char *)got.stdout_tail);
	ops->close(b);
	rmdb(path);
}

/*
 * A child's identity: (parent, step, spawn index) finds it, and a second
 * child with the same identity is refused by the store; children by hand
 * (no index) are not limited; steps.spawned is written and read back.
 */
static void test_spawn_identity(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task p, c, got;
	struct q_step s;
	int spawned = -1;
	const char *pid = "aaaaaaaa-0000-4000-8000-0000000000aa";

	(void)state;
	assert_non_null(b);
	fill_task(&p, pid);
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &p), 0);
	add_step(b, p.rowid, 0, QS_RUNNING, &s);
	for (int i = 0; i < 2; i++) {
		char id[Q_ID_LEN];

		snprintf(id, sizeof(id), "cccccccc-0000-4000-8000-00000000000%d", i);
		fill_task(&c, id);
		c.parent_task_id = (char *)pid;
		c.parent_step = 0;
		c.spawn_index = i;
		assert_int_equal(ops->task_insert(b, &c), 0);
	}
	s.spawned = 2;
	assert_int_equal(ops->step_update(b, &s), 0);
	assert_int_equal(ops->commit(b), 0);

	assert_int_equal(ops->child_find(b, pid, 0, 1, &got), 0);
	assert_string_equal(got.id, "cccccccc-0000-4000-8000-000000000001");
	assert_int_equal(got.spawn_index, 1);
	assert_int_equal(got.parent_step, 0);
	q_task_clear(&got);
	assert_int_equal(ops->child_find(b, pid, 0, 2, &got), 1);
	assert_int_equal(ops->child_find(b, pid, 1, 0, &got), 1);
	assert_int_equal(ops->steps_of(b, p.rowid, spawned_cb, &spawned), 0);
	assert_int_equal(spawned, 2);

	/* the same identity twice: refused, nothing written */
	fill_task(&c, "cccccccc-0000-4000-8000-000000000009");
	c.parent_task_id = (char *)pid;
	c.parent_step = 0;
	c.spawn_index = 1;
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &c), -1);
	assert_int_equal(ops->rollback(b), 0);
	/* children by hand (--parent): no index, as many as submitted */
	assert_int_equal(ops->begin(b), 0);
	for (int i = 0; i < 2; i++) {
		char id[Q_ID_LEN];

		snprintf(id, sizeof(id), "dddddddd-0000-4000-8000-00000000000%d", i);
		fill_task(&c, id);
		c.parent_task_id = (char *)pid;
		c.parent_step = 0;
		assert_int_equal(ops->task_insert(b, &c), 0);
	}
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks WHERE parent_task_id IS NOT NULL"), 4);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks WHERE spawn_index IS NULL"), 3);
	rmdb(path);
}

static void test_newer_schema_refused(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b;

	(void)state;
	b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	ops->close(b);
	exec_sql(path, "UPDATE schema_version SET version = 99");
	assert_null(ops->open(path, DURABILITY_FULL, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	rmdb(path);
}

static int steps_cb(void *arg, struct q_step *s)
{
	int *n = arg;

	assert_int_equal(s->idx, *n);
	if (s->idx == 0) {
		assert_int_equal(s->state, QS_RUNNING);
		assert_string_equal(s->worker, "w_00");
		assert_int_equal(s->attempts, 1);
	}
	(*n)++;
	return 0;
}

static void test_insert_claim_complete(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task t, got;
	struct q_step s[2];
	int n = 0;

	(void)state;
	assert_non_null(b);
	fill_task(&t, "aaaaaaaa-0000-4000-8000-000000000001");
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_true(t.rowid > 0);
	for (int i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].task = t.rowid;
		s[i].idx = i;
		s[i].name = i == 0 ? "fetch" : "publish";
		s[i].command = i == 0 ? "/bin/true" : NULL;
		s[i].handler = i == 0 ? NULL : "publish";
		s[i].state = i == 0 ? QS_READY : QS_PENDING;
		assert_int_equal(ops->step_insert(b, &s[i]), 0);
	}
	assert_int_equal(ops->commit(b), 0);

	/* claim */
	assert_int_equal(ops->begin(b), 0);
	s[0].state = QS_RUNNING;
	s[0].worker = "w_00";
	s[0].pid = 42;
	s[0].attempts = 1;
	s[0].started_at = 1700000000100;
	t.state = QT_RUNNING;
	t.started_at = 1700000000100;
	assert_int_equal(ops->step_update(b, &s[0]), 0);
	assert_int_equal(ops->task_update(b, &t), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->steps_of(b, t.rowid, steps_cb, &n), 0);
	assert_int_equal(n, 2);

	/* complete: stopped, success, times as milliseconds */
	assert_int_equal(ops->begin(b), 0);
	t.state = QT_STOPPED;
	t.result = QR_SUCCESS;
	t.ended_at = 1700000000200;
	t.output = "{\"ok\":true}";
	assert_int_equal(ops->task_update(b, &t), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->task_get(b, t.rowid, &got), 0);
	assert_int_equal(got.state, QT_STOPPED);
	assert_int_equal(got.result, QR_SUCCESS);
	assert_int_equal(got.ended_at, 1700000000200);
	assert_string_equal(got.output, "{\"ok\":true}");
	assert_int_equal(got.parent_step, -1);
	q_task_clear(&got);
	ops->close(b);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks WHERE started_at = 1700000000100 AND "
				     "ended_at = 1700000000200 AND start_at IS NULL"),
			 1);
	rmdb(path);
}

static void test_find_prefix(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task t, got;

	(void)state;
	assert_int_equal(ops->begin(b), 0);
	fill_task(&t, "abc00000-0000-4000-8000-000000000001");
	assert_int_equal(ops->task_insert(b, &t), 0);
	fill_task(&t, "abd00000-0000-4000-8000-000000000002");
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->task_find(b, "abc", &got), 0);
	assert_string_equal(got.id, "abc00000-0000-4000-8000-000000000001");
	q_task_clear(&got);
	assert_int_equal(ops->task_find(b, "ab", &got), 2);
	assert_int_equal(ops->task_find(b, "ff", &got), 1);
	assert_int_equal(ops->task_find(b, "abd00000-0000-4000-8000-000000000002", &got), 0);
	q_task_clear(&got);
	ops->close(b);
	rmdb(path);
}

static const char *nz(const char *s)
{
	return s != NULL ? s : "-";
}

/* Every member of a row, in struct order, as one line. */
static char *task_text(const struct q_task *t, char *buf)
{
	snprintf(buf, 512,
		 "%lld %s %s %s %s %s %s %s %d %d %s %s %d %lld %lld %lld %lld %lld %lld %d %d %d %d %d %d",
		 (long long)t->rowid, t->id, nz(t->label), nz(t->name), nz(t->queue), nz(t->input),
		 nz(t->output), nz(t->progress), (int)t->state, (int)t->result, nz(t->triggered_by),
		 nz(t->parent_task_id), t->parent_step, (long long)t->recurring_id, (long long)t->start_at,
		 (long long)t->start_before, (long long)t->created_at, (long long)t->started_at,
		 (long long)t->ended_at, t->steps_total, t->steps_done, t->flags, (int)t->on_error,
		 t->retry_on_worker_loss, t->spawn_index);
	return buf;
}

static char *step_text(const struct q_step *s, char *buf)
{
	snprintf(buf, 512, "%lld %lld %d %s %s %s %s %d %s %d %lld %d %lld %lld %d", (long long)s->rowid,
		 (long long)s->task, s->idx, nz(s->name), nz(s->command), nz(s->handler), nz(s->argv),
		 (int)s->state, nz(s->worker), (int)s->pid, (long long)s->lease_until, s->attempts,
		 (long long)s->started_at, (long long)s->ended_at, s->spawned);
	return buf;
}

static char *rec_text(const struct q_recurring *r, char *buf)
{
	snprintf(buf, 512, "%lld %s %s %s %s %s %d %d %lld %lld %lld %lld %d %s", (long long)r->rowid, r->id,
		 nz(r->label), nz(r->cron), nz(r->input), nz(r->triggered_by), r->iteration, r->iterations,
		 (long long)r->until, (long long)r->last_at, (long long)r->next_at, (long long)r->created_at,
		 (int)r->state, nz(r->name));
	return buf;
}

/* The one step (or recurring logic) a walk finds, taken from it. */
static int step_take_cb(void *arg, struct q_step *s)
{
	*(struct q_step *)arg = *s;
	memset(s, 0, sizeof(*s));
	return 1;
}

static int rec_take_cb(void *arg, struct q_recurring *r)
{
	*(struct q_recurring *)arg = *r;
	memset(r, 0, sizeof(*r));
	return 1;
}

static int error_text_cb(void *arg, const struct q_error *er)
{
	snprintf(arg, 128, "%lld %d [%s] %s %lld", (long long)er->task, er->idx, er->message,
		 nz(er->output_tail), (long long)er->at);
	return 0;
}

/*
 * Every column of every row type, written and read back with a value of its own (a member bound
 * to another column's parameter, or read from another column, shows), each UPDATE writing its
 * columns and no other, and unset values stored as NULL.
 */
static void test_rows_round_trip(void **state)
{
	char err[256], want[512], have[512];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task t = {.rowid = 77, .id = "a1000000-0000-4000-8000-000000000001"}, u = {.rowid = 77};
	struct q_step s = {.task = 77, .idx = 1, .name = "sn", .command = "cmd", .handler = "h"};
	struct q_step su;
	struct q_recurring r = {
	    .id = "r1000000-0000-4000-8000-000000000001", .label = "rl", .cron = "* * * * *"};
	struct q_recurring ru;
	struct q_error er = {77, -1, NULL, NULL, 71};
	struct q_task got;
	struct q_step sgot;
	struct q_recurring rgot;
	char line[128] = "";

	(void)state;
	assert_non_null(b);
	/* a value of its own for every member */
	t.label = "lbl", t.name = "nm", t.queue = "q1", t.triggered_by = "who";
	t.input = "{\"i\":1}", t.output = "{\"o\":2}", t.progress = "{\"p\":3}";
	t.state = QT_PAUSED, t.result = QR_WARNING, t.on_error = ON_ERROR_SKIP;
	t.parent_task_id = "b1000000-0000-4000-8000-000000000001", t.parent_step = 4, t.spawn_index = 15;
	t.recurring_id = 5, t.start_at = 6, t.start_before = 7, t.created_at = 8;
	t.started_at = 9, t.ended_at = 10, t.steps_total = 11, t.steps_done = 12, t.flags = 13;
	t.retry_on_worker_loss = 14;
	/* and for the update, every member changed: only the updated columns may reach the store */
	u.label = u.name = u.queue = u.triggered_by = u.parent_task_id = "x";
	u.input = "{}", u.progress = "{\"p\":4}", u.state = QT_STOPPED, u.result = QR_ERROR;
	u.on_error = ON_ERROR_STOP, u.parent_step = u.spawn_index = 98;
	u.recurring_id = u.start_at = u.start_before = u.created_at = 98, u.ended_at = 20;
	u.steps_total = u.retry_on_worker_loss = 98, u.steps_done = 21, u.flags = 22;
	s.argv = "[\"a\"]", s.state = QS_SUSPENDED, s.worker = "w", s.pid = 31, s.lease_until = 32;
	s.attempts = 33, s.started_at = 34, s.ended_at = 35, s.spawned = 36;
	r.triggered_by = "rt", r.iteration = 51, r.iterations = 52, r.until = 53, r.last_at = 54;
	r.next_at = 55, r.created_at = 56, r.state = QREC_FINISHED, r.name = "rn";
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_int_equal(ops->task_get(b, 77, &got), 0);
	assert_string_equal(task_text(&got, have), task_text(&t, want));
	q_task_clear(&got);
	/* the update writes output, progress, state, result, started_at, ended_at, steps_done, flags */
	assert_int_equal(ops->task_update(b, &u), 0);
	assert_int_equal(ops->task_find(b, "a1", &got), 0);
	assert_string_equal(task_text(&got, have),
			    "77 a1000000-0000-4000-8000-000000000001 lbl nm q1 {\"i\":1} {} "
			    "{\"p\":4} 4 2 who b1000000-0000-4000-8000-000000000001 4 5 6 7 8 "
			    "0 20 11 21 22 2 14 15");
	q_task_clear(&got);

	assert_int_equal(ops->step_insert(b, &s), 0);
	assert_true(s.rowid > 0);
	assert_int_equal(ops->steps_of(b, 77, step_take_cb, &sgot), 0);
	assert_string_equal(step_text(&sgot, have), step_text(&s, want));
	q_step_clear(&sgot);
	/* the update writes state, worker, pid, lease_until, attempts, started_at, ended_at, spawned */
	su = (struct q_step){s.rowid, 98, 98, "x", "x", "x", "x", QS_SUCCESS, NULL, 0, 42, 43, 44, 45, 46};
	assert_int_equal(ops->step_update(b, &su), 0);
	assert_int_equal(ops->steps_of(b, 77, step_take_cb, &sgot), 0);
	snprintf(want, sizeof(want), "%lld 77 1 sn cmd h [\"a\"] 3 - 0 42 43 44 45 46", (long long)s.rowid);
	assert_string_equal(step_text(&sgot, have), want);
	q_step_clear(&sgot);

	assert_int_equal(ops->recurring_insert(b, &r), 0);
	assert_true(r.rowid > 0);
	assert_int_equal(ops->recurring_find(b, "r1", &rgot), 0);
	r.input = "{}"; /* stored for NULL */
	assert_string_equal(rec_text(&rgot, have), rec_text(&r, want));
	q_recurring_clear(&rgot);
	/* the update writes iteration, last_at, next_at, state */
	ru =
	    (struct q_recurring){r.rowid, "", "x", "x", "x", "x", 61, 98, 98, 62, 0, 98, QREC_CANCELLED, "x"};
	assert_int_equal(ops->recurring_update(b, &ru), 0);
	assert_int_equal(ops->recurring_list(b, false, rec_take_cb, &rgot), 0);
	snprintf(want, sizeof(want),
		 "%lld r1000000-0000-4000-8000-000000000001 rl * * * * * {} rt 61 52 53 62 0 56 2 rn",
		 (long long)r.rowid);
	assert_string_equal(rec_text(&rgot, have), want);
	q_recurring_clear(&rgot);

	assert_int_equal(ops->error_insert(b, &er), 0);
	assert_int_equal(ops->errors_of(b, 77, error_text_cb, line), 0);
	assert_string_equal(line, "77 -1 [] - 71");
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks WHERE started_at IS NULL AND output = '{}'"),
			 1);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM steps WHERE worker IS NULL AND worker_pid IS NULL"), 1);
	assert_int_equal(count(path, "SELECT count(*) FROM recurring WHERE next_at IS NULL"), 1);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM errors WHERE step IS NULL AND output_tail IS NULL"), 1);
	rmdb(path);
}

/* A write that fails inside a transaction poisons it: its commit is refused (nothing of the group
 * is kept), a savepoint rolled back takes its failure with it, and no write runs outside one. */
static void test_failed_write_poisons(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task t, got;

	(void)state;
	fill_task(&t, "abc00000-0000-4000-8000-000000000001");
	assert_int_equal(ops->task_insert(b, &t), -1); /* no transaction */
	assert_non_null(strstr(ops->error(b), "outside a transaction"));
	assert_int_equal(ops->begin(b), 0);
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_int_equal(ops->savepoint(b), 0);
	assert_int_equal(ops->task_insert(b, &t), -1); /* the same id again */
	assert_int_equal(ops->rollback_to(b), 0);
	assert_int_equal(ops->commit(b), 0); /* the savepoint took its failure with it */
	assert_int_equal(ops->begin(b), 0);
	fill_task(&t, "abd00000-0000-4000-8000-000000000002");
	assert_int_equal(ops->task_insert(b, &t), 0);
	fill_task(&t, "abc00000-0000-4000-8000-000000000001");
	assert_int_equal(ops->task_insert(b, &t), -1);
	assert_int_equal(ops->commit(b), -1); /* poisoned */
	assert_int_equal(ops->rollback(b), 0);
	assert_int_equal(ops->task_find(b, "abd", &got), 1); /* nothing of the group is kept */
	assert_int_equal(ops->task_find(b, "abc", &got), 0);
	q_task_clear(&got);
	ops->close(b);
	rmdb(path);
}

static int holder_cb(void *arg, const char *resource, bool exclusive, const char *task_id)
{
	(void)resource;
	assert_true(exclusive);
	snprintf(arg, 64, "%s", task_id);
	return 0;
}

static void test_locks(void **state)
{
	char err[256], holder[64] = "";
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	struct q_task t1, t2;

	(void)state;
	assert_int_equal(ops->begin(b), 0);
	fill_task(&t1, "10000000-0000-4000-8000-000000000001");
	fill_task(&t2, "20000000-0000-4000-8000-000000000002");
	assert_int_equal(ops->task_insert(b, &t1), 0);
	assert_int_equal(ops->task_insert(b, &t2), 0);
	assert_int_equal(ops->lock_insert(b, t1.rowid, "repo:x", true), 0);
	/* links never conflict; a second exclusive lock is refused by the unique index */
	assert_int_equal(ops->lock_insert(b, t2.rowid, "repo:x", false), 0);
	assert_int_equal(ops->savepoint(b), 0);
	assert_int_equal(ops->lock_insert(b, t2.rowid, "repo:x", true), -1);
	assert_int_equal(ops->rollback_to(b), 0);
	assert_int_equal(ops->lock_holders(b, "repo:x", holder_cb, holder), 0);
	assert_string_equal(holder, t1.id);
	assert_int_equal(ops->locks_release(b, t1.rowid), 0);
	holder[0] = '\0';
	assert_int_equal(ops->lock_holders(b, "repo:x", holder_cb, holder), 0);
	assert_string_equal(holder, "");
	assert_int_equal(ops->lock_insert(b, t2.rowid, "repo:x", true), 0);
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
	rmdb(path);
}

/* Close with a transaction open: nothing of it is kept. */
static void test_close_without_commit(void **state)
{
	char err[256];
	char *path = tmpdb();
	struct qb *b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
	struct q_task t;

	(void)state;
	assert_int_equal(ops->begin(b), 0);
	fill_task(&t, "30000000-0000-4000-8000-000000000001");
	assert_int_equal(ops->task_insert(b, &t), 0);
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(ops->begin(b), 0);
	fill_task(&t, "30000000-0000-4000-8000-000000000002");
	assert_int_equal(ops->task_insert(b, &t), 0);
	ops->close(b);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks"), 1);
	rmdb(path);
}

/* The process dies in the middle of a transaction (no close at all): the file stays consistent. */
static void test_crash_mid_transaction(void **state)
{
	char err[256];
	char *path = tmpdb();
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct qb *b = ops->open(path, DURABILITY_FULL, err, sizeof(err));
		struct q_task t;

		if (b == NULL)
			_exit(2);
		ops->begin(b);
		fill_task(&t, "40000000-0000-4000-8000-000000000001");
		ops->task_insert(b, &t);
		ops->commit(b);
		ops->begin(b);
		for (int i = 0; i < 500; i++) {
			char id[40];

			snprintf(id, sizeof(id), "50000000-0000-4000-8000-%012d", i);
			fill_task(&t, id);
			ops->task_insert(b, &t);
		}
		_exit(0); /* no commit, no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	open_close(path, DURABILITY_FULL);
	assert_int_equal(count(path, "SELECT count(*) FROM tasks"), 1);
	assert_int_equal(
	    count(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
	rmdb(path);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(q_task_state_name(QT_PAUSED), "paused");
	assert_string_equal(q_result_name(QR_WARNING), "warning");
	assert_string_equal(q_step_state_name(QS_SUSPENDED), "suspended");
	assert_int_equal(q_step_state_parse("cancelled"), QS_CANCELLED);
	assert_int_equal(q_task_state_parse("bogus"), -1);
}

/* Storage failures in words with the path, never SQL text: a read-only database (root is not
 * stopped by chmod: the file is opened read-only through an SQLite URI), a corrupt one. */
static void test_errors_in_words(void **state)
{
	char err[512], uri[128];
	char *path = tmpdb();
	struct qb *b;
	struct q_task t;

	(void)state;
	open_close(path, DURABILITY_NORMAL);
	sqlite3_shutdown();
	sqlite3_config(SQLITE_CONFIG_URI, 1);
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
	b = ops->open(uri, DURABILITY_NORMAL, err, sizeof(err));
	assert_non_null(b);
	fill_task(&t, "aaaaaaaa-0000-4000-8000-000000000009");
	/* BEGIN IMMEDIATE itself may be what is refused */
	assert_true(ops->begin(b) != 0 || ops->task_insert(b, &t) != 0);
	const char *msg = ops->error(b);
	assert_non_null(strstr(msg, "database is read-only"));
	assert_non_null(strstr(msg, path));
	assert_null(strstr(msg, "INSERT"));
	assert_null(strstr(msg, "tasks ("));
	ops->close(b);
	sqlite3_shutdown();
	sqlite3_config(SQLITE_CONFIG_URI, 0);

	/* garbage over the header: the open fails naming the file and the cause */
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	for (int i = 0; i < 100; i++)
		fputc('x', f);
	fclose(f);
	b = ops->open(path, DURABILITY_NORMAL, err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "file is not a database"));
	rmdb(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrate_from_empty),
	    cmocka_unit_test(test_migrate_from_v1),
	    cmocka_unit_test(test_migrate_from_v4),
	    cmocka_unit_test(test_migrate_from_v5),
	    cmocka_unit_test(test_spawn_identity),
	    cmocka_unit_test(test_newer_schema_refused),
	    cmocka_unit_test(test_insert_claim_complete),
	    cmocka_unit_test(test_find_prefix),
	    cmocka_unit_test(test_rows_round_trip),
	    cmocka_unit_test(test_locks),
	    cmocka_unit_test(test_close_without_commit),
	    cmocka_unit_test(test_crash_mid_transaction),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_failed_write_poisons),
	    cmocka_unit_test(test_errors_in_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
