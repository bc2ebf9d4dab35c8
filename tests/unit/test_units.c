/* test_units.c — the shared value parsers (lib/units.c). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "units.h"

static void test_bool(void **state)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "on", "1", " On "};
	static const char *const no[] = {"false", "no", "off", "0", "False"};
	char err[128];
	bool b;
	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(units_bool(yes[i], &b, err, sizeof(err)), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(units_bool(no[i], &b, err, sizeof(err)), 0);
		assert_false(b);
	}
	assert_int_equal(units_bool("maybe", &b, err, sizeof(err)), -1);
	assert_string_equal(err, "not a boolean (true/false): \"maybe\"");
	assert_int_equal(units_bool("", &b, err, sizeof(err)), -1);
}

static void test_int(void **state)
{
	char err[128];
	long long v;
	(void)state;
	assert_int_equal(units_int("42", 0, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 42);
	assert_int_equal(units_int(" -1 ", -1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, -1);
	assert_int_equal(units_int("abc", 0, 100, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "not a number: \"abc\"");
	assert_int_equal(units_int("12x", 0, 100, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "not a number: \"12x\"");
	assert_int_equal(units_int("101", 0, 100, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "out of range (0..100): \"101\"");
	assert_int_equal(units_int("99999999999999999999999", 0, 100, &v, err, sizeof(err)), -1);
	assert_int_equal(units_int("", 0, 100, &v, err, sizeof(err)), -1);
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		long long v;
	} ok[] = {{"10", 10},	   {"30s", 30},	    {"10m", 600}, {"12h", 43200},      {"7d", 604800},
		  {"1h30m", 5400}, {"2w", 1209600}, {" 0 ", 0},	  {"1d2h3m4s", 93784}, {"90M", 5400}};
	static const char *const bad[] = {"", "abc", "10x", "1h30", "h", "-5", "1.5h", "10 m"};
	char err[128];
	long long v;
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_duration(ok[i].s, &v, err, sizeof(err)), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_duration(bad[i], &v, err, sizeof(err)), -1);
	units_duration("5y", &v, err, sizeof(err));
	assert_string_equal(err, "not a duration (e.g. 30s, 10m, 12h, 7d, 1h30m): \"5y\"");
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		long long v;
	} ok[] = {{"512", 512},	       {"50KB", 50 * 1024}, {"512MB", 512LL << 20},
		  {"1GB", 1LL << 30},  {"1gb", 1LL << 30},  {"2K", 2048},
		  {"3MiB", 3LL << 20}, {"10B", 10},	    {"1 TB", 1LL << 40}};
	static const char *const bad[] = {"", "MB", "12XB", "-1", "1.5GB", "99999999999TB"};
	char err[128];
	long long v;
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_size(ok[i].s, &v, err, sizeof(err)), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_size(bad[i], &v, err, sizeof(err)), -1);
}

static void test_signal(void **state)
{
	char err[128];
	int s;
	(void)state;
	assert_int_equal(units_signal("TERM", &s, err, sizeof(err)), 0);
	assert_int_equal(s, SIGTERM);
	assert_int_equal(units_signal("SIGKILL", &s, err, sizeof(err)), 0);
	assert_int_equal(s, SIGKILL);
	assert_int_equal(units_signal("hup", &s, err, sizeof(err)), 0);
	assert_int_equal(s, SIGHUP);
	assert_int_equal(units_signal("15", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 15);
	assert_int_equal(units_signal("FOO", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "not a signal name or number: \"FOO\"");
	assert_int_equal(units_signal("0", &s, err, sizeof(err)), -1);
	assert_int_equal(units_signal("99", &s, err, sizeof(err)), -1);
	assert_string_equal(units_signal_name(SIGUSR2), "USR2");
	assert_null(units_signal_name(0));
}

static void test_octal(void **state)
{
	char err[128];
	long m;
	(void)state;
	assert_int_equal(units_octal("022", 0777, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 022);
	assert_int_equal(units_octal("0o755", 0777, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0755);
	assert_int_equal(units_octal("700", 0777, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0700);
	assert_int_equal(units_octal("089", 0777, &m, err, sizeof(err)), -1);
	assert_string_equal(err, "not an octal number: \"089\"");
	assert_int_equal(units_octal("1777", 0777, &m, err, sizeof(err)), -1);
	assert_string_equal(err, "out of range (0..0777): \"1777\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bool), cmocka_unit_test(test_int),	cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_size), cmocka_unit_test(test_signal), cmocka_unit_test(test_octal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
