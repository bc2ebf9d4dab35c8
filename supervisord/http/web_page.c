/*
 * web_page.c — the web page's HTML, rendered on the server from the native
 * replies: every value from the daemon is escaped (web_buf_esc) or
 * percent-encoded (web_buf_url); no inline script or style (the CSP forbids
 * them), the behaviour is web_assets.c's app.js. A live part sits in
 * <div id="live" data-poll="URL">: app.js fetches URL&fragment=1 every few
 * seconds and swaps it in, until the part says data-done.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web_int.h"

/* ---- the buffer ---- */

void web_buf_add(struct web_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		char *ns;
		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void web_buf_puts(struct web_buf *b, const char *s)
{
	web_buf_add(b, s, strlen(s));
}

void web_buf_printf(struct web_buf *b, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small))
		return web_buf_add(b, small, (size_t)n);
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	web_buf_add(b, big, (size_t)n);
	free(big);
}

void web_buf_escn(struct web_buf *b, const char *s, size_t n)
{
	size_t from = 0;

	if (s == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		web_buf_add(b, s + from, i - from);
		web_buf_puts(b, rep);
		from = i + 1;
	}
	web_buf_add(b, s + from, n - from);
}

void web_buf_esc(struct web_buf *b, const char *s)
{
	if (s != NULL)
		web_buf_escn(b, s, strlen(s));
}

void web_buf_url(struct web_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':') {
			web_buf_add(b, s, 1);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			web_buf_add(b, e, 3);
		}
	}
}

/* ---- values ---- */

static const char *web_s(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An epoch time (number) as local time; "-" for null. */
static void web_time(struct web_buf *b, json_t *v)
{
	char out[32];
	time_t t;
	struct tm tm;

	if (!json_is_number(v)) {
		web_buf_puts(b, "-");
		return;
	}
	t = (time_t)json_number_value(v);
	if (localtime_r(&t, &tm) == NULL || strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		web_buf_puts(b, "-");
		return;
	}
	web_buf_puts(b, out);
}

/* Seconds as "350 ms", "4.2 s", "2m 03s", "1h 02m 03s", "3d 04h". */
static void web_duration(struct web_buf *b, double s)
{
	long long t = (long long)s;

	if (s < 0 || isnan(s))
		web_buf_puts(b, "-");
	else if (s < 1)
		web_buf_printf(b, "%d ms", (int)(s * 1000));
	else if (s < 60)
		web_buf_printf(b, "%.1f s", s);
	else if (t < 3600)
		web_buf_printf(b, "%lldm %02llds", t / 60, t % 60);
	else if (t < 86400)
		web_buf_printf(b, "%lldh %02lldm %02llds", t / 3600, t / 60 % 60, t % 60);
	else
		web_buf_printf(b, "%lldd %02lldh", t / 86400, t / 3600 % 24);
}

/* The time between two epoch numbers; to "now" when the end is null and running. */
static void web_span(struct web_buf *b, json_t *from, json_t *to, bool running)
{
	double end;

	if (!json_is_number(from)) {
		web_buf_puts(b, "-");
		return;
	}
	if (json_is_number(to))
		end = json_number_value(to);
	else if (running) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		end = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	} else {
		web_buf_puts(b, "-");
		return;
	}
	web_duration(b, end - json_number_value(from));
}

static void web_bytes(struct web_buf *b, json_t *v)
{
	double n;

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		web_buf_puts(b, "-");
		return;
	}
	n = (double)json_integer_value(v);
	if (n < 1024)
		web_buf_printf(b, "%.0f B", n);
	else if (n < 1024 * 1024)
		web_buf_printf(b, "%.1f KiB", n / 1024);
	else if (n < 1024.0 * 1024 * 1024)
		web_buf_printf(b, "%.1f MiB", n / (1024 * 1024));
	else
		web_buf_printf(b, "%.2f GiB", n / (1024.0 * 1024 * 1024));
}

/* A JSON value, pretty, escaped, cut at WEB_JSON_MAX. */
static void web_json(struct web_buf *b, json_t *v)
{
	char *s = v != NULL ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	size_t n = s != NULL ? strlen(s) : 0;

	web_buf_puts(b, "<pre class=\"json\">");
	if (s == NULL)
		web_buf_puts(b, "-");
	else if (n > WEB_JSON_MAX) {
		web_buf_escn(b, s, WEB_JSON_MAX);
		web_buf_printf(b, "\n… %zu bytes more (taskvisorctl task show ID --json)", n - WEB_JSON_MAX);
	} else
		web_buf_esc(b, s);
	web_buf_puts(b, "</pre>");
	free(s);
}

static void web_state(struct web_buf *b, const char *state)
{
	web_buf_puts(b, "<span class=\"state s-");
	web_buf_esc(b, state != NULL ? state : "unknown");
	web_buf_puts(b, "\">");
	web_buf_esc(b, state != NULL ? state : "?");
	web_buf_puts(b, "</span>");
}

/* A one-button form posting to /action/ACTION with the token and key=value. */
static void web_button(struct web_call *c, const char *action, const char *key, const char *value)
{
	struct web_buf *b = &c->out;

	web_buf_printf(b, "<form method=\"post\" class=\"act\" action=\"/action/%s\">", action);
	web_buf_printf(b, "<input type=\"hidden\" name=\"token\" value=\"%s\">", c->token);
	web_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", key);
	web_buf_esc(b, value);
	web_buf_printf(b, "\"><button type=\"submit\" class=\"b-%s\">%s</button></form>", action, action);
}

/* ---- the frame ---- */

void web_page_head(struct web_call *c, const char *title, const char *nav)
{
	struct web_buf *b = &c->out;
	static const char *const links[][2] = {
	    {"/", "Processes"}, {"/tasks", "Tasks"}, {"/workers", "Workers and queues"}};

	web_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width\"><title>");
	web_buf_esc(b, title);
	web_buf_puts(
	    b, " - taskvisord</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	       "<script src=\"/static/app.js\" defer></script></head>\n<body><header><nav><b>taskvisord</b>");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		web_buf_printf(b, " <a href=\"%s\"%s>%s</a>", links[i][0],
			       nav != NULL && strcmp(nav, links[i][0]) == 0 ? " class=\"here\"" : "",
			       links[i][1]);
	web_buf_printf(b, " <span class=\"role\">%s</span></nav></header>\n<main><h1>",
		       c->role == HTTP_ROLE_ADMIN ? "admin" : "read-only");
	web_buf_esc(b, title);
	web_buf_puts(b, "</h1>\n");
}

void web_page_foot(struct web_call *c)
{
	web_buf_puts(&c->out, "</main></body></html>\n");
}

/* Open the live part (not in a fragment: the fragment is its inside). */
static void web_live_open(struct web_call *c, const char *url, int every_ms)
{
	if (c->fragment)
		return;
	web_buf_puts(&c->out, "<div id=\"live\" data-poll=\"");
	web_buf_esc(&c->out, url);
	web_buf_printf(&c->out, "\" data-every=\"%d\">", every_ms);
}

static void web_live_close(struct web_call *c)
{
	if (!c->fragment)
		web_buf_puts(&c->out, "</div>\n");
}

void web_page_message(struct web_call *c, const char *title, const char *msg, bool error, const char *back)
{
	struct web_buf *b = &c->out;

	web_page_head(c, title, NULL);
	web_buf_printf(b, "<pre class=\"%s\" id=\"message\">", error ? "error" : "ok");
	web_buf_esc(b, msg);
	web_buf_puts(b, "</pre>");
	if (back != NULL) {
		web_buf_puts(b, "<p><a id=\"back\" href=\"");
		web_buf_esc(b, back);
		web_buf_puts(b, "\">Back</a></p>");
	}
	web_page_foot(c);
}

/* ---- processes ---- */

void web_page_processes(struct web_call *c, json_t *procs)
{
	struct web_buf *b = &c->out;
	bool admin = c->role == HTTP_ROLE_ADMIN;
	json_t *p;
	size_t i;

	if (!c->fragment)
		web_page_head(c, "Processes", "/");
	web_live_open(c, "/?fragment=1", 5000);
	web_buf_printf(
	    b,
	    "<table id=\"processes\"><thead><tr><th>Name</th><th>State</th><th>PID</th><th>Uptime</th>"
	    "<th>Restarts</th><th>Memory</th><th>Description</th><th>Log</th>%s</tr></thead><tbody>\n",
	    admin ? "<th>Actions</th>" : "");
	json_array_foreach(procs, i, p)
	{
		const char *name = web_s(p, "fullname");
		int state = (int)json_integer_value(json_object_get(p, "state"));
		bool up = state == 10 || state == 20; /* STARTING, RUNNING */
		json_int_t pid = json_integer_value(json_object_get(p, "pid"));

		web_buf_puts(b, "<tr><td class=\"name\">");
		web_buf_esc(b, name);
		web_buf_puts(b, "</td><td>");
		web_state(b, web_s(p, "statename"));
		web_buf_puts(b, "</td><td>");
		if (pid > 0)
			web_buf_printf(b, "%lld", (long long)pid);
		else
			web_buf_puts(b, "-");
		web_buf_puts(b, "</td><td>");
		if (state == 20)
			web_duration(b, (double)(json_integer_value(json_object_get(p, "now")) -
						 json_integer_value(json_object_get(p, "start"))));
		else
			web_buf_puts(b, "-");
		web_buf_printf(b, "</td><td>%lld</td><td>",
			       (long long)json_integer_value(json_object_get(p, "restarts")));
		if (pid > 0)
			web_bytes(b, json_object_get(p, "memory"));
		else
			web_buf_puts(b, "-");
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(p, "description"));
		web_buf_puts(b, "</td><td><a href=\"/tail?name=");
		web_buf_url(b, name);
		web_buf_puts(b, "\">stdout</a> <a href=\"/tail?stream=stderr&amp;name=");
		web_buf_url(b, name);
		web_buf_puts(b, "\">stderr</a></td>");
		if (admin) {
			web_buf_puts(b, "<td class=\"actions\">");
			if (!up)
				web_button(c, "start", "name", name);
			else
				web_button(c, "stop", "name", name);
			web_button(c, "restart", "name", name);
			web_buf_puts(b, "</td>");
		}
		web_buf_puts(b, "</tr>\n");
	}
	web_buf_puts(b, "</tbody></table>");
	if (json_array_size(procs) == 0)
		web_buf_puts(b, "<p>No programs configured.</p>");
	web_live_close(c);
	if (!c->fragment)
		web_page_foot(c);
}

/* ---- a log ---- */

void web_page_tail(struct web_call *c, const char *name, const char *stream, json_t *body)
{
	struct web_buf *b = &c->out;
	struct web_buf url = {0};

	if (!c->fragment) {
		struct web_buf title = {0};
		web_buf_printf(&title, "Log of %s (%s)", name, stream);
		web_page_head(c, title.s != NULL ? title.s : "Log", "/");
		free(title.s);
		web_buf_puts(b, "<p><a href=\"/tail?name=");
		web_buf_url(b, name);
		web_buf_puts(b, "\">stdout</a> <a href=\"/tail?stream=stderr&amp;name=");
		web_buf_url(b, name);
		web_buf_printf(b, "\">stderr</a> (the last %d bytes, following)</p>", WEB_TAIL_BYTES);
	}
	web_buf_printf(&url, "/tail?stream=%s&name=", stream);
	web_buf_url(&url, name);
	web_buf_puts(&url, "&fragment=1");
	web_live_open(c, url.s != NULL ? url.s : "", 2000);
	free(url.s);
	web_buf_puts(b, "<pre class=\"log\" id=\"log\">");
	web_buf_esc(b, web_s(body, "text"));
	web_buf_puts(b, "</pre>");
	web_live_close(c);
	if (!c->fragment)
		web_page_foot(c);
}

/* ---- tasks ---- */

static void web_task_link(struct web_buf *b, const char *id, bool shortid)
{
	web_buf_puts(b, "<a class=\"id\" href=\"/task?id=");
	web_buf_url(b, id);
	web_buf_puts(b, "\">");
	if (shortid && id != NULL)
		web_buf_escn(b, id, strlen(id) < 8 ? strlen(id) : 8);
	else
		web_buf_esc(b, id);
	web_buf_puts(b, "</a>");
}

static void web_tasks_link(struct web_buf *b, const char *search, const char *order, long page,
			   const char *text)
{
	web_buf_puts(b, "<a href=\"/tasks?q=");
	web_buf_url(b, search != NULL ? search : "");
	if (order != NULL && order[0] != '\0') {
		web_buf_puts(b, "&amp;order=");
		web_buf_url(b, order);
	}
	web_buf_printf(b, "&amp;page=%ld\">%s</a>", page, text);
}

void web_page_tasks(struct web_call *c, const char *search, const char *order, long page, json_t *tasks,
		    const char *error)
{
	struct web_buf *b = &c->out;
	size_t from = (size_t)(page - 1) * WEB_PAGE_SIZE, n = json_array_size(tasks);
	json_t *t;

	web_page_head(c, "Tasks", "/tasks");
	web_buf_puts(
	    b, "<form method=\"get\" action=\"/tasks\" class=\"search\"><input type=\"text\" name=\"q\" "
	       "id=\"q\" size=\"60\" placeholder=\"state = paused and result = error\" value=\"");
	web_buf_esc(b, search);
	web_buf_puts(
	    b,
	    "\"> <input type=\"text\" name=\"order\" size=\"18\" placeholder=\"created_at desc\" value=\"");
	web_buf_esc(b, order);
	web_buf_puts(
	    b,
	    "\"> <button type=\"submit\">Search</button></form>\n"
	    "<p class=\"hint\">Fields: id label name state result triggered_by parent_task_id recurring_id "
	    "start_at started_at ended_at created_at; <code>= != ~ !~ in, not in &lt; &gt;</code>, "
	    "<code>and or not ( )</code>, ages <code>30m 12h 7d</code>.</p>\n");
	if (error != NULL) {
		web_buf_puts(b, "<pre class=\"error\" id=\"message\">");
		web_buf_esc(b, error);
		web_buf_puts(b, "</pre>\n");
		web_page_foot(c);
		return;
	}
	web_buf_puts(
	    b, "<table id=\"tasks\"><thead><tr><th>ID</th><th>Label</th><th>Name</th><th>State</th>"
	       "<th>Result</th><th>Steps</th><th>Queue</th><th>Created</th><th>Started</th><th>Ended</th>"
	       "<th>Duration</th></tr></thead><tbody>\n");
	for (size_t i = from; i < n && i < from + WEB_PAGE_SIZE; i++) {
		const char *state;
		t = json_array_get(tasks, i);
		state = web_s(t, "state");
		web_buf_puts(b, "<tr><td>");
		web_task_link(b, web_s(t, "id"), true);
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(t, "label"));
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(t, "name"));
		web_buf_puts(b, "</td><td>");
		web_state(b, state);
		web_buf_puts(b, "</td><td>");
		web_state(b, web_s(t, "result"));
		web_buf_printf(b, "</td><td>%lld/%lld</td><td>",
			       (long long)json_integer_value(json_object_get(t, "steps_done")),
			       (long long)json_integer_value(json_object_get(t, "steps_total")));
		web_buf_esc(b, web_s(t, "queue"));
		web_buf_puts(b, "</td><td>");
		web_time(b, json_object_get(t, "created_at"));
		web_buf_puts(b, "</td><td>");
		web_time(b, json_object_get(t, "started_at"));
		web_buf_puts(b, "</td><td>");
		web_time(b, json_object_get(t, "ended_at"));
		web_buf_puts(b, "</td><td>");
		web_span(b, json_object_get(t, "started_at"), json_object_get(t, "ended_at"),
			 state != NULL && strcmp(state, "running") == 0);
		web_buf_puts(b, "</td></tr>\n");
	}
	web_buf_puts(b, "</tbody></table>\n<p class=\"pages\">");
	if (n <= from)
		web_buf_puts(b, "No tasks. ");
	else
		web_buf_printf(b, "Tasks %zu-%zu. ", from + 1,
			       n < from + WEB_PAGE_SIZE ? n : from + WEB_PAGE_SIZE);
	if (page > 1)
		web_tasks_link(b, search, order, page - 1, "&larr; previous");
	if (n > from + WEB_PAGE_SIZE) {
		web_buf_puts(b, " ");
		if ((page + 1) * WEB_PAGE_SIZE <= WEB_LIST_MAX)
			web_tasks_link(b, search, order, page + 1, "next &rarr;");
		else
			web_buf_puts(b, "(more: narrow the search)");
	}
	web_buf_puts(b, "</p>\n");
	web_page_foot(c);
}

/* ---- one task ---- */

void web_page_task(struct web_call *c, json_t *t)
{
	struct web_buf *b = &c->out;
	struct web_buf url = {0};
	const char *id = web_s(t, "id"), *state = web_s(t, "state"), *waiting = web_s(t, "waiting");
	bool stopped = state != NULL && strcmp(state, "stopped") == 0;
	bool running = state != NULL && strcmp(state, "running") == 0;
	json_int_t total = json_integer_value(json_object_get(t, "steps_total")),
		   done = json_integer_value(json_object_get(t, "steps_done"));
	json_t *v, *steps = json_object_get(t, "steps"), *errors = json_object_get(t, "errors");
	size_t i, nerr = json_array_size(errors);

	if (!c->fragment) {
		struct web_buf title = {0};
		web_buf_printf(&title, "Task %s", web_s(t, "label") != NULL ? web_s(t, "label") : "");
		web_page_head(c, title.s != NULL ? title.s : "Task", "/tasks");
		free(title.s);
	}
	web_buf_puts(&url, "/task?id=");
	web_buf_url(&url, id);
	web_buf_puts(&url, "&fragment=1");
	web_live_open(c, url.s != NULL ? url.s : "", 1500);
	free(url.s);
	web_buf_printf(b, "<div id=\"task\"%s>", stopped ? " data-done=\"1\"" : "");
	web_buf_puts(b, "<dl class=\"summary\"><dt>ID</dt><dd id=\"task-id\">");
	web_buf_esc(b, id);
	web_buf_puts(b, "</dd><dt>Label</dt><dd>");
	web_buf_esc(b, web_s(t, "label"));
	web_buf_puts(b, "</dd><dt>Name</dt><dd>");
	web_buf_esc(b, web_s(t, "name"));
	web_buf_puts(b, "</dd><dt>State</dt><dd id=\"task-state\">");
	web_state(b, state);
	web_buf_puts(b, " ");
	web_state(b, web_s(t, "result"));
	web_buf_puts(b, "</dd><dt>Queue</dt><dd>");
	web_buf_esc(b, web_s(t, "queue"));
	web_buf_puts(b, "</dd><dt>Triggered by</dt><dd>");
	web_buf_esc(b, web_s(t, "triggered_by"));
	if (web_s(t, "parent_task_id") != NULL) {
		web_buf_puts(b, "</dd><dt>Parent</dt><dd>");
		web_task_link(b, web_s(t, "parent_task_id"), false);
	}
	web_buf_puts(b, "</dd><dt>Created</dt><dd>");
	web_time(b, json_object_get(t, "created_at"));
	web_buf_puts(b, "</dd><dt>Started</dt><dd>");
	web_time(b, json_object_get(t, "started_at"));
	web_buf_puts(b, "</dd><dt>Ended</dt><dd>");
	web_time(b, json_object_get(t, "ended_at"));
	web_buf_puts(b, "</dd><dt>Duration</dt><dd>");
	web_span(b, json_object_get(t, "started_at"), json_object_get(t, "ended_at"), running);
	web_buf_printf(
	    b,
	    "</dd><dt>Progress</dt><dd><progress id=\"progress\" max=\"%lld\" value=\"%lld\"></progress> "
	    "%lld/%lld steps</dd></dl>\n",
	    (long long)(total > 0 ? total : 1), (long long)done, (long long)done, (long long)total);
	if (waiting != NULL) {
		web_buf_puts(b, "<p class=\"waiting\">Waiting: ");
		web_buf_esc(b, waiting);
		web_buf_puts(b, "</p>\n");
	}
	if (c->role == HTTP_ROLE_ADMIN && !stopped) {
		web_buf_puts(b, "<div class=\"actions\">");
		if (state != NULL && strcmp(state, "paused") == 0) {
			web_button(c, "resume", "id", id);
			web_button(c, "skip", "id", id);
		}
		if (!running || json_is_true(json_object_get(t, "cancellable")))
			web_button(c, "cancel", "id", id);
		web_buf_puts(b, "</div>\n");
	}
	v = json_object_get(t, "progress");
	if (json_object_size(v) > 0) {
		web_buf_puts(b, "<h2>Progress details</h2>");
		web_json(b, v);
	}
	web_buf_puts(
	    b, "<h2>Steps</h2><table id=\"steps\"><thead><tr><th>#</th><th>Step</th><th>Runs</th>"
	       "<th>State</th><th>Worker</th><th>Attempts</th><th>Started</th><th>Duration</th></tr></thead>"
	       "<tbody>\n");
	json_array_foreach(steps, i, v)
	{
		const char *sst = web_s(v, "state");
		if (i >= WEB_STEPS_MAX) {
			web_buf_printf(
			    b, "<tr><td colspan=\"8\">… %zu steps more (taskvisorctl task show)</td></tr>\n",
			    json_array_size(steps) - i);
			break;
		}
		web_buf_printf(b, "<tr><td>%lld</td><td>",
			       (long long)json_integer_value(json_object_get(v, "index")));
		web_buf_esc(b, web_s(v, "name"));
		web_buf_puts(b, "</td><td><code>");
		web_buf_esc(b, web_s(v, "command") != NULL ? web_s(v, "command") : web_s(v, "handler"));
		web_buf_puts(b, "</code></td><td>");
		web_state(b, sst);
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(v, "worker") != NULL ? web_s(v, "worker") : "-");
		web_buf_printf(b, "</td><td>%lld</td><td>",
			       (long long)json_integer_value(json_object_get(v, "attempts")));
		web_time(b, json_object_get(v, "started_at"));
		web_buf_puts(b, "</td><td>");
		web_span(b, json_object_get(v, "started_at"), json_object_get(v, "ended_at"),
			 sst != NULL && strcmp(sst, "running") == 0);
		web_buf_puts(b, "</td></tr>\n");
	}
	web_buf_puts(b, "</tbody></table>\n");
	if (nerr > 0) {
		web_buf_puts(b, "<h2>Errors</h2>");
		if (nerr > WEB_ERRORS_MAX)
			web_buf_printf(b, "<p>The last %d of %zu.</p>", WEB_ERRORS_MAX, nerr);
		for (i = nerr > WEB_ERRORS_MAX ? nerr - WEB_ERRORS_MAX : 0; i < nerr; i++) {
			v = json_array_get(errors, i);
			web_buf_puts(b, "<div class=\"err\"><p>");
			web_time(b, json_object_get(v, "at"));
			if (web_s(v, "step") != NULL) {
				web_buf_puts(b, " step <b>");
				web_buf_esc(b, web_s(v, "step"));
				web_buf_puts(b, "</b>");
			}
			web_buf_puts(b, ": ");
			web_buf_esc(b, web_s(v, "message"));
			web_buf_puts(b, "</p>");
			if (web_s(v, "output_tail") != NULL && web_s(v, "output_tail")[0] != '\0') {
				web_buf_puts(b, "<pre class=\"log\">");
				web_buf_esc(b, web_s(v, "output_tail"));
				web_buf_puts(b, "</pre>");
			}
			web_buf_puts(b, "</div>\n");
		}
	}
	if (json_array_size(json_object_get(t, "locks")) > 0) {
		web_buf_puts(b, "<h2>Locks</h2><ul>");
		json_array_foreach(json_object_get(t, "locks"), i, v)
		{
			web_buf_puts(b, "<li><code>");
			web_buf_esc(b, web_s(v, "resource"));
			web_buf_printf(b, "</code> %s</li>",
				       json_is_true(json_object_get(v, "exclusive")) ? "exclusive"
										     : "shared (link)");
		}
		web_buf_puts(b, "</ul>\n");
	}
	if (json_array_size(json_object_get(t, "children")) > 0) {
		web_buf_puts(b, "<h2>Children</h2><ul>");
		json_array_foreach(json_object_get(t, "children"), i, v)
		{
			if (i >= WEB_STEPS_MAX) {
				web_buf_puts(b, "<li>…</li>");
				break;
			}
			web_buf_puts(b, "<li>");
			web_task_link(b, json_string_value(v), false);
			web_buf_puts(b, "</li>");
		}
		web_buf_puts(b, "</ul>\n");
	}
	web_buf_puts(b, "<h2>Input</h2>");
	web_json(b, json_object_get(t, "input"));
	web_buf_puts(b, "<h2>Output</h2>");
	web_json(b, json_object_get(t, "output"));
	web_buf_puts(b, "</div>");
	web_live_close(c);
	if (!c->fragment)
		web_page_foot(c);
}

/* ---- workers and queues ---- */

void web_page_workers(struct web_call *c, json_t *workers, json_t *queues)
{
	struct web_buf *b = &c->out;
	json_t *v;
	size_t i;

	if (!c->fragment)
		web_page_head(c, "Workers and queues", "/workers");
	web_live_open(c, "/workers?fragment=1", 5000);
	web_buf_puts(
	    b, "<h2>Queues</h2><table id=\"queues\"><thead><tr><th>Queue</th><th>Workers</th><th>Busy</th>"
	       "<th>Ready</th><th>Running</th><th>Paused</th><th>Oldest wait</th><th>Done/failed 1m</th>"
	       "<th>Done/failed 1h</th><th>Mean step</th></tr></thead><tbody>\n");
	json_array_foreach(queues, i, v)
	{
		web_buf_puts(b, "<tr><td>");
		web_buf_esc(b, web_s(v, "name"));
		web_buf_printf(b,
			       "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>",
			       (long long)json_integer_value(json_object_get(v, "workers")),
			       (long long)json_integer_value(json_object_get(v, "busy")),
			       (long long)json_integer_value(json_object_get(v, "ready")),
			       (long long)json_integer_value(json_object_get(v, "running")),
			       (long long)json_integer_value(json_object_get(v, "paused")));
		if (json_is_number(json_object_get(v, "oldest_wait")))
			web_duration(b, json_number_value(json_object_get(v, "oldest_wait")));
		else
			web_buf_puts(b, "-");
		web_buf_printf(b, "</td><td>%lld/%lld</td><td>%lld/%lld</td><td>",
			       (long long)json_integer_value(json_object_get(v, "done_1m")),
			       (long long)json_integer_value(json_object_get(v, "failed_1m")),
			       (long long)json_integer_value(json_object_get(v, "done_1h")),
			       (long long)json_integer_value(json_object_get(v, "failed_1h")));
		if (json_is_number(json_object_get(v, "mean_step")))
			web_duration(b, json_number_value(json_object_get(v, "mean_step")));
		else
			web_buf_puts(b, "-");
		web_buf_puts(b, "</td></tr>\n");
	}
	web_buf_puts(
	    b, "</tbody></table>\n<h2>Workers</h2><table id=\"workers\"><thead><tr><th>Name</th><th>PID</th>"
	       "<th>Program</th><th>Queue</th><th>Handlers</th><th>Prefetch</th><th>Done</th><th>Failed</th>"
	       "<th>Holding</th><th>Connected</th><th>Last seen</th></tr></thead><tbody>\n");
	json_array_foreach(workers, i, v)
	{
		json_t *h, *held = json_object_get(v, "held");
		size_t k;
		web_buf_puts(b, "<tr><td>");
		web_buf_esc(b, web_s(v, "name"));
		web_buf_puts(b, "</td><td>");
		if (json_is_integer(json_object_get(v, "pid")))
			web_buf_printf(b, "%lld", (long long)json_integer_value(json_object_get(v, "pid")));
		else
			web_buf_puts(b, "-");
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(v, "program") != NULL ? web_s(v, "program") : "-");
		web_buf_puts(b, "</td><td>");
		web_buf_esc(b, web_s(v, "queue"));
		web_buf_puts(b, "</td><td>");
		json_array_foreach(json_object_get(v, "handlers"), k, h)
		{
			web_buf_puts(b, k > 0 ? ", " : "");
			web_buf_esc(b, json_string_value(h));
		}
		web_buf_printf(b, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>",
			       (long long)json_integer_value(json_object_get(v, "prefetch")),
			       (long long)json_integer_value(json_object_get(v, "done")),
			       (long long)json_integer_value(json_object_get(v, "failed")));
		json_array_foreach(held, k, h)
		{
			web_buf_puts(b, k > 0 ? "<br>" : "");
			if (web_s(h, "task_id") != NULL) {
				web_task_link(b, web_s(h, "task_id"), true);
				web_buf_puts(b, " ");
				web_buf_esc(b, web_s(h, "step"));
			} else
				web_buf_esc(b, web_s(h, "note"));
		}
		if (json_array_size(held) == 0)
			web_buf_puts(b, "-");
		web_buf_puts(b, "</td><td>");
		web_time(b, json_object_get(v, "connected_at"));
		web_buf_puts(b, "</td><td>");
		web_time(b, json_object_get(v, "last_seen"));
		web_buf_puts(b, "</td></tr>\n");
	}
	web_buf_puts(b, "</tbody></table>\n");
	web_live_close(c);
	if (!c->fragment)
		web_page_foot(c);
}
