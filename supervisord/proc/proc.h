/*
 * proc.h — process supervision: supervisord's state machine for every process
 * of every [program:x], driven by libev child/timer watchers.
 *
 * The supervisor borrows the struct conf it was given (the daemon keeps it
 * alive until sv_apply() hands over a new one). It never exits the daemon and
 * never blocks: starting, stopping and back-off are all timers and watchers.
 * Other modules learn what happens through struct sv_hooks.
 */
#ifndef TV_PROC_H
#define TV_PROC_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "procin.h"
#include "spawn.h"

/* supervisord's states and numeric codes, exactly. */
enum proc_state {
	PROC_STOPPED = 0,
	PROC_STARTING = 10,
	PROC_RUNNING = 20,
	PROC_BACKOFF = 30,
	PROC_STOPPING = 40,
	PROC_EXITED = 100,
	PROC_FATAL = 200,
	PROC_UNKNOWN = 1000,
};

/*
 * STOPPING's sub-states (README "Draining workers"). A process that said WORKER_HELLO (the
 * daemon knows, sv_hooks.on_drain) is first asked to drain: no stop signal until it holds no
 * step or drain_timeout passed; then the stop signal and stopwaitsecs as for any process.
 * Only DRAIN -> SIGNAL is a move inside STOPPING (proc_table_phase in proc.c).
 */
enum proc_stop_phase {
	PROC_STOP_NONE = 0, /* not STOPPING */
	PROC_STOP_DRAIN,    /* the worker drains: no signal sent yet */
	PROC_STOP_SIGNAL,   /* the stop signal went out: SIGKILL after stopwaitsecs */
};

struct supervisor;
struct proc_priv; /* watchers, log capture: private to proc.c and friends */

struct proc {
	struct supervisor *sv;
	const struct conf_program *prog; /* into the current conf */
	const struct conf_proc *cp;	 /* into the current conf */
	char *name;			 /* process name, e.g. "worker_01" */
	char *group;			 /* group name */
	char *fullname;			 /* "group:name", or "name" when group == program == name */

	enum proc_state state;
	enum proc_stop_phase stop_phase; /* which part of STOPPING; PROC_STOP_NONE in other states */
	pid_t pid;			 /* 0 when not running */
	time_t start_time;		 /* wall clock of the last spawn */
	time_t stop_time;		 /* wall clock of the last exit/stop; 0 = never */
	int backoff;			 /* consecutive failed starts */
	unsigned restarts;		 /* automatic restarts since the daemon started */
	bool exited_once;		 /* last_wstatus is meaningful */
	int last_wstatus;		 /* raw wait status of the last exit */
	bool last_exit_expected;	 /* exit code was in exitcodes */
	bool oom_killed;		 /* the last exit was the kernel's OOM killer */
	unsigned oom_kills;		 /* OOM kills counted since the daemon started */
	char spawn_err[256];		 /* why the last start failed ("" if it did not) */
	char status_text[256];		 /* STATUS= from a ready=notify program */
	char last_reason[128];	 /* why it was last restarted/stopped by the daemon (memory_limit...) */
	time_t last_restart;	 /* wall clock of the last automatic restart; 0 = none */
	char start_refused[256]; /* why the last proc_start refused the command ("command is empty") */
	char last_cause[128];	 /* what ended it before that restart: "OOM killed", "exit status 3",
				    "terminated by SIGSEGV", "memory_limit: ..." ("" = none) */

	struct proc_priv *priv;

	/* [eventlistener:x] */
	pid_t last_pid; /* the pid of the last run, kept once it is gone (events' payloads) */
};

/* What other modules hear. Every hook may be NULL. */
struct sv_hooks {
	void *arg;
	/* Any state change (after it happened). */
	void (*on_state)(void *arg, struct proc *p, enum proc_state from, enum proc_state to);
	/* A child was reaped: its raw wait status and whether the OOM killer took it
	 * (called before on_state for the resulting transition). */
	void (*on_exit)(void *arg, struct proc *p, pid_t pid, int wstatus, bool oom_killed);
	/* A fatal_action=shutdown program went FATAL: the daemon should exit non-zero. */
	void (*on_fatal_shutdown)(void *arg, struct proc *p);
	/* p is being stopped (by: the operator's command, "restart exec-worker:*"): if it is a
	 * worker holding steps, ask it to drain within timeout_s seconds and return true (the stop
	 * signal waits for proc_drained or the timeout); false stops it at once. */
	bool (*on_drain)(void *arg, struct proc *p, int timeout_s, const char *by);
	/* The drain timed out: the steps p still holds are given up (re-queued or failed with a
	 * cause naming by), before the stop signal goes out. */
	void (*on_drain_expired)(void *arg, struct proc *p, const char *by);
	/* Is p a worker (a process of its program said WORKER_HELLO)? sv_apply restarts changed
	 * workers one at a time (rolling update). */
	bool (*is_worker)(void *arg, const struct proc *p);
	/* [eventlistener:x]: bytes p wrote on stream 1 (stdout) or 2, read from its pipe, for the
	 * processes of a listener (stdout) or of a program with stdout/stderr_events_enabled. */
	void (*on_output)(void *arg, struct proc *p, int stream, const char *buf, size_t len);
	/* [eventlistener:x]: a text p wrote between <!--XSUPERVISOR:BEGIN--> and
	 * <!--XSUPERVISOR:END--> on stream 1 or 2 (its *_capture_maxbytes > 0): not logged. */
	void (*on_comm)(void *arg, struct proc *p, int stream, const char *buf, size_t len);
};

/* Results of the control operations, mapped by the control module to supervisorctl's text. */
enum sv_result {
	SV_OK = 0,
	SV_ALREADY_STARTED,
	SV_NOT_RUNNING,
	SV_NO_SUCH_PROCESS,
	SV_NO_SUCH_GROUP,
	SV_SPAWN_ERROR,
	SV_BAD_SIGNAL,
	SV_STILL_RUNNING, /* sv_remove_group: a member is not stopped */
	SV_FAILED,	  /* a system call failed (errno set) */
	SV_NO_FILE,	  /* proc_send_stdin: no stdin pipe, or the program closed its stdin */
	SV_STDIN_FULL,	  /* proc_send_stdin: PROC_STDIN_CAP bytes already wait for the program */
	/* proc_start, as supervisord's startProcess checks the command before starting
	 * (p->start_refused says why); SV_NO_FILE there: the command is not found */
	SV_NOT_EXECUTABLE, /* empty or unparsable, a directory, not executable */
};

struct supervisor *sv_new(struct ev_loop *loop, const struct conf *conf, const struct sv_hooks *hooks);
void sv_free(struct supervisor *sv); /* kills nothing: call sv_stop_all first */
/* Test seam: fork children with fn instead of spawn_fork (NULL: spawn_fork again). */
void sv_set_spawn(struct supervisor *sv, spawn_fn *fn);

/* Start every autostart process in ascending priority (depends_on honoured). */
void sv_start_autostart(struct supervisor *sv);
/* Stop all in descending priority; done(arg) runs once every process is down. */
void sv_stop_all(struct supervisor *sv, void (*done)(void *arg), void *arg);
/* The same, naming why (workers drain in parallel: "shutdown", "reload"). */
void sv_stop_all_by(struct supervisor *sv, const char *by, void (*done)(void *arg), void *arg);

/* All processes sorted by group then name; the array is owned by sv, valid until the next call
 * that changes the process set (sv_apply). */
struct proc **sv_procs(struct supervisor *sv, size_t *n);
/* The memory cgroups in use, in words: "v1 (/sys/fs/cgroup/memory/...)", "v2 (...)" or "none". */
void sv_memcg_describe(struct supervisor *sv, char *buf, size_t len);
/* "name", "group:name" or "group:*" (the latter fills several). */
struct proc *sv_find(struct supervisor *sv, const char *name);
struct proc *sv_find_pid(struct supervisor *sv, pid_t pid);
/* The same, also among processes removed from the configuration that are still stopping. */
struct proc *sv_find_pid_any(struct supervisor *sv, pid_t pid);
/* Members of a group in start order; n = 0 and NULL when there is no such group. */
struct proc **sv_group(struct supervisor *sv, const char *group, size_t *n);

/* Asynchronous operations: they return at once. proc_start moves to STARTING (or fails
 * with SV_ALREADY_STARTED / SV_SPAWN_ERROR); watch on_state for RUNNING/BACKOFF/FATAL.
 * Details: a process whose depends_on programs are not RUNNING yet stays STOPPED until
 * they are (they are started too) and proc_start returns SV_OK; proc_start on a STOPPING
 * process starts it again once it is down (SV_OK). proc_stop from BACKOFF goes straight to
 * STOPPED; from STARTING/RUNNING to STOPPING, and STOPPED only once the whole process group
 * is gone (SIGKILL after stopwaitsecs). SV_NOT_RUNNING otherwise. proc_signal signals the
 * pid only. */
enum sv_result proc_start(struct proc *p);
enum sv_result proc_stop(struct proc *p);
/* proc_stop naming who stopped it (the operator's command, "update", "shutdown"): a draining
 * worker's steps lost at the deadline say `stopped by "BY" before the step finished`. */
enum sv_result proc_stop_by(struct proc *p, const char *by);
/* The draining worker p holds no step any more: send the stop signal now (no-op otherwise). */
void proc_drained(struct proc *p);
/* The drain deadline of a program: drain_timeout, else stopwaitsecs (0: no drain). */
int proc_drain_timeout(const struct conf_program *pr);
/* Whether STOPPING's sub-state may move from -> to (only DRAIN -> SIGNAL). */
bool proc_phase_allowed(enum proc_stop_phase from, enum proc_stop_phase to);
const char *proc_stop_phase_name(enum proc_stop_phase ph);
enum sv_result proc_signal(struct proc *p, int sig);
/* Restart with a logged reason (memory_limit, restart_cron, watchdog...). */
void proc_restart(struct proc *p, const char *reason);

const char *proc_state_name(enum proc_state s);
/* The OOM killer took something in p's memory cgroup since the last look (consumes it). */
bool proc_oom_since(struct proc *p);
/* The program's memory in bytes (memcg_program_memory: its cgroup, else its process group);
 * 0 when nothing of it runs, -1 unknown. */
long long proc_memory(const struct proc *p);
/* proc_memory of n processes at once (out[i] for procs[i]): one pass over /proc for them all. */
void proc_memory_many(struct proc *const *procs, size_t n, long long *out);
/* Down when it should run: FATAL, BACKOFF, UNKNOWN, EXITED unexpectedly, or STOPPED/EXITED while
 * autostart and autorestart say it should be up (`check processes`). */
bool proc_is_down(const struct proc *p);
/* Whether supervisord's state machine allows from -> to (the table in proc.c). */
bool proc_transition_allowed(enum proc_state from, enum proc_state to);
/* Seconds to wait in BACKOFF after the backoff-th consecutive failed start: 1, 2, 3 …,
 * capped at backoff_max when that is > 0. */
int proc_backoff_delay(int backoff, int backoff_max);
/* supervisorctl's description column: "pid 123, uptime 0:01:05", "Not started", ...; a program
 * restarted in the last PROC_RESTART_RECENT_SECS adds ", 47 restarts, last: OOM killed", an
 * EXITED one its exit ("Dec 07 12:00 PM, exit status 3"), BACKOFF/FATAL ", last: exit status 3". */
void proc_describe(const struct proc *p, time_t now, char *buf, size_t len);
#define PROC_RESTART_RECENT_SECS 3600
/* How the last exit ended, in words: "OOM killed", "exit status 3", "terminated by SIGSEGV"
 * ("" when it never exited). */
void proc_exit_words(const struct proc *p, char *buf, size_t len);
/* Automatic restarts in the last `window` seconds (the last PROC_RESTART_RING are kept). */
unsigned proc_restarts_within(const struct proc *p, double window);
#define PROC_RESTART_RING 256
/* restart_cron: wall clock of the next scheduled restart, 0 when none. */
time_t proc_next_cron(const struct proc *p);
/* Path of the captured stdout (stream 1) or stderr (stream 2) log, or NULL if discarded. */
const char *proc_log_path(const struct proc *p, int stream);

/* What a new configuration would change: names of programs/groups added, changed, removed. */
struct sv_diff {
	char **added, **changed, **removed; /* NULL-terminated, owned by the diff */
};
void sv_diff(struct supervisor *sv, const struct conf *newconf, struct sv_diff *out);
/* Does a process (running or on its way out) still run on a program of c? (A configuration
 * replaced by `update GROUP` lives on while the groups not named use it.) */
bool sv_conf_in_use(struct supervisor *sv, const struct conf *c);
void sv_diff_free(struct sv_diff *d);
/* Adopt newconf: stop removed and changed processes (only those whose own fingerprint
 * changed), re-point unchanged ones, add new ones (autostart). `names` (NULL = all)
 * limits which groups are touched. The caller frees the old conf after this returns. */
void sv_apply(struct supervisor *sv, const struct conf *newconf, char *const *names);

/* A process removed by sv_apply is taken out of sv_procs at once; while it is still
 * stopping, hooks may see it with prog == NULL and cp == NULL, and it is freed after its
 * final on_state(-> STOPPED) has returned (on the next loop iteration). */

/* Reopen every captured log (SIGUSR2, reopen-logs). */
void sv_reopen_logs(struct supervisor *sv);

/* Empty p's stdout and stderr logs (supervisorctl's clear): SV_OK, or SV_FAILED (errno set). */
enum sv_result proc_clear_logs(struct proc *p);
/* Write len bytes to p's stdin pipe, as supervisord's sendProcessStdin: never blocks; what the
 * pipe does not take now is queued (at most PROC_STDIN_CAP bytes per process, all or nothing).
 * SV_OK, SV_NOT_RUNNING (no pid, or STOPPING), SV_NO_FILE, SV_STDIN_FULL, SV_FAILED (errno). */
#define PROC_STDIN_CAP PROCIN_CAP
enum sv_result proc_send_stdin(struct proc *p, const char *buf, size_t len);
/* Take a group out of the running set while the configuration keeps it (supervisorctl's remove;
 * `add` or `update` brings it back): SV_OK, SV_NO_SUCH_GROUP, or SV_STILL_RUNNING when one of its
 * processes is not down (STOPPED, EXITED, FATAL, UNKNOWN). */
enum sv_result sv_remove_group(struct supervisor *sv, const char *group);

#endif
