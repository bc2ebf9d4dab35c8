/*
 * control.h — the daemon's Unix socket: accepts connections, checks peer
 * credentials (SO_PEERCRED) and payload size, reads frames (proto.h), finds the
 * handler for each message type in the handler tables and calls it.
 *
 * Handlers reply through conn_reply_*; a handler may keep the connection
 * (conn_hold) and reply later (start waits for RUNNING, task replies wait for
 * the engine's commit, tail -f streams). Writes are buffered and flushed when
 * the socket is writable; nothing here blocks.
 */
#ifndef TV_CONTROL_H
#define TV_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct control;
struct conn;
struct engine;

/* A request handler. req is the parsed JSON payload (never NULL; {} when empty). */
struct control_handler {
	uint32_t type; /* enum msgtype */
	bool admin;    /* only admins may send it (read-only users get "permission denied") */
	void (*handle)(struct daemon *d, struct conn *c, json_t *req);
	/* Optional: the payload as it came; true = handled, false = parse it and call handle. */
	bool (*raw)(struct daemon *d, struct conn *c, const char *payload, size_t len);
	/* Instead of handle: a request the task engine answers itself (engine_request.c), called
	 * with the engine (its table opens it first). */
	void (*engine)(struct engine *e, struct conn *c, json_t *req);
};

/* Handler tables, one per file, terminated by { 0 }. control.c walks them all (control_tables). */
extern const struct control_handler proc_handlers[];   /* handlers_proc.c: processes */
extern const struct control_handler daemon_handlers[]; /* handlers_daemon.c: the whole daemon */
extern const struct control_handler check_handlers[];  /* handlers_check.c: `check` */
extern const struct control_handler task_handlers[];   /* handlers_task.c: tasks (opens the engine) */
extern const struct control_handler worker_handlers[]; /* handlers_worker.c: workers (opens the engine) */
/* handlers_worker.c: the step id (into id, idlen bytes) of a DONE payload written exactly as
 * libtaskvisor writes it, {"step_id":"N.N","output":{}}; false for anything else (parsed as JSON). */
bool handlers_done_step_id(const char *payload, size_t len, char *id, size_t idlen);
/* handlers_metrics.c: MSG_METRICS, what GET /metrics shows */
extern const struct control_handler metrics_handlers[];

/*
 * supervisord's XML-RPC over HTTP (handlers_http.c, the module in supervisord/http/): a connection
 * whose first byte is an HTTP request line's is handed over (fd and credentials) instead of being
 * read as frames; an [inet_http_server] is opened with the socket and re-applied on reload.
 */
struct handlers_http;
int handlers_http_config(struct daemon *d, struct handlers_http **hp, char *err, size_t errlen);
bool handlers_http_adopt(struct daemon *d, struct handlers_http **hp, int fd, pid_t pid, uid_t uid,
			 gid_t gid);
void handlers_http_free(struct handlers_http *h);

/* A connection without a socket, for requests that come another way (XML-RPC): the handlers answer
 * it exactly as a socket peer, every reply goes to sink(sarg, type, body) (body borrowed; sink
 * NULL = dropped). role: 2 admin, 1 read-only, 0 none (control_role). */
typedef void conn_sink_fn(void *sarg, uint32_t type, json_t *body);
struct conn *control_inner_new(struct control *ctl, int role, conn_sink_fn *sink, void *sarg);
void control_inner_request(struct conn *c, uint32_t type, json_t *req); /* req taken */
/* The requester left: whatever waits for it (a start, a tail) lets go; the conn goes. */
void control_inner_close(struct conn *c);
/* The role of a local peer by its credentials: 2 admin, 1 read-only, 0 none (README "Access"). */
int control_role(struct control *ctl, uid_t uid, gid_t gid);
/* The connection cap in force. */
int control_max_connections(const struct control *ctl);
/* Connections open on the Unix socket now (those handed to the HTTP module not counted). */
int control_connections(const struct control *ctl);

/*
 * What the socket server needs of the daemon, handed by it (control.c never includes daemon.h):
 * the current configuration (swapped at reload), the task engine opened on first use (NULL + err
 * when the database cannot be opened), and arg, given to every handler as its struct daemon.
 */
struct control_hooks {
	const struct conf *(*conf)(void *arg);
	struct engine *(*engine)(void *arg, char *err, size_t errlen);
	struct daemon *arg;
};
struct ev_loop;
struct conf;
struct control *control_new(struct ev_loop *loop, const struct control_hooks *hooks, char *err,
			    size_t errlen);
/* Where the HTTP surface of this socket lives (handlers_http_config, called by the daemon once the
 * socket is open and at each reload). */
struct handlers_http **control_http(struct control *ctl);
void control_free(struct control *ctl);
/* The configuration was swapped (reload, update): recompute the connection cap. */
void control_config_changed(struct control *ctl);

/* Replies. body is stolen (may be NULL = {}). */
void conn_reply_ok(struct conn *c, json_t *body);
void conn_reply_error(struct conn *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void conn_send_data(struct conn *c, json_t *body);
/* Any message (worker protocol); body stolen. */
void conn_send(struct conn *c, uint32_t type, json_t *body);
/* Frames already built (proto_wbuf_add), copied as they are. Never closes c at once. */
void conn_send_frames(struct conn *c, const char *frames, size_t len);

/* Keep a connection past its handler; conn_release when done (frees it if it closed). */
void conn_hold(struct conn *c);
void conn_release(struct conn *c);
bool conn_closed(const struct conn *c);
/* Bytes queued for the peer and not yet written (a stream waits while it is large). */
size_t conn_unsent(const struct conn *c);
/* Called once when the peer goes away (worker death is noticed here too). */
void conn_on_close(struct conn *c, void (*fn)(void *arg, struct conn *c), void *arg);
/* Has somebody asked to hear of c's close (a worker, a waiter, a tail -f)? */
bool conn_watched(const struct conn *c);

/* Who is on the other end (SO_PEERCRED). */
pid_t conn_pid(const struct conn *c);
uid_t conn_uid(const struct conn *c);
const char *conn_user(const struct conn *c); /* user name, or the uid as text */
bool conn_is_admin(const struct conn *c);

/* Per-connection slot for the module that owns it (the engine's worker record). */
void conn_set_data(struct conn *c, void *data);
void *conn_get_data(const struct conn *c);

/* The daemon this connection belongs to. */
struct daemon *conn_daemon(const struct conn *c);
/* Close once every queued reply is written (no further requests are read). */
void conn_close_after_flush(struct conn *c);
/* 1 when something accepts connections on the Unix socket path (a running daemon), else 0. */
int control_probe(const char *path);

#endif
