/*
 * main.c — taskvisorctl: options, where the daemon's socket is, then one
 * command from the tables (ctl.h) or, without a command, the shell
 * (ctl/shell.c: status first, then command lines from stdin).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "paths.h"
#include "proto.h"
#include "shell.h"
#include "xmalloc.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: taskvisorctl [-c CONFIG | -s unix:///SOCKET] [--json] [--timeout SECS] [COMMAND "
		"[ARGS...]]\n"
		"  -c, --configuration FILE  the daemon's configuration (default %s)\n"
		"  -s, --serverurl URL       the daemon's socket: unix:///PATH or PATH (default: the\n"
		"                            [unix_http_server] file of CONFIG, else " PROTO_DEFAULT_SOCKET
		")\n"
		"  -j, --json                print the daemon's JSON replies\n"
		"  -t, --timeout SECS        give up when the daemon does not answer within SECS\n"
		"                            (default 30; 0 = never). Commands that wait for\n"
		"                            something (start, stop, restart, update, tail -f,\n"
		"                            task wait, task submit --wait, task cleanup) only\n"
		"                            need the daemon to answer within SECS, then wait\n"
		"                            as long as it takes\n"
		"  -h, --help                print this help\n"
		"Without a command: the status, then commands from stdin (a shell on a terminal).\n"
		"Commands: taskvisorctl help\n",
		paths_conf());
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"configuration", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"serverurl", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl c = {.conf_path = paths_conf(), .timeout = CTL_DEFAULT_TIMEOUT};
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
		case 's': /* supervisorctl's -s unix:///path, or the path */
			if (ctl_set_socket(&c, optarg) < 0)
				return CTL_EXIT_BAD_ARGS;
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

		/* No -c and no SYSCONFDIR/taskvisor/taskvisord.conf: the default socket, as the daemon's. */
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
		rc = shell_run(&c);
	ctl_free(&c);
	free(sock);
	return rc;
}
