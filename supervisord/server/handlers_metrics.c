/*
 * handlers_metrics.c — MSG_METRICS (proto.h), what GET /metrics of the HTTP
 * module shows: every process as the supervisor knows it (state, restarts,
 * OOM kills, uptime, memory as `check memory` counts it, the last exit
 * status), the daemon itself (RSS, open descriptors, connections) and the
 * task engine's counters (engine_metrics_json) when the task database is
 * open. Nothing is decided here: the numbers are read, never reset, and the
 * engine is not opened for a scrape (a daemon that only supervises keeps no
 * database open).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "proc.h"
#include "proto.h"
#include "xmalloc.h"

static json_t *handlers_metrics_proc(const struct proc *p, time_t now, long long mem)
{
	json_t *j;

	if (p->pid <= 0 || mem < 0)
		mem = 0;

	j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "group", p->group, "name", p->name,
		      "state", proc_state_name(p->state), "pid", (json_int_t)p->pid, "uptime",
		      (json_int_t)(p->state == PROC_RUNNING && now > p->start_time ? now - p->start_time : 0),
		      "restarts", (json_int_t)p->restarts, "oom_kills", (json_int_t)p->oom_kills, "memory",
		      (json_int_t)mem, "start", (json_int_t)p->start_time);
	/* the exit code, or 128 + the signal that killed it (as a shell says it) */
	if (p->exited_once)
		json_object_set_new(j, "exitstatus",
				    json_integer(WIFEXITED(p->last_wstatus) ? WEXITSTATUS(p->last_wstatus)
						 : WIFSIGNALED(p->last_wstatus)
						     ? 128 + WTERMSIG(p->last_wstatus)
						     : -1));
	else
		json_object_set_new(j, "exitstatus", json_null());
	return j;
}

/* The daemon's resident set (bytes) and its open descriptors. */
static void handlers_metrics_self(long long *rss, long long *fds)
{
	long long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	DIR *dir;
	struct dirent *de;

	*rss = -1;
	*fds = -1;
	if (f != NULL) {
		if (fscanf(f, "%lld %lld", &pages, &resident) == 2)
			*rss = resident * (long long)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		*fds = 0;
		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				(*fds)++;
		(*fds)--; /* the directory's own descriptor */
		closedir(dir);
	}
}

static void handlers_metrics(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *procs = json_array(), *body;
	size_t n = 0;
	struct proc **ps = d->sv != NULL ? sv_procs(d->sv, &n) : NULL;
	time_t now = time(NULL);
	long long rss, fds;

	(void)req;
	/* every program's memory in one pass over /proc (not one scan per program) */
	long long *mem = n > 0 ? xcalloc(n, sizeof(*mem)) : NULL;
	if (n > 0)
		proc_memory_many(ps, n, mem);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(procs, handlers_metrics_proc(ps[i], now, mem[i]));
	free(mem);
	handlers_metrics_self(&rss, &fds);
	body = json_pack("{s:o, s:{s:I, s:I, s:i, s:i, s:I}}", "processes", procs, "daemon", "rss",
			 (json_int_t)rss, "fds", (json_int_t)fds, "connections",
			 control_connections(d->control), "max_connections",
			 control_max_connections(d->control), "start_time", (json_int_t)d->start_time);
	json_object_set_new(body, "engine", d->engine != NULL ? engine_metrics_json(d->engine) : json_null());
	conn_reply_ok(c, body);
}

const struct control_handler metrics_handlers[] = {
    {.type = MSG_METRICS, .handle = handlers_metrics},
    {.type = 0},
};
