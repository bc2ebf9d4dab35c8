/*
 * cmd_bundle.c — `taskvisorctl debug-bundle [--file F] [--since 2d]`: one
 * .tar.gz with what a bug report needs (Katello's foreman-debug, sosreport).
 *
 * Everything comes through the daemon's socket, so a read-only user may run
 * it and gets nothing a read-only user could not already read: the
 * configuration in use with its secrets masked by the daemon (MSG_DEBUG_INFO,
 * lib/confmask.h), the store's schema and integrity, versions, cgroup mode
 * and limits; and the output of ordinary commands run in-process with stdout
 * and stderr going to a file each (status, ping, check, worker/queue/recurring
 * list, maintail, every program's log tails, the tasks that did not succeed in
 * the window as `task list` and `task export --format json`). What cannot be
 * had (the daemon down, a command refused) is written down in MANIFEST, never
 * fatal: the bundle is made with whatever was collected. The files are put
 * in a private temporary directory and packed by tar(1) (no new library).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"
#include "when.h"

#define BUNDLE_LOG_BYTES "-1048576" /* the daemon's log: its last MiB */
#define BUNDLE_TAIL_BYTES "-65536"  /* each program's stdout and stderr */
#define BUNDLE_LIST_LIMIT "1000"    /* tasks listed (the export has them all) */

struct bundle {
	struct ctl *c;
	char dir[PATH_MAX];	   /* the temporary directory */
	char root[PATH_MAX + 160]; /* dir/NAME: what goes in the archive */
	char name[128];		   /* taskvisor-debug-HOST-YYYYmmdd-HHMMSS */
	FILE *manifest;		   /* root/MANIFEST */
	int nfiles, nmissing;	   /* collected, not collected */
};

/* Note one file in MANIFEST: what it holds, or why it is missing. */
static void bundle_note(struct bundle *b, const char *file, const char *what, const char *missing)
{
	if (missing != NULL) {
		b->nmissing++;
		fprintf(b->manifest, "%-36s NOT COLLECTED: %s\n", file, missing);
	} else {
		b->nfiles++;
		fprintf(b->manifest, "%-36s %s\n", file, what ? what : "");
	}
}

/* Write text to root/file (0600). */
static int bundle_write(struct bundle *b, const char *file, const char *text, size_t len)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->root, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/*
 * Run one taskvisorctl command line in this process with stdout and stderr going to root/file
 * (as `taskvisorctl ARGS >file 2>&1` would). Its exit status is appended to the file and kept in
 * MANIFEST: a command that failed still says why in its file.
 */
static void bundle_run(struct bundle *b, const char *file, const char *what, int argc, char **argv)
{
	char path[PATH_MAX * 2];
	int fd, out, err, rc;

	snprintf(path, sizeof(path), "%s/%s", b->root, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		bundle_note(b, file, what, strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	out = dup(STDOUT_FILENO);
	err = dup(STDERR_FILENO);
	if (out < 0 || err < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		bundle_note(b, file, what, strerror(errno));
		if (out >= 0)
			close(out);
		if (err >= 0)
			close(err);
		close(fd);
		return;
	}
	rc = ctl_run(b->c, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	close(out);
	close(err);
	dprintf(fd, "\n[taskvisorctl");
	for (int i = 0; i < argc; i++)
		dprintf(fd, " %s", argv[i]);
	dprintf(fd, ": exit status %d]\n", rc);
	close(fd);
	char note[512];
	snprintf(note, sizeof(note), "%s (exit status %d)", what, rc);
	bundle_note(b, file, note, NULL);
}

#define BUNDLE_RUN(b, file, what, ...)                                                                       \
	do {                                                                                                 \
		char *av_[] = {__VA_ARGS__, NULL};                                                           \
		bundle_run((b), (file), (what), (int)(sizeof(av_) / sizeof(av_[0])) - 1, av_);               \
	} while (0)

/* A path as one file name: "/etc/taskvisor/conf.d/a.conf" -> "etc_taskvisor_conf.d_a.conf". */
static void bundle_flat(const char *path, char *out, size_t len)
{
	size_t j = 0;

	while (*path == '/')
		path++;
	for (; *path != '\0' && j + 1 < len; path++)
		out[j++] = *path == '/' ? '_' : *path;
	out[j] = '\0';
}

/* This client's own limits, as ulimit -a would name them. */
static void bundle_limits(struct bundle *b, FILE *fp)
{
	static const struct {
		int res;
		const char *name;
	} lim[] = {{RLIMIT_NOFILE, "open files"},	 {RLIMIT_NPROC, "max user processes"},
		   {RLIMIT_CORE, "core file size"},	 {RLIMIT_AS, "virtual memory"},
		   {RLIMIT_DATA, "data seg size"},	 {RLIMIT_STACK, "stack size"},
		   {RLIMIT_MEMLOCK, "max locked memory"}};

	(void)b;
	fprintf(fp, "taskvisorctl's own limits (soft / hard):\n");
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl;
		char s[32], h[32];

		if (getrlimit(lim[i].res, &rl) != 0)
			continue;
		snprintf(s, sizeof(s), rl.rlim_cur == RLIM_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)rl.rlim_cur);
		snprintf(h, sizeof(h), rl.rlim_max == RLIM_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)rl.rlim_max);
		fprintf(fp, "  %-20s %s / %s\n", lim[i].name, s, h);
	}
}

/* What only the daemon knows: MSG_DEBUG_INFO into versions.txt, limits.txt, store.txt, config/. */
static void bundle_daemon_info(struct bundle *b)
{
	json_t *reply = NULL;
	char cerr[512] = "";
	int rc = ctl_connect(b->c, cerr, sizeof(cerr)) == NULL
		     ? -1
		     : ctl_request(b->c, MSG_DEBUG_INFO, NULL, &reply);
	const char *why = rc < 0   ? (cerr[0] ? cerr : "the daemon could not be reached")
			  : rc > 0 ? ctl_error_text(reply)
				   : NULL;
	struct utsname u;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	/* versions.txt: this client, the daemon, SQLite, the kernel, cgroups */
	fp = open_memstream(&text, &len);
	if (fp != NULL) {
		fprintf(fp, "taskvisorctl %s (protocol %d)\n", TASKVISOR_VERSION, PROTO_VERSION);
		if (why == NULL) {
			json_t *st = json_object_get(reply, "store");
			fprintf(fp, "taskvisord %s, pid %lld, uptime %s\n",
				json_string_value(json_object_get(reply, "version")),
				(long long)json_integer_value(json_object_get(reply, "pid")),
				json_string_value(json_object_get(reply, "uptime")));
			fprintf(fp, "store engine: %s\n",
				json_string_value(json_object_get(st, "engine"))
				    ? json_string_value(json_object_get(st, "engine"))
				    : "(database not open)");
			fprintf(fp, "kernel (daemon's host): %s\n",
				json_string_value(json_object_get(reply, "kernel")));
			fprintf(fp, "memory cgroups: %s\n",
				json_string_value(json_object_get(reply, "cgroup")));
		} else
			fprintf(fp, "taskvisord: not asked (%s)\n", why);
		if (uname(&u) == 0)
			fprintf(fp, "kernel (this client): %s %s %s %s\n", u.sysname, u.release, u.version,
				u.machine);
		fclose(fp);
		bundle_note(b, "versions.txt", "versions of taskvisor, SQLite, the kernel; cgroup mode",
			    bundle_write(b, "versions.txt", text, len) == 0 ? NULL : strerror(errno));
		free(text);
	}

	/* limits.txt: the daemon's /proc/self/limits and this client's */
	text = NULL;
	fp = open_memstream(&text, &len);
	if (fp != NULL) {
		if (why == NULL)
			fprintf(fp, "taskvisord's limits (/proc/PID/limits):\n%s\n",
				json_string_value(json_object_get(reply, "limits")));
		bundle_limits(b, fp);
		fclose(fp);
		bundle_note(b, "limits.txt", "ulimits of the daemon and of this client",
			    bundle_write(b, "limits.txt", text, len) == 0 ? NULL : strerror(errno));
		free(text);
	}
	if (why != NULL) {
		bundle_note(b, "store.txt", NULL, why);
		bundle_note(b, "config/", NULL, why);
		json_decref(reply);
		return;
	}

	/* store.txt: schema version, sizes, integrity */
	json_t *st = json_object_get(reply, "store");
	text = NULL;
	fp = open_memstream(&text, &len);
	if (fp != NULL) {
		json_t *v;
		if ((v = json_object_get(st, "schema_version")) != NULL)
			fprintf(fp, "schema version: %lld\n", (long long)json_integer_value(v));
		if ((v = json_object_get(st, "bytes")) != NULL)
			fprintf(fp, "database file: %lld bytes\n", (long long)json_integer_value(v));
		if ((v = json_object_get(st, "wal_bytes")) != NULL)
			fprintf(fp, "write-ahead log: %lld bytes\n", (long long)json_integer_value(v));
		fprintf(fp, "integrity (quick_check): %s\n",
			json_string_value(json_object_get(st, "integrity")));
		fclose(fp);
		bundle_note(b, "store.txt", "the task database: schema version, sizes, integrity check",
			    bundle_write(b, "store.txt", text, len) == 0 ? NULL : strerror(errno));
		free(text);
	}

	/* config/: every file of the configuration in use, secrets masked by the daemon */
	char dir[PATH_MAX * 2];
	snprintf(dir, sizeof(dir), "%s/config", b->root);
	mkdir(dir, 0700);
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(reply, "config"), i, f)
	{
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *ctext = json_string_value(json_object_get(f, "text"));
		char flat[PATH_MAX], file[PATH_MAX + 16];

		if (path == NULL)
			continue;
		bundle_flat(path, flat, sizeof(flat));
		snprintf(file, sizeof(file), "config/%s", flat);
		if (ctext == NULL) {
			const char *e = json_string_value(json_object_get(f, "error"));
			bundle_note(b, file, NULL, e ? e : "not sent");
			continue;
		}
		char what[PATH_MAX + 64];
		snprintf(what, sizeof(what), "%s (secrets masked)", path);
		bundle_note(b, file, what,
			    bundle_write(b, file, ctext, strlen(ctext)) == 0 ? NULL : strerror(errno));
	}
	json_decref(reply);
}

/* Every program's stdout and stderr tails, the names from `status`. */
static void bundle_program_logs(struct bundle *b)
{
	json_t *reply = NULL, *p;
	size_t i;
	char dir[PATH_MAX * 2];

	if (ctl_request(b->c, MSG_STATUS, NULL, &reply) != 0) {
		bundle_note(b, "logs/PROGRAM.*", NULL, "status could not be asked");
		json_decref(reply);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/logs", b->root);
	mkdir(dir, 0700);
	json_array_foreach(json_object_get(reply, "processes"), i, p)
	{
		const char *full = json_string_value(json_object_get(p, "fullname"));
		char flat[300], file[2][340], what[2][400];

		if (full == NULL)
			continue;
		bundle_flat(full, flat, sizeof(flat));
		for (char *s = flat; *s; s++)
			if (*s == ':')
				*s = '_';
		snprintf(file[0], sizeof(file[0]), "logs/%s.stdout.log", flat);
		snprintf(file[1], sizeof(file[1]), "logs/%s.stderr.log", flat);
		snprintf(what[0], sizeof(what[0]), "%s: the last 64 KiB of stdout", full);
		snprintf(what[1], sizeof(what[1]), "%s: the last 64 KiB of stderr", full);
		BUNDLE_RUN(b, file[0], what[0], "tail", BUNDLE_TAIL_BYTES, (char *)full);
		BUNDLE_RUN(b, file[1], what[1], "tail", BUNDLE_TAIL_BYTES, (char *)full, "stderr");
	}
	json_decref(reply);
}

/* nftw callback: remove everything under the temporary directory. */
static int bundle_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path); /* best effort: go on past a file that cannot be removed */
	return 0;
}

/* tar -czf out -C dir name; 0 or -1 with the reason in why. */
static int bundle_tar(struct bundle *b, const char *out, char *why, size_t len)
{
	char *argv[] = {"tar", "-czf", (char *)out, "-C", b->dir, b->name, NULL};
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "cannot run tar: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp("tar", argv);
		fprintf(stderr, "debug-bundle: cannot run tar: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, len, "tar failed (status %d): see its message above",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

static int cmd_debug_bundle(struct ctl *c, int argc, char **argv)
{
	const char *file = NULL, *since = "2d";
	struct bundle b = {.c = c};
	struct when w;
	char host[64] = "host", stamp[32], out[PATH_MAX * 2 + 8], q[256], qlist[300], why[512];
	time_t now = time(NULL);
	struct tm tm;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else {
			fprintf(stderr, "debug-bundle: unknown argument \"%s\"\n", argv[i]);
			fprintf(stderr, "usage: debug-bundle [--file F] [--since 2d]\n");
			return CTL_EXIT_BAD_ARGS;
		}
	}
	if (when_parse(since, (int64_t)now * 1000, WHEN_AGE, &w) != 0 || w.start_ms > (int64_t)now * 1000) {
		fprintf(stderr, "debug-bundle: --since: not an age or a past time (2d, 12h, %s): \"%s\"\n",
			WHEN_FORMS, since);
		return CTL_EXIT_BAD_ARGS;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *s = host; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '_';
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(b.name, sizeof(b.name), "taskvisor-debug-%.40s-%s", host, stamp);
	if (file == NULL) {
		const char *tmp = getenv("TMPDIR");
		snprintf(out, sizeof(out), "%s/%s.tar.gz", tmp && *tmp ? tmp : "/tmp", b.name);
	} else if (file[0] == '/')
		snprintf(out, sizeof(out), "%s", file);
	else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			fprintf(stderr, "debug-bundle: the current directory: %s\n", strerror(errno));
			return CTL_EXIT_ERROR;
		}
		snprintf(out, sizeof(out), "%s/%s", cwd, file);
	}

	/* claim the name now (O_EXCL: never over an existing file, nor one made meanwhile); tar fills it */
	int ofd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (ofd < 0) {
		fprintf(stderr, "debug-bundle: %s: %s%s\n", out, strerror(errno),
			errno == EEXIST ? " (not overwritten; --file F names another)" : "");
		return CTL_EXIT_ERROR;
	}
	close(ofd);
	const char *tmp = getenv("TMPDIR");
	snprintf(b.dir, sizeof(b.dir), "%s/taskvisor-debug.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(b.dir) == NULL) {
		fprintf(stderr, "debug-bundle: cannot make a temporary directory in %s: %s\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		unlink(out);
		return CTL_EXIT_ERROR;
	}
	snprintf(b.root, sizeof(b.root), "%s/%s", b.dir, b.name);
	char mpath[PATH_MAX * 2];
	snprintf(mpath, sizeof(mpath), "%s/MANIFEST", b.root);
	if (mkdir(b.root, 0700) != 0 || (b.manifest = fopen(mpath, "w")) == NULL) {
		fprintf(stderr, "debug-bundle: %s: %s\n", b.root, strerror(errno));
		nftw(b.dir, bundle_rm, 16, FTW_DEPTH | FTW_PHYS);
		unlink(out);
		return CTL_EXIT_ERROR;
	}
	fprintf(b.manifest, "taskvisor debug bundle, made %s by taskvisorctl %s, window: since %s\n\n", stamp,
		TASKVISOR_VERSION, since);

	bundle_daemon_info(&b);
	BUNDLE_RUN(&b, "status.txt", "taskvisorctl status", "status");
	BUNDLE_RUN(&b, "ping.txt", "taskvisorctl ping", "ping");
	static const char *const checks[] = {"processes", "memory", "queue", "paused", "stuck"};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char f[64], what[96];
		snprintf(f, sizeof(f), "check-%s.txt", checks[i]);
		snprintf(what, sizeof(what), "taskvisorctl check %s", checks[i]);
		BUNDLE_RUN(&b, f, what, "check", (char *)checks[i]);
	}
	BUNDLE_RUN(&b, "worker-list.txt", "taskvisorctl worker list", "worker", "list");
	BUNDLE_RUN(&b, "queue-list.txt", "taskvisorctl queue list", "queue", "list");
	BUNDLE_RUN(&b, "recurring-list.txt", "taskvisorctl recurring list", "recurring", "list");
	BUNDLE_RUN(&b, "avail.txt", "taskvisorctl avail (the configuration on disk)", "avail");
	char logdir[PATH_MAX * 2];
	snprintf(logdir, sizeof(logdir), "%s/logs", b.root);
	mkdir(logdir, 0700);
	BUNDLE_RUN(&b, "logs/taskvisord.log", "the daemon's log: its last MiB", "maintail", BUNDLE_LOG_BYTES);
	bundle_program_logs(&b);

	/* the tasks that did not succeed in the window: paused ones, and stopped ones not successful */
	snprintf(q, sizeof(q),
		 "state = paused or (state = stopped and result != success and ended_at >= \"@%lld\")",
		 (long long)(w.start_ms / 1000));
	snprintf(qlist, sizeof(qlist), "%s", q);
	char expath[PATH_MAX * 2];
	snprintf(expath, sizeof(expath), "%s/tasks-unsuccessful.json", b.root);
	BUNDLE_RUN(&b, "tasks-unsuccessful.txt",
		   "tasks paused, or stopped without success in the window (list)", "task", "list",
		   "--search", qlist, "--limit", BUNDLE_LIST_LIMIT);
	BUNDLE_RUN(&b, "tasks-unsuccessful.log", "what `task export` said of tasks-unsuccessful.json", "task",
		   "export", "--search", q, "--format", "json", "--file", expath);
	struct stat xst;
	if (stat(expath, &xst) == 0 && xst.st_size > 0)
		bundle_note(&b, "tasks-unsuccessful.json", "the same tasks, exported in full (JSON)", NULL);
	else
		bundle_note(&b, "tasks-unsuccessful.json", NULL,
			    "task export wrote nothing (see tasks-unsuccessful.log)");
	fclose(b.manifest);
	FILE *mf = fopen(mpath, "r"); /* say what was collected */
	if (mf != NULL) {
		char line[1024];
		while (fgets(line, sizeof(line), mf) != NULL)
			fputs(line, stdout);
		fclose(mf);
		putchar('\n');
	}

	/* pack it: the archive is as private as the files */
	mode_t old = umask(077);
	int rc = bundle_tar(&b, out, why, sizeof(why));
	umask(old);
	nftw(b.dir, bundle_rm, 16, FTW_DEPTH | FTW_PHYS);
	if (rc != 0) {
		fprintf(stderr, "debug-bundle: %s: %s\n", out, why);
		unlink(out);
		return CTL_EXIT_ERROR;
	}
	struct stat st;
	if (stat(out, &st) != 0)
		st.st_size = 0;
	printf("debug bundle: %s (%lld bytes): %d files collected, %d not (see MANIFEST in it)\n", out,
	       (long long)st.st_size, b.nfiles, b.nmissing);
	printf("passwords and environment= values in the configuration are masked; the logs and task "
	       "data are as they are: read them before you send the file\n");
	return CTL_EXIT_OK;
}

const struct ctl_cmd bundle_cmds[] = {
    {"debug-bundle", NULL, "debug-bundle [--file F] [--since 2d]",
     "Collect configuration (secrets masked), logs, status, checks and failed tasks into one .tar.gz",
     cmd_debug_bundle},
    {NULL, NULL, NULL, NULL, NULL},
};
