/*
 * listener.c — the eventlistener protocol state machine of one listener
 * process, as supervisord's PEventListenerDispatcher.handle_listener_state_change:
 *
 *   ACKNOWLEDGED --"READY\n"--> READY --event sent--> BUSY --"RESULT N\n"+N bytes--> ACKNOWLEDGED
 *
 * A result of "OK" is success; anything else rejects the event (supervisord's
 * default_handler), which the pool buffers again at its head. Bytes that do
 * not fit (not READY when ACKNOWLEDGED, anything when READY, a RESULT line
 * that is not a number) move it to UNKNOWN: it gets no more events until its
 * process is started again (listener_reset). Every change goes through
 * listener_transition(), checked against listener_table and logged as
 * supervisord logs it ("NAME: ACKNOWLEDGED -> READY", debug).
 *
 * Never does I/O, never grows without bound (listener.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"

#define READY_TOKEN "READY\n"
#define RESULT_TOKEN "RESULT "

struct listener {
	char *name;
	struct listener_ops ops;
	enum listener_state state;
	void *event;		      /* held while BUSY */
	char line[LISTENER_LINE_MAX]; /* ACKNOWLEDGED: the READY token so far; BUSY: the RESULT line */
	size_t nline;
	long resultlen; /* -1: the RESULT line is not complete yet */
	char *result;	/* resultlen bytes gathered so far */
	size_t nresult;
};

const char *listener_state_name(enum listener_state s)
{
	switch (s) {
	case LISTENER_READY:
		return "READY";
	case LISTENER_BUSY:
		return "BUSY";
	case LISTENER_ACKNOWLEDGED:
		return "ACKNOWLEDGED";
	case LISTENER_UNKNOWN:
		return "UNKNOWN";
	}
	return "?";
}

/* Index by state / 10 - 1: READY, BUSY, ACKNOWLEDGED, UNKNOWN. */
static const bool listener_table[4][4] = {
    /* READY: an event sent; spurious output; a new process */
    [0] = {[1] = true, [2] = true, [3] = true},
    /* BUSY: the result; a bad result line; a new process */
    [1] = {[2] = true, [3] = true},
    /* ACKNOWLEDGED: READY; anything else */
    [2] = {[0] = true, [3] = true},
    /* UNKNOWN: only a new process */
    [3] = {[2] = true},
};

bool listener_transition_allowed(enum listener_state from, enum listener_state to)
{
	unsigned f = (unsigned)from / 10 - 1, t = (unsigned)to / 10 - 1;
	return f < 4 && t < 4 && (unsigned)from % 10 == 0 && (unsigned)to % 10 == 0 && listener_table[f][t];
}

static void listener_transition(struct listener *l, enum listener_state to, const char *why)
{
	enum listener_state from = l->state;

	if (!listener_transition_allowed(from, to))
		log_warnx("bug: %s: listener %s -> %s is not in the table (%s)", l->name,
			  listener_state_name(from), listener_state_name(to), why);
	l->state = to;
	log_debug("%s: %s -> %s (%s)", l->name, listener_state_name(from), listener_state_name(to), why);
	if (to == LISTENER_UNKNOWN)
		log_warnx("%s: has entered the UNKNOWN state and will no longer receive events, this "
			  "usually indicates the process violated the eventlistener protocol (%s)",
			  l->name, why);
}

struct listener *listener_new(const char *name, const struct listener_ops *ops)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(name)) == NULL) {
		free(l);
		return NULL;
	}
	l->ops = *ops;
	l->state = LISTENER_ACKNOWLEDGED;
	l->resultlen = -1;
	return l;
}

/* Hand the held event back to the pool (it may send the next one from inside done). */
static void listener_give_back(struct listener *l, bool rejected)
{
	void *ev = l->event;

	l->event = NULL;
	free(l->result);
	l->result = NULL;
	l->nresult = 0;
	l->resultlen = -1;
	l->nline = 0;
	if (ev != NULL && l->ops.done != NULL)
		l->ops.done(l->ops.arg, l, ev, rejected);
}

void listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	l->ops.ready = NULL; /* nothing is sent to a listener that goes */
	listener_give_back(l, true);
	free(l->name);
	free(l);
}

void listener_reset(struct listener *l, const char *why)
{
	enum listener_state from = l->state;

	if (from != LISTENER_ACKNOWLEDGED)
		listener_transition(l, LISTENER_ACKNOWLEDGED, why);
	l->nline = 0;
	listener_give_back(l, true);
}

void listener_sent(struct listener *l, void *ev)
{
	listener_transition(l, LISTENER_BUSY, "event sent");
	l->event = ev;
	l->nline = 0;
	l->resultlen = -1;
}

/* The protocol was broken: UNKNOWN, and a held event goes back rejected. */
static void listener_violation(struct listener *l, const char *why)
{
	listener_transition(l, LISTENER_UNKNOWN, why);
	listener_give_back(l, true);
}

/* The whole result arrived: "OK" is success, anything else a rejection. */
static void listener_result(struct listener *l)
{
	bool ok = l->nresult == 2 && memcmp(l->result, "OK", 2) == 0;

	if (ok)
		log_debug("%s: event was processed", l->name);
	else
		log_warnx("%s: event was rejected", l->name);
	listener_transition(l, LISTENER_ACKNOWLEDGED, ok ? "result OK" : "result rejected");
	listener_give_back(l, !ok);
}

/* BUSY: "RESULT N\n" complete in l->line: N, or -1. */
static long listener_result_len(const struct listener *l)
{
	size_t k = strlen(RESULT_TOKEN);
	char num[32];

	if (l->nline <= k || l->nline - k >= sizeof(num) || memcmp(l->line, RESULT_TOKEN, k) != 0)
		return -1;
	memcpy(num, l->line + k, l->nline - k);
	num[l->nline - k] = '\0';
	char *end;
	long n = strtol(num, &end, 10);
	if (end == num || *end != '\0' || n < 0 || n > LISTENER_RESULT_MAX)
		return -1;
	return n;
}

/* Consume what it can of buf; the number of bytes taken. */
static size_t listener_step(struct listener *l, const char *buf, size_t len)
{
	size_t want, k;

	switch (l->state) {
	case LISTENER_UNKNOWN:
		return len; /* dropped, as supervisord does */
	case LISTENER_READY:
		listener_violation(l, "output while READY");
		return len;
	case LISTENER_ACKNOWLEDGED:
		want = strlen(READY_TOKEN) - l->nline;
		k = len < want ? len : want;
		memcpy(l->line + l->nline, buf, k);
		l->nline += k;
		if (memcmp(l->line, READY_TOKEN, l->nline) != 0) {
			l->nline = 0;
			listener_violation(l, "output that is not READY while ACKNOWLEDGED");
			return len;
		}
		if (l->nline == strlen(READY_TOKEN)) {
			l->nline = 0;
			listener_transition(l, LISTENER_READY, "READY");
			if (l->ops.ready != NULL)
				l->ops.ready(l->ops.arg, l);
		}
		return k;
	case LISTENER_BUSY:
		if (l->resultlen < 0) {
			const char *nl = memchr(buf, '\n', len);
			k = nl != NULL ? (size_t)(nl - buf) : len;
			if (l->nline + k >= sizeof(l->line)) {
				listener_violation(l, "result line too long");
				return len;
			}
			memcpy(l->line + l->nline, buf, k);
			l->nline += k;
			if (nl == NULL)
				return k;
			l->resultlen = listener_result_len(l);
			if (l->resultlen < 0) {
				log_warnx("%s: bad result line: '%.*s'", l->name, (int)l->nline, l->line);
				l->nline = 0;
				listener_violation(l, "bad result line");
				return len;
			}
			l->nline = 0;
			l->result = malloc((size_t)l->resultlen + 1);
			l->nresult = 0;
			if (l->result == NULL) {
				listener_violation(l, "out of memory");
				return len;
			}
			if (l->resultlen == 0)
				listener_result(l);
			return k + 1;
		}
		want = (size_t)l->resultlen - l->nresult;
		k = len < want ? len : want;
		memcpy(l->result + l->nresult, buf, k);
		l->nresult += k;
		if (l->nresult == (size_t)l->resultlen)
			listener_result(l);
		return k;
	}
	return len;
}

void listener_feed(struct listener *l, const char *buf, size_t len)
{
	while (len > 0) {
		size_t k = listener_step(l, buf, len);
		buf += k;
		len -= k;
	}
}

enum listener_state listener_state(const struct listener *l)
{
	return l->state;
}

void *listener_event(const struct listener *l)
{
	return l->event;
}

const char *listener_name(const struct listener *l)
{
	return l->name;
}
