/*
 * confmask.c — mask the secrets of a configuration text (confmask.h): key by
 * key, line by line, keeping everything that is not a secret as it was so a
 * bug report still shows what the operator wrote.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confmask.h"

#define MASK "***"

/* Does the word (n bytes) name a secret? */
static bool confmask_secret_word(const char *w, size_t n)
{
	static const char *const words[] = {"password", "passwd",  "secret", "token", "credential",
					    "api_key",	"api-key", "apikey", NULL};

	for (const char *const *k = words; *k != NULL; k++) {
		size_t kl = strlen(*k);

		for (size_t i = 0; i + kl <= n; i++)
			if (strncasecmp(w + i, *k, kl) == 0)
				return true;
	}
	return false;
}

/* Growing output buffer. */
struct confmask_buf {
	char *s;
	size_t len, cap;
	bool nomem;
};

static void confmask_put(struct confmask_buf *o, const char *p, size_t n)
{
	if (o->nomem)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *s = realloc(o->s, cap);
		if (s == NULL) {
			o->nomem = true;
			return;
		}
		o->s = s;
		o->cap = cap;
	}
	memcpy(o->s + o->len, p, n);
	o->len += n;
	o->s[o->len] = '\0';
}

/* environment= value: NAME=VALUE pairs separated by commas; quoted values may hold commas. */
static void confmask_env(struct confmask_buf *o, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i;
		while (i < n && v[i] != '=' && v[i] != ',')
			i++;
		confmask_put(o, v + start, i - start); /* leading space and the name */
		if (i >= n)
			break;
		if (v[i] == ',') {
			confmask_put(o, ",", 1);
			i++;
			continue;
		}
		confmask_put(o, "=" MASK, 1 + strlen(MASK));
		i++;
		char q = 0;
		while (i < n && (q != 0 || v[i] != ',')) {
			if (q == 0 && (v[i] == '"' || v[i] == '\''))
				q = v[i];
			else if (q != 0 && v[i] == q)
				q = 0;
			i++;
		}
		if (i < n) {
			confmask_put(o, ",", 1);
			i++;
		}
	}
}

/* Any other value: password=X, --token X, --token=X, user:X@host keep their words, lose X. */
static void confmask_words(struct confmask_buf *o, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (isspace((unsigned char)v[i])) {
			confmask_put(o, v + i, 1);
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && !isspace((unsigned char)v[i]))
			i++;
		const char *w = v + start;
		size_t wl = i - start;
		const char *eq = memchr(w, '=', wl);
		const char *at = memchr(w, '@', wl);
		const char *scheme = memmem(w, wl, "://", 3);
		const char *colon = NULL;
		if (scheme != NULL && at != NULL && scheme + 3 < at)
			colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
		if (eq != NULL && confmask_secret_word(w, (size_t)(eq - w))) {
			confmask_put(o, w, (size_t)(eq - w) + 1);
			confmask_put(o, MASK, strlen(MASK));
		} else if (colon != NULL) {
			/* scheme://user:pass@host */
			confmask_put(o, w, (size_t)(colon - w) + 1);
			confmask_put(o, MASK, strlen(MASK));
			confmask_put(o, at, (size_t)(w + wl - at));
		} else {
			confmask_put(o, w, wl);
			if (eq == NULL && w[0] == '-' && confmask_secret_word(w, wl)) {
				/* --password VALUE: mask the next word */
				while (i < n && isspace((unsigned char)v[i]))
					confmask_put(o, v + i++, 1);
				if (i < n) {
					while (i < n && !isspace((unsigned char)v[i]))
						i++;
					confmask_put(o, MASK, strlen(MASK));
				}
			}
		}
	}
}

char *confmask_text(const char *text, size_t len)
{
	struct confmask_buf o = {0};
	bool in_env = false; /* continuation lines of an environment= value */
	size_t i = 0;

	confmask_put(&o, "", 0);
	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		i += ll + (nl ? 1 : 0);

		size_t k = 0;
		while (k < ll && (line[k] == ' ' || line[k] == '\t'))
			k++;
		bool cont = k > 0 && k < ll;
		if (k >= ll || line[k] == ';' || line[k] == '#' || line[k] == '[') {
			in_env = false;
			confmask_put(&o, line, ll);
		} else if (cont && in_env) {
			confmask_put(&o, line, k);
			confmask_env(&o, line + k, ll - k);
		} else if (cont) {
			confmask_put(&o, line, k); /* continuation of a value that is not a secret */
			confmask_words(&o, line + k, ll - k);
		} else {
			size_t sep = k;
			while (sep < ll && line[sep] != '=' && line[sep] != ':')
				sep++;
			if (sep >= ll) {
				in_env = false;
				confmask_put(&o, line, ll);
			} else {
				size_t ke = sep;
				while (ke > k && isspace((unsigned char)line[ke - 1]))
					ke--;
				confmask_put(&o, line, sep + 1);
				in_env = ke - k == 11 && strncasecmp(line + k, "environment", 11) == 0;
				if (in_env)
					confmask_env(&o, line + sep + 1, ll - sep - 1);
				else if (confmask_secret_word(line + k, ke - k)) {
					size_t v = sep + 1;
					while (v < ll && (line[v] == ' ' || line[v] == '\t'))
						v++;
					confmask_put(&o, line + sep + 1, v - sep - 1);
					if (v < ll)
						confmask_put(&o, MASK, strlen(MASK));
				} else
					confmask_words(&o, line + sep + 1, ll - sep - 1);
			}
		}
		if (nl)
			confmask_put(&o, "\n", 1);
	}
	if (o.nomem) {
		free(o.s);
		return NULL;
	}
	return o.s;
}
