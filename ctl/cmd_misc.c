/*
 * cmd_misc.c — daemon-wide commands: avail, reread, update, reload, shutdown,
 * ping, version, reopen-logs, help. supervisorctl 4.2.5's words and exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "proto.h"
#include "xmalloc.h"

/* One request with no arguments; prints the JSON reply with --json. -1 unreachable, 0 ok, 1 error. */
static int cmd_misc_simple(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	int r = ctl_request(c, type, req, reply);

	if (r >= 0 && c->json)
		ctl_print_json(*reply);
	return r;
}

/* ctl_ask where every failure exits CTL_EXIT_ERROR. */
static int cmd_misc_ask(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	return ctl_ask(c, type, req, reply, CTL_EXIT_ERROR, CTL_EXIT_ERROR);
}

static int cmd_misc_no_args(int argc, char **argv)
{
	if (argc > 1) {
		printf("Error: %s accepts no arguments\n", argv[0]);
		return -1;
	}
	return 0;
}

static int cmd_avail(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *v;
	size_t i;

	if (cmd_misc_no_args(argc, argv) < 0)
		return CTL_EXIT_ERROR;
	if (cmd_misc_ask(c, MSG_AVAIL, NULL, &reply) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	json_array_foreach(json_object_get(reply, "programs"), i, v)
	{
		char prio[64];
		const char *name = json_string_value(json_object_get(v, "name"));
		snprintf(prio, sizeof(prio), "%lld:%lld",
			 (long long)json_integer_value(json_object_get(v, "group_priority")),
			 (long long)json_integer_value(json_object_get(v, "priority")));
		if (!c->json)
			printf("%-32s %-9s %-9s %s\n", name != NULL ? name : "?",
			       json_is_true(json_object_get(v, "in_use")) ? "in use" : "avail",
			       json_is_true(json_object_get(v, "autostart")) ? "auto" : "manual", prio);
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

struct cmd_change {
	const char *name, *what;
};

static int cmd_change_cmp(const void *a, const void *b)
{
	const struct cmd_change *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int cmd_reread(struct ctl *c, int argc, char **argv)
{
	static const struct {
		const char *key, *what;
	} kinds[] = {
	    {"added", "available"},
	    {"changed", "changed"},
	    {"removed", "disappeared"},
	};
	struct cmd_change *ch;
	json_t *reply, *v;
	size_t i, n = 0, cap = 0;

	if (cmd_misc_no_args(argc, argv) < 0)
		return CTL_EXIT_ERROR;
	if (cmd_misc_ask(c, MSG_REREAD, NULL, &reply) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	for (size_t k = 0; k < 3; k++)
		cap += json_array_size(json_object_get(reply, kinds[k].key));
	ch = xcalloc(cap + 1, sizeof(*ch));
	for (size_t k = 0; k < 3; k++)
		json_array_foreach(json_object_get(reply, kinds[k].key), i, v) if (json_is_string(v))
		{
			ch[n].name = json_string_value(v);
			ch[n++].what = kinds[k].what;
		}
	if (!c->json) {
		if (n == 0)
			printf("No config updates to processes\n");
		qsort(ch, n, sizeof(*ch), cmd_change_cmp);
		for (i = 0; i < n; i++)
			printf("%s: %s\n", ch[i].name, ch[i].what);
	}
	free(ch);
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* One group's update: "NAME: message", or "ERROR: no such group: NAME" (exit 1). */
static int cmd_update_result(struct ctl *c, const char *name, const char *status, const char *msg, void *arg)
{
	(void)arg;
	if (strcmp(status, "no_such_group") == 0) {
		if (!c->json)
			printf("ERROR: no such group: %s\n", name);
		return CTL_EXIT_ERROR;
	}
	if (!c->json)
		printf("%s: %s\n", name, msg);
	return CTL_EXIT_OK;
}

static int cmd_update(struct ctl *c, int argc, char **argv)
{
	json_t *names = json_array(), *reply;
	int rc;

	for (int k = 1; k < argc; k++)
		json_array_append_new(names, json_string(argv[k]));
	if (cmd_misc_ask(c, MSG_UPDATE, json_pack("{s:o}", "names", names), &reply) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	rc = ctl_results(c, reply, cmd_update_result, NULL);
	json_decref(reply);
	return rc;
}

/* A no-argument request whose success is one line of text: reload, reopen-logs. */
static int cmd_misc_ack(struct ctl *c, int argc, char **argv, uint32_t type, const char *done)
{
	json_t *reply;

	if (cmd_misc_no_args(argc, argv) < 0 || cmd_misc_ask(c, type, NULL, &reply) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	if (!c->json)
		printf("%s\n", done);
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int cmd_reload(struct ctl *c, int argc, char **argv)
{
	return cmd_misc_ack(c, argc, argv, MSG_RELOAD, "Restarted taskvisord");
}

static int cmd_shutdown(struct ctl *c, int argc, char **argv)
{
	char err[512];
	json_t *reply;
	int r, rc;

	if (cmd_misc_no_args(argc, argv) < 0)
		return CTL_EXIT_ERROR;
	if (ctl_connect(c, err, sizeof(err)) == NULL) {
		printf("ERROR: %s (already shut down?)\n", err);
		return CTL_EXIT_ERROR;
	}
	r = cmd_misc_simple(c, MSG_SHUTDOWN, NULL, &reply);
	if (r < 0)
		return CTL_EXIT_ERROR;
	if (!c->json) {
		if (r > 0)
			printf("ERROR: %s\n", ctl_error_text(reply));
		else
			printf("Shut down\n");
	}
	/* "already shutting down" is not a failure, as in supervisorctl; a refusal is */
	rc = r > 0 && strstr(ctl_error_text(reply), "shutting down") == NULL ? CTL_EXIT_ERROR : CTL_EXIT_OK;
	json_decref(reply);
	ctl_disconnect(c);
	return rc;
}

static int cmd_ping(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *v;
	int rc = CTL_EXIT_OK;
	size_t i;

	if (cmd_misc_no_args(argc, argv) < 0)
		return CTL_EXIT_ERROR;
	if (cmd_misc_ask(c, MSG_PING, NULL, &reply) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	/* one line per check: name, ok|FAIL, what the daemon said; non-zero exit when any failed
	 * (as `hammer ping`) */
	int w = 8;
	json_array_foreach(json_object_get(reply, "checks"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		if (name != NULL && (int)strlen(name) > w)
			w = (int)strlen(name);
	}
	json_array_foreach(json_object_get(reply, "checks"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *msg = json_string_value(json_object_get(v, "message"));
		bool ok = json_is_true(json_object_get(v, "ok"));
		if (!c->json)
			printf("%-*s  %-4s  %s\n", w, name != NULL ? name : "?", ok ? "ok" : "FAIL",
			       msg != NULL ? msg : "");
		if (!ok)
			rc = CTL_EXIT_ERROR;
	}
	json_decref(reply);
	return rc;
}

static int cmd_version(struct ctl *c, int argc, char **argv)
{
	json_t *reply;
	int r;

	if (cmd_misc_no_args(argc, argv) < 0)
		return CTL_EXIT_ERROR;
	r = cmd_misc_simple(c, MSG_VERSION, NULL, &reply);
	if (r < 0)
		return CTL_EXIT_SPAWN_ERROR;
	if (!c->json) {
		if (r > 0)
			printf("ERROR: %s\n", ctl_error_text(reply));
		else
			printf("%s\n", json_string_value(json_object_get(reply, "version")));
	}
	json_decref(reply);
	return r > 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}

static int cmd_reopen_logs(struct ctl *c, int argc, char **argv)
{
	return cmd_misc_ack(c, argc, argv, MSG_REOPEN_LOGS, "Reopened log files");
}

static int cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *const tables[] = {proc_cmds, misc_cmds, task_cmds, worker_cmds, NULL};
	const struct ctl_cmd *cmd;
	bool ambiguous;

	(void)c;
	if (argc > 1) {
		cmd = ctl_cmd_find(tables, argv[1], &ambiguous);
		if (cmd == NULL) {
			printf("*** No help on %s\n", argv[1]);
			return CTL_EXIT_ERROR;
		}
		printf("%s\n\t%s\n", cmd->usage, cmd->help);
		return CTL_EXIT_OK;
	}
	printf("\ncommands (type help <topic>):\n=============================\n");
	for (size_t t = 0; tables[t] != NULL; t++)
		for (cmd = tables[t]; cmd->name != NULL; cmd++)
			printf("  %-40s %s\n", cmd->usage, cmd->help);
	printf("  %-40s %s\n\n", "exit|quit", "Leave the shell");
	return CTL_EXIT_OK;
}

const struct ctl_cmd misc_cmds[] = {
    {"avail", NULL, "avail", "Display all configured processes", cmd_avail},
    {"reread", NULL, "reread", "Reload the configuration files without add/remove", cmd_reread},
    {"update", NULL, "update [all|GROUP...]", "Apply config changes: add, remove, restart what changed",
     cmd_update},
    {"reload", NULL, "reload", "Restart the daemon's processes under the re-read config", cmd_reload},
    {"shutdown", NULL, "shutdown", "Stop every process and the daemon", cmd_shutdown},
    {"ping", NULL, "ping", "Check the daemon (and its database and workers)", cmd_ping},
    {"version", NULL, "version", "Show the daemon's version", cmd_version},
    {"reopen-logs", NULL, "reopen-logs", "Reopen the daemon's and the processes' log files", cmd_reopen_logs},
    {"help", "?", "help [COMMAND]", "Show commands, or one command's usage", cmd_help},
    {NULL, NULL, NULL, NULL, NULL},
};
