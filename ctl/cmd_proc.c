/*
 * cmd_proc.c — process commands: status, start, stop, restart, signal, pid,
 * tail, maintail, clear, fg. Text and exit codes are supervisorctl 4.2.5's (DESIGN.md); the daemon
 * sends the words, these print them and pick the exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"

json_t *cmd_proc_names(int argc, char **argv, int from)
{
	json_t *names = json_array();

	for (int i = from; i < argc; i++)
		json_array_append_new(names, json_string(argv[i]));
	return json_pack("{s:o}", "names", names);
}

/* Print the reply in --json mode (an error reply too). */
static void cmd_proc_json(struct ctl *c, json_t *reply)
{
	if (c->json && reply != NULL)
		ctl_print_json(reply);
}

/* ---- status ---- */

static bool cmd_proc_stopped_state(const char *st)
{
	return strcmp(st, "STOPPED") == 0 || strcmp(st, "EXITED") == 0 || strcmp(st, "FATAL") == 0 ||
	       strcmp(st, "UNKNOWN") == 0;
}

static int cmd_status(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *procs, *errs, *v;
	size_t i, width = 30;
	int rc = CTL_EXIT_OK, r;

	r = ctl_ask(c, MSG_STATUS, cmd_proc_names(argc, argv, 1), &reply, CTL_EXIT_UNREACHABLE,
		    CTL_EXIT_UNREACHABLE);
	if (r != CTL_EXIT_OK)
		return r;
	procs = json_object_get(reply, "processes");
	errs = json_object_get(reply, "errors");
	json_array_foreach(errs, i, v)
	{
		if (!c->json)
			printf("%s\n", json_string_value(json_object_get(v, "message")));
		rc = CTL_EXIT_UNREACHABLE;
	}
	json_array_foreach(procs, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "fullname"));
		if (name != NULL && strlen(name) > width)
			width = strlen(name);
	}
	json_array_foreach(procs, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "fullname"));
		const char *st = json_string_value(json_object_get(v, "statename"));
		const char *desc = json_string_value(json_object_get(v, "description"));
		if (name == NULL || st == NULL)
			continue;
		if (!c->json)
			printf("%-*s%-10s%s\n", (int)(width + 3), name, st, desc != NULL ? desc : "");
		if (cmd_proc_stopped_state(st))
			rc = CTL_EXIT_NOT_RUNNING;
	}
	json_decref(reply);
	return rc;
}

/* ---- start, stop, restart, signal ---- */

/* One result: "NAME: message"; its exit status (supervisorctl's set_exitstatus_from_xmlrpc_fault):
 * dead-program faults 7, others 1, 0 for ok and the (up to) two statuses in ignore. */
static int cmd_proc_result(struct ctl *c, const char *name, const char *status, const char *msg, void *ignore)
{
	if (!c->json)
		printf("%s: %s\n", name, msg);
	if (strcmp(status, "ok") == 0)
		return CTL_EXIT_OK;
	for (int i = 0; i < 2; i++)
		if (((const char **)ignore)[i] != NULL && strcmp(status, ((const char **)ignore)[i]) == 0)
			return CTL_EXIT_OK;
	if (strcmp(status, "no_such_group") == 0)
		return CTL_EXIT_BAD_ARGS;
	if (strcmp(status, "spawn_error") == 0 || strcmp(status, "abnormal_termination") == 0 ||
	    strcmp(status, "not_running") == 0)
		return CTL_EXIT_SPAWN_ERROR;
	return CTL_EXIT_ERROR;
}

/* Ask, then print each result; the exit status from the last failure (unreach: the daemon not asked). */
static int cmd_proc_ask(struct ctl *c, uint32_t type, json_t *req, int unreach, const char *ignore1,
			const char *ignore2)
{
	const char *ignore[] = {ignore1, ignore2};

	return ctl_ask_results(c, type, req, unreach, CTL_EXIT_ERROR, cmd_proc_result, ignore);
}

static int cmd_proc_action(struct ctl *c, int argc, char **argv, uint32_t type)
{
	const char *ign1 = NULL, *ign2 = NULL;

	if (argc < 2) {
		printf("Error: %s requires a process name\n", argv[0]);
		cmd_misc_help(type == MSG_START ? "start" : type == MSG_STOP ? "stop" : "restart");
		/* supervisorctl: 2 for start, 1 for stop and restart */
		return type == MSG_START ? CTL_EXIT_BAD_ARGS : CTL_EXIT_ERROR;
	}
	if (type == MSG_START)
		ign1 = "already_started";
	else if (type == MSG_STOP)
		ign1 = "not_running";
	else {
		ign1 = "already_started";
		ign2 = "not_running";
	}
	return cmd_proc_ask(c, type, cmd_proc_names(argc, argv, 1), CTL_EXIT_SPAWN_ERROR, ign1, ign2);
}

static int cmd_start(struct ctl *c, int argc, char **argv)
{
	return cmd_proc_action(c, argc, argv, MSG_START);
}
static int cmd_stop(struct ctl *c, int argc, char **argv)
{
	return cmd_proc_action(c, argc, argv, MSG_STOP);
}
static int cmd_restart(struct ctl *c, int argc, char **argv)
{
	return cmd_proc_action(c, argc, argv, MSG_RESTART);
}

static int cmd_signal(struct ctl *c, int argc, char **argv)
{
	json_t *req;

	if (argc < 3) {
		printf("Error: signal requires a signal name and a process name\n");
		cmd_misc_help("signal");
		return CTL_EXIT_ERROR;
	}
	req = cmd_proc_names(argc, argv, 2);
	json_object_set_new(req, "signal", json_string(argv[1]));
	return cmd_proc_ask(c, MSG_SIGNAL, req, CTL_EXIT_SPAWN_ERROR, NULL, NULL);
}

/* ---- pid ---- */

static int cmd_pid(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *v;
	bool all = false;
	int r, rc = CTL_EXIT_OK;
	size_t i;

	for (int k = 1; k < argc; k++)
		if (strcmp(argv[k], "all") == 0)
			all = true;
	r = ctl_ask(c, MSG_PID, cmd_proc_names(argc, argv, 1), &reply, CTL_EXIT_SPAWN_ERROR, CTL_EXIT_ERROR);
	if (r != CTL_EXIT_OK)
		return r;
	if (argc < 2) {
		if (!c->json)
			printf("%lld\n", (long long)json_integer_value(json_object_get(reply, "pid")));
		json_decref(reply);
		return CTL_EXIT_OK;
	}
	json_array_foreach(json_object_get(reply, "processes"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		long long pid = json_integer_value(json_object_get(v, "pid"));
		if (json_object_get(v, "error") != NULL) {
			if (!c->json)
				printf("No such process %s\n", name != NULL ? name : "?");
			rc = CTL_EXIT_ERROR;
			continue;
		}
		if (!c->json)
			printf("%lld\n", pid);
		if (pid == 0 && !all)
			rc = CTL_EXIT_SPAWN_ERROR;
	}
	json_decref(reply);
	return rc;
}

/* ---- tail ---- */

static volatile sig_atomic_t cmd_proc_interrupted; /* Ctrl-C while the shell waits (fg, a follow) */

static void cmd_proc_sigint(int sig)
{
	(void)sig;
	cmd_proc_interrupted = 1;
}

/* Catch Ctrl-C into cmd_proc_interrupted (no SA_RESTART: a blocking call returns EINTR). */
static void cmd_proc_catch_sigint(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_proc_sigint;
	cmd_proc_interrupted = 0;
	sigaction(SIGINT, &sa, old);
}

/*
 * In the shell a follow (tail -f, maintail -f) runs in a child, so that Ctrl-C ends it and the
 * prompt comes back, as in supervisorctl's shell; alone, Ctrl-C ends taskvisorctl. The child's
 * exit status is the command's.
 */
static int cmd_proc_follow_child(struct ctl *c, int argc, char **argv,
				 int (*exec)(struct ctl *c, int argc, char **argv))
{
	struct sigaction old;
	pid_t pid;
	int st = 0;

	fflush(stdout);
	ctl_disconnect(c); /* the child follows on its own connection */
	pid = fork();
	if (pid < 0) {
		printf("ERROR: fork: %s\n", strerror(errno));
		return CTL_EXIT_ERROR;
	}
	if (pid == 0) {
		c->interactive = false;
		st = exec(c, argc, argv);
		fflush(stdout);
		_exit(st);
	}
	cmd_proc_catch_sigint(&old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno == EINTR && cmd_proc_interrupted)
			kill(pid, SIGTERM);
		else if (errno != EINTR)
			break;
	sigaction(SIGINT, &old, NULL);
	if (cmd_proc_interrupted) {
		printf("\n");
		return CTL_EXIT_OK;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : CTL_EXIT_ERROR;
}

static int cmd_tail_data(void *arg, json_t *data)
{
	struct ctl *c = arg;
	json_t *t = json_object_get(data, "text");

	if (c->json) {
		ctl_print_json(data);
		return 0;
	}
	if (json_is_string(t)) {
		fwrite(json_string_value(t), 1, json_string_length(t), stdout);
		fflush(stdout);
	}
	return 0;
}

/*
 * tail's and maintail's request (req stolen): the log's last bytes, then a newline as supervisorctl;
 * with follow, each piece as it comes until Ctrl-C. An error reply: "WHO: ERROR (text)", exit 1;
 * the daemon not asked: unreach.
 */
static int cmd_proc_log(struct ctl *c, uint32_t type, json_t *req, bool follow, const char *who, int unreach)
{
	json_t *reply, *t;
	int r;

	if (follow) {
		signal(SIGINT, SIG_DFL); /* Ctrl-C leaves, as supervisorctl's */
		r = ctl_stream(c, type, req, cmd_tail_data, c, &reply);
	} else
		r = ctl_request(c, type, req, &reply);
	if (r < 0)
		return unreach;
	cmd_proc_json(c, reply);
	if (r > 0) {
		if (!c->json)
			printf("%s: ERROR (%s)\n", who, ctl_error_text(reply));
		json_decref(reply);
		return CTL_EXIT_ERROR;
	}
	t = json_object_get(reply, "text");
	if (!c->json && json_is_string(t)) {
		fwrite(json_string_value(t), 1, json_string_length(t), stdout);
		printf("\n"); /* supervisorctl prints the bytes, then a newline */
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int cmd_tail(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL, *stream = "stdout";
	long long bytes = 1600;
	bool follow = false;
	json_t *req;
	int npos = 0;

	for (int i = 1; c->interactive && i < argc; i++)
		if (strcmp(argv[i], "-f") == 0)
			return cmd_proc_follow_child(c, argc, argv, cmd_tail);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0)
			follow = true;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			bytes = atoll(argv[++i]);
		else if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9')
			bytes = atoll(argv[i] + 1);
		else if (npos == 0) {
			name = argv[i];
			npos++;
		} else if (npos == 1) {
			stream = argv[i];
			npos++;
		} else {
			printf("Error: too many arguments\n");
			cmd_misc_help("tail");
			return CTL_EXIT_ERROR;
		}
	}
	if (name == NULL) {
		if (follow)
			printf("Error: tail requires process name\n");
		else {
			printf("Error: too few arguments\n");
			cmd_misc_help("tail");
		}
		return CTL_EXIT_ERROR;
	}
	if (strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0) {
		printf("Error: bad channel '%s'\n", stream);
		return CTL_EXIT_ERROR;
	}
	req = json_pack("{s:s, s:s, s:I, s:b}", "name", name, "stream", stream, "bytes", (json_int_t)bytes,
			"follow", follow);
	return cmd_proc_log(c, MSG_TAIL, req, follow, name, CTL_EXIT_SPAWN_ERROR);
}

/* ---- maintail: the daemon's own log, as tail does a program's ---- */

static int cmd_maintail(struct ctl *c, int argc, char **argv)
{
	long long bytes = 1600;
	bool follow = false;
	json_t *req;

	if (argc > 2) {
		printf("Error: too many arguments\n");
		cmd_misc_help("maintail");
		return CTL_EXIT_ERROR;
	}
	if (argc == 2) {
		char *end;

		if (strcmp(argv[1], "-f") == 0 && c->interactive)
			return cmd_proc_follow_child(c, argc, argv, cmd_maintail);
		if (strcmp(argv[1], "-f") == 0)
			follow = true;
		else if (argv[1][0] == '-' && (bytes = strtoll(argv[1] + 1, &end, 10), end != argv[1] + 1) &&
			 *end == '\0')
			;
		else {
			printf("Error: bad argument %s\n", argv[1]);
			return CTL_EXIT_ERROR;
		}
	}
	req = json_pack("{s:I, s:b}", "bytes", (json_int_t)(bytes < 0 ? 0 : bytes), "follow", follow);
	return cmd_proc_log(c, MSG_MAINTAIL, req, follow, "taskvisord", CTL_EXIT_ERROR);
}

/* ---- clear: empty programs' logs ---- */

static int cmd_clear(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		printf("Error: clear requires a process name\n");
		cmd_misc_help("clear");
		return CTL_EXIT_ERROR;
	}
	return cmd_proc_ask(c, MSG_CLEAR_LOG, cmd_proc_names(argc, argv, 1), CTL_EXIT_ERROR, NULL, NULL);
}

/* ---- fg: a running program's output live, until Ctrl-C or the end of stdin ---- */

/*
 * supervisorctl's checks and words; then two children follow the program's stdout and stderr
 * (tail -f from now on, both to stdout, as supervisorctl's fgthread) while this process reads stdin
 * and passes each line to the program's stdin (MSG_PROC_STDIN, supervisord's sendProcessStdin).
 * Ctrl-C or EOF: "Exiting foreground"; the program gone: "Process got killed" first.
 */
static int cmd_fg(struct ctl *c, int argc, char **argv)
{
	json_t *reply, *procs;
	const char *st;
	struct sigaction old;
	char *line = NULL;
	ssize_t n;
	size_t cap = 0;
	pid_t child[2] = {-1, -1};
	int r;

	if (argc < 2) {
		printf("ERROR: no process name supplied\n"
		       "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n");
		return CTL_EXIT_ERROR;
	}
	if (argc > 2) {
		printf("ERROR: too many process names supplied\n");
		return CTL_EXIT_ERROR;
	}
	r = ctl_request(c, MSG_STATUS, cmd_proc_names(argc, argv, 1), &reply);
	if (r < 0)
		return CTL_EXIT_ERROR;
	procs = json_object_get(reply, "processes");
	if (r > 0 || json_array_size(json_object_get(reply, "errors")) > 0 || json_array_size(procs) != 1) {
		printf("ERROR: bad process name supplied\n");
		json_decref(reply);
		return CTL_EXIT_ERROR;
	}
	st = json_string_value(json_object_get(json_array_get(procs, 0), "statename"));
	if (st == NULL || strcmp(st, "RUNNING") != 0) {
		printf("ERROR: process not running\n");
		json_decref(reply);
		return CTL_EXIT_ERROR;
	}
	json_decref(reply);
	printf("==> Press Ctrl-C to exit <==\n");
	fflush(stdout);
	ctl_disconnect(c); /* each child follows on its own connection */
	for (int k = 0; k < 2; k++) {
		child[k] = fork();
		if (child[k] < 0) {
			printf("ERROR: fork: %s\n", strerror(errno));
			break;
		}
		if (child[k] == 0) {
			json_t *req =
			    json_pack("{s:s, s:s, s:I, s:b}", "name", argv[1], "stream",
				      k == 0 ? "stdout" : "stderr", "bytes", (json_int_t)0, "follow", 1);
			signal(SIGINT, SIG_DFL);
			/* an error reply (stderr redirected: no log of its own) ends it quietly */
			r = ctl_stream(c, MSG_TAIL, req, cmd_tail_data, c, &reply);
			json_decref(reply);
			_exit(r == 0 ? 0 : 1);
		}
	}
	cmd_proc_catch_sigint(&old); /* getline returns on Ctrl-C */
	while (!cmd_proc_interrupted && (n = getline(&line, &cap, stdin)) >= 0) {
		json_t *req = json_pack("{s:s, s:s%}", "name", argv[1], "chars", line, (size_t)n);
		if (req != NULL && line[n - 1] != '\n') /* a last line without its newline: as raw_input() */
			json_object_set_new(req, "chars", json_sprintf("%s\n", line));
		if (req == NULL || !json_is_string(json_object_get(req, "chars"))) {
			printf("ERROR: the line typed is not UTF-8 text: not sent\n");
			fflush(stdout);
			json_decref(req);
			continue;
		}
		r = ctl_request(c, MSG_PROC_STDIN, req, &reply);
		if (r < 0)
			break;
		if (r > 0) {
			const char *e = json_string_value(json_object_get(reply, "error"));
			if (e != NULL && strncmp(e, "NOT_RUNNING:", 12) == 0)
				printf("Process got killed\n");
			else
				printf("ERROR: %s\n", e != NULL ? e : "?");
			json_decref(reply);
			break;
		}
		json_decref(reply);
		r = ctl_request(c, MSG_STATUS, cmd_proc_names(argc, argv, 1), &reply);
		st = r == 0 ? json_string_value(json_object_get(
				  json_array_get(json_object_get(reply, "processes"), 0), "statename"))
			    : NULL;
		if (r >= 0 && (st == NULL || strcmp(st, "RUNNING") != 0)) {
			printf("Process got killed\n");
			json_decref(reply);
			break;
		}
		json_decref(reply);
		if (r < 0)
			break;
	}
	free(line);
	clearerr(stdin); /* after Ctrl-C the shell reads on */
	for (int k = 0; k < 2; k++)
		if (child[k] > 0) {
			kill(child[k], SIGTERM);
			waitpid(child[k], NULL, 0);
		}
	sigaction(SIGINT, &old, NULL);
	printf("Exiting foreground\n");
	return CTL_EXIT_OK;
}

const struct ctl_cmd proc_cmds[] = {
    {"status", NULL, "status [NAME|GROUP:*|all]...", "Get process status info", cmd_status},
    {"start", NULL, "start NAME|GROUP:*|all...", "Start processes (waits until RUNNING)", cmd_start},
    {"stop", NULL, "stop NAME|GROUP:*|all...", "Stop processes", cmd_stop},
    {"restart", NULL, "restart NAME|GROUP:*|all...", "Restart processes", cmd_restart},
    {"signal", NULL, "signal SIG NAME|GROUP:*|all...", "Send a signal to processes", cmd_signal},
    {"pid", NULL, "pid [NAME...|all]", "Get the pid of the daemon or of processes", cmd_pid},
    {"tail", NULL, "tail [-f] [-BYTES] NAME [stdout|stderr]", "Show the end of a process log", cmd_tail},
    {"maintail", NULL, "maintail [-f|-BYTES]", "Show the end of the daemon's own log", cmd_maintail},
    {"clear", NULL, "clear NAME...|all", "Empty processes' stdout and stderr logs", cmd_clear},
    {"fg", NULL, "fg NAME",
     "Show a running process's output live and send it the lines typed, until Ctrl-C or EOF", cmd_fg},
    {NULL, NULL, NULL, NULL, NULL},
};
