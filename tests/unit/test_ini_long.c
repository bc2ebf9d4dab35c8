/* test_ini_long.c — INI parsing past inih's 200-byte lines (lib/ini_long.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini_long.h"

/* Every event as "LINE [SECTION] NAME=VALUE" or "LINE [SECTION]", one per entry. */
struct rec {
	char *ev[64];
	size_t n;
	int stop_at; /* return 0 at this line */
};

static int rec_handler(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct rec *r = user;
	char *e;
	if (name == NULL)
		assert_true(asprintf(&e, "%d [%s]", lineno, section) > 0);
	else
		assert_true(asprintf(&e, "%d [%s] %s=%s", lineno, section, name, value) > 0);
	assert_true(r->n < 64);
	r->ev[r->n++] = e;
	return lineno != r->stop_at;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ev[i]);
}

static void test_basic(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	const char *text = "; comment\n"
			   "[a]\n"
			   "x = 1 ; inline\n"
			   "y=two # also inline\n"
			   "z = a;b#c\n"
			   "\n"
			   "[empty]\n"
			   "[ spaced ]\n"
			   "k: v\n";
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 7);
	assert_string_equal(r.ev[0], "2 [a]");
	assert_string_equal(r.ev[1], "3 [a] x=1");
	assert_string_equal(r.ev[2], "4 [a] y=two");
	assert_string_equal(r.ev[3], "5 [a] z=a;b#c");
	assert_string_equal(r.ev[4], "7 [empty]");
	assert_string_equal(r.ev[5], "8 [ spaced ]");
	assert_string_equal(r.ev[6], "9 [ spaced ] k=v");
	rec_free(&r);
}

static void test_multiline(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	const char *text = "[include]\n"
			   "files = a/*.conf\n"
			   "  b/*.conf ; comment\n"
			   "  ; a comment line inside\n"
			   "\n"
			   "  c.conf\n"
			   "after = 1\n"
			   "lock = one\n"
			   "lock = two\n"
			   "empty =\n"
			   "   first\n"
			   "   second\n";
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.ev[1], "2 [include] files=a/*.conf\nb/*.conf\nc.conf");
	assert_string_equal(r.ev[2], "7 [include] after=1");
	assert_string_equal(r.ev[3], "8 [include] lock=one");
	assert_string_equal(r.ev[4], "9 [include] lock=two");
	assert_string_equal(r.ev[5], "10 [include] empty=first\nsecond");
	rec_free(&r);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_long_lines(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	char *cmd = repeat('c', 8192), *env = malloc(9000), *cont = repeat('k', 3000),
	     *comment = repeat('x', 500);
	char *sect = repeat('s', 120);
	/* environment: many KEY="value" pairs, 8 KB in all */
	env[0] = '\0';
	for (int i = 0; strlen(env) < 8000; i++)
		sprintf(env + strlen(env), "%sVAR_%d=\"value number %d, with a comma\"", i ? "," : "", i, i);
	size_t envlen = strlen(env);
	char *text;
	assert_true(asprintf(&text,
			     "[program:%s]\n"
			     "command=/bin/echo %s ; a comment after a long value\n"
			     ";%s\n"
			     "environment = %s\n"
			     "files = short\n"
			     "  %s\n"
			     "after = ok\n",
			     sect, cmd, comment, env, cont) > 0);
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 5);
	char *want;
	assert_true(asprintf(&want, "1 [program:%s]", sect) > 0);
	assert_string_equal(r.ev[0], want);
	free(want);
	assert_true(asprintf(&want, "2 [program:%s] command=/bin/echo %s", sect, cmd) > 0);
	assert_string_equal(r.ev[1], want);
	free(want);
	assert_true(asprintf(&want, "4 [program:%s] environment=%s", sect, env) > 0);
	assert_string_equal(r.ev[2], want);
	assert_int_equal(strlen(r.ev[2]), strlen(want));
	assert_true(envlen >= 8000);
	free(want);
	assert_true(asprintf(&want, "5 [program:%s] files=short\n%s", sect, cont) > 0);
	assert_string_equal(r.ev[3], want);
	free(want);
	assert_true(asprintf(&want, "7 [program:%s] after=ok", sect) > 0);
	assert_string_equal(r.ev[4], want);
	free(want);
	rec_free(&r);
	free(text);
	free(cmd);
	free(env);
	free(cont);
	free(comment);
	free(sect);
}

static void test_errors(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	assert_int_equal(ini_long_parse("[a]\nx=1\nnot an option\ny=2\n", rec_handler, &r, err, sizeof(err)),
			 3);
	assert_string_equal(err,
			    "syntax error: expected \"[section]\" or \"name = value\": \"not an option\"");
	rec_free(&r);

	r.n = 0;
	assert_int_equal(ini_long_parse("[a\n", rec_handler, &r, err, sizeof(err)), 1);
	rec_free(&r);

	/* The handler stops: its line is where parsing ends. */
	r.n = 0;
	r.stop_at = 3;
	assert_int_equal(ini_long_parse("[a]\nx=1\ny=2\nz=3\n", rec_handler, &r, err, sizeof(err)),
			 INI_LONG_STOPPED);
	assert_int_equal(r.n, 3);
	rec_free(&r);

	/* A section header too long even for us is refused, not read as two lines. */
	r.n = 0;
	r.stop_at = 0;
	char *big = repeat('h', 400), *text;
	assert_true(asprintf(&text, "[%s]\nx=1\n", big) > 0);
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "line too long"));
	free(text);
	free(big);
	rec_free(&r);
}

static void test_crlf_bom(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	char *val = repeat('v', 300), *text;
	assert_true(asprintf(&text, "\xEF\xBB\xBF[a]\r\nx = 1\r\nlong = %s\r\n", val) > 0);
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.ev[0], "1 [a]");
	assert_string_equal(r.ev[1], "2 [a] x=1");
	char *want;
	assert_true(asprintf(&want, "3 [a] long=%s", val) > 0);
	assert_string_equal(r.ev[2], want);
	free(want);
	free(text);
	free(val);
	rec_free(&r);
}

/* inih keeps names and sections to 50 bytes; we keep them whole. */
static void test_long_names(void **state)
{
	struct rec r = {.n = 0};
	char err[256];
	(void)state;
	const char *text = "[task:a.task.label.that.is.quite.a.bit.longer.than.fifty.bytes]\n"
			   "step.a_step_name_that_is_longer_than_inih_fifty_byte_names = /bin/true\n"
			   "  --and-more\n"
			   "   indented_is_continuation = x\n";
	assert_int_equal(ini_long_parse(text, rec_handler, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[1], "2 [task:a.task.label.that.is.quite.a.bit.longer.than.fifty.bytes] "
				     "step.a_step_name_that_is_longer_than_inih_fifty_byte_names=/bin/true\n"
				     "--and-more\nindented_is_continuation = x");
	rec_free(&r);
}

static void test_strip_comment(void **state)
{
	char s1[] = "value ; comment", s2[] = "a;b", s3[] = "x\t# c", s4[] = "  trailing  ";
	(void)state;
	ini_long_strip_comment(s1);
	ini_long_strip_comment(s2);
	ini_long_strip_comment(s3);
	ini_long_strip_comment(s4);
	assert_string_equal(s1, "value");
	assert_string_equal(s2, "a;b");
	assert_string_equal(s3, "x");
	assert_string_equal(s4, "  trailing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),      cmocka_unit_test(test_multiline),
	    cmocka_unit_test(test_long_lines), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_crlf_bom),   cmocka_unit_test(test_strip_comment),
	    cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
