/*
 * engine_plan.c — planning a task (MSG_TASK_SUBMIT, MSG_WORKER_SPAWN): check
 * the request against its [task:LABEL] type, expand the name, step commands
 * and lock templates over the input, take the locks (all or none) and write
 * the task and its steps in the open group transaction, all or nothing (a
 * savepoint when the task takes locks, else the task row is deleted on a
 * failure). It never sends anything: replies wait for the commit (engine.c).
 *
 * A step's command is planned as an argv (lib/argv.h, split at config load):
 * each word expanded into exactly one element, never quoted, re-split or
 * globbed; a shell template (no substitution, by construction) becomes
 * /bin/sh -c TEMPLATE. An input value is data, never code (DESIGN.md promise 2).
 * A value that would start an element with '-' outside "--" is refused here,
 * as is a step whose argv or STEP message could not be handed out.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/random.h>
#include <uuid/uuid.h>

#include "engine_int.h"
#include "expand.h"
#include "log.h"
#include "xmalloc.h"
#include "when.h"

#define PLAN_MAX_LOCKS 64

/* ---- ids ---- */

/*
 * A time-ordered (version 7, RFC 9562) uuid: 48 bits of Unix milliseconds,
 * a 12-bit sequence that keeps ids made in the same millisecond in order,
 * then 62 random bits. Ordered ids land at the end of the tasks' id index
 * instead of on a random page of it: with a million tasks a random (v4) id
 * cost a page read and a page write per insert. The random bits come from a
 * pool refilled from getrandom() 4 KB at a time (libuuid asks the kernel on
 * every call); when the kernel has nothing to give, libuuid's random id is
 * used as it is.
 */
void engine_new_id(struct engine *e, char out[Q_ID_LEN])
{
	struct timespec ts;
	uuid_t u;
	uint64_t ms;

	if (e->rand_used == 0 || e->rand_used + 8 > sizeof(e->rand_pool)) {
		if (getrandom(e->rand_pool, sizeof(e->rand_pool), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(e->rand_pool)) {
			uuid_generate_random(u);
			uuid_unparse_lower(u, out);
			return;
		}
		e->rand_used = 1; /* 0 means "never filled" */
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (ms <= e->id_last_ms) { /* same millisecond, or the clock went back */
		ms = e->id_last_ms;
		if (++e->id_seq > 0xfff) {
			ms++;
			e->id_seq = 0;
		}
	} else {
		e->id_seq = 0;
	}
	e->id_last_ms = ms;
	for (int i = 0; i < 6; i++)
		u[i] = (unsigned char)(ms >> (40 - 8 * i));
	u[6] = (unsigned char)(0x70 | (e->id_seq >> 8)); /* version 7 */
	u[7] = (unsigned char)(e->id_seq & 0xff);
	memcpy(u + 8, e->rand_pool + e->rand_used, 8);
	memset(e->rand_pool + e->rand_used, 0, 8); /* consumed bytes are never reused */
	e->rand_used += 8;
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	uuid_unparse_lower(u, out);
}

/* ---- time values ---- */

/* The latest time a request may name: 9999-12-31T23:59:59Z. Beyond it seconds * 1000 would
 * leave int64_t (undefined behaviour; found by tests/fuzz/fuzz_time.c). */
#define PLAN_MAX_SEC ((double)WHEN_MAX_MS / 1000.0)

/* Text: the shared grammar (lib/when.h); a day or a minute means its start. */
static int plan_parse_text_time(const char *s, int64_t now, int64_t *ms)
{
	struct when w;

	if (when_parse(s, now, 0, &w) < 0)
		return -1;
	*ms = w.start_ms;
	return 0;
}

int engine_parse_time(json_t *v, int64_t now, int64_t *ms)
{
	*ms = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		double sec = json_number_value(v);

		if (!(sec > 0 && sec <= PLAN_MAX_SEC))
			return -1;
		*ms = (int64_t)(sec * 1000.0);
		return 0;
	}
	if (json_is_string(v))
		return plan_parse_text_time(json_string_value(v), now, ms);
	return -1;
}

/* ---- templates ---- */

struct plan_lookup {
	json_t *input;
	const char *label, *user;
	char *missing; /* the first name not found */
	char **scratch;
	size_t nscratch, cscratch;
};

static const char *plan_keep(struct plan_lookup *x, char *s)
{
	if (s == NULL)
		return NULL;
	if (x->nscratch == x->cscratch) {
		size_t n = x->cscratch != 0 ? x->cscratch * 2 : 8;
		char **ns = xreallocarray(x->scratch, n, sizeof(*ns));

		x->scratch = ns;
		x->cscratch = n;
	}
	x->scratch[x->nscratch++] = s;
	return s;
}

static char *plan_value_text(json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return xstrdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return xstrdup(buf);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("");
	default:
		return json_dumps(v, JSON_COMPACT);
	}
}

static const char *plan_lookup_fn(void *arg, const char *name)
{
	struct plan_lookup *x = arg;
	char *text = NULL;

	if (strncmp(name, "input.", 6) == 0) {
		char path[256], *tok, *save = NULL;
		json_t *v = x->input;

		snprintf(path, sizeof(path), "%s", name + 6);
		for (tok = strtok_r(path, ".", &save); tok != NULL && v != NULL;
		     tok = strtok_r(NULL, ".", &save))
			v = json_is_object(v) ? json_object_get(v, tok) : NULL;
		if (v != NULL)
			text = plan_value_text(v);
	} else if (strcmp(name, "triggered_by") == 0 || strcmp(name, "user") == 0) {
		text = xstrdup(x->user != NULL ? x->user : "");
	} else if (strcmp(name, "label") == 0) {
		text = xstrdup(x->label);
	}
	if (text == NULL) {
		if (x->missing == NULL)
			x->missing = xstrdup(name);
		return NULL;
	}
	return plan_keep(x, text);
}

static void plan_lookup_free(struct plan_lookup *x)
{
	for (size_t i = 0; i < x->nscratch; i++)
		free(x->scratch[i]);
	free(x->scratch);
	free(x->missing);
}

/* Expand tmpl; on failure "WHAT: input has no key 'k'" (or expand's reason) in err. */
static char *plan_expand(struct plan_lookup *x, const char *tmpl, const char *what, char *err, size_t errlen)
{
	char *out = NULL, why[256];

	free(x->missing);
	x->missing = NULL;
	if (expand(tmpl, plan_lookup_fn, x, &out, why, sizeof(why)) < 0) {
		if (x->missing != NULL && strncmp(x->missing, "input.", 6) == 0)
			snprintf(err, errlen, "%s: input has no key '%s'", what, x->missing + 6);
		else
			snprintf(err, errlen, "%s: %s", what, why);
		return NULL;
	}
	return out;
}

/* ---- step commands ---- */

/* The kernel's limit on one argv string (MAX_ARG_STRLEN), and ours on a step's whole argv. */
#define PLAN_ARG_MAX (128 * 1024)
#define PLAN_ARGS_MAX (1024 * 1024)

/* s's length as a JSON string (the STEP writer's escapes). */
static size_t plan_json_len(const char *s)
{
	size_t n = 2;

	for (; *s != '\0'; s++)
		n += (unsigned char)*s < 0x20 ? 6 : (*s == '"' || *s == '\\') ? 2 : 1;
	return n;
}

/* A word's first substitution, for messages: "input value 'k'" or "%(name)s". */
static void plan_word_sub(const char *text, char *out, size_t outlen)
{
	const char *p = text;

	while ((p = strstr(p, "%(")) != NULL && p > text && p[-1] == '%')
		p += 2;
	if (p == NULL) {
		snprintf(out, outlen, "a value");
		return;
	}
	p += 2;
	if (strncmp(p, "input.", 6) == 0)
		snprintf(out, outlen, "input value '%.*s'", (int)strcspn(p + 6, ")"), p + 6);
	else
		snprintf(out, outlen, "%%(%.*s)s", (int)strcspn(p, ")"), p);
}

/*
 * Expand step st's command over the input: *argvj the argv as JSON text, *command the
 * display text. Refused: a value that would start an element with '-' (an option) where
 * the template did not say so, an argv the kernel would not take.
 */
static int plan_step(struct plan_lookup *x, const struct conf_step *st, char **command, char **argvj,
		     char *err, size_t errlen)
{
	const struct argv_tmpl *t = &st->argv;
	char what[160], **v = NULL;
	size_t n = t->shell ? 3 : t->n, total = 0;
	json_t *a = json_array();
	int rc = -1;

	*command = *argvj = NULL;
	snprintf(what, sizeof(what), "step %s", st->name);
	if (a == NULL || (v = calloc(n + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (t->shell) { /* no substitution (refused at load): this only turns %% into % */
		v[0] = xstrdup("/bin/sh");
		v[1] = xstrdup("-c");
		if ((v[2] = plan_expand(x, st->command, what, err, errlen)) == NULL)
			goto out;
	}
	for (size_t i = 0; !t->shell && i < n; i++) {
		if ((v[i] = plan_expand(x, t->w[i].text, what, err, errlen)) == NULL)
			goto out;
		if ((t->w[i].flags & (ARGV_LEAD | ARGV_DATA)) == ARGV_LEAD && v[i][0] == '-') {
			char sub[160];

			plan_word_sub(t->w[i].text, sub, sizeof(sub));
			snprintf(
			    err, errlen,
			    "%s: %s (\"%.32s\") begins with '-' and %s would take it for an option; the "
			    "template must put \"--\" before it, or join it to its option (--opt=%%(...)s)",
			    what, sub, v[i], v[0]);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = v[i] != NULL ? strlen(v[i]) : 0;

		if (v[i] == NULL || json_array_append_new(a, json_string(v[i])) < 0) {
			snprintf(err, errlen,
				 v[i] == NULL ? "out of memory" : "%s: argument %zu is not UTF-8", what, i);
			goto out;
		}
		if (len >= PLAN_ARG_MAX) {
			snprintf(err, errlen,
				 "%s: argument %zu would be %zu bytes, over the %d KiB one may hold", what, i,
				 len, PLAN_ARG_MAX / 1024);
			goto out;
		}
		total += len + 1;
	}
	if (total > PLAN_ARGS_MAX) {
		snprintf(err, errlen, "%s: its arguments would be %zu bytes, over the %d MiB limit", what,
			 total, PLAN_ARGS_MAX / (1024 * 1024));
		goto out;
	}
	*argvj = json_dumps(a, JSON_COMPACT);
	*command = t->shell ? strdup(v[2]) : argv_join(v, n);
	if (*argvj == NULL || *command == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	json_decref(a);
	if (rc < 0) {
		free(*command);
		free(*argvj);
		*command = *argvj = NULL;
	}
	return rc;
}

/* Would step i's STEP message pass the protocol's frame limit? (else: refused at submit) */
static int plan_step_fits(const char *input, const char *label, const char *name, const struct conf_step *st,
			  const char *command, const char *argvj, char *err, size_t errlen)
{
	/* the fixed keys and numbers of the message (engine_dispatch.c step_message) */
	size_t size = 256 + strlen(input) + plan_json_len(label) + plan_json_len(name) +
		      plan_json_len(st->name) + plan_json_len(command) + strlen(argvj);

	if (size <= PROTO_MAX_PAYLOAD)
		return 0;
	snprintf(err, errlen,
		 "input too large: step %s's message would be %zu bytes, over the %u MiB frame limit",
		 st->name, size, PROTO_MAX_PAYLOAD / (1024u * 1024u));
	return -1;
}

/* ---- the plan ---- */

struct plan {
	const struct conf_task *type;
	json_t *input;	  /* borrowed from the request, or a new {} */
	char *input_text; /* input as compact JSON, as stored and sent */
	int64_t start_at, start_before;
	char *name;
	char **commands; /* per step, NULL for handler steps: the display text */
	char **argvs;	 /* per step, NULL for handler steps: the argv, JSON text */
	char *locks[PLAN_MAX_LOCKS];
	bool exclusive[PLAN_MAX_LOCKS];
	size_t nlocks;
	char parent_id[Q_ID_LEN];
};

static void plan_free(struct plan *p)
{
	if (p->commands != NULL)
		for (size_t i = 0; i < p->type->nsteps; i++)
			free(p->commands[i]);
	if (p->argvs != NULL)
		for (size_t i = 0; i < p->type->nsteps; i++)
			free(p->argvs[i]);
	free(p->commands);
	free(p->argvs);
	free(p->name);
	free(p->input_text);
	for (size_t i = 0; i < p->nlocks; i++)
		free(p->locks[i]);
	json_decref(p->input);
}

static int plan_add_locks(struct plan *p, struct plan_lookup *x, char **tmpls, bool exclusive, char *err,
			  size_t errlen)
{
	for (size_t i = 0; tmpls != NULL && tmpls[i] != NULL; i++) {
		char *r = plan_expand(x, tmpls[i], exclusive ? "lock" : "link", err, errlen);
		bool dup = false;

		if (r == NULL)
			return -1;
		for (size_t k = 0; k < p->nlocks; k++)
			if (strcmp(p->locks[k], r) == 0) {
				dup = true;
				p->exclusive[k] = p->exclusive[k] || exclusive;
			}
		if (dup || p->nlocks == PLAN_MAX_LOCKS) {
			free(r);
			continue;
		}
		p->locks[p->nlocks] = r;
		p->exclusive[p->nlocks++] = exclusive;
	}
	return 0;
}

static int plan_build(struct engine *e, json_t *req, const char *user, struct plan *p, char *err,
		      size_t errlen)
{
	const char *label;
	json_t *v;
	struct plan_lookup x;
	int64_t now = engine_now();
	int rc = -1;

	memset(p, 0, sizeof(*p));
	memset(&x, 0, sizeof(x));
	if (!json_is_object(req)) {
		snprintf(err, errlen, "a task must be a JSON object");
		return -1;
	}
	label = json_string_value(json_object_get(req, "label"));
	if (label == NULL || *label == '\0') {
		snprintf(err, errlen, "missing task type (\"label\")");
		return -1;
	}
	p->type = e->conf != NULL ? conf_task_find(e->conf, label) : NULL;
	if (p->type == NULL) {
		snprintf(err, errlen, "unknown task type '%s'", label);
		return -1;
	}
	v = json_object_get(req, "input");
	if (v == NULL || json_is_null(v)) {
		p->input = json_object();
	} else if (json_is_string(v)) {
		/* the input as JSON text, as a shell user would pass it */
		p->input = json_loads(json_string_value(v), 0, NULL);
		if (!json_is_object(p->input)) {
			snprintf(err, errlen, "input must be a JSON object");
			goto out;
		}
	} else if (json_is_object(v)) {
		p->input = json_incref(v);
	} else {
		snprintf(err, errlen, "input must be a JSON object");
		goto out;
	}
	if (engine_parse_time(json_object_get(req, "start_at"), now, &p->start_at) < 0) {
		snprintf(err, errlen, "start_at: cannot parse time '%s'",
			 json_string_value(json_object_get(req, "start_at")) != NULL
			     ? json_string_value(json_object_get(req, "start_at"))
			     : "?");
		goto out;
	}
	if (engine_parse_time(json_object_get(req, "start_before"), now, &p->start_before) < 0) {
		snprintf(err, errlen, "start_before: cannot parse time '%s'",
			 json_string_value(json_object_get(req, "start_before")) != NULL
			     ? json_string_value(json_object_get(req, "start_before"))
			     : "?");
		goto out;
	}
	if (p->start_at != 0 && p->start_before != 0 && p->start_before < p->start_at) {
		snprintf(err, errlen, "start_before is earlier than start_at");
		goto out;
	}
	x.input = p->input;
	x.label = p->type->label;
	x.user = user;
	p->name = plan_expand(&x, p->type->name_template != NULL ? p->type->name_template : p->type->label,
			      "name", err, errlen);
	if (p->name == NULL)
		goto out;
	if (p->type->nsteps == 0) {
		snprintf(err, errlen, "task type '%s' has no steps", label);
		goto out;
	}
	p->input_text = json_dumps(p->input, JSON_COMPACT);
	p->commands = xcalloc(p->type->nsteps, sizeof(*p->commands));
	p->argvs = xcalloc(p->type->nsteps, sizeof(*p->argvs));
	if (p->input_text == NULL || p->commands == NULL || p->argvs == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->type->nsteps; i++) {
		const struct conf_step *st = &p->type->steps[i];

		if (st->command == NULL)
			continue;
		if (plan_step(&x, st, &p->commands[i], &p->argvs[i], err, errlen) < 0 ||
		    plan_step_fits(p->input_text, p->type->label, p->name, st, p->commands[i], p->argvs[i],
				   err, errlen) < 0)
			goto out;
	}
	if (plan_add_locks(p, &x, p->type->locks, true, err, errlen) < 0 ||
	    plan_add_locks(p, &x, p->type->links, false, err, errlen) < 0)
		goto out;
	v = json_object_get(req, "parent");
	if (v != NULL && !json_is_null(v)) {
		struct q_task prow;
		int r;

		memset(&prow, 0, sizeof(prow));
		r = json_is_string(v) ? e->ops->task_find(e->b, json_string_value(v), &prow) : 1;
		if (r != 0) {
			snprintf(err, errlen,
				 r == 2 ? "parent: ambiguous task id prefix: %s" : "parent: no such task: %s",
				 json_is_string(v) ? json_string_value(v) : "?");
			goto out;
		}
		snprintf(p->parent_id, sizeof(p->parent_id), "%s", prow.id);
		q_task_clear(&prow);
	}
	rc = 0;
out:
	plan_lookup_free(&x);
	if (rc < 0)
		plan_free(p);
	return rc;
}

int engine_plan_check(struct engine *e, json_t *req, char *err, size_t errlen)
{
	struct plan p;

	if (plan_build(e, req, NULL, &p, err, errlen) < 0)
		return -1;
	plan_free(&p);
	return 0;
}

/* ---- locks ---- */

struct plan_conflicts {
	struct engine *e;
	struct etask *parent; /* holders that are our ancestors do not conflict (Foreman) */
	char text[1024];
	size_t n;
};

static bool plan_is_ancestor(struct engine *e, struct etask *parent, const char *id)
{
	for (int depth = 0; parent != NULL && depth < 64; depth++) {
		if (strcmp(parent->row.id, id) == 0)
			return true;
		parent = parent->row.parent_task_id != NULL ? engine_task_get(e, parent->row.parent_task_id)
							    : NULL;
	}
	return false;
}

static int plan_conflict(void *arg, const char *resource, bool exclusive, const char *task_id)
{
	struct plan_conflicts *c = arg;
	size_t len = strlen(c->text);

	(void)resource;
	(void)exclusive;
	if (plan_is_ancestor(c->e, c->parent, task_id) || strstr(c->text, task_id) != NULL)
		return 0;
	snprintf(c->text + len, sizeof(c->text) - len, "%s%s", c->n++ > 0 ? ", " : "", task_id);
	return 0;
}

/* ---- writing ---- */

struct etask *engine_plan(struct engine *e, json_t *req, const char *user, struct etask *parent,
			  int parent_step, char *err, size_t errlen)
{
	struct plan p;
	struct etask *t;
	struct plan_conflicts conf;
	int64_t now = engine_now();
	bool delayed, conflict = false, sp;

	if (plan_build(e, req, user, &p, err, errlen) < 0)
		return NULL;
	if (parent == NULL && p.parent_id[0] != '\0') {
		/* submit --parent: a child of the parent's running (or waiting) step, as a spawn */
		struct etask *pt = engine_task_get(e, p.parent_id);

		for (size_t i = 0; pt != NULL && i < pt->nsteps; i++)
			if (pt->steps[i].row.state == QS_RUNNING || pt->steps[i].row.state == QS_SUSPENDED) {
				parent = pt;
				parent_step = (int)i;
				break;
			}
	}
	/*
	 * A savepoint only for a task with locks (lock rows, or a conflict's error
	 * row, that may fail after the task row went in). Without locks the task
	 * row and its steps are all there is: a failure deletes the task row (its
	 * steps go with it, ON DELETE CASCADE). A savepoint copies every page the
	 * task touches into a statement journal: ~15 % of the daemon's CPU per task.
	 */
	sp = p.nlocks > 0;
	if (engine_tx_open(e) < 0 || (sp && e->ops->savepoint(e->b) < 0)) {
		snprintf(err, errlen, "database: %s", e->ops->error(e->b));
		plan_free(&p);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->steps = calloc(p.type->nsteps, sizeof(*t->steps))) == NULL) {
		free(t);
		if (sp)
			e->ops->rollback_to(e->b);
		plan_free(&p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	engine_new_id(e, t->row.id);
	t->row.label = xstrdup(p.type->label);
	t->row.name = p.name;
	p.name = NULL;
	t->row.queue = xstrdup(p.type->queue != NULL ? p.type->queue : "default");
	t->row.input = p.input_text;
	p.input_text = NULL;
	t->row.result = QR_PENDING; /* state: planning (calloc) until the locks are decided */
	t->row.triggered_by = user != NULL ? xstrdup(user) : NULL;
	if (parent != NULL)
		t->row.parent_task_id = xstrdup(parent->row.id);
	else if (p.parent_id[0] != '\0')
		t->row.parent_task_id = xstrdup(p.parent_id);
	t->row.parent_step = parent != NULL ? parent_step : -1;
	t->row.spawn_index = parent != NULL && e->plan_spawn ? e->plan_spawn_index : -1;
	t->row.recurring_id = e->plan_recurring_id;
	t->row.start_at = p.start_at;
	t->row.start_before = p.start_before;
	t->row.created_at = now;
	t->row.steps_total = (int)p.type->nsteps;
	t->row.flags = p.type->cancellable ? QF_CANCELLABLE : 0;
	t->row.on_error = p.type->on_error;
	t->row.retry_on_worker_loss = p.type->retry_on_worker_loss;
	t->nsteps = p.type->nsteps;
	t->q = engine_queue(e, t->row.queue);

	/* Locks: all or none. A conflict still records the task, stopped in error (Foreman). */
	memset(&conf, 0, sizeof(conf));
	conf.e = e;
	conf.parent =
	    parent != NULL
		? parent
		: (t->row.parent_task_id != NULL ? engine_task_get(e, t->row.parent_task_id) : NULL);
	for (size_t i = 0; i < p.nlocks; i++)
		if (p.exclusive[i] && e->ops->lock_holders(e->b, p.locks[i], plan_conflict, &conf) < 0)
			goto dberr;
	conflict = conf.n > 0;
	delayed = p.start_at > now;
	if (conflict) {
		char why[1100];

		snprintf(why, sizeof(why), "lock conflict with %s", conf.text);
		t->row.result = QR_ERROR;
		(void)engine_state_task(e, t, QT_STOPPED, why); /* from planning: in the table */
		t->row.ended_at = now;
	} else {
		(void)engine_state_task(e, t, QT_PLANNED, delayed ? "delayed" : "submitted");
	}
	/*
	 * The engine numbers the rows itself, so a task can be referred to before
	 * its rows are in. A plain task (no locks, no parent) is inserted by the
	 * group's flush together with the others planned in the same iteration.
	 */
	t->row.rowid = e->next_task++;
	t->unsaved = p.nlocks == 0 && parent == NULL && !conflict;
	if (!t->unsaved && e->ops->task_insert(e->b, &t->row) < 0)
		goto dberr;
	for (size_t i = 0; i < t->nsteps; i++) {
		struct estep *s = &t->steps[i];
		const struct conf_step *cs = &p.type->steps[i];

		s->t = t;
		s->row.rowid = e->next_step++;
		s->row.task = t->row.rowid;
		s->row.idx = (int)i;
		s->row.name = xstrdup(cs->name);
		s->row.command = p.commands[i];
		s->row.argv = p.argvs[i];
		p.commands[i] = p.argvs[i] = NULL;
		s->row.handler = cs->command == NULL && cs->handler != NULL ? xstrdup(cs->handler) : NULL;
		if (i == 0 && !delayed && !conflict) /* pending (calloc) -> ready: in the table */
			(void)engine_state_step(e, s, QS_READY, "planned");
		if (!t->unsaved && e->ops->step_insert(e->b, &s->row) < 0)
			goto dberr;
	}
	if (t->unsaved) {
		t->unext = e->unsaved;
		e->unsaved = t;
	}
	if (!conflict) {
		for (size_t i = 0; i < p.nlocks; i++)
			if (e->ops->lock_insert(e->b, t->row.rowid, p.locks[i], p.exclusive[i]) < 0)
				goto dberr;
	} else {
		char msg[1200];
		struct q_error er = {.task = t->row.rowid, .idx = -1, .at = now};

		snprintf(msg, sizeof(msg),
			 "Required lock is already taken by other running tasks. Please inspect their state, "
			 "fix their "
			 "errors and resume them. Conflicts with tasks: %s",
			 conf.text);
		er.message = msg;
		if (e->ops->error_insert(e->b, &er) < 0)
			goto dberr;
		snprintf(err, errlen, "task %s: %s", t->row.id, msg);
	}
	if (sp && e->ops->release(e->b) < 0)
		goto dberr;
	plan_free(&p);
	engine_task_add(e, t);
	if (conflict && parent != NULL && parent_step >= 0 && (size_t)parent_step < parent->nsteps) {
		parent->steps[parent_step].children_total++; /* a child that failed at once */
		parent->steps[parent_step].child_failed = true;
		engine_chord_spawned(e, parent);
		engine_chord_stopped(e, parent);
	}
	if (conflict) {
		engine_task_dirty(e, t); /* freed after the commit */
		return t;
	}
	if (t->steps[0].row.state == QS_READY)
		engine_fifo_push(&t->steps[0], false);
	if (t->row.start_at != 0 || t->row.start_before != 0)
		engine_timed(e, t);
	if (parent != NULL && parent_step >= 0 && (size_t)parent_step < parent->nsteps) {
		parent->steps[parent_step].children_open++;
		parent->steps[parent_step].children_total++;
		engine_chord_spawned(e, parent);
	}
	engine_kick(e);
	return t;

dberr:
	snprintf(err, errlen, "database: %s", e->ops->error(e->b));
	if (sp)
		e->ops->rollback_to(e->b);
	else if (t->row.rowid != 0 && !t->unsaved && e->ops->task_delete(e->b, t->row.rowid) < 0)
		log_warnx("engine: task %s: removing its rows after \"%s\": %s", t->row.id, err,
			  e->ops->error(e->b));
	plan_free(&p);
	engine_task_free(t);
	return NULL;
}

/*
 * Take again the locks of a task that `task unlock` stopped, before its resume:
 * the lock and link templates of its type over its stored input, all or none.
 * A conflict changes nothing and answers the planning conflict message.
 */
int engine_plan_relock(struct engine *e, const struct q_task *row, char *err, size_t errlen)
{
	struct plan p;
	struct plan_conflicts conf;
	json_t *req;

	req = json_pack("{s:s, s:s}", "label", row->label != NULL ? row->label : "", "input",
			row->input != NULL ? row->input : "{}");
	if (req == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (plan_build(e, req, row->triggered_by, &p, err, errlen) < 0) {
		json_decref(req);
		return -1;
	}
	json_decref(req);
	if (engine_tx_open(e) < 0 || e->ops->savepoint(e->b) < 0)
		goto dberr;
	memset(&conf, 0, sizeof(conf));
	conf.e = e;
	conf.parent = row->parent_task_id != NULL ? engine_task_get(e, row->parent_task_id) : NULL;
	for (size_t i = 0; i < p.nlocks; i++)
		if (p.exclusive[i] && e->ops->lock_holders(e->b, p.locks[i], plan_conflict, &conf) < 0)
			goto dberr_tx;
	if (conf.n > 0) {
		snprintf(err, errlen,
			 "Required lock is already taken by other running tasks. Please inspect their state, "
			 "fix their errors and resume them. Conflicts with tasks: %s",
			 conf.text);
		e->ops->rollback_to(e->b);
		plan_free(&p);
		log_info("task %s (%s) not resumed: lock conflict with %s", row->id, row->label, conf.text);
		return -1;
	}
	for (size_t i = 0; i < p.nlocks; i++)
		if (e->ops->lock_insert(e->b, row->rowid, p.locks[i], p.exclusive[i]) < 0)
			goto dberr_tx;
	if (e->ops->release(e->b) < 0)
		goto dberr_tx;
	plan_free(&p);
	return 0;

dberr_tx:
	snprintf(err, errlen, "database: %s", e->ops->error(e->b));
	e->ops->rollback_to(e->b);
	plan_free(&p);
	return -1;
dberr:
	snprintf(err, errlen, "database: %s", e->ops->error(e->b));
	plan_free(&p);
	return -1;
}
