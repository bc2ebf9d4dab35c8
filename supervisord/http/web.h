/*
 * web.h — the web page at / (web.c): what http.c calls. A page or an action is
 * one web_call, answered through done() at once or after the native requests it
 * makes (ops->call_open/call, as a client); http.c then queues its response.
 */
#ifndef TV_WEB_H
#define TV_WEB_H

#include <microhttpd.h>
#include <stdbool.h>

#include "http_module.h"

struct web;
struct web_call;
typedef void web_done_fn(void *arg);

/* One per server: holds the per-daemon CSRF secret (drawn at the first request). NULL: out of memory. */
struct web *web_new(const struct http_ops *ops);
void web_destroy(struct web *w);
/* Is this request the web page's (GET of a page or an asset, POST of an action)? */
bool web_route(const char *method, const char *url);
/* Serve it. peer: the Unix socket's peer (its uid binds the CSRF token), NULL over TCP (the
 * Authorization header binds it). NULL when out of memory. */
struct web_call *web_start(struct web *w, struct MHD_Connection *conn, enum http_role role,
			   const struct http_peer *peer, const char *method, const char *url,
			   const char *body, size_t len, web_done_fn *done, void *arg);
/* Queue the answer once done() was called. */
enum MHD_Result web_answer(struct web_call *c, struct MHD_Connection *conn);
void web_free(struct web_call *c);

#endif
