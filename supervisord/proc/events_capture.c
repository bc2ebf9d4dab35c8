/*
 * events_capture.c — capture mode, as supervisord's POutputDispatcher.record_output and
 * toggle_capturemode: scan for the BEGIN / END token (a token cut between two reads is held
 * until the next one), log what is outside, keep what is inside (the last maxbytes bytes), and
 * hand the kept text over at END. Bounded: the token tail and maxbytes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "events_capture.h"
#include "xmalloc.h"

struct events_capture {
	bool capturing;
	size_t maxbytes;
	char held[sizeof(EVENTS_CAPTURE_BEGIN)]; /* a token's start seen at the end of a read */
	size_t nheld;
	char *text; /* captured so far (at most maxbytes) */
	size_t ntext;
};

struct events_capture *events_capture_new(long long maxbytes)
{
	struct events_capture *c = xcalloc(1, sizeof(*c));

	c->maxbytes = maxbytes > 0 ? (size_t)maxbytes : 1;
	c->text = xmalloc(c->maxbytes);
	return c;
}

void events_capture_free(struct events_capture *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c);
}

/* Keep captured bytes: the last maxbytes of them. */
static void events_capture_keep(struct events_capture *c, const char *buf, size_t len)
{
	if (len >= c->maxbytes) {
		memcpy(c->text, buf + len - c->maxbytes, c->maxbytes);
		c->ntext = c->maxbytes;
		return;
	}
	if (c->ntext + len > c->maxbytes) {
		size_t drop = c->ntext + len - c->maxbytes;
		memmove(c->text, c->text + drop, c->ntext - drop);
		c->ntext -= drop;
	}
	memcpy(c->text + c->ntext, buf, len);
	c->ntext += len;
}

static void events_capture_out(struct events_capture *c, const struct events_capture_ops *ops,
			       const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (c->capturing)
		events_capture_keep(c, buf, len);
	else
		ops->log(ops->arg, buf, len);
}

/* The length of the longest suffix of buf that is a proper prefix of tok. */
static size_t events_capture_prefix_at_end(const char *buf, size_t len, const char *tok)
{
	size_t tl = strlen(tok);

	for (size_t k = tl - 1 < len ? tl - 1 : len; k > 0; k--)
		if (memcmp(buf + len - k, tok, k) == 0)
			return k;
	return 0;
}

static void events_capture_scan(struct events_capture *c, const struct events_capture_ops *ops,
				const char *buf, size_t len)
{
	while (len > 0) {
		const char *tok = c->capturing ? EVENTS_CAPTURE_END : EVENTS_CAPTURE_BEGIN;
		size_t tl = strlen(tok);
		const char *at = memmem(buf, len, tok, tl);
		if (at == NULL) {
			size_t k = events_capture_prefix_at_end(buf, len, tok);
			events_capture_out(c, ops, buf, len - k);
			memcpy(c->held, buf + len - k, k);
			c->nheld = k;
			return;
		}
		events_capture_out(c, ops, buf, (size_t)(at - buf));
		len -= (size_t)(at - buf) + tl;
		buf = at + tl;
		c->capturing = !c->capturing;
		if (!c->capturing) {
			ops->captured(ops->arg, c->text, c->ntext);
			c->ntext = 0;
		}
	}
}

void events_capture_feed(struct events_capture *c, const struct events_capture_ops *ops, const char *buf,
			 size_t len)
{
	if (c->nheld == 0) {
		events_capture_scan(c, ops, buf, len);
		return;
	}
	/* a token's start held from the last read: scan it again in front of this one */
	char *join = xmalloc(c->nheld + len);
	size_t n = c->nheld;
	memcpy(join, c->held, n);
	memcpy(join + n, buf, len);
	c->nheld = 0;
	events_capture_scan(c, ops, join, n + len);
	free(join);
}
