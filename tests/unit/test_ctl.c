/*
 * test_ctl.c — taskvisorctl's framework (ctl/ctl.c): command lookup by name,
 * alias and unique prefix, and its requests through libtaskvisor's client (the
 * words for an absent daemon, the timeout). ctl.c is compiled into this test
 * directly. The socket read from a config file is conf_socket's (test_conf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../ctl/ctl.c"

/* The framework declares these; this test brings its own. */
const struct ctl_cmd proc_cmds[] = {
    {"status", NULL, "status", "", NULL}, {"start", NULL, "start", "", NULL},
    {"stop", NULL, "stop", "", NULL},	  {"signal", NULL, "signal", "", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
const struct ctl_cmd misc_cmds[] = {
    {"reread", NULL, "reread", "", NULL},
    {"reload", NULL, "reload", "", NULL},
    {"help", "?", "help", "", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
const struct ctl_cmd task_cmds[] = {
    {"task", NULL, "task", "", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
const struct ctl_cmd worker_cmds[] = {
    {"worker", NULL, "worker", "", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
const struct ctl_cmd bundle_cmds[] = {
    {"debug-bundle", NULL, "debug-bundle", "", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static const struct ctl_cmd *find(const char *name, bool *amb)
{
	const struct ctl_cmd *const tables[] = {proc_cmds, misc_cmds, task_cmds, NULL};
	return ctl_cmd_find(tables, name, amb);
}

static void test_find(void **state)
{
	const struct ctl_cmd *c;
	bool amb;

	(void)state;
	c = find("status", &amb);
	assert_non_null(c);
	assert_string_equal(c->name, "status");
	c = find("?", &amb);
	assert_non_null(c);
	assert_string_equal(c->name, "help");
	c = find("sig", &amb);
	assert_non_null(c);
	assert_string_equal(c->name, "signal");
	c = find("ta", &amb); /* only "task" starts with it, across tables */
	assert_non_null(c);
	assert_string_equal(c->name, "task");
	assert_null(find("st", &amb)); /* status, start, stop */
	assert_true(amb);
	assert_null(find("re", &amb));
	assert_true(amb);
	assert_null(find("bogus", &amb));
	assert_false(amb);
	assert_null(find("", &amb));
	assert_false(amb);
	assert_null(find("statusx", &amb));
	assert_false(amb);
}

/* A socket that accepts but never answers: the request gives up after c.timeout, and a request that
 * waits (start) does too, on its MSG_VERSION probe. */
static void test_no_answer_times_out(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl c = {.conf_path = "/x", .timeout = 0.3};
	struct timespec t0, t1;
	json_t *reply = NULL;
	int lfd;

	(void)state;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/test_ctl.%ld.sock", (long)getpid());
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	c.socket_path = sun.sun_path;
	for (int i = 0; i < 2; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(ctl_request(&c, i == 0 ? MSG_STATUS : MSG_START, NULL, &reply), -1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		assert_true(took >= 0.25 && took < 2.0);
		assert_null(reply);
		assert_int_equal(tv_client_open(c.tc), 0); /* it had given up on that connection */
	}
	ctl_close(&c);
	close(lfd);
	unlink(sun.sun_path);
}

static void test_connect_words(void **state)
{
	struct ctl c = {
	    .conf_path = "/x", .socket_path = "/nonexistent/dir/tv.sock", .timeout = CTL_DEFAULT_TIMEOUT};
	char err[256];

	(void)state;
	assert_null(ctl_connect(&c, err, sizeof(err)));
	assert_string_equal(err, "unix:///nonexistent/dir/tv.sock no such file");
	ctl_close(&c);
}

/* A top-level word is exact (name or alias), as supervisorctl's: "stat" is not "status". */
static void test_exact(void **state)
{
	(void)state;
	assert_string_equal(ctl_cmd_exact(ctl_tables, "status")->name, "status");
	assert_string_equal(ctl_cmd_exact(ctl_tables, "?")->name, "help");
	assert_null(ctl_cmd_exact(ctl_tables, "stat"));
	assert_null(ctl_cmd_exact(ctl_tables, "ta"));
	assert_null(ctl_cmd_exact(ctl_tables, ""));
}

/* -s and open take supervisorctl's unix:///path or a path; nothing else changes the socket. */
static void test_set_socket(void **state)
{
	struct ctl c = {.conf_path = "/x", .socket_path = "/old.sock"};

	(void)state;
	assert_int_equal(ctl_set_socket(&c, "unix:///run/a.sock"), 0);
	assert_string_equal(c.socket_path, "/run/a.sock");
	assert_int_equal(ctl_set_socket(&c, "/run/b.sock"), 0);
	assert_string_equal(c.socket_path, "/run/b.sock");
	assert_int_equal(ctl_set_socket(&c, "http://localhost:9001"), -1);
	assert_int_equal(ctl_set_socket(&c, "unix://"), -1);
	assert_string_equal(c.socket_path, "/run/b.sock");
	ctl_free(&c);
}

/* Words split as a shell would, quotes removed. */
static void test_split(void **state)
{
	char line[] = "  task submit 'a b' \"c\"d  \n";
	char **argv;

	(void)state;
	assert_int_equal(ctl_split(line, &argv), 4);
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "cd");
	assert_null(argv[4]);
	free(argv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find),	  cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_set_socket),	  cmocka_unit_test(test_split),
	    cmocka_unit_test(test_connect_words), cmocka_unit_test(test_no_answer_times_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
