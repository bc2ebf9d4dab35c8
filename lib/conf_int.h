/*
 * conf_int.h — what the configuration loader's files (conf.c, conf_program.c,
 * conf_task.c) share while a load is in progress. Not for other modules.
 *
 * Loading goes in three passes: read the main file and its includes into raw
 * sections (conf.c), interpret the sections (conf.c for the daemon's own,
 * conf_program.c for programs and groups, conf_task.c for task types and
 * recurring logics), then cross-check (groups, depends_on, recurring labels).
 */
#ifndef TV_CONF_INT_H
#define TV_CONF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "expand.h"

/* One "name = value" of a section, the value joined over continuation lines. A section
 * repeated (in one file or across [include]d files) is merged as supervisord's configparser
 * (strict=False) does: a key given again replaces the earlier value, so each kv says where it
 * was last set. */
struct conf_kv {
	char *key;
	char *value;
	int line;
	const char *file; /* as shown in messages (owned by conf_ld.files) */
	const char *here; /* absolute directory of that file, for %(here)s */
	bool dflt;	  /* copied from [DEFAULT] (configparser's defaults for every section) */
};

/* One [section] as read, before interpretation. */
struct conf_sec {
	char *name;
	char *file; /* as shown in messages: where the section first appears */
	char *here; /* absolute directory of that file */
	int line;
	struct conf_kv *kv;
	size_t nkv;
};

/* Per-program data needed only while loading. */
struct conf_progx {
	const struct conf_sec *sec;
	char *stdout_logfile; /* raw, expanded per process */
	char *stderr_logfile;
	char *environment;
	char *directory; /* raw, expanded with the first process's names */
	int environment_line;
	const char *environment_file; /* the file environment= was set in */
	char **env_file_vars;	      /* "KEY=VALUE" read from environment_file */
	int depends_line;
	const char *depends_file;
	int restart_cron_line;
};

struct conf_ld {
	struct conf *c;
	char *err;
	size_t errlen;
	struct conf_sec *secs;
	size_t nsecs;
	char **files; /* every file read, as shown (kv->file points here), and its directory */
	char **heres;
	size_t nfiles;
	char hostname[256];
	bool env_visible;      /* [supervisord] environment= is read: %(ENV_X)s sees it */
	struct conf_progx *px; /* parallel to c->programs */
};

/* "file:line: message" into L->err; returns -1. */
int conf_fail(struct conf_ld *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "[sec] key: unknown option, ignored" as a warning, unless the key came from [DEFAULT]. */
int conf_unknown(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv);
/* "file:line: message" appended to c->warnings; returns 0 (-1 out of memory). */
int conf_warn(struct conf_ld *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The last "key =" of a section, or NULL. */
const struct conf_kv *conf_sec_get(const struct conf_sec *s, const char *key);

/* Split on commas and/or blanks (newlines too) into a NULL-terminated vector; -1 out of memory. */
int conf_split_list(const char *s, char ***out, size_t *n);
void conf_strv_free(char **v);
size_t conf_strv_len(char *const *v);
/* Append s (taken over) to a NULL-terminated vector of n entries. -1 out of memory (s freed). */
int conf_strv_push(char ***v, size_t *n, char *s);

/* Lookup for %(here)s, %(host_node_name)s, %(ENV_X)s, then table (may be NULL). */
struct conf_expand {
	struct conf_ld *L;
	const char *here; /* the directory of the file the value comes from */
	struct expand_table *table;
};
const char *conf_expand_lookup(void *arg, const char *name);
/* Expand value for kv of sec into *out; on error "file:line: key: why". */
int conf_expand_kv(struct conf_ld *L, const struct conf_sec *sec, const struct conf_kv *kv,
		   struct expand_table *table, char **out);

/* Typed option readers: 0, or -1 with "file:line: key: why". */
int conf_opt_bool(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		  bool *out);
int conf_opt_int(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		 long long min, long long max, int *out);
int conf_opt_dur(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		 long long *out);
int conf_opt_size(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		  long long *out);
int conf_opt_str(struct conf_ld *L, char **dst, const char *v);

/* "user=": a user name or uid the system knows, as supervisord's name_to_uid; else -1 with
 * "file:line: key: no such user". */
int conf_user_check(struct conf_ld *L, const struct conf_kv *kv, const char *v);
/* supervisord's environment= (KEY=VAL,KEY2="v,2") merged into vars; -1 with why. */
int conf_env_parse(const char *s, char ***vars, char *why, size_t len);
/* Set "key=value" in vars, replacing an entry with the same key. -1 out of memory. */
int conf_env_set(char ***vars, const char *key, size_t klen, const char *value);

/* The three interpretation passes outside conf.c. */
int conf_groups_load(struct conf_ld *L);
int conf_programs_load(struct conf_ld *L);
int conf_programs_check(struct conf_ld *L);
int conf_tasks_load(struct conf_ld *L);
void conf_program_free(struct conf_program *p);
void conf_task_free(struct conf_task *t);
void conf_recurring_free(struct conf_recurring *r);

#endif
