/*
 * search.c — compile the task search language (see search.h) to a SQL WHERE
 * clause with bound parameters.
 *
 * Shape: a tokenizer turns the query into tokens (with 1-based positions); a
 * recursive-descent parser turns them into SQL fragments, appending each
 * value to params[] in the same left-to-right order as its `?` appears.
 * Every SQL text emitted comes from the constant tables and format strings in
 * this file — never from the query — which tests/fuzz/fuzz_search.c checks.
 *
 * Never: paste query text into SQL; recurse without a depth bound.
 */
#include "search.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "when.h"

/* SQLite's parser stack holds 100 entries (YYSTACKDEPTH) and a level of nesting takes up to six
 * ("(a or b and (" is "(A OR (B AND (": LP expr OR LP expr AND): deeper, prepare() failed with
 * "parser stack overflow". 12 levels leave room for the condition and the caller's SELECT. */
#define SEARCH_MAX_DEPTH 12
/* Keeps every LIKE pattern (value escaped: at most 2x) under SQLite's 50000-byte limit. */
#define SEARCH_MAX_LEN 8192
/* SQLite refuses an expression deeper than 1000 (SQLITE_MAX_EXPR_DEPTH) and a chain of n conditions
 * is n deep: 256 conditions, 12 levels of nesting and a NOT at each stay far below it. */
#define SEARCH_MAX_CONDS 256

enum search_ftype { SF_TEXT, SF_DATE };

static const struct search_field {
	const char *name;
	enum search_ftype type;
} search_fields[] = {
    {"id", SF_TEXT},
    {"label", SF_TEXT},
    {"name", SF_TEXT},
    {"state", SF_TEXT},
    {"result", SF_TEXT},
    {"triggered_by", SF_TEXT},
    {"parent_task_id", SF_TEXT},
    {"start_at", SF_DATE},
    {"started_at", SF_DATE},
    {"ended_at", SF_DATE},
    {"created_at", SF_DATE},
    {"recurring_id", SF_TEXT}, /* the id of the recurring logic that made it (search_col) */
};
#define SEARCH_NFIELDS (sizeof(search_fields) / sizeof(search_fields[0]))
#define SEARCH_FIELD_LIST                                                                                    \
	"id, label, name, state, result, triggered_by, parent_task_id, start_at, started_at, ended_at, "     \
	"created_at, recurring_id"

enum search_op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_LIKE, OP_NLIKE };
static const char *const search_op_names[] = {"=", "!=", "<", ">", "<=", ">=", "~", "!~"};

enum search_ttype { TK_END, TK_WORD, TK_STRING, TK_LPAREN, TK_RPAREN, TK_COMMA, TK_OP };

struct search_tok {
	enum search_ttype type;
	enum search_op op;
	size_t pos; /* 1-based */
	char *text; /* TK_WORD, TK_STRING: the value (unescaped) */
};

/* A piece of SQL text: a single comparison or a parenthesised group (NULL on error). */
struct search_frag {
	char *s;
};

struct search_parser {
	const char *query;
	time_t now;
	const char *alias;
	struct search_tok *toks;
	size_t ntoks, i;
	struct search_param *params;
	size_t nparams, cap;
	int depth;
	int nconds; /* conditions so far, at most SEARCH_MAX_CONDS */
	char *err;
	size_t errlen;
	bool failed;
};

/* ---- errors -------------------------------------------------------------- */

/* The first failure's message into p->err: fmt's text, after "search: at position N: " when pos is not
 * SEARCH_NOPOS. */
#define SEARCH_NOPOS ((size_t)-1)
static void search_vfail(struct search_parser *p, size_t pos, const char *fmt, va_list ap)
{
	int n = 0;

	if (p->failed)
		return;
	p->failed = true;
	if (p->err == NULL || p->errlen == 0)
		return;
	if (pos != SEARCH_NOPOS)
		n = snprintf(p->err, p->errlen, "search: at position %zu: ", pos);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

static void search_fail(struct search_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void search_fail(struct search_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	search_vfail(p, SEARCH_NOPOS, fmt, ap);
	va_end(ap);
}

/* "search: at position N: msg" */
static void search_fail_at(struct search_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void search_fail_at(struct search_parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	search_vfail(p, pos, fmt, ap);
	va_end(ap);
}

/* A short description of a token for messages: 'and', '=', end of query. */
static const char *search_tok_desc(const struct search_tok *t, char *buf, size_t len)
{
	switch (t->type) {
	case TK_END:
		return "end of query";
	case TK_LPAREN:
		return "'('";
	case TK_RPAREN:
		return "')'";
	case TK_COMMA:
		return "','";
	case TK_OP:
		snprintf(buf, len, "'%s'", search_op_names[t->op]);
		return buf;
	case TK_WORD:
	case TK_STRING:
		snprintf(buf, len, "'%.40s%s'", t->text, strlen(t->text) > 40 ? "..." : "");
		return buf;
	}
	return "?";
}

/* ---- tokens --------------------------------------------------------------- */

static bool search_word_char(char c)
{
	return c != '\0' && !isspace((unsigned char)c) && strchr("()=,<>~!'\"", c) == NULL;
}

static int search_push_tok(struct search_parser *p, struct search_tok t, size_t *cap)
{
	if (p->ntoks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct search_tok *n = realloc(p->toks, ncap * sizeof(*n));
		if (n == NULL) {
			free(t.text);
			search_fail(p, "search: out of memory");
			return -1;
		}
		p->toks = n;
		*cap = ncap;
	}
	p->toks[p->ntoks++] = t;
	return 0;
}

static int search_tokenize(struct search_parser *p)
{
	const char *q = p->query, *s = q;
	size_t cap = 0;

	for (;;) {
		struct search_tok t = {TK_END, OP_EQ, 0, NULL};

		while (isspace((unsigned char)*s))
			s++;
		t.pos = (size_t)(s - q) + 1;
		if (*s == '\0') {
			return search_push_tok(p, t, &cap);
		} else if (*s == '(' || *s == ')' || *s == ',') {
			t.type = *s == '(' ? TK_LPAREN : *s == ')' ? TK_RPAREN : TK_COMMA;
			s++;
		} else if (*s == '\'' || *s == '"') {
			char quote = *s++;
			size_t n = 0;
			char *out = malloc(strlen(s) + 1);

			if (out == NULL) {
				search_fail(p, "search: out of memory");
				return -1;
			}
			while (*s != '\0' && *s != quote) {
				if (*s == '\\' && (s[1] == quote || s[1] == '\\'))
					s++;
				out[n++] = *s++;
			}
			out[n] = '\0';
			if (*s != quote) {
				free(out);
				search_fail_at(p, t.pos, "unterminated quoted string (expected a closing %c)",
					       quote);
				return -1;
			}
			s++;
			t.type = TK_STRING;
			t.text = out;
		} else if (strchr("=<>~!", *s) != NULL) {
			t.type = TK_OP;
			if (s[0] == '!' && s[1] == '=') {
				t.op = OP_NE;
				s += 2;
			} else if (s[0] == '!' && s[1] == '~') {
				t.op = OP_NLIKE;
				s += 2;
			} else if (s[0] == '<' && s[1] == '=') {
				t.op = OP_LE;
				s += 2;
			} else if (s[0] == '>' && s[1] == '=') {
				t.op = OP_GE;
				s += 2;
			} else if (s[0] == '!') {
				search_fail_at(p, t.pos, "unexpected '!' (expected '!=' or '!~')");
				return -1;
			} else {
				t.op = s[0] == '='   ? OP_EQ
				       : s[0] == '<' ? OP_LT
				       : s[0] == '>' ? OP_GT
						     : OP_LIKE;
				s++;
			}
		} else {
			const char *b = s;
			while (search_word_char(*s))
				s++;
			t.type = TK_WORD;
			t.text = strndup(b, (size_t)(s - b));
			if (t.text == NULL) {
				search_fail(p, "search: out of memory");
				return -1;
			}
		}
		if (search_push_tok(p, t, &cap) < 0)
			return -1;
	}
}

static struct search_tok *search_peek(struct search_parser *p, size_t ahead)
{
	size_t i = p->i + ahead;
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static bool search_is_kw(const struct search_tok *t, const char *kw)
{
	return t->type == TK_WORD && strcasecmp(t->text, kw) == 0;
}

/* Can t begin a condition? */
static bool search_starts_cond(const struct search_tok *t)
{
	if (t->type == TK_STRING || t->type == TK_LPAREN)
		return true;
	return t->type == TK_WORD && !search_is_kw(t, "and") && !search_is_kw(t, "or");
}

/* ---- output helpers -------------------------------------------------------- */

static char *search_fmt(struct search_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *search_fmt(struct search_parser *p, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		search_fail(p, "search: out of memory");
		return NULL;
	}
	return s;
}

static int search_param_add(struct search_parser *p, int type, const char *text, long long num)
{
	struct search_param *sp;

	if (p->nparams == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 8;
		struct search_param *n = realloc(p->params, ncap * sizeof(*n));
		if (n == NULL) {
			search_fail(p, "search: out of memory");
			return -1;
		}
		p->params = n;
		p->cap = ncap;
	}
	sp = &p->params[p->nparams];
	sp->type = type;
	sp->num = num;
	sp->text = NULL;
	if (type == SP_TEXT) {
		sp->text = strdup(text);
		if (sp->text == NULL) {
			search_fail(p, "search: out of memory");
			return -1;
		}
	}
	p->nparams++;
	return 0;
}

/* Add text as a LIKE "contains" parameter, escaping \ % _ with '\'. */
static int search_param_like(struct search_parser *p, const char *text)
{
	size_t n = 0;
	char *e = malloc(strlen(text) * 2 + 1);
	int rc;

	if (e == NULL) {
		search_fail(p, "search: out of memory");
		return -1;
	}
	for (const char *s = text; *s != '\0'; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			e[n++] = '\\';
		e[n++] = *s;
	}
	e[n] = '\0';
	rc = search_param_add(p, SP_TEXT, e, 0);
	free(e);
	return rc;
}

/* Column reference, possibly alias-qualified. */
static char *search_col(struct search_parser *p, const char *name)
{
	if (strcmp(name, "recurring_id") == 0) /* the column holds the logic's row number */
		return search_fmt(p, "(SELECT rl.id FROM recurring rl WHERE rl.num = %s%srecurring_id)",
				  p->alias != NULL ? p->alias : "", p->alias != NULL ? "." : "");
	if (p->alias != NULL)
		return search_fmt(p, "%s.%s", p->alias, name);
	return search_fmt(p, "%s", name);
}

#define SEARCH_LIKE "LIKE '%%' || ? || '%%' ESCAPE '\\'"

/* ---- dates ----------------------------------------------------------------- */

/* A date value: the shared grammar (lib/when.h) with the search language's bare ages ("7d" =
 * 7 days ago); [*start, *end) in ms, a day or a minute covering its whole span. */
static bool search_date(const char *s, time_t now, long long *start, long long *end)
{
	struct when w;

	if (when_parse(s, (int64_t)now * 1000, WHEN_AGE, &w) < 0)
		return false;
	*start = w.start_ms;
	*end = w.end_ms;
	return true;
}

/* ---- grammar --------------------------------------------------------------- */

static struct search_frag search_or(struct search_parser *p);

static const struct search_field *search_field_find(const char *name)
{
	for (size_t i = 0; i < SEARCH_NFIELDS; i++)
		if (strcasecmp(search_fields[i].name, name) == 0)
			return &search_fields[i];
	return NULL;
}

/* Bare text: label or name contains it. */
static struct search_frag search_bare(struct search_parser *p, const char *text)
{
	struct search_frag f = {NULL};
	char *cl = search_col(p, "label"), *cn = search_col(p, "name");

	if (cl != NULL && cn != NULL && search_param_like(p, text) == 0 && search_param_like(p, text) == 0)
		f.s = search_fmt(p, "(%s " SEARCH_LIKE " OR %s " SEARCH_LIKE ")", cl, cn);
	free(cl);
	free(cn);
	return f;
}

/*
 * The value of a date comparison: one token, or for unquoted words the
 * multi-word forms "2016-12-01 13:00" and "7 days ago". Consumes the tokens.
 */
static char *search_date_value(struct search_parser *p)
{
	struct search_tok *t = search_peek(p, 0), *n1 = search_peek(p, 1), *n2 = search_peek(p, 2);
	char *v;

	p->i++;
	if (t->type != TK_WORD)
		return search_fmt(p, "%s", t->text);
	if (n1->type == TK_WORD && strlen(t->text) == 10 && isdigit((unsigned char)n1->text[0]) &&
	    strchr(n1->text, ':') != NULL) {
		p->i++;
		return search_fmt(p, "%s %s", t->text, n1->text);
	}
	if (n1->type == TK_WORD && isdigit((unsigned char)t->text[0]) &&
	    strspn(t->text, "0123456789") == strlen(t->text) &&
	    when_unit_secs(n1->text, strlen(n1->text)) != 0) {
		p->i++;
		if (search_is_kw(n2, "ago")) {
			p->i++;
			return search_fmt(p, "%s %s ago", t->text, n1->text);
		}
		return search_fmt(p, "%s %s", t->text, n1->text);
	}
	v = search_fmt(p, "%s", t->text);
	return v;
}

static struct search_frag search_date_cond(struct search_parser *p, const struct search_field *fd,
					   enum search_op op, const char *col)
{
	struct search_frag f = {NULL};
	size_t pos = search_peek(p, 0)->pos;
	long long start, end;
	char *v = search_date_value(p);

	if (v == NULL)
		return f;
	if (!search_date(v, p->now, &start, &end)) {
		search_fail_at(p, pos,
			       "'%.40s' is not a date for field '%s' (expected " WHEN_FORMS
			       ", or an age like 7d, 12h, 30m, 2w)",
			       v, fd->name);
		free(v);
		return f;
	}
	free(v);
	switch (op) {
	case OP_EQ:
		if (search_param_add(p, SP_INT, NULL, start) == 0 &&
		    search_param_add(p, SP_INT, NULL, end) == 0)
			f.s = search_fmt(p, "(%s >= ? AND %s < ?)", col, col);
		break;
	case OP_NE:
		if (search_param_add(p, SP_INT, NULL, start) == 0 &&
		    search_param_add(p, SP_INT, NULL, end) == 0)
			f.s = search_fmt(p, "(%s IS NULL OR %s < ? OR %s >= ?)", col, col, col);
		break;
	case OP_GT: /* after the whole value */
	case OP_GE:
		if (search_param_add(p, SP_INT, NULL, op == OP_GT ? end : start) == 0)
			f.s = search_fmt(p, "%s >= ?", col);
		break;
	case OP_LT:
	case OP_LE: /* up to the end of the value */
		if (search_param_add(p, SP_INT, NULL, op == OP_LT ? start : end) == 0)
			f.s = search_fmt(p, "%s < ?", col);
		break;
	default:
		break;
	}
	return f;
}

/* "in (a, b)" after the field; the 'in' is already consumed. */
static struct search_frag search_in(struct search_parser *p, const struct search_field *fd, bool neg,
				    const char *col, size_t in_pos)
{
	struct search_frag f = {NULL};
	struct search_tok *t = search_peek(p, 0);
	char *list = NULL, *nl;
	char d[64];

	if (fd->type == SF_DATE) {
		search_fail_at(p, in_pos, "'%s' does not apply to date field '%s' (use =, !=, <, >, <=, >=)",
			       neg ? "not in" : "in", fd->name);
		return f;
	}
	if (t->type != TK_LPAREN) {
		search_fail_at(p, t->pos, "expected '(' after 'in', found %s",
			       search_tok_desc(t, d, sizeof(d)));
		return f;
	}
	p->i++;
	for (;;) {
		t = search_peek(p, 0);
		if (t->type != TK_WORD && t->type != TK_STRING) {
			search_fail_at(p, t->pos, "expected a value in the 'in' list, found %s",
				       search_tok_desc(t, d, sizeof(d)));
			break;
		}
		p->i++;
		if (search_param_add(p, SP_TEXT, t->text, 0) < 0)
			break;
		nl = search_fmt(p, "%s%s?", list ? list : "", list ? ", " : "");
		free(list);
		list = nl;
		if (list == NULL)
			break;
		t = search_peek(p, 0);
		if (t->type == TK_COMMA) {
			p->i++;
			continue;
		}
		if (t->type == TK_RPAREN) {
			p->i++;
			if (neg)
				f.s = search_fmt(p, "(%s IS NULL OR %s NOT IN (%s))", col, col, list);
			else
				f.s = search_fmt(p, "%s IN (%s)", col, list);
			break;
		}
		search_fail_at(p, t->pos, "expected ',' or ')' in the 'in' list, found %s",
			       search_tok_desc(t, d, sizeof(d)));
		break;
	}
	free(list);
	return f;
}

/* FIELD OP VALUE | FIELD [not] in (...) | bare text. */
static struct search_frag search_cond(struct search_parser *p)
{
	struct search_frag f = {NULL};
	struct search_tok *t = search_peek(p, 0), *n1 = search_peek(p, 1), *n2 = search_peek(p, 2);
	const struct search_field *fd;
	char d[64], *col;

	if (++p->nconds > SEARCH_MAX_CONDS) {
		search_fail_at(p, t->pos,
			       "more than %d conditions (put a list of values in one: FIELD in (A, B, ...))",
			       SEARCH_MAX_CONDS);
		return f;
	}
	if (t->type == TK_STRING || (t->type == TK_WORD && n1->type != TK_OP && !search_is_kw(n1, "in") &&
				     !(search_is_kw(n1, "not") && search_is_kw(n2, "in")))) {
		p->i++;
		return search_bare(p, t->text);
	}
	if (t->type != TK_WORD) {
		search_fail_at(p, t->pos, "expected a condition (field, value or '('), found %s",
			       search_tok_desc(t, d, sizeof(d)));
		return f;
	}
	fd = search_field_find(t->text);
	if (fd == NULL) {
		search_fail(p,
			    "search: unknown field '%.40s' at position %zu (fields: " SEARCH_FIELD_LIST ")",
			    t->text, t->pos);
		return f;
	}
	p->i++;
	col = search_col(p, fd->name);
	if (col == NULL)
		return f;
	if (n1->type != TK_OP) {
		bool neg = search_is_kw(n1, "not");
		p->i += neg ? 2 : 1;
		f = search_in(p, fd, neg, col, n1->pos);
		free(col);
		return f;
	}
	p->i++;
	t = search_peek(p, 0);
	if (t->type != TK_WORD && t->type != TK_STRING) {
		search_fail_at(p, t->pos, "expected a value after '%s'", search_op_names[n1->op]);
	} else if (fd->type == SF_DATE) {
		if (n1->op == OP_LIKE || n1->op == OP_NLIKE)
			search_fail_at(
			    p, n1->pos,
			    "operator '%s' does not apply to date field '%s' (use =, !=, <, >, <=, >=)",
			    search_op_names[n1->op], fd->name);
		else
			f = search_date_cond(p, fd, n1->op, col);
	} else {
		p->i++;
		switch (n1->op) {
		case OP_EQ:
			if (search_param_add(p, SP_TEXT, t->text, 0) == 0)
				f.s = search_fmt(p, "%s = ?", col);
			break;
		case OP_NE:
			if (search_param_add(p, SP_TEXT, t->text, 0) == 0)
				f.s = search_fmt(p, "%s IS NOT ?", col);
			break;
		case OP_LIKE:
			if (search_param_like(p, t->text) == 0)
				f.s = search_fmt(p, "%s " SEARCH_LIKE, col);
			break;
		case OP_NLIKE:
			if (search_param_like(p, t->text) == 0)
				f.s = search_fmt(p, "ifnull(%s, '') NOT " SEARCH_LIKE, col);
			break;
		default:
			search_fail_at(
			    p, n1->pos,
			    "operator '%s' does not apply to text field '%s' (use =, !=, ~, !~, in, not in)",
			    search_op_names[n1->op], fd->name);
			break;
		}
	}
	free(col);
	return f;
}

/* Require a condition start after keyword kw at the current token. */
static bool search_need_cond(struct search_parser *p, const char *kw)
{
	struct search_tok *t = search_peek(p, 0);
	char d[64];

	if (search_starts_cond(t))
		return true;
	search_fail_at(p, t->pos, "expected a condition after '%s', found %s", kw,
		       search_tok_desc(t, d, sizeof(d)));
	return false;
}

static struct search_frag search_unary(struct search_parser *p)
{
	struct search_frag f = {NULL}, in;
	struct search_tok *t = search_peek(p, 0);

	if (p->depth > SEARCH_MAX_DEPTH) {
		search_fail_at(p, t->pos, "nested deeper than %d levels", SEARCH_MAX_DEPTH);
		return f;
	}
	if (search_is_kw(t, "not")) {
		p->i++;
		if (!search_need_cond(p, "not"))
			return f;
		p->depth++;
		in = search_unary(p);
		p->depth--;
		/* X is 1, 0 or NULL (a NULL column): IS NOT 1 makes `not X` its complement. (Was
		 * NOT coalesce(X, 0): same truth, but three times the room in SQLite's parser stack.) */
		if (in.s != NULL)
			f.s = search_fmt(p, "(%s) IS NOT 1", in.s);
		free(in.s);
		return f;
	}
	if (t->type == TK_LPAREN) {
		struct search_tok *close;

		p->i++;
		if (!search_need_cond(p, "("))
			return f;
		p->depth++;
		f = search_or(p);
		p->depth--;
		if (f.s == NULL)
			return f;
		close = search_peek(p, 0);
		if (close->type != TK_RPAREN) {
			char d[64];
			if (close->type == TK_END)
				search_fail(p, "search: unbalanced parenthesis at position %zu", t->pos);
			else
				search_fail_at(p, close->pos, "expected 'and', 'or' or ')', found %s",
					       search_tok_desc(close, d, sizeof(d)));
			free(f.s);
			f.s = NULL;
			return f;
		}
		p->i++;
		return f;
	}
	return search_cond(p);
}

/* Join parts with sep ("AND"/"OR"), parenthesised when more than one. */
static struct search_frag search_join(struct search_parser *p, const char *sep, struct search_frag first,
				      struct search_frag (*next)(struct search_parser *), const char *kw)
{
	struct search_frag f = first, r;
	size_t n = 1;

	while (f.s != NULL && !p->failed) {
		struct search_tok *t = search_peek(p, 0);
		char *s;

		if (search_is_kw(t, kw)) {
			p->i++;
			if (!search_need_cond(p, kw))
				break;
		} else if (strcmp(kw, "and") != 0 || !search_starts_cond(t)) {
			break; /* juxtaposition means "and" only */
		}
		r = next(p);
		if (r.s == NULL)
			break;
		s = search_fmt(p, "%s %s %s", f.s, sep, r.s);
		free(f.s);
		free(r.s);
		f.s = s;
		n++;
	}
	if (p->failed) {
		free(f.s);
		f.s = NULL;
		return f;
	}
	if (n > 1) {
		char *s = search_fmt(p, "(%s)", f.s);
		free(f.s);
		f.s = s;
	}
	return f;
}

static struct search_frag search_and(struct search_parser *p)
{
	return search_join(p, "AND", search_unary(p), search_unary, "and");
}

static struct search_frag search_or(struct search_parser *p)
{
	return search_join(p, "OR", search_and(p), search_and, "or");
}

/* ---- API ------------------------------------------------------------------- */

static bool search_alias_ok(const char *a)
{
	if (!isalpha((unsigned char)*a) && *a != '_')
		return false;
	for (; *a != '\0'; a++)
		if (!isalnum((unsigned char)*a) && *a != '_')
			return false;
	return true;
}

int search_compile_alias(const char *query, time_t now, const char *alias, struct search_sql *out, char *err,
			 size_t errlen)
{
	struct search_parser p;
	struct search_frag f = {NULL};
	char d[64];

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.query = query != NULL ? query : "";
	p.now = now;
	p.alias = alias;
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (alias != NULL && !search_alias_ok(alias)) {
		search_fail(&p, "search: invalid table alias");
		return -1;
	}
	if (strlen(p.query) > SEARCH_MAX_LEN) {
		search_fail(&p, "search: query too long (%zu bytes, at most %d)", strlen(p.query),
			    SEARCH_MAX_LEN);
		goto fail;
	}
	if (search_tokenize(&p) < 0)
		goto fail;
	if (p.toks[0].type == TK_END) {
		out->where = strdup("1");
		if (out->where == NULL) {
			search_fail(&p, "search: out of memory");
			goto fail;
		}
		goto done;
	}
	if (!search_starts_cond(&p.toks[0])) {
		if (p.toks[0].type == TK_RPAREN)
			search_fail(&p, "search: unbalanced parenthesis at position %zu", p.toks[0].pos);
		else
			search_fail_at(&p, p.toks[0].pos,
				       "expected a condition (field, value or '('), found %s",
				       search_tok_desc(&p.toks[0], d, sizeof(d)));
		goto fail;
	}
	f = search_or(&p);
	if (f.s == NULL || p.failed)
		goto fail;
	if (search_peek(&p, 0)->type != TK_END) {
		struct search_tok *t = search_peek(&p, 0);
		if (t->type == TK_RPAREN)
			search_fail(&p, "search: unbalanced parenthesis at position %zu", t->pos);
		else
			search_fail_at(&p, t->pos, "expected 'and', 'or' or the end of the query, found %s",
				       search_tok_desc(t, d, sizeof(d)));
		goto fail;
	}
	if (f.s[0] != '(') {
		out->where = search_fmt(&p, "(%s)", f.s);
		free(f.s);
		f.s = NULL;
		if (out->where == NULL)
			goto fail;
	} else {
		out->where = f.s;
		f.s = NULL;
	}
done:
	out->params = p.params;
	out->nparams = p.nparams;
	for (size_t i = 0; i < p.ntoks; i++)
		free(p.toks[i].text);
	free(p.toks);
	return 0;
fail:
	free(f.s);
	for (size_t i = 0; i < p.ntoks; i++)
		free(p.toks[i].text);
	free(p.toks);
	out->params = p.params;
	out->nparams = p.nparams;
	search_sql_free(out);
	return -1;
}

int search_compile(const char *query, time_t now, struct search_sql *out, char *err, size_t errlen)
{
	return search_compile_alias(query, now, NULL, out, err, errlen);
}

void search_sql_free(struct search_sql *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nparams; i++)
		free(s->params[i].text);
	free(s->params);
	free(s->where);
	memset(s, 0, sizeof(*s));
}

int search_bind(sqlite3_stmt *st, int first_index, const struct search_sql *s)
{
	for (size_t i = 0; i < s->nparams; i++) {
		int idx = first_index + (int)i, rc;

		if (s->params[i].type == SP_TEXT)
			rc = sqlite3_bind_text(st, idx, s->params[i].text, -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(st, idx, s->params[i].num);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
