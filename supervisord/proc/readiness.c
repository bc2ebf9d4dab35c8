/*
 * readiness.c — the NOTIFY_SOCKET datagram socket and the sd_notify message
 * parser. It reports what was said and by which pid; deciding what that means
 * for a process (RUNNING, a watchdog restart) is proc.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "readiness.h"

struct readiness {
	struct ev_loop *loop;
	ev_io io;
	int fd;
	readiness_cb cb;
	void *arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

__attribute__((format(printf, 3, 4))) static void readiness_err(char *err, size_t errlen, const char *fmt,
								...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A decimal number that is the whole of s; 0 / -1. */
static int readiness_number(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int readiness_parse(char *buf, size_t len, struct readiness_event *ev)
{
	ev->ready = ev->reloading = ev->stopping = ev->watchdog = ev->watchdog_trigger = false;
	ev->watchdog_usec = 0;
	ev->status = NULL;
	ev->mainpid = 0;
	ev->errnum = -1;
	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return -1;
	buf[len] = '\0';
	int known = 0;
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		char *eq = strchr(line, '=');
		if (eq != NULL) {
			*eq = '\0';
			const char *k = line, *v = eq + 1;
			long long n;
			if (strcmp(k, "READY") == 0) {
				ev->ready = strcmp(v, "1") == 0;
				known++;
			} else if (strcmp(k, "RELOADING") == 0) {
				ev->reloading = strcmp(v, "1") == 0;
				known++;
			} else if (strcmp(k, "STOPPING") == 0) {
				ev->stopping = strcmp(v, "1") == 0;
				known++;
			} else if (strcmp(k, "STATUS") == 0) {
				ev->status = v;
				known++;
			} else if (strcmp(k, "WATCHDOG") == 0) {
				ev->watchdog = strcmp(v, "1") == 0;
				ev->watchdog_trigger = strcmp(v, "trigger") == 0;
				known++;
			} else if (strcmp(k, "WATCHDOG_USEC") == 0 && readiness_number(v, &n) == 0 && n > 0) {
				ev->watchdog_usec = n;
				known++;
			} else if (strcmp(k, "MAINPID") == 0 && readiness_number(v, &n) == 0 && n > 0 &&
				   n <= 0x7fffffff) {
				ev->mainpid = (pid_t)n;
				known++;
			} else if (strcmp(k, "ERRNO") == 0 && readiness_number(v, &n) == 0 && n >= 0 &&
				   n <= 0x7fffffff) {
				ev->errnum = (int)n;
				known++;
			}
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return known;
}

/* Close every descriptor a sender passed along (FDSTORE=1 is not supported). */
static void readiness_close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)(void *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
	}
}

/* Read every queued datagram; one callback per well-formed one with credentials. */
static void readiness_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct readiness *r = w->data;
	for (;;) {
		char buf[READINESS_MSG_MAX + 1];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} ctl;
		struct iovec iov = {.iov_base = buf, .iov_len = READINESS_MSG_MAX};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(r->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: drained; anything else: try again on the next event */
		readiness_close_fds(&mh);
		if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
			continue;
		struct ucred *cred = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
				cred = (struct ucred *)(void *)CMSG_DATA(c);
		if (cred == NULL || cred->pid <= 0)
			continue;
		struct readiness_event ev;
		if (readiness_parse(buf, (size_t)n, &ev) <= 0)
			continue;
		ev.pid = cred->pid;
		ev.uid = cred->uid;
		ev.pgid = getpgid(cred->pid);
		r->cb(r->arg, &ev);
	}
}

struct readiness *readiness_open(struct ev_loop *loop, const char *socket_path, readiness_cb cb, void *arg,
				 char *err, size_t errlen)
{
	struct readiness *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		readiness_err(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(socket_path) >= sizeof(r->path)) {
		readiness_err(err, errlen, "%s: notify socket path too long (at most %zu bytes)", socket_path,
			      sizeof(r->path) - 1);
		free(r);
		return NULL;
	}
	snprintf(r->path, sizeof(r->path), "%s", socket_path);
	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		readiness_err(err, errlen, "notify socket: %s", strerror(errno));
		free(r);
		return NULL;
	}
	int one = 1;
	/* Room for a burst of notifications from many programs starting at once. */
	int rcvbuf = 256 * 1024;
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, r->path, strlen(r->path) + 1);
	struct stat st;
	if (lstat(r->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(r->path);
	if (setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		readiness_err(err, errlen, "notify socket: SO_PASSCRED: %s", strerror(errno));
		goto fail;
	}
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		readiness_err(err, errlen, "%s: bind: %s", r->path, strerror(errno));
		goto fail;
	}
	if (chmod(r->path, 0666) < 0) {
		readiness_err(err, errlen, "%s: chmod: %s", r->path, strerror(errno));
		unlink(r->path);
		goto fail;
	}
	ev_io_init(&r->io, readiness_on_read, r->fd, EV_READ);
	r->io.data = r;
	ev_io_start(loop, &r->io);
	return r;
fail:
	close(r->fd);
	free(r);
	return NULL;
}

const char *readiness_socket_path(const struct readiness *r)
{
	return r != NULL ? r->path : NULL;
}

void readiness_close(struct readiness *r)
{
	if (r == NULL)
		return;
	ev_io_stop(r->loop, &r->io);
	close(r->fd);
	unlink(r->path);
	free(r);
}
