/*
 * xmlrpc.h — XML-RPC bodies to and from JSON values: a <methodCall> parsed with
 * expat into a method name and a JSON array of parameters, and a JSON value
 * written as Python's xmlrpclib writes a <methodResponse> (what supervisord sends).
 *
 * Types: int/i4/i8 = integer, boolean = true/false, string (or a bare value) =
 * string, double = real, dateTime.iso8601 = its text, base64 = the decoded
 * bytes as a string, nil = null, array = array, struct = object.
 */
#ifndef TV_XMLRPC_H
#define TV_XMLRPC_H

#include <jansson.h>
#include <stddef.h>

#define XMLRPC_MAX_DEPTH 64 /* nested values deeper than this are refused */

/* Parse a request body. 0 with *method (malloc'd) and *params (an array), or -1 with why in err
 * (not XML, no method name, too deep): the caller answers HTTP 400, as supervisord does. */
int xmlrpc_parse(const char *body, size_t len, char **method, json_t **params, char *err, size_t errlen);

/* A <methodResponse> holding value, or a <fault>. malloc'd, NUL-terminated, length in *len. */
char *xmlrpc_response(const json_t *value, size_t *len);
char *xmlrpc_fault(int code, const char *text, size_t *len);

/* One member of a struct xmlrpc_response_structs writes: a string (s != NULL) or an int (i); name
 * is written as it is (no XML escaping: a constant of the caller). */
struct xmlrpc_member {
	const char *name;
	const char *s;
	long long i;
};
/* A <methodResponse> holding an array of nstructs structs of nmembers members each (m: struct after
 * struct), written as xmlrpc_response writes them but without JSON values (getAllProcessInfo of
 * many processes); strings are made XML text as xmlrpc_text makes them. malloc'd, NUL-terminated,
 * length in *len; NULL when out of memory. */
char *xmlrpc_response_structs(const struct xmlrpc_member *m, size_t nmembers, size_t nstructs, size_t *len);

/* Bytes (a log) as a JSON string: invalid UTF-8 becomes U+FFFD, control characters that XML 1.0
 * cannot carry become '?'. */
json_t *xmlrpc_text(const char *buf, size_t len);

#endif
