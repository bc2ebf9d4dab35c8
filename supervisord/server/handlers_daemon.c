/*
 * handlers_daemon.c — requests about the whole daemon (the 100 block of
 * proto.h): reload, shutdown, ping (the daemon, the task database and its
 * workers, every program meant to run), version, reopen-logs. Each one asks
 * daemon.c, the supervisor (proc.h) or the engine (engine.h); nothing here
 * decides more than the words of the reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "confmask.h"
#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "proc.h"
#include "proto.h"

/* {} -> {} and every program restarts under the re-read config; a bad config is refused
 * ({"error": "file:line: ..."}) and the running one kept. */
static void handlers_reload(struct daemon *d, struct conn *c, json_t *req)
{
	char err[1024];

	(void)req;
	if (d->shutting_down) {
		conn_reply_error(c, 1, "already shutting down");
		return;
	}
	if (daemon_reload(d, err, sizeof(err)) < 0) {
		conn_reply_error(c, 1, "CANT_REREAD: %s", err);
		return;
	}
	conn_reply_ok(c, NULL);
}

/* {} -> {} then every program stops and the daemon exits */
static void handlers_shutdown(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	if (d->shutting_down) {
		conn_reply_error(c, 0, "already shutting down");
		return;
	}
	log_info("shutdown requested by %s (pid %ld)", conn_user(c), (long)conn_pid(c));
	conn_reply_ok(c, NULL);
	daemon_shutdown(d, 0);
}

/* ---- ping, version, reopen-logs ---- */

static void handlers_uptime(time_t secs, char *buf, size_t len)
{
	snprintf(buf, len, "%ld:%02ld:%02ld", (long)(secs / 3600), (long)(secs / 60 % 60), (long)(secs % 60));
}

/* {} -> {"checks": [{"name","ok","message"}]}: the daemon, then whatever the engine adds. */
static void handlers_ping(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *checks = json_array();
	size_t np, running = 0;
	struct proc **procs = sv_procs(d->sv, &np);
	char up[64], msg[256], dberr[512];

	(void)req;
	for (size_t i = 0; i < np; i++)
		if (procs[i]->state == PROC_RUNNING)
			running++;
	handlers_uptime(time(NULL) - d->start_time, up, sizeof(up));
	snprintf(msg, sizeof(msg), "pid %ld, uptime %s, %zu of %zu processes running%s", (long)getpid(), up,
		 running, np, d->shutting_down ? ", shutting down" : "");
	json_array_append_new(
	    checks, json_pack("{s:s, s:b, s:s}", "name", "daemon", "ok", !d->shutting_down, "message", msg));
	/* a database that failed to open is tried again (at most every few seconds) */
	if (d->engine == NULL && d->engine_err[0] != '\0' && daemon_engine(d, dberr, sizeof(dberr)) == NULL)
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s+}", "name", "database", "ok", 0,
							"message", "task database: ", dberr));
	else if (d->engine != NULL) /* database and worker checks (engine.c) */
		engine_ping_checks(d->engine, checks);
	else
		json_array_append_new(checks,
				      json_pack("{s:s, s:b, s:s}", "name", "database", "ok", 1, "message",
						"not opened yet: no task types, opens on first use"));
	/* Every worker program (a process that said HELLO as a worker) and every other program
	 * meant to run (autostart), so a worker that never came up (FATAL from its first start)
	 * fails the ping too: down unless RUNNING. */
	for (size_t i = 0; i < np; i++) {
		const struct proc *p = procs[i];
		char name[300], wmsg[300];

		bool worker = engine_worker_seen(d->engine, p->fullname);

		if (!worker && (p->prog == NULL || !p->prog->autostart))
			continue;
		snprintf(name, sizeof(name), "%s %s", worker ? "worker" : "program", p->fullname);
		if (p->state == PROC_RUNNING)
			snprintf(wmsg, sizeof(wmsg), "RUNNING, pid %ld", (long)p->pid);
		else
			snprintf(wmsg, sizeof(wmsg), "%s%s%s", proc_state_name(p->state),
				 p->spawn_err[0] ? ": " : "", p->spawn_err);
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "name", name, "ok",
							p->state == PROC_RUNNING, "message", wmsg));
	}
	conn_reply_ok(c, json_pack("{s:o}", "checks", checks));
}

/* {} -> {"version": "x.y.z", "protocol": N} */
static void handlers_version(struct daemon *d, struct conn *c, json_t *req)
{
	(void)d;
	(void)req;
	conn_reply_ok(c, json_pack("{s:s, s:i}", "version", TASKVISOR_VERSION, "protocol", PROTO_VERSION));
}

/* ---- debug-bundle ---- */

/* A file's text, at most max bytes (the rest cut with a note): malloc'd, or NULL with errno. */
static char *handlers_read_text(const char *path, size_t max, size_t *lenp)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(fp);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, max, fp);
	buf[n] = '\0';
	fclose(fp);
	*lenp = n;
	return buf;
}

/* {} -> what debug-bundle cannot see from outside (proto.h MSG_DEBUG_INFO). The configuration is
 * the one in use, every file of it, masked; the store's check gets at most 500 ms of the loop. */
#define HANDLERS_CONF_MAX (1024 * 1024)
#define HANDLERS_INTEGRITY_MS 500
static void handlers_debug_info(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *out = json_object(), *config = json_array(), *store = json_object();
	struct utsname u;
	char buf[512], up[64];
	size_t len;

	(void)req;
	json_object_set_new(out, "version", json_string(TASKVISOR_VERSION));
	json_object_set_new(out, "pid", json_integer(getpid()));
	handlers_uptime(time(NULL) - d->start_time, up, sizeof(up));
	json_object_set_new(out, "uptime", json_string(up));
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
		json_object_set_new(out, "kernel", json_string(buf));
	}
	sv_memcg_describe(d->sv, buf, sizeof(buf));
	json_object_set_new(out, "cgroup", json_string(buf));
	char *limits = handlers_read_text("/proc/self/limits", 16384, &len);
	json_object_set_new(out, "limits", limits ? json_stringn(limits, len) : json_string(strerror(errno)));
	free(limits);
	for (size_t i = 0; d->conf != NULL && i < d->conf->nfiles; i++) {
		const char *path = d->conf->files[i];
		char *text = handlers_read_text(path, HANDLERS_CONF_MAX, &len);
		char *masked = text ? confmask_text(text, len) : NULL;
		json_t *js = masked ? json_string(masked) : NULL; /* NULL: not UTF-8 */

		if (js != NULL)
			json_array_append_new(config, json_pack("{s:s, s:o}", "path", path, "text", js));
		else
			json_array_append_new(config, json_pack("{s:s, s:s}", "path", path, "error",
								text == NULL	 ? strerror(errno)
								: masked == NULL ? "out of memory"
										 : "not UTF-8 text"));
		free(text);
		free(masked);
	}
	json_object_set_new(out, "config", config);
	engine_store_info(d->engine, HANDLERS_INTEGRITY_MS, store);
	json_object_set_new(out, "store", store);
	conn_reply_ok(c, out);
}

/* {} -> {} */
static void handlers_reopen_logs(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	daemon_reopen_logs(d);
	conn_reply_ok(c, NULL);
}

const struct control_handler daemon_handlers[] = {
    {.type = MSG_RELOAD, .admin = true, .handle = handlers_reload},
    {.type = MSG_SHUTDOWN, .admin = true, .handle = handlers_shutdown},
    {.type = MSG_PING, .handle = handlers_ping},
    {.type = MSG_VERSION, .handle = handlers_version},
    {.type = MSG_DEBUG_INFO, .handle = handlers_debug_info},
    {.type = MSG_REOPEN_LOGS, .admin = true, .handle = handlers_reopen_logs},
    {.type = 0},
};
