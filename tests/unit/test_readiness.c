/*
 * test_readiness.c — readiness.c: the sd_notify message forms, and real round
 * trips through the socket from children calling libsystemd's sd_notify().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "readiness.h"

/* Parse a literal (copied: the parser splits its buffer in place). */
static int parse(const char *s, struct readiness_event *ev, char *buf)
{
	size_t n = strlen(s);
	memcpy(buf, s, n + 1);
	return readiness_parse(buf, n, ev);
}

static void test_parse_forms(void **state)
{
	(void)state;
	char buf[512];
	struct readiness_event ev;

	assert_int_equal(parse("READY=1", &ev, buf), 1);
	assert_true(ev.ready);
	assert_null(ev.status);
	assert_false(ev.watchdog);
	assert_int_equal(ev.errnum, -1);
	assert_int_equal(ev.mainpid, 0);

	assert_int_equal(parse("READY=1\nSTATUS=warming up: 3/4 caches\n", &ev, buf), 2);
	assert_true(ev.ready);
	assert_string_equal(ev.status, "warming up: 3/4 caches");

	/* a value may hold '=' */
	assert_int_equal(parse("STATUS=a=b\n", &ev, buf), 1);
	assert_string_equal(ev.status, "a=b");
	assert_false(ev.ready);
	/* empty status is a status */
	assert_int_equal(parse("STATUS=", &ev, buf), 1);
	assert_string_equal(ev.status, "");

	assert_int_equal(parse("WATCHDOG=1", &ev, buf), 1);
	assert_true(ev.watchdog);
	assert_false(ev.watchdog_trigger);
	assert_int_equal(parse("WATCHDOG=trigger", &ev, buf), 1);
	assert_false(ev.watchdog);
	assert_true(ev.watchdog_trigger);
	assert_int_equal(parse("WATCHDOG_USEC=5000000", &ev, buf), 1);
	assert_int_equal(ev.watchdog_usec, 5000000);

	assert_int_equal(parse("STOPPING=1\nERRNO=2\nMAINPID=4711", &ev, buf), 3);
	assert_true(ev.stopping);
	assert_int_equal(ev.errnum, 2);
	assert_int_equal(ev.mainpid, 4711);
	assert_int_equal(parse("RELOADING=1\nMONOTONIC_USEC=1234", &ev, buf), 1);
	assert_true(ev.reloading);

	/* READY=0 and friends are known keys that say no */
	assert_int_equal(parse("READY=0", &ev, buf), 1);
	assert_false(ev.ready);

	/* unknown keys, malformed lines, bad numbers: ignored */
	assert_int_equal(parse("FDSTORE=1\nX\n\nBUSERROR=org.x\nREADY=1", &ev, buf), 1);
	assert_true(ev.ready);
	assert_int_equal(parse("MAINPID=abc\nERRNO=-3\nWATCHDOG_USEC=0\nMAINPID=12x", &ev, buf), 0);
	assert_int_equal(ev.mainpid, 0);
	assert_int_equal(ev.errnum, -1);
	assert_int_equal(parse("ready=1", &ev, buf), 0);
	assert_false(ev.ready);
	/* CRLF is not stripped: "1\r" is not "1" (as in systemd) */
	assert_int_equal(parse("READY=1\r\n", &ev, buf), 1);
	assert_false(ev.ready);

	/* refused outright: empty, embedded NUL */
	assert_int_equal(parse("", &ev, buf), -1);
	memcpy(buf, "READY=1\0STATUS=x", 16);
	assert_int_equal(readiness_parse(buf, 16, &ev), -1);
}

/* ---- round trips ---- */

struct got {
	int n;
	struct readiness_event ev[4];
	char status[4][128];
};

static void on_event(void *arg, const struct readiness_event *ev)
{
	struct got *g = arg;
	if (g->n < 4) {
		g->ev[g->n] = *ev;
		if (ev->status != NULL) {
			snprintf(g->status[g->n], sizeof(g->status[0]), "%s", ev->status);
			g->ev[g->n].status = g->status[g->n];
		}
	}
	g->n++;
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until `want` events arrived or 5 s passed. */
static void run_until(struct ev_loop *loop, struct got *g, int want)
{
	ev_timer t;
	ev_timer_init(&t, on_timeout, 0.02, 0.02);
	ev_timer_start(loop, &t);
	for (int i = 0; i < 250 && g->n < want; i++)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
}

static char sockpath[108];

static int setup(void **state)
{
	(void)state;
	snprintf(sockpath, sizeof(sockpath), "/tmp/tv-readiness-%ld.sock", (long)getpid());
	return 0;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct got g = {0};
	char err[256];
	struct readiness *r = readiness_open(loop, sockpath, on_event, &g, err, sizeof(err));
	if (r == NULL)
		fail_msg("readiness_open: %s", err);
	assert_string_equal(readiness_socket_path(r), sockpath);
	struct stat st;
	assert_int_equal(stat(sockpath, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		setenv("NOTIFY_SOCKET", sockpath, 1);
		int rc = sd_notify(0, "READY=1\nSTATUS=warming up");
		_exit(rc > 0 ? 0 : 1);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	run_until(loop, &g, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ev[0].pid, pid);
	assert_int_equal(g.ev[0].uid, getuid());
	assert_true(g.ev[0].ready);
	assert_false(g.ev[0].watchdog);
	assert_string_equal(g.ev[0].status, "warming up");

	/* A child of the program speaks: its pgid names the program. The program waits on a
	 * pipe so that both are alive when the datagrams are read. */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	g.n = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		setpgid(0, 0);
		setenv("NOTIFY_SOCKET", sockpath, 1);
		pid_t c = fork();
		if (c == 0) {
			sd_notify(0, "WATCHDOG=1");
			sd_notify(0, "STOPPING=1\nSTATUS=bye");
			char x;
			ssize_t rd = read(fds[0], &x, 1);
			_exit(rd == 0 ? 0 : 1);
		}
		char x;
		ssize_t rd = read(fds[0], &x, 1);
		waitpid(c, NULL, 0);
		_exit(rd == 0 ? 0 : 1);
	}
	close(fds[0]);
	run_until(loop, &g, 2);
	close(fds[1]);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(g.n, 2);
	assert_int_not_equal(g.ev[0].pid, pid);
	assert_int_equal(g.ev[0].pgid, pid);
	assert_true(g.ev[0].watchdog);
	assert_int_equal(g.ev[1].pgid, pid);
	assert_true(g.ev[1].stopping);
	assert_string_equal(g.ev[1].status, "bye");

	/* Garbage, an oversized datagram and an empty one produce no event; a later good one does. */
	g.n = 0;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	static char big[READINESS_MSG_MAX + 100];
	memset(big, 'A', sizeof(big));
	memcpy(big, "READY=1\nX=", 10);
	assert_true(sendto(s, "NOPE=1", 6, 0, (struct sockaddr *)&sa, sizeof(sa)) == 6);
	assert_true(sendto(s, big, sizeof(big), 0, (struct sockaddr *)&sa, sizeof(sa)) ==
		    (ssize_t)sizeof(big));
	assert_true(sendto(s, "", 0, 0, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	assert_true(sendto(s, "STATUS=ok", 9, 0, (struct sockaddr *)&sa, sizeof(sa)) == 9);
	close(s);
	run_until(loop, &g, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ev[0].pid, getpid());
	assert_int_equal(g.ev[0].pgid, getpgrp());
	assert_false(g.ev[0].ready);
	assert_string_equal(g.ev[0].status, "ok");

	readiness_close(r);
	assert_int_equal(stat(sockpath, &st), -1);
	ev_loop_destroy(loop);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char err[256], longp[200];
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_null(readiness_open(loop, longp, on_event, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
	assert_null(readiness_open(loop, "/nonexistent-dir/x.sock", on_event, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "bind"));

	/* A stale socket file from a dead daemon is replaced. */
	struct got g = {0};
	struct readiness *r = readiness_open(loop, sockpath, on_event, &g, err, sizeof(err));
	assert_non_null(r);
	struct readiness *r2 = readiness_open(loop, sockpath, on_event, &g, err, sizeof(err));
	assert_non_null(r2);
	readiness_close(r2);
	readiness_close(r);
	readiness_close(NULL);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test_setup(test_round_trip, setup),
	    cmocka_unit_test_setup(test_open_errors, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
