/*
 * taskvisor.h — libtaskvisor: the C API for task workers and task clients.
 *
 * Workers never touch the queue database: a worker connects to the daemon's
 * Unix socket, says which queue and handlers it serves (MSG_WORKER_HELLO),
 * receives steps (MSG_WORKER_STEP, up to `prefetch` at once) and answers each
 * with DONE or FAIL, optionally PROGRESS (which also renews the step's lease),
 * OUTPUT and SPAWN. The daemon writes the database in batches (group commit).
 *
 * Everything here returns errors (0 / -1, or NULL, with a message readable
 * through tv_worker_error()/tv_client_error() or the err buffer of a
 * constructor); nothing calls exit() or prints.
 *
 * ---- A worker ----------------------------------------------------------
 *
 *	static int hello(struct tv_step *s, void *arg)
 *	{
 *		json_t *in = tv_step_input(s);         // the task's input (borrowed)
 *		tv_step_progress(s, "{\"items_done\":1}");
 *		return tv_step_done(s, "{\"greeted\":true}");
 *	}
 *	struct tv_worker *w = tv_worker_new(NULL, "default", 8, err, sizeof(err));
 *	tv_worker_handle(w, "hello", hello, NULL);   // step.x = handler:hello
 *	tv_worker_run(w);                             // until tv_worker_stop() or the daemon leaves
 *	tv_worker_free(w);
 *
 * A handler finishes its step by calling tv_step_done() or tv_step_fail(), or
 * by its return value: TV_STEP_OK (0) = done with no output, TV_STEP_FAILED
 * (-1) = failed with tv_step_set_error()'s message (default "handler NAME
 * failed"), TV_STEP_PENDING = the step goes on after the handler returns (an
 * asynchronous worker such as exec-worker, which finishes it later from its
 * own event loop). The struct tv_step stays valid until its step is finished.
 *
 * Results are queued as steps finish and the socket is flushed only when the
 * worker has nothing else to do (no prefetched step waiting, nothing more to
 * read), so a worker with a deep prefetch sends many completions per write.
 *
 * An event-driven worker (libev, poll) does not call tv_worker_run(): it
 * calls tv_worker_connect(), watches tv_worker_fd() for reading (and for
 * writing while tv_worker_want_write() is true) and calls tv_worker_dispatch()
 * whenever it is readable or after it finished steps.
 *
 * ---- A client ------------------------------------------------------------
 *
 *	struct tv_client *c = tv_client_connect(NULL, err, sizeof(err));
 *	char id[TV_ID_LEN];
 *	tv_submit(c, "repo.sync", "{\"repo\":\"base\"}", NULL, id);
 *	json_t *task; tv_wait(c, id, &task); ... json_decref(task);
 *	tv_client_close(c);
 */
#ifndef TV_TASKVISOR_H
#define TV_TASKVISOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TV_ID_LEN 37	 /* a task id: uuid text + NUL */
#define TV_ERR_LEN 512	 /* size of the error buffers kept in handles */
#define TV_TAIL_MAX 4096 /* the most of a failed step's output tail that is sent */

/* ==== Workers ============================================================= */

struct tv_worker;
struct tv_step;

enum tv_step_ret {
	TV_STEP_OK = 0,	     /* done, no output (unless tv_step_done was called) */
	TV_STEP_FAILED = -1, /* failed with the message of tv_step_set_error() */
	TV_STEP_PENDING = 1, /* still running: finished later with tv_step_done/fail */
};

/* A handler: runs one step. See the return codes above. */
typedef int (*tv_handler_fn)(struct tv_step *step, void *arg);
/* Called when the daemon cancels a step this worker holds (MSG_WORKER_CANCEL). */
typedef void (*tv_cancel_fn)(struct tv_step *step, void *arg);

/*
 * A worker for queue, taking up to prefetch steps at once (>= 1).
 * socket_path NULL: tv_client_default_socket(). Does not connect yet. NULL + err on failure.
 */
struct tv_worker *tv_worker_new(const char *socket_path, const char *queue, int prefetch, char *err,
				size_t errlen);
void tv_worker_free(struct tv_worker *w);
/* Serve handler name (the NAME of `step.x = handler:NAME`); "*" serves command
 * steps (`step.x = /bin/cmd`), as the exec worker does. 0 or -1. Before connecting. */
int tv_worker_handle(struct tv_worker *w, const char *name, tv_handler_fn fn, void *arg);
/* Be told about cancelled steps (else a cancelled step is only flagged: tv_step_cancelled). */
void tv_worker_on_cancel(struct tv_worker *w, tv_cancel_fn fn, void *arg);
/*
 * Draining (MSG_WORKER_DRAIN): the daemon is stopping this worker's program (stop, restart,
 * update, shutdown) and gives it no new step; it waits up to timeout_s seconds for the held
 * ones before the stop signal. fn (may be NULL) is called once when the request arrives, from
 * tv_worker_dispatch(). Whatever fn does, the held steps still run to their end, and
 * tv_worker_run() returns 0 once none is held (an event-driven worker checks
 * tv_worker_draining() and tv_worker_busy() == 0, then exits 0).
 */
typedef void (*tv_drain_fn)(struct tv_worker *w, int timeout_s, void *arg);
void tv_worker_on_drain(struct tv_worker *w, tv_drain_fn fn, void *arg);
/* The daemon asked this worker to drain. */
bool tv_worker_draining(const struct tv_worker *w);
/* The last error's text. */
const char *tv_worker_error(const struct tv_worker *w);
/* Name sent in the hello for an unsupervised worker (before connecting; default "pid-N"). */
int tv_worker_set_name(struct tv_worker *w, const char *name);
/* After connecting: the name the daemon knows this worker by ("exec-worker_00"), and its id. */
const char *tv_worker_name(const struct tv_worker *w);
long long tv_worker_id(const struct tv_worker *w);

/* Connect and say hello (blocking until the daemon's OK). 0 or -1. */
int tv_worker_connect(struct tv_worker *w);
/*
 * Serve steps until tv_worker_stop(), a drain request once no step is held, or the daemon
 * closes the connection (connects first when needed). 0 after tv_worker_stop() or a finished
 * drain, -1 on error or when the daemon went away (tv_worker_error says which).
 */
int tv_worker_run(struct tv_worker *w);
/* Make tv_worker_run return after the current step (safe from a signal handler). */
void tv_worker_stop(struct tv_worker *w);

/* Event-driven use: the socket, and whether it must be watched for writing. */
int tv_worker_fd(const struct tv_worker *w);
bool tv_worker_want_write(const struct tv_worker *w);
/*
 * Read what the socket has without blocking, run handlers for the steps that
 * came, flush results. 0, or -1 when the connection is gone (then stop).
 */
int tv_worker_dispatch(struct tv_worker *w);
/* Write queued results without blocking: 0 (maybe some left: tv_worker_want_write), -1 gone. */
int tv_worker_flush(struct tv_worker *w);
/* Steps received and not yet finished. */
int tv_worker_busy(const struct tv_worker *w);

/* ---- One step, inside (or after) its handler ---- */

const char *tv_step_id(const struct tv_step *s);
const char *tv_step_task_id(const struct tv_step *s);
const char *tv_step_label(const struct tv_step *s);	/* the task's label */
const char *tv_step_task_name(const struct tv_step *s); /* the task's name (from its template) */
int tv_step_attempt(const struct tv_step *s);		/* 1 the first time, more after a rescue */
const char *tv_step_name(const struct tv_step *s);	/* the step's name */
int tv_step_index(const struct tv_step *s);		/* 0-based, as sent by the daemon */
const char *tv_step_command(const struct tv_step *s);	/* the command as text, for display, or NULL */
/* What a command step runs: NULL-terminated argv, each input value one element (borrowed);
 * NULL for a handler step. */
char *const *tv_step_argv(const struct tv_step *s);
const char *tv_step_handler(const struct tv_step *s); /* handler name, or NULL */
json_t *tv_step_input(const struct tv_step *s);	      /* the task's input (borrowed; {} if none) */
json_t *tv_step_message(const struct tv_step *s);     /* the whole MSG_WORKER_STEP body (borrowed) */
/* A chord's callback (the step after one that spawned children): the children's outputs in
 * spawn order, an array (borrowed); NULL for any other step. */
json_t *tv_step_children(const struct tv_step *s);
/* Seconds left on the step's lease (negative: expired; very large: no lease). */
double tv_step_lease_left(const struct tv_step *s);
/*
 * Renew the lease when a third of it has passed since the last renewal (the
 * protocol's rule for unsupervised workers; harmless for supervised ones).
 * Call it now and then from a long synchronous handler. 0 or -1.
 */
int tv_step_keepalive(struct tv_step *s);
/* The daemon asked to cancel this step (checks the socket without blocking). */
bool tv_step_cancelled(struct tv_step *s);
/* Per-step pointer for asynchronous workers. */
void tv_step_set_data(struct tv_step *s, void *data);
void *tv_step_get_data(const struct tv_step *s);
struct tv_worker *tv_step_worker(const struct tv_step *s);

/*
 * Messages about a running step. json is the text of a JSON object (NULL = {}).
 * progress: merged into the task's progress details, renews the lease.
 * output:   merged into the task's output.
 * spawn:    a child task LABEL with input json; the parent's next step waits for it.
 * 0, or -1 (bad JSON, step already finished, connection lost).
 */
int tv_step_progress(struct tv_step *s, const char *json);
int tv_step_heartbeat(struct tv_step *s); /* renew the lease only ({"step_id"} alone) */
int tv_step_output(struct tv_step *s, const char *json);
int tv_step_spawn(struct tv_step *s, const char *label, const char *input_json);

/*
 * Finish the step: done with output json (NULL = {}), or failed with a
 * message and the tail of what it printed (NULL = none; cut to TV_TAIL_MAX).
 * Exactly one of these per step; the step is freed (unless the caller is its
 * handler, in which case it is freed when the handler returns).
 * 0 or -1 (then the step is still freed; the daemon rescues it).
 */
int tv_step_done(struct tv_step *s, const char *output_json);
int tv_step_fail(struct tv_step *s, const char *message, const char *output_tail);
/* The message a handler returning TV_STEP_FAILED fails with (printf-style). */
void tv_step_set_error(struct tv_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * What a running step prints (README "A step's output"): one line at a time,
 * kept as tv_log_clean() makes it. The worker keeps the last
 * tv_worker_set_log_tail() bytes of each stream (default TV_LOG_TAIL_DEFAULT),
 * sent with DONE/FAIL and stored with the step (`task show`), and sends the
 * lines live to the daemon (`task tail -f`) at most TV_LOG_RATE lines
 * (bursts of TV_LOG_BURST) and TV_LOG_RATE_BYTES bytes a second per step:
 * lines over it are counted as dropped (followers are told), the tails keep
 * them. A step that logs nothing costs nothing. 0, 1 when the line was kept
 * in the tail but not sent live (rate cap), or -1 (step finished, out of
 * memory, connection lost). The tail's size may also come from the
 * environment: TASKVISOR_OUTPUT_TAIL=256K (a size, at most 64M; 0 = none;
 * tv_worker_new refuses a bad one).
 */
#define TV_LOG_LINE_MAX 4096		/* bytes of one line kept; longer ones are cut, with a note */
#define TV_LOG_TAIL_DEFAULT (64 * 1024) /* bytes of each stream kept per step */
#define TV_LOG_RATE 200			/* lines a second sent live per step ... */
#define TV_LOG_BURST 2000		/* ... after a burst of this many */
#define TV_LOG_RATE_BYTES (256 * 1024)	/* bytes a second sent live per step */
int tv_step_log(struct tv_step *s, const char *line); /* a line of its stdout */
/* A line of stream (1 stdout, 2 stderr), len bytes (a trailing newline is dropped). */
int tv_step_log_stream(struct tv_step *s, int stream, const char *line, size_t len);
/* Bytes of each stream kept per step (0: no tails, lines are still sent live); overrides
 * $TASKVISOR_OUTPUT_TAIL. Before steps run. */
void tv_worker_set_log_tail(struct tv_worker *w, size_t bytes);
/*
 * A line as it is kept: invalid UTF-8 and control characters (but tab) become
 * U+FFFD, a trailing newline is dropped, and past TV_LOG_LINE_MAX bytes (or
 * outlen - 1) it is cut with " [line cut: N bytes]". Its length (out is
 * NUL-terminated).
 */
size_t tv_log_clean(const char *in, size_t n, char *out, size_t outlen);

/* ==== Clients ============================================================= */

struct tv_client;

/* Submit options; zero = unset. Times are epoch seconds. */
struct tv_submit_opts {
	double start_at;     /* do not start before */
	double start_before; /* do not start after (then the task stops, result error) */
	const char *parent;  /* parent task id */
};

/* The socket used when none is given: $TASKVISOR_SOCKET (the daemon sets it for its programs),
 * else the daemon's default, /run/taskvisor.sock. */
const char *tv_client_default_socket(void);
/* Connect to path (NULL: tv_client_default_socket()). NULL + err on failure. */
struct tv_client *tv_client_connect(const char *path, char *err, size_t errlen);
/* A client for path that connects on its first request (so tv_client_set_timeout applies to
 * connecting too). NULL + err only when out of memory. */
struct tv_client *tv_client_new(const char *path, char *err, size_t errlen);
/* Connect now unless connected: 0, or -1 with tv_client_error in supervisorctl's words
 * ("unix:///run/taskvisor.sock no such file", "... refused connection", "... access denied"). */
int tv_client_open(struct tv_client *c);
/* Close the connection; the next request connects again. */
void tv_client_disconnect(struct tv_client *c);
/* After a -1: true when the daemon answered something this client cannot read (another
 * protocol version, a malformed or unexpected reply), false when it could not be reached or
 * went silent ("unix://PATH closed the connection", "no answer from PATH within N s"). */
bool tv_client_protocol_error(const struct tv_client *c);
/*
 * How long connecting and each reply may take (default 30 s; 0 = no limit):
 * past it a call fails with "no answer from PATH within N s". tv_wait and
 * tv_follow wait for the task without a limit, once the daemon has answered
 * a MSG_VERSION in time.
 */
void tv_client_set_timeout(struct tv_client *c, double seconds);
void tv_client_close(struct tv_client *c);
const char *tv_client_error(const struct tv_client *c);

/* Submit one task; its id into id_out. 0 or -1 (the daemon's refusal in tv_client_error). */
int tv_submit(struct tv_client *c, const char *label, const char *input_json,
	      const struct tv_submit_opts *opts, char id_out[TV_ID_LEN]);
/*
 * Submit n tasks in one request (one transaction in the daemon): labels[i]
 * with inputs[i] (inputs NULL or inputs[i] NULL = {}). ids_out (n entries,
 * may be NULL) gets their ids. All or none: 0 or -1.
 */
int tv_submit_many(struct tv_client *c, size_t n, const char *const *labels, const char *const *inputs,
		   const struct tv_submit_opts *opts, char (*ids_out)[TV_ID_LEN]);
/* The task as the daemon shows it (MSG_TASK_SHOW); *task is the caller's (json_decref). */
int tv_get(struct tv_client *c, const char *id, json_t **task);
/* Block until the task has stopped; *task (may be NULL) gets its final state.
 * A paused task has not stopped: this waits for an operator to move it on. */
int tv_wait(struct tv_client *c, const char *id, json_t **task);
/*
 * Follow a task: on_change(arg, task) for its state at once and after every
 * change (task borrowed, as MSG_TASK_SHOW gives it); also every `recheck`
 * seconds (> 0) in case a change fell between two requests. Returns when the
 * task has stopped (0, *final = its last state, may be NULL) or when
 * on_change returned non-zero (1, *final = that state), e.g. on "paused".
 * -1 on error. Uses a second connection to the same socket for the checks.
 */
int tv_follow(struct tv_client *c, const char *id, double recheck, int (*on_change)(void *arg, json_t *task),
	      void *arg, json_t **final);
/*
 * Any request (proto.h msgtype). req is stolen (NULL = {}). 0: OK, *reply its
 * body; 1: the daemon's MSG_ERROR, *reply {"error","code"} and the text in
 * tv_client_error; -1: I/O failure (*reply NULL). A request that waits for
 * something (start, stop, task wait...) waits without a limit once the daemon
 * has answered a MSG_VERSION in time; a refusal of that is the reply (1).
 * Connects first when needed; a connection the daemon closed as idle is opened
 * again once.
 */
int tv_request(struct tv_client *c, uint32_t type, json_t *req, json_t **reply);
/*
 * tv_request for a streamed answer (tail -f, task list, export): on_data(arg,
 * data) for every MSG_DATA body (borrowed) until the final reply, which may
 * take as long as it takes. A non-zero return from on_data stops: the
 * connection is closed and the call returns 0 with *reply NULL.
 */
int tv_request_stream(struct tv_client *c, uint32_t type, json_t *req,
		      int (*on_data)(void *arg, json_t *data), void *arg, json_t **reply);

/* ==== Helpers ============================================================= */

/*
 * Parse a time for --start-at and friends into epoch seconds, in the grammar
 * the daemon, its configuration and its search language share (README
 * "Times"): "2026-11-23 14:00[:SS]", ISO 8601 ("2026-11-23T14:00:00[Z|+01:00]"),
 * a bare date (its midnight), epoch seconds ("1795442400" or "@1795442400"),
 * now/today/yesterday, or relative to now: "+10s", "+5m", "+2h", "+1d", "+1w",
 * "-2h", "3 days ago". Local time unless a zone is given. 0 or -1.
 */
int tv_parse_time(const char *s, double now, double *out);

#endif
