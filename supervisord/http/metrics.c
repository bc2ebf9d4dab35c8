/*
 * metrics.c — see metrics.h. Every family is written with its # HELP and
 * # TYPE lines, names in base units (seconds, bytes) and counters ending in
 * _total, as the Prometheus naming conventions ask (`promtool check metrics`
 * passes, tests/e2e/test_metrics.sh). A process's state is a state set: one
 * series per state of supervisord's, 1 for the one it is in. Families with no
 * sample are written with their HELP and TYPE only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* supervisord's process states, in its order. */
static const char *const metrics_states[] = {"STOPPED",	 "STARTING", "RUNNING", "BACKOFF",
					     "STOPPING", "EXITED",   "FATAL",	"UNKNOWN"};

/* A label value: backslash, double quote and newline escaped. */
static void metrics_value(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",k2="v2"} (labels: NULL-terminated pairs) */
static void metrics_series(FILE *f, const char *name, const char *const *labels)
{
	fputs(name, f);
	if (labels == NULL || labels[0] == NULL)
		return;
	fputc('{', f);
	for (size_t i = 0; labels[i] != NULL; i += 2) {
		fprintf(f, "%s%s=\"", i > 0 ? "," : "", labels[i]);
		metrics_value(f, labels[i + 1]);
		fputc('"', f);
	}
	fputc('}', f);
}

static void metrics_int(FILE *f, const char *name, const char *const *labels, long long v)
{
	metrics_series(f, name, labels);
	fprintf(f, " %lld\n", v);
}

static void metrics_real(FILE *f, const char *name, const char *const *labels, double v)
{
	metrics_series(f, name, labels);
	fprintf(f, " %.9g\n", v);
}

static long long metrics_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_number_value(v);
}

static const char *metrics_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

/* ---- processes ---- */

/* One gauge or counter per process, from the process object's key (absent/null: no sample). */
static void metrics_procs(FILE *f, json_t *procs, const char *name, const char *type, const char *help,
			  const char *key, bool positive_only)
{
	size_t i;
	json_t *p;

	metrics_family(f, name, type, help);
	for (i = 0; i < json_array_size(procs); i++) {
		p = json_array_get(procs, i);
		json_t *v = json_object_get(p, key);
		const char *labels[] = {"group", metrics_str(p, "group"), "name", metrics_str(p, "name"),
					NULL};

		if (!json_is_number(v) || (positive_only && json_number_value(v) < 0))
			continue;
		metrics_int(f, name, labels, (long long)json_number_value(v));
	}
}

static void metrics_processes(FILE *f, json_t *procs)
{
	size_t i;
	json_t *p;

	metrics_family(f, "taskvisor_process_state", "gauge",
		       "Process state as supervisord names it: 1 for the state the process is in, 0 for the "
		       "others.");
	for (i = 0; i < json_array_size(procs); i++) {
		p = json_array_get(procs, i);
		for (size_t k = 0; k < sizeof(metrics_states) / sizeof(metrics_states[0]); k++) {
			const char *labels[] = {
			    "group", metrics_str(p, "group"), "name", metrics_str(p, "name"),
			    "state", metrics_states[k],	      NULL};
			metrics_int(f, "taskvisor_process_state", labels,
				    strcmp(metrics_str(p, "state"), metrics_states[k]) == 0);
		}
	}
	metrics_procs(f, procs, "taskvisor_process_restarts_total", "counter",
		      "Automatic restarts of the process since the daemon started.", "restarts", false);
	metrics_procs(f, procs, "taskvisor_process_oom_kills_total", "counter",
		      "Times the kernel's OOM killer ended the process since the daemon started.",
		      "oom_kills", false);
	metrics_procs(f, procs, "taskvisor_process_uptime_seconds", "gauge",
		      "Seconds since the process was spawned while RUNNING, else 0.", "uptime", false);
	metrics_procs(f, procs, "taskvisor_process_start_time_seconds", "gauge",
		      "Unix time of the process's last spawn (0: never started).", "start", false);
	metrics_procs(f, procs, "taskvisor_process_memory_bytes", "gauge",
		      "Resident memory of the process (its cgroup, else its process group), as check memory "
		      "counts it.",
		      "memory", true);
	metrics_procs(f, procs, "taskvisor_process_last_exit_status", "gauge",
		      "Exit status of the process's last exit (128 + the signal when a signal ended it).",
		      "exitstatus", false);
}

/* ---- the engine ---- */

static void metrics_queue_family(FILE *f, json_t *queues, const char *name, const char *type,
				 const char *help, const char *key)
{
	size_t i;
	json_t *q;

	metrics_family(f, name, type, help);
	for (i = 0; i < json_array_size(queues); i++) {
		q = json_array_get(queues, i);
		const char *labels[] = {"queue", metrics_str(q, "name"), NULL};
		json_t *v = json_object_get(q, key);

		if (json_is_real(v))
			metrics_real(f, name, labels, json_real_value(v));
		else
			metrics_int(f, name, labels,
				    json_is_integer(v) ? (long long)json_integer_value(v) : 0);
	}
}

/* A histogram {"le","counts" (cumulative, the last +Inf),"count","sum"}; labels without le. */
static void metrics_histogram(FILE *f, const char *name, const char *const *labels, json_t *h)
{
	char bucket[128], sum[128], count[128], le[32];
	const char *lab[16];
	size_t n = 0, i;
	json_t *les = json_object_get(h, "le"), *counts = json_object_get(h, "counts");

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	for (; labels != NULL && labels[n] != NULL && n < 12; n++)
		lab[n] = labels[n];
	lab[n] = "le";
	lab[n + 2] = NULL;
	for (i = 0; i < json_array_size(counts); i++) {
		if (i < json_array_size(les))
			snprintf(le, sizeof(le), "%g", json_number_value(json_array_get(les, i)));
		else
			snprintf(le, sizeof(le), "+Inf");
		lab[n + 1] = le;
		metrics_int(f, bucket, lab, (long long)json_integer_value(json_array_get(counts, i)));
	}
	metrics_real(f, sum, labels, json_number_value(json_object_get(h, "sum")));
	metrics_int(f, count, labels, metrics_get(h, "count"));
}

static void metrics_engine(FILE *f, json_t *e)
{
	json_t *queues = json_object_get(e, "queues"), *v;
	size_t i;

	metrics_queue_family(f, queues, "taskvisor_queue_ready_steps", "gauge",
			     "Steps ready and waiting for a worker of the queue.", "ready");
	metrics_queue_family(f, queues, "taskvisor_queue_running_steps", "gauge",
			     "Steps the queue's workers hold now.", "running");
	metrics_queue_family(f, queues, "taskvisor_queue_workers", "gauge", "Workers connected to the queue.",
			     "workers");
	metrics_queue_family(f, queues, "taskvisor_queue_busy_workers", "gauge",
			     "Workers of the queue with no free slot.", "busy");
	metrics_queue_family(f, queues, "taskvisor_queue_paused_tasks", "gauge", "Paused tasks of the queue.",
			     "paused");
	metrics_queue_family(f, queues, "taskvisor_queue_oldest_wait_seconds", "gauge",
			     "How long the oldest ready step of the queue has waited (0: none waits).",
			     "oldest_wait");
	metrics_queue_family(f, queues, "taskvisor_queue_steps_done_total", "counter",
			     "Steps of the queue that succeeded since the daemon started.", "done");
	metrics_queue_family(f, queues, "taskvisor_queue_steps_failed_total", "counter",
			     "Steps of the queue that failed or lost their worker since the daemon started.",
			     "failed");

	metrics_family(f, "taskvisor_tasks", "gauge",
		       "Tasks in the database by state, result and label (counted at most 2 s ago).");
	for (i = 0; i < json_array_size(json_object_get(e, "tasks")); i++) {
		v = json_array_get(json_object_get(e, "tasks"), i);
		const char *labels[] = {"state", metrics_str(v, "state"), "result", metrics_str(v, "result"),
					"label", metrics_str(v, "label"), NULL};
		metrics_int(f, "taskvisor_tasks", labels, metrics_get(v, "count"));
	}
	metrics_family(f, "taskvisor_tasks_submitted_total", "counter",
		       "Tasks planned since the daemon started (submitted, spawned, recurring), by label.");
	for (i = 0; i < json_array_size(json_object_get(e, "submitted")); i++) {
		v = json_array_get(json_object_get(e, "submitted"), i);
		const char *labels[] = {"label", metrics_str(v, "label"), NULL};
		metrics_int(f, "taskvisor_tasks_submitted_total", labels, metrics_get(v, "count"));
	}
	metrics_family(f, "taskvisor_tasks_finished_total", "counter",
		       "Tasks stopped since the daemon started, by label and result.");
	for (i = 0; i < json_array_size(json_object_get(e, "finished")); i++) {
		v = json_array_get(json_object_get(e, "finished"), i);
		const char *labels[] = {"label", metrics_str(v, "label"), "result", metrics_str(v, "result"),
					NULL};
		metrics_int(f, "taskvisor_tasks_finished_total", labels, metrics_get(v, "count"));
	}
	metrics_family(f, "taskvisor_step_duration_seconds", "histogram",
		       "Run time of steps by task label and step name since the daemon started (at most "
		       "256 series; more are counted under label and step \"_other\").");
	for (i = 0; i < json_array_size(json_object_get(e, "steps")); i++) {
		v = json_array_get(json_object_get(e, "steps"), i);
		const char *labels[] = {"label", metrics_str(v, "label"), "step", metrics_str(v, "step"),
					NULL};
		metrics_histogram(f, "taskvisor_step_duration_seconds", labels, v);
	}
	metrics_family(f, "taskvisor_store_commit_duration_seconds", "histogram",
		       "Time the task database took to commit one group of changes.");
	metrics_histogram(f, "taskvisor_store_commit_duration_seconds", NULL, json_object_get(e, "commit"));
}

char *metrics_text(json_t *body, unsigned http_conns, size_t *len)
{
	json_t *d = json_object_get(body, "daemon"), *e = json_object_get(body, "engine");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	const char *native[] = {"kind", "native", NULL}, *http[] = {"kind", "http", NULL};

	if (f == NULL)
		return NULL;
	metrics_processes(f, json_object_get(body, "processes"));

	metrics_family(f, "taskvisor_task_database_open", "gauge",
		       "1 when the task database is open (the task metrics below are served), else 0.");
	metrics_int(f, "taskvisor_task_database_open", NULL, json_is_object(e));
	if (json_is_object(e))
		metrics_engine(f, e);

	metrics_family(f, "process_resident_memory_bytes", "gauge", "Resident memory of taskvisord itself.");
	metrics_int(f, "process_resident_memory_bytes", NULL, metrics_get(d, "rss"));
	metrics_family(f, "process_open_fds", "gauge", "File descriptors taskvisord has open.");
	metrics_int(f, "process_open_fds", NULL, metrics_get(d, "fds"));
	metrics_family(f, "process_start_time_seconds", "gauge", "Unix time taskvisord started.");
	metrics_int(f, "process_start_time_seconds", NULL, metrics_get(d, "start_time"));
	metrics_family(f, "taskvisor_connections", "gauge",
		       "Connections open now: native (taskvisorctl, workers, libtaskvisor) and HTTP.");
	metrics_int(f, "taskvisor_connections", native, metrics_get(d, "connections"));
	metrics_int(f, "taskvisor_connections", http, (long long)http_conns);
	metrics_family(f, "taskvisor_connections_max", "gauge",
		       "The cap on native connections (max_connections).");
	metrics_int(f, "taskvisor_connections_max", NULL, metrics_get(d, "max_connections"));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
