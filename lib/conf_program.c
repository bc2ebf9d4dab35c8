/*
 * conf_program.c — [program:x] and [group:x]: supervisord's options and
 * defaults, taskvisor's additions, per-process expansion (numprocs,
 * %(process_num)02d ...), environments, fingerprints, and the checks that need
 * every program (groups, depends_on). Part of the loader: see conf_int.h.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/stat.h>

#include "conf_int.h"
#include "cron.h"
#include "evtype.h"
#include "units.h"

/* ---- groups ---- */

int conf_groups_load(struct conf_ld *L)
{
	struct conf *c = L->c;

	for (size_t i = 0; i < L->nsecs; i++) {
		const struct conf_sec *s = &L->secs[i];
		if (strncmp(s->name, "group:", 6) != 0)
			continue;
		struct conf_group *ng = realloc(c->groups, (c->ngroups + 1) * sizeof(*ng));
		if (ng == NULL)
			return conf_fail(L, s->file, s->line, "out of memory");
		c->groups = ng;
		struct conf_group *g = &c->groups[c->ngroups++];
		memset(g, 0, sizeof(*g));
		g->name = strdup(s->name + 6);
		g->where.file = strdup(s->file);
		g->where.line = s->line;
		g->priority = 999;
		if (g->name == NULL || g->where.file == NULL)
			return conf_fail(L, s->file, s->line, "out of memory");
		if (g->name[0] == '\0' || strpbrk(g->name, ": \t") != NULL)
			return conf_fail(L, s->file, s->line, "[%s]: bad group name", s->name);
		const struct conf_kv *pk = NULL;
		for (size_t k = 0; k < s->nkv; k++) {
			const struct conf_kv *kv = &s->kv[k];
			char *v;
			int rc = 0;
			if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
				return -1;
			if (strcmp(kv->key, "programs") == 0) {
				conf_strv_free(g->programs);
				g->programs = NULL;
				if (conf_split_list(v, &g->programs, NULL) != 0)
					rc = conf_fail(L, kv->file, kv->line, "out of memory");
				pk = kv;
			} else if (strcmp(kv->key, "priority") == 0) {
				rc = conf_opt_int(L, s, kv, v, INT_MIN, INT_MAX, &g->priority);
			} else {
				rc = conf_unknown(L, s, kv);
			}
			free(v);
			if (rc != 0)
				return -1;
		}
		if (pk == NULL || g->programs == NULL || g->programs[0] == NULL)
			return conf_fail(L, s->file, s->line, "[%s] has no programs= option", s->name);
		for (char **p = g->programs; *p != NULL; p++) {
			char sec[512], fsec[512];
			snprintf(sec, sizeof(sec), "program:%s", *p);
			snprintf(fsec, sizeof(fsec), "fcgi-program:%s", *p);
			int found = 0, ffound = 0;
			for (size_t j = 0; j < L->nsecs; j++) {
				found |= strcmp(L->secs[j].name, sec) == 0;
				ffound |= strcmp(L->secs[j].name, fsec) == 0;
			}
			if (found && ffound)
				return conf_fail(
				    L, pk->file, pk->line,
				    "[%s] name %s is ambiguous (exists as program and fcgi-program)", s->name,
				    *p);
			if (!found && !ffound)
				return conf_fail(L, pk->file, pk->line,
						 "[%s] names unknown program or fcgi-program %s", s->name,
						 *p);
			for (char **q = g->programs; q < p; q++)
				if (strcmp(*q, *p) == 0)
					return conf_fail(L, pk->file, pk->line, "[%s] names program %s twice",
							 s->name, *p);
			for (size_t o = 0; o + 1 < c->ngroups; o++)
				for (char **q = c->groups[o].programs; *q != NULL; q++)
					if (strcmp(*q, *p) == 0)
						return conf_fail(
						    L, pk->file, pk->line,
						    "[%s]: program %s is already in [group:%s] (%s:%d)",
						    s->name, *p, c->groups[o].name, c->groups[o].where.file,
						    c->groups[o].where.line);
		}
	}
	return 0;
}

static const char *conf_group_of(struct conf_ld *L, const char *program)
{
	for (size_t i = 0; i < L->c->ngroups; i++)
		for (char **p = L->c->groups[i].programs; *p != NULL; p++)
			if (strcmp(*p, program) == 0)
				return L->c->groups[i].name;
	return NULL;
}

/* ---- option readers that need more than a number ---- */

struct conf_pctx {
	struct conf_ld *L;
	const struct conf_sec *s;
	struct conf_program *p;
	struct conf_progx *x;
};

typedef int (*conf_popt_fn)(struct conf_pctx *P, const struct conf_kv *kv, const char *v);

static int conf_p_autorestart(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	bool b;
	if (strcasecmp(v, "unexpected") == 0) {
		P->p->autorestart = AUTORESTART_UNEXPECTED;
		return 0;
	}
	if (units_bool(v, &b, NULL, 0) != 0)
		return conf_fail(P->L, kv->file, kv->line,
				 "autorestart: expected true, false or unexpected: \"%s\"", v);
	P->p->autorestart = b ? AUTORESTART_TRUE : AUTORESTART_FALSE;
	return 0;
}

static int conf_p_exitcodes(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	char **list;
	size_t n;
	if (conf_split_list(v, &list, &n) != 0)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	if (n == 0) {
		conf_strv_free(list);
		return conf_fail(P->L, kv->file, kv->line, "exitcodes: empty list");
	}
	int *codes = calloc(n, sizeof(*codes));
	if (codes == NULL) {
		conf_strv_free(list);
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (conf_opt_int(P->L, P->s, kv, list[i], 0, 255, &codes[i]) != 0) {
			free(codes);
			conf_strv_free(list);
			return -1;
		}
	}
	conf_strv_free(list);
	free(P->p->exitcodes);
	P->p->exitcodes = codes;
	P->p->nexitcodes = n;
	return 0;
}

static int conf_p_signal(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	char why[256];
	if (units_signal(v, &P->p->stopsignal, why, sizeof(why)) != 0)
		return conf_fail(P->L, kv->file, kv->line, "%s: %s", kv->key, why);
	return 0;
}

static int conf_p_umask(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	char why[256];
	long m;
	if (units_octal(v, 0777, &m, why, sizeof(why)) != 0)
		return conf_fail(P->L, kv->file, kv->line, "umask: %s", why);
	P->p->umask = (int)m;
	return 0;
}

/* stdout_logfile / stderr_logfile / environment: expanded per process later. */
static int conf_p_raw(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	char **dst;
	if (strcmp(kv->key, "stdout_logfile") == 0)
		dst = &P->x->stdout_logfile;
	else if (strcmp(kv->key, "stderr_logfile") == 0)
		dst = &P->x->stderr_logfile;
	else if (strcmp(kv->key, "environment") == 0) {
		dst = &P->x->environment;
		P->x->environment_line = kv->line;
		P->x->environment_file = kv->file;
	} else if (strcmp(kv->key, "command") == 0)
		dst = &P->p->command;
	else if (strcmp(kv->key, "directory") == 0)
		dst = &P->x->directory;
	else
		dst = &P->p->process_name;
	if (conf_opt_str(P->L, dst, v) != 0)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	return 0;
}

static int conf_p_depends(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	conf_strv_free(P->p->depends_on);
	P->p->depends_on = NULL;
	if (conf_split_list(v, &P->p->depends_on, NULL) != 0)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	P->x->depends_line = kv->line;
	P->x->depends_file = kv->file;
	return 0;
}

static int conf_p_ready(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	if (strcasecmp(v, "startsecs") == 0)
		P->p->ready = READY_STARTSECS;
	else if (strcasecmp(v, "notify") == 0)
		P->p->ready = READY_NOTIFY;
	else
		return conf_fail(P->L, kv->file, kv->line, "ready: expected startsecs or notify: \"%s\"", v);
	return 0;
}

static int conf_p_fatal_action(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	if (strcasecmp(v, "none") == 0)
		P->p->fatal_action = FATAL_ACTION_NONE;
	else if (strcasecmp(v, "shutdown") == 0)
		P->p->fatal_action = FATAL_ACTION_SHUTDOWN;
	else
		return conf_fail(P->L, kv->file, kv->line, "fatal_action: expected none or shutdown: \"%s\"",
				 v);
	return 0;
}

static int conf_p_cron(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	struct cron cr;
	char why[256];
	if (cron_parse(v, &cr, why, sizeof(why)) != 0)
		return conf_fail(P->L, kv->file, kv->line, "restart_cron: %s", why);
	if (conf_opt_str(P->L, &P->p->restart_cron, v) != 0)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	return 0;
}

static int conf_p_envfile(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	char *path;
	if (v[0] == '/')
		path = strdup(v);
	else if (asprintf(&path, "%s/%s", P->s->here, v) < 0)
		path = NULL;
	if (path == NULL)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	free(P->p->environment_file);
	P->p->environment_file = path;
	conf_strv_free(P->x->env_file_vars);
	P->x->env_file_vars = NULL;

	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return conf_fail(P->L, kv->file, kv->line, "environment_file: %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0, n = 0;
	int lineno = 0, rc = 0;
	char **vars = calloc(1, sizeof(*vars));
	if (vars == NULL)
		rc = conf_fail(P->L, kv->file, kv->line, "out of memory");
	while (rc == 0 && getline(&line, &cap, fp) >= 0) {
		lineno++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		size_t len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (strncmp(s, "export ", 7) == 0)
			s += 7;
		char *eq = strchr(s, '=');
		if (eq == NULL || eq == s) {
			rc = conf_fail(P->L, kv->file, kv->line,
				       "environment_file: %s:%d: expected KEY=VALUE", path, lineno);
			break;
		}
		*eq = '\0';
		char *key = s, *val = eq + 1;
		size_t kl = strlen(key);
		while (kl > 0 && isspace((unsigned char)key[kl - 1]))
			key[--kl] = '\0';
		while (isspace((unsigned char)*val))
			val++;
		size_t vl = strlen(val);
		if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
			val[vl - 1] = '\0';
			val++;
		}
		char *kvs;
		if (asprintf(&kvs, "%s=%s", key, val) < 0 || conf_strv_push(&vars, &n, kvs) != 0)
			rc = conf_fail(P->L, kv->file, kv->line, "out of memory");
	}
	free(line);
	fclose(fp);
	if (rc != 0) {
		conf_strv_free(vars);
		return -1;
	}
	P->x->env_file_vars = vars;
	return 0;
}

static const struct {
	const char *name;
	int resource;
} conf_rlimits[] = {
    {"rlimit_nofile", RLIMIT_NOFILE}, {"rlimit_core", RLIMIT_CORE},	  {"rlimit_nproc", RLIMIT_NPROC},
    {"rlimit_as", RLIMIT_AS},	      {"rlimit_memlock", RLIMIT_MEMLOCK}, {"rlimit_stack", RLIMIT_STACK},
    {"rlimit_fsize", RLIMIT_FSIZE},   {"rlimit_cpu", RLIMIT_CPU},
};

static int conf_rlim_value(const char *s, int resource, rlim_t *out, char *why, size_t len)
{
	long long v;
	while (isspace((unsigned char)*s))
		s++;
	if (strncasecmp(s, "unlimited", 9) == 0 || strncasecmp(s, "infinity", 8) == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	int rc = resource == RLIMIT_CPU ? units_duration(s, &v, why, len) : units_size(s, &v, why, len);
	if (rc != 0)
		return -1;
	*out = (rlim_t)v;
	return 0;
}

static int conf_p_rlimit(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	int res = -1;
	char why[256], buf[128];
	rlim_t soft, hard;

	for (size_t i = 0; i < sizeof(conf_rlimits) / sizeof(conf_rlimits[0]); i++)
		if (strcmp(kv->key, conf_rlimits[i].name) == 0)
			res = conf_rlimits[i].resource;
	snprintf(buf, sizeof(buf), "%s", v);
	char *colon = strchr(buf, ':');
	if (colon != NULL)
		*colon = '\0';
	if (conf_rlim_value(buf, res, &soft, why, sizeof(why)) != 0)
		return conf_fail(P->L, kv->file, kv->line, "%s: %s", kv->key, why);
	hard = soft;
	if (colon != NULL && conf_rlim_value(colon + 1, res, &hard, why, sizeof(why)) != 0)
		return conf_fail(P->L, kv->file, kv->line, "%s: %s", kv->key, why);
	if (hard != RLIM_INFINITY && (soft == RLIM_INFINITY || soft > hard))
		return conf_fail(P->L, kv->file, kv->line, "%s: soft limit above hard limit: \"%s\"", kv->key,
				 v);
	struct conf_program *p = P->p;
	size_t i;
	for (i = 0; i < p->nrlimits && p->rlimits[i].resource != res; i++)
		;
	if (i == p->nrlimits) {
		struct conf_rlimit *nr = realloc(p->rlimits, (p->nrlimits + 1) * sizeof(*nr));
		if (nr == NULL)
			return conf_fail(P->L, kv->file, kv->line, "out of memory");
		p->rlimits = nr;
		p->nrlimits++;
	}
	p->rlimits[i].resource = res;
	p->rlimits[i].soft = soft;
	p->rlimits[i].hard = hard;
	return 0;
}

/* serverurl=: AUTO (the default) is the daemon's own socket. */
static int conf_p_serverurl(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	const char *t = v + strspn(v, " \t");
	free(P->p->serverurl);
	P->p->serverurl = NULL;
	if (strcasecmp(t, "AUTO") == 0 || t[0] == '\0')
		return 0;
	if ((P->p->serverurl = strdup(v)) == NULL)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	return 0;
}

/* user=: a user the system knows (supervisord refuses the file otherwise). */
static int conf_p_user(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	if (conf_user_check(P->L, kv, v) != 0)
		return -1;
	if (conf_opt_str(P->L, &P->p->user, v) != 0)
		return conf_fail(P->L, kv->file, kv->line, "out of memory");
	return 0;
}

static int conf_p_logfile_bytes(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	long long *dst = strncmp(kv->key, "stdout", 6) == 0 ? &P->p->stdout_logfile_maxbytes
							    : &P->p->stderr_logfile_maxbytes;
	return conf_opt_size(P->L, P->s, kv, v, dst);
}

/* ---- the option table ---- */

/* ---- [eventlistener:x]: supervisord's EventListenerPoolConfig ----
 *
 * An event listener pool is a program whose group is its own name; its options are a program's
 * plus events= (required), buffer_size= (10) and result_handler= (only supervisord's default
 * is known: a listener answers OK or anything else). What supervisord refuses is refused here:
 * no events= line, an unknown event type, buffer_size < 1, redirect_stderr=true (the listener's
 * stdout is the protocol channel), a result_handler that is not the default.
 */

#define CONF_LISTENER_PREFIX "eventlistener:"
#define CONF_LISTENER_BUFFER_SIZE 10
#define CONF_LISTENER_PRIORITY (-1) /* a pool's, supervisord's: listeners start first, stop last */

static int conf_p_listener(struct conf_pctx *P, const struct conf_kv *kv, const char *v)
{
	struct conf_program *p = P->p;

	if (!p->listener)
		return conf_warn(P->L, P->s->file, kv->line, "[%s] %s: unknown option, ignored", P->s->name,
				 kv->key);
	if (strcmp(kv->key, "buffer_size") == 0) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0 || n > INT_MAX || n < INT_MIN)
			return conf_fail(P->L, P->s->file, kv->line, "buffer_size: not a number: \"%s\"", v);
		if (n < 1)
			return conf_fail(P->L, P->s->file, kv->line,
					 "[%s] section sets invalid buffer_size (%ld)", P->s->name, n);
		p->buffer_size = (int)n;
		return 0;
	}
	if (strcmp(kv->key, "result_handler") == 0) {
		if (strcmp(v, "supervisor.dispatchers:default_handler") != 0)
			return conf_fail(P->L, P->s->file, kv->line,
					 "%s cannot be resolved within [%s] (taskvisord knows only "
					 "supervisor.dispatchers:default_handler)",
					 v, P->s->name);
		return 0;
	}
	/* events= */
	char **names;
	size_t n;
	if (conf_split_list(v, &names, &n) != 0)
		return conf_fail(P->L, P->s->file, kv->line, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int t = evtype_find(names[i]);
		if (t < 0) {
			int rc = conf_fail(P->L, P->s->file, kv->line, "Unknown event type %s in [%s] events",
					   names[i], P->s->name);
			conf_strv_free(names);
			return rc;
		}
		free(names[i]);
		names[i] = strdup(evtype_name((enum evtype)t)); /* supervisord upper-cases them */
		if (names[i] == NULL) {
			conf_strv_free(names);
			return conf_fail(P->L, P->s->file, kv->line, "out of memory");
		}
	}
	conf_strv_free(p->events);
	p->events = names;
	return 0;
}

/* After the options of a listener: what supervisord requires of the section as a whole. */
static int conf_listener_check(struct conf_pctx *P)
{
	const struct conf_sec *s = P->s;
	struct conf_program *p = P->p;

	if (p->events == NULL || p->events[0] == NULL)
		return conf_fail(P->L, s->file, s->line, "[%s] section requires an \"events\" line", s->name);
	/* supervisord: the pool's priority defaults to -1, its processes' to 999, priority= sets both */
	p->pool_priority = conf_sec_get(s, "priority") != NULL ? p->priority : CONF_LISTENER_PRIORITY;
	if (p->redirect_stderr) {
		const struct conf_kv *k = conf_sec_get(s, "redirect_stderr");
		return conf_fail(P->L, s->file, k != NULL ? k->line : s->line,
				 "[%s] section sets redirect_stderr=true but this is not allowed because it "
				 "will interfere with the eventlistener protocol",
				 s->name);
	}
	for (size_t i = 0; i < P->L->c->nprograms; i++) {
		const struct conf_program *q = &P->L->c->programs[i];
		if (q != p && q->name != NULL && strcmp(q->name, p->name) == 0)
			return conf_fail(P->L, s->file, s->line, "[%s]: [%s:%s] (%s:%d) has the same name",
					 s->name, q->listener ? "eventlistener" : "program", q->name,
					 q->where.file, q->where.line);
	}
	for (size_t i = 0; i < P->L->c->ngroups; i++)
		if (strcmp(P->L->c->groups[i].name, p->name) == 0)
			return conf_fail(P->L, s->file, s->line, "[%s]: [group:%s] (%s:%d) has the same name",
					 s->name, p->name, P->L->c->groups[i].where.file,
					 P->L->c->groups[i].where.line);
	return 0;
}

enum conf_pkind {
	PK_RAW,	 /* expanded per process */
	PK_INT,	 /* int in [min, max] */
	PK_BOOL, /* bool */
	PK_DUR,	 /* int seconds, a duration */
	PK_SIZE, /* long long bytes */
	PK_STR,	 /* char *, expanded once */
	PK_FN,
};

static const struct conf_popt {
	const char *name;
	enum conf_pkind kind;
	size_t off;
	long long min, max;
	conf_popt_fn fn;
} conf_popts[] = {
    {"command", PK_RAW, 0, 0, 0, conf_p_raw},
    {"process_name", PK_RAW, 0, 0, 0, conf_p_raw},
    {"stdout_logfile", PK_RAW, 0, 0, 0, conf_p_raw},
    {"stderr_logfile", PK_RAW, 0, 0, 0, conf_p_raw},
    {"environment", PK_RAW, 0, 0, 0, conf_p_raw},
    {"numprocs", PK_INT, offsetof(struct conf_program, numprocs), 1, 10000, NULL},
    {"numprocs_start", PK_INT, offsetof(struct conf_program, numprocs_start), 0, 1000000, NULL},
    {"priority", PK_INT, offsetof(struct conf_program, priority), INT_MIN, INT_MAX, NULL},
    {"autostart", PK_BOOL, offsetof(struct conf_program, autostart), 0, 0, NULL},
    {"startsecs", PK_INT, offsetof(struct conf_program, startsecs), 0, INT_MAX, NULL},
    {"startretries", PK_INT, offsetof(struct conf_program, startretries), -1, INT_MAX, NULL},
    {"autorestart", PK_FN, 0, 0, 0, conf_p_autorestart},
    {"exitcodes", PK_FN, 0, 0, 0, conf_p_exitcodes},
    {"stopsignal", PK_FN, 0, 0, 0, conf_p_signal},
    {"stopwaitsecs", PK_INT, offsetof(struct conf_program, stopwaitsecs), 0, INT_MAX, NULL},
    {"drain_timeout", PK_INT, offsetof(struct conf_program, drain_timeout), 0, INT_MAX, NULL},
    {"stopasgroup", PK_BOOL, offsetof(struct conf_program, stopasgroup), 0, 0, NULL},
    {"killasgroup", PK_BOOL, offsetof(struct conf_program, killasgroup), 0, 0, NULL},
    {"user", PK_FN, 0, 0, 0, conf_p_user},
    {"directory", PK_RAW, 0, 0, 0, conf_p_raw},
    {"umask", PK_FN, 0, 0, 0, conf_p_umask},
    {"redirect_stderr", PK_BOOL, offsetof(struct conf_program, redirect_stderr), 0, 0, NULL},
    {"stdout_logfile_maxbytes", PK_FN, 0, 0, 0, conf_p_logfile_bytes},
    {"stdout_logfile_backups", PK_INT, offsetof(struct conf_program, stdout_logfile_backups), 0, INT_MAX,
     NULL},
    {"stderr_logfile_maxbytes", PK_FN, 0, 0, 0, conf_p_logfile_bytes},
    {"stderr_logfile_backups", PK_INT, offsetof(struct conf_program, stderr_logfile_backups), 0, INT_MAX,
     NULL},
    {"memory_limit", PK_SIZE, offsetof(struct conf_program, memory_limit), 0, 0, NULL},
    {"depends_on", PK_FN, 0, 0, 0, conf_p_depends},
    {"ready", PK_FN, 0, 0, 0, conf_p_ready},
    {"watchdog_sec", PK_DUR, offsetof(struct conf_program, watchdog_sec), 0, INT_MAX, NULL},
    {"restart_cron", PK_FN, 0, 0, 0, conf_p_cron},
    {"backoff_max", PK_DUR, offsetof(struct conf_program, backoff_max), 0, INT_MAX, NULL},
    {"start_limit_burst", PK_INT, offsetof(struct conf_program, start_limit_burst), 1, INT_MAX, NULL},
    {"start_limit_interval", PK_DUR, offsetof(struct conf_program, start_limit_interval), 0, INT_MAX, NULL},
    {"fatal_retry_after", PK_DUR, offsetof(struct conf_program, fatal_retry_after), 0, INT_MAX, NULL},
    {"fatal_action", PK_FN, 0, 0, 0, conf_p_fatal_action},
    {"oom_score_adj", PK_INT, offsetof(struct conf_program, oom_score_adj), -1000, 1000, NULL},
    {"environment_file", PK_FN, 0, 0, 0, conf_p_envfile},
    {"log_timestamps", PK_BOOL, offsetof(struct conf_program, log_timestamps), 0, 0, NULL},
    {"rlimit_nofile", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_core", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_nproc", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_as", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_memlock", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_stack", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_fsize", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"rlimit_cpu", PK_FN, 0, 0, 0, conf_p_rlimit},
    {"serverurl", PK_FN, 0, 0, 0, conf_p_serverurl},
    {"stdout_syslog", PK_BOOL, offsetof(struct conf_program, stdout_syslog), 0, 0, NULL},
    {"stderr_syslog", PK_BOOL, offsetof(struct conf_program, stderr_syslog), 0, 0, NULL},
    {"stdout_events_enabled", PK_BOOL, offsetof(struct conf_program, stdout_events_enabled), 0, 0, NULL},
    {"stderr_events_enabled", PK_BOOL, offsetof(struct conf_program, stderr_events_enabled), 0, 0, NULL},
    {"stdout_capture_maxbytes", PK_SIZE, offsetof(struct conf_program, stdout_capture_maxbytes), 0, 0, NULL},
    {"stderr_capture_maxbytes", PK_SIZE, offsetof(struct conf_program, stderr_capture_maxbytes), 0, 0, NULL},
    /* [eventlistener:x] */
    {"events", PK_FN, 0, 0, 0, conf_p_listener},
    {"buffer_size", PK_FN, 0, 0, 0, conf_p_listener},
    {"result_handler", PK_FN, 0, 0, 0, conf_p_listener},
};

static const struct conf_popt *conf_popt_find(const char *name)
{
	for (size_t i = 0; i < sizeof(conf_popts) / sizeof(conf_popts[0]); i++)
		if (strcmp(conf_popts[i].name, name) == 0)
			return &conf_popts[i];
	return NULL;
}

/* ---- environment= (supervisord's KEY=VAL,KEY2="v,2") ---- */

/* Set "key=value" in vars, replacing an entry with the same key. */
int conf_env_set(char ***vars, const char *key, size_t klen, const char *value)
{
	char *kv;
	if (asprintf(&kv, "%.*s=%s", (int)klen, key, value) < 0)
		return -1;
	for (char **p = *vars; p != NULL && *p != NULL; p++)
		if (strncmp(*p, key, klen) == 0 && (*p)[klen] == '=') {
			free(*p);
			*p = kv;
			return 0;
		}
	return conf_strv_push(vars, NULL, kv);
}

/* Parse s into vars (merged over what is there); -1 with why. */
int conf_env_parse(const char *s, char ***vars, char *why, size_t len)
{
	const char *p = s;

	while (*p != '\0') {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		const char *key = p;
		while (*p != '\0' && *p != '=' && *p != ',' && !isspace((unsigned char)*p))
			p++;
		size_t klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=' || klen == 0) {
			snprintf(why, len, "expected KEY=VALUE at \"%.40s\"", key);
			return -1;
		}
		if ((key[0] == '"' || key[0] == '\'') && klen >= 2 && key[klen - 1] == key[0]) {
			key++;
			klen -= 2;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		/* The value: unquoted text and quoted parts up to a comma outside quotes. */
		size_t cap = strlen(p) + 1, n = 0;
		char *val = malloc(cap);
		if (val == NULL) {
			snprintf(why, len, "out of memory");
			return -1;
		}
		while (*p != '\0' && *p != ',') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				const char *end = strchr(p, q);
				if (end == NULL) {
					snprintf(why, len, "unterminated quote in \"%.40s\"", key);
					free(val);
					return -1;
				}
				memcpy(val + n, p, (size_t)(end - p));
				n += (size_t)(end - p);
				p = end + 1;
			} else {
				val[n++] = *p++;
			}
		}
		val[n] = '\0';
		while (n > 0 && isspace((unsigned char)val[n - 1]))
			val[--n] = '\0';
		int rc = conf_env_set(vars, key, klen, val);
		free(val);
		if (rc != 0) {
			snprintf(why, len, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- fingerprints ---- */

static const char *conf_s(const char *s)
{
	return s != NULL ? s : "";
}

static char *conf_fingerprint(const struct conf_program *p, const struct conf_proc *cp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len); /* libc's growing buffer */

	if (f == NULL)
		return NULL;
	fprintf(f, "name=%s\ngroup=%s\nprocess_num=%d\ncommand=%s\n", cp->name, p->group, cp->process_num,
		cp->command);
	fprintf(f, "stdout_logfile=%s\nstderr_logfile=%s\n", conf_s(cp->stdout_logfile),
		conf_s(cp->stderr_logfile));
	for (char **e = cp->environment; e != NULL && *e != NULL; e++)
		fprintf(f, "environment=%s\n", *e);
	fprintf(f, "priority=%d\nautostart=%d\nstartsecs=%d\nstartretries=%d\nautorestart=%d\n", p->priority,
		p->autostart, p->startsecs, p->startretries, (int)p->autorestart);
	for (size_t i = 0; i < p->nexitcodes; i++)
		fprintf(f, "exitcode=%d\n", p->exitcodes[i]);
	fprintf(f, "stopsignal=%d\nstopwaitsecs=%d\nstopasgroup=%d\nkillasgroup=%d\n", p->stopsignal,
		p->stopwaitsecs, p->stopasgroup, p->killasgroup);
	fprintf(f, "user=%s\ndirectory=%s\numask=%d\nredirect_stderr=%d\n", conf_s(p->user),
		conf_s(p->directory), p->umask, p->redirect_stderr);
	fprintf(f, "stdout_logfile_maxbytes=%lld\nstdout_logfile_backups=%d\n", p->stdout_logfile_maxbytes,
		p->stdout_logfile_backups);
	fprintf(f, "stderr_logfile_maxbytes=%lld\nstderr_logfile_backups=%d\n", p->stderr_logfile_maxbytes,
		p->stderr_logfile_backups);
	fprintf(f, "drain_timeout=%d\n", p->drain_timeout);
	fprintf(f, "memory_limit=%lld\n", p->memory_limit);
	for (char **d = p->depends_on; d != NULL && *d != NULL; d++)
		fprintf(f, "depends_on=%s\n", *d);
	fprintf(f, "ready=%d\nwatchdog_sec=%d\nrestart_cron=%s\nbackoff_max=%d\n", (int)p->ready,
		p->watchdog_sec, conf_s(p->restart_cron), p->backoff_max);
	fprintf(f, "start_limit_burst=%d\nstart_limit_interval=%d\n", p->start_limit_burst,
		p->start_limit_interval);
	fprintf(f, "fatal_retry_after=%d\nfatal_action=%d\noom_score_adj=%d\n", p->fatal_retry_after,
		(int)p->fatal_action, p->oom_score_adj);
	for (size_t i = 0; i < p->nrlimits; i++)
		fprintf(f, "rlimit=%d:%llu:%llu\n", p->rlimits[i].resource,
			(unsigned long long)p->rlimits[i].soft, (unsigned long long)p->rlimits[i].hard);
	fprintf(f, "environment_file=%s\nlog_timestamps=%d\n", conf_s(p->environment_file),
		p->log_timestamps);
	if (p->fcgi)
		fprintf(f, "socket=%s\nsocket_backlog=%d\nsocket_owner=%s\nsocket_mode=%o\n", p->socket,
			p->socket_backlog, conf_s(p->socket_owner), (unsigned)p->socket_mode);
	/* [eventlistener:x]: only what is set (kept per process for the daemon's life) */
	if (p->listener)
		fprintf(f, "listener=1\nbuffer_size=%d\npool_priority=%d\n", p->buffer_size,
			p->pool_priority);
	for (char **e = p->events; e != NULL && *e != NULL; e++)
		fprintf(f, "events=%s\n", *e);
	if (p->stdout_events_enabled || p->stderr_events_enabled)
		fprintf(f, "stdout_events_enabled=%d\nstderr_events_enabled=%d\n", p->stdout_events_enabled,
			p->stderr_events_enabled);
	if (p->stdout_capture_maxbytes > 0 || p->stderr_capture_maxbytes > 0)
		fprintf(f, "stdout_capture_maxbytes=%lld\nstderr_capture_maxbytes=%lld\n",
			p->stdout_capture_maxbytes, p->stderr_capture_maxbytes);
	fprintf(f, "syslog=%d:%d\nserverurl=%s\n", p->stdout_syslog, p->stderr_syslog, conf_s(p->serverurl));
	if ((ferror(f) | fclose(f)) != 0) {
		free(text);
		return NULL;
	}
	/* kept for the daemon's life, one per process: no doubling slack (100 programs, 100 KB) */
	char *fit = realloc(text, len + 1);
	return fit != NULL ? fit : text;
}

/* ---- [fcgi-program:x] ----
 *
 * An [fcgi-program:x] is a [program:x] (every option above, read by conf_program_load) plus a
 * socket the daemon opens and gives to each of its processes as fd 0 (supervisord's
 * FastCGIProcessGroup). These are the socket's options, with supervisord 4.2.5's checks
 * (options.py, process_groups_from_parser and parse_fcgi_socket).
 */

static const char *const conf_fcgi_keys[] = {"socket", "socket_backlog", "socket_owner", "socket_mode"};

/* Is key one of the socket options conf_fcgi_load reads? */
static bool conf_fcgi_key(const char *key)
{
	for (size_t i = 0; i < sizeof(conf_fcgi_keys) / sizeof(conf_fcgi_keys[0]); i++)
		if (strcmp(conf_fcgi_keys[i], key) == 0)
			return true;
	return false;
}

/* supervisord's colon_separated_user_group(): a user (name or existing uid), then optionally
 * ":" and a group (name or existing gid). 0, or -1 with why. */
static int conf_fcgi_owner(const char *v, char *why, size_t len)
{
	char user[128];
	const char *colon = strchr(v, ':');
	size_t ul = colon != NULL ? (size_t)(colon - v) : strlen(v);
	char *end;

	if (ul == 0 || ul >= sizeof(user)) {
		snprintf(why, len, "expected user[:group]: \"%s\"", v);
		return -1;
	}
	memcpy(user, v, ul);
	user[ul] = '\0';
	long id = strtol(user, &end, 10);
	if (*end == '\0' ? getpwuid((uid_t)id) == NULL : getpwnam(user) == NULL) {
		snprintf(why, len, "no such user: \"%.127s\"", user);
		return -1;
	}
	if (colon == NULL)
		return 0;
	id = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || (*end == '\0' ? getgrgid((gid_t)id) == NULL : getgrnam(colon + 1) == NULL)) {
		snprintf(why, len, "no such group: \"%s\"", colon + 1);
		return -1;
	}
	return 0;
}

/* tcp://HOST:PORT as supervisord's r'tcp://([^\s:]+):(\d+)$', the port 1..65535. */
static bool conf_fcgi_tcp_ok(const char *v)
{
	const char *host = v + 6, *colon = strrchr(host, ':');
	if (colon == NULL || colon == host)
		return false;
	for (const char *c = host; c < colon; c++)
		if (*c == ':' || isspace((unsigned char)*c))
			return false;
	long long port;
	return units_int(colon + 1, 1, 65535, &port, NULL, 0) == 0 && isdigit((unsigned char)colon[1]) &&
	       strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

/* socket, socket_backlog, socket_owner, socket_mode of the [fcgi-program:x] section s. */
static int conf_fcgi_load(struct conf_ld *L, const struct conf_sec *s, struct conf_program *p)
{
	const char *in_group = conf_group_of(L, p->name);
	char sec[512], why[320];
	const struct conf_kv *kv;
	char *v;

	/* supervisord: a member of a [group:x] is made a plain process of that group (its socket
	 * options are not even read); say so rather than run it without a socket silently */
	if (in_group != NULL)
		return conf_warn(L, s->file, s->line,
				 "[%s] is in [group:%s]: run as a plain program, without its socket (as "
				 "supervisord does)",
				 s->name, in_group);
	snprintf(sec, sizeof(sec), "program:%s", p->name);
	for (size_t i = 0; i < L->nsecs; i++)
		if (strcmp(L->secs[i].name, sec) == 0)
			return conf_fail(L, s->file, s->line, "[%s]: [%s] (%s:%d) has the same name", s->name,
					 sec, L->secs[i].file, L->secs[i].line);
	p->fcgi = true;
	p->socket_mode = -1;

	if ((kv = conf_sec_get(s, "socket_backlog")) != NULL) {
		if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
			return -1;
		int rc = conf_opt_int(L, s, kv, v, 1, 65535, &p->socket_backlog);
		free(v);
		if (rc != 0)
			return -1;
	}
	if ((kv = conf_sec_get(s, "socket_owner")) != NULL) {
		if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
			return -1;
		if (conf_fcgi_owner(v, why, sizeof(why)) != 0) {
			free(v);
			return conf_fail(L, s->file, kv->line, "socket_owner: %s", why);
		}
		p->socket_owner = v;
	}
	if ((kv = conf_sec_get(s, "socket_mode")) != NULL) {
		long m;
		if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
			return -1;
		int rc = units_octal(v, 07777, &m, why, sizeof(why));
		free(v);
		if (rc != 0)
			return conf_fail(L, s->file, kv->line, "socket_mode: %s", why);
		p->socket_mode = (int)m;
	}

	/* only %(program_name)s (and %(here)s, %(ENV_X)s) in socket=: one socket for every process */
	struct expand_kv names[] = {{"program_name", p->name}};
	struct expand_table t = {names, 1, NULL};
	kv = conf_sec_get(s, "socket");
	if (kv == NULL)
		return conf_fail(L, s->file, s->line, "[%s] section requires a \"socket\" line", s->name);
	if (conf_expand_kv(L, s, kv, &t, &p->socket) != 0)
		return -1;
	if (p->socket[0] == '\0')
		return conf_fail(L, s->file, kv->line, "[%s] section requires a \"socket\" line", s->name);
	if (strncmp(p->socket, "unix://", 7) == 0) {
		if (p->socket[7] != '/')
			return conf_fail(L, s->file, kv->line,
					 "socket: unix socket path is not absolute: \"%s\"", p->socket + 7);
		if (strlen(p->socket + 7) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return conf_fail(L, s->file, kv->line, "socket: unix socket path too long: \"%s\"",
					 p->socket + 7);
		if (p->socket_mode < 0)
			p->socket_mode = 0700;
		return 0;
	}
	if (p->socket_owner != NULL || p->socket_mode >= 0)
		return conf_fail(L, s->file, kv->line,
				 "socket_owner and socket_mode params should only be used with a Unix domain "
				 "socket");
	if (strncmp(p->socket, "tcp://", 6) != 0 || !conf_fcgi_tcp_ok(p->socket))
		return conf_fail(L, s->file, kv->line,
				 "socket: expected unix:///absolute/path or tcp://host:port: \"%s\"",
				 p->socket);
	p->socket_mode = 0;
	return 0;
}

/* ---- one program ---- */

static void conf_proc_free(struct conf_proc *cp)
{
	free(cp->name);
	free(cp->command);
	free(cp->stdout_logfile);
	free(cp->stderr_logfile);
	conf_strv_free(cp->environment);
	free(cp->fingerprint);
}

void conf_program_free(struct conf_program *p)
{
	free(p->name);
	free(p->group);
	free(p->where.file);
	free(p->command);
	free(p->process_name);
	free(p->exitcodes);
	free(p->user);
	free(p->directory);
	free(p->serverurl);
	conf_strv_free(p->depends_on);
	free(p->restart_cron);
	free(p->rlimits);
	free(p->environment_file);
	free(p->socket);
	free(p->socket_owner);
	conf_strv_free(p->events);
	for (size_t i = 0; i < p->nprocs; i++)
		conf_proc_free(&p->procs[i]);
	free(p->procs);
}

/* Expand a per-process template (key's raw value); line for messages. */
static int conf_proc_expand(struct conf_pctx *P, const char *key, const char *tmpl, struct expand_table *t,
			    char **out)
{
	const struct conf_kv *src = conf_sec_get(P->s, key);
	struct conf_kv kv = {(char *)key,
			     (char *)tmpl,
			     src != NULL ? src->line : P->s->line,
			     src != NULL ? src->file : P->s->file,
			     src != NULL ? src->here : P->s->here,
			     false};
	return conf_expand_kv(P->L, P->s, &kv, t, out);
}

/* stdout_logfile / stderr_logfile: expanded twice, as supervisord does (saneget, then expand);
 * AUTO (or unset) is NULL, NONE/OFF discard, "syslog" is the deprecated alias of
 * *_syslog=true: no file, the lines go to syslog. */
static int conf_logfile(struct conf_pctx *P, const char *key, const char *raw, struct expand_table *t,
			char **out)
{
	char *once;

	*out = NULL;
	if (raw == NULL || raw[0] == '\0' || strcasecmp(raw, "AUTO") == 0)
		return 0;
	if (conf_proc_expand(P, key, raw, t, &once) != 0)
		return -1;
	int rc = conf_proc_expand(P, key, once, t, out);
	free(once);
	if (rc != 0)
		return -1;
	if (strcasecmp(*out, "AUTO") == 0) {
		free(*out);
		*out = NULL;
	} else if (strcasecmp(*out, "NONE") == 0 || strcasecmp(*out, "OFF") == 0) {
		free(*out);
		*out = strdup("NONE");
		if (*out == NULL)
			return conf_fail(P->L, P->s->file, P->s->line, "out of memory");
	} else if (strcasecmp(*out, "syslog") == 0) {
		const struct conf_kv *kv = conf_sec_get(P->s, key);
		conf_warn(P->L, kv->file, kv->line,
			  "[%s] %s=syslog is deprecated (as in supervisord): read as %.6s_syslog=true",
			  P->s->name, key, key);
		free(*out);
		*out = strdup("NONE");
		if (*out == NULL)
			return conf_fail(P->L, P->s->file, P->s->line, "out of memory");
		if (key[3] == 'o')
			P->p->stdout_syslog = true;
		else
			P->p->stderr_syslog = true;
	} else {
		/* supervisord's existing_dirpath: a file in a directory that is not there is refused */
		const char *slash = strrchr(*out, '/');
		struct stat st;
		char dir[PATH_MAX];
		if (slash != NULL && slash != *out) {
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - *out), *out);
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				const struct conf_kv *kv = conf_sec_get(P->s, key);
				return conf_fail(
				    P->L, kv->file, kv->line,
				    "%s: the directory named as part of the path %s does not exist", key,
				    *out);
			}
		}
	}
	return 0;
}

/* A program's own environment= as %(ENV_X)s names for its other options (supervisord extends
 * the expansions with it before command, directory, the log files and process_name). */
static struct expand_kv *conf_env_names(char **env, size_t *n)
{
	size_t len = conf_strv_len(env);
	struct expand_kv *kv = calloc(len + 1, sizeof(*kv));

	if (kv == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char *eq = strchr(env[i], '=');
		char *name;
		if (asprintf(&name, "ENV_%.*s", (int)(eq - env[i]), env[i]) < 0) {
			for (size_t j = 0; j < i; j++)
				free((char *)kv[j].key);
			free(kv);
			return NULL;
		}
		kv[i].key = name;
		kv[i].value = eq + 1;
	}
	*n = len;
	return kv;
}

static void conf_env_names_free(struct expand_kv *kv, size_t n)
{
	for (size_t i = 0; kv != NULL && i < n; i++)
		free((char *)kv[i].key);
	free(kv);
}

/* The process's environment: [supervisord] environment=, then environment_file, then the
 * program's environment= (the last one wins). */
static int conf_proc_env(struct conf_pctx *P, struct conf_proc *cp, struct expand_table *t, char ***own)
{
	struct conf_ld *L = P->L;

	*own = calloc(1, sizeof(char *));
	cp->environment = calloc(1, sizeof(char *));
	if (cp->environment == NULL || *own == NULL)
		return conf_fail(L, P->s->file, P->s->line, "out of memory");
	for (char **e = L->c->environment; e != NULL && *e != NULL; e++) {
		char *eq = strchr(*e, '=');
		if (conf_env_set(&cp->environment, *e, (size_t)(eq - *e), eq + 1) != 0)
			return conf_fail(L, P->s->file, P->s->line, "out of memory");
	}
	for (char **e = P->x->env_file_vars; e != NULL && *e != NULL; e++) {
		char *eq = strchr(*e, '=');
		if (conf_env_set(&cp->environment, *e, (size_t)(eq - *e), eq + 1) != 0)
			return conf_fail(L, P->s->file, P->s->line, "out of memory");
	}
	if (P->x->environment != NULL) {
		char *env, why[256];
		if (conf_proc_expand(P, "environment", P->x->environment, t, &env) != 0)
			return -1;
		int rc = conf_env_parse(env, own, why, sizeof(why));
		free(env);
		if (rc != 0)
			return conf_fail(L, P->x->environment_file, P->x->environment_line, "environment: %s",
					 why);
		for (char **e = *own; *e != NULL; e++) {
			char *eq = strchr(*e, '=');
			if (conf_env_set(&cp->environment, *e, (size_t)(eq - *e), eq + 1) != 0)
				return conf_fail(L, P->s->file, P->s->line, "out of memory");
		}
	}
	return 0;
}

/* One process: its environment first, then the options that see it as %(ENV_X)s. */
static int conf_proc_build(struct conf_pctx *P, struct conf_proc *cp, int i, struct expand_table *t)
{
	struct conf_program *p = P->p;
	struct conf_ld *L = P->L;
	char **own = NULL;
	size_t nenv = 0;
	int rc = -1;

	if (conf_proc_env(P, cp, t, &own) != 0) {
		conf_strv_free(own);
		return -1;
	}
	struct expand_kv *envkv = conf_env_names(own, &nenv);
	struct expand_table et = {envkv, nenv, t};
	if (envkv == NULL) {
		conf_strv_free(own);
		return conf_fail(L, P->s->file, P->s->line, "out of memory");
	}
	if (conf_proc_expand(P, "process_name", p->process_name, &et, &cp->name) != 0 ||
	    conf_proc_expand(P, "command", p->command, &et, &cp->command) != 0 ||
	    conf_logfile(P, "stdout_logfile", P->x->stdout_logfile, &et, &cp->stdout_logfile) != 0 ||
	    conf_logfile(P, "stderr_logfile", P->x->stderr_logfile, &et, &cp->stderr_logfile) != 0)
		goto out;
	if (P->x->directory != NULL) {
		char *dir;
		if (conf_proc_expand(P, "directory", P->x->directory, &et, &dir) != 0)
			goto out;
		if (i == 0) {
			free(p->directory);
			p->directory = dir[0] != '\0' ? dir : NULL;
			if (dir[0] == '\0')
				free(dir);
		} else {
			bool same = strcmp(dir, p->directory != NULL ? p->directory : "") == 0;
			free(dir);
			if (!same) {
				const struct conf_kv *dk = conf_sec_get(P->s, "directory");
				conf_fail(L, dk->file, dk->line,
					  "directory: differs between the processes of [%s]: one directory "
					  "per program is supported",
					  P->s->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	conf_env_names_free(envkv, nenv);
	conf_strv_free(own);
	return rc;
}

static int conf_procs_build(struct conf_pctx *P, struct expand_table *base)
{
	struct conf_program *p = P->p;
	struct conf_ld *L = P->L;

	p->procs = calloc((size_t)p->numprocs, sizeof(*p->procs));
	if (p->procs == NULL)
		return conf_fail(L, P->s->file, P->s->line, "out of memory");
	for (int i = 0; i < p->numprocs; i++) {
		struct conf_proc *cp = &p->procs[i];
		char num[16];
		p->nprocs++;
		cp->process_num = p->numprocs_start + i;
		snprintf(num, sizeof(num), "%d", cp->process_num);
		struct expand_kv kv[] = {{"process_num", num}};
		struct expand_table t = {kv, 1, base};

		if (conf_proc_build(P, cp, i, &t) != 0)
			return -1;
		if (cp->name[0] == '\0' || strpbrk(cp->name, ":/ \t") != NULL) {
			const struct conf_kv *pk = conf_sec_get(P->s, "process_name");
			return conf_fail(L, pk != NULL ? pk->file : P->s->file,
					 pk != NULL ? pk->line : P->s->line,
					 "process_name: bad process name \"%s\"", cp->name);
		}
		for (int j = 0; j < i; j++)
			if (strcmp(p->procs[j].name, cp->name) == 0)
				return conf_fail(L, P->s->file, P->s->line,
						 "process_name: \"%s\" is the name of two processes",
						 cp->name);
		cp->fingerprint = conf_fingerprint(p, cp);
		if (cp->fingerprint == NULL)
			return conf_fail(L, P->s->file, P->s->line, "out of memory");
	}
	return 0;
}

void conf_program_defaults(struct conf_program *p)
{
	p->numprocs = 1;
	p->priority = 999;
	p->autostart = true;
	p->startsecs = 1;
	p->startretries = 3;
	p->start_limit_burst = CONF_START_LIMIT_BURST;
	p->start_limit_interval = CONF_START_LIMIT_INTERVAL;
	p->autorestart = AUTORESTART_UNEXPECTED;
	p->stopsignal = SIGTERM;
	p->stopwaitsecs = 10;
	p->drain_timeout = -1;
	p->umask = -1;
	p->stdout_logfile_maxbytes = p->stderr_logfile_maxbytes = 50LL * 1024 * 1024;
	p->stdout_logfile_backups = p->stderr_logfile_backups = 10;
	p->oom_score_adj = CONF_NO_VALUE;
}

static int conf_program_load(struct conf_ld *L, const struct conf_sec *s, struct conf_program *p,
			     struct conf_progx *x)
{
	struct conf_pctx P = {L, s, p, x};
	const char *name = strchr(s->name, ':') + 1; /* program:, fcgi-program:, eventlistener: */
	bool fcgi = strncmp(s->name, "fcgi-program:", 13) == 0;

	x->sec = s;
	p->listener = strncmp(s->name, CONF_LISTENER_PREFIX, strlen(CONF_LISTENER_PREFIX)) == 0;
	p->name = strdup(name);
	p->where.file = strdup(s->file);
	p->where.line = s->line;
	const char *g = p->listener ? NULL : conf_group_of(L, name); /* a pool is its own group */
	p->group = strdup(g != NULL ? g : name);
	p->process_name = strdup("%(program_name)s");
	p->exitcodes = calloc(1, sizeof(int));
	p->depends_on = calloc(1, sizeof(char *));
	if (p->name == NULL || p->where.file == NULL || p->group == NULL || p->process_name == NULL ||
	    p->exitcodes == NULL || p->depends_on == NULL)
		return conf_fail(L, s->file, s->line, "out of memory");
	if (name[0] == '\0' || strpbrk(name, ": \t/") != NULL)
		return conf_fail(L, s->file, s->line, "[%s]: bad program name", s->name);
	p->nexitcodes = 1;
	conf_program_defaults(p);
	if (p->listener)
		p->buffer_size = CONF_LISTENER_BUFFER_SIZE;

	struct expand_kv kv[] = {{"program_name", p->name}, {"group_name", p->group}, {"numprocs", "1"}};
	struct expand_table base = {kv, 2, NULL};

	/* numprocs first: the others may say %(numprocs)d */
	const struct conf_kv *nk = conf_sec_get(s, "numprocs");
	char nbuf[16];
	if (nk != NULL) {
		char *v;
		if (conf_expand_kv(L, s, nk, &base, &v) != 0)
			return -1;
		int rc = conf_opt_int(L, s, nk, v, 1, 10000, &p->numprocs);
		free(v);
		if (rc != 0)
			return -1;
	}
	snprintf(nbuf, sizeof(nbuf), "%d", p->numprocs);
	kv[2].value = nbuf;
	base.n = 3;

	int has_kill = 0;
	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *k = &s->kv[i];
		const struct conf_popt *o = conf_popt_find(k->key);
		char *v;
		int rc = 0;

		if (fcgi && conf_fcgi_key(k->key))
			continue; /* conf_fcgi_load's */
		if (o == NULL) {
			if (conf_unknown(L, s, k) != 0)
				return conf_fail(L, k->file, k->line, "out of memory");
			continue;
		}
		if (o->kind == PK_RAW) {
			if (o->fn(&P, k, k->value) != 0)
				return -1;
			continue;
		}
		if (conf_expand_kv(L, s, k, &base, &v) != 0)
			return -1;
		char *field = (char *)p + o->off;
		switch (o->kind) {
		case PK_INT:
			rc = conf_opt_int(L, s, k, v, o->min, o->max, (int *)(void *)field);
			break;
		case PK_BOOL:
			rc = conf_opt_bool(L, s, k, v, (bool *)(void *)field);
			break;
		case PK_DUR: {
			long long d;
			rc = conf_opt_dur(L, s, k, v, &d);
			if (rc == 0 && d > o->max)
				rc = conf_fail(L, k->file, k->line, "%s: duration too large: \"%s\"", k->key,
					       v);
			if (rc == 0)
				*(int *)(void *)field = (int)d;
			break;
		}
		case PK_SIZE:
			rc = conf_opt_size(L, s, k, v, (long long *)(void *)field);
			break;
		case PK_STR:
			if (v[0] == '\0') { /* "user =" means the default */
				free(*(char **)(void *)field);
				*(char **)(void *)field = NULL;
			} else if (conf_opt_str(L, (char **)(void *)field, v) != 0) {
				rc = conf_fail(L, k->file, k->line, "out of memory");
			}
			break;
		default:
			rc = o->fn(&P, k, v);
			break;
		}
		if (strcmp(k->key, "killasgroup") == 0)
			has_kill = 1;
		free(v);
		if (rc != 0)
			return -1;
	}
	/* An empty command= is accepted, as by supervisord: starting it fails ("command is empty"). */
	if (p->command == NULL)
		return conf_fail(L, s->file, s->line, "[%s]: command is required", s->name);
	if (p->listener && conf_listener_check(&P) != 0)
		return -1;
	if (p->stopasgroup && !p->killasgroup) {
		if (has_kill)
			conf_warn(L, s->file, conf_sec_get(s, "killasgroup")->line,
				  "[%s] killasgroup=false with stopasgroup=true: killasgroup is implied",
				  s->name);
		p->killasgroup = true;
	}
	if (p->numprocs > 1 && strstr(p->process_name, "%(process_num)") == NULL) {
		const struct conf_kv *pk = conf_sec_get(s, "process_name");
		return conf_fail(
		    L, pk != NULL ? pk->file : s->file, pk != NULL ? pk->line : s->line,
		    "[%s]: %%(process_num) must be present within process_name when numprocs > 1", s->name);
	}
	if (fcgi && conf_fcgi_load(L, s, p) != 0)
		return -1;
	return conf_procs_build(&P, &base);
}

int conf_programs_load(struct conf_ld *L)
{
	struct conf *c = L->c;
	size_t n = 0;

	for (size_t i = 0; i < L->nsecs; i++)
		if (strncmp(L->secs[i].name, "program:", 8) == 0 ||
		    strncmp(L->secs[i].name, "fcgi-program:", 13) == 0 ||
		    strncmp(L->secs[i].name, CONF_LISTENER_PREFIX, strlen(CONF_LISTENER_PREFIX)) == 0)
			n++;
	if (n == 0)
		return 0;
	c->programs = calloc(n, sizeof(*c->programs));
	L->px = calloc(n, sizeof(*L->px));
	if (c->programs == NULL || L->px == NULL)
		return conf_fail(L, L->secs[0].file, 0, "out of memory");
	/* programs and fcgi-programs first (in file order), then [eventlistener:x] pools (checked
	 * against every program's name) */
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < L->nsecs; i++) {
			const struct conf_sec *s = &L->secs[i];
			bool prog = strncmp(s->name, "program:", 8) == 0 ||
				    strncmp(s->name, "fcgi-program:", 13) == 0;
			bool lis = strncmp(s->name, CONF_LISTENER_PREFIX, strlen(CONF_LISTENER_PREFIX)) == 0;
			if (k == 0 ? !prog : !lis)
				continue;
			c->nprograms++;
			if (conf_program_load(L, s, &c->programs[c->nprograms - 1],
					      &L->px[c->nprograms - 1]) != 0)
				return -1;
		}
	}
	return 0;
}

/* ---- checks across programs ---- */

static int conf_prog_index(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nprograms; i++)
		if (strcmp(c->programs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Depth-first walk of depends_on; state 0 new, 1 on the path, 2 done. */
static int conf_dep_walk(struct conf_ld *L, int i, int *state, int *path, int depth)
{
	struct conf *c = L->c;

	state[i] = 1;
	path[depth] = i;
	for (char **d = c->programs[i].depends_on; *d != NULL; d++) {
		int j = conf_prog_index(c, *d);
		if (state[j] == 2)
			continue;
		if (state[j] == 1) {
			/* Name the cycle from its member written first, at its depends_on line. */
			int k = depth, first;
			while (path[k] != j)
				k--;
			int len = depth - k + 1, start = 0;
			for (int m = 1; m < len; m++)
				if (path[k + m] < path[k + start])
					start = m;
			first = path[k + start];
			char chain[1024] = "";
			for (int m = 0; m <= len; m++)
				snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s%s",
					 m ? " -> " : "", c->programs[path[k + (start + m) % len]].name);
			return conf_fail(L,
					 L->px[first].depends_line ? L->px[first].depends_file
								   : c->programs[first].where.file,
					 L->px[first].depends_line ? L->px[first].depends_line
								   : c->programs[first].where.line,
					 "depends_on cycle: %s", chain);
		}
		if (conf_dep_walk(L, j, state, path, depth + 1) != 0)
			return -1;
	}
	state[i] = 2;
	return 0;
}

int conf_programs_check(struct conf_ld *L)
{
	struct conf *c = L->c;

	for (size_t i = 0; i < c->nprograms; i++) {
		struct conf_program *p = &c->programs[i];
		for (char **d = p->depends_on; *d != NULL; d++) {
			if (conf_prog_index(c, *d) < 0)
				return conf_fail(L, L->px[i].depends_file, L->px[i].depends_line,
						 "depends_on: no such program: %s", *d);
			if (strcmp(*d, p->name) == 0)
				return conf_fail(L, L->px[i].depends_file, L->px[i].depends_line,
						 "depends_on cycle: %s -> %s", p->name, p->name);
		}
		/* Process names must be unique within a group (they are "group:name"). */
		for (size_t j = 0; j < i; j++) {
			struct conf_program *q = &c->programs[j];
			if (strcmp(q->group, p->group) != 0)
				continue;
			for (size_t a = 0; a < p->nprocs; a++)
				for (size_t b = 0; b < q->nprocs; b++)
					if (strcmp(p->procs[a].name, q->procs[b].name) == 0)
						return conf_fail(
						    L, p->where.file, p->where.line,
						    "[program:%s]: process name \"%s\" is also used by "
						    "[program:%s] in group %s",
						    p->name, p->procs[a].name, q->name, p->group);
		}
	}
	if (c->nprograms == 0)
		return 0;
	int *state = calloc(c->nprograms, sizeof(int));
	int *path = calloc(c->nprograms + 1, sizeof(int));
	int rc = 0;
	if (state == NULL || path == NULL)
		rc = conf_fail(L, c->path, 0, "out of memory");
	for (size_t i = 0; rc == 0 && i < c->nprograms; i++)
		if (state[i] == 0)
			rc = conf_dep_walk(L, (int)i, state, path, 0);
	free(state);
	free(path);
	return rc;
}
