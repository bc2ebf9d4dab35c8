/*
 * engine_metrics.c — what the engine counts for GET /metrics (MSG_METRICS):
 * tasks submitted and finished by label (and result), step run times as
 * histograms per label and step, and the group commit's latency. All of it is
 * counted in memory as it happens (engine_state.c's doors and engine_commit
 * call in here; a group's counts wait for its commit, engine_metrics_settle, so that a failed
 * group and its replay count once), never read back from the store; only the tasks by state,
 * result and label come from the store, in one bounded query whose answer is
 * kept for ENGINE_METRICS_CACHE_MS.
 *
 * Cardinality is bounded: labels come from the configuration's task types
 * (a submit of another label is refused) and step names from their
 * templates, and at most ENGINE_METRICS_SERIES label x step histograms (and
 * as many labels) are kept; what comes past that is counted in one series
 * labelled "_other".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "log.h"
#include "xmalloc.h"

#define ENGINE_METRICS_SERIES 256     /* label x step histograms, and labels */
#define ENGINE_METRICS_TASK_ROWS 1000 /* state x result x label rows read from the store */
#define ENGINE_METRICS_CACHE_MS 2000  /* how long that answer is kept */
#define ENGINE_METRICS_OTHER "_other" /* the series past the cap */

/* Step run time buckets (seconds), and the commit's. */
static const double engine_metrics_step_le[] = {0.005, 0.01, 0.05, 0.1, 0.5,  1,   5,
						10,    30,   60,   300, 1800, 3600};
static const double engine_metrics_commit_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
						  0.025,  0.05,	 0.1,	 0.25,	1};
#define NSTEP_LE (sizeof(engine_metrics_step_le) / sizeof(engine_metrics_step_le[0]))
#define NCOMMIT_LE (sizeof(engine_metrics_commit_le) / sizeof(engine_metrics_commit_le[0]))

struct engine_hist {
	unsigned long long counts[NSTEP_LE + 1]; /* per bucket (not cumulative); the last is +Inf */
	unsigned long long count;
	double sum;
};

struct engine_mseries {
	char *label, *step;
	struct engine_hist h;
};

struct engine_mlabel {
	char *label;
	unsigned long long submitted;
	unsigned long long finished[QR_CANCELLED + 1]; /* by result */
};

/* A count of the group under way, applied once it committed (engine_metrics_settle). */
struct engine_mpending {
	enum { EM_SUBMITTED, EM_FINISHED, EM_STEP } kind;
	char *label, *step;
	enum q_result result;
	double seconds;
};

struct engine_metrics {
	struct engine_mpending *pending;
	size_t npending;
	struct engine_mseries *series;
	size_t nseries;
	struct engine_mlabel *labels;
	size_t nlabels;
	unsigned long long commit_counts[NCOMMIT_LE + 1], commits;
	double commit_sum;
	json_t *tasks; /* the store's answer, and when it came */
	int64_t tasks_at;
};

static struct engine_metrics *engine_metrics_get(struct engine *e)
{
	if (e->metrics == NULL)
		e->metrics = xcalloc(1, sizeof(*e->metrics));
	return e->metrics;
}

static struct engine_mlabel *engine_metrics_label_find(struct engine_metrics *m, const char *label)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i].label, label) == 0)
			return &m->labels[i];
	return NULL;
}

static struct engine_mlabel *engine_metrics_label(struct engine *e, const char *label)
{
	struct engine_metrics *m = engine_metrics_get(e);
	struct engine_mlabel *l = engine_metrics_label_find(m, label != NULL ? label : "?");

	if (l != NULL)
		return l;
	label = label != NULL ? label : "?";
	if (m->nlabels >= ENGINE_METRICS_SERIES - 1) { /* the last slot is kept for "_other" */
		label = ENGINE_METRICS_OTHER;
		if ((l = engine_metrics_label_find(m, label)) != NULL)
			return l;
	}
	m->labels = xreallocarray(m->labels, m->nlabels + 1, sizeof(*m->labels));
	memset(&m->labels[m->nlabels], 0, sizeof(*m->labels));
	m->labels[m->nlabels].label = xstrdup(label);
	return &m->labels[m->nlabels++];
}

static void engine_metrics_stage(struct engine *e, int kind, const char *label, const char *step,
				 enum q_result result, double seconds)
{
	struct engine_metrics *m = engine_metrics_get(e);
	struct engine_mpending *p;

	m->pending = xreallocarray(m->pending, m->npending + 1, sizeof(*m->pending));
	p = &m->pending[m->npending++];
	p->kind = kind;
	p->label = xstrdup(label != NULL ? label : "?");
	p->step = xstrdup(step != NULL ? step : "?");
	p->result = result;
	p->seconds = seconds;
}

void engine_metrics_submitted(struct engine *e, const char *label)
{
	engine_metrics_stage(e, EM_SUBMITTED, label, NULL, QR_PENDING, 0);
}

void engine_metrics_finished(struct engine *e, const char *label, enum q_result result)
{
	if ((unsigned)result <= QR_CANCELLED)
		engine_metrics_stage(e, EM_FINISHED, label, NULL, result, 0);
}

static void engine_hist_add(unsigned long long *counts, const double *le, size_t nle, double v)
{
	size_t i = 0;

	while (i < nle && v > le[i])
		i++;
	counts[i]++;
}

void engine_metrics_step(struct engine *e, const char *label, const char *step, double seconds)
{
	engine_metrics_stage(e, EM_STEP, label, step, QR_PENDING, seconds);
}

static void engine_metrics_step_count(struct engine *e, const char *label, const char *step, double seconds)
{
	struct engine_metrics *m = engine_metrics_get(e);
	struct engine_mseries *s = NULL;

	if (label == NULL)
		label = "?";
	if (step == NULL)
		step = "?";
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < m->nseries && s == NULL; i++)
		if (strcmp(m->series[i].label, label) == 0 && strcmp(m->series[i].step, step) == 0)
			s = &m->series[i];
	if (s == NULL && m->nseries >= ENGINE_METRICS_SERIES - 1) {
		label = step = ENGINE_METRICS_OTHER; /* the last slot is kept for it */
		for (size_t i = 0; i < m->nseries && s == NULL; i++)
			if (strcmp(m->series[i].label, label) == 0 && strcmp(m->series[i].step, step) == 0)
				s = &m->series[i];
	}
	if (s == NULL) {
		m->series = xreallocarray(m->series, m->nseries + 1, sizeof(*m->series));
		s = &m->series[m->nseries++];
		memset(s, 0, sizeof(*s));
		s->label = xstrdup(label);
		s->step = xstrdup(step);
	}
	engine_hist_add(s->h.counts, engine_metrics_step_le, NSTEP_LE, seconds);
	s->h.count++;
	s->h.sum += seconds;
}

void engine_metrics_settle(struct engine *e, bool committed)
{
	struct engine_metrics *m = e->metrics;

	if (m == NULL)
		return;
	struct engine_mpending *list = m->pending; /* counting may grow the tables, not this list */
	size_t n = m->npending;
	m->pending = NULL;
	m->npending = 0;
	for (size_t i = 0; i < n; i++) {
		struct engine_mpending *p = &list[i];
		if (committed && p->kind == EM_SUBMITTED)
			engine_metrics_label(e, p->label)->submitted++;
		else if (committed && p->kind == EM_FINISHED)
			engine_metrics_label(e, p->label)->finished[p->result]++;
		else if (committed)
			engine_metrics_step_count(e, p->label, p->step, p->seconds);
		free(p->label);
		free(p->step);
	}
	free(list);
}

void engine_metrics_commit(struct engine *e, double seconds)
{
	struct engine_metrics *m = engine_metrics_get(e);

	engine_hist_add(m->commit_counts, engine_metrics_commit_le, NCOMMIT_LE, seconds);
	m->commits++;
	m->commit_sum += seconds;
}

double engine_metrics_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the answer ---- */

/* {"le": [...], "counts": [cumulative..., +Inf], "count", "sum"} */
static json_t *engine_hist_json(const unsigned long long *counts, const double *le, size_t nle,
				unsigned long long count, double sum)
{
	json_t *jle = json_array(), *jc = json_array();
	unsigned long long cum = 0;

	for (size_t i = 0; i < nle; i++)
		json_array_append_new(jle, json_real(le[i]));
	for (size_t i = 0; i <= nle; i++) {
		cum += counts[i];
		json_array_append_new(jc, json_integer((json_int_t)cum));
	}
	return json_pack("{s:o, s:o, s:I, s:f}", "le", jle, "counts", jc, "count", (json_int_t)count, "sum",
			 sum);
}

static int engine_metrics_count_row(void *arg, const char *state, const char *result, const char *label,
				    int64_t n)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:I}", "state", state != NULL ? state : "?",
					     "result", result != NULL ? result : "?", "label",
					     label != NULL ? label : "?", "count", (json_int_t)n));
	return 0;
}

/* The tasks by state, result and label: the store's answer, at most ENGINE_METRICS_CACHE_MS old. */
static json_t *engine_metrics_tasks(struct engine *e, struct engine_metrics *m)
{
	int64_t now = engine_now();
	json_t *rows;

	if (m->tasks != NULL && now - m->tasks_at < ENGINE_METRICS_CACHE_MS && now >= m->tasks_at)
		return json_incref(m->tasks);
	rows = json_array();
	if (e->ops->task_counts == NULL ||
	    e->ops->task_counts(e->b, ENGINE_METRICS_TASK_ROWS, engine_metrics_count_row, rows) < 0) {
		log_warnx("engine: metrics: counting tasks: %s",
			  e->ops->task_counts != NULL ? e->ops->error(e->b) : "not supported by the backend");
		json_decref(rows);
		return m->tasks != NULL ? json_incref(m->tasks) : json_array();
	}
	json_decref(m->tasks);
	m->tasks = rows;
	m->tasks_at = now;
	return json_incref(rows);
}

json_t *engine_metrics_json(struct engine *e)
{
	struct engine_metrics *m = engine_metrics_get(e);
	json_t *sub = json_array(), *fin = json_array(), *steps = json_array();

	for (size_t i = 0; i < m->nlabels; i++) {
		const struct engine_mlabel *l = &m->labels[i];

		json_array_append_new(
		    sub, json_pack("{s:s, s:I}", "label", l->label, "count", (json_int_t)l->submitted));
		for (int r = 0; r <= QR_CANCELLED; r++)
			if (l->finished[r] > 0)
				json_array_append_new(fin,
						      json_pack("{s:s, s:s, s:I}", "label", l->label,
								"result", q_result_name((enum q_result)r),
								"count", (json_int_t)l->finished[r]));
	}
	for (size_t i = 0; i < m->nseries; i++) {
		const struct engine_mseries *s = &m->series[i];
		json_t *h =
		    engine_hist_json(s->h.counts, engine_metrics_step_le, NSTEP_LE, s->h.count, s->h.sum);

		json_object_set_new(h, "label", json_string(s->label));
		json_object_set_new(h, "step", json_string(s->step));
		json_array_append_new(steps, h);
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "queues", engine_queue_all(e), "tasks",
			 engine_metrics_tasks(e, m), "submitted", sub, "finished", fin, "steps", steps,
			 "commit",
			 engine_hist_json(m->commit_counts, engine_metrics_commit_le, NCOMMIT_LE, m->commits,
					  m->commit_sum),
			 "series_max", (json_int_t)ENGINE_METRICS_SERIES);
}

void engine_metrics_free(struct engine *e)
{
	struct engine_metrics *m = e->metrics;

	if (m == NULL)
		return;
	engine_metrics_settle(e, false);
	for (size_t i = 0; i < m->nseries; i++) {
		free(m->series[i].label);
		free(m->series[i].step);
	}
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i].label);
	free(m->series);
	free(m->labels);
	json_decref(m->tasks);
	free(m);
	e->metrics = NULL;
}
