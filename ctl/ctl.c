/*
 * ctl.c — taskvisorctl's plumbing shared by every command family: finding a
 * command in the tables, talking to the daemon (one request, one reply, or a
 * stream), printing JSON, and reading the socket path out of a config file.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"

#define CTL_DEFAULT_SOCKET "/run/taskvisor.sock"

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

int ctl_usage(const struct ctl_cmd *cmd)
{
	fprintf(stderr, "usage: %s\n", cmd->usage);
	return CTL_EXIT_BAD_ARGS;
}

void ctl_disconnect(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* c->timeout in ms for proto_*_timeout (-1: none). */
static int ctl_timeout_ms(const struct ctl *c)
{
	return c->timeout > 0 ? (int)(c->timeout * 1000 + 0.5) : -1;
}

static void ctl_no_answer(const struct ctl *c)
{
	printf("no answer from %s within %g s\n", c->socket_path, c->timeout);
}

int ctl_connect(struct ctl *c, char *err, size_t errlen)
{
	if (c->fd >= 0)
		return 0;
	c->fd = proto_connect_timeout(c->socket_path, ctl_timeout_ms(c));
	if (c->fd >= 0)
		return 0;
	switch (errno) {
	case ETIMEDOUT:
		snprintf(err, errlen, "no answer from %s within %g s", c->socket_path, c->timeout);
		break;
	case ENOENT:
		snprintf(err, errlen, "unix://%s no such file", c->socket_path);
		break;
	case ECONNREFUSED:
		snprintf(err, errlen, "unix://%s refused connection", c->socket_path);
		break;
	case EACCES:
		snprintf(err, errlen, "unix://%s access denied", c->socket_path);
		break;
	default:
		snprintf(err, errlen, "unix://%s %s", c->socket_path, strerror(errno));
		break;
	}
	return -1;
}

/*
 * Before a request that waits without a limit: does the daemon answer at all (MSG_VERSION)?
 * 0 yes; 1 it answered with an error (refused, permission denied), left in hdr and payload as the
 * reply; -1 with errno.
 */
static int ctl_probe(struct ctl *c, struct proto_hdr *hdr, char **payload)
{
	if (proto_send(c->fd, MSG_VERSION, "", 0) < 0)
		return -1;
	if (proto_recv_timeout(c->fd, hdr, payload, ctl_timeout_ms(c)) < 0)
		return -1;
	if (hdr->type == MSG_ERROR)
		return 1;
	free(*payload);
	*payload = NULL;
	return 0;
}

/* After a failed send: did the daemon write something before it closed (a refusal's error frame)? */
static bool ctl_said_why(struct ctl *c)
{
	char b;
	int e = errno;
	bool said = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;

	errno = e;
	return said;
}

/*
 * Send a request (text): 0, -1 I/O error (errno), -2 no answer to the probe within c->timeout,
 * 1 the probe was answered with an error, in hdr and payload (the request is not sent).
 */
static int ctl_send(struct ctl *c, bool waits, uint32_t type, const char *text, struct proto_hdr *hdr,
		    char **payload)
{
	if (waits && c->timeout > 0) {
		int r = ctl_probe(c, hdr, payload);
		if (r != 0)
			return r > 0 ? 1 : errno == ETIMEDOUT ? -2 : -1;
	}
	return proto_send(c->fd, type, text, strlen(text));
}

/* Send req, then read frames: DATA to on_data, the final OK/ERROR to *reply. */
static int ctl_exchange(struct ctl *c, uint32_t type, json_t *req, ctl_data_fn on_data, void *arg,
			json_t **reply)
{
	char err[512], *text, *payload = NULL;
	struct proto_hdr hdr;
	json_error_t jerr;
	bool waits = on_data != NULL || proto_msg_waits(type), have;
	int rc = -1, r;

	*reply = NULL;
	if (req == NULL)
		req = json_object();
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		printf("out of memory\n");
		return -1;
	}
	/* Twice at most: the daemon may have closed an idle shell connection. */
	for (int attempt = 0;; attempt++) {
		if (ctl_connect(c, err, sizeof(err)) < 0) {
			printf("%s\n", err);
			free(text);
			return -1;
		}
		r = ctl_send(c, waits, type, text, &hdr, &payload);
		if (r == -1 && ctl_said_why(c))
			r = 0; /* refused (too many connections): its error frame is read below */
		if (r != -1)
			break;
		if (attempt == 1) {
			printf("unix://%s %s\n", c->socket_path, strerror(errno));
			ctl_disconnect(c);
			free(text);
			return -1;
		}
		ctl_disconnect(c);
	}
	if (r == -2) {
		ctl_no_answer(c);
		ctl_disconnect(c);
		free(text);
		return -1;
	}
	free(text);
	have = r == 1; /* the probe's error is the reply */
	for (;;) {
		json_t *body;

		if (!have && proto_recv_timeout(c->fd, &hdr, &payload, waits ? -1 : ctl_timeout_ms(c)) < 0) {
			if (errno == ETIMEDOUT)
				ctl_no_answer(c);
			else if (errno == ECONNRESET)
				printf("unix://%s closed the connection\n", c->socket_path);
			else
				printf("unix://%s %s\n", c->socket_path, strerror(errno));
			ctl_disconnect(c);
			return -1;
		}
		have = false;
		body = hdr.len > 0 ? json_loadb(payload, hdr.len, 0, &jerr) : json_object();
		free(payload);
		if (hdr.type == MSG_VERSION_MISMATCH) {
			json_t *v = json_object_get(body, "daemon");
			printf("ERROR: the daemon speaks protocol %lld, this taskvisorctl %d\n",
			       json_is_integer(v) ? (long long)json_integer_value(v) : -1LL, PROTO_VERSION);
			json_decref(body);
			ctl_disconnect(c);
			return -1;
		}
		if (body == NULL) {
			printf("ERROR: malformed reply from the daemon: %s\n", jerr.text);
			ctl_disconnect(c);
			return -1;
		}
		if (hdr.type == MSG_DATA) {
			if (on_data != NULL && on_data(arg, body) != 0) {
				json_decref(body);
				ctl_disconnect(c);
				return 0;
			}
			json_decref(body);
			continue;
		}
		if (hdr.type == MSG_OK)
			rc = 0;
		else if (hdr.type == MSG_ERROR)
			rc = 1;
		else {
			printf("ERROR: unexpected %s from the daemon\n", proto_msg_name(hdr.type));
			json_decref(body);
			ctl_disconnect(c);
			return -1;
		}
		*reply = body;
		return rc;
	}
}

int ctl_request(struct ctl *c, uint32_t type, json_t *req, json_t **reply)
{
	return ctl_exchange(c, type, req, NULL, NULL, reply);
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

int ctl_stream(struct ctl *c, uint32_t type, json_t *req, ctl_data_fn on_data, void *arg, json_t **reply)
{
	return ctl_exchange(c, type, req, on_data, arg, reply);
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

struct ctl_sockscan {
	char *file;	 /* [unix_socket] / [unix_http_server] file= */
	char *serverurl; /* [supervisorctl] serverurl= */
	const char *here;
};

/* Replace %(here)s in s by here. */
static char *ctl_expand_here(const char *s, const char *here)
{
	const char *tok = "%(here)s", *p = strstr(s, tok);
	char *out;

	if (p == NULL)
		return strdup(s);
	if (asprintf(&out, "%.*s%s%s", (int)(p - s), s, here, p + strlen(tok)) < 0)
		return NULL;
	return out;
}

static int ctl_sockscan_line(void *user, const char *section, const char *name, const char *value)
{
	struct ctl_sockscan *ss = user;

	if ((strcmp(section, "unix_socket") == 0 || strcmp(section, "unix_http_server") == 0) &&
	    strcmp(name, "file") == 0) {
		free(ss->file);
		ss->file = ctl_expand_here(value, ss->here);
	} else if (strcmp(section, "supervisorctl") == 0 && strcmp(name, "serverurl") == 0 &&
		   strncmp(value, "unix://", 7) == 0) {
		free(ss->serverurl);
		ss->serverurl = ctl_expand_here(value + 7, ss->here);
	}
	return 1; /* go on whatever the line says: only the socket matters here */
}

char *ctl_socket_from_conf(const char *conf_path)
{
	struct ctl_sockscan ss = {NULL, NULL, NULL};
	char *here, *slash, *sock;

	here = strdup(conf_path);
	if (here == NULL)
		return NULL;
	slash = strrchr(here, '/');
	if (slash == NULL)
		strcpy(here, ".");
	else if (slash == here)
		here[1] = '\0';
	else
		*slash = '\0';
	ss.here = here;
	ini_parse(conf_path, ctl_sockscan_line, &ss);
	if (ss.serverurl != NULL) {
		free(ss.file);
		sock = ss.serverurl;
	} else if (ss.file != NULL)
		sock = ss.file;
	else
		sock = strdup(CTL_DEFAULT_SOCKET);
	free(here);
	return sock;
}
