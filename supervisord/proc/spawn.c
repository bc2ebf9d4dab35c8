/*
 * spawn.c — command splitting, PATH search and fork/exec of a supervised child.
 *
 * The parent resolves everything that can fail in an interesting way (the
 * command file, the user, the environment) before fork, so that the child does
 * only simple system calls between fork and exec and reports a failure with a
 * line on its stderr and _exit(127), as supervisord's children do.
 *
 * The child is made the way posix_spawn() makes one: clone(CLONE_VM |
 * CLONE_VFORK) on a stack of its own, sharing the daemon's memory until exec.
 * A fork() would copy the daemon's page tables and then take a copy-on-write
 * fault for every page either side writes: on a virtual machine, where a page
 * fault costs tens of microseconds, that was most of a crash -> restart. The
 * price is discipline in the child: no malloc, no stdio, no glibc wrapper that
 * keeps process-wide state (the set*id calls are raw system calls), and it
 * writes nothing of the parent's but errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

/* The child's stack (it runs on it until exec). Its deepest use is the snprintf of a
 * failure message. */
#define SPAWN_STACK_SIZE (32 * 1024)

/* AddressSanitizer keeps per-thread state that a CLONE_VM child would share with the
 * daemon: sanitizer builds fork as before. */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_USE_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_USE_FORK 1
#endif
#endif

void spawn_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

/* Append one finished word to the growing argv. */
static int spawn_push(char ***argv, int *argc, int *cap, const char *w, size_t len)
{
	if (*argc + 2 > *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		char **n = realloc(*argv, (size_t)ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		*argv = n;
		*cap = ncap;
	}
	char *s = strndup(w, len);
	if (s == NULL)
		return -1;
	(*argv)[(*argc)++] = s;
	(*argv)[*argc] = NULL;
	return 0;
}

int spawn_split(const char *cmd, char ***argvp, char *err, size_t errlen)
{
	char **argv = NULL;
	int argc = 0, cap = 0;
	size_t n = strlen(cmd);
	char *word = malloc(n + 1);
	if (word == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t wl = 0;
	bool inword = false;
	const char *s = cmd;

	while (*s != '\0') {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (inword && spawn_push(&argv, &argc, &cap, word, wl) < 0)
				goto oom;
			inword = false;
			wl = 0;
			s++;
		} else if (c == '\'') {
			inword = true;
			const char *e = strchr(s + 1, '\'');
			if (e == NULL)
				goto unclosed;
			memcpy(word + wl, s + 1, (size_t)(e - s - 1));
			wl += (size_t)(e - s - 1);
			s = e + 1;
		} else if (c == '"') {
			inword = true;
			s++;
			while (*s != '"') {
				if (*s == '\0')
					goto unclosed;
				/* shlex: inside "..." a backslash escapes only '"' and '\'. */
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				word[wl++] = *s++;
			}
			s++;
		} else if (c == '\\') {
			inword = true;
			if (s[1] == '\0') {
				snprintf(err, errlen, "No escaped character");
				goto fail;
			}
			word[wl++] = s[1];
			s += 2;
		} else {
			inword = true;
			word[wl++] = c;
			s++;
		}
	}
	if (inword && spawn_push(&argv, &argc, &cap, word, wl) < 0)
		goto oom;
	free(word);
	if (argc == 0) {
		snprintf(err, errlen, "command is empty");
		spawn_argv_free(argv);
		return -1;
	}
	*argvp = argv;
	return argc;
unclosed:
	snprintf(err, errlen, "No closing quotation");
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(word);
	spawn_argv_free(argv);
	return -1;
}

/* supervisord's checks on a candidate file: exists, not a directory, executable. */
static int spawn_check_file(const char *path, const char *shown, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "can't find command '%s'", shown);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "command at '%s' is a directory", path);
		return -1;
	}
	if (access(path, X_OK) < 0) {
		snprintf(err, errlen, "command at '%s' is not executable", path);
		return -1;
	}
	return 0;
}

char *spawn_which(const char *argv0, const char *pathenv, char *err, size_t errlen)
{
	if (strchr(argv0, '/') != NULL) {
		if (spawn_check_file(argv0, argv0, err, errlen) < 0)
			return NULL;
		return strdup(argv0);
	}
	if (pathenv == NULL)
		pathenv = "/usr/local/bin:/usr/bin:/bin";
	const char *d = pathenv;
	while (1) {
		const char *e = strchr(d, ':');
		size_t dl = e ? (size_t)(e - d) : strlen(d);
		size_t need = dl + 1 + strlen(argv0) + 1;
		char *cand = malloc(need);
		if (cand == NULL)
			break;
		snprintf(cand, need, "%.*s/%s", (int)dl, dl ? d : ".", argv0);
		if (dl == 0)
			snprintf(cand, need, "./%s", argv0);
		struct stat st;
		if (stat(cand, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(cand, X_OK) == 0)
				return cand;
			snprintf(err, errlen, "command at '%s' is not executable", cand);
			free(cand);
			return NULL;
		}
		free(cand);
		if (e == NULL)
			break;
		d = e + 1;
	}
	snprintf(err, errlen, "can't find command '%s'", argv0);
	return NULL;
}

/* Child side: say why and leave with supervisord's exec-failure status. */
static void __attribute__((noreturn)) spawn_child_fail(const char *what, const char *arg, int e)
{
	char buf[512];
	const char *why = strerrordesc_np(e); /* strerror() may translate: locale state */
	int n = snprintf(buf, sizeof(buf), "taskvisord: %s %s: %s\n", what, arg ? arg : "",
			 why ? why : "unknown error");
	if (n > 0) {
		ssize_t w = write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		(void)w;
	}
	_exit(127);
}

/* Child side: write a short text to a file (oom_score_adj, cgroup.procs). */
static int spawn_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return w < 0 ? -1 : 0;
}

static void __attribute__((noreturn)) spawn_child(const struct spawn_req *r, pid_t parent)
{
	/* Signals: default dispositions, then an empty mask (the parent blocked all). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	setpgid(0, 0);

	/* The pipe ends first move above 2 (a daemon started with 0-2 closed may hold them there), so
	 * that no dup2 below overwrites another's source and each clears close-on-exec. */
	int src[3] = {r->stdin_fd, r->stdout_fd, r->stderr_fd};
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && src[i] <= 2 && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
			spawn_child_fail("dup", "stdio", errno);
	if (src[0] >= 0) {
		if (dup2(src[0], 0) < 0)
			spawn_child_fail("dup2", "stdin", errno);
	} else {
		int nul = open("/dev/null", O_RDONLY);
		if (nul < 0)
			spawn_child_fail("open", "/dev/null", errno);
		if (nul != 0) {
			dup2(nul, 0);
			close(nul);
		}
	}
	if (src[1] >= 0 && dup2(src[1], 1) < 0)
		spawn_child_fail("dup2", "stdout", errno);
	if (src[2] >= 0 && dup2(src[2], 2) < 0)
		spawn_child_fail("dup2", "stderr", errno);
	if (close_range(3, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}

	if (r->cgroup_procs != NULL && spawn_write_file(r->cgroup_procs, "0") < 0)
		spawn_child_fail("join cgroup", r->cgroup_procs, errno);
	if (r->oom_score_adj != CONF_NO_VALUE) {
		char v[32];
		snprintf(v, sizeof(v), "%d", r->oom_score_adj);
		if (spawn_write_file("/proc/self/oom_score_adj", v) < 0)
			spawn_child_fail("write", "/proc/self/oom_score_adj", errno);
	}
	for (size_t i = 0; i < r->nrlimits; i++) {
		struct rlimit rl = {r->rlimits[i].soft, r->rlimits[i].hard};
		if (setrlimit(r->rlimits[i].resource, &rl) < 0)
			spawn_child_fail("setrlimit", "", errno);
	}
	/* Raw system calls: glibc's wrappers would apply them to every thread of the daemon,
	 * whose thread list this child shares. */
	if (r->set_user) {
		if (syscall(SYS_setgroups, r->ngroups, r->groups) < 0)
			spawn_child_fail("setgroups", "", errno);
		if (syscall(SYS_setgid, r->gid) < 0)
			spawn_child_fail("setgid", "", errno);
		if (syscall(SYS_setuid, r->uid) < 0)
			spawn_child_fail("setuid", "", errno);
	}
	/* As supervisord: the directory is entered as the program's user. */
	if (r->directory != NULL && chdir(r->directory) < 0)
		spawn_child_fail("couldn't chdir to", r->directory, errno);
	if (r->umask >= 0)
		umask((mode_t)r->umask);
	/* Die with the daemon; if it already died between fork and here, go now. This comes
	 * after setuid/setgid, which clear the parent-death signal. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	execve(r->path, r->argv, r->envp);
	spawn_child_fail("couldn't exec", r->path, errno);
}

#ifndef SPAWN_USE_FORK
struct spawn_arg {
	const struct spawn_req *r;
	pid_t parent;
};

static int spawn_child_main(void *arg)
{
	const struct spawn_arg *a = arg;
	spawn_child(a->r, a->parent);
}
#endif

pid_t spawn_fork(const struct spawn_req *r, char *err, size_t errlen)
{
	sigset_t all, old;
	pid_t parent = getpid();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
#ifdef SPAWN_USE_FORK
	pid_t pid = fork();
	if (pid == 0)
		spawn_child(r, parent);
	int e = errno;
	if (pid > 0)
		setpgid(pid, pid); /* also from the parent: no window where a group kill misses it */
#else
	/* The daemon is suspended until the child has exec'd (or exited), so the child is
	 * already the leader of its own group when we go on. */
	_Alignas(16) char stack[SPAWN_STACK_SIZE];
	struct spawn_arg a = {r, parent};
	pid_t pid = clone(spawn_child_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	int e = errno;
#endif
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(e));
		errno = e;
	}
	return pid;
}
