/* test_log.c — the log module's repeat limiter (lib/log.c). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static double test_now;
static double test_clock(void)
{
	return test_now;
}

/* The file's lines, without the "prog: " prefix, joined by '|'. */
static void test_read(const char *path, char *out, size_t outlen)
{
	char line[512];
	FILE *fp = fopen(path, "r");

	out[0] = '\0';
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = strstr(line, ": ");
		line[strcspn(line, "\n")] = '\0';
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", out[0] ? "|" : "",
			 p != NULL ? p + 2 : line);
	}
	fclose(fp);
}

static int test_setup(void **state)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/test_log.%ld", (long)getpid());
	unlink(path);
	log_init("t", LOG_LVL_INFO, 0);
	assert_int_equal(log_open_file(path), 0);
	log_set_clock(test_clock);
	test_now = 1000;
	*state = path;
	return 0;
}

static int test_teardown(void **state)
{
	log_flush();
	log_warnx("teardown separator");
	log_set_clock(NULL);
	unlink(*state);
	return 0;
}

static void test_repeats_summarised(void **state)
{
	char got[4096];

	for (int i = 0; i < 1000; i++)
		log_warnx("control: accept: %s", "Too many open files");
	log_info("something else");
	log_info("once");
	log_info("once"); /* a single repeat */
	log_info("after");
	log_flush();
	test_read(*state, got, sizeof(got));
	assert_string_equal(got, "control: accept: Too many open files|last message repeated 999 times|"
				 "something else|once|last message repeated 1 time|after");
}

static void test_errno_and_level_count(void **state)
{
	char got[4096];

	errno = EMFILE;
	log_warn("accept");
	errno = EMFILE;
	log_warn("accept");
	errno = ENFILE; /* another reason: another line */
	log_warn("accept");
	log_info("accept: Too many open files in system"); /* same text, another level */
	log_debug("filtered out"); /* below the level: neither written nor breaking a run */
	log_info("accept: Too many open files in system");
	log_flush();
	test_read(*state, got, sizeof(got));
	assert_string_equal(got, "accept: Too many open files|last message repeated 1 time|"
				 "accept: Too many open files in system|"
				 "accept: Too many open files in system|last message repeated 1 time");
}

static void test_endless_run_reports_periodically(void **state)
{
	char got[4096];

	for (int i = 0; i < 100; i++) {
		log_warnx("spinning");
		test_now += 1; /* 100 s of repeats, one a second */
	}
	test_read(*state, got, sizeof(got));
	/* Repeats from 1001: a count once the run is 30 s old (1031, 1062, 1093), then anew. */
	assert_string_equal(got, "spinning|last message repeated 31 times|last message repeated 31 times|"
				 "last message repeated 31 times");
	log_flush();
	test_read(*state, got, sizeof(got));
	assert_string_equal(got, "spinning|last message repeated 31 times|last message repeated 31 times|"
				 "last message repeated 31 times|last message repeated 6 times");
}

/* logfile_maxbytes / logfile_backups: rotated as supervisord's RotatingFileHandler. */
static void test_rotation(void **state)
{
	const char *path = *state;
	char p1[96], p2[96], p3[96], text[4096];

	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	log_set_rotation(100, 2);
	for (int i = 0; i < 11; i++)
		log_warnx("line %02d of some length to fill", i); /* 34 bytes each */
	log_set_rotation(0, 0);
	/* 3 lines (102 bytes >= 100) per file; lines 0-2 rotated away past .2 */
	test_read(path, text, sizeof(text));
	assert_string_equal(text, "line 09 of some length to fill|line 10 of some length to fill");
	test_read(p2, text, sizeof(text));
	assert_string_equal(text, "line 03 of some length to fill|line 04 of some length to fill|line 05 of "
				  "some length to fill");
	test_read(p1, text, sizeof(text));
	assert_string_equal(text, "line 06 of some length to fill|line 07 of some length to fill|line 08 of "
				  "some length to fill");
	assert_int_equal(access(p3, F_OK), -1);
	unlink(p1);
	unlink(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_repeats_summarised, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_errno_and_level_count, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_endless_run_reports_periodically, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
