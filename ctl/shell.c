/*
 * shell.c — taskvisorctl without a command: supervisorctl's shell. The
 * status is printed on entry; then one command line at a time until quit,
 * exit or EOF. On a terminal lines are read with libedit (line editing, a
 * bounded history in ~/.taskvisorctl_history, completion of command names,
 * of a family's subcommands and of program names asked from the running
 * daemon); from a pipe they are read as they come, without a prompt.
 *
 * shell_complete() decides what completes (no libedit, no daemon: unit
 * tested); the rest is libedit's readline interface around it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "ctl.h"
#include "proto.h"
#include "shell.h"
#include "taskvisor.h"
#include "xmalloc.h"

#define SHELL_PROMPT "taskvisor> "

/*
 * libedit's readline interface calls the completion functions with no pointer of ours, so what they
 * need lives here, for the one shell of the process (STYLE.md 9 wants none: this is why).
 * The daemon's process names for completion (fullnames, "GROUP:*", "all"); asked once per line.
 */
static char **shell_programs;
static bool shell_programs_asked;
static struct ctl *shell_ctl;
static char **shell_matches; /* the current completion's candidates */

static void shell_strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Append s (copied) to the NULL-terminated *v unless present. */
static void shell_strv_add(char ***v, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && strncmp((*v)[i], s, len) == 0)
			return;
	*v = xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
	(*v)[*n] = NULL;
}

/* The lowercase subcommands a usage line lists after the command word ("task submit|list|show
 * ID ..." -> submit, list, show), added to *v; false when it lists none (NAME, [..] ...). */
static bool shell_usage_subcommands(const char *usage, char ***v, size_t *n)
{
	const char *p = strchr(usage, ' '), *end;
	char **found = NULL;
	size_t nfound = 0;

	if (p == NULL)
		return false;
	p++;
	end = p + strcspn(p, "[.");
	while (p < end) {
		size_t len = 0;

		while (p + len < end && (islower((unsigned char)p[len]) || p[len] == '-'))
			len++;
		if (len == 0 || (p + len < end && p[len] != '|' && p[len] != ' ')) {
			shell_strv_free(found);
			return false;
		}
		shell_strv_add(&found, &nfound, p, len);
		p = memchr(p, '|', (size_t)(end - p));
		if (p == NULL)
			break;
		p++;
	}
	for (size_t i = 0; i < nfound; i++)
		shell_strv_add(v, n, found[i], strlen(found[i]));
	shell_strv_free(found);
	return nfound > 0;
}

char **shell_complete(const char *line, size_t point, const char *const *programs)
{
	char **out = NULL, **cands = NULL, **words = NULL;
	size_t nout = 0, ncands = 0, wstart = point;
	char *before;
	int nwords;

	while (wstart > 0 && !isspace((unsigned char)line[wstart - 1]))
		wstart--;
	before = xstrndup(line, wstart);
	nwords = ctl_split(before, &words);
	if (nwords <= 0) {
		for (size_t t = 0; ctl_tables[t] != NULL; t++)
			for (const struct ctl_cmd *cmd = ctl_tables[t]; cmd->name != NULL; cmd++)
				shell_strv_add(&cands, &ncands, cmd->name, strlen(cmd->name));
	} else {
		const struct ctl_cmd *cmd = ctl_cmd_exact(ctl_tables, words[0]);

		if (cmd == NULL)
			;
		else if (strcmp(cmd->name, "help") == 0) {
			if (nwords == 1)
				for (size_t t = 0; ctl_tables[t] != NULL; t++)
					for (const struct ctl_cmd *h = ctl_tables[t]; h->name != NULL; h++)
						shell_strv_add(&cands, &ncands, h->name, strlen(h->name));
		} else if (nwords == 1 && shell_usage_subcommands(cmd->usage, &cands, &ncands))
			;
		else if (strstr(cmd->usage, "NAME") != NULL || strstr(cmd->usage, "GROUP") != NULL)
			for (size_t i = 0; programs != NULL && programs[i] != NULL; i++)
				shell_strv_add(&cands, &ncands, programs[i], strlen(programs[i]));
	}
	for (size_t i = 0; i < ncands; i++)
		if (strncmp(cands[i], line + wstart, point - wstart) == 0)
			shell_strv_add(&out, &nout, cands[i], strlen(cands[i]));
	shell_strv_free(cands);
	free(words);
	free(before);
	if (out == NULL)
		out = xcalloc(1, sizeof(*out));
	return out;
}

/* Ask the daemon for its processes, quietly (completion must not print): names or NULL. */
static char **shell_ask_programs(struct ctl *c)
{
	char err[TV_ERR_LEN], **v = NULL;
	struct tv_client *tc = ctl_connect(c, err, sizeof(err));
	json_t *reply = NULL, *p;
	size_t i, n = 0;

	if (tc == NULL || tv_request(tc, MSG_STATUS, NULL, &reply) != 0) {
		json_decref(reply);
		return NULL;
	}
	json_array_foreach(json_object_get(reply, "processes"), i, p)
	{
		const char *name = json_string_value(json_object_get(p, "fullname"));
		const char *group = json_string_value(json_object_get(p, "group"));
		char buf[600];

		if (name != NULL)
			shell_strv_add(&v, &n, name, strlen(name));
		if (group != NULL && name != NULL && strchr(name, ':') != NULL) {
			snprintf(buf, sizeof(buf), "%s:*", group);
			shell_strv_add(&v, &n, buf, strlen(buf));
		}
	}
	shell_strv_add(&v, &n, "all", 3);
	json_decref(reply);
	return v;
}

static char *shell_rl_next(const char *text, int state)
{
	static size_t i;

	(void)text;
	if (state == 0)
		i = 0;
	if (shell_matches == NULL || shell_matches[i] == NULL)
		return NULL;
	return strdup(shell_matches[i++]);
}

static char **shell_rl_complete(const char *text, int start, int end)
{
	(void)start;
	rl_attempted_completion_over = 1; /* never file names */
	if (!shell_programs_asked) {
		shell_programs = shell_ask_programs(shell_ctl);
		shell_programs_asked = true;
	}
	shell_strv_free(shell_matches);
	shell_matches = shell_complete(rl_line_buffer, (size_t)end, (const char *const *)shell_programs);
	return rl_completion_matches(text, shell_rl_next);
}

/* ~/.taskvisorctl_history, or NULL without a home. */
static char *shell_history_path(void)
{
	const char *home = getenv("HOME");
	size_t n;
	char *p;

	if (home == NULL || home[0] == '\0')
		return NULL;
	n = strlen(home) + sizeof("/.taskvisorctl_history");
	p = xmalloc(n);
	snprintf(p, n, "%s/.taskvisorctl_history", home);
	return p;
}

/* The next line: libedit on a terminal (NULL at EOF), else getline without a prompt. */
static char *shell_read(bool tty, const char *hist)
{
	char *line = NULL;
	size_t cap = 0;

	if (tty) {
		line = readline(SHELL_PROMPT);
		if (line != NULL && line[strspn(line, " \t")] != '\0')
			add_history(line);
		if (line != NULL && hist != NULL)
			write_history(hist); /* now: a Ctrl-C in tail -f ends the process */
		return line;
	}
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	return line;
}

int shell_run(struct ctl *c)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	char *status[] = {"status", NULL}, *hist = NULL, *line;
	int rc = CTL_EXIT_OK;

	c->interactive = true;
	if (tty) {
		shell_ctl = c;
		rl_readline_name = "taskvisorctl";
		rl_attempted_completion_function = shell_rl_complete;
		rl_completer_word_break_characters = " \t";
		hist = shell_history_path();
		stifle_history(SHELL_HISTORY_MAX);
		if (hist != NULL)
			read_history(hist);
	}
	ctl_run(c, 1, status); /* as supervisorctl: the status first */
	while (!c->quit && (line = shell_read(tty, hist)) != NULL) {
		char **argv = NULL;
		int argc = ctl_split(line, &argv);

		shell_programs_asked = false; /* names may have changed: ask again on the next Tab */
		shell_strv_free(shell_programs);
		shell_programs = NULL;
		if (argc > 0) {
			int r = ctl_run(c, argc, argv);
			if (!c->quit)
				rc = r; /* from a pipe: the last command's status */
		}
		free(argv);
		free(line);
	}
	if (tty) {
		if (!c->quit)
			printf("\n");
		if (hist != NULL) {
			write_history(hist);
			history_truncate_file(hist, SHELL_HISTORY_MAX);
		}
		free(hist);
		shell_strv_free(shell_matches);
		shell_matches = NULL;
	}
	shell_strv_free(shell_programs);
	shell_programs = NULL;
	return tty ? CTL_EXIT_OK : rc;
}
