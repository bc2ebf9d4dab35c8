/*
 * cmd_worker.c — the workers and queues the task engine sees: `worker list`,
 * `worker show NAME`, `queue list` (each with --json: the daemon's reply).
 * Read-only: read-only users may run them. Answered from the daemon's memory
 * (MSG_WORKER_LIST, MSG_WORKER_SHOW, MSG_QUEUE_LIST in proto.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "proto.h"

static const char *cmd_worker_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "-";
}

/* A span of seconds as "12s", "5m02s", "3h04m", "2d03h"; "-" for none. */
static const char *cmd_worker_span(json_t *secs, char *buf, size_t len)
{
	double d = json_number_value(secs);
	long s;

	if (!json_is_number(secs))
		return "-";
	s = d < 0 ? 0 : (long)d;
	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
	return buf;
}

/* How long ago an epoch time was, as cmd_worker_span. */
static const char *cmd_worker_ago(json_t *at, char *buf, size_t len)
{
	json_t *d;
	const char *r;

	if (!json_is_number(at))
		return "-";
	d = json_real(ctl_now() - json_number_value(at));
	r = cmd_worker_span(d, buf, len);
	json_decref(d);
	return r;
}

static void cmd_worker_handlers(json_t *w, char *buf, size_t len)
{
	json_t *v;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(w, "handlers"), i, v)
	{
		int k = snprintf(buf + n, len - n, "%s%s", n > 0 ? "," : "",
				 json_string_value(v) != NULL ? json_string_value(v) : "?");

		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	if (n == 0)
		snprintf(buf, len, "-");
}

/* One line per step a worker holds, indented. */
static void cmd_worker_held(json_t *w, const char *indent)
{
	json_t *h;
	size_t i;
	char ago[32];

	json_array_foreach(json_object_get(w, "held"), i, h)
	{
		if (json_is_null(json_object_get(h, "task_id")))
			printf("%sstep %s for %s: %s\n", indent, cmd_worker_str(h, "step_id"),
			       cmd_worker_ago(json_object_get(h, "since"), ago, sizeof(ago)),
			       cmd_worker_str(h, "note"));
		else
			printf("%stask %s step %s (#%lld, %s) for %s\n", indent, cmd_worker_str(h, "task_id"),
			       cmd_worker_str(h, "step"),
			       (long long)json_integer_value(json_object_get(h, "index")),
			       cmd_worker_str(h, "label"),
			       cmd_worker_ago(json_object_get(h, "since"), ago, sizeof(ago)));
	}
}

static int cmd_worker_ask(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	int st = ctl_ask(c, type, req, reply, CTL_EXIT_UNREACHABLE, CTL_EXIT_ERROR);

	if (st == CTL_EXIT_OK && c->json) {
		json_decref(*reply);
		*reply = NULL;
		return -1; /* printed */
	}
	return st;
}

static int cmd_worker_list(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *w;
	size_t i;
	int st;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			c->json = true;
		else {
			fprintf(stderr,
				"worker list: unexpected argument \"%s\" (usage: worker list [--json])\n",
				argv[k]);
			return CTL_EXIT_BAD_ARGS;
		}
	}
	if ((st = cmd_worker_ask(c, MSG_WORKER_LIST, NULL, &reply)) != CTL_EXIT_OK)
		return st < 0 ? CTL_EXIT_OK : st;
	if (json_array_size(json_object_get(reply, "workers")) == 0)
		printf("no worker connected\n");
	else
		printf("%-24s %-8s %-30s %-12s %-12s %-6s %-7s %-7s %-10s %s\n", "NAME", "PID", "PROGRAM",
		       "QUEUE", "HANDLERS", "SLOTS", "DONE", "FAILED", "CONNECTED", "LAST SEEN");
	json_array_foreach(json_object_get(reply, "workers"), i, w)
	{
		char pid[24] = "-", slots[32], handlers[128], conn[32], seen[32];

		if (json_is_integer(json_object_get(w, "pid")))
			snprintf(pid, sizeof(pid), "%lld",
				 (long long)json_integer_value(json_object_get(w, "pid")));
		snprintf(slots, sizeof(slots), "%zu/%lld", json_array_size(json_object_get(w, "held")),
			 (long long)json_integer_value(json_object_get(w, "prefetch")));
		cmd_worker_handlers(w, handlers, sizeof(handlers));
		printf("%-24s %-8s %-30s %-12s %-12s %-6s %-7lld %-7lld %-10s %s ago%s\n",
		       cmd_worker_str(w, "name"), pid, cmd_worker_str(w, "program"),
		       cmd_worker_str(w, "queue"), handlers, slots,
		       (long long)json_integer_value(json_object_get(w, "done")),
		       (long long)json_integer_value(json_object_get(w, "failed")),
		       cmd_worker_ago(json_object_get(w, "connected_at"), conn, sizeof(conn)),
		       cmd_worker_ago(json_object_get(w, "last_seen"), seen, sizeof(seen)),
		       json_is_true(json_object_get(w, "gone")) ? " (disconnected)" : "");
		cmd_worker_held(w, "    ");
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int cmd_worker_show(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL;
	json_t *reply, *w;
	char b1[32], b2[32], handlers[256];
	int st;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			c->json = true;
		else if (name == NULL)
			name = argv[k];
		else {
			fprintf(stderr, "worker show: one worker at a time (got \"%s\" and \"%s\")\n", name,
				argv[k]);
			return CTL_EXIT_BAD_ARGS;
		}
	}
	if (name == NULL) {
		fprintf(stderr, "worker show: no worker named (usage: worker show NAME [--json]; NAME as "
				"`worker list` shows it, its program's group:name, or its pid)\n");
		return CTL_EXIT_BAD_ARGS;
	}
	if ((st = cmd_worker_ask(c, MSG_WORKER_SHOW, json_pack("{s:s}", "name", name), &reply)) !=
	    CTL_EXIT_OK)
		return st < 0 ? CTL_EXIT_OK : st;
	w = json_object_get(reply, "worker");
	cmd_worker_handlers(w, handlers, sizeof(handlers));
	printf("%-14s%s\n", "Name:", cmd_worker_str(w, "name"));
	if (json_is_integer(json_object_get(w, "pid")))
		printf("%-14s%lld\n", "PID:", (long long)json_integer_value(json_object_get(w, "pid")));
	else
		printf("%-14s-\n", "PID:");
	printf("%-14s%s\n", "Program:",
	       json_is_true(json_object_get(w, "supervised")) ? cmd_worker_str(w, "program")
							      : "- (not supervised by the daemon)");
	printf("%-14s%s\n", "Queue:", cmd_worker_str(w, "queue"));
	printf("%-14s%s%s\n", "Handlers:", handlers,
	       strchr(handlers, '*') != NULL ? " (* = command steps)" : "");
	printf("%-14s%lld\n", "Prefetch:", (long long)json_integer_value(json_object_get(w, "prefetch")));
	printf("%-14s%lld\n", "Done:", (long long)json_integer_value(json_object_get(w, "done")));
	printf("%-14s%lld\n", "Failed:", (long long)json_integer_value(json_object_get(w, "failed")));
	printf("%-14s%s (%s ago)\n",
	       "Connected:", ctl_time(json_object_get(w, "connected_at"), b1, sizeof(b1)),
	       cmd_worker_ago(json_object_get(w, "connected_at"), b2, sizeof(b2)));
	printf("%-14s%s (%s ago)\n", "Last seen:", ctl_time(json_object_get(w, "last_seen"), b1, sizeof(b1)),
	       cmd_worker_ago(json_object_get(w, "last_seen"), b2, sizeof(b2)));
	if (json_is_true(json_object_get(w, "gone")))
		printf("%-14s%s\n", "Connection:", "closed; its steps wait for its exit status");
	if (json_array_size(json_object_get(w, "held")) == 0)
		printf("%-14s%s\n", "Steps:", "none");
	else {
		printf("Steps:\n");
		cmd_worker_held(w, "  ");
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd worker_sub_cmds[] = {
    {"list", NULL, "worker list [--json]",
     "connected workers: pid, program, queue, handlers, held/prefetch slots, steps done and failed, "
     "connected, last seen, and the steps each holds",
     cmd_worker_list},
    {"show", NULL, "worker show NAME [--json]", "one worker, all details (NAME, group:name or pid)",
     cmd_worker_show},
    {NULL, NULL, NULL, NULL, NULL},
};

static int cmd_worker_exec(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd *const tables[] = {worker_sub_cmds, NULL};
	const struct ctl_cmd *sub;
	bool ambiguous = false;

	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		for (const struct ctl_cmd *e = worker_sub_cmds; e->name != NULL; e++)
			printf("  %s\n      %s\n", e->usage, e->help);
		return CTL_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "--json") == 0)
		return cmd_worker_list(c, argc, argv);
	sub = ctl_cmd_find(tables, argv[1], &ambiguous);
	if (sub == NULL) {
		fprintf(stderr, "worker: %s command: %s (list, show)\n", ambiguous ? "ambiguous" : "unknown",
			argv[1]);
		return CTL_EXIT_BAD_ARGS;
	}
	return sub->exec(c, argc - 1, argv + 1);
}

static int cmd_queue_list(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *q;
	size_t i;
	int st;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0 || strcmp(argv[k], "list") == 0)
			c->json = c->json || argv[k][0] == '-';
		else if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			printf("usage: queue [list] [--json]\n");
			return CTL_EXIT_OK;
		} else {
			fprintf(stderr, "queue: unexpected argument \"%s\" (usage: queue [list] [--json])\n",
				argv[k]);
			return CTL_EXIT_BAD_ARGS;
		}
	}
	if ((st = cmd_worker_ask(c, MSG_QUEUE_LIST, NULL, &reply)) != CTL_EXIT_OK)
		return st < 0 ? CTL_EXIT_OK : st;
	printf("%-16s %-7s %-5s %-7s %-7s %-6s %-11s %-9s %-9s %-9s %-9s %s\n", "QUEUE", "WORKERS", "BUSY",
	       "READY", "RUNNING", "PAUSED", "OLDEST WAIT", "DONE 1m", "FAILED 1m", "DONE 1h", "FAILED 1h",
	       "MEAN STEP");
	json_array_foreach(json_object_get(reply, "queues"), i, q)
	{
		char wait[32], mean[32] = "-";
		json_t *m = json_object_get(q, "mean_step");
		long long nw = (long long)json_integer_value(json_object_get(q, "workers"));

		if (json_is_number(m))
			snprintf(mean, sizeof(mean), "%.3fs", json_number_value(m));
		printf(
		    "%-16s %-7lld %-5lld %-7lld %-7lld %-6lld %-11s %-9lld %-9lld %-9lld %-9lld %s%s\n",
		    cmd_worker_str(q, "name"), nw, (long long)json_integer_value(json_object_get(q, "busy")),
		    (long long)json_integer_value(json_object_get(q, "ready")),
		    (long long)json_integer_value(json_object_get(q, "running")),
		    (long long)json_integer_value(json_object_get(q, "paused")),
		    cmd_worker_span(json_object_get(q, "oldest_wait"), wait, sizeof(wait)),
		    (long long)json_integer_value(json_object_get(q, "done_1m")),
		    (long long)json_integer_value(json_object_get(q, "failed_1m")),
		    (long long)json_integer_value(json_object_get(q, "done_1h")),
		    (long long)json_integer_value(json_object_get(q, "failed_1h")), mean,
		    nw == 0 && json_integer_value(json_object_get(q, "ready")) > 0 ? "  (no worker serves it)"
										   : "");
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

const struct ctl_cmd worker_cmds[] = {
    {"worker", "workers", "worker list|show NAME [--json]",
     "the workers connected to the task engine and the steps they hold (worker --help)", cmd_worker_exec},
    {"queue", "queues", "queue [list] [--json]",
     "per queue: workers, ready, running, paused tasks, oldest wait, done/failed in the last minute "
     "and hour, mean step time",
     cmd_queue_list},
    {NULL, NULL, NULL, NULL, NULL},
};
