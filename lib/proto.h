/*
 * proto.h — the one protocol between taskvisord, taskvisorctl, workers and
 * libtaskvisor, over the daemon's Unix stream socket.
 *
 * Every message is a frame: struct proto_hdr (host byte order: both ends are on
 * one machine) followed by hdr.len bytes of payload, a UTF-8 JSON object
 * (empty payload = {}). Every frame carries PROTO_VERSION; a daemon that gets
 * another version answers MSG_VERSION_MISMATCH and closes, never misparses.
 *
 * A request (client -> daemon) gets exactly one reply: MSG_OK with a JSON body,
 * or MSG_ERROR {"error": "text", "code": N}. Streaming requests (tail -f,
 * task wait) get any number of MSG_DATA frames and then one MSG_OK/MSG_ERROR.
 * Worker messages (300 block) are asynchronous in both directions.
 *
 * Numbers are never reused: a retired message stays as a commented-out line.
 * Bump PROTO_VERSION whenever a message or payload changes meaning.
 */
#ifndef TV_PROTO_H
#define TV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 2: workers and queues, step output, drain, supervisorctl parity, program stdin, check fields */
/* 3: MSG_METRICS, MSG_DEBUG_INFO, MSG_STATUS "memory" */
#define PROTO_VERSION 3
#define PROTO_MAX_PAYLOAD (16u * 1024u * 1024u)
/* The product's version: taskvisord, taskvisorctl, libtaskvisor (Makefile TV_VERSION follows it). */
#define TASKVISOR_VERSION "0.1.0"

/* The daemon's socket when the config names none ([unix_http_server] file=), and where
 * taskvisorctl and libtaskvisor look when told nothing else: the one definition. */
#define PROTO_DEFAULT_SOCKET "/run/taskvisor.sock"

struct proto_hdr {
	uint32_t version;
	uint32_t type; /* enum msgtype */
	uint32_t len;  /* payload bytes following the header */
};

enum msgtype {
	/* Replies, 1-99. */
	MSG_OK = 1,		  /* {...}: request done; body depends on request */
	MSG_ERROR = 2,		  /* {"error": "text", "code": exitcode-hint} */
	MSG_VERSION_MISMATCH = 3, /* {"daemon": N}: then the daemon closes */
	MSG_DATA = 4,		  /* {...}: one piece of a streamed reply */

	/*
	 * Process control, 100-199 (taskvisorctl). NAME is "prog", "group:prog";
	 * "group:*" is every member, "all" every process. A result is
	 * {"name", "status", "message"}: status ok | already_started | not_running |
	 * no_such_process | no_such_group | spawn_error | bad_signal |
	 * abnormal_termination; message is supervisorctl's text after "NAME: "
	 * ("started", "stopped", "signalled", "ERROR (spawn error)"). A proc is
	 * {"name","group","fullname","statename","state" (supervisord's code),"pid",
	 * "start","stop","now" (epoch s),"description" (status column),"restarts",
	 * "oom_killed","oom_kills","spawnerr","status_text","last_restart" (epoch s|null),
	 * "last_cause" ("OOM killed", "exit status 3"...),"next_restart" (restart_cron: epoch s|null)
	 * [,"exitstatus"|"signal"]}.
	 * "all" and "group:*" act only on the processes that need it (start skips
	 * running ones, stop/signal stopped ones), as supervisord does.
	 */
	MSG_STATUS = 100, /* {"names": [NAME...]} (none = all) -> {"processes": [proc...], "errors":
			     [{"name","message"}]}; "memory": true adds "memory" (bytes|null) to each proc */
	MSG_START = 101, /* {"names": [NAME...]} -> {"results": [result...]} once each is RUNNING or failed */
	MSG_STOP = 102,	 /* as MSG_START; replies once each is down */
	MSG_RESTART = 103, /* as MSG_START: every stop result, then every start result */
	MSG_SIGNAL = 104,  /* {"signal": "HUP"|"SIGHUP"|"1", "names": [NAME...]} -> {"results": [...]} */
	MSG_PID = 105,	   /* {} -> {"pid": daemon}; {"names": [...]} -> {"processes":
			      [{"name","pid"}|{"name","error"}]} */
	MSG_TAIL = 106,	   /* {"name", "stream": "stdout|stderr", "bytes": 1600, "follow": bool} -> {"text"};
			    * follow: DATA {"text"} now and as the log grows, until the client closes */
	MSG_AVAIL = 107,   /* {} -> {"programs":
			      [{"name","group","process","in_use","autostart","group_priority","priority"}]} */
	MSG_REREAD = 108,  /* {} -> {"added": [], "changed": [], "removed": []} (group names); error
			      "CANT_REREAD: file:line: ..." */
	MSG_UPDATE = 109,  /* {"names": [GROUP...]} (none/"all" = all) -> {"results": [result...]} in
			      supervisorctl's order */
	MSG_RELOAD = 110,  /* {} -> {} then every program restarts under the re-read config; a bad config:
			      ERROR, old kept */
	MSG_SHUTDOWN =
	    111, /* {} -> {} then the daemon stops everything and exits; ERROR "already shutting down" */
	MSG_PING = 112,	       /* {} -> {"checks": [{"name","ok","message"}]}: "daemon", the engine's
				  (engine_ping_checks), then "worker NAME" per worker program */
	MSG_VERSION = 113,     /* {} -> {"version": "x.y.z", "protocol": N} */
	MSG_REOPEN_LOGS = 114, /* {} -> {} (same as SIGUSR2) */
	/* {"check": "processes|memory|queue|paused|stuck", "warn", "crit"} -> {"code","line"};
	 * processes also takes "restarts_warn", "restarts_crit", "window" (s): restart storms */
	MSG_CHECK = 115,
	/* supervisorctl parity (120-129) */
	MSG_MAINTAIL = 120,	/* {"bytes": 1600, "follow": bool} -> {"text"} (the daemon's own log file);
				 * follow: DATA {"text"} now and as it grows; ERROR "no log file" without one */
	MSG_CLEAR_LOG = 121,	/* {"names": [NAME...|"all"]} -> {"results": [result...]}: logs emptied
				 * ("cleared"; no_such_process) */
	MSG_ADD_GROUP = 122,	/* {"names": [GROUP...]} -> {"results": [result...]}: a group of the config
				 * on disk becomes active (ok, already_added, no_such_group, shutting_down) */
	MSG_REMOVE_GROUP = 123, /* {"names": [GROUP...]} -> {"results": [result...]}: a stopped group leaves
				 * (ok, still_running, no_such_group) */
	/* {"name", "chars"} -> {}: chars written to the program's stdin pipe (supervisord's
	 * sendProcessStdin; queued when the pipe is full, at most 64 KiB per process). Errors as its
	 * faults: "BAD_NAME: NAME", "NOT_RUNNING: NAME" (code 3), "NO_FILE: NAME" (it closed its stdin),
	 * "FAILED: NAME: stdin full ..." (over the cap: nothing taken) */
	MSG_PROC_STDIN = 124,

	/*
	 * Tasks, 200-299 (taskvisorctl, libtaskvisor clients). Payloads exactly:
	 *
	 * Times: in requests a number = epoch SECONDS (fractions allowed), or a
	 * string: "now", "+30s" / "+5m" / "+2h" / "+1d" (relative), ISO-8601
	 * "2026-11-23T16:00:00Z" (Z or +HH:MM = that zone, none = local time),
	 * "2026-11-23 16:00[:00]", "2026-11-23" (midnight local). In replies every
	 * time is a number of epoch seconds with millisecond fraction, or null.
	 * An ID argument may be any unique prefix of a task id (like git);
	 * "no such task: X" / "ambiguous task id prefix: X (matches: ID, ... [and N more])"
	 * (up to 10 candidates) otherwise.
	 *
	 * A task object ("task" below), as list/show/wait/resume/skip/cancel return it:
	 *   {"id":"uuid","label","name","queue","state":"planned|running|paused|stopped",
	 *    "result":"pending|success|error|warning|cancelled","triggered_by",
	 *    "parent_task_id":"uuid"|null,"start_at","start_before","created_at",
	 *    "started_at","ended_at","steps_total":N,"steps_done":N,
	 *    "progress":{...free-form details, merged from MSG_WORKER_PROGRESS},
	 *    "cancellable":bool,"on_error":"pause|stop|skip","delayed":bool,
	 *    "input":{...},"output":{...}}
	 * MSG_TASK_SHOW (and MSG_TASK_WAIT's final OK) add:
	 *   "steps":[{"index":0,"name","command" (with "argv":[...])|"handler" (one
	 *             of them, the other absent),"state":"pending|ready|running|success|suspended|
	 *             skipped|error|cancelled","worker":"name"|null,"pid":N|null,
	 *             "attempts":N,"started_at","ended_at"}],
	 *   "errors":[{"step":"name"|null,"index":N|null,"message","output_tail","at"}],
	 *   "locks":[{"resource":"repository:base","exclusive":bool}],
	 *   "children":["uuid",...]   (sub-tasks spawned by this task)
	 *   "recurring_id":"uuid"     (only for a task a recurring logic made)
	 *
	 * SUBMIT: one task {"label":"repo.sync","input":{...} (object, default {}),
	 *   "start_at":T,"start_before":T,"parent":"ID"} -> OK {"id":"uuid"};
	 *   "parent" makes the task a child of the parent's running (or waiting)
	 *   step, as a SPAWN would; of a parent with no such step, a child by
	 *   parent_task_id only (nothing waits for it).
	 *   or a batch {"tasks":[{same fields},...]} -> OK {"ids":["uuid",...]}
	 *   (one transaction: all tasks are validated first, any error refuses
	 *   the whole batch: "task 3: unknown task type 'x'"; a lock conflict
	 *   does not: OK {"ids":[...],"errors":[{"index":i,"id","error"}]}).
	 *   Errors: "unknown task type 'x'", "input must be a JSON object",
	 *   "start_at: cannot parse time 'x'", "step fetch: input has no key 'repo'".
	 *   A lock conflict still creates the task (stopped, result error) and
	 *   answers MSG_ERROR "Required lock is already taken by other running
	 *   tasks. Please inspect their state, fix their errors and resume them.
	 *   Conflicts with tasks: ID1, ID2" (the new task's id is in the text's
	 *   first line: "task ID: ...", and in the error's "id"). The OK is sent only after the commit.
	 * LIST: {"search":"state = paused","limit":N (default 100, 0 = all),
	 *   "order":"created_at desc" (any search column, asc|desc),"stuck":bool}
	 *   -> OK {"tasks":[task without steps/errors/locks/input/output]}.
	 * SHOW / RESUME / SKIP / CANCEL / UNLOCK / FORCE_UNLOCK: {"id":"ID"} -> OK {"task":{...}}.
	 *   RESUME: paused only (re-runs the failed step). SKIP: paused with a step
	 *   in error (skips it and goes on; final result warning). CANCEL: planned
	 *   or paused tasks always; running ones only when the type is cancellable
	 *   (else "Cancel Not Implemented for Task: ID. Its type is not cancellable
	 *   ... (what to do)"). Wrong state: "task ID is
	 *   running, not paused" / "task ID is already stopped"; nothing changes.
	 *   UNLOCK: paused -> stopped (result error), locks released, still
	 *   resumable (RESUME takes it back; its locks are not re-taken).
	 *   FORCE_UNLOCK: any state but stopped -> stopped, result error, locks
	 *   released, a running step cancelled at its worker. Both refused unless
	 *   [taskvisord] allow_dangerous_actions = true ("dangerous actions are
	 *   disabled: ...").
	 * LOCKS: {"resource":"repository:base"} -> OK {"locks":[{"resource",
	 *   "exclusive":bool,"task_id"}]} (locks and links on it).
	 * CLEANUP: {"search":Q,"after":"30d"|seconds,"states":["stopped"] (only
	 *   stopped tasks are ever deleted),"noop":bool} -> OK {"deleted":N,
	 *   "matched":N,"noop":bool,"ids":[...]}: stopped tasks matching Q that
	 *   started more than `after` ago (0/absent: any time). The daemon also
	 *   runs it hourly per type from cleanup_after (else [tasks] cleanup_after).
	 * EXPORT: {"search":Q,"days":N} -> OK {"tasks":[task with steps/errors/
	 *   locks/children]}; days adds "started_at > Nd"; neither: the last 7
	 *   days plus what did not succeed in the last 60 (Foreman's default).
	 * CLEANUP_CONFIG: {} -> OK {"rules":[{"label","after":seconds (0 = never)}]}.
	 * SCHEDULE: {"label","cron":"0 3 * * 0","input":{...},"iterations":N (0 =
	 *   unlimited),"until":T} -> OK {"id","recurring":{...}} (checked like a
	 *   submit; cron errors as lib/cron.h words them). A recurring object:
	 *   {"id","label","cron","input","triggered_by","iteration","iterations",
	 *    "until","last_at","next_at","state":"active|finished|
	 *    cancelled|failed","created_at"}; its tasks carry its recurring_id.
	 * RECURRING_LIST: {} -> {"recurring":[...]}; RECURRING_SHOW / _CANCEL:
	 *   {"id"} (prefix ok) -> {"recurring":{...}}; cancel of a finished or
	 *   cancelled one: "recurring logic ID is already cancelled".
	 * WAIT: {"id":"ID"} -> DATA {"task":{...}} after each committed change,
	 *   then OK {"task":{... with steps/errors/locks}} once it is stopped
	 *   (at once when it already is).
	 */
	MSG_TASK_SUBMIT = 200, /* see above -> {"id"} / {"ids"} */
	/* {"search","limit","order","stuck","stream"} -> {"tasks": [...]}; with "stream": DATA frames
	 * {"tasks": [...]} (pages, any number of tasks) then OK {"count": N} */
	MSG_TASK_LIST = 201,
	MSG_TASK_SHOW = 202,	     /* {"id"} -> {"task": {...}} */
	MSG_TASK_RESUME = 203,	     /* {"id"} -> {"task": {...}} */
	MSG_TASK_SKIP = 204,	     /* {"id"} -> {"task": {...}} */
	MSG_TASK_CANCEL = 205,	     /* {"id"} -> {"task": {...}} */
	MSG_TASK_UNLOCK = 206,	     /* {"id"} -> {"task": {...}} */
	MSG_TASK_FORCE_UNLOCK = 207, /* {"id"} -> {"task": {...}} */
	MSG_TASK_LOCKS =
	    208, /* {"resource"} (absent: all) -> {"locks": [{"resource","exclusive","task_id"}]} */
	MSG_TASK_CLEANUP =
	    209, /* {"search","after","states","noop","batch_size"} -> {"deleted","matched","noop","ids"}
		  * (deleted in batches of batch_size, default 1000, one per loop iteration and
		  * cut short after 8 ms of deletes; the reply comes after the last) */
	/* {"search","days","stream","rows"} -> {"tasks": [full task...]}; "stream" as MSG_TASK_LIST;
	 * "rows": the rows only, as MSG_TASK_LIST has them */
	MSG_TASK_EXPORT = 210,
	MSG_TASK_WAIT = 211,	    /* {"id"} -> DATA {"task"} on each change ... OK {"task"} when stopped */
	MSG_TASK_SCHEDULE = 212,    /* {"label","cron","input","iterations","until"} -> {"id"} */
	MSG_RECURRING_LIST = 213,   /* {} -> {"recurring": [...]} */
	MSG_RECURRING_SHOW = 214,   /* {"id"} -> {"recurring": {...}} */
	MSG_RECURRING_CANCEL = 215, /* {"id"} -> {"recurring": {...}} */
	MSG_CLEANUP_CONFIG = 216,   /* {} -> {"rules": [{"label","after"}]} */
	/*
	 * Workers and queues, for the operator (read-only users may ask), 220-224. A worker:
	 *   {"id","name","pid"|null,"program":"group:name"|null,"supervised","queue",
	 *    "handlers":["*" (command steps),"publish",...],"prefetch","done","failed" (steps it
	 *    answered since hello),"connected_at","last_seen","gone",
	 *    "held":[{"step_id","since","task_id","label","step","index"} | {"step_id","since",
	 *            "task_id":null,"note"} (taken from it, still running at the worker)]}
	 * A queue: {"name","workers" (connected),"busy" (with no free slot),"ready","running",
	 *   "paused" (tasks),"oldest_wait":S|null,"done_1m","failed_1m","done_1h","failed_1h",
	 *   "done","failed" (since the daemon started),"mean_step":S|null (the last hour)}.
	 * A submit to a queue no worker serves answers OK {"id","warning":"no worker serves queue
	 * \"q\"; ..."}; SHOW of a task with a ready step adds "waiting": "why, in words".
	 */
	MSG_WORKER_LIST = 220, /* {} -> {"workers": [worker...]} (in the order they connected) */
	MSG_WORKER_SHOW = 221, /* {"name": NAME|"group:name"|PID} -> {"worker"}; "no such worker: X" */
	MSG_QUEUE_LIST = 222,  /* {} -> {"queues": [queue...]} (by name; the task types' too) */
	/*
	 * A step's own output (README "A step's output"). TASK_TAIL {"id","step":
	 * "name"|index (absent: the running step, else the last one that printed),
	 * "follow":bool}: not following, or a step not running and not waiting to
	 * -> OK {"task_id","step","index","state","attempt","running":bool,
	 * "lines":[["stdout"|"stderr","text"],...] (a running step: what the daemon
	 * holds of it, at most 64 KiB) | "stdout","stderr","stdout_bytes",
	 * "stderr_bytes","dropped" (a finished one: the stored tails)}. Following
	 * a running or waiting step: DATA {"lines":[...]} now and as its worker
	 * sends them ({"skipped":N}: lines this follower missed reading too
	 * slowly; {"dropped":N}: lines the worker did not send, rate cap), then
	 * OK {"state","dropped"} after the commit that ends its attempt.
	 */
	MSG_TASK_TAIL = 225,

	/* debug-bundle: {} -> {"version", "pid", "uptime", "kernel", "cgroup", "limits": text of
	 * /proc/self/limits, "config": [{"path", "text" (secrets masked, lib/confmask.h) | "error"}],
	 * "store": {"schema_version","engine","bytes","wal_bytes","integrity","ok"} | {"integrity"}}.
	 * Read-only users may ask. */
	MSG_DEBUG_INFO = 250,

	/*
	 * Metrics, 240-244 (GET /metrics of the HTTP module; read-only users may ask).
	 * METRICS {} -> {"processes": [{"group","name","state" (statename),"pid","uptime" (s, 0 when
	 * not running),"restarts","oom_kills","memory" (bytes as `check memory` counts, -1 unknown),
	 * "exitstatus" (of the last exit, null before one),"start"}], "daemon": {"rss","fds",
	 * "connections","start_time","max_connections"}, "engine": engine_metrics_json's object (engine.h)
	 * | null while the task database is not open}.
	 */
	MSG_METRICS = 240,

	/*
	 * Workers, 300-399 (libtaskvisor <-> daemon). After HELLO's OK the
	 * connection is asynchronous both ways and nothing more is answered
	 * (a malformed or stale message is logged and dropped). A worker message
	 * before HELLO is answered ERROR {"error": "send hello first"}.
	 *
	 * HELLO w->d {"queue":"default","handlers":["publish","*"],"prefetch":N (>=1,
	 *   default 1),"pid":N,"name":"text"} -> OK {"worker_id":N,"name":"exec-worker_00",
	 *   "lease":S}. "*" in handlers = serves command steps (the exec worker).
	 *   The worker's name is its supervised process name when the daemon runs
	 *   it (pid from SO_PEERCRED), else hello "name", else "pid-N".
	 * STEP d->w {"step_id":"ROWID.ATTEMPT" (a string; echo it back verbatim),
	 *   "task_id":"uuid","label","name" (task name),"step":"fetch","index":0,
	 *   "command":"display text" with "argv":["prog","arg",...] (what runs: each
	 *   input value one element, no shell) | "handler":"publish",
	 *   "input":{...},"attempt":N,"lease":S (seconds; 0 = no lease)
	 *   [,"children":[{output},...]]}: a chord's callback (the step right after
	 *   one that spawned children) gets their outputs in spawn order; the exec
	 *   worker gives it that array as stdin instead of the input.
	 *   The daemon sends at most `prefetch` steps that are not DONE/FAILed.
	 * PROGRESS w->d {"step_id","progress":{...}} progress merged into the
	 *   task's progress details; renews the lease. {"step_id"} alone is a
	 *   heartbeat for that step, {} (no step_id) for every step it holds. An unsupervised worker must
	 * send one at least every lease/3 s while a step runs (a supervised one needs none). OUTPUT w->d
	 * {"step_id","output":{...}} merged into the task's output. DONE w->d {"step_id","output":{...}
	 * (optional, merged)} step succeeded. FAIL w->d {"step_id","message":"exited 3","output_tail":"last
	 * lines"}. SPAWN w->d {"step_id","label","input":{...}} a child task of the step's task; when the
	 * step is DONE it waits (suspended) until every child has stopped, decided in the transaction that
	 * stops the last child; their outputs land in the parent output's "children":{id:out} and go to the
	 *   next step (STEP "children"). The parent's progress counts the chord
	 *   ("children_total", "children_stopped"). A child that pauses in error,
	 *   or stops in error or cancelled, pauses the parent (its step is in
	 *   error, the message names the child); resuming the child or skipping its
	 *   step lets the parent go on by itself (RESUME of the parent waits for
	 *   paused children again, and is refused when a child stopped in error or
	 *   cancelled). A child is (parent, step, spawn index): a re-run of the step
	 *   re-spawning index i gets the child it has. SKIP of a spawning step
	 *   skips its callback too. CANCEL of a parent cancels its open children
	 *   (refused as a whole when one of them cannot be cancelled).
	 * CANCEL d->w {"step_id"}: stop running it. The step is already recorded
	 *   cancelled (or in error by a force-unlock, or re-queued after its lease
	 *   expired); the worker still answers DONE or FAIL to free its slot.
	 */
	MSG_WORKER_HELLO = 300,	   /* see above */
	MSG_WORKER_STEP = 301,	   /* d->w */
	MSG_WORKER_PROGRESS = 302, /* w->d */
	MSG_WORKER_OUTPUT = 303,   /* w->d */
	MSG_WORKER_DONE = 304,	   /* w->d */
	MSG_WORKER_FAIL = 305,	   /* w->d */
	MSG_WORKER_SPAWN = 306,	   /* w->d */
	MSG_WORKER_CANCEL = 307,   /* d->w */
	/*
	 * LOG w->d {"step_id","lines":[["stdout"|"stderr","text"],...],"dropped":N}:
	 * lines a running step printed (UTF-8, each at most TV_LOG_LINE_MAX), for
	 * followers (MSG_TASK_TAIL); "dropped": lines since the last LOG that the
	 * worker's rate cap kept back. Not stored: the tails come with the DONE or
	 * FAIL that ends the step, as "log":{"stdout","stderr" (the last bytes of
	 * each stream),"stdout_bytes","stderr_bytes" (all it printed),"dropped"}.
	 */
	MSG_WORKER_LOG = 310, /* w->d */
	/* DRAIN d->w {"timeout":S}: the worker's program is being stopped (stop, restart, update,
	 * shutdown). Take no new step (the daemon hands it none from now on), finish the held ones
	 * (DONE/FAIL as usual), then exit 0. After S seconds the stop signal comes anyway and the
	 * steps still held are re-queued or failed by the daemon (README "Draining workers"). */
	MSG_WORKER_DRAIN = 315,
};

/* The name of a message type, for logs ("MSG_STATUS"); "MSG_?" if unknown. */
const char *proto_msg_name(uint32_t type);
/*
 * Is this a request whose reply waits for something to happen (a state, a
 * task's end, a long cleanup)? Clients wait for it without a time limit, after
 * checking with a MSG_VERSION that the daemon answers at all.
 */
bool proto_msg_waits(uint32_t type);

/*
 * Blocking I/O for clients (ctl, libtaskvisor in blocking mode).
 * proto_send: writes header + payload fully; 0 or -1 (errno).
 * proto_recv: reads one frame; *payload is malloc'd and NUL-terminated (caller frees).
 *             0 ok, -1 error (errno; EPROTO for a bad header/version, ECONNRESET on EOF).
 */
int proto_send(int fd, uint32_t type, const char *payload, size_t len);
int proto_recv(int fd, struct proto_hdr *hdr, char **payload);
/* proto_recv waiting at most timeout_ms (< 0: no limit) for each read: -1 with ETIMEDOUT when none came. */
int proto_recv_timeout(int fd, struct proto_hdr *hdr, char **payload, int timeout_ms);

/*
 * Incremental reader for non-blocking sockets (daemon side, libtaskvisor's
 * event mode): feed it what read() returned, take whole frames out.
 */
struct proto_rbuf {
	char *buf;
	size_t off, len, cap; /* unconsumed bytes are buf[off..len) */
	size_t nul_pos;	      /* where a NUL was put after the last payload (0: none) */
	char nul_saved;	      /* the byte it replaced */
};
void proto_rbuf_init(struct proto_rbuf *rb);
void proto_rbuf_free(struct proto_rbuf *rb);
/* read() once from fd into rb: >0 bytes read, 0 EOF, -1 error (EAGAIN: nothing now). */
ssize_t proto_rbuf_fill(struct proto_rbuf *rb, int fd);
/* Take the next whole frame: 1 got one (*payload points into rb, NUL-terminated,
 * valid until the next call), 0 need more bytes, -1 malformed (bad version/size: hdr is filled). */
int proto_rbuf_next(struct proto_rbuf *rb, struct proto_hdr *hdr, char **payload);

/* Outgoing buffer for non-blocking sockets. */
struct proto_wbuf {
	char *buf;
	size_t off, len, cap;
};
void proto_wbuf_init(struct proto_wbuf *wb);
void proto_wbuf_free(struct proto_wbuf *wb);
int proto_wbuf_add(struct proto_wbuf *wb, uint32_t type, const char *payload, size_t len);
/* Make room for need bytes in all (len included); drops what was already sent. 0 or -1 (ENOMEM). */
int proto_wbuf_reserve(struct proto_wbuf *wb, size_t need);
/* write() what is pending: 1 all flushed, 0 some left (wait for writable), -1 error. */
int proto_wbuf_flush(struct proto_wbuf *wb, int fd);

/* Connect to a Unix socket path: fd or -1 (errno). */
int proto_connect(const char *path);
/* The same, giving up after timeout_ms (< 0: no limit) while its backlog is full: ETIMEDOUT. */
int proto_connect_timeout(const char *path, int timeout_ms);

#endif
