/*
 * procin.c — writing to a child's stdin pipe without ever blocking: a write
 * goes out at once as far as the pipe takes it; the rest waits in a queue
 * (at most PROCIN_CAP bytes) that an ev_io watcher drains when the pipe is
 * writable. EPIPE (the child closed its stdin or exited) closes our end, as
 * supervisord's PInputDispatcher does; later writes answer PROCIN_CLOSED.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "procin.h"

struct procin {
	ev_io io;
	struct ev_loop *loop;
	int fd; /* -1 once closed */
	char *buf;
	size_t len; /* queued bytes at buf */
};

/* Write from the queue; 0, or -1 with errno (EPIPE: the reader is gone). */
static int procin_flush(struct procin *pi)
{
	while (pi->len > 0) {
		ssize_t n = write(pi->fd, pi->buf, pi->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		memmove(pi->buf, pi->buf + n, pi->len - (size_t)n);
		pi->len -= (size_t)n;
	}
	if (pi->len > 0 && !ev_is_active(&pi->io))
		ev_io_start(pi->loop, &pi->io);
	else if (pi->len == 0 && ev_is_active(&pi->io))
		ev_io_stop(pi->loop, &pi->io);
	return 0;
}

static void procin_shut(struct procin *pi)
{
	if (ev_is_active(&pi->io))
		ev_io_stop(pi->loop, &pi->io);
	if (pi->fd >= 0)
		close(pi->fd);
	pi->fd = -1;
	pi->len = 0;
}

static void procin_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct procin *pi = w->data;

	(void)loop;
	(void)revents;
	if (procin_flush(pi) < 0) {
		if (errno != EPIPE)
			log_warn("stdin pipe");
		procin_shut(pi);
	}
}

struct procin *procin_new(struct ev_loop *loop, int fd)
{
	struct procin *pi = calloc(1, sizeof(*pi));
	int fl = fcntl(fd, F_GETFL);

	if (pi == NULL || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		free(pi);
		close(fd);
		return NULL;
	}
	pi->loop = loop;
	pi->fd = fd;
	ev_io_init(&pi->io, procin_writable, fd, EV_WRITE);
	pi->io.data = pi;
	return pi;
}

enum procin_result procin_write(struct procin *pi, const char *buf, size_t len)
{
	if (pi == NULL || pi->fd < 0)
		return PROCIN_CLOSED;
	if (len > PROCIN_CAP - pi->len) {
		/* the pipe may have room by now: try the queue before refusing */
		if (procin_flush(pi) < 0)
			goto failed;
		if (len > PROCIN_CAP - pi->len)
			return PROCIN_FULL;
	}
	if (pi->buf == NULL) {
		pi->buf = malloc(PROCIN_CAP);
		if (pi->buf == NULL)
			return PROCIN_FAILED;
	}
	memcpy(pi->buf + pi->len, buf, len);
	pi->len += len;
	if (procin_flush(pi) < 0)
		goto failed;
	return PROCIN_OK;
failed:;
	int e = errno;
	procin_shut(pi);
	errno = e;
	return e == EPIPE ? PROCIN_CLOSED : PROCIN_FAILED;
}

size_t procin_queued(const struct procin *pi)
{
	return pi == NULL ? 0 : pi->len;
}

void procin_close(struct procin *pi)
{
	if (pi == NULL)
		return;
	procin_shut(pi);
	free(pi->buf);
	free(pi);
}
