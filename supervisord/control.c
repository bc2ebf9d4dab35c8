/*
 * control.c — the daemon's Unix socket (OpenSMTPD's control.c in spirit):
 * listens on [unix_socket] file, takes the peer's credentials (SO_PEERCRED),
 * reads frames without blocking, checks version and size, parses the JSON
 * payload, enforces admin/read-only access and calls the handler found in
 * proc_handlers[] or task_handlers[]. It never blocks and never decides what a
 * request means.
 *
 * Replies are serialised straight into the connection's write buffer and sent
 * once per loop iteration, not once per message: conn_send queues the
 * connection, and a prepare watcher of the lowest priority (it runs after the
 * engine's group commit, which is a prepare watcher of the default priority)
 * writes every queued buffer with one send() each before the loop blocks.
 * What the socket does not take is written when it becomes writable.
 *
 * Connection lifetime: a struct conn has a reference count. The open socket
 * holds one reference; handlers that answer later take another (conn_hold) and
 * drop it with conn_release. Closing (peer EOF, error, conn_close_after_flush)
 * stops the watchers, closes the fd, runs the conn_on_close callback and drops
 * the socket's reference; the struct is freed when the last reference goes, so
 * a held conn stays valid (conn_closed() says true and replies are discarded).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"

struct conn {
	struct control *ctl;
	struct conn *prev, *next; /* the control's list of open connections */
	int fd;
	ev_io rw, ww;
	struct proto_rbuf rb;
	struct proto_wbuf wb;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[64];
	bool admin;    /* may send every message */
	bool readonly; /* may send non-admin messages */
	int refs;
	bool closed;
	bool close_after_flush;
	bool queued; /* in the control's flush list (holding a reference) */
	struct conn *qnext;
	void (*on_close)(void *arg, struct conn *c);
	void *on_close_arg;
	void *data;
};

struct control {
	struct daemon *d;
	int fd;
	char *path;
	ev_io accept_w;
	struct conn *conns;
	ev_prepare flush_w;  /* writes the queued connections before the loop blocks */
	struct conn *flushq; /* connections with something to send this iteration */
	ev_timer trim_w;     /* shortly after a connection closed: hand freed heap back */
};

static void control_conn_close(struct conn *c);

/* Is any of the names in groups (NULL-terminated) a group this peer belongs to? */
static bool control_in_groups(const struct conn *c, char **groups)
{
	gid_t list[256];
	int n = 256;
	struct passwd *pw;

	if (groups == NULL || groups[0] == NULL)
		return false;
	n = 0;
	list[n++] = c->gid;
	pw = getpwuid(c->uid);
	if (pw != NULL) {
		int cnt = 255;
		if (getgrouplist(pw->pw_name, c->gid, list + 1, &cnt) >= 0)
			n = 1 + cnt;
	}
	for (char **g = groups; *g != NULL; g++) {
		struct group *gr = getgrnam(*g);
		gid_t want;
		char *end;
		if (gr != NULL)
			want = gr->gr_gid;
		else {
			want = (gid_t)strtoul(*g, &end, 10);
			if (*end != '\0' || end == *g)
				continue;
		}
		for (int i = 0; i < n; i++)
			if (list[i] == want)
				return true;
	}
	return false;
}

/*
 * Access: root is always admin. With neither admin_groups nor readonly_groups
 * configured, whoever can open the socket (its file mode decides) is admin.
 * Otherwise members of admin_groups are admins, members of readonly_groups may
 * look, and anyone else may send nothing.
 */
static void control_conn_access(struct control *ctl, struct conn *c)
{
	const struct conf *cf = ctl->d->conf;
	bool configured = (cf->admin_groups != NULL && cf->admin_groups[0] != NULL) ||
			  (cf->readonly_groups != NULL && cf->readonly_groups[0] != NULL);

	c->admin = c->uid == 0 || !configured || control_in_groups(c, cf->admin_groups);
	c->readonly = c->admin || control_in_groups(c, cf->readonly_groups);
}

static void control_conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	proto_rbuf_free(&c->rb);
	proto_wbuf_free(&c->wb);
	free(c);
}

static void control_conn_flush(struct conn *c)
{
	int r;

	if (c->closed)
		return;
	r = proto_wbuf_flush(&c->wb, c->fd);
	if (r < 0) {
		log_debug("control: write to pid %ld: %s", (long)c->pid, strerror(errno));
		control_conn_close(c);
		return;
	}
	if (r == 0) {
		ev_io_start(c->ctl->d->loop, &c->ww);
		return;
	}
	ev_io_stop(c->ctl->d->loop, &c->ww);
	if (c->close_after_flush)
		control_conn_close(c);
}

static void control_conn_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	control_conn_flush(w->data);
}

/* Write every queued connection (one send() each); runs after the engine's commit. */
static void control_flush_queued(struct control *ctl)
{
	struct conn *c;

	while ((c = ctl->flushq) != NULL) {
		ctl->flushq = c->qnext;
		c->qnext = NULL;
		c->queued = false;
		control_conn_flush(c); /* may close c, whose on_close may queue others */
		control_conn_unref(c);
	}
}

static void control_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	control_flush_queued(w->data);
}

/* Append a frame holding body as compact JSON, serialised in place (no copy, no malloc once warm). */
static int control_wbuf_add_json(struct proto_wbuf *wb, uint32_t type, const json_t *body)
{
	struct proto_hdr h = {PROTO_VERSION, type, 0};
	size_t n, room;

	if (proto_wbuf_reserve(wb, wb->len + sizeof(h) + 256) < 0)
		return -1;
	for (;;) {
		room = wb->cap - wb->len - sizeof(h);
		n = json_dumpb(body, wb->buf + wb->len + sizeof(h), room, JSON_COMPACT);
		if (n == 0) { /* jansson: an error (even "{}" takes 2 bytes) */
			errno = EINVAL;
			return -1;
		}
		if (n <= room)
			break;
		if (n > PROTO_MAX_PAYLOAD) {
			errno = EMSGSIZE;
			return -1;
		}
		if (proto_wbuf_reserve(wb, wb->len + sizeof(h) + n) < 0)
			return -1;
	}
	h.len = (uint32_t)n;
	memcpy(wb->buf + wb->len, &h, sizeof(h));
	wb->len += sizeof(h) + n;
	return 0;
}

/* Queue c for the flush before the loop blocks, unless a writable watcher already waits. */
static void control_conn_queue(struct conn *c)
{
	struct control *ctl = c->ctl;

	if (!c->queued && !ev_is_active(&c->ww)) {
		c->queued = true;
		c->refs++;
		c->qnext = ctl->flushq;
		ctl->flushq = c;
	}
}

void conn_send(struct conn *c, uint32_t type, json_t *body)
{
	int r;

	if (c->closed) {
		json_decref(body);
		return;
	}
	if (body == NULL)
		body = json_object();
	r = control_wbuf_add_json(&c->wb, type, body);
	json_decref(body);
	if (r < 0) {
		log_warn("control: cannot queue %s reply", proto_msg_name(type));
		control_conn_close(c);
		return;
	}
	control_conn_queue(c);
}

void conn_send_frames(struct conn *c, const char *frames, size_t len)
{
	if (c->closed || len == 0)
		return;
	if (proto_wbuf_reserve(&c->wb, c->wb.len + len) < 0) {
		/* closed by the flush, not here: the caller may still hold what the close would free */
		log_warn("control: cannot queue %zu bytes of messages", len);
		c->close_after_flush = true;
		control_conn_queue(c);
		return;
	}
	memcpy(c->wb.buf + c->wb.len, frames, len);
	c->wb.len += len;
	control_conn_queue(c);
}

void conn_reply_ok(struct conn *c, json_t *body)
{
	conn_send(c, MSG_OK, body != NULL ? body : json_object());
}

void conn_reply_error(struct conn *c, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_send(c, MSG_ERROR, json_pack("{s:s, s:i}", "error", msg, "code", code));
}

void conn_send_data(struct conn *c, json_t *body)
{
	conn_send(c, MSG_DATA, body);
}

void conn_hold(struct conn *c)
{
	c->refs++;
}
void conn_release(struct conn *c)
{
	control_conn_unref(c);
}
bool conn_closed(const struct conn *c)
{
	return c->closed;
}
size_t conn_unsent(const struct conn *c)
{
	return c->wb.len - c->wb.off;
}

void conn_on_close(struct conn *c, void (*fn)(void *arg, struct conn *c), void *arg)
{
	c->on_close = fn;
	c->on_close_arg = arg;
}

pid_t conn_pid(const struct conn *c)
{
	return c->pid;
}
uid_t conn_uid(const struct conn *c)
{
	return c->uid;
}
const char *conn_user(const struct conn *c)
{
	return c->user;
}
bool conn_is_admin(const struct conn *c)
{
	return c->admin;
}
void conn_set_data(struct conn *c, void *data)
{
	c->data = data;
}
void *conn_get_data(const struct conn *c)
{
	return c->data;
}
struct daemon *conn_daemon(const struct conn *c)
{
	return c->ctl->d;
}

void conn_close_after_flush(struct conn *c)
{
	if (c->closed)
		return;
	c->close_after_flush = true;
	if (c->wb.off == c->wb.len)
		control_conn_close(c);
}

/* Stop watching, close, tell the owner, drop the socket's reference. */
/*
 * A request's reply (a status of every program, a task list) is built and
 * freed again; glibc keeps the freed pages. A moment after a connection went
 * away they are handed back, so the daemon's memory returns to what it holds.
 */
static void control_trim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	malloc_trim(0);
}

static void control_conn_close(struct conn *c)
{
	struct control *ctl = c->ctl;

	if (c->closed)
		return;
	c->closed = true;
	ev_io_stop(ctl->d->loop, &c->rw);
	ev_io_stop(ctl->d->loop, &c->ww);
	close(c->fd);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	log_debug("control: connection from pid %ld closed", (long)c->pid);
	if (!ev_is_active(&ctl->trim_w))
		ev_timer_start(ctl->d->loop, &ctl->trim_w);
	if (c->on_close != NULL) {
		void (*fn)(void *, struct conn *) = c->on_close;
		c->on_close = NULL;
		fn(c->on_close_arg, c);
	}
	control_conn_unref(c);
}

/* The handler of a message type; *task says it is the task engine's (handlers_task.c). */
static const struct control_handler *control_find(uint32_t type, bool *task)
{
	const struct control_handler *tabs[] = {proc_handlers, task_handlers};

	for (size_t t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++)
		for (const struct control_handler *h = tabs[t]; h->handle != NULL; h++)
			if (h->type == type) {
				*task = tabs[t] == task_handlers;
				return h;
			}
	return NULL;
}

/* One whole frame: check who may send it, parse it, call its handler. */
static void control_dispatch(struct conn *c, const struct proto_hdr *hdr, const char *payload)
{
	const struct control_handler *h;
	json_t *req;
	json_error_t jerr;
	char err[512];
	bool task = false;

	h = control_find(hdr->type, &task);
	if (h == NULL) {
		conn_reply_error(c, 1, "unknown message type %u", hdr->type);
		return;
	}
	if (!c->readonly || (h->admin && !c->admin)) {
		log_info("control: %s from uid %ld pid %ld: permission denied", proto_msg_name(hdr->type),
			 (long)c->uid, (long)c->pid);
		conn_reply_error(c, 1, "permission denied");
		return;
	}
	log_debug("control: %s from pid %ld", proto_msg_name(hdr->type), (long)c->pid);
	/* CHECK answers the process checks without the engine (handlers_task.c opens it for the rest) */
	if (task && hdr->type != MSG_CHECK && daemon_engine(c->ctl->d, err, sizeof(err)) == NULL) {
		conn_reply_error(c, 1, "task database: %s", err);
		return;
	}
	if (h->raw != NULL && hdr->len > 0 && h->raw(c->ctl->d, c, payload, hdr->len))
		return;
	if (hdr->len == 0)
		req = json_object();
	else
		req = json_loadb(payload, hdr->len, 0, &jerr);
	if (req == NULL || !json_is_object(req)) {
		json_decref(req);
		conn_reply_error(c, 1, "malformed request");
		return;
	}
	h->handle(c->ctl->d, c, req);
	json_decref(req);
}

static void control_conn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct proto_hdr hdr;
	char *payload;
	ssize_t n;
	int r;

	(void)loop;
	(void)revents;
	n = proto_rbuf_fill(&c->rb, c->fd);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	conn_hold(c);
	/* Handle every whole frame already read, even when the peer then hung up. */
	while (!c->closed && !c->close_after_flush && (r = proto_rbuf_next(&c->rb, &hdr, &payload)) != 0) {
		if (r < 0) {
			if (hdr.version != PROTO_VERSION) {
				log_warnx("control: pid %ld speaks protocol %u, not %u", (long)c->pid,
					  hdr.version, PROTO_VERSION);
				conn_send(c, MSG_VERSION_MISMATCH,
					  json_pack("{s:i}", "daemon", PROTO_VERSION));
			} else {
				log_warnx("control: pid %ld sent %u bytes, more than %u", (long)c->pid,
					  hdr.len, PROTO_MAX_PAYLOAD);
				conn_reply_error(c, 1, "request too large");
			}
			conn_close_after_flush(c);
			break;
		}
		control_dispatch(c, &hdr, payload);
	}
	if (!c->closed && n <= 0) {
		if (n < 0)
			log_debug("control: read from pid %ld: %s", (long)c->pid, strerror(errno));
		/* EOF: a held request (start waiting, tail -f) has nobody to answer any more. */
		control_conn_flush(c); /* but what was answered goes out (a half-closed peer reads it) */
		control_conn_close(c);
	}
	conn_release(c);
}

static void control_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;
	struct conn *c;
	int fd;

	(void)revents;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("control: accept");
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->refs = 1;
	pw = getpwuid(cred.uid);
	if (pw != NULL)
		snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
	else
		snprintf(c->user, sizeof(c->user), "%ld", (long)cred.uid);
	proto_rbuf_init(&c->rb);
	proto_wbuf_init(&c->wb);
	control_conn_access(ctl, c);
	ev_io_init(&c->rw, control_conn_readable, fd, EV_READ);
	ev_io_init(&c->ww, control_conn_writable, fd, EV_WRITE);
	c->rw.data = c->ww.data = c;
	ev_io_start(loop, &c->rw);
	c->next = ctl->conns;
	if (ctl->conns != NULL)
		ctl->conns->prev = c;
	ctl->conns = c;
	log_debug("control: connection from pid %ld uid %ld (%s)", (long)c->pid, (long)c->uid,
		  c->admin	? "admin"
		  : c->readonly ? "read-only"
				: "no access");
}

int control_probe(const char *path)
{
	int fd = proto_connect(path);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Apply chown "user[:group]" to path. */
static int control_chown(const char *path, const char *spec, char *err, size_t errlen)
{
	char buf[256], *grp;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	snprintf(buf, sizeof(buf), "%s", spec);
	grp = strchr(buf, ':');
	if (grp != NULL)
		*grp++ = '\0';
	if (buf[0] != '\0') {
		struct passwd *pw = getpwnam(buf);
		if (pw == NULL) {
			snprintf(err, errlen, "%s: chown: no such user: %s", path, buf);
			return -1;
		}
		uid = pw->pw_uid;
		if (grp == NULL)
			gid = pw->pw_gid;
	}
	if (grp != NULL && *grp != '\0') {
		struct group *gr = getgrnam(grp);
		if (gr == NULL) {
			snprintf(err, errlen, "%s: chown: no such group: %s", path, grp);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (chown(path, uid, gid) < 0) {
		snprintf(err, errlen, "%s: chown %s: %s", path, spec, strerror(errno));
		return -1;
	}
	return 0;
}

struct control *control_new(struct daemon *d, char *err, size_t errlen)
{
	const struct conf *cf = d->conf;
	struct sockaddr_un sun;
	struct control *ctl;
	struct stat st;
	mode_t old;

	if (cf->socket_file == NULL || strlen(cf->socket_file) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "unix socket path missing or too long: %s",
			 cf->socket_file != NULL ? cf->socket_file : "(none)");
		return NULL;
	}
	if (lstat(cf->socket_file, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", cf->socket_file);
			return NULL;
		}
		if (control_probe(cf->socket_file)) {
			snprintf(err, errlen, "%s: another daemon is already listening on it",
				 cf->socket_file);
			return NULL;
		}
		unlink(cf->socket_file); /* stale, left by a daemon that died */
	}
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL || (ctl->path = strdup(cf->socket_file)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(ctl);
		return NULL;
	}
	ctl->d = d;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, cf->socket_file);
	/* Nobody may connect before the mode is right: bind under a tight umask. */
	old = umask(0177);
	if (bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		snprintf(err, errlen, "%s: bind: %s", cf->socket_file, strerror(errno));
		goto fail;
	}
	umask(old);
	if (cf->socket_chown != NULL && cf->socket_chown[0] != '\0' &&
	    control_chown(cf->socket_file, cf->socket_chown, err, errlen) < 0)
		goto fail_unlink;
	if (chmod(cf->socket_file, cf->socket_chmod != 0 ? cf->socket_chmod : 0700) < 0) {
		snprintf(err, errlen, "%s: chmod: %s", cf->socket_file, strerror(errno));
		goto fail_unlink;
	}
	if (listen(ctl->fd, 128) < 0) {
		snprintf(err, errlen, "%s: listen: %s", cf->socket_file, strerror(errno));
		goto fail_unlink;
	}
	ev_io_init(&ctl->accept_w, control_accept, ctl->fd, EV_READ);
	ctl->accept_w.data = ctl;
	ev_io_start(d->loop, &ctl->accept_w);
	ev_timer_init(&ctl->trim_w, control_trim_cb, 0.25, 0);
	ctl->trim_w.data = ctl;
	ev_prepare_init(&ctl->flush_w, control_flush_cb);
	ctl->flush_w.data = ctl;
	ev_set_priority(&ctl->flush_w, EV_MINPRI); /* after the engine's commit in the same iteration */
	ev_prepare_start(d->loop, &ctl->flush_w);
	ev_unref(d->loop); /* the flusher alone does not keep the loop running */
	log_info("control: listening on %s", ctl->path);
	return ctl;

fail_unlink:
	unlink(cf->socket_file);
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	return NULL;
}

/* Close every connection (their pending replies get a last blocking chance), remove the socket. */
void control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	ev_io_stop(ctl->d->loop, &ctl->accept_w);
	ev_timer_stop(ctl->d->loop, &ctl->trim_w);
	ev_ref(ctl->d->loop);
	ev_prepare_stop(ctl->d->loop, &ctl->flush_w);
	while (ctl->flushq != NULL) { /* the queued bytes stay in the buffers, written below */
		struct conn *c = ctl->flushq;
		ctl->flushq = c->qnext;
		c->queued = false;
		control_conn_unref(c);
	}
	while (ctl->conns != NULL) {
		struct conn *c = ctl->conns;
		if (c->wb.off < c->wb.len) {
			int fl = fcntl(c->fd, F_GETFL);
			struct timeval tv = {1, 0};
			fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
			setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			while (c->wb.off < c->wb.len) {
				ssize_t n =
				    send(c->fd, c->wb.buf + c->wb.off, c->wb.len - c->wb.off, MSG_NOSIGNAL);
				if (n <= 0)
					break;
				c->wb.off += (size_t)n;
			}
		}
		control_conn_close(c);
	}
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
