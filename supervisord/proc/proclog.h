/*
 * proclog.h — capture of a child's stdout/stderr: a non-blocking pipe reader
 * (libev io watcher) feeding a log file rotated by size like supervisord
 * (NAME.log, NAME.log.1 … NAME.log.N), optionally with a timestamp per line.
 *
 * It never blocks the loop and never fails the process it serves: a log file
 * that cannot be written is reported once and the data dropped.
 */
#ifndef TV_PROCLOG_H
#define TV_PROCLOG_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

struct proclog;	     /* one log file */
struct proclog_pipe; /* one pipe read end feeding a proclog */

/* Open path for appending (creating its directory). path NULL = discard everything.
 * maxbytes 0 = never rotate; backups 0 = truncate instead of keeping old files. */
struct proclog *proclog_open(const char *path, long long maxbytes, int backups, bool timestamps, char *err,
			     size_t errlen);
/* The same, creating a missing file with mode and group (gid_t -1: the daemon's); proclog_open
 * uses 0600. */
struct proclog *proclog_open_perms(const char *path, long long maxbytes, int backups, bool timestamps,
				   mode_t mode, gid_t gid, char *err, size_t errlen);
void proclog_free(struct proclog *l);
const char *proclog_path(const struct proclog *l); /* NULL when discarding */
/* supervisord's output options: syslog_name non-NULL sends each line to syslog as "NAME line"
 * too ([program:x] stdout_syslog=), strip_ansi drops ANSI escapes ([supervisord] strip_ansi=). */
void proclog_set_output(struct proclog *l, const char *syslog_name, bool strip_ansi);
/* Append captured bytes (timestamps and rotation applied). */
void proclog_write(struct proclog *l, const char *buf, size_t len);
/* Close and reopen the file (logrotate moved it away). 0 or -1. */
int proclog_reopen(struct proclog *l);
/* Empty the file (supervisorctl's clear): 0, or -1 with errno set. Discarding logs: 0. */
int proclog_clear(struct proclog *l);
/* Move the file and its backups aside: NAME.log -> NAME.log.1 ... (exposed for tests). */
void proclog_rotate(struct proclog *l);

/* Start reading fd (made non-blocking, owned from now on) into l. */
struct proclog_pipe *proclog_pipe_new(struct ev_loop *loop, int fd, struct proclog *l);
/* Also hand every chunk read to fn(arg, buf, len) (after it is logged); fn NULL: no more. */
void proclog_pipe_tap(struct proclog_pipe *pp, void (*fn)(void *arg, const char *buf, size_t len), void *arg);
/* Hand every chunk read to fn(arg, log, buf, len) INSTEAD of writing it to the log: fn writes what
 * it keeps (proclog_write). fn NULL: written to the log again. */
void proclog_pipe_filter(struct proclog_pipe *pp,
			 void (*fn)(void *arg, struct proclog *l, const char *buf, size_t len), void *arg);
/* Read whatever is still in the pipe, then close and free it. */
void proclog_pipe_close(struct proclog_pipe *pp);

/* mkdir -p. 0 or -1 (errno set). */
int proclog_mkdirs(const char *dir, mode_t mode);

#endif
