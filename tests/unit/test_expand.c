/* test_expand.c — %(name)s expansion (lib/expand.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "expand.h"

static const struct expand_kv kv[] = {
    {"program_name", "worker"}, {"process_num", "3"},	   {"group_name", "workers"},
    {"input.repo", "fedora"},	{"triggered_by", "admin"}, {"neg", "-7"},
};
static struct expand_table table = {kv, sizeof(kv) / sizeof(kv[0]), NULL};

static char *ex(const char *tmpl)
{
	char *out, err[256];
	if (expand(tmpl, expand_table_lookup, &table, &out, err, sizeof(err)) != 0)
		return NULL;
	return out;
}

static void check(const char *tmpl, const char *want)
{
	char *got = ex(tmpl);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void check_err(const char *tmpl, const char *want)
{
	char *out = (char *)1, err[256];
	assert_int_equal(expand(tmpl, expand_table_lookup, &table, &out, err, sizeof(err)), -1);
	assert_null(out);
	assert_string_equal(err, want);
}

static void test_plain(void **state)
{
	(void)state;
	check("", "");
	check("no names here", "no names here");
	check("100%% sure", "100% sure");
	check("date +%s", "date +%s"); /* a lone % stays */
	check("50%", "50%");
}

static void test_names(void **state)
{
	(void)state;
	check("%(program_name)s", "worker");
	check("%(program_name)s_%(process_num)02d", "worker_03");
	check("%(group_name)s:%(program_name)s-%(process_num)d", "workers:worker-3");
	check("Sync %(input.repo)s by %(triggered_by)s", "Sync fedora by admin");
	check("[%(program_name)10s]", "[    worker]");
	check("[%(program_name)-10s]", "[worker    ]");
	check("[%(program_name).3s]", "[wor]");
	check("%(process_num)5d|%(process_num)-3d|%(process_num)03d", "    3|3  |003");
	check("%(neg)04d", "-007");
	check("%(process_num)+d", "+3");
	check("%(process_num)i", "3");
}

static void test_errors(void **state)
{
	(void)state;
	check_err("%(nope)s", "cannot expand %(nope)s: no such name");
	check_err("%(program_name)d", "%(program_name)d: value is not a number: \"worker\"");
	check_err("%(program_name", "unterminated %(...): \"%(program_name\"");
	check_err("%(program_name)x", "bad format character in \"%(program_name)x\" (use s or d)");
	check_err("%(program_name)", "bad format character in \"%(program_name)\" (use s or d)");
	check_err("%()s", "bad name in \"%()\"");
}

/* expand_strict: a '%' that starts nothing is refused as Python's '%' refuses it (supervisord). */
static void test_strict(void **state)
{
	char *out = (char *)1, err[256];
	(void)state;
	assert_int_equal(expand_strict("date +%Y", expand_table_lookup, &table, &out, err, sizeof(err)), -1);
	assert_null(out);
	assert_string_equal(err, "\"%\" not followed by \"(name)s\" or \"%\" at \"%Y\" (write %% for a %)");
	assert_int_equal(expand_strict("100%", expand_table_lookup, &table, &out, err, sizeof(err)), -1);
	assert_int_equal(
	    expand_strict("100%% %(program_name)s", expand_table_lookup, &table, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "100% worker");
	free(out);
	/* the lax form keeps it, for taskvisor's own templates */
	check("date +%Y", "date +%Y");
}

static const char *upper_lookup(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "x") == 0 ? "X" : NULL;
}

static void test_callback_and_chain(void **state)
{
	char *out, err[128];
	(void)state;
	assert_int_equal(expand("a%(x)sb", upper_lookup, NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "aXb");
	free(out);

	static const struct expand_kv inner[] = {{"process_num", "9"}};
	struct expand_table t = {inner, 1, &table};
	assert_int_equal(
	    expand("%(program_name)s_%(process_num)02d", expand_table_lookup, &t, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "worker_09");
	free(out);

	assert_int_equal(expand_check("%(input.anything)s %(x)02d %%", err, sizeof(err)), 0);
	assert_int_equal(expand_check("%(input.x", err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_callback_and_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
