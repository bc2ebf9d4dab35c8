/*
 * cron.h — the one cron-line parser of taskvisor (restart_cron=, recurring
 * task logics).
 *
 * Syntax (Vixie cron / cronie): five fields separated by blanks,
 *
 *     minute  hour  day-of-month  month  day-of-week
 *     0-59    0-23  1-31          1-12   0-7 (0 and 7 are Sunday)
 *
 * Each field is a comma-separated list of items; an item is `*`, a value `5`,
 * a range `1-5`, optionally followed by a step `/N` (`*` + `/15`, `1-30/5`;
 * `5/15` means `5-MAX/15`). Months take jan..dec and days of week sun..sat,
 * case-insensitive, also in ranges (`mon-fri`). A step may not exceed the
 * field's span (`*` + `/90` in the minute field is refused, not silently 0).
 * Macros: @hourly, @daily (= @midnight), @weekly, @monthly, @yearly
 * (= @annually); @reboot is refused (it is not a schedule).
 *
 * Day rule (Vixie): when both day-of-month and day-of-week are restricted
 * (neither field starts with `*`), a day matches when EITHER matches; when one
 * of them starts with `*` (including `*` + `/2`), both must match.
 *
 * Errors name the 1-based column and what was expected:
 *     cron: position 9 (field 'hour'): value 25 out of range 0-23
 */
#ifndef TV_CRON_H
#define TV_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bit N set = value N allowed. mday bits 1-31, month bits 1-12, wday bits 0-6. */
struct cron {
	uint64_t minute;	   /* bits 0-59 */
	uint32_t hour;		   /* bits 0-23 */
	uint32_t mday;		   /* bits 1-31 */
	uint16_t month;		   /* bits 1-12 */
	uint8_t wday;		   /* bits 0-6, 0 = Sunday (7 in the text is folded into 0) */
	bool mday_star, wday_star; /* the field text started with '*' */
};

/*
 * Parse one cron line (or macro) into *out. Leading and trailing blanks are
 * ignored. Returns 0, or -1 with a message in err (when err != NULL) of the
 * form "cron: position P (field 'F'): what is wrong, what was expected".
 * *out is only written on success.
 */
int cron_parse(const char *line, struct cron *out, char *err, size_t errlen);

/*
 * The first matching minute strictly after `after`, in the process's local
 * time zone (TZ; call tzset() after changing it), or (time_t)-1 when nothing
 * matches within 5 years (e.g. "0 0 31 2 *", or "0 0 29 2 *" across 2100).
 *
 * Daylight-saving time (like cronie):
 *  - "Frequent" jobs — those whose hour field allows all 24 hours (`*`,
 *    "@hourly", every 5 minutes) — follow real time: a wall time inside a
 *    spring-forward gap does not exist and is not run; a wall time repeated in
 *    the fall-back hour runs at both of its instants (so "every 5 minutes"
 *    keeps running every 5 minutes through the change).
 *  - Every other job ("fixed-time", e.g. "30 2 * * *") runs once per matching
 *    wall time: a wall time skipped by a spring-forward gap runs once at the
 *    first instant after the gap (02:30 in Europe/Berlin on the change day
 *    runs at 03:00 CEST; several skipped matches run once); a wall time
 *    repeated by fall-back runs at its first instant only.
 */
time_t cron_next(const struct cron *c, time_t after);

#endif
