/*
 * ctl.c — taskvisorctl's plumbing shared by every command family: finding a
 * command in the tables, talking to the daemon through libtaskvisor's client
 * (the one request path: tv_request, tv_request_stream) and printing what it
 * says. Never frames a message itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "proto.h"
#include "taskvisor.h"

const struct ctl_cmd *ctl_cmd_find(const struct ctl_cmd *const *tables, const char *name, bool *ambiguous)
{
	const struct ctl_cmd *found = NULL;
	size_t len = strlen(name);
	int nfound = 0;

	*ambiguous = false;
	for (size_t t = 0; tables[t] != NULL; t++)
		for (const struct ctl_cmd *cmd = tables[t]; cmd->name != NULL; cmd++)
			if (strcmp(cmd->name, name) == 0 ||
			    (cmd->alias != NULL && strcmp(cmd->alias, name) == 0))
				return cmd;
	if (len == 0)
		return NULL;
	for (size_t t = 0; tables[t] != NULL; t++)
		for (const struct ctl_cmd *cmd = tables[t]; cmd->name != NULL; cmd++)
			if (strncmp(cmd->name, name, len) == 0) {
				found = cmd;
				nfound++;
			}
	if (nfound > 1) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}

const struct ctl_cmd *const ctl_tables[] = {proc_cmds, misc_cmds, task_cmds, worker_cmds, bundle_cmds, NULL};

const struct ctl_cmd *ctl_cmd_exact(const struct ctl_cmd *const *tables, const char *name)
{
	for (size_t t = 0; tables[t] != NULL; t++)
		for (const struct ctl_cmd *cmd = tables[t]; cmd->name != NULL; cmd++)
			if (strcmp(cmd->name, name) == 0 ||
			    (cmd->alias != NULL && strcmp(cmd->alias, name) == 0))
				return cmd;
	return NULL;
}

int ctl_run(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = ctl_cmd_exact(ctl_tables, argv[0]);
	int rc;

	if (cmd == NULL) {
		/* supervisorctl echoes the whole line */
		printf("*** Unknown syntax:");
		for (int i = 0; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
		fflush(stdout);
		return CTL_EXIT_ERROR;
	}
	rc = cmd->exec(c, argc, argv);
	fflush(stdout);
	return rc;
}

int ctl_split(char *line, char ***argvp)
{
	char **argv = NULL, *p = line, *out;
	int argc = 0, cap = 0;

	*argvp = NULL;
	for (;;) {
		char q = 0;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (argc + 2 > cap) {
			cap = cap ? cap * 2 : 8;
			char **nargv = realloc(argv, (size_t)cap * sizeof(*argv));
			if (nargv == NULL) {
				free(argv);
				return -1;
			}
			argv = nargv;
		}
		argv[argc++] = out = p;
		while (*p != '\0' && (q != 0 || !isspace((unsigned char)*p))) {
			if (q == 0 && (*p == '\'' || *p == '"'))
				q = *p++;
			else if (q != 0 && *p == q) {
				q = 0;
				p++;
			} else
				*out++ = *p++;
		}
		if (*p != '\0')
			p++;
		*out = '\0';
	}
	if (argv != NULL)
		argv[argc] = NULL;
	*argvp = argv;
	return argc;
}

int ctl_set_socket(struct ctl *c, const char *url)
{
	char *path;

	if (strncmp(url, "unix://", 7) == 0)
		url += 7;
	else if (strstr(url, "://") != NULL)
		url = "";
	if (url[0] == '\0') {
		printf("ERROR: url must be unix:///path or a path\n");
		return -1;
	}
	path = strdup(url);
	if (path == NULL) {
		printf("ERROR: out of memory\n");
		return -1;
	}
	ctl_close(c);
	free(c->socket_owned);
	c->socket_owned = path;
	c->socket_path = path;
	return 0;
}

int ctl_usage(const struct ctl_cmd *cmd)
{
	fprintf(stderr, "usage: %s\n", cmd->usage);
	return CTL_EXIT_BAD_ARGS;
}

void ctl_disconnect(struct ctl *c)
{
	if (c->tc != NULL)
		tv_client_disconnect(c->tc);
}

/* The client (made on first use: c->socket_path and c->timeout are set by then), or NULL with a
 * message in err. */
static struct tv_client *ctl_client(struct ctl *c, char *err, size_t errlen)
{
	if (c->tc == NULL) {
		c->tc = tv_client_new(c->socket_path, err, errlen);
		if (c->tc != NULL)
			tv_client_set_timeout(c->tc, c->timeout);
	}
	return c->tc;
}

void ctl_close(struct ctl *c)
{
	tv_client_close(c->tc);
	c->tc = NULL;
}

void ctl_free(struct ctl *c)
{
	ctl_close(c);
	free(c->socket_owned);
	c->socket_owned = NULL;
}

struct tv_client *ctl_connect(struct ctl *c, char *err, size_t errlen)
{
	struct tv_client *tc = ctl_client(c, err, errlen);

	if (tc == NULL)
		return NULL;
	if (tv_client_open(tc) < 0) {
		snprintf(err, errlen, "%s", tv_client_error(tc));
		return NULL;
	}
	return tc;
}

/* The daemon could not be asked: supervisorctl's words on stdout, {"error", "code": 4} under --json. */
static void ctl_print_error(struct ctl *c, const char *text, const char *prefix)
{
	if (c->json) {
		json_t *j = json_pack("{s:s, s:i}", "error", text, "code", CTL_EXIT_UNREACHABLE);
		ctl_print_json(j);
		json_decref(j);
	} else
		printf("%s%s\n", prefix, text);
}

int ctl_stream(struct ctl *c, uint32_t type, json_t *req, ctl_data_fn on_data, void *arg, json_t **reply)
{
	char err[TV_ERR_LEN];
	struct tv_client *tc = ctl_client(c, err, sizeof(err));
	int r;

	*reply = NULL;
	if (tc == NULL) {
		json_decref(req);
		ctl_print_error(c, err, "");
		return -1;
	}
	if (on_data != NULL)
		r = tv_request_stream(tc, type, req, on_data, arg, reply);
	else
		r = tv_request(tc, type, req, reply);
	if (r < 0)
		ctl_print_error(c, tv_client_error(tc), tv_client_protocol_error(tc) ? "ERROR: " : "");
	return r;
}

int ctl_request(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	return ctl_stream(c, type, req, NULL, NULL, reply);
}

int ctl_ask(struct ctl *c, uint32_t type, json_t *req, json_t **reply, int unreach, int failed)
{
	int r = ctl_request(c, type, req, reply);

	if (r < 0)
		return unreach;
	if (c->json)
		ctl_print_json(*reply);
	if (r > 0) {
		if (!c->json)
			printf("ERROR: %s\n", ctl_error_text(*reply));
		json_decref(*reply);
		return failed;
	}
	return CTL_EXIT_OK;
}

int ctl_results(struct ctl *c, json_t *reply, ctl_result_fn fn, void *arg)
{
	json_t *v;
	size_t i;
	int rc = CTL_EXIT_OK;

	json_array_foreach(json_object_get(reply, "results"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *status = json_string_value(json_object_get(v, "status"));
		const char *msg = json_string_value(json_object_get(v, "message"));
		int r;

		if (name == NULL || status == NULL || msg == NULL)
			continue;
		r = fn(c, name, status, msg, arg);
		if (r != CTL_EXIT_OK)
			rc = r;
	}
	return rc;
}

int ctl_ask_results(struct ctl *c, uint32_t type, json_t *req, int unreach, int failed, ctl_result_fn fn,
		    void *arg)
{
	json_t *reply;
	int rc = ctl_ask(c, type, req, &reply, unreach, failed);

	if (rc != CTL_EXIT_OK)
		return rc;
	rc = ctl_results(c, reply, fn, arg);
	json_decref(reply);
	return rc;
}

const char *ctl_error_text(json_t *err)
{
	const char *s = json_string_value(json_object_get(err, "error"));
	return s != NULL ? s : "";
}

void ctl_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
	fflush(stdout);
}

double ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *ctl_time(json_t *v, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (!json_is_number(v))
		return "-";
	t = (time_t)json_number_value(v);
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}
