/*
 * test_xmlrpc.c — the HTTP module's XML-RPC bodies (supervisord/http/xmlrpc.c):
 * every value type as xmlrpclib and supervisorctl send them, what supervisord
 * answers 400 to (not XML, no method name, a DOCTYPE), nesting limits, the
 * response and fault writers (escaping), and log text made safe for XML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xmlrpc.h"

static json_t *parse_ok(const char *body, const char *want_method)
{
	char err[256] = "", *method = NULL;
	json_t *params = NULL;

	assert_int_equal(xmlrpc_parse(body, strlen(body), &method, &params, err, sizeof(err)), 0);
	assert_string_equal(method, want_method);
	assert_true(json_is_array(params));
	free(method);
	return params;
}

static void parse_bad(const char *body, const char *why)
{
	char err[256] = "", *method = NULL;
	json_t *params = NULL;

	assert_int_equal(xmlrpc_parse(body, strlen(body), &method, &params, err, sizeof(err)), -1);
	assert_null(method);
	assert_null(params);
	assert_non_null(strstr(err, why));
}

static void test_types(void **state)
{
	json_t *p, *want;

	(void)state;
	p = parse_ok(
	    "<?xml version='1.0'?>\n<methodCall>\n<methodName>m.x</methodName>\n<params>\n"
	    "<param>\n<value><string>web:web_01</string></value>\n</param>\n"
	    "<param><value><boolean>0</boolean></value></param>"
	    "<param><value><int> -12 </int></value></param>"
	    "<param><value><i4>7</i4></value></param>"
	    "<param><value><i8>9007199254740993</i8></value></param>"
	    "<param><value><double>1.5</double></value></param>"
	    "<param><value>bare &amp; text</value></param>"
	    "<param><value><base64>aGVsbG8=</base64></value></param>"
	    "<param><value><nil/></value></param>"
	    "<param><value><dateTime.iso8601>20260101T00:00:00</dateTime.iso8601></value></param>"
	    "<param><value><array><data><value><int>1</int></value><value>a</value></data></array></value></"
	    "param>"
	    "<param><value><struct><member><name>methodName</name><value><string>x</string></value></member>"
	    "<member><name>params</name><value><array><data></data></array></value></member></struct></"
	    "value></param>"
	    "<param><value><string></string></value></param>"
	    "</params>\n</methodCall>\n",
	    "m.x");
	want = json_loads(
	    "[\"web:web_01\", false, -12, 7, 9007199254740993, 1.5, \"bare & text\", \"hello\", null,"
	    " \"20260101T00:00:00\", [1, \"a\"], {\"methodName\": \"x\", \"params\": []}, \"\"]",
	    0, NULL);
	assert_true(json_equal(p, want));
	json_decref(p);
	json_decref(want);
	/* supervisorctl sends no <params> for a call without parameters */
	p = parse_ok("<methodCall><methodName>supervisor.getState</methodName></methodCall>",
		     "supervisor.getState");
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
}

static void test_refused(void **state)
{
	char deep[4096] = "<methodCall><methodName>x</methodName><params><param>";

	(void)state;
	parse_bad("not xml", "not XML");
	parse_bad("<methodCall><methodName>x", "not XML");
	parse_bad("<methodCall></methodCall>", "no method name");
	parse_bad("<methodCall><methodName></methodName></methodCall>", "no method name");
	parse_bad("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><methodCall><methodName>&a;</methodName></methodCall>",
		  "DOCTYPE");
	parse_bad("<methodCall><methodName>x</methodName><params><param><value><int>12x</int></value></param>"
		  "</params></methodCall>",
		  "bad scalar");
	parse_bad("<methodCall><methodName>x</methodName><params><param><value><boolean>yes</boolean></value>"
		  "</param></params></methodCall>",
		  "bad scalar");
	parse_bad(
	    "<methodCall><methodName>x</methodName><params><param><value><struct><member><value>1</value>"
	    "</member></struct></value></param></params></methodCall>",
	    "without a <name>");
	parse_bad("<methodCall><methodName>x</methodName><value>1</value></methodCall>", "outside <params>");
	for (int i = 0; i < XMLRPC_MAX_DEPTH + 1; i++)
		strcat(deep, "<value><array><data>");
	strcat(deep, "</data></array></value></param></params></methodCall>");
	parse_bad(deep, "too deep");
}

static void test_response(void **state)
{
	json_t *v = json_pack("{s:s, s:i, s:b, s:[s, f], s:n}", "name", "a<b&c>\r", "pid", 42, "ok", 1,
			      "list", "x", 0.5, "none");
	size_t len;
	char *xml = xmlrpc_response(v, &len);

	(void)state;
	assert_non_null(xml);
	assert_int_equal(strlen(xml), len);
	assert_non_null(strstr(xml, "<methodResponse>\n<params>\n<param>\n<value><struct>\n"));
	assert_non_null(
	    strstr(xml, "<name>name</name>\n<value><string>a&lt;b&amp;c&gt;&#13;</string></value>"));
	assert_non_null(strstr(xml, "<value><int>42</int></value>"));
	assert_non_null(strstr(xml, "<value><boolean>1</boolean></value>"));
	assert_non_null(strstr(xml, "<value><nil/></value>"));
	free(xml);
	json_decref(v);
	xml = xmlrpc_fault(10, "BAD_NAME: web", &len);
	assert_non_null(strstr(xml,
			       "<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n"
			       "<value><int>10</int></value>\n</member>\n<member>\n<name>faultString</name>\n"
			       "<value><string>BAD_NAME: web</string></value>"));
	free(xml);
}

static void test_text(void **state)
{
	json_t *t;

	(void)state;
	t = xmlrpc_text("ok\t\n\x01 \xff caf\xc3\xa9 \xc3", 15);
	assert_string_equal(json_string_value(t), "ok\t\n? \xef\xbf\xbd caf\xc3\xa9 \xef\xbf\xbd");
	json_decref(t);
}

/* getAllProcessInfo's writer without JSON: byte for byte what xmlrpc_response writes of the same
 * structs (escapes, negative and large ints, bytes that are no UTF-8, control characters). */
static void test_structs(void **state)
{
	const struct xmlrpc_member m[] = {
	    {"name", "a&b<c>d", 0},    {"n", NULL, -42},     {"big", NULL, 1796686097123LL},
	    {"bad", "x\xffy\x01z", 0}, {"name", "plain", 0}, {"n", NULL, 0},
	    {"big", NULL, 7},	       {"bad", "", 0},
	};
	json_t *arr = json_array();
	size_t la = 0, lb = 0;
	char *a, *b;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		json_t *o = json_object();
		for (size_t f = 0; f < 4; f++) {
			const struct xmlrpc_member *x = &m[k * 4 + f];
			json_object_set_new(
			    o, x->name, x->s != NULL ? xmlrpc_text(x->s, strlen(x->s)) : json_integer(x->i));
		}
		json_array_append_new(arr, o);
	}
	a = xmlrpc_response_structs(m, 4, 2, &la);
	b = xmlrpc_response(arr, &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_int_equal(la, lb);
	assert_non_null(strstr(a, "<string>a&amp;b&lt;c&gt;d</string>"));
	assert_non_null(strstr(a, "<int>-42</int>"));
	free(a);
	free(b);
	json_decref(arr);
	a = xmlrpc_response_structs(m, 4, 0, &la); /* no process: an empty array */
	assert_non_null(strstr(a, "<array><data>\n</data></array>"));
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types), cmocka_unit_test(test_refused), cmocka_unit_test(test_response),
	    cmocka_unit_test(test_text),  cmocka_unit_test(test_structs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
