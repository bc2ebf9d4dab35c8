/*
 * test_shell.c — the shell's completion (ctl/shell.c shell_complete): command
 * names, a family's subcommands from its usage line, program names for the
 * commands that take them, help's topics. Linked with taskvisorctl's real
 * command tables; no daemon, no terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../ctl/shell.h"

static const char *const programs[] = {"web", "grp:a", "grp:b", "grp:*", "all", NULL};

/* The candidates for line with the cursor at its end, joined by spaces. */
static char *complete(const char *line)
{
	static char buf[4096];
	char **v = shell_complete(line, strlen(line), programs);

	buf[0] = '\0';
	for (size_t i = 0; v[i] != NULL; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, v[i]);
		free(v[i]);
	}
	free(v);
	return buf;
}

static void test_commands(void **state)
{
	(void)state;
	assert_string_equal(complete("sta"), "status start");
	assert_string_equal(complete("  mai"), "maintail");
	assert_string_equal(complete("qu"), "quit queue");
	assert_string_equal(complete("xyz"), "");
}

static void test_programs(void **state)
{
	(void)state;
	assert_string_equal(complete("restart "), "web grp:a grp:b grp:* all");
	assert_string_equal(complete("stop grp:"), "grp:a grp:b grp:*");
	assert_string_equal(complete("tail -f w"), "web");
	assert_string_equal(complete("status web g"), "grp:a grp:b grp:*");
	assert_string_equal(complete("version "), ""); /* takes no name */
	assert_string_equal(complete("bogus "), "");
}

static void test_subcommands(void **state)
{
	(void)state;
	assert_string_equal(complete("task s"), "submit show skip schedule");
	assert_string_equal(complete("task force"), "force-unlock");
	assert_string_equal(complete("recurring "), "list show cancel");
	assert_string_equal(complete("check p"), "processes paused");
	assert_string_equal(complete("help rem"), "remove");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_programs),
	    cmocka_unit_test(test_subcommands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
