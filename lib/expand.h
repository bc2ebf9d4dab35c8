/*
 * expand.h — Python-style "%(name)s" expansion, as supervisord does it:
 * %(name)s, %(name)d, %(name)02d, %(name)-10s, and %% for a literal percent.
 *
 * Generic: names are resolved by a caller's lookup callback, so the same code
 * expands program options (%(program_name)s, %(process_num)02d, %(ENV_HOME)s)
 * and task templates (%(input.repo)s, %(triggered_by)s). A '%' not followed by
 * '(' or '%' is kept as it is.
 */
#ifndef TV_EXPAND_H
#define TV_EXPAND_H

#include <stddef.h>

/* The value of name, or NULL when there is no such name. */
typedef const char *(*expand_lookup_fn)(void *arg, const char *name);

/* Expand tmpl into a malloc'ed *out. -1 with a reason in err (unknown name, bad format,
 * %d of a non-number, out of memory); *out is then NULL. */
int expand(const char *tmpl, expand_lookup_fn lookup, void *arg, char **out, char *err, size_t errlen);

/* The same, but a '%' that starts neither "%(name)..." nor "%%" is an error, as in Python's
 * "%" operator (supervisord refuses "50%" or "date +%Y" in an option it reads). */
int expand_strict(const char *tmpl, expand_lookup_fn lookup, void *arg, char **out, char *err, size_t errlen);

/* A small key -> value table and its lookup callback (arg = struct expand_table *). */
struct expand_kv {
	const char *key;
	const char *value;
};
struct expand_table {
	const struct expand_kv *kv;
	size_t n;
	struct expand_table *next; /* consulted when a name is not in kv; may be NULL */
};
const char *expand_table_lookup(void *arg, const char *name);

/* Check tmpl's syntax only (every name is accepted): for templates expanded later. */
int expand_check(const char *tmpl, char *err, size_t errlen);

#endif
