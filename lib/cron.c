/*
 * cron.c — parse five-field cron lines and find their next occurrence in
 * local time, daylight-saving safe. See cron.h for the accepted syntax and
 * the DST rules.
 *
 * How cron_next works: candidates are generated in *wall-clock* time (a
 * broken-down local time encoded with timegm(), so calendar arithmetic needs
 * no time zone), then each candidate wall time is resolved to the 0, 1 or 2
 * real instants that show it on the local clock, by trying the UTC offsets in
 * force a day before and after it. This never trusts mktime()'s guess for a
 * time in a gap or an overlap, and works for any zone whose offset changes at
 * most once within a day (all of tzdata).
 *
 * Never: touches TZ or calls tzset() (the caller owns the time zone).
 */
#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum cron_field { CF_MINUTE, CF_HOUR, CF_MDAY, CF_MONTH, CF_WDAY, CF_COUNT };

static const struct cron_field_def {
	const char *name;
	int lo, hi;		  /* accepted values */
	int star_lo, star_hi;	  /* what '*' means */
	const char *const *names; /* 3-letter names for values names_base.. */
	int names_base;
	const char *names_hint;
} cron_fields[CF_COUNT] = {
    [CF_MINUTE] = {"minute", 0, 59, 0, 59, NULL, 0, NULL},
    [CF_HOUR] = {"hour", 0, 23, 0, 23, NULL, 0, NULL},
    [CF_MDAY] = {"day-of-month", 1, 31, 1, 31, NULL, 0, NULL},
    [CF_MONTH] = {"month", 1, 12, 1, 12,
		  (const char *const[]){"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
					"nov", "dec", NULL},
		  1, "jan-dec"},
    [CF_WDAY] = {"day-of-week", 0, 7, 0, 6,
		 (const char *const[]){"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL}, 0, "sun-sat"},
};

#define CRON_EXPECT_FIELDS "expected 5 fields: minute hour day-of-month month day-of-week"

static const struct cron_macro {
	const char *name;
	const char *line;
} cron_macros[] = {
    {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},	 {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
};

/* Write "cron: position P[ (field 'F')]: MSG" into err. Always returns -1. */
static int cron_err(char *err, size_t errlen, size_t pos, int field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int cron_err(char *err, size_t errlen, size_t pos, int field, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field >= 0)
		snprintf(err, errlen, "cron: position %zu (field '%s'): %s", pos, cron_fields[field].name,
			 msg);
	else
		snprintf(err, errlen, "cron: position %zu: %s", pos, msg);
	return -1;
}

static bool cron_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Read a number or a name at *p; 0 or -1 (err written). */
static int cron_value(const char *line, const char **p, int field, int *out, char *err, size_t errlen)
{
	const struct cron_field_def *fd = &cron_fields[field];
	const char *s = *p;
	size_t pos = (size_t)(s - line) + 1;

	if (isdigit((unsigned char)*s)) {
		long v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v < 100000)
				v = v * 10 + (*s - '0');
			s++;
		}
		if (v < fd->lo || v > fd->hi) {
			int len = (int)(s - *p);
			return cron_err(err, errlen, pos, field, "value %.*s out of range %d-%d",
					len > 20 ? 20 : len, *p, fd->lo, fd->hi);
		}
		*out = (int)v;
		*p = s;
		return 0;
	}
	if (isalpha((unsigned char)*s)) {
		size_t len = 0;
		while (isalpha((unsigned char)s[len]))
			len++;
		if (fd->names == NULL)
			return cron_err(err, errlen, pos, field, "expected a number %d-%d, got '%.*s'",
					fd->lo, fd->hi, (int)(len > 20 ? 20 : len), s);
		for (int i = 0; fd->names[i] != NULL; i++) {
			if (len == 3 && strncasecmp(s, fd->names[i], 3) == 0) {
				*out = fd->names_base + i;
				*p = s + len;
				return 0;
			}
		}
		return cron_err(err, errlen, pos, field, "unknown name '%.*s' (expected %d-%d or %s)",
				(int)(len > 20 ? 20 : len), s, fd->lo, fd->hi, fd->names_hint);
	}
	if (*s == '\0' || cron_blank(*s))
		return cron_err(err, errlen, pos, field, "expected a value (a number %d-%d%s%s or '*')",
				fd->lo, fd->hi, fd->names ? ", a name " : "",
				fd->names ? fd->names_hint : "");
	return cron_err(err, errlen, pos, field, "unexpected '%c', expected a number %d-%d%s%s or '*'", *s,
			fd->lo, fd->hi, fd->names ? ", a name " : "", fd->names ? fd->names_hint : "");
}

/* Parse one field (text up to a blank) into *bits; 0 or -1. */
static int cron_field_parse(const char *line, const char **p, int field, uint64_t *bits, char *err,
			    size_t errlen)
{
	const struct cron_field_def *fd = &cron_fields[field];
	const char *s = *p;

	*bits = 0;
	for (;;) {
		int lo, hi, step = 1;
		size_t item_pos = (size_t)(s - line) + 1;
		bool star = false;

		if (*s == '*') {
			lo = fd->star_lo;
			hi = fd->star_hi;
			star = true;
			s++;
		} else {
			if (cron_value(line, &s, field, &lo, err, errlen) < 0)
				return -1;
			hi = lo;
			if (*s == '-') {
				s++;
				if (cron_value(line, &s, field, &hi, err, errlen) < 0)
					return -1;
				if (hi < lo)
					return cron_err(err, errlen, item_pos, field,
							"range %d-%d is reversed (expected start <= end)", lo,
							hi);
			}
		}
		if (*s == '/') {
			size_t step_pos = (size_t)(s - line) + 2;
			int span = fd->star_hi - fd->star_lo + 1;
			long v = 0;

			s++;
			if (!isdigit((unsigned char)*s))
				return cron_err(err, errlen, step_pos, field,
						"expected a step number after '/'");
			while (isdigit((unsigned char)*s)) {
				if (v < 100000)
					v = v * 10 + (*s - '0');
				s++;
			}
			if (v < 1 || v > span)
				return cron_err(err, errlen, step_pos, field, "step %ld out of range 1-%d", v,
						span);
			step = (int)v;
			/* "5/15" means "5-MAX/15", as in cronie. */
			if (!star && hi == lo)
				hi = fd->hi;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << (field == CF_WDAY && v == 7 ? 0 : v);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\0' || cron_blank(*s))
			break;
		return cron_err(err, errlen, (size_t)(s - line) + 1, field,
				"unexpected '%c', expected ',', '-', '/' or the end of the field", *s);
	}
	*p = s;
	return 0;
}

static const char *cron_skip_blanks(const char *s)
{
	while (cron_blank(*s))
		s++;
	return s;
}

static int cron_parse_fields(const char *line, struct cron *out, char *err, size_t errlen)
{
	const char *s = cron_skip_blanks(line);
	struct cron c;
	uint64_t bits[CF_COUNT];

	memset(&c, 0, sizeof(c));
	if (*s == '\0')
		return cron_err(err, errlen, (size_t)(s - line) + 1, -1,
				"empty cron line (" CRON_EXPECT_FIELDS ")");
	for (int f = 0; f < CF_COUNT; f++) {
		s = cron_skip_blanks(s);
		if (*s == '\0')
			return cron_err(err, errlen, (size_t)(s - line) + 1, f, "missing field (%s)",
					CRON_EXPECT_FIELDS);
		if (f == CF_MDAY)
			c.mday_star = *s == '*';
		if (f == CF_WDAY)
			c.wday_star = *s == '*';
		if (cron_field_parse(line, &s, f, &bits[f], err, errlen) < 0)
			return -1;
	}
	s = cron_skip_blanks(s);
	if (*s != '\0')
		return cron_err(err, errlen, (size_t)(s - line) + 1, -1, "unexpected 6th field (%s)",
				CRON_EXPECT_FIELDS);
	c.minute = bits[CF_MINUTE];
	c.hour = (uint32_t)bits[CF_HOUR];
	c.mday = (uint32_t)bits[CF_MDAY];
	c.month = (uint16_t)bits[CF_MONTH];
	c.wday = (uint8_t)bits[CF_WDAY];
	*out = c;
	return 0;
}

int cron_parse(const char *line, struct cron *out, char *err, size_t errlen)
{
	const char *s;

	if (line == NULL)
		return cron_err(err, errlen, 1, -1, "empty cron line (" CRON_EXPECT_FIELDS ")");
	s = cron_skip_blanks(line);
	if (*s == '@') {
		size_t len = 0, pos = (size_t)(s - line) + 1;
		const char *rest;

		while (s[len] != '\0' && !cron_blank(s[len]))
			len++;
		rest = cron_skip_blanks(s + len);
		for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++) {
			if (strlen(cron_macros[i].name) == len &&
			    strncasecmp(s, cron_macros[i].name, len) == 0) {
				if (*rest != '\0')
					return cron_err(err, errlen, (size_t)(rest - line) + 1, -1,
							"unexpected text after %s (expected nothing)",
							cron_macros[i].name);
				return cron_parse_fields(cron_macros[i].line, out, err, errlen);
			}
		}
		return cron_err(
		    err, errlen, pos, -1,
		    "unknown macro '%.*s' (expected @hourly, @daily, @midnight, @weekly, @monthly, "
		    "@yearly or @annually)",
		    (int)(len > 20 ? 20 : len), s);
	}
	return cron_parse_fields(line, out, err, errlen);
}

/* ---- next occurrence ---------------------------------------------------- */

#define CRON_MIN 60LL
#define CRON_HOUR 3600LL
#define CRON_DAY 86400LL
/* Largest local-offset change at one transition we must see past (tzdata max is 2 h). */
#define CRON_SLACK (3 * CRON_HOUR)
/* Bound on the search: 5 years of 366 days, plus a day. */
#define CRON_HORIZON ((5 * 366 + 1) * CRON_DAY)
/* Beyond this (year 9999) we do not compute. */
#define CRON_MAX_T 253402300799LL

static bool cron_day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = (c->mday >> tm->tm_mday) & 1;
	bool dow = (c->wday >> tm->tm_wday) & 1;

	if (c->mday_star || c->wday_star)
		return dom && dow;
	return dom || dow;
}

/* Wall time w (timegm-encoded, minute aligned) to tm fields. */
static void cron_wall_tm(long long w, struct tm *tm)
{
	time_t t = (time_t)w;
	gmtime_r(&t, tm);
}

static long long cron_wall_make(int year, int mon, int mday, int hour, int min)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	return (long long)timegm(&tm);
}

/* The first matching wall minute >= w, or -1 when past `limit`. Pure calendar. */
static long long cron_next_wall(const struct cron *c, long long w, long long limit)
{
	struct tm tm;

	while (w <= limit) {
		cron_wall_tm(w, &tm);
		if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
			w = cron_wall_make(tm.tm_year, tm.tm_mon + 1, 1, 0, 0);
			continue;
		}
		if (!cron_day_matches(c, &tm)) {
			w = cron_wall_make(tm.tm_year, tm.tm_mon, tm.tm_mday + 1, 0, 0);
			continue;
		}
		if (!((c->hour >> tm.tm_hour) & 1)) {
			w = cron_wall_make(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour + 1, 0);
			continue;
		}
		if (!((c->minute >> tm.tm_min) & 1)) {
			w += CRON_MIN;
			continue;
		}
		return w;
	}
	return -1;
}

static long long cron_gmtoff(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/*
 * Resolve wall time w to real instants. Fills inst[] (ascending, at most 2)
 * and returns how many; 0 means w is in a gap, and *gap_end is then the first
 * instant after the gap.
 */
static int cron_resolve(long long w, long long inst[2], long long *gap_end)
{
	long long offs[3] = {cron_gmtoff(w - CRON_DAY), cron_gmtoff(w), cron_gmtoff(w + CRON_DAY)};
	long long lo_off = offs[0], hi_off = offs[0];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		long long t = w - offs[i];
		bool dup = false;

		if (offs[i] < lo_off)
			lo_off = offs[i];
		if (offs[i] > hi_off)
			hi_off = offs[i];
		for (int j = 0; j < n; j++)
			dup |= inst[j] == t;
		if (dup || n == 2 || cron_gmtoff(t) != offs[i])
			continue;
		inst[n++] = t;
	}
	if (n == 2 && inst[0] > inst[1]) {
		long long t = inst[0];
		inst[0] = inst[1];
		inst[1] = t;
	}
	if (n == 0) {
		/* Binary search the first instant whose wall time passes w. */
		long long a = w - hi_off, b = w - lo_off; /* wall(a) < w <= ... wall(b) > w */
		while (a + 1 < b) {
			long long m = a + (b - a) / 2;
			if (m + cron_gmtoff(m) > w)
				b = m;
			else
				a = m;
		}
		*gap_end = b;
	}
	return n;
}

time_t cron_next(const struct cron *c, time_t after)
{
	long long a = (long long)after, start, limit, best = -1, best_wall = 0;
	bool frequent = (c->hour & 0xffffffu) == 0xffffffu;

	if (a < -CRON_MAX_T || a > CRON_MAX_T - CRON_HORIZON - CRON_DAY)
		return (time_t)-1;
	if (c->minute == 0 || c->hour == 0 || c->month == 0 || (c->mday == 0 && c->wday == 0))
		return (time_t)-1;
	/*
	 * When the offset changes within the next few hours (a fall-back), wall
	 * times earlier than after's own can still lie ahead in real time: start
	 * a little before it. Otherwise start at after's wall minute.
	 */
	start = a + cron_gmtoff(a);
	if (cron_gmtoff(a + CRON_SLACK) != cron_gmtoff(a))
		start -= CRON_SLACK;
	start -= ((start % CRON_MIN) + CRON_MIN) % CRON_MIN;
	limit = a + cron_gmtoff(a) + CRON_HORIZON;
	for (long long w = cron_next_wall(c, start, limit); w >= 0;
	     w = cron_next_wall(c, w + CRON_MIN, limit)) {
		long long inst[2], gap_end = 0;
		int n;

		/* Once something is found, later walls can only win within the slack. */
		if (best >= 0 && w > best_wall + CRON_SLACK)
			break;
		n = cron_resolve(w, inst, &gap_end);
		if (n == 0) {
			if (frequent)
				continue;
			inst[0] = gap_end;
			n = 1;
		} else if (!frequent) {
			n = 1; /* fixed-time: only the first instant of a repeated wall time */
		}
		for (int i = 0; i < n; i++) {
			if (inst[i] > a && (best < 0 || inst[i] < best)) {
				if (best < 0)
					best_wall = w;
				best = inst[i];
			}
		}
		/*
		 * A later wall time can only be an earlier instant when the offset
		 * fell within the slack before best; if it did not, best is final.
		 */
		if (best >= 0 && cron_gmtoff(best - CRON_SLACK) == cron_gmtoff(best))
			break;
	}
	return best < 0 ? (time_t)-1 : (time_t)best;
}
