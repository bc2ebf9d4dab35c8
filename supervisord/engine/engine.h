/*
 * engine.h — the task engine inside the daemon: owns the queue database
 * (through queue_backend.h), plans tasks, hands steps to connected workers,
 * records results with group commit, applies rescue strategies, and rescues
 * steps whose worker died (the daemon tells it of every reaped child).
 *
 * This header is what the daemon (daemon.c) and the request handlers
 * (handlers_task.c, handlers_worker.c, handlers_check.c) call; the engine's
 * own files share engine_int.h. The engine sits below the socket server, the
 * daemon and the supervisor and never includes them: the daemon hands it, at
 * engine_new, a struct engine_hooks (send to a peer, hold and release it, the
 * program of a pid) and the configuration (again at engine_config_changed).
 *
 * Files: engine.c (context, group commit, timers, task cache), engine_plan.c
 * (submit: validation, templates, locks), engine_dispatch.c (workers, hand-out,
 * step results, results of tasks), engine_rescue.c (worker death, leases,
 * restart recovery), engine_drain.c (workers drained before their stop), engine_request.c
 * (the task requests the handlers pass on), engine_worker.c and engine_queue.c (what workers
 * hold and queues did: worker list, queue list, a task's wait, check queue).
 */
#ifndef TV_ENGINE_H
#define TV_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conf;
struct engine;
struct ev_loop;
/* A peer of the socket server (a client or a worker): opaque to the engine, only handed back
 * to its hooks. */
struct conn;
/* A connected worker (the peer's slot holds it, see engine_hooks.set_data). */
struct worker;

/* What the engine needs from the layers above it (daemon.c fills it with control.h's conn_* and a
 * look-up in the supervisor). */
struct engine_hooks {
	/* One message to a peer; body stolen. */
	void (*send)(struct conn *c, uint32_t type, json_t *body);
	/* Frames already built (proto_wbuf_add), copied; never closes c at once. */
	void (*send_frames)(struct conn *c, const char *frames, size_t len);
	/* Keep a peer past its request (a reply after the commit, a wait, a stream); release when done. */
	void (*hold)(struct conn *c);
	void (*release)(struct conn *c);
	bool (*closed)(const struct conn *c);
	size_t (*unsent)(const struct conn *c); /* bytes queued for the peer, not yet written */
	pid_t (*pid)(const struct conn *c);	/* its process (peer credentials), 0 unknown */
	/* fn(arg, c) once when the peer goes away (NULL: no longer) */
	void (*on_close)(struct conn *c, void (*fn)(void *arg, struct conn *c), void *arg);
	const char *(*user)(const struct conn *c); /* who the peer is: a user name, or the uid */
	/* The peer's slot for the engine's worker record (the handlers read it back). */
	void (*set_data)(struct conn *c, void *data);
	/* The supervised process whose pid this is: its name, and its "group:name" in *fullname;
	 * NULL when the pid is none of the supervisor's. */
	const char *(*program)(void *arg, pid_t pid, const char **fullname);
	/* A draining worker (engine_worker_drain) of process pid holds no step any more: it may be
	 * stopped now. May be NULL. */
	void (*drained)(void *arg, pid_t pid);
	void *arg; /* program's and drained's (and task_state's) */

	/* [eventlistener:x] (TASK_* events): a task stopped or paused, told after the commit that
	 * recorded it (never for a change a failed commit undid). from/to: "running", "stopped",
	 * "paused"...; result: "success", "error"... May be NULL. */
	void (*task_state)(void *arg, const char *id, const char *label, const char *from, const char *to,
			   const char *result);
};

/* The database file of a configuration ([taskvisord] database=, default taskvisor.db). */
const char *engine_db_path(const struct conf *c);
/*
 * Open the database of conf (migrations, recovery of steps whose workers are
 * gone) on loop (NULL: no timers, tests commit by hand). conf must live until
 * the next engine_config_changed; hooks are copied. NULL + err on failure.
 */
struct engine *engine_new(struct ev_loop *loop, const struct conf *conf, const struct engine_hooks *hooks,
			  char *err, size_t errlen);
void engine_free(struct engine *e);
/* The config changed (reload/update): task types, [recurring:] sections, cleanup rules. */
void engine_config_changed(struct engine *e, const struct conf *conf);
/* A supervised child was reaped (from sv_hooks.on_exit). */
void engine_proc_exit(struct engine *e, pid_t pid, int wstatus, bool oom_killed);
/* debug-bundle: into out "schema_version", "engine" ("SQLite 3.40.1"), "bytes", "wal_bytes",
 * "integrity" (quick_check, at most budget_ms of the loop's time), "ok"; only "integrity" saying
 * why when the database is not open. */
void engine_store_info(struct engine *e, int budget_ms, json_t *out);
/* ping's checks: database and workers, each {"name","ok","message"} appended to checks. */
void engine_ping_checks(struct engine *e, json_t *checks);
/*
 * `check queue|paused|stuck` (MSG_CHECK): the Nagios code (0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN) and its one line with perfdata in line. warn/crit
 * <= 0 take the defaults (queue: 100/1000 steps ready; paused: 1/10 tasks;
 * stuck: 1/5 tasks).
 */
int engine_check(struct engine *e, const char *check, double warn, double crit, char *line, size_t len);

/* ---- for the request handlers ---- */

/* Replies, sent after the group commit that recorded what they acknowledge (body stolen). A
 * read's reply (engine_reply_read) is sent even when that commit failed. */
void engine_reply(struct engine *e, struct conn *c, uint32_t type, json_t *body);
void engine_reply_read(struct engine *e, struct conn *c, uint32_t type, json_t *body);
/* Task changes may be asked now: else false, the refusal (the database refuses writes) queued as
 * c's reply. */
bool engine_request_writable(struct engine *e, struct conn *c);
/* Reply MSG_ERROR {"error": msg, "code": 1} after the commit. */
void engine_request_error(struct engine *e, struct conn *c, const char *msg);

/* engine_request.c: the task (200 block) requests of proto.h, each replied through
 * engine_reply*(); they are entries of handlers_task.c's table. */
void engine_request_submit(struct engine *e, struct conn *c, json_t *req);
void engine_request_list(struct engine *e, struct conn *c, json_t *req);
void engine_request_show(struct engine *e, struct conn *c, json_t *req);
void engine_request_resume(struct engine *e, struct conn *c, json_t *req);
void engine_request_skip(struct engine *e, struct conn *c, json_t *req);
void engine_request_cancel(struct engine *e, struct conn *c, json_t *req);
/* unlock, force-unlock: refused unless [taskvisord] allow_dangerous_actions = true */
void engine_request_unlock(struct engine *e, struct conn *c, json_t *req);
void engine_request_force_unlock(struct engine *e, struct conn *c, json_t *req);
void engine_request_locks(struct engine *e, struct conn *c, json_t *req);
/* The tasks of search (text, NULL = all) with their steps; stream: DATA pages (engine_list.c), rows:
 * the task rows only. */
void engine_request_export(struct engine *e, struct conn *c, const char *search, bool stream, bool rows);
void engine_request_schedule(struct engine *e, struct conn *c, json_t *req);
void engine_request_recurring_list(struct engine *e, struct conn *c, json_t *req);
void engine_request_recurring_show(struct engine *e, struct conn *c, json_t *req);
void engine_request_recurring_cancel(struct engine *e, struct conn *c, json_t *req);
/* Hold c until the task stops (DATA on each change, OK at the end). */
void engine_request_wait(struct engine *e, struct conn *c, json_t *req);

/* engine_cleanup.c */
/* Delete (or with noop only list) stopped tasks matching search that started more than
 * after_s seconds ago (0 = any time); their ids appended to ids (may be NULL). Count or -1. */
long engine_cleanup(struct engine *e, const char *search, long long after_s, bool noop, json_t *ids,
		    char *err, size_t errlen);
/* The same, deleting batch rows per loop iteration (0: 1000); c (may be NULL) gets the reply
 * {"deleted","matched","noop","ids"} after the last batch. -1 (err) when the search is refused. */
int engine_cleanup_start(struct engine *e, const char *search, long long after_s, size_t batch,
			 struct conn *c, bool want_ids, char *err, size_t errlen);

/* Workers (the 300 block). hello: c's worker (the peer's slot holds it from now on), NULL + err. */
struct worker *engine_worker_hello(struct engine *e, struct conn *c, json_t *req, char *err, size_t errlen);
/* hello's answer: {"worker_id","name","lease"} */
json_t *engine_worker_json(const struct engine *e, const struct worker *w);
/* The worker's process when the daemon supervises it, else 0. */
pid_t engine_worker_pid(const struct worker *w);
/* Has a process of this program ("group:name") said hello as a worker since the daemon started? */
bool engine_worker_seen(const struct engine *e, const char *fullname);
/* Worker messages, through the journal: applied now and replayed after a failed commit. */
void engine_worker_done(struct engine *e, struct worker *w, const char *step_id, json_t *output);
void engine_worker_fail(struct engine *e, struct worker *w, const char *step_id, const char *msg,
			const char *tail);
/* step_id NULL: a heartbeat for every step w holds */
void engine_worker_progress(struct engine *e, struct worker *w, const char *step_id, json_t *progress,
			    json_t *output);
/* OUTPUT: only for a step w holds (an unknown step is no heartbeat). */
void engine_worker_output(struct engine *e, struct worker *w, const char *step_id, json_t *output);
void engine_worker_spawn(struct engine *e, struct worker *w, const char *step_id, json_t *label,
			 json_t *input);
/* engine_steplog.c: LOG {"lines","dropped"} of a step w holds (to its followers); the "log" of a
 * DONE/FAIL (its output tails, stored; call before engine_worker_done/_fail). */
void engine_worker_log(struct engine *e, struct worker *w, const char *step_id, json_t *req);
void engine_worker_log_end(struct engine *e, struct worker *w, const char *step_id, json_t *log);
/* MSG_TASK_TAIL {"id","step","follow"} (proto.h). */
void engine_request_tail(struct engine *e, struct conn *c, json_t *req);

/* Visibility (engine_worker.c, engine_queue.c): read-only requests, answered from memory.
 * MSG_WORKER_LIST {} -> {"workers": [worker...]}; MSG_WORKER_SHOW {"name"} -> {"worker"};
 * MSG_QUEUE_LIST {} -> {"queues": [queue...]} (proto.h has the objects). */
void engine_worker_list(struct engine *e, struct conn *c, json_t *req);
void engine_worker_show(struct engine *e, struct conn *c, json_t *req);
void engine_queue_list(struct engine *e, struct conn *c, json_t *req);
/* `check queue` with thresholds on the steps ready (warn, crit) and on the oldest wait in seconds
 * (warn_wait, crit_wait; <= 0: none); ready steps on a queue no worker serves are CRITICAL. */
int engine_check_queue(struct engine *e, double warn, double crit, double warn_wait, double crit_wait,
		       char *line, size_t len);

/* Draining (README "Draining workers", engine_drain.c). The workers of process pid are being
 * stopped: they get no step from now on and MSG_WORKER_DRAIN {"timeout":timeout_s}; returns how
 * many steps they still hold (0: stop them at once; hooks.drained follows when it reaches 0),
 * or -1 when pid is no connected worker. */
int engine_worker_drain(struct engine *e, pid_t pid, int timeout_s, const char *by);
/* The drain deadline passed: the steps pid's workers still hold are lost with the cause
 * `stopped by "BY" before the step finished` (re-queued while retry_on_worker_loss allows, else
 * failed: the task pauses with that cause); their late DONE/FAIL is ignored. */
void engine_worker_drain_expired(struct engine *e, pid_t pid, const char *by);
/* Is worker w draining (it gets no step)? */
bool engine_worker_draining(const struct worker *w);

/* GET /metrics (MSG_METRICS, engine_metrics.c): {"queues": [queue...], "tasks": [{"state","result",
 * "label","count"}] (from the store, at most 2 s old), "submitted": [{"label","count"}],
 * "finished": [{"label","result","count"}], "steps": [{"label","step","le":[...],"counts":[cumulative,
 * the last +Inf],"count","sum"}], "commit": {"le","counts","count","sum"}, "series_max"}. */
json_t *engine_metrics_json(struct engine *e);

#endif
