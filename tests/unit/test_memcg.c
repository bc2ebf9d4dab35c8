/*
 * test_memcg.c — memcg.c: the hierarchy parsers on sample text, RSS of a real
 * process group, and a real OOM kill in a 32 MB cgroup (skipped, never faked,
 * where this machine cannot make a memory cgroup).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memcg.h"

/* This machine's shape: v1 memory controller, v2 mounted without it. */
static const char *hybrid_cgroup = "9:name=systemd:/\n"
				   "8:pids:/\n"
				   "4:memory:/process_api/b27cd847\n"
				   "3:cpuset:/\n"
				   "2:cpu,cpuacct:/\n"
				   "0::/\n";
static const char *hybrid_mountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* Production: pure v2 under systemd. */
static const char *v2_cgroup = "0::/system.slice/taskvisord.service\n";
static const char *v2_mountinfo =
    "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
    "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

static void test_parse_self_cgroup(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(memcg_parse_self_cgroup(hybrid_cgroup, MEMCG_V1, out, sizeof(out)), 0);
	assert_string_equal(out, "/process_api/b27cd847");
	assert_int_equal(memcg_parse_self_cgroup(hybrid_cgroup, MEMCG_V2, out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(memcg_parse_self_cgroup(v2_cgroup, MEMCG_V2, out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/taskvisord.service");
	assert_int_equal(memcg_parse_self_cgroup(v2_cgroup, MEMCG_V1, out, sizeof(out)), -1);
	/* "memory" must be a whole controller name, not a substring */
	assert_int_equal(
	    memcg_parse_self_cgroup("5:memoryx:/a\n6:net_cls,memory:/b\n", MEMCG_V1, out, sizeof(out)), 0);
	assert_string_equal(out, "/b");
	/* no trailing newline; too small a buffer */
	assert_int_equal(memcg_parse_self_cgroup("0::/x", MEMCG_V2, out, sizeof(out)), 0);
	assert_string_equal(out, "/x");
	assert_int_equal(memcg_parse_self_cgroup("0::/abcdef", MEMCG_V2, out, 4), -1);
	assert_int_equal(memcg_parse_self_cgroup("", MEMCG_V2, out, sizeof(out)), -1);
}

static void test_resolve_dir(void **state)
{
	(void)state;
	char out[512];
	assert_int_equal(
	    memcg_resolve_dir(hybrid_mountinfo, MEMCG_V1, "/process_api/b27cd847", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory/process_api/b27cd847");
	assert_int_equal(memcg_resolve_dir(hybrid_mountinfo, MEMCG_V2, "/", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(
	    memcg_resolve_dir(v2_mountinfo, MEMCG_V2, "/system.slice/taskvisord.service", out, sizeof(out)),
	    0);
	assert_string_equal(out, "/sys/fs/cgroup/system.slice/taskvisord.service");
	assert_int_equal(memcg_resolve_dir(v2_mountinfo, MEMCG_V1, "/x", out, sizeof(out)), -1);

	/* A container that sees only part of the hierarchy (mount root /docker/abc). */
	const char *ns = "50 40 0:31 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n";
	assert_int_equal(memcg_resolve_dir(ns, MEMCG_V1, "/docker/abc/app", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory/app");
	assert_int_equal(memcg_resolve_dir(ns, MEMCG_V1, "/docker/abc", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory");
	assert_int_equal(memcg_resolve_dir(ns, MEMCG_V1, "/docker/abcd", out, sizeof(out)), -1);
	assert_int_equal(memcg_resolve_dir(ns, MEMCG_V1, "/other", out, sizeof(out)), -1);

	/* Octal escapes in the mount point; several optional fields before "-". */
	const char *esc = "60 1 0:40 / /mnt/my\\040cg rw shared:5 master:2 - cgroup2 none rw\n";
	assert_int_equal(memcg_resolve_dir(esc, MEMCG_V2, "/a", out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my cg/a");

	/* A v1 hierarchy without the memory option is not it. */
	const char *nomem = "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	assert_int_equal(memcg_resolve_dir(nomem, MEMCG_V1, "/", out, sizeof(out)), -1);
	assert_int_equal(memcg_resolve_dir("garbage\n\n- x\n", MEMCG_V2, "/", out, sizeof(out)), -1);
}

static void test_parse_key(void **state)
{
	(void)state;
	assert_int_equal(memcg_parse_key("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3);
	assert_int_equal(
	    memcg_parse_key("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n", "oom_kill"), 1);
	assert_int_equal(memcg_parse_key("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n", "oom"), 2);
	assert_int_equal(memcg_parse_key("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"), -1);
	assert_int_equal(memcg_parse_key("", "oom_kill"), -1);
}

static void test_list_and_sanitize(void **state)
{
	(void)state;
	assert_true(memcg_list_has("cpuset cpu io memory pids\n", " \n", "memory"));
	assert_false(memcg_list_has("cpuset cpu io pids\n", " \n", "memory"));
	assert_false(memcg_list_has("memory_recursiveprot", ",", "memory"));
	assert_true(memcg_list_has("rw,memory", ",", "memory"));
	assert_false(memcg_list_has("", ",", "memory"));

	char out[64];
	memcg_sanitize("web:web_01", out, sizeof(out));
	assert_string_equal(out, "web:web_01");
	memcg_sanitize("../etc/x y", out, sizeof(out));
	assert_string_equal(out, "___etc_x_y");
	memcg_sanitize("memory.max", out, sizeof(out));
	assert_string_equal(out, "memory_max");
	memcg_sanitize("", out, sizeof(out));
	assert_string_equal(out, "_");
	memcg_sanitize("abcdef", out, 4);
	assert_string_equal(out, "abc");
}

static void test_parse_stat(void **state)
{
	(void)state;
	pid_t pg;
	long long rss;
	const char *line =
	    "7700 (cat) R 7696 7696 6008 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 69059 3133440 387 "
	    "18446744073709551615 94145681600512 0 0 0\n";
	assert_int_equal(memcg_parse_stat(line, &pg, &rss), 0);
	assert_int_equal(pg, 7696);
	assert_int_equal(rss, 387);
	/* comm with spaces and a ')' */
	const char *odd = "12 (a) b (c)) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 100 9 0\n";
	assert_int_equal(memcg_parse_stat(odd, &pg, &rss), 0);
	assert_int_equal(pg, 42);
	assert_int_equal(rss, 9);
	assert_int_equal(memcg_parse_stat("12 (x) S 1 2 3\n", &pg, &rss), -1);
	assert_int_equal(memcg_parse_stat("no paren", &pg, &rss), -1);
}

static void test_kmsg_is_oom(void **state)
{
	(void)state;
	assert_true(
	    memcg_kmsg_is_oom("Memory cgroup out of memory: Killed process 4711 (eat) total-vm:210000kB, "
			      "anon-rss:32000kB",
			      4711));
	assert_true(memcg_kmsg_is_oom("Out of memory: Killed process 4711 (eat) total-vm:1kB", 4711));
	assert_true(memcg_kmsg_is_oom("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
				      "mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=eat,pid=4711,uid=0",
				      4711));
	assert_false(memcg_kmsg_is_oom("Out of memory: Killed process 47110 (eat)", 4711));
	assert_false(memcg_kmsg_is_oom("Out of memory: Killed process 4711 (eat)", 471));
	assert_false(memcg_kmsg_is_oom("oom-kill:constraint=CONSTRAINT_NONE,task=x,pid=47111,uid=0", 4711));
	assert_false(memcg_kmsg_is_oom("eth0: link up, pid=4711,", 4711));
	assert_false(memcg_kmsg_is_oom("Killed process 4711 (eat)", 0));
}

/* Allocate and touch mb megabytes. */
static char *touch_mb(size_t mb)
{
	size_t n = mb << 20;
	char *p = malloc(n);
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = (char)i;
	return p;
}

static void test_pgrp_rss(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		/* a grandchild in the same process group counts too */
		pid_t g = fork();
		char *mem = touch_mb(g == 0 ? 24 : 40);
		(void)mem;
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);

	long long rss = memcg_pgrp_rss(pid);
	long long mine = memcg_pgrp_rss(getpgrp());
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	print_message("# process group %d: RSS %lld MB (ours %lld MB)\n", (int)pid, rss >> 20, mine >> 20);
	assert_true(rss >= (64LL << 20));
	assert_true(rss < (128LL << 20));
	assert_true(mine > 0);
	/* the group is gone (the reaped leader; the grandchild died with the group kill) */
	for (int i = 0; i < 100 && memcg_pgrp_rss(pid) != 0; i++)
		usleep(10000);
	assert_int_equal(memcg_pgrp_rss(pid), 0);

	pid_t pg[2] = {getpgrp(), 999999999};
	long long rs[2];
	assert_int_equal(memcg_pgrp_rss_many(pg, rs, 2), 0);
	assert_true(rs[0] > 0);
	assert_int_equal(rs[1], 0);
}

/* Start a process group (its leader small) whose second process touches 40 MB, optionally in
 * cgroup m; returns the leader's pid once the memory is held. */
static pid_t start_family(const struct memcg *m)
{
	int fds[2];
	char c;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		if (m != NULL && memcg_attach(m, 0) < 0)
			_exit(3);
		if (fork() == 0) {
			char *mem = touch_mb(40);
			(void)mem;
			if (write(fds[1], "x", 1) != 1)
				_exit(1);
		}
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* A program's memory (memcg_program_memory): its child's 40 MB count, with or without a cgroup. */
static void test_program_memory(void **state)
{
	(void)state;
	char err[512];
	pid_t pid = start_family(NULL);
	long long bytes = memcg_program_memory(NULL, pid);
	/* the many form (the web page): the same measure, nothing-runs is 0, one pass */
	const struct memcg *ms[3] = {NULL, NULL, NULL};
	pid_t pgids[3] = {pid, 0, getpgrp()};
	long long many[3];
	memcg_program_memory_many(ms, pgids, many, 3);

	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	print_message("# process group %d: %lld MB\n", (int)pid, bytes >> 20);
	assert_true(bytes >= (40LL << 20));
	assert_int_equal(memcg_program_memory(NULL, 0), 0); /* nothing runs */
	assert_true(many[0] >= (40LL << 20));
	assert_true(many[0] > bytes / 2 && many[0] < bytes * 2);
	assert_int_equal(many[1], 0);
	assert_true(many[2] > 0);

	struct memcg_root *r = memcg_root_open(NULL, err, sizeof(err));
	if (r == NULL) {
		print_message("# no usable memory cgroup here (%s): cgroup half skipped\n", err);
		return;
	}
	struct memcg *m = memcg_create(r, "program-memory", 0, err, sizeof(err));
	if (m == NULL)
		fail_msg("memcg_create: %s", err);
	pid = start_family(m);
	bytes = memcg_program_memory(m, pid);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	print_message("# cgroup %s: %lld MB\n", memcg_path(m), bytes >> 20);
	assert_true(bytes >= (40LL << 20));
	for (int i = 0; i < 100 && memcg_kill(m, SIGKILL) > 0; i++)
		usleep(10000);
	memcg_destroy(m);
	memcg_root_close(r);
}

static void test_root_none(void **state)
{
	(void)state;
	char err[256];
	assert_null(memcg_root_open("none", err, sizeof(err)));
	assert_string_equal(err, "memory cgroups disabled");
	assert_null(memcg_root_open("v3", err, sizeof(err)));
	assert_string_equal(memcg_root_kind(NULL), "none");
	assert_null(memcg_create(NULL, "x", 0, err, sizeof(err)));
	assert_int_equal(memcg_oom_kills(NULL), -1);
	memcg_destroy(NULL);
	memcg_root_close(NULL);
}

/* The real thing: a 32 MB cgroup, a child that joins it and touches 200 MB. */
static void test_real_oom_kill(void **state)
{
	(void)state;
	char err[512];
	struct memcg_root *r = memcg_root_open(NULL, err, sizeof(err));
	if (r == NULL) {
		print_message("# no usable memory cgroup here (%s): real OOM test skipped\n", err);
		skip();
	}
	print_message("# memory cgroup %s at %s\n", memcg_root_kind(r), memcg_root_path(r));
	char base[4096];
	snprintf(base, sizeof(base), "%s", memcg_root_path(r));
	struct stat st;
	assert_int_equal(stat(base, &st), 0);

	struct memcg *m = memcg_create(r, "oom:eater.1", 32LL << 20, err, sizeof(err));
	if (m == NULL)
		fail_msg("memcg_create: %s", err);
	assert_non_null(strstr(memcg_path(m), "/oom:eater_1"));
	assert_int_equal(memcg_oom_kills(m), 0);
	assert_true(memcg_usage(m) >= 0);

	time_t since = time(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (memcg_attach(m, 0) < 0)
			_exit(3);
		char *p = touch_mb(200);
		_exit(p != NULL ? 0 : 4);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (WIFEXITED(ws))
		fail_msg("child exited %d instead of being OOM-killed", WEXITSTATUS(ws));
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGKILL);
	assert_int_equal(memcg_oom_kills(m), 1);

	if (access("/dev/kmsg", R_OK) == 0) {
		assert_true(memcg_kernel_log_oom(pid, since));
		assert_false(memcg_kernel_log_oom(pid, since + 3600));
	} else {
		print_message("# /dev/kmsg not readable: kernel-log check skipped\n");
	}

	/* memcg_kill reaches a process that is still inside; pid 1 is never in it. */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t sl = fork();
	if (sl == 0) {
		if (memcg_attach(m, 0) < 0)
			_exit(3);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	assert_int_equal(memcg_kill(m, SIGKILL), 1);
	assert_int_equal(waitpid(sl, &ws, 0), sl);
	assert_true(WIFSIGNALED(ws));

	/* attach from the parent, the other way proc.c may use */
	pid_t sl2 = fork();
	if (sl2 == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(memcg_attach(m, sl2), 0);
	for (int i = 0; i < 100 && memcg_kill(m, 0) != 1; i++)
		usleep(1000);
	assert_int_equal(memcg_kill(m, SIGKILL), 1);
	waitpid(sl2, NULL, 0);

	/* reuse after a "reload", new limit */
	struct memcg *again = memcg_create(r, "oom:eater.1", 64LL << 20, err, sizeof(err));
	if (again == NULL)
		fail_msg("memcg_create again: %s", err);
	char lim[4200] = "";
	snprintf(lim, sizeof(lim), "%s/memory.%s", memcg_path(again),
		 memcg_root_kind_of(r) == MEMCG_V2 ? "max" : "limit_in_bytes");
	FILE *f = fopen(lim, "r");
	assert_non_null(f);
	assert_non_null(fgets(lim, sizeof(lim), f));
	fclose(f);
	assert_int_equal(strtoll(lim, NULL, 10), 64LL << 20);
	assert_int_equal(memcg_set_limit(again, 0), 0);
	memcg_destroy(again); /* same directory: removes it */
	/* m's directory is gone now; destroying it again is harmless */
	memcg_destroy(m);
	memcg_root_close(r);
	errno = 0;
	assert_int_equal(stat(base, &st), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_self_cgroup), cmocka_unit_test(test_resolve_dir),
	    cmocka_unit_test(test_parse_key),	      cmocka_unit_test(test_list_and_sanitize),
	    cmocka_unit_test(test_parse_stat),	      cmocka_unit_test(test_kmsg_is_oom),
	    cmocka_unit_test(test_pgrp_rss),	      cmocka_unit_test(test_program_memory),
	    cmocka_unit_test(test_root_none),	      cmocka_unit_test(test_real_oom_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
