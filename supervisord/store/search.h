/*
 * search.h — the task search language (Foreman scoped_search style),
 * compiled to a parameterised SQL WHERE clause over the tasks table. User
 * text never reaches the SQL: every value becomes a bound parameter.
 *
 * Grammar (keywords and, or, not, in are case-insensitive):
 *
 *   query     := [ or ]                       empty query -> "1" (everything)
 *   or        := and { "or" and }
 *   and       := unary { [ "and" ] unary }     juxtaposition means "and"
 *   unary     := "not" unary | "(" or ")" | condition
 *   condition := FIELD OP VALUE
 *              | FIELD "in" "(" VALUE { "," VALUE } ")"
 *              | FIELD "not" "in" "(" VALUE { "," VALUE } ")"
 *              | VALUE                        bare text: label ~ VALUE or name ~ VALUE
 *   OP        := "=" | "!=" | "<" | ">" | "<=" | ">=" | "~" | "!~"
 *   VALUE     := bare word | '...' | "..."    a backslash escapes the quote or a backslash
 *
 * "and" binds tighter than "or". A bare word ends at a blank or one of ( ) , = < > ~ ! ' "
 * so `state=paused` needs no blanks.
 *
 * Fields: id, label, name, state, result, triggered_by, parent_task_id, recurring_id (text)
 * and start_at, started_at, ended_at, created_at (dates; the columns hold
 * INTEGER milliseconds since the Unix epoch).
 *
 * Text fields take = != ~ !~ in, not in. `=` is exact (case-sensitive);
 * `~` is "contains", case-insensitive for ASCII (SQLite LIKE; % _ \ in the
 * value are escaped, so they match themselves). Ordering operators are refused
 * on text fields.
 *
 * Date fields take = != < > <= >= and a date value, in the local time zone:
 *   2016-12-01  2016-12-01 13:00  2016-12-01 13:00:05  2016-12-01T13:00[:05]
 *   (a trailing Z means UTC), today, yesterday, now,
 *   an age: 7d 12h 30m 45s 2w, or "7 days ago" (second|minute|hour|day|week[s] [ago]).
 * A value covers its precision (scoped_search): a date-only value the whole
 * day, a minute value the whole minute, an age or `now` one instant. Hence
 *   started_at = 2016-12-01    within that day
 *   started_at > 2016-12-01    from 2016-12-02 00:00 on
 *   started_at >= 2016-12-01   from 2016-12-01 00:00 on
 *   started_at < 2016-12-01    before 2016-12-01 00:00
 *   started_at <= 2016-12-01   before 2016-12-02 00:00
 *   started_at > 7d            within the last 7 days (more recent than now - 7 days)
 *
 * NULL (an unset column, e.g. ended_at of a running task): a positive
 * condition on the field never matches it; the negations (!=, !~, not in,
 * `not ...`) do match it — `not X` is exactly the complement of `X`.
 *
 * Limits: a query of at most 8192 bytes, nested at most 12 levels (parentheses and `not`),
 * at most 256 conditions (a long list of values is one condition: FIELD in (A, B, ...)), so
 * that SQLite prepares every WHERE this builds.
 *
 * Errors name the 1-based position (a byte offset) and what was expected, e.g.
 *   search: at position 14: expected a value after '='
 *   search: unknown field 'stat' at position 1 (fields: id, label, ...)
 *   search: unbalanced parenthesis at position 7
 */
#ifndef TV_SEARCH_H
#define TV_SEARCH_H

#include <stddef.h>
#include <time.h>

#include <sqlite3.h>

struct search_param {
	enum { SP_TEXT, SP_INT } type;
	char *text;    /* SP_TEXT: the value, already LIKE-escaped for ~ and !~ */
	long long num; /* SP_INT: milliseconds since the epoch */
};

/*
 * where: a self-contained SQL boolean expression (safe to AND with other
 * terms), e.g. "(state = ? AND result = ?)", or "1" for an empty query.
 * Placeholders are anonymous `?`, in the order of params[]: when the
 * statement has k `?` before the WHERE text, bind with first_index = k + 1.
 * Column names are unqualified unless compiled with search_compile_alias().
 */
struct search_sql {
	char *where;
	struct search_param *params;
	size_t nparams;
};

/*
 * Compile query; `now` anchors relative dates (7d, today). Returns 0 and
 * fills *out (free with search_sql_free), or -1 with the reason in err
 * (when err != NULL) and *out zeroed.
 */
int search_compile(const char *query, time_t now, struct search_sql *out, char *err, size_t errlen);

/* As search_compile, with every column written as ALIAS.column (alias: [A-Za-z_][A-Za-z0-9_]*, or NULL). */
int search_compile_alias(const char *query, time_t now, const char *alias, struct search_sql *out, char *err,
			 size_t errlen);

void search_sql_free(struct search_sql *s);

/*
 * Bind s->params to st at first_index, first_index + 1, ...; SQLITE_OK or the
 * sqlite3 error code. Texts are copied (SQLITE_TRANSIENT): s may be freed
 * right after binding.
 */
int search_bind(sqlite3_stmt *st, int first_index, const struct search_sql *s);

#endif
