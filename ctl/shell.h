/*
 * shell.h — taskvisorctl's interactive shell (ctl/shell.c): supervisorctl's,
 * with libedit on a terminal.
 */
#ifndef TV_SHELL_H
#define TV_SHELL_H

#include <stddef.h>

#include "ctl.h"

/* Lines kept in ~/.taskvisorctl_history. */
#define SHELL_HISTORY_MAX 1000

/* Print the status, then run command lines from stdin until quit, exit or EOF. Exit status: 0 on
 * a terminal (as supervisorctl), else the last command's. */
int shell_run(struct ctl *c);

/*
 * What completes the word that ends at point in line: command names for the first word; for a
 * family (task, recurring, check) the subcommands its usage lists; for a command taking
 * NAME/GROUP the given programs (NULL-terminated: "web", "grp:web", "grp:*", "all"); for help
 * the command names. Only those starting with the word's text. A NULL-terminated malloc'd array
 * of malloc'd strings (empty when none).
 */
char **shell_complete(const char *line, size_t point, const char *const *programs);

#endif
