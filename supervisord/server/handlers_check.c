/*
 * handlers_check.c — the `check` family (MSG_CHECK): Nagios codes and one
 * line with perfdata. `check processes` and `check memory` ask the supervisor
 * (proc.h: which processes are down, how much memory a program holds);
 * `check queue|paused|stuck` ask the task engine (engine_check.c), opened on
 * first use. Thresholds <= 0 take each check's defaults.
 */
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "proc.h"
#include "proto.h"

static const char *handlers_check_word(int code)
{
	return code == 2 ? "CRITICAL" : code == 1 ? "WARNING" : "OK";
}

/* `check processes|memory` for the supervised side. */
static int handlers_check_procs(struct daemon *d, const char *check, double warn, double crit, char *line,
				size_t len)
{
	size_t n = 0;
	struct proc **procs = d->sv != NULL ? sv_procs(d->sv, &n) : NULL;
	double value = 0;
	const char *worst = NULL;
	bool memory = strcmp(check, "memory") == 0;
	char who[200] = "";
	int code;

	for (size_t i = 0; i < n; i++) {
		struct proc *p = procs[i];

		if (memory) {
			long long bytes = proc_memory(p);
			double mb = bytes > 0 ? (double)bytes / (1024.0 * 1024.0) : 0;

			if (mb > value) {
				value = mb;
				worst = p->fullname;
			}
		} else if (proc_is_down(p)) {
			value++;
			if (worst == NULL)
				worst = p->fullname;
		}
	}
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
	else
		snprintf(line, len,
			 "PROCESSES %s - %.0f of %zu processes not running%s | down=%.0f;%.0f;%.0f",
			 handlers_check_word(code), value, n, who, value, warn, crit);
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
		code = handlers_check_procs(d, check, warn, crit, line, sizeof(line));
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
