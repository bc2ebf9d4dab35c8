/*
 * proclog.c — child output capture: pipe readers and size-rotated log files.
 *
 * Rotation keeps each file at most maxbytes long (a write is split across the
 * rotation), and keeps `backups` old files named like supervisord's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proclog.h"

struct proclog {
	char *path; /* NULL = discard */
	int fd;
	long long size;
	long long maxbytes;
	int backups;
	bool timestamps;
	bool at_bol; /* next byte starts a line (timestamp due) */
	bool warned; /* a write error was already reported */
	mode_t mode; /* of a file it creates (after a rotation too) */
	gid_t gid;
	/* supervisord's [program:x] stdout_syslog= and [supervisord] strip_ansi= */
	char *syslog_name; /* lines also go to syslog as "NAME line"; NULL = not */
	bool strip_ansi;   /* drop ANSI escapes (ESC '[' ... terminator) before writing */
	bool in_escape;	   /* inside one, across reads */
};

struct proclog_pipe {
	ev_io io;
	struct ev_loop *loop;
	struct proclog *log;
	void (*tap)(void *arg, const char *buf, size_t len); /* proclog_pipe_tap, or NULL */
	void *tap_arg;
	void (*filter)(void *arg, struct proclog *l, const char *buf, size_t len); /* or NULL */
	void *filter_arg;
};

int proclog_mkdirs(const char *dir, mode_t mode)
{
	char *p = strdup(dir);
	if (p == NULL)
		return -1;
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, mode);
	free(p);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

static int proclog_openfd(struct proclog *l, bool trunc)
{
	l->fd = log_open_append(l->path, l->mode, l->gid, trunc);
	if (l->fd < 0)
		return -1;
	struct stat st;
	l->size = fstat(l->fd, &st) == 0 ? (long long)st.st_size : 0;
	return 0;
}

struct proclog *proclog_open(const char *path, long long maxbytes, int backups, bool timestamps, char *err,
			     size_t errlen)
{
	return proclog_open_perms(path, maxbytes, backups, timestamps, 0600, (gid_t)-1, err, errlen);
}

struct proclog *proclog_open_perms(const char *path, long long maxbytes, int backups, bool timestamps,
				   mode_t mode, gid_t gid, char *err, size_t errlen)
{
	struct proclog *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->mode = mode;
	l->gid = gid;
	l->maxbytes = maxbytes;
	l->backups = backups < 0 ? 0 : backups;
	l->timestamps = timestamps;
	l->at_bol = true;
	if (path == NULL)
		return l;
	l->path = strdup(path);
	char *dir = strdup(path);
	if (l->path == NULL || dir == NULL) {
		free(dir);
		proclog_free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (proclog_mkdirs(dir, 0755) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			free(dir);
			proclog_free(l);
			return NULL;
		}
	}
	free(dir);
	if (proclog_openfd(l, false) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		proclog_free(l);
		return NULL;
	}
	return l;
}

void proclog_free(struct proclog *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->syslog_name);
	free(l);
}

const char *proclog_path(const struct proclog *l)
{
	return l ? l->path : NULL;
}

int proclog_reopen(struct proclog *l)
{
	if (l == NULL || l->path == NULL)
		return 0;
	if (l->fd >= 0)
		close(l->fd);
	if (proclog_openfd(l, false) < 0) {
		log_warn("reopen %s", l->path);
		return -1;
	}
	l->warned = false;
	return 0;
}

int proclog_clear(struct proclog *l)
{
	if (l == NULL || l->path == NULL)
		return 0;
	if (l->fd >= 0 && ftruncate(l->fd, 0) < 0)
		return -1;
	if (l->fd < 0 && truncate(l->path, 0) < 0 && errno != ENOENT)
		return -1;
	l->size = 0;
	l->at_bol = true;
	return 0;
}

void proclog_rotate(struct proclog *l)
{
	if (l->path == NULL)
		return;
	size_t n = strlen(l->path) + 16;
	char *from = malloc(n), *to = malloc(n);
	if (from == NULL || to == NULL) {
		free(from);
		free(to);
		return;
	}
	if (l->backups > 0) {
		for (int i = l->backups - 1; i >= 1; i--) {
			snprintf(from, n, "%s.%d", l->path, i);
			snprintf(to, n, "%s.%d", l->path, i + 1);
			if (rename(from, to) < 0 && errno != ENOENT)
				log_warn("rename %s", from);
		}
		snprintf(to, n, "%s.1", l->path);
		if (rename(l->path, to) < 0 && errno != ENOENT)
			log_warn("rename %s", l->path);
	}
	free(from);
	free(to);
	if (l->fd >= 0)
		close(l->fd);
	if (proclog_openfd(l, true) < 0 && !l->warned) {
		log_warn("open %s", l->path);
		l->warned = true;
	}
}

/* Write to the file, rotating whenever it would grow past maxbytes. */
static void proclog_put(struct proclog *l, const char *buf, size_t len)
{
	while (len > 0) {
		if (l->fd < 0)
			return;
		size_t chunk = len;
		if (l->maxbytes > 0) {
			if (l->size >= l->maxbytes) {
				proclog_rotate(l);
				continue;
			}
			if ((long long)chunk > l->maxbytes - l->size)
				chunk = (size_t)(l->maxbytes - l->size);
		}
		ssize_t w = write(l->fd, buf, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (!l->warned)
				log_warn("write %s", l->path);
			l->warned = true;
			return;
		}
		l->size += w;
		buf += w;
		len -= (size_t)w;
	}
}

/* "2026-11-23T08:12:05.123+0000 " */
static void proclog_write_file(struct proclog *l, const char *buf, size_t len);

static size_t proclog_stamp(char *out, size_t n)
{
	struct timeval tv;
	struct tm tm;
	char date[32], zone[8];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	int k = snprintf(out, n, "%s.%03d%s ", date, (int)(tv.tv_usec / 1000), zone);
	return k > 0 ? (size_t)k : 0;
}

void proclog_set_output(struct proclog *l, const char *syslog_name, bool strip_ansi)
{
	if (l == NULL)
		return;
	free(l->syslog_name);
	l->syslog_name = syslog_name != NULL ? strdup(syslog_name) : NULL;
	l->strip_ansi = strip_ansi;
}

/* supervisord's stripEscapes: from ESC '[' to one of its terminators, in place; the new length. */
static size_t proclog_strip(struct proclog *l, char *buf, size_t len)
{
	static const char term[] = "HfABCDRsuJKhlpm";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (l->in_escape) {
			if (buf[i] != '\0' && strchr(term, buf[i]) != NULL)
				l->in_escape = false;
		} else if (buf[i] == '\033' && i + 1 < len && buf[i + 1] == '[') {
			l->in_escape = true;
			i++;
		} else {
			buf[o++] = buf[i];
		}
	}
	return o;
}

/* supervisord's SyslogHandler: each line of what was read, "NAME line", priority info. */
static void proclog_syslog(const struct proclog *l, const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t k = nl != NULL ? (size_t)(nl - buf) : len;
		syslog(LOG_USER | LOG_INFO, "%s %.*s", l->syslog_name, (int)k, buf);
		buf += k;
		len -= k;
		if (len > 0) {
			buf++;
			len--;
		}
	}
}

void proclog_write(struct proclog *l, const char *buf, size_t len)
{
	char *copy = NULL;

	if (l == NULL || len == 0)
		return;
	if (l->strip_ansi && (copy = malloc(len)) != NULL) {
		memcpy(copy, buf, len);
		len = proclog_strip(l, copy, len);
		buf = copy;
	}
	if (l->syslog_name != NULL)
		proclog_syslog(l, buf, len);
	if (l->path != NULL)
		proclog_write_file(l, buf, len);
	free(copy);
}

/* Append to the file: timestamps and rotation. */
static void proclog_write_file(struct proclog *l, const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (!l->timestamps) {
		proclog_put(l, buf, len);
		return;
	}
	while (len > 0) {
		if (l->at_bol) {
			char st[64];
			proclog_put(l, st, proclog_stamp(st, sizeof(st)));
			l->at_bol = false;
		}
		const char *nl = memchr(buf, '\n', len);
		size_t k = nl ? (size_t)(nl - buf) + 1 : len;
		proclog_put(l, buf, k);
		if (nl != NULL)
			l->at_bol = true;
		buf += k;
		len -= k;
	}
}

/* Read until the pipe is empty; true at end of file or error. */
static bool proclog_pipe_read(struct proclog_pipe *pp)
{
	char buf[16384];
	for (;;) {
		ssize_t r = read(pp->io.fd, buf, sizeof(buf));
		if (r > 0) {
			if (pp->filter != NULL)
				pp->filter(pp->filter_arg, pp->log, buf, (size_t)r);
			else
				proclog_write(pp->log, buf, (size_t)r);
			if (pp->tap != NULL)
				pp->tap(pp->tap_arg, buf, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		return true;
	}
}

static void proclog_pipe_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct proclog_pipe *pp = w->data;
	if (proclog_pipe_read(pp))
		ev_io_stop(loop, w); /* EOF: stays stopped until proclog_pipe_close */
}

struct proclog_pipe *proclog_pipe_new(struct ev_loop *loop, int fd, struct proclog *l)
{
	struct proclog_pipe *pp = calloc(1, sizeof(*pp));
	if (pp == NULL) {
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	pp->loop = loop;
	pp->log = l;
	ev_io_init(&pp->io, proclog_pipe_cb, fd, EV_READ);
	pp->io.data = pp;
	ev_io_start(loop, &pp->io);
	return pp;
}

void proclog_pipe_tap(struct proclog_pipe *pp, void (*fn)(void *arg, const char *buf, size_t len), void *arg)
{
	if (pp == NULL)
		return;
	pp->tap = fn;
	pp->tap_arg = arg;
}

void proclog_pipe_filter(struct proclog_pipe *pp,
			 void (*fn)(void *arg, struct proclog *l, const char *buf, size_t len), void *arg)
{
	if (pp == NULL)
		return;
	pp->filter = fn;
	pp->filter_arg = arg;
}

void proclog_pipe_close(struct proclog_pipe *pp)
{
	if (pp == NULL)
		return;
	ev_io_stop(pp->loop, &pp->io);
	proclog_pipe_read(pp);
	close(pp->io.fd);
	free(pp);
}
