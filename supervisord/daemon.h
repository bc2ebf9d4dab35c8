/*
 * daemon.h — the one daemon context, passed explicitly to every module
 * (no hidden globals). main.c owns it: loads the config, opens the socket,
 * the supervisor and the task engine, runs the loop, tears down in order.
 */
#ifndef TV_DAEMON_H
#define TV_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "proto.h" /* TASKVISOR_VERSION */

struct supervisor;
struct control;
struct engine;
struct proc;
struct proc_wait;
struct events;

struct daemon {
	struct ev_loop *loop;
	char *conf_path;	 /* -c FILE, absolute */
	struct conf *conf;	 /* current configuration */
	struct supervisor *sv;	 /* process supervision (proc.h) */
	struct control *control; /* the Unix socket (control.h) */
	struct engine *engine;	 /* the task engine (engine.h); NULL until it exists */
	bool shutting_down;
	bool reload_requested; /* leave the loop, reload config, run again */
	int exit_code;	       /* the daemon's exit status */

	/* Added by daemon.c / handlers_proc.c. */
	time_t start_time;	  /* when the daemon started (ping, version) */
	char *pidfile;		  /* the pidfile written at start (removed at exit); NULL = none */
	struct conf *reload_conf; /* a reload in progress: the config adopted once all stopped */
	struct conf **retired;	  /* replaced by update GROUP, still run on by groups not named */
	size_t nretired;
	struct proc_wait *waits;   /* start/stop/restart requests waiting for states (handlers_proc.c) */
	ev_signal sig_watchers[6]; /* TERM INT QUIT HUP USR2, see daemon.c */
	int nsig_watchers;
	ev_timer reload_timer;	 /* adopts reload_conf once all processes stopped */
	ev_timer watchdog_timer; /* WATCHDOG=1 at half of systemd's WatchdogSec */
	char engine_err[512];	 /* why the engine last failed to open ("" = it did not) */
	double engine_failed_at; /* when (loop time): retried at most every DAEMON_ENGINE_RETRY_S */

	/* [eventlistener:x] */
	struct events *events; /* events and listener pools (events.h), remade at each reload */
};

/* Begin an orderly shutdown: stop programs (descending priority), then leave the loop. */
void daemon_shutdown(struct daemon *d, int exit_code);
/* Re-read the config and apply it (reload: every program restarted; update: only changes).
 * On a config error keep the old one: -1 with "file:line: message" in err. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

/* Adopt newconf for the groups in names (NULL = all) without touching unchanged
 * processes (update): sv_apply, swap d->conf, tell the engine. newconf is taken. */
void daemon_update(struct daemon *d, struct conf *newconf, char *const *names);
/* Reopen the daemon's log and every captured child log (SIGUSR2, reopen-logs). */
void daemon_reopen_logs(struct daemon *d);

/*
 * The task engine, opened on first use: a daemon that only supervises
 * programs (no [task:] or [recurring:] sections and no database file yet)
 * neither creates the database nor loads SQLite's pages. NULL with a
 * message in err when the database cannot be opened ("PATH: file is not a
 * database"); programs are supervised all the same. A failed open is tried
 * again by the next caller at most every DAEMON_ENGINE_RETRY_S seconds (until
 * then the same message), so a restored file needs no restart.
 */
#define DAEMON_ENGINE_RETRY_S 2.0
struct engine *daemon_engine(struct daemon *d, char *err, size_t errlen);

/* Set up everything after the config is loaded (socket, engine, supervisor,
 * signal watchers, pidfile): 0, or -1 with a message in err. */
int daemon_init(struct daemon *d, char *err, size_t errlen);
/* Run the loop until shutdown; then tear down in order. Returns the exit status. */
int daemon_run(struct daemon *d);

/* [eventlistener:x]: sendRemoteCommEvent's REMOTE_COMMUNICATION event ("type:TYPE\nDATA"). */
void daemon_remote_event(struct daemon *d, const char *type, const char *data, size_t len);

/* [eventlistener:x]: PROCESS_GROUP_ADDED (added) or _REMOVED (supervisorctl remove). */
void daemon_group_event(struct daemon *d, const char *group, bool added);

/* handlers_proc.c: a process changed state; wakes the start/stop requests waiting for it. */
void handlers_proc_state(struct daemon *d, struct proc *p, int from, int to);
/* handlers_proc.c: answer every waiting start/stop now (the process set is about to change). */
void handlers_proc_abort(struct daemon *d);

#endif
