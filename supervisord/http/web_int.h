/*
 * web_int.h — what the web page's files share (web.c, web_page.c, web_csrf.c,
 * web_assets.c): the output buffer with HTML escaping, the call being served,
 * the page renderers and the CSRF token.
 */
#ifndef TV_WEB_INT_H
#define TV_WEB_INT_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

#define WEB_PAGE_SIZE 50     /* tasks per page */
#define WEB_LIST_MAX 10000   /* tasks a list may reach into (page * size): past it, refine */
#define WEB_TAIL_BYTES 16384 /* a log view shows this much of the end */
#define WEB_JSON_MAX 65536   /* input/output shown at most this long */
#define WEB_STEPS_MAX 500    /* steps rows shown */
#define WEB_ERRORS_MAX 20    /* the last errors shown */
#define WEB_FORM_MAX 4096    /* an action's form body */

/* A growing text; on allocation failure it stays failed (oom) and the page is a 500. */
struct web_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void web_buf_add(struct web_buf *b, const char *s, size_t n);
void web_buf_puts(struct web_buf *b, const char *s);
void web_buf_printf(struct web_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s escaped for HTML text and attribute values (& < > " '). */
void web_buf_esc(struct web_buf *b, const char *s);
void web_buf_escn(struct web_buf *b, const char *s, size_t n);
/* s percent-encoded for a query string value. */
void web_buf_url(struct web_buf *b, const char *s);

struct web {
	struct http_ops ops;
	unsigned char secret[32]; /* per daemon, from getrandom(): CSRF tokens are HMACs under it */
	bool keyed;		  /* secret drawn (at the first request) */
};

typedef void web_next_fn(struct web_call *c, uint32_t type, json_t *body);

struct web_call {
	struct web *w;
	struct MHD_Connection *conn;
	enum http_role role;
	web_done_fn *done;
	void *arg;
	void *native; /* the native request handle (ops->call_open) */
	ev_timer later;
	web_next_fn *next;
	uint32_t rtype;
	json_t *rbody;
	json_t *keep;	/* what an earlier reply of the same page brought (workers before queues) */
	bool fragment;	/* ?fragment=1: the live part only (polled by app.js) */
	char token[65]; /* this session's CSRF token */
	struct web_buf out;
	struct MHD_Response *resp;
	unsigned status;
};

/* The CSRF token of a session (hex HMAC-SHA256 of binding under the secret). */
void web_csrf_token(const unsigned char secret[32], const char *binding, char out[65]);
/* Constant-time comparison of two tokens. */
bool web_csrf_equal(const char *a, const char *b);
void web_csrf_sha256(const void *data, size_t len, unsigned char out[32]);

/* Page frame: <head>, navigation; web_page_foot closes it. */
void web_page_head(struct web_call *c, const char *title, const char *nav);
void web_page_foot(struct web_call *c);
/* The bodies of the pages, from the native replies (web_page.c). */
void web_page_processes(struct web_call *c, json_t *procs);
void web_page_tail(struct web_call *c, const char *name, const char *stream, json_t *body);
/* tasks: up to page * WEB_PAGE_SIZE + 1 rows (the last tells a next page exists); error: the search's */
void web_page_tasks(struct web_call *c, const char *search, const char *order, long page, json_t *tasks,
		    const char *error);
void web_page_task(struct web_call *c, json_t *task);
void web_page_workers(struct web_call *c, json_t *workers, json_t *queues);
/* A message page ("p: stopped", "permission denied ..."); error: shown as an error. */
void web_page_message(struct web_call *c, const char *title, const char *msg, bool error, const char *back);

/* The assets (web_assets.c). */
extern const char web_assets_css[], web_assets_js[];

#endif
