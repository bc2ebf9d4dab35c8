/*
 * test_when.c — the one time grammar (lib/when.c), and that each of its four
 * callers takes every form through it: tv_parse_time (ctl, libtaskvisor),
 * engine_parse_time (SUBMIT/SCHEDULE), the config's [recurring] until= and
 * the search language. `+1w` is checked in every caller's path (it worked in
 * tv_parse_time only before the grammar was shared). Runs in Europe/Berlin.
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

#include "engine_int.h" /* engine_parse_time is the engine's own */
#include "conf.h"
#include "search.h"
#include "taskvisor.h"
#include "when.h"

#define NOW_MS INT64_C(1795442400000) /* 2026-11-23T14:00:00Z, 15:00 in Berlin */
#define WEEK_MS INT64_C(604800000)

static struct when parse_ok(const char *s, int flags)
{
	struct when w = {-7, -7};

	if (when_parse(s, NOW_MS, flags, &w) != 0)
		fail_msg("when_parse(\"%s\") refused", s);
	return w;
}

static void parse_bad(const char *s, int flags)
{
	struct when w = {-7, -7};

	if (when_parse(s, NOW_MS, flags, &w) != -1)
		fail_msg("when_parse(\"%s\") accepted: %lld", s, (long long)w.start_ms);
	assert_int_equal(w.start_ms, -7); /* untouched */
}

static void test_absolute(void **state)
{
	struct when w;

	(void)state;
	/* A day, local time (CET = UTC+1 in November): the whole day. */
	w = parse_ok("2026-11-23", 0);
	assert_int_equal(w.start_ms, INT64_C(1795388400000));
	assert_int_equal(w.end_ms, INT64_C(1795474800000));
	/* A minute, a second, a millisecond. */
	w = parse_ok("2026-11-23 15:00", 0);
	assert_int_equal(w.start_ms, NOW_MS);
	assert_int_equal(w.end_ms, NOW_MS + 60000);
	w = parse_ok("2026-11-23T15:00:05", 0);
	assert_int_equal(w.start_ms, NOW_MS + 5000);
	assert_int_equal(w.end_ms, NOW_MS + 6000);
	w = parse_ok("2026-11-23T15:00:05.25", 0);
	assert_int_equal(w.start_ms, NOW_MS + 5250);
	assert_int_equal(w.end_ms, NOW_MS + 5251);
	/* Zones. */
	assert_int_equal(parse_ok("2026-11-23T14:00:00Z", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-23 14:00z", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-23T16:00:00+02:00", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-23T08:30-0530", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-23T15:00+01", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-23Z", 0).end_ms - parse_ok("2026-11-23Z", 0).start_ms, 86400000);
	/* Summer time: CEST = UTC+2. A DST day is 23 hours long. */
	assert_int_equal(parse_ok("2026-07-01 02:00", 0).start_ms, INT64_C(1782864000000));
	w = parse_ok("2026-03-29", 0);
	assert_int_equal(w.end_ms - w.start_ms, 23 * 3600000);
	/* Blanks around, one-digit fields. */
	assert_int_equal(parse_ok("  2026-11-23 15:00  ", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("2026-11-3", 0).start_ms, parse_ok("2026-11-03", 0).start_ms);
	/* Refused. */
	parse_bad("2026-02-30", 0);
	parse_bad("2026-13-01", 0);
	parse_bad("2026-11-23 25:00", 0);
	parse_bad("2026-11-23 14:60", 0);
	parse_bad("2026-11-23 14:00:61", 0);
	parse_bad("2026-11-23 14", 0);
	parse_bad("2026-11-23T14:00+24:00", 0);
	parse_bad("2026-11-23T14:00 CET", 0);
	parse_bad("2026-11-23 14:00.5", 0);
	parse_bad("26-11-23", 0);
	parse_bad("", 0);
	parse_bad("   ", 0);
	assert_int_equal(when_parse(NULL, NOW_MS, 0, &w), -1);
}

static void test_epoch_and_words(void **state)
{
	struct when w;

	(void)state;
	w = parse_ok("1795442400", 0);
	assert_int_equal(w.start_ms, NOW_MS);
	assert_int_equal(w.end_ms, NOW_MS + 1);
	assert_int_equal(parse_ok("@1795442400.5", 0).start_ms, NOW_MS + 500);
	assert_int_equal(parse_ok("now", 0).start_ms, NOW_MS);
	assert_int_equal(parse_ok("NOW", 0).end_ms, NOW_MS + 1);
	w = parse_ok("today", 0);
	assert_int_equal(w.start_ms, INT64_C(1795388400000));
	assert_int_equal(w.end_ms, INT64_C(1795474800000));
	w = parse_ok("yesterday", 0);
	assert_int_equal(w.start_ms, INT64_C(1795302000000));
	assert_int_equal(w.end_ms, INT64_C(1795388400000));
	parse_bad("tomorrow", 0);
	parse_bad("@", 0);
	parse_bad("@-5", 0);
	parse_bad("1e9", 0);
	parse_bad("@nan", 0);
	parse_bad("@inf", 0);
	parse_bad("253402300800", 0); /* after 9999-12-31T23:59:59Z */
	assert_int_equal(parse_ok("253402300799", 0).start_ms, WHEN_MAX_MS);
}

static void test_relative(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("+30s", 0).start_ms, NOW_MS + 30000);
	assert_int_equal(parse_ok("+30", 0).start_ms, NOW_MS + 30000);
	assert_int_equal(parse_ok("+5m", 0).start_ms, NOW_MS + 300000);
	assert_int_equal(parse_ok("+2h", 0).start_ms, NOW_MS + 7200000);
	assert_int_equal(parse_ok("+1d", 0).start_ms, NOW_MS + 86400000);
	assert_int_equal(parse_ok("+1w", 0).start_ms, NOW_MS + WEEK_MS);
	assert_int_equal(parse_ok("+1.5h", 0).start_ms, NOW_MS + 5400000);
	assert_int_equal(parse_ok("+2 hours", 0).start_ms, NOW_MS + 7200000);
	assert_int_equal(parse_ok("-2h", 0).start_ms, NOW_MS - 7200000);
	assert_int_equal(parse_ok("-1W", 0).start_ms, NOW_MS - WEEK_MS);
	assert_int_equal(parse_ok("3 days ago", 0).start_ms, NOW_MS - 3 * 86400000);
	assert_int_equal(parse_ok("7d ago", 0).start_ms, NOW_MS - 7 * 86400000);
	assert_int_equal(parse_ok("+1w", 0).end_ms, NOW_MS + WEEK_MS + 1);
	/* A bare age only where asked for (the search language). */
	parse_bad("7d", 0);
	assert_int_equal(parse_ok("7d", WHEN_AGE).start_ms, NOW_MS - 7 * 86400000);
	assert_int_equal(parse_ok("2 weeks", WHEN_AGE).start_ms, NOW_MS - 2 * WEEK_MS);
	/* Refused: no number, a bad unit, a sign with "ago", overflow, exponents, inf and nan. */
	parse_bad("+", 0);
	parse_bad("+h", 0);
	parse_bad("+5y", 0);
	parse_bad("+5 fortnights", 0);
	parse_bad("7 fortnights ago", WHEN_AGE);
	parse_bad("+7d ago", 0);
	parse_bad("7 ago", WHEN_AGE);
	parse_bad("+1.h", 0);
	parse_bad("+1e300", 0);
	parse_bad("+inf", 0);
	parse_bad("+nan", 0);
	parse_bad("+1e308d", 0);
	parse_bad("+99999999999999999999w", 0);
	parse_bad("+100000000w", 0);
	parse_bad("1; DELETE FROM tasks", WHEN_AGE);
}

/* ---- +1w (and a zone, a day) through each caller ---- */

static void test_caller_tv_parse_time(void **state)
{
	double t;

	(void)state;
	assert_int_equal(tv_parse_time("+1w", 1795442400.0, &t), 0);
	assert_true(t == 1795442400.0 + 604800.0);
	assert_int_equal(tv_parse_time("2026-11-23T16:00:00+02:00", 0, &t), 0);
	assert_true(t == 1795442400.0);
	assert_int_equal(tv_parse_time("3 days ago", 1795442400.0, &t), 0);
	assert_true(t == 1795442400.0 - 3 * 86400.0);
	assert_int_equal(tv_parse_time("+inf", 1795442400.0, &t), -1);
	assert_int_equal(tv_parse_time("+1w", 1e300, &t), -1);
}

static void test_caller_engine(void **state)
{
	int64_t ms;
	json_t *v;

	(void)state;
	v = json_string("+1w");
	assert_int_equal(engine_parse_time(v, NOW_MS, &ms), 0);
	assert_int_equal(ms, NOW_MS + WEEK_MS);
	json_decref(v);
	v = json_string("@1795442400");
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, NOW_MS);
	json_decref(v);
	v = json_string("2026-11-23 15:00");
	assert_int_equal(engine_parse_time(v, 0, &ms), 0);
	assert_int_equal(ms, NOW_MS);
	json_decref(v);
	v = json_string("+1 fortnight");
	assert_int_equal(engine_parse_time(v, NOW_MS, &ms), -1);
	json_decref(v);
}

static void test_caller_conf_until(void **state)
{
	char dir[] = "/tmp/test_when.XXXXXX", path[64], err[512];
	struct conf *c;
	FILE *f;
	time_t before = time(NULL);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[task:t]\nsteps=a\nstep.a=x\n[recurring:r]\nlabel=t\ncron=* * * * *\nuntil=+1w\n"
	      "[recurring:z]\nlabel=t\ncron=* * * * *\nuntil=2026-11-23T14:00Z\n",
	      f);
	fclose(f);
	c = conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("conf_load: %s", err);
	assert_int_equal(c->nrecurring, 2);
	assert_true(c->recurring[0].until >= (long long)before + 604800);
	assert_true(c->recurring[0].until <= (long long)time(NULL) + 604800 + 1); /* time() is a coarse clock: a tick behind */
	assert_int_equal(c->recurring[1].until, 1795442400LL);
	conf_free(c);
	unlink(path);
	rmdir(dir);
}

static void test_caller_search(void **state)
{
	struct search_sql q;
	char err[512];

	(void)state;
	/* started_at > +1w: after the point a week from now. */
	assert_int_equal(search_compile("started_at > +1w", 1795442400, &q, err, sizeof(err)), 0);
	assert_int_equal(q.nparams, 1);
	assert_int_equal(q.params[0].num, NOW_MS + WEEK_MS + 1);
	search_sql_free(&q);
	/* ended_at < -1w and the search's own age "1w": a week ago. */
	assert_int_equal(search_compile("ended_at < -1w", 1795442400, &q, err, sizeof(err)), 0);
	assert_int_equal(q.params[0].num, NOW_MS - WEEK_MS);
	search_sql_free(&q);
	assert_int_equal(search_compile("ended_at < 1w", 1795442400, &q, err, sizeof(err)), 0);
	assert_int_equal(q.params[0].num, NOW_MS - WEEK_MS);
	search_sql_free(&q);
	/* A bare date keeps its day range. */
	assert_int_equal(search_compile("started_at = 2026-11-23", 1795442400, &q, err, sizeof(err)), 0);
	assert_int_equal(q.nparams, 2);
	assert_int_equal(q.params[0].num, INT64_C(1795388400000));
	assert_int_equal(q.params[1].num, INT64_C(1795474800000));
	search_sql_free(&q);
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
	    T(test_absolute),	   T(test_epoch_and_words),
	    T(test_relative),	   T(test_caller_tv_parse_time),
	    T(test_caller_engine), T(test_caller_conf_until),
	    T(test_caller_search),
	};

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
