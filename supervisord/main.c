/*
 * main.c — taskvisord's entry: options, the config (refused with
 * "file:line: message", exit 2), the pidfile (refuse a second daemon), the
 * file-descriptor limit, daemonizing (double fork + setsid, unless -n), then
 * daemon_init()/daemon_run() from daemon.c. The only place that exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "xmalloc.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: taskvisord [-c CONFIG] [-n] [-t] [-h] [-v]\n"
		"  -c, --configuration FILE  configuration file (default %s)\n"
		"  -n, --nodaemon            stay in the foreground\n"
		"  -t, --check-config        check the configuration and exit (0 ok, 2 with FILE:LINE)\n"
		"  -h, --help                print this help\n"
		"  -v, --version             print the version\n",
		paths_conf());
}

/* -t: the configuration was loaded; say what it holds. Changes nothing, opens no socket. */
static int main_check_report(const struct conf *c)
{
	size_t nprocs = 0, ngroups = 0;

	for (size_t i = 0; i < c->nprograms; i++) {
		size_t j;
		nprocs += c->programs[i].nprocs;
		for (j = 0; j < i && strcmp(c->programs[j].group, c->programs[i].group) != 0; j++)
			;
		if (j == i)
			ngroups++;
	}
	for (size_t i = 0; i < c->nwarnings; i++)
		fprintf(stderr, "taskvisord: warning: %s\n", c->warnings[i]);
	printf("configuration OK: %zu program%s (%zu process%s) in %zu group%s, %zu task type%s\n",
	       c->nprograms, c->nprograms == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es", ngroups,
	       ngroups == 1 ? "" : "s", c->ntasks, c->ntasks == 1 ? "" : "s");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The pid in pidfile path if it is a live taskvisord other than us, else 0. */
static pid_t main_pidfile_owner(const char *path)
{
	char buf[64], comm[64];
	FILE *fp;
	long pid;

	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), fp) == NULL || (pid = strtol(buf, NULL, 10)) <= 0 || pid == getpid()) {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 0;
	snprintf(buf, sizeof(buf), "/proc/%ld/comm", pid);
	fp = fopen(buf, "r");
	if (fp == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "taskvisord") == 0 ? (pid_t)pid : 0;
}

/* Write our pid atomically (pidfile.new, rename). */
static int main_pidfile_write(const char *path)
{
	char tmp[PATH_MAX];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return -1;
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void main_pidfile_remove(const char *path)
{
	char buf[64];
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return;
	if (fgets(buf, sizeof(buf), fp) != NULL && strtol(buf, NULL, 10) == (long)getpid())
		unlink(path);
	fclose(fp);
}

/* Raise RLIMIT_NOFILE to minfds when it is lower (supervisord's minfds=). */
static void main_minfds(int minfds)
{
	struct rlimit rl;

	if (minfds <= 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= (rlim_t)minfds)
		return;
	rl.rlim_cur = (rlim_t)minfds;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)minfds)
		rl.rlim_max = (rlim_t)minfds; /* only root may; otherwise the warning below */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("minfds: cannot raise the open files limit to %d", minfds);
}

/* Raise RLIMIT_NPROC to minprocs when it is lower (supervisord's minprocs=). */
static void main_minprocs(int minprocs)
{
	struct rlimit rl;

	if (minprocs <= 0 || getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)minprocs)
		return;
	rl.rlim_cur = (rlim_t)minprocs;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)minprocs)
		rl.rlim_max = (rlim_t)minprocs;
	if (setrlimit(RLIMIT_NPROC, &rl) < 0)
		log_warn("minprocs: cannot raise the processes limit to %d", minprocs);
}

/*
 * [supervisord] user=: become that user before anything is opened, as supervisord does
 * (options.py drop_privileges, called before its logger, sockets and pidfile): supplementary
 * groups, gid, then uid. The same uid: nothing to do. 0, or -1 with the reason in err.
 * dry_run (-t): only say whether it would work.
 */
static int main_drop_privileges(const char *user, bool dry_run, char *err, size_t errlen)
{
	struct passwd *pw;
	char *end;
	long uid = strtol(user, &end, 10);

	pw = *user != '\0' && *end == '\0' ? getpwuid((uid_t)uid) : getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user=%s: no such user", user);
		return -1;
	}
	if (getuid() == pw->pw_uid)
		return 0;
	if (getuid() != 0) {
		snprintf(err, errlen, "user=%s: can't drop privilege as nonroot user", user);
		return -1;
	}
	if (dry_run) /* -t: it would work */
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "user=%s: cannot become that user: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

/* Double fork and setsid, like supervisord: the daemon is no session leader and has no tty;
 * then, as supervisord's _daemonize, [supervisord] directory= (else "/") and umask=. */
static void main_daemonize(const char *directory, int mask)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (directory != NULL && chdir(directory) < 0)
		log_warn("can't chdir into %s", directory);
	umask((mode_t)mask);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"configuration", required_argument, NULL, 'c'},
	    {"nodaemon", no_argument, NULL, 'n'},
	    {"check-config", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon d;
	const char *conf_arg = paths_conf();
	bool foreground = false, check = false;
	enum log_level lvl = LOG_LVL_INFO;
	mode_t fmode;
	gid_t fgid;
	char err[1024];
	pid_t other;
	int ch, rc;

	memset(&d, 0, sizeof(d));
	log_init("taskvisord", LOG_LVL_INFO, 1);
	xmalloc_json(); /* README "Errors": jansson allocates through xmalloc too */
	while ((ch = getopt_long(argc, argv, "c:nthv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_arg = optarg;
			break;
		case 'n':
			foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("%s\n", TASKVISOR_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d.conf_path = realpath(conf_arg, NULL);
	if (d.conf_path == NULL) {
		fprintf(stderr, "taskvisord: %s: %s\n", conf_arg, strerror(errno));
		return 2;
	}
	d.conf = conf_load(d.conf_path, err, sizeof(err));
	if (d.conf == NULL) {
		fprintf(stderr, check ? "%s\n" : "taskvisord: %s\n", err);
		free(d.conf_path);
		return 2;
	}
	if (check) {
		if (d.conf->user != NULL && main_drop_privileges(d.conf->user, true, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", d.conf_path, err);
			rc = 2;
			goto out;
		}
		rc = main_check_report(d.conf);
		goto out;
	}
	for (size_t i = 0; i < d.conf->nwarnings; i++)
		log_warnx("%s", d.conf->warnings[i]);
	if (d.conf->loglevel != NULL && log_level_parse(d.conf->loglevel, &lvl) < 0)
		log_warnx("loglevel: unknown level \"%s\", using info", d.conf->loglevel);
	log_set_level(lvl);

	if (d.conf->pidfile != NULL && (other = main_pidfile_owner(d.conf->pidfile)) != 0) {
		fprintf(stderr, "taskvisord: already running (pid %ld, pidfile %s)\n", (long)other,
			d.conf->pidfile);
		rc = 1;
		goto out;
	}
	if (d.conf->socket_file != NULL && control_probe(d.conf->socket_file)) {
		fprintf(stderr, "taskvisord: %s: another daemon is already listening on it\n",
			d.conf->socket_file);
		rc = 1;
		goto out;
	}
	if (d.conf->user != NULL && main_drop_privileges(d.conf->user, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "taskvisord: %s\n", err);
		rc = 2;
		goto out;
	}
	main_minfds(d.conf->minfds);
	main_minprocs(d.conf->minprocs);
	if (!foreground && !d.conf->nodaemon)
		main_daemonize(d.conf->directory, d.conf->umask);
	conf_file_perms(d.conf, &fmode, &fgid);
	log_set_file_perms(fmode, fgid);
	log_set_rotation(d.conf->logfile_maxbytes, d.conf->logfile_backups);
	if (d.conf->logfile != NULL && strcmp(d.conf->logfile, "syslog") == 0)
		log_open_syslog();
	else if (d.conf->logfile != NULL && log_open_file(d.conf->logfile) < 0)
		log_warn("%s: cannot open the log file, logging to stderr", d.conf->logfile);
	/* Like supervisord -n: in the foreground the log also goes to the terminal, unless
	 * silent=true. */
	if ((foreground || d.conf->nodaemon) && !d.conf->silent)
		log_set_echo(1);
	if (d.conf->pidfile != NULL) {
		if (main_pidfile_write(d.conf->pidfile) < 0)
			log_warn("%s: cannot write the pidfile", d.conf->pidfile);
		else
			d.pidfile = xstrdup(d.conf->pidfile);
	}
	if (daemon_init(&d, err, sizeof(err)) < 0) {
		log_error("%s", err);
		if (foreground)
			fprintf(stderr, "taskvisord: %s\n", err);
		rc = 1;
	} else
		rc = daemon_run(&d);
	if (d.pidfile != NULL)
		main_pidfile_remove(d.pidfile);
out:
	conf_free(d.conf);
	free(d.pidfile);
	free(d.conf_path);
	return rc;
}
