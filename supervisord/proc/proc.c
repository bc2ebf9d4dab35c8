/*
 * proc.c — the supervision core: supervisord's state machine for each process,
 * the supervisor that holds them (start/stop ordering, depends_on), reaping,
 * stop escalation, and reread/update (sv_diff/sv_apply).
 *
 * Every state change goes through proc_transition(), which checks the table of
 * allowed transitions, logs "NAME: FROM -> TO (why)" and tells the hooks.
 * Nothing here blocks or sleeps: start-up, back-off and stop escalation are
 * libev timers; children are reaped by libev's own SIGCHLD handler (the
 * default loop reaps with waitpid(-1, WNOHANG) until nothing is left) and
 * handed to one catch-all ev_child watcher that finds the process by pid. A
 * second SIGCHLD watcher of our own would race libev's reaper for the statuses.
 *
 * A stop leaves nothing behind: the daemon is a child subreaper, and a stop is
 * only finished when the child's whole process group is gone (SIGKILL after
 * stopwaitsecs, even when the leader exited first and without killasgroup);
 * what escaped the group (setsid) but not the program's memory cgroup is
 * killed when the program is down. An exit that was not a stop kills the
 * leftovers at once.
 *
 * Also here, because they drive transitions: memory cgroups per process
 * (memcg.c: OOM detection at reap, memory_limit enforced by the kernel, else
 * by RSS sampling and a restart), ready=notify and watchdog_sec over the
 * NOTIFY_SOCKET (readiness.c), and restart_cron (cron.c).
 *
 * Never: exit the daemon, block, or touch a process that is not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "cron.h"
#include "fcgisock.h"
#include "events_capture.h"
#include "log.h"
#include "memcg.h"
#include "proc.h"
#include "proclog.h"
#include "proto.h"
#include "readiness.h"
#include "spawn.h"

extern char **environ;

#define GROUP_POLL_SECS 0.02	/* how often a stop checks that the process group is gone */
#define GROUP_KILL_GRACE_SECS 5 /* after SIGKILL, how long a stop waits for the group at most */
#define RSS_SAMPLE_SECS 1.0	/* memory_limit without a cgroup: how often RSS is sampled */
#define RSS_OVER_SAMPLES 2	/* ... and how many samples in a row over the limit restart it */

#define SPAWN_RETRY_SECS 1.0 /* a spawn that failed for lack of resources is retried this often */

enum proc_timer {
	TIMER_NONE = 0,
	TIMER_STARTSECS,
	TIMER_BACKOFF,
	TIMER_STOPWAIT,
	TIMER_DRAIN, /* STOPPING, PROC_STOP_DRAIN: drain_timeout */
	TIMER_FATAL_RETRY,
	TIMER_RATE_LIMIT,  /* BACKOFF: automatic restarts came too fast (start_limit_*) */
	TIMER_SPAWN_RETRY, /* BACKOFF: the spawn failed for lack of resources (EMFILE...) */
};

struct proc_priv {
	ev_timer timer; /* one of enum proc_timer */
	enum proc_timer timer_kind;
	time_t retry_at; /* TIMER_RATE_LIMIT: wall clock of the next start (status), else 0 */
	ev_timer gpoll;	 /* a stop waits for the process group to empty */
	double spawn_mono;
	pid_t pgid;	      /* process group of the last child; 0 once it is gone */
	bool group_signalled; /* stopsignal already went to the whole group */
	bool killed;	      /* SIGKILL sent in this stop */
	double killed_mono;   /* when */
	bool pending_start;   /* waiting for depends_on */
	bool restart_after_stop;
	bool removed;	 /* gone from the configuration: freed once down */
	bool logs_stale; /* log paths may have changed (sv_apply): reopen at the next spawn */

	/* Copied from the configuration so that a removed process can still be stopped. */
	int stopsignal, stopwaitsecs;
	int drain_timeout; /* proc_drain_timeout() of its program */
	char stop_by[128]; /* who stopped it (proc_stop_by), for a drained worker's lost steps */
	bool stopasgroup, killasgroup;
	int level_group, level_prog; /* start/stop order */
	char *logpath[2];	     /* stdout, stderr; NULL = discard */

	struct proclog *log[2];
	struct proclog_pipe *pipe[2];
	struct procin *in;     /* the write end of its stdin pipe while it runs (procin.c) */
	struct fcgisock *sock; /* [fcgi-program:x]: its socket, held from the spawn until it is down */

	struct memcg *memcg;  /* its memory cgroup (lives across restarts), or NULL */
	long long oom_before; /* the cgroup's oom_kill counter at spawn */
	bool oom_fresh;	      /* oom_before was read at the last reap: no need to read it again */
	int rss_over;	      /* consecutive RSS samples over memory_limit */
	ev_timer watchdog;    /* watchdog_sec: restart when WATCHDOG=1 stops coming */
	ev_periodic cron;     /* restart_cron: scheduled restarts (wall clock) */
	struct cron cron_line;

	/* start_limit_burst/start_limit_interval: automatic restarts counted in a window. */
	double rl_begin;   /* when the window began (monotonic) */
	int rl_exits;	   /* exits followed by an automatic restart in it */
	int rl_backoff;	   /* consecutive rate-limited restarts: the back-off's 1 s, 2 s, 3 s ... */
	int spawn_retries; /* consecutive spawns failed for lack of resources (logged once) */

	/* The monotonic times of the last PROC_RESTART_RING automatic restarts (`check processes`). */
	double restart_mono[PROC_RESTART_RING];
	unsigned restart_next; /* the slot the next one goes to; restarts counted: p->restarts */

	/* [eventlistener:x]: capture mode per stream (*_capture_maxbytes > 0), fresh at each spawn */
	struct events_capture *capture[2];
};

struct supervisor {
	struct ev_loop *loop;
	const struct conf *conf;
	struct sv_hooks hooks;
	ev_child child;
	ev_idle freer; /* frees removed processes once they are down */

	struct proc **procs; /* sorted by group then name */
	size_t nprocs;
	struct proc **dying; /* removed from the configuration, still stopping */
	size_t ndying;
	struct proc **grpbuf;	  /* sv_group's answer */
	struct memcg_root *memcg; /* NULL: no memory cgroups (RSS sampling and the kernel log) */
	ev_timer rss_timer;
	struct readiness *notify; /* NOTIFY_SOCKET for ready=notify / watchdog_sec programs */
	char *notify_path;

	bool stopping_all;
	char stop_by[64]; /* sv_stop_all_by's why */

	/* Rolling update: changed worker programs restart one at a time (sv_roll_next). */
	struct proc **roll; /* waiting their turn */
	size_t nroll;
	struct proc *roll_cur; /* being restarted: the next waits until it is up (or failed) */
	ev_timer roll_timer;   /* the next one is stopped from the loop, not inside a hook */
	void (*stop_done)(void *arg);
	void *stop_arg;
	bool in_step, step_again;
	spawn_fn *spawn;	   /* spawn_fork, or a test's replacement */
	struct fcgisock_set *fcgi; /* [fcgi-program:x] sockets (fcgisock.c) */
};

static void proc_transition(struct proc *p, enum proc_state to, const char *why);
static void proc_stop_signal(struct proc *p, const char *why);
static enum sv_result proc_stop_how(struct proc *p, const char *by, bool drain);
static void proc_restart_how(struct proc *p, const char *reason, bool drain);
static enum sv_result proc_spawn(struct proc *p, const char *why);
static enum sv_result proc_start_internal(struct proc *p, const char *why);
static void sv_after_state(struct supervisor *sv, struct proc *p, enum proc_state to);
static void sv_stop_step(struct supervisor *sv);
static void sv_rss_update(struct supervisor *sv);

/* ---- States ---- */

const char *proc_state_name(enum proc_state s)
{
	switch (s) {
	case PROC_STOPPED:
		return "STOPPED";
	case PROC_STARTING:
		return "STARTING";
	case PROC_RUNNING:
		return "RUNNING";
	case PROC_BACKOFF:
		return "BACKOFF";
	case PROC_STOPPING:
		return "STOPPING";
	case PROC_EXITED:
		return "EXITED";
	case PROC_FATAL:
		return "FATAL";
	case PROC_UNKNOWN:
		return "UNKNOWN";
	}
	return "UNKNOWN";
}

/*
 * The allowed transitions, supervisord's (process.py): a row per state, the
 * states it may move to. UNKNOWN may go anywhere.
 */
static const struct {
	enum proc_state from;
	enum proc_state to[4];
	int n;
} proc_table[] = {
    {PROC_STOPPED, {PROC_STARTING}, 1},
    {PROC_STARTING, {PROC_RUNNING, PROC_BACKOFF, PROC_STOPPING}, 3},
    {PROC_RUNNING, {PROC_STOPPING, PROC_EXITED}, 2},
    {PROC_BACKOFF, {PROC_STARTING, PROC_FATAL, PROC_STOPPED}, 3},
    {PROC_STOPPING, {PROC_STOPPED}, 1},
    {PROC_EXITED, {PROC_STARTING}, 1},
    {PROC_FATAL, {PROC_STARTING}, 1},
};

bool proc_transition_allowed(enum proc_state from, enum proc_state to)
{
	if (from == PROC_UNKNOWN)
		return true;
	for (size_t i = 0; i < sizeof(proc_table) / sizeof(proc_table[0]); i++) {
		if (proc_table[i].from != from)
			continue;
		for (int j = 0; j < proc_table[i].n; j++)
			if (proc_table[i].to[j] == to)
				return true;
	}
	return false;
}

/* STOPPING's sub-states (proc.h): a stop either drains first or signals at once, and a drain
 * ends in the signal; nothing goes back. */
static const struct {
	enum proc_stop_phase from, to;
} proc_table_phase[] = {
    {PROC_STOP_DRAIN, PROC_STOP_SIGNAL},
};

bool proc_phase_allowed(enum proc_stop_phase from, enum proc_stop_phase to)
{
	for (size_t i = 0; i < sizeof(proc_table_phase) / sizeof(proc_table_phase[0]); i++)
		if (proc_table_phase[i].from == from && proc_table_phase[i].to == to)
			return true;
	return false;
}

const char *proc_stop_phase_name(enum proc_stop_phase ph)
{
	switch (ph) {
	case PROC_STOP_NONE:
		return "none";
	case PROC_STOP_DRAIN:
		return "draining";
	case PROC_STOP_SIGNAL:
		return "signalled";
	}
	return "none";
}

int proc_drain_timeout(const struct conf_program *pr)
{
	if (pr == NULL)
		return 0;
	return pr->drain_timeout >= 0 ? pr->drain_timeout : pr->stopwaitsecs;
}

int proc_backoff_delay(int backoff, int backoff_max)
{
	int d = backoff < 1 ? 1 : backoff;
	if (backoff_max > 0 && d > backoff_max)
		d = backoff_max;
	return d;
}

static double proc_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool proc_is_up(const struct proc *p)
{
	return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF ||
	       p->state == PROC_STOPPING;
}

/* Move p to state `to`, log it and tell the hooks. */
static void proc_transition(struct proc *p, enum proc_state to, const char *why)
{
	enum proc_state from = p->state;
	if (!proc_transition_allowed(from, to))
		log_error("%s: transition %s -> %s is not in the table (%s)", p->fullname,
			  proc_state_name(from), proc_state_name(to), why);
	p->state = to;
	if (to != PROC_STOPPING)
		p->stop_phase = PROC_STOP_NONE;
	if (!proc_is_up(p) && p->priv->sock != NULL) { /* down: its fcgi socket may close */
		fcgisock_release(p->priv->sock);
		p->priv->sock = NULL;
	} else if (to == PROC_BACKOFF && p->priv->sock == NULL && p->prog != NULL && p->prog->fcgi) {
		/* a restart held back (start_limit_burst) keeps the socket its exit just gave back */
		p->priv->sock = fcgisock_keep(p->sv->fcgi, p->prog->socket);
	}
	if (to == PROC_RUNNING && p->prog != NULL && p->prog->watchdog_sec > 0) {
		p->priv->watchdog.repeat = p->prog->watchdog_sec;
		ev_timer_again(p->sv->loop, &p->priv->watchdog);
	} else if (to != PROC_RUNNING) {
		ev_timer_stop(p->sv->loop, &p->priv->watchdog);
	}
	log_info("%s: %s -> %s (%s)", p->fullname, proc_state_name(from), proc_state_name(to), why);
	if (p->sv->hooks.on_state != NULL)
		p->sv->hooks.on_state(p->sv->hooks.arg, p, from, to);
	sv_after_state(p->sv, p, to);
}

/* Move STOPPING's sub-state (entering STOPPING sets it before proc_transition). */
static void proc_phase(struct proc *p, enum proc_stop_phase to, const char *why)
{
	enum proc_stop_phase from = p->stop_phase;

	if (p->state != PROC_STOPPING || !proc_phase_allowed(from, to))
		log_error("%s: %s %s -> %s is not in the table (%s)", p->fullname, proc_state_name(p->state),
			  proc_stop_phase_name(from), proc_stop_phase_name(to), why);
	p->stop_phase = to;
	log_info("%s: STOPPING %s -> %s (%s)", p->fullname, proc_stop_phase_name(from),
		 proc_stop_phase_name(to), why);
}

/* ---- Timers ---- */

static void proc_timer_stop(struct proc *p)
{
	ev_timer_stop(p->sv->loop, &p->priv->timer);
	p->priv->timer_kind = TIMER_NONE;
	p->priv->retry_at = 0;
}

static void proc_timer_set(struct proc *p, enum proc_timer kind, double secs)
{
	proc_timer_stop(p);
	p->priv->timer_kind = kind;
	ev_timer_set(&p->priv->timer, secs, 0.);
	ev_timer_start(p->sv->loop, &p->priv->timer);
}

/* ---- Process groups ---- */

static bool proc_group_alive(pid_t pgid)
{
	if (pgid <= 0)
		return false;
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

/* Processes that left the process group (setsid, setpgid) are still in the program's
 * memory cgroup: once the program is down, nothing of it may run on. */
static void proc_kill_cgroup(struct proc *p)
{
	if (p->priv->memcg == NULL)
		return;
	int n = memcg_kill(p->priv->memcg, SIGKILL);
	if (n > 0)
		log_warnx("%s: killed %d process%s left in its memory cgroup", p->fullname, n,
			  n == 1 ? "" : "es");
}

/* After an exit that was not a stop: members the leader left behind die with it. */
static void proc_kill_leftovers(struct proc *p)
{
	pid_t pg = p->priv->pgid;
	if (proc_group_alive(pg)) {
		log_warnx("%s: killing what is left of process group %d", p->fullname, (int)pg);
		kill(-pg, SIGKILL);
	}
	p->priv->pgid = 0;
	proc_kill_cgroup(p);
}

/* ---- Logs ---- */

static void proc_logs_close_pipes(struct proc *p)
{
	for (int i = 0; i < 2; i++) {
		proclog_pipe_close(p->priv->pipe[i]);
		p->priv->pipe[i] = NULL;
	}
	procin_close(p->priv->in);
	p->priv->in = NULL;
}

static void proc_logs_free(struct proc *p)
{
	proc_logs_close_pipes(p);
	for (int i = 0; i < 2; i++) {
		proclog_free(p->priv->log[i]);
		p->priv->log[i] = NULL;
	}
}

/* Default LOGDIR/NAME.log and LOGDIR/NAME-stderr.log; "NONE" discards. */
static char *proc_logpath_for(const struct proc *p, int stream)
{
	const struct conf *c = p->sv->conf;
	const char *v = stream == 1 ? p->cp->stdout_logfile : p->cp->stderr_logfile;
	if (stream == 2 && p->prog->redirect_stderr)
		return NULL;
	if (v != NULL && strcmp(v, "NONE") == 0)
		return NULL;
	if (v != NULL && strcmp(v, "AUTO") != 0)
		return strdup(v);
	const char *dir = c->logdir ? c->logdir : "/var/log/taskvisor";
	char *s = NULL;
	if (asprintf(&s, "%s/%s%s.log", dir, p->name, stream == 1 ? "" : "-stderr") < 0)
		return NULL;
	return s;
}

static void proc_logs_open(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	if (pp->logs_stale) {
		for (int i = 0; i < 2; i++) {
			proclog_free(pp->log[i]);
			pp->log[i] = NULL;
		}
		pp->logs_stale = false;
	}
	mode_t mode;
	gid_t gid;
	conf_file_perms(p->sv->conf, &mode, &gid);
	for (int i = 0; i < 2; i++) {
		if (pp->log[i] != NULL)
			continue;
		long long maxb = i == 0 ? p->prog->stdout_logfile_maxbytes : p->prog->stderr_logfile_maxbytes;
		int backups = i == 0 ? p->prog->stdout_logfile_backups : p->prog->stderr_logfile_backups;
		char err[256];
		pp->log[i] = proclog_open_perms(pp->logpath[i], maxb, backups, p->prog->log_timestamps, mode,
						gid, err, sizeof(err));
		if (pp->log[i] == NULL) {
			log_warnx("%s: %s (output discarded)", p->fullname, err);
			pp->log[i] = proclog_open(NULL, 0, 0, false, err, sizeof(err));
			pp->logs_stale = true; /* tried again at the next spawn (out of fds, say) */
		}
		bool to_syslog = i == 0 ? p->prog->stdout_syslog : p->prog->stderr_syslog;
		proclog_set_output(pp->log[i], to_syslog ? p->name : NULL, p->sv->conf->strip_ansi);
	}
}

/* ---- Spawning ---- */

struct proc_env {
	char **v;
	size_t n, cap;
};

/* Set "KEY=VALUE" (kv) in e, replacing the same key. */
static int proc_env_put(struct proc_env *e, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
	char *dup = strdup(kv);
	if (dup == NULL)
		return -1;
	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], kv, kl) == 0 && e->v[i][kl] == '=') {
			free(e->v[i]);
			e->v[i] = dup;
			return 0;
		}
	}
	if (e->n + 2 > e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		char **nv = realloc(e->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			free(dup);
			return -1;
		}
		e->v = nv;
		e->cap = ncap;
	}
	e->v[e->n++] = dup;
	e->v[e->n] = NULL;
	return 0;
}

static void proc_env_set(struct proc_env *e, const char *k, const char *v)
{
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", k, v ? v : "") >= 0) {
		proc_env_put(e, kv);
		free(kv);
	}
}

static const char *proc_env_get(const struct proc_env *e, const char *k)
{
	size_t kl = strlen(k);
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], k, kl) == 0 && e->v[i][kl] == '=')
			return e->v[i] + kl + 1;
	return NULL;
}

static void proc_env_free(struct proc_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

/* Resolve a user name (or numeric uid) in the parent. 0 / -1 with err. */
static int proc_user(const char *user, struct passwd *pw, char *buf, size_t buflen, gid_t *groups,
		     int *ngroups, char *err, size_t errlen)
{
	struct passwd *res = NULL;
	char *end;
	long uid = strtol(user, &end, 10);
	if (*user != '\0' && *end == '\0')
		getpwuid_r((uid_t)uid, pw, buf, buflen, &res);
	else
		getpwnam_r(user, pw, buf, buflen, &res);
	if (res == NULL) {
		snprintf(err, errlen, "user '%s' not found", user);
		return -1;
	}
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, ngroups) < 0)
		*ngroups = 0;
	return 0;
}

/* Build everything and fork. pid, or -1 with the spawn error in err and, when a system
 * call failed, its errno in *errnum (else 0). */
/* [eventlistener:x]: the output the events need goes to sv_hooks.on_output too (a listener's
 * stdout, a program's stdout/stderr with *_events_enabled); other programs' is only logged. */
static void proc_output_1(void *arg, const char *buf, size_t len)
{
	struct proc *p = arg;
	p->sv->hooks.on_output(p->sv->hooks.arg, p, 1, buf, len);
}

static void proc_output_2(void *arg, const char *buf, size_t len)
{
	struct proc *p = arg;
	p->sv->hooks.on_output(p->sv->hooks.arg, p, 2, buf, len);
}

/* Capture mode: what is outside the tokens is logged, each captured text goes to on_comm. */
struct proc_capture_ctx {
	struct proc *p;
	int stream;
	struct proclog *log;
};

static void proc_capture_log(void *arg, const char *buf, size_t len)
{
	struct proc_capture_ctx *x = arg;
	proclog_write(x->log, buf, len);
}

static void proc_capture_done(void *arg, const char *buf, size_t len)
{
	struct proc_capture_ctx *x = arg;
	log_debug("%s: %s emitted a comm event", x->p->fullname, x->stream == 1 ? "stdout" : "stderr");
	if (x->p->sv->hooks.on_comm != NULL)
		x->p->sv->hooks.on_comm(x->p->sv->hooks.arg, x->p, x->stream, buf, len);
}

static void proc_capture(struct proc *p, int stream, struct proclog *l, const char *buf, size_t len)
{
	struct proc_capture_ctx x = {p, stream, l};
	const struct events_capture_ops ops = {&x, proc_capture_log, proc_capture_done};
	events_capture_feed(p->priv->capture[stream - 1], &ops, buf, len);
}

static void proc_capture_1(void *arg, struct proclog *l, const char *buf, size_t len)
{
	proc_capture(arg, 1, l, buf, len);
}

static void proc_capture_2(void *arg, struct proclog *l, const char *buf, size_t len)
{
	proc_capture(arg, 2, l, buf, len);
}

static void proc_output_taps(struct proc *p)
{
	const struct conf_program *pr = p->prog;

	for (int i = 0; i < 2; i++) {
		events_capture_free(p->priv->capture[i]);
		p->priv->capture[i] = NULL;
	}
	/* a listener's stdout is its protocol, never captured (supervisord) */
	if (pr->stdout_capture_maxbytes > 0 && !pr->listener) {
		p->priv->capture[0] = events_capture_new(pr->stdout_capture_maxbytes);
		proclog_pipe_filter(p->priv->pipe[0], proc_capture_1, p);
	}
	if (pr->stderr_capture_maxbytes > 0 && p->priv->pipe[1] != NULL) {
		p->priv->capture[1] = events_capture_new(pr->stderr_capture_maxbytes);
		proclog_pipe_filter(p->priv->pipe[1], proc_capture_2, p);
	}
	if (p->sv->hooks.on_output == NULL)
		return;
	if (pr->listener || pr->stdout_events_enabled)
		proclog_pipe_tap(p->priv->pipe[0], proc_output_1, p);
	if (pr->stderr_events_enabled && p->priv->pipe[1] != NULL)
		proclog_pipe_tap(p->priv->pipe[1], proc_output_2, p);
}

static pid_t proc_fork(struct proc *p, char *err, size_t errlen, int *errnum)
{
	const struct conf_program *pr = p->prog;
	const struct conf *c = p->sv->conf;
	struct proc_env env = {0};
	char **argv = NULL;
	char *path = NULL;
	pid_t pid = -1;
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	struct passwd pw;
	char pwbuf[4096];
	gid_t groups[256];
	int ngroups = 256;
	bool set_user = false;

	*errnum = 0;
	if (spawn_split(p->cp->command ? p->cp->command : pr->command, &argv, err, errlen) < 0)
		goto done;

	for (char **e = environ; e != NULL && *e != NULL; e++)
		proc_env_put(&env, *e);
	char url[600];
	if (pr->serverurl != NULL) /* [program:x] serverurl= */
		snprintf(url, sizeof(url), "%s", pr->serverurl);
	else
		snprintf(url, sizeof(url), "unix://%s", c->socket_file ? c->socket_file : "");
	proc_env_set(&env, "SUPERVISOR_ENABLED", "1");
	proc_env_set(&env, "SUPERVISOR_PROCESS_NAME", p->name);
	proc_env_set(&env, "SUPERVISOR_GROUP_NAME", p->group);
	proc_env_set(&env, "SUPERVISOR_SERVER_URL", url);
	proc_env_set(&env, "TASKVISOR_PROCESS_NAME", p->name);
	proc_env_set(&env, "TASKVISOR_GROUP_NAME", p->group);
	proc_env_set(&env, "TASKVISOR_SOCKET", c->socket_file);
	proc_env_set(&env, "TASKVISOR_DATABASE", c->database);
	if (p->sv->notify != NULL && (pr->ready == READY_NOTIFY || pr->watchdog_sec > 0)) {
		proc_env_set(&env, "NOTIFY_SOCKET", readiness_socket_path(p->sv->notify));
		if (pr->watchdog_sec > 0) {
			char usec[32];
			snprintf(usec, sizeof(usec), "%lld", (long long)pr->watchdog_sec * 1000000LL);
			proc_env_set(&env, "WATCHDOG_USEC", usec);
		}
	}
	if (pr->user != NULL) {
		if (proc_user(pr->user, &pw, pwbuf, sizeof(pwbuf), groups, &ngroups, err, errlen) < 0)
			goto done;
		if (getuid() == 0)
			set_user = true;
		else if (pw.pw_uid != getuid()) {
			snprintf(err, errlen, "can't drop privilege as nonroot user");
			goto done;
		}
		proc_env_set(&env, "HOME", pw.pw_dir);
		proc_env_set(&env, "USER", pw.pw_name);
		proc_env_set(&env, "LOGNAME", pw.pw_name);
	}
	for (char **e = p->cp->environment; e != NULL && *e != NULL; e++)
		proc_env_put(&env, *e);

	path = spawn_which(argv[0], proc_env_get(&env, "PATH"), err, errlen);
	if (path == NULL)
		goto done;

	/* [fcgi-program:x]: the group's socket is the child's fd 0, in place of the stdin pipe */
	if (pr->fcgi && p->priv->sock != NULL && strcmp(fcgisock_url(p->priv->sock), pr->socket) != 0) {
		fcgisock_release(p->priv->sock);
		p->priv->sock = NULL;
	}
	if (pr->fcgi && p->priv->sock == NULL &&
	    (p->priv->sock = fcgisock_acquire(p->sv->fcgi, pr, err, errlen)) == NULL)
		goto done;

	proc_logs_open(p);
	if (pipe2(out, O_CLOEXEC) < 0 || (!pr->redirect_stderr && pipe2(errp, O_CLOEXEC) < 0) ||
	    (!pr->fcgi && pipe2(inp, O_CLOEXEC) < 0)) {
		*errnum = errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	const char *cgprocs = NULL;
	if (p->sv->memcg != NULL) {
		struct proc_priv *pp = p->priv;
		char cerr[256];
		if (pp->memcg == NULL) {
			pp->memcg =
			    memcg_create(p->sv->memcg, p->fullname, pr->memory_limit, cerr, sizeof(cerr));
			if (pp->memcg == NULL)
				log_warnx("%s: no memory cgroup: %s", p->fullname, cerr);
		} else if (memcg_set_limit(pp->memcg, pr->memory_limit) < 0) {
			log_warn("%s: memory cgroup limit", p->fullname);
		}
		if (pp->memcg != NULL) {
			cgprocs = memcg_procs_path(pp->memcg);
			if (!pp->oom_fresh)
				pp->oom_before = memcg_oom_kills(pp->memcg);
		}
		pp->oom_fresh = false;
	}
	struct spawn_req r = {
	    .path = path,
	    .argv = argv,
	    .envp = env.v,
	    .directory = pr->directory,
	    .umask = pr->umask,
	    .set_user = set_user,
	    .uid = set_user ? pw.pw_uid : 0,
	    .gid = set_user ? pw.pw_gid : 0,
	    .groups = groups,
	    .ngroups = set_user ? (size_t)ngroups : 0,
	    .oom_score_adj = pr->oom_score_adj,
	    .rlimits = pr->rlimits,
	    .nrlimits = pr->nrlimits,
	    .stdin_fd = pr->fcgi ? fcgisock_fd(p->priv->sock) : inp[0],
	    .stdout_fd = out[1],
	    .stderr_fd = pr->redirect_stderr ? out[1] : errp[1],
	    .cgroup_procs = cgprocs,
	};
	pid = p->sv->spawn(&r, err, errlen);
	if (pid < 0)
		*errnum = errno;
	if (pid > 0) {
		p->priv->pipe[0] = proclog_pipe_new(p->sv->loop, out[0], p->priv->log[0]);
		out[0] = -1;
		if (!pr->redirect_stderr) {
			p->priv->pipe[1] = proclog_pipe_new(p->sv->loop, errp[0], p->priv->log[1]);
			errp[0] = -1;
		}
		proc_output_taps(p);
		procin_close(p->priv->in);
		p->priv->in = pr->fcgi ? NULL : procin_new(p->sv->loop, inp[1]);
		inp[1] = -1;
		if (p->priv->in == NULL && !pr->fcgi)
			log_warnx("%s: no stdin pipe: out of memory", p->fullname);
	}
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	free(path);
	spawn_argv_free(argv);
	proc_env_free(&env);
	return pid;
}

/* restart_cron: when the next scheduled restart is due (libev's reschedule callback). */
static ev_tstamp proc_cron_next(ev_periodic *w, ev_tstamp now)
{
	struct proc *p = w->data;
	/* the cron clock (lib/clock.c): the wall clock, or the test seam TASKVISOR_TEST_CLOCK_OFFSET /
	 * TASKVISOR_TEST_MINUTE_SECONDS */
	double t = clock_cron_next(&p->priv->cron_line, now);
	return t < 0 ? now + 1e9 : (ev_tstamp)t;
}

static void proc_cron_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	(void)loop;
	(void)revents;
	struct proc *p = w->data;
	if (p->prog == NULL || (p->state != PROC_RUNNING && p->state != PROC_STARTING))
		return;
	char why[128];
	snprintf(why, sizeof(why), "restart_cron: %s", p->prog->restart_cron);
	proc_restart(p, why);
}

/* Copy what a stop and the ordering need out of the configuration. */
static void proc_cache_conf(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	const struct conf_program *pr = p->prog;
	pp->stopsignal = pr->stopsignal > 0 ? pr->stopsignal : SIGTERM;
	pp->stopwaitsecs = pr->stopwaitsecs;
	pp->drain_timeout = proc_drain_timeout(pr);
	pp->stopasgroup = pr->stopasgroup;
	pp->killasgroup = pr->killasgroup || pr->stopasgroup;
	pp->level_prog = pr->priority;
	pp->level_group = pr->listener ? pr->pool_priority : pr->priority; /* [eventlistener:x] */
	for (size_t i = 0; i < p->sv->conf->ngroups; i++)
		if (strcmp(p->sv->conf->groups[i].name, p->group) == 0)
			pp->level_group = p->sv->conf->groups[i].priority;
	ev_periodic_stop(p->sv->loop, &pp->cron);
	if (pr->restart_cron != NULL) {
		char err[160];
		if (cron_parse(pr->restart_cron, &pp->cron_line, err, sizeof(err)) == 0)
			ev_periodic_start(p->sv->loop, &pp->cron);
		else
			log_warnx("%s: restart_cron: %s", p->fullname, err);
	}
	for (int i = 0; i < 2; i++) {
		char *np = proc_logpath_for(p, i + 1);
		const char *old = pp->logpath[i];
		if ((np == NULL) != (old == NULL) || (np != NULL && strcmp(np, old) != 0))
			pp->logs_stale = true;
		free(pp->logpath[i]);
		pp->logpath[i] = np;
	}
}

/* Count a failed start, then wait (BACKOFF) or give up (FATAL). */
static void proc_backoff(struct proc *p, const char *why)
{
	const struct conf_program *pr = p->prog;
	p->backoff++;
	proc_transition(p, PROC_BACKOFF, why);
	if (p->state != PROC_BACKOFF || p->priv->removed)
		return;
	if (pr->startretries >= 0 && p->backoff > pr->startretries) {
		p->backoff = 0;
		proc_transition(p, PROC_FATAL, "too many start retries too quickly");
		if (p->state != PROC_FATAL)
			return;
		if (pr->fatal_retry_after > 0 && !p->sv->stopping_all)
			proc_timer_set(p, TIMER_FATAL_RETRY, pr->fatal_retry_after);
		if (pr->fatal_action == FATAL_ACTION_SHUTDOWN && p->sv->hooks.on_fatal_shutdown != NULL)
			p->sv->hooks.on_fatal_shutdown(p->sv->hooks.arg, p);
		return;
	}
	if (p->sv->stopping_all)
		return;
	int d = proc_backoff_delay(p->backoff, pr->backoff_max);
	log_info("%s: retrying in %d s (attempt %d)", p->fullname, d, p->backoff + 1);
	proc_timer_set(p, TIMER_BACKOFF, d);
}

#define PROC_QUICK_EXIT_S 1.0 /* a run shorter than this counts toward start_limit_burst */

/* An exit about to be followed by an automatic restart: 0 to restart now, or the seconds to
 * wait when more than start_limit_burst came within start_limit_interval (the reason is
 * then in spawn_err). The window restarts with each held-back start, so only a program
 * that stays up for a whole interval gets its burst back. */
static int proc_rate_limit(struct proc *p)
{
	const struct conf_program *pr = p->prog;
	struct proc_priv *pp = p->priv;
	if (pr->start_limit_interval <= 0 || pr->start_limit_burst <= 0)
		return 0;
	double now = proc_mono();
	/* Only quick exits count: a run of a second or more bounds the restart rate by itself (a
	 * crash after hours, or kill -9 of a program that was up, is restarted at once). */
	if (pp->spawn_mono != 0 && now - pp->spawn_mono >= PROC_QUICK_EXIT_S)
		return 0;
	if (pp->rl_exits == 0 || now - pp->rl_begin >= pr->start_limit_interval) {
		pp->rl_begin = now;
		pp->rl_exits = 0;
		pp->rl_backoff = 0;
	}
	if (++pp->rl_exits <= pr->start_limit_burst)
		return 0;
	pp->rl_backoff++;
	snprintf(p->spawn_err, sizeof(p->spawn_err), "restart rate limited: %d exits in %d s", pp->rl_exits,
		 pr->start_limit_interval);
	return proc_backoff_delay(pp->rl_backoff, pr->backoff_max);
}

/* Hold an automatic restart back for secs: STARTING -> BACKOFF as a start refused before the
 * spawn (supervisord's path for a spawn error), without counting toward startretries. */
static void proc_hold(struct proc *p, const char *why, const char *reason, enum proc_timer kind, double secs)
{
	proc_timer_stop(p);
	proc_transition(p, PROC_STARTING, why);
	if (p->state != PROC_STARTING)
		return;
	proc_transition(p, PROC_BACKOFF, reason);
	if (p->state != PROC_BACKOFF || p->priv->removed || p->sv->stopping_all)
		return;
	proc_timer_set(p, kind, secs);
	if (kind == TIMER_RATE_LIMIT)
		p->priv->retry_at = time(NULL) + (time_t)secs;
}

/* Lack of resources: the same spawn may well work a moment later. */
static bool proc_spawn_transient(int errnum)
{
	return errnum == EMFILE || errnum == ENFILE || errnum == EAGAIN || errnum == ENOMEM ||
	       errnum == ENOBUFS;
}

/* RUNNING comes from READY=1 rather than startsecs. */
static bool proc_notify_ready(const struct proc *p)
{
	return p->prog != NULL && p->prog->ready == READY_NOTIFY && p->sv->notify != NULL;
}

/* Fork the child and enter STARTING (RUNNING at once with startsecs=0). */
static enum sv_result proc_spawn(struct proc *p, const char *why)
{
	char err[256];
	int errnum;
	proc_timer_stop(p);
	p->spawn_err[0] = '\0';
	proc_cache_conf(p);
	pid_t pid = proc_fork(p, err, sizeof(err), &errnum);
	if (pid < 0 && proc_spawn_transient(errnum)) {
		snprintf(p->spawn_err, sizeof(p->spawn_err), "spawn error: %s (retrying)", strerror(errnum));
		if (p->priv->spawn_retries++ == 0)
			log_warnx("%s: spawn error: %s (retrying every %.0f s)", p->fullname, err,
				  SPAWN_RETRY_SECS);
		else
			log_debug("%s: spawn error: %s (retry %d)", p->fullname, err, p->priv->spawn_retries);
		proc_hold(p, why, p->spawn_err, TIMER_SPAWN_RETRY, SPAWN_RETRY_SECS);
		return SV_SPAWN_ERROR;
	}
	if (pid < 0) {
		p->priv->spawn_retries = 0;
		snprintf(p->spawn_err, sizeof(p->spawn_err), "%s", err);
		log_warnx("%s: spawn error: %s", p->fullname, err);
		proc_transition(p, PROC_STARTING, why);
		if (p->state == PROC_STARTING)
			proc_backoff(p, err);
		return SV_SPAWN_ERROR;
	}
	if (p->priv->spawn_retries > 0)
		log_info("%s: spawned after %d failed attempts", p->fullname, p->priv->spawn_retries);
	p->priv->spawn_retries = 0;
	p->pid = pid;
	p->priv->pgid = pid;
	p->priv->group_signalled = false;
	p->priv->killed = false;
	p->start_time = time(NULL);
	p->status_text[0] = '\0'; /* STATUS= belongs to the run that sent it */
	p->priv->spawn_mono = proc_mono();
	log_info("%s: spawned pid %d", p->fullname, (int)pid);
	proc_transition(p, PROC_STARTING, why);
	/* after the transition: the sampler runs only for STARTING/RUNNING programs, and a
	 * lone program sampled from STOPPED would never start it */
	if (p->prog->memory_limit > 0 && p->priv->memcg == NULL)
		sv_rss_update(p->sv);
	if (p->state != PROC_STARTING)
		return SV_OK;
	if (proc_notify_ready(p)) {
		log_debug("%s: waiting for READY=1", p->fullname);
	} else if (p->prog->startsecs <= 0) {
		p->backoff = 0;
		proc_transition(p, PROC_RUNNING, "startsecs=0");
	} else {
		proc_timer_set(p, TIMER_STARTSECS, p->prog->startsecs);
	}
	return SV_OK;
}

/* ---- depends_on ---- */

/* Every process of the programs p depends on is RUNNING (names not found are ignored). */
static bool proc_deps_ready(const struct proc *p)
{
	struct supervisor *sv = p->sv;
	for (char **d = p->prog->depends_on; d != NULL && *d != NULL; d++)
		for (size_t i = 0; i < sv->nprocs; i++) {
			struct proc *q = sv->procs[i];
			if (q != p && strcmp(q->prog->name, *d) == 0 && q->state != PROC_RUNNING)
				return false;
		}
	return true;
}

/* Does p depend on program q? */
static bool proc_depends_on(const struct proc *p, const struct proc *q)
{
	if (p->prog == NULL || q->prog == NULL || p == q)
		return false;
	for (char **d = p->prog->depends_on; d != NULL && *d != NULL; d++)
		if (strcmp(*d, q->prog->name) == 0)
			return true;
	return false;
}

/* Start p, or park it until its dependencies run (starting those that are down). */
static enum sv_result proc_start_internal(struct proc *p, const char *why)
{
	struct supervisor *sv = p->sv;
	if (!proc_deps_ready(p)) {
		if (p->priv->pending_start)
			return SV_OK;
		p->priv->pending_start = true;
		log_info("%s: waiting for depends_on before starting", p->fullname);
		for (size_t i = 0; i < sv->nprocs; i++) {
			struct proc *q = sv->procs[i];
			if (proc_depends_on(p, q) && !proc_is_up(q) && !q->priv->pending_start)
				proc_start_internal(q, "needed by depends_on");
		}
		return SV_OK;
	}
	p->priv->pending_start = false;
	return proc_spawn(p, why);
}

/* ---- Supervisor ordering ---- */

static int proc_cmp_level(const struct proc *a, const struct proc *b)
{
	if (a->priv->level_group != b->priv->level_group)
		return a->priv->level_group < b->priv->level_group ? -1 : 1;
	if (a->priv->level_prog != b->priv->level_prog)
		return a->priv->level_prog < b->priv->level_prog ? -1 : 1;
	return 0;
}

static int proc_cmp_start(const void *x, const void *y)
{
	const struct proc *a = *(struct proc *const *)x, *b = *(struct proc *const *)y;
	int c = proc_cmp_level(a, b);
	return c ? c : strcmp(a->fullname, b->fullname);
}

static int proc_cmp_name(const void *x, const void *y)
{
	const struct proc *a = *(struct proc *const *)x, *b = *(struct proc *const *)y;
	int c = strcmp(a->group, b->group);
	return c ? c : strcmp(a->name, b->name);
}

/* A copy of the process list in start order (caller frees). */
static struct proc **sv_start_order(struct supervisor *sv)
{
	struct proc **o = malloc((sv->nprocs + 1) * sizeof(*o));
	if (o == NULL)
		return NULL;
	if (sv->nprocs)
		memcpy(o, sv->procs, sv->nprocs * sizeof(*o));
	qsort(o, sv->nprocs, sizeof(*o), proc_cmp_start);
	return o;
}

/* Start parked processes whose dependencies are now RUNNING. */
static void sv_kick_pending(struct supervisor *sv)
{
	if (sv->stopping_all)
		return;
	struct proc **o = sv_start_order(sv);
	if (o == NULL)
		return;
	size_t n = sv->nprocs;
	for (size_t i = 0; i < n && n == sv->nprocs; i++)
		if (o[i]->priv->pending_start && proc_deps_ready(o[i])) {
			o[i]->priv->pending_start = false;
			proc_spawn(o[i], "depends_on ready");
		}
	free(o);
}

/* A changed process restarts with its new configuration: stop it (a worker drains), start
 * again once down (autostart), or at once when it is not running. */
static void sv_restart_changed(struct proc *p)
{
	p->restarts = 0;
	p->last_restart = 0;
	p->last_cause[0] = '\0';
	p->priv->restart_next = 0;
	p->backoff = 0;
	if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_STOPPING) {
		if (p->state != PROC_STOPPING)
			proc_stop_by(p, "update");
		p->priv->restart_after_stop = p->prog->autostart;
		snprintf(p->last_reason, sizeof(p->last_reason), "configuration changed");
	} else {
		if (p->state == PROC_BACKOFF)
			proc_stop(p);
		proc_timer_stop(p);
		if (p->prog->autostart)
			proc_start_internal(p, p->start_time ? "configuration changed" : "autostart");
	}
}

/* Restart the next worker of a rolling update (README "Draining workers"). */
static void sv_roll_next(struct supervisor *sv)
{
	while (sv->roll_cur == NULL && sv->nroll > 0) {
		struct proc *p = sv->roll[0];

		memmove(sv->roll, sv->roll + 1, (sv->nroll - 1) * sizeof(*sv->roll));
		sv->nroll--;
		if (p->priv->removed || p->prog == NULL)
			continue;
		if (p->state == PROC_STARTING || p->state == PROC_RUNNING) {
			log_info("%s: rolling update: drain and restart (%zu more after it)", p->fullname,
				 sv->nroll);
			sv->roll_cur = p;
		}
		sv_restart_changed(p);
	}
}

static void sv_roll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	sv_roll_next(w->data);
}

static void sv_after_state(struct supervisor *sv, struct proc *p, enum proc_state to)
{
	/* The worker being rolled is up again (or will not be): the next one's turn. */
	if (p == sv->roll_cur && to != PROC_STOPPING && to != PROC_STARTING &&
	    !(to == PROC_STOPPED && p->priv->restart_after_stop)) {
		sv->roll_cur = NULL;
		ev_timer_set(&sv->roll_timer, 0., 0.);
		ev_timer_start(sv->loop, &sv->roll_timer);
	}
	if (p->priv->removed && !proc_is_up(p))
		ev_idle_start(sv->loop, &sv->freer);
	if (to == PROC_RUNNING)
		sv_kick_pending(sv);
	if (sv->stopping_all && !proc_is_up(p))
		sv_stop_step(sv);
}

/* ---- Restarts: how many, and what ended the process before each ---- */

void proc_exit_words(const struct proc *p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (p->oom_killed)
		snprintf(buf, len, "OOM killed");
	else if (!p->exited_once)
		return;
	else if (WIFEXITED(p->last_wstatus))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(p->last_wstatus));
	else if (WIFSIGNALED(p->last_wstatus)) {
		const char *abbr = sigabbrev_np(WTERMSIG(p->last_wstatus));
		if (abbr != NULL)
			snprintf(buf, len, "terminated by SIG%s%s", abbr,
				 WCOREDUMP(p->last_wstatus) ? " (core dumped)" : "");
		else
			snprintf(buf, len, "terminated by signal %d", WTERMSIG(p->last_wstatus));
	}
}

/* An automatic restart is about to happen: count it, with its cause (why = the daemon's own
 * reason, NULL = how the last exit ended, else the spawn error). */
static void proc_count_restart(struct proc *p, const char *why)
{
	struct proc_priv *pp = p->priv;

	p->restarts++;
	p->last_restart = time(NULL);
	pp->restart_mono[pp->restart_next % PROC_RESTART_RING] = proc_mono();
	pp->restart_next++;
	if (why != NULL)
		snprintf(p->last_cause, sizeof(p->last_cause), "%s", why);
	else if (p->exited_once)
		proc_exit_words(p, p->last_cause, sizeof(p->last_cause));
	else
		snprintf(p->last_cause, sizeof(p->last_cause), "%.127s", p->spawn_err);
}

unsigned proc_restarts_within(const struct proc *p, double window)
{
	const struct proc_priv *pp = p->priv;
	unsigned n = 0, kept = pp->restart_next < PROC_RESTART_RING ? pp->restart_next : PROC_RESTART_RING;
	double now = proc_mono();

	for (unsigned i = 0; i < kept; i++)
		if (now - pp->restart_mono[i] <= window)
			n++;
	return n;
}

time_t proc_next_cron(const struct proc *p)
{
	if (p->priv == NULL || !ev_is_active(&p->priv->cron))
		return 0;
	return (time_t)ev_periodic_at(&p->priv->cron);
}

/* ---- Reaping and stopping ---- */

static void proc_stop_done(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	proc_timer_stop(p);
	ev_timer_stop(p->sv->loop, &pp->gpoll);
	pp->pgid = 0;
	pp->killed = false;
	pp->group_signalled = false;
	proc_kill_cgroup(p);
	p->stop_time = time(NULL);
	proc_transition(p, PROC_STOPPED, "stopped");
	if (pp->restart_after_stop && p->state == PROC_STOPPED && !pp->removed && !p->sv->stopping_all) {
		pp->restart_after_stop = false;
		proc_count_restart(p, p->last_reason[0] ? p->last_reason : "restart");
		proc_start_internal(p, p->last_reason[0] ? p->last_reason : "restart");
	}
	pp->restart_after_stop = false;
}

static void proc_gpoll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct proc *p = w->data;
	struct proc_priv *pp = p->priv;
	if (proc_group_alive(pp->pgid)) {
		/* SIGKILL cannot be ignored; what is still "there" seconds later is a zombie
		 * whose parent does not reap it, or a member we may not signal. Give up on it. */
		if (!pp->killed || proc_mono() - pp->killed_mono < GROUP_KILL_GRACE_SECS)
			return;
		log_warnx("%s: process group %d still not empty %d s after SIGKILL; giving up on it",
			  p->fullname, (int)pp->pgid, GROUP_KILL_GRACE_SECS);
	}
	ev_timer_stop(loop, w);
	if (p->state == PROC_STOPPING && p->pid == 0)
		proc_stop_done(p);
}

/* The leader of a stopping process was reaped: finish, or wait for its group. */
static void proc_stop_continue(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	if (p->stop_phase == PROC_STOP_DRAIN)
		proc_phase(p, PROC_STOP_SIGNAL, "the worker exited");
	if (!proc_group_alive(pp->pgid)) {
		proc_stop_done(p);
		return;
	}
	if (pp->killed) {
		kill(-pp->pgid, SIGKILL);
	} else {
		if (!pp->group_signalled)
			kill(-pp->pgid, pp->stopsignal);
		pp->group_signalled = true;
		log_info("%s: process group %d outlived its leader; SIGKILL in at most %d s", p->fullname,
			 (int)pp->pgid, pp->stopwaitsecs);
		if (pp->timer_kind != TIMER_STOPWAIT)
			proc_timer_set(p, TIMER_STOPWAIT, pp->stopwaitsecs);
	}
	ev_timer_again(p->sv->loop, &pp->gpoll);
}

static bool proc_exit_expected(const struct proc *p, int st)
{
	if (!WIFEXITED(st))
		return false;
	for (size_t i = 0; i < p->prog->nexitcodes; i++)
		if (p->prog->exitcodes[i] == WEXITSTATUS(st))
			return true;
	return false;
}

/* Was a SIGKILLed child taken by the OOM killer? Its cgroup's counter, else the kernel log. */
static bool proc_oom_check(struct proc *p, pid_t pid, int st)
{
	struct proc_priv *pp = p->priv;
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return false;
	if (pp->memcg != NULL) {
		long long k = memcg_oom_kills(pp->memcg);
		bool oom = k >= 0 && pp->oom_before >= 0 && k > pp->oom_before;
		pp->oom_before = k;
		pp->oom_fresh = true; /* an autorestart follows at once: it needs no second read */
		return oom;
	}
	return memcg_kernel_log_oom(pid, p->start_time);
}

/* Did the OOM killer take anything in p's memory cgroup since the last look (a step's
 * command run by a worker, say)? The kills it reports are consumed, so that the process's
 * own later SIGKILL is not taken for one of them. False without a cgroup. */
bool proc_oom_since(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	if (pp->memcg == NULL)
		return false;
	long long k = memcg_oom_kills(pp->memcg);
	bool oom = k >= 0 && pp->oom_before >= 0 && k > pp->oom_before;
	if (k >= 0)
		pp->oom_before = k;
	return oom;
}

long long proc_memory(const struct proc *p)
{
	return memcg_program_memory(p->priv->memcg, p->pid > 0 ? p->priv->pgid : 0);
}

void proc_memory_many(struct proc *const *procs, size_t n, long long *out)
{
	const struct memcg **ms = calloc(n > 0 ? n : 1, sizeof(*ms));
	pid_t *pgids = calloc(n > 0 ? n : 1, sizeof(*pgids));

	if (ms == NULL || pgids == NULL) {
		for (size_t i = 0; i < n; i++)
			out[i] = -1;
	} else {
		for (size_t i = 0; i < n; i++) {
			ms[i] = procs[i]->priv->memcg;
			pgids[i] = procs[i]->pid > 0 ? procs[i]->priv->pgid : 0;
		}
		memcg_program_memory_many(ms, pgids, out, n);
	}
	free(ms);
	free(pgids);
}

bool proc_is_down(const struct proc *p)
{
	return p->state == PROC_FATAL || p->state == PROC_BACKOFF || p->state == PROC_UNKNOWN ||
	       (p->state == PROC_EXITED && !p->last_exit_expected) ||
	       ((p->state == PROC_STOPPED || p->state == PROC_EXITED) && p->prog != NULL &&
		p->prog->autostart && p->prog->autorestart != AUTORESTART_FALSE);
}

/* The child p->pid ended with wait status st. */
static void proc_reaped(struct proc *p, int st)
{
	struct supervisor *sv = p->sv;
	pid_t pid = p->pid;
	char how[96];
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof(how), "terminated by signal %d%s", WTERMSIG(st),
			 WCOREDUMP(st) ? " (core dumped)" : "");
	log_info("%s: pid %d %s", p->fullname, (int)pid, how);

	p->pid = 0;
	p->last_pid = pid;
	p->exited_once = true;
	p->last_wstatus = st;
	p->stop_time = time(NULL);
	p->oom_killed = proc_oom_check(p, pid, st);
	if (p->oom_killed) {
		p->oom_kills++;
		log_warnx("%s: pid %d was killed by the OOM killer", p->fullname, (int)pid);
	}
	p->last_exit_expected = p->prog != NULL && proc_exit_expected(p, st);
	proc_logs_close_pipes(p);
	if (sv->hooks.on_exit != NULL)
		sv->hooks.on_exit(sv->hooks.arg, p, pid, st, p->oom_killed);

	if (p->state == PROC_STOPPING) {
		proc_stop_continue(p);
		return;
	}
	if (p->state == PROC_STARTING) {
		proc_timer_stop(p);
		proc_kill_leftovers(p);
		/* ready=notify: an exit before READY=1 is a failed start, however late. */
		if (proc_notify_ready(p) || proc_mono() - p->priv->spawn_mono < p->prog->startsecs) {
			snprintf(p->spawn_err, sizeof(p->spawn_err),
				 "Exited too quickly (process log may have details)");
			proc_backoff(p, how);
			return;
		}
		proc_transition(p, PROC_RUNNING, "startsecs elapsed");
		if (p->state != PROC_RUNNING)
			return;
	}
	if (p->state != PROC_RUNNING) {
		log_warnx("%s: pid %d reaped in state %s", p->fullname, (int)pid, proc_state_name(p->state));
		return;
	}
	proc_timer_stop(p);
	proc_kill_leftovers(p);
	char why[128];
	snprintf(why, sizeof(why), "%s; %s", how, p->last_exit_expected ? "expected" : "not expected");
	proc_transition(p, PROC_EXITED, why);
	enum conf_autorestart ar = p->prog->autorestart;
	bool again = ar == AUTORESTART_TRUE || (ar == AUTORESTART_UNEXPECTED && !p->last_exit_expected);
	if (again && p->state == PROC_EXITED && !sv->stopping_all && !p->priv->removed) {
		proc_count_restart(p, NULL);
		int d = proc_rate_limit(p);
		if (d > 0) {
			log_warnx("%s: %s; next start in %d s", p->fullname, p->spawn_err, d);
			proc_hold(p, "autorestart", p->spawn_err, TIMER_RATE_LIMIT, d);
		} else {
			proc_start_internal(p, "autorestart");
		}
	}
}

struct proc *sv_find_pid_any(struct supervisor *sv, pid_t pid)
{
	struct proc *p = sv_find_pid(sv, pid);
	for (size_t i = 0; p == NULL && i < sv->ndying; i++)
		if (sv->dying[i]->pid == pid)
			p = sv->dying[i];
	return p;
}

static void sv_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	(void)loop;
	(void)revents;
	struct supervisor *sv = w->data;
	struct proc *p = sv_find_pid_any(sv, w->rpid);
	if (p == NULL) {
		log_debug("reaped pid %d (not a supervised process)", (int)w->rpid);
		return;
	}
	proc_reaped(p, w->rstatus);
}

static void proc_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct proc *p = w->data;
	struct proc_priv *pp = p->priv;
	enum proc_timer kind = pp->timer_kind;
	pp->timer_kind = TIMER_NONE;
	char why[64];
	switch (kind) {
	case TIMER_STARTSECS:
		if (p->state == PROC_STARTING) {
			p->backoff = 0;
			snprintf(why, sizeof(why), "stayed up %d s", p->prog->startsecs);
			proc_transition(p, PROC_RUNNING, why);
		}
		break;
	case TIMER_BACKOFF:
		if (p->state == PROC_BACKOFF) {
			proc_count_restart(p, NULL);
			proc_start_internal(p, "back-off elapsed");
		}
		break;
	case TIMER_RATE_LIMIT:
		if (p->state == PROC_BACKOFF) {
			/* the window starts again here: a quick exit is held back again */
			pp->rl_begin = proc_mono();
			pp->rl_exits = p->prog->start_limit_burst;
			proc_start_internal(p, "restart rate limit elapsed");
		}
		break;
	case TIMER_SPAWN_RETRY:
		if (p->state == PROC_BACKOFF)
			proc_start_internal(p, "spawn retry");
		break;
	case TIMER_FATAL_RETRY:
		if (p->state == PROC_FATAL) {
			proc_count_restart(p, NULL);
			proc_start_internal(p, "fatal_retry_after elapsed");
		}
		break;
	case TIMER_STOPWAIT:
		if (p->state != PROC_STOPPING)
			break;
		pp->killed = true;
		pp->killed_mono = proc_mono();
		if (p->pid > 0) {
			pid_t target = pp->killasgroup ? -pp->pgid : p->pid;
			log_warnx("%s: still running after %d s: SIGKILL to %s %d", p->fullname,
				  pp->stopwaitsecs, pp->killasgroup ? "process group" : "pid", (int)p->pid);
			kill(target, SIGKILL);
		} else if (proc_group_alive(pp->pgid)) {
			log_warnx("%s: process group %d still alive after %d s: SIGKILL", p->fullname,
				  (int)pp->pgid, pp->stopwaitsecs);
			kill(-pp->pgid, SIGKILL);
			ev_timer_again(p->sv->loop, &pp->gpoll);
		}
		break;
	case TIMER_DRAIN:
		if (p->state != PROC_STOPPING || p->stop_phase != PROC_STOP_DRAIN)
			break;
		log_warnx("%s: still holds steps after drain_timeout %d s: giving them up", p->fullname,
			  pp->drain_timeout);
		if (p->sv->hooks.on_drain_expired != NULL)
			p->sv->hooks.on_drain_expired(p->sv->hooks.arg, p, pp->stop_by);
		if (p->state == PROC_STOPPING && p->stop_phase == PROC_STOP_DRAIN)
			proc_stop_signal(p, "drain_timeout passed");
		break;
	case TIMER_NONE:
		break;
	}
}

static void proc_watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct proc *p = w->data;
	ev_timer_stop(loop, w);
	if (p->state != PROC_RUNNING)
		return;
	char why[96];
	snprintf(why, sizeof(why), "watchdog: no WATCHDOG=1 for %.0f s", w->repeat);
	proc_restart_how(p, why, false);
}

/* ---- NOTIFY_SOCKET and memory_limit sampling ---- */

/* A datagram from a ready=notify program (or one of its children: same process group). */
static void sv_notify_cb(void *arg, const struct readiness_event *ev)
{
	struct supervisor *sv = arg;
	struct proc *p = sv_find_pid(sv, ev->pid);
	for (size_t i = 0; p == NULL && ev->pgid > 0 && i < sv->nprocs; i++)
		if (sv->procs[i]->pid > 0 && sv->procs[i]->priv->pgid == ev->pgid)
			p = sv->procs[i];
	if (p == NULL) {
		log_debug("notify: datagram from pid %d, not a supervised process", (int)ev->pid);
		return;
	}
	if (ev->status != NULL)
		snprintf(p->status_text, sizeof(p->status_text), "%s", ev->status);
	if (ev->watchdog_usec > 0)
		p->priv->watchdog.repeat = (double)ev->watchdog_usec / 1e6;
	if (ev->watchdog && p->state == PROC_RUNNING && ev_is_active(&p->priv->watchdog))
		ev_timer_again(sv->loop, &p->priv->watchdog);
	if (ev->ready && p->state == PROC_STARTING && proc_notify_ready(p)) {
		proc_timer_stop(p);
		p->backoff = 0;
		proc_transition(p, PROC_RUNNING, "READY=1");
	}
	if (ev->watchdog_trigger && p->state == PROC_RUNNING)
		proc_restart_how(p, "watchdog: WATCHDOG=trigger", false);
}

/* Open the NOTIFY_SOCKET once some program needs it (beside the control socket). */
static void sv_notify_ensure(struct supervisor *sv)
{
	if (sv->notify != NULL)
		return;
	bool need = false;
	for (size_t i = 0; i < sv->conf->nprograms; i++)
		need = need || sv->conf->programs[i].ready == READY_NOTIFY ||
		       sv->conf->programs[i].watchdog_sec > 0;
	if (!need)
		return;
	free(sv->notify_path);
	sv->notify_path = NULL;
	const char *sock = sv->conf->socket_file ? sv->conf->socket_file : PROTO_DEFAULT_SOCKET;
	if (asprintf(&sv->notify_path, "%s.notify", sock) < 0) {
		sv->notify_path = NULL;
		return;
	}
	char err[256];
	sv->notify = readiness_open(sv->loop, sv->notify_path, sv_notify_cb, sv, err, sizeof(err));
	if (sv->notify == NULL)
		log_warnx("notify socket: %s (ready=notify programs fall back to startsecs)", err);
}

/* Run the RSS sampler only while some live program has a memory_limit that no cgroup
 * enforces: an idle daemon with nothing to sample must not wake up every second. */
static void sv_rss_update(struct supervisor *sv)
{
	bool need = false;
	for (size_t i = 0; i < sv->nprocs && !need; i++) {
		const struct proc *p = sv->procs[i];
		need = p->prog != NULL && p->prog->memory_limit > 0 && p->priv->memcg == NULL &&
		       (p->state == PROC_RUNNING || p->state == PROC_STARTING);
	}
	if (need && !ev_is_active(&sv->rss_timer)) {
		ev_timer_start(sv->loop, &sv->rss_timer);
		ev_unref(sv->loop); /* the sampler alone does not keep the loop running */
	} else if (!need && ev_is_active(&sv->rss_timer)) {
		ev_ref(sv->loop);
		ev_timer_stop(sv->loop, &sv->rss_timer);
	}
}

/* memory_limit where no cgroup enforces it: restart a program whose process group
 * stays over the limit. */
static void sv_rss_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct supervisor *sv = w->data;
	sv_rss_update(sv);
	if (!ev_is_active(w))
		return;
	struct proc **ps = calloc(sv->nprocs + 1, sizeof(*ps));
	pid_t *pg = calloc(sv->nprocs + 1, sizeof(*pg));
	long long *rss = calloc(sv->nprocs + 1, sizeof(*rss));
	size_t n = 0;
	if (ps == NULL || pg == NULL || rss == NULL)
		goto out;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct proc *p = sv->procs[i];
		if ((p->state == PROC_RUNNING || p->state == PROC_STARTING) && p->prog->memory_limit > 0 &&
		    p->priv->memcg == NULL && p->priv->pgid > 0) {
			ps[n] = p;
			pg[n++] = p->priv->pgid;
		}
	}
	if (n == 0 || memcg_pgrp_rss_many(pg, rss, n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct proc *p = ps[i];
		if (rss[i] <= p->prog->memory_limit) {
			p->priv->rss_over = 0;
			continue;
		}
		if (++p->priv->rss_over < RSS_OVER_SAMPLES)
			continue;
		p->priv->rss_over = 0;
		char why[128];
		snprintf(why, sizeof(why), "memory_limit: RSS %lld MB over %lld MB", rss[i] >> 20,
			 p->prog->memory_limit >> 20);
		proc_restart_how(p, why, false);
	}
out:
	free(ps);
	free(pg);
	free(rss);
}

/* ---- Control operations ---- */

/* supervisord's startProcess tests the command before anything (rpcinterface.py, get_execv_args):
 * not found is NO_FILE, empty, unparsable, a directory or not executable is NOT_EXECUTABLE; the
 * process is left as it is. PATH is the program's environment's, else the daemon's. */
static enum sv_result proc_start_check(struct proc *p)
{
	const char *cmd = p->cp->command != NULL ? p->cp->command : p->prog->command;
	const char *pathenv = getenv("PATH");
	char **argv = NULL, *path;
	char *why = p->start_refused;
	size_t len = sizeof(p->start_refused);

	why[0] = '\0';
	for (char **e = p->cp->environment; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			pathenv = *e + 5;
	if (spawn_split(cmd, &argv, why, len) < 0)
		return SV_NOT_EXECUTABLE;
	path = spawn_which(argv[0], pathenv, why, len);
	spawn_argv_free(argv);
	if (path != NULL) {
		free(path);
		return SV_OK;
	}
	return strncmp(why, "can't find command", 18) == 0 ? SV_NO_FILE : SV_NOT_EXECUTABLE;
}

enum sv_result proc_start(struct proc *p)
{
	enum sv_result r = proc_start_check(p);

	if (r != SV_OK)
		return r;
	switch (p->state) {
	case PROC_STARTING:
	case PROC_RUNNING:
	case PROC_BACKOFF:
		return SV_ALREADY_STARTED;
	case PROC_STOPPING:
		p->priv->restart_after_stop = true;
		return SV_OK;
	default:
		break;
	}
	proc_timer_stop(p); /* a pending fatal_retry_after */
	p->backoff = 0;
	p->priv->rl_exits = 0; /* an operator's start gets the whole burst again */
	p->priv->rl_backoff = 0;
	p->last_reason[0] = '\0';
	return proc_start_internal(p, "start requested");
}

/* Send the stop signal (stopasgroup: to the group). */
static void proc_kill_stop(struct proc *p)
{
	struct proc_priv *pp = p->priv;
	pid_t target = pp->stopasgroup ? -pp->pgid : p->pid;

	if (pp->stopasgroup)
		pp->group_signalled = true;
	log_info("%s: sending signal %d to %s %d", p->fullname, pp->stopsignal,
		 pp->stopasgroup ? "process group" : "pid", (int)p->pid);
	if (kill(target, pp->stopsignal) < 0)
		log_warn("%s: kill %d", p->fullname, (int)target);
}

/* A drain ended (why): STOPPING draining -> signalled, the stop signal, stopwaitsecs. */
static void proc_stop_signal(struct proc *p, const char *why)
{
	struct proc_priv *pp = p->priv;

	proc_timer_stop(p);
	proc_phase(p, PROC_STOP_SIGNAL, why);
	proc_kill_stop(p);
	proc_timer_set(p, TIMER_STOPWAIT, pp->stopwaitsecs > 0 ? pp->stopwaitsecs : 0.001);
}

void proc_drained(struct proc *p)
{
	if (p->state == PROC_STOPPING && p->stop_phase == PROC_STOP_DRAIN)
		proc_stop_signal(p, "the worker holds no step");
}

enum sv_result proc_stop(struct proc *p)
{
	return proc_stop_by(p, NULL);
}

enum sv_result proc_stop_by(struct proc *p, const char *by)
{
	return proc_stop_how(p, by, true);
}

/* Stop p; drain: a worker holding steps drains first (a hung or oversized one is not waited for). */
static enum sv_result proc_stop_how(struct proc *p, const char *by, bool drain)
{
	struct proc_priv *pp = p->priv;
	struct sv_hooks *h = &p->sv->hooks;
	pp->restart_after_stop = false;
	switch (p->state) {
	case PROC_BACKOFF:
		proc_timer_stop(p);
		p->stop_time = time(NULL);
		proc_transition(p, PROC_STOPPED, "stop requested in back-off");
		return SV_OK;
	case PROC_STARTING:
	case PROC_RUNNING: {
		proc_timer_stop(p);
		snprintf(pp->stop_by, sizeof(pp->stop_by), "%s", by != NULL && *by != '\0' ? by : "stop");
		/* A worker holding steps drains first: no signal until it holds none (proc_drained)
		 * or drain_timeout passed (TIMER_DRAIN). Any other process is signalled at once. */
		if (drain && pp->drain_timeout > 0 && p->pid > 0 && h->on_drain != NULL &&
		    h->on_drain(h->arg, p, pp->drain_timeout, pp->stop_by)) {
			log_info("%s: draining: stop signal once it holds no step, in at most %d s",
				 p->fullname, pp->drain_timeout);
			p->stop_phase = PROC_STOP_DRAIN;
			proc_transition(p, PROC_STOPPING, "stop requested: drain first");
			if (p->state == PROC_STOPPING && p->stop_phase == PROC_STOP_DRAIN &&
			    pp->timer_kind == TIMER_NONE)
				proc_timer_set(p, TIMER_DRAIN, pp->drain_timeout);
			return SV_OK;
		}
		proc_kill_stop(p);
		p->stop_phase = PROC_STOP_SIGNAL;
		proc_transition(p, PROC_STOPPING, "stop requested");
		if (p->state == PROC_STOPPING && p->priv->timer_kind == TIMER_NONE)
			proc_timer_set(p, TIMER_STOPWAIT, pp->stopwaitsecs > 0 ? pp->stopwaitsecs : 0.001);
		return SV_OK;
	}
	default:
		if (pp->pending_start) {
			pp->pending_start = false;
			return SV_OK;
		}
		if (p->state == PROC_FATAL)
			proc_timer_stop(p);
		return SV_NOT_RUNNING;
	}
}

enum sv_result proc_signal(struct proc *p, int sig)
{
	if (sig <= 0 || sig >= NSIG)
		return SV_BAD_SIGNAL;
	if (p->pid <= 0 ||
	    !(p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_STOPPING))
		return SV_NOT_RUNNING;
	if (kill(p->pid, sig) < 0)
		return SV_NOT_RUNNING;
	return SV_OK;
}

void proc_restart(struct proc *p, const char *reason)
{
	proc_restart_how(p, reason, true);
}

/* Restart with a logged reason; drain: let a worker finish its steps first (restart_cron), not
 * for a hung program (watchdog) or one over its memory_limit. */
static void proc_restart_how(struct proc *p, const char *reason, bool drain)
{
	snprintf(p->last_reason, sizeof(p->last_reason), "%s", reason ? reason : "restart");
	log_info("%s: restarting (%s)", p->fullname, p->last_reason);
	if (p->state == PROC_STARTING || p->state == PROC_RUNNING) {
		proc_stop_how(p, p->last_reason, drain);
		p->priv->restart_after_stop = true;
	} else if (p->state == PROC_STOPPING) {
		p->priv->restart_after_stop = true;
	} else {
		if (p->state == PROC_BACKOFF)
			proc_stop(p);
		proc_count_restart(p, p->last_reason);
		proc_timer_stop(p);
		proc_start_internal(p, p->last_reason);
	}
}

void sv_set_spawn(struct supervisor *sv, spawn_fn *fn)
{
	sv->spawn = fn != NULL ? fn : spawn_fork;
}

/* ---- Description ---- */

/* Append ", fmt..." to the description in buf (or fmt alone when buf is empty). */
static void proc_describe_add(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void proc_describe_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	if (l > 0 && l + 2 < len) {
		memcpy(buf + l, ", ", 3);
		l += 2;
	}
	if (l + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

void proc_describe(const struct proc *p, time_t now, char *buf, size_t len)
{
	bool recent =
	    p->restarts > 0 && p->last_restart != 0 && now - p->last_restart <= PROC_RESTART_RECENT_SECS;
	char cause[128];

	buf[0] = '\0';
	switch (p->state) {
	case PROC_RUNNING: {
		long long up = (long long)(now - p->start_time);
		if (up < 0)
			up = 0;
		long long days = up / 86400, rest = up % 86400;
		char d[32] = "";
		if (days > 0)
			snprintf(d, sizeof(d), "%lld day%s, ", days, days == 1 ? "" : "s");
		snprintf(buf, len, "pid %d, uptime %s%lld:%02lld:%02lld", (int)p->pid, d, rest / 3600,
			 rest % 3600 / 60, rest % 60);
		if (p->status_text[0] != '\0') /* STATUS= from a ready=notify program */
			proc_describe_add(buf, len, "status: %s", p->status_text);
		break;
	}
	case PROC_STARTING:
		if (p->status_text[0] != '\0')
			snprintf(buf, len, "status: %s", p->status_text);
		break;
	case PROC_STOPPING:
		if (p->stop_phase == PROC_STOP_DRAIN && p->priv != NULL) {
			double left = ev_timer_remaining(p->sv->loop, &p->priv->timer);
			snprintf(buf, len, "draining: finishing its steps, stop signal in at most %.0f s",
				 left > 0 ? left : 0);
		}
		break;
	case PROC_STOPPED:
	case PROC_EXITED:
		if (p->start_time == 0) {
			snprintf(buf, len, "Not started");
		} else {
			struct tm tm;
			time_t t = p->stop_time;
			localtime_r(&t, &tm);
			strftime(buf, len, "%b %d %I:%M %p", &tm);
		}
		if (p->state == PROC_EXITED) {
			proc_exit_words(p, cause, sizeof(cause));
			if (cause[0] != '\0')
				proc_describe_add(buf, len, "%s", cause);
		}
		return;
	case PROC_BACKOFF:
	case PROC_FATAL:
		if (p->spawn_err[0] != '\0' && p->state == PROC_BACKOFF && p->priv != NULL &&
		    p->priv->retry_at != 0) {
			long long in = (long long)(p->priv->retry_at - now);
			snprintf(buf, len, "%s, next start in %lld s", p->spawn_err, in < 0 ? 0 : in);
		} else if (p->spawn_err[0] != '\0')
			snprintf(buf, len, "%s", p->spawn_err);
		else
			snprintf(buf, len, "unknown error (try \"tail %s\")", p->fullname ? p->fullname : "");
		/* a spawn error is its own cause; after an exit, say how it ended */
		if (p->spawn_err[0] != '\0' && strncmp(p->spawn_err, "Exited too quickly", 18) != 0 &&
		    strncmp(p->spawn_err, "restart rate limited", 20) != 0)
			return;
		if (recent)
			proc_describe_add(buf, len, "%u restart%s", p->restarts, p->restarts == 1 ? "" : "s");
		proc_exit_words(p, cause, sizeof(cause));
		if (cause[0] != '\0')
			proc_describe_add(buf, len, "last: %s", cause);
		return;
	default:
		return;
	}
	/* RUNNING, STARTING: a crash loop shows even while the process is up for a moment */
	if (recent)
		proc_describe_add(buf, len, "%u restart%s, last: %s", p->restarts,
				  p->restarts == 1 ? "" : "s",
				  p->last_cause[0] != '\0' ? p->last_cause : "?");
	if (proc_next_cron(p) != 0) {
		struct tm tm;
		char when[32];
		time_t t = proc_next_cron(p);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		proc_describe_add(buf, len, "next restart %s", when);
	}
}

const char *proc_log_path(const struct proc *p, int stream)
{
	if (p->priv == NULL || (stream != 1 && stream != 2))
		return NULL;
	return p->priv->logpath[stream - 1];
}

/* ---- Supervisor ---- */

static struct proc *proc_new(struct supervisor *sv, const struct conf_program *pr, const struct conf_proc *cp)
{
	struct proc *p = calloc(1, sizeof(*p));
	struct proc_priv *pp = calloc(1, sizeof(*pp));
	if (p == NULL || pp == NULL) {
		free(p);
		free(pp);
		return NULL;
	}
	p->sv = sv;
	p->prog = pr;
	p->cp = cp;
	p->priv = pp;
	p->name = strdup(cp->name);
	p->group = strdup(pr->group ? pr->group : pr->name);
	if (p->name == NULL || p->group == NULL)
		goto oom;
	if (strcmp(p->group, p->name) == 0)
		p->fullname = strdup(p->name);
	else if (asprintf(&p->fullname, "%s:%s", p->group, p->name) < 0)
		p->fullname = NULL;
	if (p->fullname == NULL)
		goto oom;
	p->state = PROC_STOPPED;
	ev_timer_init(&pp->timer, proc_timer_cb, 0., 0.);
	pp->timer.data = p;
	ev_timer_init(&pp->gpoll, proc_gpoll_cb, 0., GROUP_POLL_SECS);
	pp->gpoll.data = p;
	ev_timer_init(&pp->watchdog, proc_watchdog_cb, 0., 0.);
	pp->watchdog.data = p;
	ev_periodic_init(&pp->cron, proc_cron_cb, 0., 0., proc_cron_next);
	pp->cron.data = p;
	proc_cache_conf(p);
	pp->logs_stale = false;
	return p;
oom:
	free(p->name);
	free(p->group);
	free(pp);
	free(p);
	return NULL;
}

static void proc_free(struct proc *p)
{
	if (p == NULL)
		return;
	ev_timer_stop(p->sv->loop, &p->priv->timer);
	ev_timer_stop(p->sv->loop, &p->priv->gpoll);
	ev_timer_stop(p->sv->loop, &p->priv->watchdog);
	ev_periodic_stop(p->sv->loop, &p->priv->cron);
	proc_logs_free(p);
	fcgisock_release(p->priv->sock);
	events_capture_free(p->priv->capture[0]);
	events_capture_free(p->priv->capture[1]);
	memcg_destroy(p->priv->memcg);
	free(p->priv->logpath[0]);
	free(p->priv->logpath[1]);
	free(p->priv);
	free(p->name);
	free(p->group);
	free(p->fullname);
	free(p);
}

static int sv_add(struct proc ***arr, size_t *n, struct proc *p)
{
	struct proc **na = realloc(*arr, (*n + 2) * sizeof(*na));
	if (na == NULL)
		return -1;
	*arr = na;
	na[(*n)++] = p;
	na[*n] = NULL;
	return 0;
}

static void sv_sort(struct supervisor *sv)
{
	if (sv->nprocs > 1)
		qsort(sv->procs, sv->nprocs, sizeof(*sv->procs), proc_cmp_name);
}

/* Free removed processes that are down. */
static void sv_freer_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	struct supervisor *sv = w->data;
	ev_idle_stop(loop, w);
	size_t j = 0;
	for (size_t i = 0; i < sv->ndying; i++) {
		if (proc_is_up(sv->dying[i]))
			sv->dying[j++] = sv->dying[i];
		else
			proc_free(sv->dying[i]);
	}
	sv->ndying = j;
}

struct supervisor *sv_new(struct ev_loop *loop, const struct conf *conf, const struct sv_hooks *hooks)
{
	struct supervisor *sv = calloc(1, sizeof(*sv));
	if (sv == NULL)
		return NULL;
	sv->loop = loop;
	sv->spawn = spawn_fork;
	sv->conf = conf;
	if (hooks != NULL)
		sv->hooks = *hooks;
	sv->fcgi = fcgisock_set_new(loop);
	if (sv->fcgi == NULL) {
		free(sv);
		return NULL;
	}
	for (size_t i = 0; i < conf->nprograms; i++) {
		const struct conf_program *pr = &conf->programs[i];
		for (size_t j = 0; j < pr->nprocs; j++) {
			struct proc *p = proc_new(sv, pr, &pr->procs[j]);
			if (p == NULL || sv_add(&sv->procs, &sv->nprocs, p) < 0) {
				proc_free(p);
				sv_free(sv);
				return NULL;
			}
		}
	}
	sv_sort(sv);
	if (!ev_is_default_loop(loop))
		log_warnx("supervisor: not the default libev loop: children cannot be reaped");
	/* Orphaned grandchildren become ours, so a stop can wait for a process group to
	 * empty (they are reaped by the catch-all child watcher) instead of leaking it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("prctl(PR_SET_CHILD_SUBREAPER)");
	ev_child_init(&sv->child, sv_child_cb, 0, 0);
	sv->child.data = sv;
	ev_child_start(loop, &sv->child);
	ev_unref(loop); /* the watcher alone does not keep the loop running */
	ev_idle_init(&sv->freer, sv_freer_cb);
	sv->freer.data = sv;
	ev_timer_init(&sv->roll_timer, sv_roll_cb, 0., 0.);
	sv->roll_timer.data = sv;

	clock_seam_active(); /* logs the cron clock's test seam now, when one is set */
	char err[256];
	sv->memcg = memcg_root_open(getenv("TASKVISOR_CGROUP"), err, sizeof(err));
	if (sv->memcg != NULL)
		log_info("memory cgroups: %s (%s)", memcg_root_kind(sv->memcg), memcg_root_path(sv->memcg));
	else
		log_info("memory cgroups: none (%s)", err);
	ev_timer_init(&sv->rss_timer, sv_rss_cb, RSS_SAMPLE_SECS, RSS_SAMPLE_SECS);
	sv->rss_timer.data = sv;
	sv_notify_ensure(sv); /* the RSS sampler starts with the first spawn that needs it */
	return sv;
}

void sv_free(struct supervisor *sv)
{
	if (sv == NULL)
		return;
	if (ev_is_active(&sv->child)) {
		ev_ref(sv->loop);
		ev_child_stop(sv->loop, &sv->child);
	}
	ev_idle_stop(sv->loop, &sv->freer);
	ev_timer_stop(sv->loop, &sv->roll_timer);
	free(sv->roll);
	if (ev_is_active(&sv->rss_timer)) {
		ev_ref(sv->loop);
		ev_timer_stop(sv->loop, &sv->rss_timer);
	}
	for (size_t i = 0; i < sv->nprocs; i++)
		proc_free(sv->procs[i]);
	for (size_t i = 0; i < sv->ndying; i++)
		proc_free(sv->dying[i]);
	fcgisock_set_free(sv->fcgi);
	memcg_root_close(sv->memcg);
	readiness_close(sv->notify);
	free(sv->notify_path);
	free(sv->procs);
	free(sv->dying);
	free(sv->grpbuf);
	free(sv);
}

void sv_start_autostart(struct supervisor *sv)
{
	sv->stopping_all = false;
	struct proc **o = sv_start_order(sv);
	if (o == NULL)
		return;
	size_t n = sv->nprocs;
	for (size_t i = 0; i < n; i++)
		if (o[i]->prog->autostart && o[i]->state == PROC_STOPPED && o[i]->start_time == 0)
			proc_start_internal(o[i], "autostart");
	free(o);
}

/* Is any live process (other than p) depending on p? Stop it first. */
static bool sv_has_up_dependents(struct supervisor *sv, const struct proc *p)
{
	for (size_t i = 0; i < sv->nprocs; i++)
		if (proc_is_up(sv->procs[i]) && proc_depends_on(sv->procs[i], p))
			return true;
	return false;
}

/* One round of sv_stop_all: stop the highest level that is still up. */
static void sv_stop_step(struct supervisor *sv)
{
	if (sv->in_step) {
		sv->step_again = true;
		return;
	}
	sv->in_step = true;
	do {
		sv->step_again = false;
		struct proc *top = NULL;
		size_t total = sv->nprocs + sv->ndying;
		for (size_t i = 0; i < total; i++) {
			struct proc *p = i < sv->nprocs ? sv->procs[i] : sv->dying[i - sv->nprocs];
			if (proc_is_up(p) && (top == NULL || proc_cmp_level(p, top) > 0))
				top = p;
		}
		if (top == NULL) {
			void (*cb)(void *) = sv->stop_done;
			sv->stop_done = NULL;
			sv->in_step = false;
			if (cb != NULL)
				cb(sv->stop_arg);
			return;
		}
		for (size_t i = 0; i < total && !sv->step_again; i++) {
			struct proc *p = i < sv->nprocs ? sv->procs[i] : sv->dying[i - sv->nprocs];
			if (!proc_is_up(p) || p->state == PROC_STOPPING || proc_cmp_level(p, top) != 0)
				continue;
			if (!p->priv->removed && sv_has_up_dependents(sv, p)) {
				/* Dependents go first, whatever their priority. */
				for (size_t k = 0; k < sv->nprocs; k++) {
					struct proc *q = sv->procs[k];
					if (proc_is_up(q) && q->state != PROC_STOPPING &&
					    proc_depends_on(q, p) && !sv_has_up_dependents(sv, q))
						proc_stop_by(q, sv->stop_by);
				}
				continue;
			}
			proc_stop_by(p, sv->stop_by);
		}
	} while (sv->step_again);
	sv->in_step = false;
}

void sv_stop_all(struct supervisor *sv, void (*done)(void *arg), void *arg)
{
	sv_stop_all_by(sv, "stop all", done, arg);
}

void sv_stop_all_by(struct supervisor *sv, const char *by, void (*done)(void *arg), void *arg)
{
	snprintf(sv->stop_by, sizeof(sv->stop_by), "%s", by != NULL ? by : "stop all");
	sv->stopping_all = true;
	sv->nroll = 0; /* a rolling update ends here: everything stops */
	sv->roll_cur = NULL;
	ev_timer_stop(sv->loop, &sv->roll_timer);
	sv->stop_done = done;
	sv->stop_arg = arg;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct proc *p = sv->procs[i];
		p->priv->pending_start = false;
		p->priv->restart_after_stop = false;
		if (p->priv->timer_kind == TIMER_FATAL_RETRY)
			proc_timer_stop(p);
	}
	sv_stop_step(sv);
}

void sv_memcg_describe(struct supervisor *sv, char *buf, size_t len)
{
	if (sv->memcg == NULL)
		snprintf(buf, len, "none (process groups are counted instead)");
	else
		snprintf(buf, len, "%s (%s)", memcg_root_kind(sv->memcg), memcg_root_path(sv->memcg));
}

struct proc **sv_procs(struct supervisor *sv, size_t *n)
{
	*n = sv->nprocs;
	return sv->procs;
}

struct proc *sv_find(struct supervisor *sv, const char *name)
{
	const char *colon = strchr(name, ':');
	if (colon != NULL && strcmp(colon + 1, "*") == 0) {
		size_t gl = (size_t)(colon - name);
		for (size_t i = 0; i < sv->nprocs; i++)
			if (strncmp(sv->procs[i]->group, name, gl) == 0 && sv->procs[i]->group[gl] == '\0')
				return sv->procs[i];
		return NULL;
	}
	for (size_t i = 0; i < sv->nprocs; i++)
		if (strcmp(sv->procs[i]->fullname, name) == 0)
			return sv->procs[i];
	if (colon != NULL) {
		size_t gl = (size_t)(colon - name);
		for (size_t i = 0; i < sv->nprocs; i++)
			if (strncmp(sv->procs[i]->group, name, gl) == 0 && sv->procs[i]->group[gl] == '\0' &&
			    strcmp(sv->procs[i]->name, colon + 1) == 0)
				return sv->procs[i];
		return NULL;
	}
	for (size_t i = 0; i < sv->nprocs; i++)
		if (strcmp(sv->procs[i]->name, name) == 0)
			return sv->procs[i];
	return NULL;
}

struct proc *sv_find_pid(struct supervisor *sv, pid_t pid)
{
	if (pid <= 0)
		return NULL;
	for (size_t i = 0; i < sv->nprocs; i++)
		if (sv->procs[i]->pid == pid)
			return sv->procs[i];
	return NULL;
}

struct proc **sv_group(struct supervisor *sv, const char *group, size_t *n)
{
	*n = 0;
	struct proc **o = sv_start_order(sv);
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < sv->nprocs; i++)
		if (strcmp(o[i]->group, group) == 0)
			o[(*n)++] = o[i];
	free(sv->grpbuf);
	sv->grpbuf = o;
	if (*n == 0)
		return NULL;
	o[*n] = NULL;
	return o;
}

void sv_reopen_logs(struct supervisor *sv)
{
	size_t total = sv->nprocs + sv->ndying;
	for (size_t i = 0; i < total; i++) {
		struct proc *p = i < sv->nprocs ? sv->procs[i] : sv->dying[i - sv->nprocs];
		for (int k = 0; k < 2; k++)
			proclog_reopen(p->priv->log[k]);
	}
	log_info("reopened process logs");
}

enum sv_result proc_clear_logs(struct proc *p)
{
	for (int k = 0; k < 2; k++)
		if (proclog_clear(p->priv->log[k]) < 0) {
			log_warn("%s: clear %s", p->fullname, proclog_path(p->priv->log[k]));
			return SV_FAILED;
		}
	log_info("%s: logs cleared", p->fullname);
	return SV_OK;
}

enum sv_result proc_send_stdin(struct proc *p, const char *buf, size_t len)
{
	if (p->pid == 0 || p->state == PROC_STOPPING)
		return SV_NOT_RUNNING;
	switch (procin_write(p->priv->in, buf, len)) {
	case PROCIN_OK:
		return SV_OK;
	case PROCIN_CLOSED:
		return SV_NO_FILE;
	case PROCIN_FULL:
		log_warnx("%s: stdin: %zu bytes refused, %zu still wait for the program to read", p->fullname,
			  len, procin_queued(p->priv->in));
		return SV_STDIN_FULL;
	default:
		log_warn("%s: stdin", p->fullname);
		return SV_FAILED;
	}
}

/* ---- reread / update ---- */

static int sv_strv_add(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	char **nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return -1;
	(*n)++;
	nv[*n] = NULL;
	return 0;
}

static bool sv_strv_has(char *const *v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static const char *conf_program_group(const struct conf_program *pr)
{
	return pr->group ? pr->group : pr->name;
}

/* The process of newconf with this group and name, or NULL (and its program). */
static const struct conf_proc *sv_conf_find(const struct conf *c, const char *group, const char *name,
					    const struct conf_program **prog)
{
	for (size_t i = 0; i < c->nprograms; i++) {
		const struct conf_program *pr = &c->programs[i];
		if (strcmp(conf_program_group(pr), group) != 0)
			continue;
		for (size_t j = 0; j < pr->nprocs; j++)
			if (strcmp(pr->procs[j].name, name) == 0) {
				*prog = pr;
				return &pr->procs[j];
			}
	}
	return NULL;
}

static bool sv_group_changed(struct supervisor *sv, const struct conf *nc, const char *group)
{
	size_t nold = 0, nnew = 0;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct proc *p = sv->procs[i];
		if (strcmp(p->group, group) != 0)
			continue;
		nold++;
		const struct conf_program *pr;
		const struct conf_proc *cp = sv_conf_find(nc, group, p->name, &pr);
		if (cp == NULL || strcmp(cp->fingerprint ? cp->fingerprint : "",
					 p->cp->fingerprint ? p->cp->fingerprint : "") != 0)
			return true;
	}
	for (size_t i = 0; i < nc->nprograms; i++)
		if (strcmp(conf_program_group(&nc->programs[i]), group) == 0)
			nnew += nc->programs[i].nprocs;
	return nold != nnew;
}

void sv_diff(struct supervisor *sv, const struct conf *nc, struct sv_diff *out)
{
	size_t na = 0, nch = 0, nr = 0;
	memset(out, 0, sizeof(*out));
	char **seen = NULL;
	size_t nseen = 0;
	for (size_t i = 0; i < nc->nprograms; i++) {
		const char *g = conf_program_group(&nc->programs[i]);
		if (sv_strv_has(seen, g))
			continue;
		sv_strv_add(&seen, &nseen, g);
		bool exists = false;
		for (size_t k = 0; k < sv->nprocs && !exists; k++)
			exists = strcmp(sv->procs[k]->group, g) == 0;
		if (!exists)
			sv_strv_add(&out->added, &na, g);
		else if (sv_group_changed(sv, nc, g))
			sv_strv_add(&out->changed, &nch, g);
	}
	for (size_t k = 0; k < sv->nprocs; k++)
		if (!sv_strv_has(seen, sv->procs[k]->group))
			sv_strv_add(&out->removed, &nr, sv->procs[k]->group);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	/* Empty lists are empty arrays, not NULL, so callers can always walk them. */
	if (out->added == NULL)
		out->added = calloc(1, sizeof(char *));
	if (out->changed == NULL)
		out->changed = calloc(1, sizeof(char *));
	if (out->removed == NULL)
		out->removed = calloc(1, sizeof(char *));
}

void sv_diff_free(struct sv_diff *d)
{
	char **all[3] = {d->added, d->changed, d->removed};
	for (int i = 0; i < 3; i++) {
		for (char **s = all[i]; s != NULL && *s != NULL; s++)
			free(*s);
		free(all[i]);
	}
	memset(d, 0, sizeof(*d));
}

/* Take p out of the configuration: stop it, and free it once it is down. */
static void sv_remove(struct supervisor *sv, struct proc *p)
{
	struct proc_priv *pp = p->priv;
	pp->removed = true;
	pp->pending_start = false;
	if (sv->roll_cur == p)
		sv->roll_cur = NULL; /* the rolling update goes on without it */
	ev_periodic_stop(sv->loop, &pp->cron);
	pp->restart_after_stop = false;
	if (p->state == PROC_FATAL || p->state == PROC_BACKOFF)
		proc_timer_stop(p);
	if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF)
		proc_stop_by(p, "update");
	p->prog = NULL;
	p->cp = NULL;
	if (sv_add(&sv->dying, &sv->ndying, p) < 0)
		log_warnx("%s: out of memory while removing", p->fullname);
	ev_idle_start(sv->loop, &sv->freer);
}

bool sv_conf_in_use(struct supervisor *sv, const struct conf *c)
{
	uintptr_t lo = (uintptr_t)c->programs, hi = (uintptr_t)(c->programs + c->nprograms);

	for (size_t i = 0; i < sv->nprocs; i++) {
		uintptr_t p = (uintptr_t)sv->procs[i]->prog;
		if (p >= lo && p < hi)
			return true;
	}
	for (size_t i = 0; i < sv->ndying; i++) {
		uintptr_t p = (uintptr_t)sv->dying[i]->prog;
		if (p >= lo && p < hi)
			return true;
	}
	return false;
}

void sv_apply(struct supervisor *sv, const struct conf *nc, char *const *names)
{
	const struct conf *old = sv->conf;
	sv->conf = nc;
	struct proc **keep = NULL, **restart = NULL;
	size_t nkeep = 0, nrestart = 0;

	for (size_t i = 0; i < sv->nprocs; i++) {
		struct proc *p = sv->procs[i];
		bool touched = names == NULL || sv_strv_has(names, p->group);
		const struct conf_program *pr = NULL;
		if (!touched) {
			/* A group not named (update GROUP, add GROUP) runs on as it was configured, even if
			 * changed or gone in nc, until it is updated, as under supervisord: the daemon
			 * keeps the configuration it points into (sv_conf_in_use). */
			sv_add(&keep, &nkeep, p);
			continue;
		}
		const struct conf_proc *cp = sv_conf_find(nc, p->group, p->name, &pr);
		if (cp == NULL) {
			/* Gone: it cannot stay, its configuration is about to be freed. */
			log_info("%s: removed from the configuration", p->fullname);
			sv_remove(sv, p);
			continue;
		}
		bool changed = strcmp(cp->fingerprint ? cp->fingerprint : "",
				      p->cp->fingerprint ? p->cp->fingerprint : "") != 0;
		p->prog = pr;
		p->cp = cp;
		proc_cache_conf(p);
		sv_add(&keep, &nkeep, p);
		if (changed && touched) {
			log_info("%s: configuration changed", p->fullname);
			sv_add(&restart, &nrestart, p);
		}
	}
	free(sv->procs);
	sv->procs = keep;
	sv->nprocs = nkeep;

	/* New processes of touched groups. */
	for (size_t i = 0; i < nc->nprograms; i++) {
		const struct conf_program *pr = &nc->programs[i];
		if (names != NULL && !sv_strv_has(names, conf_program_group(pr)))
			continue;
		for (size_t j = 0; j < pr->nprocs; j++) {
			const struct conf_program *dummy;
			bool exists = false;
			for (size_t k = 0; k < sv->nprocs && !exists; k++)
				exists = sv->procs[k]->cp == &pr->procs[j];
			if (exists || sv_conf_find(nc, conf_program_group(pr), pr->procs[j].name, &dummy) !=
					  &pr->procs[j])
				continue;
			struct proc *p = proc_new(sv, pr, &pr->procs[j]);
			if (p == NULL || sv_add(&sv->procs, &sv->nprocs, p) < 0) {
				proc_free(p);
				continue;
			}
			log_info("%s: added to the configuration", p->fullname);
			if (pr->autostart)
				sv_add(&restart, &nrestart, p);
		}
	}
	sv_sort(sv);
	sv_notify_ensure(sv);
	(void)old;

	/* Changed ones restart (stop, then start if autostart); added ones start. Worker programs
	 * restart one at a time, each drained and up again before the next (sv_roll_next); a
	 * rolling update still under way when another comes is finished at once. */
	if (nrestart > 1)
		qsort(restart, nrestart, sizeof(*restart), proc_cmp_start);
	while (sv->nroll > 0) {
		struct proc *p = sv->roll[--sv->nroll];
		if (!p->priv->removed && p->prog != NULL)
			sv_restart_changed(p);
	}
	for (size_t i = 0; i < nrestart; i++) {
		struct proc *p = restart[i];
		if ((p->state == PROC_STARTING || p->state == PROC_RUNNING) && sv->hooks.is_worker != NULL &&
		    sv->hooks.is_worker(sv->hooks.arg, p) && sv_add(&sv->roll, &sv->nroll, p) == 0)
			continue;
		sv_restart_changed(p);
	}
	free(restart);
	sv_roll_next(sv);
}

/* supervisord's STOPPED_STATES: what `remove` accepts. */
static bool proc_is_stopped(const struct proc *p)
{
	return p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL ||
	       p->state == PROC_UNKNOWN;
}

enum sv_result sv_remove_group(struct supervisor *sv, const char *group)
{
	struct proc **keep;
	size_t n = 0, nkeep = 0;

	for (size_t i = 0; i < sv->nprocs; i++)
		if (strcmp(sv->procs[i]->group, group) == 0) {
			if (!proc_is_stopped(sv->procs[i]))
				return SV_STILL_RUNNING;
			n++;
		}
	if (n == 0)
		return SV_NO_SUCH_GROUP;
	keep = calloc(sv->nprocs - n + 1, sizeof(*keep));
	if (keep == NULL)
		return SV_FAILED;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct proc *p = sv->procs[i];
		if (strcmp(p->group, group) != 0) {
			keep[nkeep++] = p;
			continue;
		}
		log_info("%s: removed from the running processes", p->fullname);
		sv_remove(sv, p);
	}
	free(sv->procs);
	sv->procs = keep;
	sv->nprocs = nkeep;
	sv_notify_ensure(sv);
	return SV_OK;
}
