/*
 * spawn.h — turning a command line into a running child: supervisord's
 * command splitting, the PATH search, and the fork/exec with every piece of
 * child hygiene (signals, process group, parent-death signal, descriptors,
 * user, directory, umask, rlimits, oom_score_adj, cgroup).
 *
 * Nothing here knows about states or timers (that is proc.c); nothing here
 * exits the daemon. The child side only ever calls _exit().
 */
#ifndef TV_SPAWN_H
#define TV_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* Split cmd like supervisord (Python shlex, POSIX mode: '...' and "..." quoting,
 * backslash escapes, '#' comments at a word start; no shell). Returns argc and a
 * NULL-terminated malloc'd argv, or -1 with the reason in err. */
int spawn_split(const char *cmd, char ***argv, char *err, size_t errlen);
void spawn_argv_free(char **argv);

/* The program file to exec for argv0: as is when it holds a '/', else searched in
 * pathenv (the PATH the child will have). NULL with supervisord's message
 * ("can't find command 'x'", "command at 'x' is not executable") in err. */
char *spawn_which(const char *argv0, const char *pathenv, char *err, size_t errlen);

/* Everything the child needs, resolved in the parent before fork. */
struct spawn_req {
	const char *path; /* the file to exec */
	char *const *argv;
	char *const *envp;
	const char *directory; /* NULL: stay */
	int umask;	       /* -1: inherit */
	bool set_user;	       /* switch to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	int oom_score_adj; /* CONF_NO_VALUE: leave */
	const struct conf_rlimit *rlimits;
	size_t nrlimits;
	int stdin_fd;  /* the child's 0: a pipe's read end, or an [fcgi-program:x]'s socket; -1: /dev/null */
	int stdout_fd; /* write ends for the child's 1 and 2 */
	int stderr_fd;
	const char *cgroup_procs; /* "…/cgroup.procs" the child joins before exec, or NULL */
};

/* Fork and exec. The child leads its own process group (pgid = pid). Returns the
 * pid, or -1 with the reason in err and errno set. Exec failures are reported by the child on
 * its stderr and exit status 127. */
pid_t spawn_fork(const struct spawn_req *r, char *err, size_t errlen);

/* spawn_fork's type, for a replacement that injects failures (errno set when it fails). */
typedef pid_t spawn_fn(const struct spawn_req *r, char *err, size_t errlen);

#endif
