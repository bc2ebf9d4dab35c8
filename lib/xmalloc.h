/*
 * xmalloc.h — the allocators of the programs (taskvisord, taskvisorctl, the workers in services/).
 *
 * The error policy (README "Errors"): an allocation whose size comes from outside (a frame, a list,
 * a file, a search) is bounded and checked where it is made, and failing it refuses that one
 * request. The small bookkeeping allocations behind every other line use these: on failure they log
 * "out of memory" with the size and the caller, and exit (111, s6's "system error"). Linux
 * overcommits, so such a failure means the address space is gone; nothing sensible can go on, and
 * the store holds every acknowledged task for the next start.
 *
 * Code under lib/ (shared with libtaskvisor and the queue backend) never calls these: it returns
 * an error (STYLE.md rule 4). tests/lint/include_graph.py refuses lib/ files that include this one.
 */
#ifndef TV_XMALLOC_H
#define TV_XMALLOC_H

#include <stddef.h>

#define xmalloc(n) xmalloc_at((n), __func__)
#define xcalloc(n, size) xcalloc_at((n), (size), __func__)
#define xreallocarray(p, n, size) xreallocarray_at((p), (n), (size), __func__)
#define xstrdup(s) xstrdup_at((s), __func__)
#define xstrndup(s, n) xstrndup_at((s), (n), __func__)
#define xasprintf(out, ...) xasprintf_at(__func__, (out), __VA_ARGS__)

void *xmalloc_at(size_t n, const char *where);
void *xcalloc_at(size_t n, size_t size, const char *where);
/* realloc(p, n * size), refusing a product that overflows. */
void *xreallocarray_at(void *p, size_t n, size_t size, const char *where);
char *xstrdup_at(const char *s, const char *where);
char *xstrndup_at(const char *s, size_t n, const char *where);
/* asprintf; returns the length. */
int xasprintf_at(const char *where, char **out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An allocation inside a call that returns errors (jansson, proto_wbuf_*) failed where the
 * caller has no recovery: the same log line and exit. */
#define xmalloc_failed(n) xmalloc_failed_at((n), __func__)
void xmalloc_failed_at(size_t n, const char *where);
/* Make jansson allocate through xmalloc too: a program's json_object() never returns NULL
 * (each program's main calls it once; libtaskvisor leaves jansson as its caller set it). */
void xmalloc_json(void);
/* Test seam: the exit on failure (NULL = exit(111) after the log line). */
void xmalloc_set_fail(void (*fail)(const char *where, size_t n));

#endif
