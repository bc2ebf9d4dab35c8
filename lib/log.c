/*
 * log.c — the one log module: level filter, optional timestamps, a file that
 * can be reopened for logrotate, and a limit on repeated lines. Never exits
 * except in fatal()/fatalx().
 *
 * Repeats: a line identical to the one before it (same level, same text) is
 * not written but counted, as syslogd does; the count is written as "last
 * message repeated N times" before the next different line, at log_flush(),
 * and at least every LOG_REPEAT_EVERY seconds while the repeats go on. A loop
 * that logs the same failure millions of times a second thus writes a line
 * every half minute instead of filling the disk.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "taskvisor";
static enum log_level log_lvl = LOG_LVL_INFO;
static int log_stamps = 1;
static int log_echo;
static FILE *log_fp;
static char *log_path;
static int log_syslog;	       /* log_open_syslog() was called: lines go to syslog */
static long long log_maxbytes; /* rotate the file past this size; 0 = never */
static int log_backups;	       /* keep this many rotated files (.1 ... .N); 0 = truncate */
static mode_t log_file_mode = 0600;
static gid_t log_file_gid = (gid_t)-1;

#define LOG_REPEAT_EVERY 30.0 /* seconds between two "repeated" lines of one endless run */

/* The last line written, to recognise a repeat. */
static struct {
	bool set;
	enum log_level lvl;
	char text[4096 + 256]; /* the message, with strerror appended for log_warn */
	unsigned long repeats; /* identical lines not written since */
	double since;	       /* when the first of them came */
} log_last;

static double log_clock_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double (*log_clock)(void) = log_clock_real;

static void log_repeats_out(void);

static const char *const log_names[] = {"CRIT", "ERROR", "WARN", "INFO", "DEBG", "TRAC"};

void log_init(const char *progname, enum log_level level, int timestamps)
{
	log_prog = progname;
	log_lvl = level;
	log_stamps = timestamps;
}

void log_set_file_perms(mode_t mode, gid_t gid)
{
	log_file_mode = mode;
	log_file_gid = gid;
}

int log_open_append(const char *path, mode_t mode, gid_t gid, bool trunc)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0);
	int fd = open(path, flags | O_CREAT | O_EXCL, mode);

	if (fd >= 0) {
		if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return open(path, flags); /* an existing file keeps the mode the operator gave it */
}

int log_open_file(const char *path)
{
	int fd = log_open_append(path, log_file_mode, log_file_gid, false);
	if (fd < 0)
		return -1;
	char *keep = path != log_path ? strdup(path) : NULL;
	if (path != log_path && keep == NULL) {
		close(fd);
		return -1; /* errno ENOMEM: without the path SIGUSR2 could not reopen it */
	}
	FILE *fp = fdopen(fd, "a");
	if (fp == NULL) {
		free(keep);
		close(fd);
		return -1;
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	if (path != log_path) {
		free(log_path);
		log_path = keep;
	}
	return 0;
}

int log_reopen(void)
{
	log_repeats_out(); /* the count belongs to the file the repeats went to */
	if (log_path == NULL)
		return 0;
	return log_open_file(log_path);
}

void log_set_level(enum log_level level)
{
	log_lvl = level;
}
void log_set_echo(int on)
{
	log_echo = on;
}
enum log_level log_get_level(void)
{
	return log_lvl;
}

const char *log_level_name(enum log_level level)
{
	static const char *const lower[] = {"critical", "error", "warn", "info", "debug", "trace"};
	return (unsigned)level <= LOG_LVL_TRACE ? lower[level] : "?";
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} tab[] = {
	    {"critical", LOG_LVL_CRIT}, {"error", LOG_LVL_ERROR},   {"warn", LOG_LVL_WARN},
	    {"warning", LOG_LVL_WARN},	{"info", LOG_LVL_INFO},	    {"debug", LOG_LVL_DEBUG},
	    {"trace", LOG_LVL_TRACE},	{"blather", LOG_LVL_TRACE},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(s, tab[i].name) == 0) {
			*out = tab[i].lvl;
			return 0;
		}
	return -1;
}

static void log_write(FILE *fp, enum log_level lvl, const char *text)
{
	if (log_stamps) {
		struct timeval tv;
		struct tm tm;
		char ts[32];
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(fp, "%s,%03ld %s %s: %s\n", ts, (long)(tv.tv_usec / 1000), log_names[lvl], log_prog,
			text);
	} else {
		fprintf(fp, "%s: %s\n", log_prog, text);
	}
}

void log_open_syslog(void)
{
	openlog(log_prog, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void log_set_rotation(long long maxbytes, int backups)
{
	log_maxbytes = maxbytes;
	log_backups = backups;
}

/* supervisord's RotatingFileHandler.doRollover: past maxbytes, NAME.(i) -> NAME.(i+1) down to
 * NAME -> NAME.1, then a new NAME (truncated when no backups are kept). */
static void log_rotate_check(void)
{
	char from[4096], to[4096];
	long pos;

	if (log_fp == NULL || log_path == NULL || log_maxbytes <= 0)
		return;
	pos = ftell(log_fp);
	if (pos < 0 || pos < log_maxbytes)
		return;
	if (log_backups > 0) {
		for (int i = log_backups - 1; i > 0; i--) {
			snprintf(from, sizeof(from), "%s.%d", log_path, i);
			snprintf(to, sizeof(to), "%s.%d", log_path, i + 1);
			rename(from, to); /* a missing one is not an error */
		}
		snprintf(to, sizeof(to), "%s.1", log_path);
		rename(log_path, to);
	}
	int fd = log_open_append(log_path, log_file_mode, log_file_gid, true);
	FILE *fp = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (fp == NULL) {
		if (fd >= 0)
			close(fd);
		return; /* keep writing to the old stream */
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	fclose(log_fp);
	log_fp = fp;
}

static void log_out(enum log_level lvl, const char *text)
{
	static const int prio[] = {LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG};

	if (log_syslog) {
		syslog(prio[lvl], "%s", text);
		if (log_echo)
			log_write(stderr, lvl, text);
		return;
	}
	log_write(log_fp != NULL ? log_fp : stderr, lvl, text);
	log_rotate_check();
	if (log_fp != NULL && log_echo)
		log_write(stderr, lvl, text);
}

/* Write "last message repeated N times" for the repeats counted so far. */
static void log_repeats_out(void)
{
	char text[64];

	if (log_last.repeats == 0)
		return;
	snprintf(text, sizeof(text), "last message repeated %lu time%s", log_last.repeats,
		 log_last.repeats == 1 ? "" : "s");
	log_last.repeats = 0;
	log_out(log_last.lvl, text);
}

static void log_vemit(enum log_level lvl, int with_errno, int saved, const char *fmt, va_list ap)
{
	char text[sizeof(log_last.text)];
	int n;

	if (lvl > log_lvl)
		return;
	n = vsnprintf(text, 4096, fmt, ap);
	if (n < 0)
		text[0] = '\0';
	if (with_errno) {
		size_t len = strlen(text);
		snprintf(text + len, sizeof(text) - len, ": %s", strerror(saved));
	}
	if (lvl != LOG_LVL_CRIT && log_last.set && log_last.lvl == lvl && strcmp(log_last.text, text) == 0) {
		double now = log_clock();
		if (log_last.repeats++ == 0)
			log_last.since = now;
		else if (now - log_last.since >= LOG_REPEAT_EVERY) {
			log_repeats_out();
			log_last.since = now;
		}
		return;
	}
	log_repeats_out();
	log_out(lvl, text);
	log_last.set = true;
	log_last.lvl = lvl;
	memcpy(log_last.text, text, strlen(text) + 1);
}

void log_flush(void)
{
	log_repeats_out();
	if (log_fp != NULL)
		fflush(log_fp);
}

void log_set_clock(double (*now)(void))
{
	log_clock = now != NULL ? now : log_clock_real;
}

#define LOG_BODY(lvl, with_errno)                                                                            \
	do {                                                                                                 \
		int saved = errno;                                                                           \
		va_list ap;                                                                                  \
		va_start(ap, fmt);                                                                           \
		log_vemit(lvl, with_errno, saved, fmt, ap);                                                  \
		va_end(ap);                                                                                  \
		errno = saved;                                                                               \
	} while (0)

void log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 1);
}
void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 0);
}
void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, 0);
}
void log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, 0);
}
void log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, 0);
}

void fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_CRIT, 1);
	log_flush();
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_CRIT, 0);
	log_flush();
	exit(1);
}
