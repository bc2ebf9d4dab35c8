/*
 * test_taskvisor.c — libtaskvisor (lib/libtaskvisor/tv_worker.c, tv_client.c) against
 * a fake daemon on a private socket (a thread that speaks proto.h), and the
 * time parser.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "taskvisor.h"

/* ---- a fake daemon: accepts one connection and runs a script ---- */

struct fake {
	char dir[64], path[128];
	int lfd, cfd;
	pthread_t th;
	void (*script)(struct fake *f);
	json_t *got; /* every frame received: [{"type":N,"body":{...}}] */
};

static json_t *fake_recv(struct fake *f, uint32_t *type)
{
	struct proto_hdr h;
	char *body;
	json_t *j;

	if (proto_recv(f->cfd, &h, &body) < 0)
		return NULL;
	j = json_loads(body, 0, NULL);
	free(body);
	*type = h.type;
	json_array_append_new(f->got, json_pack("{s:i, s:O}", "type", (int)h.type, "body", j));
	return j;
}

static void fake_send(struct fake *f, uint32_t type, const char *text)
{
	assert_int_equal(proto_send(f->cfd, type, text, strlen(text)), 0);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	f->cfd = accept(f->lfd, NULL, NULL);
	if (f->cfd >= 0) {
		f->script(f);
		close(f->cfd);
	}
	return NULL;
}

static void fake_start(struct fake *f, void (*script)(struct fake *))
{
	struct sockaddr_un sun;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/tv-unit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->script = script;
	f->got = json_array();
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_cleanup(struct fake *f)
{
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	json_decref(f->got);
}

/* ---- worker ---- */

static int h_noop(struct tv_step *s, void *arg)
{
	(*(int *)arg)++;
	assert_string_equal(json_string_value(json_object_get(tv_step_input(s), "k")), "v");
	return TV_STEP_OK;
}

static int h_fail(struct tv_step *s, void *arg)
{
	(void)arg;
	tv_step_set_error(s, "broke %d", 42);
	return TV_STEP_FAILED;
}

static int h_out(struct tv_step *s, void *arg)
{
	struct tv_worker **w = arg;

	assert_int_equal(tv_step_progress(s, "{\"items_done\":1}"), 0);
	assert_int_equal(tv_step_progress(s, "not json"), -1);
	/* a label JSON cannot carry was reported as "out of memory" (exec-worker's fd-3 "spawn"
	 * line passes any bytes) */
	assert_int_equal(tv_step_spawn(s, "bad\xff", NULL), -1);
	assert_string_equal(tv_worker_error(*w), "spawn: label is not UTF-8");
	assert_int_equal(tv_step_spawn(s, "child", "{\"a\":1}"), 0);
	return tv_step_done(s, "{\"x\":2}");
}

static void script_worker(struct fake *f)
{
	uint32_t type;
	json_t *hello = fake_recv(f, &type);

	assert_int_equal(type, MSG_WORKER_HELLO);
	assert_string_equal(json_string_value(json_object_get(hello, "queue")), "q1");
	assert_int_equal(json_integer_value(json_object_get(hello, "prefetch")), 4);
	assert_int_equal(json_array_size(json_object_get(hello, "handlers")), 3);
	json_decref(hello);
	fake_send(f, MSG_OK, "{\"worker_id\":7,\"name\":\"w_00\",\"lease\":30}");
	/* Four steps in one write burst, one of them cancelled before it runs. */
	fake_send(f, MSG_WORKER_STEP,
		  "{\"step_id\":\"1.1\",\"task_id\":\"t1\",\"label\":\"L\",\"step\":\"a\",\"index\":0,"
		  "\"handler\":\"noop\",\"input\":{\"k\":\"v\"},\"attempt\":1,\"lease\":30}");
	fake_send(f, MSG_WORKER_STEP,
		  "{\"step_id\":\"2.1\",\"task_id\":\"t2\",\"handler\":\"fail\",\"lease\":0}");
	fake_send(f, MSG_WORKER_STEP, "{\"step_id\":\"3.1\",\"task_id\":\"t3\",\"handler\":\"nope\"}");
	/* in one write, so that the cancel is read with the step, before it runs */
	{
		struct proto_wbuf wb;
		const char *st =
		    "{\"step_id\":\"4.1\",\"task_id\":\"t4\",\"handler\":\"noop\",\"input\":{\"k\":\"v\"}}";
		const char *ca = "{\"step_id\":\"4.1\"}";
		proto_wbuf_init(&wb);
		proto_wbuf_add(&wb, MSG_WORKER_STEP, st, strlen(st));
		proto_wbuf_add(&wb, MSG_WORKER_CANCEL, ca, strlen(ca));
		while (proto_wbuf_flush(&wb, f->cfd) == 0)
			;
		proto_wbuf_free(&wb);
	}
	fake_send(f, MSG_WORKER_STEP, "{\"step_id\":\"5.1\",\"task_id\":\"t5\",\"handler\":\"out\"}");
	for (int i = 0; i < 7; i++) {
		json_t *j = fake_recv(f, &type);
		assert_non_null(j);
		json_decref(j);
	}
	/* then close: the worker's run returns -1 */
}

static void test_worker_protocol(void **state)
{
	struct fake f;
	char err[TV_ERR_LEN];
	struct tv_worker *w;
	int runs = 0;
	json_t *g;

	(void)state;
	fake_start(&f, script_worker);
	w = tv_worker_new(f.path, "q1", 4, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(tv_worker_handle(w, "noop", h_noop, &runs), 0);
	assert_int_equal(tv_worker_handle(w, "fail", h_fail, NULL), 0);
	assert_int_equal(tv_worker_handle(w, "out", h_out, &w), 0);
	assert_int_equal(tv_worker_run(w), -1);
	assert_string_equal(tv_worker_error(w), "the daemon closed the connection");
	assert_string_equal(tv_worker_name(w), "w_00");
	assert_int_equal(tv_worker_id(w), 7);
	assert_int_equal(runs, 1); /* step 4 was cancelled before it ran */
	tv_worker_free(w);
	pthread_join(f.th, NULL);
	g = f.got;
	/* hello + 7 results, in order */
	assert_int_equal(json_array_size(g), 8);
#define T(i) json_integer_value(json_object_get(json_array_get(g, i), "type"))
#define B(i, k) json_object_get(json_object_get(json_array_get(g, i), "body"), k)
	assert_int_equal(T(1), MSG_WORKER_DONE);
	assert_string_equal(json_string_value(B(1, "step_id")), "1.1");
	assert_int_equal(T(2), MSG_WORKER_FAIL);
	assert_string_equal(json_string_value(B(2, "message")), "broke 42");
	assert_int_equal(T(3), MSG_WORKER_FAIL);
	assert_non_null(strstr(json_string_value(B(3, "message")), "serves no handler \"nope\""));
	assert_int_equal(T(4), MSG_WORKER_FAIL);
	assert_string_equal(json_string_value(B(4, "message")), "cancelled");
	assert_int_equal(T(5), MSG_WORKER_PROGRESS);
	assert_int_equal(json_integer_value(json_object_get(B(5, "progress"), "items_done")), 1);
	assert_int_equal(T(6), MSG_WORKER_SPAWN);
	assert_string_equal(json_string_value(B(6, "label")), "child");
	assert_int_equal(T(7), MSG_WORKER_DONE);
	assert_int_equal(json_integer_value(json_object_get(B(7, "output"), "x")), 2);
#undef T
#undef B
	fake_cleanup(&f);
}

/* A step's output: lines sent live (LOG, at once inside a synchronous handler), the tails with
 * the DONE, cut to the worker's tail size on a whole line, the byte counts whole. */
static int h_log(struct tv_step *s, void *arg)
{
	(void)arg;
	assert_int_equal(tv_step_log(s, "first line"), 0);
	assert_int_equal(tv_step_log(s, "second line\n"), 0);
	assert_int_equal(tv_step_log_stream(s, 2, "bad \xff byte", 10), 0);
	return tv_step_done(s, NULL);
}

static void script_log(struct fake *f)
{
	uint32_t type;
	json_t *j = fake_recv(f, &type);

	json_decref(j);
	fake_send(f, MSG_OK, "{\"worker_id\":1,\"name\":\"w_00\",\"lease\":0}");
	fake_send(f, MSG_WORKER_STEP, "{\"step_id\":\"9.1\",\"task_id\":\"t9\",\"handler\":\"log\"}");
	for (int i = 0; i < 4; i++) {
		j = fake_recv(f, &type);
		assert_non_null(j);
		json_decref(j);
	}
}

static void test_worker_log(void **state)
{
	struct fake f;
	char err[TV_ERR_LEN];
	struct tv_worker *w;
	json_t *g, *log;

	(void)state;
	fake_start(&f, script_log);
	w = tv_worker_new(f.path, "q1", 1, err, sizeof(err));
	assert_non_null(w);
	tv_worker_set_log_tail(w, 16);
	assert_int_equal(tv_worker_handle(w, "log", h_log, NULL), 0);
	assert_int_equal(tv_worker_run(w), -1);
	tv_worker_free(w);
	pthread_join(f.th, NULL);
	g = f.got;
	assert_int_equal(json_array_size(g), 5);
#define T(i) json_integer_value(json_object_get(json_array_get(g, i), "type"))
#define B(i, k) json_object_get(json_object_get(json_array_get(g, i), "body"), k)
	assert_int_equal(T(1), MSG_WORKER_LOG);
	assert_string_equal(json_string_value(B(1, "step_id")), "9.1");
	assert_string_equal(json_string_value(json_array_get(json_array_get(B(1, "lines"), 0), 0)), "stdout");
	assert_string_equal(json_string_value(json_array_get(json_array_get(B(1, "lines"), 0), 1)),
			    "first line");
	assert_string_equal(json_string_value(json_array_get(json_array_get(B(2, "lines"), 0), 1)),
			    "second line");
	assert_string_equal(json_string_value(json_array_get(json_array_get(B(3, "lines"), 0), 0)), "stderr");
	assert_string_equal(json_string_value(json_array_get(json_array_get(B(3, "lines"), 0), 1)),
			    "bad \xef\xbf\xbd byte");
	assert_int_equal(T(4), MSG_WORKER_DONE);
	log = B(4, "log");
	assert_non_null(log);
	/* 23 bytes printed on stdout, 16 kept: from the first whole line */
	assert_string_equal(json_string_value(json_object_get(log, "stdout")), "second line\n");
	assert_int_equal(json_integer_value(json_object_get(log, "stdout_bytes")), 23);
	assert_string_equal(json_string_value(json_object_get(log, "stderr")), "bad \xef\xbf\xbd byte\n");
	assert_int_equal(json_integer_value(json_object_get(log, "dropped")), 0);
#undef T
#undef B
	fake_cleanup(&f);
}

/* tv_log_clean: UTF-8 kept, invalid bytes and control characters replaced, long lines cut. */
static void test_log_clean(void **state)
{
	char out[TV_LOG_LINE_MAX + 64], *big = malloc(10000);
	size_t n;

	(void)state;
	n = tv_log_clean("caf\xc3\xa9\tok\r\n", 10, out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9\tok");
	assert_int_equal(n, strlen(out));
	tv_log_clean("a\x1b[31mb\xc3", 8, out, sizeof(out));
	assert_string_equal(out, "a\xef\xbf\xbd[31mb\xef\xbf\xbd");
	memset(big, 'x', 10000);
	n = tv_log_clean(big, 10000, out, sizeof(out));
	assert_true(n <= TV_LOG_LINE_MAX);
	assert_non_null(strstr(out, " [line cut: 10000 bytes]"));
	n = tv_log_clean(big, 10000, out, 8);
	assert_int_equal(n, 7);
	free(big);
}

static void test_worker_errors(void **state)
{
	char err[TV_ERR_LEN];
	struct tv_worker *w;

	(void)state;
	unsetenv("TASKVISOR_SOCKET");
	assert_string_equal(tv_client_default_socket(), "/run/taskvisor.sock");
	setenv("TASKVISOR_SOCKET", "/nonexistent/env", 1);
	assert_string_equal(tv_client_default_socket(), "/nonexistent/env");
	w = tv_worker_new(NULL, "q", 1, err, sizeof(err));
	assert_non_null(w);
	tv_worker_handle(w, "noop", h_fail, NULL);
	assert_int_equal(tv_worker_connect(w), -1);
	assert_non_null(strstr(tv_worker_error(w), "unix:///nonexistent/env"));
	tv_worker_free(w);
	unsetenv("TASKVISOR_SOCKET");
	assert_null(tv_worker_new("/nonexistent/s", "q", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "prefetch"));
	w = tv_worker_new("/nonexistent/s", "q", 1, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(tv_worker_connect(w), -1); /* no handlers */
	tv_worker_handle(w, "noop", h_fail, NULL);
	assert_int_equal(tv_worker_connect(w), -1);
	assert_non_null(strstr(tv_worker_error(w), "unix:///nonexistent/s"));
	tv_worker_free(w);
}

/* ---- client ---- */

static void script_client(struct fake *f)
{
	uint32_t type;
	json_t *j = fake_recv(f, &type);

	assert_int_equal(type, MSG_TASK_SUBMIT);
	fake_send(f, MSG_OK, "{\"id\":\"0b0e6c1e-0000-4000-8000-000000000001\"}");
	json_decref(j);
	j = fake_recv(f, &type);
	json_decref(j);
	fake_send(f, MSG_ERROR, "{\"error\":\"unknown task type 'x'\",\"code\":1}");
	j = fake_recv(f, &type);
	assert_int_equal(type, MSG_TASK_SUBMIT);
	assert_int_equal(json_array_size(json_object_get(j, "tasks")), 2);
	json_decref(j);
	fake_send(f, MSG_OK, "{\"ids\":[\"a\",\"b\"]}");
	/* a request that waits without a limit: first, does the daemon answer at all? */
	j = fake_recv(f, &type);
	assert_int_equal(type, MSG_VERSION);
	json_decref(j);
	fake_send(f, MSG_OK, "{\"version\":\"0.1.0\",\"protocol\":1}");
	j = fake_recv(f, &type);
	assert_int_equal(type, MSG_TASK_WAIT);
	json_decref(j);
	fake_send(f, MSG_DATA, "{\"task\":{\"state\":\"running\"}}");
	fake_send(f, MSG_OK, "{\"task\":{\"state\":\"stopped\",\"result\":\"success\"}}");
}

static void test_client(void **state)
{
	struct fake f;
	char err[TV_ERR_LEN], id[TV_ID_LEN], ids[2][TV_ID_LEN];
	const char *labels[] = {"a", "b"};
	struct tv_submit_opts o = {.start_at = 1795442400};
	struct tv_client *c;
	json_t *t;

	(void)state;
	fake_start(&f, script_client);
	c = tv_client_connect(f.path, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(tv_submit(c, "L", "{\"repo\":\"x\"}", &o, id), 0);
	assert_string_equal(id, "0b0e6c1e-0000-4000-8000-000000000001");
	/* refused before anything is sent */
	assert_int_equal(tv_submit(c, "L", "{bad", NULL, id), -1);
	assert_non_null(strstr(tv_client_error(c), "input: bad JSON"));
	assert_int_equal(tv_submit(c, "L", "[1]", NULL, id), -1);
	assert_string_equal(tv_client_error(c), "input: not a JSON object");
	assert_int_equal(tv_submit(c, "x", NULL, NULL, id), -1);
	assert_string_equal(tv_client_error(c), "unknown task type 'x'");
	assert_int_equal(tv_submit_many(c, 2, labels, NULL, NULL, ids), 0);
	assert_string_equal(ids[1], "b");
	assert_int_equal(tv_wait(c, "a", &t), 0);
	assert_string_equal(json_string_value(json_object_get(t, "result")), "success");
	json_decref(t);
	tv_client_close(c);
	pthread_join(f.th, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(json_array_get(f.got, 0), "body"), "input"), "repo")),
	    "x");
	assert_true(json_number_value(json_object_get(json_object_get(json_array_get(f.got, 0), "body"),
						      "start_at")) == 1795442400.0);
	fake_cleanup(&f);
}

/* ---- follow: MSG_TASK_WAIT on one connection, checks on another ---- */

static void script_follow(struct fake *f)
{
	uint32_t type;
	int c1 = f->cfd, c2 = accept(f->lfd, NULL, NULL);
	json_t *j;

	j = fake_recv(f, &type); /* on the first connection: the probe, then the wait */
	assert_int_equal(type, MSG_VERSION);
	json_decref(j);
	fake_send(f, MSG_OK, "{\"version\":\"0.1.0\",\"protocol\":1}");
	j = fake_recv(f, &type);
	assert_int_equal(type, MSG_TASK_WAIT);
	json_decref(j);
	f->cfd = c2;
	j = fake_recv(f, &type);
	assert_int_equal(type, MSG_TASK_SHOW);
	json_decref(j);
	fake_send(f, MSG_OK, "{\"task\":{\"state\":\"running\",\"steps_done\":0}}");
	f->cfd = c1;
	fake_send(f, MSG_DATA, "{\"task\":{\"state\":\"running\",\"steps_done\":1}}");
	fake_send(f, MSG_DATA, "{\"task\":{\"state\":\"paused\",\"steps_done\":1}}");
	/* the client stops following here and drops this connection: whatever else the
	 * daemon says on it is not read (and the send may fail: not checked) */
	proto_send(c1, MSG_DATA, "{}", 2);
	close(c2);
}

static int follow_cb(void *arg, json_t *task)
{
	json_array_append(arg, task);
	return strcmp(json_string_value(json_object_get(task, "state")), "paused") == 0;
}

static void test_follow(void **state)
{
	struct fake f;
	char err[TV_ERR_LEN];
	struct tv_client *c;
	json_t *seen = json_array(), *final = NULL;

	(void)state;
	fake_start(&f, script_follow);
	c = tv_client_connect(f.path, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(tv_follow(c, "t1", 5.0, follow_cb, seen, &final), 1);
	assert_string_equal(json_string_value(json_object_get(final, "state")), "paused");
	assert_int_equal(json_array_size(seen), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(seen, 1), "steps_done")), 1);
	json_decref(final);
	json_decref(seen);
	tv_client_close(c);
	pthread_join(f.th, NULL);
	fake_cleanup(&f);
}

/* ---- times ---- */

static void test_parse_time(void **state)
{
	double t;
	struct tm tm;
	time_t want;

	(void)state;
	assert_int_equal(tv_parse_time("+10s", 1000, &t), 0);
	assert_true(t == 1010);
	assert_int_equal(tv_parse_time("+5m", 1000, &t), 0);
	assert_true(t == 1300);
	assert_int_equal(tv_parse_time("+2h", 0, &t), 0);
	assert_true(t == 7200);
	assert_int_equal(tv_parse_time("+1d", 0, &t), 0);
	assert_true(t == 86400);
	assert_int_equal(tv_parse_time("+15", 0, &t), 0);
	assert_true(t == 15);
	assert_int_equal(tv_parse_time("1795442400", 0, &t), 0);
	assert_true(t == 1795442400);
	assert_int_equal(tv_parse_time("@12.5", 0, &t), 0);
	assert_true(t == 12.5);
	assert_int_equal(tv_parse_time("2026-11-23T14:00:00Z", 0, &t), 0);
	assert_true(t == 1795442400);
	assert_int_equal(tv_parse_time("2026-11-23T15:00:00+01:00", 0, &t), 0);
	assert_true(t == 1795442400);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 23;
	tm.tm_hour = 14;
	tm.tm_isdst = -1;
	want = mktime(&tm);
	assert_int_equal(tv_parse_time("2026-11-23 14:00", 0, &t), 0);
	assert_true(t == (double)want);
	assert_int_equal(tv_parse_time("2026-11-23 14:00:00", 0, &t), 0);
	assert_true(t == (double)want);
	assert_int_equal(tv_parse_time("now", 5, &t), 0);
	assert_true(t == 5);
	assert_int_equal(tv_parse_time("", 0, &t), -1);
	/* found by fuzz_time: not a number jansson can send (json_real(inf) is NULL, so ctl
	 * submitted without the start time) */
	assert_int_equal(tv_parse_time("+inf", 0, &t), -1);
	assert_int_equal(tv_parse_time("@nan", 0, &t), -1);
	assert_int_equal(tv_parse_time("@-inf", 0, &t), -1);
	assert_int_equal(tv_parse_time("+1e308d", 0, &t), -1);
	assert_int_equal(tv_parse_time("tomorrow", 0, &t), -1);
	assert_int_equal(tv_parse_time("+5x", 0, &t), -1);
	assert_int_equal(tv_parse_time("2026-11-23 14:00 junk", 0, &t), -1);
	assert_int_equal(tv_parse_time("2026-13-45", 0, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worker_protocol), cmocka_unit_test(test_worker_errors),
	    cmocka_unit_test(test_client),	    cmocka_unit_test(test_follow),
	    cmocka_unit_test(test_parse_time),	    cmocka_unit_test(test_worker_log),
	    cmocka_unit_test(test_log_clean),
	};
	return cmocka_run_group_tests_name("taskvisor", tests, NULL, NULL);
}
