/*
 * clock.c — the cron clock and its test seam (see clock.h).
 *
 * The seam's two values are read from the environment once, on first use,
 * and kept in statics: they are constants for the life of the process (a
 * test sets them before starting the daemon), not state.
 */
#include "clock.h"

#include <stdbool.h>
#include <stdlib.h>

#include "log.h"

static bool clock_loaded;
static long clock_offset_s;	 /* TASKVISOR_TEST_CLOCK_OFFSET */
static long clock_minute_s = 60; /* TASKVISOR_TEST_MINUTE_SECONDS */

static void clock_load(void)
{
	const char *off = getenv("TASKVISOR_TEST_CLOCK_OFFSET");
	const char *min = getenv("TASKVISOR_TEST_MINUTE_SECONDS");

	if (clock_loaded)
		return;
	clock_loaded = true;
	if (off != NULL && *off != '\0') {
		clock_offset_s = strtol(off, NULL, 10);
		log_warnx("TASKVISOR_TEST_CLOCK_OFFSET: cron schedules run %ld s ahead of the clock "
			  "(a test seam)",
			  clock_offset_s);
	}
	if (min != NULL && *min != '\0') {
		long n = strtol(min, NULL, 10);

		if (n >= 1 && n <= 60) {
			clock_minute_s = n;
			log_warnx("TASKVISOR_TEST_MINUTE_SECONDS: a cron minute lasts %ld s (a test seam)",
				  n);
		} else {
			log_warnx("TASKVISOR_TEST_MINUTE_SECONDS: '%s' ignored (1..60)", min);
		}
	}
}

int clock_seam_active(void)
{
	clock_load();
	return clock_offset_s != 0 || clock_minute_s != 60;
}

int64_t clock_cron_next_ms(const struct cron *c, int64_t after_ms)
{
	int64_t v, real_ms, num;
	time_t next;

	clock_load();
	/* real -> cron time (floor), next occurrence, back to real (ceiling): strictly after */
	v = after_ms * 60 / clock_minute_s;
	v = (v >= 0 ? v / 1000 : -((-v + 999) / 1000)) + clock_offset_s;
	next = cron_next(c, (time_t)v);
	if (next == (time_t)-1)
		return -1;
	num = ((int64_t)next - clock_offset_s) * 1000 * clock_minute_s;
	real_ms = num >= 0 ? (num + 59) / 60 : num / 60;
	return real_ms;
}

double clock_cron_next(const struct cron *c, double after)
{
	int64_t ms = clock_cron_next_ms(c, (int64_t)(after * 1000.0));

	return ms < 0 ? -1.0 : (double)ms / 1000.0;
}
