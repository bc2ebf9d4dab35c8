/*
 * http_module.h — the interface between the daemon and its HTTP module: supervisord's
 * XML-RPC API (POST /RPC2) and log streams (GET /logtail/NAME, /mainlogtail),
 * served by libmicrohttpd on the daemon's libev loop.
 *
 * The module is a shared object, LIBDIR/taskvisor/http.so (installed; else
 * $exe_dir/../lib/taskvisor/http.so, lib/paths.c), exporting
 * `const struct http_module http_module`. The daemon (server/handlers_http.c)
 * loads it only when a connection on its Unix socket speaks HTTP or an
 * [inet_http_server] is configured, so a daemon that never sees HTTP never maps
 * libmicrohttpd or expat. The module knows nothing of the daemon's structures:
 * it is handed the functions of struct http_ops, and includes no project header
 * but this one and lib/ (xmlrpc.h).
 */
#ifndef TV_HTTP_H
#define TV_HTTP_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MODULE_ABI 3

/* Who is on the other end of a connection. */
struct http_peer {
	bool local; /* came through the Unix socket: pid/uid/gid are SO_PEERCRED's */
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* What a peer may do: control.c's roles (README "Access"). */
enum http_role { HTTP_ROLE_NONE = 0, HTTP_ROLE_READONLY = 1, HTTP_ROLE_ADMIN = 2 };

/* A reply to a native request: type is proto.h's MSG_OK, MSG_ERROR or MSG_DATA; body borrowed. */
typedef void http_sink_fn(void *sarg, uint32_t type, json_t *body);

/* Where a process stands, as far as XML-RPC needs to know before acting (proc.h's states). */
struct http_proc {
	char name[256], group[256], fullname[512];
	int state; /* supervisord's code: 0 STOPPED, 10 STARTING, 20 RUNNING ... */
	pid_t pid;
	bool autostart;
};

/* supervisord's getProcessInfo struct as fields (http_ops.all_process_info). */
struct http_proc_info {
	const char *name, *group, *statename, *spawnerr, *stdout_logfile, *stderr_logfile; /* borrowed */
	long long start, stop, now, pid;
	int state, exitstatus;
	char description[512];
};

/* What the daemon lends the module. Every function is called on the loop's thread. */
struct http_ops {
	void *arg;
	struct ev_loop *loop;
	void (*log)(void *arg, int level, const char *msg); /* log.h's levels: 2 warn, 3 info, 4 debug */
	/* The role a local peer has by its credentials. */
	enum http_role (*role)(void *arg, const struct http_peer *peer);
	/* A native request (proto.h message type, JSON payload stolen) answered through sink exactly as
	 * on the Unix socket, by the same handlers: start/stop wait for states, tail follows. The handle
	 * takes any number of requests one after the other; call_close when the requester leaves. */
	void *(*call_open)(void *arg, enum http_role role, http_sink_fn *sink, void *sarg);
	void (*call)(void *h, uint32_t type, json_t *req);
	void (*call_close)(void *h);
	/* 1 running, 0 shutting down (supervisord's SHUTDOWN_STATE). */
	int (*running)(void *arg);
	/* "name", "group:name": false when there is no such process. */
	bool (*proc)(void *arg, const char *name, struct http_proc *out);
	/* The members of a group in start order (NULL-terminated, free()d by the caller); NULL when
	 * there is no such group. group NULL: every process, groups and names in name order. */
	struct http_proc *(*procs)(void *arg, const char *group, size_t *n);
	/* supervisord's getProcessInfo struct of one process (NULL: no such process). */
	json_t *(*process_info)(void *arg, const char *name);
	/* supervisord's getAllConfigInfo array (the configuration on disk, else the running one). */
	json_t *(*config_info)(void *arg);
	/* Log file of a process: stream 1 stdout, 2 stderr. -1 no such process, 0 none (discarded),
	 * 1 path in buf. main_log: the daemon's log file, NULL when it logs to stderr. */
	int (*log_path)(void *arg, const char *name, int stream, char *buf, size_t len);
	const char *(*main_log)(void *arg);
	/* Truncate a process's logs: 0, -1 no such process, -2 failed (errno). */
	int (*clear_logs)(void *arg, const char *name);
	/* Act on one process at once, not waiting (wait=false): 'b' start, 'e' stop; 0 ok, else a
	 * native status word in *why ("already_started", "spawn_error", "not_running"...). */
	int (*act_nowait)(void *arg, const char *name, int op, const char **why);
	/* Which groups a re-read would add (true: name is added/changed in the file on disk). */
	int (*group_diff)(void *arg, const char *group, char *err, size_t errlen);
	/* Write len bytes to a process's stdin pipe, never blocking (queued up to a cap): 0 ok,
	 * -1 no such process, -2 not running, -3 no stdin (closed by the program), -4 the queue is
	 * full (nothing taken; the limit in *why), -5 failed (errno). */
	int (*send_stdin)(void *arg, const char *name, const char *buf, size_t len, const char **why);
	/* h-metrics (bench/xmlrpc.sh): every process's getAllProcessInfo fields in one walk, in its
	 * order, without a look-up by name for each; malloc'd (free()), the strings borrowed until the
	 * loop runs again; NULL with *n 0 when there is none. NULL op: procs and process_info. */
	struct http_proc_info *(*all_process_info)(void *arg, size_t *n);

	/* [eventlistener:x] (h-events): sendRemoteCommEvent, a REMOTE_COMMUNICATION event for the
	 * listeners subscribed to it (none: nothing happens). */
	void (*remote_event)(void *arg, const char *type, const char *data, size_t len);
};

/* Settings from the configuration, given again after each reload. */
struct http_conf {
	const char *inet_port;		   /* "host:port", ":port", NULL = no TCP listener */
	const char *inet_user, *inet_pass; /* Basic auth on TCP; NULL = none */
	const char *unix_user, *unix_pass; /* Basic auth on the Unix socket; NULL = none */
	const char *identifier;		   /* getIdentification; "supervisor" */
	const char *version;		   /* getSupervisorVersion */
	unsigned max_conns;		   /* connection cap (control.c's) */
	unsigned timeout;		   /* seconds a connection may stay silent (request_timeout) */
};

struct http_server;

struct http_module {
	int abi; /* HTTP_MODULE_ABI */
	struct http_server *(*create)(const struct http_ops *ops, char *err, size_t errlen);
	/* (Re)apply settings: opens, moves or closes the TCP listener. 0, or -1 with a message. */
	int (*configure)(struct http_server *s, const struct http_conf *cf, char *err, size_t errlen);
	/* Serve a connection accepted on the Unix socket (not read from yet). Takes fd. 0 or -1. */
	int (*adopt)(struct http_server *s, int fd, const struct http_peer *peer);
	void (*destroy)(struct http_server *s);
};

#endif
