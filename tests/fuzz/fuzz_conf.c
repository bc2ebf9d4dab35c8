/*
 * fuzz_conf.c — libFuzzer target for the whole configuration loader:
 * conf_load() (lib/conf.c, conf_program.c, conf_task.c) through the long-line
 * layer (lib/ini_long.c) and inih, expansion (lib/expand.c), units and cron.
 *
 * The input up to its first NUL byte is written as DIR/taskvisord.conf, the
 * rest (after the NUL) as DIR/conf.d/a.conf, DIR being a private temporary
 * directory made once per process (in /dev/shm when it can, else /tmp); then conf_load(DIR/taskvisord.conf)
 * runs and its result is freed (LeakSanitizer checks every iteration). Seeds reach the second file with an
 * [include] of conf.d/ (files = conf.d/a.conf) or "environment_file = conf.d/a.conf".
 *
 * Nothing outside DIR is read: the fuzzer is linked with -Wl,--wrap=glob
 * -Wl,--wrap=fopen (see the Makefile), and while conf_load() runs a pattern or
 * file whose resolved path is not inside DIR finds nothing (GLOB_NOMATCH /
 * ENOENT). The environment is emptied but for HOME=DIR, TZ and FUZZ=1 so that
 * %(ENV_X)s expands the same way everywhere. Per call the loader does uname(),
 * realpath() and glob() — the target's speed is mostly those and the two file
 * writes.
 *
 * Checks: a refused file leaves a message "PATH[:LINE]: ..." naming one of
 * the two files; an accepted one has every program expanded into numprocs
 * named processes with a fingerprint. Built and run by `make fuzz`.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g);
int __wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

static char fuzz_dir[PATH_MAX];	 /* the private directory, resolved */
static char fuzz_main[PATH_MAX]; /* DIR/taskvisord.conf */
static char fuzz_inc[PATH_MAX];	 /* DIR/conf.d/a.conf */
static bool fuzz_confined;	 /* inside conf_load() */

static void fuzz_die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_conf: %s\n  %s\n", what, detail != NULL ? detail : "");
	abort();
}

/* Is path (resolved) DIR or inside it? */
static bool fuzz_inside(const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(fuzz_dir);

	if (realpath(path, real) == NULL)
		return false;
	return strncmp(real, fuzz_dir, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

int __wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
	size_t n = strlen(fuzz_dir);
	int rc;

	if (!fuzz_confined)
		return __real_glob(pattern, flags, errfunc, g);
	/* only patterns spelled inside DIR, without climbing out of it */
	if (strncmp(pattern, fuzz_dir, n) != 0 || pattern[n] != '/' || strstr(pattern, "..") != NULL) {
		memset(g, 0, sizeof(*g));
		return GLOB_NOMATCH;
	}
	rc = __real_glob(pattern, flags, errfunc, g);
	if (rc == 0)
		for (size_t i = 0; i < g->gl_pathc; i++)
			if (!fuzz_inside(g->gl_pathv[i]))
				fuzz_die("glob matched outside the directory", g->gl_pathv[i]);
	return rc;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	struct stat st;

	if (!fuzz_confined)
		return __real_fopen(path, mode);
	if (strcmp(mode, "r") != 0)
		fuzz_die("the loader opened a file for writing", path);
	/* regular files inside DIR only (DIR/conf.d itself would be a directory) */
	if (!fuzz_inside(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		errno = ENOENT;
		return NULL;
	}
	return __real_fopen(path, mode);
}

/* Remove DIR at exit (libFuzzer exits with exit() after -runs; a crash leaves it). */
static void fuzz_cleanup(void)
{
	char sub[PATH_MAX + 16];

	unlink(fuzz_main);
	unlink(fuzz_inc);
	snprintf(sub, sizeof(sub), "%s/conf.d", fuzz_dir);
	rmdir(sub);
	rmdir(fuzz_dir);
}

static void fuzz_setup(void)
{
	/* tmpfs when there is one: on ext4 each rewrite of a truncated file is flushed to disk at
	 * close (auto_da_alloc), which made this target I/O bound */
	char tmpl[] = "/dev/shm/fuzz_conf.XXXXXX", tmpl2[] = "/tmp/fuzz_conf.XXXXXX", sub[PATH_MAX + 16];
	char *t = mkdtemp(tmpl) != NULL ? tmpl : mkdtemp(tmpl2);

	if (t == NULL || realpath(t, fuzz_dir) == NULL)
		fuzz_die("cannot make a temporary directory", strerror(errno));
	snprintf(fuzz_main, sizeof(fuzz_main), "%s/taskvisord.conf", fuzz_dir);
	snprintf(sub, sizeof(sub), "%s/conf.d", fuzz_dir);
	if (mkdir(sub, 0700) != 0)
		fuzz_die("cannot make conf.d", strerror(errno));
	snprintf(fuzz_inc, sizeof(fuzz_inc), "%s/conf.d/a.conf", fuzz_dir);
	clearenv();
	setenv("HOME", fuzz_dir, 1);
	setenv("TZ", "Europe/Berlin", 1);
	setenv("FUZZ", "1", 1);
	tzset();
	atexit(fuzz_cleanup);
}

static void fuzz_write(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		fuzz_die("cannot write", path);
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			fuzz_die("cannot write", path);
		p += w;
		n -= (size_t)w;
	}
	close(fd);
}

static void fuzz_check(const struct conf *c)
{
	for (size_t i = 0; i < c->nprograms; i++) {
		const struct conf_program *p = &c->programs[i];
		if (p->name == NULL || p->command == NULL || p->nprocs != (size_t)p->numprocs)
			fuzz_die("a program without name/command or with nprocs != numprocs", p->name);
		for (size_t k = 0; k < p->nprocs; k++)
			if (p->procs[k].name == NULL || p->procs[k].command == NULL ||
			    p->procs[k].fingerprint == NULL)
				fuzz_die("a process without name, command or fingerprint", p->name);
	}
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i].label == NULL || c->tasks[i].nsteps == 0)
			fuzz_die("a task type without label or steps", c->tasks[i].label);
	for (size_t i = 0; i < c->nwarnings; i++)
		if (c->warnings[i] == NULL)
			fuzz_die("nwarnings counts a NULL", NULL);
	if (c->warnings[c->nwarnings] != NULL)
		fuzz_die("warnings not NULL-terminated", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	size_t main_len;
	struct conf *c;
	char err[2048];

	if (fuzz_dir[0] == '\0')
		fuzz_setup();
	if (size > 16384)
		return 0;
	nul = memchr(data, '\0', size);
	main_len = nul != NULL ? (size_t)(nul - data) : size;
	fuzz_write(fuzz_main, data, main_len);
	fuzz_write(fuzz_inc, nul != NULL ? nul + 1 : data, nul != NULL ? size - main_len - 1 : 0);

	err[0] = '\0';
	fuzz_confined = true;
	c = conf_load(fuzz_main, err, sizeof(err));
	fuzz_confined = false;
	if (c == NULL) {
		size_t n = strlen(fuzz_dir);
		if (strncmp(err, fuzz_dir, n) != 0 || strstr(err, ": ") == NULL)
			fuzz_die("a refusal without \"FILE[:LINE]: message\"", err);
		return 0;
	}
	fuzz_check(c);
	conf_free(c);
	return 0;
}
