/*
 * xmalloc.c — allocators that do not return on failure, for the programs only (see xmalloc.h for
 * the policy). Never called from other lib/ code.
 */
#include "xmalloc.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void (*xmalloc_fail_fn)(const char *, size_t);

void xmalloc_set_fail(void (*fail)(const char *where, size_t n))
{
	xmalloc_fail_fn = fail;
}

/* Say who ran out and stop: nothing after this line could keep its promises. */
static void xmalloc_fail(const char *where, size_t n)
{
	if (xmalloc_fail_fn != NULL) {
		xmalloc_fail_fn(where, n);
		return;
	}
	log_error("%s: out of memory (%zu bytes)", where, n);
	log_flush();
	_exit(111);
}

void xmalloc_failed_at(size_t n, const char *where)
{
	xmalloc_fail(where, n);
}

void *xmalloc_at(size_t n, const char *where)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		xmalloc_fail(where, n);
	return p;
}

void *xcalloc_at(size_t n, size_t size, const char *where)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

	if (p == NULL)
		xmalloc_fail(where, n * size);
	return p;
}

void *xreallocarray_at(void *p, size_t n, size_t size, const char *where)
{
	void *np;

	if (size != 0 && n > SIZE_MAX / size) {
		xmalloc_fail(where, SIZE_MAX);
		return NULL;
	}
	np = realloc(p, n * size != 0 ? n * size : 1);
	if (np == NULL)
		xmalloc_fail(where, n * size);
	return np;
}

char *xstrdup_at(const char *s, const char *where)
{
	char *d = strdup(s);

	if (d == NULL)
		xmalloc_fail(where, strlen(s) + 1);
	return d;
}

char *xstrndup_at(const char *s, size_t n, const char *where)
{
	char *d = strndup(s, n);

	if (d == NULL)
		xmalloc_fail(where, n + 1);
	return d;
}

int xasprintf_at(const char *where, char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		xmalloc_fail(where, 0);
	}
	return n;
}

static void *xmalloc_json_alloc(size_t n)
{
	return xmalloc_at(n, "json");
}

void xmalloc_json(void)
{
	json_set_alloc_funcs(xmalloc_json_alloc, free);
}
