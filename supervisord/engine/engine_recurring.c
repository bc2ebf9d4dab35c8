/*
 * engine_recurring.c — recurring logics (Foreman's): a task type submitted
 * on a cron line, with an optional number of iterations and an end time.
 * Active logics live in memory with their parsed cron line; the engine's due
 * timer fires at the next occurrence (engine.c), which submits the task
 * (its recurring_id set) and moves next_at on, in the group transaction.
 * Occurrences missed while the daemon was down are not replayed: the first
 * check after a start submits once (logged with the number missed) and
 * schedules from now. Times come from the cron clock (lib/clock.c: the
 * daemon's local time, DST-safe, with its test seam).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

static struct erec *recurring_add(struct engine *e, struct q_recurring *row, char *err, size_t errlen)
{
	struct erec *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cron_parse(row->cron, &r->cron, err, errlen) < 0) {
		free(r);
		return NULL;
	}
	r->row = *row;
	memset(row, 0, sizeof(*row)); /* moved */
	r->next = e->recs;
	e->recs = r;
	return r;
}

static int recurring_load_row(void *arg, struct q_recurring *row)
{
	struct engine *e = arg;
	char err[256];

	if (recurring_add(e, row, err, sizeof(err)) == NULL)
		log_warnx("engine: recurring logic %s: %s", row->id, err);
	return 0;
}

void engine_recurring_load(struct engine *e)
{
	if (e->ops->recurring_list(e->b, true, recurring_load_row, e) < 0)
		log_warnx("engine: loading recurring logics: %s", e->ops->error(e->b));
}

void engine_recurring_free(struct engine *e)
{
	while (e->recs != NULL) {
		struct erec *r = e->recs;

		e->recs = r->next;
		q_recurring_clear(&r->row);
		free(r);
	}
}

/* The next occurrence after now (ms), or 0 when the logic is over. */
static int64_t recurring_next(struct erec *r, int64_t now)
{
	int64_t next = clock_cron_next_ms(&r->cron, now);

	if (next < 0 || (r->row.iterations > 0 && r->row.iteration >= r->row.iterations) ||
	    (r->row.until != 0 && next > r->row.until))
		return 0;
	return next;
}

/* How many occurrences fell due from next_at up to now (1: just this one; capped). */
static int recurring_missed(const struct erec *r, int64_t now)
{
	int n = 1;

	for (int64_t t = clock_cron_next_ms(&r->cron, r->row.next_at);
	     t >= 0 && t <= now && (r->row.until == 0 || t <= r->row.until) && n < 1000000;
	     t = clock_cron_next_ms(&r->cron, t))
		n++;
	return n;
}

/* Submit one occurrence of r. */
static void recurring_fire(struct engine *e, struct erec *r, int64_t now)
{
	json_t *input = json_loads(r->row.input != NULL ? r->row.input : "{}", 0, NULL);
	json_t *req = json_pack("{s:s, s:o*}", "label", r->row.label, "input", input);
	char err[1400];
	struct etask *t;
	int missed = r->row.next_at != 0 && r->row.next_at < now ? recurring_missed(r, now) : 1;

	if (missed > 1)
		log_warnx("recurring %s: missed %d occurrences while down; running one now",
			  r->row.name != NULL ? r->row.name : r->row.id, missed);
	e->plan_recurring_id = r->row.rowid;
	t = engine_plan(e, req, r->row.triggered_by, NULL, -1, err, sizeof(err));
	e->plan_recurring_id = 0;
	json_decref(req);
	r->row.iteration++;
	r->row.last_at = now;
	if (t == NULL) {
		log_warnx("engine: recurring logic %s (%s): %s", r->row.id, r->row.label, err);
		(void)engine_state_recurring(e, &r->row, QREC_FAILED, err); /* from active: allowed */
		r->row.next_at = 0;
	} else {
		log_info("engine: recurring logic %s: iteration %d: task %s", r->row.id, r->row.iteration,
			 t->row.id);
		r->row.next_at = recurring_next(r, now);
		if (r->row.next_at == 0) {
			char why[64];

			snprintf(why, sizeof(why), "after %d iterations", r->row.iteration);
			(void)engine_state_recurring(e, &r->row, QREC_FINISHED, why); /* from active */
		}
	}
	if (engine_tx_open(e) < 0 || e->ops->recurring_update(e->b, &r->row) < 0)
		log_warnx("engine: recurring logic %s: %s", r->row.id, e->ops->error(e->b));
}

int64_t engine_recurring_run(struct engine *e, int64_t now)
{
	int64_t next = 0;
	struct erec **pp = &e->recs;

	while (*pp != NULL) {
		struct erec *r = *pp;

		if (r->row.next_at != 0 && r->row.next_at <= now)
			recurring_fire(e, r, now);
		if (r->row.state != QREC_ACTIVE) {
			*pp = r->next; /* over: only the store keeps it */
			q_recurring_clear(&r->row);
			free(r);
			continue;
		}
		if (r->row.next_at != 0 && (next == 0 || r->row.next_at < next))
			next = r->row.next_at;
		pp = &r->next;
	}
	return next;
}

struct erec *engine_recurring_schedule(struct engine *e, json_t *req, const char *user, const char *name,
				       char *err, size_t errlen)
{
	const char *label = json_string_value(json_object_get(req, "label"));
	const char *cron = json_string_value(json_object_get(req, "cron"));
	json_t *input = json_object_get(req, "input"), *probe;
	json_int_t iterations = json_integer_value(json_object_get(req, "iterations"));
	struct q_recurring row;
	struct erec *r;
	struct cron c;
	int64_t now = engine_now(), until = 0;
	char why[1024];

	if (cron == NULL || cron_parse(cron, &c, err, errlen) < 0) {
		if (cron == NULL)
			snprintf(err, errlen, "missing cron line");
		return NULL;
	}
	if (engine_parse_time(json_object_get(req, "until"), now, &until) < 0) {
		snprintf(err, errlen, "until: cannot parse time");
		return NULL;
	}
	if (json_is_string(input))
		input = json_loads(json_string_value(input), 0, NULL);
	else
		input = json_incref(input != NULL && !json_is_null(input) ? input : NULL);
	if (input == NULL)
		input = json_object();
	/* the same checks as a submit: type, input, templates */
	probe = json_pack("{s:s?, s:O}", "label", label, "input", input);
	if (engine_plan_check(e, probe, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		json_decref(probe);
		json_decref(input);
		return NULL;
	}
	json_decref(probe);
	memset(&row, 0, sizeof(row));
	engine_new_id(e, row.id);
	row.label = xstrdup(label);
	row.cron = xstrdup(cron);
	row.input = json_dumps(input, JSON_COMPACT);
	json_decref(input);
	row.triggered_by = user != NULL ? xstrdup(user) : NULL;
	row.iterations = iterations > 0 ? (int)iterations : 0;
	row.until = until;
	row.created_at = now; /* state: active (memset) */
	row.name = name != NULL ? xstrdup(name) : NULL;
	r = recurring_add(e, &row, err, errlen);
	if (r == NULL) {
		q_recurring_clear(&row);
		return NULL;
	}
	r->row.next_at = recurring_next(r, now);
	if (r->row.next_at == 0) {
		snprintf(err, errlen, "the cron line never matches before the end (until/iterations)");
		e->recs = r->next;
		q_recurring_clear(&r->row);
		free(r);
		return NULL;
	}
	if (engine_tx_open(e) < 0 || e->ops->recurring_insert(e->b, &r->row) < 0) {
		snprintf(err, errlen, "database: %s", e->ops->error(e->b));
		e->recs = r->next;
		q_recurring_clear(&r->row);
		free(r);
		return NULL;
	}
	engine_arm_due(e, r->row.next_at);
	log_info("engine: recurring logic %s: %s on '%s' by %s", r->row.id, r->row.label, r->row.cron,
		 user != NULL ? user : "?");
	return r;
}

int engine_recurring_cancel(struct engine *e, const char *id, struct q_recurring *row, char *err,
			    size_t errlen)
{
	int rc = e->ops->recurring_find(e->b, id, row);
	struct erec **pp;

	if (rc != 0) {
		snprintf(err, errlen,
			 rc == 2 ? "ambiguous recurring logic id prefix: %s" : "no such recurring logic: %s",
			 id != NULL ? id : "");
		return -1;
	}
	if (row->state != QREC_ACTIVE) { /* the operator's mistake, not a bug: checked before the door */
		snprintf(err, errlen, "recurring logic %s is already %s", row->id,
			 q_rec_state_name(row->state));
		q_recurring_clear(row);
		return -1;
	}
	(void)engine_state_recurring(e, row, QREC_CANCELLED, "cancelled"); /* from active: allowed */
	row->next_at = 0;
	if (engine_tx_open(e) < 0 || e->ops->recurring_update(e->b, row) < 0) {
		snprintf(err, errlen, "database: %s", e->ops->error(e->b));
		q_recurring_clear(row);
		return -1;
	}
	for (pp = &e->recs; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->row.rowid == row->rowid) {
			struct erec *r = *pp;

			*pp = r->next;
			q_recurring_clear(&r->row);
			free(r);
			break;
		}
	return 0;
}

static json_t *recurring_time(int64_t ms)
{
	return ms != 0 ? json_real((double)ms / 1000.0) : json_null();
}

json_t *engine_recurring_json(const struct q_recurring *r)
{
	json_t *input = json_loads(r->input != NULL ? r->input : "{}", 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:o, s:s?, s:i, s:i, s:o, s:o, s:o, s:s, s:o}", "id", r->id,
			 "label", r->label != NULL ? r->label : "", "cron", r->cron != NULL ? r->cron : "",
			 "input", input != NULL ? input : json_object(), "triggered_by", r->triggered_by,
			 "iteration", r->iteration, "iterations", r->iterations, "until",
			 recurring_time(r->until), "last_at", recurring_time(r->last_at), "next_at",
			 recurring_time(r->next_at), "state", q_rec_state_name(r->state), "created_at",
			 recurring_time(r->created_at));
}

/* Does the stored logic still say what the configuration says? */
static bool recurring_same(const struct q_recurring *row, const struct conf_recurring *cr)
{
	json_t *a, *b;
	bool same;

	if (row->label == NULL || row->cron == NULL || strcmp(row->label, cr->label) != 0 ||
	    strcmp(row->cron, cr->cron) != 0 || row->iterations != cr->iterations ||
	    row->until != cr->until * 1000)
		return false;
	a = json_loads(row->input != NULL ? row->input : "{}", 0, NULL);
	b = json_loads(cr->input != NULL ? cr->input : "{}", 0, NULL);
	same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

void engine_recurring_sync(struct engine *e)
{
	const struct conf *c = e->conf;
	char err[1400];

	for (size_t i = 0; c != NULL && i < c->nrecurring; i++) {
		const struct conf_recurring *cr = &c->recurring[i];
		struct q_recurring row, gone;
		json_t *req;
		int rc;

		memset(&row, 0, sizeof(row));
		rc = e->ops->recurring_by_name(e->b, cr->name, &row);
		if (rc == 0 && recurring_same(&row, cr)) {
			q_recurring_clear(&row); /* unchanged: it keeps its state and schedule */
			continue;
		}
		if (rc == 0 && row.state == QREC_ACTIVE) {
			memset(&gone, 0, sizeof(gone));
			if (engine_recurring_cancel(e, row.id, &gone, err, sizeof(err)) == 0)
				q_recurring_clear(&gone);
		}
		q_recurring_clear(&row);
		req = json_pack("{s:s, s:s, s:s, s:i}", "label", cr->label, "cron", cr->cron, "input",
				cr->input != NULL ? cr->input : "{}", "iterations", cr->iterations);
		if (cr->until > 0)
			json_object_set_new(req, "until", json_integer(cr->until));
		if (engine_recurring_schedule(e, req, "taskvisord", cr->name, err, sizeof(err)) == NULL)
			log_warnx("%s:%d: [recurring:%s]: %s", cr->where.file != NULL ? cr->where.file : "?",
				  cr->where.line, cr->name, err);
		json_decref(req);
	}
	/* Logics whose section is gone from the configuration stop. */
	for (struct erec *r = e->recs, *next; r != NULL; r = next) {
		bool found = false;
		struct q_recurring gone;

		next = r->next;
		if (r->row.name == NULL)
			continue;
		for (size_t i = 0; c != NULL && i < c->nrecurring; i++)
			found = found || strcmp(c->recurring[i].name, r->row.name) == 0;
		if (found)
			continue;
		memset(&gone, 0, sizeof(gone));
		if (engine_recurring_cancel(e, r->row.id, &gone, err, sizeof(err)) == 0)
			q_recurring_clear(&gone);
	}
}
