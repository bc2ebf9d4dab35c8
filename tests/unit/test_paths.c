/* test_paths.c — where an installed or a build-tree program finds its files (lib/paths.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

/* The default configuration is SYSCONFDIR/taskvisor/taskvisord.conf, an absolute path. */
static void test_conf(void **state)
{
	const char *c = paths_conf();
	const char *tail = "/taskvisor/taskvisord.conf";
	(void)state;
	assert_true(c[0] == '/');
	assert_true(strlen(c) > strlen(tail));
	assert_string_equal(c + strlen(c) - strlen(tail), tail);
}

/* A program outside SBINDIR/BINDIR (this test, in the build tree) finds modules beside itself. */
static void test_module_beside(void **state)
{
	char exe[PATH_MAX], want[PATH_MAX + 64], path[PATH_MAX + 64], err[128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(want, sizeof(want), "%s/../lib/taskvisor/queue-sqlite.so", exe);
	assert_int_equal(paths_module("queue-sqlite.so", path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(path, want);
}

static void test_module_too_long(void **state)
{
	char path[16], err[128];
	(void)state;
	assert_int_equal(paths_module("queue-sqlite.so", path, sizeof(path), err, sizeof(err)), -1);
	assert_string_equal(err, "queue-sqlite.so: path too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf),
	    cmocka_unit_test(test_module_beside),
	    cmocka_unit_test(test_module_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
