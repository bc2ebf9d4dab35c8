/* test_argv.c — splitting and checking step command templates (lib/argv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "argv.h"

/* cmd splits into an argv template whose words, joined by '|', are want. */
static void words(const char *cmd, const char *want)
{
	struct argv_tmpl t;
	char err[512], got[1024] = "";

	if (argv_parse(cmd, &t, err, sizeof(err)) != 0)
		fail_msg("%s: %s", cmd, err);
	if (t.shell)
		fail_msg("%s: taken as a shell template", cmd);
	for (size_t i = 0; i < t.n; i++) {
		if (i > 0)
			strcat(got, "|");
		strcat(got, t.w[i].text);
	}
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", cmd, got, want);
	argv_free(&t);
}

static void shell(const char *cmd)
{
	struct argv_tmpl t;
	char err[512];

	if (argv_parse(cmd, &t, err, sizeof(err)) != 0)
		fail_msg("%s: %s", cmd, err);
	if (!t.shell)
		fail_msg("%s: not taken as a shell template", cmd);
	assert_int_equal(t.n, 0);
	argv_free(&t);
}

static void refused(const char *cmd, const char *want)
{
	struct argv_tmpl t;
	char err[512];

	if (argv_parse(cmd, &t, err, sizeof(err)) == 0)
		fail_msg("%s: accepted", cmd);
	if (strcmp(err, want) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", cmd, err, want);
	assert_int_equal(t.n, 0);
}

static int flags(const char *cmd, size_t i)
{
	struct argv_tmpl t;
	char err[512];
	int f;

	if (argv_parse(cmd, &t, err, sizeof(err)) != 0)
		fail_msg("%s: %s", cmd, err);
	assert_true(i < t.n);
	f = t.w[i].flags;
	argv_free(&t);
	return f;
}

static void test_split(void **state)
{
	(void)state;
	words("/bin/echo %(input.v)s", "/bin/echo|%(input.v)s");
	words("/bin/echo \"%(input.v)s\"", "/bin/echo|%(input.v)s");
	words("/bin/echo '%(input.v)s'", "/bin/echo|%(input.v)s");
	words("  a\t'b c'  \"d e\"f\\ g  ", "a|b c|d ef g");
	words("find . -name '*.c' -exec grep -l x {} \\;", "find|.|-name|*.c|-exec|grep|-l|x|{}|;");
	words("echo \"a\\\"b\\\\c\\d\"", "echo|a\"b\\c\\d");
	words("echo 'it''s'", "echo|its");
	words("run --opt=%(input.v)s 100%% %(input.a b)s", "run|--opt=%(input.v)s|100%%|%(input.a b)s");
	words("echo x=1 a#b a~b", "echo|x=1|a#b|a~b");
}

static void test_shell_syntax(void **state)
{
	(void)state;
	shell("echo hi | cat");
	shell("echo hi > out");
	shell("true && false; true");
	shell("echo $HOME");
	shell("echo \"$HOME\"");
	shell("echo `date`");
	shell("ls *.c");
	shell("echo a\necho b");
	shell("FOO=1 env");
	shell("cd /tmp");
	shell("exec /bin/true");
	shell("echo ~/x");
	shell("echo #comment");
	shell("echo 100%% | cat");
}

static void test_refusals(void **state)
{
	(void)state;
	refused("sh -c \"echo %(input.v)s >> out\"",
		"%(input.v)s inside shell code (sh -c); use \"$TASK_INPUT_v\" instead");
	refused("echo %(input.v)s >> out", "%(input.v)s inside shell code; use \"$TASK_INPUT_v\" instead");
	refused("echo '%(input.v)s' | cat", "%(input.v)s inside shell code; use \"$TASK_INPUT_v\" instead");
	refused("echo %(triggered_by)s > x",
		"%(triggered_by)s inside shell code; pass it as an argument instead: sh -c '... \"$1\"' sh "
		"%(triggered_by)s");
	refused("echo %(label)s; true", "%(label)s inside shell code; use \"$TASK_LABEL\" instead");
	refused("/bin/bash -ec 'x %(input.a.b)s'",
		"%(input.a.b)s inside shell code (bash -ec); use \"$TASK_INPUT_a\" instead");
	refused("bash -o pipefail -c 'x %(input.v)s'",
		"%(input.v)s inside shell code (bash -c); use \"$TASK_INPUT_v\" instead");
	refused("env A=1 sh -c 'x %(input.v)s'",
		"%(input.v)s inside shell code (sh -c); use \"$TASK_INPUT_v\" instead");
	refused("timeout 5 busybox sh -c 'x %(input.v)s'",
		"%(input.v)s inside shell code (sh -c); use \"$TASK_INPUT_v\" instead");
	refused("python3 -c 'print(\"%(input.v)s\")'",
		"%(input.v)s inside code (python3 -c); read the environment variable TASK_INPUT_v instead");
	refused("python3.12 -c%(input.v)s",
		"%(input.v)s inside code (python3.12 -c); read the environment variable TASK_INPUT_v "
		"instead");
	refused("perl -ne 'print \"%(input.v)s\"' f",
		"%(input.v)s inside code (perl -ne); read the environment variable TASK_INPUT_v instead");
	refused("awk -F: '{print \"%(input.v)s\"}' f",
		"%(input.v)s inside code (the program of awk); read the environment variable TASK_INPUT_v "
		"instead");
	refused("sed 's/a/%(input.v)s/' f",
		"%(input.v)s inside code (the program of sed); read the environment variable TASK_INPUT_v "
		"instead");
	refused("node --eval 'x(\"%(input.v)s\")'",
		"%(input.v)s inside code (node --eval); read the environment variable TASK_INPUT_v instead");
	refused("ssh host ls %(input.v)s",
		"%(input.v)s inside the command ssh hands to a shell; input may not reach it");
	refused("%(input.prog)s --help", "%(input.prog)s as the program; input may not choose what runs");
	refused("python3 -m %(input.mod)s",
		"%(input.mod)s as the program of python3; input may not choose what runs");
	refused("sh %(input.script)s",
		"%(input.script)s as the program of sh; input may not choose what runs");
	refused("sh -%(input.o)s x", "%(input.o)s inside an option of sh; input may not choose its options");
	refused("find . -exec sh -c 'rm %(input.v)s' \\;",
		"%(input.v)s inside shell code (sh -c); use \"$TASK_INPUT_v\" instead");
	refused("env -S 'run %(input.v)s'",
		"%(input.v)s inside code (env -S); read the environment variable TASK_INPUT_v instead");
	refused("node --eval='x(%(input.v)s)'",
		"%(input.v)s inside code (node --eval); read the environment variable TASK_INPUT_v instead");
	refused("perl -Mfeature=say -e 'say %(input.v)s'",
		"%(input.v)s inside code (perl -e); read the environment variable TASK_INPUT_v instead");
	refused("sh -c 'x %(input.my-key)s'",
		"%(input.my-key)s inside shell code (sh -c); pass it as an argument instead: sh -c '... "
		"\"$1\"' sh %(input.my-key)s");
	refused("flock /run/x.lock -c 'run %(input.v)s'",
		"%(input.v)s inside shell code (flock -c); use \"$TASK_INPUT_v\" instead");
	refused("su app -c 'run %(input.v)s'",
		"%(input.v)s inside shell code (su -c); use \"$TASK_INPUT_v\" instead");
	refused("echo 'open", "unclosed ' quote");
	refused("echo \"open", "unclosed \" quote");
	refused("echo x\\", "ends with a backslash");
	refused("  ", "empty command");
}

static void test_allowed(void **state)
{
	(void)state;
	/* positional parameters and environment variables: values stay data */
	words("sh -c 'echo \"$1\" >> out' sh %(input.v)s", "sh|-c|echo \"$1\" >> out|sh|%(input.v)s");
	words("sh -c 'echo \"$TASK_INPUT_v\" >> out'", "sh|-c|echo \"$TASK_INPUT_v\" >> out");
	words("python3 -c 'import sys; print(sys.argv[1])' %(input.v)s",
	      "python3|-c|import sys; print(sys.argv[1])|%(input.v)s");
	words("awk -v x=%(input.v)s '{print x}' f", "awk|-v|x=%(input.v)s|{print x}|f");
	words("grep -e %(input.pat)s -- f", "grep|-e|%(input.pat)s|--|f");
	words("/bin/echo \"%%(input.v)s\"", "/bin/echo|%%(input.v)s");
	words("perl -Mstrict -e 'print @ARGV' %(input.v)s", "perl|-Mstrict|-e|print @ARGV|%(input.v)s");
	words("sudo -u app /usr/bin/ssh-keygen -f %(input.f)s",
	      "sudo|-u|app|/usr/bin/ssh-keygen|-f|%(input.f)s");
}

static void test_flags(void **state)
{
	(void)state;
	assert_int_equal(flags("rm %(input.f)s", 1), ARGV_SUBST | ARGV_LEAD);
	assert_int_equal(flags("rm -- %(input.f)s", 2), ARGV_SUBST | ARGV_LEAD | ARGV_DATA);
	assert_int_equal(flags("run --opt=%(input.f)s", 1), ARGV_SUBST);
	assert_int_equal(flags("run ./%(input.f)s", 1), ARGV_SUBST);
	assert_int_equal(flags("run \"\"%(input.f)s", 1), ARGV_SUBST | ARGV_LEAD);
	/* a shell's and python's positional parameters are not options */
	assert_int_equal(flags("sh -c 'echo \"$1\"' sh %(input.f)s", 4), ARGV_SUBST | ARGV_LEAD | ARGV_DATA);
	assert_int_equal(flags("python3 -c 'x' %(input.f)s", 3), ARGV_SUBST | ARGV_LEAD | ARGV_DATA);
	assert_int_equal(flags("sh -c 'x'", 2), ARGV_CODE);
	assert_int_equal(flags("sh -c 'x' -- %(input.f)s", 4), ARGV_SUBST | ARGV_LEAD | ARGV_DATA);
	assert_int_equal(flags("perl -e 'x' %(input.f)s", 3), ARGV_SUBST | ARGV_LEAD);
	/* found by fuzz_argv: the flags are those of the word as expansion reads it, whatever
	 * quotes or backslashes built it (the escaped form used to escape the '-' check) */
	assert_int_equal(flags("rm %\\(input.f\\)s", 1), ARGV_SUBST | ARGV_LEAD);
	assert_int_equal(flags("rm '%'\\(input.f\\)s", 1), ARGV_SUBST | ARGV_LEAD);
	assert_int_equal(flags("python3 -c'th(%'%(", 1), ARGV_CODE);
}

static void test_quote_join(void **state)
{
	char *q;
	char *v[] = {"/bin/echo", "it's $(x)", "", "plain-1.0/x", NULL};

	(void)state;
	q = argv_quote("plain-1.0/x");
	assert_string_equal(q, "plain-1.0/x");
	free(q);
	q = argv_quote("it's $(x)");
	assert_string_equal(q, "'it'\\''s $(x)'");
	free(q);
	q = argv_join(v, 4);
	assert_string_equal(q, "/bin/echo 'it'\\''s $(x)' '' plain-1.0/x");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),    cmocka_unit_test(test_shell_syntax),
	    cmocka_unit_test(test_refusals), cmocka_unit_test(test_allowed),
	    cmocka_unit_test(test_flags),    cmocka_unit_test(test_quote_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
