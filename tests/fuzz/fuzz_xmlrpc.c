/*
 * fuzz_xmlrpc.c — libFuzzer target for the HTTP module's XML-RPC request parser
 * and response writer (supervisord/http/xmlrpc.c).
 *
 * The input is a request body as a client would POST it to /RPC2. Checks: the
 * parser either refuses it with a reason (the daemon's HTTP 400) and hands back
 * nothing, or gives a non-empty method name and an array of parameters; the
 * parameters, written back as a <methodResponse>, parse again as a request once
 * the envelope is swapped (same JSON, so nothing is lost or invented on the
 * way); a fault is always written. Any violation aborts. Built and run by
 * `make fuzz` (tests/fuzz/run.sh).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_xmlrpc: %s\n", what);
	abort();
}

/* "<methodResponse><params><param>V</param></params>" -> a call of "m" with params [V]. */
static char *fuzz_as_call(const char *resp)
{
	const char *from = strstr(resp, "<param>\n"), *to = strstr(resp, "\n</param>");
	char *out;

	if (from == NULL || to == NULL || to < from)
		return NULL;
	from += strlen("<param>\n");
	if (asprintf(
		&out,
		"<methodCall><methodName>m</methodName><params><param>%.*s</param></params></methodCall>",
		(int)(to - from), from) < 0)
		return NULL;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *method = NULL, *resp, *call, *m2 = NULL;
	json_t *params = NULL, *p2 = NULL;
	size_t len;

	if (size > 65536)
		return 0;
	err[0] = '\0';
	if (xmlrpc_parse((const char *)data, size, &method, &params, err, sizeof(err)) < 0) {
		if (method != NULL || params != NULL || err[0] == '\0')
			fuzz_die("refused without a reason, or with something handed back");
		return 0;
	}
	if (method == NULL || method[0] == '\0' || !json_is_array(params))
		fuzz_die("accepted without a method name or a parameter array");
	/* written back (as the value of one parameter) and read again: the same JSON */
	resp = xmlrpc_response(params, &len);
	if (resp == NULL || strlen(resp) != len)
		fuzz_die("response not written");
	call = fuzz_as_call(resp);
	if (call == NULL)
		fuzz_die("response without its <param>");
	if (xmlrpc_parse(call, strlen(call), &m2, &p2, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n%s\n", err, call);
		fuzz_die("our own response does not parse");
	}
	if (!json_equal(json_array_get(p2, 0), params)) {
		char *a = json_dumps(params, JSON_ENCODE_ANY),
		     *b = json_dumps(json_array_get(p2, 0), JSON_ENCODE_ANY);
		fprintf(stderr, "sent %s\ngot  %s\n", a ? a : "?", b ? b : "?");
		fuzz_die("parameters changed on the way back");
	}
	free(resp);
	resp = xmlrpc_fault(1, method, &len);
	if (resp == NULL)
		fuzz_die("fault not written");
	free(resp);
	free(call);
	free(m2);
	json_decref(p2);
	free(method);
	json_decref(params);
	return 0;
}
