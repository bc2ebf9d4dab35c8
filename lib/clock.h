/*
 * clock.h — the wall clock that cron schedules (restart_cron, recurring
 * logics) are computed on, with the daemon's one time test seam.
 *
 * In production this is cron_next() on the real clock. Two environment
 * variables, read once per process and logged when set, change it for tests:
 *
 *   TASKVISOR_TEST_CLOCK_OFFSET=S   the cron clock runs S seconds ahead of
 *                                   the real one ("next Sunday 04:00" in 6 s)
 *   TASKVISOR_TEST_MINUTE_SECONDS=N each cron minute lasts N real seconds
 *                                   (1..60): "* * * * *" fires every N s
 *
 * With both: cron time = real * 60 / N + S (anchored at the epoch, so the
 * mapping is the same across daemon restarts). Only schedules see it: task
 * timestamps, logs and timers stay on the real clock.
 *
 * Never: used for anything but computing when a cron line next fires.
 */
#ifndef TV_CLOCK_H
#define TV_CLOCK_H

#include <stdint.h>

#include "cron.h"

/* The first occurrence of c strictly after after_ms (real epoch ms), in real epoch ms; -1 none. */
int64_t clock_cron_next_ms(const struct cron *c, int64_t after_ms);
/* The same in real epoch seconds (libev's ev_periodic reschedule callback); -1 none. */
double clock_cron_next(const struct cron *c, double after);
/* Is a test seam active (either variable set)? */
int clock_seam_active(void);

#endif
