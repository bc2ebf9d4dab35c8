/*
 * argv.c — splitting and checking step command templates (see argv.h).
 *
 * The splitter follows POSIX sh word rules: blanks separate words; '...'
 * quotes everything; "..." quotes all but $, ` and \; a backslash outside
 * quotes takes the next character literally. Anything a shell would treat as
 * syntax outside quotes (| & ; < > ( ) $ ` newline, globs, a leading # or ~,
 * an assignment or a keyword as the first word) makes the template a shell
 * template. A %(...) substitution is one token wherever it stands: quotes and
 * blanks inside its name are not syntax. This file never expands anything.
 */
#include "argv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct argv_sp {
	struct argv_tmpl *t;
	size_t cap;
	char *buf; /* the current word */
	size_t len;
	bool inword, quoted;
	int flags;
	const char *first_sub; /* the template's first substitution, for a shell template's message */
	size_t first_sub_len;
};

/* What the first operand of an interpreter is when no code option was given. */
enum argv_operand { ARGV_OP_NONE, ARGV_OP_SCRIPT, ARGV_OP_CODE };

/* Programs that read code from their arguments. Names are " "-delimited basenames. */
struct argv_interp {
	const char *names;
	const char *flag;     /* flag letters that make the first operand code (sh -c) */
	const char *code;     /* option letters whose argument is code */
	const char *args;     /* letters that take an argument, glued or the next word */
	const char *glued;    /* letters that take the rest of their word only */
	const char *prog;     /* letters whose argument names the program (a file, a module) */
	const char *longcode; /* long options whose argument is code */
	enum argv_operand operand;
	bool positional; /* the words after the code are positional parameters */
	bool all_code;	 /* every later word is code (a remote shell's command) */
	bool shell;	 /* its code is shell code */
	bool permute;	 /* options may follow operands (GNU getopt): su USER -c CODE */
};

static const struct argv_interp argv_interps[] = {
    {.names = " sh bash dash zsh ksh mksh lksh ash yash posh rbash ",
     .flag = "c",
     .args = "o",
     .operand = ARGV_OP_SCRIPT,
     .positional = true,
     .shell = true},
    {.names = " python pypy ",
     .code = "c",
     .args = "WX",
     .prog = "m",
     .operand = ARGV_OP_SCRIPT,
     .positional = true},
    {.names = " perl ", .code = "eE", .glued = "ilx0CdDFIMm", .operand = ARGV_OP_SCRIPT},
    {.names = " ruby ", .code = "e", .args = "Cr", .glued = "EFIKTWx0l", .operand = ARGV_OP_SCRIPT},
    {.names = " node nodejs ",
     .code = "ep",
     .args = "r",
     .longcode = " --eval --print ",
     .operand = ARGV_OP_SCRIPT},
    {.names = " php ", .code = "rBRE", .args = "cdz", .prog = "fF", .operand = ARGV_OP_SCRIPT},
    {.names = " lua luajit Rscript ", .code = "e", .args = "l", .operand = ARGV_OP_SCRIPT},
    {.names = " expect ", .code = "c", .prog = "f", .operand = ARGV_OP_SCRIPT},
    {.names = " awk gawk mawk nawk ",
     .code = "e",
     .args = "Fv",
     .prog = "f",
     .longcode = " --source ",
     .operand = ARGV_OP_CODE},
    {.names = " sed ",
     .code = "e",
     .args = "l",
     .glued = "i",
     .prog = "f",
     .longcode = " --expression ",
     .operand = ARGV_OP_CODE},
    {.names = " env ", .code = "S", .args = "uC", .longcode = " --split-string ", .operand = ARGV_OP_NONE},
    {.names = " su runuser flock script ",
     .code = "c",
     .args = "gGswET",
     .longcode = " --command ",
     .operand = ARGV_OP_NONE,
     .shell = true,
     .permute = true},
    {.names = " ssh watch ", .operand = ARGV_OP_NONE, .all_code = true, .shell = true},
};

/* Shell keywords and special built-ins: a first word that only a shell can run. */
static const char argv_keywords[] =
    " ! { } [[ if then else elif fi for while until do done case esac in function select . : cd eval exec "
    "export exit set unset shift source trap ulimit umask alias readonly local return break continue wait "
    "read times ";

static bool argv_in_list(const char *list, const char *w, size_t n)
{
	for (const char *p = strstr(list, " "); p != NULL && p[1] != '\0'; p = strchr(p + 1, ' '))
		if (strncmp(p + 1, w, n) == 0 && p[1 + n] == ' ')
			return true;
	return false;
}

static const char *argv_first_sub(const char *text, size_t *n);

/*
 * End the word being read. Its substitution flags come from its final text, read as the
 * expansion will read it: quotes and backslashes can join a '%' and a '(' that the reading
 * saw apart ('%'\(input.v\)s is the word %(input.v)s), or part a "%(" it saw (%'%('),
 * and a value must never be checked against flags that the expansion does not agree with.
 */
static int argv_push_word(struct argv_sp *sp)
{
	struct argv_tmpl *t = sp->t;
	const char *sub;
	char *text;
	size_t n;

	if (!sp->inword)
		return 0;
	if (t->n == sp->cap) {
		size_t cap = sp->cap != 0 ? sp->cap * 2 : 8;
		struct argv_word *nw = realloc(t->w, cap * sizeof(*nw));

		if (nw == NULL)
			return -1;
		t->w = nw;
		sp->cap = cap;
	}
	if ((text = strndup(sp->buf, sp->len)) == NULL)
		return -1;
	t->w[t->n].text = text;
	t->w[t->n].flags = sp->flags & ~(ARGV_SUBST | ARGV_LEAD);
	if ((sub = argv_first_sub(text, &n)) != NULL)
		t->w[t->n].flags |= ARGV_SUBST | (sub == text ? ARGV_LEAD : 0);
	t->n++;
	sp->len = 0;
	sp->inword = sp->quoted = false;
	sp->flags = 0;
	return 0;
}

static void argv_put(struct argv_sp *sp, const char *s, size_t n)
{
	memcpy(sp->buf + sp->len, s, n);
	sp->len += n;
	sp->inword = true;
}

/* The length of the %(...) token at p (p[0] == '%', p[1] == '('), 0 if unterminated. */
static size_t argv_sub_len(const char *p)
{
	const char *close = strchr(p + 2, ')'), *q;

	if (close == NULL)
		return 0;
	q = close + 1 + strspn(close + 1, "-+ 0#0123456789.");
	return (size_t)(q - p) + (*q != '\0' ? 1 : 0);
}

/* Take a %% or %(...) token at *pp into the word; false if there is none. */
static bool argv_token(struct argv_sp *sp, const char **pp)
{
	const char *p = *pp;
	size_t n;

	if (p[0] != '%' || (p[1] != '%' && p[1] != '('))
		return false;
	if (p[1] == '%') {
		argv_put(sp, p, 2);
		*pp = p + 2;
		return true;
	}
	n = argv_sub_len(p);
	if (n == 0)
		n = strlen(p);
	if (sp->len == 0)
		sp->flags |= ARGV_LEAD;
	sp->flags |= ARGV_SUBST;
	if (sp->first_sub == NULL) {
		sp->first_sub = p;
		sp->first_sub_len = n;
	}
	argv_put(sp, p, n);
	*pp = p + n;
	return true;
}

/* Is buf[0..len) a shell variable name? */
static bool argv_is_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Split cmd into t->w, setting t->shell on shell syntax. */
static int argv_split(struct argv_sp *sp, const char *cmd, char *err, size_t errlen)
{
	struct argv_tmpl *t = sp->t;
	const char *p = cmd;

	while (*p != '\0') {
		char c = *p;

		if (argv_token(sp, &p))
			continue;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (c == '\n')
				t->shell = true;
			if (argv_push_word(sp) < 0)
				goto oom;
			p++;
		} else if (c == '\'') {
			const char *s = p + 1;
			sp->inword = sp->quoted = true;
			while (*s != '\'') {
				if (*s == '\0') {
					snprintf(err, errlen, "unclosed ' quote");
					return -1;
				}
				if (!argv_token(sp, &s))
					argv_put(sp, s++, 1);
			}
			p = s + 1;
		} else if (c == '"') {
			const char *s = p + 1;
			sp->inword = sp->quoted = true;
			while (*s != '"') {
				if (*s == '\0') {
					snprintf(err, errlen, "unclosed \" quote");
					return -1;
				}
				if (argv_token(sp, &s))
					continue;
				if (*s == '$' || *s == '`')
					t->shell = true;
				if (*s == '\\' && s[1] != '\0' && strchr("$`\"\\\n", s[1]) != NULL) {
					if (s[1] != '\n')
						argv_put(sp, s + 1, 1);
					s += 2;
					continue;
				}
				argv_put(sp, s++, 1);
			}
			p = s + 1;
		} else if (c == '\\') {
			if (p[1] == '\0') {
				snprintf(err, errlen, "ends with a backslash");
				return -1;
			}
			if (p[1] != '\n') {
				argv_put(sp, p + 1, 1);
				sp->quoted = true;
			}
			p += 2;
		} else {
			if (strchr("|&;<>()$`*?[", c) != NULL || (!sp->inword && (c == '#' || c == '~')))
				t->shell = true;
			if (c == '=' && t->n == 0 && !sp->quoted && argv_is_name(sp->buf, sp->len))
				t->shell = true; /* VAR=value command */
			argv_put(sp, p++, 1);
		}
	}
	if (argv_push_word(sp) < 0)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The first %(...) token in text (its length in *n), or NULL. */
static const char *argv_first_sub(const char *text, size_t *n)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '%') {
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == '(') {
			*n = argv_sub_len(p);
			if (*n == 0)
				*n = strlen(p);
			return p;
		}
	}
	return NULL;
}

/* Where a value of the substitution sub can be read from instead: "$TASK_INPUT_k", or "". */
static void argv_hint(const char *sub, size_t n, char *var, size_t varlen)
{
	const char *name = sub + 2, *close = memchr(sub, ')', n);
	size_t len = close != NULL ? (size_t)(close - name) : 0;

	var[0] = '\0';
	if (len > 6 && strncmp(name, "input.", 6) == 0) {
		const char *key = name + 6, *dot = memchr(key, '.', len - 6);
		size_t klen = dot != NULL ? (size_t)(dot - key) : len - 6;

		if (argv_is_name(key, klen))
			snprintf(var, varlen, "TASK_INPUT_%.*s", (int)klen, key);
	} else if (len == 5 && strncmp(name, "label", 5) == 0) {
		snprintf(var, varlen, "TASK_LABEL");
	}
}

/* The refusal of a substitution found in code (what: "shell code", "code (python3 -c)"). */
static int argv_refuse_code(const char *sub, size_t n, bool shell, const char *what, char *err, size_t errlen)
{
	char var[160];

	argv_hint(sub, n, var, sizeof(var));
	if (shell && var[0] != '\0')
		snprintf(err, errlen, "%.*s inside %s; use \"$%s\" instead", (int)n, sub, what, var);
	else if (shell)
		snprintf(err, errlen,
			 "%.*s inside %s; pass it as an argument instead: sh -c '... \"$1\"' sh %.*s", (int)n,
			 sub, what, (int)n, sub);
	else if (var[0] != '\0')
		snprintf(err, errlen, "%.*s inside %s; read the environment variable %s instead", (int)n, sub,
			 what, var);
	else
		snprintf(err, errlen, "%.*s inside %s; pass it as an argument after the code instead", (int)n,
			 sub, what);
	return -1;
}

static const char *argv_base(const char *w)
{
	const char *s = strrchr(w, '/');
	return s != NULL ? s + 1 : w;
}

/* Is c one of the letters (a NULL list has none)? */
static bool argv_letter(const char *letters, char c)
{
	return letters != NULL && c != '\0' && strchr(letters, c) != NULL;
}

/* The interpreter named by word w (a literal word), or NULL. */
static const struct argv_interp *argv_interp_of(const struct argv_word *w)
{
	const char *b;
	size_t n;

	if (w->flags & ARGV_SUBST)
		return NULL;
	b = argv_base(w->text);
	n = strlen(b);
	/* python3, python3.12, pypy3: the versioned names */
	if (strncmp(b, "python", 6) == 0 || strncmp(b, "pypy", 4) == 0)
		n = strcspn(b, "0123456789.");
	for (size_t i = 0; i < sizeof(argv_interps) / sizeof(argv_interps[0]); i++)
		if (n > 0 && argv_in_list(argv_interps[i].names, b, n) &&
		    (b[n] == '\0' || strspn(b + n, "0123456789.") == strlen(b + n)))
			return &argv_interps[i];
	return NULL;
}

/* Mark word j as code of the interpreter at word i (given by option word opt, or 0 for
 * an operand): refused if it holds a substitution. */
static int argv_code_word(struct argv_tmpl *t, size_t i, const struct argv_interp *in, size_t j, size_t opt,
			  char *err, size_t errlen)
{
	char what[160];
	const char *sub, *prog = argv_base(t->w[i].text);
	size_t n;

	t->w[j].flags |= ARGV_CODE;
	if ((sub = argv_first_sub(t->w[j].text, &n)) == NULL)
		return 0;
	if (in->all_code) {
		snprintf(err, errlen, "%.*s inside the command %s hands to a shell; input may not reach it",
			 (int)n, sub, prog);
		return -1;
	}
	if (opt != 0) {
		/* the option alone, also when the code is glued to it (-cCODE, --eval=CODE) */
		const char *o = t->w[opt].text;
		int olen = (int)(o[1] == '-' ? strcspn(o, "=")
					     : 1 + strcspn(o + 1, in->code != NULL ? in->code : "") + 1);
		snprintf(what, sizeof(what), "%s (%s %.*s)", in->shell ? "shell code" : "code", prog, olen,
			 o);
	} else
		snprintf(what, sizeof(what), "code (the program of %s)", prog);
	return argv_refuse_code(sub, n, in->shell, what, err, errlen);
}

/* Word j names what runs (the program, a script, a module): no substitution. */
static int argv_prog_word(struct argv_tmpl *t, size_t i, size_t j, char *err, size_t errlen)
{
	const char *sub;
	size_t n;

	if ((sub = argv_first_sub(t->w[j].text, &n)) == NULL)
		return 0;
	if (j == 0)
		snprintf(err, errlen, "%.*s as the program; input may not choose what runs", (int)n, sub);
	else
		snprintf(err, errlen, "%.*s as the program of %s; input may not choose what runs", (int)n,
			 sub, argv_base(t->w[i].text));
	return -1;
}

/* The words after interpreter word i: options, code, operands. *end = the first word not examined. */
static int argv_interp_words(struct argv_tmpl *t, size_t i, const struct argv_interp *in, size_t *end,
			     char *err, size_t errlen)
{
	size_t j = i + 1, flag = 0; /* flag: the option word that made the first operand code */
	bool code = false;	    /* code or a program was given by an option */

	*end = t->n;
	if (in->all_code) {
		for (; j < t->n; j++)
			if (argv_code_word(t, i, in, j, 0, err, errlen) < 0)
				return -1;
		return 0;
	}
	for (; j < t->n && !code; j++) {
		const char *w = t->w[j].text;
		int next = 0; /* the option takes the next word: 1 code, 2 program, 3 plain */

		if (strcmp(w, "--") == 0) {
			j++;
			break;
		}
		if (!((w[0] == '-' || (in->shell && w[0] == '+')) && w[1] != '\0')) {
			if (in->permute)
				continue;
			break;
		}
		if (w[1] == '-') {
			const char *eq = strchr(w, '=');
			size_t ln = eq != NULL ? (size_t)(eq - w) : strlen(w);
			if (in->longcode != NULL && argv_in_list(in->longcode, w, ln)) {
				code = true;
				next = eq != NULL ? 0 : 1;
				if (eq != NULL && argv_code_word(t, i, in, j, j, err, errlen) < 0)
					return -1;
			}
		}
		for (size_t k = 1; w[1] != '-' && w[k] != '\0'; k++) {
			const char *L = &w[k];
			if (argv_letter(in->flag, *L)) {
				flag = j;
			} else if (argv_letter(in->code, *L) || argv_letter(in->prog, *L)) {
				int prog = argv_letter(in->prog, *L);
				code = true;
				next = L[1] == '\0' ? (prog ? 2 : 1) : 0;
				if (next == 0 && (prog ? argv_prog_word(t, i, j, err, errlen)
						       : argv_code_word(t, i, in, j, j, err, errlen)) < 0)
					return -1;
				break;
			} else if (argv_letter(in->args, *L)) {
				next = L[1] == '\0' ? 3 : 0;
				break;
			} else if (argv_letter(in->glued, *L)) {
				break;
			}
		}
		if ((t->w[j].flags & (ARGV_SUBST | ARGV_CODE)) == ARGV_SUBST) {
			size_t n;
			const char *sub = argv_first_sub(w, &n);
			snprintf(err, errlen, "%.*s inside an option of %s; input may not choose its options",
				 (int)n, sub, argv_base(t->w[i].text));
			return -1;
		}
		if (next != 0 && j + 1 < t->n) {
			j++;
			if (next == 1 && argv_code_word(t, i, in, j, j - 1, err, errlen) < 0)
				return -1;
			if (next == 2 && argv_prog_word(t, i, j, err, errlen) < 0)
				return -1;
		}
	}
	/* the first operand */
	if (!code && j < t->n && (flag != 0 || in->operand != ARGV_OP_NONE)) {
		if (flag != 0 || in->operand == ARGV_OP_CODE) {
			if (argv_code_word(t, i, in, j, flag, err, errlen) < 0)
				return -1;
		} else if (argv_prog_word(t, i, j, err, errlen) < 0) {
			return -1;
		}
		j++;
		code = true;
	}
	if (code && in->positional) {
		for (; j < t->n; j++)
			t->w[j].flags |= ARGV_DATA;
		return 0;
	}
	*end = code || in->operand == ARGV_OP_NONE ? j : t->n;
	return 0;
}

/* The argv form's rules: the program, interpreters' code, "--". */
static int argv_check(struct argv_tmpl *t, char *err, size_t errlen)
{
	bool dashdash = false;

	if (argv_prog_word(t, 0, 0, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct argv_interp *in;
		size_t end;

		if (t->w[i].flags & (ARGV_CODE | ARGV_DATA))
			continue;
		if ((in = argv_interp_of(&t->w[i])) == NULL)
			continue;
		if (argv_interp_words(t, i, in, &end, err, errlen) < 0)
			return -1;
		if (end > i + 1)
			i = end - 1;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (dashdash)
			t->w[i].flags |= ARGV_DATA;
		if (strcmp(t->w[i].text, "--") == 0 && !(t->w[i].flags & ARGV_CODE))
			dashdash = true;
	}
	return 0;
}

int argv_parse(const char *cmd, struct argv_tmpl *t, char *err, size_t errlen)
{
	struct argv_sp sp;

	memset(t, 0, sizeof(*t));
	memset(&sp, 0, sizeof(sp));
	sp.t = t;
	if ((sp.buf = malloc(strlen(cmd) + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (argv_split(&sp, cmd, err, errlen) < 0)
		goto fail;
	free(sp.buf);
	sp.buf = NULL;
	if (t->n == 0) {
		snprintf(err, errlen, "empty command");
		goto fail;
	}
	if (!t->shell && argv_in_list(argv_keywords, t->w[0].text, strlen(t->w[0].text)))
		t->shell = true;
	if (t->shell) {
		argv_free(t);
		if (sp.first_sub != NULL)
			return argv_refuse_code(sp.first_sub, sp.first_sub_len, true, "shell code", err,
						errlen);
		t->shell = true;
		return 0;
	}
	if (argv_check(t, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	free(sp.buf);
	argv_free(t);
	return -1;
}

void argv_free(struct argv_tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->w[i].text);
	free(t->w);
	memset(t, 0, sizeof(*t));
}

char *argv_quote(const char *s)
{
	size_t n = 3;
	bool safe = *s != '\0';
	char *out, *p;

	for (const char *c = s; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && strchr("_./:@%+=,-", *c) == NULL)
			safe = false;
		n += *c == '\'' ? 4 : 1;
	}
	if (safe)
		return strdup(s);
	if ((out = malloc(n)) == NULL)
		return NULL;
	p = out;
	*p++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

char *argv_join(char *const *argv, size_t n)
{
	size_t len = 1, off = 0;
	char **q = calloc(n + 1, sizeof(*q)), *out = NULL;

	if (q == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if ((q[i] = argv_quote(argv[i])) == NULL)
			goto out;
		len += strlen(q[i]) + 1;
	}
	if ((out = malloc(len)) == NULL)
		goto out;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(q[i]);
		if (i > 0)
			out[off++] = ' ';
		memcpy(out + off, q[i], l + 1);
		off += l;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(q[i]);
	free(q);
	return out;
}
