/*
 * queue.c — what every queue backend and the engine share: the names of
 * states and results, freeing rows, the clock, and loading a backend.
 *
 * A backend is a shared object, LIBDIR/taskvisor/queue-NAME.so when installed,
 * else $exe_dir/../lib/taskvisor/queue-NAME.so (lib/paths.c),
 * exporting struct queue_ops queue_NAME_ops. The daemon loads it the first
 * time it opens the task database, so a daemon that only supervises programs
 * never maps SQLite (and the libm it pulls in): about 0.6 MB of RSS. A
 * program linked with the backend itself (the unit tests) uses that copy.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "queue_backend.h"

int64_t q_now_override;

int64_t q_now_ms(void)
{
	struct timespec ts;

	if (q_now_override != 0)
		return q_now_override;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- names ---- */

static const char *const qs_task_states[] = {"planning", "planned", "running", "paused", "stopped"};
static const char *const qs_results[] = {"pending", "success", "error", "warning", "cancelled"};
static const char *const qs_step_states[] = {"pending",	  "ready",   "running", "success",
					     "suspended", "skipped", "error",	"cancelled"};
static const char *const qs_rec_states[] = {"active", "finished", "cancelled", "failed"};
static const char *const qs_on_errors[] = {"pause", "stop", "skip"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int q_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *q_task_state_name(enum q_task_state s)
{
	return (unsigned)s < NELEM(qs_task_states) ? qs_task_states[s] : "?";
}
const char *q_result_name(enum q_result r)
{
	return (unsigned)r < NELEM(qs_results) ? qs_results[r] : "?";
}
const char *q_step_state_name(enum q_step_state s)
{
	return (unsigned)s < NELEM(qs_step_states) ? qs_step_states[s] : "?";
}
const char *q_rec_state_name(enum q_rec_state s)
{
	return (unsigned)s < NELEM(qs_rec_states) ? qs_rec_states[s] : "?";
}
const char *q_on_error_name(enum conf_on_error e)
{
	return (unsigned)e < NELEM(qs_on_errors) ? qs_on_errors[e] : "pause";
}
int q_on_error_parse(const char *s)
{
	return q_name_index(qs_on_errors, NELEM(qs_on_errors), s);
}

int q_task_state_parse(const char *s)
{
	return q_name_index(qs_task_states, NELEM(qs_task_states), s);
}
int q_rec_state_parse(const char *s)
{
	return q_name_index(qs_rec_states, NELEM(qs_rec_states), s);
}
int q_result_parse(const char *s)
{
	return q_name_index(qs_results, NELEM(qs_results), s);
}
int q_step_state_parse(const char *s)
{
	return q_name_index(qs_step_states, NELEM(qs_step_states), s);
}

void q_task_clear(struct q_task *t)
{
	free(t->label);
	free(t->name);
	free(t->queue);
	free(t->input);
	free(t->output);
	free(t->progress);
	free(t->triggered_by);
	free(t->parent_task_id);
	memset(t, 0, sizeof(*t));
	t->parent_step = -1;
}

void q_recurring_clear(struct q_recurring *r)
{
	free(r->label);
	free(r->cron);
	free(r->input);
	free(r->triggered_by);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

void q_step_clear(struct q_step *s)
{
	free(s->name);
	free(s->command);
	free(s->argv);
	free(s->handler);
	free(s->worker);
	memset(s, 0, sizeof(*s));
}

/* Linked in (the tests) or not (the daemon): then it comes from the shared object. */
extern const struct queue_ops queue_sqlite_ops __attribute__((weak));

const struct queue_ops *queue_backend_load(const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX + 64], file[64], sym[64], why[128];
	const struct queue_ops *ops;
	void *h;

	if (name == NULL)
		name = "sqlite";
	if (strcmp(name, "sqlite") == 0 && &queue_sqlite_ops != NULL)
		return &queue_sqlite_ops;
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(name) || strlen(name) > 32) {
		snprintf(err, errlen, "queue backend '%s': not a backend name", name);
		return NULL;
	}
	snprintf(file, sizeof(file), "queue-%s.so", name);
	if (paths_module(file, path, sizeof(path), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "queue backend '%s': %s", name, why);
		return NULL;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "queue backend '%s': %s", name, dlerror());
		return NULL;
	}
	snprintf(sym, sizeof(sym), "queue_%s_ops", name);
	ops = dlsym(h, sym);
	if (ops == NULL) {
		snprintf(err, errlen, "queue backend '%s': %s has no %s", name, path, sym);
		dlclose(h);
		return NULL;
	}
	return ops; /* stays loaded for the life of the process */
}
