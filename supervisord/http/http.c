/*
 * http.c — the HTTP module (see http_module.h): libmicrohttpd in external epoll mode
 * on the daemon's libev loop. One MHD daemon without a listening socket takes
 * the connections handed over from the Unix socket (MHD_add_connection, each
 * with its peer's credentials as socket context); another, created only for an
 * [inet_http_server], listens on TCP. Both are driven by one ev_io on their
 * epoll descriptor and one timer for MHD's timeouts.
 *
 * Requests: POST /RPC2 (XML-RPC, rpc.c), GET /logtail/NAME[/stdout|stderr]
 * and GET /mainlogtail (the last 1024 bytes, then whatever is appended, as
 * supervisord's tail_f_producer: "==> File truncated <==" when it shrinks, the
 * new file after a rotation). A request whose answer is not ready (start
 * waits for RUNNING, a log with nothing new) is suspended, and resumed when
 * the answer comes, the log changes, or the peer hangs up (watched with an
 * ev_io of our own, since MHD does not watch a suspended connection).
 *
 * Bounds: a request body is at most HTTP_BODY_MAX (413 past it), a malformed
 * one is answered 400 as supervisord does; headers are at most what MHD's
 * per-connection memory (HTTP_CONN_MEMORY) holds; a connection silent for the
 * socket's request_timeout is closed; connections are capped at the control
 * socket's max_connections per listener.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "http_module.h"
#include "metrics.h"
#include "proto.h"
#include "rpc.h"
#include "web.h"
#include "xmlrpc.h"

#define HTTP_BODY_MAX (2u * 1024u * 1024u) /* an XML-RPC request body */
#define HTTP_CONN_MEMORY (64u * 1024u)	   /* MHD's per-connection pool: request line and headers */
#define HTTP_TAIL_HEAD 1024		   /* a log stream starts this far from the end */
#define HTTP_REALM "default"		   /* supervisord's Basic auth realm */
/* Free heap malloc keeps at the top instead of giving it back at each free, and the size from
 * which a block is mapped on its own: an answer of 100 processes (~120 KB of XML and its JSON)
 * would otherwise grow and shrink the heap, or map and unmap its buffer, and fault its pages in
 * again, on every call. The daemon still hands free heap back 0.25 s after a connection on its
 * socket closed (control.c's malloc_trim). */
#define HTTP_TRIM_THRESHOLD (1024 * 1024)

struct http_server;

/* One listener: an MHD daemon and the watcher of its epoll descriptor. */
struct http_listener {
	struct http_server *s;
	struct MHD_Daemon *mhd;
	ev_io io;
	bool local; /* connections handed over from the Unix socket */
};

struct http_server {
	struct http_ops ops;
	struct rpc_env env;
	struct http_listener local, inet;
	ev_timer tick; /* MHD's own timeouts */
	char *identifier, *version, *inet_port, *inet_user, *inet_pass, *unix_user, *unix_pass;
	unsigned max_conns, timeout;
	struct http_peer pending; /* the peer being handed to MHD_add_connection */
	ev_timer defer_w;	  /* a native request sent a moment after its reply */
	ev_timer reconf_w;	  /* the TCP listener moves (http_reconf_cb) */
	uint32_t deferred;
	struct http_req *reqs; /* requests under way (suspended ones are resumed before a stop) */
	struct web *web;       /* the web page (web.c): its CSRF secret */
};

/* Per connection (MHD's socket context). */
struct http_sock {
	struct http_peer peer;
	bool local;
};

/* A log stream. */
struct http_tail {
	char path[4096];
	int fd;
	ino_t ino;
	off_t sz;
};

/* Per request (MHD's con_cls). */
struct http_req {
	struct http_server *s;
	struct http_req *prev, *next; /* the server's requests under way */
	struct MHD_Connection *conn;
	enum http_role role;
	int kind;   /* 'r' RPC2, 't' log tail, 'w' the web page, 'm' metrics */
	int refuse; /* the HTTP status that answers it instead (401, 400, 404); 0 = served */
	char *body;
	size_t len;
	bool too_large;
	bool started;
	struct rpc_call *call;
	void *native; /* GET /metrics: its MSG_METRICS (http_ops.call_open) */
	char *xml;    /* the answer once it came (GET /metrics: the page) */
	size_t xlen;
	bool answered;
	bool suspended;
	bool peer_gone; /* hung up while suspended: the request ends without an answer */
	struct http_listener *listener;
	struct http_tail tail;
	ev_stat st;    /* the log changed */
	ev_io hup;     /* the peer hung up while suspended */
	ev_timer poll; /* the log is polled too (a file not there yet, a missed event) */

	struct web_call *web; /* kind 'w': the web page's answer (web.c) */
};

static void http_run(struct http_server *s);

static void http_logf(struct http_server *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void http_logf(struct http_server *s, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->ops.log(s->ops.arg, level, msg);
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	/* TCP options tried on a Unix socket: said for every handed-over connection, meaningless */
	if (strstr(msg, "TCP_NODELAY") != NULL || strstr(msg, "TCP_CORK") != NULL ||
	    strstr(msg, "push the data from buffers") != NULL)
		return;
	s->ops.log(s->ops.arg, 4, msg); /* MHD's own words (TCP options on a Unix socket...): debug */
}

/* ---- SHA-1, for supervisord's password = {SHA}hex ---- */

static uint32_t http_rol(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void http_sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = http_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = http_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = http_rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void http_sha1_hex(const char *msg, char out[41])
{
	uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	size_t len = strlen(msg), i;
	unsigned char block[64];
	uint64_t bits = (uint64_t)len * 8;

	for (i = 0; i + 64 <= len; i += 64)
		http_sha1_block(h, (const unsigned char *)msg + i);
	memset(block, 0, sizeof(block));
	memcpy(block, msg + i, len - i);
	block[len - i] = 0x80;
	if (len - i >= 56) {
		http_sha1_block(h, block);
		memset(block, 0, sizeof(block));
	}
	for (int k = 0; k < 8; k++)
		block[63 - k] = (unsigned char)(bits >> (8 * k));
	http_sha1_block(h, block);
	for (int k = 0; k < 5; k++)
		snprintf(out + 8 * k, 9, "%08x", h[k]);
}

/* supervisord's check: clear text, or "{SHA}" + the hex SHA-1 of the password. */
static bool http_password_ok(const char *want, const char *got)
{
	char hex[41];

	if (strncmp(want, "{SHA}", 5) == 0) {
		http_sha1_hex(got, hex);
		return strcasecmp(want + 5, hex) == 0;
	}
	return strcmp(want, got) == 0;
}

/* ---- responses ---- */

static enum MHD_Result http_queue(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
				  size_t len, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* medusa's error page, as supervisord sends it. */
static enum MHD_Result http_error(struct MHD_Connection *conn, unsigned status, const char *reason)
{
	char *page = NULL;
	int n = asprintf(
	    &page,
	    "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n"
	    "<p>Error code %u.\r\n<p>Message: %s.\r\n</body>\r\n",
	    status, reason);

	if (n < 0)
		return MHD_NO;
	return http_queue(conn, status, "text/html", page, (size_t)n, true);
}

static enum MHD_Result http_unauthorized(struct MHD_Connection *conn)
{
	static char page[] =
	    "<head>\r\n<title>Unauthorized</title>\r\n</head>\r\n<body>\r\n<h1>Unauthorized</h1>\r\n"
	    "</body>\r\n";
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(sizeof(page) - 1, page, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html");
	ret = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- suspending: until the answer, a log change or a hang-up ---- */

static void http_resume(struct http_req *q)
{
	if (!q->suspended)
		return;
	q->suspended = false;
	ev_io_stop(q->s->ops.loop, &q->hup);
	ev_stat_stop(q->s->ops.loop, &q->st);
	ev_timer_stop(q->s->ops.loop, &q->poll);
	MHD_resume_connection(q->conn);
	http_run(q->s);
}

static void http_hup_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_req *q = w->data;
	char c;
	ssize_t n = recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	(void)revents;
	if (n > 0) { /* a pipelined request, not a hang-up: stop looking (MHD reads it later) */
		ev_io_stop(loop, w);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	q->peer_gone = true;
	http_resume(q); /* EOF or error: MHD finds out and completes the request */
}

static void http_tail_changed(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop;
	(void)revents;
	http_resume(w->data);
}

static void http_tail_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	http_resume(w->data);
}

static void http_suspend(struct http_req *q)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (q->suspended)
		return;
	q->suspended = true;
	MHD_suspend_connection(q->conn);
	if (ci != NULL) {
		ev_io_init(&q->hup, http_hup_cb, ci->connect_fd, EV_READ);
		q->hup.data = q;
		ev_io_start(q->s->ops.loop, &q->hup);
	}
	if (q->kind == 't') {
		ev_stat_init(&q->st, http_tail_changed, q->tail.path, 0.);
		q->st.data = q;
		ev_stat_start(q->s->ops.loop, &q->st);
		ev_timer_init(&q->poll, http_tail_poll, 1., 0.);
		q->poll.data = q;
		ev_timer_start(q->s->ops.loop, &q->poll);
	}
}

/* ---- XML-RPC ---- */

static void http_rpc_done(void *arg, char *xml, size_t len)
{
	struct http_req *q = arg;

	q->xml = xml;
	q->xlen = len;
	q->answered = true;
	http_resume(q);
}

static enum MHD_Result http_rpc_answer(struct http_req *q)
{
	char *xml = q->xml;

	q->xml = NULL;
	if (xml == NULL)
		return http_error(q->conn, 500, "Internal Server Error");
	return http_queue(q->conn, 200, "text/xml", xml, q->xlen, true);
}

static enum MHD_Result http_rpc(struct http_req *q)
{
	char err[256], *method = NULL;
	json_t *params = NULL;

	if (q->answered)
		return http_rpc_answer(q);
	if (q->started) { /* resumed for a hang-up: wait on (MHD closes it if the peer left) */
		http_suspend(q);
		return MHD_YES;
	}
	q->started = true;
	if (q->too_large) {
		http_logf(q->s, 2, "http: XML-RPC request larger than %u bytes: refused", HTTP_BODY_MAX);
		return http_error(q->conn, 413, "Request Entity Too Large");
	}
	if (xmlrpc_parse(q->body != NULL ? q->body : "", q->len, &method, &params, err, sizeof(err)) < 0) {
		http_logf(q->s, 2, "http: XML-RPC request data is invalid: %s", err);
		return http_error(q->conn, 400, "Bad Request");
	}
	free(q->body);
	q->body = NULL;
	{
		char shown[128]; /* a client's bytes in the log: printable, one line */
		snprintf(shown, sizeof(shown), "%s", method);
		for (char *p = shown; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		http_logf(q->s, 4, "http: XML-RPC method called: %s()", shown);
	}
	q->call = rpc_start(&q->s->env, q->role, method, params, http_rpc_done, q);
	free(method);
	if (q->call == NULL)
		return http_error(q->conn, 500, "Internal Server Error");
	if (q->answered)
		return http_rpc_answer(q);
	http_suspend(q);
	return MHD_YES;
}

/* ---- the web page (web.c): pages and actions, answered as XML-RPC is (suspended until ready) ---- */

static void http_web_done(void *arg)
{
	struct http_req *q = arg;

	q->answered = true;
	http_resume(q);
}

/* ---- GET /metrics (metrics.c) ---- */

static unsigned http_conns(struct http_listener *l)
{
	const union MHD_DaemonInfo *di =
	    l->mhd != NULL ? MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;

	return di != NULL ? di->num_connections : 0;
}

static void http_metrics_sink(void *sarg, uint32_t type, json_t *body)
{
	struct http_req *q = sarg;

	if (type == MSG_DATA || q->answered)
		return;
	q->xml = type == MSG_OK
		     ? metrics_text(body, http_conns(&q->s->local) + http_conns(&q->s->inet), &q->xlen)
		     : NULL;
	q->answered = true;
	http_resume(q);
}

static enum MHD_Result http_web(struct http_req *q, const char *method, const char *url)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_sock *sk = ci != NULL ? ci->socket_context : NULL;

	if (q->answered)
		return web_answer(q->web, q->conn);
	if (q->started) { /* resumed for a hang-up: wait on (MHD closes it if the peer left) */
		http_suspend(q);
		return MHD_YES;
	}
	q->started = true;
	if (q->too_large)
		return http_error(q->conn, 413, "Request Entity Too Large");
	if (q->s->web != NULL)
		q->web = web_start(q->s->web, q->conn, q->role, sk != NULL && sk->local ? &sk->peer : NULL,
				   method, url, q->body, q->len, http_web_done, q);
	if (q->web == NULL)
		return http_error(q->conn, 500, "Internal Server Error");
	if (q->answered)
		return web_answer(q->web, q->conn);
	http_suspend(q);
	return MHD_YES;
}

/* MSG_METRICS through the daemon's handler (read-only users may), written as Prometheus reads it. */
static enum MHD_Result http_metrics(struct http_req *q)
{
	if (!q->answered && !q->started) {
		q->started = true;
		q->native = q->s->ops.call_open(q->s->ops.arg, q->role, http_metrics_sink, q);
		if (q->native == NULL)
			return http_error(q->conn, 500, "Internal Server Error");
		q->s->ops.call(q->native, MSG_METRICS, json_object());
	}
	if (!q->answered) {
		http_suspend(q);
		return MHD_YES;
	}
	if (q->xml == NULL)
		return http_error(q->conn, 500, "Internal Server Error");
	{
		char *page = q->xml;
		q->xml = NULL;
		return http_queue(q->conn, 200, METRICS_CONTENT_TYPE, page, q->xlen, true);
	}
}

/* ---- log streams ---- */

static void http_tail_open(struct http_tail *t)
{
	struct stat st;

	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	t->ino = t->fd >= 0 && fstat(t->fd, &st) == 0 ? st.st_ino : 0;
	t->sz = 0;
}

static ssize_t http_tail_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char truncated[] = "==> File truncated <==\n";
	struct http_req *q = cls;
	struct http_tail *t = &q->tail;
	struct stat st;
	ssize_t n;

	(void)pos;
	if (q->peer_gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (stat(t->path, &st) == 0 && st.st_ino != t->ino) { /* rotated: follow the new file */
		if (t->fd >= 0)
			close(t->fd);
		http_tail_open(t);
	}
	if (t->fd >= 0 && fstat(t->fd, &st) == 0) {
		if (st.st_size < t->sz) {
			t->sz = 0;
			if (max >= sizeof(truncated) - 1) {
				memcpy(buf, truncated, sizeof(truncated) - 1);
				return (ssize_t)(sizeof(truncated) - 1);
			}
		}
		if (st.st_size > t->sz) {
			size_t want = (size_t)(st.st_size - t->sz) < max ? (size_t)(st.st_size - t->sz) : max;
			n = pread(t->fd, buf, want, t->sz);
			if (n > 0) {
				t->sz += n;
				return n;
			}
		}
	}
	http_suspend(q); /* nothing new: wake on a change or a hang-up */
	return 0;
}

/* /logtail/NAME[/CHANNEL] and /mainlogtail: 404 when there is no such process or file yet. */
static enum MHD_Result http_tail(struct http_req *q, const char *url)
{
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result ret;

	if (strcmp(url, "/mainlogtail") == 0 || strncmp(url, "/mainlogtail/", 13) == 0) {
		const char *p = q->s->ops.main_log(q->s->ops.arg);
		if (p == NULL)
			return http_error(q->conn, 404, "Not Found");
		snprintf(q->tail.path, sizeof(q->tail.path), "%s", p);
	} else {
		char name[1024], *chan;
		int stream = 1;
		while (*url == '/')
			url++;
		snprintf(name, sizeof(name), "%s", url + strlen("logtail"));
		memmove(name, name + strspn(name, "/"), strlen(name + strspn(name, "/")) + 1);
		chan = strchr(name, '/');
		if (chan != NULL) {
			*chan++ = '\0';
			if (strcmp(chan, "stderr") == 0)
				stream = 2;
			else if (strcmp(chan, "stdout") != 0)
				return http_error(q->conn, 404, "Not Found");
		}
		if (q->s->ops.log_path(q->s->ops.arg, name, stream, q->tail.path, sizeof(q->tail.path)) != 1)
			return http_error(q->conn, 404, "Not Found");
	}
	if (stat(q->tail.path, &st) < 0)
		return http_error(q->conn, 404, "Not Found");
	http_tail_open(&q->tail);
	if (q->tail.fd < 0)
		return http_error(q->conn, 404, "Not Found");
	if (fstat(q->tail.fd, &st) == 0 && st.st_size >= HTTP_TAIL_HEAD)
		q->tail.sz = st.st_size - HTTP_TAIL_HEAD;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, http_tail_read, q, NULL);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain;charset=utf-8");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(q->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- requests ---- */

/* Basic auth when a username is configured for this side; the role of the peer. */
static enum http_role http_access(struct http_server *s, struct MHD_Connection *conn, bool *auth_failed)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_sock *sk = ci != NULL ? ci->socket_context : NULL;
	bool local = sk != NULL && sk->local;
	const char *user = local ? s->unix_user : s->inet_user, *pass = local ? s->unix_pass : s->inet_pass;

	*auth_failed = false;
	if (user != NULL) {
		char *gotpass = NULL, *gotuser = MHD_basic_auth_get_username_password(conn, &gotpass);
		bool ok = gotuser != NULL && strcmp(gotuser, user) == 0 &&
			  http_password_ok(pass != NULL ? pass : "", gotpass != NULL ? gotpass : "");
		if (gotuser != NULL)
			MHD_free(gotuser);
		if (gotpass != NULL)
			MHD_free(gotpass);
		if (!ok) {
			*auth_failed = true;
			return HTTP_ROLE_NONE;
		}
	}
	if (!local)
		return HTTP_ROLE_ADMIN; /* supervisord's rule: whoever gets past the password may do anything
					 */
	return s->ops.role(s->ops.arg, &sk->peer);
}

static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	struct http_listener *l = cls;
	struct http_server *s = l->s;
	struct http_req *q = *con_cls;
	bool auth_failed;

	(void)version;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		q->s = s;
		q->conn = conn;
		q->listener = l;
		q->tail.fd = -1;
		q->next = s->reqs;
		if (s->reqs != NULL)
			s->reqs->prev = q;
		s->reqs = q;
		*con_cls = q;
		q->role = http_access(s, conn, &auth_failed);
		/* Refusals are answered once the body is read: an early answer closes the connection
		 * under a client still writing it (a broken pipe instead of the 401). */
		if (auth_failed || q->role == HTTP_ROLE_NONE) {
			http_logf(s, 3, "http: %s %s: %s", method, url,
				  auth_failed ? "wrong or missing credentials" : "permission denied");
			q->refuse = 401;
		} else if (strcmp(method, "POST") == 0 && strncmp(url, "/RPC2", 5) == 0)
			q->kind = 'r';
		else if (strcmp(method, "GET") == 0 &&
			 (strncmp(url, "/logtail/", 9) == 0 || strncmp(url, "/mainlogtail", 12) == 0))
			q->kind = 't';
		else if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
			q->kind = 'm';
		else if (strncmp(url, "/RPC2", 5) == 0 || strncmp(url, "/logtail", 8) == 0)
			q->refuse = 400;
		else if (web_route(method, url))
			q->kind = 'w';
		else
			q->refuse = 404;
		return MHD_YES;
	}
	if (q->peer_gone)
		return MHD_NO; /* closes the connection */
	if (q->refuse != 0 && *upload_size > 0) {
		*upload_size = 0; /* read and dropped */
		return MHD_YES;
	}
	if (q->refuse == 401)
		return http_unauthorized(conn);
	if (q->refuse != 0)
		return http_error(conn, (unsigned)q->refuse, q->refuse == 400 ? "Bad Request" : "Not Found");
	if (*upload_size > 0) {
		if (!q->too_large && q->len + *upload_size <= HTTP_BODY_MAX) {
			char *nb = realloc(q->body, q->len + *upload_size + 1);
			if (nb == NULL)
				return MHD_NO;
			memcpy(nb + q->len, upload, *upload_size);
			q->body = nb;
			q->len += *upload_size;
			q->body[q->len] = '\0';
		} else
			q->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->kind == 't')
		return http_tail(q, url);
	if (q->kind == 'w')
		return http_web(q, method, url);
	if (q->kind == 'm')
		return http_metrics(q);
	return http_rpc(q);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct http_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->s->reqs = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	ev_io_stop(q->s->ops.loop, &q->hup);
	ev_stat_stop(q->s->ops.loop, &q->st);
	ev_timer_stop(q->s->ops.loop, &q->poll);
	rpc_free(q->call);
	web_free(q->web);
	if (q->native != NULL)
		q->s->ops.call_close(q->native);
	if (q->tail.fd >= 0)
		close(q->tail.fd);
	free(q->xml);
	free(q->body);
	free(q);
	*con_cls = NULL;
}

static void http_notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
			     enum MHD_ConnectionNotificationCode toe)
{
	struct http_listener *l = cls;
	struct http_sock *sk;

	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	sk = calloc(1, sizeof(*sk));
	if (sk == NULL)
		return;
	sk->local = l->local;
	if (l->local)
		sk->peer = l->s->pending;
	*socket_context = sk;
}

/* ---- the loop ---- */

static void http_run_one(struct http_listener *l)
{
	if (l->mhd != NULL)
		MHD_run(l->mhd);
}

static void http_run(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG t1 = 0, t2 = 0;
	int h1, h2;
	double after;

	http_run_one(&s->local);
	http_run_one(&s->inet);
	h1 = s->local.mhd != NULL && MHD_get_timeout(s->local.mhd, &t1) == MHD_YES;
	h2 = s->inet.mhd != NULL && MHD_get_timeout(s->inet.mhd, &t2) == MHD_YES;
	ev_timer_stop(s->ops.loop, &s->tick);
	if (!h1 && !h2)
		return;
	after = (double)(h1 && h2 ? (t1 < t2 ? t1 : t2) : h1 ? t1 : t2) / 1000.0;
	ev_timer_set(&s->tick, after > 0 ? after : 0.001, 0.);
	ev_timer_start(s->ops.loop, &s->tick);
}

static void http_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_listener *l = w->data;

	(void)loop;
	(void)revents;
	http_run(l->s);
}

static void http_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	http_run(w->data);
}

static void http_defer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_server *s = w->data;
	void *h = s->ops.call_open(s->ops.arg, HTTP_ROLE_ADMIN, NULL, NULL);

	(void)loop;
	(void)revents;
	if (h == NULL)
		return;
	s->ops.call(h, s->deferred, json_object());
	s->ops.call_close(h);
}

static void http_defer(void *darg, uint32_t type)
{
	struct http_server *s = darg;

	s->deferred = type;
	ev_timer_stop(s->ops.loop, &s->defer_w);
	ev_timer_set(&s->defer_w, 0.2, 0.);
	ev_timer_start(s->ops.loop, &s->defer_w);
}

static void http_listener_stop(struct http_listener *l)
{
	bool resumed = false;

	if (l->mhd == NULL)
		return;
	/* MHD may not stop with suspended connections: wake them, they end (peer_gone) */
	for (struct http_req *q = l->s->reqs; q != NULL; q = q->next)
		if (q->suspended && q->listener == l) {
			q->peer_gone = true;
			q->suspended = false;
			ev_io_stop(l->s->ops.loop, &q->hup);
			ev_stat_stop(l->s->ops.loop, &q->st);
			ev_timer_stop(l->s->ops.loop, &q->poll);
			MHD_resume_connection(q->conn);
			resumed = true;
		}
	if (resumed)
		MHD_run(l->mhd);
	ev_io_stop(l->s->ops.loop, &l->io);
	MHD_stop_daemon(l->mhd);
	l->mhd = NULL;
}

/* Start an MHD daemon on listen_fd (-1: none, connections are handed over). */
static int http_listener_start(struct http_server *s, struct http_listener *l, int listen_fd, char *err,
			       size_t errlen)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;

	l->s = s;
	if (listen_fd < 0)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	{
		struct MHD_OptionItem opts[] = {
		    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->max_conns, NULL},
		    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->timeout, NULL},
		    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)HTTP_CONN_MEMORY, NULL},
		    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)http_completed, l},
		    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_notify_conn, l},
		    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)http_mhd_log, s},
		    {listen_fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, listen_fd, NULL},
		    {MHD_OPTION_END, 0, NULL},
		};
		l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_handle, l, MHD_OPTION_ARRAY, opts,
					  MHD_OPTION_END);
	}
	if (l->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd)");
		return -1;
	}
	di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL) {
		MHD_stop_daemon(l->mhd);
		l->mhd = NULL;
		snprintf(err, errlen, "libmicrohttpd has no epoll descriptor");
		return -1;
	}
	ev_io_init(&l->io, http_io_cb, di->epoll_fd, EV_READ);
	l->io.data = l;
	ev_io_start(s->ops.loop, &l->io);
	return 0;
}

/* A TCP socket listening on "host:port", ":port" or "*:port". */
static int http_listen(const char *spec, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *res = NULL;
	int fd, one = 1, rc;

	if (colon == NULL) {
		host[0] = '\0';
		snprintf(port, sizeof(port), "%s", spec);
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	}
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL : host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "[inet_http_server] port %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "[inet_http_server] port %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* ---- the module's entry points ---- */

static char *http_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static bool http_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void http_reconf_cb(struct ev_loop *loop, ev_timer *w, int revents);

static struct http_server *http_create(const struct http_ops *ops, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = *ops;
	s->web = web_new(ops); /* NULL: the web page answers 500, XML-RPC is served */
	mallopt(M_TRIM_THRESHOLD, HTTP_TRIM_THRESHOLD);
	mallopt(M_MMAP_THRESHOLD, HTTP_TRIM_THRESHOLD);
	s->env.ops = &s->ops;
	s->env.defer = http_defer;
	s->env.darg = s;
	s->local.s = s->inet.s = s;
	s->local.local = true;
	s->max_conns = 64;
	s->timeout = 30;
	ev_init(&s->tick, http_tick_cb);
	s->tick.data = s;
	ev_init(&s->defer_w, http_defer_cb);
	s->defer_w.data = s;
	ev_init(&s->reconf_w, http_reconf_cb);
	s->reconf_w.data = s;
	return s;
}

static void http_free_conf(struct http_server *s)
{
	free(s->identifier);
	free(s->version);
	free(s->inet_port);
	free(s->inet_user);
	free(s->inet_pass);
	free(s->unix_user);
	free(s->unix_pass);
}

/* Open the TCP listener on s->inet_port (none when NULL). */
static int http_inet_open(struct http_server *s, char *err, size_t errlen)
{
	int fd;

	if (s->inet_port == NULL)
		return 0;
	fd = http_listen(s->inet_port, err, errlen);
	if (fd < 0 || http_listener_start(s, &s->inet, fd, err, errlen) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	http_logf(s, 3, "http: XML-RPC listening on %s", s->inet_port);
	return 0;
}

/* The port changed while a listener serves (maybe the very request that reloaded): swap it from
 * the loop, not from inside its own request. */
static void http_reconf_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_server *s = w->data;
	char err[512];

	(void)loop;
	(void)revents;
	http_listener_stop(&s->inet);
	if (http_inet_open(s, err, sizeof(err)) < 0)
		http_logf(s, 2, "http: %s: no XML-RPC over TCP until the next reload", err);
	else if (s->inet_port == NULL)
		http_logf(s, 3, "http: XML-RPC over TCP closed");
}

/* Settings; the connection cap and the timeout are taken when a listener starts. */
static int http_configure(struct http_server *s, const struct http_conf *cf, char *err, size_t errlen)
{
	bool port_changed = !http_same(s->inet_port, cf->inet_port);

	http_free_conf(s);
	s->identifier = http_dup(cf->identifier != NULL ? cf->identifier : "supervisor");
	s->version = http_dup(cf->version != NULL ? cf->version : "");
	s->inet_port = http_dup(cf->inet_port);
	s->inet_user = http_dup(cf->inet_user);
	s->inet_pass = http_dup(cf->inet_pass);
	s->unix_user = http_dup(cf->unix_user);
	s->unix_pass = http_dup(cf->unix_pass);
	s->max_conns = cf->max_conns > 0 ? cf->max_conns : 64;
	s->timeout = cf->timeout;
	s->env.identifier = s->identifier;
	s->env.version = s->version;
	if (!port_changed)
		return 0;
	if (s->inet.mhd == NULL)
		return http_inet_open(s, err, errlen);
	ev_timer_stop(s->ops.loop, &s->reconf_w);
	ev_timer_set(&s->reconf_w, 0., 0.);
	ev_timer_start(s->ops.loop, &s->reconf_w);
	return 0;
}

static int http_adopt(struct http_server *s, int fd, const struct http_peer *peer)
{
	struct sockaddr_un sun;
	char err[256];

	if (s->local.mhd == NULL && http_listener_start(s, &s->local, -1, err, sizeof(err)) < 0) {
		http_logf(s, 2, "http: %s", err);
		close(fd);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	s->pending = *peer;
	if (MHD_add_connection(s->local.mhd, fd, (const struct sockaddr *)&sun, sizeof(sun)) != MHD_YES) {
		http_logf(s, 2, "http: connection from pid %ld refused (at most %u)", (long)peer->pid,
			  s->max_conns);
		return -1; /* MHD closed fd */
	}
	http_run(s);
	return 0;
}

static void http_destroy(struct http_server *s)
{
	if (s == NULL)
		return;
	http_listener_stop(&s->local);
	http_listener_stop(&s->inet);
	ev_timer_stop(s->ops.loop, &s->tick);
	ev_timer_stop(s->ops.loop, &s->defer_w);
	ev_timer_stop(s->ops.loop, &s->reconf_w);
	json_decref(s->env.reread_changed);
	json_decref(s->env.reread_removed);
	json_decref(s->env.taken_out);
	http_free_conf(s);
	web_destroy(s->web);
	free(s);
}

const struct http_module http_module = {HTTP_MODULE_ABI, http_create, http_configure, http_adopt,
					http_destroy};
