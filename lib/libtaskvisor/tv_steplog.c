/*
 * tv_steplog.c — what a running step printed, on the worker's side (README
 * "A step's output"): tv_log_clean() makes a line what the daemon keeps
 * (UTF-8, at most TV_LOG_LINE_MAX bytes), and a step's tv_steplog keeps the
 * last bytes of each stream (its tails, sent with DONE/FAIL and stored with
 * the step) and the batch of lines to send live (MSG_WORKER_LOG). The live
 * lines are rate capped per step (TV_LOG_RATE lines a second, bursts of
 * TV_LOG_BURST; TV_LOG_RATE_BYTES): a flood costs the daemon a bounded
 * number of messages, the lines over it are counted and said ("dropped"),
 * and the tails still hold the end of it. A step that prints nothing has no
 * tv_steplog at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "taskvisor.h"
#include "tv_steplog.h"

/* A batch is sent at once past this many lines or bytes (else at the worker's next flush). */
#define STEPLOG_BATCH_LINES 256
#define STEPLOG_BATCH_BYTES (64 * 1024)

struct steplog_tail {
	char *buf; /* the last bytes of the stream, at most 2 * cap before a trim */
	size_t len;
	long long total; /* bytes printed in all */
};

struct tv_steplog {
	size_t cap;
	struct steplog_tail tail[2];
	json_t *batch; /* [["stdout","text"],...] not yet sent; NULL when empty */
	size_t batch_bytes;
	double tokens, byte_tokens, last;  /* the rate cap's buckets, refilled since last */
	long long dropped, dropped_unsaid; /* not sent live: in all, since the last batch */
};

size_t tv_log_clean(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;
	char note[48];
	size_t room;

	if (outlen == 0)
		return 0;
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	room = outlen - 1 < TV_LOG_LINE_MAX ? outlen - 1 : TV_LOG_LINE_MAX;
	snprintf(note, sizeof(note), " [line cut: %zu bytes]", n);
	if (n > room && strlen(note) < room) /* room for the note, when it fits at all */
		room -= strlen(note);
	while (i < n) {
		int len = utf8_len(p + i, n - i);

		if (len < 0)
			len = 0; /* cut short: invalid here */
		const char *c = (const char *)p + i;

		if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\t') {
			len = 0; /* a control character (\0, \r, escapes): shown as U+FFFD */
		}
		if (len == 0)
			c = "\xef\xbf\xbd";
		if (o + (len == 0 ? 3 : (size_t)len) > room)
			break;
		memcpy(out + o, c, len == 0 ? 3 : (size_t)len);
		o += len == 0 ? 3 : (size_t)len;
		i += len == 0 ? 1 : (size_t)len;
	}
	if (i < n && o + strlen(note) < outlen) {
		memcpy(out + o, note, strlen(note));
		o += strlen(note);
	}
	out[o] = '\0';
	return o;
}

struct tv_steplog *tv_steplog_new(size_t tail)
{
	struct tv_steplog *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->cap = tail;
	l->tokens = TV_LOG_BURST;
	l->byte_tokens = TV_LOG_RATE_BYTES;
	return l;
}

void tv_steplog_free(struct tv_steplog *l)
{
	if (l == NULL)
		return;
	free(l->tail[0].buf);
	free(l->tail[1].buf);
	json_decref(l->batch);
	free(l);
}

/* Append "line\n" to a stream's tail, keeping its last cap bytes (trimmed now and then). */
static void tv_steplog_tail_add(struct tv_steplog *l, struct steplog_tail *t, const char *line, size_t len)
{
	t->total += (long long)len + 1;
	if (l->cap == 0)
		return;
	if (t->buf == NULL && (t->buf = malloc(2 * l->cap + 1)) == NULL)
		return;
	if (len + 1 > l->cap) {
		memcpy(t->buf, line + len + 1 - l->cap, l->cap - 1);
		t->buf[l->cap - 1] = '\n';
		t->len = l->cap;
		return;
	}
	if (t->len + len + 1 > 2 * l->cap) {
		memmove(t->buf, t->buf + t->len - (l->cap - len - 1), l->cap - len - 1);
		t->len = l->cap - len - 1;
	}
	memcpy(t->buf + t->len, line, len);
	t->buf[t->len + len] = '\n';
	t->len += len + 1;
}

int tv_steplog_add(struct tv_steplog *l, int stream, const char *line, size_t len, double now)
{
	json_t *pair;

	tv_steplog_tail_add(l, &l->tail[stream == 2 ? 1 : 0], line, len);
	if (now > l->last) {
		l->tokens += (now - l->last) * TV_LOG_RATE;
		l->byte_tokens += (now - l->last) * TV_LOG_RATE_BYTES;
		if (l->tokens > TV_LOG_BURST)
			l->tokens = TV_LOG_BURST;
		if (l->byte_tokens > TV_LOG_RATE_BYTES)
			l->byte_tokens = TV_LOG_RATE_BYTES;
		l->last = now;
	}
	if (l->tokens < 1 || l->byte_tokens < (double)len) {
		l->dropped++;
		l->dropped_unsaid++;
		return 1;
	}
	l->tokens -= 1;
	l->byte_tokens -= (double)len;
	pair = json_pack("[s, s#]", stream == 2 ? "stderr" : "stdout", line, (int)len);
	if (pair == NULL) { /* not UTF-8 after all, or out of memory */
		l->dropped++;
		l->dropped_unsaid++;
		return 1;
	}
	if (l->batch == NULL)
		l->batch = json_array();
	json_array_append_new(l->batch, pair);
	l->batch_bytes += len;
	return 0;
}

bool tv_steplog_full(const struct tv_steplog *l)
{
	return l->batch != NULL &&
	       (json_array_size(l->batch) >= STEPLOG_BATCH_LINES || l->batch_bytes >= STEPLOG_BATCH_BYTES);
}

json_t *tv_steplog_take(struct tv_steplog *l)
{
	json_t *body;

	if (l->batch == NULL && l->dropped_unsaid == 0)
		return NULL;
	body = json_pack("{s:o, s:I}", "lines", l->batch != NULL ? l->batch : json_array(), "dropped",
			 (json_int_t)l->dropped_unsaid);
	l->batch = NULL;
	l->batch_bytes = 0;
	l->dropped_unsaid = 0;
	return body;
}

/* A stream's tail as a JSON string: its last cap bytes, from the first whole line when cut. */
static json_t *tv_steplog_tail_json(const struct tv_steplog *l, const struct steplog_tail *t)
{
	const char *p = t->buf;
	size_t n = t->len;

	if (t->total == 0)
		return json_null();
	if (p == NULL)
		return json_string("");
	if (n > l->cap) {
		p += n - l->cap;
		n = l->cap;
	}
	if ((long long)n < t->total) { /* cut: start after the first newline, on a whole line */
		const char *nl = memchr(p, '\n', n);

		if (nl != NULL && nl + 1 < p + n) {
			n -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
		while (n > 0 && ((unsigned char)*p & 0xC0) == 0x80) {
			p++;
			n--;
		}
	}
	json_t *s = json_stringn(p, n);
	return s != NULL ? s : json_string("");
}

json_t *tv_steplog_tails(const struct tv_steplog *l)
{
	return json_pack("{s:o, s:o, s:I, s:I, s:I}", "stdout", tv_steplog_tail_json(l, &l->tail[0]),
			 "stderr", tv_steplog_tail_json(l, &l->tail[1]), "stdout_bytes",
			 (json_int_t)l->tail[0].total, "stderr_bytes", (json_int_t)l->tail[1].total,
			 "dropped", (json_int_t)l->dropped);
}
