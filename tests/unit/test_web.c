/*
 * test_web.c — the web page's pieces that need no daemon (supervisord/http/web_csrf.c,
 * web_page.c): SHA-256 and HMAC-SHA256 against FIPS 180-4 and RFC 4231 vectors, the token's
 * comparison, HTML escaping and percent-encoding of what the daemon or a user sent, and the
 * bounds of a task page (input cut at WEB_JSON_MAX, steps at WEB_STEPS_MAX).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web_int.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_sha256(void **state)
{
	unsigned char d[32];
	char h[65];
	char million[1000];

	(void)state;
	web_csrf_sha256("abc", 3, d);
	hex(d, 32, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	web_csrf_sha256("", 0, d);
	hex(d, 32, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	web_csrf_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, 32, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million)); /* 1000 bytes: many blocks, a partial last one */
	web_csrf_sha256(million, sizeof(million), d);
	hex(d, 32, h);
	assert_string_equal(h, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void test_hmac(void **state)
{
	unsigned char key[32] = {0};
	char tok[65], tok2[65];

	(void)state;
	/* RFC 4231 test case 1: a 20-byte key is the same key zero-padded */
	memset(key, 0x0b, 20);
	web_csrf_token(key, "Hi There", tok);
	assert_string_equal(tok, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* another binding, another token; the comparison */
	web_csrf_token(key, "unix uid=0", tok2);
	assert_int_equal(strlen(tok2), 64);
	assert_true(web_csrf_equal(tok, tok));
	assert_false(web_csrf_equal(tok, tok2));
	assert_false(web_csrf_equal(tok, ""));
	assert_false(web_csrf_equal("", tok));
	tok2[0] = '\0';
	assert_false(web_csrf_equal(tok, tok2));
}

static void test_escape(void **state)
{
	struct web_buf b = {0};

	(void)state;
	web_buf_esc(&b, "<script>alert('x')</script> & \"q\"");
	assert_string_equal(b.s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	free(b.s);
	memset(&b, 0, sizeof(b));
	web_buf_esc(&b, NULL);
	web_buf_esc(&b, "plain");
	assert_string_equal(b.s, "plain");
	free(b.s);
	memset(&b, 0, sizeof(b));
	web_buf_url(&b, "g:p a&b=c/\"<");
	assert_string_equal(b.s, "g:p%20a%26b%3Dc%2F%22%3C");
	free(b.s);
}

static void test_buf_grows(void **state)
{
	struct web_buf b = {0};
	char big[10000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 20; i++)
		web_buf_printf(&b, "%s%d", big, i);
	assert_false(b.oom);
	assert_int_equal(b.len, 20 * (sizeof(big) - 1) + 10 + 10 * 2);
	free(b.s);
}

/* A task page with a huge input and too many steps stays bounded; values are escaped. */
static void test_task_bounded(void **state)
{
	struct web_call c;
	json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:o}", "id", "abc", "label", "<x>",
			      "state", "running", "result", "pending", "steps_total", 1000, "steps_done", 0,
			      "input", json_object(), "steps", json_array());
	char *big = malloc(200000);
	size_t nrows = 0;

	(void)state;
	memset(big, 'y', 199999);
	big[199999] = '\0';
	json_object_set_new(json_object_get(t, "input"), "blob", json_string(big));
	for (int i = 0; i < 1000; i++)
		json_array_append_new(json_object_get(t, "steps"),
				      json_pack("{s:i, s:s, s:s, s:s}", "index", i, "name", "s<1>", "command",
						"true", "state", "pending"));
	memset(&c, 0, sizeof(c));
	c.role = HTTP_ROLE_READONLY;
	web_page_task(&c, t);
	assert_false(c.out.oom);
	assert_non_null(strstr(c.out.s, "<title>Task &lt;x&gt; - taskvisord</title>"));
	assert_null(strstr(c.out.s, "<x>"));
	assert_null(strstr(c.out.s, "/action/")); /* read-only: no buttons */
	assert_non_null(strstr(c.out.s, "500 steps more"));
	for (const char *p = c.out.s; (p = strstr(p, "<td>s&lt;1&gt;</td>")) != NULL; p++)
		nrows++;
	assert_int_equal(nrows, WEB_STEPS_MAX);
	assert_non_null(strstr(c.out.s, "bytes more (taskvisorctl task show ID --json)"));
	assert_true(c.out.len < WEB_JSON_MAX + 200000);
	free(c.out.s);
	free(big);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256),	 cmocka_unit_test(test_hmac),
	    cmocka_unit_test(test_escape),	 cmocka_unit_test(test_buf_grows),
	    cmocka_unit_test(test_task_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
