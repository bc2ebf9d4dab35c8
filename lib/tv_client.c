/*
 * tv_client.c — libtaskvisor's client side (taskvisor.h): submit tasks, read
 * and wait for them over the daemon's socket (blocking), and the time parser
 * shared with taskvisorctl. Never exits, never prints.
 */
#include "taskvisor.h"

#include <errno.h>
#include <math.h>
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
	int fd;
	int timeout_ms; /* connecting and each reply; -1 = none (tv_client_set_timeout) */
	char err[TV_ERR_LEN];
};

static void tv_client_seterr(struct tv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tv_client_seterr(struct tv_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

struct tv_client *tv_client_connect(const char *path, char *err, size_t errlen)
{
	struct tv_client *c;

	if (path == NULL)
		path = getenv("TASKVISOR_SOCKET");
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no socket: give one or set TASKVISOR_SOCKET");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->timeout_ms = TV_CLIENT_TIMEOUT_MS;
	c->fd = proto_connect_timeout(path, c->timeout_ms);
	if (c->fd < 0) {
		if (errno == ETIMEDOUT)
			snprintf(err, errlen, "no answer from %s within %d s", path, c->timeout_ms / 1000);
		else
			snprintf(err, errlen, "unix://%s: %s", path, strerror(errno));
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

void tv_client_set_timeout(struct tv_client *c, double seconds)
{
	c->timeout_ms = seconds > 0 ? (int)(seconds * 1000 + 0.5) : -1;
}

/* The I/O error of the last call in words: a timeout is "no answer from PATH within N s". */
static void tv_client_ioerr(struct tv_client *c, const char *what)
{
	if (errno == ETIMEDOUT)
		tv_client_seterr(c, "no answer from %s within %g s", c->path, c->timeout_ms / 1000.0);
	else
		tv_client_seterr(c, "unix://%s: %s%s%s", c->path, what, *what ? ": " : "",
				 errno == ECONNRESET ? "the daemon closed the connection" : strerror(errno));
}

void tv_client_close(struct tv_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
}

const char *tv_client_error(const struct tv_client *c)
{
	return c->err;
}

static int tv_client_reconnect(struct tv_client *c);

/*
 * Send one request (text); before one whose reply waits without a limit
 * (proto_msg_waits), first check that the daemon answers a MSG_VERSION within
 * the timeout. 0, -1 with errno (EPIPE/ECONNRESET: the connection was closed), or -2 when the
 * daemon answered that with an error (its text in c->err).
 */
static int tv_client_send_text(struct tv_client *c, uint32_t type, const char *text)
{
	if (proto_msg_waits(type) && c->timeout_ms >= 0) {
		struct proto_hdr h;
		char *body;
		if (proto_send(c->fd, MSG_VERSION, "", 0) < 0 ||
		    proto_recv_timeout(c->fd, &h, &body, c->timeout_ms) < 0)
			return -1;
		if (h.type == MSG_ERROR) { /* refused, or no access: the request would be too */
			json_t *j = json_loads(body, 0, NULL);
			const char *e = json_string_value(json_object_get(j, "error"));
			tv_client_seterr(c, "%s", e != NULL ? e : "error");
			json_decref(j);
			free(body);
			errno = EPROTO;
			return -2;
		}
		free(body);
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

/* Send req (stolen); 0 or -1. A connection the daemon closed (idle) is opened again once. */
static int tv_client_send(struct tv_client *c, uint32_t type, json_t *req)
{
	char *text;
	int rc;

	if (req == NULL)
		req = json_object();
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		tv_client_seterr(c, "out of memory");
		return -1;
	}
	rc = tv_client_send_text(c, type, text);
	if (rc == -2) { /* the daemon's refusal is in c->err */
		free(text);
		return -1;
	}
	if (rc < 0 && (errno == EPIPE || errno == ECONNRESET) && !tv_client_said_why(c) &&
	    tv_client_reconnect(c) == 0)
		rc = tv_client_send_text(c, type, text);
	if (rc == -2) {
		free(text);
		return -1;
	}
	if (rc < 0 && tv_client_said_why(c))
		rc = 0; /* refused (too many connections): the caller reads its error frame as the reply */
	if (rc < 0 && c->fd >= 0)
		tv_client_ioerr(c, "");
	free(text);
	return rc;
}

/*
 * Read frames until the final reply; MSG_DATA bodies go to on_data (or are
 * dropped). 0 OK, 1 MSG_ERROR, -1 I/O failure.
 */
static int tv_client_reply(struct tv_client *c, json_t **reply, int (*on_data)(void *, json_t *), void *arg,
			   int timeout_ms)
{
	for (;;) {
		struct proto_hdr h;
		char *body;
		json_t *j;
		json_error_t je;

		if (proto_recv_timeout(c->fd, &h, &body, timeout_ms) < 0) {
			tv_client_ioerr(c, "");
			return -1;
		}
		if (h.type == MSG_VERSION_MISMATCH) {
			free(body);
			tv_client_seterr(c, "the daemon speaks another protocol version");
			return -1;
		}
		j = json_loads(body, 0, &je);
		free(body);
		if (j == NULL) {
			tv_client_seterr(c, "bad reply from the daemon: %s", je.text);
			return -1;
		}
		if (h.type == MSG_DATA) {
			if (on_data != NULL)
				on_data(arg, j);
			json_decref(j);
			continue;
		}
		if (h.type == MSG_ERROR) {
			const char *t = json_string_value(json_object_get(j, "error"));
			tv_client_seterr(c, "%s", t != NULL ? t : "error");
			if (reply != NULL)
				*reply = j;
			else
				json_decref(j);
			return 1;
		}
		if (reply != NULL)
			*reply = j;
		else
			json_decref(j);
		return 0;
	}
}

int tv_request(struct tv_client *c, uint32_t type, json_t *req, json_t **reply)
{
	if (reply != NULL)
		*reply = NULL;
	if (tv_client_send(c, type, req) < 0)
		return -1;
	return tv_client_reply(c, reply, NULL, NULL, proto_msg_waits(type) ? -1 : c->timeout_ms);
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
	int rc;

	if (task != NULL)
		*task = NULL;
	if (tv_client_send(c, MSG_TASK_WAIT, json_pack("{s:s}", "id", id)) < 0)
		return -1;
	rc = tv_client_reply(c, &reply, NULL, NULL, -1);
	if (rc == 0 && task != NULL)
		*task = tv_client_task_of(reply);
	json_decref(reply);
	return rc == 0 ? 0 : -1;
}

/* Reconnect c (after a request whose reply is no longer wanted). */
static int tv_client_reconnect(struct tv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = proto_connect_timeout(c->path, c->timeout_ms);
	if (c->fd < 0) {
		tv_client_ioerr(c, "connect");
		return -1;
	}
	return 0;
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
	json_t *t = NULL;
	bool stopped = false;
	int rc = -1;

	*final = NULL;
	c2 = tv_client_connect(c->path, err, sizeof(err));
	if (c2 == NULL) {
		tv_client_seterr(c, "%s", err);
		return -1;
	}
	c2->timeout_ms = c->timeout_ms;
	if (tv_client_send(c, MSG_TASK_WAIT, json_pack("{s:s}", "id", id)) < 0)
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
			struct proto_hdr h;
			char *body;
			json_t *j;
			if (proto_recv_timeout(c->fd, &h, &body, c->timeout_ms) < 0) {
				tv_client_ioerr(c, "");
				goto out;
			}
			j = json_loads(body, 0, NULL);
			free(body);
			if (h.type == MSG_ERROR) {
				const char *e = json_string_value(json_object_get(j, "error"));
				tv_client_seterr(c, "%s", e != NULL ? e : "error");
				json_decref(j);
				rc = -1;
				goto out;
			}
			t = json_object_get(j, "task");
			if (h.type == MSG_OK) {
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
	/* Stopped following before the daemon's final reply: that reply is not wanted. */
	rc = stopped ? 0 : 1;
	if (tv_client_reconnect(c) < 0)
		rc = -1;
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

	if (!(fabs(now) <= (double)WHEN_MAX_MS / 1000.0) ||
	    when_parse(s, (int64_t)llround(now * 1000.0), 0, &w) < 0)
		return -1;
	*out = (double)w.start_ms / 1000.0;
	return 0;
}
