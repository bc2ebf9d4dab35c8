/*
 * daemon.c — the daemon context's life: set up the pieces in order (pidfile,
 * log, socket, task engine, supervisor, signal watchers), run the loop, and
 * the three whole-daemon operations: orderly shutdown, reload (stop all,
 * swap config, start all) and update (only what changed). Signals arrive as
 * libev events; systemd hears READY=1, STATUS= and STOPPING=1.
 *
 * It never exits the process (main.c does) and never blocks the loop.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "proc.h"
#include "sdnotify.h"
#include "xmalloc.h"

/* ---- hooks from the supervisor ---- */

static void daemon_on_state(void *arg, struct proc *p, enum proc_state from, enum proc_state to)
{
	struct daemon *d = arg;

	events_proc_state(d->events, p, (int)from, (int)to);
	handlers_proc_state(d, p, (int)from, (int)to);
}

/* ---- [eventlistener:x] ---- */

/* sv_hooks.on_output: a listener's stdout, a program's output with *_events_enabled. */
static void daemon_on_output(void *arg, struct proc *p, int stream, const char *buf, size_t len)
{
	struct daemon *d = arg;

	events_proc_output(d->events, p, stream, buf, len);
}

/* sv_hooks.on_comm: capture mode's PROCESS_COMMUNICATION_* */
static void daemon_on_comm(void *arg, struct proc *p, int stream, const char *buf, size_t len)
{
	struct daemon *d = arg;

	events_proc_comm(d->events, p, stream, buf, len);
}

/* events_hooks.write: an event to a listener's stdin (proc_send_stdin never blocks). */
static int daemon_event_write(void *arg, const char *group, const char *name, const char *buf, size_t len)
{
	struct daemon *d = arg;
	char full[512];
	struct proc *p;

	snprintf(full, sizeof(full), "%s:%s", group, name);
	p = d->sv != NULL ? sv_find(d->sv, full) : NULL;
	return p != NULL && proc_send_stdin(p, buf, len) == SV_OK ? 0 : -1;
}

/* engine_hooks.task_state: TASK_STATE_STOPPED / TASK_STATE_PAUSED, after the commit. */
static void daemon_task_state(void *arg, const char *id, const char *label, const char *from, const char *to,
			      const char *result)
{
	struct daemon *d = arg;

	events_task(d->events, strcmp(to, "paused") == 0 ? EVT_TASK_STATE_PAUSED : EVT_TASK_STATE_STOPPED, id,
		    label, from, to, result);
}

void daemon_remote_event(struct daemon *d, const char *type, const char *data, size_t len)
{
	events_remote(d->events, type, data, len);
}

static struct events *daemon_events_new(struct daemon *d)
{
	const struct events_hooks eh = {.arg = d, .write = daemon_event_write};

	return events_new(d->loop, d->conf, &eh);
}

/* PROCESS_GROUP_ADDED for every group of the configuration (start, reload). */
static void daemon_events_groups_all(struct daemon *d)
{
	for (size_t i = 0; i < d->conf->nprograms; i++) {
		const char *g = d->conf->programs[i].group;
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(d->conf->programs[j].group, g) == 0;
		if (!dup)
			events_group(d->events, g, true);
	}
}

/* The groups that have processes in the running set (NULL-terminated, names borrowed from the
 * processes: use before they change). */
static const char **daemon_groups_running(struct daemon *d)
{
	size_t n = 0, k = 0;
	struct proc **ps = sv_procs(d->sv, &n);
	const char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) /* sorted by group: one entry per run */
		if (k == 0 || strcmp(out[k - 1], ps[i]->group) != 0)
			out[k++] = ps[i]->group;
	return out;
}

static bool daemon_strv_has(const char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

void daemon_group_event(struct daemon *d, const char *group, bool added)
{
	events_group(d->events, group, added);
}

/* ---- the task engine ---- */

/* engine_hooks.program: which supervised process has this pid. */
static const char *daemon_program_of(void *arg, pid_t pid, const char **fullname)
{
	struct daemon *d = arg;
	struct proc *p = d->sv != NULL && pid > 0 ? sv_find_pid(d->sv, pid) : NULL;

	if (p == NULL)
		return NULL;
	if (fullname != NULL)
		*fullname = p->fullname;
	return p->name;
}

/* engine_hooks.drained: a draining worker holds no step any more: its stop signal now. */
static void daemon_drained(void *arg, pid_t pid)
{
	struct daemon *d = arg;
	struct proc *p = d->sv != NULL ? sv_find_pid_any(d->sv, pid) : NULL;

	if (p != NULL)
		proc_drained(p);
}

/* What the engine gets from the layers above it: the socket's peers, the supervisor's pids. */
static const struct engine_hooks daemon_engine_hooks = {
    .send = conn_send,
    .send_frames = conn_send_frames,
    .hold = conn_hold,
    .release = conn_release,
    .closed = conn_closed,
    .unsent = conn_unsent,
    .pid = conn_pid,
    .user = conn_user,
    .on_close = conn_on_close,
    .set_data = conn_set_data,
    .program = daemon_program_of,
    .drained = daemon_drained,
    .task_state = daemon_task_state,
};

/* Whether the engine opens at start: tasks configured, or a database already there to recover. */
static bool daemon_wants_engine(const struct daemon *d)
{
	return d->conf == NULL || d->conf->ntasks > 0 || d->conf->nrecurring > 0 ||
	       access(engine_db_path(d->conf), F_OK) == 0;
}

/* Task inputs are not for every user: create the database 0600 (0640 with chown='s group); SQLite
 * gives its -wal and -shm the database's mode. A database (or -wal, -shm) that others may read,
 * as older versions made it, loses that access; the owner's and group's are the operator's. */
static void daemon_db_perms(struct daemon *d)
{
	const char *path = engine_db_path(d->conf);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	mode_t mode;
	gid_t gid;
	struct stat st;
	char p[4096];

	conf_file_perms(d->conf, &mode, &gid);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		int fd = log_open_append(path, mode, gid, false);
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 007) == 0)
			continue;
		if (chmod(p, st.st_mode & 0770) == 0)
			log_warnx("%s: mode %04o: others' access removed (task inputs)", p,
				  (unsigned)(st.st_mode & 07777));
		else
			log_warn("%s: chmod", p);
	}
}

/* engine_new with the daemon's hooks. */
static struct engine *daemon_engine_open(struct daemon *d, char *err, size_t errlen)
{
	struct engine_hooks hooks = daemon_engine_hooks;

	hooks.arg = d;
	return engine_new(d->loop, d->conf, &hooks, err, errlen);
}

struct engine *daemon_engine(struct daemon *d, char *err, size_t errlen)
{
	char why[sizeof(d->engine_err)];

	if (d->engine != NULL)
		return d->engine;
	if (d->engine_err[0] != '\0' && ev_now(d->loop) - d->engine_failed_at < DAEMON_ENGINE_RETRY_S) {
		snprintf(err, errlen, "%s", d->engine_err);
		return NULL;
	}
	daemon_db_perms(d);
	d->engine = daemon_engine_open(d, why, sizeof(why));
	if (d->engine != NULL) {
		log_info("engine: task database %s opened", engine_db_path(d->conf));
		d->engine_err[0] = '\0';
		return d->engine;
	}
	/* one line per new reason, not one per task command */
	if (strcmp(why, d->engine_err) != 0)
		log_error("engine: %s: task commands fail until it opens; programs are supervised", why);
	snprintf(d->engine_err, sizeof(d->engine_err), "%s", why);
	d->engine_failed_at = ev_now(d->loop);
	snprintf(err, errlen, "%s", why);
	return NULL;
}

/* After a reload or an update: the engine learns the new task types, or opens if they appeared. */
static void daemon_engine_config(struct daemon *d)
{
	char err[512];

	if (d->engine != NULL)
		engine_config_changed(d->engine, d->conf);
	else if (daemon_wants_engine(d))
		daemon_engine(d, err, sizeof(err)); /* logs why it failed */
}

static void daemon_on_exit(void *arg, struct proc *p, pid_t pid, int wstatus, bool oom_killed)
{
	struct daemon *d = arg;

	(void)p;
	if (d->engine != NULL)
		engine_proc_exit(d->engine, pid, wstatus, oom_killed);
}

/* sv_hooks.on_drain: a worker program is being stopped; the engine knows whether it holds steps. */
static bool daemon_on_drain(void *arg, struct proc *p, int timeout_s, const char *by)
{
	struct daemon *d = arg;

	return d->engine != NULL && engine_worker_drain(d->engine, p->pid, timeout_s, by) > 0;
}

static void daemon_on_drain_expired(void *arg, struct proc *p, const char *by)
{
	struct daemon *d = arg;

	if (d->engine != NULL)
		engine_worker_drain_expired(d->engine, p->pid, by);
}

/* sv_hooks.is_worker: a process of p's program said WORKER_HELLO (rolling update). */
static bool daemon_is_worker(void *arg, const struct proc *p)
{
	struct daemon *d = arg;

	return d->engine != NULL && engine_worker_seen(d->engine, p->fullname);
}

static void daemon_on_fatal_shutdown(void *arg, struct proc *p)
{
	struct daemon *d = arg;

	log_warnx("%s is FATAL and has fatal_action=shutdown: shutting down", p->fullname);
	daemon_shutdown(d, 1);
}

static struct supervisor *daemon_sv_new(struct daemon *d)
{
	struct sv_hooks hooks = {
	    .arg = d,
	    .on_state = daemon_on_state,
	    .on_exit = daemon_on_exit,
	    .on_fatal_shutdown = daemon_on_fatal_shutdown,
	    .on_drain = daemon_on_drain,
	    .on_drain_expired = daemon_on_drain_expired,
	    .is_worker = daemon_is_worker,
	    .on_output = daemon_on_output,
	    .on_comm = daemon_on_comm,
	};

	return sv_new(d->loop, d->conf, &hooks);
}

static void daemon_notify_status(struct daemon *d, const char *what)
{
	size_t n = 0;

	if (d->sv != NULL)
		sv_procs(d->sv, &n);
	sdnotify("STATUS=%s; %zu processes", what, n);
}

/* ---- shutdown ---- */

static void daemon_shutdown_done(void *arg)
{
	struct daemon *d = arg;

	log_info("all processes stopped: exiting");
	ev_break(d->loop, EVBREAK_ALL);
}

void daemon_shutdown(struct daemon *d, int exit_code)
{
	if (d->shutting_down)
		return;
	d->shutting_down = true;
	d->exit_code = exit_code;
	log_info("shutting down: stopping all processes");
	sdnotify("STOPPING=1\nSTATUS=stopping all processes");
	handlers_proc_abort(d);
	events_supervisor_state(d->events, false);
	sv_stop_all_by(d->sv, "shutdown", daemon_shutdown_done, d);
}

/* ---- reload, update ---- */

/* Apply [taskvisord] logfile= and loglevel= of the current config. */
static void daemon_apply_log(struct daemon *d)
{
	enum log_level lvl;

	if (d->conf->loglevel != NULL) {
		if (log_level_parse(d->conf->loglevel, &lvl) == 0)
			log_set_level(lvl);
		else
			log_warnx("loglevel: unknown level \"%s\"", d->conf->loglevel);
	}
	mode_t mode;
	gid_t gid;

	conf_file_perms(d->conf, &mode, &gid);
	log_set_file_perms(mode, gid);
	log_set_rotation(d->conf->logfile_maxbytes, d->conf->logfile_backups);
	if (d->conf->logfile != NULL && strcmp(d->conf->logfile, "syslog") == 0)
		log_open_syslog();
	else if (d->conf->logfile != NULL && log_open_file(d->conf->logfile) < 0)
		log_warn("%s", d->conf->logfile);
}
/* Free the configurations update GROUP replaced once no process runs on them (all: every one). */
static void daemon_retired_sweep(struct daemon *d, bool all)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nretired; i++) {
		if (!all && d->sv != NULL && sv_conf_in_use(d->sv, d->retired[i]))
			d->retired[k++] = d->retired[i];
		else
			conf_free(d->retired[i]);
	}
	d->nretired = k;
	if (k == 0) {
		free(d->retired);
		d->retired = NULL;
	}
}

static void daemon_reload_swap(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	struct conf *old = d->conf;

	(void)loop;
	(void)revents;
	if (d->shutting_down || d->reload_conf == NULL)
		return;
	sv_free(d->sv);
	d->sv = NULL;
	daemon_retired_sweep(d, true); /* no process runs on them any more */
	events_free(d->events);	       /* supervisord starts its events afresh too */
	d->conf = d->reload_conf;
	d->reload_conf = NULL;
	d->events = daemon_events_new(d);
	if (old->socket_file != NULL && d->conf->socket_file != NULL &&
	    strcmp(old->socket_file, d->conf->socket_file) != 0)
		log_warnx("reload: [unix_socket] file changed to %s: takes effect at the next start",
			  d->conf->socket_file);
	daemon_apply_log(d);
	d->sv = daemon_sv_new(d);
	daemon_engine_config(d); /* before old is freed: the engine holds the configuration */
	conf_free(old);
	control_config_changed(d->control);
	for (size_t i = 0; i < d->conf->nwarnings; i++)
		log_warnx("%s", d->conf->warnings[i]);
	log_info("reload: configuration %s adopted, starting processes", d->conf_path);
	daemon_events_groups_all(d);
	events_supervisor_state(d->events, true);
	sv_start_autostart(d->sv);
	malloc_trim(0); /* give back what reading the configuration used and freed */
	sdnotify("READY=1");
	daemon_notify_status(d, "running");
}

/* Every process is down: swap from the loop, not from inside sv_stop_all (which may call us at once). */
static void daemon_reload_stopped(void *arg)
{
	struct daemon *d = arg;

	ev_timer_init(&d->reload_timer, daemon_reload_swap, 0., 0.);
	d->reload_timer.data = d;
	ev_timer_start(d->loop, &d->reload_timer);
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct conf *nc;

	if (d->reload_conf != NULL) {
		snprintf(err, errlen, "a reload is already in progress");
		return -1;
	}
	nc = conf_load(d->conf_path, err, errlen);
	if (nc == NULL) {
		log_warnx("reload: keeping the running configuration: %s", err);
		return -1;
	}
	log_info("reload: stopping all processes");
	sdnotify("RELOADING=1\nSTATUS=reloading");
	d->reload_conf = nc;
	handlers_proc_abort(d);
	events_supervisor_state(d->events, false);
	sv_stop_all_by(d->sv, "reload", daemon_reload_stopped, d);
	return 0;
}

void daemon_update(struct daemon *d, struct conf *newconf, char *const *names)
{
	struct conf *old = d->conf;

	handlers_proc_abort(d);
	/* PROCESS_GROUP_REMOVED / _ADDED: the groups that left or joined the running set */
	char **before = NULL;
	const char **was = daemon_groups_running(d);
	size_t nb = 0;
	for (const char **g = was; *g != NULL; g++)
		nb++;
	before = xcalloc(nb + 1, sizeof(*before));
	for (size_t i = 0; i < nb; i++)
		before[i] = xstrdup(was[i]);
	free(was);
	events_config(d->events, newconf); /* before sv_apply: new listeners find their pool */
	sv_apply(d->sv, newconf, names);
	const char **now = daemon_groups_running(d);
	for (size_t i = 0; i < nb; i++)
		if (!daemon_strv_has(now, before[i]))
			events_group(d->events, before[i], false);
	for (const char **g = now; *g != NULL; g++)
		if (!daemon_strv_has((const char **)before, *g))
			events_group(d->events, *g, true);
	free(now);
	for (size_t i = 0; i < nb; i++)
		free(before[i]);
	free(before);
	d->conf = newconf;
	daemon_apply_log(d);
	daemon_engine_config(d); /* before old is freed: the engine holds the configuration */
	/* groups not named may still run on old (and on configurations before it) */
	d->retired = xreallocarray(d->retired, d->nretired + 1, sizeof(*d->retired));
	d->retired[d->nretired++] = old;
	daemon_retired_sweep(d, false);
	control_config_changed(d->control);
	daemon_notify_status(d, "running");
}

void daemon_reopen_logs(struct daemon *d)
{
	if (log_reopen() < 0)
		log_warn("reopen log");
	sv_reopen_logs(d->sv);
	log_info("log files reopened");
}

/* ---- signals ---- */

static void daemon_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	char err[1024];

	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		log_info("received %s", strsignal(w->signum));
		daemon_shutdown(d, 0);
		break;
	case SIGHUP:
		log_info("received SIGHUP: reloading");
		if (!d->shutting_down && daemon_reload(d, err, sizeof(err)) < 0)
			log_warnx("reload refused: %s", err);
		break;
	case SIGUSR2:
		daemon_reopen_logs(d);
		break;
	}
}

static void daemon_signals(struct daemon *d)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2};

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev_signal *w = &d->sig_watchers[d->nsig_watchers++];
		ev_signal_init(w, daemon_signal, sigs[i]);
		w->data = d;
		ev_signal_start(d->loop, w);
	}
}

/* ---- systemd watchdog ---- */

static void daemon_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	sdnotify("WATCHDOG=1");
}

/* When systemd asks for a watchdog (WatchdogSec=), ping at half its interval from the loop:
 * a loop that hangs stops pinging and systemd restarts the daemon. */
static void daemon_watchdog_start(struct daemon *d)
{
	uint64_t usec = 0;

	ev_init(&d->watchdog_timer, daemon_watchdog);
	if (sdnotify_watchdog(&usec) <= 0 || usec == 0)
		return;
	d->watchdog_timer.repeat = (double)usec / 2e6;
	ev_timer_again(d->loop, &d->watchdog_timer);
	log_info("systemd watchdog: pinging every %.1f s", d->watchdog_timer.repeat);
}

/* ---- set up, run, tear down ---- */

/* The socket server's hooks (control.h): the daemon's configuration and engine. */
static const struct conf *daemon_conf_of(void *arg)
{
	return ((struct daemon *)arg)->conf;
}

static struct engine *daemon_engine_of(void *arg, char *err, size_t errlen)
{
	return daemon_engine(arg, err, errlen);
}

int daemon_init(struct daemon *d, char *err, size_t errlen)
{
	d->start_time = time(NULL);
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (d->loop == NULL) {
		snprintf(err, errlen, "cannot initialise the event loop");
		return -1;
	}
	daemon_signals(d);
	ev_init(&d->reload_timer, daemon_reload_swap);
	daemon_watchdog_start(d);
	{
		const struct control_hooks ch = {daemon_conf_of, daemon_engine_of, d};

		d->control = control_new(d->loop, &ch, err, errlen);
	}
	/* the HTTP module asks d->control for the connection cap: after it is set */
	if (d->control != NULL && handlers_http_config(d, control_http(d->control), err, errlen) < 0) {
		control_free(d->control);
		d->control = NULL;
	}
	if (d->control == NULL)
		goto fail;
	/* A database that cannot be opened disables task commands, not supervision (logged). */
	if (daemon_wants_engine(d))
		daemon_engine(d, err, errlen);
	err[0] = '\0';
	d->events = daemon_events_new(d);
	d->sv = daemon_sv_new(d);
	if (d->sv == NULL) {
		snprintf(err, errlen, "cannot create the supervisor");
		goto fail;
	}
	return 0;

fail:
	if (d->engine != NULL)
		engine_free(d->engine);
	d->engine = NULL;
	control_free(d->control);
	d->control = NULL;
	for (int i = 0; i < d->nsig_watchers; i++)
		ev_signal_stop(d->loop, &d->sig_watchers[i]);
	ev_timer_stop(d->loop, &d->watchdog_timer);
	return -1;
}

int daemon_run(struct daemon *d)
{
	log_info("taskvisord %s started (pid %ld), config %s", TASKVISOR_VERSION, (long)getpid(),
		 d->conf_path);
	daemon_events_groups_all(d);
	events_supervisor_state(d->events, true);
	sv_start_autostart(d->sv);
	malloc_trim(0); /* give back what reading the configuration used and freed */
	sdnotify("READY=1");
	daemon_notify_status(d, "running");
	ev_run(d->loop, 0);

	/* Teardown: connections first (their on_close callbacks reach the engine), then the rest. */
	handlers_proc_abort(d);
	control_free(d->control);
	d->control = NULL;
	if (d->engine != NULL)
		engine_free(d->engine);
	d->engine = NULL;
	sv_free(d->sv);
	d->sv = NULL;
	daemon_retired_sweep(d, true);
	events_free(d->events);
	d->events = NULL;
	for (int i = 0; i < d->nsig_watchers; i++)
		ev_signal_stop(d->loop, &d->sig_watchers[i]);
	ev_timer_stop(d->loop, &d->reload_timer);
	ev_timer_stop(d->loop, &d->watchdog_timer);
	conf_free(d->reload_conf);
	d->reload_conf = NULL;
	log_info("taskvisord exiting with status %d", d->exit_code);
	log_flush();
	return d->exit_code;
}
