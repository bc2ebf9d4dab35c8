/*
 * conf_task.c — [task:LABEL] task types and [recurring:NAME] logics, as fixed
 * by DESIGN.md "Task type syntax". Templates (name, step.X, lock, link) are
 * checked here and only %(here)s, %(host_node_name)s and %(ENV_X)s are expanded
 * (a '%' they bring in is doubled); %(input.repo)s, %(triggered_by)s and %% are
 * left as written for the engine, which expands them when a task is submitted.
 * A step command is then split and checked (lib/argv.c): a substitution where a
 * shell or interpreter would read it as code is refused here, with file:line.
 * Part of the loader: see conf_int.h.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf_int.h"
#include "cron.h"
#include "units.h"
#include "when.h"

void conf_task_free(struct conf_task *t)
{
	free(t->label);
	free(t->where.file);
	free(t->name_template);
	free(t->queue);
	for (size_t i = 0; i < t->nsteps; i++) {
		free(t->steps[i].name);
		free(t->steps[i].command);
		argv_free(&t->steps[i].argv);
		free(t->steps[i].handler);
	}
	free(t->steps);
	conf_strv_free(t->locks);
	conf_strv_free(t->links);
}

void conf_recurring_free(struct conf_recurring *r)
{
	free(r->name);
	free(r->where.file);
	free(r->label);
	free(r->cron);
	free(r->input);
}

/* Is name resolved at load time (%(here)s, %(host_node_name)s, %(ENV_X)s)? */
static int conf_template_static(const char *name, size_t n)
{
	return (n == 4 && strncmp(name, "here", 4) == 0) ||
	       (n == 14 && strncmp(name, "host_node_name", 14) == 0) ||
	       (n > 4 && strncmp(name, "ENV_", 4) == 0);
}

/* Check a template's syntax and expand what is known now (here, host_node_name, ENV_X);
 * the rest (%(input.x)s, %(triggered_by)s, %%) is left for the engine, as written. */
static int conf_template(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, char **out)
{
	char why[256];
	const char *v = kv->value;
	size_t cap = strlen(v) + 1, len = 0;
	char *res;

	(void)s; /* kv says where it was set */
	*out = NULL;
	if (expand_check(v, why, sizeof(why)) != 0)
		return conf_fail(L, kv->file, kv->line, "%s: %s", kv->key, why);
	if ((res = malloc(cap)) == NULL)
		return conf_fail(L, kv->file, kv->line, "out of memory");
	while (*v != '\0') {
		const char *seg = v;
		size_t seglen = 1;
		char *rep = NULL;
		if (v[0] == '%' && v[1] == '%') {
			seglen = 2;
		} else if (v[0] == '%' && v[1] == '(') {
			const char *close = strchr(v, ')');
			const char *conv = close + 1 + strspn(close + 1, "-+ 0#0123456789.");
			seglen = (size_t)(conv - v) + 1;
			if (conf_template_static(v + 2, (size_t)(close - v - 2))) {
				struct conf_expand e = {L, kv->here, NULL};
				char *piece = strndup(v, seglen);
				int rc = piece != NULL
					     ? expand(piece, conf_expand_lookup, &e, &rep, why, sizeof(why))
					     : -1;
				free(piece);
				if (rc != 0) {
					free(res);
					return conf_fail(L, kv->file, kv->line, "%s: %s", kv->key, why);
				}
				/* a literal '%' from the environment must survive the engine's expansion */
				size_t pct = 0;
				for (const char *q = rep; *q != '\0'; q++)
					pct += *q == '%';
				char *esc = malloc(strlen(rep) + pct + 1), *w = esc;
				if (esc == NULL) {
					free(rep);
					free(res);
					return conf_fail(L, kv->file, kv->line, "out of memory");
				}
				for (const char *q = rep; *q != '\0'; q++) {
					if (*q == '%')
						*w++ = '%';
					*w++ = *q;
				}
				*w = '\0';
				free(rep);
				rep = esc;
			}
		}
		const char *add = rep != NULL ? rep : seg;
		size_t addlen = rep != NULL ? strlen(rep) : seglen;
		if (len + addlen + 1 > cap) {
			cap = (len + addlen + 1) * 2;
			char *nr = realloc(res, cap);
			if (nr == NULL) {
				free(rep);
				free(res);
				return conf_fail(L, kv->file, kv->line, "out of memory");
			}
			res = nr;
		}
		memcpy(res + len, add, addlen);
		len += addlen;
		free(rep);
		v += seglen;
	}
	res[len] = '\0';
	*out = res;
	return 0;
}

static int conf_task_steps(struct conf_ld *L, const struct conf_sec *s, struct conf_task *t)
{
	const struct conf_kv *sk = conf_sec_get(s, "steps");
	char **names;
	size_t n;

	if (sk == NULL)
		return conf_fail(L, s->file, s->line, "[%s]: steps is required", s->name);
	if (conf_split_list(sk->value, &names, &n) != 0)
		return conf_fail(L, sk->file, sk->line, "out of memory");
	if (n == 0) {
		conf_strv_free(names);
		return conf_fail(L, sk->file, sk->line, "steps: empty list");
	}
	t->steps = calloc(n, sizeof(*t->steps));
	if (t->steps == NULL) {
		conf_strv_free(names);
		return conf_fail(L, sk->file, sk->line, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct conf_step *st = &t->steps[t->nsteps++];
		st->name = strdup(names[i]);
		if (st->name == NULL) {
			conf_strv_free(names);
			return conf_fail(L, sk->file, sk->line, "out of memory");
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->steps[j].name, st->name) == 0) {
				conf_strv_free(names);
				return conf_fail(L, sk->file, sk->line, "steps: step %s is named twice",
						 st->name);
			}
		char key[256];
		snprintf(key, sizeof(key), "step.%s", st->name);
		const struct conf_kv *k = conf_sec_get(s, key);
		if (k == NULL) {
			conf_strv_free(names);
			return conf_fail(L, sk->file, sk->line, "steps: step %s has no %s entry", st->name,
					 key);
		}
		if (k->value[0] == '\0') {
			conf_strv_free(names);
			return conf_fail(L, k->file, k->line, "%s: empty command", key);
		}
		if (strncmp(k->value, "handler:", 8) == 0) {
			const char *h = k->value + 8;
			while (*h == ' ' || *h == '\t')
				h++;
			if (*h == '\0') {
				conf_strv_free(names);
				return conf_fail(L, k->file, k->line, "%s: handler name missing", key);
			}
			st->handler = strdup(h);
		} else {
			char why[512];
			if (conf_template(L, s, k, &st->command) != 0) {
				conf_strv_free(names);
				return -1;
			}
			if (argv_parse(st->command, &st->argv, why, sizeof(why)) != 0) {
				conf_strv_free(names);
				return conf_fail(L, k->file, k->line, "%s: %s", key, why);
			}
		}
		if (st->handler == NULL && st->command == NULL) {
			conf_strv_free(names);
			return conf_fail(L, k->file, k->line, "out of memory");
		}
	}
	conf_strv_free(names);
	return 0;
}

static int conf_task_load(struct conf_ld *L, const struct conf_sec *s, struct conf_task *t)
{
	t->label = strdup(s->name + 5);
	t->where.file = strdup(s->file);
	t->where.line = s->line;
	t->name_template = strdup(s->name + 5);
	t->queue = strdup("default");
	t->locks = calloc(1, sizeof(char *));
	t->links = calloc(1, sizeof(char *));
	if (t->label == NULL || t->where.file == NULL || t->name_template == NULL || t->queue == NULL ||
	    t->locks == NULL || t->links == NULL)
		return conf_fail(L, s->file, s->line, "out of memory");
	if (t->label[0] == '\0' || strpbrk(t->label, " \t") != NULL)
		return conf_fail(L, s->file, s->line, "[%s]: bad task label", s->name);
	if (conf_task_steps(L, s, t) != 0)
		return -1;

	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const char *k = kv->key, *v = kv->value;
		int rc = 0;

		if (strcmp(k, "lock") == 0 || strcmp(k, "link") == 0) {
			char *tv;
			if (v[0] == '\0')
				return conf_fail(L, kv->file, kv->line, "%s: empty", k);
			if (conf_template(L, s, kv, &tv) != 0)
				return -1;
			if (conf_strv_push(k[1] == 'o' ? &t->locks : &t->links, NULL, tv) != 0)
				return conf_fail(L, kv->file, kv->line, "out of memory");
			continue;
		}
		if (strcmp(k, "name") == 0) {
			char *tv;
			rc = conf_template(L, s, kv, &tv);
			if (rc == 0) {
				free(t->name_template);
				t->name_template = tv;
			}
		} else if (strcmp(k, "queue") == 0) {
			if (v[0] == '\0' || strpbrk(v, " \t,") != NULL)
				rc = conf_fail(L, kv->file, kv->line, "queue: bad queue name: \"%s\"", v);
			else if (conf_opt_str(L, &t->queue, v) != 0)
				rc = conf_fail(L, kv->file, kv->line, "out of memory");
		} else if (strcmp(k, "steps") == 0 || strncmp(k, "step.", 5) == 0) {
			if (k[4] == '.') {
				size_t j;
				for (j = 0; j < t->nsteps && strcmp(t->steps[j].name, k + 5) != 0; j++)
					;
				if (j == t->nsteps)
					rc = conf_fail(L, kv->file, kv->line,
						       "%s: step %s is not listed in steps", k, k + 5);
			}
		} else if (strcmp(k, "on_error") == 0) {
			if (strcasecmp(v, "pause") == 0)
				t->on_error = ON_ERROR_PAUSE;
			else if (strcasecmp(v, "stop") == 0)
				t->on_error = ON_ERROR_STOP;
			else if (strcasecmp(v, "skip") == 0)
				t->on_error = ON_ERROR_SKIP;
			else
				rc = conf_fail(L, kv->file, kv->line,
					       "on_error: expected pause, stop or skip: \"%s\"", v);
		} else if (strcmp(k, "cancellable") == 0) {
			rc = conf_opt_bool(L, s, kv, v, &t->cancellable);
		} else if (strcmp(k, "retry_on_worker_loss") == 0) {
			rc = conf_opt_int(L, s, kv, v, 0, 1000, &t->retry_on_worker_loss);
		} else if (strcmp(k, "timeout") == 0) {
			rc = conf_opt_dur(L, s, kv, v, &t->timeout);
		} else if (strcmp(k, "cleanup_after") == 0) {
			rc = conf_opt_dur(L, s, kv, v, &t->cleanup_after);
		} else {
			rc = conf_unknown(L, s, kv);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The shared time grammar (lib/when.h), relative forms from the time of loading; epoch seconds. */
static int conf_parse_until(const char *v, long long *out)
{
	struct timespec ts;
	struct when w;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (when_parse(v, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 0, &w) < 0)
		return -1;
	*out = (long long)(w.start_ms / 1000);
	return 0;
}

static int conf_recurring_load(struct conf_ld *L, const struct conf_sec *s, struct conf_recurring *r)
{
	r->name = strdup(s->name + 10);
	r->where.file = strdup(s->file);
	r->where.line = s->line;
	r->input = strdup("{}");
	if (r->name == NULL || r->where.file == NULL || r->input == NULL)
		return conf_fail(L, s->file, s->line, "out of memory");

	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const char *k = kv->key, *v = kv->value;
		char why[256];
		int rc = 0;

		if (strcmp(k, "label") == 0) {
			if (conf_task_find(L->c, v) == NULL)
				rc = conf_fail(L, kv->file, kv->line, "label: no such task type: [task:%s]",
					       v);
			else if (conf_opt_str(L, &r->label, v) != 0)
				rc = conf_fail(L, kv->file, kv->line, "out of memory");
		} else if (strcmp(k, "cron") == 0) {
			struct cron cr;
			if (cron_parse(v, &cr, why, sizeof(why)) != 0)
				rc = conf_fail(L, kv->file, kv->line, "cron: %s", why);
			else if (conf_opt_str(L, &r->cron, v) != 0)
				rc = conf_fail(L, kv->file, kv->line, "out of memory");
		} else if (strcmp(k, "input") == 0) {
			json_error_t je;
			json_t *j = json_loads(v, JSON_DECODE_ANY, &je);
			if (j == NULL)
				rc = conf_fail(L, kv->file, kv->line, "input: not JSON: %s", je.text);
			else if (!json_is_object(j))
				rc = conf_fail(L, kv->file, kv->line, "input: not a JSON object: %s", v);
			else if (conf_opt_str(L, &r->input, v) != 0)
				rc = conf_fail(L, kv->file, kv->line, "out of memory");
			json_decref(j);
		} else if (strcmp(k, "iterations") == 0) {
			rc = conf_opt_int(L, s, kv, v, 0, INT_MAX, &r->iterations);
		} else if (strcmp(k, "until") == 0) {
			if (conf_parse_until(v, &r->until) != 0)
				rc = conf_fail(L, kv->file, kv->line,
					       "until: not a time (" WHEN_FORMS "): \"%s\"", v);
		} else {
			rc = conf_unknown(L, s, kv);
		}
		if (rc != 0)
			return -1;
	}
	if (r->label == NULL)
		return conf_fail(L, s->file, s->line, "[%s]: label is required", s->name);
	if (r->cron == NULL)
		return conf_fail(L, s->file, s->line, "[%s]: cron is required", s->name);
	return 0;
}

int conf_tasks_load(struct conf_ld *L)
{
	struct conf *c = L->c;
	size_t nt = 0, nr = 0;

	for (size_t i = 0; i < L->nsecs; i++) {
		nt += strncmp(L->secs[i].name, "task:", 5) == 0;
		nr += strncmp(L->secs[i].name, "recurring:", 10) == 0;
	}
	if (nt > 0 && (c->tasks = calloc(nt, sizeof(*c->tasks))) == NULL)
		return conf_fail(L, c->path, 0, "out of memory");
	if (nr > 0 && (c->recurring = calloc(nr, sizeof(*c->recurring))) == NULL)
		return conf_fail(L, c->path, 0, "out of memory");
	for (size_t i = 0; i < L->nsecs; i++) {
		const struct conf_sec *s = &L->secs[i];
		if (strncmp(s->name, "task:", 5) != 0)
			continue;
		if (conf_task_load(L, s, &c->tasks[c->ntasks++]) != 0)
			return -1;
	}
	for (size_t i = 0; i < L->nsecs; i++) {
		const struct conf_sec *s = &L->secs[i];
		if (strncmp(s->name, "recurring:", 10) != 0)
			continue;
		if (conf_recurring_load(L, s, &c->recurring[c->nrecurring++]) != 0)
			return -1;
	}
	return 0;
}
