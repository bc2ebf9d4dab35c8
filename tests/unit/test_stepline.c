/* test_stepline.c — splitting the exec worker's fd-3 lines (lib/stepline.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stepline.h"

static enum stepline_kind parse(const char *text, char *buf, size_t len, struct stepline *sl)
{
	snprintf(buf, len, "%s", text);
	return stepline_parse(buf, sl);
}

static void test_verbs(void **state)
{
	char buf[256];
	struct stepline sl;

	(void)state;
	assert_int_equal(parse("progress {\"items_done\":3}", buf, sizeof(buf), &sl), STEPLINE_PROGRESS);
	assert_string_equal(sl.verb, "progress");
	assert_string_equal(sl.arg, "{\"items_done\":3}");
	assert_int_equal(parse("\t output  \t{\"k\": \"a b\"} ", buf, sizeof(buf), &sl), STEPLINE_OUTPUT);
	assert_string_equal(sl.verb, "output");
	assert_string_equal(sl.arg, "{\"k\": \"a b\"} "); /* trailing blanks are the JSON's */
	assert_int_equal(parse("progress", buf, sizeof(buf), &sl), STEPLINE_PROGRESS);
	assert_string_equal(sl.arg, "");
	assert_int_equal(parse("spawn child {\"input\": {\"x\": 1}}", buf, sizeof(buf), &sl), STEPLINE_SPAWN);
	assert_string_equal(sl.verb, "spawn");
	assert_string_equal(sl.label, "child");
	assert_string_equal(sl.json, "{\"input\": {\"x\": 1}}");
	assert_int_equal(parse("spawn\tchild\t\t", buf, sizeof(buf), &sl), STEPLINE_SPAWN);
	assert_string_equal(sl.label, "child");
	assert_null(sl.json);
	assert_int_equal(parse("spawn", buf, sizeof(buf), &sl), STEPLINE_SPAWN);
	assert_string_equal(sl.label, "");
	assert_null(sl.json);
}

static void test_other(void **state)
{
	char buf[256];
	struct stepline sl;

	(void)state;
	assert_int_equal(parse("", buf, sizeof(buf), &sl), STEPLINE_EMPTY);
	assert_int_equal(parse(" \t ", buf, sizeof(buf), &sl), STEPLINE_EMPTY);
	assert_int_equal(parse("Progress {}", buf, sizeof(buf), &sl), STEPLINE_UNKNOWN);
	assert_string_equal(sl.verb, "Progress");
	assert_int_equal(parse("progress{}", buf, sizeof(buf), &sl), STEPLINE_UNKNOWN);
	assert_string_equal(sl.verb, "progress{}");
	assert_int_equal(parse("  hello world", buf, sizeof(buf), &sl), STEPLINE_UNKNOWN);
	assert_string_equal(sl.verb, "hello");
	/* a carriage return is not a blank: "progress\r" is no verb */
	assert_int_equal(parse("progress\r", buf, sizeof(buf), &sl), STEPLINE_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs),
	    cmocka_unit_test(test_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
