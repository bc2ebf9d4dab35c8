/*
 * tv_worker.c — libtaskvisor's worker side (taskvisor.h): hello, receive
 * steps, run handlers, send results with a cheap group send (flush only when
 * there is nothing else to do). Never writes the database, never exits.
 */
#include "taskvisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "tv_steplog.h"
#include "units.h"

struct tv_handler {
	char *name;
	tv_handler_fn fn;
	void *arg;
};

struct tv_step {
	struct tv_worker *w;
	json_t *msg;	 /* the MSG_WORKER_STEP body (owned) */
	json_t *step_id; /* borrowed from msg: echoed as is */
	char *id_json;	 /* step_id as JSON text, for fast replies */
	char idbuf[32];	 /* step_id as text when it is a number */
	const char *id, *task_id, *label, *task_name, *name, *command, *handler;
	const char **argv; /* NULL-terminated, strings borrowed from msg; NULL if none */
	int index, attempt;
	json_t *input;
	double lease_until; /* CLOCK_MONOTONIC seconds; 0 = none */
	double lease_len;   /* seconds */
	double renewed;	    /* CLOCK_MONOTONIC of the last renewal */
	bool cancelled, finished, in_handler, queued;
	char *errmsg;
	void *data;
	struct tv_steplog *log;	     /* what it printed (tv_step_log*); NULL: nothing */
	struct tv_step *prev, *next; /* w->steps: every step held */
	struct tv_step *qnext;	     /* w->q_head: received, handler not run yet */
};

struct tv_worker {
	char *path, *queue, *hello_name, *name;
	long long worker_id;
	int prefetch;
	struct tv_handler *handlers;
	size_t nhandlers;
	tv_cancel_fn cancel_fn;
	void *cancel_arg;
	tv_drain_fn drain_fn;
	void *drain_arg;
	bool draining; /* MSG_WORKER_DRAIN came: tv_worker_run returns once nothing is held */
	int fd;
	struct proto_rbuf rb;
	struct proto_wbuf wb;
	struct tv_step *steps;
	struct tv_step *q_head, *q_tail;
	int nsteps;
	size_t log_tail; /* bytes of each stream a step keeps (tv_worker_set_log_tail) */
	volatile sig_atomic_t stop;
	bool dead; /* the connection is gone */
	char err[TV_ERR_LEN];
};

static double tv_worker_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tv_worker_seterr(struct tv_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tv_worker_seterr(struct tv_worker *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

/* $TASKVISOR_OUTPUT_TAIL: bytes of each stream a step keeps ("64K", "1MiB", "0"; lib/units.c's
 * sizes), at most 64 MiB; unset: the default. -1 + err when it is not a size. */
static int tv_worker_env_tail(size_t *out, char *err, size_t errlen)
{
	const char *v = getenv("TASKVISOR_OUTPUT_TAIL");
	char why[128];
	long long n;

	*out = TV_LOG_TAIL_DEFAULT;
	if (v == NULL || *v == '\0')
		return 0;
	if (units_size(v, &n, why, sizeof(why)) < 0 || n < 0 || n > 64LL * 1024 * 1024) {
		snprintf(err, errlen, "TASKVISOR_OUTPUT_TAIL: not a size from 0 to 64M: \"%.64s\"", v);
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

struct tv_worker *tv_worker_new(const char *socket_path, const char *queue, int prefetch, char *err,
				size_t errlen)
{
	struct tv_worker *w;
	size_t tail;

	if (socket_path == NULL || *socket_path == '\0')
		socket_path = tv_client_default_socket();
	if (queue == NULL || *queue == '\0') {
		snprintf(err, errlen, "no queue given");
		return NULL;
	}
	if (prefetch < 1) {
		snprintf(err, errlen, "prefetch must be at least 1, not %d", prefetch);
		return NULL;
	}
	if (tv_worker_env_tail(&tail, err, errlen) < 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->path = strdup(socket_path)) == NULL || (w->queue = strdup(queue)) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (w != NULL)
			free(w->path);
		free(w);
		return NULL;
	}
	w->prefetch = prefetch;
	w->log_tail = tail;
	w->fd = -1;
	proto_rbuf_init(&w->rb);
	proto_wbuf_init(&w->wb);
	return w;
}

static void tv_step_free(struct tv_step *s)
{
	json_decref(s->msg);
	tv_steplog_free(s->log);
	free(s->argv);
	free(s->id_json);
	free(s->errmsg);
	free(s);
}

/* Take s off the worker's list and free it. */
static void tv_step_release(struct tv_step *s)
{
	struct tv_worker *w = s->w;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->steps = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	w->nsteps--;
	tv_step_free(s);
}

void tv_worker_free(struct tv_worker *w)
{
	if (w == NULL)
		return;
	while (w->steps != NULL) {
		struct tv_step *s = w->steps;
		w->steps = s->next;
		tv_step_free(s);
	}
	for (size_t i = 0; i < w->nhandlers; i++)
		free(w->handlers[i].name);
	free(w->handlers);
	if (w->fd >= 0)
		close(w->fd);
	proto_rbuf_free(&w->rb);
	proto_wbuf_free(&w->wb);
	free(w->path);
	free(w->queue);
	free(w->hello_name);
	free(w->name);
	free(w);
}

int tv_worker_handle(struct tv_worker *w, const char *name, tv_handler_fn fn, void *arg)
{
	struct tv_handler *nh;

	if (name == NULL || *name == '\0' || fn == NULL) {
		tv_worker_seterr(w, "tv_worker_handle: a name and a function are needed");
		return -1;
	}
	if (w->fd >= 0) {
		tv_worker_seterr(w, "tv_worker_handle: %s: already connected", name);
		return -1;
	}
	for (size_t i = 0; i < w->nhandlers; i++)
		if (strcmp(w->handlers[i].name, name) == 0) {
			w->handlers[i].fn = fn;
			w->handlers[i].arg = arg;
			return 0;
		}
	nh = realloc(w->handlers, (w->nhandlers + 1) * sizeof(*nh));
	if (nh == NULL) {
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	w->handlers = nh;
	nh[w->nhandlers].name = strdup(name);
	if (nh[w->nhandlers].name == NULL) {
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	nh[w->nhandlers].fn = fn;
	nh[w->nhandlers].arg = arg;
	w->nhandlers++;
	return 0;
}

void tv_worker_on_cancel(struct tv_worker *w, tv_cancel_fn fn, void *arg)
{
	w->cancel_fn = fn;
	w->cancel_arg = arg;
}

void tv_worker_on_drain(struct tv_worker *w, tv_drain_fn fn, void *arg)
{
	w->drain_fn = fn;
	w->drain_arg = arg;
}

bool tv_worker_draining(const struct tv_worker *w)
{
	return w->draining;
}

const char *tv_worker_error(const struct tv_worker *w)
{
	return w->err;
}
const char *tv_worker_name(const struct tv_worker *w)
{
	return w->name;
}
long long tv_worker_id(const struct tv_worker *w)
{
	return w->worker_id;
}

int tv_worker_set_name(struct tv_worker *w, const char *name)
{
	char *n = strdup(name);

	if (n == NULL) {
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	free(w->hello_name);
	w->hello_name = n;
	return 0;
}
int tv_worker_fd(const struct tv_worker *w)
{
	return w->fd;
}
bool tv_worker_want_write(const struct tv_worker *w)
{
	return w->wb.off < w->wb.len;
}
int tv_worker_busy(const struct tv_worker *w)
{
	return w->nsteps;
}
void tv_worker_stop(struct tv_worker *w)
{
	w->stop = 1;
}

int tv_worker_connect(struct tv_worker *w)
{
	json_t *hello, *names, *reply;
	struct proto_hdr h;
	char *body = NULL, *text;
	int rc;

	if (w->fd >= 0)
		return 0;
	if (w->nhandlers == 0) {
		tv_worker_seterr(w, "no handlers registered");
		return -1;
	}
	w->fd = proto_connect(w->path);
	if (w->fd < 0) {
		tv_worker_seterr(w, "unix://%s: %s", w->path, strerror(errno));
		return -1;
	}
	names = json_array();
	for (size_t i = 0; i < w->nhandlers; i++)
		json_array_append_new(names, json_string(w->handlers[i].name));
	hello = json_pack("{s:s, s:o, s:i, s:I}", "queue", w->queue, "handlers", names, "prefetch",
			  w->prefetch, "pid", (json_int_t)getpid());
	if (hello != NULL && w->hello_name != NULL)
		json_object_set_new(hello, "name", json_string(w->hello_name));
	text = hello != NULL ? json_dumps(hello, JSON_COMPACT) : NULL;
	json_decref(hello);
	if (text == NULL) {
		tv_worker_seterr(w, "out of memory");
		goto fail;
	}
	rc = proto_send(w->fd, MSG_WORKER_HELLO, text, strlen(text));
	free(text);
	if (rc < 0 || proto_recv(w->fd, &h, &body) < 0) {
		tv_worker_seterr(w, "unix://%s: hello: %s", w->path, strerror(errno));
		goto fail;
	}
	if (h.type != MSG_OK) {
		reply = json_loads(body, 0, NULL);
		tv_worker_seterr(w, "the daemon refused the worker: %s",
				 h.type == MSG_VERSION_MISMATCH ? "protocol version mismatch"
				 : json_string_value(json_object_get(reply, "error")) != NULL
				     ? json_string_value(json_object_get(reply, "error"))
				     : proto_msg_name(h.type));
		json_decref(reply);
		free(body);
		goto fail;
	}
	reply = json_loads(body, 0, NULL);
	free(body);
	free(w->name);
	w->name = json_string_value(json_object_get(reply, "name")) != NULL
		      ? strdup(json_string_value(json_object_get(reply, "name")))
		      : NULL;
	w->worker_id = (long long)json_integer_value(json_object_get(reply, "worker_id"));
	if (w->name == NULL && json_string_value(json_object_get(reply, "name")) != NULL) {
		json_decref(reply);
		tv_worker_seterr(w, "out of memory");
		goto fail;
	}
	json_decref(reply);
	if (fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK) < 0) {
		tv_worker_seterr(w, "fcntl: %s", strerror(errno));
		goto fail;
	}
	w->dead = false;
	return 0;
fail:
	close(w->fd);
	w->fd = -1;
	return -1;
}

/* Queue one frame for the daemon. */
static int tv_worker_send(struct tv_worker *w, uint32_t type, const char *text, size_t len)
{
	if (w->fd < 0 || w->dead) {
		tv_worker_seterr(w, "not connected to the daemon");
		return -1;
	}
	if (proto_wbuf_add(&w->wb, type, text, len) < 0) {
		tv_worker_seterr(w, "%s: %s", proto_msg_name(type), strerror(errno));
		return -1;
	}
	return 0;
}

static int tv_worker_send_json(struct tv_worker *w, uint32_t type, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc;

	json_decref(j);
	if (text == NULL) {
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	rc = tv_worker_send(w, type, text, strlen(text));
	free(text);
	return rc;
}

/* Queue the log lines a step has not sent yet (MSG_WORKER_LOG). */
static void tv_step_send_log(struct tv_step *s)
{
	json_t *body;

	if (s->log == NULL || (body = tv_steplog_take(s->log)) == NULL)
		return;
	json_object_set(body, "step_id", s->step_id);
	tv_worker_send_json(s->w, MSG_WORKER_LOG, body);
}

/* Before a flush: every step's unsent log lines. */
static void tv_worker_send_logs(struct tv_worker *w)
{
	for (struct tv_step *s = w->steps; s != NULL; s = s->next)
		if (s->log != NULL && !s->finished)
			tv_step_send_log(s);
}

/* Write out everything queued, waiting for the socket when it is full. */
static int tv_worker_flush_all(struct tv_worker *w)
{
	for (;;) {
		int rc = proto_wbuf_flush(&w->wb, w->fd);
		struct pollfd p = {w->fd, POLLOUT, 0};
		if (rc == 1)
			return 0;
		if (rc < 0) {
			tv_worker_seterr(w, "unix://%s: send: %s", w->path, strerror(errno));
			w->dead = true;
			return -1;
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			tv_worker_seterr(w, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static struct tv_step *tv_worker_find(struct tv_worker *w, json_t *step_id)
{
	for (struct tv_step *s = w->steps; s != NULL; s = s->next)
		if (json_equal(s->step_id, step_id))
			return s;
	return NULL;
}

static const char *tv_json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A MSG_WORKER_STEP arrived: hold it and queue it for its handler. */
static int tv_worker_take_step(struct tv_worker *w, const char *payload)
{
	json_error_t je;
	json_t *msg = json_loads(payload, 0, &je), *lease, *argv;
	struct tv_step *s;

	if (msg == NULL || !json_is_object(msg) || json_object_get(msg, "step_id") == NULL) {
		tv_worker_seterr(w, "bad MSG_WORKER_STEP from the daemon: %s",
				 msg == NULL ? je.text : "no step_id");
		json_decref(msg);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		json_decref(msg);
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	s->w = w;
	s->msg = msg;
	s->step_id = json_object_get(msg, "step_id");
	s->id_json = json_dumps(s->step_id, JSON_COMPACT | JSON_ENCODE_ANY);
	if (json_is_string(s->step_id))
		s->id = json_string_value(s->step_id);
	else {
		snprintf(s->idbuf, sizeof(s->idbuf), "%" JSON_INTEGER_FORMAT, json_integer_value(s->step_id));
		s->id = s->idbuf;
	}
	s->task_id = tv_json_str(msg, "task_id");
	s->label = tv_json_str(msg, "label");
	s->task_name = tv_json_str(msg, "name");
	s->attempt = (int)json_integer_value(json_object_get(msg, "attempt"));
	s->name = tv_json_str(msg, "step");
	s->command = tv_json_str(msg, "command");
	s->handler = tv_json_str(msg, "handler");
	argv = json_object_get(msg, "argv");
	if (json_is_array(argv) && json_array_size(argv) > 0 &&
	    (s->argv = calloc(json_array_size(argv) + 1, sizeof(*s->argv))) != NULL)
		for (size_t i = 0; i < json_array_size(argv); i++)
			if ((s->argv[i] = json_string_value(json_array_get(argv, i))) == NULL) {
				free(s->argv); /* not all strings: no argv */
				s->argv = NULL;
				break;
			}
	s->index = (int)json_integer_value(json_object_get(msg, "index"));
	s->input = json_object_get(msg, "input");
	if (s->input == NULL || json_is_null(s->input)) {
		s->input = json_object();
		json_object_set_new(msg, "input", s->input);
	}
	lease = json_object_get(msg, "lease");
	if (json_is_number(lease) && json_number_value(lease) > 0) {
		/* A duration in seconds; an epoch time is taken as "until then". */
		double v = json_number_value(lease);
		if (v > 1e9) {
			struct timespec rt;
			clock_gettime(CLOCK_REALTIME, &rt);
			v -= (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
		}
		s->lease_len = v;
		s->renewed = tv_worker_now();
		s->lease_until = s->renewed + v;
	}
	if (s->id_json == NULL) {
		tv_step_free(s);
		tv_worker_seterr(w, "out of memory");
		return -1;
	}
	s->next = w->steps;
	if (w->steps != NULL)
		w->steps->prev = s;
	w->steps = s;
	w->nsteps++;
	s->queued = true;
	if (w->q_tail != NULL)
		w->q_tail->qnext = s;
	else
		w->q_head = s;
	w->q_tail = s;
	return 0;
}

/* MSG_WORKER_DRAIN: no new step comes; the held ones finish (tv_worker_on_drain). */
static void tv_worker_take_drain(struct tv_worker *w, const char *payload)
{
	json_t *msg = json_loads(payload, 0, NULL);
	int timeout = (int)json_integer_value(json_object_get(msg, "timeout"));

	json_decref(msg);
	if (w->draining)
		return;
	w->draining = true;
	if (w->drain_fn != NULL)
		w->drain_fn(w, timeout, w->drain_arg);
}

static void tv_worker_take_cancel(struct tv_worker *w, const char *payload)
{
	json_t *msg = json_loads(payload, 0, NULL);
	struct tv_step *s = msg != NULL ? tv_worker_find(w, json_object_get(msg, "step_id")) : NULL;

	json_decref(msg);
	if (s == NULL || s->finished || s->cancelled)
		return;
	s->cancelled = true;
	if (s->queued)
		return; /* failed as cancelled when its turn comes, without running it */
	if (w->cancel_fn != NULL)
		w->cancel_fn(s, w->cancel_arg);
}

/* Read what the socket has now and act on the frames: 1 read something, 0 nothing, -1 gone. */
static int tv_worker_read(struct tv_worker *w)
{
	struct proto_hdr h;
	char *payload;
	ssize_t n;
	int rc, got = 0;

	if (w->dead)
		return -1;
	for (;;) {
		n = proto_rbuf_fill(&w->rb, w->fd);
		if (n == 0) {
			tv_worker_seterr(w, "the daemon closed the connection");
			w->dead = true;
			return -1;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tv_worker_seterr(w, "unix://%s: read: %s", w->path, strerror(errno));
			w->dead = true;
			return -1;
		}
		got = 1;
		while ((rc = proto_rbuf_next(&w->rb, &h, &payload)) == 1) {
			switch (h.type) {
			case MSG_WORKER_STEP:
				if (tv_worker_take_step(w, payload) < 0)
					return -1;
				break;
			case MSG_WORKER_CANCEL:
				tv_worker_take_cancel(w, payload);
				break;
			case MSG_WORKER_DRAIN:
				tv_worker_take_drain(w, payload);
				break;
			case MSG_ERROR: {
				json_t *e = json_loads(payload, 0, NULL);
				const char *t = tv_json_str(e, "error");
				tv_worker_seterr(w, "daemon: %s", t != NULL ? t : payload);
				json_decref(e);
				break;
			}
			default:
				break; /* MSG_OK and anything newer: nothing to do */
			}
		}
		if (rc < 0) {
			tv_worker_seterr(w, "bad frame from the daemon (type %u, version %u)", h.type,
					 h.version);
			w->dead = true;
			return -1;
		}
		if ((size_t)n < 65536)
			break; /* likely drained; the next fill would only say EAGAIN */
	}
	return got;
}

static const struct tv_handler *tv_worker_handler_for(const struct tv_worker *w, const struct tv_step *s)
{
	const char *want = s->handler != NULL ? s->handler : "*";

	for (size_t i = 0; i < w->nhandlers; i++)
		if (strcmp(w->handlers[i].name, want) == 0)
			return &w->handlers[i];
	if (s->handler == NULL)
		return NULL;
	for (size_t i = 0; i < w->nhandlers; i++)
		if (strcmp(w->handlers[i].name, "*") == 0)
			return &w->handlers[i];
	return NULL;
}

/* Run the handler of one queued step; finish it from the return code if the handler did not. */
static void tv_worker_run_step(struct tv_worker *w, struct tv_step *s)
{
	const struct tv_handler *hd;
	int rc;

	s->queued = false;
	if (s->cancelled) {
		tv_step_fail(s, "cancelled", NULL);
		return;
	}
	hd = tv_worker_handler_for(w, s);
	if (hd == NULL) {
		char msg[256];
		snprintf(msg, sizeof(msg), "worker pid %ld serves no handler \"%s\"", (long)getpid(),
			 s->handler != NULL ? s->handler : "(command)");
		tv_step_fail(s, msg, NULL);
		return;
	}
	s->in_handler = true;
	rc = hd->fn(s, hd->arg);
	s->in_handler = false;
	if (!s->finished) {
		if (rc == TV_STEP_PENDING)
			return;
		if (rc == TV_STEP_OK)
			tv_step_done(s, NULL);
		else {
			char msg[256];
			if (s->errmsg == NULL)
				snprintf(msg, sizeof(msg), "handler %s failed", hd->name);
			tv_step_fail(s, s->errmsg != NULL ? s->errmsg : msg, NULL);
		}
		return;
	}
	tv_step_release(s);
}

/* The logs gathered, then all that waits to be sent: 0, or -1 with the connection dead. */
static int tv_worker_push(struct tv_worker *w)
{
	tv_worker_send_logs(w);
	if (proto_wbuf_flush(&w->wb, w->fd) < 0) {
		tv_worker_seterr(w, "unix://%s: send: %s", w->path, strerror(errno));
		w->dead = true;
		return -1;
	}
	return 0;
}

int tv_worker_dispatch(struct tv_worker *w)
{
	int rc;

	if (w->fd < 0) {
		tv_worker_seterr(w, "not connected");
		return -1;
	}
	for (;;) {
		rc = tv_worker_read(w);
		if (rc < 0)
			return -1;
		if (w->q_head == NULL && rc == 0)
			break; /* nothing to run, nothing more came: time to flush */
		while (w->q_head != NULL && !w->stop) {
			struct tv_step *s = w->q_head;
			w->q_head = s->qnext;
			if (w->q_head == NULL)
				w->q_tail = NULL;
			s->qnext = NULL;
			tv_worker_run_step(w, s);
			if (w->dead)
				return -1;
		}
		if (w->stop)
			break;
	}
	return tv_worker_push(w);
}

int tv_worker_flush(struct tv_worker *w)
{
	if (w->fd < 0 || w->dead) {
		tv_worker_seterr(w, "not connected to the daemon");
		return -1;
	}
	return tv_worker_push(w);
}

int tv_worker_run(struct tv_worker *w)
{
	if (tv_worker_connect(w) < 0)
		return -1;
	w->stop = 0;
	while (!w->stop) {
		struct pollfd p = {w->fd, POLLIN, 0};
		if (tv_worker_dispatch(w) < 0)
			return -1;
		if (w->stop || (w->draining && w->nsteps == 0))
			break;
		if (tv_worker_want_write(w))
			p.events |= POLLOUT;
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			tv_worker_seterr(w, "poll: %s", strerror(errno));
			return -1;
		}
	}
	return tv_worker_flush_all(w);
}

/* ---- Steps ---- */

const char *tv_step_id(const struct tv_step *s)
{
	return s->id;
}
const char *tv_step_task_id(const struct tv_step *s)
{
	return s->task_id;
}
const char *tv_step_label(const struct tv_step *s)
{
	return s->label;
}
const char *tv_step_task_name(const struct tv_step *s)
{
	return s->task_name;
}
int tv_step_attempt(const struct tv_step *s)
{
	return s->attempt;
}
const char *tv_step_name(const struct tv_step *s)
{
	return s->name;
}
int tv_step_index(const struct tv_step *s)
{
	return s->index;
}
const char *tv_step_command(const struct tv_step *s)
{
	return s->command;
}
char *const *tv_step_argv(const struct tv_step *s)
{
	return (char *const *)s->argv;
}
const char *tv_step_handler(const struct tv_step *s)
{
	return s->handler;
}
json_t *tv_step_input(const struct tv_step *s)
{
	return s->input;
}
json_t *tv_step_message(const struct tv_step *s)
{
	return s->msg;
}
json_t *tv_step_children(const struct tv_step *s)
{
	json_t *c = s->msg != NULL ? json_object_get(s->msg, "children") : NULL;

	return json_is_array(c) ? c : NULL;
}
void tv_step_set_data(struct tv_step *s, void *data)
{
	s->data = data;
}
void *tv_step_get_data(const struct tv_step *s)
{
	return s->data;
}
struct tv_worker *tv_step_worker(const struct tv_step *s)
{
	return s->w;
}

double tv_step_lease_left(const struct tv_step *s)
{
	if (s->lease_until == 0)
		return 1e18;
	return s->lease_until - tv_worker_now();
}

bool tv_step_cancelled(struct tv_step *s)
{
	if (!s->cancelled && s->w->fd >= 0 && !s->w->dead)
		tv_worker_read(s->w);
	return s->cancelled;
}

void tv_step_set_error(struct tv_step *s, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(s->errmsg);
	s->errmsg = m;
}

/* Parse json (NULL = {}) into an object, for messages about step s. */
static json_t *tv_step_parse(struct tv_step *s, const char *what, const char *json)
{
	json_error_t je;
	json_t *j;

	if (json == NULL)
		return json_object();
	j = json_loads(json, 0, &je);
	if (j == NULL) {
		tv_worker_seterr(s->w, "%s: bad JSON: %s", what, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		tv_worker_seterr(s->w, "%s: not a JSON object", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

static void tv_step_renewed(struct tv_step *s)
{
	s->renewed = tv_worker_now();
	if (s->lease_len > 0)
		s->lease_until = s->renewed + s->lease_len;
}

/* Send a message about a running step; inside a synchronous handler, send it now. */
static int tv_step_tell(struct tv_step *s, uint32_t type, json_t *body)
{
	int rc;

	if (s->finished) {
		json_decref(body);
		tv_worker_seterr(s->w, "step %s is already finished", s->id);
		return -1;
	}
	json_object_set(body, "step_id", s->step_id);
	rc = tv_worker_send_json(s->w, type, body);
	if (rc == 0 && s->in_handler)
		rc = tv_worker_flush_all(s->w);
	return rc;
}

int tv_step_progress(struct tv_step *s, const char *json)
{
	json_t *p = tv_step_parse(s, "progress", json);

	if (p == NULL)
		return -1;
	tv_step_renewed(s);
	return tv_step_tell(s, MSG_WORKER_PROGRESS, json_pack("{s:o}", "progress", p));
}

int tv_step_heartbeat(struct tv_step *s)
{
	tv_step_renewed(s);
	return tv_step_tell(s, MSG_WORKER_PROGRESS, json_object());
}

int tv_step_keepalive(struct tv_step *s)
{
	if (s->lease_len <= 0 || tv_worker_now() - s->renewed < s->lease_len / 3)
		return 0;
	return tv_step_heartbeat(s);
}

int tv_step_output(struct tv_step *s, const char *json)
{
	json_t *o = tv_step_parse(s, "output", json);

	if (o == NULL)
		return -1;
	return tv_step_tell(s, MSG_WORKER_OUTPUT, json_pack("{s:o}", "output", o));
}

int tv_step_spawn(struct tv_step *s, const char *label, const char *input_json)
{
	json_t *in, *l;

	if (label == NULL || *label == '\0') {
		tv_worker_seterr(s->w, "spawn: no label");
		return -1;
	}
	l = json_string(label);
	if (l == NULL) {
		tv_worker_seterr(s->w, "spawn: label is not UTF-8");
		return -1;
	}
	in = tv_step_parse(s, "spawn input", input_json);
	if (in == NULL) {
		json_decref(l);
		return -1;
	}
	return tv_step_tell(s, MSG_WORKER_SPAWN, json_pack("{s:o, s:o}", "label", l, "input", in));
}

/* Mark s finished; free it unless its handler is still on the stack. */
static void tv_step_finish(struct tv_step *s)
{
	s->finished = true;
	if (!s->in_handler && !s->queued)
		tv_step_release(s);
}

/* The step ends: its last live lines go first, its tails with the DONE/FAIL body. */
static void tv_step_log_end(struct tv_step *s, json_t *body)
{
	if (s->log == NULL)
		return;
	tv_step_send_log(s);
	json_object_set_new(body, "log", tv_steplog_tails(s->log));
}

int tv_step_done(struct tv_step *s, const char *output_json)
{
	struct tv_worker *w = s->w;
	json_t *out, *body;
	int rc;

	if (s->finished) {
		tv_worker_seterr(w, "step %s is already finished", s->id);
		return -1;
	}
	if (s->cancelled) /* the daemon gave up on it: say so rather than "done" */
		return tv_step_fail(s, "cancelled", NULL);
	if (output_json == NULL && s->log == NULL) {
		/* The common case, built without a JSON round trip. */
		char buf[256];
		int n = snprintf(buf, sizeof(buf), "{\"step_id\":%s,\"output\":{}}", s->id_json);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			rc = tv_worker_send(w, MSG_WORKER_DONE, buf, (size_t)n);
			tv_step_finish(s);
			return rc;
		}
	}
	out = tv_step_parse(s, "output", output_json);
	if (out == NULL) {
		char msg[TV_ERR_LEN + 32];
		snprintf(msg, sizeof(msg), "bad step output: %s", w->err);
		tv_step_fail(s, msg, output_json);
		return -1;
	}
	body = json_pack("{s:O, s:o}", "step_id", s->step_id, "output", out);
	tv_step_log_end(s, body);
	rc = tv_worker_send_json(w, MSG_WORKER_DONE, body);
	tv_step_finish(s);
	return rc;
}

int tv_step_fail(struct tv_step *s, const char *message, const char *output_tail)
{
	struct tv_worker *w = s->w;
	json_t *body;
	int rc;

	if (s->finished) {
		tv_worker_seterr(w, "step %s is already finished", s->id);
		return -1;
	}
	if (message == NULL || *message == '\0')
		message = "failed";
	body = json_pack("{s:O, s:s}", "step_id", s->step_id, "message", message);
	if (s->cancelled)
		json_object_set_new(body, "cancelled", json_true());
	if (output_tail != NULL) {
		size_t len = strlen(output_tail);
		const char *t = output_tail;
		if (len > TV_TAIL_MAX) {
			t += len - TV_TAIL_MAX;
			len = TV_TAIL_MAX;
			/* start on a character, not inside a UTF-8 sequence */
			while (len > 0 && ((unsigned char)*t & 0xC0) == 0x80) {
				t++;
				len--;
			}
		}
		json_t *js = json_stringn(t, len);
		if (js == NULL) /* not UTF-8: keep what can be said */
			js = json_string("(output tail is not UTF-8)");
		json_object_set_new(body, "output_tail", js);
	}
	tv_step_log_end(s, body);
	rc = tv_worker_send_json(w, MSG_WORKER_FAIL, body);
	tv_step_finish(s);
	return rc;
}

void tv_worker_set_log_tail(struct tv_worker *w, size_t bytes)
{
	w->log_tail = bytes;
}

int tv_step_log_stream(struct tv_step *s, int stream, const char *line, size_t len)
{
	char clean[TV_LOG_LINE_MAX + 64];
	size_t n;
	int dropped;

	if (s->finished) {
		tv_worker_seterr(s->w, "step %s is already finished", s->id);
		return -1;
	}
	if (s->log == NULL && (s->log = tv_steplog_new(s->w->log_tail)) == NULL) {
		tv_worker_seterr(s->w, "out of memory");
		return -1;
	}
	n = tv_log_clean(line, len, clean, sizeof(clean));
	dropped = tv_steplog_add(s->log, stream, clean, n, tv_worker_now());
	if (s->in_handler || tv_steplog_full(s->log)) {
		tv_step_send_log(s);
		if (s->in_handler && tv_worker_flush_all(s->w) < 0)
			return -1;
	}
	return dropped;
}

int tv_step_log(struct tv_step *s, const char *line)
{
	return tv_step_log_stream(s, 1, line, line != NULL ? strlen(line) : 0);
}
