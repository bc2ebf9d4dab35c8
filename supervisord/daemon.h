/*
 * daemon.h — the one daemon context, passed explicitly to every module
 * (no hidden globals). main.c owns it: loads the config, opens the socket,
 * the supervisor and the task engine, runs the loop, tears down in order.
 */
#ifndef TV_DAEMON_H
#define TV_DAEMON_H

#include <ev.h>
#include <stdbool.h>

#include "conf.h"

struct supervisor;
struct control;
struct engine;

struct daemon {
	struct ev_loop *loop;
	char *conf_path;           /* -c FILE, absolute */
	struct conf *conf;         /* current configuration */
	struct supervisor *sv;     /* process supervision (proc.h) */
	struct control *control;   /* the Unix socket (control.h) */
	struct engine *engine;     /* the task engine (engine.h); NULL until it exists */
	bool shutting_down;
	bool reload_requested;     /* leave the loop, reload config, run again */
	int exit_code;             /* the daemon's exit status */
};

/* Begin an orderly shutdown: stop programs (descending priority), then leave the loop. */
void daemon_shutdown(struct daemon *d, int exit_code);
/* Re-read the config and apply it (reload: every program restarted; update: only changes).
 * On a config error keep the old one: -1 with "file:line: message" in err. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

#endif
