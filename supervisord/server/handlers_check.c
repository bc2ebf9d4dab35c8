/*
 * handlers_check.c — the `check` family (MSG_CHECK): Nagios codes and one
 * line with perfdata. `check processes` and `check memory` ask the supervisor
 * (proc.h: which processes are down, how much memory a program holds);
 * `check queue|paused|stuck` ask the task engine (engine_check.c), opened on
 * first use. Thresholds <= 0 take each check's defaults. `check processes` also
 * counts restart storms: the automatic restarts of the worst program within a
 * window (restarts_warn/restarts_crit/window, CHECK_RESTARTS_* below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "proc.h"
#include "proto.h"
#include "xmalloc.h"

/* `check processes`: restarts of one program within the window that warn / are critical. */
#define CHECK_RESTARTS_WARN 3
#define CHECK_RESTARTS_CRIT 10
#define CHECK_RESTARTS_WINDOW 300 /* seconds */

static const char *handlers_check_word(int code)
{
	return code == 2 ? "CRITICAL" : code == 1 ? "WARNING" : "OK";
}

/* `check processes|memory` for the supervised side. */
static int handlers_check_procs(struct daemon *d, const char *check, double warn, double crit, json_t *req,
				char *line, size_t len)
{
	double rwarn = json_number_value(json_object_get(req, "restarts_warn"));
	double rcrit = json_number_value(json_object_get(req, "restarts_crit"));
	double window = json_number_value(json_object_get(req, "window"));
	unsigned storm = 0;
	const char *stormy = NULL;
	int rcode;
	size_t n = 0;
	struct proc **procs = d->sv != NULL ? sv_procs(d->sv, &n) : NULL;
	double value = 0;
	const char *worst = NULL;
	bool memory = strcmp(check, "memory") == 0;
	char who[200] = "";
	int code;

	/* memory: every program's in one pass over /proc (not one scan per program) */
	long long *mem = memory && n > 0 ? xcalloc(n, sizeof(*mem)) : NULL;
	if (mem != NULL)
		proc_memory_many(procs, n, mem);
	for (size_t i = 0; i < n; i++) {
		struct proc *p = procs[i];

		if (memory) {
			long long bytes = mem[i];
			double mb = bytes > 0 ? (double)bytes / (1024.0 * 1024.0) : 0;

			if (mb > value) {
				value = mb;
				worst = p->fullname;
			}
		} else {
			unsigned r = proc_restarts_within(p, window > 0 ? window : CHECK_RESTARTS_WINDOW);
			if (r > storm) {
				storm = r;
				stormy = p->fullname;
			}
			if (proc_is_down(p)) {
				value++;
				if (worst == NULL)
					worst = p->fullname;
			}
		}
	}
	free(mem);
	if (warn <= 0)
		warn = memory ? 512 : 1;
	if (crit <= 0)
		crit = memory ? 1024 : 1;
	code = value >= crit ? 2 : value >= warn ? 1 : 0;
	if (worst != NULL)
		snprintf(who, sizeof(who), memory ? " (%s)" : " (first: %s)", worst);
	if (memory)
		snprintf(line, len, "PROCESSES MEMORY %s - largest RSS %.0f MB%s | rss_mb=%.0f;%.0f;%.0f",
			 handlers_check_word(code), value, who, value, warn, crit);
	else {
		char restarts[300] = "";
		if (window <= 0)
			window = CHECK_RESTARTS_WINDOW;
		if (rwarn <= 0)
			rwarn = CHECK_RESTARTS_WARN;
		if (rcrit <= 0)
			rcrit = CHECK_RESTARTS_CRIT;
		rcode = storm >= rcrit ? 2 : storm >= rwarn ? 1 : 0;
		if (rcode > code)
			code = rcode;
		if (rcode > 0)
			snprintf(restarts, sizeof(restarts), ", %s restarted %u times in %.0f s", stormy,
				 storm, window);
		snprintf(line, len,
			 "PROCESSES %s - %.0f of %zu processes not running%s%s | down=%.0f;%.0f;%.0f "
			 "restarts=%u;%.0f;%.0f",
			 handlers_check_word(code), value, n, who, restarts, value, warn, crit, storm, rwarn,
			 rcrit);
	}
	return code;
}

static void handlers_check(struct daemon *d, struct conn *c, json_t *req)
{
	const char *check = json_string_value(json_object_get(req, "check"));
	double warn = json_number_value(json_object_get(req, "warn"));
	double crit = json_number_value(json_object_get(req, "crit"));
	char line[512], err[512];
	int code;

	if (check != NULL && (strcmp(check, "processes") == 0 || strcmp(check, "memory") == 0)) {
		code = handlers_check_procs(d, check, warn, crit, req, line, sizeof(line));
		conn_reply_ok(c, json_pack("{s:i, s:s}", "code", code, "line", line));
		return;
	}
	if (daemon_engine(d, err, sizeof(err)) == NULL) {
		conn_reply_error(c, 1, "task database: %s", err);
		return;
	}
	if (check != NULL && strcmp(check, "queue") == 0) /* and thresholds on the oldest wait, in s */
		code = engine_check_queue(
		    d->engine, warn, crit, json_number_value(json_object_get(req, "warn_wait")),
		    json_number_value(json_object_get(req, "crit_wait")), line, sizeof(line));
	else
		code = engine_check(d->engine, check, warn, crit, line, sizeof(line));
	engine_reply_read(d->engine, c, MSG_OK, json_pack("{s:i, s:s}", "code", code, "line", line));
}

const struct control_handler check_handlers[] = {
    {.type = MSG_CHECK, .handle = handlers_check},
    {.type = 0},
};
