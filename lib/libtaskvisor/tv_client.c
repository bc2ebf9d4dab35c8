/*
 * tv_client.c — libtaskvisor's client side (taskvisor.h): any request to the
 * daemon over its socket (blocking), with one path for sending and one for
 * reading frames, used by taskvisorctl too; submitting, reading and waiting
 * for tasks on top; tv_parse_time over lib/when.c. Never exits, never prints.
 */
#include "taskvisor.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"
#include "when.h"

#define TV_CLIENT_TIMEOUT_MS 30000

struct tv_client {
	char *path;
	int fd;		/* -1 until the first request, and after tv_client_disconnect */
	int timeout_ms; /* connecting and each reply; -1 = none (tv_client_set_timeout) */
	bool proto_err; /* the last failure was an unreadable answer, not an unreachable daemon */
	char err[TV_ERR_LEN];
};

static void tv_client_vseterr(struct tv_client *c, bool proto_err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void tv_client_vseterr(struct tv_client *c, bool proto_err, const char *fmt, va_list ap)
{
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	c->proto_err = proto_err;
}

static void tv_client_seterr(struct tv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tv_client_seterr(struct tv_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tv_client_vseterr(c, false, fmt, ap);
	va_end(ap);
}

const char *tv_client_default_socket(void)
{
	const char *env = getenv("TASKVISOR_SOCKET");

	return env != NULL && *env != '\0' ? env : PROTO_DEFAULT_SOCKET;
}

struct tv_client *tv_client_new(const char *path, char *err, size_t errlen)
{
	struct tv_client *c;

	if (path == NULL || *path == '\0')
		path = tv_client_default_socket();
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->timeout_ms = TV_CLIENT_TIMEOUT_MS;
	return c;
}

/* The I/O error of the last call in supervisorctl's words: "unix:///run/taskvisor.sock no such
 * file", "... refused connection", "... closed the connection", "no answer from PATH within N s". */
static void tv_client_ioerr(struct tv_client *c)
{
	static const struct {
		int err;
		const char *words;
	} words[] = {
	    {ENOENT, "no such file"},
	    {ECONNREFUSED, "refused connection"},
	    {EACCES, "access denied"},
	    {ECONNRESET, "closed the connection"},
	};
	const char *w = strerror(errno);

	if (errno == ETIMEDOUT) {
		tv_client_seterr(c, "no answer from %s within %g s", c->path, c->timeout_ms / 1000.0);
		return;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].err == errno)
			w = words[i].words;
	tv_client_seterr(c, "unix://%s %s", c->path, w);
}

int tv_client_open(struct tv_client *c)
{
	if (c->fd >= 0)
		return 0;
	c->fd = proto_connect_timeout(c->path, c->timeout_ms);
	if (c->fd >= 0)
		return 0;
	tv_client_ioerr(c);
	return -1;
}

struct tv_client *tv_client_connect(const char *path, char *err, size_t errlen)
{
	struct tv_client *c = tv_client_new(path, err, errlen);

	if (c != NULL && tv_client_open(c) < 0) {
		snprintf(err, errlen, "%s", c->err);
		tv_client_close(c);
		return NULL;
	}
	return c;
}

void tv_client_set_timeout(struct tv_client *c, double seconds)
{
	c->timeout_ms = seconds > 0 ? (int)(seconds * 1000 + 0.5) : -1;
}

void tv_client_disconnect(struct tv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void tv_client_close(struct tv_client *c)
{
	if (c == NULL)
		return;
	tv_client_disconnect(c);
	free(c->path);
	free(c);
}

const char *tv_client_error(const struct tv_client *c)
{
	return c->err;
}

bool tv_client_protocol_error(const struct tv_client *c)
{
	return c->proto_err;
}

/* The daemon answered something this client cannot read: c->err, the connection dropped. */
static int tv_client_badreply(struct tv_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int tv_client_badreply(struct tv_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tv_client_vseterr(c, true, fmt, ap);
	va_end(ap);
	tv_client_disconnect(c);
	return -1;
}

/*
 * Read one frame within timeout_ms (-1: no limit): its type and JSON body ({} when empty).
 * 0, or -1 with c->err (I/O, a version mismatch, a body that is not JSON) and the connection
 * dropped: the one place frames from the daemon are read.
 */
static int tv_client_frame(struct tv_client *c, int timeout_ms, uint32_t *type, json_t **body)
{
	struct proto_hdr h;
	json_error_t je;
	char *payload;

	if (proto_recv_timeout(c->fd, &h, &payload, timeout_ms) < 0) {
		int e = errno;

		tv_client_ioerr(c);
		tv_client_disconnect(c);
		errno = e;
		return -1;
	}
	*body = h.len > 0 ? json_loadb(payload, h.len, 0, &je) : json_object();
	free(payload);
	if (h.type == MSG_VERSION_MISMATCH) {
		json_t *v = json_object_get(*body, "daemon");
		long long dv = json_is_integer(v) ? (long long)json_integer_value(v) : -1LL;

		json_decref(*body);
		*body = NULL;
		return tv_client_badreply(c, "the daemon speaks protocol %lld, this client %d", dv,
					  PROTO_VERSION);
	}
	if (*body == NULL)
		return tv_client_badreply(c, "malformed reply from the daemon: %s", je.text);
	*type = h.type;
	return 0;
}

/* The "error" text of a MSG_ERROR body into c->err. */
static void tv_client_refused(struct tv_client *c, json_t *body)
{
	const char *e = json_string_value(json_object_get(body, "error"));

	tv_client_seterr(c, "%s", e != NULL ? e : "error");
}

/*
 * Send one request (text); before one whose reply waits without a limit, first check that the
 * daemon answers a MSG_VERSION within the timeout. 0 sent; 1 the check was answered with an
 * error (refused, permission denied), its body in *early: that is the reply; -1 with errno;
 * -2 the check went unanswered in time or unreadable (c->err).
 */
static int tv_client_send_text(struct tv_client *c, bool waits, uint32_t type, const char *text,
			       json_t **early)
{
	if (waits && c->timeout_ms >= 0) {
		uint32_t t;
		json_t *body;

		if (proto_send(c->fd, MSG_VERSION, "", 0) < 0)
			return -1;
		if (tv_client_frame(c, c->timeout_ms, &t, &body) < 0)
			return c->proto_err || errno == ETIMEDOUT ? -2 : -1; /* -1: closed, try again */
		if (t == MSG_ERROR) {
			*early = body;
			return 1;
		}
		json_decref(body);
	}
	return proto_send(c->fd, type, text, strlen(text));
}

/* After a failed send: did the daemon write something before it closed (a refusal's error frame)? */
static bool tv_client_said_why(struct tv_client *c)
{
	char b;
	int e = errno;
	bool said = c->fd >= 0 && recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;

	errno = e;
	return said;
}

/*
 * Send req (stolen, NULL = {}), connecting first when needed. A connection the daemon closed
 * (idle) is opened again once. 0 sent, 1 refused before sending (*early is the error reply),
 * -1 with c->err and the connection dropped.
 */
static int tv_client_send(struct tv_client *c, uint32_t type, json_t *req, bool waits, json_t **early)
{
	char *text;
	int r;

	*early = NULL;
	if (req == NULL)
		req = json_object();
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		tv_client_seterr(c, "out of memory");
		return -1;
	}
	for (int attempt = 0;; attempt++) {
		if (tv_client_open(c) < 0)
			break;
		r = tv_client_send_text(c, waits, type, text, early);
		if (r == -2) /* the check went unanswered or unreadable: c->err says which */
			break;
		if (r == -1 && tv_client_said_why(c))
			r = 0; /* refused (too many connections): its error frame is read as the reply */
		if (r >= 0) {
			free(text);
			return r;
		}
		if (attempt == 1) {
			tv_client_ioerr(c);
			break;
		}
		tv_client_disconnect(c);
	}
	tv_client_disconnect(c);
	free(text);
	return -1;
}

/*
 * Read frames until the final reply: MSG_DATA bodies to on_data (or dropped); a non-zero
 * return from on_data stops (the connection is dropped; 0 with *reply NULL). 0 MSG_OK,
 * 1 MSG_ERROR (its text in c->err), *reply the body (NULL: dropped); -1 failure (c->err).
 */
static int tv_client_reply(struct tv_client *c, int timeout_ms, int (*on_data)(void *, json_t *), void *arg,
			   json_t *early, json_t **reply)
{
	for (;;) {
		uint32_t type = MSG_ERROR;
		json_t *j = early;

		early = NULL;
		if (j == NULL && tv_client_frame(c, timeout_ms, &type, &j) < 0)
			return -1;
		if (type == MSG_DATA) {
			int stop = on_data != NULL ? on_data(arg, j) : 0;

			json_decref(j);
			if (stop != 0) {
				tv_client_disconnect(c);
				return 0;
			}
			continue;
		}
		if (type != MSG_OK && type != MSG_ERROR) {
			json_decref(j);
			return tv_client_badreply(c, "unexpected %s from the daemon", proto_msg_name(type));
		}
		if (type == MSG_ERROR)
			tv_client_refused(c, j);
		if (reply != NULL)
			*reply = j;
		else
			json_decref(j);
		return type == MSG_OK ? 0 : 1;
	}
}

/* tv_request and tv_request_stream: a stream waits without a limit once the daemon answered. */
static int tv_client_exchange(struct tv_client *c, uint32_t type, json_t *req, bool stream,
			      int (*on_data)(void *, json_t *), void *arg, json_t **reply)
{
	bool waits = stream || proto_msg_waits(type);
	json_t *early;
	int r;

	if (reply != NULL)
		*reply = NULL;
	r = tv_client_send(c, type, req, waits, &early);
	if (r < 0)
		return -1;
	return tv_client_reply(c, waits ? -1 : c->timeout_ms, on_data, arg, early, reply);
}

int tv_request(struct tv_client *c, uint32_t type, json_t *req, json_t **reply)
{
	return tv_client_exchange(c, type, req, false, NULL, NULL, reply);
}

int tv_request_stream(struct tv_client *c, uint32_t type, json_t *req,
		      int (*on_data)(void *arg, json_t *data), void *arg, json_t **reply)
{
	return tv_client_exchange(c, type, req, true, on_data, arg, reply);
}

/* One task of a submit request, or NULL with c->err. */
static json_t *tv_client_task(struct tv_client *c, const char *label, const char *input_json,
			      const struct tv_submit_opts *opts)
{
	json_t *t, *in;
	json_error_t je;

	if (label == NULL || *label == '\0') {
		tv_client_seterr(c, "no task label given");
		return NULL;
	}
	if (input_json == NULL)
		in = json_object();
	else if ((in = json_loads(input_json, 0, &je)) == NULL) {
		tv_client_seterr(c, "input: bad JSON at line %d column %d: %s", je.line, je.column, je.text);
		return NULL;
	} else if (!json_is_object(in)) {
		json_decref(in);
		tv_client_seterr(c, "input: not a JSON object");
		return NULL;
	}
	t = json_pack("{s:s, s:o}", "label", label, "input", in);
	if (opts != NULL) {
		if (opts->start_at > 0)
			json_object_set_new(t, "start_at", json_real(opts->start_at));
		if (opts->start_before > 0)
			json_object_set_new(t, "start_before", json_real(opts->start_before));
		if (opts->parent != NULL)
			json_object_set_new(t, "parent", json_string(opts->parent));
	}
	return t;
}

static int tv_client_copy_id(struct tv_client *c, json_t *id, char *out)
{
	const char *s = json_string_value(id);

	if (s == NULL || strlen(s) >= TV_ID_LEN) {
		tv_client_seterr(c, "the daemon answered without a task id");
		return -1;
	}
	if (out != NULL)
		strcpy(out, s);
	return 0;
}

int tv_submit(struct tv_client *c, const char *label, const char *input_json,
	      const struct tv_submit_opts *opts, char id_out[TV_ID_LEN])
{
	json_t *req = tv_client_task(c, label, input_json, opts), *reply = NULL;
	int rc;

	if (req == NULL)
		return -1;
	rc = tv_request(c, MSG_TASK_SUBMIT, req, &reply);
	if (rc == 0)
		rc = tv_client_copy_id(c, json_object_get(reply, "id"), id_out);
	json_decref(reply);
	return rc == 0 ? 0 : -1;
}

int tv_submit_many(struct tv_client *c, size_t n, const char *const *labels, const char *const *inputs,
		   const struct tv_submit_opts *opts, char (*ids_out)[TV_ID_LEN])
{
	json_t *tasks = json_array(), *reply = NULL, *ids;
	int rc;

	for (size_t i = 0; i < n; i++) {
		json_t *t = tv_client_task(c, labels[i], inputs != NULL ? inputs[i] : NULL, opts);
		if (t == NULL) {
			char e[TV_ERR_LEN];
			snprintf(e, sizeof(e), "%s", c->err);
			tv_client_seterr(c, "task %zu: %s", i, e);
			json_decref(tasks);
			return -1;
		}
		json_array_append_new(tasks, t);
	}
	rc = tv_request(c, MSG_TASK_SUBMIT, json_pack("{s:o}", "tasks", tasks), &reply);
	if (rc == 0) {
		ids = json_object_get(reply, "ids");
		if (json_array_size(ids) != n) {
			tv_client_seterr(c, "the daemon answered %zu ids for %zu tasks", json_array_size(ids),
					 n);
			rc = -1;
		}
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc =
			    tv_client_copy_id(c, json_array_get(ids, i), ids_out != NULL ? ids_out[i] : NULL);
	}
	json_decref(reply);
	return rc == 0 ? 0 : -1;
}

/* The task in a reply: {"task": {...}} or the object itself. */
static json_t *tv_client_task_of(json_t *reply)
{
	json_t *t = json_object_get(reply, "task");
	return json_incref(t != NULL ? t : reply);
}

int tv_get(struct tv_client *c, const char *id, json_t **task)
{
	json_t *reply = NULL;
	int rc = tv_request(c, MSG_TASK_SHOW, json_pack("{s:s}", "id", id), &reply);

	*task = NULL;
	if (rc == 0)
		*task = tv_client_task_of(reply);
	json_decref(reply);
	return rc == 0 ? 0 : -1;
}

int tv_wait(struct tv_client *c, const char *id, json_t **task)
{
	json_t *reply = NULL;
	int rc = tv_request(c, MSG_TASK_WAIT, json_pack("{s:s}", "id", id), &reply);

	if (task != NULL)
		*task = rc == 0 ? tv_client_task_of(reply) : NULL;
	json_decref(reply);
	return rc == 0 ? 0 : -1;
}

/* Hand one state to on_change; stop (1) when it says so or the task stopped (0 then). */
static int tv_follow_step(json_t *task, int (*on_change)(void *, json_t *), void *arg, json_t **final,
			  bool *stopped)
{
	const char *state = json_string_value(json_object_get(task, "state"));

	if (on_change != NULL && on_change(arg, task) != 0) {
		*final = json_incref(task);
		return 1;
	}
	if (state != NULL && strcmp(state, "stopped") == 0) {
		*stopped = true;
		*final = json_incref(task);
		return 1;
	}
	return 0;
}

int tv_follow(struct tv_client *c, const char *id, double recheck, int (*on_change)(void *arg, json_t *task),
	      void *arg, json_t **final)
{
	struct tv_client *c2;
	char err[TV_ERR_LEN];
	json_t *t = NULL, *early;
	bool stopped = false;
	int rc = -1, r;

	*final = NULL;
	c2 = tv_client_new(c->path, err, sizeof(err));
	if (c2 == NULL) {
		tv_client_seterr(c, "%s", err);
		return -1;
	}
	c2->timeout_ms = c->timeout_ms;
	if (tv_client_open(c2) < 0) { /* the checks' connection first, as before the wait */
		tv_client_seterr(c, "%s", tv_client_error(c2));
		goto out;
	}
	r = tv_client_send(c, MSG_TASK_WAIT, json_pack("{s:s}", "id", id), true, &early);
	if (r == 1) {
		tv_client_refused(c, early);
		json_decref(early);
	}
	if (r != 0)
		goto out;
	for (bool check = true;; check = false) {
		struct pollfd p = {c->fd, POLLIN, 0};
		int n = 0;

		if (!check) {
			n = poll(&p, 1, recheck > 0 ? (int)(recheck * 1000) : -1);
			if (n < 0 && errno != EINTR) {
				tv_client_seterr(c, "poll: %s", strerror(errno));
				goto out;
			}
		}
		if (n > 0) {
			/* The daemon's word: one DATA (a change) or the final reply. */
			uint32_t type;
			json_t *j;

			if (tv_client_frame(c, c->timeout_ms, &type, &j) < 0)
				goto out;
			if (type == MSG_ERROR) {
				tv_client_refused(c, j);
				json_decref(j);
				goto out;
			}
			t = json_object_get(j, "task");
			if (type == MSG_OK) {
				*final = json_incref(t);
				if (on_change != NULL && t != NULL)
					on_change(arg, t);
				json_decref(j);
				rc = 0;
				goto out;
			}
			if (t != NULL && tv_follow_step(t, on_change, arg, final, &stopped)) {
				json_decref(j);
				break;
			}
			json_decref(j);
			continue;
		}
		/* At once, then on every quiet `recheck`: ask on the other connection. */
		if (tv_get(c2, id, &t) < 0) {
			tv_client_seterr(c, "%s", tv_client_error(c2));
			goto out;
		}
		n = tv_follow_step(t, on_change, arg, final, &stopped);
		json_decref(t);
		if (n)
			break;
	}
	/* Stopped following before the daemon's final reply: that reply is not wanted (the next
	 * request connects again). */
	rc = stopped ? 0 : 1;
	tv_client_disconnect(c);
out:
	tv_client_close(c2);
	return rc;
}

/* ---- Times ---- */

/* The shared grammar (lib/when.h), in seconds; the start of a day or minute. Never inf or nan:
 * json_real() refuses them (found by tests/fuzz/fuzz_time.c). */
int tv_parse_time(const char *s, double now, double *out)
{
	struct when w;

	double now_ms = now * 1000.0;

	/* in range (also refuses nan), rounded to the ms without libm: ctl links no libm */
	if (!(now_ms >= (double)-WHEN_MAX_MS && now_ms <= (double)WHEN_MAX_MS) ||
	    when_parse(s, (int64_t)(now_ms + (now_ms >= 0 ? 0.5 : -0.5)), 0, &w) < 0)
		return -1;
	*out = (double)w.start_ms / 1000.0;
	return 0;
}
