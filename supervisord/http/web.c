/*
 * web.c — the web page at / (README "Web page"), on the same listeners as
 * XML-RPC: the processes, the tasks (search and paging), a task, the workers and
 * queues, a log view; start/stop/restart and resume/skip/cancel for admins.
 * Routing, the native requests each page makes (through ops->call_open/call, as
 * a client: the daemon's handlers decide and check roles again), the security
 * headers and the checks on actions. The HTML is web_page.c's.
 *
 * Actions are POSTs only, and refused with 403 unless the peer is admin, the
 * form carries the session's CSRF token (web_csrf.c) and a browser's Origin (or
 * Referer) names this very host. Every page is bounded (WEB_* in web_int.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "proto.h"
#include "web_int.h"

/* The security headers of every answer: no inline script or style, no framing. */
#define WEB_CSP                                                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "      \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct web *web_new(const struct http_ops *ops)
{
	struct web *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->ops = *ops;
	return w;
}

void web_destroy(struct web *w)
{
	if (w == NULL)
		return;
	memset(w->secret, 0, sizeof(w->secret));
	free(w);
}

/* The pages (GET) and actions (POST) web_start serves. */
static const char *const web_pages[] = {"/",	 "/tasks",	    "/task",	      "/workers",
					"/tail", "/static/app.css", "/static/app.js", NULL};
static const char *const web_actions[] = {"start", "stop", "restart", "resume", "skip", "cancel", NULL};

static int web_index(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

bool web_route(const char *method, const char *url)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return web_index(web_pages, url) >= 0;
	if (strcmp(method, "POST") == 0)
		return strncmp(url, "/action/", 8) == 0;
	return false;
}

/* ---- answering ---- */

static void web_finish_as(struct web_call *c, unsigned status, const char *type)
{
	struct web_buf *b = &c->out;

	if (b->oom) {
		free(b->s);
		b->s = NULL;
		b->len = 0;
		status = 500;
		type = "text/plain; charset=utf-8";
	}
	c->resp = MHD_create_response_from_buffer(b->len, b->s, MHD_RESPMEM_MUST_FREE);
	if (c->resp == NULL)
		free(b->s);
	b->s = NULL;
	c->status = status;
	if (c->resp != NULL) {
		MHD_add_response_header(c->resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		MHD_add_response_header(c->resp, "Content-Security-Policy", WEB_CSP);
		MHD_add_response_header(c->resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(c->resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(c->resp, "Referrer-Policy", "same-origin");
		MHD_add_response_header(c->resp, "Cache-Control", "no-store");
	}
	c->done(c->arg);
}

static void web_finish(struct web_call *c, unsigned status)
{
	web_finish_as(c, status, "text/html; charset=utf-8");
}

/* A whole message page (a refusal, an action's result, a native error). */
static void web_message(struct web_call *c, unsigned status, const char *title, const char *msg, bool error,
			const char *back)
{
	web_page_message(c, title, msg, error, back);
	web_finish(c, status);
}

enum MHD_Result web_answer(struct web_call *c, struct MHD_Connection *conn)
{
	enum MHD_Result r;

	if (c->resp == NULL)
		return MHD_NO;
	r = MHD_queue_response(conn, c->status, c->resp);
	MHD_destroy_response(c->resp);
	c->resp = NULL;
	return r;
}

void web_free(struct web_call *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->w->ops.loop, &c->later);
	if (c->native != NULL)
		c->w->ops.call_close(c->native);
	json_decref(c->rbody);
	json_decref(c->keep);
	if (c->resp != NULL)
		MHD_destroy_response(c->resp);
	free(c->out.s);
	free(c);
}

/* ---- native requests: the reply is handled on the next loop iteration, never inside call() ---- */

static void web_later_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct web_call *c = t->data;
	web_next_fn *next = c->next;
	json_t *body = c->rbody;

	(void)loop;
	(void)revents;
	c->next = NULL;
	c->rbody = NULL;
	if (next != NULL)
		next(c, c->rtype, body);
	json_decref(body);
}

static void web_sink(void *sarg, uint32_t type, json_t *body)
{
	struct web_call *c = sarg;

	if (type == MSG_DATA || c->next == NULL || c->rbody != NULL)
		return;
	c->rtype = type;
	c->rbody = json_incref(body);
	ev_timer_stop(c->w->ops.loop, &c->later);
	ev_timer_set(&c->later, 0., 0.);
	ev_timer_start(c->w->ops.loop, &c->later);
}

/* Send a native request (req taken); next(c, MSG_OK|MSG_ERROR, body) gets its reply. */
static void web_native(struct web_call *c, uint32_t type, json_t *req, web_next_fn *next)
{
	if (c->native == NULL)
		c->native = c->w->ops.call_open(c->w->ops.arg, c->role, web_sink, c);
	if (c->native == NULL || req == NULL) {
		json_decref(req);
		web_message(c, 500, "Error", "out of memory", true, "/");
		return;
	}
	c->next = next;
	c->w->ops.call(c->native, type, req);
}

static const char *web_error_text(json_t *body)
{
	const char *e = json_string_value(json_object_get(body, "error"));
	return e != NULL ? e : "failed";
}

/* ---- pages ---- */

static const char *web_arg(struct web_call *c, const char *key)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, key);
}

static void web_processes_next(struct web_call *c, uint32_t type, json_t *body)
{
	if (type != MSG_OK)
		return web_message(c, 500, "Processes", web_error_text(body), true, "/");
	web_page_processes(c, json_object_get(body, "processes"));
	web_finish(c, 200);
}

static void web_tail_next(struct web_call *c, uint32_t type, json_t *body)
{
	const char *name = web_arg(c, "name"), *stream = web_arg(c, "stream");

	if (type != MSG_OK)
		return web_message(c, 404, "Log", web_error_text(body), true, "/");
	web_page_tail(c, name, stream != NULL && strcmp(stream, "stderr") == 0 ? "stderr" : "stdout", body);
	web_finish(c, 200);
}

/* ?page=N: 1.. (a bad one is 1). */
static long web_page_number(struct web_call *c)
{
	const char *p = web_arg(c, "page");
	long n = p != NULL ? strtol(p, NULL, 10) : 1;

	return n >= 1 ? n : 1;
}

static void web_tasks_next(struct web_call *c, uint32_t type, json_t *body)
{
	const char *q = web_arg(c, "q"), *order = web_arg(c, "order");

	if (type != MSG_OK) {
		web_page_tasks(c, q, order, web_page_number(c), NULL, web_error_text(body));
		return web_finish(c, 400);
	}
	web_page_tasks(c, q, order, web_page_number(c), json_object_get(body, "tasks"), NULL);
	web_finish(c, 200);
}

static void web_task_next(struct web_call *c, uint32_t type, json_t *body)
{
	if (type != MSG_OK)
		return web_message(c, 404, "Task", web_error_text(body), true, "/tasks");
	web_page_task(c, json_object_get(body, "task"));
	web_finish(c, 200);
}

static void web_queues_next(struct web_call *c, uint32_t type, json_t *body)
{
	if (type != MSG_OK)
		return web_message(c, 500, "Workers", web_error_text(body), true, "/workers");
	web_page_workers(c, json_object_get(c->keep, "workers"), json_object_get(body, "queues"));
	web_finish(c, 200);
}

static void web_workers_next(struct web_call *c, uint32_t type, json_t *body)
{
	if (type != MSG_OK)
		return web_message(c, 500, "Workers", web_error_text(body), true, "/workers");
	c->keep = json_incref(body);
	web_native(c, MSG_QUEUE_LIST, json_object(), web_queues_next);
}

/* Is s absent or UTF-8 (what a native request can carry)? */
static bool web_text_ok(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	json_decref(j);
	return s == NULL || j != NULL;
}

static void web_get(struct web_call *c, const char *url)
{
	const char *name = web_arg(c, "name"), *id = web_arg(c, "id");

	if (!web_text_ok(name) || !web_text_ok(id) || !web_text_ok(web_arg(c, "q")) ||
	    !web_text_ok(web_arg(c, "order")))
		return web_message(c, 400, "Bad request", "a parameter is not UTF-8 text", true, "/");
	switch (web_index(web_pages, url)) {
	case 0:
		web_native(c, MSG_STATUS, json_pack("{s:b}", "memory", 1), web_processes_next);
		return;
	case 1: {
		long page = web_page_number(c);
		const char *q = web_arg(c, "q"), *order = web_arg(c, "order");
		json_t *req;
		if (page > WEB_LIST_MAX / WEB_PAGE_SIZE) {
			web_page_tasks(c, q, order, page, NULL,
				       "page out of range: narrow the search instead");
			return web_finish(c, 400);
		}
		/* one more than the page: is there a next one? */
		req = json_pack("{s:s, s:I}", "search", q != NULL ? q : "", "limit",
				(json_int_t)(page * WEB_PAGE_SIZE + 1));
		if (req != NULL && order != NULL && order[0] != '\0')
			json_object_set_new(req, "order", json_string(order));
		web_native(c, MSG_TASK_LIST, req, web_tasks_next);
		return;
	}
	case 2:
		if (id == NULL || id[0] == '\0')
			return web_message(c, 400, "Task", "no task id given (?id=ID)", true, "/tasks");
		web_native(c, MSG_TASK_SHOW, json_pack("{s:s}", "id", id), web_task_next);
		return;
	case 3:
		web_native(c, MSG_WORKER_LIST, json_object(), web_workers_next);
		return;
	case 4: {
		const char *stream = web_arg(c, "stream");
		if (name == NULL || name[0] == '\0')
			return web_message(c, 400, "Log", "no process name given (?name=NAME)", true, "/");
		web_native(c, MSG_TAIL,
			   json_pack("{s:s, s:s, s:i, s:b}", "name", name, "stream",
				     stream != NULL && strcmp(stream, "stderr") == 0 ? "stderr" : "stdout",
				     "bytes", WEB_TAIL_BYTES, "follow", 0),
			   web_tail_next);
		return;
	}
	case 5:
		web_buf_puts(&c->out, web_assets_css);
		return web_finish_as(c, 200, "text/css; charset=utf-8");
	case 6:
		web_buf_puts(&c->out, web_assets_js);
		return web_finish_as(c, 200, "text/javascript; charset=utf-8");
	default:
		return web_message(c, 404, "Not found", "no such page", true, "/");
	}
}

/* ---- actions ---- */

/* The value of key in an application/x-www-form-urlencoded body, decoded into out ("" if absent). */
static void web_form(const char *body, size_t len, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), i = 0;

	out[0] = '\0';
	while (i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > klen && strncmp(body + i, key, klen) == 0 && body[i + klen] == '=') {
			size_t o = 0;
			for (size_t k = i + klen + 1; k < end && o + 1 < outlen; k++) {
				char ch = body[k];
				if (ch == '+')
					ch = ' ';
				else if (ch == '%' && k + 2 < end && isxdigit((unsigned char)body[k + 1]) &&
					 isxdigit((unsigned char)body[k + 2])) {
					char hex[3] = {body[k + 1], body[k + 2], '\0'};
					ch = (char)strtol(hex, NULL, 16);
					k += 2;
				}
				out[o++] = ch;
			}
			out[o] = '\0';
			return;
		}
		i = end + 1;
	}
}

/* Does a browser's Origin (else Referer) name this host? Absent both (curl): the token decides. */
static bool web_same_origin(struct web_call *c)
{
	const char *host = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Origin");
	const char *from =
	    origin != NULL ? origin : MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Referer");
	size_t hl;

	if (from == NULL)
		return true;
	if (host == NULL)
		return false;
	if (strncmp(from, "http://", 7) == 0)
		from += 7;
	else if (strncmp(from, "https://", 8) == 0)
		from += 8;
	else
		return false; /* "null" (a sandboxed or file: page) included */
	hl = strlen(host);
	return strncmp(from, host, hl) == 0 && (from[hl] == '\0' || from[hl] == '/');
}

static void web_log(struct web_call *c, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "http: web action refused: %s", why);
	c->w->ops.log(c->w->ops.arg, 3, msg);
}

static const char *web_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "?";
}

static void web_proc_done(struct web_call *c, uint32_t type, json_t *body)
{
	struct web_buf msg = {0};
	json_t *r;
	size_t i;

	if (type != MSG_OK)
		return web_message(c, 403, "Action refused", web_error_text(body), true, "/");
	json_array_foreach(json_object_get(body, "results"), i, r)
	{
		web_buf_printf(&msg, "%s%s: %s", i > 0 ? "\n" : "", web_str(r, "name"),
			       web_str(r, "message"));
	}
	web_message(c, 200, "Done", msg.s != NULL ? msg.s : "nothing to do", false, "/");
	free(msg.s);
}

static void web_task_done(struct web_call *c, uint32_t type, json_t *body)
{
	json_t *t = json_object_get(body, "task");
	const char *id = json_string_value(json_object_get(t, "id"));
	char back[128], msg[256];

	if (type != MSG_OK)
		return web_message(c, 409, "Action refused", web_error_text(body), true, "/tasks");
	snprintf(back, sizeof(back), "/task?id=%s", id != NULL ? id : "");
	snprintf(msg, sizeof(msg), "task %s: %s, %s", id != NULL ? id : "?", web_str(t, "state"),
		 web_str(t, "result"));
	web_message(c, 200, "Done", msg, false, back);
}

static void web_post(struct web_call *c, const char *url, const char *body, size_t len)
{
	static const uint32_t types[] = {MSG_START,	  MSG_STOP,	 MSG_RESTART,
					 MSG_TASK_RESUME, MSG_TASK_SKIP, MSG_TASK_CANCEL};
	int a = web_index(web_actions, url + strlen("/action/"));
	char token[128], arg[1024];

	if (a < 0)
		return web_message(c, 404, "Not found", "no such action", true, "/");
	if (c->role != HTTP_ROLE_ADMIN) {
		web_log(c, "read-only access");
		return web_message(c, 403, "Forbidden",
				   "permission denied: read-only access (actions need an admin)", true, "/");
	}
	if (!web_same_origin(c)) {
		web_log(c, "cross-site request (Origin/Referer is another site)");
		return web_message(c, 403, "Forbidden",
				   "cross-site request refused (Origin is not this page)", true, "/");
	}
	if (len > WEB_FORM_MAX)
		return web_message(c, 413, "Too large", "the form is larger than 4096 bytes", true, "/");
	web_form(body != NULL ? body : "", len, "token", token, sizeof(token));
	if (!web_csrf_equal(token, c->token)) {
		web_log(c, "missing or wrong CSRF token");
		return web_message(c, 403, "Forbidden",
				   "missing or wrong CSRF token: reload the page and try again", true, "/");
	}
	web_form(body, len, a < 3 ? "name" : "id", arg, sizeof(arg));
	if (!web_text_ok(arg))
		return web_message(c, 400, "Bad request", "a parameter is not UTF-8 text", true, "/");
	if (arg[0] == '\0')
		return web_message(c, 400, "Bad request",
				   a < 3 ? "no process name given" : "no task id given", true, "/");
	if (a < 3)
		web_native(c, types[a], json_pack("{s:[s]}", "names", arg), web_proc_done);
	else
		web_native(c, types[a], json_pack("{s:s}", "id", arg), web_task_done);
}

struct web_call *web_start(struct web *w, struct MHD_Connection *conn, enum http_role role,
			   const struct http_peer *peer, const char *method, const char *url,
			   const char *body, size_t len, web_done_fn *done, void *arg)
{
	struct web_call *c = calloc(1, sizeof(*c));
	const char *frag;
	char binding[1024];

	if (c == NULL)
		return NULL;
	c->w = w;
	c->conn = conn;
	c->role = role;
	c->done = done;
	c->arg = arg;
	ev_init(&c->later, web_later_cb);
	c->later.data = c;
	frag = web_arg(c, "fragment");
	c->fragment = frag != NULL && strcmp(frag, "1") == 0;
	if (peer != NULL)
		snprintf(binding, sizeof(binding), "unix uid=%lu", (unsigned long)peer->uid);
	else {
		const char *auth =
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		snprintf(binding, sizeof(binding), "inet %s", auth != NULL ? auth : "");
	}
	/* drawn at the first request, never blocking: a daemon started early at boot must not wait
	 * for the kernel's pool here (getrandom without GRND_NONBLOCK would) */
	if (!w->keyed && getrandom(w->secret, sizeof(w->secret), GRND_NONBLOCK) == (ssize_t)sizeof(w->secret))
		w->keyed = true;
	if (!w->keyed) {
		web_message(c, 503, "Not ready",
			    "the kernel's random pool is not ready yet: try again shortly", true, "/");
		return c;
	}
	web_csrf_token(w->secret, binding, c->token);
	if (strcmp(method, "POST") == 0)
		web_post(c, url, body, len);
	else
		web_get(c, url);
	return c;
}
