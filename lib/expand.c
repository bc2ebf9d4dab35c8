/*
 * expand.c — "%(name)s" expansion with a lookup callback (see expand.h).
 * Allocates only the result; never touches global state.
 */
#include "expand.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct expand_buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void expand_put(struct expand_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void expand_pad(struct expand_buf *b, char c, long n)
{
	for (; n > 0; n--)
		expand_put(b, &c, 1);
}

/* Format value per the spec [flags][width][.prec]conv into b. */
static int expand_format(struct expand_buf *b, const char *name, const char *value, const char *flags,
			 long width, long prec, char conv, char *err, size_t errlen)
{
	int left = strchr(flags, '-') != NULL;
	int zero = strchr(flags, '0') != NULL && !left;
	int plus = strchr(flags, '+') != NULL;
	int space = strchr(flags, ' ') != NULL;

	if (conv == 's' || conv == 'r') {
		size_t n = strlen(value);
		if (prec >= 0 && (size_t)prec < n)
			n = (size_t)prec;
		if (!left)
			expand_pad(b, ' ', width - (long)n);
		expand_put(b, value, n);
		if (left)
			expand_pad(b, ' ', width - (long)n);
		return 0;
	}
	/* d / i: the value must be an integer */
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*value == '\0' || *end != '\0' || errno == ERANGE) {
		snprintf(err, errlen, "%%(%s)%c: value is not a number: \"%.64s\"", name, conv, value);
		return -1;
	}
	char digits[32], sign[2] = {0, 0};
	unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	snprintf(digits, sizeof(digits), "%llu", mag);
	if (v < 0)
		sign[0] = '-';
	else if (plus)
		sign[0] = '+';
	else if (space)
		sign[0] = ' ';
	long n = (long)strlen(digits), ndig = n;
	if (prec > n)
		ndig = prec;
	long total = ndig + (sign[0] ? 1 : 0);
	if (!left && !zero)
		expand_pad(b, ' ', width - total);
	expand_put(b, sign, sign[0] ? 1 : 0);
	if (zero)
		expand_pad(b, '0', width - total);
	expand_pad(b, '0', ndig - n);
	expand_put(b, digits, (size_t)n);
	if (left)
		expand_pad(b, ' ', width - total);
	return 0;
}

/* strict: a '%' that starts no "%(name)s" and no "%%" is an error, as Python's "%" operator
 * makes it (supervisord refuses such a value); otherwise it is kept as written. */
static int expand_mode(const char *tmpl, expand_lookup_fn lookup, void *arg, char **out, char *err,
		       size_t errlen, int strict)
{
	struct expand_buf b = {0};
	const char *p = tmpl;

	*out = NULL;
	expand_put(&b, "", 0);
	while (*p != '\0') {
		const char *pct = strchr(p, '%');
		if (pct == NULL) {
			expand_put(&b, p, strlen(p));
			break;
		}
		expand_put(&b, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			expand_put(&b, "%", 1);
			p = pct + 2;
			continue;
		}
		if (pct[1] != '(' && strict) {
			snprintf(
			    err, errlen,
			    "\"%%\" not followed by \"(name)s\" or \"%%\" at \"%.40s\" (write %%%% for a %%)",
			    pct);
			goto fail;
		}
		if (pct[1] != '(') {
			expand_put(&b, "%", 1);
			p = pct + 1;
			continue;
		}
		const char *close = strchr(pct + 2, ')');
		if (close == NULL) {
			snprintf(err, errlen, "unterminated %%(...): \"%.40s\"", pct);
			goto fail;
		}
		char name[128];
		size_t nlen = (size_t)(close - (pct + 2));
		if (nlen == 0 || nlen >= sizeof(name)) {
			snprintf(err, errlen, "bad name in \"%.*s\"", (int)(close - pct + 1), pct);
			goto fail;
		}
		memcpy(name, pct + 2, nlen);
		name[nlen] = '\0';
		const char *q = close + 1;
		char flags[8];
		size_t nf = 0;
		while (*q != '\0' && strchr("-+ 0#", *q) != NULL) {
			if (nf < sizeof(flags) - 1)
				flags[nf++] = *q;
			q++;
		}
		flags[nf] = '\0';
		long width = 0, prec = -1;
		while (isdigit((unsigned char)*q) && width < 10000)
			width = width * 10 + (*q++ - '0');
		if (*q == '.') {
			q++;
			prec = 0;
			while (isdigit((unsigned char)*q) && prec < 10000)
				prec = prec * 10 + (*q++ - '0');
		}
		char conv = *q;
		if (conv != 's' && conv != 'd' && conv != 'i' && conv != 'r') {
			snprintf(err, errlen, "bad format character in \"%.*s\" (use s or d)",
				 (int)(q - pct + (conv ? 1 : 0)), pct);
			goto fail;
		}
		const char *value = lookup(arg, name);
		if (value == NULL) {
			snprintf(err, errlen, "cannot expand %%(%s)%c: no such name", name, conv);
			goto fail;
		}
		if (expand_format(&b, name, value, flags, width, prec, conv, err, errlen) != 0)
			goto fail;
		p = q + 1;
	}
	if (b.failed) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*out = b.p;
	return 0;
fail:
	free(b.p);
	return -1;
}

int expand(const char *tmpl, expand_lookup_fn lookup, void *arg, char **out, char *err, size_t errlen)
{
	return expand_mode(tmpl, lookup, arg, out, err, errlen, 0);
}

int expand_strict(const char *tmpl, expand_lookup_fn lookup, void *arg, char **out, char *err, size_t errlen)
{
	return expand_mode(tmpl, lookup, arg, out, err, errlen, 1);
}

const char *expand_table_lookup(void *arg, const char *name)
{
	for (const struct expand_table *t = arg; t != NULL; t = t->next)
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(t->kv[i].key, name) == 0)
				return t->kv[i].value;
	return NULL;
}

static const char *expand_any(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return "0";
}

int expand_check(const char *tmpl, char *err, size_t errlen)
{
	char *out;
	if (expand(tmpl, expand_any, NULL, &out, err, errlen) != 0)
		return -1;
	free(out);
	return 0;
}
