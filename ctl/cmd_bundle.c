/*
 * cmd_bundle.c — `taskvisorctl debug-bundle [--file F] [--since 2d]`: one .tar.gz for a bug
 * report, as sosreport or Katello's foreman-debug make. Collected into a private temporary
 * directory (0700), then packed by the tar program into F, created 0600 and never over an
 * existing file:
 *
 *   MANIFEST.txt      what was collected, and what could not be and why
 *   config/           the main configuration and every file its [include] names, with passwords,
 *                     secrets, tokens and the values of environment= masked (bundle_mask_line)
 *   ctl/              the output of version, status, avail, ping, check processes|memory|queue|
 *                     paused|stuck, worker list, queue list: run here (ctl_run) into files
 *   logs/             the daemon's log (maintail) and each program's stdout and stderr (tail)
 *   tasks/            the tasks created within --since that did not succeed (task export, JSON)
 *   database.txt      the task database opened read-only: SQLite's version, the schema version,
 *                     PRAGMA quick_check (at most 60 s), size and journal mode
 *   system.txt        kernel, cgroup mode, this process's limits and the daemon's
 *
 * It makes only requests a read-only user may make and changes nothing, in the daemon or on
 * disk, but F. The database is read here, beside the daemon, so a long check never holds up
 * the daemon's loop; a user who may not read the file gets the reason in database.txt.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "proto.h"
#include "units.h"

#define BUNDLE_MAINTAIL_BYTES "-1048576" /* the daemon's log: last 1 MiB */
#define BUNDLE_TAIL_BYTES "-262144"	 /* each program's stream: last 256 KiB */
#define BUNDLE_CHECK_SECONDS 60		 /* PRAGMA quick_check stops after this */
#define BUNDLE_INCLUDE_DEPTH 4

struct bundle {
	struct ctl *c;
	char top[PATH_MAX];	   /* the temporary directory */
	char root[PATH_MAX + 320]; /* top/NAME: what the tarball holds */
	const char *name;	   /* taskvisor-debug-HOST-YYYYmmdd-HHMMSS */
	json_t *got;		   /* ["config/taskvisord.conf (2 values masked)", ...] */
	json_t *missed;		   /* ["database: ...: permission denied", ...] */
	json_t *confs;		   /* config files copied so far (paths), to copy each once */
	time_t started;
};

static void bundle_got(struct bundle *b, const char *rel, const char *note)
{
	char line[PATH_MAX + 128];

	snprintf(line, sizeof(line), "%s%s%s%s", rel, note[0] != '\0' ? " (" : "", note,
		 note[0] != '\0' ? ")" : "");
	json_array_append_new(b->got, json_string(line));
}

static void bundle_missed(struct bundle *b, const char *what, const char *why)
{
	char line[PATH_MAX + 512];

	snprintf(line, sizeof(line), "%s: %s", what, why);
	json_array_append_new(b->missed, json_string(line));
}

/* Create root/rel's directories and open root/rel for writing (0600). */
static FILE *bundle_open(struct bundle *b, const char *rel)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->root, rel);
	for (char *s = strchr(path + strlen(b->root) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			bundle_missed(b, rel, strerror(errno));
			return NULL;
		}
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		bundle_missed(b, rel, strerror(errno));
		return NULL;
	}
	return fdopen(fd, "w");
}

/* ---- commands run here, their output into files ---- */

/* Run one taskvisorctl command (ctl_run) with stdout and stderr going to root/rel. */
static void bundle_run(struct bundle *b, const char *rel, int argc, char **argv)
{
	FILE *fp = bundle_open(b, rel);
	int o1, o2, rc;
	char note[32];

	if (fp == NULL)
		return;
	fflush(stdout);
	fflush(stderr);
	o1 = dup(STDOUT_FILENO);
	o2 = dup(STDERR_FILENO);
	if (o1 < 0 || o2 < 0 || dup2(fileno(fp), STDOUT_FILENO) < 0 || dup2(fileno(fp), STDERR_FILENO) < 0) {
		bundle_missed(b, rel, strerror(errno));
		if (o1 >= 0)
			close(o1);
		if (o2 >= 0)
			close(o2);
		fclose(fp);
		return;
	}
	rc = ctl_run(b->c, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, STDOUT_FILENO);
	dup2(o2, STDERR_FILENO);
	close(o1);
	close(o2);
	fclose(fp);
	note[0] = '\0';
	if (rc != 0)
		snprintf(note, sizeof(note), "exit %d", rc);
	bundle_got(b, rel, note);
}

static void bundle_ctl(struct bundle *b)
{
	static const char *const checks[] = {"processes", "memory", "queue", "paused", "stuck"};
	char *v_version[] = {"version", NULL}, *v_status[] = {"status", NULL}, *v_avail[] = {"avail", NULL},
	     *v_ping[] = {"ping", NULL}, *v_workers[] = {"worker", "list", NULL},
	     *v_queues[] = {"queue", "list", NULL};
	char rel[64];

	bundle_run(b, "ctl/version.txt", 1, v_version);
	bundle_run(b, "ctl/status.txt", 1, v_status);
	bundle_run(b, "ctl/avail.txt", 1, v_avail);
	bundle_run(b, "ctl/ping.txt", 1, v_ping);
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char *argv[] = {"check", (char *)checks[i], NULL};

		snprintf(rel, sizeof(rel), "ctl/check-%s.txt", checks[i]);
		bundle_run(b, rel, 2, argv);
	}
	bundle_run(b, "ctl/worker-list.txt", 2, v_workers);
	bundle_run(b, "ctl/queue-list.txt", 2, v_queues);
}

/* The daemon's log and each process's stdout and stderr (names from MSG_STATUS). */
static void bundle_logs(struct bundle *b)
{
	char *v_main[] = {"maintail", BUNDLE_MAINTAIL_BYTES, NULL};
	json_t *reply = NULL, *p;
	size_t i;
	char rel[PATH_MAX];

	bundle_run(b, "logs/taskvisord.log", 2, v_main);
	if (ctl_request(b->c, MSG_STATUS, NULL, &reply) != 0) {
		bundle_missed(b, "logs of the programs",
			      reply != NULL ? ctl_error_text(reply) : "the daemon did not answer");
		json_decref(reply);
		return;
	}
	json_array_foreach(json_object_get(reply, "processes"), i, p)
	{
		const char *name = json_string_value(json_object_get(p, "fullname"));

		if (name == NULL || strchr(name, '/') != NULL || name[0] == '.')
			continue;
		for (int s = 0; s < 2; s++) {
			const char *stream = s == 0 ? "stdout" : "stderr";
			char *argv[] = {"tail", BUNDLE_TAIL_BYTES, (char *)name, (char *)stream, NULL};

			snprintf(rel, sizeof(rel), "logs/%s.%s.log", name, stream);
			bundle_run(b, rel, 4, argv);
		}
	}
	json_decref(reply);
}

/* The tasks created within since_s that did not succeed, as `task export --format json`. */
static void bundle_tasks(struct bundle *b, long long since_s)
{
	char search[128];
	char *argv[] = {"task", "export", "--format", "json", "--search", search, NULL};

	snprintf(search, sizeof(search), "result != success and created_at > %lldm", (since_s + 59) / 60);
	bundle_run(b, "tasks/not-succeeded.json", 6, argv);
}

/* ---- the configuration, masked ---- */

/* True for an option whose value is a secret: passwords, secrets, tokens, environment=. */
static bool bundle_secret_key(const char *key, size_t len)
{
	static const char *const words[] = {"password", "passwd",     "secret",
					    "token",	"credential", "environment"};
	char k[64];

	if (len >= sizeof(k))
		len = sizeof(k) - 1;
	for (size_t i = 0; i < len; i++)
		k[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] - 'A' + 'a' : key[i]);
	k[len] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(k, words[i]) != NULL)
			return true;
	return false;
}

/* KEY="v",KEY2=v2 as KEY=***,KEY2=*** (the names help, the values may be secrets). */
static void bundle_mask_env(const char *v, FILE *out)
{
	const char *p = v;
	bool first = true;

	while (*p != '\0' && *p != '\n') {
		const char *name;
		char quote = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0' || *p == '\n' || *p == ';')
			break;
		name = p;
		while (*p != '\0' && *p != '\n' && *p != '=' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		fprintf(out, "%s%.*s=***", first ? "" : ",", (int)(p - name), name);
		first = false;
		if (*p == '=')
			p++;
		for (; *p != '\0' && *p != '\n'; p++) {
			if (quote != 0) {
				if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
					p++;
				else if (*p == quote)
					quote = 0;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == ',') {
				break;
			}
		}
	}
}

enum bundle_mask { BUNDLE_MASK_NONE, BUNDLE_MASK_ALL, BUNDLE_MASK_ENV };

/*
 * Write one line of a configuration file, its value masked when it is a secret's. *masking
 * carries a masked option on to its continuation lines (lines that begin with a blank, as
 * inih reads them); a section header or another option ends it. Returns 1 when it masked.
 */
static int bundle_mask_line(const char *line, enum bundle_mask *masking, FILE *out)
{
	const char *p = line, *eq;
	size_t klen;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\n' || *p == ';' || *p == '#') {
		fputs(line, out);
		return 0;
	}
	if (p != line && *masking != BUNDLE_MASK_NONE) { /* a continuation of a masked value */
		fprintf(out, "%.*s", (int)(p - line), line);
		if (*masking == BUNDLE_MASK_ENV)
			bundle_mask_env(p, out);
		else
			fputs("********", out);
		fputc('\n', out);
		return 1;
	}
	*masking = BUNDLE_MASK_NONE;
	eq = strpbrk(p, "=:");
	if (*p == '[' || eq == NULL) {
		fputs(line, out);
		return 0;
	}
	klen = (size_t)(eq - p);
	while (klen > 0 && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
		klen--;
	if (!bundle_secret_key(p, klen)) {
		fputs(line, out);
		return 0;
	}
	*masking = BUNDLE_MASK_ALL;
	fprintf(out, "%.*s= ", (int)(eq - line), line);
	if (klen >= 11 && strncasecmp(p + klen - 11, "environment", 11) == 0) {
		*masking = BUNDLE_MASK_ENV;
		bundle_mask_env(eq + 1, out);
		fputc('\n', out);
	} else {
		fputs("********\n", out);
	}
	return 1;
}

static void bundle_conf_file(struct bundle *b, const char *path, const char *base, int depth);

/* The files an [include] files= value names (globs relative to dir), each copied in turn. */
static void bundle_conf_include(struct bundle *b, const char *value, const char *dir, const char *base,
				int depth)
{
	char *v = strdup(value), *save = NULL;

	if (v == NULL)
		return;
	for (char *w = strtok_r(v, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save)) {
		char pat[PATH_MAX * 2];
		glob_t g;

		if (w[0] == ';')
			break;
		if (strncmp(w, "%(here)s/", 9) == 0)
			w += 9;
		snprintf(pat, sizeof(pat), "%s%s%s", w[0] == '/' ? "" : dir, w[0] == '/' ? "" : "/", w);
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++)
			bundle_conf_file(b, g.gl_pathv[i], base, depth + 1);
		globfree(&g);
	}
	free(v);
}

/* Copy path into config/ masked (as its path under base, the main file's directory), then
 * whatever its [include] section names. */
static void bundle_conf_file(struct bundle *b, const char *path, const char *base, int depth)
{
	char real[PATH_MAX], rel[PATH_MAX + 16], dir[PATH_MAX], *line = NULL, *inc = NULL;
	size_t cap = 0, blen = strlen(base), inclen = 0;
	enum bundle_mask masking = BUNDLE_MASK_NONE;
	bool in_include = false;
	int masked = 0;
	json_t *v;
	size_t i;
	FILE *in, *out;

	if (depth > BUNDLE_INCLUDE_DEPTH || realpath(path, real) == NULL)
		return;
	json_array_foreach(b->confs, i, v)
	{
		if (strcmp(json_string_value(v), real) == 0)
			return;
	}
	json_array_append_new(b->confs, json_string(real));
	if (strncmp(real, base, blen) == 0 && real[blen] == '/')
		snprintf(rel, sizeof(rel), "config/%s", real + blen + 1);
	else
		snprintf(rel, sizeof(rel), "config/other%s", real);
	in = fopen(real, "r");
	if (in == NULL) {
		bundle_missed(b, real, strerror(errno));
		return;
	}
	out = bundle_open(b, rel);
	if (out == NULL) {
		fclose(in);
		return;
	}
	while (getline(&line, &cap, in) > 0) {
		const char *p = line;

		masked += bundle_mask_line(line, &masking, out);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			in_include = strncasecmp(p, "[include]", 9) == 0;
		} else if (in_include) { /* files = a b, or its continuation lines */
			const char *val = p;

			if (p == line) {
				const char *eq = strpbrk(p, "=:");

				if (strncasecmp(p, "files", 5) != 0 || eq == NULL)
					continue;
				val = eq + 1;
			}
			char *n = realloc(inc, inclen + strlen(val) + 2);
			if (n == NULL)
				continue;
			inc = n;
			snprintf(inc + inclen, strlen(val) + 2, " %s", val);
			inclen += strlen(val) + 1;
		}
	}
	free(line);
	fclose(in);
	fclose(out);
	{
		char note[64] = "";

		if (masked > 0)
			snprintf(note, sizeof(note), "%d value%s masked", masked, masked == 1 ? "" : "s");
		bundle_got(b, rel, note);
	}
	if (inc != NULL) {
		snprintf(dir, sizeof(dir), "%s", real);
		*strrchr(dir, '/') = '\0';
		bundle_conf_include(b, inc, dir[0] != '\0' ? dir : "/", base, depth);
		free(inc);
	}
}

static void bundle_conf(struct bundle *b)
{
	char real[PATH_MAX], base[PATH_MAX];

	if (realpath(b->c->conf_path, real) == NULL) {
		bundle_missed(b, b->c->conf_path, strerror(errno));
		return;
	}
	snprintf(base, sizeof(base), "%s", real);
	*strrchr(base, '/') = '\0';
	bundle_conf_file(b, real, base, 0);
}

/* ---- the database, read-only ---- */

static int bundle_db_progress(void *arg)
{
	return time(NULL) - *(time_t *)arg > BUNDLE_CHECK_SECONDS;
}

static void bundle_db(struct bundle *b)
{
	char err[1024] = "", path[PATH_MAX];
	struct conf *cf = conf_load(b->c->conf_path, err, sizeof(err));
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	time_t t0;
	FILE *out;
	struct stat sb;

	if (cf == NULL) {
		bundle_missed(b, "database.txt", err);
		return;
	}
	snprintf(path, sizeof(path), "%s", cf->database);
	conf_free(cf);
	out = bundle_open(b, "database.txt");
	if (out == NULL)
		return;
	fprintf(out, "database: %s\nsqlite: %s (the library taskvisorctl and the queue backend load)\n", path,
		sqlite3_libversion());
	if (stat(path, &sb) < 0 || access(path, R_OK) < 0) {
		fprintf(out, "cannot read the database: %s\n", strerror(errno));
		bundle_missed(b, "database.txt", strerror(errno));
		goto done;
	}
	fprintf(out, "size: %lld bytes, mode %04o, uid %ld gid %ld\n", (long long)sb.st_size,
		sb.st_mode & 07777, (long)sb.st_uid, (long)sb.st_gid);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(out, "cannot open the database: %s\n",
			db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		fprintf(out, "schema version: %d\n", sqlite3_column_int(st, 0));
	else
		fprintf(out, "schema version: unknown (%s)\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		fprintf(out, "journal mode: %s\n", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	t0 = time(NULL);
	sqlite3_progress_handler(db, 10000, bundle_db_progress, &t0);
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		fprintf(out, "quick_check: %s\n", sqlite3_errmsg(db));
	} else {
		int rc;

		fprintf(out, "quick_check:");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			fprintf(out, " %s\n", (const char *)sqlite3_column_text(st, 0));
		if (rc == SQLITE_INTERRUPT)
			fprintf(out, " stopped after %d s (not finished)\n", BUNDLE_CHECK_SECONDS);
		else if (rc != SQLITE_DONE)
			fprintf(out, " %s\n", sqlite3_errmsg(db));
		fprintf(out, "quick_check took %lld s\n", (long long)(time(NULL) - t0));
	}
	sqlite3_finalize(st);
done:
	sqlite3_close(db);
	fclose(out);
	bundle_got(b, "database.txt", "");
}

/* ---- the system ---- */

/* cgroup v2 (unified), v1, or hybrid: what /sys/fs/cgroup is. */
static const char *bundle_cgroup_mode(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup", &fs) < 0)
		return "unknown (no /sys/fs/cgroup)";
	if (fs.f_type == 0x63677270) /* CGROUP2_SUPER_MAGIC */
		return "v2 (unified)";
	if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == 0x63677270)
		return "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)";
	return "v1";
}

/* Copy a small text file of /proc into out under a heading. */
static void bundle_cat(FILE *out, const char *heading, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(path, "r");

	fprintf(out, "\n%s (%s):\n", heading, path);
	if (in == NULL) {
		fprintf(out, "  %s\n", strerror(errno));
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
}

static void bundle_limit(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void bundle_system(struct bundle *b)
{
	static const struct {
		int res;
		const char *name;
	} lims[] = {
	    {RLIMIT_NOFILE, "open files"},     {RLIMIT_NPROC, "processes"},   {RLIMIT_CORE, "core file size"},
	    {RLIMIT_AS, "address space"},      {RLIMIT_DATA, "data segment"}, {RLIMIT_STACK, "stack size"},
	    {RLIMIT_MEMLOCK, "locked memory"},
	};
	struct utsname u;
	json_t *reply = NULL;
	FILE *out = bundle_open(b, "system.txt");
	char path[64];
	long long dpid = 0;

	if (out == NULL)
		return;
	if (uname(&u) == 0)
		fprintf(out, "kernel: %s %s %s %s\nhost: %s\n", u.sysname, u.release, u.version, u.machine,
			u.nodename);
	fprintf(out, "cgroup mode: %s\nprotocol of this taskvisorctl: %d\nsqlite (library here): %s\n",
		bundle_cgroup_mode(), PROTO_VERSION, sqlite3_libversion());
	bundle_cat(out, "os", "/etc/os-release");
	fprintf(out, "\nlimits of taskvisorctl (soft / hard):\n");
	for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		struct rlimit rl;
		char s[32], h[32];

		if (getrlimit(lims[i].res, &rl) < 0)
			continue;
		bundle_limit(rl.rlim_cur, s, sizeof(s));
		bundle_limit(rl.rlim_max, h, sizeof(h));
		fprintf(out, "  %-16s %s / %s\n", lims[i].name, s, h);
	}
	if (ctl_request(b->c, MSG_PID, NULL, &reply) == 0)
		dpid = json_integer_value(json_object_get(reply, "pid"));
	json_decref(reply);
	if (dpid > 0) {
		fprintf(out, "\ndaemon pid: %lld\n", dpid);
		snprintf(path, sizeof(path), "/proc/%lld/limits", dpid);
		bundle_cat(out, "limits of taskvisord", path);
		snprintf(path, sizeof(path), "/proc/%lld/cgroup", dpid);
		bundle_cat(out, "cgroup of taskvisord", path);
	} else {
		fprintf(out, "\ndaemon pid: unknown (the daemon did not answer)\n");
	}
	fclose(out);
	bundle_got(b, "system.txt", "");
}

/* ---- packing ---- */

static int bundle_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* tar -cz of root into fd (the output file, opened O_EXCL): 0, or -1 with the reason in err. */
static int bundle_tar(struct bundle *b, int fd, char *err, size_t errlen)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execlp("tar", "tar", "-czf", "-", "-C", b->top, b->name, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "cannot run tar");
	else
		snprintf(err, errlen, "tar failed (status %d)", status);
	return -1;
}

static void bundle_manifest(struct bundle *b, const char *file, long long since_s)
{
	FILE *out = bundle_open(b, "MANIFEST.txt");
	json_t *v;
	size_t i;
	char when[64];

	if (out == NULL)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", localtime(&b->started));
	fprintf(
	    out,
	    "taskvisorctl debug-bundle, %s, for %s (config %s, socket %s)\ntasks window: the last %lld s\n\n",
	    when, file, b->c->conf_path, b->c->socket_path != NULL ? b->c->socket_path : "-", since_s);
	fprintf(out, "collected:\n");
	json_array_foreach(b->got, i, v)
	{
		fprintf(out, "  %s\n", json_string_value(v));
	}
	fprintf(out, "not collected:\n");
	json_array_foreach(b->missed, i, v)
	{
		fprintf(out, "  %s\n", json_string_value(v));
	}
	if (json_array_size(b->missed) == 0)
		fprintf(out, "  nothing\n");
	fclose(out);
}

static int cmd_bundle_usage(void)
{
	fprintf(stderr, "usage: debug-bundle [--file F] [--since 2d]\n");
	return CTL_EXIT_BAD_ARGS;
}

static int cmd_bundle(struct ctl *c, int argc, char **argv)
{
	struct bundle b = {.c = c};
	const char *file = NULL;
	char defname[256], host[128] = "host", stamp[32], err[256] = "";
	long long since_s = 2 * 86400;
	bool json = c->json;
	int fd, rc = CTL_EXIT_OK;
	json_t *v;
	size_t i;

	for (int i0 = 1; i0 < argc; i0++) {
		if (strcmp(argv[i0], "--file") == 0 && i0 + 1 < argc) {
			file = argv[++i0];
		} else if (strcmp(argv[i0], "--since") == 0 && i0 + 1 < argc) {
			if (units_duration(argv[++i0], &since_s, err, sizeof(err)) < 0 || since_s <= 0) {
				fprintf(stderr, "debug-bundle: --since: %s\n",
					err[0] != '\0' ? err : "must be more than 0");
				return CTL_EXIT_BAD_ARGS;
			}
		} else {
			return cmd_bundle_usage();
		}
	}
	b.started = time(NULL);
	gethostname(host, sizeof(host) - 1);
	for (char *h = host; *h != '\0'; h++)
		if (*h == '/' || *h == ' ')
			*h = '_';
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&b.started));
	snprintf(defname, sizeof(defname), "taskvisor-debug-%s-%s", host, stamp);
	b.name = defname;
	if (file == NULL) {
		static char deffile[300];

		snprintf(deffile, sizeof(deffile), "%s.tar.gz", defname);
		file = deffile;
	}
	/* The output first: an existing file is never overwritten, and nothing is collected for nothing. */
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "debug-bundle: %s: %s%s\n", file, strerror(errno),
			errno == EEXIST ? " (not overwritten; --file F names another)" : "");
		return CTL_EXIT_ERROR;
	}
	snprintf(b.top, sizeof(b.top), "%s/taskvisor-debug.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(b.top) == NULL) {
		fprintf(stderr, "debug-bundle: %s: %s\n", b.top, strerror(errno));
		close(fd);
		unlink(file);
		return CTL_EXIT_ERROR;
	}
	snprintf(b.root, sizeof(b.root), "%s/%s", b.top, b.name);
	b.got = json_array();
	b.missed = json_array();
	b.confs = json_array();
	if (mkdir(b.root, 0700) < 0 || b.got == NULL || b.missed == NULL || b.confs == NULL) {
		fprintf(stderr, "debug-bundle: %s: %s\n", b.root, strerror(errno));
		rc = CTL_EXIT_ERROR;
		goto out;
	}
	c->json = false; /* the files hold what an operator reads */
	bundle_conf(&b);
	bundle_ctl(&b);
	bundle_logs(&b);
	bundle_tasks(&b, since_s);
	bundle_db(&b);
	bundle_system(&b);
	c->json = json;
	bundle_manifest(&b, file, since_s);
	if (bundle_tar(&b, fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "debug-bundle: %s: %s\n", file, err);
		rc = CTL_EXIT_ERROR;
		goto out;
	}
	printf("debug-bundle: wrote %s (%zu files); collected:\n", file, json_array_size(b.got) + 1);
	printf("  MANIFEST.txt\n");
	json_array_foreach(b.got, i, v)
	{
		printf("  %s\n", json_string_value(v));
	}
	if (json_array_size(b.missed) > 0) {
		printf("not collected:\n");
		json_array_foreach(b.missed, i, v)
		{
			printf("  %s\n", json_string_value(v));
		}
	}
out:
	c->json = json;
	close(fd);
	if (rc != CTL_EXIT_OK)
		unlink(file);
	nftw(b.top, bundle_rm, 16, FTW_DEPTH | FTW_PHYS);
	json_decref(b.got);
	json_decref(b.missed);
	json_decref(b.confs);
	return rc;
}

const struct ctl_cmd bundle_cmds[] = {
    {"debug-bundle", NULL, "debug-bundle [--file F] [--since 2d]",
     "a .tar.gz for a bug report: config (secrets masked), logs, status, checks, failed tasks, versions",
     cmd_bundle},
    {NULL, NULL, NULL, NULL, NULL},
};
