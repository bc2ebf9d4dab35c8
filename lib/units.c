/*
 * units.c — value parsers shared by the configuration loader and the client
 * (booleans, integers, durations, sizes, signals, octal modes). Pure functions:
 * no allocation, no global state.
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copy s without surrounding blanks into buf; -1 when it does not fit. */
static int units_trim(const char *s, char *buf, size_t len)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= len)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static void units_err(char *err, size_t errlen, const char *what, const char *s)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: \"%.64s\"", what, s);
}

int units_bool(const char *s, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char buf[16];

	if (units_trim(s, buf, sizeof(buf)) == 0) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcasecmp(buf, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(buf, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	units_err(err, errlen, "not a boolean (true/false)", s);
	return -1;
}

int units_int(const char *s, long long min, long long max, long long *out, char *err, size_t errlen)
{
	char buf[64], *end;

	if (units_trim(s, buf, sizeof(buf)) != 0 || buf[0] == '\0') {
		units_err(err, errlen, "not a number", s);
		return -1;
	}
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (*end != '\0' || end == buf) {
		units_err(err, errlen, "not a number", s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of range (%lld..%lld): \"%.64s\"", min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int units_duration(const char *s, long long *out, char *err, size_t errlen)
{
	static const struct {
		char c;
		long long secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	char buf[64];
	long long total = 0;
	int parts = 0;
	const char *p;

	if (units_trim(s, buf, sizeof(buf)) != 0 || buf[0] == '\0')
		goto bad;
	p = buf;
	while (*p != '\0') {
		char *end;
		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (errno == ERANGE)
			goto range;
		p = end;
		long long mul = 0;
		if (*p == '\0') {
			if (parts != 0)
				goto bad; /* "1h30" is ambiguous */
			mul = 1;	  /* a bare number is seconds */
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (tolower((unsigned char)*p) == units[i].c)
					mul = units[i].secs;
			if (mul == 0)
				goto bad;
			p++;
		}
		if (v > LLONG_MAX / mul || total > LLONG_MAX - v * mul)
			goto range;
		total += v * mul;
		parts++;
	}
	*out = total;
	return 0;
bad:
	units_err(err, errlen, "not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m)", s);
	return -1;
range:
	units_err(err, errlen, "duration too large", s);
	return -1;
}

int units_size(const char *s, long long *out, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		long long mul;
	} units[] = {
	    {"", 1},	       {"b", 1},	   {"k", 1LL << 10},
	    {"kb", 1LL << 10}, {"kib", 1LL << 10}, {"m", 1LL << 20},
	    {"mb", 1LL << 20}, {"mib", 1LL << 20}, {"g", 1LL << 30},
	    {"gb", 1LL << 30}, {"gib", 1LL << 30}, {"t", 1LL << 40},
	    {"tb", 1LL << 40}, {"tib", 1LL << 40},
	};
	char buf[64], *end;

	if (units_trim(s, buf, sizeof(buf)) != 0 || !isdigit((unsigned char)buf[0]))
		goto bad;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno == ERANGE)
		goto range;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (v > LLONG_MAX / units[i].mul)
			goto range;
		*out = v * units[i].mul;
		return 0;
	}
bad:
	units_err(err, errlen, "not a size (e.g. 1024, 50KB, 512MB, 1GB)", s);
	return -1;
range:
	units_err(err, errlen, "size too large", s);
	return -1;
}

static const struct {
	const char *name;
	int sig;
} units_signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},	   {"IOT", SIGABRT},  {"BUS", SIGBUS},	   {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1},	   {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM},	   {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},	   {"TTOU", SIGTTOU}, {"URG", SIGURG},	   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},	   {"SYS", SIGSYS},
};

int units_signal(const char *s, int *out, char *err, size_t errlen)
{
	char buf[32];
	const char *name;

	if (units_trim(s, buf, sizeof(buf)) != 0 || buf[0] == '\0')
		goto bad;
	if (isdigit((unsigned char)buf[0])) {
		long long v;
		if (units_int(buf, 1, 64, &v, NULL, 0) != 0)
			goto bad;
		*out = (int)v;
		return 0;
	}
	name = buf;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(units_signals) / sizeof(units_signals[0]); i++)
		if (strcasecmp(name, units_signals[i].name) == 0) {
			*out = units_signals[i].sig;
			return 0;
		}
bad:
	units_err(err, errlen, "not a signal name or number", s);
	return -1;
}

const char *units_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(units_signals) / sizeof(units_signals[0]); i++)
		if (units_signals[i].sig == sig)
			return units_signals[i].name;
	return NULL;
}

int units_octal(const char *s, long max, long *out, char *err, size_t errlen)
{
	char buf[32], *p, *end;

	if (units_trim(s, buf, sizeof(buf)) != 0 || buf[0] == '\0')
		goto bad;
	p = buf;
	if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		p += 2;
	if (*p < '0' || *p > '7')
		goto bad;
	errno = 0;
	long v = strtol(p, &end, 8);
	if (*end != '\0' || errno == ERANGE)
		goto bad;
	if (v > max) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of range (0..0%lo): \"%.64s\"", max, s);
		return -1;
	}
	*out = v;
	return 0;
bad:
	units_err(err, errlen, "not an octal number", s);
	return -1;
}
