/*
 * xmlrpc.c — see xmlrpc.h. The parser is expat driven by a stack: <params>,
 * <array> and <struct> push a container, each <value> ends by adding what it
 * holds to the container on top (a struct under the last <name> read). Text
 * is gathered from the start of the innermost element. Nothing is trusted:
 * depth is capped, every allocation checked, any surprise is an error.
 */
#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmlrpc.h"

/* ---- parsing ---- */

enum xmlrpc_type { XT_NONE, XT_INT, XT_BOOL, XT_STRING, XT_DOUBLE, XT_DATE, XT_BASE64, XT_NIL };

struct xmlrpc_frame {
	json_t *c;  /* the container: params, array or struct */
	char *name; /* struct: the member name read last */
	int vdepth; /* the <value> depth this container belongs to (0: params) */
};

struct xmlrpc_val {
	enum xmlrpc_type type;
	json_t *v; /* a typed scalar already made, or a container once it closed */
};

struct xmlrpc_parser {
	XML_Parser xp;
	char *text; /* character data of the innermost element */
	size_t tlen, tcap;
	char *method;
	json_t *params;
	struct xmlrpc_frame frames[XMLRPC_MAX_DEPTH + 2];
	int nframes;
	struct xmlrpc_val vals[XMLRPC_MAX_DEPTH + 2];
	int nvals;
	int depth;
	char err[160];
};

static void xmlrpc_fail(struct xmlrpc_parser *p, const char *why)
{
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), "%s", why);
	XML_StopParser(p->xp, XML_FALSE);
}

static int xmlrpc_b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* base64 text (whitespace ignored, stops at '=') to a string; NULL when not base64. */
static json_t *xmlrpc_b64(const char *s, size_t n)
{
	char *out = malloc(n / 4 * 3 + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	json_t *j;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = xmlrpc_b64val((unsigned char)s[i]);
		if (v < 0) {
			if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
				continue;
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	j = xmlrpc_text(out, o);
	free(out);
	return j;
}

/* The text gathered so far, trimmed of the whitespace around it (for numbers). */
static const char *xmlrpc_trimmed(struct xmlrpc_parser *p, size_t *n)
{
	const char *s = p->text != NULL ? p->text : "";
	size_t len = p->tlen;

	while (len > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 &&
	       (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t'))
		len--;
	*n = len;
	return s;
}

/* A scalar element ended: make its value from the text. */
static json_t *xmlrpc_scalar(struct xmlrpc_parser *p, enum xmlrpc_type t)
{
	char num[64], *end;
	size_t n;
	const char *s;

	switch (t) {
	case XT_STRING:
	case XT_DATE:
	case XT_NONE:
		return json_stringn(p->text != NULL ? p->text : "", p->tlen);
	case XT_BASE64:
		return xmlrpc_b64(p->text != NULL ? p->text : "", p->tlen);
	case XT_NIL:
		return json_null();
	default:
		break;
	}
	s = xmlrpc_trimmed(p, &n);
	if (n == 0 || n >= sizeof(num))
		return NULL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (t == XT_BOOL) {
		if (strcmp(num, "1") == 0)
			return json_true();
		if (strcmp(num, "0") == 0)
			return json_false();
		return NULL;
	}
	if (t == XT_INT) {
		long long v = strtoll(num, &end, 10);
		return *end == '\0' ? json_integer(v) : NULL;
	}
	{
		double d = strtod(num, &end);
		return *end == '\0' ? json_real(d) : NULL;
	}
}

static enum xmlrpc_type xmlrpc_type_of(const char *name)
{
	static const struct {
		const char *name;
		enum xmlrpc_type t;
	} types[] = {{"int", XT_INT},
		     {"i4", XT_INT},
		     {"i8", XT_INT},
		     {"boolean", XT_BOOL},
		     {"string", XT_STRING},
		     {"double", XT_DOUBLE},
		     {"dateTime.iso8601", XT_DATE},
		     {"base64", XT_BASE64},
		     {"nil", XT_NIL}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].t;
	return XT_NONE;
}

static void xmlrpc_push_frame(struct xmlrpc_parser *p, json_t *c)
{
	if (c == NULL || p->nframes >= XMLRPC_MAX_DEPTH) {
		json_decref(c);
		xmlrpc_fail(p, c == NULL ? "out of memory" : "values nested too deep");
		return;
	}
	p->frames[p->nframes].c = c;
	p->frames[p->nframes].name = NULL;
	p->frames[p->nframes].vdepth = p->nvals;
	p->nframes++;
}

static void XMLCALL xmlrpc_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xmlrpc_parser *p = ud;

	(void)atts;
	p->tlen = 0;
	if (++p->depth > XMLRPC_MAX_DEPTH * 4) {
		xmlrpc_fail(p, "elements nested too deep");
		return;
	}
	if (strcmp(name, "params") == 0) {
		if (p->params != NULL || p->nvals > 0) {
			xmlrpc_fail(p, "unexpected <params>");
			return;
		}
		p->params = json_array();
		xmlrpc_push_frame(p, json_incref(p->params));
	} else if (strcmp(name, "value") == 0) {
		if (p->nframes == 0 || p->nvals >= XMLRPC_MAX_DEPTH) {
			xmlrpc_fail(p,
				    p->nframes == 0 ? "<value> outside <params>" : "values nested too deep");
			return;
		}
		p->vals[p->nvals].type = XT_NONE;
		p->vals[p->nvals].v = NULL;
		p->nvals++;
	} else if (strcmp(name, "array") == 0 || strcmp(name, "struct") == 0) {
		if (p->nvals == 0 || p->vals[p->nvals - 1].v != NULL ||
		    p->frames[p->nframes - 1].vdepth >= p->nvals) {
			xmlrpc_fail(p, "misplaced <array> or <struct>");
			return;
		}
		xmlrpc_push_frame(p, name[0] == 'a' ? json_array() : json_object());
	}
}

/* A <value> ended: add it to the container on top. */
static void xmlrpc_value_end(struct xmlrpc_parser *p)
{
	struct xmlrpc_val *val = &p->vals[p->nvals - 1];
	struct xmlrpc_frame *f;
	json_t *v = val->v;

	if (v == NULL && val->type == XT_NONE)
		v = xmlrpc_scalar(p, XT_NONE); /* a bare <value>text</value> is a string */
	p->nvals--;
	if (v == NULL) {
		xmlrpc_fail(p, "bad value");
		return;
	}
	f = &p->frames[p->nframes - 1];
	if (json_is_object(f->c)) {
		if (f->name == NULL) {
			json_decref(v);
			xmlrpc_fail(p, "struct member without a <name>");
			return;
		}
		json_object_set_new(f->c, f->name, v);
		free(f->name);
		f->name = NULL;
	} else
		json_array_append_new(f->c, v);
}

static void XMLCALL xmlrpc_end(void *ud, const XML_Char *name)
{
	struct xmlrpc_parser *p = ud;
	enum xmlrpc_type t;

	p->depth--;
	if (strcmp(name, "methodName") == 0) {
		free(p->method);
		p->method = strndup(p->text != NULL ? p->text : "", p->tlen);
		if (p->method == NULL)
			xmlrpc_fail(p, "out of memory");
	} else if (strcmp(name, "value") == 0) {
		if (p->nvals > 0)
			xmlrpc_value_end(p);
	} else if (strcmp(name, "name") == 0) {
		if (p->nframes > 0 && json_is_object(p->frames[p->nframes - 1].c)) {
			struct xmlrpc_frame *f = &p->frames[p->nframes - 1];
			free(f->name);
			f->name = strndup(p->text != NULL ? p->text : "", p->tlen);
			if (f->name == NULL || strlen(f->name) != p->tlen)
				xmlrpc_fail(p, "bad member name");
		}
	} else if (strcmp(name, "array") == 0 || strcmp(name, "struct") == 0 || strcmp(name, "params") == 0) {
		struct xmlrpc_frame *f;
		if (p->nframes == 0)
			return;
		f = &p->frames[--p->nframes];
		free(f->name);
		if (name[0] != 'p' && p->nvals > 0 && f->vdepth == p->nvals)
			p->vals[p->nvals - 1].v = f->c;
		else
			json_decref(f->c);
	} else if ((t = xmlrpc_type_of(name)) != XT_NONE) {
		struct xmlrpc_val *val;
		if (p->nvals == 0)
			return;
		val = &p->vals[p->nvals - 1];
		if (val->v != NULL || (p->nframes > 0 && p->frames[p->nframes - 1].vdepth >= p->nvals)) {
			xmlrpc_fail(p, "misplaced scalar");
			return;
		}
		val->type = t;
		val->v = xmlrpc_scalar(p, t);
		if (val->v == NULL)
			xmlrpc_fail(p, "bad scalar");
	}
	p->tlen = 0;
}

static void XMLCALL xmlrpc_chars(void *ud, const XML_Char *s, int len)
{
	struct xmlrpc_parser *p = ud;

	if (len <= 0)
		return;
	if (p->tlen + (size_t)len + 1 > p->tcap) {
		size_t ncap = (p->tlen + (size_t)len + 1) * 2;
		char *n = realloc(p->text, ncap);
		if (n == NULL) {
			xmlrpc_fail(p, "out of memory");
			return;
		}
		p->text = n;
		p->tcap = ncap;
	}
	memcpy(p->text + p->tlen, s, (size_t)len);
	p->tlen += (size_t)len;
	p->text[p->tlen] = '\0';
}

/* No DTD: an entity declaration (billion laughs) or DOCTYPE is refused outright. */
static void XMLCALL xmlrpc_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
				   const XML_Char *pubid, int has_internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	xmlrpc_fail(ud, "a DOCTYPE is not allowed");
}

int xmlrpc_parse(const char *body, size_t len, char **method, json_t **params, char *err, size_t errlen)
{
	struct xmlrpc_parser p;
	int ok;

	memset(&p, 0, sizeof(p));
	*method = NULL;
	*params = NULL;
	if (len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "body too large");
		return -1;
	}
	p.xp = XML_ParserCreate("UTF-8");
	if (p.xp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, xmlrpc_start, xmlrpc_end);
	XML_SetCharacterDataHandler(p.xp, xmlrpc_chars);
	XML_SetStartDoctypeDeclHandler(p.xp, xmlrpc_doctype);
	ok = XML_Parse(p.xp, body, (int)len, XML_TRUE) == XML_STATUS_OK && p.err[0] == '\0';
	if (!ok && p.err[0] == '\0')
		snprintf(p.err, sizeof(p.err), "not XML: %s at line %lu",
			 XML_ErrorString(XML_GetErrorCode(p.xp)),
			 (unsigned long)XML_GetCurrentLineNumber(p.xp));
	if (ok && (p.method == NULL || p.method[0] == '\0')) {
		ok = 0;
		snprintf(p.err, sizeof(p.err), "no method name");
	}
	while (p.nframes > 0) {
		p.nframes--;
		free(p.frames[p.nframes].name);
		json_decref(p.frames[p.nframes].c);
	}
	while (p.nvals > 0)
		json_decref(p.vals[--p.nvals].v);
	XML_ParserFree(p.xp);
	free(p.text);
	if (!ok) {
		snprintf(err, errlen, "%s", p.err);
		free(p.method);
		json_decref(p.params);
		return -1;
	}
	*method = p.method;
	*params = p.params != NULL ? p.params : json_array();
	return 0;
}

/* ---- writing ---- */

struct xmlrpc_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void xmlrpc_put(struct xmlrpc_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, ncap);
		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void xmlrpc_puts(struct xmlrpc_buf *b, const char *s)
{
	xmlrpc_put(b, s, strlen(s));
}

/* xmlrpclib's escape() (& < >), and \r as a reference so that a parser does not make it \n. */
static void xmlrpc_escaped(struct xmlrpc_buf *b, const char *s, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '&'	 ? "&amp;"
				  : s[i] == '<'	 ? "&lt;"
				  : s[i] == '>'	 ? "&gt;"
				  : s[i] == '\r' ? "&#13;"
						 : NULL;
		if (rep == NULL)
			continue;
		xmlrpc_put(b, s + from, i - from);
		xmlrpc_puts(b, rep);
		from = i + 1;
	}
	xmlrpc_put(b, s + from, n - from);
}

/* "<value><int>N</int></value>" without printf (a struct of 100 processes has 600 of them). */
static void xmlrpc_int(struct xmlrpc_buf *b, long long v)
{
	char num[64], *p = num + sizeof(num);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	static const char tail[] = "</int></value>";

	p -= sizeof(tail) - 1;
	memcpy(p, tail, sizeof(tail) - 1);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	p -= 12;
	memcpy(p, "<value><int>", 12);
	xmlrpc_put(b, p, (size_t)(num + sizeof(num) - p));
}

static void xmlrpc_value(struct xmlrpc_buf *b, const json_t *v, int depth)
{
	char num[64];

	if (depth > XMLRPC_MAX_DEPTH) {
		xmlrpc_puts(b, "<value><nil/></value>");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		xmlrpc_int(b, (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "<value><double>%.17g</double></value>", json_real_value(v));
		xmlrpc_puts(b, num);
		break;
	case JSON_TRUE:
		xmlrpc_puts(b, "<value><boolean>1</boolean></value>");
		break;
	case JSON_FALSE:
		xmlrpc_puts(b, "<value><boolean>0</boolean></value>");
		break;
	case JSON_STRING:
		xmlrpc_puts(b, "<value><string>");
		xmlrpc_escaped(b, json_string_value(v), json_string_length(v));
		xmlrpc_puts(b, "</string></value>");
		break;
	case JSON_ARRAY: {
		size_t i;
		const json_t *e;
		xmlrpc_puts(b, "<value><array><data>\n");
		json_array_foreach(v, i, e)
		{
			xmlrpc_value(b, e, depth + 1);
			xmlrpc_puts(b, "\n");
		}
		xmlrpc_puts(b, "</data></array></value>");
		break;
	}
	case JSON_OBJECT: {
		const char *k;
		const json_t *e;
		xmlrpc_puts(b, "<value><struct>\n");
		json_object_foreach((json_t *)v, k, e)
		{
			xmlrpc_puts(b, "<member>\n<name>");
			xmlrpc_escaped(b, k, strlen(k));
			xmlrpc_puts(b, "</name>\n");
			xmlrpc_value(b, e, depth + 1);
			xmlrpc_puts(b, "\n</member>\n");
		}
		xmlrpc_puts(b, "</struct></value>");
		break;
	}
	default:
		xmlrpc_puts(b, "<value><nil/></value>");
		break;
	}
}

/* A string member's text: printable ASCII as it is (escaped), anything else through xmlrpc_text. */
static void xmlrpc_member_text(struct xmlrpc_buf *b, const char *s)
{
	size_t n = 0;
	json_t *t;

	while (s[n] >= 0x20 && s[n] < 0x7f)
		n++;
	if (s[n] == '\0') { /* runs without & < > between them, found by strcspn */
		while (*s != '\0') {
			size_t run = strcspn(s, "&<>");
			xmlrpc_put(b, s, run);
			s += run;
			if (*s != '\0')
				xmlrpc_puts(b, *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : "&gt;");
			s += *s != '\0';
		}
		return;
	}
	t = xmlrpc_text(s, strlen(s));
	if (t == NULL) {
		b->oom = true;
		return;
	}
	xmlrpc_escaped(b, json_string_value(t), json_string_length(t));
	json_decref(t);
}

static char *xmlrpc_finish(struct xmlrpc_buf *b, size_t *len)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	*len = b->len;
	return b->s;
}

char *xmlrpc_response_structs(const struct xmlrpc_member *m, size_t nmembers, size_t nstructs, size_t *len)
{
	struct xmlrpc_buf b = {NULL, 0, 0, false};

	b.cap = 256 + nstructs * nmembers * 96; /* about what a member takes: one allocation */
	b.s = malloc(b.cap);
	if (b.s == NULL)
		return NULL;
	b.s[0] = '\0';
	xmlrpc_puts(&b, "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
			"<value><array><data>\n");
	for (size_t k = 0; k < nstructs; k++) {
		xmlrpc_puts(&b, "<value><struct>\n");
		for (size_t f = 0; f < nmembers; f++) {
			const struct xmlrpc_member *x = &m[k * nmembers + f];
			xmlrpc_puts(&b, "<member>\n<name>");
			xmlrpc_puts(&b, x->name); /* the caller's constants: nothing to escape */
			xmlrpc_puts(&b, "</name>\n");
			if (x->s != NULL) {
				xmlrpc_puts(&b, "<value><string>");
				xmlrpc_member_text(&b, x->s);
				xmlrpc_puts(&b, "</string></value>");
			} else
				xmlrpc_int(&b, x->i);
			xmlrpc_puts(&b, "\n</member>\n");
		}
		xmlrpc_puts(&b, "</struct></value>\n");
	}
	xmlrpc_puts(&b, "</data></array></value>\n</param>\n</params>\n</methodResponse>\n");
	return xmlrpc_finish(&b, len);
}

char *xmlrpc_response(const json_t *value, size_t *len)
{
	struct xmlrpc_buf b = {NULL, 0, 0, false};

	xmlrpc_puts(&b, "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n");
	xmlrpc_value(&b, value, 0);
	xmlrpc_puts(&b, "\n</param>\n</params>\n</methodResponse>\n");
	return xmlrpc_finish(&b, len);
}

char *xmlrpc_fault(int code, const char *text, size_t *len)
{
	struct xmlrpc_buf b = {NULL, 0, 0, false};
	json_t *f = json_pack("{s:i, s:s}", "faultCode", code, "faultString", text != NULL ? text : "");

	if (f == NULL)
		return NULL;
	xmlrpc_puts(&b, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n");
	xmlrpc_value(&b, f, 0);
	xmlrpc_puts(&b, "\n</fault>\n</methodResponse>\n");
	json_decref(f);
	return xmlrpc_finish(&b, len);
}

json_t *xmlrpc_text(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	char *out = malloc(len * 3 + 1);
	size_t o = 0;
	json_t *j;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		int l = utf8_len(s + i, len - i);
		/* U+FFFE and U+FFFF are valid UTF-8 but no XML character */
		size_t k = l > 0 && !(l == 3 && s[i] == 0xef && s[i + 1] == 0xbf && s[i + 2] >= 0xbe)
			       ? (size_t)l
			       : 0;
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else if (k == 1 && s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	j = json_stringn(out, o);
	free(out);
	return j;
}
