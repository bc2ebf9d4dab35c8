/*
 * cmd_misc.c — daemon-wide commands: avail, reread, update, add, remove,
 * reload, shutdown, ping, version, reopen-logs, help, and the shell's own
 * (quit, exit, open). supervisorctl 4.2.5's words and exit codes.
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

/* A request naming the groups of argv[1..]; each group's result to fn. */
static int cmd_misc_groups(struct ctl *c, int argc, char **argv, uint32_t type, ctl_result_fn fn)
{
	return ctl_ask_results(c, type, cmd_proc_names(argc, argv, 1), CTL_EXIT_ERROR, CTL_EXIT_ERROR, fn,
			       NULL);
}

static int cmd_update(struct ctl *c, int argc, char **argv)
{
	return cmd_misc_groups(c, argc, argv, MSG_UPDATE, cmd_update_result);
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

/* supervisorctl 4.2.5's help texts (its help_NAME methods), word for word. */
static const struct {
	const char *name, *text;
} cmd_help_texts[] = {
    {"add", "add <name> [...]\tActivates any updates in config for process/group"},
    {"avail", "avail\t\t\tDisplay all configured processes"},
    {"clear", "clear <name>\t\tClear a process' log files.\n"
	      "clear <name> <name>\tClear multiple process' log files\n"
	      "clear all\t\tClear all process' log files"},
    {"exit", "exit\tExit the supervisor shell."},
    {"fg", "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit"},
    {"help", "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>"},
    {"maintail", "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n"
		 "maintail -100\tlast 100 *bytes* of supervisord main log file\n"
		 "maintail\tlast 1600 *bytes* of supervisor main log file\n"},
    {"open", "open <url>\tConnect to a remote supervisord process.\n"
	     "\t\t(for UNIX domain socket, use unix:///socket/path)"},
    {"pid", "pid\t\t\tGet the PID of supervisord.\n"
	    "pid <name>\t\tGet the PID of a single child process by name.\n"
	    "pid all\t\t\tGet the PID of every child process, one per line."},
    {"quit", "quit\tExit the supervisor shell."},
    {"reload", "reload \t\tRestart the remote supervisord."},
    {"remove", "remove <name> [...]\tRemoves process/group from active config"},
    {"reread", "reread \t\t\tReload the daemon's configuration files without add/remove"},
    {"restart", "restart <name>\t\tRestart a process\n"
		"restart <gname>:*\tRestart all processes in a group\n"
		"restart <name> <name>\tRestart multiple processes or groups\n"
		"restart all\t\tRestart all processes\n"
		"Note: restart does not reread config files. For that, see reread and update."},
    {"shutdown", "shutdown \tShut the remote supervisord down."},
    {"signal", "signal <signal name> <name>\t\tSignal a process\n"
	       "signal <signal name> <gname>:*\t\tSignal all processes in a group\n"
	       "signal <signal name> <name> <name>\tSignal multiple processes or groups\n"
	       "signal <signal name> all\t\tSignal all processes"},
    {"start", "start <name>\t\tStart a process\n"
	      "start <gname>:*\t\tStart all processes in a group\n"
	      "start <name> <name>\tStart multiple processes or groups\n"
	      "start all\t\tStart all processes"},
    {"status", "status <name>\t\tGet status for a single process\n"
	       "status <gname>:*\tGet status for all processes in a group\n"
	       "status <name> <name>\tGet status for multiple named processes\n"
	       "status\t\t\tGet all process status info"},
    {"stop", "stop <name>\t\tStop a process\n"
	     "stop <gname>:*\t\tStop all processes in a group\n"
	     "stop <name> <name>\tStop multiple processes or groups\n"
	     "stop all\t\tStop all processes"},
    {"tail", "tail [-f] <name> [stdout|stderr] (default stdout)\n"
	     "Ex:\n"
	     "tail -f <name>\t\tContinuous tail of named process stdout\n"
	     "\t\t\tCtrl-C to exit.\n"
	     "tail -100 <name>\tlast 100 *bytes* of process stdout\n"
	     "tail <name> stderr\tlast 1600 *bytes* of process stderr"},
    {"update", "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\n"
	       "update all\t\tReload config and add/remove as necessary, and will restart affected programs\n"
	       "update <gname> [...]\tUpdate specific groups"},
    {"version", "version\t\t\tShow the version of the remote supervisord process"},
};

bool cmd_misc_help(const char *name)
{
	for (size_t i = 0; i < sizeof(cmd_help_texts) / sizeof(cmd_help_texts[0]); i++)
		if (strcmp(cmd_help_texts[i].name, name) == 0) {
			printf("%s\n", cmd_help_texts[i].text);
			return true;
		}
	return false;
}

/* help [COMMAND]: always exit 0, as supervisorctl ("*** No help on X" for an unknown one). Where
 * supervisorctl has the command, its text; else our usage line and summary. */
static int cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd;

	(void)c;
	if (argc > 1) {
		cmd = ctl_cmd_exact(ctl_tables, argv[1]);
		if (cmd == NULL) {
			printf("*** No help on %s\n", argv[1]);
			return CTL_EXIT_OK;
		}
		if (!cmd_misc_help(cmd->name))
			printf("%s\n\t%s\n", cmd->usage, cmd->help);
		return CTL_EXIT_OK;
	}
	printf("\ncommands (type help <topic>):\n=============================\n");
	for (size_t t = 0; ctl_tables[t] != NULL; t++)
		for (cmd = ctl_tables[t]; cmd->name != NULL; cmd++)
			printf("  %-40s %s\n", cmd->usage, cmd->help);
	printf("\n");
	return CTL_EXIT_OK;
}

/* ---- the shell's own: quit, exit, open ---- */

/* quit, exit: the shell ends (alone: nothing to do; supervisorctl prints an empty line). */
static int cmd_quit(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!c->interactive)
		printf("\n");
	c->quit = true;
	return CTL_EXIT_OK;
}

/* open unix:///path: talk to that daemon from now on, and show its status. */
static int cmd_open(struct ctl *c, int argc, char **argv)
{
	char *status[] = {"status", NULL};

	if (argc != 2) {
		printf("ERROR: url must be unix:///path or a path\n");
		return CTL_EXIT_ERROR;
	}
	if (ctl_set_socket(c, argv[1]) < 0)
		return CTL_EXIT_ERROR;
	ctl_run(c, 1, status);
	return CTL_EXIT_OK; /* supervisorctl keeps the exit status of before */
}

/* ---- add, remove: a group of the config becomes active, or leaves ---- */

static int cmd_group_result(struct ctl *c, const char *name, const char *status, const char *msg, void *arg)
{
	(void)arg;
	if (strcmp(status, "ok") == 0) {
		if (!c->json)
			printf("%s: %s\n", name, msg);
		return CTL_EXIT_OK;
	}
	if (c->json)
		return strcmp(status, "already_added") == 0 ? CTL_EXIT_OK : CTL_EXIT_ERROR;
	if (strcmp(status, "already_added") == 0) {
		printf("ERROR: process group already active\n");
		return CTL_EXIT_OK; /* supervisorctl: not a failure */
	}
	if (strcmp(status, "shutting_down") == 0)
		printf("ERROR: shutting down\n");
	else if (strcmp(status, "still_running") == 0)
		printf("ERROR: process/group still running: %s\n", name);
	else if (strcmp(status, "no_such_group") == 0)
		printf("ERROR: no such process/group: %s\n", name);
	else
		printf("ERROR: %s: %s\n", name, msg);
	return CTL_EXIT_ERROR;
}

static int cmd_group_change(struct ctl *c, int argc, char **argv, uint32_t type)
{
	if (argc < 2)
		return CTL_EXIT_OK; /* supervisorctl: nothing named, nothing done */
	return cmd_misc_groups(c, argc, argv, type, cmd_group_result);
}

static int cmd_add(struct ctl *c, int argc, char **argv)
{
	return cmd_group_change(c, argc, argv, MSG_ADD_GROUP);
}

static int cmd_remove(struct ctl *c, int argc, char **argv)
{
	return cmd_group_change(c, argc, argv, MSG_REMOVE_GROUP);
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
    {"add", NULL, "add GROUP...", "Activate a group of the config that is not running yet", cmd_add},
    {"remove", NULL, "remove GROUP...", "Take a stopped group out of the running set", cmd_remove},
    {"open", NULL, "open unix:///PATH", "Talk to the daemon at another socket (shell)", cmd_open},
    {"help", "?", "help [COMMAND]", "Show commands, or one command's help", cmd_help},
    {"quit", NULL, "quit", "Leave the shell", cmd_quit},
    {"exit", NULL, "exit", "Leave the shell", cmd_quit},
    {NULL, NULL, NULL, NULL, NULL},
};
