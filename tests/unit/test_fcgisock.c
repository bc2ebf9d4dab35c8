/*
 * test_fcgisock.c — fcgisock.c: an [fcgi-program:x]'s socket is created by the first reference
 * (a stale socket file removed, socket_mode applied, listening), shared by URL, kept while a
 * reference is held, closed FCGISOCK_LINGER_S after the last one unless a new one comes first;
 * fcgisock_keep takes a lingering one back but never creates one; failures are "Could not create
 * FastCGI socket URL: why"; tcp:// binds with SO_REUSEADDR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fcgisock.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_fcgisock.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A program as conf_fcgi_load leaves it. */
static struct conf_program prog(char *url, int mode)
{
	struct conf_program p;
	memset(&p, 0, sizeof(p));
	p.name = "web";
	p.fcgi = true;
	p.socket = url;
	p.socket_mode = mode;
	return p;
}

/* Does a connection to the unix socket at path succeed (0) or fail (errno)? */
static int try_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

static void break_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Run the loop for secs. */
static void run_loop(struct ev_loop *loop, double secs)
{
	ev_timer t;
	ev_timer_init(&t, break_cb, secs, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void test_unix_refcount(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fcgisock_set *set = fcgisock_set_new(loop);
	char url[128], path[100], err[256] = "";
	snprintf(path, sizeof(path), "%s/web.sock", dir);
	snprintf(url, sizeof(url), "unix://%s", path);

	/* a stale socket file is removed, as supervisord does */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);
	assert_int_equal(try_connect(path), ECONNREFUSED);

	struct conf_program p = prog(url, 0640);
	struct fcgisock *a = fcgisock_acquire(set, &p, err, sizeof(err));
	assert_non_null(a);
	assert_string_equal(fcgisock_url(a), url);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(try_connect(path), 0);
	int flags = fcntl(fcgisock_fd(a), F_GETFD);
	assert_true(flags & FD_CLOEXEC);
	assert_false(fcntl(fcgisock_fd(a), F_GETFL) & O_NONBLOCK); /* shared with the children */

	/* the second process of the group gets the same socket */
	struct fcgisock *b = fcgisock_acquire(set, &p, err, sizeof(err));
	assert_ptr_equal(a, b);
	assert_int_equal(fcgisock_refs(a), 2);

	/* one process down: still open; the last one down: open for the linger, then closed */
	fcgisock_release(b);
	run_loop(loop, FCGISOCK_LINGER_S + 0.2);
	assert_int_equal(try_connect(path), 0);
	fcgisock_release(a);
	run_loop(loop, FCGISOCK_LINGER_S / 2);
	assert_int_equal(try_connect(path), 0);

	/* a restart inside the linger keeps it, with a changed mode applied */
	p.socket_mode = 0600;
	a = fcgisock_acquire(set, &p, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(fcgisock_refs(a), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	run_loop(loop, FCGISOCK_LINGER_S + 0.2);
	assert_int_equal(try_connect(path), 0);

	/* fcgisock_keep (BACKOFF) takes a lingering socket back, never makes one */
	fcgisock_release(a);
	assert_ptr_equal(fcgisock_keep(set, url), a);
	assert_int_equal(fcgisock_refs(a), 1);
	run_loop(loop, FCGISOCK_LINGER_S + 0.2);
	assert_int_equal(try_connect(path), 0);
	fcgisock_release(a);
	run_loop(loop, FCGISOCK_LINGER_S + 0.2);
	assert_int_equal(try_connect(path), ECONNREFUSED);
	assert_null(fcgisock_keep(set, url));
	assert_int_equal(stat(path, &st), 0); /* the file stays, as supervisord leaves it */
	fcgisock_set_free(set);
	ev_loop_destroy(loop);
}

static void test_errors(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fcgisock_set *set = fcgisock_set_new(loop);
	char url[160], want[512], err[256] = "";

	snprintf(url, sizeof(url), "unix://%s/no/such/dir/x.sock", dir);
	struct conf_program p = prog(url, 0700);
	assert_null(fcgisock_acquire(set, &p, err, sizeof(err)));
	snprintf(want, sizeof(want), "Could not create FastCGI socket %s: No such file or directory", url);
	assert_string_equal(err, want);

	/* a file that is not a socket is not removed */
	char path[120];
	snprintf(path, sizeof(path), "%s/file", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	snprintf(url, sizeof(url), "unix://%s", path);
	p = prog(url, 0700);
	assert_null(fcgisock_acquire(set, &p, err, sizeof(err)));
	snprintf(want, sizeof(want), "Could not create FastCGI socket %s: %s exists and is not a socket", url,
		 path);
	assert_string_equal(err, want);
	assert_int_equal(access(path, F_OK), 0);

	/* socket_owner naming a user that went away since the load */
	snprintf(url, sizeof(url), "unix://%s/o.sock", dir);
	p = prog(url, 0700);
	p.socket_owner = "no-such-user-here";
	assert_null(fcgisock_acquire(set, &p, err, sizeof(err)));
	snprintf(want, sizeof(want), "Could not create FastCGI socket %s: no such user: no-such-user-here",
		 url);
	assert_string_equal(err, want);
	snprintf(path, sizeof(path), "%s/o.sock", dir);
	assert_int_equal(access(path, F_OK), -1); /* removed again, as supervisord */

	fcgisock_set_free(set);
	ev_loop_destroy(loop);
}

static void test_tcp(void **state)
{
	(void)state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fcgisock_set *set = fcgisock_set_new(loop);
	char url[64], err[256] = "";

	/* a free port */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &sl), 0);
	close(probe);
	snprintf(url, sizeof(url), "tcp://localhost:%d", ntohs(sin.sin_port)); /* as in Channels' docs */

	struct conf_program p = prog(url, 0);
	p.socket_backlog = 5;
	struct fcgisock *s = fcgisock_acquire(set, &p, err, sizeof(err));
	assert_non_null(s);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(c);
	int one = 0;
	socklen_t ol = sizeof(one);
	assert_int_equal(getsockopt(fcgisock_fd(s), SOL_SOCKET, SO_REUSEADDR, &one, &ol), 0);
	assert_true(one);

	/* the port taken by someone else: the bind error, in words */
	fcgisock_release(s);
	run_loop(loop, FCGISOCK_LINGER_S + 0.2);
	int other = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(other, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(other, 1), 0);
	assert_null(fcgisock_acquire(set, &p, err, sizeof(err)));
	char want[128];
	snprintf(want, sizeof(want), "Could not create FastCGI socket %s: Address already in use", url);
	assert_string_equal(err, want);
	close(other);

	fcgisock_set_free(set);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unix_refcount, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
