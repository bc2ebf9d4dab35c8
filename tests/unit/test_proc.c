/*
 * test_proc.c — the parts of supervision that need no child: the transition
 * table, back-off timing, supervisorctl's description column, command
 * splitting and the PATH search, log rotation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proclog.h"
#include "spawn.h"

static void test_transition_table(void **state)
{
	(void)state;
	/* supervisord's transitions. */
	assert_true(proc_transition_allowed(PROC_STOPPED, PROC_STARTING));
	assert_true(proc_transition_allowed(PROC_STARTING, PROC_RUNNING));
	assert_true(proc_transition_allowed(PROC_STARTING, PROC_BACKOFF));
	assert_true(proc_transition_allowed(PROC_STARTING, PROC_STOPPING));
	assert_true(proc_transition_allowed(PROC_RUNNING, PROC_EXITED));
	assert_true(proc_transition_allowed(PROC_RUNNING, PROC_STOPPING));
	assert_true(proc_transition_allowed(PROC_BACKOFF, PROC_STARTING));
	assert_true(proc_transition_allowed(PROC_BACKOFF, PROC_FATAL));
	assert_true(proc_transition_allowed(PROC_BACKOFF, PROC_STOPPED));
	assert_true(proc_transition_allowed(PROC_STOPPING, PROC_STOPPED));
	assert_true(proc_transition_allowed(PROC_EXITED, PROC_STARTING));
	assert_true(proc_transition_allowed(PROC_FATAL, PROC_STARTING));
	assert_true(proc_transition_allowed(PROC_UNKNOWN, PROC_RUNNING));
	/* and not others. */
	assert_false(proc_transition_allowed(PROC_STOPPED, PROC_RUNNING));
	assert_false(proc_transition_allowed(PROC_RUNNING, PROC_STOPPED));
	assert_false(proc_transition_allowed(PROC_RUNNING, PROC_BACKOFF));
	assert_false(proc_transition_allowed(PROC_FATAL, PROC_RUNNING));
	assert_false(proc_transition_allowed(PROC_EXITED, PROC_RUNNING));
	assert_false(proc_transition_allowed(PROC_STOPPING, PROC_RUNNING));
	assert_false(proc_transition_allowed(PROC_STARTING, PROC_EXITED));
	assert_false(proc_transition_allowed(PROC_STOPPED, PROC_FATAL));
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(proc_state_name(PROC_STOPPED), "STOPPED");
	assert_string_equal(proc_state_name(PROC_BACKOFF), "BACKOFF");
	assert_string_equal(proc_state_name(PROC_FATAL), "FATAL");
	assert_string_equal(proc_state_name(PROC_UNKNOWN), "UNKNOWN");
	assert_int_equal(PROC_RUNNING, 20);
	assert_int_equal(PROC_FATAL, 200);
}

static void test_backoff_delay(void **state)
{
	(void)state;
	assert_int_equal(proc_backoff_delay(1, 0), 1);
	assert_int_equal(proc_backoff_delay(2, 0), 2);
	assert_int_equal(proc_backoff_delay(3, 0), 3);
	assert_int_equal(proc_backoff_delay(40, 0), 40);
	assert_int_equal(proc_backoff_delay(40, 5), 5);
	assert_int_equal(proc_backoff_delay(4, 5), 4);
	assert_int_equal(proc_backoff_delay(0, 0), 1);
}

static void test_describe(void **state)
{
	(void)state;
	struct proc p;
	char buf[256];
	memset(&p, 0, sizeof(p));
	p.fullname = "web";

	p.state = PROC_STOPPED;
	proc_describe(&p, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "Not started");

	p.state = PROC_RUNNING;
	p.pid = 123;
	p.start_time = 1000;
	proc_describe(&p, 1065, buf, sizeof(buf));
	assert_string_equal(buf, "pid 123, uptime 0:01:05");
	proc_describe(&p, 1000 + 86400 + 2 * 3600 + 3 * 60 + 4, buf, sizeof(buf));
	assert_string_equal(buf, "pid 123, uptime 1 day, 2:03:04");
	proc_describe(&p, 1000 + 3 * 86400 + 10 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "pid 123, uptime 3 days, 10:00:00");
	proc_describe(&p, 900, buf, sizeof(buf)); /* clock went back */
	assert_string_equal(buf, "pid 123, uptime 0:00:00");

	/* Stop time as supervisorctl prints it, in local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	p.state = PROC_EXITED;
	p.stop_time = 1763885520; /* 2025-11-23 08:12 UTC */
	proc_describe(&p, 1763885600, buf, sizeof(buf));
	assert_string_equal(buf, "Nov 23 08:12 AM");
	p.state = PROC_STOPPED;
	p.stop_time = 1763885520 + 6 * 3600;
	proc_describe(&p, 1763885600, buf, sizeof(buf));
	assert_string_equal(buf, "Nov 23 02:12 PM");

	p.state = PROC_BACKOFF;
	snprintf(p.spawn_err, sizeof(p.spawn_err), "Exited too quickly (process log may have details)");
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Exited too quickly (process log may have details)");
	p.state = PROC_FATAL;
	snprintf(p.spawn_err, sizeof(p.spawn_err), "can't find command 'nope'");
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "can't find command 'nope'");
	p.spawn_err[0] = '\0';
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "unknown error (try \"tail web\")");

	p.oom_killed = true;
	p.state = PROC_EXITED;
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Nov 23 02:12 PM, OOM killed");
	p.state = PROC_FATAL;
	snprintf(p.spawn_err, sizeof(p.spawn_err), "Exited too quickly (process log may have details)");
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Exited too quickly (process log may have details), last: OOM killed");

	/* The last exit in words; a crash loop's restarts while they are recent. */
	p.oom_killed = false;
	p.exited_once = true;
	p.last_wstatus = 3 << 8; /* exited 3 */
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Exited too quickly (process log may have details), last: exit status 3");
	p.state = PROC_EXITED;
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Nov 23 02:12 PM, exit status 3");
	p.last_wstatus = SIGSEGV;
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Nov 23 02:12 PM, terminated by SIGSEGV");
	p.state = PROC_RUNNING;
	p.restarts = 47;
	p.last_restart = 5000;
	snprintf(p.last_cause, sizeof(p.last_cause), "OOM killed");
	p.start_time = 5000;
	proc_describe(&p, 5003, buf, sizeof(buf));
	assert_string_equal(buf, "pid 123, uptime 0:00:03, 47 restarts, last: OOM killed");
	proc_describe(&p, 5000 + PROC_RESTART_RECENT_SECS + 1, buf, sizeof(buf)); /* not recent */
	assert_string_equal(buf, "pid 123, uptime 1:00:01");
	p.restarts = 1;
	proc_describe(&p, 5003, buf, sizeof(buf));
	assert_string_equal(buf, "pid 123, uptime 0:00:03, 1 restart, last: OOM killed");
	p.restarts = 0;
	p.exited_once = false;

	p.state = PROC_STARTING;
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	p.state = PROC_STOPPING;
	proc_describe(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void expect_split(const char *cmd, int n, ...)
{
	char **argv = NULL;
	char err[128];
	int argc = spawn_split(cmd, &argv, err, sizeof(err));
	assert_int_equal(argc, n);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(argv[n]);
	spawn_argv_free(argv);
}

static void test_split(void **state)
{
	(void)state;
	expect_split("/bin/echo hello world", 3, "/bin/echo", "hello", "world");
	expect_split("  a   b\tc  ", 3, "a", "b", "c");
	expect_split("sh -c 'trap \"\" TERM; sleep 1'", 3, "sh", "-c", "trap \"\" TERM; sleep 1");
	expect_split("echo \"a b\" c", 3, "echo", "a b", "c");
	expect_split("echo \"say \\\"hi\\\" \\n\"", 2, "echo", "say \"hi\" \\n");
	expect_split("echo a\\ b", 2, "echo", "a b");
	expect_split("echo ''", 2, "echo", "");
	expect_split("echo x'y z'w", 2, "echo", "xy zw");
	expect_split("echo # not a comment", 5, "echo", "#", "not", "a", "comment");

	char **argv = NULL;
	char err[128];
	assert_int_equal(spawn_split("echo 'unclosed", &argv, err, sizeof(err)), -1);
	assert_string_equal(err, "No closing quotation");
	assert_int_equal(spawn_split("   ", &argv, err, sizeof(err)), -1);
}

static void test_which(void **state)
{
	(void)state;
	char err[256];
	char *p = spawn_which("sh", "/nonexistent:/bin:/usr/bin", err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(p, "/bin/sh");
	free(p);
	assert_null(spawn_which("no-such-command-xyz", "/bin:/usr/bin", err, sizeof(err)));
	assert_string_equal(err, "can't find command 'no-such-command-xyz'");
	assert_null(spawn_which("/no/such/file", "/bin", err, sizeof(err)));
	assert_string_equal(err, "can't find command '/no/such/file'");
	char tmp[] = "/tmp/tv-test-noexec.XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	chmod(tmp, 0644);
	assert_null(spawn_which(tmp, "/bin", err, sizeof(err)));
	char want[128];
	snprintf(want, sizeof(want), "command at '%s' is not executable", tmp);
	assert_string_equal(err, want);
	unlink(tmp);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_rotation(void **state)
{
	(void)state;
	char dir[] = "/tmp/tv-test-proclog.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], p1[300], p2[300], p3[300];
	snprintf(path, sizeof(path), "%s/sub/x.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	char err[256];
	struct proclog *l = proclog_open(path, 1024, 2, false, err, sizeof(err));
	assert_non_null(l);
	char line[100];
	memset(line, 'a', sizeof(line));
	line[99] = '\n';
	for (int i = 0; i < 50; i++) /* 5000 bytes */
		proclog_write(l, line, sizeof(line));
	assert_true(file_size(path) <= 1024);
	assert_int_equal(file_size(p1), 1024);
	assert_int_equal(file_size(p2), 1024);
	assert_int_equal(file_size(p3), -1);
	proclog_free(l);

	/* Timestamps: one prefix per line, even across writes. */
	char tpath[256];
	snprintf(tpath, sizeof(tpath), "%s/t.log", dir);
	l = proclog_open(tpath, 0, 0, true, err, sizeof(err));
	assert_non_null(l);
	proclog_write(l, "one\ntw", 6);
	proclog_write(l, "o\n", 2);
	proclog_free(l);
	FILE *f = fopen(tpath, "r");
	assert_non_null(f);
	char a[128], b[128];
	assert_non_null(fgets(a, sizeof(a), f));
	assert_non_null(fgets(b, sizeof(b), f));
	fclose(f);
	/* 2026-11-23T08:12:05.123+0000 one */
	assert_int_equal(a[4], '-');
	assert_int_equal(a[10], 'T');
	assert_int_equal(a[19], '.');
	assert_non_null(strstr(a, " one\n"));
	assert_non_null(strstr(b, " two\n"));

	/* NONE: discard. */
	l = proclog_open(NULL, 0, 0, false, err, sizeof(err));
	assert_non_null(l);
	assert_null(proclog_path(l));
	proclog_write(l, "x", 1);
	proclog_free(l);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* [supervisord] strip_ansi=true: ESC '[' ... terminator removed, even split across reads. */
static void test_strip_ansi(void **state)
{
	(void)state;
	char path[] = "/tmp/tv-test-ansi.XXXXXX", err[256], buf[128];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct proclog *l = proclog_open(path, 0, 0, false, err, sizeof(err));
	assert_non_null(l);
	proclog_set_output(l, NULL, true);
	const char *parts[] = {"a \033[1;31mred\033[0m b\n", "c \033[3", "2mgreen\033[K\n"};
	for (size_t i = 0; i < 3; i++)
		proclog_write(l, parts[i], strlen(parts[i]));
	proclog_free(l);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "a red b\nc green\n");
	unlink(path);
}

/* The child's hygiene: own process group, stdin /dev/null, only fds 0-2, exit 127 on exec failure. */
static void test_spawn_child(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	char *argv[] = { "sh", "-c", "ps -o pgid= -p $$ | tr -d ' '; ls /proc/self/fd | wc -l; cat; echo $FOO", NULL };
	char *envp[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
	struct spawn_req r = {
		.path = "/bin/sh", .argv = argv, .envp = envp, .umask = -1,
		.oom_score_adj = CONF_NO_VALUE, .stdin_fd = -1, .stdout_fd = pfd[1], .stderr_fd = pfd[1],
	};
	char err[256];
	pid_t pid = spawn_fork(&r, err, sizeof(err));
	assert_true(pid > 0);
	close(pfd[1]);
	char out[512] = "";
	size_t n = 0;
	ssize_t k;
	while ((k = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(pfd[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	char want[512];
	/* ls's own /proc/self/fd listing: 0, 1, 2 and the directory it reads: 4 entries */
	snprintf(want, sizeof(want), "%d\n4\nbar\n", (int)pid);
	assert_string_equal(out, want);

	char *bad[] = { "/nonexistent/x", NULL };
	assert_int_equal(pipe(pfd), 0);
	r.path = "/nonexistent/x";
	r.argv = bad;
	r.stdout_fd = r.stderr_fd = pfd[1];
	pid = spawn_fork(&r, err, sizeof(err));
	assert_true(pid > 0);
	close(pfd[1]);
	n = 0;
	while ((k = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_non_null(strstr(out, "couldn't exec /nonexistent/x"));
}

int main(void)
{
	log_init("test_proc", LOG_LVL_CRIT, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_backoff_delay),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_which),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_strip_ansi),
		cmocka_unit_test(test_spawn_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
