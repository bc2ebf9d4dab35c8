/*
 * test_cron.c — cron_parse (every syntax form, every error with its position)
 * and cron_next (calendar edge cases, dom/dow rule, DST in Europe/Berlin and
 * America/New_York, year rollover). Needs tzdata (/usr/share/zoneinfo).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cron.h"

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* "YYYY-MM-DD HH:MM[:SS]" local time; isdst -1 unless the time is ambiguous. */
static time_t lt(const char *s, int isdst)
{
	struct tm tm;
	int sec = 0;

	memset(&tm, 0, sizeof(tm));
	int n = sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		       &sec);
	assert_true(n >= 5);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = sec;
	tm.tm_isdst = isdst;
	return mktime(&tm);
}

static const char *fmt(time_t t)
{
	static char buf[64];
	struct tm tm;

	if (t == (time_t)-1)
		return "none";
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

static struct cron parse_ok(const char *line)
{
	struct cron c;
	char err[256] = "";

	if (cron_parse(line, &c, err, sizeof(err)) != 0)
		fail_msg("cron_parse(\"%s\") failed: %s", line, err);
	return c;
}

static void expect_err(const char *line, const char *want)
{
	struct cron c;
	char err[256] = "";

	assert_int_equal(cron_parse(line, &c, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

/* cron_next(line, after) formatted must equal want. */
static void expect_next(const char *line, time_t after, const char *want)
{
	struct cron c = parse_ok(line);
	assert_string_equal(fmt(cron_next(&c, after)), want);
}

static uint64_t bits(const int *v, int n)
{
	uint64_t b = 0;
	for (int i = 0; i < n; i++)
		b |= (uint64_t)1 << v[i];
	return b;
}

/* ---- syntax ------------------------------------------------------------- */

static void test_star_and_values(void **state)
{
	(void)state;
	struct cron c = parse_ok("* * * * *");
	assert_true(c.minute == ((uint64_t)1 << 60) - 1);
	assert_true(c.hour == 0xffffffu);
	assert_true(c.mday == 0xfffffffeu);
	assert_true(c.month == 0x1ffeu);
	assert_true(c.wday == 0x7fu);
	assert_true(c.mday_star && c.wday_star);

	c = parse_ok("  5 4 3 2 1  ");
	assert_true(c.minute == (uint64_t)1 << 5);
	assert_true(c.hour == 1u << 4);
	assert_true(c.mday == 1u << 3);
	assert_true(c.month == 1u << 2);
	assert_true(c.wday == 1u << 1);
	assert_false(c.mday_star || c.wday_star);

	c = parse_ok("59\t23\t31\t12\t6");
	assert_true(c.minute == (uint64_t)1 << 59);
	assert_true(c.hour == 1u << 23);
	assert_true(c.mday == 1u << 31);
}

static void test_ranges_steps_lists(void **state)
{
	(void)state;
	struct cron c = parse_ok("*/15 1-5 1,15,30 */3 1-5/2");
	int m[] = {0, 15, 30, 45}, h[] = {1, 2, 3, 4, 5}, d[] = {1, 15, 30}, mo[] = {1, 4, 7, 10};
	assert_true(c.minute == bits(m, 4));
	assert_true(c.hour == bits(h, 5));
	assert_true(c.mday == bits(d, 3));
	assert_true(c.month == bits(mo, 4));
	int wd[] = {1, 3, 5};
	assert_true(c.wday == bits(wd, 3));
	assert_false(c.mday_star);

	c = parse_ok("1-30/5 */6 */10 * *");
	int m2[] = {1, 6, 11, 16, 21, 26}, h2[] = {0, 6, 12, 18}, d2[] = {1, 11, 21, 31};
	assert_true(c.minute == bits(m2, 6));
	assert_true(c.hour == bits(h2, 4));
	assert_true(c.mday == bits(d2, 4));
	assert_true(c.mday_star); /* starts with '*': Vixie's DOM_STAR */

	/* "5/15" = "5-59/15"; lists mixing ranges, steps and values */
	c = parse_ok("5/15 0-2,12,20-23/2 * * *");
	int m3[] = {5, 20, 35, 50}, h3[] = {0, 1, 2, 12, 20, 22};
	assert_true(c.minute == bits(m3, 4));
	assert_true(c.hour == bits(h3, 6));
}

static void test_names_and_sunday(void **state)
{
	(void)state;
	struct cron c = parse_ok("0 0 * jan,Jul,DEC MON-fri");
	int mo[] = {1, 7, 12}, wd[] = {1, 2, 3, 4, 5};
	assert_true(c.month == bits(mo, 3));
	assert_true(c.wday == bits(wd, 5));

	/* Sunday is 0 and 7 */
	struct cron a = parse_ok("0 0 * * 0"), b = parse_ok("0 0 * * 7"), s = parse_ok("0 0 * * sun");
	assert_true(a.wday == 1 && b.wday == 1 && s.wday == 1);
	c = parse_ok("0 0 * * 5-7");
	int wd2[] = {0, 5, 6};
	assert_true(c.wday == bits(wd2, 3));
}

static void test_macros(void **state)
{
	(void)state;
	struct cron m, f;
	const char *pairs[][2] = {
	    {"@hourly", "0 * * * *"},	{"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	    {"@weekly", "0 0 * * 0"},	{"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
	    {"@annually", "0 0 1 1 *"}, {" @DAILY ", "0 0 * * *"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		m = parse_ok(pairs[i][0]);
		f = parse_ok(pairs[i][1]);
		assert_memory_equal(&m, &f, sizeof(m));
	}
}

static void test_errors(void **state)
{
	(void)state;
	expect_err("0 25 * * *", "cron: position 3 (field 'hour'): value 25 out of range 0-23");
	expect_err("*/5 0-12 32 * *", "cron: position 10 (field 'day-of-month'): value 32 out of range 1-31");
	expect_err("0 0 0 * *", "cron: position 5 (field 'day-of-month'): value 0 out of range 1-31");
	expect_err("60 * * * *", "cron: position 1 (field 'minute'): value 60 out of range 0-59");
	expect_err("0 0 * 13 *", "cron: position 7 (field 'month'): value 13 out of range 1-12");
	expect_err("0 0 * * 8", "cron: position 9 (field 'day-of-week'): value 8 out of range 0-7");
	expect_err("99999999999999999999 * * * *",
		   "cron: position 1 (field 'minute'): value 99999999999999999999 out of range 0-59");
	expect_err("", "cron: position 1: empty cron line (expected 5 fields: minute hour day-of-month month "
		       "day-of-week)");
	expect_err("   ",
		   "cron: position 4: empty cron line (expected 5 fields: minute hour day-of-month month "
		   "day-of-week)");
	expect_err("0 0 * *",
		   "cron: position 8 (field 'day-of-week'): missing field (expected 5 fields: minute "
		   "hour day-of-month month day-of-week)");
	expect_err("0 0 * * * /bin/true",
		   "cron: position 11: unexpected 6th field (expected 5 fields: minute "
		   "hour day-of-month month day-of-week)");
	expect_err("x * * * *", "cron: position 1 (field 'minute'): expected a number 0-59, got 'x'");
	expect_err("0 0 * foo *",
		   "cron: position 7 (field 'month'): unknown name 'foo' (expected 1-12 or jan-dec)");
	expect_err("0 0 * * monday",
		   "cron: position 9 (field 'day-of-week'): unknown name 'monday' (expected 0-7 or sun-sat)");
	expect_err("0 0 mon * *",
		   "cron: position 5 (field 'day-of-month'): expected a number 1-31, got 'mon'");
	expect_err("*/0 * * * *", "cron: position 3 (field 'minute'): step 0 out of range 1-60");
	expect_err("*/90 * * * *", "cron: position 3 (field 'minute'): step 90 out of range 1-60");
	expect_err("0 */ * * *", "cron: position 5 (field 'hour'): expected a step number after '/'");
	expect_err("5-1 * * * *",
		   "cron: position 1 (field 'minute'): range 5-1 is reversed (expected start <= end)");
	expect_err("0 0 * * sat-sun",
		   "cron: position 9 (field 'day-of-week'): range 6-0 is reversed (expected start <= end)");
	expect_err("1, * * * *",
		   "cron: position 3 (field 'minute'): expected a value (a number 0-59 or '*')");
	expect_err("0 0 * * mon-", "cron: position 13 (field 'day-of-week'): expected a value (a number 0-7, "
				   "a name sun-sat or '*')");
	expect_err("1x * * * *",
		   "cron: position 2 (field 'minute'): unexpected 'x', expected ',', '-', '/' or the "
		   "end of the field");
	expect_err("0 0 ? * *",
		   "cron: position 5 (field 'day-of-month'): unexpected '?', expected a number 1-31 or '*'");
	expect_err("@foo",
		   "cron: position 1: unknown macro '@foo' (expected @hourly, @daily, @midnight, @weekly, "
		   "@monthly, @yearly or @annually)");
	expect_err("@reboot",
		   "cron: position 1: unknown macro '@reboot' (expected @hourly, @daily, @midnight, "
		   "@weekly, @monthly, @yearly or @annually)");
	expect_err("@daily 5", "cron: position 8: unexpected text after @daily (expected nothing)");

	/* NULL err buffer is allowed; *out untouched on error */
	struct cron c;
	memset(&c, 0xab, sizeof(c));
	assert_int_equal(cron_parse("bad", &c, NULL, 0), -1);
	assert_int_equal(c.hour, 0xabababab);
	assert_int_equal(cron_parse(NULL, &c, NULL, 0), -1);

	/* a short buffer is truncated, not overrun */
	char small[12];
	assert_int_equal(cron_parse("0 25 * * *", &c, small, sizeof(small)), -1);
	assert_string_equal(small, "cron: posit");
}

/* ---- next occurrence, no DST ----------------------------------------- */

static void test_next_basic(void **state)
{
	(void)state;
	set_tz("UTC");
	expect_next("*/5 * * * *", lt("2024-06-10 12:03:10", -1), "2024-06-10 12:05:00 UTC");
	expect_next("*/5 * * * *", lt("2024-06-10 12:05:00", -1),
		    "2024-06-10 12:10:00 UTC"); /* strictly after */
	expect_next("*/5 * * * *", lt("2024-06-10 12:04:59", -1), "2024-06-10 12:05:00 UTC");
	expect_next("* * * * *", lt("2024-06-10 12:00:30", -1), "2024-06-10 12:01:00 UTC");
	expect_next("@hourly", lt("2024-06-10 10:59:59", -1), "2024-06-10 11:00:00 UTC");
	expect_next("30 14 * * *", lt("2024-06-10 15:00", -1), "2024-06-11 14:30:00 UTC");
	expect_next("0 12 * feb mon", lt("2025-01-01 00:00", -1), "2025-02-03 12:00:00 UTC");
}

static void test_next_calendar(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	/* Feb 29 -> next leap year */
	expect_next("0 0 29 2 *", lt("2025-03-01 00:00", -1), "2028-02-29 00:00:00 CET");
	expect_next("0 0 29 2 *", lt("2024-02-29 00:00", -1), "2028-02-29 00:00:00 CET");
	/* 31st skips 30-day months */
	expect_next("0 0 31 * *", lt("2024-04-01 00:00", -1), "2024-05-31 00:00:00 CEST");
	expect_next("0 0 31 * *", lt("2024-05-31 00:00", -1), "2024-07-31 00:00:00 CEST");
	expect_next("0 0 31 * *", lt("2024-08-31 00:00", -1), "2024-10-31 00:00:00 CET");
	/* never: Feb 30/31, and Feb 29 when the next one is 8 years away (2100 is not leap) */
	expect_next("0 0 31 2 *", lt("2024-01-01 00:00", -1), "none");
	expect_next("0 0 30 2 *", lt("2024-01-01 00:00", -1), "none");
	expect_next("0 0 29 2 *", lt("2096-03-01 00:00", -1), "none");
	/* year rollover */
	expect_next("0 0 1 1 *", lt("2024-12-31 23:59:30", -1), "2025-01-01 00:00:00 CET");
	expect_next("59 23 31 12 *", lt("2024-12-31 23:59", -1), "2025-12-31 23:59:00 CET");
	expect_next("*/20 * * * *", lt("2024-12-31 23:45", -1), "2025-01-01 00:00:00 CET");
	expect_next("@yearly", lt("2024-06-01 00:00", -1), "2025-01-01 00:00:00 CET");
	expect_next("@monthly", lt("2024-12-15 00:00", -1), "2025-01-01 00:00:00 CET");
}

static void test_next_dom_dow(void **state)
{
	(void)state;
	set_tz("UTC");
	/* Sep 2024: the 1st is a Sunday; Mondays 2, 9, 16, 23, 30 */
	/* both restricted: the 10th OR any Monday */
	expect_next("0 0 10 * 1", lt("2024-09-01 00:00", -1), "2024-09-02 00:00:00 UTC");
	expect_next("0 0 10 * 1", lt("2024-09-09 00:00", -1), "2024-09-10 00:00:00 UTC");
	expect_next("0 0 10 * 1", lt("2024-09-10 00:00", -1), "2024-09-16 00:00:00 UTC");
	/* day-of-month starts with '*': both must match (odd day AND Monday) */
	expect_next("0 0 */2 * 1", lt("2024-09-01 00:00", -1), "2024-09-09 00:00:00 UTC");
	expect_next("0 0 */2 * 1", lt("2024-09-09 00:00", -1), "2024-09-23 00:00:00 UTC");
	/* only dow restricted */
	expect_next("0 0 * * fri", lt("2024-09-01 00:00", -1), "2024-09-06 00:00:00 UTC");
	/* Sunday as 0 and 7 */
	expect_next("0 0 * * 0", lt("2024-09-02 00:00", -1), "2024-09-08 00:00:00 UTC");
	expect_next("0 0 * * 7", lt("2024-09-02 00:00", -1), "2024-09-08 00:00:00 UTC");
	/* Friday the 13th needs both: not expressible; "13 and Friday" is OR */
	expect_next("0 0 13 * fri", lt("2024-09-07 00:00", -1), "2024-09-13 00:00:00 UTC");
}

/* ---- DST ----------------------------------------------------------------- */

/* Count firings of line in [from, to). */
static int count_runs(const char *line, time_t from, time_t to)
{
	struct cron c = parse_ok(line);
	int n = 0;
	for (time_t t = cron_next(&c, from - 1); t != (time_t)-1 && t < to; t = cron_next(&c, t))
		n++;
	return n;
}

static void test_dst_berlin_spring(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	/* 2024-03-31 02:00 CET -> 03:00 CEST; 02:00-02:59 do not exist */
	expect_next("30 2 * * *", lt("2024-03-30 02:30", -1), "2024-03-31 03:00:00 CEST");
	expect_next("30 2 * * *", lt("2024-03-31 03:00", -1), "2024-04-01 02:30:00 CEST");
	expect_next("0,30 2 * * *", lt("2024-03-31 01:59", -1), "2024-03-31 03:00:00 CEST");
	expect_next("0,30 2 * * *", lt("2024-03-31 03:00", -1), "2024-04-01 02:00:00 CEST");
	expect_next("0 3 * * *", lt("2024-03-31 01:00", -1), "2024-03-31 03:00:00 CEST");
	/* frequent jobs follow real time: the missing wall times are not run */
	expect_next("30 * * * *", lt("2024-03-31 01:45", -1), "2024-03-31 03:30:00 CEST");
	expect_next("*/15 * * * *", lt("2024-03-31 01:50", -1), "2024-03-31 03:00:00 CEST");
	/* counts over the change day (23 hours long) */
	time_t d0 = lt("2024-03-31 00:00", -1), d1 = lt("2024-04-01 00:00", -1);
	assert_int_equal(count_runs("*/15 * * * *", d0, d1), 23 * 4);
	assert_int_equal(count_runs("30 2 * * *", d0, d1), 1);
	assert_int_equal(count_runs("* 2 * * *", d0, d1), 1); /* 60 skipped minutes run once */
	assert_int_equal(count_runs("0 0 * * *", d0, d1), 1);
}

static void test_dst_berlin_fall(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	/* 2024-10-27 03:00 CEST -> 02:00 CET; 02:00-02:59 happen twice */
	expect_next("30 2 * * *", lt("2024-10-27 00:00", -1), "2024-10-27 02:30:00 CEST");
	expect_next("30 2 * * *", lt("2024-10-27 02:30", 1), "2024-10-28 02:30:00 CET"); /* not twice */
	expect_next("30 2 * * *", lt("2024-10-27 02:10", 0), "2024-10-28 02:30:00 CET");
	/* frequent: both instants of the repeated hour */
	expect_next("*/30 * * * *", lt("2024-10-27 02:30", 1), "2024-10-27 02:00:00 CET");
	expect_next("*/30 * * * *", lt("2024-10-27 02:00", 0), "2024-10-27 02:30:00 CET");
	expect_next("*/30 * * * *", lt("2024-10-27 02:30", 0), "2024-10-27 03:00:00 CET");
	struct cron c = parse_ok("*/30 * * * *");
	time_t a = lt("2024-10-27 02:30", 1);
	assert_int_equal(cron_next(&c, a) - a, 30 * 60);
	/* counts over the change day (25 hours long) */
	time_t d0 = lt("2024-10-27 00:00", -1), d1 = lt("2024-10-28 00:00", -1);
	assert_int_equal(count_runs("*/15 * * * *", d0, d1), 25 * 4);
	assert_int_equal(count_runs("30 2 * * *", d0, d1), 1);
	assert_int_equal(count_runs("* 2 * * *", d0, d1), 60);
	assert_int_equal(count_runs("@daily", d0, d1), 1);
}

static void test_dst_new_york(void **state)
{
	(void)state;
	set_tz("America/New_York");
	/* spring: 2024-03-10 02:00 EST -> 03:00 EDT */
	expect_next("30 2 * * *", lt("2024-03-09 12:00", -1), "2024-03-10 03:00:00 EDT");
	expect_next("30 2 * * *", lt("2024-03-10 03:00", -1), "2024-03-11 02:30:00 EDT");
	expect_next("15 * * * *", lt("2024-03-10 01:20", -1), "2024-03-10 03:15:00 EDT");
	/* fall: 2024-11-03 02:00 EDT -> 01:00 EST; 01:00-01:59 twice */
	expect_next("30 1 * * *", lt("2024-11-03 00:00", -1), "2024-11-03 01:30:00 EDT");
	expect_next("30 1 * * *", lt("2024-11-03 01:30", 1), "2024-11-04 01:30:00 EST");
	expect_next("15 * * * *", lt("2024-11-03 01:20", 1), "2024-11-03 01:15:00 EST");
	expect_next("15 * * * *", lt("2024-11-03 01:20", 0), "2024-11-03 02:15:00 EST");
	time_t d0 = lt("2024-11-03 00:00", -1), d1 = lt("2024-11-04 00:00", -1);
	assert_int_equal(count_runs("0 * * * *", d0, d1), 25);
	assert_int_equal(count_runs("0 1 * * *", d0, d1), 1);
	d0 = lt("2024-03-10 00:00", -1);
	d1 = lt("2024-03-11 00:00", -1);
	assert_int_equal(count_runs("0 * * * *", d0, d1), 23);
	assert_int_equal(count_runs("0 2 * * *", d0, d1), 1);
}

static void test_next_monotonic_year(void **state)
{
	(void)state;
	/* A year of every-7-minutes in Berlin: always strictly increasing, never more than 7 min apart
	 * (real time; the spring gap has no wall times to skip for a frequent job beyond the hour). */
	set_tz("Europe/Berlin");
	struct cron c = parse_ok("*/7 * * * *");
	time_t t = lt("2024-01-01 00:00", -1), end = lt("2025-01-01 00:00", -1);
	long n = 0;
	while (t < end) {
		time_t nx = cron_next(&c, t);
		assert_true(nx > t);
		assert_true(nx - t <= 3600 + 7 * 60);
		t = nx;
		n++;
	}
	assert_true(n > 70000);
}

/* Does instant t (minute aligned) match c on the local clock? */
static int naive_match(const struct cron *c, time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	int dom = (c->mday >> tm.tm_mday) & 1, dow = (c->wday >> tm.tm_wday) & 1;
	int day = (c->mday_star || c->wday_star) ? (dom && dow) : (dom || dow);
	return ((c->minute >> tm.tm_min) & 1) && ((c->hour >> tm.tm_hour) & 1) &&
	       ((c->month >> (tm.tm_mon + 1)) & 1) && day;
}

/*
 * Property: in UTC (no DST) and for frequent jobs in Berlin (which follow real
 * time), cron_next equals a minute-by-minute scan of real instants.
 */
static void test_next_bruteforce(void **state)
{
	(void)state;
	static const char *const m[] = {"*", "0", "*/7", "5,35", "10-20/5", "59"};
	static const char *const h[] = {"*", "0", "3", "*/5", "1-3", "22-23"};
	static const char *const d[] = {"*", "1", "31", "*/10", "15-17", "29"};
	static const char *const mo[] = {"*", "2", "jan,jul", "*/4", "3-5", "dec"};
	static const char *const w[] = {"*", "0", "mon-fri", "6", "*/2", "7"};
	const char *zones[] = {"UTC", "Europe/Berlin", "America/New_York"};
	unsigned seed = 12345;
	int checked = 0;

	for (int z = 0; z < 3; z++) {
		set_tz(zones[z]);
		for (int i = 0; i < 60; i++) {
			char line[128];
			struct cron c;
			seed = seed * 1103515245u + 12345u;
			int hi = (seed >> 8) % 6;
			snprintf(line, sizeof(line), "%s %s %s %s %s", m[(seed >> 4) % 6], z ? "*" : h[hi],
				 d[(seed >> 12) % 6], mo[(seed >> 16) % 6], w[(seed >> 20) % 6]);
			c = parse_ok(line);
			/* starts around the 2024 DST changes, and a random second */
			time_t after = (z == 0 ? lt("2024-01-01 00:00", -1)
					       : lt(i % 2 ? "2024-03-09 00:00" : "2024-10-26 00:00", -1)) +
				       (time_t)((seed >> 3) % (3 * 86400));
			time_t got = cron_next(&c, after), t = after - after % 60 + 60,
			       end = after + 75 * 86400;
			while (t < end && !naive_match(&c, t))
				t += 60;
			if (t >= end)
				t = (time_t)-1;
			if (got != t && !(t == (time_t)-1 && got > end))
				fail_msg("%s [%s] after %s: got %s, scan says %s", line, zones[z], fmt(after),
					 fmt(got), fmt(t));
			checked++;
		}
	}
	assert_int_equal(checked, 180);
}

static void test_trailing_newline(void **state)
{
	(void)state;
	struct cron a = parse_ok("0 3 * * 0\n"), b = parse_ok("\t0\t3 *  * 0\r\n");
	assert_memory_equal(&a, &b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_star_and_values),
	    cmocka_unit_test(test_ranges_steps_lists),
	    cmocka_unit_test(test_names_and_sunday),
	    cmocka_unit_test(test_macros),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_next_basic),
	    cmocka_unit_test(test_next_calendar),
	    cmocka_unit_test(test_next_dom_dow),
	    cmocka_unit_test(test_dst_berlin_spring),
	    cmocka_unit_test(test_dst_berlin_fall),
	    cmocka_unit_test(test_dst_new_york),
	    cmocka_unit_test(test_next_monotonic_year),
	    cmocka_unit_test(test_next_bruteforce),
	    cmocka_unit_test(test_trailing_newline),
	};
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0 ||
	    access("/usr/share/zoneinfo/America/New_York", R_OK) != 0) {
		fprintf(stderr, "test_cron: tzdata is not installed (/usr/share/zoneinfo); install the "
				"'tzdata' package\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
