/*
 * test_search.c — search_compile: every operator, precedence, quoting, dates
 * with the whole-day rule, relative dates against a fixed now, NULL handling,
 * injection attempts, every error with its position. Conditions are checked
 * by running the compiled SQL against an in-memory tasks table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "search.h"
#include "when.h"

/* 2016-12-08 12:00:00 UTC */
#define NOW ((time_t)1481198400)
#define MS(t) ((long long)(t)*1000)

static sqlite3 *db;

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int setup(void **state)
{
	(void)state;
	/* Times in UTC: 2016-12-01 10:00:00 = 1480586400 */
	const char *sql =
	    "CREATE TABLE tasks (id TEXT PRIMARY KEY, label TEXT, name TEXT, state TEXT, result TEXT,"
	    " triggered_by TEXT, parent_task_id TEXT, start_at INTEGER, started_at INTEGER,"
	    " ended_at INTEGER, created_at INTEGER);"
	    "INSERT INTO tasks VALUES"
	    " ('t1','repo.sync','Synchronize repository rhel','stopped','success','admin',NULL,NULL,"
	    "  1480586400000,1480586700000,1480586340000),"
	    " ('t2','repo.sync','Synchronize repository epel','paused','error','admin',NULL,NULL,"
	    "  1480636800000,NULL,1480636800000),"
	    " ('t3','host.update','Update host web1','running','pending','bob','t1',NULL,"
	    "  1480550399000,NULL,1480550000000),"
	    " ('t4','cleanup','Cleanup 50%_done','stopped','warning',NULL,'t1',1481198400000,"
	    "  NULL,NULL,1480000000000),"
	    " ('t5','x''; DROP TABLE tasks; --','Evil','stopped','error','eve',NULL,NULL,"
	    "  NULL,NULL,1480000000000);";
	set_tz("UTC");
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	return 0;
}

static struct search_sql compile_ok(const char *q)
{
	struct search_sql s;
	char err[512] = "";

	if (search_compile(q, NOW, &s, err, sizeof(err)) != 0)
		fail_msg("search_compile(\"%s\") failed: %s", q, err);
	return s;
}

/* Ids of the rows matching q, comma-joined in id order. */
static const char *rows(const char *q)
{
	static char out[256];
	struct search_sql s = compile_ok(q);
	sqlite3_stmt *st;
	char *sql;

	assert_true(asprintf(&sql, "SELECT id FROM tasks WHERE %s ORDER BY id", s.where) > 0);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare \"%s\": %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_bind_parameter_count(st), (int)s.nparams);
	assert_int_equal(search_bind(st, 1, &s), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out[0] != '\0')
			strcat(out, ",");
		strcat(out, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	free(sql);
	search_sql_free(&s);
	return out;
}

static void expect_rows(const char *q, const char *want)
{
	const char *got = rows(q);
	if (strcmp(got, want) != 0)
		fail_msg("query \"%s\": rows \"%s\", expected \"%s\"", q, got, want);
}

static void expect_where(const char *q, const char *want)
{
	struct search_sql s = compile_ok(q);
	assert_string_equal(s.where, want);
	search_sql_free(&s);
}

static void expect_err(const char *q, const char *want)
{
	struct search_sql s;
	char err[512] = "";

	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(search_compile(q, NOW, &s, err, sizeof(err)), -1);
	assert_null(s.where);
	assert_null(s.params);
	assert_int_equal(s.nparams, 0);
	if (strcmp(err, want) != 0)
		fail_msg("query \"%s\":\n  error    \"%s\"\n  expected \"%s\"", q, err, want);
}

/* ---- operators ---------------------------------------------------------- */

static void test_empty(void **state)
{
	(void)state;
	expect_where("", "1");
	expect_where("  \t ", "1");
	expect_rows("", "t1,t2,t3,t4,t5");
	struct search_sql s;
	assert_int_equal(search_compile(NULL, NOW, &s, NULL, 0), 0);
	assert_string_equal(s.where, "1");
	search_sql_free(&s);
}

static void test_equal_not_equal(void **state)
{
	(void)state;
	struct search_sql s = compile_ok("state = paused");
	assert_string_equal(s.where, "(state = ?)");
	assert_int_equal(s.nparams, 1);
	assert_int_equal(s.params[0].type, SP_TEXT);
	assert_string_equal(s.params[0].text, "paused");
	search_sql_free(&s);

	expect_rows("state = paused", "t2");
	expect_rows("state=paused", "t2");
	expect_rows("STATE = paused", "t2");
	expect_rows("state = Paused", ""); /* = is exact */
	expect_rows("state != stopped", "t2,t3");
	expect_rows("triggered_by != admin", "t3,t4,t5"); /* NULL is "not admin" */
	expect_rows("id = t3", "t3");
	expect_rows("parent_task_id = t1", "t3,t4");
	expect_rows("parent_task_id != t1", "t1,t2,t5");
}

static void test_contains(void **state)
{
	(void)state;
	expect_where("label ~ sync", "(label LIKE '%' || ? || '%' ESCAPE '\\')");
	expect_rows("label ~ sync", "t1,t2");
	expect_rows("label ~ SYNC", "t1,t2"); /* case-insensitive */
	expect_rows("name ~ \"50%_\"", "t4");
	expect_rows("name ~ %", "t4"); /* % is literal */
	expect_rows("name ~ p_5", ""); /* _ is literal, not "any char" ("Cleanup 50") */
	expect_rows("name ~ \"p 5\"", "t4");
	expect_rows("label !~ sync", "t3,t4,t5");
	expect_rows("triggered_by !~ adm", "t3,t4,t5"); /* NULL does not contain */
	expect_rows("triggered_by ~ \"\"", "t1,t2,t3,t5");
	struct search_sql s = compile_ok("name ~ a\\b%c_d");
	assert_string_equal(s.params[0].text, "a\\\\b\\%c\\_d");
	search_sql_free(&s);
}

static void test_in(void **state)
{
	(void)state;
	expect_where("state in (paused, running)", "(state IN (?, ?))");
	expect_rows("state in (paused, running)", "t2,t3");
	expect_rows("state IN ('paused')", "t2");
	expect_rows("state in (paused,running,\"stopped\")", "t1,t2,t3,t4,t5");
	expect_rows("state not in (stopped)", "t2,t3");
	expect_rows("state NOT IN (stopped, running)", "t2");
	expect_rows("triggered_by not in (admin)", "t3,t4,t5");
	expect_rows("triggered_by in (admin, bob)", "t1,t2,t3");
}

static void test_precedence(void **state)
{
	(void)state;
	expect_where("state = paused and result = error", "(state = ? AND result = ?)");
	expect_where("a or b and c",
		     "((label LIKE '%' || ? || '%' ESCAPE '\\' OR name LIKE '%' || ? || '%' "
		     "ESCAPE '\\') OR ((label LIKE '%' || ? || '%' ESCAPE '\\' OR name LIKE '%' || ? "
		     "|| '%' ESCAPE '\\') AND (label LIKE '%' || ? || '%' ESCAPE '\\' OR name LIKE "
		     "'%' || ? || '%' ESCAPE '\\')))");
	/* and binds tighter than or */
	expect_rows("state = stopped or state = paused and result = error", "t1,t2,t4,t5");
	expect_rows("result = error and state = paused or state = running", "t2,t3");
	expect_rows("(state = stopped or state = paused) and result = error", "t2,t5");
	/* juxtaposition means and */
	expect_rows("state = stopped result = error", "t5");
	expect_rows("state = stopped (result = error or result = warning)", "t4,t5");
	/* not */
	expect_rows("not state = stopped", "t2,t3");
	expect_rows("not (state = stopped or result = error)", "t3");
	expect_rows("not not state = paused", "t2");
	expect_rows("state = stopped and not result = error", "t1,t4");
	expect_rows("NOT triggered_by = admin", "t3,t4,t5"); /* complement includes NULL */
	expect_rows("state = stopped AnD result = error Or id = t3", "t3,t5");
	expect_rows("((((state = paused))))", "t2");
}

static void test_quoting(void **state)
{
	(void)state;
	expect_rows("label = \"repo.sync\"", "t1,t2");
	expect_rows("label = 'repo.sync'", "t1,t2");
	expect_rows("name = \"Synchronize repository rhel\"", "t1");
	expect_rows("name = 'Update host web1' or name='Evil'", "t3,t5");
	expect_rows("label = \"and\"", ""); /* quoted keyword is a value */

	struct search_sql s =
	    compile_ok("label = 'it\\'s' name = \"a\\\"b\" id = \"c:\\path\" result = 'x\\\\y' "
		       "state = \"\"");
	assert_int_equal(s.nparams, 5);
	assert_string_equal(s.params[0].text, "it's");
	assert_string_equal(s.params[1].text, "a\"b");
	assert_string_equal(s.params[2].text, "c:\\path"); /* other backslashes stay */
	assert_string_equal(s.params[3].text, "x\\y");
	assert_string_equal(s.params[4].text, "");
	search_sql_free(&s);
}

static void test_bare_text(void **state)
{
	(void)state;
	expect_where("sync",
		     "(label LIKE '%' || ? || '%' ESCAPE '\\' OR name LIKE '%' || ? || '%' ESCAPE '\\')");
	expect_rows("sync", "t1,t2"); /* label */
	expect_rows("web1", "t3");    /* name */
	expect_rows("SYNCHRONIZE", "t1,t2");
	expect_rows("\"repository rhel\"", "t1");
	expect_rows("sync state = paused", "t2");
	expect_rows("host or cleanup", "t3,t4");
	expect_rows("not sync", "t3,t4,t5");
}

static void test_injection(void **state)
{
	(void)state;
	const char *evil[] = {
	    "label = \"x'; DROP TABLE tasks; --\"",
	    "label = 'x\\'; DROP TABLE tasks; --'",
	    "label in (\"x'; DROP TABLE tasks; --\")",
	    "\"'; DROP TABLE tasks; --\"",
	};
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct search_sql s = compile_ok(evil[i]);
		assert_null(strstr(s.where, "DROP"));
		assert_null(strchr(s.where, ';'));
		search_sql_free(&s);
		expect_rows(evil[i], "t5");
	}
	expect_rows("label ~ \"'\" or name ~ ')'", "t5");
	expect_rows("label = \"x' OR '1'='1\"", "");
}

static void test_injection_table_intact(void **state)
{
	(void)state;
	expect_rows("label = \"x'; DROP TABLE tasks; --\"", "t5");
	expect_rows("", "t1,t2,t3,t4,t5");
}

/* ---- dates ---------------------------------------------------------------- */

static void test_dates_whole_day(void **state)
{
	(void)state;
	set_tz("UTC");
	/* t1 started 2016-12-01 10:00:00, t2 2016-12-02 00:00:00, t3 2016-11-30 23:59:59 */
	expect_rows("started_at = 2016-12-01", "t1");
	expect_rows("started_at > 2016-12-01", "t2");
	expect_rows("started_at >= 2016-12-01", "t1,t2");
	expect_rows("started_at < 2016-12-01", "t3");
	expect_rows("started_at <= 2016-12-01", "t1,t3");
	expect_rows("started_at != 2016-12-01", "t2,t3,t4,t5"); /* unset counts as "not that day" */
	expect_rows("started_at < 2016-12-03", "t1,t2,t3");	/* never NULL rows */

	struct search_sql s = compile_ok("started_at > 2016-12-01");
	assert_string_equal(s.where, "(started_at >= ?)");
	assert_int_equal(s.params[0].type, SP_INT);
	assert_true(s.params[0].num == MS(1480636800)); /* 2016-12-02 00:00 UTC */
	search_sql_free(&s);
	s = compile_ok("started_at = 2016-12-01");
	assert_string_equal(s.where, "(started_at >= ? AND started_at < ?)");
	assert_true(s.params[0].num == MS(1480550400) && s.params[1].num == MS(1480636800));
	search_sql_free(&s);
	s = compile_ok("started_at <= 2016-12-01");
	assert_true(s.params[0].num == MS(1480636800));
	search_sql_free(&s);
	s = compile_ok("started_at < 2016-12-01");
	assert_true(s.params[0].num == MS(1480550400));
	search_sql_free(&s);
}

static void test_dates_time_precision(void **state)
{
	(void)state;
	set_tz("UTC");
	expect_rows("started_at = \"2016-12-01 10:00\"", "t1");
	expect_rows("started_at = 2016-12-01 10:00", "t1"); /* unquoted date + time */
	expect_rows("started_at > 2016-12-01 10:00", "t2"); /* after the whole minute */
	expect_rows("started_at >= 2016-12-01 10:00", "t1,t2");
	expect_rows("started_at <= 2016-12-01 10:00", "t1,t3");
	expect_rows("started_at = 2016-12-01T10:00:00", "t1");
	expect_rows("started_at = 2016-12-01T10:00:01", "");
	expect_rows("started_at < 2016-12-01T10:00:01", "t1,t3");
	expect_rows("started_at = '2016-11-30 23:59:59'", "t3");
	expect_rows("ended_at = 2016-12-01 10:05 and state = stopped", "t1");
	struct search_sql s = compile_ok("created_at = 2016-12-01 10:00");
	assert_true(s.params[1].num - s.params[0].num == 60000);
	search_sql_free(&s);
}

static void test_dates_local_zone(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	struct search_sql s = compile_ok("started_at = 2016-12-01");
	assert_true(s.params[0].num == MS(1480546800)); /* 2016-11-30 23:00 UTC */
	assert_true(s.params[1].num == MS(1480633200));
	search_sql_free(&s);
	/* t2 started 2016-12-02 01:00 Berlin */
	expect_rows("started_at = 2016-12-01", "t1,t3"); /* t3: 2016-12-01 00:59:59 in Berlin */
	expect_rows("started_at = 2016-12-02", "t2");
	expect_rows("started_at = 2016-12-01T10:00Z", "t1"); /* Z: UTC */
	expect_rows("started_at = 2016-12-01T11:00", "t1");
	/* the spring-forward day is 23 hours long, the fall-back day 25 */
	s = compile_ok("started_at = 2024-03-31");
	assert_true(s.params[1].num - s.params[0].num == MS(23 * 3600));
	search_sql_free(&s);
	s = compile_ok("started_at = 2024-10-27");
	assert_true(s.params[1].num - s.params[0].num == MS(25 * 3600));
	search_sql_free(&s);
	set_tz("UTC");
}

static void test_dates_relative(void **state)
{
	(void)state;
	set_tz("UTC");
	/* now = 2016-12-08 12:00 UTC; 7 days ago = 2016-12-01 12:00 */
	expect_rows("started_at > 7d", "t2");
	expect_rows("started_at > 8d", "t1,t2,t3");
	expect_rows("started_at < 7d", "t1,t3");
	expect_rows("started_at > \"7 days ago\"", "t2");
	expect_rows("started_at > 7 days ago", "t2");
	expect_rows("started_at > 7 days", "t2");
	expect_rows("started_at > 1w", "t2");
	expect_rows("started_at >= 1 week ago and state = paused", "t2");
	expect_rows("start_at <= now", "t4");
	expect_rows("start_at = now", "t4");
	expect_rows("start_at < now", "");
	expect_rows("start_at = today", "t4");
	expect_rows("created_at = yesterday", "");
	const struct {
		const char *q;
		long long secs;
	} rel[] = {
	    {"started_at > 12h", 12 * 3600},	      {"started_at > 30m", 30 * 60},
	    {"started_at > 2w", 14 * 86400},	      {"started_at > 45s", 45},
	    {"started_at > '3 hours ago'", 3 * 3600}, {"started_at > \"1 minute ago\"", 60},
	    {"started_at > 2D", 2 * 86400},
	};
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		struct search_sql s = compile_ok(rel[i].q);
		assert_int_equal(s.nparams, 1);
		assert_true(s.params[0].num == MS(NOW - rel[i].secs) + 1); /* > an instant */
		search_sql_free(&s);
	}
	struct search_sql s = compile_ok("started_at < 12h");
	assert_true(s.params[0].num == MS(NOW - 12 * 3600));
	search_sql_free(&s);
	s = compile_ok("created_at = today");
	assert_true(s.params[0].num == MS(1481155200) && s.params[1].num == MS(1481241600));
	search_sql_free(&s);
}

static void test_null_complement(void **state)
{
	(void)state;
	set_tz("UTC");
	expect_rows("ended_at < 2017-01-01", "t1");
	expect_rows("not ended_at < 2017-01-01", "t2,t3,t4,t5");
	expect_rows("not (ended_at < 2017-01-01 or parent_task_id = t1)", "t2,t5");
	expect_rows("not parent_task_id in (t1)", "t1,t2,t5");
	expect_rows("not label !~ sync", "t1,t2");
}

/* ---- alias and binding offset --------------------------------------------- */

static void test_alias_and_offset(void **state)
{
	(void)state;
	struct search_sql s;
	char err[256];
	sqlite3_stmt *st;
	char *sql;
	int n = 0;

	assert_int_equal(search_compile_alias("state = stopped and not sync", NOW, "t", &s, err, sizeof(err)),
			 0);
	assert_string_equal(s.where, "(t.state = ? AND ((t.label LIKE '%' || ? || '%' ESCAPE '\\' OR "
				     "t.name LIKE '%' || ? || '%' ESCAPE '\\')) IS NOT 1)");
	/* the caller's own parameter comes first: first_index = 2 */
	assert_true(asprintf(&sql, "SELECT t.id FROM tasks t WHERE t.id != ? AND %s", s.where) > 0);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, "t5", -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(search_bind(st, 2, &s), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "t4");
		n++;
	}
	assert_int_equal(n, 1);
	/* binding past the statement's parameters is reported */
	sqlite3_reset(st);
	assert_int_equal(search_bind(st, 3, &s), SQLITE_RANGE);
	sqlite3_finalize(st);
	free(sql);
	search_sql_free(&s);
	search_sql_free(&s); /* idempotent */

	assert_int_equal(search_compile_alias("state = x", NOW, "t; DROP", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "search: invalid table alias");
}

/* ---- errors --------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	expect_err("state = ", "search: at position 9: expected a value after '='");
	expect_err("label = x and state =", "search: at position 22: expected a value after '='");
	expect_err("state = (paused)", "search: at position 9: expected a value after '='");
	expect_err("stat = paused",
		   "search: unknown field 'stat' at position 1 (fields: id, label, name, state, "
		   "result, triggered_by, parent_task_id, start_at, started_at, ended_at, created_at, "
		   "recurring_id)");
	expect_err("sync and foo in (a)",
		   "search: unknown field 'foo' at position 10 (fields: id, label, name, "
		   "state, result, triggered_by, parent_task_id, start_at, started_at, ended_at, "
		   "created_at, recurring_id)");
	expect_err("sync (state = x", "search: unbalanced parenthesis at position 6");
	expect_err("(state = paused or (result = error)", "search: unbalanced parenthesis at position 1");
	expect_err("state = paused)", "search: unbalanced parenthesis at position 15");
	expect_err(")", "search: unbalanced parenthesis at position 1");
	expect_err("(state = x result = y", "search: unbalanced parenthesis at position 1");
	expect_err("(state = x ,", "search: at position 12: expected 'and', 'or' or ')', found ','");
	expect_err("state = x ,",
		   "search: at position 11: expected 'and', 'or' or the end of the query, found ','");
	expect_err("label = \"abc",
		   "search: at position 9: unterminated quoted string (expected a closing \")");
	expect_err("label = 'it\\'",
		   "search: at position 9: unterminated quoted string (expected a closing ')");
	expect_err("label ! x", "search: at position 7: unexpected '!' (expected '!=' or '!~')");
	expect_err("label < x",
		   "search: at position 7: operator '<' does not apply to text field 'label' (use =, "
		   "!=, ~, !~, in, not in)");
	expect_err("state >= x",
		   "search: at position 7: operator '>=' does not apply to text field 'state' (use "
		   "=, !=, ~, !~, in, not in)");
	expect_err("started_at ~ 2016", "search: at position 12: operator '~' does not apply to date field "
					"'started_at' (use =, !=, <, >, <=, >=)");
	expect_err("ended_at !~ x", "search: at position 10: operator '!~' does not apply to date field "
				    "'ended_at' (use =, !=, <, >, <=, >=)");
	expect_err("started_at in (a)",
		   "search: at position 12: 'in' does not apply to date field 'started_at' "
		   "(use =, !=, <, >, <=, >=)");
	expect_err("created_at not in (a)", "search: at position 12: 'not in' does not apply to date field "
					    "'created_at' (use =, !=, <, >, <=, >=)");
	const char *date_hint = "(expected " WHEN_FORMS ", or an age like 7d, 12h, 30m, 2w)";
	char want[512];
	snprintf(want, sizeof(want),
		 "search: at position 14: 'paused' is not a date for field 'started_at' %s", date_hint);
	expect_err("started_at > paused", want);
	snprintf(want, sizeof(want),
		 "search: at position 14: '2016-02-30' is not a date for field 'started_at' %s", date_hint);
	expect_err("started_at = 2016-02-30", want);
	snprintf(want, sizeof(want),
		 "search: at position 12: '2016-13-01' is not a date for field 'ended_at' %s", date_hint);
	expect_err("ended_at = \"2016-13-01\"", want);
	snprintf(want, sizeof(want),
		 "search: at position 14: '2016-12-01 25:00' is not a date for field 'started_at' %s",
		 date_hint);
	expect_err("started_at = 2016-12-01 25:00", want);
	snprintf(want, sizeof(want),
		 "search: at position 14: '7 fortnights ago' is not a date for field "
		 "'started_at' %s",
		 date_hint);
	expect_err("started_at > '7 fortnights ago'", want);
	snprintf(want, sizeof(want),
		 "search: at position 14: '1; DELETE FROM tasks' is not a date for field "
		 "'started_at' %s",
		 date_hint);
	expect_err("started_at = \"1; DELETE FROM tasks\"", want);
	expect_err("label in paused", "search: at position 10: expected '(' after 'in', found 'paused'");
	expect_err("label in (a b)",
		   "search: at position 13: expected ',' or ')' in the 'in' list, found 'b'");
	expect_err("label in ()", "search: at position 11: expected a value in the 'in' list, found ')'");
	expect_err("label in (a,",
		   "search: at position 13: expected a value in the 'in' list, found end of query");
	expect_err("state = paused and",
		   "search: at position 19: expected a condition after 'and', found end of "
		   "query");
	expect_err("state = paused or )",
		   "search: at position 19: expected a condition after 'or', found ')'");
	expect_err("a and or b", "search: at position 7: expected a condition after 'and', found 'or'");
	expect_err("or state = x",
		   "search: at position 1: expected a condition (field, value or '('), found 'or'");
	expect_err("= x", "search: at position 1: expected a condition (field, value or '('), found '='");
	expect_err("not", "search: at position 4: expected a condition after 'not', found end of query");
	expect_err("()", "search: at position 2: expected a condition after '(', found ')'");
	expect_err("sync , x",
		   "search: at position 6: expected 'and', 'or' or the end of the query, found ','");

	char deep[1024];
	memset(deep, '(', 100);
	strcpy(deep + 100, "a");
	memset(deep + 101, ')', 100);
	deep[201] = '\0';
	expect_err(deep, "search: at position 14: nested deeper than 12 levels");
	deep[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(deep, "not ");
	strcat(deep, "a");
	expect_err(deep, "search: at position 53: nested deeper than 12 levels");
	deep[0] = '\0';
	for (int i = 0; i < 12; i++)
		strcat(deep, "(");
	strcat(deep, "a");
	for (int i = 0; i < 12; i++)
		strcat(deep, ")");
	expect_rows(deep, "t3,t4,t5"); /* 12 levels are fine */
	/* found by fuzz_search's unit test: 14 levels of "(a or b c ..." compiled, then SQLite's parser
	 * stack overflowed ("search: parser stack overflow" reached the user) */
	deep[0] = '\0';
	for (int i = 0; i < 14; i++)
		strcat(deep, "(x or y z ");
	strcat(deep, "a");
	for (int i = 0; i < 14; i++)
		strcat(deep, ")");
	expect_err(deep, "search: at position 122: nested deeper than 12 levels");
	/* the costliest shapes, as deep as they may go, still prepare */
	static const struct {
		const char *shape;
		int reps; /* 12 levels in all */
	} shapes[] = {{"(x or y z ", 12},
		      {"(x or y and not ", 6},
		      {"not (x or y not ", 4},
		      {"(not x or not started_at=2016-12-01 and ", 11}};
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		deep[0] = '\0';
		for (int i = 0; i < shapes[k].reps; i++)
			strcat(deep, shapes[k].shape);
		strcat(deep, "a");
		for (int i = 0; i < shapes[k].reps; i++)
			strcat(deep, ")");
		(void)rows(deep);
	}

	/* found by fuzz_search: ~700 conditions in a row compiled, then SQLite refused the WHERE
	 * ("Expression tree is too large (maximum depth 1000)") and that text reached the user */
	char *many = malloc(8192);
	many[0] = '\0';
	for (int i = 0; i < 257; i++)
		strcat(many, "a ");
	expect_err(many, "search: at position 513: more than 256 conditions (put a list of values in one: "
			 "FIELD in (A, B, ...))");
	/* the most a query may be: 256 conditions, 11 levels down, each one a NOT */
	many[0] = '\0';
	for (int i = 0; i < 5; i++)
		strcat(many, "not (");
	for (int i = 0; i < 256; i++)
		strcat(many, i % 2 ? "not started_at=2016-12-01 " : "not a ");
	for (int i = 0; i < 5; i++)
		strcat(many, ")");
	assert_true(strlen(many) < 8192);
	{
		struct search_sql ms = compile_ok(many);
		sqlite3_stmt *st;
		char *sql;
		assert_true(asprintf(&sql, "SELECT id FROM tasks WHERE %s", ms.where) > 0);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("prepare: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		free(sql);
		search_sql_free(&ms);
	}
	free(many);

	char *longq = malloc(9000);
	memset(longq, 'a', 8999);
	longq[8999] = '\0';
	expect_err(longq, "search: query too long (8999 bytes, at most 8192)");
	longq[8192] = '\0';
	expect_rows(longq, "");
	free(longq);

	/* NULL err buffer; short buffer truncates */
	struct search_sql s;
	assert_int_equal(search_compile("state =", NOW, &s, NULL, 0), -1);
	char small[10];
	assert_int_equal(search_compile("state =", NOW, &s, small, sizeof(small)), -1);
	assert_string_equal(small, "search: a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_equal_not_equal),
	    cmocka_unit_test(test_contains),
	    cmocka_unit_test(test_in),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_bare_text),
	    cmocka_unit_test(test_injection),
	    cmocka_unit_test(test_injection_table_intact),
	    cmocka_unit_test(test_dates_whole_day),
	    cmocka_unit_test(test_dates_time_precision),
	    cmocka_unit_test(test_dates_local_zone),
	    cmocka_unit_test(test_dates_relative),
	    cmocka_unit_test(test_null_complement),
	    cmocka_unit_test(test_alias_and_offset),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
