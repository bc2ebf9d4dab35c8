/* test_conf.c — the configuration loader (lib/conf*.c): supervisord files,
 * defaults, errors with file:line, expansions, numprocs, groups, includes,
 * long lines, task types, recurring logics, depends_on, fingerprints. Each
 * test writes its files into a fresh temporary directory and works from there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "proto.h"
#include "when.h"

static char tmpdir[PATH_MAX];
static char oldcwd[PATH_MAX];

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || getcwd(oldcwd, sizeof(oldcwd)) == NULL || chdir(tmpdir) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (chdir(oldcwd) != 0)
		return -1;
	return nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to rel (relative to the test directory), making directories. */
static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", rel);
	for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *fp = fopen(rel, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct conf *load(const char *rel)
{
	char err[1024] = "";
	struct conf *c = conf_load(rel, err, sizeof(err));
	if (c == NULL)
		fail_msg("conf_load(%s): %s", rel, err);
	return c;
}

/* Load text written as main.conf; it must load. */
static struct conf *load_text(const char *text)
{
	put("main.conf", text);
	return load("main.conf");
}

/* The real path of the test's sub/ (what %(here)s expands to there) and this host's uname. */
static void sub_and_host(char sub[PATH_MAX], struct utsname *un)
{
	assert_int_equal(uname(un), 0);
	assert_non_null(realpath("sub", sub));
}

/* Load text as main.conf and expect exactly the error want. */
static void load_err_text(const char *text, const char *want)
{
	char err[1024] = "";
	put("main.conf", text);
	struct conf *c = conf_load("main.conf", err, sizeof(err));
	if (c != NULL) {
		conf_free(c);
		fail_msg("expected error \"%s\", got success", want);
	}
	assert_string_equal(err, want);
}

static int has_warning(const struct conf *c, const char *want)
{
	for (size_t i = 0; i < c->nwarnings; i++)
		if (strcmp(c->warnings[i], want) == 0)
			return 1;
	fprintf(stderr, "missing warning: %s\nwarnings:\n", want);
	for (size_t i = 0; i < c->nwarnings; i++)
		fprintf(stderr, "  %s\n", c->warnings[i]);
	return 0;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);
	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* ---- a supervisord file as people write them ---- */

static const char supervisord_conf[] =
    "; Sample supervisor config file.\n"
    "[unix_http_server]\n"
    "file=%(here)s/supervisor.sock   ; the path to the socket file\n"
    "chmod=0770                 ; socket file mode (default 0700)\n"
    "chown=nobody:nogroup       ; socket file uid:gid owner\n"
    "username=user              ; default is no username (open server)\n"
    "password=123               ; default is no password (open server)\n"
    "\n"
    "[inet_http_server]         ; inet (TCP) server disabled by default\n"
    "port=127.0.0.1:9001        ; ip_address:port specifier, *:port for all iface\n"
    "\n"
    "[supervisord]\n"
    "logfile=%(here)s/supervisord.log ; main log file; default $CWD/supervisord.log\n"
    "logfile_maxbytes=50MB        ; max main logfile bytes b4 rotation; default 50MB\n"
    "logfile_backups=10           ; # of main logfile backups; 0 means none, default 10\n"
    "loglevel=debug               ; log level; default info; others: debug,warn,trace\n"
    "pidfile=/tmp/supervisord.pid ; supervisord pidfile; default supervisord.pid\n"
    "nodaemon=true                ; start in foreground if true; default false\n"
    "silent=false                 ; no logs to stdout if true; default false\n"
    "minfds=4096                  ; min. avail startup file descriptors; default 1024\n"
    "minprocs=200                 ; min. avail process descriptors;default 200\n"
    "umask=022                    ; process file creation umask; default 022\n"
    "user=root                    ; setuid to this UNIX account at startup; recommended if root\n"
    "identifier=supervisor        ; supervisord identifier, default is 'supervisor'\n"
    "childlogdir=%(here)s/childlogs ; 'AUTO' child log dir, default $TEMP\n"
    "strip_ansi=false             ; strip ansi escape codes in logs; def. false\n"
    "\n"
    "[rpcinterface:supervisor]\n"
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
    "\n"
    "[supervisorctl]\n"
    "serverurl=unix:///tmp/supervisor.sock ; use a unix:// URL  for a unix socket\n"
    "\n"
    "[program:cat]\n"
    "command=/bin/cat              ; the program (relative uses PATH, can take args)\n"
    "process_name=%(program_name)s ; process_name expr (default %(program_name)s)\n"
    "numprocs=1                    ; number of processes copies to start (def 1)\n"
    "directory=/tmp                ; directory to cwd to before exec (def no cwd)\n"
    "umask=022                     ; umask for process (default None)\n"
    "priority=999                  ; the relative start priority (default 999)\n"
    "autostart=true                ; start at supervisord start (default: true)\n"
    "startsecs=1                   ; # of secs prog must stay up to be running (def. 1)\n"
    "startretries=3                ; max # of serial start failures when starting (default 3)\n"
    "autorestart=unexpected        ; when to restart if exited after running (def: unexpected)\n"
    "exitcodes=0,2                 ; 'expected' exit codes used with autorestart (default 0)\n"
    "stopsignal=QUIT               ; signal used to kill process (default TERM)\n"
    "stopwaitsecs=10               ; max num secs to wait b4 SIGKILL (default 10)\n"
    "stopasgroup=false             ; send stop signal to the UNIX process group (default false)\n"
    "killasgroup=true              ; SIGKILL the UNIX process group (def false)\n"
    "user=nobody                   ; setuid to this UNIX account to run the program\n"
    "redirect_stderr=true          ; redirect proc stderr to stdout (default false)\n"
    "stdout_logfile=/tmp/a-path     ; stdout log path, NONE for none; default AUTO\n"
    "stdout_logfile_maxbytes=1MB   ; max # logfile bytes b4 rotation (default 50MB)\n"
    "stdout_logfile_backups=10     ; # of stdout logfile backups (0 means none, default 10)\n"
    "stdout_capture_maxbytes=1MB   ; number of bytes in 'capturemode' (default 0)\n"
    "stdout_events_enabled=false   ; emit events on stdout writes (default false)\n"
    "stdout_syslog=false           ; send stdout to syslog with process name (default false)\n"
    "stderr_logfile=NONE           ; stderr log path, NONE for none; default AUTO\n"
    "stderr_logfile_maxbytes=1MB   ; max # logfile bytes b4 rotation (default 50MB)\n"
    "stderr_logfile_backups=10     ; # of stderr logfile backups (0 means none, default 10)\n"
    "environment=A=\"1\",B=\"2\"       ; process environment additions (def no adds)\n"
    "serverurl=AUTO                ; override serverurl computation (childutils)\n"
    "\n"
    "[eventlistener:theeventlistenername]\n"
    "command=/bin/eventlistener\n"
    "events=EVENT\n"
    "\n"
    "[fcgi-program:fcgi]\n"
    "command=/usr/bin/fcgi\n"
    "socket=unix:///tmp/fcgi.sock\n"
    "\n"
    "[group:thegroupname]\n"
    "programs=cat\n"
    "priority=999\n"
    "\n"
    "[include]\n"
    "files = relative/directory/*.ini\n"
    "        other/*.conf\n";

static void test_supervisord_file(void **state)
{
	(void)state;
	put("main.conf", supervisord_conf);
	put("relative/directory/more.ini", "[program:more]\ncommand=/bin/sleep 1000\n");
	mkdir("childlogs", 0755); /* supervisord refuses a childlogdir that does not exist */
	struct conf *c = load("main.conf");

	char here[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(realpath(".", here));
	snprintf(want, sizeof(want), "%s/main.conf", here);
	assert_string_equal(c->path, want);
	assert_string_equal(c->here, here);
	snprintf(want, sizeof(want), "%s/supervisor.sock", here);
	assert_string_equal(c->socket_file, want);
	assert_int_equal(c->socket_chmod, 0770);
	assert_string_equal(c->socket_chown, "nobody:nogroup");
	snprintf(want, sizeof(want), "%s/supervisord.log", here);
	assert_string_equal(c->logfile, want);
	assert_string_equal(c->loglevel, "debug");
	assert_string_equal(c->pidfile, "/tmp/supervisord.pid");
	snprintf(want, sizeof(want), "%s/childlogs", here);
	assert_string_equal(c->logdir, want);
	assert_true(c->nodaemon);
	assert_int_equal(c->minfds, 4096);

	assert_int_equal(c->nprograms, 4); /* cat, more, fcgi and the [eventlistener:x] pool */
	const struct conf_program *p = conf_program_find(c, "cat");
	assert_non_null(p);
	assert_string_equal(p->group, "thegroupname");
	assert_string_equal(p->command, "/bin/cat");
	assert_string_equal(p->directory, "/tmp");
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->autorestart, AUTORESTART_UNEXPECTED);
	assert_int_equal(p->nexitcodes, 2);
	assert_int_equal(p->exitcodes[0], 0);
	assert_int_equal(p->exitcodes[1], 2);
	assert_int_equal(p->stopsignal, SIGQUIT);
	assert_false(p->stopasgroup);
	assert_true(p->killasgroup);
	assert_string_equal(p->user, "nobody");
	assert_true(p->redirect_stderr);
	assert_int_equal(p->stdout_logfile_maxbytes, 1024 * 1024);
	assert_int_equal(p->nprocs, 1);
	assert_string_equal(p->procs[0].name, "cat");
	assert_string_equal(p->procs[0].command, "/bin/cat");
	assert_string_equal(p->procs[0].stdout_logfile, "/tmp/a-path");
	assert_string_equal(p->procs[0].stderr_logfile, "NONE");
	assert_string_equal(env_get(p->procs[0].environment, "A"), "1");
	assert_string_equal(env_get(p->procs[0].environment, "B"), "2");
	assert_non_null(conf_program_find(c, "more"));
	assert_string_equal(conf_program_find(c, "more")->group, "more");
	/* [eventlistener:x] */
	const struct conf_program *el = conf_program_find(c, "theeventlistenername");
	assert_non_null(el);
	assert_true(el->listener);
	assert_string_equal(el->group, "theeventlistenername");
	assert_string_equal(el->events[0], "EVENT");
	assert_null(el->events[1]);
	assert_int_equal(el->buffer_size, 10);
	assert_int_equal(el->pool_priority, -1);
	assert_int_equal(el->priority, 999);
	/* [fcgi-program:x] (test_fcgi) */
	assert_non_null(conf_program_find(c, "fcgi"));
	assert_true(conf_program_find(c, "fcgi")->fcgi);
	assert_string_equal(conf_program_find(c, "fcgi")->socket, "unix:///tmp/fcgi.sock");

	assert_int_equal(c->ngroups, 1);
	assert_string_equal(c->groups[0].name, "thegroupname");
	assert_string_equal(c->groups[0].programs[0], "cat");
	assert_null(c->groups[0].programs[1]);

	/* supervisord's XML-RPC (supervisord/http/): the HTTP sections are read, not ignored */
	assert_string_equal(c->socket_username, "user");
	assert_string_equal(c->socket_password, "123");
	assert_string_equal(c->inet_port, "127.0.0.1:9001");
	assert_null(c->inet_username);
	assert_string_equal(c->identifier, "supervisor");
	assert_false(has_warning(c, "main.conf:9: [inet_http_server]: not used by taskvisord, ignored"));
	/* every supervisord option is read: none warned of */
	assert_int_equal(c->logfile_maxbytes, 50 * 1024 * 1024);
	assert_int_equal(c->logfile_backups, 10);
	assert_false(c->silent);
	assert_int_equal(c->minprocs, 200);
	assert_int_equal(c->umask, 022);
	assert_string_equal(c->user, "root");
	assert_false(c->strip_ansi);
	assert_int_equal(p->stdout_capture_maxbytes, 1024 * 1024);
	assert_false(p->stdout_events_enabled);
	assert_false(p->stdout_syslog);
	assert_null(p->serverurl);
	/* [eventlistener:x]: capture mode is read */
	assert_int_equal(conf_program_find(c, "cat")->stdout_capture_maxbytes, 1024 * 1024);
	assert_true(
	    !has_warning(c, "main.conf:64: [eventlistener:theeventlistenername]: not supported, ignored"));
	assert_false(has_warning(c, "main.conf:68: [fcgi-program:fcgi]: not supported, ignored"));
	assert_true(has_warning(c, "main.conf:77: No file matches via include \"other/*.conf\""));
	assert_null(c->warnings[c->nwarnings]);
	conf_free(c);
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	(void)state;
	struct conf *c = load_text("[program:x]\ncommand=/bin/true\n");

	assert_null(c->logfile);
	assert_string_equal(c->loglevel, "info");
	assert_null(c->pidfile);
	assert_string_equal(c->logdir, "/var/log/taskvisor");
	assert_string_equal(c->database, "/var/lib/taskvisor/taskvisor.db");
	assert_int_equal(c->durability, DURABILITY_FULL);
	assert_false(c->allow_dangerous_actions);
	assert_int_equal(c->max_connections, 0); /* derived from RLIMIT_NOFILE by the daemon */
	assert_int_equal(c->idle_timeout, 300);
	assert_int_equal(c->request_timeout, 30);
	assert_int_equal(c->minfds, 1024);
	assert_false(c->nodaemon);
	assert_string_equal(c->socket_file, "/run/taskvisor.sock");
	assert_int_equal(c->socket_chmod, 0700);
	assert_null(c->socket_chown);
	assert_null(c->admin_groups[0]);
	assert_null(c->readonly_groups[0]);
	assert_int_equal(c->tasks_cleanup_after, 0);
	assert_int_equal(c->nwarnings, 0);
	assert_null(c->warnings[0]);

	const struct conf_program *p = conf_program_find(c, "x");
	assert_non_null(p);
	assert_string_equal(p->name, "x");
	assert_string_equal(p->group, "x");
	assert_string_equal(p->where.file, "main.conf");
	assert_int_equal(p->where.line, 1);
	assert_string_equal(p->process_name, "%(program_name)s");
	assert_int_equal(p->numprocs, 1);
	assert_int_equal(p->numprocs_start, 0);
	assert_int_equal(p->priority, 999);
	assert_true(p->autostart);
	assert_int_equal(p->startsecs, 1);
	assert_int_equal(p->startretries, 3);
	assert_int_equal(p->autorestart, AUTORESTART_UNEXPECTED);
	assert_int_equal(p->nexitcodes, 1);
	assert_int_equal(p->exitcodes[0], 0);
	assert_int_equal(p->stopsignal, SIGTERM);
	assert_int_equal(p->stopwaitsecs, 10);
	assert_false(p->stopasgroup);
	assert_false(p->killasgroup);
	assert_null(p->user);
	assert_null(p->directory);
	assert_int_equal(p->umask, -1);
	assert_false(p->redirect_stderr);
	assert_int_equal(p->stdout_logfile_maxbytes, 50LL * 1024 * 1024);
	assert_int_equal(p->stdout_logfile_backups, 10);
	assert_int_equal(p->stderr_logfile_maxbytes, 50LL * 1024 * 1024);
	assert_int_equal(p->stderr_logfile_backups, 10);
	assert_int_equal(p->memory_limit, 0);
	assert_null(p->depends_on[0]);
	assert_int_equal(p->ready, READY_STARTSECS);
	assert_int_equal(p->watchdog_sec, 0);
	assert_null(p->restart_cron);
	assert_int_equal(p->backoff_max, 0);
	assert_int_equal(p->fatal_retry_after, 0);
	assert_int_equal(p->fatal_action, FATAL_ACTION_NONE);
	assert_int_equal(p->oom_score_adj, CONF_NO_VALUE);
	assert_int_equal(p->nrlimits, 0);
	assert_null(p->environment_file);
	assert_false(p->log_timestamps);
	assert_int_equal(p->nprocs, 1);
	assert_string_equal(p->procs[0].name, "x");
	assert_int_equal(p->procs[0].process_num, 0);
	assert_string_equal(p->procs[0].command, "/bin/true");
	assert_null(p->procs[0].stdout_logfile);
	assert_null(p->procs[0].stderr_logfile);
	assert_null(p->procs[0].environment[0]);
	assert_non_null(p->procs[0].fingerprint);
	assert_null(conf_program_find(c, "y"));
	assert_null(conf_task_find(c, "y"));
	conf_free(c);
}

static void test_taskvisord_sections(void **state)
{
	(void)state;
	put("main.conf", "[taskvisord]\n"
			 "logfile = %(here)s/var/log/taskvisord.log\n"
			 "loglevel = WARN\n"
			 "pidfile = /tmp/tv.pid\n"
			 "logdir = /tmp/logs\n"
			 "database = /tmp/tv.db\n"
			 "durability = normal\n"
			 "allow_dangerous_actions = yes\n"
			 "minfds = 2048\n"
			 "nodaemon = on\n"
			 "colour = blue\n"
			 "[unix_socket]\n"
			 "file = /tmp/tv.sock\n"
			 "chmod = 0660\n"
			 "chown = root:tv\n"
			 "admin_groups = wheel, tv-admin\n"
			 "readonly_groups = adm\n"
			 "  staff\n"
			 "max_connections = 50\n"
			 "idle_timeout = 10m\n"
			 "request_timeout = 5s\n"
			 "[tasks]\n"
			 "cleanup_after = 30d\n");
	struct conf *c = load("main.conf");
	assert_string_equal(c->loglevel, "warn");
	assert_string_equal(c->pidfile, "/tmp/tv.pid");
	assert_string_equal(c->logdir, "/tmp/logs");
	assert_string_equal(c->database, "/tmp/tv.db");
	assert_int_equal(c->durability, DURABILITY_NORMAL);
	assert_true(c->allow_dangerous_actions);
	assert_int_equal(c->minfds, 2048);
	assert_true(c->nodaemon);
	assert_string_equal(c->socket_file, "/tmp/tv.sock");
	assert_int_equal(c->socket_chmod, 0660);
	assert_string_equal(c->socket_chown, "root:tv");
	assert_string_equal(c->admin_groups[0], "wheel");
	assert_string_equal(c->admin_groups[1], "tv-admin");
	assert_null(c->admin_groups[2]);
	assert_string_equal(c->readonly_groups[0], "adm");
	assert_string_equal(c->readonly_groups[1], "staff");
	assert_int_equal(c->max_connections, 50);
	assert_int_equal(c->idle_timeout, 600);
	assert_int_equal(c->request_timeout, 5);
	assert_int_equal(c->tasks_cleanup_after, 30 * 86400);
	assert_int_equal(c->nprograms, 0);
	assert_true(has_warning(c, "main.conf:11: [taskvisord] colour: unknown option, ignored"));
	conf_free(c);
}

/* ---- errors: each class, with its exact file:line text ---- */

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
	    {"[program:x]\ncommand=/bin/true\nstartsecs=abc\n",
	     "main.conf:3: startsecs: not a number: \"abc\""},
	    {"[program:x]\nautostart=true\n", "main.conf:1: [program:x]: command is required"},
	    {"[program:x]\ncommand=a\nautostart=maybe\n",
	     "main.conf:3: autostart: not a boolean (true/false): \"maybe\""},
	    {"[program:x]\ncommand=a\nautorestart=sometimes\n",
	     "main.conf:3: autorestart: expected true, false or unexpected: \"sometimes\""},
	    {"[program:x]\ncommand=a\nstopsignal=FOO\n",
	     "main.conf:3: stopsignal: not a signal name or number: \"FOO\""},
	    {"[program:x]\ncommand=a\nexitcodes=0,256\n",
	     "main.conf:3: exitcodes: out of range (0..255): \"256\""},
	    {"[program:x]\ncommand=a\numask=999\n", "main.conf:3: umask: not an octal number: \"999\""},
	    {"[program:x]\ncommand=a\nnumprocs=0\n", "main.conf:3: numprocs: out of range (1..10000): \"0\""},
	    {"[program:x]\ncommand=a\nnumprocs=2\n", "main.conf:1: [program:x]: %(process_num) must be "
						     "present within process_name when numprocs > 1"},
	    {"[program:x]\ncommand=a\nmemory_limit=lots\n",
	     "main.conf:3: memory_limit: not a size (e.g. 1024, 50KB, 512MB, 1GB): \"lots\""},
	    {"[program:x]\ncommand=a\nwatchdog_sec=soon\n",
	     "main.conf:3: watchdog_sec: not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m): \"soon\""},
	    {"[program:x]\ncommand=a\noom_score_adj=2000\n",
	     "main.conf:3: oom_score_adj: out of range (-1000..1000): \"2000\""},
	    {"[program:x]\ncommand=a\nready=maybe\n",
	     "main.conf:3: ready: expected startsecs or notify: \"maybe\""},
	    {"[program:x]\ncommand=a\nfatal_action=panic\n",
	     "main.conf:3: fatal_action: expected none or shutdown: \"panic\""},
	    {"[program:x]\ncommand=a\nstartretries=-2\n",
	     "main.conf:3: startretries: out of range (-1..2147483647): \"-2\""},
	    {"[program:x]\ncommand=a\nrlimit_nofile=lots\n",
	     "main.conf:3: rlimit_nofile: not a size (e.g. 1024, 50KB, 512MB, 1GB): \"lots\""},
	    {"[program:x]\ncommand=a\nrlimit_nofile=4096:1024\n",
	     "main.conf:3: rlimit_nofile: soft limit above hard limit: \"4096:1024\""},
	    {"[program:x]\ncommand=a\nenvironment=A=1,B\n",
	     "main.conf:3: environment: expected KEY=VALUE at \"B\""},
	    {"[program:x]\ncommand=a\nenvironment=A=\"1\n",
	     "main.conf:3: environment: unterminated quote in \"A=\"1\""},
	    {"[program:x]\ncommand=%(nope)s\n", "main.conf:2: command: cannot expand %(nope)s: no such name"},
	    {"[program:x]\ncommand=a\ndirectory=%(ENV_TV_SURELY_UNSET_VAR)s\n",
	     "main.conf:3: directory: cannot expand %(ENV_TV_SURELY_UNSET_VAR)s: no such name"},
	    {"[program:x]\ncommand=a\nrestart_cron=0 3 * *\n", NULL /* message from lib/cron.c */},
	    {"[program:x:y]\ncommand=a\n", "main.conf:1: [program:x:y]: bad program name"},
	    {"[program:x]\ncommand=a\nnot an option line\n",
	     "main.conf:3: syntax error: expected \"[section]\" or \"name = value\": \"not an option line\""},
	    {"command=a\n[program:x]\n", "main.conf:1: command: option outside of any [section]"},
	    {"[group:g]\nprograms=x,y\n[program:x]\ncommand=a\n",
	     "main.conf:2: [group:g] names unknown program or fcgi-program y"},
	    {"[group:g]\npriority=1\n", "main.conf:1: [group:g] has no programs= option"},
	    {"[program:x]\ncommand=a\n[group:g]\nprograms=x\n[group:h]\nprograms=x\n",
	     "main.conf:6: [group:h]: program x is already in [group:g] (main.conf:3)"},
	    {"[program:x]\ncommand=a\ndepends_on=nope\n", "main.conf:3: depends_on: no such program: nope"},
	    {"[program:x]\ncommand=a\ndepends_on=x\n", "main.conf:3: depends_on cycle: x -> x"},
	    {"[taskvisord]\ndurability=sometimes\n",
	     "main.conf:2: durability: expected full or normal: \"sometimes\""},
	    {"[taskvisord]\nloglevel=loud\n",
	     "main.conf:2: loglevel: not a level (critical, error, warn, info, debug, trace): \"loud\""},
	    {"[taskvisord]\nminfds=many\n", "main.conf:2: minfds: not a number: \"many\""},
	    {"[unix_socket]\nchmod=0999\n", "main.conf:2: chmod: not an octal number: \"0999\""},
	    {"[unix_socket]\nmax_connections=0\n",
	     "main.conf:2: max_connections: out of range (1..1000000): \"0\""},
	    {"[unix_socket]\nidle_timeout=soon\n",
	     "main.conf:2: idle_timeout: not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m): \"soon\""},
	    {"[unix_socket]\nrequest_timeout=0\n",
	     "main.conf:2: request_timeout: must be at least 1s: \"0\""},
	    {"[tasks]\ncleanup_after=forever\n",
	     "main.conf:2: cleanup_after: not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m): \"forever\""},
	    {"[taskvisord]\n[supervisord]\n",
	     "main.conf:2: [supervisord] and [taskvisord] (main.conf:1) are the same section"},
	    {"[include]\n", "main.conf:1: [include] has no files= option"},
	    {"[program:x]\ncommand=a\nenvironment_file=missing.env\n",
	     NULL /* path is absolute: checked below */},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].err != NULL) {
			load_err_text(cases[i].text, cases[i].err);
			continue;
		}
		char err[1024] = "";
		put("main.conf", cases[i].text);
		struct conf *c = conf_load("main.conf", err, sizeof(err));
		assert_null(c);
		assert_true(strncmp(err, "main.conf:3: ", 13) == 0);
	}

	char err[1024] = "x";
	assert_null(conf_load("does-not-exist.conf", err, sizeof(err)));
	assert_string_equal(err, "does-not-exist.conf: No such file or directory");

	/* environment_file: the missing file is named with the option's place. */
	put("main.conf", "[program:x]\ncommand=a\nenvironment_file=missing.env\n");
	assert_null(conf_load("main.conf", err, sizeof(err)));
	char want[PATH_MAX + 128], here[PATH_MAX];
	assert_non_null(realpath(".", here));
	snprintf(want, sizeof(want),
		 "main.conf:3: environment_file: %s/missing.env: No such file or directory", here);
	assert_string_equal(err, want);

	/* An error in an included file names that file, relative like its includer. */
	put("main.conf", "[include]\nfiles = conf.d/*.conf\n");
	put("conf.d/a.conf", "[program:a]\ncommand=/bin/true\n");
	put("conf.d/app.conf", "; app\n\n[program:app]\ncommand = /usr/bin/app\n"
			       "\n\n\n\n\n\n\nstartsecs = abc\n");
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_string_equal(err, "conf.d/app.conf:12: startsecs: not a number: \"abc\"");

	/* A section repeated across files is merged: an error names the file that set the key. */
	put("conf.d/app.conf", "[program:a]\nstartsecs=x\n");
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_string_equal(err, "conf.d/app.conf:2: startsecs: not a number: \"x\"");
}

/* ---- expansions ---- */

static void test_expansions(void **state)
{
	(void)state;
	setenv("TV_TEST_HOME", "/tmp", 1); /* a directory that exists: the log files go there */
	put("sub/prog.conf",
	    "[program:web]\n"
	    "command=%(here)s/bin/web --home %(ENV_TV_TEST_HOME)s --host %(host_node_name)s --g "
	    "%(group_name)s --n %(numprocs)d 100%%\n"
	    "directory=%(here)s\n"
	    "stdout_logfile=%(here)s/%(program_name)s.out\n"
	    "stderr_logfile=%(ENV_TV_TEST_HOME)s/%(process_num)03d.err\n"
	    "environment=HOME=\"%(ENV_TV_TEST_HOME)s\",NAME=%(program_name)s,LIST=\"a,b,c\",  SP = 'x y'\n"
	    "[group:site]\n"
	    "programs=web\n");
	struct conf *c = load_text("[include]\nfiles=sub/*.conf\n");
	char sub[PATH_MAX], want[PATH_MAX * 2];
	struct utsname un;
	sub_and_host(sub, &un);
	const struct conf_program *p = conf_program_find(c, "web");
	assert_non_null(p);
	snprintf(want, sizeof(want), "%s/bin/web --home /tmp --host %s --g site --n 1 100%%", sub,
		 un.nodename);
	assert_string_equal(p->procs[0].command, want);
	assert_string_equal(p->directory, sub);
	snprintf(want, sizeof(want), "%s/web.out", sub);
	assert_string_equal(p->procs[0].stdout_logfile, want);
	assert_string_equal(p->procs[0].stderr_logfile, "/tmp/000.err");
	char **env = p->procs[0].environment;
	assert_string_equal(env[0], "HOME=/tmp");
	assert_string_equal(env[1], "NAME=web");
	assert_string_equal(env[2], "LIST=a,b,c");
	assert_string_equal(env[3], "SP=x y");
	assert_null(env[4]);
	assert_string_equal(p->where.file, "sub/prog.conf");
	conf_free(c);
	unsetenv("TV_TEST_HOME");
}

/* ---- numprocs ---- */

static void test_numprocs(void **state)
{
	(void)state;
	put("main.conf", "[program:worker]\n"
			 "command=/usr/bin/worker --id %(process_num)d --of %(numprocs)d\n"
			 "process_name=%(program_name)s_%(process_num)02d\n"
			 "numprocs=3\n"
			 "numprocs_start=1\n"
			 "stdout_logfile=/var/log/%(process_num)02d.log\n"
			 "stderr_logfile=none\n"
			 "environment=SLOT=%(process_num)s\n");
	struct conf *c = load("main.conf");
	const struct conf_program *p = conf_program_find(c, "worker");
	assert_int_equal(p->numprocs, 3);
	assert_int_equal(p->nprocs, 3);
	static const char *const names[] = {"worker_01", "worker_02", "worker_03"};
	for (int i = 0; i < 3; i++) {
		char want[128];
		assert_string_equal(p->procs[i].name, names[i]);
		assert_int_equal(p->procs[i].process_num, i + 1);
		snprintf(want, sizeof(want), "/usr/bin/worker --id %d --of 3", i + 1);
		assert_string_equal(p->procs[i].command, want);
		snprintf(want, sizeof(want), "/var/log/%02d.log", i + 1);
		assert_string_equal(p->procs[i].stdout_logfile, want);
		assert_string_equal(p->procs[i].stderr_logfile, "NONE");
		snprintf(want, sizeof(want), "SLOT=%d", i + 1);
		assert_string_equal(p->procs[i].environment[0], want);
	}
	/* Each process has its own fingerprint. */
	assert_string_not_equal(p->procs[0].fingerprint, p->procs[1].fingerprint);
	conf_free(c);

	load_err_text(
	    "[program:w]\ncommand=a\nnumprocs=2\nprocess_name=w_%(process_num)s\nnumprocs_start=x\n",
	    "main.conf:5: numprocs_start: not a number: \"x\"");
	load_err_text(
	    "[program:w]\ncommand=a\nnumprocs=2\nprocess_name=w\n",
	    "main.conf:4: [program:w]: %(process_num) must be present within process_name when numprocs > 1");
	load_err_text("[program:w]\ncommand=a\nnumprocs=2\nprocess_name=w%(process_num)d\n"
		      "[program:v]\ncommand=b\nprocess_name=w1\n[group:g]\nprograms=w,v\n",
		      "main.conf:5: [program:v]: process name \"w1\" is also used by [program:w] in group g");
}

/* ---- groups ---- */

static void test_groups(void **state)
{
	(void)state;
	put("main.conf", "[program:a]\ncommand=/bin/a\n"
			 "[program:b]\ncommand=/bin/b\n"
			 "[program:c]\ncommand=/bin/c\n"
			 "[group:ab]\nprograms=a, b\npriority=5\n");
	struct conf *c = load("main.conf");
	assert_int_equal(c->ngroups, 1);
	assert_string_equal(c->groups[0].name, "ab");
	assert_int_equal(c->groups[0].priority, 5);
	assert_string_equal(c->groups[0].where.file, "main.conf");
	assert_int_equal(c->groups[0].where.line, 7);
	assert_string_equal(conf_program_find(c, "a")->group, "ab");
	assert_string_equal(conf_program_find(c, "b")->group, "ab");
	assert_string_equal(conf_program_find(c, "c")->group, "c");
	conf_free(c);
}

/* ---- includes ---- */

static void test_includes(void **state)
{
	(void)state;
	/* main is in etc/, loaded from the test directory: globs are relative to the
	 * including file, never to the current directory. */
	put("etc/main.conf", "[taskvisord]\nlogdir=%(here)s/logs\n"
			     "[include]\n"
			     "files = conf.d/*.conf  extra.conf\n"
			     "        nothing/*.conf\n");
	put("etc/conf.d/10-a.conf", "[program:a]\ncommand=/bin/a\n");
	put("etc/conf.d/20-b.conf", "[program:b]\ncommand=%(here)s/b\n[include]\nfiles=deeper/*.conf\n");
	put("etc/conf.d/deeper/c.conf", "[program:c]\ncommand=%(here)s/c\n");
	put("etc/conf.d/not-included.ini", "[program:z]\ncommand=/bin/z\n");
	put("etc/extra.conf", "[program:e]\ncommand=/bin/e\n");
	put("conf.d/10-a.conf", "garbage that must never be read\n");
	struct conf *c = load("etc/main.conf");
	char here[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(realpath("etc", here));
	snprintf(want, sizeof(want), "%s/logs", here);
	assert_string_equal(c->logdir, want);
	/* As supervisord: only the main file's [include] is followed (20-b.conf's is merged into it
	 * and said in a warning); globs sorted, in the order of the patterns. */
	assert_int_equal(c->nprograms, 3);
	assert_string_equal(c->programs[0].name, "a");
	assert_string_equal(c->programs[1].name, "b");
	assert_string_equal(c->programs[2].name, "e");
	assert_string_equal(c->programs[1].where.file, "etc/conf.d/20-b.conf");
	snprintf(want, sizeof(want), "%s/conf.d/b", here);
	assert_string_equal(c->programs[1].procs[0].command, want);
	assert_null(conf_program_find(c, "c"));
	assert_null(conf_program_find(c, "z"));
	assert_true(has_warning(c, "etc/main.conf:4: No file matches via include \"nothing/*.conf\""));
	assert_true(has_warning(c,
				"etc/conf.d/20-b.conf:4: [include] in an included file is not "
				"followed: only the main file's [include] names files (as in supervisord)"));
	conf_free(c);

	/* Absolute patterns work as they are. */
	char abs[PATH_MAX * 2];
	snprintf(abs, sizeof(abs), "[include]\nfiles=%s/extra.conf\n", here);
	put("abs.conf", abs);
	c = load("abs.conf");
	assert_int_equal(c->nprograms, 1);
	assert_string_equal(c->programs[0].name, "e");
	conf_free(c);

	/* No cycle can form: b.conf's [include] names nothing. */
	put("cyc/a.conf", "[include]\nfiles=b.conf\n");
	put("cyc/b.conf", "[program:b]\ncommand=x\n[include]\nfiles=a.conf\n");
	c = load("cyc/a.conf");
	assert_int_equal(c->nprograms, 1);
	conf_free(c);

	/* A file reached twice is read twice, as supervisord does: the same sections, merged. */
	put("twice/main.conf", "[include]\nfiles=x.conf x.conf\n");
	put("twice/x.conf", "[program:x]\ncommand=x\n");
	c = load("twice/main.conf");
	assert_int_equal(c->nprograms, 1);
	conf_free(c);
}

/* ---- long lines ---- */

static void test_long_lines(void **state)
{
	(void)state;
	size_t cap = 40000;
	char *cmd = malloc(cap), *env = malloc(cap), *text = malloc(cap * 3);
	strcpy(cmd, "/bin/echo");
	while (strlen(cmd) < 8192)
		strcat(cmd, " argument-with-some-length");
	env[0] = '\0';
	for (int i = 0; strlen(env) < 8192; i++)
		sprintf(env + strlen(env), "%sVARIABLE_%04d=\"value %d, with a comma\"", i ? "," : "", i, i);
	snprintf(text, cap * 3,
		 "[program:long]\n"
		 "command=%s ; trailing comment\n"
		 "environment=%s\n"
		 "startsecs=abc\n",
		 cmd, env);
	char err[1024];
	put("main.conf", text);
	/* line numbers stay right after the long lines */
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_string_equal(err, "main.conf:4: startsecs: not a number: \"abc\"");

	snprintf(text, cap * 3, "[program:long]\ncommand=%s\nenvironment=%s\n", cmd, env);
	struct conf *c = load_text(text);
	const struct conf_program *p = conf_program_find(c, "long");
	assert_string_equal(p->procs[0].command, cmd);
	assert_true(strlen(p->procs[0].command) >= 8192);
	size_t n = 0;
	for (char **e = p->procs[0].environment; *e != NULL; e++, n++) {
		char want[128];
		snprintf(want, sizeof(want), "VARIABLE_%04zu=value %zu, with a comma", n, n);
		assert_string_equal(*e, want);
	}
	assert_true(n > 200);
	conf_free(c);
	free(cmd);
	free(env);
	free(text);
}

/* ---- program options beyond supervisord ---- */

static void test_extensions(void **state)
{
	(void)state;
	put("app.env",
	    "# comment\nexport DB_URL=postgres://db/app\nFROM_FILE='quoted value'\nSHARED=file\n\n");
	put("main.conf", "[program:app]\n"
			 "command=/usr/bin/app\n"
			 "memory_limit=512MB\n"
			 "ready=notify\n"
			 "watchdog_sec=30s\n"
			 "restart_cron=0 3 * * 0\n"
			 "backoff_max=1m\n"
			 "startretries=-1\n"
			 "fatal_retry_after=10m\n"
			 "fatal_action=shutdown\n"
			 "oom_score_adj=-500\n"
			 "rlimit_nofile=4096:8192\n"
			 "rlimit_core=unlimited\n"
			 "rlimit_as=2GB\n"
			 "rlimit_cpu=1h\n"
			 "environment_file=app.env\n"
			 "environment=SHARED=option,EXTRA=1\n"
			 "log_timestamps=true\n"
			 "stopasgroup=true\n"
			 "depends_on=db, cache\n"
			 "[program:db]\ncommand=/usr/bin/db\n"
			 "[program:cache]\ncommand=/usr/bin/cache\ndepends_on=db\n");
	struct conf *c = load("main.conf");
	const struct conf_program *p = conf_program_find(c, "app");
	assert_int_equal(p->memory_limit, 512LL << 20);
	assert_int_equal(p->ready, READY_NOTIFY);
	assert_int_equal(p->watchdog_sec, 30);
	assert_string_equal(p->restart_cron, "0 3 * * 0");
	assert_int_equal(p->backoff_max, 60);
	assert_int_equal(p->startretries, -1);
	assert_int_equal(p->fatal_retry_after, 600);
	assert_int_equal(p->fatal_action, FATAL_ACTION_SHUTDOWN);
	assert_int_equal(p->oom_score_adj, -500);
	assert_true(p->log_timestamps);
	assert_true(p->stopasgroup);
	assert_true(p->killasgroup); /* implied */
	assert_string_equal(p->depends_on[0], "db");
	assert_string_equal(p->depends_on[1], "cache");
	assert_null(p->depends_on[2]);
	assert_int_equal(p->nrlimits, 4);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 4096);
	assert_int_equal(p->rlimits[0].hard, 8192);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == RLIM_INFINITY && p->rlimits[1].hard == RLIM_INFINITY);
	assert_int_equal(p->rlimits[2].resource, RLIMIT_AS);
	assert_int_equal(p->rlimits[2].soft, 2LL << 30);
	assert_int_equal(p->rlimits[3].resource, RLIMIT_CPU);
	assert_int_equal(p->rlimits[3].soft, 3600);
	char here[PATH_MAX], want[PATH_MAX + 16];
	assert_non_null(realpath(".", here));
	snprintf(want, sizeof(want), "%s/app.env", here);
	assert_string_equal(p->environment_file, want);
	char **env = p->procs[0].environment;
	assert_string_equal(env_get(env, "DB_URL"), "postgres://db/app");
	assert_string_equal(env_get(env, "FROM_FILE"), "quoted value");
	assert_string_equal(env_get(env, "SHARED"), "option"); /* environment= wins */
	assert_string_equal(env_get(env, "EXTRA"), "1");
	assert_string_equal(env[0], "DB_URL=postgres://db/app"); /* the file first */
	conf_free(c);
}

static void test_envfile_error(void **state)
{
	(void)state;
	char err[1024], want[PATH_MAX + 128], here[PATH_MAX];
	put("bad.env", "GOOD=1\nthis line is bad\n");
	put("main.conf", "[program:app]\ncommand=a\n\nenvironment_file=bad.env\n");
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_non_null(realpath(".", here));
	snprintf(want, sizeof(want), "main.conf:4: environment_file: %s/bad.env:2: expected KEY=VALUE", here);
	assert_string_equal(err, want);
}

/* ---- depends_on cycles ---- */

static void test_depends_cycle(void **state)
{
	(void)state;
	load_err_text("[program:a]\ncommand=a\ndepends_on=b\n"
		      "[program:b]\ncommand=b\ndepends_on=a\n",
		      "main.conf:3: depends_on cycle: a -> b -> a");
	load_err_text("[program:web]\ncommand=a\ndepends_on=db\n"
		      "[program:a]\ncommand=a\ndepends_on=b\n"
		      "[program:b]\ncommand=b\ndepends_on=c\n"
		      "[program:c]\ncommand=b\ndepends_on=a\n"
		      "[program:db]\ncommand=b\ndepends_on=b\n",
		      "main.conf:6: depends_on cycle: a -> b -> c -> a");
	/* a diamond is not a cycle */
	put("main.conf", "[program:a]\ncommand=a\ndepends_on=b,c\n[program:b]\ncommand=b\ndepends_on=d\n"
			 "[program:c]\ncommand=c\ndepends_on=d\n[program:d]\ncommand=d\n");
	conf_free(load("main.conf"));
}

/* ---- task types and recurring logics ---- */

static void test_tasks(void **state)
{
	(void)state;
	put("main.conf",
	    "[task:repo.sync]\n"
	    "name = Synchronize repository %(input.repo)s   ; %(input.KEY)s reads the task's input JSON\n"
	    "queue = default                                ; workers serving this queue run its steps\n"
	    "steps = fetch, index, publish                  ; run in this order\n"
	    "step.fetch = /usr/local/bin/repo-fetch --repo %(input.repo)s   ; a command, for the exec "
	    "worker\n"
	    "step.index = /usr/local/bin/repo-index\n"
	    "step.publish = handler:publish                 ; a handler registered by a C worker\n"
	    "on_error = pause                               ; pause (default) | stop | skip\n"
	    "cancellable = true                             ; default false\n"
	    "retry_on_worker_loss = 0                       ; times a step is re-queued when its worker "
	    "dies\n"
	    "timeout = 1h                                   ; a step running longer counts as stuck\n"
	    "lock = repository:%(input.repo)s               ; exclusive; may repeat\n"
	    "lock = mirror:%(input.mirror)s\n"
	    "link = user:%(triggered_by)s                   ; non-exclusive; may repeat\n"
	    "cleanup_after = 30d\n"
	    "\n"
	    "[task:simple]\n"
	    "steps = only\n"
	    "step.only = /bin/true\n"
	    "\n"
	    "[recurring:weekly-sync]\n"
	    "label = repo.sync\n"
	    "cron = 0 3 * * 0\n"
	    "input = {\"repo\": \"fedora\",\n"
	    "         \"mirror\": \"eu\"}\n"
	    "iterations = 10\n"
	    "until = 2026-12-01 13:00\n"
	    "[recurring:daily]\n"
	    "label = simple\n"
	    "cron = @daily\n"
	    "until = 2027-01-31\n");
	struct conf *c = load("main.conf");
	assert_int_equal(c->ntasks, 2);
	const struct conf_task *t = conf_task_find(c, "repo.sync");
	assert_non_null(t);
	assert_string_equal(t->label, "repo.sync");
	assert_int_equal(t->where.line, 1);
	assert_string_equal(t->name_template, "Synchronize repository %(input.repo)s");
	assert_string_equal(t->queue, "default");
	assert_int_equal(t->nsteps, 3);
	assert_string_equal(t->steps[0].name, "fetch");
	assert_string_equal(t->steps[0].command, "/usr/local/bin/repo-fetch --repo %(input.repo)s");
	assert_null(t->steps[0].handler);
	assert_string_equal(t->steps[1].command, "/usr/local/bin/repo-index");
	assert_string_equal(t->steps[2].name, "publish");
	assert_null(t->steps[2].command);
	assert_string_equal(t->steps[2].handler, "publish");
	assert_int_equal(t->on_error, ON_ERROR_PAUSE);
	assert_true(t->cancellable);
	assert_int_equal(t->retry_on_worker_loss, 0);
	assert_int_equal(t->timeout, 3600);
	assert_string_equal(t->locks[0], "repository:%(input.repo)s");
	assert_string_equal(t->locks[1], "mirror:%(input.mirror)s");
	assert_null(t->locks[2]);
	assert_string_equal(t->links[0], "user:%(triggered_by)s");
	assert_null(t->links[1]);
	assert_int_equal(t->cleanup_after, 30 * 86400);

	t = conf_task_find(c, "simple");
	assert_string_equal(t->name_template, "simple");
	assert_string_equal(t->queue, "default");
	assert_int_equal(t->on_error, ON_ERROR_PAUSE);
	assert_false(t->cancellable);
	assert_int_equal(t->timeout, 0);
	assert_null(t->locks[0]);
	assert_null(t->links[0]);
	assert_int_equal(t->cleanup_after, 0);

	assert_int_equal(c->nrecurring, 2);
	const struct conf_recurring *r = &c->recurring[0];
	assert_string_equal(r->name, "weekly-sync");
	assert_string_equal(r->label, "repo.sync");
	assert_string_equal(r->cron, "0 3 * * 0");
	assert_string_equal(r->input, "{\"repo\": \"fedora\",\n\"mirror\": \"eu\"}");
	assert_int_equal(r->iterations, 10);
	struct tm tm = {.tm_year = 126, .tm_mon = 11, .tm_mday = 1, .tm_hour = 13, .tm_isdst = -1};
	assert_int_equal(r->until, (long long)mktime(&tm));
	r = &c->recurring[1];
	assert_string_equal(r->input, "{}");
	assert_int_equal(r->iterations, 0);
	struct tm tm2 = {.tm_year = 127, .tm_mon = 0, .tm_mday = 31, .tm_isdst = -1};
	assert_int_equal(r->until, (long long)mktime(&tm2));
	assert_int_equal(c->nwarnings, 0);
	conf_free(c);
}

/* %(here)s, %(host_node_name)s and %(ENV_X)s are known at load time; the rest is the engine's. */
static void test_task_templates(void **state)
{
	(void)state;
	setenv("TV_TEST_PCT", "50%", 1);
	put("sub/t.conf",
	    "[task:t]\n"
	    "name = Run %(input.n)03d on %(host_node_name)s\n"
	    "steps = a\n"
	    "step.a = %(here)s/run.sh --rate %(ENV_TV_TEST_PCT)s --who %(triggered_by)-8s 100%% %\n"
	    "lock = dir:%(here)s\n");
	struct conf *c = load_text("[include]\nfiles = sub/*.conf\n");
	char sub[PATH_MAX], want[PATH_MAX * 2];
	struct utsname un;
	sub_and_host(sub, &un);
	const struct conf_task *t = conf_task_find(c, "t");
	snprintf(want, sizeof(want), "Run %%(input.n)03d on %s", un.nodename);
	assert_string_equal(t->name_template, want);
	snprintf(want, sizeof(want), "%s/run.sh --rate 50%%%% --who %%(triggered_by)-8s 100%%%% %%", sub);
	assert_string_equal(t->steps[0].command, want);
	snprintf(want, sizeof(want), "dir:%s", sub);
	assert_string_equal(t->locks[0], want);
	conf_free(c);
	unsetenv("TV_TEST_PCT");
	load_err_text("[task:t]\nsteps=a\nstep.a=%(ENV_TV_SURELY_UNSET_VAR)s\n",
		      "main.conf:3: step.a: cannot expand %(ENV_TV_SURELY_UNSET_VAR)s: no such name");
}

/* A step command is split at load; a substitution where a shell or interpreter reads code is refused. */
static void test_task_step_argv(void **state)
{
	char err[1024] = "";
	struct conf *c;
	const struct conf_task *t;

	(void)state;
	put("conf.d/x.conf", "; injection-proof templates\n"
			     "[task:x]\n"
			     "steps = a, b, c\n"
			     "step.a = /bin/echo \"%(input.v)s\" --opt=%(input.w)s\n"
			     "step.b = sh -c 'echo \"$TASK_INPUT_v\" >> out'\n"
			     "step.c = echo hi | cat\n");
	c = load_text("[include]\nfiles = conf.d/*.conf\n");
	t = conf_task_find(c, "x");
	assert_false(t->steps[0].argv.shell);
	assert_int_equal(t->steps[0].argv.n, 3);
	assert_string_equal(t->steps[0].argv.w[1].text, "%(input.v)s");
	assert_string_equal(t->steps[0].argv.w[2].text, "--opt=%(input.w)s");
	assert_false(t->steps[1].argv.shell);
	assert_string_equal(t->steps[1].argv.w[2].text, "echo \"$TASK_INPUT_v\" >> out");
	assert_true(t->steps[2].argv.shell);
	conf_free(c);

	put("conf.d/x.conf", "[task:x]\n"
			     "steps = x\n"
			     "\n"
			     "step.x = sh -c \"echo %(input.v)s >> out\"\n");
	put("main.conf", "[include]\nfiles = conf.d/*.conf\n");
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_string_equal(err, "conf.d/x.conf:4: step.x: %(input.v)s inside shell code (sh -c); use "
				 "\"$TASK_INPUT_v\" instead");
	unlink("conf.d/x.conf");
	load_err_text("[task:t]\nsteps=a\nstep.a=echo '%(input.v)s' >> out\n",
		      "main.conf:3: step.a: %(input.v)s inside shell code; use \"$TASK_INPUT_v\" instead");
	load_err_text("[task:t]\nsteps=a\nstep.a=python3 -c 'print(%(input.n)d)'\n",
		      "main.conf:3: step.a: %(input.n)d inside code (python3 -c); read the environment "
		      "variable TASK_INPUT_n instead");
	load_err_text("[task:t]\nsteps=a\nstep.a=%(input.cmd)s x\n",
		      "main.conf:3: step.a: %(input.cmd)s as the program; input may not choose what runs");
	load_err_text("[task:t]\nsteps=a\nstep.a=echo 'x\n", "main.conf:3: step.a: unclosed ' quote");
}

static void test_task_errors(void **state)
{
	(void)state;
	load_err_text("[task:t]\nqueue=q\n", "main.conf:1: [task:t]: steps is required");
	load_err_text("[task:t]\nsteps=a,b\nstep.a=x\n", "main.conf:2: steps: step b has no step.b entry");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\nstep.b=y\n",
		      "main.conf:4: step.b: step b is not listed in steps");
	load_err_text("[task:t]\nsteps=a,a\nstep.a=x\n", "main.conf:2: steps: step a is named twice");
	load_err_text("[task:t]\nsteps=a\nstep.a=handler:\n", "main.conf:3: step.a: handler name missing");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\non_error=explode\n",
		      "main.conf:4: on_error: expected pause, stop or skip: \"explode\"");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\ntimeout=long\n",
		      "main.conf:4: timeout: not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m): \"long\"");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\ncancellable=perhaps\n",
		      "main.conf:4: cancellable: not a boolean (true/false): \"perhaps\"");
	load_err_text("[task:t]\nsteps=a\nstep.a=x %(input.x\n",
		      "main.conf:3: step.a: unterminated %(...): \"%(input.x\"");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\nlock=r:%(input.x)q\n",
		      "main.conf:4: lock: bad format character in \"%(input.x)q\" (use s or d)");
	load_err_text("[task:t]\nsteps=a\nstep.a=x\nretry_on_worker_loss=-1\n",
		      "main.conf:4: retry_on_worker_loss: out of range (0..1000): \"-1\"");
	static const char task[] = "[task:t]\nsteps=a\nstep.a=x\n";
	char text[512];
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=nope\ncron=* * * * *\n", task);
	load_err_text(text, "main.conf:5: label: no such task type: [task:nope]");
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\ncron=* * * * *\ninput=[1,2]\n", task);
	load_err_text(text, "main.conf:7: input: not a JSON object: [1,2]");
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\ncron=* * * * *\ninput={nope\n", task);
	char err[1024];
	put("main.conf", text);
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_true(strncmp(err, "main.conf:7: input: not JSON: ", 30) == 0);
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\ncron=* * * * *\nuntil=2026-02-30\n", task);
	load_err_text(text, "main.conf:7: until: not a time (" WHEN_FORMS "): \"2026-02-30\"");
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\ncron=* * * * *\niterations=x\n", task);
	load_err_text(text, "main.conf:7: iterations: not a number: \"x\"");
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\n", task);
	load_err_text(text, "main.conf:4: [recurring:r]: cron is required");
	snprintf(text, sizeof(text), "%s[recurring:r]\ncron=* * * * *\n", task);
	load_err_text(text, "main.conf:4: [recurring:r]: label is required");
	snprintf(text, sizeof(text), "%s[recurring:r]\nlabel=t\ncron=61 * * * *\n", task);
	put("main.conf", text);
	assert_null(conf_load("main.conf", err, sizeof(err)));
	assert_true(strncmp(err, "main.conf:6: cron: ", 19) == 0);
}

/* ---- warnings ---- */

static void test_warnings(void **state)
{
	(void)state;
	put("main.conf", "[program:x]\n"
			 "command=a\n"
			 "stdout_events_enabled=true\n"
			 "stdout_logfile=syslog\n"
			 "no_such_option=1\n"
			 "priority=1\n"
			 "priority=2\n"
			 "[programme:typo]\n"
			 "command=b\n"
			 "[task:t]\nsteps=a\nstep.a=x\nfoo=bar\n");
	struct conf *c = load("main.conf");
	/* stdout_events_enabled is read (for event listeners), not warned of; the deprecated
	 * stdout_logfile=syslog is said and read as stdout_syslog=true, with no file */
	assert_true(conf_program_find(c, "x")->stdout_events_enabled);
	assert_true(conf_program_find(c, "x")->stdout_syslog);
	assert_string_equal(conf_program_find(c, "x")->procs[0].stdout_logfile, "NONE");
	assert_true(has_warning(c, "main.conf:4: [program:x] stdout_logfile=syslog is deprecated (as in "
				   "supervisord): read as stdout_syslog=true"));
	assert_true(has_warning(c, "main.conf:5: [program:x] no_such_option: unknown option, ignored"));
	assert_true(has_warning(
	    c, "main.conf:7: [program:x] priority: also set at main.conf:6; the last one counts"));
	assert_true(has_warning(c, "main.conf:8: [programme:typo]: unknown section, ignored"));
	assert_true(has_warning(c, "main.conf:13: [task:t] foo: unknown option, ignored"));
	assert_int_equal(c->nwarnings, 5);
	assert_int_equal(conf_program_find(c, "x")->priority, 2);
	conf_free(c);
}

/* ---- fingerprints ---- */

static char *fingerprint_of(const char *text, const char *prog, size_t i)
{
	struct conf *c = load_text(text);
	const struct conf_program *p = conf_program_find(c, prog);
	assert_non_null(p);
	char *fp = strdup(p->procs[i].fingerprint);
	conf_free(c);
	return fp;
}

static void test_fingerprint(void **state)
{
	(void)state;
	static const char base[] = "[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\n";
	static const char changed_b[] = "[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b --new\n";
	static const char commented[] = "; a comment\n[program:a]\ncommand=/bin/a ; same\n\n"
					"[program:b]\ncommand = /bin/b\n";
	static const char changed_a_env[] = "[program:a]\ncommand=/bin/a\nenvironment=X=1\n"
					    "[program:b]\ncommand=/bin/b\n";
	char *a0 = fingerprint_of(base, "a", 0), *b0 = fingerprint_of(base, "b", 0);
	char *a1 = fingerprint_of(changed_b, "a", 0), *b1 = fingerprint_of(changed_b, "b", 0);
	char *a2 = fingerprint_of(commented, "a", 0), *b2 = fingerprint_of(commented, "b", 0);
	char *a3 = fingerprint_of(changed_a_env, "a", 0);
	assert_string_equal(a0, a1);
	assert_string_not_equal(b0, b1);
	assert_string_equal(a0, a2);
	assert_string_equal(b0, b2);
	assert_string_not_equal(a0, a3);
	assert_non_null(strstr(b1, "command=/bin/b --new\n"));
	free(a0);
	free(b0);
	free(a1);
	free(b1);
	free(a2);
	free(b2);
	free(a3);
}

/* ---- the sample configuration shipped at the repository root ---- */

static void test_sample(void **state)
{
	(void)state;
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/taskvisord.conf", oldcwd);
	if (access(path, R_OK) != 0)
		skip();
	struct conf *c = load(path);
	assert_true(c->nprograms >= 2);
	assert_true(c->ntasks >= 1);
	assert_non_null(strstr(c->socket_file, "/var/run/"));
	assert_non_null(strstr(c->database, "/var/"));
	assert_int_equal(c->nwarnings, 0);
	conf_free(c);
}

/* A NUL byte is refused with file:line, not taken as the end of the file; so is the byte the
 * long-line reader uses as its own marker. start_limit_* defaults and values. */
static void test_bad_bytes(void **state)
{
	(void)state;
	static const char text[] = "[program:before]\ncommand = sleep 1\n; x\0y\n[program:after]\ncommand = "
				   "sleep 2\n";
	FILE *fp = fopen("main.conf", "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, fp), sizeof(text) - 1);
	fclose(fp);
	char err[1024] = "";
	struct conf *c = conf_load("main.conf", err, sizeof(err));
	if (c != NULL) {
		conf_free(c);
		fail_msg("a file with a NUL byte loaded");
	}
	assert_string_equal(err, "main.conf:3: a NUL byte: the file must be text");
	load_err_text("[program:a]\ncommand = sleep 1\nstartsecs = 1\001\n",
		      "main.conf:3: a control character (0x01): the file must be text");

	c = load_text("[program:a]\ncommand = sleep 1\n[program:b]\ncommand = sleep 1\n"
		      "start_limit_burst = 2\nstart_limit_interval = 1m\n");
	assert_int_equal(c->programs[0].start_limit_burst, 5);
	assert_int_equal(c->programs[0].start_limit_interval, 10);
	assert_int_equal(c->programs[1].start_limit_burst, 2);
	assert_int_equal(c->programs[1].start_limit_interval, 60);
	conf_free(c);
}

/* conf_socket (taskvisorctl -c): the socket alone, expanded as the daemon does, whatever else the
 * files hold. */
static void test_socket(void **state)
{
	char err[1024], here[PATH_MAX], want[PATH_MAX + 32], *sock;

	(void)state;
	assert_non_null(getcwd(here, sizeof(here)));
	/* A program the daemon would refuse, in the main file and in an include: not our business. */
	put("main.conf", "[taskvisord]\nlogfile=/x\n[unix_socket]\nfile = /run/x.sock\n"
			 "[program:bad]\nstartsecs = abc\n[include]\nfiles = conf.d/*.conf\n");
	put("conf.d/app.conf", "[program:app]\nstartretries = many\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_non_null(sock);
	assert_string_equal(sock, "/run/x.sock");
	assert_string_equal(err, "");
	free(sock);
	/* %(here)s and %(ENV_X)s as conf_load expands them; the section in an included file. */
	put("main.conf", "[include]\nfiles = sub/sock.conf\n");
	put("sub/sock.conf", "[unix_http_server]\nfile=%(here)s/%(ENV_TEST_CONF_SOCK)s.sock\n");
	setenv("TEST_CONF_SOCK", "sv", 1);
	sock = conf_socket("main.conf", err, sizeof(err));
	snprintf(want, sizeof(want), "%s/sub/sv.sock", here);
	assert_string_equal(sock, want);
	free(sock);
	/* supervisorctl's serverurl wins over the server's file; http:// is not ours. */
	put("main.conf", "[unix_http_server]\nfile=/a.sock\n[supervisorctl]\nserverurl=unix:///b.sock\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_string_equal(sock, "/b.sock");
	free(sock);
	put("main.conf", "[unix_http_server]\nfile=/a.sock\n[supervisorctl]\nserverurl=http://h:9001\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_string_equal(sock, "/a.sock");
	free(sock);
	/* None named: the daemon's default. */
	put("main.conf", "[taskvisord]\nlogfile=/x\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_string_equal(sock, PROTO_DEFAULT_SOCKET);
	assert_string_equal(err, "");
	free(sock);
	/* An include that cannot be read after the socket was named: the socket, no word. */
	put("main.conf", "[unix_socket]\nfile=/c.sock\n[include]\nfiles=sub/nope.conf\n");
	put("sub/nope.conf", "no section\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_string_equal(sock, "/c.sock");
	assert_string_equal(err, "");
	free(sock);
	/* ... before any socket was named: the default, and why it is a guess. */
	put("main.conf", "[include]\nfiles=sub/nope.conf\n[unix_socket]\nfile=/c.sock\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_non_null(sock);
	free(sock);
	put("main.conf", "[taskvisord]\nx\n");
	sock = conf_socket("main.conf", err, sizeof(err));
	assert_string_equal(sock, PROTO_DEFAULT_SOCKET);
	assert_non_null(strstr(err, "main.conf:2:"));
	free(sock);
	/* No file: NULL and why. */
	assert_null(conf_socket("nope.conf", err, sizeof(err)));
	assert_string_equal(err, "nope.conf: No such file or directory");
}

/* ---- [fcgi-program:x] (supervisord 4.2.5's options.py: process_groups_from_parser) ---- */

static void test_fcgi(void **state)
{
	(void)state;
	struct conf *c = load_text("[fcgi-program:web]\n"
				   "command=/usr/bin/web --n %(process_num)d\n"
				   "socket=unix://%(here)s/%(program_name)s.sock\n"
				   "socket_mode=0660\n"
				   "socket_owner=root:0\n"
				   "socket_backlog=50\n"
				   "process_name=%(program_name)s_%(process_num)02d\n"
				   "numprocs=2\n"
				   "[fcgi-program:api]\n"
				   "command=/usr/bin/api\n"
				   "socket=tcp://127.0.0.1:9000\n"
				   "[fcgi-program:plain]\n"
				   "command=/usr/bin/plain\n"
				   "socket=unix:///run/plain.sock\n");
	char here[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(realpath(".", here));

	const struct conf_program *p = conf_program_find(c, "web");
	assert_non_null(p);
	assert_true(p->fcgi);
	snprintf(want, sizeof(want), "unix://%s/web.sock", here);
	assert_string_equal(p->socket, want);
	assert_int_equal(p->socket_mode, 0660);
	assert_string_equal(p->socket_owner, "root:0");
	assert_int_equal(p->socket_backlog, 50);
	assert_string_equal(p->group, "web"); /* the group is named after the section */
	assert_int_equal(p->nprocs, 2);
	assert_string_equal(p->procs[0].name, "web_00");
	assert_string_equal(p->procs[1].command, "/usr/bin/web --n 1");
	assert_non_null(strstr(p->procs[0].fingerprint, "socket=unix://"));

	p = conf_program_find(c, "api");
	assert_true(p->fcgi);
	assert_string_equal(p->socket, "tcp://127.0.0.1:9000");
	assert_int_equal(p->socket_backlog, 0); /* SOMAXCONN */
	assert_null(p->socket_owner);

	p = conf_program_find(c, "plain");
	assert_int_equal(p->socket_mode, 0700); /* supervisord's default */
	assert_null(p->socket_owner);
	/* a plain [program:x] is no fcgi program, and socket= there means nothing */
	assert_false(has_warning(c, "main.conf:3: [fcgi-program:web] socket: unknown option, ignored"));
	assert_null(c->warnings[0]);
	conf_free(c);

	c = load_text("[program:x]\ncommand=/bin/x\nsocket=unix:///tmp/x.sock\n");
	assert_false(conf_program_find(c, "x")->fcgi);
	assert_true(has_warning(c, "main.conf:3: [program:x] socket: unknown option, ignored"));
	conf_free(c);

	/* as deployments write them (Django Channels' daphne, uvicorn, an iipsrv behind nginx) */
	c = load_text("[fcgi-program:asgi]\n"
		      "socket=tcp://localhost:8000\n"
		      "directory=/srv/app\n"
		      "command=daphne -u /run/daphne/daphne%(process_num)d.sock --fd 0 app.asgi:application\n"
		      "numprocs=4\n"
		      "process_name=asgi%(process_num)d\n"
		      "autostart=true\n"
		      "autorestart=true\n"
		      "stdout_logfile=/var/log/asgi.log\n"
		      "redirect_stderr=true\n"
		      "[fcgi-program:uvicorn]\n"
		      "socket=tcp://0.0.0.0:8001\n"
		      "command=venv/bin/uvicorn --fd 0 main:App\n"
		      "numprocs=2\n"
		      "process_name=uvicorn-%(process_num)d\n"
		      "stdout_logfile_maxbytes=0\n"
		      "[fcgi-program:iipserver]\n"
		      "command=/usr/local/share/iipimage/iipsrv.fcgi\n"
		      "socket=unix:///tmp/%(program_name)s.sock\n"
		      "autorestart=unexpected\n"
		      "redirect_stdout=true\n"
		      "environment=JPEG_QUALITY='100',MAX_LAYERS='4'\n");
	p = conf_program_find(c, "asgi");
	assert_int_equal(p->nprocs, 4);
	assert_string_equal(p->procs[3].name, "asgi3");
	assert_string_equal(p->procs[3].command,
			    "daphne -u /run/daphne/daphne3.sock --fd 0 app.asgi:application");
	assert_string_equal(p->socket, "tcp://localhost:8000");
	assert_string_equal(conf_program_find(c, "uvicorn")->procs[1].name, "uvicorn-1");
	assert_string_equal(conf_program_find(c, "iipserver")->socket, "unix:///tmp/iipserver.sock");
	assert_true(has_warning(
	    c, "main.conf:21: [fcgi-program:iipserver] redirect_stdout: unknown option, ignored"));
	conf_free(c);

	/* the socket is part of the fingerprint: a changed socket restarts the group on update */
	char *a = fingerprint_of("[fcgi-program:w]\ncommand=/bin/w\nsocket=unix:///tmp/a.sock\n", "w", 0);
	char *b = fingerprint_of("[fcgi-program:w]\ncommand=/bin/w\nsocket=unix:///tmp/b.sock\n", "w", 0);
	char *m = fingerprint_of("[fcgi-program:w]\ncommand=/bin/w\nsocket=unix:///tmp/a.sock\n"
				 "socket_mode=0666\n",
				 "w", 0);
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, m);
	free(a);
	free(b);
	free(m);
}

static void test_fcgi_errors(void **state)
{
	(void)state;
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\n",
		      "main.conf:1: [fcgi-program:web] section requires a \"socket\" line");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=\n",
		      "main.conf:3: [fcgi-program:web] section requires a \"socket\" line");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix://rel.sock\n",
		      "main.conf:3: socket: unix socket path is not absolute: \"rel.sock\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=tcp://localhost\n",
		      "main.conf:3: socket: expected unix:///absolute/path or tcp://host:port: "
		      "\"tcp://localhost\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=tcp://localhost:99999\n",
		      "main.conf:3: socket: expected unix:///absolute/path or tcp://host:port: "
		      "\"tcp://localhost:99999\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=/tmp/web.sock\n",
		      "main.conf:3: socket: expected unix:///absolute/path or tcp://host:port: "
		      "\"/tmp/web.sock\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=tcp://127.0.0.1:9000\nsocket_mode=0600\n",
		      "main.conf:3: socket_owner and socket_mode params should only be used with a Unix "
		      "domain socket");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\n"
		      "socket_owner=no-such-user-here\n",
		      "main.conf:4: socket_owner: no such user: \"no-such-user-here\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\n"
		      "socket_owner=root:no-such-group-here\n",
		      "main.conf:4: socket_owner: no such group: \"no-such-group-here\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\nsocket_mode=999\n",
		      "main.conf:4: socket_mode: not an octal number: \"999\"");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\nsocket_backlog=0\n",
		      "main.conf:4: socket_backlog: out of range (1..65535): \"0\"");
	/* one socket for every process: %(process_num)d cannot be in it */
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/%(process_num)d.sock\n",
		      "main.conf:3: socket: cannot expand %(process_num)d: no such name");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\nnumprocs=2\n",
		      "main.conf:1: [fcgi-program:web]: %(process_num) must be present within process_name "
		      "when numprocs > 1");
	load_err_text("[fcgi-program:web]\ncommand=/bin/web\n\n[program:web]\ncommand=/bin/web\n"
		      "socket=unix:///tmp/w.sock\n",
		      "main.conf:1: [fcgi-program:web]: [program:web] (main.conf:4) has the same name");
}

static void test_fcgi_groups(void **state)
{
	(void)state;
	/* supervisord: a member of a [group:x] is a plain process of the group, its socket unused */
	struct conf *c = load_text("[group:g]\nprograms=web,other\n"
				   "[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\n"
				   "[program:other]\ncommand=/bin/other\n");
	const struct conf_program *p = conf_program_find(c, "web");
	assert_non_null(p);
	assert_false(p->fcgi);
	assert_string_equal(p->group, "g");
	assert_true(has_warning(c, "main.conf:3: [fcgi-program:web] is in [group:g]: run as a plain program, "
				   "without its socket (as supervisord does)"));
	conf_free(c);
	load_err_text(
	    "[group:g]\nprograms=web\n[fcgi-program:web]\ncommand=/bin/web\nsocket=unix:///tmp/w.sock\n"
	    "[program:web]\ncommand=/bin/web\n",
	    "main.conf:2: [group:g] name web is ambiguous (exists as program and fcgi-program)");
	load_err_text("[group:g]\nprograms=nothere\n",
		      "main.conf:2: [group:g] names unknown program or fcgi-program nothere");
}

/* ---- supervisord's reading: merged sections, refusals, expansions (issue 13) ---- */

/* A section repeated, in one file or across includes, is merged as configparser(strict=False)
 * does: the later value of a key wins, the others stay; the order of first appearance holds. */
static void test_merge(void **state)
{
	(void)state;
	put("etc/supervisord.conf", "[unix_http_server]\n"
				    "file=%(here)s/sv.sock\n"
				    "chmod=0700\n"
				    "chown=root:root\n"
				    "[supervisord]\n"
				    "logfile=%(here)s/sv.log\n"
				    "[include]\n"
				    "files = conf.d/*.conf\n");
	put("etc/conf.d/app.conf", "[program:web]\n"
				   "command=/bin/web\n"
				   "priority=1\n"
				   "[program:worker]\n"
				   "command=/bin/worker\n"
				   "[program:web]\n"
				   "priority=2\n"
				   "directory=%(here)s\n"
				   "[unix_http_server]\n"
				   "chown=root\n");
	struct conf *c = load("etc/supervisord.conf");
	char here[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(realpath("etc", here));
	assert_int_equal(c->nprograms, 2);
	assert_string_equal(c->programs[0].name, "web");
	assert_string_equal(c->programs[1].name, "worker");
	assert_string_equal(c->programs[0].command, "/bin/web");
	assert_int_equal(c->programs[0].priority, 2);
	snprintf(want, sizeof(want), "%s/conf.d", here);
	assert_string_equal(c->programs[0].directory, want); /* %(here)s: where the key was set */
	snprintf(want, sizeof(want), "%s/sv.sock", here);
	assert_string_equal(c->socket_file, want);    /* kept from the first [unix_http_server] */
	assert_string_equal(c->socket_chown, "root"); /* replaced by the second */
	assert_int_equal(c->socket_chmod, 0700);
	assert_true(has_warning(c, "etc/conf.d/app.conf:7: [program:web] priority: also set at "
				   "etc/conf.d/app.conf:3; the last one counts"));
	assert_true(has_warning(c, "etc/conf.d/app.conf:10: [unix_http_server] chown: also set at "
				   "etc/supervisord.conf:4; the last one counts"));
	conf_free(c);
	/* An error in a merged key names the file and line that set it. */
	char err[1024];
	put("etc/conf.d/app.conf", "[supervisord]\nminfds=many\n");
	assert_null(conf_load("etc/supervisord.conf", err, sizeof(err)));
	assert_string_equal(err, "etc/conf.d/app.conf:2: minfds: not a number: \"many\"");
}

/* configparser's [DEFAULT]: its keys in every section that does not set them, unwarned. */
static void test_default_section(void **state)
{
	(void)state;
	struct conf *c =
	    load_text("[DEFAULT]\nautostart=false\nstartsecs=0\n"
		      "[supervisord]\n[program:a]\ncommand=x\n[program:b]\ncommand=y\nautostart=true\n");
	assert_false(c->programs[0].autostart);
	assert_int_equal(c->programs[0].startsecs, 0);
	assert_true(c->programs[1].autostart);
	assert_int_equal(c->nwarnings, 0);
	conf_free(c);
	/* supervisord hands them to the rpcinterface factory too, and fails to start */
	load_err_text(
	    "[DEFAULT]\nautostart=false\n[rpcinterface:supervisor]\n"
	    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
	    "main.conf:2: [rpcinterface:supervisor] autostart: "
	    "supervisor.rpcinterface:make_main_rpcinterface takes no options (supervisord cannot start "
	    "with it)");
}

/* What supervisord 4.2.5 refuses, refused with the place and the option's name. */
static void test_supervisord_refusals(void **state)
{
	(void)state;
	load_err_text("[program:x]\ncommand=a\nuser=tv-no-such-user\n",
		      "main.conf:3: user: no such user: \"tv-no-such-user\"");
	load_err_text("[program:x]\ncommand=a\nuser=\n", "main.conf:3: user: no such user: \"\"");
	load_err_text("[program:x]\ncommand=a\nuser=4000000000\n",
		      "main.conf:3: user: no such user id: 4000000000");
	load_err_text("[supervisord]\nuser=tv-no-such-user\n",
		      "main.conf:2: user: no such user: \"tv-no-such-user\"");
	load_err_text(
	    "[program:x]\ncommand=date +%Y\n",
	    "main.conf:2: command: \"%\" not followed by \"(name)s\" or \"%\" at \"%Y\" (write %% for a %)");
	load_err_text("[program:x]\ncommand=a\nstdout_logfile=/tmp/%%s.log\n",
		      "main.conf:3: stdout_logfile: \"%\" not followed by \"(name)s\" or \"%\" at \"%s.log\" "
		      "(write %% for a %)");
	load_err_text("[supervisord]\nenvironment=A=100%%\n",
		      "main.conf:2: environment: \"%\" not followed by \"(name)s\" or \"%\" at \"%\" (write "
		      "%% for a %)");
	load_err_text(
	    "[unix_http_server]\nfile=/tmp/x.sock\nusername=u\n",
	    "main.conf:1: [unix_http_server] contains incomplete authentication: if a username or a "
	    "password is specified, both the username and password must be specified");
	load_err_text("[unix_http_server]\nchmod=0700\n",
		      "main.conf:1: [unix_http_server] has no file value");
	load_err_text("[unix_http_server]\nfile=/tmp/x.sock\nchown=root:tv-no-such-group\n",
		      "main.conf:3: chown: no such group: \"tv-no-such-group\"");
	load_err_text(
	    "[rpcinterface:twiddler]\nsupervisor.rpcinterface_factory = twiddler:make\n",
	    "main.conf:2: supervisor.rpcinterface_factory: twiddler:make: not provided by taskvisord "
	    "(it serves supervisor.rpcinterface:make_main_rpcinterface only)");
	load_err_text(
	    "[rpcinterface:x]\nother=1\n",
	    "main.conf:1: section [rpcinterface:x] does not specify a supervisor.rpcinterface_factory");
	load_err_text("[supervisord]\nchildlogdir=/nonexistent/tv\n",
		      "main.conf:2: childlogdir: /nonexistent/tv is not an existing directory");
	load_err_text(
	    "[supervisord]\nlogfile=/nonexistent/tv/sv.log\n",
	    "main.conf:2: logfile: the directory named as part of the path /nonexistent/tv/sv.log does "
	    "not exist");
	load_err_text(
	    "[program:x]\ncommand=a\nstderr_logfile=/nonexistent/tv/x.log\n",
	    "main.conf:3: stderr_logfile: the directory named as part of the path /nonexistent/tv/x.log "
	    "does not exist");
	load_err_text("[supervisord]\ndirectory=/nonexistent/tv\n",
		      "main.conf:2: directory: /nonexistent/tv is not an existing directory");
	load_err_text("[supervisord]\numask=999\n", "main.conf:2: umask: not an octal number: \"999\"");
}

/* Accepted as supervisord accepts them. */
static void test_supervisord_accepts(void **state)
{
	(void)state;
	/* an empty command loads; starting it fails ("command is empty") */
	struct conf *c = load_text("[program:x]\ncommand=\n");
	assert_string_equal(c->programs[0].procs[0].command, "");
	conf_free(c);
	/* %% is a percent; the standard rpcinterface; [supervisorctl] and its keys are the client's */
	c = load_text("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
		      "supervisor.rpcinterface:make_main_rpcinterface\n"
		      "[supervisorctl]\nserverurl=unix:///tmp/x.sock\nprompt=hello\n"
		      "[program:x]\ncommand=/bin/sh -c \"date +%%Y\"\nuser=root\nserverurl=AUTO\n"
		      "stdout_logfile=OFF\nstderr_syslog=true\nstderr_capture_maxbytes=1KB\n"
		      "stderr_events_enabled=true\n");
	assert_int_equal(c->nwarnings, 0);
	const struct conf_program *p = &c->programs[0];
	assert_string_equal(p->procs[0].command, "/bin/sh -c \"date +%Y\"");
	assert_string_equal(p->user, "root");
	assert_null(p->serverurl);
	assert_string_equal(p->procs[0].stdout_logfile, "NONE");
	assert_true(p->stderr_syslog);
	assert_false(p->stdout_syslog);
	assert_int_equal(p->stderr_capture_maxbytes, 1024);
	assert_true(p->stderr_events_enabled);
	conf_free(c);
	/* [supervisord] defaults as supervisord's */
	c = load_text("[supervisord]\n");
	assert_int_equal(c->minprocs, 200);
	assert_int_equal(c->umask, 022);
	assert_int_equal(c->logfile_maxbytes, 50 * 1024 * 1024);
	assert_int_equal(c->logfile_backups, 10);
	assert_null(c->user);
	assert_null(c->directory);
	assert_null(c->environment[0]);
	conf_free(c);
}

/* %(ENV_X)s: [supervisord] environment= is seen by the sections read after it (programs,
 * groups, the socket) but not by [supervisord]'s own options; a program's environment= is seen by
 * its command, directory, logs and process_name; every program gets [supervisord]'s variables
 * under its own. */
static void test_environment(void **state)
{
	(void)state;
	unsetenv("TV_GLOBAL");
	unsetenv("TV_OWN");
	struct conf *c = load_text("[program:web]\n"
				   "command=/bin/web %(ENV_TV_GLOBAL)s %(ENV_TV_OWN)s\n"
				   "process_name=%(program_name)s-%(ENV_TV_OWN)s\n"
				   "directory=/tmp/%(ENV_TV_OWN)s\n"
				   "stdout_logfile=/tmp/%(ENV_TV_OWN)s.log\n"
				   "environment=TV_OWN=\"own\",TV_BOTH=\"program\"\n"
				   "[supervisord]\n"
				   "environment=TV_GLOBAL=\"global\",TV_BOTH=\"daemon\"\n"
				   "[unix_http_server]\n"
				   "file=/tmp/%(ENV_TV_GLOBAL)s.sock\n");
	const struct conf_program *p = &c->programs[0];
	assert_string_equal(p->procs[0].command, "/bin/web global own");
	assert_string_equal(p->procs[0].name, "web-own");
	assert_string_equal(p->directory, "/tmp/own");
	assert_string_equal(p->procs[0].stdout_logfile, "/tmp/own.log");
	assert_string_equal(env_get(p->procs[0].environment, "TV_GLOBAL"), "global");
	assert_string_equal(env_get(p->procs[0].environment, "TV_OWN"), "own");
	assert_string_equal(env_get(p->procs[0].environment, "TV_BOTH"), "program");
	assert_string_equal(c->socket_file, "/tmp/global.sock");
	assert_string_equal(env_get(c->environment, "TV_BOTH"), "daemon");
	conf_free(c);
	/* [supervisord]'s own options do not see it, as in supervisord */
	load_err_text("[supervisord]\nenvironment=TV_GLOBAL=x\nidentifier=%(ENV_TV_GLOBAL)s\n",
		      "main.conf:3: identifier: cannot expand %(ENV_TV_GLOBAL)s: no such name");
	/* options read before a program's environment do not see it either */
	load_err_text("[program:x]\ncommand=a\nenvironment=TV_OWN=1\npriority=%(ENV_TV_OWN)s\n",
		      "main.conf:4: priority: cannot expand %(ENV_TV_OWN)s: no such name");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_supervisord_file),
	    T(test_defaults),
	    T(test_taskvisord_sections),
	    T(test_errors),
	    T(test_expansions),
	    T(test_numprocs),
	    T(test_groups),
	    T(test_includes),
	    T(test_long_lines),
	    T(test_extensions),
	    T(test_envfile_error),
	    T(test_depends_cycle),
	    T(test_tasks),
	    T(test_task_templates),
	    T(test_task_errors),
	    T(test_task_step_argv),
	    T(test_warnings),
	    T(test_fingerprint),
	    T(test_sample),
	    T(test_bad_bytes),
	    T(test_socket),
	    T(test_fcgi),
	    T(test_fcgi_errors),
	    T(test_fcgi_groups),
	    T(test_merge),
	    T(test_default_section),
	    T(test_supervisord_refusals),
	    T(test_supervisord_accepts),
	    T(test_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
