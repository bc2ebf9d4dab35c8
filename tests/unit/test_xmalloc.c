/* test_xmalloc.c — the programs' allocators (lib/xmalloc.c): what they return, and that a failure
 * says who ran out and exits 111 instead of returning NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static char failed_where[64];
static size_t failed_n;

static void record_fail(const char *where, size_t n)
{
	snprintf(failed_where, sizeof(failed_where), "%s", where);
	failed_n = n;
}

static void test_ok(void **state)
{
	char *s, *t;
	int *v;
	(void)state;
	s = xstrdup("abc");
	assert_string_equal(s, "abc");
	t = xstrndup("abcdef", 2);
	assert_string_equal(t, "ab");
	v = xcalloc(4, sizeof(*v));
	assert_int_equal(v[3], 0);
	v = xreallocarray(v, 8, sizeof(*v));
	v[7] = 7;
	free(s);
	assert_int_equal(xasprintf(&s, "%s-%d", t, 5), 4);
	assert_string_equal(s, "ab-5");
	free(s);
	free(t);
	free(v);
	free(xmalloc(0)); /* a valid pointer, never NULL */
}

/* n * size that overflows is a failure, not a short buffer. */
static void test_overflow(void **state)
{
	(void)state;
	xmalloc_set_fail(record_fail);
	failed_where[0] = '\0';
	assert_null(xreallocarray(NULL, SIZE_MAX / 2, 4));
	assert_string_equal(failed_where, "test_overflow");
	assert_int_equal(failed_n, SIZE_MAX);
	xmalloc_set_fail(NULL);
}

/* A real failure (address space capped): the line names the caller and the size, exit 111. */
static void test_real_failure_exits(void **state)
{
	int fds[2], status;
	char buf[256] = "";
	pid_t pid;
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* ASan needs terabytes of address space for its shadow: no RLIMIT_AS under it */
#endif
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {256u << 20, 256u << 20};
		dup2(fds[1], 2);
		log_init("test_xmalloc", LOG_LVL_INFO, 0);
		setrlimit(RLIMIT_AS, &rl);
		volatile char *p = xmalloc((size_t)1 << 30);
		p[0] = 1;
		_exit(0);
	}
	close(fds[1]);
	assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 111);
	assert_non_null(strstr(buf, "test_real_failure_exits: out of memory (1073741824 bytes)"));
}

/* After xmalloc_json(), jansson's allocations follow the same policy: exit 111, never NULL. */
static void test_json_follows(void **state)
{
	int fds[2], status;
	char buf[256] = "";
	pid_t pid;
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {256u << 20, 256u << 20};
		json_t *a;
		dup2(fds[1], 2);
		log_init("test_xmalloc", LOG_LVL_INFO, 0);
		xmalloc_json();
		setrlimit(RLIMIT_AS, &rl);
		a = json_array();
		for (;;)
			if (json_array_append_new(a, json_string("a string that takes room")) < 0)
				_exit(3); /* jansson said no: the policy was not followed */
	}
	close(fds[1]);
	assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 111);
	assert_non_null(strstr(buf, "json: out of memory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_real_failure_exits),
	    cmocka_unit_test(test_json_follows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
