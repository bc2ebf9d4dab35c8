/*
 * proto.c — framing for the protocol in proto.h: blocking send/recv for
 * clients, incremental read/write buffers for non-blocking event loops.
 * Knows nothing of what payloads mean.
 */
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A buffer emptied after holding a large frame is freed above this: an idle connection holds no MBs. */
#define PROTO_KEEP_CAP (1024u * 1024u)

const char *proto_msg_name(uint32_t type)
{
	static const struct {
		uint32_t type;
		const char *name;
	} names[] = {
#define N(x) {x, #x}
	    N(MSG_OK),
	    N(MSG_ERROR),
	    N(MSG_VERSION_MISMATCH),
	    N(MSG_DATA),
	    N(MSG_STATUS),
	    N(MSG_START),
	    N(MSG_STOP),
	    N(MSG_RESTART),
	    N(MSG_SIGNAL),
	    N(MSG_PID),
	    N(MSG_TAIL),
	    N(MSG_AVAIL),
	    N(MSG_REREAD),
	    N(MSG_UPDATE),
	    N(MSG_RELOAD),
	    N(MSG_SHUTDOWN),
	    N(MSG_PING),
	    N(MSG_VERSION),
	    N(MSG_REOPEN_LOGS),
	    N(MSG_CHECK),
	    N(MSG_PROC_STDIN),
	    N(MSG_TASK_SUBMIT),
	    N(MSG_TASK_LIST),
	    N(MSG_TASK_SHOW),
	    N(MSG_TASK_RESUME),
	    N(MSG_TASK_SKIP),
	    N(MSG_TASK_CANCEL),
	    N(MSG_TASK_UNLOCK),
	    N(MSG_TASK_FORCE_UNLOCK),
	    N(MSG_TASK_LOCKS),
	    N(MSG_TASK_CLEANUP),
	    N(MSG_TASK_EXPORT),
	    N(MSG_TASK_WAIT),
	    N(MSG_TASK_SCHEDULE),
	    N(MSG_RECURRING_LIST),
	    N(MSG_RECURRING_SHOW),
	    N(MSG_RECURRING_CANCEL),
	    N(MSG_CLEANUP_CONFIG),
	    N(MSG_WORKER_LIST),
	    N(MSG_DEBUG_INFO),
	    N(MSG_WORKER_SHOW),
	    N(MSG_QUEUE_LIST),
	    N(MSG_TASK_TAIL),
	    N(MSG_METRICS),
	    N(MSG_WORKER_HELLO),
	    N(MSG_WORKER_STEP),
	    N(MSG_WORKER_PROGRESS),
	    N(MSG_WORKER_OUTPUT),
	    N(MSG_WORKER_DONE),
	    N(MSG_WORKER_FAIL),
	    N(MSG_WORKER_SPAWN),
	    N(MSG_WORKER_CANCEL),
	    N(MSG_WORKER_LOG),
	    N(MSG_WORKER_DRAIN),
#undef N
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return "MSG_?";
}

bool proto_msg_waits(uint32_t type)
{
	switch (type) {
	case MSG_START:
	case MSG_STOP:
	case MSG_RESTART:
	case MSG_UPDATE:
	case MSG_TASK_WAIT:
	case MSG_TASK_CLEANUP:
		return true;
	default:
		return false;
	}
}

static int proto_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Wait until fd is readable, at most timeout_ms (< 0: no limit): 0, or -1 with ETIMEDOUT. */
static int proto_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n;

	if (timeout_ms < 0)
		return 0;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR); /* a signal restarts the wait: close enough */
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

static int proto_read_all(int fd, void *p, size_t len, int timeout_ms)
{
	char *c = p;
	while (len > 0) {
		ssize_t n;
		if (proto_wait_readable(fd, timeout_ms) < 0)
			return -1;
		n = read(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_send(int fd, uint32_t type, const char *payload, size_t len)
{
	struct proto_hdr h = {PROTO_VERSION, type, (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
	size_t total = sizeof(h) + len;
	ssize_t n;

	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n == total)
		return 0;
	/* Short write: finish the rest plainly. */
	if ((size_t)n < sizeof(h)) {
		if (proto_write_all(fd, (char *)&h + n, sizeof(h) - (size_t)n) < 0)
			return -1;
		return proto_write_all(fd, payload, len);
	}
	return proto_write_all(fd, payload + ((size_t)n - sizeof(h)), total - (size_t)n);
}

int proto_recv(int fd, struct proto_hdr *hdr, char **payload)
{
	return proto_recv_timeout(fd, hdr, payload, -1);
}

int proto_recv_timeout(int fd, struct proto_hdr *hdr, char **payload, int timeout_ms)
{
	char *p;

	*payload = NULL;
	if (proto_read_all(fd, hdr, sizeof(*hdr), timeout_ms) < 0)
		return -1;
	if (hdr->version != PROTO_VERSION && hdr->type != MSG_VERSION_MISMATCH) {
		errno = EPROTO;
		return -1;
	}
	if (hdr->len > PROTO_MAX_PAYLOAD) {
		errno = EPROTO;
		return -1;
	}
	p = malloc(hdr->len + 1);
	if (p == NULL)
		return -1;
	if (proto_read_all(fd, p, hdr->len, timeout_ms) < 0) {
		free(p);
		return -1;
	}
	p[hdr->len] = '\0';
	*payload = p;
	return 0;
}

void proto_rbuf_init(struct proto_rbuf *rb)
{
	memset(rb, 0, sizeof(*rb));
}

void proto_rbuf_free(struct proto_rbuf *rb)
{
	free(rb->buf);
	memset(rb, 0, sizeof(*rb));
}

static int proto_reserve(char **buf, size_t *cap, size_t need)
{
	size_t ncap;
	char *nb;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 4096;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Put back the byte the last payload's NUL replaced, drop consumed bytes. */
static void proto_rbuf_settle(struct proto_rbuf *rb)
{
	if (rb->nul_pos > 0) {
		rb->buf[rb->nul_pos] = rb->nul_saved;
		rb->nul_pos = 0;
	}
	if (rb->off > 0) {
		memmove(rb->buf, rb->buf + rb->off, rb->len - rb->off);
		rb->len -= rb->off;
		rb->off = 0;
	}
	if (rb->len == 0 && rb->cap > PROTO_KEEP_CAP) {
		free(rb->buf);
		rb->buf = NULL;
		rb->cap = 0;
	}
}

ssize_t proto_rbuf_fill(struct proto_rbuf *rb, int fd)
{
	ssize_t n;

	proto_rbuf_settle(rb);
	if (proto_reserve(&rb->buf, &rb->cap, rb->len + 65536) < 0)
		return -1;
	do
		n = read(fd, rb->buf + rb->len, rb->cap - rb->len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		rb->len += (size_t)n;
	return n;
}

int proto_rbuf_next(struct proto_rbuf *rb, struct proto_hdr *hdr, char **payload)
{
	size_t total;

	proto_rbuf_settle(rb);
	if (rb->len < sizeof(*hdr))
		return 0;
	memcpy(hdr, rb->buf, sizeof(*hdr));
	if (hdr->version != PROTO_VERSION || hdr->len > PROTO_MAX_PAYLOAD)
		return -1;
	total = sizeof(*hdr) + hdr->len;
	if (rb->len < total)
		return 0;
	if (proto_reserve(&rb->buf, &rb->cap, total + 1) < 0)
		return -1;
	rb->nul_pos = total;
	rb->nul_saved = rb->buf[total];
	rb->buf[total] = '\0';
	rb->off = total;
	*payload = rb->buf + sizeof(*hdr);
	return 1;
}

void proto_wbuf_init(struct proto_wbuf *wb)
{
	memset(wb, 0, sizeof(*wb));
}

void proto_wbuf_free(struct proto_wbuf *wb)
{
	free(wb->buf);
	memset(wb, 0, sizeof(*wb));
}

int proto_wbuf_add(struct proto_wbuf *wb, uint32_t type, const char *payload, size_t len)
{
	struct proto_hdr h = {PROTO_VERSION, type, (uint32_t)len};

	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (proto_wbuf_reserve(wb, wb->len + sizeof(h) + len) < 0)
		return -1;
	memcpy(wb->buf + wb->len, &h, sizeof(h));
	if (len > 0)
		memcpy(wb->buf + wb->len + sizeof(h), payload, len);
	wb->len += sizeof(h) + len;
	return 0;
}

/*
 * Room for need bytes counted from the buffer's start as it is now (callers
 * pass wb->len + n and read wb->len again after the call). What was written
 * already is dropped from the front first, so a buffer that is never empty
 * (a stream to a peer that keeps up, but only just) does not grow without end.
 */
int proto_wbuf_reserve(struct proto_wbuf *wb, size_t need)
{
	if (wb->off > 0 && (wb->off == wb->len || need > wb->cap)) {
		size_t off = wb->off;

		memmove(wb->buf, wb->buf + off, wb->len - off);
		wb->len -= off;
		wb->off = 0;
		need -= off;
	}
	return proto_reserve(&wb->buf, &wb->cap, need);
}

int proto_wbuf_flush(struct proto_wbuf *wb, int fd)
{
	while (wb->off < wb->len) {
		ssize_t n = send(fd, wb->buf + wb->off, wb->len - wb->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		wb->off += (size_t)n;
	}
	wb->off = wb->len = 0;
	if (wb->cap > PROTO_KEEP_CAP) {
		free(wb->buf);
		wb->buf = NULL;
		wb->cap = 0;
	}
	return 1;
}

int proto_connect(const char *path)
{
	return proto_connect_timeout(path, -1);
}

int proto_connect_timeout(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timespec t0, t1;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (timeout_ms >= 0 ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A non-blocking connect to a Unix socket whose backlog is full fails with EAGAIN: retry. */
	while ((r = connect(fd, (struct sockaddr *)&sun, sizeof(sun))) < 0 &&
	       (errno == EINTR || (errno == EAGAIN && timeout_ms >= 0))) {
		if (errno == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms) {
			errno = ETIMEDOUT;
			break;
		}
		usleep(10000);
	}
	if (r < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (timeout_ms >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
