/*
 * conf.h — the configuration model: what taskvisord.conf and its includes say,
 * after parsing, validation, defaults and %(...)s expansion.
 *
 * conf_load() reads a main file (taskvisor's or an unchanged supervisord one)
 * and what its [include] files= globs name, as supervisord 4.2.5 reads them (a
 * repeated section merged, later keys winning; only the main file's [include]
 * followed), and returns a fully checked struct conf or NULL with
 * "file:line: message" in err. Every supervisord option is honoured or refused
 * by name (README "Configuration"). It never
 * exits and never touches the running daemon: the caller decides whether to
 * swap configurations (reload keeps the old one when the new one fails).
 *
 * Every string is owned by the struct conf and freed by conf_free().
 */
#ifndef TV_CONF_H
#define TV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "argv.h"

#define CONF_NO_VALUE (-2147483647 - 1) /* an int option that was not set */
#define CONF_START_LIMIT_BURST 5	/* [program:x] start_limit_burst default */
#define CONF_START_LIMIT_INTERVAL 10	/* [program:x] start_limit_interval default (seconds) */

enum conf_autorestart { AUTORESTART_FALSE = 0, AUTORESTART_TRUE, AUTORESTART_UNEXPECTED };
enum conf_durability { DURABILITY_FULL = 0, DURABILITY_NORMAL };
enum conf_ready { READY_STARTSECS = 0, READY_NOTIFY };
enum conf_fatal_action { FATAL_ACTION_NONE = 0, FATAL_ACTION_SHUTDOWN };
enum conf_on_error { ON_ERROR_PAUSE = 0, ON_ERROR_STOP, ON_ERROR_SKIP };

/* Where a value came from, for "file:line: message". */
struct conf_where {
	char *file;
	int line;
};

/* One per-program rlimit setting (rlimit_nofile=, rlimit_core=, ...). */
struct conf_rlimit {
	int resource;	   /* RLIMIT_NOFILE, ... */
	rlim_t soft, hard; /* RLIM_INFINITY for "unlimited" */
};

/* One process of a program (numprocs expands a program into several). */
struct conf_proc {
	char *name;	      /* process_name expanded, e.g. "worker_02" */
	int process_num;      /* numprocs_start + i */
	char *command;	      /* command expanded for this process */
	char *stdout_logfile; /* expanded; NULL = LOGDIR/NAME.log; "NONE" = discard */
	char *stderr_logfile; /* expanded; NULL = LOGDIR/NAME-stderr.log; "NONE" = discard */
	char **environment;   /* "KEY=VALUE", NULL-terminated: environment_file, then environment= */
	char *fingerprint;    /* canonical text of every effective setting: equal = unchanged */
};

/* [program:NAME] with supervisord's defaults unless noted. */
struct conf_program {
	char *name;
	char *group; /* the [group:x] it belongs to, else its own name */
	struct conf_where where;

	char *command;			   /* required */
	char *process_name;		   /* default "%(program_name)s" */
	int numprocs;			   /* 1 */
	int numprocs_start;		   /* 0 */
	int priority;			   /* 999 */
	bool autostart;			   /* true */
	int startsecs;			   /* 1 */
	int startretries;		   /* 3; -1 = for ever */
	enum conf_autorestart autorestart; /* unexpected */
	int *exitcodes;			   /* default {0} */
	size_t nexitcodes;
	int stopsignal;			   /* SIGTERM */
	int stopwaitsecs;		   /* 10 */
	int drain_timeout;		   /* -1: stopwaitsecs; 0: a worker is not drained */
	bool stopasgroup;		   /* false */
	bool killasgroup;		   /* false (true when stopasgroup) */
	char *user;			   /* NULL: the daemon's */
	char *directory;		   /* NULL: the daemon's cwd */
	int umask;			   /* -1: inherit */
	bool redirect_stderr;		   /* false */
	long long stdout_logfile_maxbytes; /* 50MB; 0 = no rotation */
	int stdout_logfile_backups;	   /* 10 */
	long long stderr_logfile_maxbytes; /* 50MB */
	int stderr_logfile_backups;	   /* 10 */

	/* Beyond supervisord. */
	long long memory_limit;		     /* bytes; 0 = none */
	char **depends_on;		     /* program names, NULL-terminated */
	enum conf_ready ready;		     /* startsecs (default) | notify */
	int watchdog_sec;		     /* 0 = none */
	char *restart_cron;		     /* 5-field cron line or NULL */
	int backoff_max;		     /* seconds; 0 = no cap */
	int start_limit_burst;		     /* 5: automatic restarts allowed ... */
	int start_limit_interval;	     /* ... within 10 s, beyond: back-off; 0 = no limit */
	int fatal_retry_after;		     /* seconds; 0 = never retry a FATAL process */
	enum conf_fatal_action fatal_action; /* none | shutdown */
	int oom_score_adj;		     /* CONF_NO_VALUE = leave */
	struct conf_rlimit *rlimits;
	size_t nrlimits;
	char *environment_file; /* KEY=VALUE lines, merged under environment= */
	bool log_timestamps;	/* prefix captured lines with an ISO-8601 time */

	struct conf_proc *procs; /* numprocs entries */
	size_t nprocs;

	/* [fcgi-program:x] (conf_fcgi_load in conf_program.c; the daemon's side: proc/fcgisock.c) */
	bool fcgi;	    /* the daemon opens `socket` and gives it to each process as its fd 0 */
	char *socket;	    /* "unix:///abs/path" or "tcp://host:port", %(program_name)s expanded */
	int socket_backlog; /* listen() backlog, 1..65535; 0 = SOMAXCONN */
	char *socket_owner; /* "user[:group]" for a unix socket; NULL = the program's user= if any */
	int socket_mode;    /* a unix socket's mode; 0700 */
	/* [eventlistener:x] */
	bool listener;		    /* an [eventlistener:x] pool: its group is the pool, its stdout the
				       protocol (README "Event listeners") */
	char **events;		    /* events= type names, upper-cased, NULL-terminated (listeners) */
	int buffer_size;	    /* 10: events the pool keeps for its listeners, beyond: oldest dropped */
	int pool_priority;	    /* the pool's (its group's) priority: priority= when given, else -1
				       (listeners start first, stop last); its processes' is priority */
	bool stdout_events_enabled; /* false: PROCESS_LOG_STDOUT for what the program prints */
	bool stderr_events_enabled; /* false: PROCESS_LOG_STDERR */
	long long stdout_capture_maxbytes; /* 0: no capture mode; else PROCESS_COMMUNICATION_STDOUT */
	long long stderr_capture_maxbytes; /* 0; PROCESS_COMMUNICATION_STDERR */
	/* supervisord's output options (options.py processes_from_section). */
	bool stdout_syslog; /* false; stdout_logfile=syslog is its deprecated alias */
	bool stderr_syslog; /* false */
	char *serverurl;    /* NULL = AUTO: the daemon's socket (SUPERVISOR_SERVER_URL) */
};

/* [group:NAME] */
struct conf_group {
	char *name;
	struct conf_where where;
	int priority;	 /* 999 */
	char **programs; /* NULL-terminated */
};

/* One step of a task type. */
struct conf_step {
	char *name;
	char *command;	       /* for the exec worker (may hold %(input.x)s), or NULL */
	char *handler;	       /* "handler:NAME" given: NAME, or NULL */
	struct argv_tmpl argv; /* command split (lib/argv.h): argv words, or a shell template */
};

/* [task:LABEL] — see DESIGN.md "Task type syntax". */
struct conf_task {
	char *label;
	struct conf_where where;
	char *name_template; /* default: the label */
	char *queue;	     /* default "default" */
	struct conf_step *steps;
	size_t nsteps;
	enum conf_on_error on_error; /* pause */
	bool cancellable;	     /* false */
	int retry_on_worker_loss;    /* 0 */
	long long timeout;	     /* seconds; 0 = none */
	char **locks;		     /* templates, NULL-terminated */
	char **links;		     /* templates, NULL-terminated */
	long long cleanup_after;     /* seconds; 0 = the global [tasks] cleanup_after */
};

/* [recurring:NAME] */
struct conf_recurring {
	char *name;
	struct conf_where where;
	char *label;	 /* the task type to submit */
	char *cron;	 /* 5-field cron line */
	char *input;	 /* JSON object text, default "{}" */
	int iterations;	 /* 0 = unlimited */
	long long until; /* epoch seconds; 0 = none */
};

struct conf {
	char *path; /* the main file, absolute */
	char *here; /* its directory */

	/* [taskvisord] (or [supervisord]) */
	char *logfile;			 /* NULL = stderr; "syslog" = syslog (as supervisord) */
	char *loglevel;			 /* "info" */
	char *pidfile;			 /* NULL = none */
	char *logdir;			 /* child logs; default /var/log/taskvisor (childlogdir) */
	char *database;			 /* default /var/lib/taskvisor/taskvisor.db */
	enum conf_durability durability; /* full */
	bool allow_dangerous_actions;	 /* false */
	int minfds;			 /* 1024 */
	bool nodaemon;			 /* false (supervisord's nodaemon=) */
	/* [supervisord] options as supervisord 4.2.5 reads them */
	char *user;		    /* NULL: stay who we are; else drop privileges to it at start */
	char *directory;	    /* chdir here when daemonizing; NULL = stay */
	int umask;		    /* 022: set when daemonizing */
	int minprocs;		    /* 200: RLIMIT_NPROC raised to it at start */
	long long logfile_maxbytes; /* 50MB: the daemon's own log rotates past it; 0 = never */
	int logfile_backups;	    /* 10 */
	bool silent;		    /* false: with nodaemon, the log is not echoed to stderr */
	bool strip_ansi;	    /* false: strip ANSI escapes from the programs' logs */
	bool nocleanup;		    /* false (AUTO logs are LOGDIR/NAME.log: nothing to clean) */
	char **environment;	    /* [supervisord] environment= "KEY=VALUE", NULL-terminated: given
				     * to every program under its own environment= */

	/* [unix_socket] (or [unix_http_server]) */
	char *socket_file;   /* default PROTO_DEFAULT_SOCKET */
	mode_t socket_chmod; /* 0700 */
	char *socket_chown;  /* "user[:group]" or NULL */
	char **admin_groups; /* NULL-terminated */
	char **readonly_groups;
	int max_connections;	   /* 0 = derived from RLIMIT_NOFILE (control.c) */
	long long idle_timeout;	   /* seconds; 300; 0 = never */
	long long request_timeout; /* seconds a started request may take to arrive whole; 30 */
	char *socket_username;	   /* HTTP Basic auth on the socket (XML-RPC); NULL = none */
	char *socket_password;	   /* clear text, or "{SHA}" + 40 hex digits */

	/* [inet_http_server]: supervisord's XML-RPC over TCP (supervisord/http/) */
	char *inet_port;     /* "host:port" or ":port" (all interfaces); NULL = no such section */
	char *inet_username; /* Basic auth; NULL = none */
	char *inet_password;
	char *identifier; /* [supervisord] identifier (getIdentification); "supervisor" */

	/* [tasks] */
	long long tasks_cleanup_after; /* seconds; 0 = never */

	struct conf_program *programs;
	size_t nprograms;
	struct conf_group *groups;
	size_t ngroups;
	struct conf_task *tasks;
	size_t ntasks;
	struct conf_recurring *recurring;
	size_t nrecurring;

	char **warnings; /* "file:line: text", NULL-terminated (accepted but ignored options...) */
	size_t nwarnings;

	/* debug-bundle: the real path of every file read (the main file first, then includes) */
	char **files;
	size_t nfiles;
};

/* Parse path and all it includes. NULL on error with "file:line: message" in err. */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);
/*
 * The socket a client should use (taskvisorctl -c): [unix_socket] / [unix_http_server] file=,
 * expanded as conf_load does (%(here)s, %(ENV_X)s, %(host_node_name)s), or supervisorctl's
 * [supervisorctl] serverurl=unix://PATH, which wins; PROTO_DEFAULT_SOCKET when none names one.
 * Reads the includes; nothing else is interpreted, so a section the daemon would refuse (a bad
 * program) does not keep a client from a running daemon. Malloc'd, or NULL with "file: reason"
 * in err when path cannot be read at all. When it is returned and err is not empty, a part of the
 * files could not be read ("file:line: reason") before any socket was named: the default is a
 * guess the caller should mention.
 */
char *conf_socket(const char *path, char *err, size_t errlen);
/* Mode and group for the files the daemon creates (database, logs): 0640 with the group of
 * [unix_socket] chown= when one is set (a user's primary group for chown=USER), else 0600 and
 * gid_t -1. */
void conf_file_perms(const struct conf *c, mode_t *mode, gid_t *gid);

const struct conf_program *conf_program_find(const struct conf *c, const char *name);
/* A program's defaults where its section says nothing (priority 999, startsecs 1, stopwaitsecs 10...):
 * its numbers, flags and signals; names, strings and arrays are left as they are. */
void conf_program_defaults(struct conf_program *p);
const struct conf_task *conf_task_find(const struct conf *c, const char *label);

#endif
