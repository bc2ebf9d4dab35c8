/*
 * fuzz_search.c — libFuzzer target for supervisord/store/search.c.
 *
 * How to run, from the repository root:
 *
 *     make fuzz FUZZ_TARGETS=search            # 10 million executions (FUZZ_RUNS=, FUZZ_SECONDS=)
 *
 * which builds build-fuzz/fuzz/fuzz_search with clang (libFuzzer + ASan +
 * UBSan) and runs it through tests/fuzz/run.sh with tests/fuzz/search.dict.
 *
 * For every input: compile it; on failure there must be an error message
 * starting "search: " and a zeroed result. On success the WHERE clause must
 * be made only of our own SQL vocabulary (no byte of user text: identifiers
 * are checked against a fixed list), must prepare against a tasks table with
 * the schema's columns, must have exactly nparams placeholders, and must bind
 * and run. Any violation aborts, which libFuzzer reports as a crash.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* SQLite's prepare makes hundreds of small allocations: with ASan's default 30-frame malloc stacks
 * and 256 MB quarantine this target ran at ~1.6k exec/s; short stacks and a smaller quarantine make
 * it ~1.5x faster (reports still name the allocating function and its caller). */
const char *__asan_default_options(void)
{
	return "malloc_context_size=4:quarantine_size_mb=32";
}

static sqlite3 *fuzz_db;

static void fuzz_die(const char *what, const char *query, const char *detail)
{
	fprintf(stderr, "fuzz_search: %s\n  query: %s\n  detail: %s\n", what, query, detail ? detail : "");
	abort();
}

static void fuzz_open(void)
{
	const char *schema =
	    "CREATE TABLE tasks (id TEXT PRIMARY KEY, label TEXT, name TEXT, state TEXT, result TEXT,"
	    " triggered_by TEXT, parent_task_id TEXT, start_at INTEGER, started_at INTEGER,"
	    " ended_at INTEGER, created_at INTEGER);"
	    "INSERT INTO tasks VALUES ('a','repo.sync','Sync x','stopped','success','admin',NULL,NULL,"
	    " 1480586400000,1480586700000,1480586340000),"
	    " ('b','x''y','50%_','paused','error',NULL,'a',NULL,NULL,NULL,0);";

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	if (sqlite3_open(":memory:", &fuzz_db) != SQLITE_OK ||
	    sqlite3_db_config(fuzz_db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 512, 4096) != SQLITE_OK ||
	    sqlite3_exec(fuzz_db, schema, NULL, NULL, NULL) != SQLITE_OK)
		fuzz_die("cannot create the in-memory table", "", sqlite3_errmsg(fuzz_db));
}

/* Every identifier in where must be one of ours. */
static void fuzz_check_vocabulary(const char *where, const char *query)
{
	static const char *const words[] = {"AND",
					    "OR",
					    "NOT",
					    "IS",
					    "NULL",
					    "IN",
					    "LIKE",
					    "ESCAPE",
					    "coalesce",
					    "ifnull",
					    "id",
					    "label",
					    "name",
					    "state",
					    "result",
					    "triggered_by",
					    "parent_task_id",
					    "start_at",
					    "started_at",
					    "ended_at",
					    "created_at",
					    NULL};
	const char *s = where;

	while (*s != '\0') {
		if (isalpha((unsigned char)*s) || *s == '_') {
			size_t n = 0;
			bool ok = false;
			while (isalnum((unsigned char)s[n]) || s[n] == '_')
				n++;
			for (int i = 0; words[i] != NULL; i++)
				ok |= strlen(words[i]) == n && strncmp(words[i], s, n) == 0;
			if (!ok)
				fuzz_die("unknown identifier in WHERE (user text leaked?)", query, where);
			s += n;
			continue;
		}
		/* the only punctuation and digits we emit */
		if (strchr(" ()?,=!<>%|'\\01", *s) == NULL)
			fuzz_die("unexpected character in WHERE (user text leaked?)", query, where);
		s++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct search_sql s;
	char err[512];
	char *query, *sql;
	sqlite3_stmt *st;
	int rc;

	if (fuzz_db == NULL)
		fuzz_open();
	if (size > 4096)
		return 0;
	query = malloc(size + 1);
	if (query == NULL)
		return 0;
	memcpy(query, data, size);
	query[size] = '\0';

	err[0] = 'X';
	err[1] = '\0';
	if (search_compile(query, (time_t)1481198400, &s, err, sizeof(err)) != 0) {
		if (strncmp(err, "search: ", 8) != 0)
			fuzz_die("error without the 'search: ' prefix", query, err);
		if (s.where != NULL || s.params != NULL || s.nparams != 0)
			fuzz_die("failed compile left a result", query, err);
		free(query);
		return 0;
	}
	fuzz_check_vocabulary(s.where, query);
	for (size_t i = 0; i < s.nparams; i++)
		if (s.params[i].type == SP_TEXT && s.params[i].text == NULL)
			fuzz_die("text parameter without text", query, s.where);
	if (asprintf(&sql, "SELECT count(*) FROM tasks WHERE %s", s.where) < 0)
		abort();
	if (sqlite3_prepare_v2(fuzz_db, sql, -1, &st, NULL) != SQLITE_OK)
		fuzz_die("WHERE does not prepare", query, sqlite3_errmsg(fuzz_db));
	if (sqlite3_bind_parameter_count(st) != (int)s.nparams)
		fuzz_die("placeholder count differs from nparams", query, s.where);
	if (search_bind(st, 1, &s) != SQLITE_OK)
		fuzz_die("search_bind failed", query, sqlite3_errmsg(fuzz_db));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		fuzz_die("statement does not run", query, sqlite3_errmsg(fuzz_db));
	sqlite3_finalize(st);
	free(sql);

	/* the alias form must prepare too */
	search_sql_free(&s);
	if (search_compile_alias(query, (time_t)1481198400, "t", &s, err, sizeof(err)) != 0)
		fuzz_die("alias compile failed where plain compile succeeded", query, err);
	if (asprintf(&sql, "SELECT count(*) FROM tasks t WHERE %s", s.where) < 0)
		abort();
	if (sqlite3_prepare_v2(fuzz_db, sql, -1, &st, NULL) != SQLITE_OK)
		fuzz_die("aliased WHERE does not prepare", query, sqlite3_errmsg(fuzz_db));
	sqlite3_finalize(st);
	free(sql);
	search_sql_free(&s);
	free(query);
	return 0;
}
