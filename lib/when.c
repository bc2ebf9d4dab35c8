/*
 * when.c — the one time grammar (see when.h): absolute dates and times with
 * or without a zone, epoch seconds, now/today/yesterday and times relative to
 * now. Every caller (tv_parse_time, engine_parse_time, the config's until=,
 * the search language) parses through when_parse, so one form works in all.
 */
#include "when.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct when_unit {
	const char *name;
	int64_t secs;
} when_units[] = {
    {"s", 1},	    {"sec", 1},	     {"second", 1}, {"seconds", 1},   {"m", 60},	 {"min", 60},
    {"minute", 60}, {"minutes", 60}, {"h", 3600},   {"hour", 3600},   {"hours", 3600},	 {"d", 86400},
    {"day", 86400}, {"days", 86400}, {"w", 604800}, {"week", 604800}, {"weeks", 604800},
};

int64_t when_unit_secs(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(when_units) / sizeof(when_units[0]); i++)
		if (strlen(when_units[i].name) == len && strncasecmp(s, when_units[i].name, len) == 0)
			return when_units[i].secs;
	return 0;
}

static bool when_in_range(int64_t ms)
{
	return ms >= -WHEN_MAX_MS && ms <= WHEN_MAX_MS;
}

static bool when_point(int64_t ms, struct when *out)
{
	if (!when_in_range(ms))
		return false;
	out->start_ms = ms;
	out->end_ms = ms + 1;
	return true;
}

/*
 * A decimal number "12" or "1.5" at *s (no sign, exponent, inf or nan), in
 * thousandths, at most max thousandths. Advances *s.
 */
static bool when_number(const char **s, int64_t max, int64_t *milli)
{
	const char *p = *s;
	int64_t v = 0, frac = 0, scale = 1000;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > max / 1000)
			return false;
	}
	v *= 1000;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		for (; isdigit((unsigned char)*p); p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (v + frac > max)
		return false;
	*s = p;
	*milli = v + frac;
	return true;
}

/* Read 1..max digits (exactly n when min == max) at *s. */
static bool when_digits(const char **s, int min, int max, int *out)
{
	int v = 0, n = 0;

	while (n < max && isdigit((unsigned char)(*s)[n])) {
		v = v * 10 + ((*s)[n] - '0');
		n++;
	}
	if (n < min)
		return false;
	*s += n;
	*out = v;
	return true;
}

static int when_days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

/* Epoch seconds of a calendar time: local (mktime, DST-aware) or UTC. Fields may overflow
 * (day 32 is the 1st of the next month). */
static int64_t when_mktime(int y, int mo, int d, int h, int mi, int sec, bool utc)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	return (int64_t)(utc ? timegm(&tm) : mktime(&tm));
}

/* A zone after a time: "Z", "+01:00", "-0530", "+01" (blanks before it allowed). 1 with *off
 * seconds east, 0 none (s at its end), -1 something else. */
static int when_zone(const char *s, int64_t *off)
{
	int h, m = 0;
	char sign;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
		*off = 0;
		return 1;
	}
	sign = *s++;
	if ((sign != '+' && sign != '-') || !when_digits(&s, 2, 2, &h))
		return -1;
	if (*s == ':')
		s++;
	if (*s != '\0' && !when_digits(&s, 2, 2, &m))
		return -1;
	if (*s != '\0' || h > 23 || m > 59)
		return -1;
	*off = (h * 3600 + m * 60) * (sign == '-' ? -1 : 1);
	return 1;
}

/* "2026-11-23", "2026-11-23 14:00[:SS[.fff]]" or with T, then an optional zone. */
static bool when_absolute(const char *s, struct when *out)
{
	enum { P_DAY, P_MIN, P_SEC, P_POINT } prec = P_DAY;
	int y, mo, d, h = 0, mi = 0, sec = 0, z;
	int64_t off = 0, t0, t1, frac = 0;

	if (!when_digits(&s, 4, 4, &y) || *s++ != '-' || !when_digits(&s, 1, 2, &mo) || *s++ != '-' ||
	    !when_digits(&s, 1, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > when_days_in(y, mo))
		return false;
	if ((*s == ' ' || *s == 'T' || *s == 't') && isdigit((unsigned char)s[1])) {
		s++;
		if (!when_digits(&s, 1, 2, &h) || *s++ != ':' || !when_digits(&s, 2, 2, &mi))
			return false;
		prec = P_MIN;
		if (*s == ':') {
			s++;
			if (!when_digits(&s, 2, 2, &sec))
				return false;
			prec = P_SEC;
			if (*s == '.') { /* milliseconds; further digits are dropped */
				s++;
				if (!isdigit((unsigned char)*s))
					return false;
				for (int64_t scale = 100; isdigit((unsigned char)*s); s++, scale /= 10)
					frac += (*s - '0') * scale;
				prec = P_POINT;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return false;
	}
	z = when_zone(s, &off);
	if (z < 0)
		return false;
	t0 = when_mktime(y, mo, d, h, mi, sec, z == 1) - off;
	if (prec == P_DAY)
		t1 = when_mktime(y, mo, d + 1, 0, 0, 0, z == 1) - off;
	else
		t1 = t0 + (prec == P_MIN ? 60 : 1);
	if (!when_in_range(t0 * 1000) || !when_in_range(t1 * 1000))
		return false;
	out->start_ms = t0 * 1000 + frac;
	out->end_ms = prec == P_POINT ? out->start_ms + 1 : t1 * 1000;
	return true;
}

/* "+5m", "-2 hours", "3 days ago", and with WHEN_AGE a bare "7d". */
static bool when_relative(const char *s, int64_t now_ms, int flags, struct when *out)
{
	int sign = 0;
	int64_t milli, unit = 1;
	size_t ulen = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '+' ? 1 : -1;
	if (!when_number(&s, WHEN_MAX_MS * 2, &milli))
		return false;
	while (*s == ' ')
		s++;
	while (isalpha((unsigned char)s[ulen]))
		ulen++;
	if (ulen > 0 && !(ulen == 3 && strncasecmp(s, "ago", 3) == 0)) {
		unit = when_unit_secs(s, ulen);
		if (unit == 0)
			return false;
		s += ulen;
		while (*s == ' ')
			s++;
	} else if (sign == 0) {
		return false; /* no unit: a bare number is epoch seconds */
	}
	if (sign == 0 && strcasecmp(s, "ago") == 0) {
		sign = -1;
		s += 3;
	}
	if (*s != '\0')
		return false;
	if (sign == 0) {
		if (!(flags & WHEN_AGE))
			return false;
		sign = -1;
	}
	if (milli > (WHEN_MAX_MS * 2) / unit)
		return false;
	return when_point(now_ms + sign * milli * unit, out);
}

/* "now", "today", "yesterday". */
static bool when_word(const char *s, int64_t now_ms, struct when *out)
{
	time_t now = (time_t)(now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000));
	struct tm tm;
	int back;

	if (strcasecmp(s, "now") == 0)
		return when_point(now_ms, out);
	if (strcasecmp(s, "today") == 0)
		back = 0;
	else if (strcasecmp(s, "yesterday") == 0)
		back = 1;
	else
		return false;
	if (localtime_r(&now, &tm) == NULL)
		return false;
	out->start_ms =
	    when_mktime(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - back, 0, 0, 0, false) * 1000;
	out->end_ms =
	    when_mktime(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - back + 1, 0, 0, 0, false) * 1000;
	return true;
}

/* "1795442400", "@1795442400.5". */
static bool when_epoch(const char *s, struct when *out)
{
	int64_t milli;
	bool at = *s == '@';

	if (at)
		s++;
	if (!when_number(&s, WHEN_MAX_MS, &milli) || *s != '\0')
		return false;
	return when_point(milli, out);
}

int when_parse(const char *s, int64_t now_ms, int flags, struct when *out)
{
	char buf[128];
	size_t len;
	struct when w;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (when_word(buf, now_ms, &w) || when_epoch(buf, &w) || when_absolute(buf, &w) ||
	    when_relative(buf, now_ms, flags, &w)) {
		*out = w;
		return 0;
	}
	return -1;
}
