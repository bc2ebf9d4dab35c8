/*
 * test_procin.c — procin.c: a child's stdin pipe written without blocking: a write goes out at
 * once, what the pipe does not take is queued up to PROCIN_CAP and written as the reader reads,
 * a request past the cap is refused whole, EPIPE closes it (PROCIN_CLOSED from then on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procin.h"

/* Read everything readable now from a non-blocking fd. */
static size_t drain(int fd, char *last)
{
	char buf[8192];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		*last = buf[n - 1];
	}
	return total;
}

static void test_write_through(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	int p[2];
	char buf[16] = "";

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct procin *pi = procin_new(loop, p[1]);
	assert_non_null(pi);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	assert_int_equal(procin_write(pi, "hello\n", 6), PROCIN_OK);
	assert_int_equal(procin_queued(pi), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "hello\n", 6);
	procin_close(pi);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0); /* our end closed: EOF for the child */
	close(p[0]);
	ev_loop_destroy(loop);
}

static void test_queue_and_cap(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	int p[2];
	static char chunk[16384];
	size_t ok = 0, got = 0, piped;
	char last = 0;

	memset(chunk, 'z', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\n';
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	piped = (size_t)fcntl(p[1], F_GETPIPE_SZ);
	struct procin *pi = procin_new(loop, p[1]);
	enum procin_result r;
	while ((r = procin_write(pi, chunk, sizeof(chunk))) == PROCIN_OK)
		ok++;
	assert_int_equal(r, PROCIN_FULL);
	/* the pipe's capacity went out at once, PROCIN_CAP more waits */
	assert_int_equal(ok * sizeof(chunk), piped + PROCIN_CAP);
	assert_int_equal(procin_queued(pi), PROCIN_CAP);
	/* one byte more: refused, the queue as it was */
	assert_int_equal(procin_write(pi, chunk, 1), PROCIN_FULL);
	assert_int_equal(procin_queued(pi), PROCIN_CAP);

	/* the reader reads: the watcher writes the queue out, in order */
	for (int i = 0; i < 100 && (got < ok * sizeof(chunk)); i++) {
		got += drain(p[0], &last);
		ev_run(loop, EVRUN_NOWAIT);
	}
	got += drain(p[0], &last);
	assert_int_equal(got, ok * sizeof(chunk));
	assert_int_equal(last, '\n');
	assert_int_equal(procin_queued(pi), 0);
	/* more than the cap in one request: refused whole, even with the queue empty */
	static char big[PROCIN_CAP + 1];
	assert_int_equal(procin_write(pi, big, sizeof(big)), PROCIN_FULL);
	assert_int_equal(procin_queued(pi), 0);
	assert_int_equal(procin_write(pi, chunk, sizeof(chunk)), PROCIN_OK);
	procin_close(pi);
	close(p[0]);
	ev_loop_destroy(loop);
}

static void test_reader_gone(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct procin *pi = procin_new(loop, p[1]);
	close(p[0]);
	assert_int_equal(procin_write(pi, "x\n", 2), PROCIN_CLOSED);
	assert_int_equal(procin_write(pi, "y\n", 2), PROCIN_CLOSED);
	procin_close(pi);
	assert_int_equal(procin_write(NULL, "x", 1), PROCIN_CLOSED); /* no pipe at all */
	procin_close(NULL);
	ev_loop_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemon */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_through),
	    cmocka_unit_test(test_queue_and_cap),
	    cmocka_unit_test(test_reader_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
