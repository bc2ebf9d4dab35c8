/*
 * test_clock.c — the cron clock (lib/clock.c) under its test seams: with
 * TASKVISOR_TEST_MINUTE_SECONDS=2 and TASKVISOR_TEST_CLOCK_OFFSET=30 (set
 * before the first call: they are read once), cron time = real * 30 + 30, so
 * "* * * * *" fires every 2 real seconds, on odd seconds, strictly after the
 * given time. (cron_next itself, DST included, is tested in test_cron.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "cron.h"

static struct cron parse(const char *line)
{
	struct cron c;
	char err[256];

	assert_int_equal(cron_parse(line, &c, err, sizeof(err)), 0);
	return c;
}

static void test_seam_active(void **state)
{
	(void)state;
	assert_true(clock_seam_active());
}

static void test_every_minute(void **state)
{
	struct cron c = parse("* * * * *");

	(void)state;
	/* 1000 s real = 30030 s cron; next cron minute 30060 = (30060 - 30) / 30 = 1001 s real */
	assert_int_equal(clock_cron_next_ms(&c, 1000000), 1001000);
	assert_int_equal(clock_cron_next_ms(&c, 1001000), 1003000); /* strictly after */
	assert_int_equal(clock_cron_next_ms(&c, 1002999), 1003000);
	assert_true(clock_cron_next(&c, 1000.0) > 1000.999 && clock_cron_next(&c, 1000.0) < 1001.001);
}

static void test_strictly_after_and_period(void **state)
{
	struct cron every = parse("* * * * *"), five = parse("*/5 * * * *"), hourly = parse("0 * * * *");
	int64_t t = 1795000000123LL; /* late 2026, ms */

	(void)state;
	for (int i = 0; i < 2000; i++, t += 777) {
		int64_t n = clock_cron_next_ms(&every, t);

		assert_true(n > t);
		assert_true(n - t <= 2000);
		assert_int_equal(n % 2000, 1000); /* odd seconds: the 30 s offset is half a cron minute */
	}
	t = clock_cron_next_ms(&five, 1795000000000LL);
	assert_int_equal(clock_cron_next_ms(&five, t) - t, 10000); /* 5 cron minutes = 10 s */
	t = clock_cron_next_ms(&hourly, 1795000000000LL);
	assert_int_equal(clock_cron_next_ms(&hourly, t) - t, 120000); /* 60 cron minutes = 2 min */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seam_active),
	    cmocka_unit_test(test_every_minute),
	    cmocka_unit_test(test_strictly_after_and_period),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	setenv("TASKVISOR_TEST_MINUTE_SECONDS", "2", 1);
	setenv("TASKVISOR_TEST_CLOCK_OFFSET", "30", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
