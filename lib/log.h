/*
 * log.h — the one log module every binary uses (OpenSMTPD's verbs).
 *
 * log_warn* append strerror(errno); the *x variants do not. fatal/fatalx exit
 * the process and are only for states that cannot happen; library code that
 * can fail returns an error instead. errno is saved and restored.
 */
#ifndef TV_LOG_H
#define TV_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum log_level { LOG_LVL_CRIT = 0, LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE };

/* Where log lines go: a FILE (default stderr) with the program's name as prefix. */
void log_init(const char *progname, enum log_level level, int timestamps);
int log_open_file(const char *path); /* append to path; -1 on error (errno set) */
int log_reopen(void);
/* Rotate the file given to log_open_file past maxbytes (0 = never), keeping backups old files
 * (NAME.1 ... NAME.N; 0 = truncate), as supervisord's logfile_maxbytes / logfile_backups. */
void log_set_rotation(long long maxbytes, int backups);
/* Send the lines to syslog (facility daemon) instead: supervisord's logfile=syslog. */
void log_open_syslog(void); /* reopen the file given to log_open_file (SIGUSR2) */
/* Mode and group (gid_t -1: the daemon's) of a log file log_open_file creates; 0600 by default.
 * A file that exists keeps its own. */
void log_set_file_perms(mode_t mode, gid_t gid);
/* Open path to append to (O_CLOEXEC; trunc empties it), creating it with mode and, when gid is
 * not -1, that group. The fd, or -1 with errno. Also for the programs' logs and the database. */
int log_open_append(const char *path, mode_t mode, gid_t gid, bool trunc);
void log_set_level(enum log_level level);
/* Also copy every line to stderr while a log file is open (the daemon in the foreground). */
void log_set_echo(int on);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *out); /* critical,error,warn,info,debug,trace,blather */
const char *log_level_name(enum log_level level);
/* Write the pending "last message repeated N times" now (at exit; see log.c). */
void log_flush(void);
/* Test seam: the monotonic clock (seconds) the repeat limiter reads; NULL = the real one. */
void log_set_clock(double (*now)(void));

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
