/*
 * test_engine.c — the task engine without a socket: plans tasks, hands steps
 * to workers, applies results and rescue rules, checks the operator actions'
 * state rules and recovery after a restart. It links no socket, daemon or
 * supervisor code: the engine's hooks are stubs below (a worker here has no
 * connection); one
 * engine_commit() stands for one loop iteration's group commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine_int.h"

/* ---- the hooks: no socket, a supervisor that knows one pid ---- */

static void stub_send(struct conn *c, uint32_t type, json_t *body)
{
	(void)c;
	(void)type;
	json_decref(body);
}
static void stub_send_frames(struct conn *c, const char *frames, size_t len)
{
	(void)c;
	(void)frames;
	(void)len;
}
static void stub_conn(struct conn *c)
{
	(void)c;
}
static bool stub_closed(const struct conn *c)
{
	(void)c;
	return false;
}
static size_t stub_unsent(const struct conn *c)
{
	(void)c;
	return 0;
}
static pid_t stub_pid(const struct conn *c)
{
	(void)c;
	return 0;
}
static const char *stub_user(const struct conn *c)
{
	(void)c;
	return "tester";
}
static void stub_on_close(struct conn *c, void (*fn)(void *arg, struct conn *c), void *arg)
{
	(void)c;
	(void)fn;
	(void)arg;
}
static void stub_set_data(struct conn *c, void *data)
{
	(void)c;
	(void)data;
}
/* A supervised process for the grace-timer test: the supervisor knows one pid. */
static pid_t fake_pid;
static const char *stub_program(void *arg, pid_t pid, const char **fullname)
{
	(void)arg;
	if (pid == 0 || pid != fake_pid)
		return NULL;
	if (fullname != NULL)
		*fullname = "exec_07";
	return "exec_07";
}
static int drained_calls;
static pid_t drained_pid;
static void stub_drained(void *arg, pid_t pid)
{
	(void)arg;
	drained_calls++;
	drained_pid = pid;
}
/* [eventlistener:x]: the TASK_* events the daemon hears (engine_hooks.task_state) */
static int task_events;
static char task_event_last[256];
static void stub_task_state(void *arg, const char *id, const char *label, const char *from, const char *to,
			    const char *result)
{
	(void)arg;
	task_events++;
	snprintf(task_event_last, sizeof(task_event_last), "%s %s %s->%s %s", id, label, from, to, result);
}
static const struct engine_hooks hooks = {
    .send = stub_send,
    .send_frames = stub_send_frames,
    .hold = stub_conn,
    .release = stub_conn,
    .closed = stub_closed,
    .unsent = stub_unsent,
    .pid = stub_pid,
    .user = stub_user,
    .on_close = stub_on_close,
    .set_data = stub_set_data,
    .program = stub_program,
    .drained = stub_drained,
    .task_state = stub_task_state,
};

/* ---- fixtures ---- */

static struct conf_step steps_two[] = {{.name = "fetch", .command = "run --repo %(input.repo)s"},
				       {.name = "publish", .handler = "publish"}};
static struct conf_step steps_one[] = {{.name = "only", .command = "/bin/true"}};
static char *locks_repo[] = {"repo:%(input.repo)s", NULL};
static struct conf_task types[] = {
    {.label = "two",
     .name_template = "Sync %(input.repo)s",
     .queue = "default",
     .steps = steps_two,
     .nsteps = 2},
    {.label = "stopper", .queue = "default", .steps = steps_two, .nsteps = 2, .on_error = ON_ERROR_STOP},
    {.label = "skipper", .queue = "default", .steps = steps_two, .nsteps = 2, .on_error = ON_ERROR_SKIP},
    {.label = "canc", .queue = "default", .steps = steps_one, .nsteps = 1, .cancellable = true},
    {.label = "retry", .queue = "default", .steps = steps_one, .nsteps = 1, .retry_on_worker_loss = 1},
    {.label = "locked", .queue = "default", .steps = steps_one, .nsteps = 1, .locks = locks_repo},
    {.label = "fanretry", .queue = "default", .steps = steps_two, .nsteps = 2, .retry_on_worker_loss = 1},
};
static struct conf conf = {.tasks = types, .ntasks = sizeof(types) / sizeof(types[0])};
static struct ev_loop *test_loop; /* the loop engine_new gets (NULL: none) */
static char dbpath[64];

static struct engine *mk(void)
{
	char err[256];
	struct engine *e;

	test_loop = NULL;
	conf.database = dbpath;
	e = engine_new(test_loop, &conf, &hooks, err, sizeof(err));
	if (e == NULL)
		fail_msg("engine_new: %s", err);
	return e;
}

/* As mk(), on the loop the test set in test_loop. */
static struct engine *mk_keep_loop(void)
{
	char err[256];
	struct engine *e;

	conf.database = dbpath;
	e = engine_new(test_loop, &conf, &hooks, err, sizeof(err));
	if (e == NULL)
		fail_msg("engine_new: %s", err);
	return e;
}

static int setup(void **state)
{
	int fd;
	char err[256];

	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/tv-test-engine-XXXXXX");
	fd = mkstemp(dbpath);
	close(fd);
	unlink(dbpath);
	/* the configuration loader splits step commands (lib/argv.c); these fixtures are static */
	if (steps_two[0].argv.n == 0 &&
	    (argv_parse(steps_two[0].command, &steps_two[0].argv, err, sizeof(err)) < 0 ||
	     argv_parse(steps_one[0].command, &steps_one[0].argv, err, sizeof(err)) < 0))
		fail_msg("argv_parse: %s", err);
	return 0;
}

static int teardown(void **state)
{
	char p[96];

	(void)state;
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	return 0;
}

static struct etask *submit(struct engine *e, const char *label, const char *input)
{
	char err[1400];
	json_t *req = json_pack("{s:s, s:o}", "label", label, "input", json_loads(input, 0, NULL));
	struct etask *t = engine_plan(e, req, "tester", NULL, -1, err, sizeof(err));

	json_decref(req);
	if (t == NULL)
		fail_msg("submit %s: %s", label, err);
	return t;
}

static struct worker *worker(struct engine *e, int prefetch)
{
	char err[256];
	json_t *req = json_pack("{s:s, s:[s, s], s:i, s:s}", "queue", "default", "handlers", "*", "publish",
				"prefetch", prefetch, "name", "tw");
	struct worker *w = engine_worker_hello(e, NULL, req, err, sizeof(err));

	json_decref(req);
	assert_non_null(w);
	return w;
}

/* The state, result of a task as the store has it, "state/result". */
static const char *status(struct engine *e, int64_t rowid)
{
	static char buf[64];
	json_t *j = engine_task_json(e, rowid, false);

	snprintf(buf, sizeof(buf), "%s/%s", json_string_value(json_object_get(j, "state")),
		 json_string_value(json_object_get(j, "result")));
	json_decref(j);
	return buf;
}

/* The worker finishes (or fails) the step it holds in slot 0. */
static void finish(struct engine *e, struct worker *w, bool ok)
{
	struct held *h;
	struct estep *s;

	assert_true(w->nheld > 0);
	h = &w->held[0];
	s = h->s;
	engine_worker_release(w, h);
	if (ok)
		engine_step_done(e, s, NULL);
	else
		engine_step_fail(e, s, "exited 3", "boom\n");
	engine_commit(e);
}

/* ---- tests ---- */

/* The STEP message is written by hand (engine_dispatch.c): it must be the JSON a worker expects. */
static void test_step_message(void **state)
{
	struct engine *e = mk();
	const char *repo = "q\"uote \\back\nline\ttab\x01 caf\xc3\xa9";
	json_t *in = json_pack("{s:s, s:[i, b, n]}", "repo", repo, "more", 1, 1);
	char *input = json_dumps(in, JSON_COMPACT);
	struct etask *t = submit(e, "two", input);
	struct worker *w = worker(e, 4);
	struct proto_hdr h;
	json_t *m;
	json_error_t jerr;
	char want_id[40];

	(void)state;
	engine_dispatch(e); /* hand-out: the message waits in the outbox for the commit */
	assert_int_equal(w->nheld, 1);
	assert_true(w->outbox.len - w->outbox.off > sizeof(h));
	memcpy(&h, w->outbox.buf + w->outbox.off, sizeof(h));
	assert_int_equal(h.version, PROTO_VERSION);
	assert_int_equal(h.type, MSG_WORKER_STEP);
	assert_int_equal(w->outbox.len - w->outbox.off, sizeof(h) + h.len); /* one frame, whole */
	m = json_loadb(w->outbox.buf + w->outbox.off + sizeof(h), h.len, 0, &jerr);
	if (m == NULL)
		fail_msg("not JSON: %s: %.*s", jerr.text, (int)h.len,
			 w->outbox.buf + w->outbox.off + sizeof(h));
	snprintf(want_id, sizeof(want_id), "%lld.1", (long long)t->steps[0].row.rowid);
	assert_string_equal(json_string_value(json_object_get(m, "step_id")), want_id);
	assert_string_equal(json_string_value(json_object_get(m, "task_id")), t->row.id);
	assert_string_equal(json_string_value(json_object_get(m, "label")), "two");
	assert_string_equal(json_string_value(json_object_get(m, "name")), t->row.name);
	assert_string_equal(json_string_value(json_object_get(m, "step")), "fetch");
	assert_string_equal(json_string_value(json_object_get(m, "command")), t->steps[0].row.command);
	assert_null(json_object_get(m, "handler"));
	assert_int_equal(json_integer_value(json_object_get(m, "index")), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "attempt")), 1);
	assert_true(json_is_number(json_object_get(m, "lease")));
	assert_true(json_equal(json_object_get(m, "input"), in));
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "input"), "repo")), repo);
	json_decref(m);
	json_decref(in);
	free(input);
	engine_free(e);
}

static void test_plan_and_run(void **state)
{
	struct engine *e = mk();
	struct etask *t = submit(e, "two", "{\"repo\":\"base; rm -rf /\"}");
	int64_t rowid = t->row.rowid;
	struct worker *w;

	(void)state;
	assert_string_equal(t->row.name, "Sync base; rm -rf /");
	assert_string_equal(t->steps[0].row.command, "run --repo 'base; rm -rf /'");
	assert_string_equal(t->steps[0].row.argv, "[\"run\",\"--repo\",\"base; rm -rf /\"]");
	assert_string_equal(t->steps[1].row.handler, "publish");
	assert_string_equal(t->row.triggered_by, "tester");
	engine_commit(e);
	assert_string_equal(status(e, rowid), "planned/pending");
	w = worker(e, 4);
	engine_commit(e); /* hand-out: the step row is written, the task row may wait */
	assert_int_equal(w->nheld, 1);
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	assert_string_equal(status(e, rowid), "planned/pending");
	q_now_override = engine_now() + ENGINE_LATE_MS;
	engine_commit(e); /* ENGINE_LATE_MS later it is written without another change */
	q_now_override = 0;
	assert_string_equal(status(e, rowid), "running/pending");
	finish(e, w, true);
	assert_int_equal(w->nheld, 1); /* the next step went out in the same iteration */
	assert_int_equal(t->steps[1].row.state, QS_RUNNING);
	finish(e, w, true);
	assert_string_equal(status(e, rowid), "stopped/success");
	assert_null(engine_task_get(e, "nope"));
	engine_free(e);
}

static void test_plan_errors(void **state)
{
	struct engine *e = mk();
	char err[512];
	json_t *req;

	(void)state;
	req = json_pack("{s:s}", "label", "x");
	assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
	assert_string_equal(err, "unknown task type 'x'");
	json_decref(req);
	req = json_pack("{s:s, s:[]}", "label", "two", "input");
	assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
	assert_string_equal(err, "input must be a JSON object");
	json_decref(req);
	req = json_pack("{s:s, s:{}}", "label", "two", "input");
	assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
	assert_string_equal(err, "name: input has no key 'repo'");
	json_decref(req);
	req =
	    json_pack("{s:s, s:{s:s}, s:s}", "label", "two", "input", "repo", "a", "start_at", "tomorrowish");
	assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
	assert_non_null(strstr(err, "start_at: cannot parse time"));
	json_decref(req);
	/* a value that would start an argv element with '-' (an option), nothing planned */
	req = json_pack("{s:s, s:{s:s}}", "label", "two", "input", "repo", "-rf");
	assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
	assert_string_equal(err,
			    "step fetch: input value 'repo' (\"-rf\") begins with '-' and run would take it "
			    "for an option; the template must put \"--\" before it, or join it to its option "
			    "(--opt=%(...)s)");
	json_decref(req);
	/* what the kernel or the protocol would refuse at hand-out is refused at submit */
	{
		size_t n = 200 * 1024, big = 17 * 1024 * 1024;
		char *v = malloc(big + 1);

		assert_non_null(v);
		memset(v, 'x', big);
		v[n] = '\0';
		req = json_pack("{s:s, s:{s:s}}", "label", "two", "input", "repo", v);
		assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
		assert_string_equal(
		    err, "step fetch: argument 2 would be 204800 bytes, over the 128 KiB one may hold");
		json_decref(req);
		v[n] = 'x';
		v[big] = '\0';
		req = json_pack("{s:s, s:{s:s}}", "label", "canc", "input", "big", v);
		assert_null(engine_plan(e, req, "u", NULL, -1, err, sizeof(err)));
		assert_true(strncmp(err, "input too large: step only's message would be 1782", 50) == 0);
		assert_non_null(strstr(err, " bytes, over the 16 MiB frame limit"));
		json_decref(req);
		free(v);
	}
	engine_free(e);
}

static void test_parse_time(void **state)
{
	int64_t ms;
	json_t *v;

	(void)state;
	v = json_string("2016-12-01T10:00:00Z");
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, 1480586400000LL);
	json_decref(v);
	v = json_string("2016-12-01T12:00:00+02:00");
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, 1480586400000LL);
	json_decref(v);
	v = json_string("+5m");
	assert_int_equal(engine_parse_time(v, 1000, &ms), 0);
	assert_int_equal(ms, 301000);
	json_decref(v);
	v = json_real(1480586400.5);
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, 1480586400500LL);
	json_decref(v);
	/* found by fuzz_time: a time beyond year 9999 overflowed the conversion to ms (UB) */
	v = json_real(1e300);
	assert_int_equal(engine_parse_time(v, 0, &ms), -1);
	json_decref(v);
	v = json_real(253402300800.0);
	assert_int_equal(engine_parse_time(v, 0, &ms), -1);
	json_decref(v);
	v = json_real(253402300799.0);
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, 253402300799000LL);
	json_decref(v);
	v = json_string("+1e300");
	assert_int_equal(engine_parse_time(v, 0, &ms), -1);
	json_decref(v);
	v = json_string("+inf");
	assert_int_equal(engine_parse_time(v, 0, &ms), -1);
	json_decref(v);
	v = json_string("+nan");
	assert_int_equal(engine_parse_time(v, 0, &ms), -1);
	json_decref(v);
}

static void test_result_derivation(void **state)
{
	struct etask t;
	struct estep s[3];

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(s, 0, sizeof(s));
	t.steps = s;
	t.nsteps = 3;
	for (int i = 0; i < 3; i++)
		s[i].row.state = QS_SUCCESS;
	assert_int_equal(engine_derive_result(&t), QR_SUCCESS);
	s[1].row.state = QS_SKIPPED;
	assert_int_equal(engine_derive_result(&t), QR_WARNING);
	s[2].row.state = QS_ERROR;
	assert_int_equal(engine_derive_result(&t), QR_ERROR);
	s[0].row.state = QS_CANCELLED;
	assert_int_equal(engine_derive_result(&t), QR_CANCELLED);
}

static void test_pause_resume_skip(void **state)
{
	struct engine *e = mk();
	struct etask *t = submit(e, "two", "{\"repo\":\"a\"}");
	struct etask *t2;
	int64_t rowid = t->row.rowid, rowid2;
	struct worker *w = worker(e, 1);
	char err[256];

	(void)state;
	engine_commit(e);
	/* wrong states change nothing */
	assert_int_equal(engine_task_resume(e, t, err, sizeof(err)), -1);
	assert_string_equal(err + 42, "is running, not paused");
	assert_int_equal(engine_task_skip(e, t, err, sizeof(err)), -1);
	finish(e, w, false);
	assert_string_equal(status(e, rowid), "paused/error");
	assert_int_equal(t->steps[0].row.state, QS_ERROR);
	/* resume re-runs the failed step */
	assert_int_equal(engine_task_resume(e, t, err, sizeof(err)), 0);
	engine_commit(e);
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	assert_int_equal(t->steps[0].row.attempts, 2);
	finish(e, w, true);
	finish(e, w, true);
	assert_string_equal(status(e, rowid), "stopped/success");

	/* skip: the failed step is skipped, the task goes on, result warning */
	t2 = submit(e, "two", "{\"repo\":\"b\"}");
	rowid2 = t2->row.rowid;
	engine_commit(e);
	finish(e, w, false);
	assert_int_equal(engine_task_skip(e, t2, err, sizeof(err)), 0);
	engine_commit(e);
	assert_int_equal(t2->steps[0].row.state, QS_SKIPPED);
	finish(e, w, true);
	assert_string_equal(status(e, rowid2), "stopped/warning");
	engine_free(e);
}

static void test_on_error_stop_and_skip(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "stopper", "{\"repo\":\"s\"}");
	int64_t r1 = t->row.rowid, r2;

	(void)state;
	engine_commit(e);
	finish(e, w, false);
	assert_string_equal(status(e, r1), "stopped/error");
	t = submit(e, "skipper", "{\"repo\":\"s\"}");
	r2 = t->row.rowid;
	engine_commit(e);
	finish(e, w, false);
	finish(e, w, true);
	assert_string_equal(status(e, r2), "stopped/warning");
	engine_free(e);
}

static void test_cancel_rules(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *a = submit(e, "two", "{\"repo\":\"a\"}");
	struct etask *b = submit(e, "two", "{\"repo\":\"b\"}");
	struct etask *c;
	int64_t rb = b->row.rowid, rc;
	char err[256], want[128];

	(void)state;
	engine_commit(e); /* a runs, b waits */
	assert_int_equal(a->steps[0].row.state, QS_RUNNING);
	snprintf(want, sizeof(want), "Cancel Not Implemented for Task: %s", a->row.id);
	assert_int_equal(engine_task_cancel(e, a, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(engine_task_cancel(e, b, err, sizeof(err)), 0);
	engine_commit(e);
	assert_string_equal(status(e, rb), "stopped/cancelled");
	/* a cancellable running task: its step is cancelled, the worker told, the slot kept until it answers
	 */
	finish(e, w, true);
	finish(e, w, true);
	c = submit(e, "canc", "{}");
	rc = c->row.rowid;
	engine_commit(e);
	assert_int_equal(w->nheld, 1);
	assert_int_equal(engine_task_cancel(e, c, err, sizeof(err)), 0);
	{ /* one CANCEL frame waits for the commit */
		struct proto_hdr h;

		memcpy(&h, w->outbox.buf + w->outbox.off, sizeof(h));
		assert_int_equal(h.type, MSG_WORKER_CANCEL);
		assert_int_equal(w->outbox.len - w->outbox.off, sizeof(h) + h.len);
	}
	engine_commit(e);
	assert_string_equal(status(e, rc), "stopped/cancelled");
	assert_int_equal(w->nheld, 1);
	assert_null(w->held[0].s);
	engine_worker_release(w, &w->held[0]);
	engine_free(e);
}

/* The last frame in w's outbox is of this type. */
static uint32_t last_frame_type(const struct worker *w)
{
	struct proto_hdr h;
	size_t off = w->outbox.off, last = (size_t)-1;

	while (off + sizeof(h) <= w->outbox.len) {
		memcpy(&h, w->outbox.buf + off, sizeof(h));
		last = off;
		off += sizeof(h) + h.len;
	}
	if (last == (size_t)-1)
		return 0;
	memcpy(&h, w->outbox.buf + last, sizeof(h));
	return h.type;
}

/* Draining (engine_drain.c): no new step, drained told when the last held step ends, and at the
 * deadline the held steps are re-queued or fail with a cause naming the operator's command. */
static void test_worker_drain(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *a = submit(e, "canc", "{}");
	struct etask *b = submit(e, "canc", "{}");
	struct etask *r = submit(e, "retry", "{}");
	int64_t arow = a->row.rowid, brow = b->row.rowid;
	json_t *j, *errs;
	char msg[128];

	(void)state;
	drained_calls = 0;
	w->supervised = true;
	w->pid = 4711;
	engine_commit(e);
	assert_int_equal(a->steps[0].row.state, QS_RUNNING);
	assert_int_equal(engine_worker_drain(e, 9999, 5, "stop"), -1); /* no such worker */
	assert_int_equal(engine_worker_drain(e, 4711, 5, "stop"), 1);
	assert_true(engine_worker_draining(w));
	assert_int_equal(last_frame_type(w), MSG_WORKER_DRAIN);
	assert_int_equal(drained_calls, 0);
	finish(e, w, true); /* its step ends: drained, and it gets no other */
	assert_int_equal(drained_calls, 1);
	assert_int_equal(drained_pid, 4711);
	assert_string_equal(status(e, arow), "stopped/success");
	engine_dispatch(e);
	engine_commit(e);
	assert_int_equal(w->nheld, 0);
	assert_int_equal(b->steps[0].row.state, QS_READY);

	/* The deadline: a step without retry fails (the task pauses) with the cause. */
	struct worker *w2 = worker(e, 2);
	w2->supervised = true;
	w2->pid = 4712;
	engine_dispatch(e);
	engine_commit(e);
	assert_int_equal(b->steps[0].row.state, QS_RUNNING);
	assert_int_equal(r->steps[0].row.state, QS_RUNNING);
	assert_int_equal(engine_worker_drain(e, 4712, 5, "restart exec:*"), 2);
	snprintf(msg, sizeof(msg), "%s", w2->held[0].step_id);
	engine_worker_drain_expired(e, 4712, "restart exec:*");
	engine_commit(e);
	assert_int_equal(drained_calls, 1); /* the daemon signals it anyway */
	assert_string_equal(status(e, brow), "paused/error");
	j = engine_task_json(e, brow, true);
	errs = json_object_get(j, "errors");
	assert_int_equal(json_array_size(errs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
			    "stopped by \"restart exec:*\" before the step finished");
	json_decref(j);
	/* retry_on_worker_loss = 1: re-queued, not to the draining worker */
	assert_int_equal(r->steps[0].row.state, QS_READY);
	j = engine_task_json(e, r->row.rowid, true);
	errs = json_object_get(j, "errors");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(errs, 0), "message")),
	    "stopped by \"restart exec:*\" before the step finished (re-queued: attempt 2 of 2)");
	json_decref(j);
	/* The worker's late FAIL (SIGTERM killed the command) only frees the slot. */
	engine_worker_fail(e, w2, msg, "killed by signal 15", NULL);
	engine_commit(e);
	assert_string_equal(status(e, brow), "paused/error");
	j = engine_task_json(e, brow, true);
	assert_int_equal(json_array_size(json_object_get(j, "errors")), 1);
	json_decref(j);
	engine_free(e);
}

static void test_worker_death(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "two", "{\"repo\":\"a\"}");
	struct etask *r = submit(e, "retry", "{}");
	int64_t rt = t->row.rowid;
	json_t *j, *errs;
	char want[128];

	(void)state;
	w->supervised = true;
	w->pid = 4711;
	free(w->name);
	w->name = strdup("exec_03");
	engine_commit(e);
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	engine_proc_exit(e, 4711, 9 /* killed by SIGKILL */, false);
	engine_commit(e);
	assert_string_equal(status(e, rt), "paused/error");
	j = engine_task_json(e, rt, true);
	errs = json_object_get(j, "errors");
	assert_int_equal(json_array_size(errs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
			    "worker exec_03 pid 4711 was killed by signal 9");
	json_decref(j);

	/* retry_on_worker_loss = 1: the first loss re-queues, the second fails (OOM) */
	w = worker(e, 1);
	w->supervised = true;
	w->pid = 4712;
	engine_commit(e);
	assert_int_equal(r->steps[0].row.state, QS_RUNNING);
	engine_proc_exit(e, 4712, 9, false);
	engine_commit(e);
	assert_int_equal(r->steps[0].row.state, QS_READY);
	w = worker(e, 1);
	w->supervised = true;
	w->pid = 4713;
	free(w->name);
	w->name = strdup("exec_04");
	engine_commit(e);
	assert_int_equal(r->steps[0].row.attempts, 2);
	engine_proc_exit(e, 4713, 9, true);
	engine_commit(e);
	assert_int_equal(r->row.state, QT_PAUSED);
	snprintf(want, sizeof(want), "worker exec_04 pid 4713 was killed by the OOM killer");
	j = engine_task_json(e, r->row.rowid, true);
	errs = json_object_get(j, "errors");
	assert_int_equal(json_array_size(errs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "message")), want);
	json_decref(j);

	/* an unsupervised worker whose connection closes: rescued at once */
	engine_task_resume(e, r, want, sizeof(want));
	w = worker(e, 1);
	w->pid = 99;
	engine_commit(e);
	assert_int_equal(r->steps[0].row.state, QS_RUNNING);
	engine_worker_closed(w, NULL);
	engine_commit(e);
	assert_int_equal(r->row.state, QT_PAUSED);
	engine_free(e);
}

static void test_restart_recovery(void **state)
{
	struct engine *e = mk();
	struct worker *w;
	struct etask *t = submit(e, "two", "{\"repo\":\"a\"}");
	struct etask *later = submit(e, "two", "{\"repo\":\"b\"}");
	char id[Q_ID_LEN], id2[Q_ID_LEN];
	json_t *j;

	(void)state;
	snprintf(id, sizeof(id), "%s", t->row.id);
	snprintf(id2, sizeof(id2), "%s", later->row.id);
	engine_commit(e); /* stored, planned */
	w = worker(e, 1);
	w->pid = 555;
	engine_commit(e);
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	/* the daemon dies before the claimed task's row was written (ENGINE_LATE_MS): the store
	 * has the step running and the task still planned; nothing more is written */
	assert_string_equal(status(e, t->row.rowid), "planned/pending");
	for (struct etask *l = e->late; l != NULL; l = l->lnext)
		l->in_late = false;
	e->late = NULL;
	engine_free(e);
	e = mk();
	t = engine_task_get(e, id);
	assert_non_null(t);
	assert_int_equal(t->row.state, QT_PAUSED);
	assert_string_equal(status(e, t->row.rowid), "paused/error");
	j = engine_task_json(e, t->row.rowid, true);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message")),
	    "worker tw pid 555 lost: daemon restarted");
	json_decref(j);
	/* the waiting task is ready again in the queue */
	later = engine_task_get(e, id2);
	assert_non_null(later);
	assert_true(later->steps[0].queued);
	engine_free(e);
}

static void test_lock_conflict(void **state)
{
	struct engine *e = mk();
	struct etask *a = submit(e, "locked", "{\"repo\":\"x\"}");
	char err[1400], want[256];
	json_t *req = json_pack("{s:s, s:{s:s}}", "label", "locked", "input", "repo", "x");
	struct etask *b;

	(void)state;
	b = engine_plan(e, req, "u", NULL, -1, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(b->row.state, QT_STOPPED);
	assert_int_equal(b->row.result, QR_ERROR);
	snprintf(want, sizeof(want), "Conflicts with tasks: %s", a->row.id);
	assert_non_null(strstr(err, "Required lock is already taken by other running tasks. Please inspect"));
	assert_non_null(strstr(err, want));
	engine_commit(e);
	/* once the holder stops, the lock is free */
	assert_int_equal(engine_task_cancel(e, a, err, sizeof(err)), 0);
	engine_commit(e);
	b = engine_plan(e, req, "u", NULL, -1, err, sizeof(err));
	assert_int_equal(b->row.state, QT_PLANNED);
	json_decref(req);
	engine_commit(e);
	engine_free(e);
}

static void test_delayed_and_deadline(void **state)
{
	struct engine *e = mk();
	char err[256];
	json_t *req =
	    json_pack("{s:s, s:{s:s}, s:s}", "label", "two", "input", "repo", "a", "start_at", "+1h");
	struct etask *t = engine_plan(e, req, "u", NULL, -1, err, sizeof(err));
	struct etask *late;
	struct worker *w = worker(e, 2);
	int64_t rlate;

	(void)state;
	json_decref(req);
	engine_commit(e);
	assert_int_equal(w->nheld, 0); /* not yet */
	assert_int_equal(t->row.state, QT_PLANNED);
	req = json_pack("{s:s, s:{s:s}, s:f}", "label", "two", "input", "repo", "b", "start_before",
			(double)(engine_now() + 1) / 1000.0);
	late = engine_plan(e, req, "u", NULL, -1, err, sizeof(err));
	json_decref(req);
	rlate = late->row.rowid;
	q_now_override = engine_now() + 2 * 3600 * 1000; /* two hours later */
	engine_commit(e);
	q_now_override = 0;
	assert_string_equal(status(e, rlate), "stopped/error");
	assert_int_equal(w->nheld, 0);
	q_now_override = engine_now() + 2 * 3600 * 1000;
	engine_free(e); /* the delayed task stays planned in the store */
	e = mk();	/* start_at is due now: the check at start makes it ready */
	w = worker(e, 2);
	engine_commit(e);
	q_now_override = 0;
	assert_int_equal(w->nheld, 1);
	engine_free(e);
}

static void test_fair_handout(void **state)
{
	struct engine *e = mk();
	struct worker *w1 = worker(e, 2), *w2 = worker(e, 2);

	(void)state;
	for (int i = 0; i < 6; i++) {
		char in[32];

		snprintf(in, sizeof(in), "{\"repo\":\"r%d\"}", i);
		submit(e, "two", in);
	}
	engine_commit(e);
	assert_int_equal(w1->nheld, 2);
	assert_int_equal(w2->nheld, 2);
	assert_int_equal(e->queues->nready, 2);
	engine_free(e);
}

/* unlock: paused -> stopped, locks gone, resumable; force-unlock stops a running task */
static void test_unlock(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "two", "{\"repo\":\"a\"}");
	struct etask *u;
	int64_t rowid = t->row.rowid;
	char err[256];

	(void)state;
	engine_commit(e);
	assert_int_equal(engine_task_unlock(e, t, false, "op", err, sizeof(err)), -1); /* running */
	finish(e, w, false);
	assert_int_equal(engine_task_unlock(e, t, false, "op", err, sizeof(err)), 0);
	assert_int_equal(t->row.flags & QF_UNLOCKED, QF_UNLOCKED);
	engine_commit(e);
	assert_string_equal(status(e, rowid), "stopped/error");
	assert_null(engine_task_get(e, "x"));
	u = submit(e, "two", "{\"repo\":\"b\"}");
	engine_commit(e);
	assert_int_equal(u->steps[0].row.state, QS_RUNNING);
	assert_int_equal(engine_task_unlock(e, u, true, "op", err, sizeof(err)), 0);
	assert_null(w->held[0].s); /* cancelled at the worker, slot kept until it answers */
	{ /* the worker is told: a CANCEL frame waits for the commit */
		struct proto_hdr h;

		assert_true(w->outbox.len - w->outbox.off >= sizeof(h));
		memcpy(&h, w->outbox.buf + w->outbox.off, sizeof(h));
		assert_int_equal(h.type, MSG_WORKER_CANCEL);
	}
	engine_commit(e);
	engine_worker_release(w, &w->held[0]);
	engine_free(e);
}

/* A step that spawned children waits for them; their outputs land in the parent's output. */
static void test_children(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *p = submit(e, "two", "{\"repo\":\"p\"}");
	struct etask *c1, *c2;
	json_t *req = json_pack("{s:s, s:{s:s}}", "label", "canc", "input", "k", "v");
	char err[512];
	int64_t prow = p->row.rowid;
	struct estep *s;

	(void)state;
	engine_commit(e);
	s = w->held[0].s;
	assert_ptr_equal(s->t, p);
	c1 = engine_plan(e, req, "u", p, 0, err, sizeof(err));
	c2 = engine_plan(e, req, "u", p, 0, err, sizeof(err));
	json_decref(req);
	assert_non_null(c1);
	assert_non_null(c2);
	assert_string_equal(c1->row.parent_task_id, p->row.id);
	engine_worker_release(w, &w->held[0]);
	engine_step_done(e, s, NULL);
	engine_commit(e);
	assert_int_equal(p->steps[0].row.state, QS_SUSPENDED);
	finish(e, w, true); /* c1 */
	assert_int_equal(p->steps[0].row.state, QS_SUSPENDED);
	finish(e, w, true); /* c2: the parent goes on */
	assert_int_equal(p->steps[0].row.state, QS_SUCCESS);
	assert_int_equal(json_object_size(json_object_get(p->output, "children")), 2);
	finish(e, w, true);
	assert_string_equal(status(e, prow), "stopped/success");
	engine_free(e);
}

/* The worker finishes the step of task t it holds, with output out (borrowed); no commit. */
static void finish_task(struct engine *e, struct worker *w, struct etask *t, json_t *out)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s != NULL && w->held[i].s->t == t) {
			struct estep *s = w->held[i].s;

			engine_worker_release(w, &w->held[i]);
			engine_step_done(e, s, out);
			return;
		}
	fail_msg("no step of task %s held", t->row.id);
}

/* A chord: the last child's stop makes the parent's next step ready in the same transaction
 * (nothing polls); the callback's input is the children's outputs in spawn order, not in the
 * order they stopped, before and after the commit frees them. */
static void test_chord_callback(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 4);
	struct etask *p = submit(e, "two", "{\"repo\":\"p\"}");
	struct etask *c[2];
	int64_t prow = p->row.rowid;
	char err[512];
	json_t *outs, *o;
	struct estep *s;

	(void)state;
	engine_commit(e);
	s = w->held[0].s;
	for (int i = 0; i < 2; i++) {
		json_t *req = json_pack("{s:s, s:{s:i}}", "label", "canc", "input", "n", i);

		c[i] = engine_plan(e, req, "u", p, 0, err, sizeof(err));
		json_decref(req);
		assert_non_null(c[i]);
	}
	engine_worker_release(w, &w->held[0]);
	engine_step_done(e, s, NULL);
	engine_commit(e);
	assert_int_equal(p->steps[0].row.state, QS_SUSPENDED);
	assert_int_equal(w->nheld, 2); /* both children handed out */
	o = json_pack("{s:i}", "n", 1);
	finish_task(e, w, c[1], o); /* the second-spawned child stops first */
	json_decref(o);
	engine_commit(e);
	assert_int_equal(p->steps[1].row.state, QS_PENDING);
	o = json_pack("{s:i}", "n", 0);
	finish_task(e, w, c[0], o);
	json_decref(o);
	assert_true(e->in_tx); /* not committed yet: the same transaction */
	assert_int_equal(p->steps[0].row.state, QS_SUCCESS);
	assert_int_equal(p->steps[1].row.state, QS_READY);
	assert_int_equal(json_integer_value(json_object_get(p->progress, "children_stopped")), 2);
	outs = engine_chord_outputs(e, p, 0);
	assert_non_null(outs);
	assert_int_equal(json_array_size(outs), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(outs, 0), "n")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(outs, 1), "n")), 1);
	json_decref(outs);
	engine_commit(e); /* the children are freed; the store has them */
	outs = engine_chord_outputs(e, p, 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(outs, 0), "n")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(outs, 1), "n")), 1);
	json_decref(outs);
	finish_task(e, w, p, NULL); /* the callback */
	engine_commit(e);
	assert_string_equal(status(e, prow), "stopped/success");
	engine_free(e);
}

struct identity_walk {
	int n;
	int idx[8];
};

static int identity_row(void *arg, struct q_task *row)
{
	struct identity_walk *x = arg;

	if (x->n < 8)
		x->idx[x->n] = row->spawn_index;
	x->n++;
	return 0;
}

/* The worker holding step s of p says SPAWN canc {"n": n}. */
static void spawn_n(struct engine *e, struct worker *w, struct estep *s, int n)
{
	json_t *label = json_string("canc"), *input = json_pack("{s:i}", "n", n);

	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s == s) {
			engine_worker_spawn(e, w, w->held[i].step_id, label, input);
			json_decref(label);
			json_decref(input);
			return;
		}
	fail_msg("step not held");
}

/*
 * Chords exactly once: a child is (parent, step, spawn index). The spawning
 * step's worker is lost after 2 spawns and the step re-queued
 * (retry_on_worker_loss); its second run spawns 3: the first two are the
 * children it has, only the third is new, and the callback gets 3 outputs.
 * A resume of the parent after the step's own failure does the same.
 */
static void test_chord_identity(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 4);
	struct etask *p = submit(e, "fanretry", "{\"repo\":\"p\"}");
	struct identity_walk x;
	int64_t prow = p->row.rowid;
	char pid[Q_ID_LEN], err[256];
	struct estep *s = &p->steps[0];
	json_t *outs;

	(void)state;
	memcpy(pid, p->row.id, Q_ID_LEN);
	engine_commit(e);
	assert_ptr_equal(w->held[0].s, s);
	spawn_n(e, w, s, 0);
	spawn_n(e, w, s, 1);
	engine_commit(e);
	assert_int_equal(s->row.spawned, 2);
	assert_int_equal(s->children_total, 2);
	/* the worker is lost: the step is re-queued and handed out again */
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s == s)
			engine_worker_release(w, &w->held[i]);
	engine_step_lost(e, s, "worker tw pid 1 was killed by signal 9");
	engine_commit(e);
	assert_int_equal(s->row.state, QS_RUNNING);
	assert_int_equal(s->row.attempts, 2);
	assert_int_equal(s->row.spawned, 0);
	for (int n = 0; n < 3; n++)
		spawn_n(e, w, s, n);
	engine_commit(e);
	assert_int_equal(s->row.spawned, 3);
	assert_int_equal(s->children_total, 3);
	memset(&x, 0, sizeof(x));
	assert_int_equal(e->ops->children_of(e->b, pid, identity_row, &x), 0);
	assert_int_equal(x.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(x.idx[i], i);
	/* the step fails by itself: resume runs it again, its spawns find the same children */
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].s == s) {
			engine_worker_release(w, &w->held[i]);
			break;
		}
	engine_step_fail(e, s, "exited 3", NULL);
	engine_commit(e);
	assert_int_equal(p->row.state, QT_PAUSED);
	assert_int_equal(engine_task_resume(e, p, err, sizeof(err)), 0);
	engine_commit(e);
	while (s->row.state != QS_RUNNING) { /* the children hold the slots first */
		assert_true(w->nheld > 0 && w->held[0].s != s);
		finish(e, w, true);
	}
	for (int n = 0; n < 3; n++)
		spawn_n(e, w, s, n);
	engine_commit(e);
	memset(&x, 0, sizeof(x));
	assert_int_equal(e->ops->children_of(e->b, pid, identity_row, &x), 0);
	assert_int_equal(x.n, 3);
	while (w->nheld > 0 && w->held[0].s != s)
		finish(e, w, true);
	finish_task(e, w, p, NULL); /* the spawning step is done */
	engine_commit(e);
	while (s->row.state == QS_SUSPENDED)
		finish(e, w, true);
	assert_int_equal(p->steps[1].row.state, QS_RUNNING); /* the callback */
	outs = engine_chord_outputs(e, p, 0);
	assert_int_equal(json_array_size(outs), 3);
	json_decref(outs);
	assert_int_equal(json_integer_value(json_object_get(p->progress, "children_total")), 3);
	finish_task(e, w, p, NULL);
	engine_commit(e);
	assert_string_equal(status(e, prow), "stopped/success");
	engine_free(e);
}

/* The daemon restarts while a spawning step runs: the step is re-queued (retry_on_worker_loss) and
 * its re-run finds its 2 children again; it still waits for them (its counters are recounted, not
 * left at the 0 of a fresh start). */
static void test_chord_restart(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *p = submit(e, "fanretry", "{\"repo\":\"p\"}");
	char pid[Q_ID_LEN];
	struct estep *s;
	int64_t prow;
	json_t *outs;

	(void)state;
	memcpy(pid, p->row.id, Q_ID_LEN);
	engine_commit(e);
	spawn_n(e, w, &p->steps[0], 0);
	spawn_n(e, w, &p->steps[0], 1);
	engine_commit(e);
	engine_free(e); /* the daemon dies */

	e = mk();
	w = worker(e, 1);
	engine_commit(e); /* the lost step is re-queued in front: handed out first */
	p = engine_task_get(e, pid);
	prow = p->row.rowid;
	s = &p->steps[0];
	assert_int_equal(s->row.state, QS_RUNNING);
	assert_int_equal(s->row.attempts, 2);
	assert_int_equal(s->children_open, 2);
	spawn_n(e, w, s, 0);
	spawn_n(e, w, s, 1);
	finish(e, w, true);
	assert_int_equal(s->row.state, QS_SUSPENDED); /* not the callback with no children */
	assert_int_equal(p->steps[1].row.state, QS_PENDING);
	finish(e, w, true);
	finish(e, w, true);
	assert_int_equal(s->row.state, QS_SUCCESS);
	outs = engine_chord_outputs(e, p, 0);
	assert_int_equal(json_array_size(outs), 2);
	json_decref(outs);
	finish(e, w, true);
	assert_string_equal(status(e, prow), "stopped/success");
	engine_free(e);
}

/* A spawn in a group whose commit fails is replayed at the retry with the index it had in that
 * group (steps.spawned comes back from the store): one child per index. */
static void test_chord_spawn_replay(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 4);
	struct etask *p = submit(e, "fanretry", "{\"repo\":\"p\"}");
	struct identity_walk x;
	char pid[Q_ID_LEN];

	(void)state;
	memcpy(pid, p->row.id, Q_ID_LEN);
	engine_commit(e);
	spawn_n(e, w, &p->steps[0], 0);
	engine_commit(e);
	spawn_n(e, w, &p->steps[0], 1);
	snprintf(e->flush_error, sizeof(e->flush_error), "disk full");
	engine_commit(e);
	assert_true(e->failing);
	p = engine_task_get(e, pid); /* reloaded */
	assert_int_equal(p->steps[0].row.spawned, 1);
	q_now_override = e->retry_at + 1;
	engine_commit(e); /* the retry replays the spawn */
	q_now_override = 0;
	assert_false(e->failing);
	p = engine_task_get(e, pid);
	assert_int_equal(p->steps[0].row.spawned, 2);
	memset(&x, 0, sizeof(x));
	assert_int_equal(e->ops->children_of(e->b, pid, identity_row, &x), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.idx[0], 0);
	assert_int_equal(x.idx[1], 1);
	engine_free(e);
}

/* cleanup deletes only stopped tasks, with their steps; noop only counts */
static void test_cleanup(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	char err[256];
	json_t *ids = json_array();

	(void)state;
	submit(e, "canc", "{}");
	submit(e, "canc", "{}");
	submit(e, "canc", "{}");
	engine_commit(e);
	finish(e, w, true);
	finish(e, w, true);
	/* two stopped, one running */
	assert_int_equal(engine_cleanup(e, NULL, 0, true, ids, err, sizeof(err)), 2);
	assert_int_equal(json_array_size(ids), 2);
	assert_int_equal(engine_cleanup(e, "label = canc", 3600, false, NULL, err, sizeof(err)),
			 0); /* too recent */
	assert_int_equal(engine_cleanup(e, "label = canc", 0, false, NULL, err, sizeof(err)), 2);
	engine_commit(e);
	assert_int_equal(engine_cleanup(e, NULL, 0, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(engine_cleanup(e, "bogus ===", 0, true, NULL, err, sizeof(err)), -1);
	json_decref(ids);
	finish(e, w, true);
	engine_free(e);
}

/* An unsupervised worker's step is rescued when its lease expires (and cancelled at the worker);
 * progress renews it. */
static void test_lease_expiry(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "two", "{\"repo\":\"a\"}");
	struct estep *s;
	int64_t lease;
	json_t *j;

	(void)state;
	w->pid = 321;
	engine_commit(e);
	s = w->held[0].s;
	lease = s->row.lease_until;
	assert_true(lease > 0);
	q_now_override = lease - 1000;
	engine_step_progress(e, s, NULL, NULL); /* heartbeat */
	q_now_override = 0;
	assert_true(s->row.lease_until > lease);
	engine_rescue_leases(e, lease + 1);
	assert_int_equal(s->row.state, QS_RUNNING);
	engine_rescue_leases(e, s->row.lease_until + 1);
	{ /* the worker is told to stop the step (it may only be slow), after the commit */
		struct proto_hdr h;

		assert_true(w->outbox.len - w->outbox.off >= sizeof(h));
		memcpy(&h, w->outbox.buf + w->outbox.off, sizeof(h));
		assert_int_equal(h.type, MSG_WORKER_CANCEL);
	}
	engine_commit(e);
	assert_int_equal(t->row.state, QT_PAUSED);
	assert_null(w->held[0].s); /* the slot waits for the late answer */
	j = engine_task_json(e, t->row.rowid, true);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message")),
	    "worker tw pid 321 lease expired");
	json_decref(j);
	engine_worker_release(w, &w->held[0]);
	engine_free(e);
}

/* check queue|paused|stuck: Nagios codes and lines */
static void test_check(void **state)
{
	struct engine *e = mk();
	struct worker *w;
	struct etask *t2;
	char line[256];

	(void)state;
	submit(e, "two", "{\"repo\":\"a\"}");
	t2 = submit(e, "two", "{\"repo\":\"b\"}");
	engine_commit(e);
	/* no worker serves the queue: CRITICAL whatever the thresholds, naming the queue */
	assert_int_equal(engine_check(e, "queue", 2, 5, line, sizeof(line)), 2);
	/* the oldest wait is a few ms here, but a loaded machine may round it up */
	assert_true(strncmp(line, "TASKS QUEUE CRITICAL - 2 steps ready, oldest waiting ", 53) == 0);
	assert_non_null(strstr(
	    line, " s, no worker serves queue \"default\" (2 steps ready) | queue=2;2;5 oldest_wait="));
	assert_non_null(strstr(line, "s unserved=2"));
	assert_int_equal(engine_check(e, "paused", 0, 0, line, sizeof(line)), 0);
	w = worker(e, 1);
	engine_commit(e);
	/* served: the thresholds on steps ready, then on the oldest wait (t2 waits 120 s) */
	assert_int_equal(engine_check(e, "queue", 1, 5, line, sizeof(line)), 1);
	assert_true(strncmp(line, "TASKS QUEUE WARNING - 1 steps ready, oldest waiting ", 52) == 0);
	t2->row.created_at -= 120000;
	assert_int_equal(engine_check_queue(e, 0, 0, 60, 300, line, sizeof(line)), 1);
	assert_string_equal(line, "TASKS QUEUE WARNING - 1 steps ready, oldest waiting 120 s | "
				  "queue=1;100;1000 oldest_wait=120s;60;300 unserved=0");
	assert_int_equal(engine_check_queue(e, 0, 0, 60, 100, line, sizeof(line)), 2);
	assert_int_equal(engine_check_queue(e, 0, 0, 200, 300, line, sizeof(line)), 0);
	t2->row.created_at += 120000;
	finish(e, w, false);
	assert_int_equal(engine_check(e, "paused", 0, 0, line, sizeof(line)), 1);
	assert_string_equal(line, "TASKS PAUSED WARNING - 1 tasks paused | paused=1;1;10");
	engine_commit(e);
	assert_int_equal(engine_check(e, "stuck", 0, 0, line, sizeof(line)), 0);
	w->gone = true; /* its worker vanished without a word: the running step is stuck */
	assert_int_equal(engine_check(e, "stuck", 0, 0, line, sizeof(line)), 1);
	assert_int_equal(engine_check(e, "bogus", 0, 0, line, sizeof(line)), 3);
	engine_free(e);
}

/* What `worker list` and `queue list` count: a worker's answers, its queue's minute and hour;
 * a replay after a failed commit counts nothing twice; a lost step is a failure. */
static void test_worker_counters(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 3);
	struct equeue_sums sums;
	char ids[3][40];

	(void)state;
	for (int i = 0; i < 3; i++)
		submit(e, "canc", "{}");
	engine_commit(e);
	assert_int_equal(w->nheld, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s", w->held[i].step_id);
		assert_true(w->held[i].since > 0);
		w->held[i].since -= 2000; /* each ran 2 s */
	}
	assert_int_equal(w->connected_at, w->last_seen);
	engine_worker_done(e, w, ids[0], NULL);
	engine_worker_fail(e, w, ids[1], "exited 1", NULL);
	engine_worker_done(e, w, "999.1", NULL); /* not one it holds: nothing counted */
	engine_commit(e);
	assert_int_equal(w->done, 1);
	assert_int_equal(w->failed, 1);
	assert_int_equal(w->q->done, 1);
	assert_int_equal(w->q->failed, 1);
	engine_queue_sums(w->q, engine_now(), &sums);
	assert_int_equal(sums.done_1m, 1);
	assert_int_equal(sums.failed_1m, 1);
	assert_int_equal(sums.done_1h, 1);
	assert_int_equal(sums.failed_1h, 1);
	assert_true(sums.run_ms_1h >= 4000 && sums.run_ms_1h < 6000);
	/* a replay (engine_journal.c) applies again what was counted once */
	e->replaying = true;
	engine_worker_count(e, w, &w->held[0], true);
	e->replaying = false;
	assert_int_equal(w->done, 1);
	assert_int_equal(w->q->done, 1);
	/* the worker dies holding the third: lost, a failure of its queue */
	engine_proc_exit(e, 4242, 9, false); /* not its pid: nothing */
	assert_int_equal(w->q->failed, 1);
	w->pid = 4242;
	w->supervised = true;
	engine_proc_exit(e, 4242, 9, false);
	engine_commit(e);
	engine_queue_sums(engine_queue(e, "default"), engine_now(), &sums);
	assert_int_equal(sums.failed_1m, 2);
	assert_int_equal(engine_queue(e, "default")->failed, 2);
	engine_free(e);
}

/* Why a task waits (task show's "waiting"), and a ready step waiting past its timeout is stuck. */
static void test_queue_waiting(void **state)
{
	struct engine *e = mk();
	struct etask *t1, *t2;
	struct worker *w;
	char why[256], err[256];
	json_t *req;

	(void)state;
	t1 = submit(e, "canc", "{}");
	engine_commit(e);
	assert_true(engine_queue_waiting(e, t1, why, sizeof(why)));
	assert_string_equal(why, "no worker serves queue \"default\"");
	assert_true(engine_queue_unserved(t1->q, why, sizeof(why)));
	assert_string_equal(why, "no worker serves queue \"default\"; the task waits until one connects");
	/* a worker of the queue that takes only handler steps */
	req = json_pack("{s:s, s:[s], s:i}", "queue", "default", "handlers", "publish", "prefetch", 1);
	w = engine_worker_hello(e, NULL, req, err, sizeof(err));
	json_decref(req);
	assert_non_null(w);
	engine_commit(e);
	assert_false(engine_queue_unserved(t1->q, why, sizeof(why)));
	assert_true(engine_queue_waiting(e, t1, why, sizeof(why)));
	assert_string_equal(why, "no worker of queue \"default\" runs command steps (step only)");
	/* one that takes it, busy with t1: t2 waits behind it */
	w = worker(e, 1);
	engine_commit(e);
	assert_false(engine_queue_waiting(e, t1, why, sizeof(why))); /* running: waits for nothing */
	t2 = submit(e, "canc", "{}");
	engine_commit(e);
	assert_true(engine_queue_waiting(e, t2, why, sizeof(why)));
	assert_string_equal(why, "1 worker busy; step only is #1 of 1 ready on queue \"default\"");
	/* not stuck yet; past ENGINE_WAIT_STUCK_S (the type has no timeout) it is */
	assert_false(engine_task_stuck_why(e, t2, why, sizeof(why)));
	t2->row.created_at -= (ENGINE_WAIT_STUCK_S + 5) * 1000;
	assert_true(engine_task_stuck_why(e, t2, why, sizeof(why)));
	assert_non_null(strstr(why, "step only: waiting 60"));
	assert_non_null(strstr(why,
			       "(1 worker busy; step only is #1 of 1 ready on queue \"default\"), over its "
			       "timeout of 600 s"));
	engine_free(e);
}

/* A recurring logic submits its task when due, counts iterations and finishes. */
static void test_recurring(void **state)
{
	struct engine *e = mk();
	char err[512];
	json_t *req = json_pack("{s:s, s:s, s:{s:s}, s:i}", "label", "two", "cron", "*/5 * * * *", "input",
				"repo", "r", "iterations", 2);
	struct erec *r = engine_recurring_schedule(e, req, "op", NULL, err, sizeof(err));
	struct q_recurring row;
	char id[Q_ID_LEN];
	int64_t first;
	size_t before;

	(void)state;
	json_decref(req);
	assert_non_null(r);
	snprintf(id, sizeof(id), "%s", r->row.id);
	first = r->row.next_at;
	assert_true(first > engine_now());
	assert_int_equal(first % (300 * 1000), 0);
	engine_commit(e);
	before = e->ntasks;
	assert_int_equal(engine_recurring_run(e, first - 1), first); /* not yet */
	assert_int_equal(e->ntasks, before);
	assert_int_equal(engine_recurring_run(e, first), first + 300 * 1000);
	assert_int_equal(e->ntasks, before + 1);
	engine_commit(e);
	assert_int_equal(engine_recurring_run(e, first + 300 * 1000), 0); /* the second and last */
	engine_commit(e);
	assert_null(e->recs); /* over: only the store keeps it */
	memset(&row, 0, sizeof(row));
	assert_int_equal(e->ops->recurring_find(e->b, id, &row), 0);
	assert_int_equal(row.state, QREC_FINISHED);
	assert_int_equal(row.iteration, 2);
	q_recurring_clear(&row);
	assert_int_equal(engine_recurring_cancel(e, id, &row, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is already finished"));
	req = json_pack("{s:s, s:s}", "label", "two", "cron", "bad");
	assert_null(engine_recurring_schedule(e, req, "op", NULL, err, sizeof(err)));
	json_decref(req);
	engine_free(e);
}

/* A supervised worker's connection closes before its reap: the step waits (grace timer) for the
 * exit status; without one it fails as "disconnected" after the grace. */
static void test_close_before_reap(void **state)
{
	struct engine *e;
	struct worker *w;
	struct etask *t, *t2;
	json_t *j;

	(void)state;
	test_loop = ev_loop_new(EVFLAG_AUTO);
	fake_pid = 4800;
	e = mk_keep_loop();
	w = worker(e, 1);
	w->supervised = true;
	w->pid = 4800;
	t = submit(e, "two", "{\"repo\":\"a\"}");
	engine_commit(e);
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	engine_worker_closed(w, NULL); /* the connection first */
	assert_int_equal(t->steps[0].row.state, QS_RUNNING);
	engine_proc_exit(e, 4800, 9, true); /* then the reap: the cause is known */
	engine_commit(e);
	assert_int_equal(t->row.state, QT_PAUSED);
	j = engine_task_json(e, t->row.rowid, true);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message")),
	    "worker tw pid 4800 was killed by the OOM killer");
	json_decref(j);

	/* no reap comes: after the grace the step fails as disconnected */
	fake_pid = 4801;
	w = worker(e, 1);
	w->supervised = true;
	w->pid = 4801;
	t2 = submit(e, "two", "{\"repo\":\"b\"}");
	engine_commit(e);
	assert_int_equal(t2->steps[0].row.state, QS_RUNNING);
	engine_worker_closed(w, NULL);
	for (int i = 0; i < 300 && t2->row.state != QT_PAUSED; i++)
		ev_run(test_loop, EVRUN_ONCE); /* the grace timer, then the commit (prepare) */
	assert_int_equal(t2->row.state, QT_PAUSED);
	j = engine_task_json(e, t2->row.rowid, true);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message")),
	    "worker tw pid 4801 disconnected");
	json_decref(j);
	engine_free(e);
	ev_loop_destroy(test_loop);
	test_loop = NULL;
	fake_pid = 0;
}

/* Throughput of the engine's own path (plan + claim + done + commit), in-process, no socket. */
/* Tasks planned in one group are inserted together (engine_save_planned), with the rowids the
 * engine gave them; one claimed in the same group is stored running; numbering goes on after a
 * restart. */
static void test_batch_insert(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t[70];
	int64_t first, rowid0;
	json_t *j;

	(void)state;
	for (int i = 0; i < 70; i++) /* two statements of QS_BATCH and single rows */
		t[i] = submit(e, "canc", "{\"n\": 1}");
	first = t[0]->row.rowid;
	rowid0 = first;
	for (int i = 0; i < 70; i++) {
		assert_int_equal(t[i]->row.rowid, first + i);
		assert_null(engine_task_json(e, t[i]->row.rowid, false)); /* not in the store yet */
	}
	engine_commit(e); /* t[0] is handed out in the same group */
	assert_int_equal(w->nheld, 1);
	assert_string_equal(status(e, rowid0), "running/pending");
	for (int i = 1; i < 70; i++)
		assert_string_equal(status(e, t[i]->row.rowid), "planned/pending");
	j = engine_task_json(e, t[69]->row.rowid, true);
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "input"), "n")), 1);
	json_decref(j);
	j = engine_task_json(e, rowid0, true);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "steps"), 0), "state")),
	    "running");
	json_decref(j);
	engine_free(e);
	e = mk(); /* the numbering continues after the stored rows */
	t[0] = submit(e, "canc", "{}");
	assert_int_equal(t[0]->row.rowid, first + 70);
	engine_commit(e);
	assert_string_equal(status(e, first + 70), "planned/pending");
	engine_free(e);
}

/* A planned task whose insert fails (a row put behind the daemon's back took its number): the
 * whole group is rolled back, so its submit is answered with an error, not OK. */
static void test_insert_failure_rolls_back(void **state)
{
	struct engine *e = mk();
	struct etask *t;
	sqlite3 *db;
	char sql[256];
	unsigned long long commits;
	json_t *j;
	int64_t rowid;
	char id[Q_ID_LEN];

	(void)state;
	engine_commit(e);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO tasks (num, id, label, name, queue, state, result, created_at) VALUES "
		 "(%lld, 'outsider', 'canc', 'x', 'default', 'stopped', 'success', 1)",
		 (long long)e->next_task);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	commits = e->n_commits;
	t = submit(e, "canc", "{}");
	rowid = t->row.rowid;
	snprintf(id, sizeof(id), "%s", t->row.id);
	engine_commit(e);
	assert_int_equal(e->n_commits, commits); /* not committed */
	j = engine_task_json(e, rowid, false);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "outsider");
	json_decref(j);
	/* memory equals the store again: the refused task is not there to be handed out */
	assert_null(engine_task_get(e, id));
	assert_true(e->failing);
	engine_free(e);
}

/* The step (by rowid) as the store has it: "state/attempts". */
static const char *step_status(int64_t rowid)
{
	static char buf[64];
	sqlite3 *db;
	sqlite3_stmt *st;

	buf[0] = '\0';
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT state, attempts FROM steps WHERE num = ?", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, sizeof(buf), "%s/%d", sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/*
 * A group whose commit fails (disk full, read-only): nothing of it is seen —
 * no STEP message leaves, the planned task is not in memory — memory equals
 * the store again, what the worker said in that group (a step done, a worker
 * lost) is replayed, no step is handed out and task changes are refused until
 * the retry; the retry then commits it all.
 */
static void test_commit_failure_resync(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 2), *w2;
	struct etask *t1 = submit(e, "two", "{\"repo\":\"a\"}"), *t2 = submit(e, "retry", "{}"), *t3;
	int64_t r1 = t1->row.rowid, s1a = t1->steps[0].row.rowid, s1b = t1->steps[1].row.rowid;
	int64_t r2 = t2->row.rowid, s2 = t2->steps[0].row.rowid, r3;
	char id1[Q_ID_LEN], id2[Q_ID_LEN], id3[Q_ID_LEN], err[512];
	struct held *h;

	(void)state;
	snprintf(id1, sizeof(id1), "%s", t1->row.id);
	snprintf(id2, sizeof(id2), "%s", t2->row.id);
	engine_commit(e); /* both first steps handed out to w, committed */
	assert_int_equal(w->nheld, 2);
	assert_string_equal(step_status(s1a), "running/1");

	/* the failing group: w finishes t1's fetch (its publish becomes ready and is handed out),
	 * a new task is planned, a second worker holding t2's step dies */
	w2 = worker(e, 1);
	h = engine_worker_held(w, w->held[0].s == &t1->steps[0] ? w->held[0].step_id : w->held[1].step_id);
	assert_non_null(h);
	engine_worker_done(e, w, h->step_id, NULL);
	t3 = submit(e, "canc", "{}");
	r3 = t3->row.rowid;
	snprintf(id3, sizeof(id3), "%s", t3->row.id);
	engine_dispatch(e);
	assert_int_equal(w->nheld, 2); /* t1's publish, in the outbox */
	assert_true(w->outbox.len > 0);
	snprintf(e->flush_error, sizeof(e->flush_error), "disk full");
	engine_commit(e);

	assert_true(e->failing);
	assert_int_equal(w->outbox.len, 0);   /* the STEP of t1's publish never left */
	assert_null(engine_task_get(e, id3)); /* the refused task is not in memory */
	/* memory equals the store: the DONE waits in the journal for the retry */
	assert_int_equal(engine_task_get(e, id1)->steps[0].row.state, QS_RUNNING);
	assert_int_equal(engine_task_get(e, id1)->steps[1].row.state, QS_PENDING);
	assert_int_equal(w->nheld, 2);			    /* t1's fetch and t2's step, as the store says */
	assert_string_equal(step_status(s1a), "running/1"); /* the store: as before the group */
	assert_string_equal(step_status(s1b), "pending/0");
	assert_int_equal(engine_task_json(e, r3, false), NULL);
	assert_int_equal(engine_writable(e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk full"));
	engine_commit(e); /* before the retry: nothing is tried, nothing handed out */
	assert_int_equal(w->nheld, 2);
	assert_false(e->in_tx); /* no transaction stays open: reads go on */

	/* w disconnects meanwhile: its steps are lost, journaled (t2 may retry once) */
	engine_worker_closed(w, NULL);
	assert_int_equal(engine_task_get(e, id2)->steps[0].row.state, QS_RUNNING);

	q_now_override = e->retry_at + 1;
	engine_commit(e); /* the retry: t2's step goes to w2, t1's publish waits for a worker */
	q_now_override = 0;
	assert_false(e->failing);
	assert_int_equal(engine_writable(e, err, sizeof(err)), 0);
	assert_string_equal(step_status(s1a), "success/1");
	assert_string_equal(step_status(s1b), "ready/0");
	assert_string_equal(step_status(s2), "running/2");
	assert_int_equal(w2->nheld, 1);
	assert_string_equal(status(e, r2), "running/pending");
	(void)r1;
	engine_free(e);
}

/* A worker's DONE in a group that fails, and the worker dies in the next one that fails too:
 * both are replayed once the database takes writes again. */
static void test_commit_failure_twice(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "retry", "{}");
	int64_t rt = t->row.rowid, st = t->steps[0].row.rowid;
	char step_id[40], id[Q_ID_LEN];

	(void)state;
	snprintf(id, sizeof(id), "%s", t->row.id);
	w->supervised = true;
	w->pid = 4711;
	engine_commit(e);
	snprintf(step_id, sizeof(step_id), "%s", w->held[0].step_id);
	engine_worker_fail(e, w, step_id, "exited 3", "boom\n");
	snprintf(e->flush_error, sizeof(e->flush_error), "disk full");
	engine_commit(e);
	assert_true(e->failing);
	assert_string_equal(step_status(st), "running/1");
	assert_int_equal(engine_task_get(e, id)->row.state, QT_RUNNING); /* its step runs, as stored */
	snprintf(e->flush_error, sizeof(e->flush_error), "disk full");
	q_now_override = e->retry_at + 1;
	engine_commit(e); /* fails again: replayed again */
	assert_true(e->failing);
	assert_true(e->retry_ms >= 200);
	q_now_override = e->retry_at + 1;
	engine_commit(e);
	q_now_override = 0;
	assert_false(e->failing);
	assert_string_equal(step_status(st), "error/1");
	assert_string_equal(status(e, rt), "paused/error");
	engine_free(e);
}

/* [eventlistener:x]: a task's stop is told after the commit that recorded it; a group whose
 * commit fails tells nothing, its replay tells it once. */
static void test_task_events_after_commit(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 1);
	struct etask *t = submit(e, "stopper", "{\"repo\":\"s\"}");
	char step_id[40], id[Q_ID_LEN], want[256];

	(void)state;
	snprintf(id, sizeof(id), "%s", t->row.id);
	task_events = 0;
	engine_commit(e);
	assert_int_equal(task_events, 0);
	snprintf(step_id, sizeof(step_id), "%s", w->held[0].step_id);
	engine_worker_fail(e, w, step_id, "exited 3", "boom\n");
	snprintf(e->flush_error, sizeof(e->flush_error), "disk full");
	engine_commit(e);
	assert_true(e->failing);
	assert_int_equal(task_events, 0); /* undone: nobody hears of it */
	q_now_override = e->retry_at + 1;
	engine_commit(e);
	q_now_override = 0;
	assert_false(e->failing);
	assert_int_equal(task_events, 1);
	snprintf(want, sizeof(want), "%s stopper running->stopped error", id);
	assert_string_equal(task_event_last, want);
	engine_free(e);
}

static void test_throughput(void **state)
{
	struct engine *e = mk();
	struct worker *w = worker(e, 256);
	struct timespec a, m, b;
	int n = getenv("TV_ENGINE_BENCH_N") != NULL ? atoi(getenv("TV_ENGINE_BENCH_N")) : 5000, done = 0;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		submit(e, "canc", "{}");
	engine_commit(e);
	clock_gettime(CLOCK_MONOTONIC, &m);
	while (done < n) {
		int k = w->nheld;

		for (int i = 0; i < k; i++) {
			struct estep *s = w->held[0].s;

			engine_worker_release(w, &w->held[0]);
			engine_step_done(e, s, NULL);
			done++;
		}
		engine_commit(e);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("engine: %d one-step tasks planned, handed out and completed in %.2f s: %.0f tasks/s "
	       "(durability full, batches of 256); planning alone %.0f tasks/s\n",
	       n, secs, n / secs,
	       n / ((double)(m.tv_sec - a.tv_sec) + (double)(m.tv_nsec - a.tv_nsec) / 1e9));
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plan_and_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_step_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plan_errors, setup, teardown),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_result_derivation),
	    cmocka_unit_test_setup_teardown(test_pause_resume_skip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_on_error_stop_and_skip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_death, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_recovery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delayed_and_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fair_handout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_children, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chord_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chord_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chord_spawn_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chord_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cleanup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_waiting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recurring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_before_reap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_insert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_failure_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure_resync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_task_events_after_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
