/*
 * conf.c — the configuration loader: reads the main file and its [include]s
 * into raw sections as supervisord's configparser (strict=False) does — a
 * section repeated is merged, a key given again replaces the earlier value,
 * [DEFAULT] lands in every section — and interprets the daemon's own sections
 * ([taskvisord] / [supervisord], [unix_socket] / [unix_http_server],
 * [inet_http_server], [rpcinterface:x], [tasks]). Programs and groups are in
 * conf_program.c, task types and recurring logics in conf_task.c.
 *
 * Never exits, never logs, never touches the running daemon: conf_load()
 * returns a complete struct conf or NULL with "file:line: message".
 */
#include "conf.h"

#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "conf_int.h"
#include "ini_long.h"
#include "log.h"
#include "proto.h"
#include "units.h"

/* ---- messages ---- */

int conf_fail(struct conf_ld *L, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->err != NULL && L->errlen > 0) {
		if (line > 0)
			snprintf(L->err, L->errlen, "%s:%d: %s", file, line, msg);
		else
			snprintf(L->err, L->errlen, "%s: %s", file, msg);
	}
	return -1;
}

int conf_warn(struct conf_ld *L, const char *file, int line, const char *fmt, ...)
{
	char msg[1024], *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&w, "%s:%d: %s", file, line, msg) < 0)
		return -1;
	return conf_strv_push(&L->c->warnings, &L->c->nwarnings, w);
}

int conf_unknown(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv)
{
	if (kv->dflt) /* a [DEFAULT] key lands in every section, as in configparser */
		return 0;
	return conf_warn(L, kv->file, kv->line, "[%s] %s: unknown option, ignored", s->name, kv->key);
}

/* ---- small helpers ---- */

const struct conf_kv *conf_sec_get(const struct conf_sec *s, const char *key)
{
	for (size_t i = s->nkv; i > 0; i--)
		if (strcmp(s->kv[i - 1].key, key) == 0)
			return &s->kv[i - 1];
	return NULL;
}

void conf_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

size_t conf_strv_len(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

int conf_strv_push(char ***v, size_t *n, char *s)
{
	size_t len = n != NULL ? *n : conf_strv_len(*v);
	char **nv;

	if (s == NULL)
		return -1;
	nv = realloc(*v, (len + 2) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	nv[len] = s;
	nv[len + 1] = NULL;
	*v = nv;
	if (n != NULL)
		*n = len + 1;
	return 0;
}

int conf_split_list(const char *s, char ***out, size_t *n)
{
	char **v = calloc(1, sizeof(*v));
	size_t len = 0;

	if (v == NULL)
		return -1;
	while (*s != '\0') {
		size_t skip = strspn(s, ", \t\r\n");
		s += skip;
		size_t w = strcspn(s, ", \t\r\n");
		if (w == 0)
			continue;
		if (conf_strv_push(&v, &len, strndup(s, w)) != 0) {
			conf_strv_free(v);
			return -1;
		}
		s += w;
	}
	*out = v;
	if (n != NULL)
		*n = len;
	return 0;
}

const char *conf_expand_lookup(void *arg, const char *name)
{
	struct conf_expand *e = arg;
	const char *v = e->table != NULL ? expand_table_lookup(e->table, name) : NULL;

	if (v != NULL)
		return v;
	if (strcmp(name, "here") == 0)
		return e->here;
	if (strcmp(name, "host_node_name") == 0)
		return e->L->hostname;
	if (strncmp(name, "ENV_", 4) == 0) {
		/* [supervisord] environment= once that section is read, then the daemon's own */
		size_t n = strlen(name + 4);
		for (char **p = e->L->env_visible ? e->L->c->environment : NULL; p != NULL && *p != NULL; p++)
			if (strncmp(*p, name + 4, n) == 0 && (*p)[n] == '=')
				return *p + n + 1;
		return getenv(name + 4);
	}
	return NULL;
}

int conf_expand_kv(struct conf_ld *L, const struct conf_sec *sec, const struct conf_kv *kv,
		   struct expand_table *table, char **out)
{
	struct conf_expand e = {L, kv->here != NULL ? kv->here : sec->here, table};
	const char *file = kv->file != NULL ? kv->file : sec->file;
	char why[256];

	/* taskvisor's own task sections keep a lone '%' as written; what supervisord reads is
	 * expanded as Python's '%' does */
	bool lax =
	    sec != NULL && (strncmp(sec->name, "task:", 5) == 0 || strncmp(sec->name, "recurring:", 10) == 0);

	if (strchr(kv->value, '%') == NULL) {
		*out = strdup(kv->value);
		return *out != NULL ? 0 : conf_fail(L, file, kv->line, "out of memory");
	}
	if ((lax ? expand : expand_strict)(kv->value, conf_expand_lookup, &e, out, why, sizeof(why)) != 0)
		return conf_fail(L, file, kv->line, "%s: %s", kv->key, why);
	return 0;
}

int conf_opt_bool(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		  bool *out)
{
	char why[256];
	(void)s; /* kv says where it was set (a section may span files) */
	if (units_bool(v, out, why, sizeof(why)) != 0)
		return conf_fail(L, kv->file, kv->line, "%s: %s", kv->key, why);
	return 0;
}

int conf_opt_int(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		 long long min, long long max, int *out)
{
	char why[256];
	long long x;
	(void)s;
	if (units_int(v, min, max, &x, why, sizeof(why)) != 0)
		return conf_fail(L, kv->file, kv->line, "%s: %s", kv->key, why);
	*out = (int)x;
	return 0;
}

/* Parse v with a units_* parser of a long long (duration, size); "file:line: key: why" if it fails. */
static int conf_opt_units(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv,
			  const char *v, int (*parse)(const char *, long long *, char *, size_t),
			  long long *out)
{
	char why[256];
	(void)s;
	if (parse(v, out, why, sizeof(why)) != 0)
		return conf_fail(L, kv->file, kv->line, "%s: %s", kv->key, why);
	return 0;
}

int conf_opt_dur(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		 long long *out)
{
	return conf_opt_units(L, s, kv, v, units_duration, out);
}

int conf_opt_size(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v,
		  long long *out)
{
	return conf_opt_units(L, s, kv, v, units_size, out);
}

int conf_opt_str(struct conf_ld *L, char **dst, const char *v)
{
	char *d = strdup(v);
	(void)L;
	if (d == NULL)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/* ---- reading files ---- */

static int conf_read_text(const char *path, char **out, size_t *outlen)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fp == NULL)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(fp);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	int bad = ferror(fp);
	fclose(fp);
	if (bad) {
		free(buf);
		errno = EIO;
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* A byte no text configuration holds: NUL (C strings would end there: everything after it
 * silently lost) and ini_long's placeholder mark. Its 1-based line, or 0 when there is none. */
static int conf_bad_byte(const char *text, size_t len, unsigned char *bad)
{
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\n')
			line++;
		else if (ch == '\0' || ch == '\001') {
			*bad = ch;
			return line;
		}
	}
	return 0;
}

struct conf_reading {
	struct conf_ld *L;
	const char *file; /* interned in L->files */
	const char *here; /* interned in L->heres */
	long cur;	  /* index of the section being read in L->secs; -1 before the first */
	int failed;	  /* the handler wrote L->err */
};

static struct conf_sec *conf_find_sec(struct conf_ld *L, const char *name)
{
	for (size_t i = 0; i < L->nsecs; i++)
		if (strcmp(L->secs[i].name, name) == 0)
			return &L->secs[i];
	return NULL;
}

/* A section header: a new section, or (as configparser with strict=False) the one of that name
 * read before, whose keys the following lines add to or replace. */
static int conf_ini_section(struct conf_reading *r, const char *section, int lineno)
{
	struct conf_ld *L = r->L;
	char *sn = strdup(section);

	if (sn == NULL)
		return -1;
	/* inih keeps blanks inside the brackets: "[ program:x ]" is "program:x" */
	size_t lead = strspn(sn, " \t"), n;
	memmove(sn, sn + lead, strlen(sn + lead) + 1);
	for (n = strlen(sn); n > 0 && (sn[n - 1] == ' ' || sn[n - 1] == '\t'); n--)
		sn[n - 1] = '\0';
	struct conf_sec *old = conf_find_sec(L, sn);
	if (old != NULL) {
		free(sn);
		r->cur = old - L->secs;
		return 0;
	}
	struct conf_sec *ns = realloc(L->secs, (L->nsecs + 1) * sizeof(*ns));
	if (ns == NULL) {
		free(sn);
		return -1;
	}
	L->secs = ns;
	struct conf_sec *s = &L->secs[L->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = sn;
	s->line = lineno;
	s->file = strdup(r->file);
	s->here = strdup(r->here);
	r->cur = (long)L->nsecs++;
	return s->file == NULL || s->here == NULL ? -1 : 0;
}

/* "name = value" into the current section: a key given again replaces the earlier value (the
 * last one counts, as in supervisord), with a warning naming both places. */
static int conf_ini_option(struct conf_reading *r, const char *name, const char *value, int lineno)
{
	struct conf_ld *L = r->L;
	struct conf_sec *s = &L->secs[r->cur];
	char *key = strdup(name), *val = strdup(value);
	struct conf_kv *kv = NULL;

	if (key == NULL || val == NULL) {
		free(key);
		free(val);
		return -1;
	}
	/* configparser folds option names to lower case */
	for (char *p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	/* [task:x] lock= and link= may repeat (taskvisor's own section: each one counts) */
	bool many =
	    strncmp(s->name, "task:", 5) == 0 && (strcmp(key, "lock") == 0 || strcmp(key, "link") == 0);
	for (size_t i = 0; i < s->nkv && kv == NULL && !many; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			kv = &s->kv[i];
	if (kv != NULL) {
		if (conf_warn(L, r->file, lineno, "[%s] %s: also set at %s:%d; the last one counts", s->name,
			      key, kv->file, kv->line) != 0) {
			free(key);
			free(val);
			return -1;
		}
		free(key);
		free(kv->value);
	} else {
		struct conf_kv *nk = realloc(s->kv, (s->nkv + 1) * sizeof(*nk));
		if (nk == NULL) {
			free(key);
			free(val);
			return -1;
		}
		s->kv = nk;
		kv = &s->kv[s->nkv++];
		kv->key = key;
	}
	kv->value = val;
	kv->line = lineno;
	kv->file = r->file;
	kv->here = r->here;
	kv->dflt = false;
	return 0;
}

static int conf_ini_handler(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct conf_reading *r = user;
	int rc;

	if (name == NULL) {
		rc = conf_ini_section(r, section, lineno);
	} else if (r->cur < 0) {
		conf_fail(r->L, r->file, lineno, "%s: option outside of any [section]", name);
		r->failed = 1;
		return 0;
	} else {
		rc = conf_ini_option(r, name, value, lineno);
	}
	if (rc != 0) {
		conf_fail(r->L, r->file, lineno, "out of memory");
		r->failed = 1;
		return 0;
	}
	return 1;
}

/* Read one file's sections into L (merged over those read before). */
static int conf_read_file(struct conf_ld *L, const char *file, const char *real, const char *from_file,
			  int from_line)
{
	char *text;
	size_t textlen;
	unsigned char bad;

	if (conf_read_text(file, &text, &textlen) != 0) {
		if (from_file != NULL)
			return conf_fail(L, from_file, from_line, "include \"%s\": %s", file,
					 strerror(errno));
		return conf_fail(L, file, 0, "%s", strerror(errno));
	}
	int badline = conf_bad_byte(text, textlen, &bad);
	if (badline > 0) {
		free(text);
		if (bad == '\0')
			return conf_fail(L, file, badline, "a NUL byte: the file must be text");
		return conf_fail(L, file, badline, "a control character (0x%02x): the file must be text",
				 bad);
	}
	char here[PATH_MAX];
	snprintf(here, sizeof(here), "%s", real);
	char *slash = strrchr(here, '/');
	if (slash == here)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	if (conf_strv_push(&L->files, NULL, strdup(file)) != 0 ||
	    conf_strv_push(&L->heres, &L->nfiles, strdup(here)) != 0) {
		free(text);
		return conf_fail(L, file, 0, "out of memory");
	}

	struct conf_reading r = {L, L->files[L->nfiles - 1], L->heres[L->nfiles - 1], -1, 0};
	char why[256];
	int rc = ini_long_parse(text, conf_ini_handler, &r, why, sizeof(why));
	free(text);
	if (rc == INI_LONG_STOPPED || r.failed)
		return -1;
	if (rc == INI_LONG_NOMEM)
		return conf_fail(L, file, 0, "out of memory");
	if (rc > 0)
		return conf_fail(L, file, rc, "%s", why);
	return 0;
}

/* configparser's [DEFAULT]: its keys are in every other section that does not set them. */
static int conf_defaults(struct conf_ld *L)
{
	const struct conf_sec *d = conf_find_sec(L, "DEFAULT");

	for (size_t i = 0; d != NULL && i < L->nsecs; i++) {
		struct conf_sec *s = &L->secs[i];
		if (s == d)
			continue;
		for (size_t k = 0; k < d->nkv; k++) {
			const struct conf_kv *dk = &d->kv[k];
			if (conf_sec_get(s, dk->key) != NULL)
				continue;
			struct conf_kv *nk = realloc(s->kv, (s->nkv + 1) * sizeof(*nk));
			if (nk == NULL)
				return conf_fail(L, dk->file, dk->line, "out of memory");
			s->kv = nk;
			nk = &s->kv[s->nkv];
			*nk = *dk;
			nk->key = strdup(dk->key);
			nk->value = strdup(dk->value);
			nk->dflt = true;
			if (nk->key == NULL || nk->value == NULL) {
				free(nk->key);
				free(nk->value);
				return conf_fail(L, dk->file, dk->line, "out of memory");
			}
			s->nkv++;
		}
	}
	return 0;
}

/*
 * Read the main file, then what its [include] files= names, as supervisord 4.2.5 does
 * (options.py read_config): the patterns are split on blanks, taken relative to the main file's
 * directory, each glob sorted, every match read into the same sections (a section repeated is
 * merged, later keys winning). Only the main file's [include] is followed: an [include] in an
 * included file merges into it but names nothing more (supervisord computes the list before
 * reading any include), which is said as a warning.
 */
static int conf_read_all(struct conf_ld *L, const char *file, const char *real)
{
	if (conf_read_file(L, file, real, NULL, 0) != 0)
		return -1;
	struct conf_sec *s = conf_find_sec(L, "include");
	if (s == NULL)
		return conf_defaults(L);
	const struct conf_kv *kv = conf_sec_get(s, "files");
	for (size_t k = 0; k < s->nkv; k++)
		if (&s->kv[k] != kv)
			conf_unknown(L, s, &s->kv[k]);
	if (kv == NULL)
		return conf_fail(L, s->file, s->line, "[include] has no files= option");
	char *val, **pats = NULL;
	if (conf_expand_kv(L, s, kv, NULL, &val) != 0)
		return -1;
	/* Reading an include grows L->secs and may move s and kv: keep what is needed. The
	 * strings themselves do not move. */
	const char *sfile = kv->file;
	int kvline = kv->line;
	for (char *w = strtok(val, " \t\r\n"); w != NULL; w = strtok(NULL, " \t\r\n"))
		if (conf_strv_push(&pats, NULL, strdup(w)) != 0) {
			free(val);
			conf_strv_free(pats);
			return conf_fail(L, sfile, kvline, "out of memory");
		}
	free(val);
	/* The display directory: relative to the current directory like the file itself. */
	const char *slash = strrchr(file, '/');
	int rc = 0;
	for (char **pp = pats; pp != NULL && *pp != NULL && rc == 0; pp++) {
		char *pat;
		if ((*pp)[0] == '/' || slash == NULL)
			pat = strdup(*pp);
		else if (asprintf(&pat, "%.*s/%s", (int)(slash - file), file, *pp) < 0)
			pat = NULL;
		if (pat == NULL) {
			rc = conf_fail(L, sfile, kvline, "out of memory");
			break;
		}
		glob_t g;
		int grc = glob(pat, 0, NULL, &g); /* sorted, as Python's sorted(glob.glob()) */
		free(pat);
		if (grc == GLOB_NOMATCH) {
			conf_warn(L, sfile, kvline, "No file matches via include \"%s\"", *pp);
			continue;
		}
		if (grc != 0) {
			rc = conf_fail(L, sfile, kvline, "files: cannot read \"%s\"", *pp);
			break;
		}
		for (size_t m = 0; m < g.gl_pathc && rc == 0; m++) {
			char rp[PATH_MAX];
			const char *path = g.gl_pathv[m];
			if (realpath(path, rp) == NULL)
				rc = conf_fail(L, sfile, kvline, "include \"%s\": %s", path, strerror(errno));
			else
				rc = conf_read_file(L, path, rp, sfile, kvline);
		}
		globfree(&g);
	}
	conf_strv_free(pats);
	if (rc != 0)
		return -1;
	/* An [include] written in an included file is merged, not followed. */
	s = conf_find_sec(L, "include");
	kv = conf_sec_get(s, "files");
	if (kv != NULL && (kv->file != sfile || kv->line != kvline))
		conf_warn(L, kv->file, kv->line,
			  "[include] in an included file is not followed: only the main file's "
			  "[include] names files (as in supervisord)");
	return conf_defaults(L);
}

/* ---- the daemon's own sections ---- */

/* Call opt with each key of s and its expanded value (a repeated key warned of); -1 at the first
 * that fails. */
static int conf_section_each(struct conf_ld *L, const struct conf_sec *s,
			     int (*opt)(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv,
					const char *v))
{
	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		char *v;
		int rc;

		if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
			return -1;
		rc = opt(L, s, kv, v);
		free(v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* supervisord's existing_dirpath: the directory part of a file's path must exist. */
static int conf_dirpath_check(struct conf_ld *L, const struct conf_kv *kv, const char *v)
{
	const char *slash = strrchr(v, '/');
	struct stat st;
	char dir[PATH_MAX];

	if (slash == NULL || slash == v)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - v), v);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return conf_fail(L, kv->file, kv->line,
				 "%s: the directory named as part of the path %s does not exist", kv->key, v);
	return 0;
}

/* supervisord's existing_directory. */
static int conf_dir_check(struct conf_ld *L, const struct conf_kv *kv, const char *v)
{
	struct stat st;

	if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
		return conf_fail(L, kv->file, kv->line, "%s: %s is not an existing directory", kv->key, v);
	return 0;
}

int conf_user_check(struct conf_ld *L, const struct conf_kv *kv, const char *v)
{
	char *end;
	long uid = strtol(v, &end, 10);

	if (*v != '\0' && *end == '\0') {
		if (uid < 0 || getpwuid((uid_t)uid) == NULL)
			return conf_fail(L, kv->file, kv->line, "%s: no such user id: %s", kv->key, v);
		return 0;
	}
	if (getpwnam(v) == NULL)
		return conf_fail(L, kv->file, kv->line, "%s: no such user: \"%s\"", kv->key, v);
	return 0;
}

/* [supervisord] environment=: expanded a second time as supervisord does (options.py
 * read_config), parsed as a program's, kept for every program and for %(ENV_X)s in the
 * sections read after [supervisord]. */
static int conf_main_environment(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv,
				 const char *v)
{
	struct conf_kv again = *kv;
	char *v2, why[256];
	char **vars = calloc(1, sizeof(*vars));

	if (vars == NULL)
		return conf_fail(L, kv->file, kv->line, "out of memory");
	again.value = (char *)v;
	if (conf_expand_kv(L, s, &again, NULL, &v2) != 0) {
		free(vars);
		return -1;
	}
	int rc = conf_env_parse(v2, &vars, why, sizeof(why));
	free(v2);
	if (rc != 0) {
		conf_strv_free(vars);
		return conf_fail(L, kv->file, kv->line, "environment: %s", why);
	}
	conf_strv_free(L->c->environment);
	L->c->environment = vars;
	return 0;
}

static int conf_main_opt(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v)
{
	struct conf *c = L->c;
	const char *k = kv->key;
	int rc = 0;

	/* supervisord refuses these when the directory is missing; [taskvisord] creates it */
	bool sv = strcmp(s->name, "supervisord") == 0;
	if (sv && (strcmp(k, "logfile") == 0 || strcmp(k, "pidfile") == 0) && strcmp(v, "syslog") != 0 &&
	    conf_dirpath_check(L, kv, v) != 0) {
		rc = -1;
	} else if (sv && strcmp(k, "childlogdir") == 0 && conf_dir_check(L, kv, v) != 0) {
		rc = -1;
	} else if (strcmp(k, "logfile") == 0) {
		rc = conf_opt_str(L, &c->logfile, v);
	} else if (strcmp(k, "loglevel") == 0) {
		enum log_level lvl;
		if (log_level_parse(v, &lvl) != 0)
			rc = conf_fail(L, kv->file, kv->line,
				       "loglevel: not a level (critical, error, warn, info, debug, trace): "
				       "\"%s\"",
				       v);
		else
			rc = conf_opt_str(L, &c->loglevel, log_level_name(lvl));
	} else if (strcmp(k, "pidfile") == 0) {
		rc = conf_opt_str(L, &c->pidfile, v);
	} else if (strcmp(k, "logdir") == 0 || strcmp(k, "childlogdir") == 0) {
		rc = conf_opt_str(L, &c->logdir, v);
	} else if (strcmp(k, "database") == 0) {
		rc = conf_opt_str(L, &c->database, v);
	} else if (strcmp(k, "durability") == 0) {
		if (strcasecmp(v, "full") == 0)
			c->durability = DURABILITY_FULL;
		else if (strcasecmp(v, "normal") == 0)
			c->durability = DURABILITY_NORMAL;
		else
			rc = conf_fail(L, kv->file, kv->line, "durability: expected full or normal: \"%s\"",
				       v);
	} else if (strcmp(k, "allow_dangerous_actions") == 0) {
		rc = conf_opt_bool(L, s, kv, v, &c->allow_dangerous_actions);
	} else if (strcmp(k, "minfds") == 0) {
		rc = conf_opt_int(L, s, kv, v, 1, INT_MAX, &c->minfds);
	} else if (strcmp(k, "nodaemon") == 0) {
		rc = conf_opt_bool(L, s, kv, v, &c->nodaemon);
	} else if (strcmp(k, "identifier") == 0) {
		rc = conf_opt_str(L, &c->identifier, v);
	} else if (strcmp(k, "user") == 0) {
		rc = conf_user_check(L, kv, v);
		if (rc == 0)
			rc = conf_opt_str(L, &c->user, v);
	} else if (strcmp(k, "directory") == 0) {
		rc = conf_dir_check(L, kv, v);
		if (rc == 0)
			rc = conf_opt_str(L, &c->directory, v);
	} else if (strcmp(k, "umask") == 0) {
		long m;
		char why[256];
		if (units_octal(v, 0777, &m, why, sizeof(why)) != 0)
			rc = conf_fail(L, kv->file, kv->line, "umask: %s", why);
		else
			c->umask = (int)m;
	} else if (strcmp(k, "minprocs") == 0) {
		rc = conf_opt_int(L, s, kv, v, 0, INT_MAX, &c->minprocs);
	} else if (strcmp(k, "logfile_maxbytes") == 0) {
		rc = conf_opt_size(L, s, kv, v, &c->logfile_maxbytes);
	} else if (strcmp(k, "logfile_backups") == 0) {
		rc = conf_opt_int(L, s, kv, v, 0, INT_MAX, &c->logfile_backups);
	} else if (strcmp(k, "silent") == 0) {
		rc = conf_opt_bool(L, s, kv, v, &c->silent);
	} else if (strcmp(k, "strip_ansi") == 0) {
		rc = conf_opt_bool(L, s, kv, v, &c->strip_ansi);
	} else if (strcmp(k, "nocleanup") == 0) {
		rc = conf_opt_bool(L, s, kv, v, &c->nocleanup);
	} else if (strcmp(k, "environment") == 0) {
		rc = conf_main_environment(L, s, kv, v);
	} else {
		rc = conf_unknown(L, s, kv);
	}
	return rc;
}

static int conf_main_section(struct conf_ld *L, const struct conf_sec *s)
{
	return conf_section_each(L, s, conf_main_opt);
}

/* supervisord's colon_separated_user_group: "user" or "user:group", both known here. */
static int conf_chown_check(struct conf_ld *L, const struct conf_kv *kv, const char *v)
{
	char buf[256], *colon, *end;

	snprintf(buf, sizeof(buf), "%s", v);
	colon = strchr(buf, ':');
	if (colon != NULL)
		*colon = '\0';
	struct conf_kv u = *kv;
	if (conf_user_check(L, &u, buf) != 0)
		return -1;
	if (colon != NULL) {
		long gid = strtol(colon + 1, &end, 10);
		bool num = colon[1] != '\0' && *end == '\0';
		if (num ? getgrgid((gid_t)gid) == NULL : getgrnam(colon + 1) == NULL)
			return conf_fail(L, kv->file, kv->line, "chown: no such group: \"%s\"", colon + 1);
	}
	return 0;
}

static int conf_socket_opt(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv,
			   const char *v)
{
	struct conf *c = L->c;
	const char *k = kv->key;
	char why[256];
	int rc = 0;

	if (strcmp(k, "file") == 0) {
		rc = conf_opt_str(L, &c->socket_file, v);
	} else if (strcmp(k, "chmod") == 0) {
		long mode;
		if (units_octal(v, 07777, &mode, why, sizeof(why)) != 0)
			rc = conf_fail(L, kv->file, kv->line, "chmod: %s", why);
		else
			c->socket_chmod = (mode_t)mode;
	} else if (strcmp(k, "chown") == 0) {
		/* supervisord refuses an unknown user or group here; [unix_socket] says it at start */
		if (strcmp(s->name, "unix_http_server") == 0)
			rc = conf_chown_check(L, kv, v);
		if (rc == 0)
			rc = conf_opt_str(L, &c->socket_chown, v);
	} else if (strcmp(k, "admin_groups") == 0 || strcmp(k, "readonly_groups") == 0) {
		char ***dst = k[0] == 'a' ? &c->admin_groups : &c->readonly_groups;
		char **list;
		if (conf_split_list(v, &list, NULL) != 0) {
			rc = conf_fail(L, kv->file, kv->line, "out of memory");
		} else {
			conf_strv_free(*dst);
			*dst = list;
		}
	} else if (strcmp(k, "max_connections") == 0) {
		rc = conf_opt_int(L, s, kv, v, 1, 1000000, &c->max_connections);
	} else if (strcmp(k, "idle_timeout") == 0) {
		rc = conf_opt_dur(L, s, kv, v, &c->idle_timeout);
	} else if (strcmp(k, "request_timeout") == 0) {
		rc = conf_opt_dur(L, s, kv, v, &c->request_timeout);
		if (rc == 0 && c->request_timeout < 1)
			rc = conf_fail(L, kv->file, kv->line, "request_timeout: must be at least 1s: \"%s\"",
				       v);
	} else if (strcmp(k, "username") == 0) {
		rc = conf_opt_str(L, &c->socket_username, v);
	} else if (strcmp(k, "password") == 0) {
		rc = conf_opt_str(L, &c->socket_password, v);
	} else {
		rc = conf_unknown(L, s, kv);
	}
	return rc;
}

/* supervisord's _parse_username_and_password: both or neither. */
static int conf_auth_check(struct conf_ld *L, const struct conf_sec *s)
{
	if ((conf_sec_get(s, "username") == NULL) != (conf_sec_get(s, "password") == NULL))
		return conf_fail(L, s->file, s->line,
				 "[%s] contains incomplete authentication: if a username or a password is "
				 "specified, both the username and password must be specified",
				 s->name);
	return 0;
}

static int conf_socket_section(struct conf_ld *L, const struct conf_sec *s)
{
	if (strcmp(s->name, "unix_http_server") == 0 && conf_sec_get(s, "file") == NULL)
		return conf_fail(L, s->file, s->line, "[%s] has no file value", s->name);
	if (conf_section_each(L, s, conf_socket_opt) != 0 || conf_auth_check(L, s) != 0)
		return -1;
	return 0;
}

/* [inet_http_server] port = host:port | :port, username, password (supervisord's XML-RPC over TCP). */
static int conf_inet_opt(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv, const char *v)
{
	struct conf *c = L->c;
	const char *k = kv->key, *colon;
	char *end;
	long port;

	if (strcmp(k, "port") == 0) {
		colon = strrchr(v, ':');
		port = strtol(colon != NULL ? colon + 1 : v, &end, 10);
		if (*end != '\0' || end == (colon != NULL ? colon + 1 : v) || port < 1 || port > 65535)
			return conf_fail(L, kv->file, kv->line,
					 "port: expected host:port or :port with a port 1-65535: \"%s\"", v);
		return conf_opt_str(L, &c->inet_port, v);
	}
	if (strcmp(k, "username") == 0)
		return conf_opt_str(L, &c->inet_username, v);
	if (strcmp(k, "password") == 0)
		return conf_opt_str(L, &c->inet_password, v);
	return conf_unknown(L, s, kv);
}

static int conf_inet_section(struct conf_ld *L, const struct conf_sec *s)
{
	if (conf_section_each(L, s, conf_inet_opt) != 0 || conf_auth_check(L, s) != 0)
		return -1;
	if (L->c->inet_port == NULL)
		return conf_fail(L, s->file, s->line, "[%s]: port is required", s->name);
	return 0;
}

static int conf_tasks_opt(struct conf_ld *L, const struct conf_sec *s, const struct conf_kv *kv,
			  const char *v)
{
	int rc = 0;

	if (strcmp(kv->key, "cleanup_after") == 0)
		rc = conf_opt_dur(L, s, kv, v, &L->c->tasks_cleanup_after);
	else
		rc = conf_unknown(L, s, kv);
	return rc;
}

static int conf_tasks_section(struct conf_ld *L, const struct conf_sec *s)
{
	return conf_section_each(L, s, conf_tasks_opt);
}

/* [rpcinterface:x]: taskvisord serves supervisord's own interface (supervisord/http/); another
 * factory (a plugin) is refused by name, as supervisord refuses one it cannot import. */
static int conf_rpcinterface_section(struct conf_ld *L, const struct conf_sec *s)
{
	static const char key[] = "supervisor.rpcinterface_factory";
	static const char mine[] = "supervisor.rpcinterface:make_main_rpcinterface";
	const struct conf_kv *kv = conf_sec_get(s, key);
	char *v;

	if (kv == NULL)
		return conf_fail(L, s->file, s->line, "section [%s] does not specify a %s", s->name, key);
	if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
		return -1;
	int ok = strcmp(v, mine) == 0;
	if (!ok)
		conf_fail(L, kv->file, kv->line, "%s: %s: not provided by taskvisord (it serves %s only)",
			  key, v, mine);
	free(v);
	if (!ok)
		return -1;
	/* supervisord passes the other keys to the factory, which takes none: it fails to start */
	for (size_t i = 0; i < s->nkv; i++)
		if (&s->kv[i] != kv)
			return conf_fail(L, s->kv[i].file, s->kv[i].line,
					 "[%s] %s: %s takes no options (supervisord cannot start with it)",
					 s->name, s->kv[i].key, mine);
	return 0;
}

/* What each kind of section is: read by a function here, elsewhere, or ignored with a word. */
enum conf_sec_kind { SEC_FN, SEC_LATER, SEC_IGNORE, SEC_UNSUPPORTED };

static const struct conf_sec_type {
	const char *name; /* "program:" = a prefix */
	enum conf_sec_kind kind;
	int (*fn)(struct conf_ld *L, const struct conf_sec *s);
} conf_sec_types[] = {
    {"taskvisord", SEC_FN, conf_main_section},
    {"supervisord", SEC_FN, conf_main_section},
    {"unix_socket", SEC_FN, conf_socket_section},
    {"unix_http_server", SEC_FN, conf_socket_section},
    {"tasks", SEC_FN, conf_tasks_section},
    {"include", SEC_LATER, NULL},
    {"DEFAULT", SEC_LATER, NULL}, /* merged into every section (conf_defaults) */
    {"program:", SEC_LATER, NULL},
    {"group:", SEC_LATER, NULL},
    {"task:", SEC_LATER, NULL},
    {"recurring:", SEC_LATER, NULL},
    {"inet_http_server", SEC_FN, conf_inet_section},
    {"supervisorctl", SEC_LATER, NULL}, /* the client's (taskvisorctl reads serverurl) */
    {"rpcinterface:", SEC_FN, conf_rpcinterface_section},
    {"ctlplugin:", SEC_IGNORE, NULL},
    {"eventlistener:", SEC_LATER, NULL}, /* conf_program.c, with [program:x] */
    {"fcgi-program:", SEC_LATER, NULL},
};

static const struct conf_sec_type *conf_sec_type(const char *name)
{
	for (size_t i = 0; i < sizeof(conf_sec_types) / sizeof(conf_sec_types[0]); i++) {
		const char *t = conf_sec_types[i].name;
		size_t n = strlen(t);
		if (t[n - 1] == ':' ? strncmp(name, t, n) == 0 : strcmp(name, t) == 0)
			return &conf_sec_types[i];
	}
	return NULL;
}

/* Two main sections ([taskvisord] and [supervisord]) would silently fight: refuse. */
static int conf_check_aliases(struct conf_ld *L)
{
	static const char *const pairs[][2] = {{"taskvisord", "supervisord"},
					       {"unix_socket", "unix_http_server"}};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct conf_sec *a = conf_find_sec(L, pairs[i][0]), *b = conf_find_sec(L, pairs[i][1]);
		if (a != NULL && b != NULL)
			return conf_fail(L, b->file, b->line, "[%s] and [%s] (%s:%d) are the same section",
					 b->name, a->name, a->file, a->line);
	}
	return 0;
}

static int conf_sections(struct conf_ld *L)
{
	if (conf_check_aliases(L) != 0)
		return -1;
	/* [supervisord] first: the sections after it see its environment= in %(ENV_X)s, as in
	 * supervisord (its own options do not) */
	const struct conf_sec *m = conf_find_sec(L, "supervisord");
	if (m == NULL)
		m = conf_find_sec(L, "taskvisord");
	if (m != NULL && conf_main_section(L, m) != 0)
		return -1;
	L->env_visible = true;
	for (size_t i = 0; i < L->nsecs; i++) {
		const struct conf_sec *s = &L->secs[i];
		const struct conf_sec_type *t = conf_sec_type(s->name);
		int rc = 0;

		if (s == m)
			continue;
		if (t == NULL)
			rc = conf_warn(L, s->file, s->line, "[%s]: unknown section, ignored", s->name);
		else if (t->kind == SEC_FN)
			rc = t->fn(L, s);
		else if (t->kind == SEC_IGNORE)
			rc = conf_warn(L, s->file, s->line,
				       "[%s]: a supervisorctl plugin: not loaded by taskvisorctl", s->name);
		else if (t->kind == SEC_UNSUPPORTED)
			rc = conf_warn(L, s->file, s->line, "[%s]: not supported, ignored", s->name);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- the public API ---- */

static struct conf *conf_new(void)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->loglevel = strdup("info");
	c->logdir = strdup("/var/log/taskvisor");
	c->database = strdup("/var/lib/taskvisor/taskvisor.db");
	c->socket_file = strdup(PROTO_DEFAULT_SOCKET);
	c->durability = DURABILITY_FULL;
	c->minfds = 1024;
	c->minprocs = 200;
	c->umask = 022;
	c->logfile_maxbytes = 50LL * 1024 * 1024;
	c->logfile_backups = 10;
	c->environment = calloc(1, sizeof(char *));
	c->socket_chmod = 0700;
	c->idle_timeout = 300;
	c->request_timeout = 30;
	c->admin_groups = calloc(1, sizeof(char *));
	c->readonly_groups = calloc(1, sizeof(char *));
	c->warnings = calloc(1, sizeof(char *));
	if (c->loglevel == NULL || c->logdir == NULL || c->database == NULL || c->socket_file == NULL ||
	    c->admin_groups == NULL || c->readonly_groups == NULL || c->warnings == NULL ||
	    c->environment == NULL) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static void conf_ld_free(struct conf_ld *L)
{
	for (size_t i = 0; i < L->nsecs; i++) {
		struct conf_sec *s = &L->secs[i];
		for (size_t k = 0; k < s->nkv; k++) {
			free(s->kv[k].key);
			free(s->kv[k].value);
		}
		free(s->kv);
		free(s->name);
		free(s->file);
		free(s->here);
	}
	free(L->secs);
	conf_strv_free(L->files);
	conf_strv_free(L->heres);
	if (L->px != NULL) {
		for (size_t i = 0; i < L->c->nprograms; i++) {
			free(L->px[i].stdout_logfile);
			free(L->px[i].stderr_logfile);
			free(L->px[i].environment);
			free(L->px[i].directory);
			conf_strv_free(L->px[i].env_file_vars);
		}
		free(L->px);
	}
}

/* Start loading path: L ready (err cleared, hostname, an empty struct conf), real = its real
 * path. 0, or -1 with err. */
static int conf_ld_begin(struct conf_ld *L, const char *path, char real[PATH_MAX], char *err, size_t errlen)
{
	struct utsname un;

	memset(L, 0, sizeof(*L));
	L->err = err;
	L->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (uname(&un) == 0)
		snprintf(L->hostname, sizeof(L->hostname), "%s", un.nodename);
	if (realpath(path, real) == NULL)
		return conf_fail(L, path, 0, "%s", strerror(errno));
	L->c = conf_new();
	if (L->c == NULL)
		return conf_fail(L, path, 0, "out of memory");
	return 0;
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct conf_ld L;
	char real[PATH_MAX];

	if (conf_ld_begin(&L, path, real, err, errlen) != 0)
		return NULL;
	L.c->path = strdup(real);
	char *slash = strrchr(real, '/');
	if (slash == real)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	L.c->here = strdup(real);
	if (L.c->path == NULL || L.c->here == NULL) {
		conf_fail(&L, path, 0, "out of memory");
		goto fail;
	}
	if (conf_read_all(&L, path, L.c->path) != 0)
		goto fail;
	if (conf_sections(&L) != 0 || conf_groups_load(&L) != 0 || conf_programs_load(&L) != 0 ||
	    conf_programs_check(&L) != 0 || conf_tasks_load(&L) != 0)
		goto fail;
	for (size_t i = 0; i < L.nfiles; i++) { /* debug-bundle: every file read, as real paths */
		char rp[PATH_MAX];
		const char *f = realpath(L.files[i], rp) != NULL ? rp : L.files[i];
		if (conf_strv_push(&L.c->files, &L.c->nfiles, strdup(f)) != 0) {
			conf_fail(&L, path, 0, "out of memory");
			goto fail;
		}
	}
	conf_ld_free(&L);
	return L.c;
fail:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", path);
	conf_ld_free(&L);
	conf_free(L.c);
	return NULL;
}

/* The socket named by one [unix_socket] / [unix_http_server] / [supervisorctl] section, or NULL. */
static char *conf_socket_of(struct conf_ld *L, const struct conf_sec *s)
{
	bool server = strcmp(s->name, "unix_socket") == 0 || strcmp(s->name, "unix_http_server") == 0;
	char *v = NULL;

	if (!server && strcmp(s->name, "supervisorctl") != 0)
		return NULL;
	for (size_t i = s->nkv; i-- > 0;) { /* the last one counts, as in conf_load */
		const struct conf_kv *kv = &s->kv[i];

		if (strcmp(kv->key, server ? "file" : "serverurl") != 0)
			continue;
		if (conf_expand_kv(L, s, kv, NULL, &v) != 0)
			return NULL;
		if (!server && strncmp(v, "unix://", 7) != 0) { /* http:// is not ours */
			free(v);
			return NULL;
		}
		if (!server)
			memmove(v, v + 7, strlen(v + 7) + 1);
		return v;
	}
	return NULL;
}

char *conf_socket(const char *path, char *err, size_t errlen)
{
	struct conf_ld L;
	char real[PATH_MAX], *file = NULL, *url = NULL, *sock;
	int rc;

	if (conf_ld_begin(&L, path, real, err, errlen) != 0)
		return NULL;
	rc = conf_read_all(&L, path, real);
	if (rc != 0 && L.nsecs == 0) {
		conf_ld_free(&L);
		conf_free(L.c);
		return NULL;
	}
	for (size_t i = 0; i < L.nsecs; i++) {
		char *v = conf_socket_of(&L, &L.secs[i]);
		char **dst = strcmp(L.secs[i].name, "supervisorctl") == 0 ? &url : &file;

		if (v != NULL) {
			free(*dst);
			*dst = v;
		}
	}
	sock = url != NULL ? url : file != NULL ? file : strdup(PROTO_DEFAULT_SOCKET);
	if (sock != url)
		free(url);
	if (sock != file)
		free(file);
	if (sock != NULL && (url != NULL || file != NULL) && err != NULL && errlen > 0)
		err[0] = '\0'; /* the rest does not matter here */
	if (sock == NULL && err != NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	conf_ld_free(&L);
	conf_free(L.c);
	return sock;
}

void conf_file_perms(const struct conf *c, mode_t *mode, gid_t *gid)
{
	char buf[256];
	const char *grp;

	*mode = 0600;
	*gid = (gid_t)-1;
	if (c == NULL || c->socket_chown == NULL || c->socket_chown[0] == '\0')
		return;
	snprintf(buf, sizeof(buf), "%s", c->socket_chown);
	char *colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		grp = colon + 1;
		if (*grp != '\0') {
			struct group *gr = getgrnam(grp);
			if (gr != NULL) {
				*mode = 0640;
				*gid = gr->gr_gid;
			}
			return;
		}
	}
	struct passwd *pw = buf[0] != '\0' ? getpwnam(buf) : NULL;
	if (pw != NULL) {
		*mode = 0640;
		*gid = pw->pw_gid;
	}
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->here);
	free(c->logfile);
	free(c->loglevel);
	free(c->pidfile);
	free(c->logdir);
	free(c->database);
	free(c->socket_file);
	free(c->socket_chown);
	free(c->socket_username);
	free(c->socket_password);
	free(c->inet_port);
	free(c->inet_username);
	free(c->inet_password);
	free(c->identifier);
	free(c->user);
	free(c->directory);
	conf_strv_free(c->environment);
	conf_strv_free(c->admin_groups);
	conf_strv_free(c->readonly_groups);
	for (size_t i = 0; i < c->nprograms; i++)
		conf_program_free(&c->programs[i]);
	free(c->programs);
	for (size_t i = 0; i < c->ngroups; i++) {
		free(c->groups[i].name);
		free(c->groups[i].where.file);
		conf_strv_free(c->groups[i].programs);
	}
	free(c->groups);
	for (size_t i = 0; i < c->ntasks; i++)
		conf_task_free(&c->tasks[i]);
	free(c->tasks);
	for (size_t i = 0; i < c->nrecurring; i++)
		conf_recurring_free(&c->recurring[i]);
	free(c->recurring);
	conf_strv_free(c->warnings);
	conf_strv_free(c->files);
	free(c);
}

const struct conf_program *conf_program_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; c != NULL && i < c->nprograms; i++)
		if (strcmp(c->programs[i].name, name) == 0)
			return &c->programs[i];
	return NULL;
}

const struct conf_task *conf_task_find(const struct conf *c, const char *label)
{
	for (size_t i = 0; c != NULL && i < c->ntasks; i++)
		if (strcmp(c->tasks[i].label, label) == 0)
			return &c->tasks[i];
	return NULL;
}
