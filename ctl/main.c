/*
 * main.c — taskvisorctl: options, where the daemon's socket is, then one
 * command from the tables (ctl.h) or, without a command, a shell reading
 * command lines from stdin ("taskvisor> " prompt on a terminal).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "proto.h"
#include "xmalloc.h"

#define DEFAULT_CONF "/etc/taskvisor/taskvisord.conf"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: taskvisorctl [-c CONFIG | -s SOCKET] [--json] [--timeout SECS] [COMMAND [ARGS...]]\n"
		"  -c, --configuration FILE  the daemon's configuration (default " DEFAULT_CONF ")\n"
		"  -s, --socket PATH         the daemon's socket (default: the [unix_http_server] file\n"
		"                            of CONFIG, else " PROTO_DEFAULT_SOCKET ")\n"
		"  -j, --json                print the daemon's JSON replies\n"
		"  -t, --timeout SECS        give up when the daemon does not answer within SECS\n"
		"                            (default 30; 0 = never). Commands that wait for\n"
		"                            something (start, stop, restart, update, tail -f,\n"
		"                            task wait, task submit --wait, task cleanup) only\n"
		"                            need the daemon to answer within SECS, then wait\n"
		"                            as long as it takes\n"
		"  -h, --help                print this help\n"
		"Without a command, read commands from stdin (a shell on a terminal).\n"
		"Commands: taskvisorctl help\n");
}

static int ctl_run(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *const tables[] = {proc_cmds, misc_cmds, task_cmds, worker_cmds, NULL};
	const struct ctl_cmd *cmd;
	bool ambiguous;
	int rc;

	cmd = ctl_cmd_find(tables, argv[0], &ambiguous);
	if (cmd == NULL) {
		if (ambiguous)
			printf("*** Ambiguous command: %s\n", argv[0]);
		else
			printf("*** Unknown syntax: %s\n", argv[0]);
		return CTL_EXIT_ERROR;
	}
	rc = cmd->exec(c, argc, argv);
	fflush(stdout);
	return rc;
}

/* Split a line into words (whitespace; '…' and "…" quote). Returns argc; argv is malloc'd. */
static int ctl_split(char *line, char ***argvp)
{
	char **argv = NULL, *p = line, *out;
	int argc = 0, cap = 0;

	for (;;) {
		char q = 0;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (argc + 2 > cap) {
			cap = cap ? cap * 2 : 8;
			char **nargv = realloc(argv, (size_t)cap * sizeof(*argv));
			if (nargv == NULL) {
				free(argv);
				return -1;
			}
			argv = nargv;
		}
		argv[argc++] = out = p;
		while (*p != '\0' && (q != 0 || !isspace((unsigned char)*p))) {
			if (q == 0 && (*p == '\'' || *p == '"'))
				q = *p++;
			else if (q != 0 && *p == q) {
				q = 0;
				p++;
			} else
				*out++ = *p++;
		}
		if (*p != '\0')
			p++;
		*out = '\0';
	}
	if (argv != NULL)
		argv[argc] = NULL;
	*argvp = argv;
	return argc;
}

/* The shell: one command per line until exit, quit or EOF. */
static int ctl_shell(struct ctl *c)
{
	bool tty = isatty(STDIN_FILENO);
	char *line = NULL;
	size_t cap = 0;
	int rc = CTL_EXIT_OK;

	c->interactive = true;
	for (;;) {
		char **argv = NULL;
		int argc;

		if (tty) {
			printf("taskvisor> ");
			fflush(stdout);
		}
		if (getline(&line, &cap, stdin) < 0) {
			if (tty)
				printf("\n");
			break;
		}
		argc = ctl_split(line, &argv);
		if (argc <= 0) {
			free(argv);
			continue;
		}
		if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "quit") == 0) {
			free(argv);
			break;
		}
		rc = ctl_run(c, argc, argv);
		free(argv);
	}
	free(line);
	return tty ? CTL_EXIT_OK : rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"configuration", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl c = {DEFAULT_CONF, NULL, NULL, false, false, CTL_DEFAULT_TIMEOUT};
	char *sock = NULL;
	bool conf_given = false;
	int ch, rc;

	xmalloc_json(); /* README "Errors" */
	/* '+': options end at the command word, so "tail -f NAME" keeps its -f. */
	while ((ch = getopt_long(argc, argv, "+c:s:jt:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			conf_given = true;
			break;
		case 's':
			c.socket_path = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't': {
			char *end;
			c.timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(c.timeout >= 0) || c.timeout > 86400) {
				fprintf(
				    stderr,
				    "taskvisorctl: --timeout: not a number of seconds (0-86400): \"%s\"\n",
				    optarg);
				return CTL_EXIT_BAD_ARGS;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return CTL_EXIT_BAD_ARGS;
		}
	}
	/* --json may also come after the command word ("status --json"). */
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	if (c.socket_path == NULL) {
		char err[1024] = "";

		/* No -c and no /etc/taskvisor/taskvisord.conf: the default socket, as the daemon's. */
		if (!conf_given && access(c.conf_path, F_OK) != 0 && errno == ENOENT)
			sock = xstrdup(PROTO_DEFAULT_SOCKET);
		else
			sock = conf_socket(c.conf_path, err, sizeof(err));
		if (sock == NULL) {
			fprintf(stderr, "taskvisorctl: %s\n", err[0] != '\0' ? err : "out of memory");
			return CTL_EXIT_BAD_ARGS;
		}
		if (err[0] != '\0')
			fprintf(stderr, "taskvisorctl: %s (using %s)\n", err, sock);
		c.socket_path = sock;
	}
	if (optind < argc)
		rc = ctl_run(&c, argc - optind, argv + optind);
	else
		rc = ctl_shell(&c);
	ctl_close(&c);
	free(sock);
	return rc;
}
