/*
 * handlers_http.c — the daemon's side of the HTTP module (supervisord/http/,
 * http_module.h): loads http.so on first need (a connection on the Unix socket that
 * speaks HTTP, or an [inet_http_server]), and lends it struct http_ops:
 *
 * - process operations go through the native handlers (control_inner_*: the
 *   same MSG_START/STOP/SIGNAL/REREAD/UPDATE/RELOAD/SHUTDOWN code the Unix
 *   socket runs, with the peer's role), or straight to proc.h for wait=false
 *   and for sendProcessStdin (proc_send_stdin);
 * - reading: supervisord's getProcessInfo and getAllConfigInfo structs built
 *   from proc.h and the configuration, log paths, the main log.
 *
 * A daemon that never sees HTTP never maps libmicrohttpd or expat.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "http_module.h"
#include "log.h"
#include "paths.h"
#include "proc.h"

struct handlers_http {
	struct daemon *d;
	const struct http_module *mod;
	struct http_server *srv;
	struct http_ops ops;
};

/* ---- http_ops ---- */

static void handlers_http_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= 2)
		log_warnx("%s", msg);
	else if (level == 3)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

static enum http_role handlers_http_role(void *arg, const struct http_peer *peer)
{
	struct handlers_http *h = arg;

	return (enum http_role)control_role(h->d->control, peer->uid, peer->gid);
}

static void *handlers_http_call_open(void *arg, enum http_role role, http_sink_fn *sink, void *sarg)
{
	struct handlers_http *h = arg;

	return control_inner_new(h->d->control, (int)role, sink, sarg);
}

static void handlers_http_call(void *hd, uint32_t type, json_t *req)
{
	control_inner_request(hd, type, req);
}

static void handlers_http_call_close(void *hd)
{
	control_inner_close(hd);
}

static int handlers_http_running(void *arg)
{
	struct handlers_http *h = arg;

	return !h->d->shutting_down;
}

/* supervisord's names: "g:n", or "n" meaning group n, process n. */
static struct proc *handlers_http_find(struct handlers_http *h, const char *name)
{
	struct proc *p;

	if (name == NULL || strchr(name, '*') != NULL)
		return NULL;
	p = sv_find(h->d->sv, name);
	if (p == NULL)
		return NULL;
	if (strchr(name, ':') == NULL && (strcmp(p->group, name) != 0 || strcmp(p->name, name) != 0))
		return NULL;
	return p;
}

static void handlers_http_fill(const struct proc *p, struct http_proc *out)
{
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	snprintf(out->group, sizeof(out->group), "%s", p->group);
	if (strcmp(p->group, p->name) == 0)
		snprintf(out->fullname, sizeof(out->fullname), "%s", p->name);
	else
		snprintf(out->fullname, sizeof(out->fullname), "%s:%s", p->group, p->name);
	out->state = (int)p->state;
	out->pid = p->pid;
	out->autostart = p->prog != NULL && p->prog->autostart;
}

static bool handlers_http_proc(void *arg, const char *name, struct http_proc *out)
{
	struct proc *p = handlers_http_find(arg, name);

	if (p == NULL)
		return false;
	handlers_http_fill(p, out);
	return true;
}

static struct http_proc *handlers_http_procs(void *arg, const char *group, size_t *n)
{
	struct handlers_http *h = arg;
	struct proc **ps;
	struct http_proc *out;
	size_t np = 0;

	ps = group != NULL ? sv_group(h->d->sv, group, &np) : sv_procs(h->d->sv, &np);
	*n = 0;
	if (group != NULL && (ps == NULL || np == 0))
		return NULL;
	out = calloc(np + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < np; i++)
		handlers_http_fill(ps[i], &out[i]);
	*n = np;
	return out;
}

/* v in decimal at o (at least width digits, zero-padded): the new end. No printf: getAllProcessInfo
 * of 100 processes spent a quarter of its time formatting these lines (bench/xmlrpc.sh). */
static char *handlers_http_num(char *o, long long v, int width)
{
	char d[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	if (v < 0)
		*o++ = '-';
	do {
		d[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n < width)
		d[n++] = '0';
	while (n > 0)
		*o++ = d[--n];
	return o;
}

/* supervisord's _interpretProcessInfo. */
static void handlers_http_describe(const struct proc *p, time_t now, char *buf, size_t len)
{
	buf[0] = '\0';
	if (p->state == PROC_RUNNING && len >= 96) {
		/* "pid 123, uptime [2 days, ]1:02:03" */
		long long up = (long long)(now - p->start_time), days;
		char *o = buf;
		if (up < 0)
			up = 0;
		days = up / 86400;
		up %= 86400;
		memcpy(o, "pid ", 4);
		o = handlers_http_num(o + 4, (long long)p->pid, 1);
		memcpy(o, ", uptime ", 9);
		o += 9;
		if (days > 0) {
			o = handlers_http_num(o, days, 1);
			memcpy(o, days == 1 ? " day, " : " days, ", days == 1 ? 6 : 7);
			o += days == 1 ? 6 : 7;
		}
		o = handlers_http_num(o, up / 3600, 1);
		*o++ = ':';
		o = handlers_http_num(o, up % 3600 / 60, 2);
		*o++ = ':';
		o = handlers_http_num(o, up % 60, 2);
		*o = '\0';
	} else if (p->state == PROC_FATAL || p->state == PROC_BACKOFF) {
		if (p->spawn_err[0] != '\0')
			snprintf(buf, len, "%s", p->spawn_err);
		else
			snprintf(buf, len, "unknown error (try \"tail %s\")", p->name);
	} else if (p->state == PROC_STOPPED || p->state == PROC_EXITED) {
		if (p->start_time != 0) {
			struct tm tm;
			time_t t = p->stop_time;
			localtime_r(&t, &tm);
			strftime(buf, len, "%b %d %I:%M %p", &tm);
		} else
			snprintf(buf, len, "Not started");
	}
}

/* getProcessInfo's fields of p at now. */
static void handlers_http_info_fill(const struct proc *p, time_t now, struct http_proc_info *o)
{
	const char *out = proc_log_path(p, 1), *err = proc_log_path(p, 2);

	o->name = p->name;
	o->group = p->group;
	o->statename = proc_state_name(p->state);
	o->spawnerr = p->spawn_err;
	o->stdout_logfile = out != NULL ? out : "";
	o->stderr_logfile = err != NULL ? err : "";
	o->start = (long long)p->start_time;
	o->stop = (long long)p->stop_time;
	o->now = (long long)now;
	o->pid = (long long)p->pid;
	o->state = (int)p->state;
	o->exitstatus = 0;
	if (p->exited_once)
		o->exitstatus = WIFEXITED(p->last_wstatus) ? WEXITSTATUS(p->last_wstatus) : -1;
	handlers_http_describe(p, now, o->description, sizeof(o->description));
}

static json_t *handlers_http_info(const struct proc *p, time_t now)
{
	struct http_proc_info o;

	handlers_http_info_fill(p, now, &o);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:I, s:s}", "name",
			 o.name, "group", o.group, "start", (json_int_t)o.start, "stop", (json_int_t)o.stop,
			 "now", (json_int_t)o.now, "state", o.state, "statename", o.statename, "spawnerr",
			 o.spawnerr, "exitstatus", o.exitstatus, "logfile", o.stdout_logfile,
			 "stdout_logfile", o.stdout_logfile, "stderr_logfile", o.stderr_logfile, "pid",
			 (json_int_t)o.pid, "description", o.description);
}

static json_t *handlers_http_process_info(void *arg, const char *name)
{
	struct proc *p = handlers_http_find(arg, name);

	return p != NULL ? handlers_http_info(p, time(NULL)) : NULL;
}

static struct http_proc_info *handlers_http_all_process_info(void *arg, size_t *n)
{
	struct handlers_http *h = arg;
	size_t np = 0;
	struct proc **ps = sv_procs(h->d->sv, &np);
	struct http_proc_info *out = np > 0 ? malloc(np * sizeof(*out)) : NULL;
	time_t now = time(NULL);

	*n = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < np; i++)
		handlers_http_info_fill(ps[i], now, &out[i]);
	*n = np;
	return out;
}

static int handlers_http_cfg_cmp(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;

	return strcmp(json_string_value(json_object_get(*x, "name")),
		      json_string_value(json_object_get(*y, "name")));
}

static json_t *handlers_http_logfile(const char *v)
{
	if (v == NULL)
		return json_string("auto");
	if (strcasecmp(v, "NONE") == 0)
		return json_string("none");
	return json_string(v);
}

/* supervisord's getAllConfigInfo, from the configuration on disk (what supervisord re-read last). */
static json_t *handlers_http_config_info(void *arg)
{
	struct handlers_http *h = arg;
	char err[1024];
	struct conf *nc = conf_load(h->d->conf_path, err, sizeof(err));
	const struct conf *cf = nc != NULL ? nc : h->d->conf;
	json_t *out = json_array(), **rows;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < cf->nprograms; i++)
		total += cf->programs[i].nprocs;
	rows = calloc(total + 1, sizeof(*rows));
	for (size_t i = 0; rows != NULL && i < cf->nprograms; i++) {
		const struct conf_program *pg = &cf->programs[i];
		int gprio = pg->listener ? pg->pool_priority : pg->priority; /* [eventlistener:x] */
		bool inuse;
		size_t np = 0;
		for (size_t g = 0; g < cf->ngroups; g++)
			if (strcmp(cf->groups[g].name, pg->group) == 0)
				gprio = cf->groups[g].priority;
		inuse = sv_group(h->d->sv, pg->group, &np) != NULL && np > 0;
		for (size_t k = 0; k < pg->nprocs; k++) {
			const struct conf_proc *cp = &pg->procs[k];
			json_t *codes = json_array();
			for (size_t e = 0; e < pg->nexitcodes; e++)
				json_array_append_new(codes, json_integer(pg->exitcodes[e]));
			rows[n++] = json_pack(
			    "{s:b, s:s, s:s, s:s, s:o, s:s, s:i, s:b, s:b, s:s, s:i, s:b, s:i, s:i, s:I, "
			    "s:b, s:o, "
			    "s:i, s:I, s:b, s:i, s:i, s:I, s:b, s:o, s:i, s:I, s:b, s:s}",
			    "autostart", pg->autostart, "directory", pg->directory ? pg->directory : "none",
			    "uid", "none", "command", cp->command, "exitcodes", codes, "group", pg->group,
			    "group_prio", gprio, "inuse", inuse, "killasgroup", pg->killasgroup, "name",
			    cp->name, "process_prio", pg->priority, "redirect_stderr", pg->redirect_stderr,
			    "startretries", pg->startretries, "startsecs", pg->startsecs,
			    "stdout_capture_maxbytes", (json_int_t)pg->stdout_capture_maxbytes,
			    "stdout_events_enabled", pg->stdout_events_enabled, "stdout_logfile",
			    handlers_http_logfile(cp->stdout_logfile), "stdout_logfile_backups",
			    pg->stdout_logfile_backups, "stdout_logfile_maxbytes",
			    (json_int_t)pg->stdout_logfile_maxbytes, "stdout_syslog", pg->stdout_syslog,
			    "stopsignal", pg->stopsignal, "stopwaitsecs", pg->stopwaitsecs,
			    "stderr_capture_maxbytes", (json_int_t)pg->stderr_capture_maxbytes,
			    "stderr_events_enabled", pg->stderr_events_enabled, "stderr_logfile",
			    handlers_http_logfile(cp->stderr_logfile), "stderr_logfile_backups",
			    pg->stderr_logfile_backups, "stderr_logfile_maxbytes",
			    (json_int_t)pg->stderr_logfile_maxbytes, "stderr_syslog", pg->stderr_syslog,
			    "serverurl", pg->serverurl != NULL ? pg->serverurl : "AUTO");
			if (rows[n - 1] == NULL)
				n--;
		}
	}
	if (rows != NULL) {
		qsort(rows, n, sizeof(*rows), handlers_http_cfg_cmp);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(out, rows[i]);
	}
	free(rows);
	conf_free(nc);
	return out;
}

static int handlers_http_log_path(void *arg, const char *name, int stream, char *buf, size_t len)
{
	struct proc *p = handlers_http_find(arg, name);
	const char *path;

	if (p == NULL)
		return -1;
	path = proc_log_path(p, stream);
	if (path == NULL)
		return 0;
	snprintf(buf, len, "%s", path);
	return 1;
}

static const char *handlers_http_main_log(void *arg)
{
	struct handlers_http *h = arg;

	return h->d->conf->logfile;
}

static int handlers_http_clear_logs(void *arg, const char *name)
{
	struct proc *p = handlers_http_find(arg, name);

	if (p == NULL)
		return -1;
	for (int s = 1; s <= 2; s++) {
		const char *path = proc_log_path(p, s);
		if (path != NULL && truncate(path, 0) < 0 && errno != ENOENT)
			return -2;
	}
	return 0;
}

static int handlers_http_act_nowait(void *arg, const char *name, int op, const char **why)
{
	struct proc *p = handlers_http_find(arg, name);
	enum sv_result r;

	if (p == NULL) {
		*why = "no_such_process";
		return -1;
	}
	r = op == 'b' ? proc_start(p) : proc_stop(p);
	switch (r) {
	case SV_OK:
		return 0;
	case SV_ALREADY_STARTED:
		*why = "already_started";
		break;
	case SV_NOT_RUNNING:
		*why = "not_running";
		break;
	case SV_SPAWN_ERROR:
		*why = "spawn_error";
		break;
	case SV_NO_FILE:
		*why = "no_file";
		break;
	case SV_NOT_EXECUTABLE:
		*why = "not_executable";
		break;
	default:
		*why = "failed";
		break;
	}
	return -1;
}

static int handlers_http_send_stdin(void *arg, const char *name, const char *buf, size_t len,
				    const char **why)
{
	static char full[128];
	struct proc *p = handlers_http_find(arg, name);

	if (p == NULL)
		return -1;
	switch (proc_send_stdin(p, buf, len)) {
	case SV_OK:
		return 0;
	case SV_NOT_RUNNING:
		return -2;
	case SV_NO_FILE:
		return -3;
	case SV_STDIN_FULL:
		snprintf(full, sizeof(full),
			 "stdin full (at most %d bytes may wait for the program to read): nothing sent",
			 PROC_STDIN_CAP);
		*why = full;
		return -4;
	default:
		*why = strerror(errno);
		return -5;
	}
}

/* [eventlistener:x]: sendRemoteCommEvent */
static void handlers_http_remote_event(void *arg, const char *type, const char *data, size_t len)
{
	struct handlers_http *h = arg;

	daemon_remote_event(h->d, type, data, len);
}

/* ---- loading ---- */

static const struct http_module *handlers_http_load(char *err, size_t errlen)
{
	char path[PATH_MAX + 64], why[128];
	const struct http_module *mod;
	void *lib;

	if (paths_module("http.so", path, sizeof(path), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "HTTP module: %s", why);
		return NULL;
	}
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		snprintf(err, errlen, "HTTP module: %s", dlerror());
		return NULL;
	}
	mod = dlsym(lib, "http_module");
	if (mod == NULL || mod->abi != HTTP_MODULE_ABI) {
		snprintf(err, errlen, "HTTP module: %s is not a module of this version", path);
		dlclose(lib);
		return NULL;
	}
	log_info("http: module loaded (%s)", path);
	return mod; /* stays loaded for the life of the process */
}

static void handlers_http_conf(struct daemon *d, struct http_conf *hc)
{
	const struct conf *cf = d->conf;

	memset(hc, 0, sizeof(*hc));
	hc->inet_port = cf->inet_port;
	hc->inet_user = cf->inet_username;
	hc->inet_pass = cf->inet_password;
	hc->unix_user = cf->socket_username;
	hc->unix_pass = cf->socket_password;
	hc->identifier = cf->identifier;
	hc->version = TASKVISOR_VERSION;
	hc->max_conns = (unsigned)control_max_connections(d->control);
	hc->timeout = (unsigned)cf->request_timeout;
}

/* Load the module and make the server once. */
static struct handlers_http *handlers_http_get(struct daemon *d, struct handlers_http **hp, char *err,
					       size_t errlen)
{
	struct handlers_http *h = *hp;
	struct http_conf hc;

	if (h != NULL)
		return h;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->d = d;
	h->mod = handlers_http_load(err, errlen);
	if (h->mod == NULL) {
		free(h);
		return NULL;
	}
	h->ops = (struct http_ops){
	    .arg = h,
	    .loop = d->loop,
	    .log = handlers_http_log,
	    .role = handlers_http_role,
	    .call_open = handlers_http_call_open,
	    .call = handlers_http_call,
	    .call_close = handlers_http_call_close,
	    .running = handlers_http_running,
	    .proc = handlers_http_proc,
	    .procs = handlers_http_procs,
	    .process_info = handlers_http_process_info,
	    .config_info = handlers_http_config_info,
	    .log_path = handlers_http_log_path,
	    .main_log = handlers_http_main_log,
	    .clear_logs = handlers_http_clear_logs,
	    .act_nowait = handlers_http_act_nowait,
	    .send_stdin = handlers_http_send_stdin,
	    .all_process_info = handlers_http_all_process_info,
	    .remote_event = handlers_http_remote_event,
	};
	h->srv = h->mod->create(&h->ops, err, errlen);
	handlers_http_conf(d, &hc);
	if (h->srv == NULL || h->mod->configure(h->srv, &hc, err, errlen) < 0) {
		if (h->srv != NULL)
			h->mod->destroy(h->srv);
		free(h);
		return NULL;
	}
	*hp = h;
	return h;
}

int handlers_http_config(struct daemon *d, struct handlers_http **hp, char *err, size_t errlen)
{
	struct http_conf hc;

	if (*hp == NULL)
		return d->conf->inet_port == NULL || handlers_http_get(d, hp, err, errlen) != NULL ? 0 : -1;
	handlers_http_conf(d, &hc);
	return (*hp)->mod->configure((*hp)->srv, &hc, err, errlen);
}

bool handlers_http_adopt(struct daemon *d, struct handlers_http **hp, int fd, pid_t pid, uid_t uid, gid_t gid)
{
	struct http_peer peer = {true, pid, uid, gid};
	char err[512];
	struct handlers_http *h = handlers_http_get(d, hp, err, sizeof(err));

	if (h == NULL) {
		log_warnx("http: pid %ld speaks HTTP but %s", (long)pid, err);
		return false;
	}
	h->mod->adopt(h->srv, fd, &peer); /* takes fd, also when it fails */
	return true;
}

void handlers_http_free(struct handlers_http *h)
{
	if (h == NULL)
		return;
	h->mod->destroy(h->srv);
	free(h);
}
