/*
 * test_proc_live.c — the supervisor driving real children on the default libev
 * loop, with a configuration built by hand (no daemon, no config parser):
 * crash restart latency, back-off to FATAL, spawn errors, exitcodes with
 * autorestart=unexpected, stop escalation, leftover process groups, priority
 * order, depends_on, log capture, sv_apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static char tmpdir[64];
static char trace[4096]; /* "name:STATE " for every transition */
static int fatal_shutdowns;
static int exits;

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_state(void *arg, struct proc *p, enum proc_state from, enum proc_state to)
{
	(void)arg;
	(void)from;
	size_t l = strlen(trace);
	snprintf(trace + l, sizeof(trace) - l, "%s:%s ", p->name, proc_state_name(to));
}

static void on_exit_hook(void *arg, struct proc *p, pid_t pid, int wstatus, bool oom)
{
	(void)arg;
	(void)p;
	(void)pid;
	(void)wstatus;
	(void)oom;
	exits++;
}

static void on_fatal(void *arg, struct proc *p)
{
	(void)arg;
	(void)p;
	fatal_shutdowns++;
}

static const struct sv_hooks hooks = { NULL, on_state, on_exit_hook, on_fatal, NULL, NULL, NULL, NULL, NULL };

/* Draining: the daemon's answer (a worker holding steps or not) and what it was told. */
static bool drain_answer;
static int drain_asked, drain_expired, drain_timeout_seen;
static char drain_by[128];
static bool on_drain(void *arg, struct proc *p, int timeout_s, const char *by)
{
	(void)arg;
	(void)p;
	drain_asked++;
	drain_timeout_seen = timeout_s;
	snprintf(drain_by, sizeof(drain_by), "%s", by);
	return drain_answer;
}
static void on_drain_expired(void *arg, struct proc *p, const char *by)
{
	(void)arg;
	(void)p;
	drain_expired++;
	snprintf(drain_by, sizeof(drain_by), "expired: %s", by);
}
static const struct sv_hooks drain_hooks = { NULL, on_state, on_exit_hook, on_fatal, on_drain,
					     on_drain_expired, NULL, NULL, NULL };
static int exitcode0[] = { 0 };

/* A conf with room for 8 programs, each with one process. */
static struct conf *mkconf(void)
{
	struct conf *c = calloc(1, sizeof(*c));
	c->logdir = strdup(tmpdir);
	c->socket_file = strdup("/tmp/none.sock");
	c->database = strdup("/tmp/none.db");
	c->programs = calloc(8, sizeof(*c->programs));
	return c;
}

static struct conf_program *addprog(struct conf *c, const char *name, const char *cmd)
{
	struct conf_program *p = &c->programs[c->nprograms++];
	p->name = strdup(name);
	p->group = strdup(name);
	p->command = strdup(cmd);
	conf_program_defaults(p);
	p->exitcodes = exitcode0;
	p->nexitcodes = 1;
	p->procs = calloc(1, sizeof(*p->procs));
	p->nprocs = 1;
	p->procs[0].name = strdup(name);
	p->procs[0].command = strdup(cmd);
	p->procs[0].fingerprint = strdup(cmd);
	return p;
}

static void freeconf(struct conf *c)
{
	for (size_t i = 0; i < c->nprograms; i++) {
		struct conf_program *p = &c->programs[i];
		free(p->name);
		free(p->group);
		free(p->command);
		free(p->procs[0].name);
		free(p->procs[0].command);
		free(p->procs[0].fingerprint);
		free(p->procs);
	}
	free(c->programs);
	free(c->logdir);
	free(c->socket_file);
	free(c->database);
	free(c);
}

/* Run the loop until cond(p) holds or secs pass; true if it held. */
static bool run_until(struct proc *p, bool (*cond)(struct proc *), double secs)
{
	struct ev_loop *loop = ev_default_loop(0);
	double end = now_mono() + secs;
	while (!cond(p)) {
		if (now_mono() > end)
			return false;
		ev_run(loop, EVRUN_NOWAIT);
		usleep(2000);
	}
	return true;
}

static enum proc_state want;
static bool in_state(struct proc *p) { return p->state == want; }
static bool wait_state(struct proc *p, enum proc_state s, double secs)
{
	want = s;
	return run_until(p, in_state, secs);
}

static bool log_has_one(struct proc *p);
static bool log_has_two(struct proc *p);

static pid_t oldpid;
static bool new_pid(struct proc *p) { return p->pid > 0 && p->pid != oldpid; }

static bool stop_done_flag;
static void stop_done(void *arg)
{
	(void)arg;
	stop_done_flag = true;
}
static bool is_stop_done(struct proc *p)
{
	(void)p;
	return stop_done_flag;
}

static void teardown_sv(struct supervisor *sv)
{
	stop_done_flag = false;
	sv_stop_all(sv, stop_done, NULL);
	assert_true(run_until(NULL, is_stop_done, 15));
	sv_free(sv);
}

static int setup(void **state)
{
	(void)state;
	trace[0] = '\0';
	fatal_shutdowns = 0;
	exits = 0;
	return 0;
}

static void test_crash_restart(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	addprog(c, "sleeper", "sleep 1000")->autorestart = AUTORESTART_TRUE;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "sleeper");
	assert_non_null(p);
	assert_true(wait_state(p, PROC_RUNNING, 3));
	oldpid = p->pid;
	double t0 = now_mono();
	kill(p->pid, SIGKILL);
	assert_true(run_until(p, new_pid, 2));
	assert_true(now_mono() - t0 < 0.1);
	assert_int_equal(p->restarts, 1);
	assert_true(p->exited_once);
	assert_int_equal(exits, 1);
	assert_non_null(strstr(trace, "sleeper:EXITED sleeper:STARTING"));
	teardown_sv(sv);
	freeconf(c);
}

static void test_backoff_fatal(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "quick", "false");
	pr->startretries = 2;
	pr->fatal_action = FATAL_ACTION_SHUTDOWN;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	double t0 = now_mono();
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "quick");
	assert_true(wait_state(p, PROC_FATAL, 8));
	double el = now_mono() - t0;
	/* attempts at 0, +1 s, +2 s more: FATAL after about 3 s */
	assert_true(el > 2.9 && el < 4);
	assert_string_equal(p->spawn_err, "Exited too quickly (process log may have details)");
	assert_int_equal(fatal_shutdowns, 1);
	assert_string_equal(trace, "quick:STARTING quick:BACKOFF quick:STARTING quick:BACKOFF "
				   "quick:STARTING quick:BACKOFF quick:FATAL ");
	assert_int_equal(proc_stop(p), SV_NOT_RUNNING);
	/* a manual start from FATAL works */
	assert_int_equal(proc_start(p), SV_OK);
	assert_int_equal(p->state, PROC_STARTING);
	teardown_sv(sv);
	freeconf(c);
}

static void test_fatal_retry_and_backoff_max(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "retry", "false");
	pr->startretries = 0;
	pr->fatal_retry_after = 1;
	struct conf_program *capped = addprog(c, "capped", "false");
	capped->startretries = -1; /* for ever */
	capped->backoff_max = 1;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "retry"), *q = sv_find(sv, "capped");
	assert_true(wait_state(p, PROC_FATAL, 2));
	double t0 = now_mono();
	assert_true(wait_state(p, PROC_STARTING, 3));
	double el = now_mono() - t0;
	assert_true(el > 0.8 && el < 1.5);
	assert_true(wait_state(p, PROC_FATAL, 2));
	/* back-off capped at 1 s: in 4.5 s at least 4 more attempts, never FATAL */
	unsigned r0 = q->restarts;
	double end = now_mono() + 4.5;
	while (now_mono() < end) {
		ev_run(ev_default_loop(0), EVRUN_NOWAIT);
		assert_int_not_equal(q->state, PROC_FATAL);
		usleep(5000);
	}
	assert_true(q->restarts - r0 >= 4);
	assert_true(q->backoff >= 4);
	teardown_sv(sv);
	freeconf(c);
}

static void test_reopen_logs(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	addprog(c, "rot", "sh -c 'echo one; sleep 0.5; echo two; sleep 1000'")->startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "rot");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	assert_true(run_until(p, log_has_one, 2));
	char moved[300];
	snprintf(moved, sizeof(moved), "%s.moved", proc_log_path(p, 1));
	assert_int_equal(rename(proc_log_path(p, 1), moved), 0);
	sv_reopen_logs(sv); /* as logrotate's postrotate would, with SIGUSR2 */
	assert_true(run_until(p, log_has_two, 3));
	teardown_sv(sv);
	freeconf(c);
}

static void test_spawn_error(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "nocmd", "no-such-command-xyz --flag");
	pr->startretries = 0;
	pr->autostart = false;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	struct proc *p = sv_find(sv, "nocmd");
	/* an operator's start tests the command first, as supervisord's startProcess: NO_FILE, and
	 * the process is left as it was */
	assert_int_equal(proc_start(p), SV_NO_FILE);
	assert_int_equal(p->state, PROC_STOPPED);
	assert_string_equal(p->start_refused, "can't find command 'no-such-command-xyz'");
	/* at autostart the spawn itself fails, as supervisord's spawn() does */
	pr->autostart = true;
	sv_start_autostart(sv);
	assert_int_equal(p->state, PROC_FATAL);
	char d[256];
	proc_describe(p, time(NULL), d, sizeof(d));
	assert_string_equal(d, "can't find command 'no-such-command-xyz'");
	teardown_sv(sv);
	freeconf(c);
}

/* The spawn seam: fail with EAGAIN (fork out of processes) while fake_fails > 0. */
static int fake_fails, fake_calls;
static pid_t fake_spawn(const struct spawn_req *r, char *err, size_t errlen)
{
	fake_calls++;
	if (fake_fails > 0) {
		fake_fails--;
		snprintf(err, errlen, "fork: %s", strerror(EAGAIN));
		errno = EAGAIN;
		return -1;
	}
	return spawn_fork(r, err, errlen);
}

/* A spawn that fails for lack of resources is retried every second without counting toward
 * startretries (here 0: the first counted failure would be FATAL). */
static void test_spawn_retry_resources(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "res", "sleep 1000");
	pr->startretries = 0;
	pr->startsecs = 0;
	pr->autorestart = AUTORESTART_TRUE;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_set_spawn(sv, fake_spawn);
	fake_fails = 3;
	fake_calls = 0;
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "res");
	assert_int_equal(p->state, PROC_BACKOFF);
	char d[256];
	proc_describe(p, time(NULL), d, sizeof(d));
	assert_string_equal(d, "spawn error: Resource temporarily unavailable (retrying)");
	double t0 = now_mono();
	assert_true(wait_state(p, PROC_RUNNING, 5));
	double el = now_mono() - t0;
	assert_true(el > 2.5 && el < 4); /* retried at +1 s, +2 s, +3 s */
	assert_int_equal(fake_calls, 4);
	assert_int_equal(p->backoff, 0);
	assert_null(strstr(trace, "FATAL"));

	/* the real thing: no descriptor left for the pipes when the program is killed */
	sv_set_spawn(sv, NULL);
	struct rlimit rl, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int fds[256], nfd = 0;
	while (nfd < 256 && (fds[nfd] = dup(0)) >= 0)
		nfd++;
	assert_int_equal(errno, EMFILE);
	oldpid = p->pid;
	kill(p->pid, SIGKILL);
	assert_true(wait_state(p, PROC_BACKOFF, 2));
	proc_describe(p, time(NULL), d, sizeof(d));
	assert_string_equal(d, "spawn error: Too many open files (retrying)");
	/* still retrying, never FATAL, while the descriptors are gone */
	double end = now_mono() + 1.5;
	while (now_mono() < end) {
		ev_run(ev_default_loop(0), EVRUN_NOWAIT);
		assert_int_not_equal(p->state, PROC_FATAL);
		usleep(5000);
	}
	while (nfd > 0)
		close(fds[--nfd]);
	setrlimit(RLIMIT_NOFILE, &rl);
	assert_true(run_until(p, new_pid, 3));
	assert_true(wait_state(p, PROC_RUNNING, 1));
	teardown_sv(sv);
	freeconf(c);
}

static void test_exitcodes_unexpected(void **state)
{
	(void)state;
	static int codes[] = { 0, 2 };
	struct conf *c = mkconf();
	struct conf_program *a = addprog(c, "expected", "sh -c 'exit 2'");
	a->startsecs = 0;
	a->exitcodes = codes;
	a->nexitcodes = 2;
	struct conf_program *b = addprog(c, "unexpected", "sh -c 'sleep 0.2; exit 3'");
	b->startsecs = 0;
	b->exitcodes = codes;
	b->nexitcodes = 2;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *pa = sv_find(sv, "expected"), *pb = sv_find(sv, "unexpected");
	assert_true(wait_state(pa, PROC_EXITED, 3));
	assert_true(pa->last_exit_expected);
	oldpid = pb->pid;
	assert_true(run_until(pb, new_pid, 3));
	assert_true(pb->restarts >= 1);
	assert_false(pb->last_exit_expected);
	/* the expected one stays EXITED */
	assert_true(wait_state(pb, PROC_RUNNING, 1));
	assert_int_equal(pa->state, PROC_EXITED);
	assert_int_equal(pa->restarts, 0);
	teardown_sv(sv);
	freeconf(c);
}

static bool log_says_trapped(struct proc *p)
{
	char buf[64] = "";
	FILE *f = fopen(proc_log_path(p, 1), "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, "trapped") != NULL;
}

static void test_stop_escalation(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "stubborn", "sh -c 'trap \"\" TERM; echo trapped; while :; do sleep 0.1; done'");
	pr->stopwaitsecs = 1;
	pr->startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "stubborn");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	assert_true(run_until(p, log_says_trapped, 3)); /* the trap is set */
	pid_t pgid = p->pid;
	double t0 = now_mono();
	assert_int_equal(proc_stop(p), SV_OK);
	assert_int_equal(p->state, PROC_STOPPING);
	assert_true(wait_state(p, PROC_STOPPED, 4));
	double el = now_mono() - t0;
	assert_true(el > 0.9 && el < 2);
	assert_true(WIFSIGNALED(p->last_wstatus));
	assert_int_equal(WTERMSIG(p->last_wstatus), SIGKILL);
	/* nothing of its group is left (the sleep children included) */
	assert_int_equal(kill(-pgid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(proc_stop(p), SV_NOT_RUNNING);
	sv_free(sv);
	freeconf(c);
}

static void test_drain_phase_table(void **state)
{
	(void)state;
	assert_true(proc_phase_allowed(PROC_STOP_DRAIN, PROC_STOP_SIGNAL));
	assert_false(proc_phase_allowed(PROC_STOP_SIGNAL, PROC_STOP_DRAIN));
	assert_false(proc_phase_allowed(PROC_STOP_NONE, PROC_STOP_DRAIN));
	assert_false(proc_phase_allowed(PROC_STOP_DRAIN, PROC_STOP_NONE));
	assert_string_equal(proc_stop_phase_name(PROC_STOP_DRAIN), "draining");
	struct conf_program pr = {.stopwaitsecs = 7, .drain_timeout = -1};
	assert_int_equal(proc_drain_timeout(&pr), 7);
	pr.drain_timeout = 0;
	assert_int_equal(proc_drain_timeout(&pr), 0);
	pr.drain_timeout = 30;
	assert_int_equal(proc_drain_timeout(&pr), 30);
}

/* A worker holding steps gets no signal until proc_drained; then it stops at once. */
static void test_drain_until_drained(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "worker", "sleep 1000");
	pr->drain_timeout = 5;
	pr->startsecs = 0;
	drain_answer = true;
	drain_asked = drain_expired = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &drain_hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "worker");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	assert_int_equal(proc_stop_by(p, "restart worker"), SV_OK);
	assert_int_equal(drain_asked, 1);
	assert_int_equal(drain_timeout_seen, 5);
	assert_string_equal(drain_by, "restart worker");
	assert_int_equal(p->state, PROC_STOPPING);
	assert_int_equal(p->stop_phase, PROC_STOP_DRAIN);
	char desc[256];
	proc_describe(p, time(NULL), desc, sizeof(desc));
	assert_non_null(strstr(desc, "draining"));
	assert_false(wait_state(p, PROC_STOPPED, 0.5)); /* no signal while it drains */
	assert_int_equal(kill(p->pid, 0), 0);
	double t0 = now_mono();
	proc_drained(p);
	assert_int_equal(p->stop_phase, PROC_STOP_SIGNAL);
	assert_true(wait_state(p, PROC_STOPPED, 2));
	assert_true(now_mono() - t0 < 1);
	assert_int_equal(p->stop_phase, PROC_STOP_NONE);
	assert_int_equal(drain_expired, 0);
	sv_free(sv);
	freeconf(c);
}

/* drain_timeout passes: on_drain_expired (the steps are given up), then the stop signal. */
static void test_drain_timeout(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "worker", "sleep 1000");
	pr->drain_timeout = 1;
	pr->startsecs = 0;
	drain_answer = true;
	drain_asked = drain_expired = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &drain_hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "worker");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	double t0 = now_mono();
	assert_int_equal(proc_stop_by(p, "update"), SV_OK);
	assert_true(wait_state(p, PROC_STOPPED, 4));
	double el = now_mono() - t0;
	assert_true(el > 0.9 && el < 2);
	assert_int_equal(drain_expired, 1);
	assert_string_equal(drain_by, "expired: update");
	assert_true(WIFSIGNALED(p->last_wstatus));
	assert_int_equal(WTERMSIG(p->last_wstatus), SIGTERM);
	sv_free(sv);
	freeconf(c);
}

/* A worker holding nothing (on_drain says false) is signalled at once; so is any program
 * when the daemon stops everything. */
static void test_drain_nothing_held(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "worker", "sleep 1000");
	pr->drain_timeout = 5;
	pr->startsecs = 0;
	drain_answer = false;
	drain_asked = drain_expired = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &drain_hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "worker");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	double t0 = now_mono();
	assert_int_equal(proc_stop(p), SV_OK);
	assert_int_equal(p->stop_phase, PROC_STOP_SIGNAL);
	assert_true(wait_state(p, PROC_STOPPED, 2));
	assert_true(now_mono() - t0 < 0.5);
	assert_int_equal(drain_asked, 1);
	assert_string_equal(drain_by, "stop");
	/* sv_stop_all_by names its reason */
	assert_int_equal(proc_start(p), SV_OK);
	assert_true(wait_state(p, PROC_RUNNING, 2));
	stop_done_flag = false;
	sv_stop_all_by(sv, "shutdown", stop_done, NULL);
	assert_true(run_until(NULL, is_stop_done, 3));
	assert_string_equal(drain_by, "shutdown");
	sv_free(sv);
	freeconf(c);
}

static void test_leader_exits_group_remains(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	/* the leader dies on TERM; its background child ignores TERM and lives on */
	struct conf_program *pr =
		addprog(c, "leaky", "sh -c \"sh -c 'trap \\\"\\\" TERM; echo trapped; while :; do sleep 0.1; done' & wait\"");
	pr->stopwaitsecs = 1;
	pr->startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "leaky");
	assert_true(wait_state(p, PROC_RUNNING, 2));
	assert_true(run_until(p, log_says_trapped, 3));
	pid_t pgid = p->pid;
	assert_int_equal(proc_stop(p), SV_OK);
	assert_true(wait_state(p, PROC_STOPPED, 4));
	assert_true(WIFSIGNALED(p->last_wstatus));
	assert_int_equal(WTERMSIG(p->last_wstatus), SIGTERM); /* the leader went at once */
	assert_int_equal(kill(-pgid, 0), -1);
	assert_int_equal(errno, ESRCH);
	sv_free(sv);
	freeconf(c);
}

static void test_priority_order(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	addprog(c, "late", "sleep 1000")->priority = 300;
	addprog(c, "early", "sleep 1000")->priority = 100;
	addprog(c, "middle", "sleep 1000")->priority = 200;
	for (size_t i = 0; i < c->nprograms; i++)
		c->programs[i].startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	assert_string_equal(trace, "early:STARTING early:RUNNING middle:STARTING middle:RUNNING "
				   "late:STARTING late:RUNNING ");
	trace[0] = '\0';
	stop_done_flag = false;
	sv_stop_all(sv, stop_done, NULL);
	assert_true(run_until(NULL, is_stop_done, 5));
	assert_string_equal(trace, "late:STOPPING late:STOPPED middle:STOPPING middle:STOPPED "
				   "early:STOPPING early:STOPPED ");
	/* sv_procs: by group then name */
	size_t n;
	struct proc **ps = sv_procs(sv, &n);
	assert_int_equal(n, 3);
	assert_string_equal(ps[0]->name, "early");
	assert_string_equal(ps[2]->name, "middle");
	sv_free(sv);
	freeconf(c);
}

static void test_depends_on(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	char *deps[] = { "db", NULL };
	struct conf_program *web = addprog(c, "web", "sleep 1000");
	web->priority = 1; /* would start first without depends_on */
	web->startsecs = 0;
	web->depends_on = deps;
	addprog(c, "db", "sleep 1000")->startsecs = 1;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *w = sv_find(sv, "web");
	assert_int_equal(w->state, PROC_STOPPED);
	assert_true(wait_state(w, PROC_RUNNING, 3));
	assert_string_equal(trace, "db:STARTING db:RUNNING web:STARTING web:RUNNING ");
	trace[0] = '\0';
	stop_done_flag = false;
	sv_stop_all(sv, stop_done, NULL);
	assert_true(run_until(NULL, is_stop_done, 5));
	/* web stops before db although its priority is lower */
	assert_string_equal(trace, "web:STOPPING web:STOPPED db:STOPPING db:STOPPED ");
	sv_free(sv);
	freeconf(c);
}

static bool log_contains(struct proc *p, const char *what)
{
	FILE *f = fopen(proc_log_path(p, 1), "r");
	char buf[256] = "";
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strcmp(buf, what) == 0;
}
static bool log_has_one(struct proc *p) { return log_contains(p, "one\n"); }
static bool log_has_two(struct proc *p) { return log_contains(p, "two\n"); }

static bool log_has_hello(struct proc *p)
{
	FILE *f = fopen(proc_log_path(p, 1), "r");
	char buf[64] = "";
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, "hello out\n") != NULL;
}

static void test_logs_and_env(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	struct conf_program *pr = addprog(c, "talker",
					  "sh -c 'echo hello out; echo $SUPERVISOR_PROCESS_NAME $TASKVISOR_GROUP_NAME "
					  "$SUPERVISOR_ENABLED $MYVAR; echo to err >&2'");
	char *envv[] = { "MYVAR=mine", NULL };
	pr->procs[0].environment = envv;
	pr->startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	struct proc *p = sv_find(sv, "talker");
	assert_true(wait_state(p, PROC_EXITED, 3));
	char wantp[128];
	snprintf(wantp, sizeof(wantp), "%s/talker.log", tmpdir);
	assert_string_equal(proc_log_path(p, 1), wantp);
	assert_true(log_has_hello(p));
	FILE *f = fopen(wantp, "r");
	char buf[256];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "hello out\ntalker talker 1 mine\n");
	f = fopen(proc_log_path(p, 2), "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "to err\n");
	teardown_sv(sv);
	freeconf(c);
}

static void test_apply(void **state)
{
	(void)state;
	struct conf *c = mkconf();
	addprog(c, "keep", "sleep 1000")->startsecs = 0;
	addprog(c, "change", "sleep 1000")->startsecs = 0;
	addprog(c, "gone", "sleep 1000")->startsecs = 0;
	struct supervisor *sv = sv_new(ev_default_loop(0), c, &hooks);
	sv_start_autostart(sv);
	pid_t keep_pid = sv_find(sv, "keep")->pid;
	pid_t gone_pid = sv_find(sv, "gone")->pid;

	struct conf *c2 = mkconf();
	addprog(c2, "keep", "sleep 1000")->startsecs = 0;
	addprog(c2, "change", "sleep 2000")->startsecs = 0;
	addprog(c2, "new", "sleep 1000")->startsecs = 0;
	struct sv_diff d;
	sv_diff(sv, c2, &d);
	assert_string_equal(d.added[0], "new");
	assert_null(d.added[1]);
	assert_string_equal(d.changed[0], "change");
	assert_null(d.changed[1]);
	assert_string_equal(d.removed[0], "gone");
	assert_null(d.removed[1]);
	sv_diff_free(&d);

	sv_apply(sv, c2, NULL);
	freeconf(c);
	struct proc *ch = sv_find(sv, "change");
	assert_true(wait_state(ch, PROC_RUNNING, 3));
	assert_true(wait_state(sv_find(sv, "new"), PROC_RUNNING, 3));
	assert_int_equal(sv_find(sv, "keep")->pid, keep_pid);
	assert_null(sv_find(sv, "gone"));
	assert_true(run_until(NULL, is_stop_done, 0.3) || true);
	assert_true(kill(gone_pid, 0) < 0);
	size_t n;
	sv_procs(sv, &n);
	assert_int_equal(n, 3);
	sv_diff(sv, c2, &d);
	assert_null(d.added[0]);
	assert_null(d.changed[0]);
	assert_null(d.removed[0]);
	sv_diff_free(&d);
	teardown_sv(sv);
	freeconf(c2);
}

int main(void)
{
	log_init("test_proc_live", getenv("TV_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_CRIT, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tv-test-live.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	ev_default_loop(0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_crash_restart, setup),
		cmocka_unit_test_setup(test_backoff_fatal, setup),
		cmocka_unit_test_setup(test_spawn_error, setup),
		cmocka_unit_test_setup(test_spawn_retry_resources, setup),
		cmocka_unit_test_setup(test_fatal_retry_and_backoff_max, setup),
		cmocka_unit_test_setup(test_reopen_logs, setup),
		cmocka_unit_test_setup(test_exitcodes_unexpected, setup),
		cmocka_unit_test_setup(test_stop_escalation, setup),
		cmocka_unit_test_setup(test_leader_exits_group_remains, setup),
		cmocka_unit_test_setup(test_drain_phase_table, setup),
		cmocka_unit_test_setup(test_drain_until_drained, setup),
		cmocka_unit_test_setup(test_drain_timeout, setup),
		cmocka_unit_test_setup(test_drain_nothing_held, setup),
		cmocka_unit_test_setup(test_priority_order, setup),
		cmocka_unit_test_setup(test_depends_on, setup),
		cmocka_unit_test_setup(test_logs_and_env, setup),
		cmocka_unit_test_setup(test_apply, setup),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
