/*
 * cmd_task.c — taskvisorctl's task commands: "task submit|list|show|resume|
 * skip|cancel|schedule|cleanup|export|locks|unlock|force-unlock" and
 * "recurring list|show|cancel", and "check" (Nagios plugin). Sub-tables,
 * found by unique prefix like the top-level commands. Flags are checked here, before anything is
 * sent, with messages that name the flag; the daemon's own refusals (e.g.
 * "Cancel Not Implemented for Task: ID") are printed as they come.
 * Every subcommand takes --json (print the daemon's reply as is).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"
#include "taskvisor.h"
#include "when.h"
#include "xmalloc.h"

/* ---- small helpers ---- */

static const char *task_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "-";
}

/* Print the daemon's refusal (its JSON on stdout under --json) and turn it into an exit status. */
static int task_refused(struct ctl *c, json_t *err)
{
	json_t *code = json_object_get(err, "code");
	if (c->json)
		ctl_print_json(err);
	else
		fprintf(stderr, "%s\n", ctl_error_text(err));
	if (json_is_integer(code) && json_integer_value(code) > 0 && json_integer_value(code) < 126)
		return (int)json_integer_value(code);
	return CTL_EXIT_ERROR;
}

/* Send a request; the DATA frames of a streamed answer (lists, exports) go to on_data (may be
 * NULL) as they come. Returns the exit status; *reply is the final OK's body. */
static int task_call_stream(struct ctl *c, uint32_t type, json_t *req, ctl_data_fn on_data, void *arg,
			    json_t **reply)
{
	int rc = ctl_stream(c, type, req, on_data, arg, reply);

	if (rc < 0)
		return CTL_EXIT_UNREACHABLE;
	if (rc == 1) {
		int st = task_refused(c, *reply);
		json_decref(*reply);
		*reply = NULL;
		return st;
	}
	return CTL_EXIT_OK;
}

/* Send a request; print JSON or let show() print text. Returns the exit status. */
static int task_call(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	return task_call_stream(c, type, req, NULL, NULL, reply);
}

/* Print a streamed {"tasks": [...]} as one JSON object, a task at a time (n: tasks so far). */
static void task_json_stream(FILE *fp, json_t *tasks, size_t *n)
{
	json_t *t;
	size_t i;

	json_array_foreach(tasks, i, t)
	{
		char *text = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(fp, "%s%s", *n == 0 ? "{\"tasks\": [\n" : ",\n", text != NULL ? text : "{}");
		free(text);
		(*n)++;
	}
}

static void task_json_stream_end(FILE *fp, size_t n)
{
	fprintf(fp, "%s]}\n", n == 0 ? "{\"tasks\": [" : "\n");
}

/* With --json, print the reply and free it: true, the command has nothing more to print. */
static bool task_json_only(struct ctl *c, json_t *reply)
{
	if (!c->json)
		return false;
	ctl_print_json(reply);
	json_decref(reply);
	return true;
}

/*
 * A tiny flag parser that works the same in the interactive shell (no
 * getopt state): "--name VALUE" or "--name=VALUE". Returns the value or NULL
 * when argv[*i] is not flag `name`; *bad set when the value is missing.
 */
static const char *task_flag(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	(*i)++;
	return argv[*i];
}

static int task_bad(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int task_bad(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, strncmp(sub, "recurring", 9) == 0 ? "%s: " : "task %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_BAD_ARGS;
}

/* The last word of a flag loop on argv[i], arg: a flag without its value (bad), or an argument
 * the command does not take. An exit status. */
static int task_unexpected(const char *sub, const char *arg, bool bad, const char *usage)
{
	if (bad)
		return task_bad(sub, "%s needs a value", arg);
	return task_bad(sub, "unexpected argument \"%s\" (usage: %s)", arg, usage);
}

/* Parse a time flag into req[key]; 0 or an exit status. */
static int task_time_flag(const char *sub, const char *flag, const char *val, json_t *req, const char *key)
{
	double t;

	if (tv_parse_time(val, ctl_now(), &t) < 0)
		return task_bad(sub,
				"%s: cannot parse time \"%s\" (use \"2026-11-23 14:00\", ISO 8601, "
				"epoch seconds or +10s/+5m/+2h/+1d)",
				flag, val);
	json_object_set_new(req, key, json_real(t));
	return 0;
}

/* ---- printing a task ---- */

/* "done/total" steps; a parent adds its chord: "1/2, 12/20 children stopped". */
static void task_print_progress(json_t *t, char *buf, size_t len)
{
	json_t *pr = json_object_get(t, "progress");
	long long ct = json_integer_value(json_object_get(pr, "children_total"));
	int n =
	    snprintf(buf, len, "%lld/%lld", (long long)json_integer_value(json_object_get(t, "steps_done")),
		     (long long)json_integer_value(json_object_get(t, "steps_total")));

	if (ct > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %lld/%lld children stopped",
			 (long long)json_integer_value(json_object_get(pr, "children_stopped")), ct);
}

static void task_print_json_line(const char *title, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	printf("%-14s%s\n", title, s != NULL ? s : "{}");
	free(s);
}

static void task_print_duration(json_t *from, json_t *to, char *buf, size_t len)
{
	double d;

	if (!json_is_number(from)) {
		snprintf(buf, len, "-");
		return;
	}
	d = (json_is_number(to) ? json_number_value(to) : ctl_now()) - json_number_value(from);
	if (d < 60)
		snprintf(buf, len, "%.3fs", d);
	else
		snprintf(buf, len, "%dm%02ds", (int)(d / 60), (int)d % 60);
}

/* Lines of a step's output tail `task show` prints of each stream (`task tail` has them all). */
#define TASK_SHOW_LINES 10

/* The last n lines of text, each as "      | line". */
static void task_print_last_lines(const char *text, int n)
{
	const char *p = text + strlen(text);
	int lines = 0;

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text && lines < n) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		printf("      | %.*s\n", (int)len, p);
		p += len;
		if (*p == '\n')
			p++;
	}
}

/* One stream of a step's stored output, with what was cut said. */
static void task_print_stream(json_t *st, const char *name)
{
	char key[32];
	const char *text = json_string_value(json_object_get(st, name));
	long long bytes, kept;

	if (text == NULL)
		return;
	snprintf(key, sizeof(key), "%s_bytes", name);
	bytes = (long long)json_integer_value(json_object_get(st, key));
	kept = (long long)strlen(text);
	if (bytes > kept)
		printf("    %s (%lld bytes; cut: the last %lld kept), last %d lines:\n", name, bytes, kept,
		       TASK_SHOW_LINES);
	else
		printf("    %s (%lld bytes), last %d lines:\n", name, bytes, TASK_SHOW_LINES);
	task_print_last_lines(text, TASK_SHOW_LINES);
}

/* "Step output:": each step's stored stdout and stderr tails (README "A step's output"). */
static void task_print_step_output(json_t *t, json_t *steps)
{
	json_t *v;
	size_t i;
	bool any = false;

	for (i = 0; i < json_array_size(steps) && (v = json_array_get(steps, i)) != NULL; i++) {
		long long dropped = (long long)json_integer_value(json_object_get(v, "output_dropped"));

		if (json_object_get(v, "output_attempt") == NULL)
			continue;
		if (!any)
			printf("Step output (task tail %.8s STEP for all that is kept):\n",
			       task_str(t, "id"));
		any = true;
		printf("  step %s (attempt %lld):\n", task_str(v, "name"),
		       (long long)json_integer_value(json_object_get(v, "output_attempt")));
		task_print_stream(v, "stdout");
		task_print_stream(v, "stderr");
		if (dropped > 0)
			printf("    (%lld lines were not sent live: over the worker's rate cap)\n", dropped);
	}
}

static void task_print_show(json_t *t)
{
	char b1[32], prog[64];
	json_t *steps = json_object_get(t, "steps"), *errors = json_object_get(t, "errors");
	json_t *locks = json_object_get(t, "locks"), *children = json_object_get(t, "children"), *v;
	size_t i;

	task_print_progress(t, prog, sizeof(prog));
	printf("%-14s%s\n", "ID:", task_str(t, "id"));
	printf("%-14s%s\n", "Label:", task_str(t, "label"));
	printf("%-14s%s\n", "Name:", task_str(t, "name"));
	printf("%-14s%s\n", "Queue:", task_str(t, "queue"));
	printf("%-14s%s\n", "State:", task_str(t, "state"));
	if (json_string_value(json_object_get(t, "waiting")) != NULL) /* why no worker has it yet */
		printf("%-14s%s\n", "Waiting:", task_str(t, "waiting"));
	printf("%-14s%s\n", "Result:", task_str(t, "result"));
	printf("%-14s%s\n", "Triggered by:", task_str(t, "triggered_by"));
	printf("%-14s%s\n", "Parent task:", task_str(t, "parent_task_id"));
	if (json_object_get(t, "recurring_id") != NULL) /* made by a recurring logic (recurring show ID) */
		printf("%-14s%s\n", "Recurring:", task_str(t, "recurring_id"));
	printf("%-14s%s\n", "Created at:", ctl_time(json_object_get(t, "created_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Start at:", ctl_time(json_object_get(t, "start_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Start before:", ctl_time(json_object_get(t, "start_before"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Started at:", ctl_time(json_object_get(t, "started_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Ended at:", ctl_time(json_object_get(t, "ended_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Cancellable:", json_is_true(json_object_get(t, "cancellable")) ? "yes" : "no");
	printf("%-14s%s\n", "Progress:", prog);
	if (json_object_size(json_object_get(t, "progress")) > 0)
		task_print_json_line("Details:", json_object_get(t, "progress"));
	if (json_array_size(steps) > 0) {
		printf("Steps:\n");
		printf("  %-3s %-16s %-10s %-24s %-8s %-19s %-19s %s\n", "#", "NAME", "STATE", "WORKER",
		       "ATTEMPTS", "STARTED", "ENDED", "DURATION");
		for (i = 0; i < json_array_size(steps) && (v = json_array_get(steps, i)) != NULL; i++) {
			char st[32], en[32], du[32], wk[64];
			json_t *pid = json_object_get(v, "pid");
			task_print_duration(json_object_get(v, "started_at"), json_object_get(v, "ended_at"),
					    du, sizeof(du));
			if (json_is_integer(pid))
				snprintf(wk, sizeof(wk), "%s[%lld]", task_str(v, "worker"),
					 (long long)json_integer_value(pid));
			else
				snprintf(wk, sizeof(wk), "%s", task_str(v, "worker"));
			printf("  %-3lld %-16s %-10s %-24s %-8lld %-19s %-19s %s\n",
			       (long long)json_integer_value(json_object_get(v, "index")),
			       task_str(v, "name"), task_str(v, "state"), wk,
			       (long long)json_integer_value(json_object_get(v, "attempts")),
			       ctl_time(json_object_get(v, "started_at"), st, sizeof(st)),
			       ctl_time(json_object_get(v, "ended_at"), en, sizeof(en)), du);
			if (json_object_get(v, "command") != NULL)
				printf("      command: %s\n", task_str(v, "command"));
			else if (json_object_get(v, "handler") != NULL)
				printf("      handler: %s\n", task_str(v, "handler"));
		}
	}
	if (json_array_size(errors) > 0) {
		printf("Errors:\n");
		for (i = 0; i < json_array_size(errors) && (v = json_array_get(errors, i)) != NULL; i++) {
			const char *tail = json_string_value(json_object_get(v, "output_tail"));
			printf("  %s step %s: %s\n", ctl_time(json_object_get(v, "at"), b1, sizeof(b1)),
			       task_str(v, "step"), task_str(v, "message"));
			if (tail != NULL && *tail != '\0') {
				const char *p = tail;
				printf("    output tail:\n");
				while (*p != '\0') {
					size_t n = strcspn(p, "\n");
					printf("      | %.*s\n", (int)n, p);
					p += n;
					if (*p == '\n')
						p++;
				}
			}
		}
	}
	task_print_step_output(t, steps);
	if (json_array_size(locks) > 0) {
		printf("Locks:\n");
		for (i = 0; i < json_array_size(locks) && (v = json_array_get(locks, i)) != NULL; i++)
			printf("  %s (%s)\n", task_str(v, "resource"),
			       json_is_true(json_object_get(v, "exclusive")) ? "exclusive" : "link");
	}
	if (json_array_size(children) > 0) {
		printf("Children:\n");
		for (i = 0; i < json_array_size(children) && (v = json_array_get(children, i)) != NULL; i++)
			printf("  %s\n", json_string_value(v) != NULL ? json_string_value(v) : "?");
	}
	task_print_json_line("Input:", json_object_get(t, "input"));
	task_print_json_line("Output:", json_object_get(t, "output"));
}

/* ---- submit ---- */

struct task_follow {
	bool json;
	char last[256];
};

/* One line per visible change while --wait follows a task; stop following when it pauses
 * (only an operator moves a paused task on). */
static int task_follow_cb(void *arg, json_t *t)
{
	struct task_follow *f = arg;
	char line[256], prog[64], *details;
	bool paused = strcmp(task_str(t, "state"), "paused") == 0;

	if (f->json)
		return paused;
	task_print_progress(t, prog, sizeof(prog));
	details = json_object_size(json_object_get(t, "progress")) > 0
		      ? json_dumps(json_object_get(t, "progress"), JSON_COMPACT | JSON_SORT_KEYS)
		      : NULL;
	snprintf(line, sizeof(line), "%s %s %s%s%s", task_str(t, "state"), task_str(t, "result"), prog,
		 details != NULL ? " " : "", details != NULL ? details : "");
	free(details);
	if (strcmp(line, f->last) != 0) {
		printf("%s\n", line);
		fflush(stdout);
		snprintf(f->last, sizeof(f->last), "%s", line);
	}
	return paused;
}

/*
 * Follow task id until it stops or pauses; exit 0 only for result success.
 * Uses libtaskvisor's tv_follow (MSG_TASK_WAIT plus a periodic check), so a
 * task that pauses between two requests is still noticed.
 */
static int task_follow(struct ctl *c, const char *id)
{
	struct task_follow f = {.json = c->json};
	struct tv_client *tc;
	char err[TV_ERR_LEN];
	json_t *t = NULL, *full = NULL;
	const char *result;
	int rc;

	tc = ctl_connect(c, err, sizeof(err));
	if (tc == NULL) {
		printf("%s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	rc = tv_follow(tc, id, 1.0, task_follow_cb, &f, &t);
	if (rc < 0) {
		fprintf(stderr, "%s\n", tv_client_error(tc));
		return CTL_EXIT_ERROR;
	}
	/* The whole task (steps, errors) for the last word. */
	if (tv_get(tc, id, &full) == 0) {
		json_decref(t);
		t = full;
	}
	result = task_str(t, "result");
	if (c->json) {
		json_t *j = json_pack("{s:O}", "task", t);
		ctl_print_json(j);
		json_decref(j);
	} else {
		json_t *errors = json_object_get(t, "errors");
		printf("Task %s %s: %s\n", id, task_str(t, "state"), result);
		if (json_array_size(errors) > 0) {
			json_t *e = json_array_get(errors, json_array_size(errors) - 1);
			printf("Error in step %s: %s\n", task_str(e, "step"), task_str(e, "message"));
		}
	}
	rc = strcmp(result, "success") == 0 ? CTL_EXIT_OK : CTL_EXIT_ERROR;
	json_decref(t);
	return rc;
}

static int task_submit(struct ctl *c, int argc, char **argv)
{
	const char *sub = "submit", *label = NULL, *v;
	json_t *req = json_object(), *reply = NULL, *in = NULL;
	bool wait = false, bad = false;
	int st;

	for (int i = 1; i < argc; i++) {
		if ((v = task_flag(argc, argv, &i, "--input", &bad)) != NULL) {
			json_error_t je;
			json_decref(in);
			in = json_loads(v, JSON_DECODE_ANY, &je);
			if (in == NULL) {
				json_decref(req);
				return task_bad(sub, "--input: bad JSON at line %d column %d: %s", je.line,
						je.column, je.text);
			}
			if (!json_is_object(in)) {
				json_decref(in);
				json_decref(req);
				return task_bad(sub,
						"--input: not a JSON object (e.g. '{\"repo\":\"base\"}')");
			}
		} else if ((v = task_flag(argc, argv, &i, "--start-at", &bad)) != NULL) {
			if ((st = task_time_flag(sub, "--start-at", v, req, "start_at")) != 0)
				goto out;
		} else if ((v = task_flag(argc, argv, &i, "--start-before", &bad)) != NULL) {
			if ((st = task_time_flag(sub, "--start-before", v, req, "start_before")) != 0)
				goto out;
		} else if ((v = task_flag(argc, argv, &i, "--parent", &bad)) != NULL) {
			json_object_set_new(req, "parent", json_string(v));
		} else if (bad) {
			st = task_bad(sub, "%s needs a value", argv[i]);
			goto out;
		} else if (strcmp(argv[i], "--wait") == 0 || strcmp(argv[i], "-w") == 0) {
			wait = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			c->json = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			st = task_bad(sub,
				      "unknown option %s (usage: task submit LABEL [--input JSON] "
				      "[--start-at T] [--start-before T] [--wait] [--json])",
				      argv[i]);
			goto out;
		} else if (label == NULL) {
			label = argv[i];
		} else {
			st = task_bad(sub, "one label only, got \"%s\" and \"%s\"", label, argv[i]);
			goto out;
		}
	}
	if (label == NULL) {
		st = task_bad(sub,
			      "no task label given (usage: task submit LABEL [--input JSON] [--start-at T] "
			      "[--start-before T] [--wait])");
		goto out;
	}
	json_object_set_new(req, "label", json_string(label));
	json_object_set_new(req, "input", in != NULL ? in : json_object());
	in = NULL;
	st = ctl_request(c, MSG_TASK_SUBMIT, req, &reply);
	req = NULL;
	if (st != 0) { /* a lock conflict's task exists (stopped, error): its id on stdout too */
		if (st > 0 && !c->json && json_string_value(json_object_get(reply, "id")) != NULL)
			printf("%s\n", task_str(reply, "id"));
		st = st < 0 ? CTL_EXIT_UNREACHABLE : task_refused(c, reply);
		goto out;
	}
	if (json_string_value(json_object_get(reply, "warning")) != NULL) /* e.g. no worker serves it */
		fprintf(stderr, "warning: %s\n", task_str(reply, "warning"));
	if (c->json && !wait)
		ctl_print_json(reply);
	else if (!c->json) {
		printf("%s\n", task_str(reply, "id"));
		fflush(stdout);
	}
	if (wait) {
		char id[TV_ID_LEN];
		snprintf(id, sizeof(id), "%s", task_str(reply, "id"));
		st = task_follow(c, id);
	}
out:
	json_decref(in);
	json_decref(req);
	json_decref(reply);
	return st;
}

/* ---- list ---- */

/* The table of `task list`, printed page by page: the widths come from the first page. */
struct task_list_out {
	struct ctl *c;
	bool ids; /* --ids: one id a line, nothing else (for scripts) */
	bool header;
	size_t n, w_id, w_label, w_state, w_result;
};

static void task_list_rows(struct task_list_out *o, json_t *tasks)
{
	json_t *t;
	size_t i;

	if (o->ids) {
		json_array_foreach(tasks, i, t)
		{
			printf("%s\n", task_str(t, "id"));
		}
		o->header = true;
		return;
	}

	if (!o->header) {
		o->w_id = 36, o->w_label = 5, o->w_state = 8, o->w_result = 9;
		json_array_foreach(tasks, i, t)
		{
#define W(w, k)                                                                                              \
	if (strlen(task_str(t, k)) > w)                                                                      \
	w = strlen(task_str(t, k))
			W(o->w_id, "id");
			W(o->w_label, "label");
			W(o->w_state, "state");
			W(o->w_result, "result");
#undef W
		}
		printf("%-*s  %-*s  %-*s  %-*s  %-19s  %-19s  %s\n", (int)o->w_id, "ID", (int)o->w_label,
		       "LABEL", (int)o->w_state, "STATE", (int)o->w_result, "RESULT", "STARTED", "ENDED",
		       "PROGRESS");
		o->header = true;
	}
	json_array_foreach(tasks, i, t)
	{
		char s1[32], s2[32], prog[64];
		task_print_progress(t, prog, sizeof(prog));
		printf("%-*s  %-*s  %-*s  %-*s  %-19s  %-19s  %s", (int)o->w_id, task_str(t, "id"),
		       (int)o->w_label, task_str(t, "label"), (int)o->w_state, task_str(t, "state"),
		       (int)o->w_result, task_str(t, "result"),
		       ctl_time(json_object_get(t, "started_at"), s1, sizeof(s1)),
		       ctl_time(json_object_get(t, "ended_at"), s2, sizeof(s2)), prog);
		/* --stuck: why the task counts as stuck (engine_task_stuck_why) */
		if (json_string_value(json_object_get(t, "stuck_reason")) != NULL)
			printf("  STUCK: %s", task_str(t, "stuck_reason"));
		printf("\n");
		o->n++;
	}
}

static int task_list_page(void *arg, json_t *body)
{
	struct task_list_out *o = arg;

	if (o->c->json && !o->ids)
		task_json_stream(stdout, json_object_get(body, "tasks"), &o->n);
	else
		task_list_rows(o, json_object_get(body, "tasks"));
	return 0;
}

static int task_list(struct ctl *c, int argc, char **argv)
{
	const char *sub = "list", *v;
	json_t *req = json_object(), *reply = NULL;
	struct task_list_out lp = {.c = c};
	bool bad = false;
	int st;

	for (int i2 = 1; i2 < argc; i2++) {
		if ((v = task_flag(argc, argv, &i2, "--search", &bad)) != NULL) {
			json_object_set_new(req, "search", json_string(v));
		} else if ((v = task_flag(argc, argv, &i2, "--limit", &bad)) != NULL) {
			char *end;
			long n;
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || end == v || n < 0) {
				json_decref(req);
				return task_bad(sub, "--limit: not a number >= 0: \"%s\"", v);
			}
			json_object_set_new(req, "limit", json_integer(n));
		} else if ((v = task_flag(argc, argv, &i2, "--order", &bad)) != NULL) {
			char order[256];
			const char *dir = "";
			if (i2 + 1 < argc &&
			    (strcmp(argv[i2 + 1], "asc") == 0 || strcmp(argv[i2 + 1], "desc") == 0))
				dir = argv[++i2];
			if (*v == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyz_") != strlen(v)) {
				json_decref(req);
				return task_bad(
				    sub, "--order: not a field name: \"%s\" (e.g. --order started_at desc)",
				    v);
			}
			snprintf(order, sizeof(order), "%s%s%s", v, *dir ? " " : "", dir);
			json_object_set_new(req, "order", json_string(order));
		} else if (strcmp(argv[i2], "--stuck") == 0) {
			json_object_set_new(req, "stuck", json_true());
		} else if (strcmp(argv[i2], "--ids") == 0) {
			lp.ids = true;
		} else if (strcmp(argv[i2], "--json") == 0) {
			c->json = true;
		} else {
			json_decref(req);
			return task_unexpected(
			    sub, argv[i2], bad,
			    "task list [--search Q] [--limit N] [--order FIELD [asc|desc]] "
			    "[--stuck] [--ids] [--json]");
		}
	}
	if (json_is_true(json_object_get(req, "stuck"))) {
		st = task_call(c, MSG_TASK_LIST, req, &reply);
		if (st != 0)
			return st;
		if (!lp.ids && task_json_only(c, reply))
			return 0;
		task_list_rows(&lp, json_object_get(reply, "tasks"));
		if (!lp.header)
			task_list_rows(&lp, NULL);
		json_decref(reply);
		return 0;
	}
	/* streamed: pages of rows as they come, whatever their number (the daemon's memory stays flat) */
	json_object_set_new(req, "stream", json_true());
	st = task_call_stream(c, MSG_TASK_LIST, req, task_list_page, &lp, &reply);
	if (st == CTL_EXIT_OK && lp.ids)
		; /* ids only: nothing more */
	else if (st == CTL_EXIT_OK && c->json)
		task_json_stream_end(stdout, lp.n);
	else if (st == CTL_EXIT_OK && !lp.header)
		task_list_rows(&lp, NULL); /* no task: the header alone */
	json_decref(reply);
	fflush(stdout);
	return st;
}

/* ---- show / resume / skip / cancel / unlock / force-unlock ---- */

/* Parse "ID [--json]" into *id; 0 or an exit status. */
static int task_id_arg(struct ctl *c, const char *sub, int argc, char **argv, const char **id)
{
	const char *pre = strncmp(sub, "recurring", 9) == 0 ? "" : "task ";

	*id = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return task_bad(sub, "unknown option %s (usage: %s%s ID [--json])", argv[i], pre,
					sub);
		else if (*id == NULL)
			*id = argv[i];
		else
			return task_bad(sub, "one id only (usage: %s%s ID [--json])", pre, sub);
	}
	if (*id == NULL)
		return task_bad(sub, "no id given (usage: %s%s ID [--json])", pre, sub);
	return 0;
}

static int task_show(struct ctl *c, int argc, char **argv)
{
	const char *id;
	json_t *reply = NULL;
	int st = task_id_arg(c, "show", argc, argv, &id);

	if (st != 0 || (st = task_call(c, MSG_TASK_SHOW, json_pack("{s:s}", "id", id), &reply)) != 0)
		return st;
	if (c->json)
		ctl_print_json(reply);
	else
		task_print_show(json_object_get(reply, "task"));
	json_decref(reply);
	return 0;
}

/* ---- tail: a step's own output ---- */

/* Lines [["stdout"|"stderr","text"],...] to our stdout / stderr. */
static void task_tail_lines(json_t *lines)
{
	json_t *v;
	size_t i;

	json_array_foreach(lines, i, v)
	{
		const char *stream = json_string_value(json_array_get(v, 0));
		const char *text = json_string_value(json_array_get(v, 1));

		if (text != NULL)
			fprintf(stream != NULL && strcmp(stream, "stderr") == 0 ? stderr : stdout, "%s\n",
				text);
	}
	fflush(stdout);
	fflush(stderr);
}

static int task_tail_data(void *arg, json_t *data)
{
	struct ctl *c = arg;
	json_t *n;

	if (c->json) {
		ctl_print_json(data);
		fflush(stdout);
		return 0;
	}
	task_tail_lines(json_object_get(data, "lines"));
	if (json_integer_value(n = json_object_get(data, "skipped")) > 0)
		fprintf(stderr, "[taskvisord: %lld lines skipped: this follower read too slowly]\n",
			(long long)json_integer_value(n));
	if (json_integer_value(n = json_object_get(data, "dropped")) > 0)
		fprintf(stderr, "[taskvisord: %lld lines dropped by the worker: over %d lines a second]\n",
			(long long)json_integer_value(n), TV_LOG_RATE);
	return 0;
}

/* The stored tails of a finished step: stdout to stdout, stderr to stderr, with what was cut. */
static void task_tail_stored(json_t *r)
{
	static const char *const names[] = {"stdout", "stderr"};

	for (int k = 0; k < 2; k++) {
		char key[32];
		const char *text = json_string_value(json_object_get(r, names[k]));
		long long bytes;

		snprintf(key, sizeof(key), "%s_bytes", names[k]);
		bytes = (long long)json_integer_value(json_object_get(r, key));
		if (text == NULL)
			continue;
		if (bytes > (long long)strlen(text))
			fprintf(stderr, "[taskvisord: %s had %lld bytes; the last %zu are kept]\n", names[k],
				bytes, strlen(text));
		fputs(text, k == 0 ? stdout : stderr);
	}
	fflush(stdout);
}

/* Exit status of a step by its state: 0 when it succeeded (or waits for its children). */
static int task_tail_status(const char *state)
{
	return strcmp(state, "success") == 0 || strcmp(state, "suspended") == 0 ? CTL_EXIT_OK
										: CTL_EXIT_ERROR;
}

static int task_tail(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "usage: task tail [-f] ID [STEP]";
	const char *id = NULL, *step = NULL, *state;
	bool follow = false;
	json_t *req, *reply = NULL;
	int st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0)
			follow = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return task_bad("tail", "unknown option %s (%s)", argv[i], usage);
		else if (id == NULL)
			id = argv[i];
		else if (step == NULL)
			step = argv[i];
		else
			return task_bad("tail", "too many arguments (%s)", usage);
	}
	if (id == NULL)
		return task_bad("tail", "no id given (%s)", usage);
	req = json_pack("{s:s, s:b}", "id", id, "follow", follow);
	if (step != NULL) {
		char *end;
		long n = strtol(step, &end, 10);
		json_object_set_new(req, "step",
				    *end == '\0' && end != step ? json_integer(n) : json_string(step));
	}
	st = task_call_stream(c, MSG_TASK_TAIL, req, follow ? task_tail_data : NULL, c, &reply);
	if (st != 0)
		return st;
	if (reply == NULL) /* the connection closed under a follow */
		return CTL_EXIT_ERROR;
	if (c->json) {
		ctl_print_json(reply);
		state = task_str(reply, "state");
		st = follow ? task_tail_status(state) : 0;
		json_decref(reply);
		return st;
	}
	state = task_str(reply, "state");
	if (json_object_get(reply, "lines") != NULL)
		task_tail_lines(json_object_get(reply, "lines"));
	else if (json_object_get(reply, "running") != NULL)
		task_tail_stored(reply);
	if (follow) {
		long long skipped = (long long)json_integer_value(json_object_get(reply, "skipped"));

		if (skipped > 0)
			fprintf(stderr, "[taskvisord: %lld lines skipped: this follower read too slowly]\n",
				skipped);
		if (json_object_get(reply, "running") == NULL) /* the end of a followed attempt */
			fprintf(stderr, "[step ended: %s]\n", state);
		st = task_tail_status(state);
	}
	json_decref(reply);
	return st;
}

/* An action on one task: print "VERB task ID: state STATE, result RESULT". */
static int task_action_one(struct ctl *c, const char *id, uint32_t type, const char *verb, json_t *results)
{
	json_t *reply = NULL, *t;
	int rc = ctl_request(c, type, json_pack("{s:s}", "id", id), &reply);

	if (rc < 0)
		return CTL_EXIT_UNREACHABLE;
	if (rc > 0) {
		if (results != NULL)
			json_array_append_new(results, json_pack("{s:s, s:O}", "id", id, "error",
								 json_object_get(reply, "error")));
		else if (c->json)
			ctl_print_json(reply);
		if (!c->json)
			fprintf(stderr, "%s\n", ctl_error_text(reply));
		rc = json_integer_value(json_object_get(reply, "code")) > 0 &&
			     json_integer_value(json_object_get(reply, "code")) < 126
			 ? (int)json_integer_value(json_object_get(reply, "code"))
			 : CTL_EXIT_ERROR;
		json_decref(reply);
		return rc;
	}
	t = json_object_get(reply, "task");
	if (results != NULL)
		json_array_append_new(results, json_pack("{s:s, s:O}", "id", id, "task", t));
	else if (c->json)
		ctl_print_json(reply);
	if (!c->json)
		printf("%s task %s: state %s, result %s\n", verb,
		       json_string_value(json_object_get(t, "id")) != NULL ? task_str(t, "id") : id,
		       task_str(t, "state"), task_str(t, "result"));
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* The ids of the tasks matching search that the action applies to (resume, skip: paused ones;
 * cancel: those not stopped), with their labels and states for --noop. */
static int task_action_search(struct ctl *c, const char *search, const char *sub, json_t **tasks)
{
	json_t *reply = NULL;
	char *q;
	const char *only = strcmp(sub, "cancel") == 0 ? "state != stopped" : "state = paused";
	int st;

	*tasks = NULL;
	if (xasprintf(&q, "(%s) and %s", search, only) < 0)
		return CTL_EXIT_ERROR;
	st = task_call(c, MSG_TASK_LIST,
		       json_pack("{s:s, s:i, s:s}", "search", q, "limit", 0, "order", "created_at asc"),
		       &reply);
	free(q);
	if (st != 0)
		return st;
	*tasks = json_incref(json_object_get(reply, "tasks"));
	json_decref(reply);
	return 0;
}

/*
 * task resume|skip|cancel|unlock|force-unlock ID [ID...] | --search Q [--noop]: one action on
 * several tasks, each in turn ("VERB task ID: state ..." or the refusal), then a count; --search
 * takes the tasks the action applies to (resume, skip: paused; cancel: not stopped), --noop only
 * lists them. One ID alone answers as it always did.
 */
static int task_action(struct ctl *c, int argc, char **argv, const char *sub, uint32_t type, const char *verb)
{
	const char *search = NULL, *v;
	bool noop = false, bad = false,
	     bulk_ok = type == MSG_TASK_RESUME || type == MSG_TASK_SKIP || type == MSG_TASK_CANCEL;
	json_t *ids = json_array(), *tasks = NULL, *results, *t;
	size_t i, n, done = 0;
	int st = 0, r;
	char usage[160];

	snprintf(usage, sizeof(usage), "task %s ID [ID...]%s [--json]", sub,
		 bulk_ok ? " | --search Q [--noop]" : "");
	for (int k = 1; k < argc && st == 0; k++) {
		if (bulk_ok && (v = task_flag(argc, argv, &k, "--search", &bad)) != NULL)
			search = v;
		else if (bad)
			st = task_bad(sub, "%s needs a value (usage: %s)", argv[k], usage);
		else if (bulk_ok && strcmp(argv[k], "--noop") == 0)
			noop = true;
		else if (strcmp(argv[k], "--json") == 0)
			c->json = true;
		else if (argv[k][0] == '-' && argv[k][1] != '\0')
			st = task_bad(sub, "unknown option %s (usage: %s)", argv[k], usage);
		else
			json_array_append_new(ids, json_string(argv[k]));
	}
	if (st == 0 && search == NULL && json_array_size(ids) == 0)
		st = task_bad(sub, "no id given (usage: %s)", usage);
	if (st == 0 && search != NULL && json_array_size(ids) > 0)
		st = task_bad(sub, "ids or --search, not both (usage: %s)", usage);
	if (st == 0 && noop && search == NULL)
		st = task_bad(sub, "--noop goes with --search (usage: %s)", usage);
	if (st != 0) {
		json_decref(ids);
		return st;
	}
	if (search == NULL && json_array_size(ids) == 1) {
		st = task_action_one(c, json_string_value(json_array_get(ids, 0)), type, verb, NULL);
		json_decref(ids);
		return st;
	}
	if (search != NULL) {
		if ((st = task_action_search(c, search, sub, &tasks)) != 0) {
			json_decref(ids);
			return st;
		}
		json_array_foreach(tasks, i, t)
		{
			json_array_append_new(ids, json_string(task_str(t, "id")));
		}
	}
	n = json_array_size(ids);
	if (noop) {
		if (c->json) {
			json_t *j = json_pack("{s:b, s:s, s:I, s:O}", "noop", 1, "action", sub, "matched",
					      (json_int_t)n, "tasks", tasks);
			ctl_print_json(j);
			json_decref(j);
		} else {
			json_array_foreach(tasks, i, t)
			{
				printf("[noop] would %s task %s (%s, %s)\n", sub, task_str(t, "id"),
				       task_str(t, "label"), task_str(t, "state"));
			}
			printf("[noop] %zu task%s would be %s\n", n, n == 1 ? "" : "s",
			       strcmp(sub, "resume") == 0 ? "resumed"
			       : strcmp(sub, "skip") == 0 ? "skipped"
							  : "cancelled");
		}
		json_decref(tasks);
		json_decref(ids);
		return 0;
	}
	results = json_array();
	for (i = 0; i < n; i++) {
		r = task_action_one(c, json_string_value(json_array_get(ids, i)), type, verb, results);
		if (r == CTL_EXIT_UNREACHABLE) {
			st = r;
			break;
		}
		if (r == 0)
			done++;
		else
			st = r;
	}
	if (c->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "action", sub, "done", (json_int_t)done,
				      "failed", (json_int_t)(n - done), "results", results);
		ctl_print_json(j);
		json_decref(j);
	} else {
		json_decref(results);
		printf("%s %zu of %zu task%s\n", strncmp(verb, "Skipped", 7) == 0 ? "Skipped" : verb, done, n,
		       n == 1 ? "" : "s");
	}
	json_decref(tasks);
	json_decref(ids);
	return st;
}

static int task_resume(struct ctl *c, int argc, char **argv)
{
	return task_action(c, argc, argv, "resume", MSG_TASK_RESUME, "Resumed");
}

static int task_skip(struct ctl *c, int argc, char **argv)
{
	return task_action(c, argc, argv, "skip", MSG_TASK_SKIP, "Skipped the failed step of");
}

static int task_cancel(struct ctl *c, int argc, char **argv)
{
	return task_action(c, argc, argv, "cancel", MSG_TASK_CANCEL, "Cancelled");
}

static int task_unlock(struct ctl *c, int argc, char **argv)
{
	return task_action(c, argc, argv, "unlock", MSG_TASK_UNLOCK, "Unlocked");
}

static int task_force_unlock(struct ctl *c, int argc, char **argv)
{
	return task_action(c, argc, argv, "force-unlock", MSG_TASK_FORCE_UNLOCK, "Force-unlocked");
}

/* ---- schedule / recurring ---- */

/* Parse a non-negative integer flag value; -1 when it is not one. */
static long task_count(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0)
		return -1;
	return n;
}

static void task_print_recurring(json_t *r)
{
	char b1[32], it[64];
	long long n = (long long)json_integer_value(json_object_get(r, "iterations"));
	char *in =
	    json_dumps(json_object_get(r, "input") != NULL ? json_object_get(r, "input") : json_object(),
		       JSON_COMPACT | JSON_SORT_KEYS);

	if (n > 0)
		snprintf(it, sizeof(it), "%lld of %lld",
			 (long long)json_integer_value(json_object_get(r, "iteration")), n);
	else
		snprintf(it, sizeof(it), "%lld (unlimited)",
			 (long long)json_integer_value(json_object_get(r, "iteration")));
	printf("%-14s%s\n", "ID:", task_str(r, "id"));
	printf("%-14s%s\n", "Label:", task_str(r, "label"));
	printf("%-14s%s\n", "Cron:", task_str(r, "cron"));
	printf("%-14s%s\n", "State:", task_str(r, "state"));
	printf("%-14s%s\n", "Iteration:", it);
	printf("%-14s%s\n", "Until:", ctl_time(json_object_get(r, "until"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Last at:", ctl_time(json_object_get(r, "last_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Next at:", ctl_time(json_object_get(r, "next_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Triggered by:", task_str(r, "triggered_by"));
	printf("%-14s%s\n", "Created at:", ctl_time(json_object_get(r, "created_at"), b1, sizeof(b1)));
	printf("%-14s%s\n", "Input:", in != NULL ? in : "{}");
	free(in);
}

static int task_schedule(struct ctl *c, int argc, char **argv)
{
	const char *sub = "schedule", *label = NULL, *cron = NULL, *v;
	json_t *req = json_object(), *reply = NULL, *in = NULL;
	bool bad = false;
	int st = 0;

	for (int i = 1; i < argc && st == 0; i++) {
		if ((v = task_flag(argc, argv, &i, "--cron", &bad)) != NULL) {
			cron = v;
		} else if ((v = task_flag(argc, argv, &i, "--input", &bad)) != NULL) {
			json_error_t je;
			json_decref(in);
			in = json_loads(v, JSON_DECODE_ANY, &je);
			if (in == NULL)
				st = task_bad(sub, "--input: bad JSON at line %d column %d: %s", je.line,
					      je.column, je.text);
			else if (!json_is_object(in))
				st = task_bad(sub, "--input: not a JSON object (e.g. '{\"repo\":\"base\"}')");
		} else if ((v = task_flag(argc, argv, &i, "--iterations", &bad)) != NULL) {
			long n = task_count(v);
			if (n < 0)
				st = task_bad(sub, "--iterations: not a number >= 0: \"%s\"", v);
			else
				json_object_set_new(req, "iterations", json_integer(n));
		} else if ((v = task_flag(argc, argv, &i, "--until", &bad)) != NULL) {
			st = task_time_flag(sub, "--until", v, req, "until");
		} else if (bad) {
			st = task_bad(sub, "%s needs a value", argv[i]);
		} else if (strcmp(argv[i], "--json") == 0) {
			c->json = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			st =
			    task_bad(sub,
				     "unknown option %s (usage: task schedule LABEL --cron 'M H DOM MON DOW' "
				     "[--input JSON] [--iterations N] [--until T])",
				     argv[i]);
		} else if (label == NULL) {
			label = argv[i];
		} else {
			st = task_bad(sub, "one label only, got \"%s\" and \"%s\"", label, argv[i]);
		}
	}
	if (st == 0 && label == NULL)
		st = task_bad(sub, "no task label given (usage: task schedule LABEL --cron '0 3 * * 0' ...)");
	if (st == 0 && cron == NULL)
		st = task_bad(sub,
			      "--cron is required (five fields: minute hour day-of-month month day-of-week)");
	if (st != 0) {
		json_decref(in);
		json_decref(req);
		return st;
	}
	json_object_set_new(req, "label", json_string(label));
	json_object_set_new(req, "cron", json_string(cron));
	json_object_set_new(req, "input", in != NULL ? in : json_object());
	st = task_call(c, MSG_TASK_SCHEDULE, req, &reply);
	if (st != 0)
		return st;
	if (c->json)
		ctl_print_json(reply);
	else {
		char b1[32];
		printf("%s\n", task_str(reply, "id"));
		printf("Next at: %s\n",
		       ctl_time(json_object_get(json_object_get(reply, "recurring"), "next_at"), b1,
				sizeof(b1)));
	}
	json_decref(reply);
	return 0;
}

static int recurring_list(struct ctl *c, int argc, char **argv)
{
	json_t *reply = NULL, *all, *r;
	size_t i, w_id = 2, w_label = 5, w_cron = 4;
	int st;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			c->json = true;
		else
			return task_bad("recurring list", "unexpected argument \"%s\"", argv[k]);
	}
	if ((st = task_call(c, MSG_RECURRING_LIST, NULL, &reply)) != 0)
		return st;
	if (task_json_only(c, reply))
		return 0;
	all = json_object_get(reply, "recurring");
	for (i = 0; i < json_array_size(all) && (r = json_array_get(all, i)) != NULL; i++) {
		if (strlen(task_str(r, "id")) > w_id)
			w_id = strlen(task_str(r, "id"));
		if (strlen(task_str(r, "label")) > w_label)
			w_label = strlen(task_str(r, "label"));
		if (strlen(task_str(r, "cron")) > w_cron)
			w_cron = strlen(task_str(r, "cron"));
	}
	printf("%-*s  %-*s  %-*s  %-9s  %-9s  %-19s  %s\n", (int)w_id, "ID", (int)w_label, "LABEL",
	       (int)w_cron, "CRON", "STATE", "ITERATION", "LAST", "NEXT");
	for (i = 0; i < json_array_size(all) && (r = json_array_get(all, i)) != NULL; i++) {
		char b1[32], b2[32];
		printf("%-*s  %-*s  %-*s  %-9s  %-9lld  %-19s  %s\n", (int)w_id, task_str(r, "id"),
		       (int)w_label, task_str(r, "label"), (int)w_cron, task_str(r, "cron"),
		       task_str(r, "state"), (long long)json_integer_value(json_object_get(r, "iteration")),
		       ctl_time(json_object_get(r, "last_at"), b1, sizeof(b1)),
		       ctl_time(json_object_get(r, "next_at"), b2, sizeof(b2)));
	}
	json_decref(reply);
	return 0;
}

static int recurring_one(struct ctl *c, int argc, char **argv, const char *sub, uint32_t type)
{
	const char *id;
	json_t *reply = NULL;
	int st = task_id_arg(c, sub, argc, argv, &id);

	if (st != 0 || (st = task_call(c, type, json_pack("{s:s}", "id", id), &reply)) != 0)
		return st;
	if (c->json)
		ctl_print_json(reply);
	else if (type == MSG_RECURRING_CANCEL)
		printf("Cancelled recurring logic %s: state %s\n",
		       task_str(json_object_get(reply, "recurring"), "id"),
		       task_str(json_object_get(reply, "recurring"), "state"));
	else
		task_print_recurring(json_object_get(reply, "recurring"));
	json_decref(reply);
	return 0;
}

#define RECURRING_SHOW_TASKS 10 /* the tasks `recurring show` lists, newest first */

/* recurring show ID [--tasks N]: the logic, then its last N tasks (--json: "tasks" beside it). */
static int recurring_show(struct ctl *c, int argc, char **argv)
{
	const char *sub = "recurring show", *id = NULL, *v;
	json_t *reply = NULL, *list = NULL, *tasks;
	struct task_list_out lp = {.c = c};
	bool bad = false;
	long n = RECURRING_SHOW_TASKS;
	char q[128];
	int st;

	for (int i = 1; i < argc; i++) {
		if ((v = task_flag(argc, argv, &i, "--tasks", &bad)) != NULL) {
			if ((n = task_count(v)) < 0)
				return task_bad(sub, "--tasks: not a number >= 0: \"%s\"", v);
		} else if (bad || (argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--json") != 0))
			return task_unexpected(sub, argv[i], bad, "recurring show ID [--tasks N] [--json]");
		else if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (id == NULL)
			id = argv[i];
		else
			return task_bad(sub, "one id only (usage: recurring show ID [--tasks N] [--json])");
	}
	if (id == NULL)
		return task_bad(sub, "no id given (usage: recurring show ID [--tasks N] [--json])");
	if ((st = task_call(c, MSG_RECURRING_SHOW, json_pack("{s:s}", "id", id), &reply)) != 0)
		return st;
	snprintf(q, sizeof(q), "recurring_id = \"%s\"", task_str(json_object_get(reply, "recurring"), "id"));
	if (n > 0 && (st = task_call(c, MSG_TASK_LIST,
				     json_pack("{s:s, s:i, s:s}", "search", q, "limit", (int)n, "order",
					       "created_at desc"),
				     &list)) != 0) {
		json_decref(reply);
		return st;
	}
	tasks = list != NULL ? json_object_get(list, "tasks") : NULL;
	if (c->json) {
		json_object_set_new(reply, "tasks", tasks != NULL ? json_incref(tasks) : json_array());
		ctl_print_json(reply);
	} else {
		task_print_recurring(json_object_get(reply, "recurring"));
		if (n > 0) {
			printf("Tasks (last %ld, newest first; all: task list --search '%s'):\n", n, q);
			task_list_rows(&lp, tasks);
		}
	}
	json_decref(list);
	json_decref(reply);
	return 0;
}

static int recurring_cancel(struct ctl *c, int argc, char **argv)
{
	return recurring_one(c, argc, argv, "recurring cancel", MSG_RECURRING_CANCEL);
}

/* ---- cleanup / export / locks ---- */

/* `task cleanup --config`: what the daemon's periodic cleanup deletes, after how long. */
static int task_cleanup_config(struct ctl *c)
{
	json_t *reply = NULL, *rules, *r;
	int st;

	if ((st = task_call(c, MSG_CLEANUP_CONFIG, json_object(), &reply)) != 0)
		return st;
	if (task_json_only(c, reply))
		return 0;
	rules = json_object_get(reply, "rules");
	printf("%-30s %-30s %s\n", "LABEL", "FILTER", "AFTER");
	for (size_t i = 0; (r = json_array_get(rules, i)) != NULL; i++) {
		long long after = (long long)json_integer_value(json_object_get(r, "after"));
		char filter[300], age[32];

		snprintf(filter, sizeof(filter), "label = %s", task_str(r, "label"));
		if (after <= 0)
			snprintf(age, sizeof(age), "never");
		else if (after % 86400 == 0)
			snprintf(age, sizeof(age), "%lldd", after / 86400);
		else if (after % 3600 == 0)
			snprintf(age, sizeof(age), "%lldh", after / 3600);
		else if (after % 60 == 0)
			snprintf(age, sizeof(age), "%lldm", after / 60);
		else
			snprintf(age, sizeof(age), "%llds", after);
		printf("%-30s %-30s %s\n", task_str(r, "label"), filter, age);
	}
	printf("(stopped tasks only; each type's cleanup_after, else [tasks] cleanup_after)\n");
	json_decref(reply);
	return 0;
}

static int task_cleanup(struct ctl *c, int argc, char **argv)
{
	const char *sub = "cleanup", *v;
	json_t *req = json_object(), *reply = NULL, *ids;
	bool bad = false, verbose = false, noop = false, config = false;
	int st = 0;

	for (int i = 1; i < argc && st == 0; i++) {
		if ((v = task_flag(argc, argv, &i, "--search", &bad)) != NULL) {
			json_object_set_new(req, "search", json_string(v));
		} else if ((v = task_flag(argc, argv, &i, "--after", &bad)) != NULL) {
			size_t n = strspn(v, "0123456789");
			if (n == 0 || (v[n] != '\0' && (strchr("smhdw", v[n]) == NULL || v[n + 1] != '\0')))
				st = task_bad(
				    sub, "--after: not a duration: \"%s\" (e.g. 30d, 12h, 90m, 3600)", v);
			else
				json_object_set_new(req, "after", json_string(v));
		} else if ((v = task_flag(argc, argv, &i, "--states", &bad)) != NULL) {
			json_t *states = json_array();
			char *copy = xstrdup(v), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
				json_array_append_new(states, json_string(t));
			free(copy);
			json_object_set_new(req, "states", states);
		} else if ((v = task_flag(argc, argv, &i, "--batch-size", &bad)) != NULL) {
			long n = task_count(v);
			if (n <= 0)
				st = task_bad(sub, "--batch-size: not a number > 0: \"%s\"", v);
			else
				json_object_set_new(req, "batch_size", json_integer(n));
		} else if (strcmp(argv[i], "--noop") == 0) {
			noop = true;
		} else if (strcmp(argv[i], "--config") == 0) {
			config = true;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			c->json = true;
		} else {
			st = task_unexpected(sub, argv[i], bad,
					     "task cleanup [--search Q] [--after 30d] [--states stopped] "
					     "[--noop] [--verbose] [--batch-size N] | --config");
		}
	}
	if (st != 0) {
		json_decref(req);
		return st;
	}
	if (config) {
		json_decref(req);
		return task_cleanup_config(c);
	}
	json_object_set_new(req, "noop", json_boolean(noop));
	if ((st = task_call(c, MSG_TASK_CLEANUP, req, &reply)) != 0)
		return st;
	if (c->json)
		ctl_print_json(reply);
	else {
		long long n =
		    (long long)json_integer_value(json_object_get(reply, noop ? "matched" : "deleted"));
		if (noop)
			printf("[noop] %lld tasks matching filter would be deleted\n", n);
		else
			printf("%lld tasks deleted\n", n);
		ids = json_object_get(reply, "ids");
		for (size_t i = 0; verbose && i < json_array_size(ids); i++)
			printf("  %s\n", json_string_value(json_array_get(ids, i)) != NULL
					     ? json_string_value(json_array_get(ids, i))
					     : "?");
	}
	json_decref(reply);
	return 0;
}

/* Write s as one CSV field. */
static void task_csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Write s HTML-escaped for text (attribute values are ids, checked to be [0-9a-f-]). */
static void task_html_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

static void task_html_json(FILE *fp, json_t *j)
{
	char *text =
	    json_dumps(j != NULL ? j : json_object(), JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fputs("<pre>", fp);
	task_html_text(fp, text != NULL ? text : "");
	fputs("</pre>\n", fp);
	free(text);
}

/* An export being written as its pages come: CSV or JSON to fp, or HTML pages in dir. */
struct task_export_out {
	const char *format, *file;
	FILE *fp;     /* csv, json: the output; html: index.html */
	char dir[64]; /* html: the pages, packed with tar at the end */
	size_t n;
	int st;
};

/* One page per task plus index.html, packed with tar into file (.tar.gz): the start. */
static int task_export_html_begin(struct task_export_out *o)
{
	char path[PATH_MAX];

	snprintf(o->dir, sizeof(o->dir), "/tmp/taskvisor-export.XXXXXX");
	if (mkdtemp(o->dir) == NULL) {
		fprintf(stderr, "task export: %s: %s\n", o->dir, strerror(errno));
		o->dir[0] = '\0';
		return CTL_EXIT_ERROR;
	}
	snprintf(path, sizeof(path), "%s/index.html", o->dir);
	if ((o->fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "task export: %s: %s\n", path, strerror(errno));
		return CTL_EXIT_ERROR;
	}
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>taskvisor "
	      "tasks</title></head><body>\n"
	      "<h1>Tasks</h1>\n<table border=\"1\"><tr><th>id</th><th>label</th><th>state</th><th>result</th>"
	      "<th>started at</th><th>ended at</th></tr>\n",
	      o->fp);
	return CTL_EXIT_OK;
}

static void task_export_html_tasks(struct task_export_out *o, json_t *tasks)
{
	char path[PATH_MAX], b1[32], b2[32];
	static const char *const fields[] = {"id",     "label",	       "name",		 "state",
					     "result", "triggered_by", "parent_task_id", "queue"};
	FILE *idx = o->fp, *fp;
	json_t *t, *e;

	for (size_t i = 0; o->st == CTL_EXIT_OK && (t = json_array_get(tasks, i)) != NULL; i++) {
		const char *id = task_str(t, "id");
		if (strspn(id, "0123456789abcdef-") != strlen(id))
			continue; /* never a path outside dir */
		fputs("<tr><td><a href=\"", idx);
		task_html_text(idx, id);
		fputs(".html\">", idx);
		task_html_text(idx, id);
		fputs("</a></td><td>", idx);
		task_html_text(idx, task_str(t, "label"));
		fprintf(idx, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", task_str(t, "state"),
			task_str(t, "result"), ctl_time(json_object_get(t, "started_at"), b1, sizeof(b1)),
			ctl_time(json_object_get(t, "ended_at"), b2, sizeof(b2)));
		snprintf(path, sizeof(path), "%s/%s.html", o->dir, id);
		if ((fp = fopen(path, "w")) == NULL) {
			fprintf(stderr, "task export: %s: %s\n", path, strerror(errno));
			o->st = CTL_EXIT_ERROR;
			break;
		}
		fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", fp);
		task_html_text(fp, id);
		fputs("</title></head><body>\n<p><a href=\"index.html\">all tasks</a></p>\n<h1>", fp);
		task_html_text(fp, task_str(t, "name"));
		fputs("</h1>\n<table>\n", fp);
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			fprintf(fp, "<tr><th>%s</th><td>", fields[k]);
			task_html_text(fp, task_str(t, fields[k]));
			fputs("</td></tr>\n", fp);
		}
		fprintf(fp,
			"<tr><th>started_at</th><td>%s</td></tr>\n<tr><th>ended_at</th><td>%s</td></tr>\n</"
			"table>\n",
			ctl_time(json_object_get(t, "started_at"), b1, sizeof(b1)),
			ctl_time(json_object_get(t, "ended_at"), b2, sizeof(b2)));
		fputs("<h2>Steps</h2>\n", fp);
		task_html_json(fp, json_object_get(t, "steps"));
		fputs("<h2>Errors</h2>\n", fp);
		for (size_t k = 0; (e = json_array_get(json_object_get(t, "errors"), k)) != NULL; k++) {
			fputs("<h3>", fp);
			task_html_text(fp, task_str(e, "step"));
			fputs(": ", fp);
			task_html_text(fp, task_str(e, "message"));
			fputs("</h3>\n<pre>", fp);
			task_html_text(fp, task_str(e, "output_tail"));
			fputs("</pre>\n", fp);
		}
		fputs("<h2>Locks</h2>\n", fp);
		task_html_json(fp, json_object_get(t, "locks"));
		fputs("<h2>Input</h2>\n", fp);
		task_html_json(fp, json_object_get(t, "input"));
		fputs("<h2>Output</h2>\n", fp);
		task_html_json(fp, json_object_get(t, "output"));
		fputs("</body></html>\n", fp);
		if (fclose(fp) != 0) {
			fprintf(stderr, "task export: %s: %s\n", path, strerror(errno));
			o->st = CTL_EXIT_ERROR;
		}
		o->n++;
	}
}

/* Finish index.html, pack the pages with tar, remove them. */
static void task_export_html_end(struct task_export_out *o)
{
	int ws;
	pid_t pid;

	if (o->fp != NULL) {
		fputs("</table>\n</body></html>\n", o->fp);
		if (fclose(o->fp) != 0 && o->st == CTL_EXIT_OK) {
			fprintf(stderr, "task export: index.html: %s\n", strerror(errno));
			o->st = CTL_EXIT_ERROR;
		}
		o->fp = NULL;
	}
	if (o->st == CTL_EXIT_OK) {
		/* tar does the packing: no archive format hand-written here. */
		pid = fork();
		if (pid == 0) {
			execlp("tar", "tar", "-czf", o->file, "-C", o->dir, ".", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "task export: tar -czf %s failed\n", o->file);
			o->st = CTL_EXIT_ERROR;
		} else
			fprintf(stderr, "%zu tasks exported to %s\n", o->n, o->file);
	}
	if (o->dir[0] == '\0')
		return;
	/* remove the temporary pages */
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", o->dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &ws, 0);
}

static void task_export_csv(struct task_export_out *o, json_t *tasks)
{
	FILE *fp = o->fp;
	json_t *t;

	for (size_t i = 0; (t = json_array_get(tasks, i)) != NULL; i++) {
		char b1[32], b2[32];
		const char *parent = json_string_value(json_object_get(t, "parent_task_id"));
		task_csv_field(fp, task_str(t, "id"));
		fprintf(fp, ",%s,", task_str(t, "state"));
		/* type: the task type ([task:LABEL]); Foreman puts the task's class there, and
		 * a task's class here is its type. label: the same, as Foreman's label is the
		 * action that ran. The free-form name is in the JSON and HTML exports. */
		task_csv_field(fp, task_str(t, "label"));
		fputc(',', fp);
		task_csv_field(fp, task_str(t, "label"));
		fprintf(fp, ",%s,%s,%s,%s\n", task_str(t, "result"), parent != NULL ? parent : "",
			json_is_number(json_object_get(t, "started_at"))
			    ? ctl_time(json_object_get(t, "started_at"), b1, sizeof(b1))
			    : "",
			json_is_number(json_object_get(t, "ended_at"))
			    ? ctl_time(json_object_get(t, "ended_at"), b2, sizeof(b2))
			    : "");
		o->n++;
	}
}

/* A page of the export as it comes. */
static int task_export_page(void *arg, json_t *body)
{
	struct task_export_out *o = arg;
	json_t *tasks = json_object_get(body, "tasks");

	if (strcmp(o->format, "html") == 0)
		task_export_html_tasks(o, tasks);
	else if (strcmp(o->format, "json") == 0)
		task_json_stream(o->fp, tasks, &o->n);
	else
		task_export_csv(o, tasks);
	return o->st != CTL_EXIT_OK; /* a write error: stop reading */
}

static int task_export(struct ctl *c, int argc, char **argv)
{
	const char *sub = "export", *v, *file = NULL, *format = "csv";
	json_t *req = json_object(), *reply = NULL;
	struct task_export_out o;
	bool bad = false;
	int st = 0;

	memset(&o, 0, sizeof(o));

	for (int i = 1; i < argc && st == 0; i++) {
		if ((v = task_flag(argc, argv, &i, "--search", &bad)) != NULL) {
			json_object_set_new(req, "search", json_string(v));
		} else if ((v = task_flag(argc, argv, &i, "--days", &bad)) != NULL) {
			long n = task_count(v);
			if (n <= 0)
				st = task_bad(sub, "--days: not a number > 0: \"%s\"", v);
			else
				json_object_set_new(req, "days", json_integer(n));
		} else if ((v = task_flag(argc, argv, &i, "--format", &bad)) != NULL) {
			if (strcmp(v, "csv") != 0 && strcmp(v, "json") != 0 && strcmp(v, "html") != 0)
				st = task_bad(sub, "--format: \"%s\": csv, html or json", v);
			format = v;
		} else if ((v = task_flag(argc, argv, &i, "--file", &bad)) != NULL) {
			file = v;
		} else if (strcmp(argv[i], "--json") == 0) {
			format = "json";
		} else {
			st = task_unexpected(sub, argv[i], bad,
					     "task export [--search Q] [--days N] [--format csv|html|json] "
					     "[--file F]");
		}
	}
	if (st == 0 && strcmp(format, "html") == 0 && file == NULL)
		st = task_bad(sub, "--format html writes a .tar.gz: give --file F.tar.gz");
	if (st != 0) {
		json_decref(req);
		return st;
	}
	o.format = format;
	o.file = file;
	o.st = CTL_EXIT_OK;
	if (strcmp(format, "html") == 0) {
		if ((st = task_export_html_begin(&o)) != CTL_EXIT_OK) {
			o.st = st;
			task_export_html_end(&o);
			json_decref(req);
			return st;
		}
	} else if (file != NULL && (o.fp = fopen(file, "w")) == NULL) {
		fprintf(stderr, "task export: %s: %s\n", file, strerror(errno));
		json_decref(req);
		return CTL_EXIT_ERROR;
	} else if (file == NULL) {
		o.fp = stdout;
	}
	if (strcmp(format, "csv") == 0)
		fprintf(o.fp, "id,state,type,label,result,parent_task_id,started_at,ended_at\n");
	/* streamed: pages as they come, written at once (any number of tasks) */
	json_object_set_new(req, "stream", json_true());
	if (strcmp(format, "csv") == 0)
		json_object_set_new(req, "rows", json_true()); /* no steps, errors, locks needed */
	st = task_call_stream(c, MSG_TASK_EXPORT, req, task_export_page, &o, &reply);
	json_decref(reply);
	if (st == CTL_EXIT_OK && o.st != CTL_EXIT_OK)
		st = o.st;
	if (strcmp(format, "html") == 0) {
		o.st = st;
		task_export_html_end(&o);
		return o.st;
	}
	if (st == CTL_EXIT_OK && strcmp(format, "json") == 0)
		task_json_stream_end(o.fp, o.n);
	if (file != NULL) {
		if (fclose(o.fp) != 0) {
			fprintf(stderr, "task export: %s: %s\n", file, strerror(errno));
			return CTL_EXIT_ERROR;
		}
		if (st == CTL_EXIT_OK)
			fprintf(stderr, "%zu tasks exported to %s\n", o.n, file);
	} else {
		fflush(stdout);
	}
	return st;
}

static int task_locks(struct ctl *c, int argc, char **argv)
{
	const char *res = NULL;
	json_t *reply = NULL, *locks, *l;
	int st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else if (res == NULL && argv[i][0] != '-')
			res = argv[i];
		else
			return task_bad("locks",
					"usage: task locks [RESOURCE] [--json] (e.g. repository:base)");
	}
	if ((st = task_call(c, MSG_TASK_LOCKS,
			    res != NULL ? json_pack("{s:s}", "resource", res) : json_object(), &reply)) != 0)
		return st;
	if (c->json)
		ctl_print_json(reply);
	else {
		locks = json_object_get(reply, "locks");
		if (json_array_size(locks) == 0)
			printf("%s: no locks\n", res != NULL ? res : "(all)");
		for (size_t i = 0; i < json_array_size(locks) && (l = json_array_get(locks, i)) != NULL; i++)
			printf("%s  %-9s  %s\n", task_str(l, "resource"),
			       json_is_true(json_object_get(l, "exclusive")) ? "exclusive" : "link",
			       task_str(l, "task_id"));
	}
	json_decref(reply);
	return 0;
}

static const struct ctl_cmd task_sub_cmds[] = {
    {"submit", NULL,
     "task submit LABEL [--input JSON] [--start-at T] [--start-before T] [--parent ID] [--wait]",
     "create a task; prints its id at once (--wait: follow it, exit 0 only on success)", task_submit},
    {"list", NULL, "task list [--search Q] [--limit N] [--order FIELD [asc|desc]] [--stuck] [--ids]",
     "list tasks (id, label, state, result, started, ended, progress)", task_list},
    {"show", NULL, "task show ID", "a task's details, steps, errors, locks, input and output", task_show},
    {"tail", NULL, "task tail [-f] ID [STEP]",
     "what a step printed (default: the running step, else the last that ran); -f follows it live "
     "until it ends (exit 0 when it succeeded)",
     task_tail},
    {"resume", NULL, "task resume ID [ID...] | --search Q [--noop]",
     "re-run the failed step of paused tasks (--search: every paused task matching Q)", task_resume},
    {"skip", NULL, "task skip ID [ID...] | --search Q [--noop]",
     "skip the failed step of a paused task and go on (result warning)", task_skip},
    {"cancel", NULL, "task cancel ID [ID...] | --search Q [--noop]",
     "cancel a waiting or paused task, or a running cancellable one", task_cancel},
    {"unlock", NULL, "task unlock ID", "paused task -> stopped, locks freed (allow_dangerous_actions)",
     task_unlock},
    {"schedule", NULL,
     "task schedule LABEL --cron 'M H DOM MON DOW' [--input JSON] [--iterations N] [--until T]",
     "submit LABEL on a cron line (a recurring logic; see `recurring`)", task_schedule},
    {"cleanup", NULL,
     "task cleanup [--search Q] [--after 30d] [--states stopped] [--noop] [--verbose] [--batch-size N]"
     " | --config",
     "delete stopped tasks matching Q that started more than --after ago (--config: what the "
     "daemon cleans periodically, after how long)",
     task_cleanup},
    {"export", NULL, "task export [--search Q] [--days N] [--format csv|html|json] [--file F]",
     "tasks as CSV (id,state,type,label,result,parent_task_id,started_at,ended_at), JSON, or HTML "
     "(one page per task, in a .tar.gz)",
     task_export},
    {"locks", NULL, "task locks [RESOURCE]",
     "who holds locks and links on a resource (without one: every lock held)", task_locks},
    {"force-unlock", NULL, "task force-unlock ID",
     "free the locks of a task in any state but stopped "
     "(allow_dangerous_actions)",
     task_force_unlock},
    {NULL, NULL, NULL, NULL, NULL},
};

static void task_help(FILE *fp)
{
	fprintf(fp, "usage: task COMMAND [ARGS] [--json]\n\n");
	for (const struct ctl_cmd *e = task_sub_cmds; e->name != NULL; e++)
		fprintf(fp, "  %s\n      %s\n", e->usage, e->help);
	fprintf(fp, "\nT: \"2026-11-23 14:00\", ISO 8601 (2026-11-23T14:00:00Z), epoch seconds, or "
		    "+10s/+5m/+2h/+1d.\n"
		    "ID: a task id or any unique prefix of one.\n");
}

/*
 * Under --json every error is JSON on stdout ({"error": "...", "code": N}): a command's own
 * refusals (a bad flag, an id missing) are written to stderr from many places, so while a
 * task/recurring command runs under --json its stderr goes to a temporary file; a failed command
 * that wrote there prints it as JSON, a successful one passes it on to stderr.
 */
static int task_json_errors(struct ctl *c, int (*fn)(struct ctl *, int, char **), int argc, char **argv)
{
	FILE *tmp;
	int saved, rc;
	long len;
	char *text;

	if (!c->json || (tmp = tmpfile()) == NULL)
		return fn(c, argc, argv);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		fclose(tmp);
		return fn(c, argc, argv);
	}
	rc = fn(c, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = ftell(tmp);
	text = len > 0 ? xmalloc((size_t)len + 1) : NULL;
	if (text != NULL) {
		rewind(tmp);
		len = (long)fread(text, 1, (size_t)len, tmp);
		text[len] = '\0';
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (rc != CTL_EXIT_OK) {
			json_t *j = json_pack("{s:s, s:i}", "error", text, "code", rc);
			ctl_print_json(j);
			json_decref(j);
		} else
			fprintf(stderr, "%s\n", text);
		free(text);
	}
	fclose(tmp);
	return rc;
}

static int task_exec_one(struct ctl *c, int argc, char **argv);
static int task_exec(struct ctl *c, int argc, char **argv)
{
	return task_json_errors(c, task_exec_one, argc, argv);
}

static int task_exec_one(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd *const tables[] = {task_sub_cmds, NULL};
	const struct ctl_cmd *sub;
	bool ambiguous = false;

	if (argc < 2) {
		task_help(stderr);
		return CTL_EXIT_BAD_ARGS;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		task_help(stdout);
		return CTL_EXIT_OK;
	}
	sub = ctl_cmd_find(tables, argv[1], &ambiguous);
	if (sub == NULL) {
		if (ambiguous)
			fprintf(stderr, "task: ambiguous command: %s\n", argv[1]);
		else
			fprintf(stderr, "task: unknown command: %s (try: task --help)\n", argv[1]);
		return CTL_EXIT_BAD_ARGS;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s [--json]\n  %s\n", sub->usage, sub->help);
			return CTL_EXIT_OK;
		}
	return sub->exec(c, argc - 1, argv + 1);
}

static const struct ctl_cmd recurring_sub_cmds[] = {
    {"list", NULL, "recurring list", "recurring logics (id, label, cron, state, iteration, last, next)",
     recurring_list},
    {"show", NULL, "recurring show ID [--tasks N]", "one recurring logic and its last N tasks (default 10)",
     recurring_show},
    {"cancel", NULL, "recurring cancel ID", "cancel a recurring logic (no more occurrences)",
     recurring_cancel},
    {NULL, NULL, NULL, NULL, NULL},
};

static int recurring_exec_one(struct ctl *c, int argc, char **argv);
static int recurring_exec(struct ctl *c, int argc, char **argv)
{
	return task_json_errors(c, recurring_exec_one, argc, argv);
}

static int recurring_exec_one(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd *const tables[] = {recurring_sub_cmds, NULL};
	const struct ctl_cmd *sub;
	bool ambiguous = false;

	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		for (const struct ctl_cmd *e = recurring_sub_cmds; e->name != NULL; e++)
			printf("  %s\n      %s\n", e->usage, e->help);
		return CTL_EXIT_OK;
	}
	if (argc < 2)
		return recurring_list(c, 1, argv);
	sub = ctl_cmd_find(tables, argv[1], &ambiguous);
	if (sub == NULL) {
		fprintf(stderr, "recurring: %s command: %s (list, show, cancel)\n",
			ambiguous ? "ambiguous" : "unknown", argv[1]);
		return CTL_EXIT_BAD_ARGS;
	}
	return sub->exec(c, argc - 1, argv + 1);
}

/* ---- check: Nagios-style plugin (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one line) ---- */

#define CHECK_USAGE                                                                                          \
	"check processes|memory|queue|paused|stuck|canary [--warn N] [--crit N] [--restarts-warn N] "        \
	"[--restarts-crit N] [--window SECS] [--label L] [--json]"
#define CHECK_CANARY_LABEL "taskvisor.canary"
#define CHECK_CANARY_WARN 5.0  /* seconds of round trip */
#define CHECK_CANARY_CRIT 30.0 /* ... and the most it waits */

static const char *check_word(int code)
{
	return code == 0 ? "OK" : code == 1 ? "WARNING" : code == 2 ? "CRITICAL" : "UNKNOWN";
}

/* "a=1;2;3 b=4MB;5;6" -> {"a": {"value": 1, "warn": 2, "crit": 3}, "b": {..., "unit": "MB"}} */
static json_t *check_perfdata(const char *perf)
{
	json_t *o = json_object();
	char *copy = xstrdup(perf), *save = NULL;

	for (char *item = strtok_r(copy, " ", &save); item != NULL; item = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(item, '='), *end, *f[3] = {NULL, NULL, NULL}, *semi;
		static const char *const keys[] = {"value", "warn", "crit"};
		json_t *one;

		if (eq == NULL)
			continue;
		*eq = '\0';
		one = json_object();
		f[0] = eq + 1;
		for (int k = 1; k < 3 && (semi = strchr(f[k - 1], ';')) != NULL; k++) {
			*semi = '\0';
			f[k] = semi + 1;
		}
		if ((semi = strchr(f[2] != NULL ? f[2] : f[1] != NULL ? f[1] : f[0], ';')) != NULL)
			*semi = '\0';
		for (int k = 0; k < 3; k++) {
			double v;
			if (f[k] == NULL || *f[k] == '\0')
				continue;
			v = strtod(f[k], &end);
			if (end == f[k])
				continue;
			json_object_set_new(one, keys[k], json_real(v));
			if (k == 0 && *end != '\0')
				json_object_set_new(one, "unit", json_string(end));
		}
		json_object_set_new(o, item, one);
	}
	free(copy);
	return o;
}

/* Print the result of a check (line "WORDS STATUS - message | perfdata"), and its fields under
 * --json ({"code","line","status","message","perfdata":{...}}); returns code. */
static int check_print(struct ctl *c, int code, const char *line)
{
	const char *bar = strstr(line, " | ");
	json_t *j;

	if (!c->json) {
		printf("%s\n", line);
		return code;
	}
	j = json_pack("{s:i, s:s, s:s, s:s%}", "code", code, "line", line, "status", check_word(code),
		      "message", line, bar != NULL ? (size_t)(bar - line) : strlen(line));
	json_object_set_new(j, "perfdata", check_perfdata(bar != NULL ? bar + 3 : ""));
	/* not a measure but a failure to take it (daemon down, bad argument): an error too */
	if (strncmp(line, "CRITICAL: ", 10) == 0 || strncmp(line, "CHECK UNKNOWN - ", 16) == 0)
		json_object_set_new(j, "error", json_string(line));
	ctl_print_json(j);
	json_decref(j);
	return code;
}

/* One check's reply: CRITICAL when the daemon cannot be reached (Nagios: a dead service), UNKNOWN
 * when it refuses. */
static int check_ask(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	char err[TV_ERR_LEN], line[TV_ERR_LEN + 64];
	int rc;

	*reply = NULL;
	if (ctl_connect(c, err, sizeof(err)) == NULL) {
		json_decref(req);
		snprintf(line, sizeof(line), "CRITICAL: taskvisord is not running (%s)", err);
		check_print(c, 2, line);
		return 2;
	}
	rc = tv_request(c->tc, type, req, reply);
	if (rc < 0) {
		snprintf(line, sizeof(line), "CRITICAL: taskvisord does not answer (%s)",
			 tv_client_error(c->tc));
		check_print(c, 2, line);
		return 2;
	}
	if (rc == 1) {
		snprintf(line, sizeof(line), "CHECK UNKNOWN - %s%s", ctl_error_text(*reply),
			 type == MSG_TASK_SUBMIT ? " (check canary submits a task of type --label, default "
						   "\"" CHECK_CANARY_LABEL "\": define it as a [task:...] "
						   "section with one no-op step, README \"check canary\")"
						 : "");
		check_print(c, 3, line);
		json_decref(*reply);
		*reply = NULL;
		return 3;
	}
	return 0;
}

/* check canary: a task of type label (a no-op) submitted and followed until it stops: its round
 * trip through a real worker, WARNING past warn seconds, CRITICAL past crit (then cancelled). */
static int check_canary(struct ctl *c, const char *label, double warn, double crit)
{
	char line[1024], id[TV_ID_LEN];
	json_t *reply = NULL, *t = NULL;
	double t0 = ctl_now(), rtt = 0;
	const char *state = "planned", *result = "pending";
	int rc, code;

	if (warn <= 0)
		warn = CHECK_CANARY_WARN;
	if (crit <= 0)
		crit = CHECK_CANARY_CRIT;
	rc = check_ask(c, MSG_TASK_SUBMIT, json_pack("{s:s, s:{}}", "label", label, "input"), &reply);
	if (rc != 0)
		return rc;
	snprintf(id, sizeof(id), "%s", task_str(reply, "id"));
	json_decref(reply);
	for (;;) {
		rc = check_ask(c, MSG_TASK_SHOW, json_pack("{s:s}", "id", id), &reply);
		if (rc != 0)
			return rc;
		rtt = ctl_now() - t0;
		t = json_object_get(reply, "task");
		state = task_str(t, "state");
		result = task_str(t, "result");
		if (strcmp(state, "stopped") == 0 || strcmp(state, "paused") == 0 || rtt >= crit)
			break;
		json_decref(reply);
		usleep(rtt < 1 ? 10000 : 100000);
	}
	if (strcmp(state, "stopped") == 0 && strcmp(result, "success") == 0) {
		code = rtt >= crit ? 2 : rtt >= warn ? 1 : 0;
		snprintf(line, sizeof(line), "CANARY %s - task %s round trip %.3f s | rtt=%.3fs;%g;%g",
			 check_word(code), id, rtt, rtt, warn, crit);
	} else {
		json_t *r2 = NULL;
		code = 2;
		if (strcmp(state, "stopped") != 0) /* leave no canary behind */
			(void)tv_request(c->tc, MSG_TASK_CANCEL, json_pack("{s:s}", "id", id), &r2);
		json_decref(r2);
		if (strcmp(state, "stopped") == 0 || strcmp(state, "paused") == 0)
			snprintf(line, sizeof(line),
				 "CANARY CRITICAL - task %s %s with result %s after %.3f s (task show %s) | "
				 "rtt=%.3fs;%g;%g",
				 id, state, result, rtt, id, rtt, warn, crit);
		else
			snprintf(
			    line, sizeof(line),
			    "CANARY CRITICAL - task %s still %s after %.0f s: no worker ran it (cancelled) | "
			    "rtt=%.3fs;%g;%g",
			    id, state, rtt, rtt, warn, crit);
	}
	json_decref(reply);
	return check_print(c, code, line);
}

static int check_exec(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = {"processes", "memory", "queue", "paused", "stuck", "canary"};
	static const char *const numeric[] = {"--warn", "--crit", "--restarts-warn", "--restarts-crit",
					      "--window"};
	const char *what = NULL, *label = CHECK_CANARY_LABEL, *v;
	json_t *req = json_object(), *reply = NULL, *code;
	bool bad = false, known = false, taken;
	char line[1200];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		taken = false;
		for (size_t k = 0; !taken && k < sizeof(numeric) / sizeof(numeric[0]); k++) {
			char *end;
			double n;
			int64_t unit;
			if ((v = task_flag(argc, argv, &i, numeric[k], &bad)) == NULL)
				continue;
			taken = true;
			n = strtod(v, &end);
			/* --warn/--crit may be a duration (5m, 90s, 1h): check queue's oldest wait */
			unit = k < 2 && end != v && *end != '\0' ? when_unit_secs(end, strlen(end)) : 0;
			if (end == v || (*end != '\0' && unit == 0) || n < 0) {
				snprintf(line, sizeof(line), "CHECK UNKNOWN - %s: not a number%s: \"%s\"",
					 flag + 2, k < 2 ? " or duration" : "", v);
				json_decref(req);
				return check_print(c, 3, line);
			}
			if (unit > 0) {
				json_object_set_new(req, k == 0 ? "warn_wait" : "crit_wait",
						    json_real(n * (double)unit));
				continue;
			}
			/* "--restarts-warn" -> "restarts_warn" */
			char key[32];
			snprintf(key, sizeof(key), "%s", numeric[k] + 2);
			for (char *p = key; *p != '\0'; p++)
				if (*p == '-')
					*p = '_';
			json_object_set_new(req, key, json_real(n));
		}
		if (taken)
			continue;
		if (!bad && (v = task_flag(argc, argv, &i, "--label", &bad)) != NULL) {
			label = v;
		} else if (bad) {
			snprintf(line, sizeof(line), "CHECK UNKNOWN - %s needs a value", argv[i]);
			json_decref(req);
			return check_print(c, 3, line);
		} else if (strcmp(argv[i], "--json") == 0) {
			c->json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: " CHECK_USAGE "\n"
			       "  check queue also takes durations (--warn 5m --crit 15m): thresholds on the "
			       "oldest wait\n");
			json_decref(req);
			return 0;
		} else if (what == NULL) {
			what = argv[i];
		} else {
			snprintf(line, sizeof(line), "CHECK UNKNOWN - one check at a time (got %s and %s)",
				 what, argv[i]);
			json_decref(req);
			return check_print(c, 3, line);
		}
	}
	for (size_t i = 0; what != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		known = known || strcmp(what, names[i]) == 0;
	if (!known) {
		snprintf(line, sizeof(line), "CHECK UNKNOWN - %s%s (usage: " CHECK_USAGE ")",
			 what != NULL ? "unknown check " : "no check given", what != NULL ? what : "");
		json_decref(req);
		return check_print(c, 3, line);
	}
	if (strcmp(what, "canary") == 0) {
		double w = json_number_value(json_object_get(req, "warn"));
		double cr = json_number_value(json_object_get(req, "crit"));
		json_decref(req);
		return check_canary(c, label, w, cr);
	}
	json_object_set_new(req, "check", json_string(what));
	if ((rc = check_ask(c, MSG_CHECK, req, &reply)) != 0)
		return rc;
	code = json_object_get(reply, "code");
	rc = json_is_integer(code) && json_integer_value(code) >= 0 && json_integer_value(code) <= 3
		 ? (int)json_integer_value(code)
		 : 3;
	check_print(c, rc, task_str(reply, "line"));
	json_decref(reply);
	return rc;
}

const struct ctl_cmd task_cmds[] = {
    {"task", "tasks",
     "task submit|list|show|tail|resume|skip|cancel|schedule|cleanup|export|locks|unlock|force-unlock ...",
     "the task engine (task --help)", task_exec},
    {"recurring", NULL, "recurring list|show ID|cancel ID", "recurring logics (task schedule)",
     recurring_exec},
    {"check", NULL, CHECK_USAGE,
     "Nagios-style check: one status line, exit 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN", check_exec},
    {NULL, NULL, NULL, NULL, NULL},
};
