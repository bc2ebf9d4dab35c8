/*
 * control.c — the daemon's Unix socket (OpenSMTPD's control.c in spirit):
 * listens on [unix_socket] file, takes the peer's credentials (SO_PEERCRED),
 * reads frames without blocking, checks version and size, parses the JSON
 * payload, enforces admin/read-only access and calls the handler found in
 * the handler tables (control_tables). It never blocks and never decides what a
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
 *
 * Under pressure (DESIGN.md promise 3: clients cannot starve supervision):
 * - connections are capped (max_connections, by default what RLIMIT_NOFILE
 *   leaves after a reserve for every process's pipes and logs and the
 *   database: control_limits). At the cap the connection idle the longest is
 *   closed to make room; when none is idle the newcomer gets one MSG_ERROR
 *   "too many connections (N); try again later" and is closed.
 * - accept() failing for lack of descriptors or memory pauses accepting
 *   (100 ms doubling to 1 s) instead of spinning; a spare descriptor on
 *   /dev/null is given up to accept and refuse the waiting peer politely.
 * - a connection with more than CONTROL_OUT_HIGH bytes of unsent replies is
 *   not read from (its requests wait in the socket) until they drain below
 *   CONTROL_OUT_LOW; queued output is never dropped, but a peer that lets
 *   more than CONTROL_OUT_MAX pile up (a worker or tail -f that never reads)
 *   is closed with a logged reason, and its owner's on_close applies.
 * - requests under way (read but not whole) are held up to CONTROL_IN_BUDGET
 *   for all connections together; past it a connection with a large
 *   unfinished request is not read from until the total falls to half.
 * - a request begun but not whole after request_timeout, and a connection
 *   idle for idle_timeout that holds nothing (no held request, no worker), is
 *   closed with a logged reason (control_sweep).
 * The open connections are kept in order of activity, the idle end last.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "conf.h"
#include "log.h"
#include "proto.h"

#define CONTROL_OUT_HIGH (4u * 1024u * 1024u) /* unsent bytes above which a peer is not read */
#define CONTROL_OUT_LOW (1u * 1024u * 1024u)  /* ... until they drain below this */
#define CONTROL_OUT_MAX                                                                                      \
	(2u * PROTO_MAX_PAYLOAD + CONTROL_OUT_HIGH) /* a peer that lets more pile up is closed */
#define CONTROL_IN_BUDGET (64u * 1024u * 1024u)	    /* requests under way, all connections together */
#define CONTROL_IN_SMALL (64u * 1024u)		    /* a connection with less under way is always read */
#define CONTROL_FD_MARGIN 64	 /* descriptors kept from clients: socket, log, database, spawns */
#define CONTROL_FDS_PER_PROC 5	 /* a process's stdin/stdout/stderr pipes and log files */
#define CONTROL_DEFAULT_MAX 1024 /* the default cap, however high RLIMIT_NOFILE is */
#define CONTROL_MIN_CONNS 4	 /* the cap never goes below this: an operator can always get in */

struct conn {
	struct control *ctl;
	struct conn *prev, *next; /* the control's list of open connections, most recently active first */
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
	bool queued;	   /* in the control's flush list (holding a reference) */
	bool read_paused;  /* too much unsent output: not read from until it drains */
	bool peer_eof;	   /* the peer closed its side; requests already read are still answered */
	bool overflow;	   /* more than CONTROL_OUT_MAX unsent: closed at the next flush */
	bool in_paused;	   /* its large request waits: the daemon holds CONTROL_IN_BUDGET of requests */
	size_t in_counted; /* its unconsumed input, as counted in the control's in_bytes */
	double active_at;  /* ev_now of the last byte read or written */
	double frame_at;   /* ev_now when the incomplete request in rb began; 0 = none */
	struct conn *qnext;
	void (*on_close)(void *arg, struct conn *c);
	void *on_close_arg;
	void *data;
	bool sniffed; /* its first byte was looked at (HTTP or frames) */
	bool inner;   /* no socket: replies go to sink (control_inner_new) */
	conn_sink_fn *sink;
	void *sink_arg;
};

struct control {
	struct ev_loop *loop;
	struct control_hooks hooks; /* the daemon's: its configuration, its engine (control.h) */
	int fd;
	char *path;
	ev_io accept_w;
	struct conn *conns, *conns_tail; /* most recently active first */
	int nconns;
	int max_conns;	       /* control_limits */
	int spare_fd;	       /* /dev/null, given up to refuse a peer when descriptors run out */
	ev_timer accept_retry; /* accepting paused after accept() failed */
	double accept_delay;   /* the current pause: 0.1 s doubling to 1 s; 0 after a success */
	ev_timer sweep_w;      /* request and idle timeouts */
	size_t in_bytes;       /* unconsumed input of every connection (requests under way) */
	int in_paused;	       /* connections not read because of CONTROL_IN_BUDGET */
	ev_prepare flush_w;    /* writes the queued connections before the loop blocks */
	struct conn *flushq;   /* connections with something to send this iteration */
	ev_timer trim_w;       /* shortly after a connection closed: hand freed heap back */
	/* the HTTP module's server, once loaded (handlers_http.c) */
	struct handlers_http *http;
};

static void control_conn_close(struct conn *c);

/* ---- the list of connections, in order of activity ---- */

static void control_list_unlink(struct conn *c)
{
	struct control *ctl = c->ctl;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		ctl->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

static void control_list_push(struct conn *c)
{
	struct control *ctl = c->ctl;

	c->prev = NULL;
	c->next = ctl->conns;
	if (ctl->conns != NULL)
		ctl->conns->prev = c;
	else
		ctl->conns_tail = c;
	ctl->conns = c;
}

/* Bytes moved: c is the most recently active connection. */
static void control_conn_touch(struct conn *c)
{
	c->active_at = ev_now(c->ctl->loop);
	if (c->ctl->conns != c) {
		control_list_unlink(c);
		control_list_push(c);
	}
}

static size_t control_conn_unsent(const struct conn *c)
{
	return c->wb.len - c->wb.off;
}

/* Does c hold something that is not idle: a request answered later (start, task wait, tail -f), or a
 * worker (its owner watches it with on_close)? A queued flush holds a reference too. */
static bool control_conn_busy(const struct conn *c)
{
	return c->on_close != NULL || c->refs > 1 + (c->queued ? 1 : 0);
}

/* Has c neither a request under way nor anything to send nor a holder? */
static bool control_conn_idle(const struct conn *c)
{
	return !control_conn_busy(c) && c->rb.len == c->rb.off && control_conn_unsent(c) == 0 &&
	       !c->close_after_flush;
}

/*
 * Count c's unconsumed input in the control's total; once the total is back under half the budget,
 * read again from the connections whose large requests were made to wait.
 */
static void control_in_account(struct conn *c, size_t now_have)
{
	struct control *ctl = c->ctl;

	ctl->in_bytes = ctl->in_bytes - c->in_counted + now_have;
	c->in_counted = now_have;
	if (ctl->in_paused == 0 || ctl->in_bytes > CONTROL_IN_BUDGET / 2)
		return;
	for (struct conn *o = ctl->conns; o != NULL; o = o->next) {
		if (!o->in_paused)
			continue;
		o->in_paused = false;
		ctl->in_paused--;
		if (!o->read_paused && !o->peer_eof)
			ev_io_start(ctl->loop, &o->rw);
		if (!o->read_paused)
			ev_feed_event(ctl->loop, &o->rw, EV_READ); /* whole requests already read */
	}
}

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
	const struct conf *cf = ctl->hooks.conf(ctl->hooks.arg);
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
	struct ev_loop *loop = c->ctl->loop;
	size_t before = control_conn_unsent(c);
	int r;

	if (c->closed)
		return;
	r = proto_wbuf_flush(&c->wb, c->fd);
	if (r < 0) {
		log_debug("control: write to pid %ld: %s", (long)c->pid, strerror(errno));
		control_conn_close(c);
		return;
	}
	if (control_conn_unsent(c) < before)
		control_conn_touch(c);
	/* Once flagged, something may have been dropped (conn_send): the peer cannot be served on. */
	if (c->overflow || (r == 0 && control_conn_unsent(c) > CONTROL_OUT_MAX)) {
		log_warnx("control: pid %ld does not read what it is sent (%zu bytes unsent): connection "
			  "closed",
			  (long)c->pid, control_conn_unsent(c));
		control_conn_close(c);
		return;
	}
	if (c->read_paused && control_conn_unsent(c) < CONTROL_OUT_LOW) {
		/* Drained: read again, and first answer the requests already read (control_conn_readable). */
		c->read_paused = false;
		if (!c->peer_eof && !c->in_paused)
			ev_io_start(loop, &c->rw);
		ev_feed_event(loop, &c->rw, EV_READ);
	}
	if (r == 0) {
		ev_io_start(loop, &c->ww);
		return;
	}
	ev_io_stop(loop, &c->ww);
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

/*
 * Queue c for the flush before the loop blocks, unless a writable watcher already waits.
 * Past CONTROL_OUT_MAX it is queued anyway: the flush closes it (never here, the caller may still hold
 * what the close would free).
 */
static void control_conn_queue(struct conn *c)
{
	struct control *ctl = c->ctl;

	if (control_conn_unsent(c) > CONTROL_OUT_MAX)
		c->overflow = true;
	if (!c->queued && (c->overflow || !ev_is_active(&c->ww))) {
		c->queued = true;
		c->refs++;
		c->qnext = ctl->flushq;
		ctl->flushq = c;
	}
}

void conn_send(struct conn *c, uint32_t type, json_t *body)
{
	int r;

	if (c->closed || c->overflow) { /* an overflowing peer is about to be closed: nothing more */
		json_decref(body);
		return;
	}
	if (body == NULL)
		body = json_object();
	if (c->inner) {
		if (c->sink != NULL)
			c->sink(c->sink_arg, type, body);
		json_decref(body);
		return;
	}
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
	if (c->closed || c->overflow || len == 0 || c->inner)
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
	return control_conn_unsent(c);
}

bool conn_watched(const struct conn *c)
{
	return c->on_close != NULL;
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
	return c->ctl->hooks.arg;
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
	if (c->inner) { /* no socket, not in the list: only its owner's callback and the reference */
		if (c->on_close != NULL) {
			void (*fn)(void *, struct conn *) = c->on_close;
			c->on_close = NULL;
			fn(c->on_close_arg, c);
		}
		control_conn_unref(c);
		return;
	}
	ev_io_stop(ctl->loop, &c->rw);
	ev_io_stop(ctl->loop, &c->ww);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	control_list_unlink(c);
	ctl->nconns--;
	if (c->in_paused) {
		c->in_paused = false;
		ctl->in_paused--;
	}
	control_in_account(c, 0);
	if (ctl->nconns == 0)
		ev_timer_stop(ctl->loop, &ctl->sweep_w);
	log_debug("control: connection from pid %ld closed", (long)c->pid);
	if (!ev_is_active(&ctl->trim_w)) {
		/* set again: a one-shot timer that fired keeps ~0 s as its time (libev), and would
		 * trim on the next iteration after every close, faulting the heap in again each time */
		ev_timer_set(&ctl->trim_w, 0.25, 0);
		ev_timer_start(ctl->loop, &ctl->trim_w);
	}
	if (c->on_close != NULL) {
		void (*fn)(void *, struct conn *) = c->on_close;
		c->on_close = NULL;
		fn(c->on_close_arg, c);
	}
	control_conn_unref(c);
}

/* Every handler table; engine: its handlers need the task engine, opened before they run. */
static const struct {
	const struct control_handler *tab;
	bool engine;
} control_tables[] = {
    {proc_handlers, false}, {daemon_handlers, false}, {check_handlers, false},
    {task_handlers, true},  {worker_handlers, true},  {metrics_handlers, false},
};

/* The handler of a message type; *task says it needs the task engine. */
static const struct control_handler *control_find(uint32_t type, bool *task)
{
	for (size_t t = 0; t < sizeof(control_tables) / sizeof(control_tables[0]); t++)
		for (const struct control_handler *h = control_tables[t].tab; h->type != 0; h++)
			if (h->type == type) {
				*task = control_tables[t].engine;
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
	struct engine *e = NULL;

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
	if (task && (e = c->ctl->hooks.engine(c->ctl->hooks.arg, err, sizeof(err))) == NULL) {
		conn_reply_error(c, 1, "task database: %s", err);
		return;
	}
	if (h->raw != NULL && hdr->len > 0 && h->raw(c->ctl->hooks.arg, c, payload, hdr->len))
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
	if (h->engine != NULL)
		h->engine(e, c, req);
	else
		h->handle(c->ctl->hooks.arg, c, req);
	json_decref(req);
}

/* Answer the whole requests already read, as long as the unsent replies stay under CONTROL_OUT_HIGH. */
static void control_conn_process(struct conn *c)
{
	struct proto_hdr hdr;
	char *payload;
	bool dispatched = false;
	int r;

	while (!c->closed && !c->close_after_flush && control_conn_unsent(c) <= CONTROL_OUT_HIGH &&
	       (r = proto_rbuf_next(&c->rb, &hdr, &payload)) != 0) {
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
		dispatched = true;
		control_dispatch(c, &hdr, payload);
	}
	if (c->closed)
		return;
	control_in_account(c, c->rb.len - c->rb.off);
	/* The request timer runs from the first byte of a request that is not whole yet. */
	if (c->rb.len == c->rb.off)
		c->frame_at = 0;
	else if (dispatched || c->frame_at == 0)
		c->frame_at = ev_now(c->ctl->loop);
	if (control_conn_unsent(c) > CONTROL_OUT_HIGH && !c->read_paused) {
		/* Back-pressure: the peer's further requests wait in the socket, not in our memory. */
		log_debug("control: pid %ld has %zu bytes unsent: not reading from it until they drain",
			  (long)c->pid, control_conn_unsent(c));
		c->read_paused = true;
		c->frame_at = 0;
		ev_io_stop(c->ctl->loop, &c->rw);
	}
}

/*
 * The first byte of a connection: a frame begins with PROTO_VERSION (a small number), an HTTP
 * request with a method's capital letter ("POST /RPC2 HTTP/1.1"). HTTP goes to the HTTP module
 * with the peer's credentials and leaves this list (its descriptor with it). true: handed over.
 */
static bool control_conn_sniff(struct conn *c)
{
	unsigned char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	int fd = c->fd;

	if (n <= 0)
		return false; /* nothing yet (read below), or EOF/error found by the read */
	c->sniffed = true;
	if (b < 'A' || b > 'Z')
		return false;
	/* Out of the list without closing the descriptor: it is the module's now (or refused there). */
	c->fd = -1;
	log_debug("control: pid %ld speaks HTTP", (long)c->pid);
	if (!handlers_http_adopt(c->ctl->hooks.arg, &c->ctl->http, fd, c->pid, c->uid, c->gid))
		close(fd);
	control_conn_close(c);
	return true;
}

static void control_conn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n = 1; /* 1: nothing read now (a resume after draining) */

	(void)loop;
	(void)revents;
	if (c->read_paused || c->in_paused)
		return;
	if (!c->peer_eof && c->ctl->in_bytes > CONTROL_IN_BUDGET && c->in_counted >= CONTROL_IN_SMALL) {
		/* Many large requests at once: this one waits (request_timeout still runs) for others to
		 * complete, so that clients cannot make the daemon hold more than the budget. */
		log_debug("control: pid %ld: %zu bytes of requests under way: not reading from it for now",
			  (long)c->pid, c->ctl->in_bytes);
		c->in_paused = true;
		c->ctl->in_paused++;
		ev_io_stop(c->ctl->loop, &c->rw);
		return;
	}
	if (!c->sniffed && !c->peer_eof && control_conn_sniff(c))
		return;
	if (!c->peer_eof) {
		n = proto_rbuf_fill(&c->rb, c->fd);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			n = 1;
		else if (n > 0)
			control_conn_touch(c);
		else if (n == 0)
			c->peer_eof = true;
	}
	conn_hold(c);
	/* Handle every whole frame already read, even when the peer then hung up. */
	control_conn_process(c);
	if (!c->closed && (n < 0 || (c->peer_eof && !c->read_paused))) {
		if (n < 0)
			log_debug("control: read from pid %ld: %s", (long)c->pid, strerror(errno));
		/* EOF: a held request (start waiting, tail -f) has nobody to answer any more. */
		control_conn_flush(c); /* but what was answered goes out (a half-closed peer reads it) */
		control_conn_close(c);
	} else if (!c->closed && c->peer_eof)
		ev_io_stop(c->ctl->loop, &c->rw); /* the rest is answered once the replies drain */
	conn_release(c);
}

/* Beyond the cap, or out of descriptors: one error frame, then close. Never blocks. */
static void control_refuse(int fd, const char *why)
{
	struct proto_wbuf wb;
	char body[256];

	snprintf(body, sizeof(body), "{\"error\":\"%s\",\"code\":1}", why);
	proto_wbuf_init(&wb);
	if (proto_wbuf_add(&wb, MSG_ERROR, body, strlen(body)) == 0)
		(void)proto_wbuf_flush(&wb, fd);
	proto_wbuf_free(&wb);
	close(fd);
}

/* At the cap: close the connection idle the longest, if one is idle. */
static bool control_evict(struct control *ctl)
{
	for (struct conn *c = ctl->conns_tail; c != NULL; c = c->prev) {
		if (!control_conn_idle(c))
			continue;
		/* The same words each time: a flood of these is one line and a count (log.c). */
		log_info("control: max_connections (%d) reached: closing the longest idle connection",
			 ctl->max_conns);
		control_conn_close(c);
		return true;
	}
	return false;
}

static void control_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;

	(void)revents;
	ev_io_start(loop, &ctl->accept_w);
}

/* accept() failed for want of descriptors or memory: stop watching the socket for a while (not spin). */
static void control_accept_pause(struct control *ctl)
{
	struct ev_loop *loop = ctl->loop;

	ctl->accept_delay = ctl->accept_delay > 0 ? ctl->accept_delay * 2 : 0.1;
	if (ctl->accept_delay > 1.0)
		ctl->accept_delay = 1.0;
	ev_io_stop(loop, &ctl->accept_w);
	ev_timer_set(&ctl->accept_retry, ctl->accept_delay, 0);
	ev_timer_start(loop, &ctl->accept_retry);
}

/* Out of descriptors: give up the spare one to take the waiting peer and tell it why. */
static void control_accept_spare(struct control *ctl)
{
	int fd, e = errno;

	if (ctl->spare_fd < 0)
		return;
	close(ctl->spare_fd);
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		control_refuse(fd, "the daemon is out of file descriptors; try again later");
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	errno = e;
}

/* (Re)start the timeout sweep: a few times per the shorter timeout, at most once a second. */
static void control_sweep_start(struct control *ctl)
{
	const struct conf *cf = ctl->hooks.conf(ctl->hooks.arg);
	double every = (double)cf->request_timeout / 4;

	if (cf->idle_timeout > 0 && (double)cf->idle_timeout / 4 < every)
		every = (double)cf->idle_timeout / 4;
	if (every > 1.0)
		every = 1.0;
	if (every < 0.25)
		every = 0.25;
	ev_timer_stop(ctl->loop, &ctl->sweep_w);
	ev_timer_set(&ctl->sweep_w, every, every);
	ev_timer_start(ctl->loop, &ctl->sweep_w);
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
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
			return;
		/* EMFILE, ENFILE, ENOBUFS, ENOMEM or worse: the same line each time (log.c counts repeats) */
		if (errno == EMFILE || errno == ENFILE) {
			control_accept_spare(ctl);
			log_warn("control: accept, pausing new connections (a waiting client is told why)");
		} else
			log_warn("control: accept, pausing new connections");
		control_accept_pause(ctl);
		return;
	}
	ctl->accept_delay = 0;
	if (ctl->nconns >= ctl->max_conns && !control_evict(ctl)) {
		char why[128];
		snprintf(why, sizeof(why), "too many connections (%d); try again later", ctl->nconns);
		control_refuse(fd, why);
		log_warnx("control: %s: connection refused", why);
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
	c->active_at = ev_now(loop);
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
	control_list_push(c);
	if (ctl->nconns++ == 0)
		control_sweep_start(ctl);
	log_debug("control: connection from pid %ld uid %ld (%s)", (long)c->pid, (long)c->uid,
		  c->admin	? "admin"
		  : c->readonly ? "read-only"
				: "no access");
}

int control_role(struct control *ctl, uid_t uid, gid_t gid)
{
	struct conn tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.uid = uid;
	tmp.gid = gid;
	control_conn_access(ctl, &tmp);
	return tmp.admin ? 2 : tmp.readonly ? 1 : 0;
}

int control_max_connections(const struct control *ctl)
{
	return ctl->max_conns;
}

int control_connections(const struct control *ctl)
{
	return ctl->nconns;
}

struct conn *control_inner_new(struct control *ctl, int role, conn_sink_fn *sink, void *sarg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->ctl = ctl;
	c->fd = -1;
	c->refs = 1;
	c->inner = true;
	c->sniffed = true;
	c->sink = sink;
	c->sink_arg = sarg;
	c->admin = role >= 2;
	c->readonly = role >= 1;
	c->pid = getpid();
	snprintf(c->user, sizeof(c->user), "http");
	proto_rbuf_init(&c->rb);
	proto_wbuf_init(&c->wb);
	return c;
}

void control_inner_request(struct conn *c, uint32_t type, json_t *req)
{
	struct proto_hdr hdr = {PROTO_VERSION, type, 0};
	char *payload = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;

	json_decref(req);
	if (c->closed)
		return;
	if (payload == NULL) {
		conn_reply_error(c, 1, "out of memory");
		return;
	}
	hdr.len = (uint32_t)strlen(payload);
	conn_hold(c);
	control_dispatch(c, &hdr, payload);
	conn_release(c);
	free(payload);
}

void control_inner_close(struct conn *c)
{
	if (c != NULL)
		control_conn_close(c);
}

/* Close what timed out: a request not whole after request_timeout, a connection idle for idle_timeout. */
static void control_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;
	const struct conf *cf = ctl->hooks.conf(ctl->hooks.arg);
	double now = ev_now(loop);

	(void)revents;
again:
	for (struct conn *c = ctl->conns_tail; c != NULL; c = c->prev) {
		if (!c->read_paused && c->frame_at > 0 && now - c->frame_at >= (double)cf->request_timeout) {
			struct proto_hdr h = {0, 0, 0};
			size_t have = c->rb.len - c->rb.off;
			if (have >= sizeof(h))
				memcpy(&h, c->rb.buf + c->rb.off, sizeof(h));
			log_warnx("control: pid %ld: request incomplete after %llds (%zu of %zu bytes): "
				  "connection closed",
				  (long)c->pid, cf->request_timeout, have,
				  have >= sizeof(h) ? sizeof(h) + h.len : sizeof(h));
			control_conn_close(c);
			goto again; /* a close may run callbacks that change the list */
		}
		/* Requests left unread because the replies do not drain are no reason to wait. */
		if (cf->idle_timeout > 0 && !control_conn_busy(c) &&
		    (c->rb.len == c->rb.off || c->read_paused) &&
		    now - c->active_at >= (double)cf->idle_timeout) {
			if (control_conn_unsent(c) > 0)
				log_warnx("control: pid %ld: its replies unread for %llds (%zu bytes): "
					  "connection closed",
					  (long)c->pid, cf->idle_timeout, control_conn_unsent(c));
			else
				log_info("control: pid %ld: idle for %llds: connection closed", (long)c->pid,
					 cf->idle_timeout);
			control_conn_close(c);
			goto again;
		}
	}
}

/*
 * The connection cap: max_connections, else what RLIMIT_NOFILE leaves after
 * CONTROL_FD_MARGIN and CONTROL_FDS_PER_PROC for each configured process (at most
 * CONTROL_DEFAULT_MAX). Warns when the limit leaves clients next to nothing.
 */
static void control_limits(struct control *ctl)
{
	const struct conf *cf = ctl->hooks.conf(ctl->hooks.arg);
	struct rlimit rl;
	long nofile = 1024, nprocs = 0, reserve, room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nofile = rl.rlim_cur > 1000000 ? 1000000 : (long)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile = 1000000;
	for (size_t i = 0; i < cf->nprograms; i++)
		nprocs += (long)cf->programs[i].nprocs;
	reserve = CONTROL_FD_MARGIN + CONTROL_FDS_PER_PROC * nprocs;
	room = nofile - reserve;
	if (room < 16)
		log_warnx(
		    "control: the open files limit (%ld) is too low for %ld processes (each needs ~%d, "
		    "and the daemon %d): raise [taskvisord] minfds (and the hard limit: LimitNOFILE=) to "
		    "at least %ld",
		    nofile, nprocs, CONTROL_FDS_PER_PROC, CONTROL_FD_MARGIN, reserve + 64);
	if (cf->max_connections > 0) {
		ctl->max_conns = cf->max_connections;
		if (ctl->max_conns > room) {
			ctl->max_conns = room > CONTROL_MIN_CONNS ? (int)room : CONTROL_MIN_CONNS;
			log_warnx(
			    "control: max_connections %d leaves too few file descriptors for supervision "
			    "(open files limit %ld, %ld processes): using %d",
			    cf->max_connections, nofile, nprocs, ctl->max_conns);
		}
	} else {
		ctl->max_conns = room > CONTROL_DEFAULT_MAX ? CONTROL_DEFAULT_MAX : (int)room;
		if (ctl->max_conns < CONTROL_MIN_CONNS)
			ctl->max_conns = CONTROL_MIN_CONNS;
	}
	log_info("control: at most %d connections (open files limit %ld, %ld processes)", ctl->max_conns,
		 nofile, nprocs);
}

void control_config_changed(struct control *ctl)
{
	char err[512];

	if (ctl == NULL)
		return;
	control_limits(ctl);
	if (handlers_http_config(ctl->hooks.arg, &ctl->http, err, sizeof(err)) < 0)
		log_warnx("http: %s (the running HTTP settings are kept)", err);
	if (ctl->nconns > 0)
		control_sweep_start(ctl); /* the timeouts may have changed */
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

struct control *control_new(struct ev_loop *loop, const struct control_hooks *hooks, char *err, size_t errlen)
{
	const struct conf *cf = hooks->conf(hooks->arg);
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
	ctl->loop = loop;
	ctl->hooks = *hooks;
	ctl->spare_fd = -1;
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
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	control_limits(ctl);
	ev_io_init(&ctl->accept_w, control_accept, ctl->fd, EV_READ);
	ctl->accept_w.data = ctl;
	ev_io_start(loop, &ctl->accept_w);
	ev_init(&ctl->accept_retry, control_accept_retry);
	ctl->accept_retry.data = ctl;
	ev_init(&ctl->sweep_w, control_sweep);
	ctl->sweep_w.data = ctl;
	ev_timer_init(&ctl->trim_w, control_trim_cb, 0.25, 0);
	ctl->trim_w.data = ctl;
	ev_prepare_init(&ctl->flush_w, control_flush_cb);
	ctl->flush_w.data = ctl;
	ev_set_priority(&ctl->flush_w, EV_MINPRI); /* after the engine's commit in the same iteration */
	ev_prepare_start(loop, &ctl->flush_w);
	ev_unref(loop); /* the flusher alone does not keep the loop running */
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
struct handlers_http **control_http(struct control *ctl)
{
	return &ctl->http;
}

void control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	handlers_http_free(ctl->http);
	ctl->http = NULL;
	ev_io_stop(ctl->loop, &ctl->accept_w);
	ev_timer_stop(ctl->loop, &ctl->accept_retry);
	ev_timer_stop(ctl->loop, &ctl->sweep_w);
	ev_timer_stop(ctl->loop, &ctl->trim_w);
	ev_ref(ctl->loop);
	ev_prepare_stop(ctl->loop, &ctl->flush_w);
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
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
