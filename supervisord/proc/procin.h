/*
 * procin.h — a child's stdin, as supervisord gives it: the write end of a pipe
 * whose read end is the child's fd 0. The daemon's end is CLOEXEC and
 * non-blocking; what cannot be written at once is queued, up to a cap, and
 * written when the pipe is writable again (an ev_io watcher), so a program that
 * does not read never blocks the daemon's loop.
 */
#ifndef TV_PROCIN_H
#define TV_PROCIN_H

#include <ev.h>
#include <stddef.h>

#define PROCIN_CAP (64 * 1024) /* bytes queued per process, at most */

enum procin_result {
	PROCIN_OK = 0,
	PROCIN_CLOSED, /* the child closed its stdin (EPIPE), or there is none */
	PROCIN_FULL,   /* the queue would pass PROCIN_CAP: nothing was taken */
	PROCIN_FAILED, /* another write error (errno set) */
};

struct procin;

/* Take fd (the pipe's write end; made non-blocking here). NULL when out of memory (fd closed). */
struct procin *procin_new(struct ev_loop *loop, int fd);
/* Write buf now, queue what the pipe does not take. All of it or nothing is accepted. */
enum procin_result procin_write(struct procin *pi, const char *buf, size_t len);
/* Bytes queued and not yet written. */
size_t procin_queued(const struct procin *pi);
/* Close the pipe (what is queued is dropped) and free. NULL is fine. */
void procin_close(struct procin *pi);

#endif
