/*
 * when.h — the one grammar for a point in time, shared by taskvisorctl and
 * libtaskvisor (tv_parse_time: --start-at, --start-before, --until), the task
 * engine (SUBMIT start_at/start_before, SCHEDULE until), the configuration
 * ([recurring:NAME] until=) and the search language (started_at > T ...).
 * README "Times" documents it; keep the two in step.
 *
 *   now, today, yesterday            (a day: local midnight to midnight)
 *   2026-11-23                       a day, local time
 *   2026-11-23 14:00[:SS[.fff]]      also with T between date and time
 *   ... Z | +01:00 | -0530 | +01     a zone: UTC or an offset instead of local time
 *   1795442400, @1795442400[.5]      epoch seconds
 *   +30s +5m +2h +1d +1w, -2h        from now, forward or back; the unit may be
 *                                    spelled out (+2 hours, -3 days); none = seconds
 *   3 days ago, 7d ago               back from now
 *
 * Numbers are decimal digits with an optional fraction (no exponent, no
 * inf/nan). A result outside year 1..9999 (|t| > WHEN_MAX_MS) is refused.
 * Never: reads the clock itself (the caller passes now), prints or logs.
 */
#ifndef TV_WHEN_H
#define TV_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* 9999-12-31T23:59:59Z: beyond it seconds * 1000 leaves int64_t in callers (tests/fuzz/fuzz_time.c). */
#define WHEN_MAX_MS INT64_C(253402300799000)

/* The forms in words, for error messages ("until: not a time (" WHEN_FORMS "): ..."). */
#define WHEN_FORMS                                                                                           \
	"YYYY-MM-DD[ HH:MM[:SS]][Z|+HH:MM], epoch seconds, now, today, yesterday, +5m, +1w, -2h or '3 days " \
	"ago'"

/* Flags for when_parse. */
#define WHEN_AGE 0x1 /* a bare "7d" or "7 days" counts back from now (the search language's age) */

/* What a text names: the span [start_ms, end_ms) in epoch ms. A day covers the day, a minute its
 * minute, a second its second; every other form is a point (end = start + 1). */
struct when {
	int64_t start_ms;
	int64_t end_ms;
};

/* Seconds in the unit named by s[0..len) ("d", "days", any case), 0 if none. */
int64_t when_unit_secs(const char *s, size_t len);

/* Parse s (blanks around it ignored) against now_ms. 0, or -1 with *out untouched. */
int when_parse(const char *s, int64_t now_ms, int flags, struct when *out);

#endif
