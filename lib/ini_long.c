/*
 * ini_long.c — lifts over-long values out of an INI text so Debian's inih
 * (200-byte line buffer) can parse it, then puts them back; joins multi-line
 * values; reports section starts. See ini_long.h. No global state: inih's
 * runtime knobs are left as they are.
 */
#include "ini_long.h"

#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines longer than this are rewritten; far below inih's 199 usable bytes. */
#define INI_LONG_LIFT_AT 100
/* A name longer than this is not lifted (inih keeps names to 50 bytes anyway). */
#define INI_LONG_MAX_NAME 64
/* A placeholder is "\001" INDEX "\001": no blank, ';' or '#' for inih to touch. */
#define INI_LONG_MARK '\001'

struct il_ctx {
	char *text;	 /* the rewritten text */
	const char *pos; /* the reader's position in text */
	char **lifted;	 /* values lifted out, by placeholder index */
	size_t nlifted, caplifted;

	ini_long_handler handler;
	void *user;
	int lineno;	 /* line the reader handed out last */
	int line_cont;	 /* that line continues the previous option's value */
	char *line_name; /* that line's option name, not cut at inih's 50 bytes */
	int stopped;	 /* the handler said stop */
	int nomem;
	int toolong; /* first line still too long for inih, or 0 */

	char *section;
	int have_key; /* a name=value line was seen in this section (inih's prev_name) */
	char *pname, *pvalue;
	int pline;
};

static int il_isblank(char c)
{
	return c == ' ' || c == '\t';
}

void ini_long_strip_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if ((*p == ';' || *p == '#') && p > s && isspace((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static int il_lift(struct il_ctx *c, const char *s, size_t n)
{
	if (c->nlifted == c->caplifted) {
		size_t cap = c->caplifted ? c->caplifted * 2 : 8;
		char **np = realloc(c->lifted, cap * sizeof(*np));
		if (np == NULL)
			return -1;
		c->lifted = np;
		c->caplifted = cap;
	}
	char *v = strndup(s, n);
	if (v == NULL)
		return -1;
	c->lifted[c->nlifted] = v;
	return (int)c->nlifted++;
}

/* Rewrite orig into c->text: every line keeps its place, long values become placeholders. */
static int il_prepass(struct il_ctx *c, const char *orig)
{
	size_t len = strlen(orig);
	/* Each line grows by at most a placeholder and a newline. */
	size_t cap = len + 64;
	char *out = malloc(cap);
	size_t o = 0;
	const char *p = orig;
	int have_key = 0;

	if (out == NULL)
		return -1;
	if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		p += 3;
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *s = p;
		while (s < p + n && il_isblank(*s))
			s++;
		int blank = s == p + n || *s == '\r';
		int comment = !blank && (*s == ';' || *s == '#');
		int cont = !blank && !comment && s > p && have_key;
		int header = !blank && !comment && !cont && *s == '[';
		char line[INI_LONG_MAX_NAME + 32];
		const char *emit = p;
		size_t elen = n;

		if (header)
			have_key = 0;
		else if (!blank && !comment && !cont)
			have_key = 1;
		if (n > INI_LONG_LIFT_AT && comment) {
			emit = ";";
			elen = 1;
		} else if (n > INI_LONG_LIFT_AT && cont) {
			int idx = il_lift(c, s, (size_t)(p + n - s));
			if (idx < 0)
				goto nomem;
			elen = (size_t)snprintf(line, sizeof(line), " %c%d%c", INI_LONG_MARK, idx,
						INI_LONG_MARK);
			emit = line;
		} else if (n > INI_LONG_LIFT_AT && !header && !blank) {
			const char *sep = s;
			while (sep < p + n && *sep != '=' && *sep != ':')
				sep++;
			if (sep < p + n && sep - p <= INI_LONG_MAX_NAME) {
				int idx = il_lift(c, sep + 1, (size_t)(p + n - sep - 1));
				if (idx < 0)
					goto nomem;
				elen = (size_t)snprintf(line, sizeof(line), "%.*s %c%d%c", (int)(sep - p + 1),
							p, INI_LONG_MARK, idx, INI_LONG_MARK);
				emit = line;
			}
		}
		if (o + elen + 2 > cap) {
			cap = (o + elen + 2) * 2;
			char *np = realloc(out, cap);
			if (np == NULL)
				goto nomem;
			out = np;
		}
		memcpy(out + o, emit, elen);
		o += elen;
		out[o++] = '\n';
		p += n;
		if (*p == '\n')
			p++;
	}
	out[o] = '\0';
	c->text = out;
	return 0;
nomem:
	free(out);
	return -1;
}

/* Hand the pending option to the caller. */
static void il_flush(struct il_ctx *c)
{
	if (c->pname == NULL)
		return;
	if (!c->stopped && !c->handler(c->user, c->section ? c->section : "", c->pname, c->pvalue, c->pline))
		c->stopped = 1;
	free(c->pname);
	free(c->pvalue);
	c->pname = c->pvalue = NULL;
}

/* inih's reader: one line per call, counting lines and noting section starts. */
static char *il_reader(char *str, int num, void *stream)
{
	struct il_ctx *c = stream;

	if (c->stopped || c->nomem || *c->pos == '\0')
		return NULL;
	const char *p = c->pos;
	const char *eol = strchr(p, '\n');
	size_t n = eol ? (size_t)(eol - p) : strlen(p);
	c->pos = p + n + (eol ? 1 : 0);
	c->lineno++;

	const char *s = p;
	while (s < p + n && il_isblank(*s))
		s++;
	int data = s < p + n && *s != '\r' && *s != ';' && *s != '#';
	c->line_cont = data && s > p && c->have_key;
	free(c->line_name);
	c->line_name = NULL;
	if (data && !c->line_cont && *s == '[') {
		const char *close = memchr(s, ']', (size_t)(p + n - s));
		il_flush(c);
		c->have_key = 0;
		if (close != NULL) {
			free(c->section);
			c->section = strndup(s + 1, (size_t)(close - s - 1));
			if (c->section == NULL) {
				c->nomem = 1;
				return NULL;
			}
			if (!c->stopped && !c->handler(c->user, c->section, NULL, NULL, c->lineno))
				c->stopped = 1;
		}
		if (c->stopped)
			return NULL;
	} else if (data && !c->line_cont) {
		/* "name = value" or "name: value": keep the whole name, as inih would strip it */
		const char *e = s;
		while (e < p + n && *e != '=' && *e != ':')
			e++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		c->line_name = strndup(s, (size_t)(e - s));
		if (c->line_name == NULL) {
			c->nomem = 1;
			return NULL;
		}
		c->have_key = 1;
	}
	if (n + 2 > (size_t)num) {
		/* Only a huge section header or name gets here: refuse it rather than let
		 * inih read the rest as another line. */
		if (c->toolong == 0)
			c->toolong = c->lineno;
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* inih's handler: resolve placeholders, strip comments, join continuation lines. */
static int il_handler(void *user, const char *section, const char *name, const char *value)
{
	struct il_ctx *c = user;
	char *v;

	(void)section; /* ours is not cut at 50 bytes */
	if (c->stopped || c->nomem)
		return 1;
	size_t vl = value ? strlen(value) : 0;
	if (vl >= 3 && value[0] == INI_LONG_MARK && value[vl - 1] == INI_LONG_MARK) {
		size_t idx = strtoul(value + 1, NULL, 10);
		v = strdup(idx < c->nlifted ? c->lifted[idx] : "");
		if (v != NULL) {
			/* inih did not see it: drop leading blanks as it would have */
			size_t lead = strspn(v, " \t");
			memmove(v, v + lead, strlen(v + lead) + 1);
		}
	} else {
		v = strdup(value ? value : "");
	}
	if (v == NULL) {
		c->nomem = 1;
		return 1;
	}
	ini_long_strip_comment(v);

	if (c->line_cont && c->pname != NULL) {
		if (*v == '\0') {
			free(v);
			return 1;
		}
		size_t a = strlen(c->pvalue), b = strlen(v);
		char *j = realloc(c->pvalue, a + b + 2);
		if (j == NULL) {
			free(v);
			c->nomem = 1;
			return 1;
		}
		if (a > 0)
			j[a++] = '\n';
		memcpy(j + a, v, b + 1);
		c->pvalue = j;
		free(v);
		return 1;
	}
	il_flush(c);
	c->pname = strdup(c->line_name != NULL ? c->line_name : name);
	c->pvalue = v;
	c->pline = c->lineno;
	if (c->pname == NULL) {
		c->nomem = 1;
		free(c->pvalue);
		c->pvalue = NULL;
	}
	return 1;
}

/* Copy line lineno of text (without its newline) for an error message. */
static void il_line_excerpt(const char *text, int lineno, char *buf, size_t len)
{
	const char *p = text;
	for (int i = 1; i < lineno && p != NULL; i++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	size_t n = strcspn(p, "\r\n");
	snprintf(buf, len, "%.*s", (int)(n > 60 ? 60 : n), p);
}

int ini_long_parse(const char *text, ini_long_handler handler, void *user, char *err, size_t errlen)
{
	struct il_ctx c;
	int rc, ret = 0;

	memset(&c, 0, sizeof(c));
	c.handler = handler;
	c.user = user;
	if (il_prepass(&c, text) != 0) {
		ret = INI_LONG_NOMEM;
		goto out;
	}
	c.pos = c.text;
	rc = ini_parse_stream(il_reader, &c, il_handler, &c);
	int stop_line = c.stopped ? c.lineno : 0;
	if (!c.stopped && !c.nomem)
		il_flush(&c);
	if (c.stopped && stop_line == 0)
		stop_line = c.lineno;
	if (c.toolong > 0 && (rc <= 0 || c.toolong < rc))
		rc = c.toolong;
	if (c.nomem || rc == -2) {
		ret = INI_LONG_NOMEM;
	} else if (rc > 0 && (!c.stopped || rc < stop_line)) {
		char ex[80];
		il_line_excerpt(text, rc, ex, sizeof(ex));
		if (rc == c.toolong)
			snprintf(err, errlen, "line too long: \"%s...\"", ex);
		else
			snprintf(err, errlen,
				 "syntax error: expected \"[section]\" or \"name = value\": \"%s\"", ex);
		ret = rc;
	} else if (c.stopped) {
		ret = INI_LONG_STOPPED;
	}
out:
	free(c.pname);
	free(c.pvalue);
	free(c.section);
	free(c.line_name);
	for (size_t i = 0; i < c.nlifted; i++)
		free(c.lifted[i]);
	free(c.lifted);
	free(c.text);
	return ret;
}
