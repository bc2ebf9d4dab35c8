/*
 * test_confmask.c — lib/confmask.c: secrets masked, everything else byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confmask.h"

static void check(const char *in, const char *want)
{
	char *got = confmask_text(in, strlen(in));

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_keys(void **state)
{
	(void)state;
	check("[inet_http_server]\nport = :9001\nusername = admin\npassword = s3cret\n",
	      "[inet_http_server]\nport = :9001\nusername = admin\npassword = ***\n");
	check("db_password:abc\nAPI_TOKEN = x y z\nclient_secret=\n",
	      "db_password:***\nAPI_TOKEN = ***\nclient_secret=\n");
	check("; password = kept in a comment\n# token = also\n",
	      "; password = kept in a comment\n# token = also\n");
	check("no newline at the end: password=x", "no newline at the end: password=***"); /* a word */
	check("password=x", "password=***");
}

static void test_environment(void **state)
{
	(void)state;
	check("environment = A=\"1,2\",B='x',C=plain\n", "environment = A=***,B=***,C=***\n");
	check("environment=\n  HOME=\"/root\",\n  KEY=v\ncommand = x\n",
	      "environment=\n  HOME=***,\n  KEY=***\ncommand = x\n");
	check("Environment = X=1\n", "Environment = X=***\n");
}

static void test_values(void **state)
{
	(void)state;
	check("command = app --password hunter2 --user bob\n", "command = app --password *** --user bob\n");
	check("command = app --token=abc -v\n", "command = app --token=*** -v\n");
	check("url = postgres://user:pw@db:5432/x\n", "url = postgres://user:***@db:5432/x\n");
	check("command = sleep 100\n  --api-key K\n", "command = sleep 100\n  --api-key ***\n");
	check("command = echo time:12:00 a@b\n", "command = echo time:12:00 a@b\n");
	check("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_environment),
	    cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
