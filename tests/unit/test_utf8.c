/* test_utf8.c — the one UTF-8 validator (lib/utf8.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static int len_of(const char *s)
{
	return utf8_len((const unsigned char *)s, strlen(s));
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(len_of("a"), 1);
	assert_int_equal(len_of("\xc3\xa9"), 2);	 /* é */
	assert_int_equal(len_of("\xe2\x82\xac"), 3);	 /* € */
	assert_int_equal(len_of("\xf0\x9f\x98\x80"), 4); /* an emoji */
	assert_int_equal(len_of("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
}

static void test_invalid(void **state)
{
	(void)state;
	assert_int_equal(len_of("\x80"), 0);		 /* a lone continuation byte */
	assert_int_equal(len_of("\xc0\xaf"), 0);	 /* overlong '/' */
	assert_int_equal(len_of("\xe0\x80\xaf"), 0);	 /* overlong */
	assert_int_equal(len_of("\xed\xa0\x80"), 0);	 /* a surrogate */
	assert_int_equal(len_of("\xf4\x90\x80\x80"), 0); /* past U+10FFFF */
	assert_int_equal(len_of("\xf5\x80\x80\x80"), 0);
	assert_int_equal(len_of("\xc3("), 0);
}

static void test_cut_short(void **state)
{
	(void)state;
	assert_int_equal(utf8_len((const unsigned char *)"\xe2\x82", 2), -1);
	assert_int_equal(utf8_len((const unsigned char *)"\xf0\x9f\x98", 3), -1);
	assert_int_equal(utf8_len((const unsigned char *)"\xc3", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_cut_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
